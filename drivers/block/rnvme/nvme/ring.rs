// SPDX-License-Identifier: GPL-2.0

//! Submission and completion queue index arithmetic.
//!
//! A submission queue is a ring the host fills at the tail and the controller drains at the
//! head; it is full when advancing the tail would make it equal to the head, so a ring of
//! `depth` slots holds at most `depth - 1` commands. A completion queue is a ring the controller
//! fills; the host recognizes new entries by their phase tag, which the controller inverts on
//! every pass over the ring, and which starts at 1 on a zeroed queue.
//!
//! [`need_event`] decides whether a shadow doorbell update must also be written to the MMIO
//! doorbell (Doorbell Buffer Config, NVMe 2.0 section 5.8).
//!
//! Everything here is pure: no function touches the hardware.

use kernel::prelude::*;

/// Smallest queue depth the specification allows.
pub(crate) const MIN_DEPTH: u32 = 2;
/// Largest queue depth the specification allows: the 0's based `QSIZE` of the queue creation
/// commands is 16 bits.
pub(crate) const MAX_DEPTH: u32 = 65536;

/// Returns `depth` if it is a valid queue depth.
fn check_depth(depth: u32) -> Result<u32> {
    if !(MIN_DEPTH..=MAX_DEPTH).contains(&depth) {
        return Err(EINVAL);
    }
    Ok(depth)
}

/// Returns the slot after `index` in a ring of `depth` slots.
fn next(index: u16, depth: u32) -> u16 {
    let next = u32::from(index) + 1;
    if next >= depth {
        0
    } else {
        // CAST: `next < depth <= 65536`, so it fits.
        next as u16
    }
}

/// The host's side of a submission queue: its tail.
///
/// # Invariants
///
/// `depth` is in `2..=65536` and `tail < depth`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SqTail {
    tail: u16,
    depth: u32,
}

impl SqTail {
    /// Returns an empty submission ring of `depth` slots.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `depth` is not in `2..=65536`.
    pub(crate) fn new(depth: u32) -> Result<Self> {
        // INVARIANT: the depth is checked, and 0 is below it.
        Ok(Self {
            tail: 0,
            depth: check_depth(depth)?,
        })
    }

    /// Returns the slot the next command goes to.
    pub(crate) fn tail(&self) -> u16 {
        self.tail
    }

    /// Returns the number of slots.
    pub(crate) fn depth(&self) -> u32 {
        self.depth
    }

    /// Moves the tail past the slot just filled and returns the new tail, the value to write to
    /// the tail doorbell.
    pub(crate) fn advance(&mut self) -> u16 {
        // INVARIANT: `next` wraps to 0 at `depth`.
        self.tail = next(self.tail, self.depth);
        self.tail
    }

    /// Returns whether the ring is full, given the controller's head (from a completion's
    /// `sq_head`).
    pub(crate) fn is_full(&self, head: u16) -> bool {
        next(self.tail, self.depth) == head
    }
}

/// The host's side of a completion queue: its head and the phase tag of new entries.
///
/// # Invariants
///
/// `depth` is in `2..=65536` and `head < depth`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CqHead {
    head: u16,
    phase: bool,
    depth: u32,
}

impl CqHead {
    /// Returns the state of a freshly zeroed completion ring of `depth` slots: head 0, and new
    /// entries carry phase 1.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `depth` is not in `2..=65536`.
    pub(crate) fn new(depth: u32) -> Result<Self> {
        // INVARIANT: the depth is checked, and 0 is below it.
        Ok(Self {
            head: 0,
            phase: true,
            depth: check_depth(depth)?,
        })
    }

    /// Returns the slot the next completion will be written to.
    pub(crate) fn head(&self) -> u16 {
        self.head
    }

    /// Returns the number of slots.
    pub(crate) fn depth(&self) -> u32 {
        self.depth
    }

    /// Returns whether the entry at the head is new, from the upper half of its DW3 (see
    /// `Completion::status_with_phase`): its phase tag is the expected one.
    pub(crate) fn is_new(&self, status_with_phase: u16) -> bool {
        (status_with_phase & 1 != 0) == self.phase
    }

    /// Consumes the entry at the head and returns the new head, the value to write to the head
    /// doorbell; the expected phase flips when the head wraps.
    pub(crate) fn advance(&mut self) -> u16 {
        // INVARIANT: `next` wraps to 0 at `depth`.
        self.head = next(self.head, self.depth);
        if self.head == 0 {
            self.phase = !self.phase;
        }
        self.head
    }
}

/// Returns whether moving a shadow doorbell from `old` to `new` passed the controller's event
/// index `event_idx`, in which case the MMIO doorbell must be written too.
///
/// All three are free-running 16-bit values compared modulo 2^16: the event index was crossed
/// if it lies in `old..new` (`new` excluded).
pub(crate) fn need_event(event_idx: u16, new: u16, old: u16) -> bool {
    new.wrapping_sub(event_idx).wrapping_sub(1) < new.wrapping_sub(old)
}

