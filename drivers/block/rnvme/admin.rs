// SPDX-License-Identifier: GPL-2.0

//! The controller's admin path: its registers and its admin queue (NVMe 2.0 base specification,
//! sections 3.5 and 5).
//!
//! [`AdminPath`] owns what it takes to run a controller: the BAR and the admin queue pair. It is
//! built with the controller disabled and the admin queue registers (`AQA`, `ASQ`, `ACQ`)
//! programmed; [`AdminPath::enable`] then starts the controller and [`AdminPath::shutdown`] asks
//! it to stop cleanly. [`disable`] stops it.
//!
//! Teardown order: dropping an [`AdminPath`] first disables the controller (`CC.EN` cleared,
//! waiting for `CSTS.RDY` to clear), so that it no longer reads or writes host memory; then its
//! fields drop in declaration order: the admin queue (its DMA memory is freed), then the BAR (it
//! is unmapped and released).
//!
//! Admin commands go through the admin queue pair one at a time: [`AdminQueue`] keeps the queue
//! pair under a mutex, and the issuer ([`Admin`]) polls the admin completion queue for its own
//! completion, sleeping between polls, for at most [`ADMIN_TIMEOUT`].
//!
//! Polling, not an interrupt, is a choice: admin commands are rare (controller bring-up, queue
//! creation and deletion, the odd feature change), nobody waits on them in the I/O path, and a
//! polled wait needs neither an interrupt vector nor a handler for the admin queue.
//!
//! A command that does not complete (it timed out, or the controller died or reported a fatal
//! status meanwhile) leaves the admin queue unusable: its slot and command identifier may still
//! be completed, and its data buffer written, at any later time. Every later command then fails
//! until the controller is disabled (which frees the queue). Completions that carry another
//! command identifier than the one awaited are reported and dropped.
//!
//! Every wait for the controller is bounded: by `CAP.TO` for `CSTS.RDY`, by
//! [`SHUTDOWN_TIMEOUT`] for `CSTS.SHST`, by [`ADMIN_TIMEOUT`] for an admin command.

use core::ops::Deref;

use kernel::{
    device::{
        self,
        Bound, //
    },
    dma::Coherent,
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
    sync::{
        new_mutex,
        Arc,
        Mutex, //
    },
    time::Delta, //
};

use crate::{
    driver::Bar0,
    io::QueuePair,
    nvme::{
        cmd::{
            num_queues_allocated,
            Command,
            Completion,
            CNS_ACTIVE_NS_LIST,
            CNS_CONTROLLER,
            CNS_CTRL_NVM,
            CNS_NAMESPACE,
            CNS_NS_DESCRIPTORS, //
        },
        identify::{
            self,
            ActiveNsList,
            IdCtrl,
            IdCtrlNvm,
            IdNs,
            IDENTIFY_SIZE,
            NS_LIST_MAX, //
        },
        regs::{
            self,
            PageSize,
            ACQ,
            AQA,
            ASQ,
            CAP,
            CC,
            CSTS, //
        }, //
    }, //
};

/// Depth of the admin queues, unless the controller supports fewer entries (`CAP.MQES`).
pub(crate) const ADMIN_DEPTH: u32 = 32;

/// Interval between two reads of `CSTS` while waiting for the controller.
const CSTS_POLL_INTERVAL: Delta = Delta::from_millis(1);

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

/// Waits, for at most `CAP.TO`, until `CSTS.RDY` reads `ready`; `bar` gives the registers for
/// each read (see [`disable`]).
///
/// # Errors
///
/// - `ENODEV` if `CSTS` reads as all ones, or `bar` fails with it.
/// - `EIO` if the controller reports a fatal status (`CSTS.CFS`) while it should become ready.
/// - `ETIMEDOUT` if `CSTS.RDY` did not change in time.
fn wait_ready<'a, B>(bar: &impl Fn() -> Result<B>, cap: CAP, ready: bool) -> Result<CSTS>
where
    B: Deref<Target = Bar0<'a>>,
{
    read_poll_timeout(
        || {
            let csts = read_csts(&*bar()?)?;
            if ready && csts.cfs() {
                return Err(EIO);
            }
            Ok(csts)
        },
        |csts| csts.rdy() == ready,
        CSTS_POLL_INTERVAL,
        ready_timeout(cap),
    )
}

