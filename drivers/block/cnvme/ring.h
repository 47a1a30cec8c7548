/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Submission and completion queue index arithmetic.
 *
 * A submission queue is a ring the host fills at the tail and the controller
 * drains at the head; it is full when advancing the tail would make it equal
 * to the head, so a ring of depth slots holds at most depth - 1 commands. A
 * completion queue is a ring the controller fills; the host recognizes new
 * entries by their phase tag, which the controller inverts on every pass over
 * the ring, and which starts at 1 on a zeroed queue.
 *
 * cnvme_need_event() decides whether a shadow doorbell update must also be
 * written to the MMIO doorbell (Doorbell Buffer Config, NVMe 2.0 section 5.8).
 *
 * Everything here is pure: no function touches the hardware.
 */

#ifndef CNVME_RING_H
#define CNVME_RING_H

#include <linux/types.h>

/* Smallest queue depth the specification allows. */
#define CNVME_RING_MIN_DEPTH	2
/* Largest queue depth the specification allows. */
#define CNVME_RING_MAX_DEPTH	65536

/**
 * struct cnvme_sq_ring - The host's side of a submission queue.
 * @tail: the slot the next command goes to, below @depth.
 * @depth: the number of slots, 2 to 65536.
 *
 * Set up with cnvme_sq_ring_init(), which checks @depth.
 */
struct cnvme_sq_ring {
	u16 tail;
	u32 depth;
};

/**
 * struct cnvme_cq_ring - The host's side of a completion queue.
 * @head: the slot the next completion will be written to, below @depth.
 * @phase: the phase tag of new entries.
 * @depth: the number of slots, 2 to 65536.
 *
 * Set up with cnvme_cq_ring_init(), which checks @depth.
 */
struct cnvme_cq_ring {
	u16 head;
	bool phase;
	u32 depth;
};

int cnvme_sq_ring_init(struct cnvme_sq_ring *sq, u32 depth);
u16 cnvme_sq_ring_advance(struct cnvme_sq_ring *sq);
bool cnvme_sq_ring_is_full(const struct cnvme_sq_ring *sq, u16 head);
u32 cnvme_sq_ring_free_slots(const struct cnvme_sq_ring *sq, u16 head);

int cnvme_cq_ring_init(struct cnvme_cq_ring *cq, u32 depth);
bool cnvme_cq_ring_is_new(const struct cnvme_cq_ring *cq, u16 status_with_phase);
u16 cnvme_cq_ring_advance(struct cnvme_cq_ring *cq);

bool cnvme_need_event(u16 event_idx, u16 new, u16 old);

#endif /* CNVME_RING_H */
