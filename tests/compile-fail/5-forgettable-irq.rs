// SPDX-License-Identifier: GPL-2.0
// EXPECT: error[E0133]: call to unsafe function
//
// Scenario 5: register an interrupt handler whose registration can be
// forgotten, so that the handler stays installed after unbind and rmmod. The
// only such registration (irq::Registration::new) is unsafe; the safe one
// (pci::IrqVectorRegistration::register_all) is device-managed and freed at
// unbind even if it is forgotten.

include!("common.rs");

struct Handler;

impl kernel::irq::Handler for Handler {
    fn handle(&self) -> kernel::irq::IrqReturn {
        kernel::irq::IrqReturn::Handled
    }
}

#[allow(dead_code)]
fn register(dev: &kernel::pci::Device<Bound>) -> Result {
    let vectors = dev.alloc_irq_vectors(1, 1, kernel::pci::IrqTypes::all())?;
    let request: kernel::irq::IrqRequest<'_> = vectors.index(0)?.into();
    let reg = KBox::pin_init(
        kernel::irq::Registration::new(request, kernel::irq::Flags::SHARED, c"x", Ok::<_, Error>(Handler)),
        GFP_KERNEL,
    )?;
    core::mem::forget(reg);
    Ok(())
}