/// Disables the controller: clears `CC.EN` and waits, for at most `CAP.TO`, for `CSTS.RDY` to
/// clear. Does nothing if the controller is disabled already. Failures are reported against
/// `dev`.
///
/// `bar` gives the registers for one access at a time: the wait sleeps, so a caller that
/// reaches them through the device-managed BAR, whose guard is an RCU read-side section, takes
/// a guard per access (`ENODEV` once it is revoked) rather than holding one.
///
/// # Errors
///
/// `ENODEV` if the controller registers read as all ones or are gone, `ETIMEDOUT` if the
/// controller does not become disabled in time.
pub(crate) fn disable<'a, B>(dev: &device::Device, bar: impl Fn() -> Result<B>, cap: CAP) -> Result
where
    B: Deref<Target = Bar0<'a>>,
{
    let (cc, csts) = {
        let r = bar()?;
        (r.read(regs::CC), read_csts(&r))
    };
    let csts =
        csts.inspect_err(|_| dev_err!(dev, "cannot disable: controller status reads all ones\n"))?;
    if !cc.en() && !csts.rdy() {
        return Ok(());
    }
    if cc.en() && !csts.rdy() {
        // Enabling is in progress: the controller must finish it before `CC.EN` may be cleared.
        // A controller that never gets ready is disabled all the same.
        if let Err(e) = wait_ready(&bar, cap, true) {
            dev_warn!(dev, "controller not ready before disabling: {:?}\n", e);
        }
    }
    // A shutdown request (`CC.SHN`) ends with the reset too.
    bar()?.write_reg(cc.with_en(false).with_const_shn::<0>());
    wait_ready(&bar, cap, false).inspect_err(|e| {
        dev_err!(
            dev,
            "controller not disabled within CAP.TO ({} ms): {:?}\n",
            cap.ready_timeout_ms(),
            e
        )
    })?;
    Ok(())
}

/// A controller and its admin queue pair.
///
/// # Invariants
///
/// The admin queue registers of the controller point at `admin`'s queue pair, and `bar` maps
/// the controller's registers.
#[pin_data(PinnedDrop)]
pub(crate) struct AdminPath<'bound> {
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

impl<'bound> AdminPath<'bound> {
    /// Returns an initializer of an [`AdminPath`] for the controller whose registers `bar` maps and
    /// whose capabilities are `cap`.
    ///
    /// It disables the controller, allocates an admin queue pair of [`ADMIN_DEPTH`] entries
    /// (fewer if `CAP.MQES` says so), and points `AQA`, `ASQ` and `ACQ` at it. The controller
    /// stays disabled: see [`AdminPath::enable`].
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

            disable(pdev.as_ref(), || Ok(&bar), cap)?;

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
        wait_ready(&|| Ok(bar), self.cap, true).inspect_err(|e| {
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
    /// The controller stays enabled; dropping the [`AdminPath`] disables it.
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
            CSTS_POLL_INTERVAL,
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
    /// `ENXIO` if the BAR was revoked (see [`AdminPath::bar`]).
    pub(crate) fn commands(&self) -> Result<Admin<'_>> {
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
    /// an [`AdminPath`] exists (its owner is the driver data of the bound device).
    fn bar(&self) -> Result<&Bar0<'_>> {
        self.bar.access(self.pdev.as_ref()).map_err(|_| ENXIO)
    }
}

#[pinned_drop]
impl PinnedDrop for AdminPath<'_> {
    fn drop(self: Pin<&mut Self>) {
        // Stop the controller before the admin queue memory goes (the fields drop after this).
        // A failure is reported by `disable()`; there is nothing more to do about it here.
        if let Ok(bar) = self.bar() {
            if disable(self.pdev.as_ref(), || Ok(bar), self.cap).is_ok() {
                dev_dbg!(self.pdev, "controller disabled\n");
            }
        }
    }
}

/// Longest wait for an admin command's completion.
pub(crate) const ADMIN_TIMEOUT: Delta = Delta::from_secs(10);

/// Sleep between two looks at the admin completion queue.
const ADMIN_POLL_INTERVAL: Delta = Delta::from_micros(20);

/// Most namespaces the driver takes from the active namespace list.
pub(crate) const MAX_NAMESPACES: usize = 4 * NS_LIST_MAX;

/// Most I/O queues a Set Features (Number of Queues) can ask for: the 0's based count is 16
/// bits, and `0xffff` is not allowed.
const MAX_IO_QUEUES: u32 = 0xffff;

