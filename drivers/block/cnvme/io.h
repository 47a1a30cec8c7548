/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O path: I/O queue pairs, their interrupts and the blk-mq operations.
 *
 * A request travels queue_rq → submission queue slot → tail doorbell (once
 * per batch) → controller → completion queue entry → MSI-X interrupt →
 * cnvme_io_irq() → blk_mq_tag_to_rq() → unmap → end of the request.
 *
 * Each I/O queue pair is one blk-mq hardware queue: hardware queue i is
 * queue pair i + 1 and MSI-X vector i + 1 (vector 0 belongs to the admin
 * queue, which is polled). The command identifier of a request is its tag.
 */

#ifndef CNVME_IO_H
#define CNVME_IO_H

#include <linux/blk-mq.h>
#include <linux/dma-direction.h>
#include <linux/interrupt.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>

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
/* PRP entries in one list page of the controller's memory page size (4 KiB). */
#define CNVME_PRP_LIST_ENTRIES	512

/**
 * struct cnvme_rq - Per-request driver data: the scatter-gather space its
 *	data is mapped through.
 * @sg: the scatterlist, %CNVME_MAX_SEGMENTS entries.
 * @nents: the entries passed to dma_map_sg(), 0 while nothing is mapped.
 * @dir: the direction of the mapping.
 */
struct cnvme_rq {
	struct scatterlist sg[CNVME_MAX_SEGMENTS];
	int nents;
	enum dma_data_direction dir;
};

struct cnvme_io_queues;

/**
 * struct cnvme_io_queue - One I/O queue pair.
 * @io: the I/O queues it belongs to.
 * @index: its index: hardware queue @index, queue identifier @index + 1.
 * @lock: protects @qp, @scratch and @segs; taken with interrupts off, the
 *	completion interrupt takes it too.
 * @qp: the queue pair.
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
	spinlock_t lock;	/* guards qp, scratch and segs */
	struct cnvme_queue qp;
	__le64 *scratch;
	struct cnvme_segment *segs;
	__le64 *lists;
	dma_addr_t lists_dma;
};

/**
 * struct cnvme_io_queues - The I/O queues of a controller, shared by its
 *	disks and its interrupt handlers.
 * @dev: the controller's device, for messages and DMA.
 * @tagset: the tag set of every disk of the controller.
 * @queues: the queue pairs, by hardware queue index.
 * @nr_queues: the number of @queues.
 * @page_shift: the controller memory page size.
 */
struct cnvme_io_queues {
	struct device *dev;
	struct blk_mq_tag_set tagset;
	struct cnvme_io_queue *queues;
	unsigned int nr_queues;
	unsigned int page_shift;
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
		    unsigned int count);
void cnvme_io_delete(struct cnvme_io_queues *io, struct cnvme_admin *admin);
void cnvme_io_free(struct cnvme_io_queues *io);
irqreturn_t cnvme_admin_irq(int irq, void *data);
irqreturn_t cnvme_io_irq(int irq, void *data);

#endif /* CNVME_IO_H */
