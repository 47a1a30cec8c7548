// SPDX-License-Identifier: GPL-2.0
/*
 * A queue pair in coherent DMA memory and its doorbells. See queue.h.
 */

#include <linux/compiler.h>
#include <linux/dma-mapping.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/string.h>

#include "queue.h"
#include "regs.h"

/**
 * cnvme_queue_init() - Allocate a queue pair.
 * @q: the queue pair to set up.
 * @dev: the device the rings are for.
 * @bar: the mapping of BAR0, with the doorbells.
 * @bar_size: the size of that mapping.
 * @qid: the queue identifier.
 * @depth: the number of entries of each ring.
 * @dstrd: CAP.DSTRD of the controller.
 *
 * Allocates zeroed rings of @depth entries. The controller does not know
 * about the queue yet: program the admin queue registers, or send Create I/O
 * Completion/Submission Queue.
 *
 * Return: 0, -EINVAL if @depth is not in 2..65536 or the doorbells are
 * outside the BAR, or -ENOMEM.
 */
int cnvme_queue_init(struct cnvme_queue *q, struct device *dev,
		     void __iomem *bar, size_t bar_size, u16 qid, u32 depth,
		     u32 dstrd)
{
	size_t sq_doorbell = cnvme_doorbell_offset(qid, false, dstrd);
	size_t cq_doorbell = cnvme_doorbell_offset(qid, true, dstrd);
	int ret;

	memset(q, 0, sizeof(*q));
	ret = cnvme_sq_ring_init(&q->sq_ring, depth);
	if (ret)
		return ret;
	ret = cnvme_cq_ring_init(&q->cq_ring, depth);
	if (ret)
		return ret;
	/* The submission doorbell precedes the completion doorbell. */
	if (cq_doorbell + sizeof(u32) > bar_size)
		return -EINVAL;

	q->sqes = dma_alloc_coherent(dev, depth * sizeof(*q->sqes), &q->sq_dma,
				     GFP_KERNEL);
	if (!q->sqes)
		return -ENOMEM;
	q->cqes = dma_alloc_coherent(dev, depth * sizeof(*q->cqes), &q->cq_dma,
				     GFP_KERNEL);
	if (!q->cqes)
		goto err_free_sq;

	q->dev = dev;
	q->qid = qid;
	q->sq_doorbell = bar + sq_doorbell;
	q->cq_doorbell = bar + cq_doorbell;
	return 0;

err_free_sq:
	dma_free_coherent(dev, depth * sizeof(*q->sqes), q->sqes, q->sq_dma);
	q->sqes = NULL;
	return -ENOMEM;
}

/**
 * cnvme_queue_free() - Free the rings of a queue pair.
 * @q: the queue pair, set up by cnvme_queue_init().
 *
 * The controller must no longer use the queue: it was deleted, or the
 * controller is disabled.
 */
void cnvme_queue_free(struct cnvme_queue *q)
{
	u32 depth = cnvme_queue_depth(q);

	dma_free_coherent(q->dev, depth * sizeof(*q->cqes), q->cqes, q->cq_dma);
	dma_free_coherent(q->dev, depth * sizeof(*q->sqes), q->sqes, q->sq_dma);
	q->cqes = NULL;
	q->sqes = NULL;
}

/**
 * cnvme_queue_set_shadow() - Make the queue publish its tail and head
 *	through shadow doorbells.
 * @q: the queue pair, an I/O queue.
 * @shadow: its shadow doorbells, set up by cnvme_shadow_init().
 *
 * The queue then writes its doorbell registers only when the controller
 * asks for it.
 */
void cnvme_queue_set_shadow(struct cnvme_queue *q,
			    const struct cnvme_shadow *shadow)
{
	q->shadow = *shadow;
}

/**
 * cnvme_queue_submit() - Queue a command and ring the tail doorbell.
 * @q: the queue pair.
 * @cmd: the command, its identifier set.
 *
 * Return: 0, or -EBUSY if the submission queue is full, as far as the
 * completions reaped so far tell.
 */
int cnvme_queue_submit(struct cnvme_queue *q, const struct cnvme_command *cmd)
{
	int ret;

	ret = cnvme_queue_push(q, cmd);
	if (ret)
		return ret;
	cnvme_queue_ring_sq(q);
	return 0;
}

/**
 * cnvme_queue_push() - Copy a command into the next submission queue slot
 *	without telling the controller.
 * @q: the queue pair.
 * @cmd: the command, its identifier set.
 *
 * A batch of commands is followed by one cnvme_queue_ring_sq().
 *
 * Return: 0, or -EBUSY if the submission queue is full, as far as the
 * completions reaped so far tell.
 */
int cnvme_queue_push(struct cnvme_queue *q, const struct cnvme_command *cmd)
{
	if (cnvme_sq_ring_is_full(&q->sq_ring, q->sq_head))
		return -EBUSY;
	memcpy(&q->sqes[q->sq_ring.tail], cmd, sizeof(*cmd));
	cnvme_sq_ring_advance(&q->sq_ring);
	return 0;
}

/**
 * cnvme_queue_ring_sq() - Ring the submission queue tail doorbell if
 *	commands were pushed since the last time.
 * @q: the queue pair.
 *
 * With shadow doorbells, publishes the tail and rings only if the
 * controller asks for it.
 */
void cnvme_queue_ring_sq(struct cnvme_queue *q)
{
	u16 tail = q->sq_ring.tail;
	u16 old = q->sq_rung;

	if (tail == old)
		return;
	q->sq_rung = tail;
	if (q->shadow.buf && !cnvme_shadow_sq_tail(&q->shadow, old, tail))
		return;
	/* writel() orders the slots' writes to memory before the doorbell. */
	writel(tail, q->sq_doorbell);
}

/**
 * cnvme_queue_reap() - Consume the new completions.
 * @q: the queue pair.
 * @fn: called on each new completion, in order.
 * @ctx: passed to @fn.
 *
 * Rings the head doorbell once if any completion was consumed; with shadow
 * doorbells, publishes the head and rings only if the controller asks for
 * it. At most one lap of the ring is consumed per call, so a controller that
 * keeps posting cannot hold the caller forever.
 *
 * Return: the number of completions consumed.
 */
u32 cnvme_queue_reap(struct cnvme_queue *q, cnvme_cqe_fn fn, void *ctx)
{
	u16 old = q->cq_ring.head;
	u32 count = 0;

	while (count < q->cq_ring.depth) {
		const struct cnvme_completion *slot = &q->cqes[q->cq_ring.head];
		const __le32 *dws = (const __le32 *)slot;
		struct cnvme_completion cqe;
		__le32 dw3;

		dw3 = READ_ONCE(dws[CNVME_CQE_STATUS_DWORD]);
		if (!cnvme_cq_ring_is_new(&q->cq_ring,
					  cnvme_cqe_status_with_phase_of(dw3)))
			break;
		/* The phase tag says the entry is complete: read the rest only after it. */
		dma_rmb();
		memcpy(&cqe, slot, sizeof(cqe));
		q->sq_head = le16_to_cpu(cqe.sq_head);
		cnvme_cq_ring_advance(&q->cq_ring);
		count++;
		fn(&cqe, ctx);
	}
	if (count) {
		u16 head = q->cq_ring.head;

		if (!q->shadow.buf ||
		    cnvme_shadow_cq_head(&q->shadow, old, head))
			writel(head, q->cq_doorbell);
	}
	return count;
}