/// What the admin queue mutex protects.
///
/// # Invariants
///
/// `data` and `copy` are [`IDENTIFY_SIZE`] bytes long.
struct AdminState {
    /// The admin queue pair (queue identifier 0).
    queue: QueuePair,
    /// The buffer the controller writes command data (Identify) into.
    data: Coherent<[u8]>,
    /// The CPU's copy of `data`, taken once a command completed, for parsing.
    copy: KVec<u8>,
    /// Command identifier of the next command.
    next_cid: u16,
    /// Set when a command did not complete; no command is sent after that.
    stuck: bool,
}

/// The admin queue pair of a controller and the buffer for the data its commands return.
#[pin_data]
pub(crate) struct AdminQueue {
    /// Everything commands touch, held for the whole of each command.
    #[pin]
    state: Mutex<AdminState>,
}

impl AdminQueue {
    /// Returns an initializer of the admin queue of `pdev` around `queue`, the admin queue pair
    /// the controller's `ASQ`/`ACQ` registers point at; it allocates the data buffer.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the data buffer cannot be allocated.
    pub(crate) fn new(
        pdev: &pci::Device<Bound>,
        queue: QueuePair,
    ) -> impl PinInit<Self, Error> + '_ {
        let nomem = |e: &Error| dev_err!(pdev, "cannot allocate the admin data buffer: {:?}\n", e);
        // INVARIANT: both buffers are `IDENTIFY_SIZE` bytes long.
        try_pin_init!(Self {
            state <- new_mutex!(AdminState {
                queue,
                data: Coherent::zeroed_slice(pdev.as_ref(), IDENTIFY_SIZE, GFP_KERNEL)
                    .inspect_err(nomem)?,
                copy: KVec::from_elem(0u8, IDENTIFY_SIZE, GFP_KERNEL)
                    .map_err(Error::from)
                    .inspect_err(nomem)?,
                next_cid: 0,
                stuck: false,
            }),
        })
    }
}

/// Issues admin commands: an [`AdminQueue`] together with the BAR its doorbells are in and the
/// device to report errors against.
#[derive(Clone, Copy)]
pub(crate) struct Admin<'a> {
    /// The admin queue.
    queue: &'a AdminQueue,
    /// The BAR with the controller registers and the admin doorbells.
    bar: &'a Bar0<'a>,
    /// The controller, for messages.
    pdev: &'a pci::Device<Bound>,
}

impl<'a> Admin<'a> {
    /// Returns the command issuer for `queue`, whose doorbells are in `bar`.
    pub(crate) fn new(
        queue: &'a AdminQueue,
        bar: &'a Bar0<'a>,
        pdev: &'a pci::Device<Bound>,
    ) -> Self {
        Self { queue, bar, pdev }
    }

    /// Sends `cmd` and waits for its completion; returns the command specific result (DW0).
    ///
    /// # Errors
    ///
    /// See [`Admin::execute_locked`].
    pub(crate) fn execute(&self, cmd: Command) -> Result<u32> {
        let mut state = self.queue.state.lock();
        self.execute_locked(&mut state, cmd)
    }

