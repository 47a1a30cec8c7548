// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O path, in the order a request meets it: submission (queue_rq),
 * completion by interrupt or poll, timeout and failure; then the blk-mq
 * queue maps, and the I/O queue pairs, their creation and deletion. The
 * helpers a command takes through its queue pair are in io.h.
 */

#include <linux/atomic.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/io.h>
#include <linux/limits.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/string.h>

#include "cnvme.h"
#include "io.h"

/* Size and alignment of a PRP list page: a 4 KiB memory page. */
#define PRP_LIST_SIZE	(CNVME_PRP_LIST_ENTRIES * CNVME_PRP_ENTRY_SIZE)

/* Returns the queue identifier of @q. */
static u16 io_queue_qid(const struct cnvme_io_queue *q)
{
	/* At most the number of queues the controller granted, below U16_MAX. */
	return q->index + 1;
}

/* Submission: queue_rq maps the data, builds the PRPs and the command, and pushes it. */

/*
 * Undoes the DMA mapping of @req and gives its PRP list page back to the
 * pool, if it has them.
 */
static void io_rq_release(struct cnvme_io_queues *io, struct cnvme_rq *req)
{
	struct device *dev = io->dev;

	if (req->list) {
		dma_pool_free(io->prp_pool, req->list, req->list_dma);
		req->list = NULL;
	}
	if (req->dma_len) {
		dma_unmap_page(dev, req->dma, req->dma_len, req->dir);
		req->dma_len = 0;
	}
	if (req->nents) {
		dma_unmap_sg(dev, req->sg, req->nents, req->dir);
		req->nents = 0;
	}
}

/*
 * Maps the data of @rq, one physical segment, as that one segment without
 * the scatterlist, into @seg. Returns 1, -ENOMEM, or -EAGAIN if the
 * request's first bio vector does not cover all of its data (map it through
 * the scatterlist then).
 */
static int io_rq_map_single(struct device *dev, struct request *rq,
			    struct cnvme_rq *req, struct cnvme_segment *seg)
{
	struct bio_vec bv = req_bvec(rq);
	dma_addr_t dma;

	if (bv.bv_len != blk_rq_bytes(rq))
		return -EAGAIN;
	dma = dma_map_bvec(dev, &bv, req->dir, 0);
	if (dma_mapping_error(dev, dma))
		return -ENOMEM;
	req->dma = dma;
	req->dma_len = bv.bv_len;
	seg->addr = dma;
	seg->len = bv.bv_len;
	return 1;
}

/*
 * Maps the data of @rq for the controller into @segs, at most
 * %CNVME_MAX_SEGMENTS of them: a request of one physical segment directly,
 * any other through its scatterlist. Returns the number of segments or an
 * error. Called with @q->sq_lock held (@segs is the queue's).
 */
static int io_rq_map(struct device *dev, struct request *rq,
		     struct cnvme_rq *req, struct cnvme_segment *segs)
{
	struct scatterlist *sg;
	int nents, mapped, i;

	nents = blk_rq_nr_phys_segments(rq);
	if (!nents || nents > CNVME_MAX_SEGMENTS)
		return -E2BIG;
	req->dir = rq_dma_dir(rq);
	if (nents == 1) {
		mapped = io_rq_map_single(dev, rq, req, segs);
		if (mapped != -EAGAIN)
			return mapped;
	}
	/* Only the entries the request needs: all of them would cost more. */
	sg_init_table(req->sg, nents);
	nents = blk_rq_map_sg(rq, req->sg);
	if (nents <= 0)
		return -EINVAL;
	mapped = dma_map_sg(dev, req->sg, nents, req->dir);
	if (!mapped)
		return -ENOMEM;
	req->nents = nents;
	for_each_sg(req->sg, sg, mapped, i) {
		segs[i].addr = sg_dma_address(sg);
		segs[i].len = sg_dma_len(sg);
	}
	return mapped;
}

/*
 * Builds the PRP entries of @nr_segs DMA segments of @q->segs for @req.
 * Only data of more than two memory pages needs a PRP list: its page comes
 * from the pool, and stays @req's until io_rq_release(), on any path (the
 * caller releases @req if this fails). Called with @q->sq_lock held.
 */
