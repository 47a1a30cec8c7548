// SPDX-License-Identifier: GPL-2.0

//! NVMe as the controller sees it, and the pure logic around it: nothing here touches the
//! hardware, and each file carries a KUnit suite.
//!
//! - [`regs`]: controller registers, page sizes and doorbell offsets;
//! - [`cmd`]: submission and completion queue entries, command builders, status decoding;
//! - [`identify`]: Identify Controller, Identify Namespace and namespace list parsing, and
//!   which namespaces are served;
//! - [`limits`]: the discard and write zeroes limits of a disk;
//! - [`prp`]: PRP entries and lists from DMA segments;
//! - [`ring`]: queue depths, index and phase arithmetic, shadow doorbell events.

pub(crate) mod cmd;
pub(crate) mod identify;
pub(crate) mod limits;
pub(crate) mod prp;
pub(crate) mod regs;
pub(crate) mod ring;
