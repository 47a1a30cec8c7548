// SPDX-License-Identifier: GPL-2.0

//! The I/O path: I/O queue pairs, their interrupts, polling, timeouts and the blk-mq operations.
//!
//! A request travels `queue_rq` → submission queue slot → tail doorbell (once per batch) →
//! controller → completion queue entry → MSI-X interrupt ([`QueueIrq::handle`]) or poller
//! ([`IoOps::poll`]) → [`TagSet::tag_to_rq`] → unmap → end of the request, in a completion
//! batch per pass ([`IoCompBatch`]).
//!
//! Each I/O queue pair is one blk-mq hardware queue, whose driver data is the [`IoQueue`]:
//! hardware queue `i` is queue pair `i + 1`. The first `irq_queues` complete by interrupt, on
//! MSI-X vector `i + 1` (vector 0 belongs to the admin queue, which is polled); the others are
//! poll queues, created without an interrupt and served by blk-mq's poll map. The command
//! identifier of a request is its tag.
//!
//! Each queue has two locks, one per half of its queue pair. Completions are processed under
//! the completion lock, by one of the interrupt handler, the poller, the timeout handler and
//! [`IoState::fail`], so that exactly one of them ends each request. Commands are queued under
//! the submission lock, which interrupt handlers never take, so it leaves interrupts on. The
//! two are never held together.

use kernel::{
    block::mq::{
        HctxType,
        IoCompBatch,
        Op,
        Operations,
        QueueMaps,
        Request,
        RequestSg,
        TagSet,
        TimeoutAction, //
    },
    device::{
        self,
        Bound, //
    },
    dma::Coherent,
    io::{
        io_write,
        Io, //
    },
    irq::{
        self,
        IrqReturn, //
    },
    new_spinlock,
    new_spinlock_irq,
    pci::{
        self,
        DevresBar, //
    },
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        ArcBorrow,
        SpinLock,
        SpinLockIrq, //
    }, //
};

use crate::{
    admin::Admin,
    cmd::{
        Command,
        Status, //
    },
    ctrl,
    dbbuf::DbBuf,
    prp::{
        self,
        ListPage,
        Segment, //
    },
    queue::{
        CompQueue,
        QueuePair,
        SubQueue, //
    },
    regs::{
        self,
        PageSize,
        CAP, //
    },
    Bar0, //
};

/// Most data segments of one request: the disks' `max_segments`.
pub(crate) const MAX_SEGMENTS: usize = 128;

/// Slots of each I/O queue; one stays empty to tell a full queue from an empty one, so
/// the tag set has one tag less.
pub(crate) const IO_QUEUE_DEPTH: u32 = 128;

/// Tags of each hardware queue.
pub(crate) const IO_TAGS: u32 = IO_QUEUE_DEPTH - 1;

/// PRP entries in one list page of the controller's memory page size (4 KiB).
const LIST_ENTRIES: usize = 512;

/// Per-request driver data.
pub(crate) struct RqData {
    /// The scatter-gather space the request's data is mapped through.
    sg: RequestSg<MAX_SEGMENTS>,
    /// Set when the request timed out once; cleared when it is queued.
    expired: Atomic<bool>,
}

/// How the hardware queues are split between interrupts and polling: the driver data of the
/// tag set.
pub(crate) struct QueueLayout {
    /// The PCI function, whose MSI-X vector affinities give the CPUs of each queue.
    pub(crate) dev: ARef<device::Device>,
    /// Hardware queues completed by interrupts: `0..irq_queues`.
    pub(crate) irq_queues: u32,
    /// Hardware queues completed by polling: `irq_queues..irq_queues + poll_queues`.
    pub(crate) poll_queues: u32,
}

impl QueueLayout {
    /// Returns the number of maps of the tag set: the poll map only if there are poll queues.
    pub(crate) fn nr_maps(&self) -> u32 {
        if self.poll_queues > 0 {
            3
        } else {
            1
        }
    }
}

