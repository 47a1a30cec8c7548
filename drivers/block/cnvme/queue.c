// SPDX-License-Identifier: GPL-2.0
/*
 * Queue pairs in coherent DMA memory, their doorbells, and the shadow
 * doorbell buffers (Doorbell Buffer Config). See cnvme.h; what a command
 * does on a queue pair is in io.h.
 */

#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/limits.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cnvme.h"
#include "io.h"

/* Size of one buffer. */
#define DBBUF_SIZE	(CNVME_DBBUF_ENTRIES * sizeof(__le32))

/**
 * cnvme_dbbuf_alloc() - Allocate the shadow doorbell and EventIdx buffers.
 * @dev: the controller's device.
 * @io_queues: the I/O queues the buffers are for: 1 to @io_queues, besides
 *	the admin queue.
 * @dstrd: CAP.DSTRD of the controller.
 *
 * The buffers are zeroed.
 *
 * Return: the buffers, ERR_PTR(-EINVAL) if the doorbells of that many queues
 * do not fit in a page, or ERR_PTR(-ENOMEM).
 */
struct cnvme_dbbuf *cnvme_dbbuf_alloc(struct device *dev, u32 io_queues,
				      u32 dstrd)
{
	struct cnvme_dbbuf *buf;

	if (io_queues > U16_MAX ||
	    cnvme_shadow_index(io_queues, true, dstrd) >= CNVME_DBBUF_ENTRIES)
		return ERR_PTR(-EINVAL);
	buf = kzalloc_obj(*buf);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->dbs = dma_alloc_coherent(dev, DBBUF_SIZE, &buf->dbs_dma,
				      GFP_KERNEL);
	if (!buf->dbs)
		goto err_free;
	buf->eis = dma_alloc_coherent(dev, DBBUF_SIZE, &buf->eis_dma,
				      GFP_KERNEL);
	if (!buf->eis)
		goto err_free_dbs;
	buf->dev = dev;
	buf->dstrd = dstrd;
	return buf;

err_free_dbs:
	dma_free_coherent(dev, DBBUF_SIZE, buf->dbs, buf->dbs_dma);
err_free:
	kfree(buf);
	return ERR_PTR(-ENOMEM);
}

/**
 * cnvme_dbbuf_free() - Free the shadow doorbell and EventIdx buffers.
 * @buf: the buffers, or NULL.
 *
 * The controller must no longer use them: the I/O queues are deleted and no
 * admin command is sent any more, or the controller is disabled.
 */
void cnvme_dbbuf_free(struct cnvme_dbbuf *buf)
{
	if (!buf)
		return;
	dma_free_coherent(buf->dev, DBBUF_SIZE, buf->eis, buf->eis_dma);
	dma_free_coherent(buf->dev, DBBUF_SIZE, buf->dbs, buf->dbs_dma);
	kfree(buf);
}

/*
 * Sets up @shadow, the shadow tail doorbell of I/O queue @qid, or its head
 * doorbell if @completion. Returns 0, or -EINVAL for the admin queue or a
 * queue beyond those @buf was allocated for.
 */
static int shadow_init(struct cnvme_shadow *shadow, struct cnvme_dbbuf *buf,
		       u16 qid, bool completion)
{
	size_t index = cnvme_shadow_index(qid, completion, buf->dstrd);

	if (!qid || index >= CNVME_DBBUF_ENTRIES)
		return -EINVAL;
	shadow->buf = buf;
	shadow->index = index;
	return 0;
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
	u32 depth = q->sq.ring.depth;

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

	ret = shadow_init(&q->sq.shadow, buf, q->sq.qid, false);
	if (ret)
		return ret;
	return shadow_init(&q->cq.shadow, buf, q->sq.qid, true);
}
