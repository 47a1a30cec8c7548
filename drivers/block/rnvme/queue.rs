// SPDX-License-Identifier: GPL-2.0

//! A queue pair: one submission and one completion queue in coherent DMA memory, and their
//! doorbells.
//!
//! Both rings have the same depth and live in their own physically contiguous, page aligned
//! coherent allocation, as `CAP.CQR` may require and as the admin queue base registers and the
//! queue creation commands (`PC` set) expect. The host-side indices come from [`crate::ring`];
//! the doorbell offsets from [`regs::doorbell_offset`].
//!
//! The slots are stored as plain arrays ([`SqEntry`], [`CqEntry`]) because [`Coherent`] needs
//! the kernel's `AsBytes`/`FromBytes`, which the driver cannot implement for its own types
//! without `unsafe`; [`Command::to_entry`] and [`Completion::from_entry`] convert safely.
//!
//! A [`QueuePair`] does no locking: its user serialises submissions and completion processing
//! (the admin queue holds it under a mutex).

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
    sync::barrier::{
        dma_mb,
        Read, //
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
    dbbuf::Shadow,
    regs,
    ring::{
        CqRing,
        SqRing, //
    },
    Bar0, //
};

/// A submission queue and the completion queue it completes into, with the same identifier.
///
/// # Invariants
///
/// - `sq` has `sq_ring.depth()` slots and `cq` has `cq_ring.depth()` slots, so the ring indices
///   are always in bounds.
/// - `sq_doorbell` and `cq_doorbell` are within the BAR the queue was created for.
pub(crate) struct QueuePair {
    /// Queue identifier; 0 is the admin queue pair.
    qid: u16,
    /// Submission queue slots.
    sq: Coherent<[SqEntry]>,
    /// Completion queue slots.
    cq: Coherent<[CqEntry]>,
    /// Host side of the submission queue: the tail.
    sq_ring: SqRing,
    /// Host side of the completion queue: the head and the expected phase.
    cq_ring: CqRing,
    /// The submission queue head the controller reported last.
    sq_head: u16,
    /// The tail last written to the doorbell.
    sq_rung: u16,
    /// BAR offset of the submission queue tail doorbell.
    sq_doorbell: usize,
    /// BAR offset of the completion queue head doorbell.
    cq_doorbell: usize,
    /// The shadow doorbells, if the controller reads them (I/O queues only).
    shadow: Option<Shadow>,
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
            qid,
            sq: Coherent::zeroed_slice(dev, slots, GFP_KERNEL)?,
            cq: Coherent::zeroed_slice(dev, slots, GFP_KERNEL)?,
            sq_ring,
            cq_ring,
            sq_head: 0,
            sq_rung: 0,
            sq_doorbell,
            cq_doorbell,
            shadow: None,
        })
    }

    /// Makes the queue publish its tail and head through `shadow` and write the doorbell
    /// registers only when the controller asks for it.
    pub(crate) fn set_shadow(&mut self, shadow: Shadow) {
        self.shadow = Some(shadow);
    }

    /// Returns the queue identifier.
    pub(crate) fn qid(&self) -> u16 {
        self.qid
    }

    /// Returns the number of slots of each ring.
    pub(crate) fn depth(&self) -> u32 {
        self.sq_ring.depth()
    }

    /// Returns the DMA address of the submission queue.
    pub(crate) fn sq_dma(&self) -> DmaAddress {
        self.sq.dma_address()
    }

    /// Returns the DMA address of the completion queue.
    pub(crate) fn cq_dma(&self) -> DmaAddress {
        self.cq.dma_address()
    }

    /// Copies `cmd` into the next submission queue slot and rings the tail doorbell.
    ///
    /// # Errors
    ///
    /// `EBUSY` if the submission queue is full, as far as the completions reaped so far tell.
    pub(crate) fn submit(&mut self, bar: &Bar0<'_>, cmd: &Command) -> Result {
        self.push(cmd)?;
        self.ring_sq(bar)
    }

    /// Copies `cmd` into the next submission queue slot without telling the controller: a
    /// batch of commands is followed by one [`QueuePair::ring_sq`].
    ///
    /// # Errors
    ///
    /// `EBUSY` if the submission queue is full, as far as the completions reaped so far tell.
    pub(crate) fn push(&mut self, cmd: &Command) -> Result {
        if self.sq_ring.is_full(self.sq_head) {
            return Err(EBUSY);
        }
        let slot = usize::from(self.sq_ring.tail());
        io_project!(self.sq, [try: slot]).copy_write(cmd.to_entry());
        self.sq_ring.advance();
        Ok(())
    }

    /// Rings the submission queue tail doorbell if commands were pushed since the last time.
    pub(crate) fn ring_sq(&mut self, bar: &Bar0<'_>) -> Result {
        let tail = self.sq_ring.tail();
        let old = self.sq_rung;
        if tail == old {
            return Ok(());
        }
        self.sq_rung = tail;
        if let Some(shadow) = &self.shadow {
            if !shadow.sq_tail(old, tail)? {
                return Ok(());
            }
        }
        // The doorbell is a `writel`, which orders the slots' writes to memory before it.
        bar.try_write32(u32::from(tail), self.sq_doorbell)
    }

    /// Consumes every new completion in order, calling `f` on each, then rings the head
    /// doorbell once if any was consumed. Returns how many were consumed.
    ///
    /// At most one lap of the ring is consumed per call, so a controller that keeps posting
    /// cannot hold the caller forever.
    pub(crate) fn reap(&mut self, bar: &Bar0<'_>, mut f: impl FnMut(&Completion)) -> Result<u32> {
        let mut count = 0;
        let old = self.cq_ring.head();
        while count < self.cq_ring.depth() {
            let slot = usize::from(self.cq_ring.head());
            let dw3: u32 = io_read!(self.cq, [try: slot][build: CQE_STATUS_DWORD]);
            if !self.cq_ring.is_new(Completion::status_with_phase_of(dw3)) {
                break;
            }
            // The phase tag says the entry is complete: read the rest only after it.
            dma_mb(Read);
            let cqe = Completion::from_entry(io_project!(self.cq, [try: slot]).copy_read());
            self.sq_head = cqe.sq_head();
            self.cq_ring.advance();
            count += 1;
            f(&cqe);
        }
        if count > 0 {
            let head = self.cq_ring.head();
            let ring = match &self.shadow {
                Some(shadow) => shadow.cq_head(old, head)?,
                None => true,
            };
            if ring {
                bar.try_write32(u32::from(head), self.cq_doorbell)?;
            }
        }
        Ok(count)
    }
}
