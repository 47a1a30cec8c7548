// SPDX-License-Identifier: GPL-2.0

//! The I/O path: the I/O queues and the blk-mq operations of the controller's disks, in the
//! order one request takes them.
//!
//! 1. [`IoOps::queue_rq`] builds the request's command: [`rw_command`] maps its data and
//!    [`IoQueue::prps`] describes it with PRP entries (the PRP arithmetic is
//!    [`crate::nvme::prp`]).
//! 2. [`SubQueue::push`] copies the command into the next submission queue slot, and
//!    [`SubQueue::ring_doorbell`] tells the controller, once per batch: through the shadow
//!    doorbell ([`Shadow::update`]) if the controller reads one, through the doorbell register
//!    if it asks for that.
//! 3. The controller posts a completion queue entry and raises the queue's MSI-X vector
//!    ([`QueueIrq::handle`]), or blk-mq's poller calls [`IoOps::poll`].
//! 4. [`IoQueue::process_completions`] consumes the new entries ([`CompQueue::reap`]) and
//!    [`IoQueue::end`] takes each request back from the queue's in-flight table, unmaps and
//!    ends it, in a completion batch per pass.
//!
//! Timeouts, giving up on a failed controller and deleting the queues are in [`recovery`].
//! Setting the queues up comes last: [`IoPath::create`], [`QueuePair`], [`DbBuf`].
//!
//! Each I/O queue pair is one blk-mq hardware queue, whose driver data is the [`IoQueue`]:
//! hardware queue `i` is queue pair `i + 1`. The first `irq_queues` complete by interrupt, on
//! vector `i + 1` (vector 0 belongs to the admin queue, which is polled), or all on vector 0
//! when the controller got only one vector, which then serves one interrupt queue; the others
//! are poll queues, created without an interrupt and served by blk-mq's poll map.
//!
//! A request whose data spans more than two memory pages needs a PRP list: `queue_rq` takes a
//! list page from the controller's DMA pool, and the request keeps it in its owner's data
//! ([`RqOwner`]) until it ends.
//!
//! A request's owner travels with it: `queue_rq` receives it, maps its data, and moves it into
//! the queue's [`InFlight`] table, which returns the command identifier (the tag and a
//! generation). The completion path takes it back by that identifier, so a stale, bogus or
//! duplicate identifier from the controller finds nothing and ends nothing.
//!
//! Each queue has two locks, one per half of its queue pair. Completions are processed under
//! the completion lock, which also holds the table's [`InFlightTaker`]: the interrupt handler,
//! the poller, the timeout handler and [`IoState::fail`] take requests back only under it.
//! Commands are queued under the submission lock, which interrupt handlers never take, so it
//! leaves interrupts on. The two are never held together, except to take back a request that
//! could not be queued.
//!
//! The queue slots are stored as plain arrays ([`SqEntry`], [`CqEntry`]) because [`Coherent`]
//! needs the kernel's `AsBytes`/`FromBytes`, which only the kernel crate may implement (they
//! are unchecked promises); [`Command::to_entry`] and [`Completion::from_entry`] convert
//! safely. Who writes what: the driver writes submission slots and PRP lists, the controller
//! writes completion slots; shadow doorbells are written by the driver, event indices by the
//! controller.

use kernel::{
    block::mq::{
        DmaSegments,
        ExpiredRequest,
        HctxType,
        InFlight,
        InFlightTaker,
        IoCompBatch,
        MappedRequest,
        Op,
        Operations,
        OwnedRequest,
        QueueMaps,
        Request,
        Stale,
        TagSet,
        TimeoutAction, //
    },
    device::{
        self,
        Bound, //
    },
    dma::{
        pool::{
            DmaPool,
            PoolBlock, //
        },
        Coherent,
        DmaAddress, //
    },
    io::{
        io_project,
        io_read,
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
        barrier::{
            dma_mb,
            mb,
            Full,
            Read,
            Write, //
        },
        Arc,
        ArcBorrow,
        SpinLock,
        SpinLockIrq, //
    }, //
    time::{
        Delta,
        Instant,
        Monotonic, //
    },
};

use crate::{
    admin::AdminPath,
    driver::Bar0,
    nvme::{
        cmd::{
            dsm_range,
            Command,
            Completion,
            CqEntry,
            Disposition,
            SqEntry,
            Status,
            CQE_STATUS_DWORD, //
        },
        prp::{
            self,
            ListPage,
            Segment, //
        },
        regs::{
            self,
            PageSize,
            CAP, //
        },
        ring::{
            need_event,
            CqHead,
            SqTail, //
        }, //
    }, //
    params,
};

#[cfg(CONFIG_RNVME_COMPLETION_INJECT)]
pub(crate) mod inject;
mod recovery;

/// Most data segments of one request: the disks' `max_segments`. The largest request is that
/// many memory pages.
pub(crate) const MAX_SEGMENTS: usize = 128;

/// PRP entries in one list page of the controller's memory page size (4 KiB).
const LIST_ENTRIES: usize = 512;

/// Size of a PRP list page, in bytes: the blocks of the controller's DMA pool.
const LIST_BYTES: usize = LIST_ENTRIES * size_of::<u64>();

// The largest request, `MAX_SEGMENTS` pages starting anywhere in a page, fits in one PRP list
// page.
const _: () = assert!(
    prp::list_pages_needed(
        MAX_SEGMENTS * PageSize::SZ_4K.bytes(),
        4092,
        PageSize::SZ_4K
    ) <= 1
);

