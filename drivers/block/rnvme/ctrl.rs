// SPDX-License-Identifier: GPL-2.0

//! Controller state changes: disable, admin queue setup, enable and shutdown (NVMe 2.0 base
//! specification, section 3.5).
//!
//! [`Ctrl`] owns what it takes to run a controller: the BAR and the admin queue pair. It is
//! built with the controller disabled and the admin queue registers (`AQA`, `ASQ`, `ACQ`)
//! programmed; [`Ctrl::enable`] then starts the controller and [`Ctrl::shutdown`] asks it to
//! stop cleanly.
//!
//! Teardown order: dropping a [`Ctrl`] first disables the controller (`CC.EN` cleared, waiting
//! for `CSTS.RDY` to clear), so that it no longer reads or writes host memory; then its fields
//! drop in declaration order: the admin queue (its DMA memory is freed), then the BAR (it is
//! unmapped and released).
//!
//! Every wait for the controller is bounded: by `CAP.TO` for `CSTS.RDY`, by
//! [`SHUTDOWN_TIMEOUT`] for `CSTS.SHST`.

use kernel::{
    device::Bound,
    io::{
        poll::read_poll_timeout,
        Io, //
    },
    page::PAGE_SIZE,
    pci::{
        self,
        DevresBar, //
    },
    prelude::*,
    sync::Arc,
    time::Delta, //
};

use crate::{
    admin::{
        Admin,
        AdminQueue, //
    },
    queue::QueuePair,
    regs::{
        self,
        PageSize,
        ACQ,
        AQA,
        ASQ,
        CAP,
        CC,
        CSTS, //
    },
    Bar0, //
};

/// Depth of the admin queues, unless the controller supports fewer entries (`CAP.MQES`).
pub(crate) const ADMIN_DEPTH: u32 = 32;

/// Interval between two reads of `CSTS` while waiting for the controller.
const POLL_INTERVAL: Delta = Delta::from_millis(1);

/// Longest wait for a normal shutdown to complete.
pub(crate) const SHUTDOWN_TIMEOUT: Delta = Delta::from_secs(5);

/// Returns how long to wait for `CSTS.RDY` to follow `CC.EN`: `CAP.TO`.
fn ready_timeout(cap: CAP) -> Delta {
    Delta::from_millis(i64::from(cap.ready_timeout_ms()))
}

/// Reads `CSTS`.
///
/// # Errors
///
/// `ENODEV` if it reads as all ones: the device is gone or no longer answers.
fn read_csts(bar: &Bar0<'_>) -> Result<CSTS> {
    let csts = bar.read(regs::CSTS);
    if csts.is_all_ones() {
        return Err(ENODEV);
    }
    Ok(csts)
}

/// Waits, for at most `CAP.TO`, until `CSTS.RDY` reads `ready`.
///
/// # Errors
///
/// - `ENODEV` if `CSTS` reads as all ones.
/// - `EIO` if the controller reports a fatal status (`CSTS.CFS`) while it should become ready.
/// - `ETIMEDOUT` if `CSTS.RDY` did not change in time.
fn wait_ready(bar: &Bar0<'_>, cap: CAP, ready: bool) -> Result<CSTS> {
    read_poll_timeout(
        || {
            let csts = read_csts(bar)?;
            if ready && csts.cfs() {
                return Err(EIO);
            }
            Ok(csts)
        },
        |csts| csts.rdy() == ready,
        POLL_INTERVAL,
        ready_timeout(cap),
    )
}