/// What every I/O queue of a controller shares.
pub(crate) struct IoState {
    /// Controller registers; a guard proves the device is still bound.
    bar: Arc<DevresBar<{ regs::BAR0_SIZE }>>,
    /// The tag set of every disk of the controller.
    tagset: Arc<TagSet<IoOps>>,
    /// Controller capabilities, for the timeout of a disable.
    cap: CAP,
    /// The controller memory page size.
    page: PageSize,
    /// Instance number, for messages.
    instance: u32,
    /// The shadow doorbell buffers, if the controller reads them.
    _dbbuf: Option<Arc<DbBuf>>,
    /// Set once the controller was disabled after a failure: no command is queued any more.
    dead: Atomic<bool>,
}

/// Submission side of an I/O queue, under its lock.
struct SqSide {
    /// The submission queue.
    sq: SubQueue,
    /// Where PRP lists are built before they are copied to the tag's list page.
    scratch: KVec<u64>,
    /// The DMA segments of the request being submitted (per queue rather than on the stack:
    /// filling it needs no initialization per I/O).
    segs: KVec<Segment>,
}

/// One I/O queue pair: the driver data of one blk-mq hardware queue.
#[pin_data]
pub(crate) struct IoQueue {
    /// Its index: hardware queue `index`, queue identifier `index + 1`.
    index: u32,
    /// What the queues share.
    state: Arc<IoState>,
    /// The completion queue. Taken with interrupts off: the interrupt handler takes it.
    #[pin]
    cq: SpinLockIrq<CompQueue>,
    /// The submission queue and its PRP scratch.
    #[pin]
    sq: SpinLock<SqSide>,
    /// The submission queue head the controller reported last, from the completion side to
    /// the submission side.
    sq_head: Atomic<u32>,
    /// One PRP list page per tag.
    lists: Coherent<[u64]>,
}

/// The I/O queues of a controller, shared by its disks and its interrupt handlers.
pub(crate) struct IoQueues {
    /// What the queues share.
    state: Arc<IoState>,
    /// The queue pairs, by hardware queue index: interrupt queues first, then poll queues.
    queues: KVec<Arc<IoQueue>>,
}

/// One namespace's view of the I/O queues: the queue data of its disk.
pub(crate) struct NsQueue {
    /// Namespace identifier.
    pub(crate) nsid: u32,
    /// log2 of the logical block size.
    pub(crate) lba_shift: u32,
    /// The controller's I/O queues.
    pub(crate) io: Arc<IoQueues>,
}

