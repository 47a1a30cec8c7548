// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe command builders and status mapping. See cmd.h.
 */

#include <linux/errno.h>
#include <linux/export.h>
#include <linux/string.h>
#include <linux/wordpart.h>
#include <kunit/visibility.h>

#include "cmd.h"

/* Read/Write CDW12: Force Unit Access. */
#define RW_FUA		BIT(30)
/* Write Zeroes CDW12: Deallocate. */
#define WZ_DEAC		BIT(25)
/* Dataset Management CDW11: Attribute - Deallocate. */
#define DSM_AD		BIT(2)
/* Create I/O queue CDW11: Physically Contiguous. */
#define QUEUE_PC	BIT(0)
/* Create I/O Completion Queue CDW11: Interrupts Enabled. */
#define CQ_IEN		BIT(1)

/* Clears @cmd and sets its opcode and namespace. */
static void cmd_init(struct cnvme_command *cmd, u8 opcode, u32 nsid)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->cdw0 = cpu_to_le32(opcode);
	cmd->nsid = cpu_to_le32(nsid);
}

static void cmd_set_prps(struct cnvme_command *cmd, u64 prp1, u64 prp2)
{
	cmd->prp1 = cpu_to_le64(prp1);
	cmd->prp2 = cpu_to_le64(prp2);
}

/* Returns CDW10 of the queue creation commands: queue ID and 0's based size. */
static int queue_dw10(u16 qid, u32 depth, u32 *dw10)
{
	if (!qid || depth < 2 || depth > CNVME_IO_QUEUE_MAX_DEPTH)
		return -EINVAL;
	*dw10 = (depth - 1) << 16 | qid;
	return 0;
}

static void cmd_rw(struct cnvme_command *cmd, u8 opcode, u32 nsid, u64 slba,
		   u16 nlb, u64 prp1, u64 prp2, bool fua)
{
	cmd_init(cmd, opcode, nsid);
	cmd_set_prps(cmd, prp1, prp2);
	cmd->cdw10 = cpu_to_le32(lower_32_bits(slba));
	cmd->cdw11 = cpu_to_le32(upper_32_bits(slba));
	cmd->cdw12 = cpu_to_le32((fua ? RW_FUA : 0) | nlb);
}

/**
 * cnvme_cmd_read() - Build a Read.
 * @cmd: the command to fill in.
 * @nsid: the namespace.
 * @slba: the first logical block.
 * @nlb_zero_based: the number of logical blocks, minus one.
 * @prp1: PRP entry 1 of the buffer.
 * @prp2: PRP entry 2 of the buffer.
 * @fua: Force Unit Access.
 */
void cnvme_cmd_read(struct cnvme_command *cmd, u32 nsid, u64 slba,
		    u16 nlb_zero_based, u64 prp1, u64 prp2, bool fua)
{
	cmd_rw(cmd, CNVME_IO_READ, nsid, slba, nlb_zero_based, prp1, prp2, fua);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_read);

/**
 * cnvme_cmd_write() - Build a Write.
 * @cmd: the command to fill in.
 * @nsid: the namespace.
 * @slba: the first logical block.
 * @nlb_zero_based: the number of logical blocks, minus one.
 * @prp1: PRP entry 1 of the buffer.
 * @prp2: PRP entry 2 of the buffer.
 * @fua: Force Unit Access.
 */
void cnvme_cmd_write(struct cnvme_command *cmd, u32 nsid, u64 slba,
		     u16 nlb_zero_based, u64 prp1, u64 prp2, bool fua)
{
	cmd_rw(cmd, CNVME_IO_WRITE, nsid, slba, nlb_zero_based, prp1, prp2, fua);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_write);

/**
 * cnvme_cmd_flush() - Build a Flush of a namespace's volatile write cache.
 * @cmd: the command to fill in.
 * @nsid: the namespace.
 */
void cnvme_cmd_flush(struct cnvme_command *cmd, u32 nsid)
{
	cmd_init(cmd, CNVME_IO_FLUSH, nsid);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_flush);

/**
 * cnvme_cmd_write_zeroes() - Build a Write Zeroes.
 * @cmd: the command to fill in.
 * @nsid: the namespace.
 * @slba: the first logical block.
 * @nlb_zero_based: the number of logical blocks, minus one.
 * @deallocate: let the controller deallocate the blocks instead.
 */
void cnvme_cmd_write_zeroes(struct cnvme_command *cmd, u32 nsid, u64 slba,
			    u16 nlb_zero_based, bool deallocate)
{
	cmd_init(cmd, CNVME_IO_WRITE_ZEROES, nsid);
	cmd->cdw10 = cpu_to_le32(lower_32_bits(slba));
	cmd->cdw11 = cpu_to_le32(upper_32_bits(slba));
	cmd->cdw12 = cpu_to_le32((deallocate ? WZ_DEAC : 0) | nlb_zero_based);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_write_zeroes);

