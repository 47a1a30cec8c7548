/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O path: I/O queue pairs, their interrupts, polling, timeouts and the
 * blk-mq operations.
 *
 * A request travels queue_rq → submission queue slot → tail doorbell (once
 * per batch) → controller → completion queue entry → MSI-X interrupt
 * (cnvme_io_irq()) or poller (.poll) → blk_mq_tag_to_rq() → unmap → end of
 * the request.
 *
 * Each I/O queue pair is one blk-mq hardware queue, whose driver data is the
 * struct cnvme_io_queue: hardware queue i is queue pair i + 1. The first
 * irq_queues complete by interrupt, on MSI-X vector i + 1 (vector 0 belongs
 * to the admin queue, which is polled); the others are poll queues, created
 * without an interrupt and served by blk-mq's poll map. The command
 * identifier of a request is its tag.
 *
 * Each queue has two locks, one per half of its queue pair. Completions
 * are processed under the completion lock, by one of the interrupt handler,
 * the poller, the timeout handler and the failure path (the controller
 * given up), so that exactly one of them ends each request. Commands are
 * queued under the submission lock, which interrupt handlers never take, so
 * it leaves interrupts on. The two are never held together.
 */

#ifndef CNVME_IO_H
#define CNVME_IO_H

#include <linux/atomic.h>
#include <linux/blk-mq.h>
#include <linux/compiler_types.h>
#include <linux/dma-direction.h>
#include <linux/interrupt.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "dbbuf.h"
#include "prp.h"
#include "queue.h"

struct cnvme_admin;
struct cnvme_ctrl;

/* Most data segments of one request: the disks' max_segments. */
#define CNVME_MAX_SEGMENTS	128
/*
 * Slots of each I/O queue; one stays empty to tell a full queue from an
 * empty one, so the tag set has one tag less.
 */
#define CNVME_IO_QUEUE_DEPTH	128
/* Tags of each hardware queue. */
#define CNVME_IO_TAGS		(CNVME_IO_QUEUE_DEPTH - 1)
/* PRP entries in one list page of the controller's memory page size (4 KiB). */
#define CNVME_PRP_LIST_ENTRIES	512

/**
 * struct cnvme_rq - Per-request driver data.
 * @sg: the scatterlist the data of a request of several physical segments is
 *	mapped through, %CNVME_MAX_SEGMENTS entries.
 * @nents: the entries passed to dma_map_sg(), 0 if none.
 * @dma: the bus address of the data of a request of one physical segment,
 *	mapped without @sg.
 * @dma_len: the length of that mapping, 0 if none.
 * @dir: the direction of the mapping.
 * @expired: set when the request timed out once; cleared when it is queued.
 *
 * Nothing is mapped while @nents and @dma_len are both 0.
 */
struct cnvme_rq {
	struct scatterlist sg[CNVME_MAX_SEGMENTS];
	int nents;
	dma_addr_t dma;
	u32 dma_len;
	enum dma_data_direction dir;
	bool expired;
};

/**
 * struct cnvme_queue_layout - How the hardware queues are split between
 *	interrupts and polling: the driver data of the tag set.
 * @dev: the PCI function, whose MSI-X vector affinities give the CPUs of
 *	each queue.
 * @irq_queues: hardware queues completed by interrupts: 0 to
 *	@irq_queues - 1.
 * @poll_queues: hardware queues completed by polling: @irq_queues to
 *	@irq_queues + @poll_queues - 1.
 */
struct cnvme_queue_layout {
	struct device *dev;
	u32 irq_queues;
	u32 poll_queues;
};

/**
 * cnvme_queue_layout_nr_maps() - The number of maps of the tag set.
 * @layout: the queue layout.
 *
 * Return: %HCTX_MAX_TYPES (the poll map included) if there are poll queues,
 * 1 otherwise.
 */
static inline unsigned int
cnvme_queue_layout_nr_maps(const struct cnvme_queue_layout *layout)
{
	return layout->poll_queues ? HCTX_MAX_TYPES : 1;
}

struct cnvme_io_queues;

