/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A queue pair: one submission and one completion queue in coherent DMA
 * memory, and their doorbells.
 *
 * Both rings have the same depth and live in their own physically
 * contiguous, page aligned coherent allocation, as CAP.CQR may require and as
 * the admin queue base registers and the queue creation commands (PC set)
 * expect. The host-side indices come from ring.h, the doorbell offsets from
 * cnvme_doorbell_offset(). An I/O queue may also publish its tail and head
 * through shadow doorbells (dbbuf.h), and then writes its doorbell registers
 * only when the controller asks for it.
 *
 * A queue pair does no locking: its user serialises submissions and
 * completion processing (the admin queue holds it under a mutex, an I/O
 * queue under a spinlock taken with interrupts off).
 */

#ifndef CNVME_QUEUE_H
#define CNVME_QUEUE_H

#include <linux/compiler_types.h>
#include <linux/types.h>

#include "cmd.h"
#include "dbbuf.h"
#include "ring.h"

struct device;

/**
 * struct cnvme_queue - A submission queue and the completion queue it
 *	completes into, with the same identifier.
 * @dev: the device the rings are allocated for.
 * @qid: queue identifier; 0 is the admin queue pair.
 * @sqes: submission queue slots, @sq_ring.depth of them.
 * @sq_dma: DMA address of @sqes.
 * @cqes: completion queue slots, @cq_ring.depth of them.
 * @cq_dma: DMA address of @cqes.
 * @sq_ring: host side of the submission queue: the tail.
 * @cq_ring: host side of the completion queue: the head and the expected
 *	phase.
 * @sq_head: the submission queue head the controller reported last.
 * @sq_rung: the submission queue tail last rung: written to the doorbell,
 *	or published to its shadow.
 * @sq_doorbell: the submission queue tail doorbell, within the BAR.
 * @cq_doorbell: the completion queue head doorbell, within the BAR.
 * @shadow: the shadow doorbells, if the controller reads them (I/O queues
 *	only); its @buf is NULL otherwise.
 *
 * Set up with cnvme_queue_init(), which checks the depth and the doorbells,
 * so the ring indices are always in bounds; freed with cnvme_queue_free().
 */
struct cnvme_queue {
	struct device *dev;
	u16 qid;
	struct cnvme_command *sqes;
	dma_addr_t sq_dma;
	struct cnvme_completion *cqes;
	dma_addr_t cq_dma;
	struct cnvme_sq_ring sq_ring;
	struct cnvme_cq_ring cq_ring;
	u16 sq_head;
	u16 sq_rung;
	void __iomem *sq_doorbell;
	void __iomem *cq_doorbell;
	struct cnvme_shadow shadow;
};

/**
 * typedef cnvme_cqe_fn - Called on each completion cnvme_queue_reap() consumes.
 * @cqe: a copy of the completion.
 * @ctx: the caller's context.
 */
typedef void (*cnvme_cqe_fn)(const struct cnvme_completion *cqe, void *ctx);

int cnvme_queue_init(struct cnvme_queue *q, struct device *dev,
		     void __iomem *bar, size_t bar_size, u16 qid, u32 depth,
		     u32 dstrd);
void cnvme_queue_free(struct cnvme_queue *q);
void cnvme_queue_set_shadow(struct cnvme_queue *q,
			    const struct cnvme_shadow *shadow);
int cnvme_queue_submit(struct cnvme_queue *q, const struct cnvme_command *cmd);
int cnvme_queue_push(struct cnvme_queue *q, const struct cnvme_command *cmd);
void cnvme_queue_ring_sq(struct cnvme_queue *q);
u32 cnvme_queue_reap(struct cnvme_queue *q, cnvme_cqe_fn fn, void *ctx);

/**
 * cnvme_queue_depth() - The number of slots of each ring.
 * @q: the queue pair.
 *
 * Return: the depth, 2 to 65536.
 */
static inline u32 cnvme_queue_depth(const struct cnvme_queue *q)
{
	return q->sq_ring.depth;
}

#endif /* CNVME_QUEUE_H */
