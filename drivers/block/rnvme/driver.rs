// SPDX-License-Identifier: GPL-2.0

//! The PCI driver: the functions rnvme binds to, probe and unbind.
//!
//! Probe enables the PCI function and bus mastering, maps BAR0 and hands off to
//! [`Controller::new`]; unbind hands off to [`Controller::unbind`].

use kernel::{
    device::Core,
    dma::DmaMask,
    pci,
    prelude::*, //
};

use crate::{
    ctrl::Controller,
    nvme::regs, //
};

/// BAR0 with the controller properties and the first doorbells.
pub(crate) type Bar0<'bound> = pci::Bar<'bound, { regs::BAR0_SIZE }>;

/// The PCI driver.
pub(crate) struct RnvmeDriver;

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

    /// NVMe controllers address 64 bits of memory.
    const DMA_MASK: Option<DmaMask> = Some(DmaMask::new::<64>());

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        pin_init::pin_init_scope(move || {
            pdev.enable_device_mem()
                .inspect_err(|e| dev_err!(pdev, "cannot enable the device: {:?}\n", e))?;
            pdev.set_master();

            // The 64-bit DMA mask is set already: see `DMA_MASK`.

            let bar = pdev
                .iomap_region_sized::<{ regs::BAR0_SIZE }>(0, c"rnvme")
                .inspect_err(|e| dev_err!(pdev, "cannot map BAR0: {:?}\n", e))?;
            Ok(Controller::new(pdev, bar))
        })
    }

    fn unbind<'bound>(pdev: &'bound pci::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        this.unbind(pdev);
    }
}