#[cfg(CONFIG_RNVME_KUNIT_TEST)]
#[kunit_tests(rnvme_ring)]
mod tests {
    use super::*;

    #[test]
    fn depth_limits() -> Result {
        assert_eq!(SqTail::new(0), Err(EINVAL));
        assert_eq!(SqTail::new(1), Err(EINVAL));
        assert_eq!(SqTail::new(65537), Err(EINVAL));
        assert_eq!(CqHead::new(1), Err(EINVAL));
        assert_eq!(CqHead::new(65537), Err(EINVAL));
        assert_eq!(SqTail::new(2)?.depth(), 2);
        assert_eq!(CqHead::new(65536)?.depth(), 65536);
        Ok(())
    }

    #[test]
    fn sq_tail_wraps() -> Result {
        let mut sq = SqTail::new(4)?;
        assert_eq!(sq.tail(), 0);
        assert_eq!(sq.advance(), 1);
        assert_eq!(sq.advance(), 2);
        assert_eq!(sq.advance(), 3);
        assert_eq!(sq.advance(), 0);
        assert_eq!(sq.advance(), 1);

        // The largest ring wraps after slot 65535.
        let mut sq = SqTail::new(65536)?;
        for _ in 0..65535 {
            sq.advance();
        }
        assert_eq!(sq.tail(), 65535);
        assert_eq!(sq.advance(), 0);

        // An odd depth that is not a power of two.
        let mut sq = SqTail::new(3)?;
        sq.advance();
        sq.advance();
        assert_eq!(sq.advance(), 0);
        Ok(())
    }

    #[test]
    fn sq_full() -> Result {
        let mut sq = SqTail::new(4)?;
        assert!(!sq.is_full(0));
        sq.advance();
        sq.advance();
        sq.advance();
        // Three commands in a ring of four: full.
        assert!(sq.is_full(0));
        // The controller consumed one.
        assert!(!sq.is_full(1));
        // Tail wrapped behind the head.
        sq.advance();
        assert_eq!(sq.tail(), 0);
        assert!(sq.is_full(1));
        assert!(!sq.is_full(2));

        let sq = SqTail::new(2)?;
        assert!(!sq.is_full(0));
        assert!(sq.is_full(1));
        // A head beyond the ring neither panics nor reads as full.
        assert!(!sq.is_full(7));
        Ok(())
    }

    #[test]
    fn cq_phase_flips() -> Result {
        let mut cq = CqHead::new(2)?;
        assert!(cq.phase);
        // A zeroed entry is not new; one the controller wrote in the first pass is.
        assert!(!cq.is_new(0));
        assert!(cq.is_new(1));
        assert_eq!(cq.advance(), 1);
        assert!(cq.phase);
        assert_eq!(cq.advance(), 0);
        assert!(!cq.phase);
        // Second pass: phase 0 is new, a stale phase 1 entry is not.
        assert!(cq.is_new(0));
        assert!(!cq.is_new(1));
        // Status bits other than the phase do not matter.
        assert!(cq.is_new(0xfffe));
        assert!(!cq.is_new(0xffff));
        assert_eq!(cq.advance(), 1);
        assert_eq!(cq.advance(), 0);
        assert!(cq.phase);
        assert!(cq.is_new(0x8003));
        Ok(())
    }

    #[test]
    fn cq_full_lap() -> Result {
        let mut cq = CqHead::new(1024)?;
        for i in 1..1024u16 {
            assert_eq!(cq.advance(), i);
            assert!(cq.phase);
        }
        assert_eq!(cq.advance(), 0);
        assert!(!cq.phase);
        for _ in 0..1024 {
            cq.advance();
        }
        assert_eq!(cq.head(), 0);
        assert!(cq.phase);
        Ok(())
    }

    #[test]
    fn shadow_doorbell_events() -> Result {
        // The event index is the old value: the first step past it needs an event.
        assert!(need_event(5, 6, 5));
        // Already past it.
        assert!(!need_event(5, 7, 6));
        // Crossed in a batch.
        assert!(need_event(4, 6, 2));
        assert!(need_event(2, 6, 2));
        assert!(need_event(5, 6, 2));
        // Not reached yet.
        assert!(!need_event(6, 6, 2));
        assert!(!need_event(10, 6, 2));
        // No movement, no event.
        assert!(!need_event(5, 5, 5));
        // Across the 16-bit wrap.
        assert!(need_event(0xffff, 0x0002, 0xfffe));
        assert!(need_event(0x0001, 0x0002, 0xfffe));
        assert!(!need_event(0x0002, 0x0002, 0xfffe));
        assert!(!need_event(0xfffd, 0x0002, 0xfffe));
        assert!(need_event(0xffff, 0x0000, 0xffff));
        Ok(())
    }
}
