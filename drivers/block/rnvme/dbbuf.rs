// SPDX-License-Identifier: GPL-2.0

//! Shadow doorbells (Doorbell Buffer Config, NVMe 2.0 base specification, section 5.8).
//!
//! An emulated controller, whose doorbell registers trap into the emulator, can read the
//! doorbells from host memory instead: the driver writes each new I/O queue tail and head to
//! the shadow doorbell buffer, and writes the doorbell register only when the controller asks
//! for it through the EventIdx buffer, that is when the new value passed the event index the
//! controller set ([`need_event`]). The admin queue keeps its registers.
//!
//! Both buffers are one 4 KiB page of coherent memory, laid out like the doorbell registers
//! ([`regs::shadow_index`]), so the controller's queues must fit in it.

use kernel::{
    device::{
        self,
        Bound, //
    },
    dma::Coherent,
    io::{
        io_read,
        io_write, //
    },
    prelude::*,
    sync::{
        barrier::{
            mb,
            Full,
            Write, //
        },
        Arc, //
    }, //
};

use crate::{
    cmd::Command,
    regs,
    ring::need_event, //
};

/// Entries of one buffer: a 4 KiB page of 32-bit doorbells.
const ENTRIES: usize = 1024;

/// The shadow doorbell and EventIdx buffers of a controller.
///
/// Both are fixed-size arrays, so that an index checked once, when a [`Shadow`] is made, costs
/// a comparison with a constant per access rather than with a length read from memory.
pub(crate) struct DbBuf {
    /// The values of the doorbells, written by the driver.
    dbs: Coherent<[u32; ENTRIES]>,
    /// The event indices, written by the controller.
    eis: Coherent<[u32; ENTRIES]>,
    /// `CAP.DSTRD`.
    dstrd: u32,
}

impl DbBuf {
    /// Allocates zeroed buffers for the admin queue and I/O queues `1..=io_queues` of a
    /// controller whose doorbell stride is `dstrd`.
    ///
    /// # Errors
    ///
    /// `EINVAL` if the doorbells of that many queues do not fit in a page, `ENOMEM`.
    pub(crate) fn new(dev: &device::Device<Bound>, io_queues: u32, dstrd: u32) -> Result<Self> {
        let last = u16::try_from(io_queues)?;
        if regs::shadow_index(last, true, dstrd) >= ENTRIES {
            return Err(EINVAL);
        }
        Ok(Self {
            dbs: Coherent::zeroed(dev, GFP_KERNEL)?,
            eis: Coherent::zeroed(dev, GFP_KERNEL)?,
            dstrd,
        })
    }

    /// Returns the Doorbell Buffer Config command that hands the buffers to the controller.
    pub(crate) fn command(&self) -> Command {
        Command::doorbell_buffer_config(self.dbs.dma_address(), self.eis.dma_address())
    }
}

/// One shadow doorbell of an I/O queue: the submission queue tail or the completion queue head.
///
/// # Invariants
///
/// `index` is below [`ENTRIES`].
pub(crate) struct Shadow {
    /// The controller's buffers.
    buf: Arc<DbBuf>,
    /// Index of the doorbell in both buffers.
    index: usize,
}

impl Shadow {
    /// Returns the shadow of the completion queue head doorbell of I/O queue `qid` if
    /// `completion`, of its submission queue tail doorbell otherwise.
    ///
    /// # Errors
    ///
    /// `EINVAL` for the admin queue, or a queue beyond those `buf` was allocated for.
    pub(crate) fn new(buf: Arc<DbBuf>, qid: u16, completion: bool) -> Result<Self> {
        let index = regs::shadow_index(qid, completion, buf.dstrd);
        if qid == 0 || index >= ENTRIES {
            return Err(EINVAL);
        }
        // INVARIANT: checked just above.
        Ok(Self { buf, index })
    }

    /// Publishes the new value `new` of the doorbell (it was `old`); returns whether the
    /// doorbell register must be written too.
    ///
    /// Called once per doorbell, on every submission and completion pass, so it is inlined.
    #[inline]
    pub(crate) fn update(&self, old: u16, new: u16) -> bool {
        // Cannot fail: `index` is below `ENTRIES` by the type invariants. Were it not, writing
        // the register is always correct.
        self.try_update(old, new).unwrap_or(true)
    }

    /// [`Shadow::update`], with the index checks of the buffer accesses.
    #[inline]
    fn try_update(&self, old: u16, new: u16) -> Result<bool> {
        // The queue entries before the doorbell value that covers them.
        mb(Write);
        io_write!(self.buf.dbs, [try: self.index], u32::from(new));
        // The doorbell value before the event index: the controller updates the event index
        // and then reads the doorbell, so one of the two sides sees the other's write.
        mb(Full);
        let event: u32 = io_read!(self.buf.eis, [try: self.index]);
        // CAST: doorbell values are 16 bits.
        Ok(need_event(event as u16, new, old))
    }
}
