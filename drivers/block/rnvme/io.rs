// SPDX-License-Identifier: GPL-2.0

//! The I/O path: I/O queue pairs, their interrupts and the blk-mq operations.
//!
//! A request travels `queue_rq` → submission queue slot → tail doorbell (once per batch) →
//! controller → completion queue entry → MSI-X interrupt → [`QueueIrq::handle`] →
//! [`TagSet::tag_to_rq`] → unmap → end of the request.
//!
//! Each I/O queue pair is one blk-mq hardware queue: hardware queue `i` is queue pair `i + 1`
//! and MSI-X vector `i + 1` (vector 0 belongs to the admin queue, which is polled). The
//! command identifier of a request is its tag.

use kernel::{
    block::mq::{
        Op,
        Operations,
        Request,
        RequestSg,
        TagSet, //
    },
    device::{
        self,
        Bound, //
    },
    dma::Coherent,
    io::io_write,
    irq::{
        self,
        IrqReturn, //
    },
    new_spinlock_irq,
    pci::{
        self,
        DevresBar, //
    },
    prelude::*,
    sync::{
        aref::ARef,
        Arc,
        ArcBorrow,
        SpinLockIrq, //
    }, //
};

use crate::{
    admin::Admin,
    cmd::Command,
    prp::{
        self,
        ListPage,
        Segment, //
    },
    queue::QueuePair,
    regs::{
        self,
        PageSize, //
    },
    Bar0, //
};

/// Most data segments of one request: the disks' `max_segments`.
pub(crate) const MAX_SEGMENTS: usize = 128;

/// Slots of each I/O queue; one stays empty to tell a full queue from an empty one, so
/// the tag set has one tag less.
pub(crate) const IO_QUEUE_DEPTH: u32 = 128;

/// PRP entries in one list page of the controller's memory page size (4 KiB).
const LIST_ENTRIES: usize = 512;

/// Per-request driver data: the scatter-gather space its data is mapped through.
pub(crate) struct RqData {
    sg: RequestSg<MAX_SEGMENTS>,
}

/// Submission side of an I/O queue, under its lock.
struct SqSide {
    /// The queue pair.
    qp: QueuePair,
    /// Where PRP lists are built before they are copied to the tag's list page.
    scratch: KVec<u64>,
    /// The DMA segments of the request being submitted (as in cnvme, per queue rather than
    /// on the stack: filling it needs no initialization per I/O).
    segs: KVec<Segment>,
}

/// One I/O queue pair.
#[pin_data]
pub(crate) struct IoQueue {
    /// Its index: hardware queue `index`, queue identifier `index + 1`.
    index: u32,
    /// The queue pair and its PRP scratch. Taken with interrupts off: the completion
    /// interrupt takes it too.
    #[pin]
    sq: SpinLockIrq<SqSide>,
    /// One PRP list page per tag.
    lists: Coherent<[u64]>,
}

