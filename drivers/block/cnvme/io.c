// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O path: I/O queue pairs, their interrupts and the blk-mq operations.
 * See io.h.
 */

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "admin.h"
#include "cmd.h"
#include "ctrl.h"
#include "io.h"
#include "regs.h"

/* Size of the PRP list pages of one queue: one page per tag. */
#define LISTS_SIZE	(CNVME_IO_QUEUE_DEPTH * CNVME_PRP_LIST_ENTRIES * sizeof(__le64))

/* Returns the queue identifier of @q. */
static u16 io_queue_qid(const struct cnvme_io_queue *q)
{
	/* @count is at most the number of MSI-X vectors, well below U16_MAX. */
	return q->index + 1;
}

/* Frees the memory of @q, which the controller no longer uses. */
static void io_queue_free(struct cnvme_io_queue *q)
{
	dma_free_coherent(q->io->dev, LISTS_SIZE, q->lists, q->lists_dma);
	kfree(q->segs);
	kfree(q->scratch);
	cnvme_queue_free(&q->qp);
}

/* Allocates the memory of I/O queue @index; the controller knows nothing of it yet. */
static int io_queue_alloc(struct cnvme_io_queues *io, struct cnvme_ctrl *ctrl,
			  struct cnvme_io_queue *q, u32 index)
{
	int ret;

	q->io = io;
	q->index = index;
	spin_lock_init(&q->lock);
	ret = cnvme_queue_init(&q->qp, io->dev, ctrl->bar, ctrl->bar_size,
			       io_queue_qid(q), CNVME_IO_QUEUE_DEPTH,
			       cnvme_cap_doorbell_stride(ctrl->cap));
	if (ret)
		return ret;
	q->scratch = kcalloc(CNVME_PRP_LIST_ENTRIES, sizeof(*q->scratch),
			     GFP_KERNEL);
	if (!q->scratch)
		goto err_free_queue;
	q->segs = kcalloc(CNVME_MAX_SEGMENTS, sizeof(*q->segs), GFP_KERNEL);
	if (!q->segs)
		goto err_free_scratch;
	q->lists = dma_alloc_coherent(io->dev, LISTS_SIZE, &q->lists_dma,
				      GFP_KERNEL);
	if (!q->lists)
		goto err_free_segs;
	return 0;

err_free_segs:
	kfree(q->segs);
err_free_scratch:
	kfree(q->scratch);
err_free_queue:
	cnvme_queue_free(&q->qp);
	return -ENOMEM;
}

/**
 * cnvme_io_create() - Allocate I/O queue pairs and create them on the
 *	controller.
 * @io: the I/O queues to set up; @io->tagset is the caller's.
 * @ctrl: the controller, enabled.
 * @count: the number of queue pairs.
 *
 * Completion queue i + 1 signals MSI-X vector i + 1; its handler must be
 * registered before any I/O is submitted. The queues created before a
 * failure are deleted again.
 *
 * Return: 0, -ENOMEM, or an error of the Create I/O Completion/Submission
 * Queue commands.
 */
int cnvme_io_create(struct cnvme_io_queues *io, struct cnvme_ctrl *ctrl,
		    unsigned int count)
{
	struct cnvme_admin *admin = &ctrl->admin;
	u32 index;
	int ret;

	io->dev = ctrl->dev;
	io->page_shift = ctrl->page_shift;
	io->nr_queues = 0;
	io->queues = kcalloc(count, sizeof(*io->queues), GFP_KERNEL);
	if (!io->queues)
		return -ENOMEM;

	for (index = 0; index < count; index++) {
		struct cnvme_io_queue *q = &io->queues[index];
		u16 qid = index + 1;

		ret = io_queue_alloc(io, ctrl, q, index);
		if (ret)
			goto err_delete;
		ret = cnvme_admin_create_cq(admin, &q->qp, qid);
		if (ret)
			goto err_create;
		ret = cnvme_admin_create_sq(admin, &q->qp);
		if (ret) {
			cnvme_admin_delete_cq(admin, qid);
			goto err_create;
		}
		io->nr_queues++;
	}
	return 0;

err_create:
	dev_err(io->dev, "cannot create I/O queue %u: %pe\n",
		index + 1, ERR_PTR(ret));
	io_queue_free(&io->queues[index]);
err_delete:
	cnvme_io_delete(io, admin);
	cnvme_io_free(io);
	return ret;
}

/**
 * cnvme_io_delete() - Delete the I/O queues from the controller.
 * @io: the I/O queues, set up by cnvme_io_create().
 * @admin: the controller's admin queue.
 *
 * Submission queues first, then the completion queues. Failures are reported
 * and skipped: the controller is shut down and disabled next anyway.
 */
void cnvme_io_delete(struct cnvme_io_queues *io, struct cnvme_admin *admin)
{
	unsigned int i;

	for (i = 0; i < io->nr_queues; i++) {
		u16 qid = io_queue_qid(&io->queues[i]);
		int ret;

		ret = cnvme_admin_delete_sq(admin, qid);
		if (!ret)
			ret = cnvme_admin_delete_cq(admin, qid);
		if (ret)
			dev_err(io->dev, "cannot delete I/O queue %u: %pe\n",
				qid, ERR_PTR(ret));
	}
}

