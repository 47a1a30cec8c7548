// SPDX-License-Identifier: GPL-2.0
/*
 * Synchronous admin commands (NVMe 2.0 base specification, section 5),
 * polled on the admin completion queue. See cnvme.h.
 */

#include <linux/build_bug.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cnvme.h"
#include "io.h"

/*
 * Most I/O queues a Set Features (Number of Queues) can ask for: the 0's
 * based count is 16 bits, and 0xffff is not allowed.
 */
#define MAX_IO_QUEUES	0xffffU
/* Sleep between two looks at the admin completion queue. */
#define ADMIN_POLL_US	20

/**
 * cnvme_admin_init() - Set up the admin queue of a controller.
 * @admin: the admin queue to set up.
 * @dev: the controller.
 * @bar: the mapping of BAR0.
 * @queue: the admin queue pair the controller's ASQ/ACQ registers point at.
 *
 * Allocates the data buffer. On success @admin takes over @queue, which
 * cnvme_admin_free() frees; on failure @queue stays the caller's.
 *
 * Return: 0, or -ENOMEM if the data buffer cannot be allocated.
 */
int cnvme_admin_init(struct cnvme_admin *admin, struct device *dev,
		     void __iomem *bar, const struct cnvme_queue *queue)
{
	memset(admin, 0, sizeof(*admin));
	admin->data = dma_alloc_coherent(dev, NVME_IDENTIFY_DATA_SIZE,
					 &admin->data_dma, GFP_KERNEL);
	admin->copy = kzalloc(NVME_IDENTIFY_DATA_SIZE, GFP_KERNEL);
	if (!admin->data || !admin->copy)
		goto err_free;

	admin->dev = dev;
	admin->bar = bar;
	admin->queue = *queue;
	mutex_init(&admin->lock);
	return 0;

err_free:
	dev_err(dev, "cannot allocate the admin data buffer: %pe\n",
		ERR_PTR(-ENOMEM));
	kfree(admin->copy);
	if (admin->data)
		dma_free_coherent(dev, NVME_IDENTIFY_DATA_SIZE, admin->data,
				  admin->data_dma);
	return -ENOMEM;
}

/**
 * cnvme_admin_free() - Free the admin queue and its buffers.
 * @admin: the admin queue, set up by cnvme_admin_init().
 *
 * The controller must be disabled: it must no longer use the queue or write
 * the data buffer.
 */
void cnvme_admin_free(struct cnvme_admin *admin)
{
	mutex_destroy(&admin->lock);
	cnvme_queue_free(&admin->queue);
	dma_free_coherent(admin->dev, NVME_IDENTIFY_DATA_SIZE, admin->data,
			  admin->data_dma);
	kfree(admin->copy);
}

/*
 * Consumes the new completions of the admin queue. Returns true, with the
 * completion in @cqe, once the one of command @cid was among them; others
 * are reported and dropped.
 */
static bool admin_reap(struct cnvme_admin *admin, u16 cid,
		       struct nvme_completion *cqe)
{
	struct cnvme_queue *q = &admin->queue;
	struct cnvme_cq *cq = &q->cq;
	u16 old = cq->ring.head;
	bool found = false;
	u32 count = 0;

	/* At most one lap, so that a controller that keeps posting cannot hold us. */
	while (count < cq->ring.depth && cnvme_cqe_pending(cq)) {
		const struct nvme_completion *slot = &cq->cqes[cq->ring.head];

		/* The phase tag says the entry is complete: read the rest only after it. */
		dma_rmb();
		q->sq_head = le16_to_cpu(slot->sq_head);
		if (slot->command_id == cid) {
			*cqe = *slot;
			found = true;
		} else {
			dev_warn(admin->dev,
				 "ignoring a completion for admin command id %u\n",
				 slot->command_id);
		}
		cnvme_cq_ring_advance(&cq->ring);
		count++;
	}
	if (count)
		cnvme_cq_ring_doorbell(cq, old);
	return found;
}