/// Per-request driver data.
pub(crate) struct RqData {
    /// Set when the request timed out once; cleared when it is queued.
    expired: Atomic<bool>,
}

/// Per-request driver data that only the request's owner reaches.
#[derive(Default)]
pub(crate) struct RqOwner {
    /// The page the controller reads besides the data of the request in flight, if it needs
    /// one: its PRP list, or the ranges of a discard; freed when the request is taken back from
    /// the controller ([`release`]).
    list_page: Option<PoolBlock>,
    /// How often the request was retried after an error; reset when it ends.
    retries: u8,
}

/// How the hardware queues are split between interrupts and polling: the driver data of the
/// tag set.
#[derive(Clone)]
pub(crate) struct QueueLayout {
    /// The PCI function, whose MSI-X vector affinities give the CPUs of each queue.
    pub(crate) dev: ARef<device::Device>,
    /// Hardware queues completed by interrupts: `0..irq_queues`.
    pub(crate) irq_queues: u32,
    /// Hardware queues completed by polling: `irq_queues..irq_queues + poll_queues`.
    pub(crate) poll_queues: u32,
    /// Whether the one interrupt queue shares vector 0 with the admin queue, the only vector.
    pub(crate) shared_vector: bool,
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
    /// The PCI function, for messages where no guard of the BAR is held.
    dev: ARef<device::Device>,
    /// The tag set of every disk of the controller.
    tagset: Arc<TagSet<IoOps>>,
    /// Controller capabilities, for the timeout of a disable.
    cap: CAP,
    /// The controller memory page size.
    page: PageSize,
    /// The shadow doorbell buffers, if the controller reads them.
    _dbbuf: Option<Arc<DbBuf>>,
    /// The list pages of the requests that need one: PRP lists, discard ranges.
    list_pages: Arc<DmaPool>,
    /// The controller's Command Retry Delay Times (Identify Controller), for the retries
    /// whose completion asks for a delay.
    crdt: [u16; 3],
    /// Set once the controller was disabled after a failure: no command is queued any more.
    dead: Atomic<bool>,
}

/// The completion half of an I/O queue, under its lock.
pub(crate) struct CompletionSide {
    /// The completion queue.
    cq: CompQueue,
    /// Takes requests back from the queue's in-flight table.
    taker: InFlightTaker<IoOps>,
    /// Limits the warnings about completions that name no request in flight.
    stale: StaleLog,
}

/// The submission half of an I/O queue, under its lock.
struct Submission {
    /// The submission queue.
    sq: SubQueue,
    /// Where PRP lists and discard ranges are built before they are copied to a list page of
    /// the pool.
    prp_scratch: KVec<u64>,
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
    /// The requests the controller works on, by command identifier.
    inflight: Arc<InFlight<IoOps>>,
    /// The completion queue and the taker of `inflight`. Taken with interrupts off: the
    /// interrupt handler takes it.
    #[pin]
    completion: SpinLockIrq<CompletionSide>,
    /// The submission queue and its PRP scratch.
    #[pin]
    submission: SpinLock<Submission>,
    /// The submission queue head the controller reported last, from the completion side to
    /// the submission side.
    sq_head: Atomic<u32>,
}

/// The I/O path of a controller: its I/O queues, shared by its disks and its interrupt
/// handlers.
pub(crate) struct IoPath {
    /// What the queues share.
    state: Arc<IoState>,
    /// The queue pairs, by hardware queue index: interrupt queues first, then poll queues.
    queues: KVec<Arc<IoQueue>>,
    /// Whether the one interrupt queue shares vector 0 with the admin queue.
    shared_vector: bool,
}

/// A namespace served through the I/O path: the queue data of its disk.
pub(crate) struct Namespace {
    /// Namespace identifier.
    pub(crate) nsid: u32,
    /// log2 of the logical block size.
    pub(crate) lba_shift: u32,
    /// Whether a write zeroes may deallocate the blocks (they then read as zeroes).
    pub(crate) deallocate_zeroes: bool,
    /// Most ranges of one discard: the disk's `max_discard_segments`.
    pub(crate) discard_segments: u16,
    /// The controller's I/O path.
    pub(crate) io: Arc<IoPath>,
}

/// The blk-mq operations of rnvme's disks.
pub(crate) struct IoOps;

#[vtable]
impl Operations for IoOps {
    type QueueData = Arc<Namespace>;
    type RequestData = RqData;
    type OwnerData = RqOwner;
    type Dma = DmaSegments<MAX_SEGMENTS>;
    type TagSetData = KBox<QueueLayout>;
    type HwData = Arc<IoQueue>;

    fn init_request_data() -> impl PinInit<RqData, Error> {
        Ok(RqData {
            expired: Atomic::new(false),
        })
    }

    fn init_hctx(
        _layout: &QueueLayout,
        ns: ArcBorrow<'_, Namespace>,
        hctx_idx: u32,
    ) -> Result<Arc<IoQueue>> {
        ns.io
            .queues
            .get(usize::try_from(hctx_idx)?)
            .cloned()
            .ok_or(EINVAL)
    }