    /// Sends `cmd` on the locked admin queue and waits for its completion; returns the command
    /// specific result (DW0).
    ///
    /// # Errors
    ///
    /// - `EIO` if the command completed with an error status, if the controller reported a fatal
    ///   error while the command ran, or if an earlier command never completed.
    /// - `ETIMEDOUT` if the command did not complete within [`ADMIN_TIMEOUT`].
    /// - `ENODEV` if the controller registers read as all ones (it is gone).
    /// - `EBUSY` if the admin submission queue is full.
    fn execute_locked(&self, state: &mut AdminState, mut cmd: Command) -> Result<u32> {
        let opcode = cmd.opcode();
        if state.stuck {
            dev_err!(
                self.pdev,
                "admin command {:#04x} not sent: an earlier command never completed\n",
                opcode
            );
            return Err(EIO);
        }
        let cid = state.next_cid;
        state.next_cid = cid.wrapping_add(1);
        cmd.set_cid(cid);
        state
            .queue
            .submit(self.bar, &cmd)
            .inspect_err(|e| dev_err!(self.pdev, "admin command {:#04x}: {:?}\n", opcode, e))?;

        let (pdev, bar, queue) = (self.pdev, self.bar, &mut state.queue);
        let done = read_poll_timeout(
            || {
                let mut done: Option<Completion> = None;
                queue.reap(bar, |cqe| {
                    if cqe.cid() == cid {
                        done = Some(*cqe);
                    } else {
                        dev_warn!(
                            pdev,
                            "ignoring a completion for admin command id {}\n",
                            cqe.cid()
                        );
                    }
                })?;
                if done.is_none() {
                    // Fail early, not after the timeout, if the controller died.
                    let csts = bar.read(regs::CSTS);
                    if csts.is_all_ones() {
                        return Err(ENODEV);
                    }
                    if csts.cfs() {
                        return Err(EIO);
                    }
                }
                Ok(done)
            },
            Option::is_some,
            ADMIN_POLL_INTERVAL,
            ADMIN_TIMEOUT,
        );
        // `read_poll_timeout` returns only once the completion is there, or with an error.
        let cqe = match done.and_then(|done| done.ok_or(EIO)) {
            Ok(cqe) => cqe,
            Err(e) => {
                // The command may still complete, and write its data, at any later time.
                state.stuck = true;
                if e == ETIMEDOUT {
                    dev_err!(
                        self.pdev,
                        "admin command {:#04x} (id {}) timed out after {} ms\n",
                        opcode,
                        cid,
                        ADMIN_TIMEOUT.as_millis()
                    );
                } else if e == ENODEV {
                    dev_err!(
                        self.pdev,
                        "admin command {:#04x}: the controller stopped answering\n",
                        opcode
                    );
                } else if e == EIO {
                    dev_err!(
                        self.pdev,
                        "admin command {:#04x}: controller fatal status (CSTS.CFS)\n",
                        opcode
                    );
                } else {
                    dev_err!(
                        self.pdev,
                        "admin command {:#04x}: error {:?} while waiting for it\n",
                        opcode,
                        e
                    );
                }
                return Err(e);
            }
        };

        let status = cqe.status();
        if !status.is_success() {
            dev_err!(
                self.pdev,
                "admin command {:#04x} failed: status code type {:#x}, status code {:#04x}{}\n",
                opcode,
                status.code_type(),
                status.code(),
                if status.dnr() { ", do not retry" } else { "" }
            );
            return Err(EIO);
        }
        Ok(cqe.result())
    }

