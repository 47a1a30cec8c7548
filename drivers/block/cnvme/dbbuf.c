// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow doorbells (Doorbell Buffer Config). See dbbuf.h.
 */

#include <linux/compiler.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/limits.h>
#include <linux/slab.h>

#include <asm/barrier.h>

#include "dbbuf.h"
#include "regs.h"
#include "ring.h"

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

/**
 * cnvme_dbbuf_command() - Build the Doorbell Buffer Config that hands the
 *	buffers to the controller.
 * @buf: the buffers.
 * @cmd: the command to fill in.
 */
void cnvme_dbbuf_command(const struct cnvme_dbbuf *buf,
			 struct cnvme_command *cmd)
{
	cnvme_cmd_doorbell_buffer_config(cmd, buf->dbs_dma, buf->eis_dma);
}

/**
 * cnvme_shadow_init() - Set up one shadow doorbell of an I/O queue.
 * @shadow: the shadow doorbell to set up.
 * @buf: the controller's buffers.
 * @qid: the queue.
 * @completion: the completion queue head doorbell if true, the submission
 *	queue tail doorbell otherwise.
 *
 * Return: 0, or -EINVAL for the admin queue, or a queue beyond those @buf
 * was allocated for.
 */
int cnvme_shadow_init(struct cnvme_shadow *shadow, struct cnvme_dbbuf *buf,
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
 * cnvme_shadow_update() - Publish a new value of a doorbell.
 * @shadow: the shadow doorbell.
 * @old: the value last published.
 * @new: the new value.
 *
 * Return: whether the doorbell register must be written too.
 */
bool cnvme_shadow_update(const struct cnvme_shadow *shadow, u16 old, u16 new)
{
	struct cnvme_dbbuf *buf = shadow->buf;
	u16 event;

	/* The queue entries before the doorbell value that covers them. */
	wmb();
	WRITE_ONCE(buf->dbs[shadow->index], cpu_to_le32(new));
	/*
	 * The doorbell value before the event index: the controller updates
	 * the event index and then reads the doorbell, so one of the two
	 * sides sees the other's write.
	 */
	mb();
	/* Doorbell values are 16 bits. */
	event = le32_to_cpu(READ_ONCE(buf->eis[shadow->index]));
	return cnvme_need_event(event, new, old);
}
