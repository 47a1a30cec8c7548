// SPDX-License-Identifier: GPL-2.0

//! rnvme: an NVMe PCI block driver in Rust.
//!
//! The driver binds to NVMe-class PCI functions (class code `0x010802`), brings the controller
//! up with an admin queue, identifies it and its active namespaces, creates one I/O queue pair
//! per interrupt vector it gets (sharing the admin queue's vector if it gets only one), plus
//! `poll_queues` poll queues, and registers one disk per namespace it can serve,
//! `rnvme<ctrl>n<nsid>`, which serves reads, writes and flushes.
//!
//! The modules, in the order a controller's life and one I/O read them:
//! - `params`: the module parameters, checked when the module is loaded;
//! - `driver`: the PCI driver: ID table, probe and unbind;
//! - `ctrl`: a bound controller: its bring-up, its disks and its teardown;
//! - `admin`: the controller registers and the admin queue: enable, disable, shutdown and
//!   the synchronous admin commands;
//! - `io`: the I/O path, from `queue_rq` to the end of the request, and the I/O queues;
//!   `io::recovery`: timeouts, failing a dead controller, deleting the queues;
//! - `nvme`: the NVMe wire formats and pure logic, with the KUnit suites.

use kernel::{
    driver::Registration,
    pci,
    prelude::*,
    InPlaceModule,
    ModuleMetadata,
    ThisModule, //
};

mod admin;
mod ctrl;
mod driver;
mod io;
mod nvme;
mod params;

/// The module: the PCI driver, registered once the parameters are checked.
#[pin_data]
struct RnvmeModule {
    #[pin]
    _driver: Registration<pci::Adapter<driver::RnvmeDriver>>,
}

impl InPlaceModule for RnvmeModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pin_init::pin_init_scope(move || {
            params::check()?;
            Ok(try_pin_init!(Self {
                _driver <- Registration::new(<Self as ModuleMetadata>::NAME, module),
            }))
        })
    }
}

module! {
    type: RnvmeModule,
    name: "rnvme",
    authors: ["The rnvme authors"],
    description: "Rust NVMe PCI block driver",
    license: "GPL v2",
    params: {
        poll_queues: u32 {
            default: 0,
            description: "Number of I/O queues completed by polling (io_uring hipri), besides one per CPU completed by interrupts; at most the number of possible CPUs, and fewer than the controller grants",
        },
        io_queue_depth: u32 {
            default: 1024,
            description: "Entries of each I/O queue, 2 to 4095; at most what the controller supports (CAP.MQES + 1)",
        },
        shadow_doorbells: bool {
            default: true,
            description: "Use shadow doorbell buffers (Doorbell Buffer Config) if the controller offers them; N writes every doorbell register",
        },
        max_retries: u8 {
            default: 5,
            description: "Max number of retries a command may have: after an error the controller did not mark Do Not Retry",
        },
    },
}