    fn map_queues(layout: &QueueLayout, maps: &mut QueueMaps<'_>) {
        if let Some(mut map) = maps.map(HctxType::Default) {
            // Cannot fail: the tag set has `irq_queues + poll_queues` hardware queues.
            let _ = map.set_queues(0, layout.irq_queues);
            if layout.shared_vector {
                // One queue on the admin queue's vector, which has no affinity of its own.
                map.spread();
            } else {
                // Vector 0 is the admin queue's.
                map.spread_by_irq_affinity(&layout.dev, 1);
            }
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

    #[inline]
    fn queue_rq(
        q: ArcBorrow<'_, IoQueue>,
        ns: ArcBorrow<'_, Namespace>,
        rq: OwnedRequest<Self>,
        is_last: bool,
    ) -> Result<(), (OwnedRequest<Self>, Error)> {
        let Some(bar) = q.state.bar.try_access() else {
            return give_back(rq, ENODEV);
        };
        let dev: &device::Device<Bound> = bar.device().as_ref();

        let mut submission = q.submission.lock();
        if q.state.dead.load(Relaxed) {
            return give_back(rq, EIO);
        }
        // CAST: the controller reports 16-bit heads.
        let head = q.sq_head.load(Relaxed) as u16;
        if submission.sq.is_full(head) {
            return Err((rq, EBUSY));
        }
        rq.data().expired.store(false, Relaxed);
        let (mut cmd, rq) = match rq.op() {
            Op::Flush => (Command::flush(ns.nsid), MappedRequest::from(rq)),
            Op::WriteZeroes => {
                let (slba, nlb) = match rw_range(&ns, &rq) {
                    Ok(range) => range,
                    Err(e) => return give_back(rq, e),
                };
                let deallocate = ns.deallocate_zeroes && !rq.is_nounmap();
                let cmd = Command::write_zeroes(ns.nsid, slba, nlb, deallocate);
                (cmd, MappedRequest::from(rq))
            }
            Op::Discard => {
                let mut rq = MappedRequest::from(rq);
                match q.deallocate(&mut submission, &ns, &mut rq, dev) {
                    Ok(cmd) => (cmd, rq),
                    Err(e) => return refuse(rq, dev, e),
                }
            }
            Op::Read | Op::Write => {
                let range = match rw_range(&ns, &rq) {
                    Ok(range) => range,
                    Err(e) => return give_back(rq, e),
                };
                let (mut rq, n) = map_data(rq, &mut submission.segs, dev)?;
                match q.prps(&mut submission, n, q.state.page, &mut rq, dev) {
                    Ok(prps) => (rw_command(&ns, &rq, range, prps), rq),
                    Err(e) => return refuse(rq, dev, e),
                }
            }
            _ => return give_back(rq, EOPNOTSUPP),
        };
        // From here on the request is the table's; the completion path can take it back as
        // soon as the controller sees the command.
        let cid = match q.inflight.issue(rq) {
            Ok(cid) => cid,
            // Cannot happen: the tag is this queue's, and free.
            Err(rq) => return refuse(rq, dev, EIO),
        };
        cmd.set_cid(cid);
        // Cannot fail: the queue has room, checked under this lock.
        if let Err(e) = submission.sq.push(&cmd, head) {
            drop(submission);
            return match q.completion.lock().taker.take(cid) {
                Ok(rq) => refuse(rq, dev, e),
                // Completed already, which a controller that never saw the command cannot do.
                Err(_) => Ok(()),
            };
        }
        if is_last {
            // A failed doorbell write means the device is gone; the request then times out.
            let _ = submission.sq.ring_doorbell(&bar);
        }
        Ok(())
    }

    fn commit_rqs(q: ArcBorrow<'_, IoQueue>, _ns: ArcBorrow<'_, Namespace>) {
        let Some(bar) = q.state.bar.try_access() else {
            return;
        };
        // A failed doorbell write means the device is gone; requests then time out.
        let _ = q.submission.lock().sq.ring_doorbell(&bar);
    }

    fn poll(q: ArcBorrow<'_, IoQueue>, batch: &mut IoCompBatch<'_, Self>) -> bool {
        let Some(bar) = q.state.bar.try_access() else {
            return false;
        };
        matches!(q.process_completions(&bar, Some(batch)), Ok(n) if n > 0)
    }

    fn complete(rq: OwnedRequest<Self>) {
        // rnvme ends its requests in the interrupt handler and never schedules completion.
        rq.end(Ok(()));
    }

    fn timeout(
        q: ArcBorrow<'_, IoQueue>,
        ns: ArcBorrow<'_, Namespace>,
        rq: &ExpiredRequest<Self>,
    ) -> TimeoutAction {
        recovery::timeout(&q, &ns, rq)
    }
}

/// Returns the first block and the number of blocks minus one of a Read, Write or Write Zeroes
/// request.
fn rw_range(ns: &Namespace, rq: &Request<IoOps>) -> Result<(u64, u16)> {
    let bytes = rq.bytes();
    if bytes == 0 || bytes & ((1 << ns.lba_shift) - 1) != 0 {
        return Err(EINVAL);
    }
    let nlb = u16::try_from((bytes >> ns.lba_shift) - 1)?;
    Ok((rq.sector() >> (ns.lba_shift - 9), nlb))
}

/// Maps the request's data for `dev` into `segs`; returns the mapped request and the number
/// of segments.
#[inline(always)]
fn map_data(
    rq: OwnedRequest<IoOps>,
    segs: &mut [Segment],
    dev: &device::Device<Bound>,
) -> Result<(MappedRequest<IoOps>, usize), (OwnedRequest<IoOps>, Error)> {
    let mut n = 0;
    let rq = rq.dma_map(dev, |addr, len| {
        let seg = segs.get_mut(n).ok_or(E2BIG)?;
        *seg = Segment { addr, len };
        n += 1;
        Ok(())
    })?;
    Ok((rq, n))
}

/// Builds the Read or Write command of `rq` for blocks `(slba, nlb)` and PRP entries
/// `(prp1, prp2)`; the command identifier comes later.
fn rw_command(
    ns: &Namespace,
    rq: &Request<IoOps>,
    (slba, nlb): (u64, u16),
    (prp1, prp2): (u64, u64),
) -> Command {
    if rq.op() == Op::Read {
        Command::read(ns.nsid, slba, nlb, prp1, prp2, rq.is_fua())
    } else {
        Command::write(ns.nsid, slba, nlb, prp1, prp2, rq.is_fua())
    }
}

/// Refuses a request that `queue_rq` mapped for `dev` but did not queue: releases it and hands
/// it back to blk-mq with `err`.
///
/// Releasing cannot fail, the request was mapped for `dev`; were it to, the request stays in
/// flight (see [`MappedRequest::unmap`]) and `queue_rq` reports success, so that blk-mq does
/// not end it.
fn refuse(
    rq: MappedRequest<IoOps>,
    dev: &device::Device<Bound>,
    err: Error,
) -> Result<(), (OwnedRequest<IoOps>, Error)> {
    match release(rq, dev) {
        Ok(rq) => give_back(rq, err),
        Err(_) => Ok(()),
    }
}

/// Hands a request that `queue_rq` did not queue back to blk-mq with `err`. blk-mq tries it
/// again later after `EBUSY` and `ENOMEM`, and ends it after the others: then its retry count
/// is reset too.
fn give_back(mut rq: OwnedRequest<IoOps>, err: Error) -> Result<(), (OwnedRequest<IoOps>, Error)> {
    if err != EBUSY && err != ENOMEM {
        forget_retries(&mut rq);
    }
    Err((rq, err))
}

/// Takes back what the controller may read of a request that it completed, that was
/// cancelled, or that it never saw: the mapping of its data for `dev`, then its PRP list page.
/// Returns its owner, to end it.
///
/// # Errors
///
/// Those of [`MappedRequest::unmap`]; the request then stays in flight, list page and all.
#[inline(always)]
fn release(rq: MappedRequest<IoOps>, dev: &device::Device<Bound>) -> Result<OwnedRequest<IoOps>> {
    let mut rq = rq.unmap(dev)?;
    let owner = rq.owner_data();
    if owner.list_page.is_some() {
        owner.list_page = None;
    }
    Ok(rq)
}

impl IoQueue {
    /// Returns the queue identifier.
    fn qid(&self) -> u16 {
        // CAST: see `IoPath::create`.
        (self.index + 1) as u16
    }

    /// Builds the PRP entries of the first `n` DMA segments of `submission` and returns PRP1
    /// and PRP2. Data that spans more than two memory pages needs a PRP list: it is built in the
    /// queue's scratch page, then copied to a list page of the pool, which `rq` keeps until it
    /// is released.
    ///
    /// # Errors
    ///
    /// Those of [`prp::build`]; `ENOMEM` if the pool has no list page (blk-mq then tries the
    /// request again later).
    #[inline(always)]
    fn prps(
        &self,
        submission: &mut Submission,
        n: usize,
        page: PageSize,
        rq: &mut MappedRequest<IoOps>,
        dev: &device::Device<Bound>,
    ) -> Result<(u64, u64)> {
        let Submission {
            prp_scratch, segs, ..
        } = submission;
        let segs = segs.get(..n).ok_or(EINVAL)?;
        // The list is built for a page-aligned stand-in address, as the page from the pool will
        // be: with one list page, no entry chains to another, so the list's address is only in
        // PRP2, set below.
        let prp = prp::build(
            segs,
            page,
            &mut [ListPage {
                dma: 0,
                entries: &mut prp_scratch[..],
            }],
        )?;
        if prp.list_pages == 0 {
            return Ok((prp.prp1, prp.prp2));
        }
        let mut list = self.state.list_pages.alloc(dev, GFP_ATOMIC)?;
        // The entries after PRP1, all in the one list page.
        list.write(0, prp_scratch.get(..prp.entries - 1).ok_or(EINVAL)?)?;
        let prp2 = list.dma_address();
        rq.owner_data().list_page = Some(list);
        Ok((prp.prp1, prp2))
    }
}

impl IoQueue {
    /// Returns the Dataset Management that deallocates the ranges of discard request `rq`,
    /// one per bio. They are built in the queue's scratch page, then copied to a list page of
    /// the pool, which `rq` keeps until it is released.
    ///
    /// # Errors
    ///
    /// `EINVAL` for more than [`DSM_MAX_RANGES`](crate::nvme::cmd::DSM_MAX_RANGES) ranges, which
    /// the disk's limits forbid;
    /// `ENOMEM` if the pool has no page (blk-mq then tries the request again later).
    fn deallocate(
        &self,
        submission: &mut Submission,
        ns: &Namespace,
        rq: &mut MappedRequest<IoOps>,
        dev: &device::Device<Bound>,
    ) -> Result<Command> {
        let scratch = &mut submission.prp_scratch;
        let mut ranges = 0;
        let mut add = |sector: u64, bytes: u32| -> Result {
            let slot = scratch.get_mut(2 * ranges..2 * ranges + 2).ok_or(EINVAL)?;
            slot.copy_from_slice(&dsm_range(
                sector >> (ns.lba_shift - 9),
                bytes >> ns.lba_shift,
            ));
            ranges += 1;
            Ok(())
        };
        if ns.discard_segments == 1 {
            // The block layer merges contiguous discards into one request of several bios even
            // for one range: the request's range is the one to send.
            add(rq.sector(), rq.bytes())?;
        } else {
            for (sector, bytes) in rq.bio_ranges() {
                add(sector, bytes)?;
            }
        }
        let mut page = self.state.list_pages.alloc(dev, GFP_ATOMIC)?;
        page.write(0, scratch.get(..2 * ranges).ok_or(EINVAL)?)?;
        let cmd = Command::deallocate(ns.nsid, ranges, page.dma_address())?;
        rq.owner_data().list_page = Some(page);
        Ok(cmd)
    }
}

/// A submission queue: its slots, its tail and its doorbell. The driver writes the slots, the
/// controller reads them.
///
/// # Invariants
///
/// - `slots` has `tail.depth()` slots, so the ring indices are always in bounds.
/// - `doorbell` is within the BAR the queue was created for.
pub(crate) struct SubQueue {
    /// Queue identifier; 0 is the admin queue.
    qid: u16,
    /// The slots.
    slots: Coherent<[SqEntry]>,
    /// Host side of the ring: the tail.
    tail: SqTail,
    /// The tail last told to the controller: written to the doorbell, or published to its
    /// shadow.
    told: u16,
    /// BAR offset of the tail doorbell.
    doorbell: usize,
    /// The shadow tail doorbell, if the controller reads it (I/O queues only).
    shadow: Option<Shadow>,
}

impl SubQueue {
    /// Copies `cmd` into the next slot without telling the controller: a batch of commands is
    /// followed by one [`SubQueue::ring_doorbell`]. `head` is the head the controller reported
    /// last.
    ///
    /// # Errors
    ///
    /// `EBUSY` if the queue is full, as far as `head` tells.
    #[inline(always)]
    pub(crate) fn push(&mut self, cmd: &Command, head: u16) -> Result {
        if self.is_full(head) {
            return Err(EBUSY);
        }
        let slot = usize::from(self.tail.tail());
        io_project!(self.slots, [try: slot]).copy_write(cmd.to_entry());
        self.tail.advance();
        Ok(())
    }

    /// Returns whether the queue is full, as far as `head`, the head the controller reported
    /// last, tells.
    pub(crate) fn is_full(&self, head: u16) -> bool {
        self.tail.is_full(head)
    }

    /// Rings the tail doorbell if commands were pushed since the last time; with a shadow
    /// doorbell, publishes the tail and rings only if the controller asks for it.
    #[inline(always)]
    pub(crate) fn ring_doorbell(&mut self, bar: &Bar0<'_>) -> Result {
        let tail = self.tail.tail();
        let old = self.told;
        if tail == old {
            return Ok(());
        }
        self.told = tail;
        if let Some(shadow) = &self.shadow {
            if !shadow.update(old, tail) {
                return Ok(());
            }
        }
        // The doorbell is a `writel`, which orders the slots' writes to memory before it.
        bar.try_write32(u32::from(tail), self.doorbell)
    }
}

/// One shadow doorbell of an I/O queue: the submission queue tail or the completion queue head.
///
/// # Invariants
///
/// `index` is below [`DBBUF_ENTRIES`].
pub(crate) struct Shadow {
    /// The controller's buffers.
    buf: Arc<DbBuf>,
    /// Index of the doorbell in both buffers.
    index: usize,
}

impl Shadow {
    /// Publishes the new value `new` of the doorbell (it was `old`); returns whether the
    /// doorbell register must be written too.
    ///
    /// Called once per doorbell, on every submission and completion pass, so it is inlined.
    #[inline]
    fn update(&self, old: u16, new: u16) -> bool {
        // Cannot fail: `index` is below `DBBUF_ENTRIES` by the type invariants. Were it not,
        // writing the register is always correct.
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

/// The interrupt handler of one interrupt vector.
pub(crate) struct QueueIrq {
    /// The I/O path.
    io: Arc<IoPath>,
    /// The vector: 0 is the admin queue's, `i + 1` is I/O queue `i`'s.
    vector: usize,
    /// The hardware queue whose completions the vector signals, if any: `vector - 1`, or 0
    /// for vector 0 if the one interrupt queue shares it.
    queue: Option<usize>,
}

impl QueueIrq {
    /// Returns the handler of vector `vector`.
    pub(crate) fn new(io: Arc<IoPath>, vector: usize) -> Self {
        let queue = match vector {
            0 => io.shared_vector.then_some(0),
            v => Some(v - 1),
        };
        Self { io, vector, queue }
    }
}

impl irq::Handler for QueueIrq {
    #[inline]
    fn handle(&self) -> IrqReturn {
        // The admin queue is polled, but its completions raise vector 0: the vector's
        // interrupts are always ours.
        let ours = if self.vector == 0 {
            IrqReturn::Handled
        } else {
            IrqReturn::None
        };
        let Some(q) = self.queue.and_then(|i| self.io.queues.get(i)) else {
            return ours;
        };
        let Some(bar) = q.state.bar.try_access() else {
            return IrqReturn::None;
        };
        // End the requests of this pass together, as the poller does.
        match IoCompBatch::run(|batch| q.process_completions(&bar, Some(batch))) {
            Ok(0) | Err(_) => ours,
            Ok(_) => IrqReturn::Handled,
        }
    }
}

impl IoQueue {
    /// Consumes the new completions of the queue and ends their requests. Returns how many
    /// there were.
    fn process_completions(
        &self,
        bar: &Bar0<'_>,
        mut batch: Option<&mut IoCompBatch<'_, IoOps>>,
    ) -> Result<u32> {
        let mut side = self.completion.lock();
        let CompletionSide { cq, taker, stale } = &mut *side;
        let mut sq_head = None;
        let reaped = cq.reap(bar, |cqe| {
            sq_head = Some(cqe.sq_head());
            self.end(taker, stale, bar, (cqe.cid(), cqe.status()), &mut batch);
        });
        if let Some(head) = sq_head {
            self.sq_head.store(u32::from(head), Relaxed);
        }
        reaped
    }

    /// Ends the request of completion `(cid, status)`, in `batch` if there is one and it
    /// completed without error. Called with the completion lock held, whose [`InFlightTaker`]
    /// and [`StaleLog`] are `taker` and `stale`.
    fn end(
        &self,
        taker: &mut InFlightTaker<IoOps>,
        stale: &mut StaleLog,
        bar: &Bar0<'_>,
        (cid, status): (u16, Status),
        batch: &mut Option<&mut IoCompBatch<'_, IoOps>>,
    ) {
        let rq = match taker.take(cid) {
            Ok(rq) => rq,
            // A completion for a command the controller does not have: a confused controller.
            Err(why) => {
                if stale.allow() {
                    match why {
                        Stale::Unknown => dev_warn!(
                            bar.device(),
                            "queue {}: completion for unknown command {:#x}\n",
                            self.qid(),
                            cid
                        ),
                        Stale::Generation(in_flight) => dev_warn!(
                            bar.device(),
                            "queue {}: completion for command {:#x} of a stale generation \
                             (command {:#x} in flight)\n",
                            self.qid(),
                            cid,
                            in_flight
                        ),
                    }
                }
                return;
            }
        };
        if rq.should_fake_timeout() {
            // Fault injection: forget the completion; the request times out. (Cannot fail: the
            // slot was emptied just above.)
            let _ = self.inflight.issue(rq);
            return;
        }
        // Cannot fail: mapped in `queue_rq` for this device. Were it not, the request stays in
        // flight.
        let Ok(mut rq) = release(rq, bar.device().as_ref()) else {
            return;
        };
        if status.is_success() {
            forget_retries(&mut rq);
            match batch {
                Some(batch) => batch.end_ok(rq),
                None => rq.end(Ok(())),
            }
            return;
        }
        let retries = rq.owner_data().retries;
        let max = params::max_retries();
        match status.disposition(retries, max, rq.may_retry(), &self.state.crdt) {
            Disposition::Retry(ms) => {
                rq.owner_data().retries = retries + 1;
                rq.requeue(Delta::from_millis(ms.into()));
            }
            Disposition::End(outcome) => {
                forget_retries(&mut rq);
                rq.end(outcome.to_result());
            }
        }
    }
}

/// Resets the retry count of a request that ends, or that blk-mq will end, so that its next
/// use starts with none.
#[inline(always)]
fn forget_retries(rq: &mut OwnedRequest<IoOps>) {
    let owner = rq.owner_data();
    if owner.retries != 0 {
        owner.retries = 0;
    }
}

/// How many warnings about completions that name no request in flight are printed: at most
/// [`StaleLog::BURST`] per [`StaleLog::INTERVAL`], like `dev_warn_ratelimited`.
pub(crate) struct StaleLog {
    /// When the current interval started.
    start: Instant<Monotonic>,
    /// Warnings printed in the current interval.
    printed: u32,
}

impl StaleLog {
    /// Warnings per interval.
    const BURST: u32 = 10;
    /// The interval.
    const INTERVAL: Delta = Delta::from_secs(5);

    fn new() -> Self {
        Self {
            start: Instant::now(),
            printed: 0,
        }
    }

    /// Returns whether one more warning may be printed now.
    fn allow(&mut self) -> bool {
        if self.start.elapsed() > Self::INTERVAL {
            self.start = Instant::now();
            self.printed = 0;
        }
        self.printed += 1;
        self.printed <= Self::BURST
    }
}

/// A completion queue: its slots, its head and phase, and its doorbell. The controller writes
/// the slots, the driver reads them.
///
/// # Invariants
///
/// - `slots` has `head.depth()` slots, so the ring indices are always in bounds.
/// - `doorbell` is within the BAR the queue was created for.
pub(crate) struct CompQueue {
    /// The slots.
    slots: Coherent<[CqEntry]>,
    /// Host side of the ring: the head and the expected phase.
    head: CqHead,
    /// BAR offset of the head doorbell.
    doorbell: usize,
    /// The shadow head doorbell, if the controller reads it (I/O queues only).
    shadow: Option<Shadow>,
}

impl CompQueue {
    /// Consumes every new completion in order, calling `f` on each, then rings the head
    /// doorbell once if any was consumed. Returns how many were consumed.
    ///
    /// At most one lap of the ring is consumed per call, so a controller that keeps posting
    /// cannot hold the caller forever.
    pub(crate) fn reap(&mut self, bar: &Bar0<'_>, mut f: impl FnMut(&Completion)) -> Result<u32> {
        let mut count = 0;
        let old = self.head.head();
        while count < self.head.depth() {
            let slot = usize::from(self.head.head());
            let dw3: u32 = io_read!(self.slots, [try: slot][build: CQE_STATUS_DWORD]);
            if !self.head.is_new(Completion::status_with_phase_of(dw3)) {
                break;
            }
            // The phase tag says the entry is complete: read the rest only after it.
            dma_mb(Read);
            let cqe = Completion::from_entry(io_project!(self.slots, [try: slot]).copy_read());
            self.head.advance();
            count += 1;
            f(&cqe);
        }
        if count > 0 {
            let head = self.head.head();
            let ring = match &self.shadow {
                Some(shadow) => shadow.update(old, head),
                None => true,
            };
            if ring {
                bar.try_write32(u32::from(head), self.doorbell)?;
            }
        }
        Ok(count)
    }
}

impl IoPath {
    /// Allocates the I/O queue pairs of `layout`, `irq_queues` then `poll_queues` of `depth`
    /// entries, one per hardware queue of `tagset`, and creates them on the controller through
    /// `admin`: completion queue `i + 1` on vector `i + 1` (on vector 0 if it is shared) for
    /// the interrupt queues, without an interrupt for the poll queues. With `dbbuf` (already
    /// handed to the controller), the queues use shadow doorbells.
    ///
    /// # Errors
    ///
    /// `ENOMEM`, or those of the Create I/O Completion/Submission Queue commands. The queues
    /// created before a failure stay on the controller, which is disabled when probe fails.
    pub(crate) fn create(
        pdev: &pci::Device<Bound>,
        admin: &AdminPath<'_>,
        tagset: Arc<TagSet<IoOps>>,
        layout: &QueueLayout,
        depth: u32,
        crdt: [u16; 3],
        dbbuf: Option<Arc<DbBuf>>,
    ) -> Result<Arc<Self>> {
        let cap = admin.cap();
        let list_pages = DmaPool::new(pdev.as_ref(), c"rnvme-prp", LIST_BYTES, LIST_BYTES, 0)
            .inspect_err(|e| dev_err!(pdev, "no PRP list pool: {:?}\n", e))?;
        let state = Arc::new(
            IoState {
                bar: admin.shared_bar(),
                dev: pdev.as_ref().into(),
                tagset,
                cap,
                page: admin.page_size(),
                _dbbuf: dbbuf.clone(),
                list_pages,
                crdt,
                dead: Atomic::new(false),
            },
            GFP_KERNEL,
        )?;
        let commands = admin.commands()?;
        let regs = state.bar.access(pdev.as_ref())?;
        let irq_queues = layout.irq_queues;
        let count = irq_queues + layout.poll_queues;
        let mut queues = KVec::with_capacity(usize::try_from(count)?, GFP_KERNEL)?;
        for index in 0..count {
            // CAST: `count` is at most the number of queues the controller granted, below
            // `u16::MAX`.
            let qid = (index + 1) as u16;
            let vector = match (index < irq_queues, layout.shared_vector) {
                (false, _) => None,
                (true, true) => Some(0),
                (true, false) => Some(qid),
            };
            let mut qp = QueuePair::new(pdev.as_ref(), regs, qid, depth, cap.doorbell_stride())?;
            if let Some(buf) = &dbbuf {
                qp.set_shadow(buf)?;
            }
            commands
                .create_cq(&qp, vector)
                .and_then(|()| commands.create_sq(&qp))
                .inspect_err(|e| dev_err!(pdev, "cannot create I/O queue {}: {:?}\n", qid, e))?;
            let shared = state.clone();
            let (sq, cq) = qp.into_halves();
            let (inflight, taker) = InFlight::new(&state.tagset, index)?;
            let queue = Arc::pin_init(
                try_pin_init!(IoQueue {
                    index,
                    state: shared,
                    inflight,
                    completion <- new_spinlock_irq!(CompletionSide {
                        cq,
                        taker,
                        stale: StaleLog::new(),
                    }),
                    submission <- new_spinlock!(Submission {
                        sq,
                        prp_scratch: KVec::from_elem(0u64, LIST_ENTRIES, GFP_KERNEL)?,
                        segs: KVec::from_elem(Segment { addr: 0, len: 0 }, MAX_SEGMENTS, GFP_KERNEL)?,
                    }),
                    sq_head: Atomic::new(0),
                }),
                GFP_KERNEL,
            )?;
            queues.push(queue, GFP_KERNEL)?;
        }
        Ok(Arc::new(
            Self {
                state,
                queues,
                shared_vector: layout.shared_vector,
            },
            GFP_KERNEL,
        )?)
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

/// A submission queue and the completion queue it completes into, with the same identifier.
///
/// Both rings have the same depth and live in their own physically contiguous, page aligned
/// coherent allocation, as `CAP.CQR` may require and as the admin queue base registers and the
/// queue creation commands (`PC` set) expect.
///
/// A [`QueuePair`] does no locking: its user serialises submissions and completion processing
/// (the admin queue holds it under a mutex). An I/O queue splits it into its halves, under
/// locks of their own.
pub(crate) struct QueuePair {
    /// The submission queue.
    sq: SubQueue,
    /// The completion queue.
    cq: CompQueue,
    /// The submission queue head the controller reported last.
    sq_head: u16,
}

impl QueuePair {
    /// Allocates zeroed rings of `depth` entries for queue `qid` of a controller whose
    /// `CAP.DSTRD` is `dstrd`, with its doorbells in `bar`.
    ///
    /// The controller does not know about the queue yet: program the admin queue registers, or
    /// send Create I/O Completion/Submission Queue.
    ///
    /// # Errors
    ///
    /// - `EINVAL` if `depth` is not a valid queue depth, or if the doorbells are outside `bar`.
    /// - `ENOMEM` if the rings cannot be allocated.
    pub(crate) fn new(
        dev: &device::Device<Bound>,
        bar: &Bar0<'_>,
        qid: u16,
        depth: u32,
        dstrd: u32,
    ) -> Result<Self> {
        let tail = SqTail::new(depth)?;
        let head = CqHead::new(depth)?;
        let sq_doorbell = regs::doorbell_offset(qid, false, dstrd);
        let cq_doorbell = regs::doorbell_offset(qid, true, dstrd);
        if cq_doorbell + size_of::<u32>() > bar.size() {
            return Err(EINVAL);
        }
        let slots = usize::try_from(depth)?;

        // INVARIANT: both rings have `depth` slots and the doorbells were checked against the
        // BAR (the submission doorbell precedes the completion doorbell).
        Ok(Self {
            sq: SubQueue {
                qid,
                slots: Coherent::zeroed_slice(dev, slots, GFP_KERNEL)?,
                tail,
                told: 0,
                doorbell: sq_doorbell,
                shadow: None,
            },
            cq: CompQueue {
                slots: Coherent::zeroed_slice(dev, slots, GFP_KERNEL)?,
                head,
                doorbell: cq_doorbell,
                shadow: None,
            },
            sq_head: 0,
        })
    }

    /// Makes the queue publish its tail and head through the shadow doorbells of `buf` and
    /// write the doorbell registers only when the controller asks for it.
    ///
    /// # Errors
    ///
    /// `EINVAL` for the admin queue, or a queue beyond those `buf` was allocated for.
    fn set_shadow(&mut self, buf: &Arc<DbBuf>) -> Result {
        let qid = self.sq.qid;
        self.sq.shadow = Some(Shadow::new(buf, qid, false)?);
        self.cq.shadow = Some(Shadow::new(buf, qid, true)?);
        Ok(())
    }

    /// Returns the queue identifier.
    pub(crate) fn qid(&self) -> u16 {
        self.sq.qid
    }

    /// Returns the number of slots of each ring.
    pub(crate) fn depth(&self) -> u32 {
        self.sq.tail.depth()
    }

    /// Returns the DMA address of the submission queue.
    pub(crate) fn sq_dma(&self) -> DmaAddress {
        self.sq.slots.dma_address()
    }

    /// Returns the DMA address of the completion queue.
    pub(crate) fn cq_dma(&self) -> DmaAddress {
        self.cq.slots.dma_address()
    }

    /// Copies `cmd` into the next submission queue slot and rings the tail doorbell.
    ///
    /// # Errors
    ///
    /// `EBUSY` if the submission queue is full, as far as the completions reaped so far tell.
    pub(crate) fn submit(&mut self, bar: &Bar0<'_>, cmd: &Command) -> Result {
        self.sq.push(cmd, self.sq_head)?;
        self.sq.ring_doorbell(bar)
    }

    /// Consumes every new completion in order, calling `f` on each, then rings the head
    /// doorbell once if any was consumed. Returns how many were consumed.
    pub(crate) fn reap(&mut self, bar: &Bar0<'_>, mut f: impl FnMut(&Completion)) -> Result<u32> {
        let sq_head = &mut self.sq_head;
        self.cq.reap(bar, |cqe| {
            *sq_head = cqe.sq_head();
            f(cqe);
        })
    }

    /// Splits the queue into its submission and completion halves, for an I/O queue whose
    /// halves are locked apart.
    fn into_halves(self) -> (SubQueue, CompQueue) {
        (self.sq, self.cq)
    }
}

/// Entries of one shadow doorbell buffer: a 4 KiB page of 32-bit doorbells.
const DBBUF_ENTRIES: usize = 1024;

/// The shadow doorbell and EventIdx buffers of a controller (Doorbell Buffer Config, NVMe 2.0
/// base specification, section 5.8).
///
/// An emulated controller, whose doorbell registers trap into the emulator, can read the
/// doorbells from host memory instead: the driver writes each new I/O queue tail and head to
/// the shadow doorbell buffer, and writes the doorbell register only when the controller asks
/// for it through the EventIdx buffer, that is when the new value passed the event index the
/// controller set ([`need_event`]). The admin queue keeps its registers.
///
/// Both buffers are one 4 KiB page of coherent memory, laid out like the doorbell registers
/// ([`regs::shadow_index`]), so the controller's queues must fit in it. Both are fixed-size
/// arrays, so that an index checked once, when a [`Shadow`] is made, costs a comparison with a
/// constant per access rather than with a length read from memory.
pub(crate) struct DbBuf {
    /// The values of the doorbells, written by the driver.
    dbs: Coherent<[u32; DBBUF_ENTRIES]>,
    /// The event indices, written by the controller.
    eis: Coherent<[u32; DBBUF_ENTRIES]>,
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
        if regs::shadow_index(last, true, dstrd) >= DBBUF_ENTRIES {
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

impl Shadow {
    /// Returns the shadow of the completion queue head doorbell of I/O queue `qid` if
    /// `completion`, of its submission queue tail doorbell otherwise.
    ///
    /// # Errors
    ///
    /// `EINVAL` for the admin queue, or a queue beyond those `buf` was allocated for.
    fn new(buf: &Arc<DbBuf>, qid: u16, completion: bool) -> Result<Self> {
        let index = regs::shadow_index(qid, completion, buf.dstrd);
        if qid == 0 || index >= DBBUF_ENTRIES {
            return Err(EINVAL);
        }
        // INVARIANT: checked just above.
        Ok(Self {
            buf: buf.clone(),
            index,
        })
    }
}