static int io_queue_prps(struct cnvme_io_queue *q, struct cnvme_rq *req,
			 unsigned int nr_segs, u64 *prp1, u64 *prp2)
{
	struct cnvme_io_queues *io = q->io;
	struct cnvme_prp_list list = {};
	struct cnvme_prp prp;
	dma_addr_t dma;
	u64 count;
	int ret;

	if (nr_segs == 1 && cnvme_prp_one_segment(q->segs, io->page_shift, &prp))
		goto out;
	ret = cnvme_prp_count_entries(q->segs, nr_segs, io->page_shift, &count);
	if (ret)
		return ret;
	if (count > 2) {
		list.entries = dma_pool_alloc(io->prp_pool, GFP_ATOMIC, &dma);
		if (!list.entries) {
			dev_err_ratelimited(io->dev,
					    "queue %u: no PRP list page: the request waits\n",
					    io_queue_qid(q));
			return -ENOMEM;
		}
		list.dma = dma;
		list.nr_entries = CNVME_PRP_LIST_ENTRIES;
		req->list = list.entries;
		req->list_dma = dma;
	}
	ret = cnvme_prp_build_walk(q->segs, nr_segs, io->page_shift, &list,
				   req->list ? 1 : 0, &prp);
	if (ret)
		return ret;
out:
	*prp1 = prp.prp1;
	*prp2 = prp.prp2;
	return 0;
}

/*
 * Stores the first block of a Read, Write or Write Zeroes request @rq in
 * @slba and its number of blocks minus one in @nlb. Returns -EINVAL for a
 * size that is not whole blocks or that one command cannot carry.
 */
static int io_rq_range(const struct cnvme_ns_queue *ns, struct request *rq,
		       u64 *slba, u16 *nlb)
{
	u32 bytes = blk_rq_bytes(rq);

	if (!bytes || bytes & ((1U << ns->lba_shift) - 1) ||
	    (bytes >> ns->lba_shift) - 1 > U16_MAX)
		return -EINVAL;
	*nlb = (bytes >> ns->lba_shift) - 1;
	*slba = blk_rq_pos(rq) >> (ns->lba_shift - SECTOR_SHIFT);
	return 0;
}

/*
 * Maps the data of @rq and builds its Read or Write command. Called with
 * @q->sq_lock held.
 */
static int io_rw_command(struct cnvme_ns_queue *ns, struct cnvme_io_queue *q,
			 struct request *rq, struct nvme_command *cmd)
{
	struct cnvme_rq *req = blk_mq_rq_to_pdu(rq);
	struct device *dev = ns->io->dev;
	u64 slba, prp1, prp2;
	int mapped, ret;
	u16 nlb;
	bool fua;

	ret = io_rq_range(ns, rq, &slba, &nlb);
	if (ret)
		return ret;
	mapped = io_rq_map(dev, rq, req, q->segs);
	if (mapped < 0)
		return mapped;
	ret = io_queue_prps(q, req, mapped, &prp1, &prp2);
	if (ret) {
		io_rq_release(ns->io, req);
		return ret;
	}

	fua = rq->cmd_flags & REQ_FUA;
	cnvme_cmd_rw(cmd, req_op(rq) == REQ_OP_READ ? nvme_cmd_read : nvme_cmd_write,
		     ns->nsid, slba, nlb, prp1, prp2, fua);
	return 0;
}

/* Builds the Write Zeroes of @rq. */
static int io_write_zeroes_command(struct cnvme_ns_queue *ns,
				   struct request *rq, struct nvme_command *cmd)
{
	u64 slba;
	u16 nlb;
	int ret;

	ret = io_rq_range(ns, rq, &slba, &nlb);
	if (ret)
		return ret;
	cnvme_cmd_write_zeroes(cmd, ns->nsid, slba, nlb,
			       ns->deallocate_zeroes &&
			       !(rq->cmd_flags & REQ_NOUNMAP));
	return 0;
}

/*
 * Builds the Dataset Management that deallocates the ranges of discard
 * request @rq, one per bio, in a page of the pool that stays @req's until
 * io_rq_release(). Called with @q->sq_lock held.
 */
static int io_deallocate_command(struct cnvme_ns_queue *ns,
				 struct cnvme_io_queue *q, struct request *rq,
				 struct cnvme_rq *req, struct nvme_command *cmd)
{
	unsigned int shift = ns->lba_shift - SECTOR_SHIFT, n = 0;
	struct nvme_dsm_range *ranges;
	struct bio *bio;
	dma_addr_t dma;

