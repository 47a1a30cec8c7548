/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shadow doorbells (Doorbell Buffer Config, NVMe 2.0 base specification,
 * section 5.8).
 *
 * An emulated controller, whose doorbell registers trap into the emulator,
 * can read the doorbells from host memory instead: the driver writes each
 * new I/O queue tail and head to the shadow doorbell buffer, and writes the
 * doorbell register only when the controller asks for it through the
 * EventIdx buffer, that is when the new value passed the event index the
 * controller set (cnvme_need_event()). The admin queue keeps its registers.
 *
 * Both buffers are one 4 KiB page of coherent memory, laid out like the
 * doorbell registers (cnvme_shadow_index()), so the controller's queues must
 * fit in it.
 */

#ifndef CNVME_DBBUF_H
#define CNVME_DBBUF_H

#include <linux/types.h>

#include "cmd.h"

struct device;

/* Entries of one buffer: a 4 KiB page of 32-bit doorbells. */
#define CNVME_DBBUF_ENTRIES	1024

/**
 * struct cnvme_dbbuf - The shadow doorbell and EventIdx buffers of a
 *	controller.
 * @dev: the device the buffers are allocated for.
 * @dbs: the values of the doorbells, written by the driver;
 *	%CNVME_DBBUF_ENTRIES of them.
 * @dbs_dma: DMA address of @dbs.
 * @eis: the event indices, written by the controller;
 *	%CNVME_DBBUF_ENTRIES of them.
 * @eis_dma: DMA address of @eis.
 * @dstrd: CAP.DSTRD.
 *
 * Allocated with cnvme_dbbuf_alloc(), freed with cnvme_dbbuf_free().
 */
struct cnvme_dbbuf {
	struct device *dev;
	__le32 *dbs;
	dma_addr_t dbs_dma;
	__le32 *eis;
	dma_addr_t eis_dma;
	u32 dstrd;
};

/**
 * struct cnvme_shadow - One shadow doorbell of an I/O queue: the submission
 *	queue tail or the completion queue head.
 * @buf: the controller's buffers; NULL if the queue has no shadow
 *	doorbells.
 * @index: index of the doorbell in both buffers.
 *
 * Set up with cnvme_shadow_init(), which checks the index against the
 * buffers.
 */
struct cnvme_shadow {
	struct cnvme_dbbuf *buf;
	size_t index;
};

struct cnvme_dbbuf *cnvme_dbbuf_alloc(struct device *dev, u32 io_queues,
				      u32 dstrd);
void cnvme_dbbuf_free(struct cnvme_dbbuf *buf);
void cnvme_dbbuf_command(const struct cnvme_dbbuf *buf,
			 struct cnvme_command *cmd);

int cnvme_shadow_init(struct cnvme_shadow *shadow, struct cnvme_dbbuf *buf,
		      u16 qid, bool completion);
bool cnvme_shadow_update(const struct cnvme_shadow *shadow, u16 old, u16 new);

#endif /* CNVME_DBBUF_H */
