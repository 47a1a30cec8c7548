/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A queue pair: one submission and one completion queue in coherent DMA
 * memory, and their doorbells; and its two halves.
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
 * completion processing (the admin queue holds it under a mutex). An I/O
 * queue uses the two halves, struct cnvme_sq and struct cnvme_cq, under
 * locks of their own, so that completion processing never waits for a
 * submission and submission needs no lock the interrupt handler takes. The
 * completion side passes the submission queue head the controller reports
 * to the submission side, which uses it to refuse commands when the ring is
 * full.
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
 * struct cnvme_sq - A submission queue: its slots, its tail and its doorbell.
 * @qid: queue identifier; 0 is the admin queue.
 * @sqes: the slots, @ring.depth of them.
 * @dma: DMA address of @sqes.
 * @ring: host side of the ring: the tail.
 * @rung: the tail last rung: written to the doorbell, or published to its
 *	shadow.
 * @doorbell: the tail doorbell, within the BAR.
 * @shadow: the shadow tail doorbell, if the controller reads it (I/O queues
 *	only); its @buf is NULL otherwise.
 */
struct cnvme_sq {
	u16 qid;
	struct cnvme_command *sqes;
	dma_addr_t dma;
	struct cnvme_sq_ring ring;
	u16 rung;
	void __iomem *doorbell;
	struct cnvme_shadow shadow;
};

/**
 * struct cnvme_cq - A completion queue: its slots, its head and phase, and
 *	its doorbell.
 * @cqes: the slots, @ring.depth of them.
 * @dma: DMA address of @cqes.
 * @ring: host side of the ring: the head and the expected phase.
 * @doorbell: the head doorbell, within the BAR.
 * @shadow: the shadow head doorbell, if the controller reads it (I/O queues
 *	only); its @buf is NULL otherwise.
 */
struct cnvme_cq {
	struct cnvme_completion *cqes;
	dma_addr_t dma;
	struct cnvme_cq_ring ring;
	void __iomem *doorbell;
	struct cnvme_shadow shadow;
};

/**
 * struct cnvme_queue - A submission queue and the completion queue it
 *	completes into, with the same identifier.
 * @dev: the device the rings are allocated for.
 * @sq: the submission queue.
 * @cq: the completion queue.
 * @sq_head: the submission queue head the controller reported last.
 *
 * Set up with cnvme_queue_init(), which checks the depth and the doorbells,
 * so the ring indices are always in bounds; freed with cnvme_queue_free().
 */
struct cnvme_queue {
	struct device *dev;
	struct cnvme_sq sq;
	struct cnvme_cq cq;
	u16 sq_head;
};

/**
 * typedef cnvme_cqe_fn - Called on each completion a reap consumes.
 * @cqe: a copy of the completion.
 * @ctx: the caller's context.
 */
typedef void (*cnvme_cqe_fn)(const struct cnvme_completion *cqe, void *ctx);

int cnvme_sq_push(struct cnvme_sq *sq, const struct cnvme_command *cmd,
		  u16 head);
void cnvme_sq_ring(struct cnvme_sq *sq);
u32 cnvme_cq_reap(struct cnvme_cq *cq, cnvme_cqe_fn fn, void *ctx);

int cnvme_queue_init(struct cnvme_queue *q, struct device *dev,
		     void __iomem *bar, size_t bar_size, u16 qid, u32 depth,
		     u32 dstrd);
void cnvme_queue_free(struct cnvme_queue *q);
int cnvme_queue_set_shadow(struct cnvme_queue *q, struct cnvme_dbbuf *buf);
int cnvme_queue_submit(struct cnvme_queue *q, const struct cnvme_command *cmd);
u32 cnvme_queue_reap(struct cnvme_queue *q, cnvme_cqe_fn fn, void *ctx);

/**
 * cnvme_queue_depth() - The number of slots of each ring.
 * @q: the queue pair.
 *
 * Return: the depth, 2 to 65536.
 */
static inline u32 cnvme_queue_depth(const struct cnvme_queue *q)
{
	return q->sq.ring.depth;
}

#endif /* CNVME_QUEUE_H */