/// The I/O queues of a controller, shared by its disks and its interrupt handlers.
pub(crate) struct IoQueues {
    /// Controller registers; a guard proves the device is still bound.
    bar: Arc<DevresBar<{ regs::BAR0_SIZE }>>,
    /// The tag set of every disk of the controller.
    tagset: Arc<TagSet<IoOps>>,
    /// The queue pairs, by hardware queue index.
    queues: KVec<Pin<KBox<IoQueue>>>,
    /// The controller memory page size.
    page: PageSize,
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
    /// Allocates `count` I/O queue pairs and creates them on the controller, completion queue
    /// `i + 1` on MSI-X vector `i + 1`.
    ///
    /// # Errors
    ///
    /// `ENOMEM`, or those of the Create I/O Completion/Submission Queue commands. The queues
    /// created before a failure stay on the controller, which is disabled when probe fails.
    pub(crate) fn create(
        pdev: &pci::Device<Bound>,
        admin: Admin<'_>,
        bar: Arc<DevresBar<{ regs::BAR0_SIZE }>>,
        tagset: Arc<TagSet<IoOps>>,
        count: u32,
        dstrd: u32,
        page: PageSize,
    ) -> Result<Arc<Self>> {
        let regs = bar.access(pdev.as_ref())?;
        let mut queues = KVec::with_capacity(usize::try_from(count)?, GFP_KERNEL)?;
        for index in 0..count {
            // CAST: `count` is at most the number of MSI-X vectors, well below `u16::MAX`.
            let qid = (index + 1) as u16;
            let qp = QueuePair::new(pdev.as_ref(), regs, qid, IO_QUEUE_DEPTH, dstrd)?;
            admin
                .create_cq(&qp, Some(qid))
                .and_then(|()| admin.create_sq(&qp))
                .inspect_err(|e| dev_err!(pdev, "cannot create I/O queue {}: {:?}\n", qid, e))?;
            let queue = KBox::pin_init(
                try_pin_init!(IoQueue {
                    index,
                    sq <- new_spinlock_irq!(SqSide {
                        qp,
                        scratch: KVec::from_elem(0u64, LIST_ENTRIES, GFP_KERNEL)?,
                        segs: KVec::from_elem(Segment { addr: 0, len: 0 }, MAX_SEGMENTS, GFP_KERNEL)?,
                    }),
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
        Ok(Arc::new(
            Self {
                bar,
                tagset,
                queues,
                page,
            },
            GFP_KERNEL,
        )?)
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
        self.page
    }

    /// Returns the tag set of the controller's disks.
    pub(crate) fn tagset(&self) -> Arc<TagSet<IoOps>> {
        self.tagset.clone()
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
            let used = prp::count_entries(segs, page)? - 1;
            for (i, entry) in scratch.iter().take(used).enumerate() {
                io_write!(self.lists, [try: first + i], *entry);
            }
        }
        Ok((prp.prp1, prp.prp2))
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
    let (prp1, prp2) = match q.prps(side, n, ns.io.page, rq.tag()) {
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

    fn init_request_data() -> impl PinInit<RqData, Error> {
        Ok(RqData {
            sg: RequestSg::new(),
        })
    }

    fn queue_rq(ns: ArcBorrow<'_, NsQueue>, rq: ARef<Request<Self>>, is_last: bool) -> Result {
        let io = &ns.io;
        let q = io
            .queues
            .get(usize::try_from(rq.hw_queue_index())?)
            .ok_or(EINVAL)?;
        let bar = io.bar.try_access().ok_or(ENODEV)?;
        let dev: &device::Device<Bound> = bar.device().as_ref();

        let mut side = q.sq.lock();
        let mut cmd = match rq.op() {
            Op::Flush => Command::flush(ns.nsid),
            Op::Read | Op::Write => rw_command(&ns, q, &mut side, &rq, dev)?,
            _ => return Err(EOPNOTSUPP),
        };
        // CAST: tags are below the queue depth, which fits in 16 bits.
        cmd.set_cid(rq.tag() as u16);
        if let Err(e) = side.qp.push(&cmd) {
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
            side.qp.ring_sq(&bar)?;
        }
        Ok(())
    }

    fn commit_rqs(ns: ArcBorrow<'_, NsQueue>) {
        let Some(bar) = ns.io.bar.try_access() else {
            return;
        };
        for q in ns.io.queues.iter() {
            // A failed doorbell write means the device is gone; requests then time out.
            let _ = q.sq.lock().qp.ring_sq(&bar);
        }
    }

    fn complete(rq: ARef<Request<Self>>) {
        // rnvme ends its requests in the interrupt handler and never schedules completion.
        let _ = Request::end_ok(rq);
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

    /// Ends the request of completion `(cid, status)` of queue `q`.
    fn end(&self, q: &IoQueue, bar: &Bar0<'_>, cid: u16, status: crate::cmd::Status) {
        let Some(rq) = self.io.tagset.tag_to_rq(q.index, u32::from(cid)) else {
            // A completion for a command we do not own: a confused controller.
            dev_warn!(
                bar.device(),
                "queue {}: completion for unknown command {}\n",
                q.qid(),
                cid
            );
            return;
        };
        if rq.data().sg.is_mapped() {
            // Cannot fail: mapped in `queue_rq` for this device.
            let _ = rq.data().sg.unmap(bar.device().as_ref());
        }
        let ended = match status.blk_status().to_result() {
            Ok(()) => Request::end_ok(rq),
            Err(e) => Request::end_err(rq, e),
        };
        if ended.is_err() {
            dev_err!(
                bar.device(),
                "queue {}: cannot end command {}\n",
                q.qid(),
                cid
            );
        }
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
        let Some(bar) = self.io.bar.try_access() else {
            return IrqReturn::None;
        };

        // Collect the completions under the lock, end the requests after it: ending a request
        // may run completion work that submits again.
        let mut done = [(0u16, crate::cmd::Status::from_raw(0)); IO_QUEUE_DEPTH as usize];
        let mut n = 0;
        let reaped = q.sq.lock().qp.reap(&bar, |cqe| {
            if let Some(slot) = done.get_mut(n) {
                *slot = (cqe.cid(), cqe.status());
                n += 1;
            }
        });
        for &(cid, status) in &done[..n] {
            self.end(q, &bar, cid, status);
        }
        match reaped {
            Ok(0) => IrqReturn::None,
            Ok(_) => IrqReturn::Handled,
            Err(_) => IrqReturn::None,
        }
    }
}