/**
 * cnvme_cmd_dsm_deallocate() - Build a Dataset Management deallocate (discard).
 * @cmd: the command to fill in.
 * @nsid: the namespace.
 * @nr_zero_based: the number of &struct cnvme_dsm_range, minus one.
 * @prp1: PRP entry 1 of the ranges.
 * @prp2: PRP entry 2 of the ranges.
 */
void cnvme_cmd_dsm_deallocate(struct cnvme_command *cmd, u32 nsid,
			      u8 nr_zero_based, u64 prp1, u64 prp2)
{
	cmd_init(cmd, CNVME_IO_DATASET_MANAGEMENT, nsid);
	cmd_set_prps(cmd, prp1, prp2);
	cmd->cdw10 = cpu_to_le32(nr_zero_based);
	cmd->cdw11 = cpu_to_le32(DSM_AD);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_dsm_deallocate);

/**
 * cnvme_cmd_identify() - Build an Identify.
 * @cmd: the command to fill in.
 * @cns: the data structure, such as %CNVME_CNS_CONTROLLER.
 * @nsid: the namespace.
 * @prp1: the 4096-byte buffer, which must not cross a memory page.
 */
void cnvme_cmd_identify(struct cnvme_command *cmd, u8 cns, u32 nsid, u64 prp1)
{
	cmd_init(cmd, CNVME_ADMIN_IDENTIFY, nsid);
	cmd_set_prps(cmd, prp1, 0);
	cmd->cdw10 = cpu_to_le32(cns);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_identify);

/**
 * cnvme_cmd_set_features() - Build a Set Features.
 * @cmd: the command to fill in.
 * @fid: the feature.
 * @dw11: its value.
 */
void cnvme_cmd_set_features(struct cnvme_command *cmd, u8 fid, u32 dw11)
{
	cmd_init(cmd, CNVME_ADMIN_SET_FEATURES, 0);
	cmd->cdw10 = cpu_to_le32(fid);
	cmd->cdw11 = cpu_to_le32(dw11);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_set_features);

/**
 * cnvme_cmd_get_features() - Build a Get Features of a feature's current value.
 * @cmd: the command to fill in.
 * @fid: the feature.
 * @dw11: feature specific.
 */
void cnvme_cmd_get_features(struct cnvme_command *cmd, u8 fid, u32 dw11)
{
	cmd_init(cmd, CNVME_ADMIN_GET_FEATURES, 0);
	cmd->cdw10 = cpu_to_le32(fid);
	cmd->cdw11 = cpu_to_le32(dw11);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_get_features);

/**
 * cnvme_cmd_set_num_queues() - Build a Set Features (Number of Queues).
 * @cmd: the command to fill in.
 * @nsqr: I/O submission queues asked for, minus one.
 * @ncqr: I/O completion queues asked for, minus one.
 *
 * The completion's result holds what was allocated; see
 * cnvme_num_queues_allocated().
 */
void cnvme_cmd_set_num_queues(struct cnvme_command *cmd, u16 nsqr, u16 ncqr)
{
	cnvme_cmd_set_features(cmd, CNVME_FEAT_NUM_QUEUES, (u32)ncqr << 16 | nsqr);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_set_num_queues);

/**
 * cnvme_cmd_create_cq() - Build a Create I/O Completion Queue.
 * @cmd: the command to fill in.
 * @qid: the queue.
 * @depth: its number of entries.
 * @prp1: its physically contiguous memory.
 * @vector: the MSI-X/MSI vector it signals.
 * @irq_enabled: whether it signals the vector.
 *
 * Return: 0, or -EINVAL if @qid is 0 (the admin queue) or @depth is not in
 * 2..65536.
 */
int cnvme_cmd_create_cq(struct cnvme_command *cmd, u16 qid, u32 depth,
			u64 prp1, u16 vector, bool irq_enabled)
{
	u32 dw10;
	int ret;

	ret = queue_dw10(qid, depth, &dw10);
	if (ret)
		return ret;
	cmd_init(cmd, CNVME_ADMIN_CREATE_CQ, 0);
	cmd_set_prps(cmd, prp1, 0);
	cmd->cdw10 = cpu_to_le32(dw10);
	cmd->cdw11 = cpu_to_le32((u32)vector << 16 | (irq_enabled ? CQ_IEN : 0) |
				 QUEUE_PC);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_create_cq);

/**
 * cnvme_cmd_create_sq() - Build a Create I/O Submission Queue.
 * @cmd: the command to fill in.
 * @qid: the queue.
 * @depth: its number of entries.
 * @prp1: its physically contiguous memory.
 * @cqid: the completion queue it completes into.
 *
 * The priority is left at 0, unused with round robin arbitration.
 *
 * Return: 0, or -EINVAL if @qid or @cqid is 0 (the admin queue) or @depth is
 * not in 2..65536.
 */