	ranges = dma_pool_alloc(q->io->prp_pool, GFP_ATOMIC, &dma);
	if (!ranges) {
		dev_err_ratelimited(q->io->dev,
				    "queue %u: no page for discard ranges: the request waits\n",
				    io_queue_qid(q));
		return -ENOMEM;
	}
	req->list = ranges;
	req->list_dma = dma;
	/*
	 * The block layer merges contiguous discards into one request of
	 * several bios even for one range: the request's range is the one to
	 * send.
	 */
	if (queue_max_discard_segments(rq->q) == 1) {
		cnvme_dsm_range(&ranges[n++], blk_rq_pos(rq) >> shift,
				blk_rq_bytes(rq) >> ns->lba_shift);
		goto out;
	}
	__rq_for_each_bio(bio, rq) {
		/* More than the disk's limits allow. */
		if (n == NVME_DSM_MAX_RANGES) {
			io_rq_release(q->io, req);
			return -EINVAL;
		}
		cnvme_dsm_range(&ranges[n++], bio->bi_iter.bi_sector >> shift,
				bio->bi_iter.bi_size >> ns->lba_shift);
	}
out:
	cnvme_cmd_deallocate(cmd, ns->nsid, n, dma);
	return 0;
}

static blk_status_t cnvme_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct cnvme_ns_queue *ns = hctx->queue->queuedata;
	struct cnvme_io_queue *q = hctx->driver_data;
	struct cnvme_io_queues *io = q->io;
	struct request *rq = bd->rq;
	struct cnvme_rq *req = blk_mq_rq_to_pdu(rq);
	struct nvme_command cmd;
	blk_status_t sts;
	int ret;
	u8 gen;

	req->nents = 0;
	req->dma_len = 0;
	req->list = NULL;
	spin_lock(&q->sq_lock);
	if (cnvme_io_is_dead(io)) {
		ret = -EIO;
		goto out_unlock;
	}
	req->expired = false;
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
	case REQ_OP_WRITE_ZEROES:
		ret = io_write_zeroes_command(ns, rq, &cmd);
		if (ret)
			goto out_unlock;
		break;
	case REQ_OP_DISCARD:
		ret = io_deallocate_command(ns, q, rq, req, &cmd);
		if (ret)
			goto out_unlock;
		break;
	default:
		ret = -EOPNOTSUPP;
		goto out_unlock;
	}
	/*
	 * A new generation for each issue, so that a late completion of the
	 * last one cannot end this one.
	 */
	gen = cnvme_cid_gen_next(req->gen);
	WRITE_ONCE(req->gen, gen);
	cmd.common.command_id = cnvme_cid(rq->tag, gen);
	ret = cnvme_sq_push(&q->qp.sq, &cmd, READ_ONCE(q->sq_head));
	if (ret) {
		io_rq_release(io, req);
		goto out_unlock;
	}
	/*
	 * Start the request only once it is in the ring, under the submission
	 * lock: a request refused above was never in flight, so failing the
	 * queue cannot end it as well. Leave @rq alone from here on: once any
	 * doorbell sends the command, ours or that of another CPU submitting
	 * to this queue after us (both under the submission lock), the
	 * completion path may end it.
	 */
	blk_mq_start_request(rq);
	if (bd->last)
		cnvme_sq_ring_doorbell(&q->qp.sq);
	spin_unlock(&q->sq_lock);
	return BLK_STS_OK;

out_unlock:
	spin_unlock(&q->sq_lock);
	sts = errno_to_blk_status(ret);
	/* blk-mq dispatches the request again after these, and ends it after the others. */
	if (sts != BLK_STS_RESOURCE && sts != BLK_STS_DEV_RESOURCE)
		req->retries = 0;
	return sts;
}

static void cnvme_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct cnvme_io_queue *q = hctx->driver_data;

	spin_lock(&q->sq_lock);
	cnvme_sq_ring_doorbell(&q->qp.sq);
	spin_unlock(&q->sq_lock);
}

/* Completion: by interrupt or by the poller, reaped in place and ended. */

/*
 * Returns the request that holds tag @tag on queue @q if the driver owns it
 * (in flight), NULL otherwise: a bogus or duplicate identifier from the
 * controller then cannot make the driver end a request twice. A request it
 * returns stays owned by the driver while the caller holds @q->cq_lock.
 */
static struct request *io_tag_to_rq(struct cnvme_io_queue *q, u32 tag)
{
	struct blk_mq_tag_set *set = &q->io->tagset;
	struct blk_mq_tags *tags;
	struct request *rq = NULL;
	int srcu_idx;

