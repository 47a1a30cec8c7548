// SPDX-License-Identifier: GPL-2.0

//! A queue pair: one submission and one completion queue in coherent DMA memory, and their
//! doorbells; and its two halves.
//!
//! Both rings have the same depth and live in their own physically contiguous, page aligned
//! coherent allocation, as `CAP.CQR` may require and as the admin queue base registers and the
//! queue creation commands (`PC` set) expect. The host-side indices come from [`crate::ring`];
//! the doorbell offsets from [`regs::doorbell_offset`].
//!
//! The slots are stored as plain arrays ([`SqEntry`], [`CqEntry`]) because [`Coherent`] needs
//! the kernel's `AsBytes`/`FromBytes`, which only the kernel crate may implement (they are
//! unchecked promises); [`Command::to_entry`] and [`Completion::from_entry`] convert safely.
//!
//! A [`QueuePair`] does no locking: its user serialises submissions and completion processing
//! (the admin queue holds it under a mutex). An I/O queue splits it into a [`SubQueue`] and a
//! [`CompQueue`] under locks of their own, so that completion processing never waits for a
//! submission and submission needs no lock the interrupt handler takes. The completion side
//! passes the submission queue head the controller reports to the submission side, which uses
//! it to refuse commands when the ring is full.

use kernel::{
    device::{
        self,
        Bound, //
    },
    dma::{
        Coherent,
        DmaAddress, //
    },
    io::{
        io_project,
        io_read,
        Io, //
    },
    prelude::*,
    sync::{
        barrier::{
            dma_mb,
            Read, //
        },
        Arc, //
    }, //
};

use crate::{
    cmd::{
        Command,
        Completion,
        CqEntry,
        SqEntry,
        CQE_STATUS_DWORD, //
    },
    dbbuf::{
        DbBuf,
        Shadow, //
    },
    regs,
    ring::{
        CqRing,
        SqRing, //
    },
    Bar0, //
};

/// A submission queue: its slots, its tail and its doorbell.
///
/// # Invariants
///
/// - `sq` has `ring.depth()` slots, so the ring indices are always in bounds.
/// - `doorbell` is within the BAR the queue was created for.
pub(crate) struct SubQueue {
    /// Queue identifier; 0 is the admin queue.
    qid: u16,
    /// The slots.
    sq: Coherent<[SqEntry]>,
    /// Host side of the ring: the tail.
    ring: SqRing,
    /// The tail last rung: written to the doorbell, or published to its shadow.
    rung: u16,
    /// BAR offset of the tail doorbell.
    doorbell: usize,
    /// The shadow tail doorbell, if the controller reads it (I/O queues only).
    shadow: Option<Shadow>,
}

impl SubQueue {
    /// Returns the DMA address of the slots.
    pub(crate) fn dma(&self) -> DmaAddress {
        self.sq.dma_address()
    }

    /// Copies `cmd` into the next slot without telling the controller: a batch of commands is
    /// followed by one [`SubQueue::ring`]. `head` is the head the controller reported last.
    ///
    /// # Errors
    ///
    /// `EBUSY` if the queue is full, as far as `head` tells.
    pub(crate) fn push(&mut self, cmd: &Command, head: u16) -> Result {
        if self.ring.is_full(head) {
            return Err(EBUSY);
        }
        let slot = usize::from(self.ring.tail());
        io_project!(self.sq, [try: slot]).copy_write(cmd.to_entry());
        self.ring.advance();
        Ok(())
    }

    /// Rings the tail doorbell if commands were pushed since the last time; with a shadow
    /// doorbell, publishes the tail and rings only if the controller asks for it.
    pub(crate) fn ring(&mut self, bar: &Bar0<'_>) -> Result {
        let tail = self.ring.tail();
        let old = self.rung;
        if tail == old {
            return Ok(());
        }
        self.rung = tail;
        if let Some(shadow) = &self.shadow {
            if !shadow.update(old, tail) {
                return Ok(());
            }
        }
        // The doorbell is a `writel`, which orders the slots' writes to memory before it.
        bar.try_write32(u32::from(tail), self.doorbell)
    }
}