int cnvme_cmd_create_sq(struct cnvme_command *cmd, u16 qid, u32 depth,
			u64 prp1, u16 cqid)
{
	u32 dw10;
	int ret;

	if (!cqid)
		return -EINVAL;
	ret = queue_dw10(qid, depth, &dw10);
	if (ret)
		return ret;
	cmd_init(cmd, CNVME_ADMIN_CREATE_SQ, 0);
	cmd_set_prps(cmd, prp1, 0);
	cmd->cdw10 = cpu_to_le32(dw10);
	cmd->cdw11 = cpu_to_le32((u32)cqid << 16 | QUEUE_PC);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_create_sq);

/**
 * cnvme_cmd_delete_sq() - Build a Delete I/O Submission Queue.
 * @cmd: the command to fill in.
 * @qid: the queue.
 */
void cnvme_cmd_delete_sq(struct cnvme_command *cmd, u16 qid)
{
	cmd_init(cmd, CNVME_ADMIN_DELETE_SQ, 0);
	cmd->cdw10 = cpu_to_le32(qid);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_delete_sq);

/**
 * cnvme_cmd_delete_cq() - Build a Delete I/O Completion Queue.
 * @cmd: the command to fill in.
 * @qid: the queue.
 */
void cnvme_cmd_delete_cq(struct cnvme_command *cmd, u16 qid)
{
	cmd_init(cmd, CNVME_ADMIN_DELETE_CQ, 0);
	cmd->cdw10 = cpu_to_le32(qid);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_delete_cq);

/**
 * cnvme_cmd_abort() - Build an Abort.
 * @cmd: the command to fill in.
 * @sqid: the submission queue of the command to abort.
 * @cid: the identifier of the command to abort.
 */
void cnvme_cmd_abort(struct cnvme_command *cmd, u16 sqid, u16 cid)
{
	cmd_init(cmd, CNVME_ADMIN_ABORT, 0);
	cmd->cdw10 = cpu_to_le32((u32)cid << 16 | sqid);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_abort);

/**
 * cnvme_cmd_doorbell_buffer_config() - Build a Doorbell Buffer Config.
 * @cmd: the command to fill in.
 * @shadow_prp: the shadow doorbell buffer, one page aligned memory page.
 * @eventidx_prp: the EventIdx buffer, one page aligned memory page.
 */
void cnvme_cmd_doorbell_buffer_config(struct cnvme_command *cmd,
				      u64 shadow_prp, u64 eventidx_prp)
{
	cmd_init(cmd, CNVME_ADMIN_DOORBELL_BUFFER_CONFIG, 0);
	cmd_set_prps(cmd, shadow_prp, eventidx_prp);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_cmd_doorbell_buffer_config);

/**
 * cnvme_status_to_blk() - Map a completion status to the block layer's view.
 * @status: the status field, without the phase tag.
 *
 * Choices worth knowing:
 * - LBA out of range is %BLK_STS_IOERR: a request past the end of the
 *   namespace is a bug, not a full device; capacity exceeded (thin
 *   provisioning ran out) is %BLK_STS_NOSPC.
 * - Invalid opcode and invalid field mean the command (or an option of it) is
 *   not supported: %BLK_STS_NOTSUPP.
 * - Invalid namespace and writes to a read-only range are refused by the
 *   target: %BLK_STS_TARGET.
 * - Every path related status is %BLK_STS_TRANSPORT.
 * - Anything else, vendor specific codes included, is %BLK_STS_IOERR.
 *
 * Return: the block layer status.
 */
blk_status_t cnvme_status_to_blk(u16 status)
{
	u8 sc = FIELD_GET(CNVME_STATUS_SC, status);

	switch (FIELD_GET(CNVME_STATUS_SCT, status)) {
	case CNVME_SCT_GENERIC:
		switch (sc) {
		case CNVME_SC_SUCCESS:
			return BLK_STS_OK;
		case CNVME_SC_INVALID_OPCODE:
		case CNVME_SC_INVALID_FIELD:
			return BLK_STS_NOTSUPP;
		case CNVME_SC_CAPACITY_EXCEEDED:
			return BLK_STS_NOSPC;
		case CNVME_SC_INVALID_NS:
			return BLK_STS_TARGET;
		}
		break;
	case CNVME_SCT_COMMAND_SPECIFIC:
		switch (sc) {
		case CNVME_SC_INVALID_PI:
			return BLK_STS_PROTECTION;
		case CNVME_SC_READ_ONLY:
			return BLK_STS_TARGET;
		}
		break;
	case CNVME_SCT_MEDIA:
		switch (sc) {
		case CNVME_SC_WRITE_FAULT:
		case CNVME_SC_UNRECOVERED_READ:
			return BLK_STS_MEDIUM;
		case CNVME_SC_GUARD_CHECK:
		case CNVME_SC_APPTAG_CHECK:
		case CNVME_SC_REFTAG_CHECK:
			return BLK_STS_PROTECTION;
		}
		break;
	case CNVME_SCT_PATH:
		return BLK_STS_TRANSPORT;
	}
	return BLK_STS_IOERR;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_status_to_blk);
