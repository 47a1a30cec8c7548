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
 * cnvme_sq_push() - Copy a command into the next submission queue slot
 *	without telling the controller.
 * @sq: the submission queue.
 * @cmd: the command, its identifier set.
 * @head: the submission queue head the controller reported last.
 *
 * A batch of commands is followed by one cnvme_sq_ring().
 *
 * Return: 0, or -EBUSY if the queue is full, as far as @head tells.
 */
int cnvme_sq_push(struct cnvme_sq *sq, const struct cnvme_command *cmd,
		  u16 head)
{
	if (cnvme_sq_ring_is_full(&sq->ring, head))
		return -EBUSY;
	memcpy(&sq->sqes[sq->ring.tail], cmd, sizeof(*cmd));
	cnvme_sq_ring_advance(&sq->ring);
	return 0;
}

/**
 * cnvme_sq_ring() - Ring the tail doorbell if commands were pushed since the
 *	last time.
 * @sq: the submission queue.
 *
 * With a shadow doorbell, publishes the tail and rings only if the
 * controller asks for it.
 */
void cnvme_sq_ring(struct cnvme_sq *sq)
{
	u16 tail = sq->ring.tail;
	u16 old = sq->rung;

	if (tail == old)
		return;
	sq->rung = tail;
	if (sq->shadow.buf && !cnvme_shadow_update(&sq->shadow, old, tail))
		return;
	/* writel() orders the slots' writes to memory before the doorbell. */
	writel(tail, sq->doorbell);
}

/**
 * cnvme_cq_reap() - Consume the new completions.
 * @cq: the completion queue.
 * @fn: called on each new completion, in order.
 * @ctx: passed to @fn.
 *
 * Rings the head doorbell once if any completion was consumed; with a
 * shadow doorbell, publishes the head and rings only if the controller asks
 * for it. At most one lap of the ring is consumed per call, so a controller
 * that keeps posting cannot hold the caller forever.
 *
 * Return: the number of completions consumed.
 */
u32 cnvme_cq_reap(struct cnvme_cq *cq, cnvme_cqe_fn fn, void *ctx)
{
	u16 old = cq->ring.head;
	u32 count = 0;

	while (count < cq->ring.depth) {
		const struct cnvme_completion *slot = &cq->cqes[cq->ring.head];
		const __le32 *dws = (const __le32 *)slot;
		struct cnvme_completion cqe;
		__le32 dw3;

		dw3 = READ_ONCE(dws[CNVME_CQE_STATUS_DWORD]);
		if (!cnvme_cq_ring_is_new(&cq->ring,
					  cnvme_cqe_status_with_phase_of(dw3)))
			break;
		/* The phase tag says the entry is complete: read the rest only after it. */
		dma_rmb();
		memcpy(&cqe, slot, sizeof(cqe));
		cnvme_cq_ring_advance(&cq->ring);
		count++;
		fn(&cqe, ctx);
	}
	if (count) {
		u16 head = cq->ring.head;

		if (!cq->shadow.buf ||
		    cnvme_shadow_update(&cq->shadow, old, head))
			writel(head, cq->doorbell);
	}
	return count;
}

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
	struct cnvme_sq *sq = &q->sq;
	struct cnvme_cq *cq = &q->cq;
	int ret;

	memset(q, 0, sizeof(*q));
	ret = cnvme_sq_ring_init(&sq->ring, depth);
	if (ret)
		return ret;
	ret = cnvme_cq_ring_init(&cq->ring, depth);
	if (ret)
		return ret;
	/* The submission doorbell precedes the completion doorbell. */
	if (cq_doorbell + sizeof(u32) > bar_size)
		return -EINVAL;

	sq->sqes = dma_alloc_coherent(dev, depth * sizeof(*sq->sqes), &sq->dma,
				      GFP_KERNEL);
	if (!sq->sqes)
		return -ENOMEM;
	cq->cqes = dma_alloc_coherent(dev, depth * sizeof(*cq->cqes), &cq->dma,
				      GFP_KERNEL);
	if (!cq->cqes)
		goto err_free_sq;

	q->dev = dev;
	sq->qid = qid;
	sq->doorbell = bar + sq_doorbell;
	cq->doorbell = bar + cq_doorbell;
	return 0;

err_free_sq:
	dma_free_coherent(dev, depth * sizeof(*sq->sqes), sq->sqes, sq->dma);
	sq->sqes = NULL;
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

	dma_free_coherent(q->dev, depth * sizeof(*q->cq.cqes), q->cq.cqes,
			  q->cq.dma);
	dma_free_coherent(q->dev, depth * sizeof(*q->sq.sqes), q->sq.sqes,
			  q->sq.dma);
	q->cq.cqes = NULL;
	q->sq.sqes = NULL;
}

/**
 * cnvme_queue_set_shadow() - Make the queue publish its tail and head
 *	through shadow doorbells.
 * @q: the queue pair, an I/O queue.
 * @buf: the controller's shadow doorbell buffers.
 *
 * The queue then writes its doorbell registers only when the controller
 * asks for it.
 *
 * Return: 0, or -EINVAL for the admin queue, or a queue beyond those @buf
 * was allocated for.
 */
int cnvme_queue_set_shadow(struct cnvme_queue *q, struct cnvme_dbbuf *buf)
{
	int ret;

	ret = cnvme_shadow_init(&q->sq.shadow, buf, q->sq.qid, false);
	if (ret)
		return ret;
	return cnvme_shadow_init(&q->cq.shadow, buf, q->sq.qid, true);
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

	ret = cnvme_sq_push(&q->sq, cmd, q->sq_head);
	if (ret)
		return ret;
	cnvme_sq_ring(&q->sq);
	return 0;
}

/* What queue_reap_one() needs: the queue pair and its caller's callback. */
struct queue_reap {
	struct cnvme_queue *q;
	cnvme_cqe_fn fn;
	void *ctx;
};

/* Records the submission queue head of @cqe, then passes it on. */
static void queue_reap_one(const struct cnvme_completion *cqe, void *ctx)
{
	struct queue_reap *r = ctx;

	r->q->sq_head = le16_to_cpu(cqe->sq_head);
	r->fn(cqe, r->ctx);
}

/**
 * cnvme_queue_reap() - Consume the new completions of a queue pair.
 * @q: the queue pair.
 * @fn: called on each new completion, in order.
 * @ctx: passed to @fn.
 *
 * As cnvme_cq_reap(), and records the submission queue head the completions
 * report.
 *
 * Return: the number of completions consumed.
 */
u32 cnvme_queue_reap(struct cnvme_queue *q, cnvme_cqe_fn fn, void *ctx)
{
	struct queue_reap r = { .q = q, .fn = fn, .ctx = ctx };

	return cnvme_cq_reap(&q->cq, queue_reap_one, &r);
}