/// Disables the controller: clears `CC.EN` and waits, for at most `CAP.TO`, for `CSTS.RDY` to
/// clear. Does nothing if the controller is disabled already.
///
/// # Errors
///
/// `ENODEV` if the controller registers read as all ones, `ETIMEDOUT` if it does not become
/// disabled in time.
pub(crate) fn disable(pdev: &pci::Device<Bound>, bar: &Bar0<'_>, cap: CAP) -> Result {
    let csts = read_csts(bar)
        .inspect_err(|_| dev_err!(pdev, "cannot disable: controller status reads all ones\n"))?;
    let cc = bar.read(regs::CC);
    if !cc.en() && !csts.rdy() {
        return Ok(());
    }
    if cc.en() && !csts.rdy() {
        // Enabling is in progress: the controller must finish it before `CC.EN` may be cleared.
        // A controller that never gets ready is disabled all the same.
        if let Err(e) = wait_ready(bar, cap, true) {
            dev_warn!(pdev, "controller not ready before disabling: {:?}\n", e);
        }
    }
    // A shutdown request (`CC.SHN`) ends with the reset too.
    bar.write_reg(cc.with_en(false).with_const_shn::<0>());
    wait_ready(bar, cap, false).inspect_err(|e| {
        dev_err!(
            pdev,
            "controller not disabled within CAP.TO ({} ms): {:?}\n",
            cap.ready_timeout_ms(),
            e
        )
    })?;
    Ok(())
}

/// Disables the controller like [`disable`], for a caller that reaches the registers through
/// the device-managed BAR `bar` and holds no guard of it: the wait sleeps, and a guard is an
/// RCU read-side section, so a guard is taken for each register access only.
///
/// # Errors
///
/// `ENODEV` if the BAR was revoked or the controller registers read as all ones, `ETIMEDOUT`
/// if the controller does not become disabled within `CAP.TO`.
pub(crate) fn disable_unguarded(bar: &DevresBar<{ regs::BAR0_SIZE }>, cap: CAP) -> Result {
    {
        let b = bar.try_access().ok_or(ENODEV)?;
        read_csts(&b)?;
        let cc = b.read(regs::CC);
        b.write_reg(cc.with_en(false).with_const_shn::<0>());
    }
    read_poll_timeout(
        || read_csts(&*bar.try_access().ok_or(ENODEV)?),
        |csts| !csts.rdy(),
        POLL_INTERVAL,
        ready_timeout(cap),
    )?;
    Ok(())
}

/// A controller and its admin queue pair.
///
/// # Invariants
///
/// The admin queue registers of the controller point at `admin`'s queue pair, and `bar` maps
/// the controller's registers.
#[pin_data(PinnedDrop)]
pub(crate) struct Ctrl<'bound> {
    /// The PCI function.
    pdev: &'bound pci::Device<Bound>,
    /// Capabilities, read once.
    cap: CAP,
    /// Memory page size programmed in `CC.MPS`.
    page: PageSize,
    /// The controller's minimum memory page size (`CAP.MPSMIN`), the unit of `MDTS`.
    min_page: PageSize,
    /// The admin queue pair; dropped after the controller was disabled and before the BAR is
    /// unmapped.
    #[pin]
    admin: AdminQueue,
    /// Controller registers and doorbells, shared with the I/O path, which reaches them from
    /// blk-mq and interrupt context through the device-managed guard; dropped last.
    bar: Arc<DevresBar<{ regs::BAR0_SIZE }>>,
}