/*
 * Polls the admin completion queue until the completion of command @cid is
 * there, sleeping %ADMIN_POLL_US between looks, for at most
 * %CNVME_ADMIN_TIMEOUT_MS. Returns 0 once it is there, -ENODEV or -EIO as
 * soon as CSTS reads all ones or reports a fatal status, -ETIMEDOUT.
 */
static int admin_poll(struct cnvme_admin *admin, u16 cid,
		      struct nvme_completion *cqe)
{
	ktime_t timeout = ktime_add_ms(ktime_get(), CNVME_ADMIN_TIMEOUT_MS);
	u32 csts;

	for (;;) {
		if (admin_reap(admin, cid, cqe))
			return 0;
		/* Fail early, not after the timeout, if the controller died. */
		csts = readl(admin->bar + NVME_REG_CSTS);
		if (cnvme_csts_is_all_ones(csts))
			return -ENODEV;
		if (csts & NVME_CSTS_CFS)
			return -EIO;
		if (ktime_after(ktime_get(), timeout))
			return -ETIMEDOUT;
		fsleep(ADMIN_POLL_US);
	}
}

/*
 * Sends @cmd on the locked admin queue and waits for its completion; stores
 * the command specific result (DW0) in @result if it is not NULL.
 *
 * Returns 0; -EIO if the command completed with an error status, if the
 * controller reported a fatal error while the command ran, or if an earlier
 * command never completed; -ETIMEDOUT if the command did not complete within
 * %CNVME_ADMIN_TIMEOUT_MS; -ENODEV if the controller registers read as all
 * ones (it is gone); -EBUSY if the admin submission queue is full.
 */
static int admin_execute_locked(struct cnvme_admin *admin,
				struct nvme_command *cmd, u32 *result)
{
	struct cnvme_queue *q = &admin->queue;
	u8 opcode = cmd->common.opcode;
	struct nvme_completion cqe;
	u16 status, cid;
	int ret;

	lockdep_assert_held(&admin->lock);
	if (admin->stuck) {
		dev_err(admin->dev,
			"admin command 0x%02x not sent: an earlier command never completed\n",
			opcode);
		return -EIO;
	}
	cid = admin->next_cid++;
	cmd->common.command_id = cid;
	ret = cnvme_sq_push(&q->sq, cmd, q->sq_head);
	if (ret) {
		dev_err(admin->dev, "admin command 0x%02x: %pe\n", opcode,
			ERR_PTR(ret));
		return ret;
	}
	cnvme_sq_ring_doorbell(&q->sq);

	ret = admin_poll(admin, cid, &cqe);
	if (ret) {
		/* The command may still complete, and write its data, at any later time. */
		admin->stuck = true;
		if (ret == -ETIMEDOUT)
			dev_err(admin->dev,
				"admin command 0x%02x (id %u) timed out after %u ms\n",
				opcode, cid, CNVME_ADMIN_TIMEOUT_MS);
		else if (ret == -ENODEV)
			dev_err(admin->dev,
				"admin command 0x%02x: the controller stopped answering\n",
				opcode);
		else
			dev_err(admin->dev,
				"admin command 0x%02x: controller fatal status (CSTS.CFS)\n",
				opcode);
		return ret;
	}

	status = cnvme_cqe_status(&cqe);
	if (status & NVME_SCT_SC_MASK) {
		dev_err(admin->dev,
			"admin command 0x%02x failed: status code type 0x%x, status code 0x%02x%s\n",
			opcode, NVME_SCT(status), status & NVME_SC_MASK,
			status & NVME_STATUS_DNR ? ", do not retry" : "");
		return -EIO;
	}
	if (result)
		*result = le32_to_cpu(cqe.result.u32);
	return 0;
}

/**
 * cnvme_admin_execute() - Send an admin command and wait for its completion.
 * @admin: the admin queue.
 * @cmd: the command; its identifier is set here.
 * @result: where to store the command specific result (DW0), or NULL.
 *
 * Sleeps, for at most %CNVME_ADMIN_TIMEOUT_MS.
 *
 * Return: 0; -EIO if the command completed with an error status, if the
 * controller reported a fatal error while the command ran, or if an earlier
 * command never completed; -ETIMEDOUT if the command did not complete in
 * time; -ENODEV if the controller registers read as all ones; -EBUSY if the
 * admin submission queue is full.
 */