impl IoQueues {
    /// Allocates the I/O queue pairs of `layout` and creates them on the controller:
    /// completion queue `i + 1` on MSI-X vector `i + 1` for the interrupt queues, without an
    /// interrupt for the poll queues. With `dbbuf` (already handed to the controller), the
    /// queues use shadow doorbells.
    ///
    /// # Errors
    ///
    /// `ENOMEM`, or those of the Create I/O Completion/Submission Queue commands. The queues
    /// created before a failure stay on the controller, which is disabled when probe fails.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn create(
        pdev: &pci::Device<Bound>,
        admin: Admin<'_>,
        bar: Arc<DevresBar<{ regs::BAR0_SIZE }>>,
        tagset: Arc<TagSet<IoOps>>,
        layout: (u32, u32),
        cap: CAP,
        page: PageSize,
        instance: u32,
        dbbuf: Option<Arc<DbBuf>>,
    ) -> Result<Arc<Self>> {
        let (irq_queues, poll_queues) = layout;
        let state = Arc::new(
            IoState {
                bar,
                tagset,
                cap,
                page,
                instance,
                _dbbuf: dbbuf.clone(),
                dead: Atomic::new(false),
            },
            GFP_KERNEL,
        )?;
        let regs = state.bar.access(pdev.as_ref())?;
        let count = irq_queues + poll_queues;
        let mut queues = KVec::with_capacity(usize::try_from(count)?, GFP_KERNEL)?;
        for index in 0..count {
            // CAST: `count` is at most the number of queues the controller granted, below
            // `u16::MAX`.
            let qid = (index + 1) as u16;
            let polled = index >= irq_queues;
            let mut qp = QueuePair::new(
                pdev.as_ref(),
                regs,
                qid,
                IO_QUEUE_DEPTH,
                cap.doorbell_stride(),
            )?;
            if let Some(buf) = &dbbuf {
                qp.set_shadow(buf)?;
            }
            admin
                .create_cq(&qp, if polled { None } else { Some(qid) })
                .and_then(|()| admin.create_sq(&qp))
                .inspect_err(|e| dev_err!(pdev, "cannot create I/O queue {}: {:?}\n", qid, e))?;
            let shared = state.clone();
            let (sq, cq) = qp.into_halves();
            let queue = Arc::pin_init(
                try_pin_init!(IoQueue {
                    index,
                    state: shared,
                    cq <- new_spinlock_irq!(cq),
                    sq <- new_spinlock!(SqSide {
                        sq,
                        scratch: KVec::from_elem(0u64, LIST_ENTRIES, GFP_KERNEL)?,
                        segs: KVec::from_elem(Segment { addr: 0, len: 0 }, MAX_SEGMENTS, GFP_KERNEL)?,
                    }),
                    sq_head: Atomic::new(0),
                    lists: Coherent::zeroed_slice(
                        pdev.as_ref(),
                        IO_QUEUE_DEPTH as usize * LIST_ENTRIES,
                        GFP_KERNEL
                    )?,
                }),
                GFP_KERNEL,
            )?;
            queues.push(queue, GFP_KERNEL)?;
        }
        Ok(Arc::new(Self { state, queues }, GFP_KERNEL)?)
    }

    /// Deletes the I/O queues from the controller: submission queues first, then the
    /// completion queues. Failures are reported and skipped: the controller is shut down and
    /// disabled next anyway.
    pub(crate) fn delete(&self, pdev: &pci::Device<Bound>, admin: Admin<'_>) {
        for q in self.queues.iter() {
            let qid = q.qid();
            if let Err(e) = admin.delete_sq(qid).and_then(|()| admin.delete_cq(qid)) {
                dev_err!(pdev, "cannot delete I/O queue {}: {:?}\n", qid, e);
            }
        }
    }

    /// Returns the number of I/O queue pairs.
    pub(crate) fn len(&self) -> usize {
        self.queues.len()
    }

    /// Returns the controller memory page size.
    pub(crate) fn page_size(&self) -> PageSize {
        self.state.page
    }

    /// Returns the tag set of the controller's disks.
    pub(crate) fn tagset(&self) -> Arc<TagSet<IoOps>> {
        self.state.tagset.clone()
    }

    /// Returns whether the controller was disabled after a failure.
    pub(crate) fn is_dead(&self) -> bool {
        self.state.dead.load(Relaxed)
    }
}

impl IoState {
    /// Gives up on the controller after a failure: disables it, so that it no longer touches
    /// host memory, and fails every request it still holds with `EIO`. Later requests fail at
    /// once. Does nothing if that was done already.
    ///
    /// The caller holds no guard of the BAR: waiting for the controller sleeps.
    fn fail(&self, queues: &[Arc<IoQueue>]) {
        if self.dead.xchg(true, Relaxed) {
            return;
        }
        let disabled = ctrl::disable_unguarded(&self.bar, self.cap);
        // Revoked: the device is unbound, its disks and their requests are gone.
        let Some(bar) = self.bar.try_access() else {
            return;
        };
        if let Err(e) = disabled {
            dev_err!(
                bar.device(),
                "rnvme{}: cannot disable the controller: {:?}\n",
                self.instance,
                e
            );
        }
        for q in queues {
            q.cancel(&bar);
        }
    }
}

impl IoQueue {
    /// Returns the queue identifier.
    fn qid(&self) -> u16 {
        // CAST: see `IoQueues::create`.
        (self.index + 1) as u16
    }