/**
 * cnvme_io_free() - Free the memory of the I/O queues.
 * @io: the I/O queues, set up by cnvme_io_create().
 *
 * The controller must no longer use them (deleted, or the controller
 * disabled) and their interrupt handlers must be freed.
 */
void cnvme_io_free(struct cnvme_io_queues *io)
{
	unsigned int i;

	for (i = 0; i < io->nr_queues; i++)
		io_queue_free(&io->queues[i]);
	kfree(io->queues);
	io->queues = NULL;
	io->nr_queues = 0;
}

/* Undoes the DMA mapping of @req, if it has one. */
static void io_rq_unmap(struct device *dev, struct cnvme_rq *req)
{
	if (!req->nents)
		return;
	dma_unmap_sg(dev, req->sg, req->nents, req->dir);
	req->nents = 0;
}

/*
 * Builds the PRP entries of @nr_segs DMA segments of @q->segs; a PRP list
 * goes to the list page of tag @tag. Called with @q->lock held.
 */
static int io_queue_prps(struct cnvme_io_queue *q, unsigned int nr_segs,
			 unsigned int page_shift, u32 tag, u64 *prp1, u64 *prp2)
{
	struct cnvme_prp_list list;
	struct cnvme_prp prp;
	size_t first;
	u64 count;
	int ret;

	if (tag >= CNVME_IO_QUEUE_DEPTH)
		return -EINVAL;
	first = (size_t)tag * CNVME_PRP_LIST_ENTRIES;
	list.dma = q->lists_dma + first * sizeof(__le64);
	list.entries = q->scratch;
	list.nr_entries = CNVME_PRP_LIST_ENTRIES;
	ret = cnvme_prp_build(q->segs, nr_segs, page_shift, &list, 1, &prp);
	if (ret)
		return ret;
	if (prp.list_pages) {
		/* The entries after PRP1, all in the one list page. */
		ret = cnvme_prp_count_entries(q->segs, nr_segs, page_shift,
					      &count);
		if (ret)
			return ret;
		memcpy(&q->lists[first], q->scratch,
		       (count - 1) * sizeof(__le64));
	}
	*prp1 = prp.prp1;
	*prp2 = prp.prp2;
	return 0;
}

/*
 * Maps the data of @rq and builds its Read or Write command. Called with
 * @q->lock held.
 */
static int io_rw_command(struct cnvme_ns_queue *ns, struct cnvme_io_queue *q,
			 struct request *rq, struct cnvme_command *cmd)
{
	struct cnvme_rq *req = blk_mq_rq_to_pdu(rq);
	struct device *dev = ns->io->dev;
	u32 bytes = blk_rq_bytes(rq);
	struct scatterlist *sg;
	u64 slba, nlb, prp1, prp2;
	int nents, mapped, i, ret;
	bool fua;

	if (!bytes || bytes & ((1U << ns->lba_shift) - 1))
		return -EINVAL;
	nlb = (bytes >> ns->lba_shift) - 1;
	if (nlb > U16_MAX)
		return -EINVAL;
	slba = blk_rq_pos(rq) >> (ns->lba_shift - SECTOR_SHIFT);

	nents = blk_rq_nr_phys_segments(rq);
	if (!nents || nents > CNVME_MAX_SEGMENTS)
		return -E2BIG;
	sg_init_table(req->sg, CNVME_MAX_SEGMENTS);
	nents = blk_rq_map_sg(rq, req->sg);
	if (nents <= 0)
		return -EINVAL;
	req->dir = rq_dma_dir(rq);
	mapped = dma_map_sg(dev, req->sg, nents, req->dir);
	if (!mapped)
		return -ENOMEM;
	req->nents = nents;

	for_each_sg(req->sg, sg, mapped, i) {
		q->segs[i].addr = sg_dma_address(sg);
		q->segs[i].len = sg_dma_len(sg);
	}
	ret = io_queue_prps(q, mapped, ns->io->page_shift, rq->tag, &prp1, &prp2);
	if (ret) {
		io_rq_unmap(dev, req);
		return ret;
	}

	fua = rq->cmd_flags & REQ_FUA;
	if (req_op(rq) == REQ_OP_READ)
		cnvme_cmd_read(cmd, ns->nsid, slba, nlb, prp1, prp2, fua);
	else
		cnvme_cmd_write(cmd, ns->nsid, slba, nlb, prp1, prp2, fua);
	return 0;
}