int cnvme_admin_execute(struct cnvme_admin *admin, struct nvme_command *cmd,
			u32 *result)
{
	int ret;

	mutex_lock(&admin->lock);
	ret = admin_execute_locked(admin, cmd, result);
	mutex_unlock(&admin->lock);
	return ret;
}

/*
 * Sends an Identify of data structure @cns for namespace @nsid on the locked
 * admin queue and copies the 4096 bytes the controller returned to
 * admin->copy, where they stay until the lock is released.
 */
static int admin_identify_locked(struct cnvme_admin *admin, u8 cns, u32 nsid)
{
	struct nvme_command cmd;
	int ret;

	cnvme_cmd_identify(&cmd, cns, nsid, admin->data_dma);
	ret = admin_execute_locked(admin, &cmd, NULL);
	if (ret)
		return ret;
	memcpy(admin->copy, admin->data, NVME_IDENTIFY_DATA_SIZE);
	return 0;
}

/**
 * cnvme_admin_identify_controller() - Get the Identify Controller data.
 * @admin: the admin queue.
 * @id: where to store it.
 *
 * Return: 0, an error of cnvme_admin_execute(), or -EINVAL if the data is
 * not usable (see cnvme_id_ctrl_check()).
 */
int cnvme_admin_identify_controller(struct cnvme_admin *admin,
				    struct nvme_id_ctrl *id)
{
	int ret;

	mutex_lock(&admin->lock);
	ret = admin_identify_locked(admin, NVME_ID_CNS_CTRL, 0);
	if (ret)
		goto out_unlock;
	memcpy(id, admin->copy, sizeof(*id));
	ret = cnvme_id_ctrl_check(id);
	if (ret)
		dev_err(admin->dev,
			"Identify Controller data rejected (%pe): the controller cannot use 64-byte submission and 16-byte completion queue entries\n",
			ERR_PTR(ret));
out_unlock:
	mutex_unlock(&admin->lock);
	return ret;
}

/**
 * cnvme_admin_identify_namespace() - Get the Identify Namespace data of a
 *	namespace.
 * @admin: the admin queue.
 * @nsid: the namespace.
 * @id: where to store the data; cnvme_ns_classify() says if the driver can
 *	use the namespace.
 *
 * Return: 0, or an error of cnvme_admin_execute().
 */
int cnvme_admin_identify_namespace(struct cnvme_admin *admin, u32 nsid,
				   struct nvme_id_ns *id)
{
	int ret;

	mutex_lock(&admin->lock);
	ret = admin_identify_locked(admin, NVME_ID_CNS_NS, nsid);
	if (!ret)
		memcpy(id, admin->copy, sizeof(*id));
	mutex_unlock(&admin->lock);
	return ret;
}

/**
 * cnvme_admin_identify_nvm_limits() - Get the controller's limits of the NVM
 *	command set (Identify, CNS 06h, CSI 0).
 * @admin: the admin queue.
 * @nvm: where to store them; all zero (no limit) if the command fails.
 *
 * A controller older than NVMe 2.0 may not know the data structure.
 *
 * Return: 0, or an error of cnvme_admin_execute().
 */
int cnvme_admin_identify_nvm_limits(struct cnvme_admin *admin,
				    struct cnvme_nvm_limits *nvm)
{
	int ret;

	memset(nvm, 0, sizeof(*nvm));
	mutex_lock(&admin->lock);
	ret = admin_identify_locked(admin, NVME_ID_CNS_CS_CTRL, 0);
	if (!ret)
		cnvme_nvm_limits_parse((const struct nvme_id_ctrl_nvm *)admin->copy,
				       nvm);
	mutex_unlock(&admin->lock);
	return ret;
}

/**
 * cnvme_admin_namespace_csi() - Get the command set identifier of a
 *	namespace.
 * @admin: the admin queue.
 * @nsid: the namespace.
 *
 * Asks for its Namespace Identification Descriptor list. A controller that
 * fails the command (the list is optional before NVMe 1.3) or lists no
 * command set identifier has the namespace in the NVM command set.
 *
 * Return: the command set identifier, %NVME_CSI_NVM if none was found.
 */