    /// Builds the PRP entries of a request's DMA segments; a PRP list goes to the list page
    /// of tag `tag`. Returns PRP1 and PRP2.
    fn prps(&self, side: &mut SqSide, n: usize, page: PageSize, tag: u32) -> Result<(u64, u64)> {
        let SqSide { scratch, segs, .. } = side;
        let segs = segs.get(..n).ok_or(EINVAL)?;
        let tag = usize::try_from(tag)?;
        if tag >= IO_QUEUE_DEPTH as usize {
            return Err(EINVAL);
        }
        let first = tag * LIST_ENTRIES;
        // CAST: `first` is below the size of `lists`, whose bus addresses are 64 bits.
        let dma = self.lists.dma_address() + (first * size_of::<u64>()) as u64;
        let mut lists = [ListPage {
            dma,
            entries: &mut scratch[..],
        }];
        let prp = prp::build(segs, page, &mut lists)?;
        if prp.list_pages > 0 {
            // The entries after PRP1, all in the one list page.
            for (i, entry) in scratch.iter().take(prp.entries - 1).enumerate() {
                io_write!(self.lists, [try: first + i], *entry);
            }
        }
        Ok((prp.prp1, prp.prp2))
    }

    /// Ends the request of completion `(cid, status)`, in `batch` if there is one and it
    /// completed without error. Called with the completion lock held.
    fn end(
        &self,
        bar: &Bar0<'_>,
        (cid, status): (u16, Status),
        batch: &mut Option<&mut IoCompBatch<'_, IoOps>>,
    ) {
        let Some(rq) = self.state.tagset.tag_to_rq(self.index, u32::from(cid)) else {
            // A completion for a command we do not own: a confused controller.
            dev_warn!(
                bar.device(),
                "rnvme{}: queue {}: completion for unknown command {}\n",
                self.state.instance,
                self.qid(),
                cid
            );
            return;
        };
        if rq.should_fake_timeout() {
            // Fault injection: forget the completion; the request times out.
            return;
        }
        if rq.data().sg.is_mapped() {
            // Cannot fail: mapped in `queue_rq` for this device.
            let _ = rq.data().sg.unmap(bar.device().as_ref());
        }
        let ended = match (status.blk_status().to_result(), batch) {
            (Ok(()), Some(batch)) => batch.end_ok(rq),
            (Ok(()), None) => Request::end_ok(rq),
            (Err(e), _) => Request::end_err(rq, e),
        };
        if ended.is_err() {
            dev_err!(
                bar.device(),
                "rnvme{}: queue {}: cannot end command {}\n",
                self.state.instance,
                self.qid(),
                cid
            );
        }
    }

    /// Consumes the new completions of the queue and ends their requests. Returns how many
    /// there were.
    fn process_completions(
        &self,
        bar: &Bar0<'_>,
        mut batch: Option<&mut IoCompBatch<'_, IoOps>>,
    ) -> Result<u32> {
        let mut cq = self.cq.lock();
        let mut sq_head = None;
        let reaped = cq.reap(bar, |cqe| {
            sq_head = Some(cqe.sq_head());
            self.end(bar, (cqe.cid(), cqe.status()), &mut batch);
        });
        if let Some(head) = sq_head {
            self.sq_head.store(u32::from(head), Relaxed);
        }
        reaped
    }

    /// Ends, with `EIO`, every request the driver still owns on this queue, after ending
    /// those the controller completed. The controller must be disabled.
    fn cancel(&self, bar: &Bar0<'_>) {
        // Requests submitted before this point are in the ring and owned by the driver alone;
        // later ones see `dead` under the submission lock and are refused.
        drop(self.sq.lock());
        let _ = self.process_completions(bar, None);
        let _cq = self.cq.lock();
        let dev: &device::Device<Bound> = bar.device().as_ref();
        let mut failed = 0;
        for tag in 0..IO_TAGS {
            let Some(rq) = self.state.tagset.tag_to_rq(self.index, tag) else {
                continue;
            };
            if rq.data().sg.is_mapped() {
                // Cannot fail: mapped in `queue_rq` for this device.
                let _ = rq.data().sg.unmap(dev);
            }
            // Fails only for a request still in `queue_rq`, which then refuses it.
            if Request::end_err(rq, EIO).is_ok() {
                failed += 1;
            }
        }
        if failed > 0 {
            dev_err!(
                dev,
                "rnvme{}: queue {}: {} commands failed\n",
                self.state.instance,
                self.qid(),
                failed
            );
        }
    }
}

/// The blk-mq operations of rnvme's disks.
pub(crate) struct IoOps;

