// SPDX-License-Identifier: GPL-2.0

//! rnvme: an NVMe PCI block driver in Rust.
//!
//! Stage 1 in progress: the driver binds to NVMe-class PCI functions (class code `0x010802`),
//! maps BAR0 and reports the controller's capabilities and version. It does not enable the
//! controller and binds no disks yet.
//!
//! The hardware-free building blocks are in place, each with its KUnit suite:
//! - `regs`: controller registers and doorbell offsets,
//! - `cmd`: submission and completion entries, command builders, status decoding,
//! - `ring`: queue index and phase arithmetic, shadow doorbell events,
//! - `prp`: PRP entries and lists from DMA segments,
//! - `identify`: Identify Controller, Identify Namespace and namespace list parsing.

use kernel::{
    device::Core,
    io::Io,
    pci,
    prelude::*, //
};

// The queue, admin and I/O code that uses most of these lands in the next stage; until then
// only their KUnit suites do.
#[allow(dead_code)]
mod cmd;
#[allow(dead_code)]
mod identify;
#[allow(dead_code)]
mod prp;
#[allow(dead_code)]
mod regs;
#[allow(dead_code)]
mod ring;

/// BAR0 with the controller properties and the first doorbells.
type Bar0<'bound> = pci::Bar<'bound, { regs::BAR0_SIZE }>;

/// The PCI driver.
struct RnvmeDriver;

/// A bound controller.
struct Controller<'bound> {
    /// The register mapping, held as long as the device is bound.
    _bar: Bar0<'bound>,
}

kernel::pci_device_table!(
    PCI_TABLE,
    <RnvmeDriver as pci::Driver>::IdInfo,
    [(
        pci::DeviceId::from_class(
            pci::Class::STORAGE_EXPRESS.as_raw(),
            pci::ClassMask::Full.as_raw()
        ),
        ()
    )]
);

impl pci::Driver for RnvmeDriver {
    type IdInfo = ();
    type Data<'bound> = Controller<'bound>;

    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        pdev.enable_device_mem()?;
        pdev.set_master();

        let bar = pdev
            .iomap_region_sized::<{ regs::BAR0_SIZE }>(0, c"rnvme")
            .inspect_err(|e| dev_err!(pdev, "cannot map BAR0: {:?}\n", e))?;

        let cap = bar.try_read(regs::CAP)?;
        if cap.into_raw() == u64::MAX {
            // All ones: the device is gone or not answering.
            dev_err!(pdev, "controller registers read as all ones\n");
            return Err(ENODEV);
        }
        let (major, minor, tertiary) = bar.read(regs::VS).version();

        dev_info!(
            pdev,
            "NVMe {}.{}.{}: CAP {:#018x}: MQES {}, TO {} ms, DSTRD {}, CSS {:#x}, MPS {}..{}\n",
            major,
            minor,
            tertiary,
            cap.into_raw(),
            cap.max_queue_entries(),
            cap.ready_timeout_ms(),
            cap.doorbell_stride(),
            u8::from(cap.css()),
            u8::from(cap.mpsmin()),
            u8::from(cap.mpsmax()),
        );

        Ok(Controller { _bar: bar })
    }
}

kernel::module_pci_driver! {
    type: RnvmeDriver,
    name: "rnvme",
    authors: ["The rnvme authors"],
    description: "Rust NVMe PCI block driver",
    license: "GPL v2",
}