    /// Sends an Identify of data structure `cns` for namespace `nsid` and returns what `parse`
    /// makes of the 4096 bytes the controller returned.
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`], and those of `parse`.
    pub(crate) fn identify<R>(
        &self,
        cns: u8,
        nsid: u32,
        parse: impl FnOnce(&[u8]) -> Result<R>,
    ) -> Result<R> {
        let mut guard = self.queue.state.lock();
        let state = &mut *guard;
        let cmd = Command::identify(cns, nsid, state.data.dma_address());
        self.execute_locked(state, cmd)?;
        // PANIC: both buffers are `IDENTIFY_SIZE` bytes long, by the type invariant.
        state.data.copy_to_slice(&mut state.copy);
        parse(&state.copy)
    }

    /// Enables Advanced Command Retry (Host Behavior Support, ACRE): the controller may then
    /// ask, in a failed command's completion, for a delay before the command is retried.
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`].
    pub(crate) fn enable_retry_delays(&self) -> Result {
        let mut guard = self.queue.state.lock();
        let state = &mut *guard;
        state.copy.fill(0);
        // ACRE, the first byte of the data structure; the rest stays zero.
        if let Some(acre) = state.copy.first_mut() {
            *acre = 1;
        }
        // PANIC: both buffers are `IDENTIFY_SIZE` bytes long, by the type invariant.
        state.data.copy_from_slice(&state.copy);
        let cmd = Command::set_host_behavior(state.data.dma_address());
        self.execute_locked(state, cmd).map(|_| ())
    }

    /// Returns the controller's Identify Controller data.
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`]; `EINVAL` if the data is not usable (see [`IdCtrl::parse`]).
    pub(crate) fn identify_controller(&self) -> Result<IdCtrl> {
        self.identify(CNS_CONTROLLER, 0, |data| {
            IdCtrl::parse(data).inspect_err(|e| {
                dev_err!(
                    self.pdev,
                    "Identify Controller data rejected ({:?}): the controller cannot use 64-byte \
                     submission and 16-byte completion queue entries\n",
                    e
                )
            })
        })
    }

    /// Returns the Identify Namespace data of namespace `nsid`, for [`IdNs::classify`] to judge.
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`].
    pub(crate) fn identify_namespace(&self, nsid: u32) -> Result<IdNs> {
        self.identify(CNS_NAMESPACE, nsid, IdNs::parse)
    }

    /// Returns the controller's limits of the NVM command set: the I/O command set specific
    /// Identify Controller data structure of NVM (CNS 06h, CSI 0).
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`]: a controller older than NVMe 2.0 may not know it.
    pub(crate) fn identify_controller_nvm(&self) -> Result<IdCtrlNvm> {
        self.identify(CNS_CTRL_NVM, 0, IdCtrlNvm::parse)
    }

    /// Returns the command set of namespace `nsid`, from its Namespace Identification
    /// Descriptor list; the NVM command set if the controller does not report it.
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`]: a controller older than NVMe 1.3 may not know the list.
    pub(crate) fn namespace_command_set(&self, nsid: u32) -> Result<u8> {
        self.identify(CNS_NS_DESCRIPTORS, nsid, identify::command_set)
    }

    /// Returns the active namespace IDs, in increasing order, at most [`MAX_NAMESPACES`].
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`]; `EINVAL` if a list is malformed (see [`ActiveNsList::parse`])
    /// or does not continue where the previous one ended; `ENOMEM`.
    pub(crate) fn active_namespaces(&self) -> Result<KVec<u32>> {
        let mut ids = KVec::new();
        let mut after = 0;
        loop {
            let next = self.identify(CNS_ACTIVE_NS_LIST, after, |data| {
                let list = ActiveNsList::parse(data).inspect_err(|e| {
                    dev_err!(self.pdev, "active namespace list rejected: {:?}\n", e)
                })?;
                if list.iter().next().is_some_and(|first| first <= after) {
                    dev_err!(
                        self.pdev,
                        "active namespace list after {} starts at or below it\n",
                        after
                    );
                    return Err(EINVAL);
                }
                for nsid in list.iter() {
                    ids.push(nsid, GFP_KERNEL).inspect_err(|e| {
                        dev_err!(self.pdev, "cannot store namespace IDs: {:?}\n", e)
                    })?;
                }
                // A full list may be followed by more.
                Ok(if list.is_full() { list.last() } else { None })
            })?;
            match next {
                Some(last) if ids.len() < MAX_NAMESPACES => after = last,
                Some(_) => {
                    dev_warn!(
                        self.pdev,
                        "more than {} active namespaces: ignoring the others\n",
                        MAX_NAMESPACES
                    );
                    ids.truncate(MAX_NAMESPACES);
                    return Ok(ids);
                }
                None => return Ok(ids),
            }
        }
    }

    /// Asks for `wanted` I/O submission and completion queues with Set Features (Number of
    /// Queues) and returns how many of each the controller allocated: `(submission,
    /// completion)`, which may be more or fewer than asked for.
    ///
    /// `wanted` is clamped to `1..=65535`.
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`].
    pub(crate) fn set_num_queues(&self, wanted: u32) -> Result<(u32, u32)> {
        // CAST: clamped to `0..=0xfffe`.
        let zero_based = (wanted.clamp(1, MAX_IO_QUEUES) - 1) as u16;
        let result = self.execute(Command::set_num_queues(zero_based, zero_based))?;
        Ok(num_queues_allocated(result))
    }

    /// Creates the completion queue of `queue` on the controller, signalling MSI-X vector
    /// `vector` if one is given, otherwise polled.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `queue` is the admin queue pair; those of [`Admin::execute`].
    pub(crate) fn create_cq(&self, queue: &QueuePair, vector: Option<u16>) -> Result {
        let cmd = Command::create_cq(
            queue.qid(),
            queue.depth(),
            queue.cq_dma(),
            vector.unwrap_or(0),
            vector.is_some(),
        )?;
        self.execute(cmd).map(|_| ())
    }

    /// Creates the submission queue of `queue` on the controller, completing into the
    /// completion queue of the same identifier (create that first).
    ///
    /// # Errors
    ///
    /// `EINVAL` if `queue` is the admin queue pair; those of [`Admin::execute`].
    pub(crate) fn create_sq(&self, queue: &QueuePair) -> Result {
        let cmd = Command::create_sq(queue.qid(), queue.depth(), queue.sq_dma(), queue.qid())?;
        self.execute(cmd).map(|_| ())
    }

    /// Deletes I/O submission queue `qid` (before its completion queue).
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`].
    pub(crate) fn delete_sq(&self, qid: u16) -> Result {
        self.execute(Command::delete_sq(qid)).map(|_| ())
    }

    /// Deletes I/O completion queue `qid` (after the submission queues completing into it).
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`].
    pub(crate) fn delete_cq(&self, qid: u16) -> Result {
        self.execute(Command::delete_cq(qid)).map(|_| ())
    }
}