/// Maps the request's data and builds its Read or Write command.
fn rw_command(
    ns: &NsQueue,
    q: &IoQueue,
    side: &mut SqSide,
    rq: &Request<IoOps>,
    dev: &device::Device<Bound>,
) -> Result<Command> {
    let bytes = rq.bytes();
    if bytes == 0 || bytes & ((1 << ns.lba_shift) - 1) != 0 {
        return Err(EINVAL);
    }
    let nlb = u16::try_from((bytes >> ns.lba_shift) - 1)?;
    let slba = rq.sector() >> (ns.lba_shift - 9);

    let segs = &mut side.segs;
    let mut n = 0;
    rq.dma_map(&rq.data().sg, dev, |addr, len| {
        let seg = segs.get_mut(n).ok_or(E2BIG)?;
        *seg = Segment { addr, len };
        n += 1;
        Ok(())
    })?;
    let (prp1, prp2) = match q.prps(side, n, q.state.page, rq.tag()) {
        Ok(prps) => prps,
        Err(e) => {
            // Cannot fail: mapped just above for this device.
            let _ = rq.data().sg.unmap(dev);
            return Err(e);
        }
    };
    Ok(if rq.op() == Op::Read {
        Command::read(ns.nsid, slba, nlb, prp1, prp2, rq.is_fua())
    } else {
        Command::write(ns.nsid, slba, nlb, prp1, prp2, rq.is_fua())
    })
}

#[vtable]
impl Operations for IoOps {
    type QueueData = Arc<NsQueue>;
    type RequestData = RqData;
    type TagSetData = KBox<QueueLayout>;
    type HwData = Arc<IoQueue>;

    fn init_request_data() -> impl PinInit<RqData, Error> {
        Ok(RqData {
            sg: RequestSg::new(),
            expired: Atomic::new(false),
        })
    }

    fn init_hctx(
        _layout: &QueueLayout,
        ns: ArcBorrow<'_, NsQueue>,
        hctx_idx: u32,
    ) -> Result<Arc<IoQueue>> {
        ns.io
            .queues
            .get(usize::try_from(hctx_idx)?)
            .cloned()
            .ok_or(EINVAL)
    }

    fn queue_rq(
        q: ArcBorrow<'_, IoQueue>,
        ns: ArcBorrow<'_, NsQueue>,
        rq: ARef<Request<Self>>,
        is_last: bool,
    ) -> Result {
        let bar = q.state.bar.try_access().ok_or(ENODEV)?;
        let dev: &device::Device<Bound> = bar.device().as_ref();

        let mut side = q.sq.lock();
        if q.state.dead.load(Relaxed) {
            return Err(EIO);
        }
        rq.data().expired.store(false, Relaxed);
        let mut cmd = match rq.op() {
            Op::Flush => Command::flush(ns.nsid),
            Op::Read | Op::Write => rw_command(&ns, &q, &mut side, &rq, dev)?,
            _ => return Err(EOPNOTSUPP),
        };
        // CAST: tags are below the queue depth, which fits in 16 bits.
        cmd.set_cid(rq.tag() as u16);
        // CAST: the controller reports 16-bit heads.
        if let Err(e) = side.sq.push(&cmd, q.sq_head.load(Relaxed) as u16) {
            if rq.data().sg.is_mapped() {
                // Cannot fail: mapped above for this device.
                let _ = rq.data().sg.unmap(dev);
            }
            return Err(e);
        }
        // Give up our reference before any doorbell can send the command, ours or that of
        // another CPU submitting to this queue after us (both under the queue lock): the
        // completion handler must find the request with no reference left but the in-flight
        // one, or it cannot end it.
        drop(rq);
        if is_last {
            side.sq.ring(&bar)?;
        }
        Ok(())
    }

    fn commit_rqs(q: ArcBorrow<'_, IoQueue>, _ns: ArcBorrow<'_, NsQueue>) {
        let Some(bar) = q.state.bar.try_access() else {
            return;
        };
        // A failed doorbell write means the device is gone; requests then time out.
        let _ = q.sq.lock().sq.ring(&bar);
    }

    fn complete(rq: ARef<Request<Self>>) {
        // rnvme ends its requests in the interrupt handler and never schedules completion.
        let _ = Request::end_ok(rq);
    }