/**
 * struct cnvme_io_queue - One I/O queue pair: the driver data of one blk-mq
 *	hardware queue.
 * @io: the I/O queues it belongs to.
 * @index: its index: hardware queue @index, queue identifier @index + 1.
 * @polled: whether it is a poll queue (no interrupt).
 * @cq_lock: protects @qp.cq; taken with interrupts off, the interrupt
 *	handler takes it.
 * @sq_lock: protects @qp.sq, @scratch and @segs.
 * @qp: the queue pair; its two halves are under the two locks.
 * @sq_head: the submission queue head the controller reported last, from
 *	the completion side to the submission side.
 * @scratch: where PRP lists are built before they are copied to the tag's
 *	list page, %CNVME_PRP_LIST_ENTRIES entries.
 * @segs: the DMA segments of the request being submitted,
 *	%CNVME_MAX_SEGMENTS of them.
 * @lists: one PRP list page per tag, %CNVME_IO_QUEUE_DEPTH pages of
 *	%CNVME_PRP_LIST_ENTRIES entries, in coherent DMA memory.
 * @lists_dma: DMA address of @lists.
 */
struct cnvme_io_queue {
	struct cnvme_io_queues *io;
	u32 index;
	bool polled;
	spinlock_t cq_lock;	/* guards qp.cq */
	spinlock_t sq_lock;	/* guards qp.sq, scratch and segs */
	struct cnvme_queue qp;
	u16 sq_head;
	__le64 *scratch;
	struct cnvme_segment *segs;
	__le64 *lists;
	dma_addr_t lists_dma;
};

/**
 * struct cnvme_io_queues - The I/O queues of a controller, shared by its
 *	disks and its interrupt handlers, and what they share.
 * @dev: the controller's device, for messages and DMA.
 * @bar: the controller registers.
 * @tagset: the tag set of every disk of the controller.
 * @layout: the split of the hardware queues, the driver data of @tagset.
 * @cap: the controller capabilities, for the timeout of a disable.
 * @page_shift: the controller memory page size.
 * @instance: instance number, for messages.
 * @dbbuf: the shadow doorbell buffers, if the controller reads them; freed
 *	with the queues.
 * @dead: set once the controller was disabled after a failure: no command
 *	is queued any more.
 * @queues: the queue pairs, by hardware queue index: interrupt queues
 *	first, then poll queues.
 * @nr_queues: the number of @queues.
 */
struct cnvme_io_queues {
	struct device *dev;
	void __iomem *bar;
	struct blk_mq_tag_set tagset;
	struct cnvme_queue_layout layout;
	u64 cap;
	unsigned int page_shift;
	u32 instance;
	struct cnvme_dbbuf *dbbuf;
	atomic_t dead;
	struct cnvme_io_queue *queues;
	unsigned int nr_queues;
};

/**
 * struct cnvme_ns_queue - One namespace's view of the I/O queues: the queue
 *	data of its disk.
 * @nsid: namespace identifier.
 * @lba_shift: log2 of the logical block size.
 * @io: the controller's I/O queues.
 */
struct cnvme_ns_queue {
	u32 nsid;
	u32 lba_shift;
	struct cnvme_io_queues *io;
};

extern const struct blk_mq_ops cnvme_mq_ops;

int cnvme_io_create(struct cnvme_io_queues *io, struct cnvme_ctrl *ctrl,
		    u32 instance, struct cnvme_dbbuf *dbbuf);
void cnvme_io_delete(struct cnvme_io_queues *io, struct cnvme_admin *admin);
void cnvme_io_free(struct cnvme_io_queues *io);
irqreturn_t cnvme_admin_irq(int irq, void *data);
irqreturn_t cnvme_io_irq(int irq, void *data);

/**
 * cnvme_io_is_dead() - Whether the controller was disabled after a failure.
 * @io: the I/O queues.
 *
 * Return: true once a timeout gave up on the controller.
 */
static inline bool cnvme_io_is_dead(struct cnvme_io_queues *io)
{
	return atomic_read(&io->dead);
}

#endif /* CNVME_IO_H */