	if (tag >= set->queue_depth)
		return NULL;
	/* Request pages are freed after an SRCU grace period on tags_srcu. */
	srcu_idx = srcu_read_lock(&set->tags_srcu);
	tags = set->tags[q->index];
	if (tags)
		rq = blk_mq_tag_to_rq(tags, tag);
	/* The slot may still point to a request that now holds another tag. */
	if (rq && (rq->tag != (int)tag ||
		   blk_mq_rq_state(rq) != MQ_RQ_IN_FLIGHT))
		rq = NULL;
	srcu_read_unlock(&set->tags_srcu, srcu_idx);
	return rq;
}

/*
 * Returns the request that command identifier @cid of a completion on queue
 * @q stands for: its tag in flight, in the generation of its latest issue.
 * Otherwise the completion is not for a command the driver owns (a bogus
 * identifier, a duplicate, or a late one for an earlier issue of the tag):
 * reports it and returns NULL. Called with @q->cq_lock held.
 */
static inline struct request *io_cid_to_rq(struct cnvme_io_queue *q, u16 cid)
{
	struct request *rq = io_tag_to_rq(q, cnvme_cid_tag(cid));
	u8 gen;

	if (unlikely(!rq)) {
		dev_warn_ratelimited(q->io->dev,
				     "queue %u: completion for unknown command %#x\n",
				     io_queue_qid(q), cid);
		return NULL;
	}
	gen = READ_ONCE(((struct cnvme_rq *)blk_mq_rq_to_pdu(rq))->gen);
	if (unlikely(cnvme_cid_gen(cid) != gen)) {
		dev_warn_ratelimited(q->io->dev,
				     "queue %u: completion for command %#x of a stale generation (command %#x in flight)\n",
				     io_queue_qid(q), cid, cnvme_cid(rq->tag, gen));
		return NULL;
	}
	return rq;
}

/*
 * Hands @rq back to blk-mq, to be dispatched to queue_rq again after
 * @delay_ms milliseconds.
 *
 * With a delay, the run of the queue's requeue list is scheduled first,
 * while the driver still owns @rq: the queue is not torn down before @rq
 * ends, so @rq->q is alive. A kick after blk_mq_requeue_request(), as
 * upstream nvme does it, would touch the queue when @rq is on the list
 * already, where a run of the list that someone else started may have
 * dispatched it again, and it may have completed and ended, letting the
 * queue go. The run scheduled here finds @rq on the list, which gets it
 * well before the delay is over. Without a delay, blk_mq_requeue_request()
 * runs the list itself after adding @rq. @rq is not touched once it is
 * handed back. rnvme's OwnedRequest::requeue() (patch 0017) does the same,
 * in the same order, which is what makes that abstraction sound.
 */
static void io_rq_requeue(struct request *rq, u32 delay_ms)
{
	if (delay_ms)
		blk_mq_delay_kick_requeue_list(rq->q, delay_ms);
	blk_mq_requeue_request(rq, !delay_ms);
}

/*
 * Retries @rq, which completed with the error @status, or ends it with the
 * block layer status @status maps to, as cnvme_disposition() decides. A
 * retried request is never batched. Called with @q->cq_lock held, the data
 * of @rq unmapped and @rq marked complete.
 */
static void io_rq_failed(struct cnvme_io_queues *io, struct request *rq,
			 u16 status)
{
	struct cnvme_rq *req = blk_mq_rq_to_pdu(rq);
	struct cnvme_disposition d;

	d = cnvme_disposition(status, req->retries, io->max_retries,
			      !blk_noretry_request(rq), io->crdt);
	if (!d.retry) {
		req->retries = 0;
		blk_mq_end_request(rq, d.status);
		return;
	}
	req->retries++;
	io_rq_requeue(rq, d.delay_ms);
}

/*
 * Ends the request of completion @cqe of queue @q, in the poller's batch
 * @iob if there is one and it completed without error, or retries it if it
 * failed and may be retried. Called with @q->cq_lock held.
 */
static inline void cnvme_handle_cqe(struct cnvme_io_queue *q,
				    const struct nvme_completion *cqe,
				    struct io_comp_batch *iob)
{
	u16 status = cnvme_cqe_status(cqe);
	struct cnvme_io_queues *io = q->io;
	struct cnvme_rq *req;
	struct request *rq;

	rq = io_cid_to_rq(q, READ_ONCE(cqe->command_id));
	if (unlikely(!rq))
		return;
	/* Fault injection: forget the completion; the request times out. */
	if (blk_should_fake_timeout(rq->q))
		return;
	req = blk_mq_rq_to_pdu(rq);
	io_rq_release(io, req);
	/*
	 * Hand the request back: no longer in flight, so that nothing else
	 * ends it, even while it waits in @iob or on the requeue list.
	 */
	blk_mq_set_request_complete(rq);
	if (unlikely(status & NVME_SCT_SC_MASK)) {
		io_rq_failed(io, rq, status);
		return;
	}
	req->retries = 0;
	if (!blk_mq_add_to_batch(rq, iob, false, blk_mq_end_request_batch))
		blk_mq_end_request(rq, BLK_STS_OK);
}

