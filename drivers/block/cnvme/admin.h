/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Synchronous admin commands (NVMe 2.0 base specification, section 5).
 *
 * Admin commands go through the admin queue pair one at a time: struct
 * cnvme_admin keeps the queue pair under a mutex, and the issuer polls the
 * admin completion queue for its own completion, sleeping between polls, for
 * at most %CNVME_ADMIN_TIMEOUT_MS.
 *
 * Polling, not an interrupt, is a choice: admin commands are rare
 * (controller bring-up, queue creation and deletion, the odd feature
 * change), nobody waits on them in the I/O path, and a polled wait needs
 * neither an interrupt vector nor a handler for the admin queue. The I/O
 * queues will complete through MSI-X interrupts instead.
 *
 * A command that does not complete (it timed out, or the controller died or
 * reported a fatal status meanwhile) leaves the admin queue unusable: its
 * slot and command identifier may still be completed, and its data buffer
 * written, at any later time. Every later command then fails until the
 * controller is disabled (which frees the queue) or reset. Completions that
 * carry another command identifier than the one awaited are reported and
 * dropped.
 */

#ifndef CNVME_ADMIN_H
#define CNVME_ADMIN_H

#include <linux/compiler_types.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "identify.h"
#include "queue.h"

struct device;

/* Longest wait for an admin command's completion. */
#define CNVME_ADMIN_TIMEOUT_MS		10000
/* Sleep between two looks at the admin completion queue. */
#define CNVME_ADMIN_POLL_US		20
/* Most namespaces the driver takes from the active namespace list. */
#define CNVME_MAX_NAMESPACES		(4 * CNVME_NS_LIST_MAX)

/**
 * struct cnvme_admin - The admin queue pair of a controller and the buffer
 *	for the data its commands return.
 * @dev: the controller, for messages.
 * @bar: the mapping of BAR0, for CSTS.
 * @lock: held for the whole of each command; protects the fields below.
 * @queue: the admin queue pair (queue identifier 0).
 * @data: the %CNVME_IDENTIFY_SIZE byte buffer the controller writes command
 *	data (Identify) into, in coherent DMA memory.
 * @data_dma: DMA address of @data.
 * @copy: the CPU's copy of @data, taken once a command completed, for
 *	parsing; %CNVME_IDENTIFY_SIZE bytes.
 * @next_cid: command identifier of the next command.
 * @stuck: set when a command did not complete; no command is sent after
 *	that.
 */
struct cnvme_admin {
	struct device *dev;
	void __iomem *bar;
	struct mutex lock;	/* one command at a time; guards the fields below */
	struct cnvme_queue queue;
	void *data;
	dma_addr_t data_dma;
	u8 *copy;
	u16 next_cid;
	bool stuck;
};

int cnvme_admin_init(struct cnvme_admin *admin, struct device *dev,
		     void __iomem *bar, const struct cnvme_queue *queue);
void cnvme_admin_free(struct cnvme_admin *admin);
int cnvme_admin_execute(struct cnvme_admin *admin, struct cnvme_command *cmd,
			u32 *result);
int cnvme_admin_identify_controller(struct cnvme_admin *admin,
				    struct cnvme_id_ctrl *id);
int cnvme_admin_identify_namespace(struct cnvme_admin *admin, u32 nsid,
				   struct cnvme_id_ns *id);
int cnvme_admin_active_namespaces(struct cnvme_admin *admin, u32 **ids,
				  unsigned int *nr);
int cnvme_admin_set_num_queues(struct cnvme_admin *admin, u32 wanted,
			       u32 *nr_sq, u32 *nr_cq);
int cnvme_admin_create_cq(struct cnvme_admin *admin,
			  const struct cnvme_queue *queue, int vector);
int cnvme_admin_create_sq(struct cnvme_admin *admin,
			  const struct cnvme_queue *queue);
int cnvme_admin_delete_sq(struct cnvme_admin *admin, u16 qid);
int cnvme_admin_delete_cq(struct cnvme_admin *admin, u16 qid);

#endif /* CNVME_ADMIN_H */