static blk_status_t cnvme_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct cnvme_ns_queue *ns = hctx->queue->queuedata;
	struct cnvme_io_queues *io = ns->io;
	struct request *rq = bd->rq;
	struct cnvme_rq *req = blk_mq_rq_to_pdu(rq);
	struct cnvme_command cmd;
	struct cnvme_io_queue *q;
	unsigned long flags;
	int ret;

	blk_mq_start_request(rq);
	req->nents = 0;
	if (hctx->queue_num >= io->nr_queues)
		return errno_to_blk_status(-EINVAL);
	q = &io->queues[hctx->queue_num];

	spin_lock_irqsave(&q->lock, flags);
	switch (req_op(rq)) {
	case REQ_OP_FLUSH:
		cnvme_cmd_flush(&cmd, ns->nsid);
		break;
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		ret = io_rw_command(ns, q, rq, &cmd);
		if (ret)
			goto out_unlock;
		break;
	default:
		ret = -EOPNOTSUPP;
		goto out_unlock;
	}
	/* Tags are below the queue depth, which fits in 16 bits. */
	cnvme_cmd_set_cid(&cmd, rq->tag);
	ret = cnvme_queue_push(&q->qp, &cmd);
	if (ret) {
		io_rq_unmap(io->dev, req);
		goto out_unlock;
	}
	/*
	 * Leave @rq alone from here on: once any doorbell sends the command,
	 * ours or that of another CPU submitting to this queue after us (both
	 * under the queue lock), the interrupt handler may end it.
	 */
	if (bd->last)
		cnvme_queue_ring_sq(&q->qp);
	spin_unlock_irqrestore(&q->lock, flags);
	return BLK_STS_OK;

out_unlock:
	spin_unlock_irqrestore(&q->lock, flags);
	return errno_to_blk_status(ret);
}

static void cnvme_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct cnvme_ns_queue *ns = hctx->queue->queuedata;
	struct cnvme_io_queues *io = ns->io;
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < io->nr_queues; i++) {
		struct cnvme_io_queue *q = &io->queues[i];

		spin_lock_irqsave(&q->lock, flags);
		cnvme_queue_ring_sq(&q->qp);
		spin_unlock_irqrestore(&q->lock, flags);
	}
}

static void cnvme_complete_rq(struct request *rq)
{
	/* cnvme ends its requests in the interrupt handler and never schedules completion. */
	blk_mq_end_request(rq, BLK_STS_OK);
}

const struct blk_mq_ops cnvme_mq_ops = {
	.queue_rq	= cnvme_queue_rq,
	.commit_rqs	= cnvme_commit_rqs,
	.complete	= cnvme_complete_rq,
};

/* Ends the request of completion (@cid, @status) of queue @q. */
static void io_end(struct cnvme_io_queue *q, u16 cid, u16 status)
{
	struct cnvme_io_queues *io = q->io;
	struct request *rq;

	rq = blk_mq_tag_to_rq(io->tagset.tags[q->index], cid);
	if (!rq || !blk_mq_request_started(rq)) {
		/* A completion for a command we do not own: a confused controller. */
		dev_warn(io->dev, "queue %u: completion for unknown command %u\n",
			 io_queue_qid(q), cid);
		return;
	}
	io_rq_unmap(io->dev, blk_mq_rq_to_pdu(rq));
	blk_mq_end_request(rq, cnvme_status_to_blk(status));
}

/* The completions one interrupt collects: identifier and status of each. */
struct io_done {
	unsigned int n;
	struct {
		u16 cid;
		u16 status;
	} cqes[CNVME_IO_QUEUE_DEPTH];
};

static void io_collect(const struct cnvme_completion *cqe, void *ctx)
{
	struct io_done *done = ctx;

	if (done->n >= ARRAY_SIZE(done->cqes))
		return;
	done->cqes[done->n].cid = le16_to_cpu(cqe->cid);
	done->cqes[done->n].status = cnvme_cqe_status(cqe);
	done->n++;
}

/**
 * cnvme_admin_irq() - The interrupt handler of MSI-X vector 0.
 * @irq: the interrupt.
 * @data: the I/O queues.
 *
 * The admin queue is polled; its completions may still raise vector 0.
 *
 * Return: %IRQ_HANDLED.
 */
irqreturn_t cnvme_admin_irq(int irq, void *data)
{
	return IRQ_HANDLED;
}

/**
 * cnvme_io_irq() - The interrupt handler of MSI-X vector i + 1.
 * @irq: the interrupt.
 * @data: I/O queue i.
 *
 * Collects the completions under the queue lock and ends the requests after
 * it: ending a request may run completion work that submits again.
 *
 * Return: %IRQ_HANDLED if there were completions, %IRQ_NONE otherwise.
 */
irqreturn_t cnvme_io_irq(int irq, void *data)
{
	struct cnvme_io_queue *q = data;
	struct io_done done;
	unsigned long flags;
	unsigned int i;
	u32 reaped;

	done.n = 0;
	spin_lock_irqsave(&q->lock, flags);
	reaped = cnvme_queue_reap(&q->qp, io_collect, &done);
	spin_unlock_irqrestore(&q->lock, flags);
	for (i = 0; i < done.n; i++)
		io_end(q, done.cqes[i].cid, done.cqes[i].status);
	return reaped ? IRQ_HANDLED : IRQ_NONE;
}