u8 cnvme_admin_namespace_csi(struct cnvme_admin *admin, u32 nsid)
{
	u8 csi = NVME_CSI_NVM;

	mutex_lock(&admin->lock);
	if (!admin_identify_locked(admin, NVME_ID_CNS_NS_DESC_LIST, nsid))
		cnvme_ns_desc_csi(admin->copy, NVME_IDENTIFY_DATA_SIZE, &csi);
	mutex_unlock(&admin->lock);
	return csi;
}

/**
 * cnvme_admin_active_namespaces() - Get the active namespace IDs.
 * @admin: the admin queue.
 * @ids: where to store the IDs, in increasing order, at most
 *	%CNVME_MAX_NAMESPACES; an array to kfree(), or NULL if there are none.
 * @nr: where to store their number.
 *
 * Return: 0, an error of cnvme_admin_execute(), -EINVAL if a list is
 * malformed (see cnvme_ns_list_parse()) or does not continue where the
 * previous one ended, or -ENOMEM.
 */
int cnvme_admin_active_namespaces(struct cnvme_admin *admin, u32 **ids,
				  unsigned int *nr)
{
	struct cnvme_ns_list list;
	unsigned int n = 0, i;
	u32 *all = NULL, *grown;
	u32 after = 0;
	bool more;
	int ret;

	do {
		mutex_lock(&admin->lock);
		ret = admin_identify_locked(admin, NVME_ID_CNS_NS_ACTIVE_LIST, after);
		if (ret)
			goto err_unlock;
		ret = cnvme_ns_list_parse(&list, admin->copy, NVME_IDENTIFY_DATA_SIZE);
		if (ret) {
			dev_err(admin->dev, "active namespace list rejected: %pe\n",
				ERR_PTR(ret));
			goto err_unlock;
		}
		if (!cnvme_ns_list_is_empty(&list) &&
		    cnvme_ns_list_id(&list, 0) <= after) {
			dev_err(admin->dev,
				"active namespace list after %u starts at or below it\n",
				after);
			ret = -EINVAL;
			goto err_unlock;
		}
		if (list.len) {
			grown = krealloc_array(all, n + list.len, sizeof(*all),
					       GFP_KERNEL);
			if (!grown) {
				ret = -ENOMEM;
				dev_err(admin->dev,
					"cannot store namespace IDs: %pe\n",
					ERR_PTR(ret));
				goto err_unlock;
			}
			all = grown;
		}
		for (i = 0; i < list.len; i++)
			all[n++] = cnvme_ns_list_id(&list, i);
		/* A full list may be followed by more. */
		more = cnvme_ns_list_is_full(&list);
		after = cnvme_ns_list_last(&list);
		mutex_unlock(&admin->lock);

		if (more && n >= CNVME_MAX_NAMESPACES) {
			dev_warn(admin->dev,
				 "more than %u active namespaces: ignoring the others\n",
				 CNVME_MAX_NAMESPACES);
			n = CNVME_MAX_NAMESPACES;
			break;
		}
	} while (more);

	*ids = all;
	*nr = n;
	return 0;

err_unlock:
	mutex_unlock(&admin->lock);
	kfree(all);
	return ret;
}

/**
 * cnvme_admin_set_num_queues() - Ask for I/O queues with Set Features
 *	(Number of Queues).
 * @admin: the admin queue.
 * @wanted: the number of I/O submission and completion queues to ask for,
 *	clamped to 1..65535.
 * @nr_sq: where to store how many submission queues the controller
 *	allocated, which may be more or fewer than asked for.
 * @nr_cq: where to store how many completion queues it allocated.
 *
 * Return: 0, or an error of cnvme_admin_execute().
 */
int cnvme_admin_set_num_queues(struct cnvme_admin *admin, u32 wanted,
			       u32 *nr_sq, u32 *nr_cq)
{
	u16 zero_based = clamp(wanted, 1U, MAX_IO_QUEUES) - 1;
	struct nvme_command cmd;
	u32 result;
	int ret;

	cnvme_cmd_set_num_queues(&cmd, zero_based, zero_based);
	ret = cnvme_admin_execute(admin, &cmd, &result);
	if (ret)
		return ret;
	cnvme_num_queues_allocated(result, nr_sq, nr_cq);
	return 0;
}