/*
 * Consumes the new completions of @q and ends their requests, in the
 * poller's batch @iob if there is one; then rings the head doorbell once
 * and passes the submission queue head the last one reported to the
 * submission side. At most one lap of the ring per call, so that a
 * controller that keeps posting cannot hold the caller forever. Returns how
 * many completions there were.
 */
static u32 cnvme_poll_cq(struct cnvme_io_queue *q, struct io_comp_batch *iob)
{
	struct cnvme_cq *cq = &q->qp.cq;
	unsigned long flags;
	u16 old, sq_head = 0;
	u32 found = 0;

	spin_lock_irqsave(&q->cq_lock, flags);
	old = cq->ring.head;
	while (found < cq->ring.depth && cnvme_cqe_pending(cq)) {
		const struct nvme_completion *cqe = &cq->cqes[cq->ring.head];

		/* The phase tag says the entry is complete: read the rest only after it. */
		dma_rmb();
		sq_head = le16_to_cpu(cqe->sq_head);
		cnvme_handle_cqe(q, cqe, iob);
		cnvme_cq_ring_advance(&cq->ring);
		found++;
	}
	if (found) {
		cnvme_cq_ring_doorbell(cq, old);
		WRITE_ONCE(q->sq_head, sq_head);
	}
	spin_unlock_irqrestore(&q->cq_lock, flags);
	return found;
}

/**
 * cnvme_io_irq() - The interrupt handler of vector i + 1.
 * @irq: the interrupt.
 * @data: I/O queue i, an interrupt queue.
 *
 * Return: %IRQ_HANDLED if there were completions, %IRQ_NONE otherwise.
 */
irqreturn_t cnvme_io_irq(int irq, void *data)
{
	DEFINE_IO_COMP_BATCH(iob);
	u32 reaped;

	/* End the requests of this pass together, as the poller does. */
	reaped = cnvme_poll_cq(data, &iob);
	if (iob.complete)
		iob.complete(&iob);
	return reaped ? IRQ_HANDLED : IRQ_NONE;
}

/**
 * cnvme_admin_irq() - The interrupt handler of vector 0.
 * @irq: the interrupt.
 * @data: the I/O queues.
 *
 * The admin queue is polled; its completions may still raise vector 0.
 * When I/O queue 1 shares the vector, its completions are processed here.
 *
 * Return: %IRQ_HANDLED.
 */
irqreturn_t cnvme_admin_irq(int irq, void *data)
{
	struct cnvme_io_queues *io = data;

	if (io->layout.shared_vector)
		cnvme_io_irq(irq, &io->queues[0]);
	return IRQ_HANDLED;
}

static int cnvme_poll(struct blk_mq_hw_ctx *hctx, struct io_comp_batch *iob)
{
	return cnvme_poll_cq(hctx->driver_data, iob) > 0;
}

static void cnvme_complete_rq(struct request *rq)
{
	/* cnvme ends its requests in the interrupt handler and never schedules completion. */
	blk_mq_end_request(rq, BLK_STS_OK);
}

#if IS_ENABLED(CONFIG_CNVME_COMPLETION_INJECT)
/**
 * cnvme_io_show_inflight() - List the commands in flight on the I/O queues.
 * @io: the I/O queues.
 * @m: where to print them: one "<qid> <cid>" line each, in decimal.
 */
void cnvme_io_show_inflight(struct cnvme_io_queues *io, struct seq_file *m)
{
	unsigned int i;

	for (i = 0; i < io->nr_queues; i++) {
		struct cnvme_io_queue *q = &io->queues[i];
		unsigned long flags;
		u32 tag;

		spin_lock_irqsave(&q->cq_lock, flags);
		for (tag = 0; tag < io->tagset.queue_depth; tag++) {
			struct request *rq = io_tag_to_rq(q, tag);
			struct cnvme_rq *req;

			if (!rq)
				continue;
			req = blk_mq_rq_to_pdu(rq);
			seq_printf(m, "%u %u\n", io_queue_qid(q),
				   cnvme_cid(tag, READ_ONCE(req->gen)));
		}
		spin_unlock_irqrestore(&q->cq_lock, flags);
	}
}

