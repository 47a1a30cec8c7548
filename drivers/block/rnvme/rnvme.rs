// SPDX-License-Identifier: GPL-2.0

//! rnvme: an NVMe PCI block driver in Rust.
//!
//! The driver binds to NVMe-class PCI functions (class code `0x010802`), brings the controller
//! up with an admin queue, identifies it and its active namespaces, creates one I/O queue pair
//! per granted MSI-X vector, plus `poll_queues` poll queues, and registers one disk per namespace,
//! `rnvme<ctrl>n<nsid>`, which serves reads, writes and flushes.
//!
//! The modules, in the order a controller's life and one I/O read them:
//! - `driver`: the PCI driver: ID table, probe and unbind;
//! - `ctrl`: a bound controller: its bring-up, its disks and its teardown;
//! - `admin`: the controller registers and the admin queue: enable, disable, shutdown and
//!   the synchronous admin commands;
//! - `io`: the I/O path, from `queue_rq` to the end of the request, and the I/O queues;
//!   `io::recovery`: timeouts, failing a dead controller, deleting the queues;
//! - `nvme`: the NVMe wire formats and pure logic, with the KUnit suites.

mod admin;
mod ctrl;
mod driver;
mod io;
mod nvme;

kernel::module_pci_driver! {
    type: driver::RnvmeDriver,
    name: "rnvme",
    authors: ["The rnvme authors"],
    description: "Rust NVMe PCI block driver",
    license: "GPL v2",
    params: {
        poll_queues: u32 {
            default: 0,
            description: "Number of I/O queues completed by polling (io_uring hipri), besides one per CPU completed by interrupts; at most 256 and fewer than the controller grants",
        },
    },
}