/* The Host Behavior Support data goes in the admin data buffer. */
static_assert(sizeof(struct nvme_feat_host_behavior) <= NVME_IDENTIFY_DATA_SIZE);

/**
 * cnvme_admin_enable_retry_delays() - Enable Advanced Command Retry with a
 *	Set Features (Host Behavior Support).
 * @admin: the admin queue.
 *
 * The controller may then ask, in the status of a failed command, for one
 * of its Command Retry Delay Times (CRDT) before the command is retried.
 * The other host behaviors stay off.
 *
 * Return: 0, or an error of cnvme_admin_execute().
 */
int cnvme_admin_enable_retry_delays(struct cnvme_admin *admin)
{
	struct nvme_feat_host_behavior *host = admin->data;
	struct nvme_command cmd;
	int ret;

	mutex_lock(&admin->lock);
	memset(host, 0, sizeof(*host));
	host->acre = NVME_ENABLE_ACRE;
	cnvme_cmd_set_host_behavior(&cmd, admin->data_dma);
	ret = admin_execute_locked(admin, &cmd, NULL);
	mutex_unlock(&admin->lock);
	return ret;
}

/**
 * cnvme_admin_create_cq() - Create the completion queue of a queue pair.
 * @admin: the admin queue.
 * @queue: the I/O queue pair.
 * @vector: the interrupt vector it signals, or a negative number for a polled
 *	queue.
 *
 * Return: 0, -EINVAL if @queue is the admin queue pair, or an error of
 * cnvme_admin_execute().
 */
int cnvme_admin_create_cq(struct cnvme_admin *admin,
			  const struct cnvme_queue *queue, int vector)
{
	struct nvme_command cmd;
	int ret;

	ret = cnvme_cmd_create_cq(&cmd, queue->sq.qid, queue->sq.ring.depth,
				  queue->cq.dma, vector < 0 ? 0 : vector,
				  vector >= 0);
	if (ret) {
		dev_err(admin->dev, "no Create I/O Completion Queue for queue %u: %pe\n",
			queue->sq.qid, ERR_PTR(ret));
		return ret;
	}
	return cnvme_admin_execute(admin, &cmd, NULL);
}

/**
 * cnvme_admin_create_sq() - Create the submission queue of a queue pair,
 *	completing into the completion queue of the same identifier (create
 *	that first).
 * @admin: the admin queue.
 * @queue: the I/O queue pair.
 *
 * Return: 0, -EINVAL if @queue is the admin queue pair, or an error of
 * cnvme_admin_execute().
 */
int cnvme_admin_create_sq(struct cnvme_admin *admin,
			  const struct cnvme_queue *queue)
{
	struct nvme_command cmd;
	int ret;

	ret = cnvme_cmd_create_sq(&cmd, queue->sq.qid, queue->sq.ring.depth,
				  queue->sq.dma, queue->sq.qid);
	if (ret) {
		dev_err(admin->dev, "no Create I/O Submission Queue for queue %u: %pe\n",
			queue->sq.qid, ERR_PTR(ret));
		return ret;
	}
	return cnvme_admin_execute(admin, &cmd, NULL);
}

/**
 * cnvme_admin_delete_queue() - Delete an I/O submission queue (before its
 *	completion queue) or completion queue (after the submission queues
 *	completing into it).
 * @admin: the admin queue.
 * @opcode: %nvme_admin_delete_sq or %nvme_admin_delete_cq.
 * @qid: the queue.
 *
 * Return: 0, or an error of cnvme_admin_execute().
 */
int cnvme_admin_delete_queue(struct cnvme_admin *admin, u8 opcode, u16 qid)
{
	struct nvme_command cmd;

	cnvme_cmd_delete_queue(&cmd, opcode, qid);
	return cnvme_admin_execute(admin, &cmd, NULL);
}