/**
 * cnvme_io_inject_completion() - Process a made-up completion.
 * @io: the I/O queues.
 * @qid: the I/O queue identifier.
 * @cid: the command identifier.
 *
 * The completion is successful and reports the submission queue head the
 * controller reported last; it goes through the same function as the
 * entries of the completion queue, under its lock, so that the command
 * identifier check decides. Completing a command the controller still
 * holds lets it write to memory that is no longer the request's: this is
 * for tests only.
 *
 * Return: 0, or -EINVAL if @qid is not an I/O queue.
 */
int cnvme_io_inject_completion(struct cnvme_io_queues *io, u16 qid, u16 cid)
{
	struct nvme_completion cqe = {};
	struct cnvme_io_queue *q;
	unsigned long flags;

	if (!qid || qid > io->nr_queues)
		return -EINVAL;
	q = &io->queues[qid - 1];
	spin_lock_irqsave(&q->cq_lock, flags);
	cqe.sq_head = cpu_to_le16(READ_ONCE(q->sq_head));
	cqe.sq_id = cpu_to_le16(qid);
	cqe.command_id = cid;
	cnvme_handle_cqe(q, &cqe, NULL);
	spin_unlock_irqrestore(&q->cq_lock, flags);
	return 0;
}
#endif

/* Timeouts and failure: the controller given up. */

/*
 * Ends, with an I/O error, every request the driver still owns on @q, after
 * ending those the controller completed. The controller must be disabled.
 */
static void io_queue_cancel(struct cnvme_io_queue *q)
{
	struct cnvme_io_queues *io = q->io;
	unsigned int failed = 0;
	unsigned long flags;
	u32 tag;

	/*
	 * Requests submitted before this point are in the ring and owned by
	 * the driver alone; later ones see @io->dead under the submission lock
	 * and are refused.
	 */
	spin_lock(&q->sq_lock);
	spin_unlock(&q->sq_lock);
	cnvme_poll_cq(q, NULL);
	spin_lock_irqsave(&q->cq_lock, flags);
	for (tag = 0; tag < io->tagset.queue_depth; tag++) {
		struct request *rq = io_tag_to_rq(q, tag);
		struct cnvme_rq *req;

		if (!rq)
			continue;
		req = blk_mq_rq_to_pdu(rq);
		io_rq_release(io, req);
		req->retries = 0;
		blk_mq_set_request_complete(rq);
		blk_mq_end_request(rq, BLK_STS_IOERR);
		failed++;
	}
	if (failed)
		dev_err(io->dev, "queue %u: %u commands failed\n",
			io_queue_qid(q), failed);
	spin_unlock_irqrestore(&q->cq_lock, flags);
}

/*
 * Gives up on the controller after a failure: disables it, so that it no
 * longer touches host memory, and fails every request it still holds with
 * an I/O error. Later requests fail at once. Does nothing if that was done
 * already.
 */
static void io_fail(struct cnvme_io_queues *io)
{
	unsigned int i;
	int ret;

	if (atomic_xchg(&io->dead, 1))
		return;
	ret = cnvme_ctrl_disable(io->dev, io->bar, io->cap);
	if (ret)
		dev_err(io->dev, "cannot disable the controller: %pe\n",
			ERR_PTR(ret));
	for (i = 0; i < io->nr_queues; i++)
		io_queue_cancel(&io->queues[i]);
}

/*
 * A request did not complete in time. First look for a completion whose
 * interrupt was lost; then give the request a second period; if it expires
 * again, or the controller reports a fatal status or no longer answers,
 * disable the controller and fail every request it holds (abort and
 * controller reset are not implemented).
 */
static enum blk_eh_timer_return cnvme_timeout(struct request *rq)
{
	struct cnvme_io_queue *q = rq->mq_hctx->driver_data;
	struct cnvme_rq *req = blk_mq_rq_to_pdu(rq);
	struct cnvme_io_queues *io = q->io;
	/*
	 * The request cannot be issued again while blk-mq holds it for this
	 * handler, so its tag and generation stay those of the command that
	 * timed out.
	 */
	u16 cid = cnvme_cid(rq->tag, READ_ONCE(req->gen));
	bool broken;
	u32 csts;