    fn poll(q: ArcBorrow<'_, IoQueue>, batch: &mut IoCompBatch<'_, Self>) -> bool {
        let Some(bar) = q.state.bar.try_access() else {
            return false;
        };
        matches!(q.process_completions(&bar, Some(batch)), Ok(n) if n > 0)
    }

    fn map_queues(layout: &QueueLayout, maps: &mut QueueMaps<'_>) {
        if let Some(mut map) = maps.map(HctxType::Default) {
            // Cannot fail: the tag set has `irq_queues + poll_queues` hardware queues.
            let _ = map.set_queues(0, layout.irq_queues);
            // Vector 0 is the admin queue's.
            map.spread_by_irq_affinity(&layout.dev, 1);
        }
        if let Some(mut map) = maps.map(HctxType::Read) {
            // No queues of its own: reads go to the default map. (blk-mq starts every map with
            // all hardware queues.)
            let _ = map.set_queues(0, 0);
        }
        if let Some(mut map) = maps.map(HctxType::Poll) {
            let _ = map.set_queues(layout.irq_queues, layout.poll_queues);
            map.spread();
        }
    }

    /// A request did not complete in time. First look for a completion whose interrupt was
    /// lost; then give the request a second period; if it expires again, or the controller
    /// reports a fatal status or no longer answers, disable the controller and fail every
    /// request it holds (abort and controller reset are not implemented).
    fn timeout(
        q: ArcBorrow<'_, IoQueue>,
        ns: ArcBorrow<'_, NsQueue>,
        rq: &Request<Self>,
    ) -> TimeoutAction {
        let Some(bar) = q.state.bar.try_access() else {
            return TimeoutAction::ResetTimer;
        };
        let state = &q.state;
        let dev = bar.device();
        let tag = rq.tag();
        let _ = q.process_completions(&bar, None);
        if state.tagset.tag_to_rq(q.index, tag).is_none() {
            dev_warn!(
                dev,
                "rnvme{}: queue {}: command {} completed without an interrupt\n",
                state.instance,
                q.qid(),
                tag
            );
            return TimeoutAction::Done;
        }
        if state.dead.load(Relaxed) {
            // Another timeout gave up on the controller, which fails this request too.
            return TimeoutAction::Done;
        }
        let csts = bar.read(regs::CSTS);
        let broken = csts.is_all_ones() || csts.cfs();
        if !broken && !rq.data().expired.xchg(true, Relaxed) {
            dev_warn!(
                dev,
                "rnvme{}: queue {}: command {} timed out; waiting one more period\n",
                state.instance,
                q.qid(),
                tag
            );
            return TimeoutAction::ResetTimer;
        }
        dev_err!(
            dev,
            "rnvme{}: queue {}: command {} timed out (CSTS {:#x}): disabling the controller\n",
            state.instance,
            q.qid(),
            tag,
            csts.into_raw()
        );
        // The guard is an RCU read-side section, and disabling the controller sleeps.
        drop(bar);
        state.fail(&ns.io.queues);
        TimeoutAction::Done
    }
}

/// The interrupt handler of one MSI-X vector.
pub(crate) struct QueueIrq {
    /// The I/O queues.
    io: Arc<IoQueues>,
    /// The vector: 0 is the admin queue's, `i + 1` is I/O queue `i`'s.
    vector: usize,
}

impl QueueIrq {
    /// Returns the handler of MSI-X vector `vector`.
    pub(crate) fn new(io: Arc<IoQueues>, vector: usize) -> Self {
        Self { io, vector }
    }
}

impl irq::Handler for QueueIrq {
    fn handle(&self) -> IrqReturn {
        // The admin queue is polled; its completions may still raise vector 0.
        let Some(q) = self
            .vector
            .checked_sub(1)
            .and_then(|i| self.io.queues.get(i))
        else {
            return IrqReturn::Handled;
        };
        let Some(bar) = q.state.bar.try_access() else {
            return IrqReturn::None;
        };
        // End the requests of this pass together, as the poller does.
        match IoCompBatch::run(|batch| q.process_completions(&bar, Some(batch))) {
            Ok(0) | Err(_) => IrqReturn::None,
            Ok(_) => IrqReturn::Handled,
        }
    }
}