impl<'bound> Ctrl<'bound> {
    /// Returns an initializer of a [`Ctrl`] for the controller whose registers `bar` maps and
    /// whose capabilities are `cap`.
    ///
    /// It disables the controller, allocates an admin queue pair of [`ADMIN_DEPTH`] entries
    /// (fewer if `CAP.MQES` says so), and points `AQA`, `ASQ` and `ACQ` at it. The controller
    /// stays disabled: see [`Ctrl::enable`].
    ///
    /// # Errors
    ///
    /// - `ENODEV` if the controller does not support the NVM command set or does not answer.
    /// - `EINVAL` if it supports no memory page size the driver can use, or its `CAP.MQES` or
    ///   `CAP.DSTRD` are unusable.
    /// - `ETIMEDOUT` if it does not become disabled in time.
    /// - `ENOMEM`.
    pub(crate) fn new(
        pdev: &'bound pci::Device<Bound>,
        bar: Bar0<'bound>,
        cap: CAP,
    ) -> impl PinInit<Self, Error> + 'bound {
        pin_init::pin_init_scope(move || {
            if !cap.supports_nvm() {
                dev_err!(
                    pdev,
                    "the controller does not support the NVM command set\n"
                );
                return Err(ENODEV);
            }
            // The page size to program, and the controller's smallest one (the unit of MDTS).
            let sizes = PageSize::new(PAGE_SIZE).and_then(|host| {
                let min = PageSize::from_mps(u32::from(u8::from(cap.mpsmin())))?;
                Ok((cap.page_size_for(host)?, min))
            });
            let (page, min_page) = sizes.inspect_err(|_| {
                dev_err!(
                    pdev,
                    "no usable memory page size: host {} bytes, controller MPS {}..{}\n",
                    PAGE_SIZE,
                    u8::from(cap.mpsmin()),
                    u8::from(cap.mpsmax())
                )
            })?;

            disable(pdev, &bar, cap)?;

            let depth = ADMIN_DEPTH.min(cap.max_queue_entries());
            let queue = QueuePair::new(pdev.as_ref(), &bar, 0, depth, cap.doorbell_stride())
                .inspect_err(|e| {
                    dev_err!(
                        pdev,
                        "cannot set up an admin queue of {} entries (CAP {:#018x}): {:?}\n",
                        depth,
                        cap.into_raw(),
                        e
                    )
                })?;
            Self::program_admin_queue(pdev, &bar, &queue)?;

            // INVARIANT: the admin queue registers point at `queue`, which `admin` takes.
            let bar = Arc::new(bar.into_devres()?, GFP_KERNEL)?;
            Ok(try_pin_init!(Self {
                pdev,
                cap,
                page,
                min_page,
                admin <- AdminQueue::new(pdev, queue),
                bar,
            }))
        })
    }

    /// Points `AQA`, `ASQ` and `ACQ` at `queue`, the admin queue pair; the controller must be
    /// disabled.
    fn program_admin_queue(pdev: &pci::Device<Bound>, bar: &Bar0<'_>, queue: &QueuePair) -> Result {
        let depth = queue.depth();
        let aqa = AQA::with_depths(depth, depth);
        let asq = ASQ::from_addr(queue.sq_dma());
        let acq = ACQ::from_addr(queue.cq_dma());
        let (aqa, asq, acq) = match (aqa, asq, acq) {
            (Ok(aqa), Ok(asq), Ok(acq)) => (aqa, asq, acq),
            _ => {
                dev_err!(
                    pdev,
                    "admin queue not expressible: depth {}, SQ {:#x}, CQ {:#x}\n",
                    depth,
                    queue.sq_dma(),
                    queue.cq_dma()
                );
                return Err(EINVAL);
            }
        };
        bar.write_reg(aqa);
        bar.try_write_reg(asq)
            .and_then(|()| bar.try_write_reg(acq))
            .inspect_err(|e| dev_err!(pdev, "cannot write ASQ/ACQ: {:?}\n", e))
    }

    /// Enables the controller with the NVM command set, the host's memory page size (within
    /// what the controller supports) and 64/16-byte queue entries, and waits, for at most
    /// `CAP.TO`, until it is ready.
    ///
    /// # Errors
    ///
    /// - `EIO` if the controller reports a fatal status (`CSTS.CFS`).
    /// - `ETIMEDOUT` if it does not become ready in time.
    /// - `ENODEV` if its registers read as all ones.
    pub(crate) fn enable(&self) -> Result {
        let cc = CC::enabled(self.page).inspect_err(|e| {
            dev_err!(
                self.pdev,
                "no CC value for {} byte pages: {:?}\n",
                self.page.bytes(),
                e
            )
        })?;
        let bar = self.bar()?;
        bar.write_reg(cc);
        wait_ready(bar, self.cap, true).inspect_err(|e| {
            if *e == EIO {
                dev_err!(
                    self.pdev,
                    "controller fatal status (CSTS.CFS) while enabling\n"
                );
            } else if *e == ENODEV {
                dev_err!(
                    self.pdev,
                    "controller status reads all ones while enabling\n"
                );
            } else {
                dev_err!(
                    self.pdev,
                    "controller not ready within CAP.TO ({} ms): {:?}\n",
                    self.cap.ready_timeout_ms(),
                    e
                );
            }
        })?;
        Ok(())
    }

    /// Asks the controller for a normal shutdown (`CC.SHN`) and waits, for at most
    /// [`SHUTDOWN_TIMEOUT`], until it reports the shutdown complete (`CSTS.SHST`). Does nothing
    /// if the controller is not running.
    ///
    /// The controller stays enabled; dropping the [`Ctrl`] disables it.
    ///
    /// # Errors
    ///
    /// `ETIMEDOUT` if the shutdown does not complete in time, `ENODEV` if the controller
    /// registers read as all ones.
    pub(crate) fn shutdown(&self) -> Result {
        let bar = self.bar()?;
        let csts = read_csts(bar)
            .inspect_err(|_| dev_err!(self.pdev, "cannot shut down: status reads all ones\n"))?;
        let cc = bar.read(regs::CC);
        if !cc.en() || !csts.rdy() {
            return Ok(());
        }
        bar.write_reg(cc.with_const_shn::<{ regs::SHN_NORMAL }>());
        read_poll_timeout(
            || read_csts(bar),
            |csts| csts.shutdown_complete(),
            POLL_INTERVAL,
            SHUTDOWN_TIMEOUT,
        )
        .inspect_err(|e| {
            dev_err!(
                self.pdev,
                "shutdown not complete after {} ms: {:?}\n",
                SHUTDOWN_TIMEOUT.as_millis(),
                e
            )
        })?;
        Ok(())
    }

    /// Returns the issuer of admin commands.
    ///
    /// # Errors
    ///
    /// `ENXIO` if the BAR was revoked (see [`Ctrl::bar`]).
    pub(crate) fn admin(&self) -> Result<Admin<'_>> {
        Ok(Admin::new(&self.admin, self.bar()?, self.pdev))
    }

    /// Returns the controller's minimum memory page size (`CAP.MPSMIN`), the unit of `MDTS`.
    pub(crate) fn min_page_size(&self) -> PageSize {
        self.min_page
    }

    /// Returns the memory page size programmed in `CC.MPS`, the page of PRP entries.
    pub(crate) fn page_size(&self) -> PageSize {
        self.page
    }

    /// Returns the controller's capabilities.
    pub(crate) fn cap(&self) -> CAP {
        self.cap
    }

    /// Returns the BAR for the I/O path.
    pub(crate) fn shared_bar(&self) -> Arc<DevresBar<{ regs::BAR0_SIZE }>> {
        self.bar.clone()
    }

    /// Returns the controller registers.
    ///
    /// # Errors
    ///
    /// `ENXIO` if the BAR was revoked: the device is no longer bound, which cannot happen while
    /// a [`Ctrl`] exists (its owner is the driver data of the bound device).
    fn bar(&self) -> Result<&Bar0<'_>> {
        self.bar.access(self.pdev.as_ref()).map_err(|_| ENXIO)
    }
}

#[pinned_drop]
impl PinnedDrop for Ctrl<'_> {
    fn drop(self: Pin<&mut Self>) {
        // Stop the controller before the admin queue memory goes (the fields drop after this).
        // A failure is reported by `disable()`; there is nothing more to do about it here.
        if let Ok(bar) = self.bar() {
            if disable(self.pdev, bar, self.cap).is_ok() {
                dev_dbg!(self.pdev, "controller disabled\n");
            }
        }
    }
}