	cnvme_poll_cq(q, NULL);
	if (io_tag_to_rq(q, rq->tag) != rq) {
		dev_warn(io->dev, "queue %u: command %#x completed without an interrupt\n",
			 io_queue_qid(q), cid);
		return BLK_EH_DONE;
	}
	/* Another timeout gave up on the controller, which fails this request too. */
	if (cnvme_io_is_dead(io))
		return BLK_EH_DONE;
	csts = readl(io->bar + NVME_REG_CSTS);
	broken = cnvme_csts_is_all_ones(csts) || (csts & NVME_CSTS_CFS);
	if (!broken && !req->expired) {
		req->expired = true;
		dev_warn(io->dev, "queue %u: command %#x timed out; waiting one more period\n",
			 io_queue_qid(q), cid);
		return BLK_EH_RESET_TIMER;
	}
	dev_err(io->dev, "queue %u: command %#x timed out (CSTS 0x%x): disabling the controller\n",
		io_queue_qid(q), cid, csts);
	io_fail(io);
	return BLK_EH_DONE;
}

/* The hardware queues and their maps. */

/* The driver data of hardware queue @hctx_idx is I/O queue @hctx_idx. */
static int cnvme_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			   unsigned int hctx_idx)
{
	struct cnvme_ns_queue *ns = hctx->queue->queuedata;

	if (hctx_idx >= ns->io->nr_queues)
		return -EINVAL;
	hctx->driver_data = &ns->io->queues[hctx_idx];
	return 0;
}

/*
 * The default map gets the interrupt queues, each serving the CPUs of its
 * vector's affinity (or, on a shared vector 0, which has none, all CPUs);
 * the poll map, if any, gets the poll queues, spread evenly over the CPUs.
 * There are no read queues.
 */
static void cnvme_map_queues(struct blk_mq_tag_set *set)
{
	const struct cnvme_queue_layout *layout = set->driver_data;
	struct blk_mq_queue_map *map;

	map = &set->map[HCTX_TYPE_DEFAULT];
	map->queue_offset = 0;
	map->nr_queues = layout->irq_queues;
	/* Vector 0 is the admin queue's. */
	if (layout->shared_vector)
		blk_mq_map_queues(map);
	else if (map->nr_queues)
		blk_mq_map_hw_queues(map, layout->dev, 1);
	if (set->nr_maps <= HCTX_TYPE_POLL)
		return;
	/*
	 * blk-mq gives every map all the hardware queues to begin with: a read
	 * map left so would send every read to hardware queue 0.
	 */
	set->map[HCTX_TYPE_READ].nr_queues = 0;
	map = &set->map[HCTX_TYPE_POLL];
	map->queue_offset = layout->irq_queues;
	map->nr_queues = layout->poll_queues;
	if (map->nr_queues)
		blk_mq_map_queues(map);
}

const struct blk_mq_ops cnvme_mq_ops = {
	.queue_rq	= cnvme_queue_rq,
	.commit_rqs	= cnvme_commit_rqs,
	.complete	= cnvme_complete_rq,
	.init_hctx	= cnvme_init_hctx,
	.timeout	= cnvme_timeout,
	.poll		= cnvme_poll,
	.map_queues	= cnvme_map_queues,
};

/* The I/O queue pairs: allocated, created on the controller, deleted and freed. */

/*
 * Returns the vector @q signals: its own after the admin queue's, vector 0
 * if it shares that, or -1 for a poll queue.
 */
static int io_queue_vector(const struct cnvme_io_queue *q)
{
	if (q->polled)
		return -1;
	return q->io->layout.shared_vector ? 0 : io_queue_qid(q);
}

/* Frees the memory of @q, which the controller no longer uses. */
static void io_queue_free(struct cnvme_io_queue *q)
{
	kfree(q->segs);
	cnvme_queue_free(&q->qp);
}

/* Allocates the memory of I/O queue @index; the controller knows nothing of it yet. */
static int io_queue_alloc(struct cnvme_io_queues *io, struct cnvme_ctrl *ctrl,
			  struct cnvme_io_queue *q, u32 index)
{
	int ret;

	q->io = io;
	q->index = index;
	q->polled = index >= io->layout.irq_queues;
	spin_lock_init(&q->cq_lock);
	spin_lock_init(&q->sq_lock);
	ret = cnvme_queue_init(&q->qp, io->dev, ctrl->bar, ctrl->bar_size,
			       io_queue_qid(q), io->depth,
			       NVME_CAP_STRIDE(ctrl->cap));
	if (ret)
		return ret;
	q->segs = kcalloc(CNVME_MAX_SEGMENTS, sizeof(*q->segs), GFP_KERNEL);
	if (!q->segs) {
		cnvme_queue_free(&q->qp);
		return -ENOMEM;
	}
	return 0;
}