/// A completion queue: its slots, its head and phase, and its doorbell.
///
/// # Invariants
///
/// - `cq` has `ring.depth()` slots, so the ring indices are always in bounds.
/// - `doorbell` is within the BAR the queue was created for.
pub(crate) struct CompQueue {
    /// The slots.
    cq: Coherent<[CqEntry]>,
    /// Host side of the ring: the head and the expected phase.
    ring: CqRing,
    /// BAR offset of the head doorbell.
    doorbell: usize,
    /// The shadow head doorbell, if the controller reads it (I/O queues only).
    shadow: Option<Shadow>,
}

impl CompQueue {
    /// Returns the DMA address of the slots.
    pub(crate) fn dma(&self) -> DmaAddress {
        self.cq.dma_address()
    }

    /// Consumes every new completion in order, calling `f` on each, then rings the head
    /// doorbell once if any was consumed. Returns how many were consumed.
    ///
    /// At most one lap of the ring is consumed per call, so a controller that keeps posting
    /// cannot hold the caller forever.
    pub(crate) fn reap(&mut self, bar: &Bar0<'_>, mut f: impl FnMut(&Completion)) -> Result<u32> {
        let mut count = 0;
        let old = self.ring.head();
        while count < self.ring.depth() {
            let slot = usize::from(self.ring.head());
            let dw3: u32 = io_read!(self.cq, [try: slot][build: CQE_STATUS_DWORD]);
            if !self.ring.is_new(Completion::status_with_phase_of(dw3)) {
                break;
            }
            // The phase tag says the entry is complete: read the rest only after it.
            dma_mb(Read);
            let cqe = Completion::from_entry(io_project!(self.cq, [try: slot]).copy_read());
            self.ring.advance();
            count += 1;
            f(&cqe);
        }
        if count > 0 {
            let head = self.ring.head();
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

/// A submission queue and the completion queue it completes into, with the same identifier.
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
    /// - `EINVAL` if `depth` is not in `2..=65536`, or if the doorbells are outside `bar`.
    /// - `ENOMEM` if the rings cannot be allocated.
    pub(crate) fn new(
        dev: &device::Device<Bound>,
        bar: &Bar0<'_>,
        qid: u16,
        depth: u32,
        dstrd: u32,
    ) -> Result<Self> {
        let sq_ring = SqRing::new(depth)?;
        let cq_ring = CqRing::new(depth)?;
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
                sq: Coherent::zeroed_slice(dev, slots, GFP_KERNEL)?,
                ring: sq_ring,
                rung: 0,
                doorbell: sq_doorbell,
                shadow: None,
            },
            cq: CompQueue {
                cq: Coherent::zeroed_slice(dev, slots, GFP_KERNEL)?,
                ring: cq_ring,
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
    pub(crate) fn set_shadow(&mut self, buf: &Arc<DbBuf>) -> Result {
        let qid = self.sq.qid;
        self.sq.shadow = Some(Shadow::new(buf.clone(), qid, false)?);
        self.cq.shadow = Some(Shadow::new(buf.clone(), qid, true)?);
        Ok(())
    }

    /// Returns the queue identifier.
    pub(crate) fn qid(&self) -> u16 {
        self.sq.qid
    }

    /// Returns the number of slots of each ring.
    pub(crate) fn depth(&self) -> u32 {
        self.sq.ring.depth()
    }

    /// Returns the DMA address of the submission queue.
    pub(crate) fn sq_dma(&self) -> DmaAddress {
        self.sq.dma()
    }

    /// Returns the DMA address of the completion queue.
    pub(crate) fn cq_dma(&self) -> DmaAddress {
        self.cq.dma()
    }

    /// Copies `cmd` into the next submission queue slot and rings the tail doorbell.
    ///
    /// # Errors
    ///
    /// `EBUSY` if the submission queue is full, as far as the completions reaped so far tell.
    pub(crate) fn submit(&mut self, bar: &Bar0<'_>, cmd: &Command) -> Result {
        self.sq.push(cmd, self.sq_head)?;
        self.sq.ring(bar)
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
    pub(crate) fn into_halves(self) -> (SubQueue, CompQueue) {
        (self.sq, self.cq)
    }
}
