// SPDX-License-Identifier: GPL-2.0
/*
 * Submission and completion queue index arithmetic. See ring.h.
 */

#include <linux/errno.h>
#include <linux/export.h>
#include <kunit/visibility.h>

#include "ring.h"

static bool depth_ok(u32 depth)
{
	return depth >= CNVME_RING_MIN_DEPTH && depth <= CNVME_RING_MAX_DEPTH;
}

/* Returns the slot after @index in a ring of @depth slots. */
static u16 ring_next(u16 index, u32 depth)
{
	u32 next = (u32)index + 1;

	/* Below depth, which is at most 65536: it fits. */
	return next >= depth ? 0 : next;
}

/**
 * cnvme_sq_ring_init() - Set up an empty submission ring.
 * @sq: the ring.
 * @depth: its number of slots.
 *
 * Return: 0, or -EINVAL if @depth is not in 2..65536.
 */
int cnvme_sq_ring_init(struct cnvme_sq_ring *sq, u32 depth)
{
	if (!depth_ok(depth))
		return -EINVAL;
	sq->tail = 0;
	sq->depth = depth;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_sq_ring_init);

/**
 * cnvme_sq_ring_advance() - Move the tail past the slot just filled.
 * @sq: the ring.
 *
 * Return: the new tail, the value to write to the tail doorbell.
 */
u16 cnvme_sq_ring_advance(struct cnvme_sq_ring *sq)
{
	sq->tail = ring_next(sq->tail, sq->depth);
	return sq->tail;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_sq_ring_advance);

/**
 * cnvme_sq_ring_is_full() - Whether the submission ring is full.
 * @sq: the ring.
 * @head: the controller's head, from a completion's sq_head.
 *
 * Return: true if advancing the tail would reach @head.
 */
bool cnvme_sq_ring_is_full(const struct cnvme_sq_ring *sq, u16 head)
{
	return ring_next(sq->tail, sq->depth) == head;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_sq_ring_is_full);

/**
 * cnvme_sq_ring_free_slots() - How many commands can still be queued.
 * @sq: the ring.
 * @head: the controller's head, from a completion's sq_head.
 *
 * A head outside the ring (a controller bug) is taken modulo the depth.
 *
 * Return: the number of free slots, at most the depth minus one.
 */
u32 cnvme_sq_ring_free_slots(const struct cnvme_sq_ring *sq, u16 head)
{
	u32 tail = sq->tail;
	u32 h = head % sq->depth;
	u32 used = tail >= h ? tail - h : tail + sq->depth - h;

	return sq->depth - 1 - used;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_sq_ring_free_slots);

/**
 * cnvme_cq_ring_init() - Set up the state of a freshly zeroed completion ring.
 * @cq: the ring.
 * @depth: its number of slots.
 *
 * The head is 0 and new entries carry phase 1.
 *
 * Return: 0, or -EINVAL if @depth is not in 2..65536.
 */
int cnvme_cq_ring_init(struct cnvme_cq_ring *cq, u32 depth)
{
	if (!depth_ok(depth))
		return -EINVAL;
	cq->head = 0;
	cq->phase = true;
	cq->depth = depth;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cq_ring_init);

/**
 * cnvme_cq_ring_is_new() - Whether the entry at the head is new.
 * @cq: the ring.
 * @status_with_phase: the upper half of the entry's DW3 (phase tag in bit 0).
 *
 * Return: true if the entry's phase tag is the expected one.
 */
bool cnvme_cq_ring_is_new(const struct cnvme_cq_ring *cq, u16 status_with_phase)
{
	return (status_with_phase & 1) == cq->phase;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cq_ring_is_new);

/**
 * cnvme_cq_ring_advance() - Consume the entry at the head.
 * @cq: the ring.
 *
 * The expected phase flips when the head wraps.
 *
 * Return: the new head, the value to write to the head doorbell.
 */
u16 cnvme_cq_ring_advance(struct cnvme_cq_ring *cq)
{
	cq->head = ring_next(cq->head, cq->depth);
	if (!cq->head)
		cq->phase = !cq->phase;
	return cq->head;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cq_ring_advance);

/**
 * cnvme_need_event() - Whether a shadow doorbell update passed the event index.
 * @event_idx: the controller's event index.
 * @new: the new doorbell value.
 * @old: the previous doorbell value.
 *
 * All three are free-running 16-bit values compared modulo 2^16: the event
 * index was crossed if it lies in [@old, @new).
 *
 * Return: true if the MMIO doorbell must be written too.
 */
bool cnvme_need_event(u16 event_idx, u16 new, u16 old)
{
	return (u16)(new - event_idx - 1) < (u16)(new - old);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_need_event);