/**
 * cnvme_io_create() - Allocate I/O queue pairs and create them on the
 *	controller.
 * @io: the I/O queues to set up; @io->tagset, @io->layout, @io->depth,
 *	@io->max_retries and @io->crdt are the caller's.
 * @ctrl: the controller, enabled.
 * @dbbuf: the shadow doorbell buffers, already handed to the controller, or
 *	NULL.
 *
 * Creates the pool of PRP list pages, then @io->layout.irq_queues +
 * @io->layout.poll_queues queue pairs of @io->depth slots: completion
 * queue i + 1 signals vector i + 1 for the interrupt queues (vector 0 if
 * @io->layout.shared_vector), whose handlers must be registered before any
 * I/O is submitted; the poll queues signal no interrupt. With @dbbuf, the
 * queues use shadow doorbells. The queues created before a failure are
 * deleted again.
 *
 * On success @io takes over @dbbuf, which cnvme_io_free() frees after the
 * queues; on failure @dbbuf stays the caller's.
 *
 * Return: 0, -ENOMEM, or an error of the Create I/O Completion/Submission
 * Queue commands.
 */
int cnvme_io_create(struct cnvme_io_queues *io, struct cnvme_ctrl *ctrl,
		    struct cnvme_dbbuf *dbbuf)
{
	unsigned int count = io->layout.irq_queues + io->layout.poll_queues;
	struct cnvme_admin *admin = &ctrl->admin;
	u32 index;
	int ret;

	io->dev = ctrl->dev;
	io->bar = ctrl->bar;
	io->cap = ctrl->cap;
	io->page_shift = ctrl->page_shift;
	io->dbbuf = NULL;
	atomic_set(&io->dead, 0);
	io->nr_queues = 0;
	io->prp_pool = dma_pool_create("cnvme-prp", io->dev, PRP_LIST_SIZE,
				       PRP_LIST_SIZE, 0);
	io->queues = kcalloc(count, sizeof(*io->queues), GFP_KERNEL);
	if (!io->prp_pool || !io->queues) {
		ret = -ENOMEM;
		dev_err(io->dev, "cannot allocate the I/O queues: %pe\n",
			ERR_PTR(ret));
		goto err_delete;
	}

	for (index = 0; index < count; index++) {
		struct cnvme_io_queue *q = &io->queues[index];
		u16 qid = index + 1;

		ret = io_queue_alloc(io, ctrl, q, index);
		if (ret) {
			dev_err(io->dev, "cannot allocate I/O queue %u: %pe\n",
				qid, ERR_PTR(ret));
			goto err_delete;
		}
		if (dbbuf) {
			ret = cnvme_queue_set_shadow(&q->qp, dbbuf);
			if (ret)
				goto err_free;
		}
		ret = cnvme_admin_create_cq(admin, &q->qp, io_queue_vector(q));
		if (ret)
			goto err_create;
		ret = cnvme_admin_create_sq(admin, &q->qp);
		if (ret) {
			cnvme_admin_delete_queue(admin, nvme_admin_delete_cq, qid);
			goto err_create;
		}
		io->nr_queues++;
	}
	io->dbbuf = dbbuf;
	return 0;

err_create:
	dev_err(io->dev, "cannot create I/O queue %u: %pe\n",
		index + 1, ERR_PTR(ret));
err_free:
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

		ret = cnvme_admin_delete_queue(admin, nvme_admin_delete_sq, qid);
		if (!ret)
			ret = cnvme_admin_delete_queue(admin, nvme_admin_delete_cq,
						       qid);
		if (ret)
			dev_err(io->dev, "cannot delete I/O queue %u: %pe\n",
				qid, ERR_PTR(ret));
	}
}

/**
 * cnvme_io_free() - Free the memory of the I/O queues, then their shadow
 *	doorbell buffers and the pool of PRP list pages.
 * @io: the I/O queues, set up by cnvme_io_create().
 *
 * The controller must no longer use them (deleted, or the controller
 * disabled), their interrupt handlers must be freed and their requests
 * ended.
 */
void cnvme_io_free(struct cnvme_io_queues *io)
{
	unsigned int i;

	for (i = 0; i < io->nr_queues; i++)
		io_queue_free(&io->queues[i]);
	kfree(io->queues);
	io->queues = NULL;
	io->nr_queues = 0;
	cnvme_dbbuf_free(io->dbbuf);
	io->dbbuf = NULL;
	dma_pool_destroy(io->prp_pool);
	io->prp_pool = NULL;
}
