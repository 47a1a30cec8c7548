/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVMe submission and completion queue entries, after the NVMe 2.0 base
 * specification (sections 4.2 and 4.2.3) and the NVM command set
 * specification.
 *
 * struct cnvme_command is the 64-byte submission queue entry and
 * struct cnvme_completion the 16-byte completion queue entry, laid out as the
 * controller reads and writes them, little-endian. The builders fill in one
 * command each; the command identifier is set separately with
 * cnvme_cmd_set_cid() when the command is queued.
 *
 * A status is the 15-bit status field of a completion, without the phase
 * tag; cnvme_status_to_blk() maps it to a blk_status_t.
 *
 * Everything here is pure: no function touches the hardware.
 */

#ifndef CNVME_CMD_H
#define CNVME_CMD_H

#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/blk_types.h>
#include <linux/build_bug.h>
#include <linux/types.h>

#include <asm/byteorder.h>

/* Admin command set opcodes. */
enum cnvme_admin_opcode {
	CNVME_ADMIN_DELETE_SQ		= 0x00,
	CNVME_ADMIN_CREATE_SQ		= 0x01,
	CNVME_ADMIN_GET_LOG_PAGE	= 0x02,
	CNVME_ADMIN_DELETE_CQ		= 0x04,
	CNVME_ADMIN_CREATE_CQ		= 0x05,
	CNVME_ADMIN_IDENTIFY		= 0x06,
	CNVME_ADMIN_ABORT		= 0x08,
	CNVME_ADMIN_SET_FEATURES	= 0x09,
	CNVME_ADMIN_GET_FEATURES	= 0x0a,
	CNVME_ADMIN_ASYNC_EVENT_REQUEST	= 0x0c,
	CNVME_ADMIN_DOORBELL_BUFFER_CONFIG = 0x7c,
};

/* NVM command set (I/O) opcodes. */
enum cnvme_io_opcode {
	CNVME_IO_FLUSH			= 0x00,
	CNVME_IO_WRITE			= 0x01,
	CNVME_IO_READ			= 0x02,
	CNVME_IO_WRITE_ZEROES		= 0x08,
	CNVME_IO_DATASET_MANAGEMENT	= 0x09,
};

/* Identify CNS values. */
#define CNVME_CNS_NAMESPACE		0x00	/* Identify Namespace */
#define CNVME_CNS_CONTROLLER		0x01	/* Identify Controller */
#define CNVME_CNS_ACTIVE_NS_LIST	0x02	/* active NSIDs above the given one */

/* Feature identifiers. */
#define CNVME_FEAT_VOLATILE_WC		0x06
#define CNVME_FEAT_NUM_QUEUES		0x07
#define CNVME_FEAT_IRQ_COALESCING	0x08
#define CNVME_FEAT_ASYNC_EVENT		0x0b

/* Largest I/O queue depth a create command can express (QSIZE is 0's based). */
#define CNVME_IO_QUEUE_MAX_DEPTH	65536

/**
 * struct cnvme_command - A submission queue entry.
 * @cdw0: opcode (7:0), fused operation (9:8), PRP or SGL (15:14), command
 *	identifier (31:16).
 * @nsid: namespace identifier.
 * @cdw2: command dword 2.
 * @cdw3: command dword 3.
 * @mptr: metadata pointer.
 * @prp1: data pointer, PRP entry 1.
 * @prp2: data pointer, PRP entry 2.
 * @cdw10: command specific dword 10.
 * @cdw11: command specific dword 11.
 * @cdw12: command specific dword 12.
 * @cdw13: command specific dword 13.
 * @cdw14: command specific dword 14.
 * @cdw15: command specific dword 15.
 */
struct cnvme_command {
	__le32 cdw0;
	__le32 nsid;
	__le32 cdw2;
	__le32 cdw3;
	__le64 mptr;
	__le64 prp1;
	__le64 prp2;
	__le32 cdw10;
	__le32 cdw11;
	__le32 cdw12;
	__le32 cdw13;
	__le32 cdw14;
	__le32 cdw15;
};

static_assert(sizeof(struct cnvme_command) == 64);

/**
 * struct cnvme_dsm_range - A Dataset Management range.
 * @cattr: context attributes.
 * @nlb: number of logical blocks, 1-based (unlike in commands).
 * @slba: starting LBA.
 */
struct cnvme_dsm_range {
	__le32 cattr;
	__le32 nlb;
	__le64 slba;
};

static_assert(sizeof(struct cnvme_dsm_range) == 16);

/**
 * struct cnvme_completion - A completion queue entry.
 * @result: command specific result (DW0).
 * @dw1: reserved.
 * @sq_head: submission queue head pointer the controller reports.
 * @sq_id: the submission queue the command came from.
 * @cid: identifier of the completed command.
 * @status: phase tag (bit 0) and status field (15:1).
 */
struct cnvme_completion {
	__le32 result;
	__le32 dw1;
	__le16 sq_head;
	__le16 sq_id;
	__le16 cid;
	__le16 status;
};

static_assert(sizeof(struct cnvme_completion) == 16);

/*
 * A queue slot is the entry itself: the submission queue is an array of
 * struct cnvme_command and the completion queue one of
 * struct cnvme_completion, in coherent DMA memory. Seen as four little-endian
 * dwords, a completion slot holds the phase tag and the status in this one
 * (DW3), which the completion path reads alone before the rest of the entry.
 */
#define CNVME_CQE_STATUS_DWORD	3

/* Status field: Do Not Retry. */
#define CNVME_STATUS_DNR	BIT(14)
/* Status field: More status information is in the Error Information log. */
#define CNVME_STATUS_MORE	BIT(13)
/* Status field: Command Retry Delay: which retry delay time applies. */
#define CNVME_STATUS_CRD	GENMASK(12, 11)
/* Status field: Status Code Type. */
#define CNVME_STATUS_SCT	GENMASK(10, 8)
/* Status field: Status Code. */
#define CNVME_STATUS_SC		GENMASK(7, 0)

/* Status code types. */
#define CNVME_SCT_GENERIC		0x0
#define CNVME_SCT_COMMAND_SPECIFIC	0x1
#define CNVME_SCT_MEDIA			0x2
#define CNVME_SCT_PATH			0x3
#define CNVME_SCT_VENDOR		0x7

/* Generic status codes; those from 0x80 are NVM command set ones. */
#define CNVME_SC_SUCCESS		0x00
#define CNVME_SC_INVALID_OPCODE		0x01
#define CNVME_SC_INVALID_FIELD		0x02
#define CNVME_SC_ABORT_REQUESTED	0x07
#define CNVME_SC_INVALID_NS		0x0b
#define CNVME_SC_LBA_RANGE		0x80
#define CNVME_SC_CAPACITY_EXCEEDED	0x81
#define CNVME_SC_NS_NOT_READY		0x82
/* Command specific status codes; those from 0x80 are NVM command set ones. */
#define CNVME_SC_INVALID_QID		0x01
#define CNVME_SC_INVALID_QSIZE		0x02
#define CNVME_SC_INVALID_PI		0x81
#define CNVME_SC_READ_ONLY		0x82
/* Media and data integrity error codes. */
#define CNVME_SC_WRITE_FAULT		0x80
#define CNVME_SC_UNRECOVERED_READ	0x81
#define CNVME_SC_GUARD_CHECK		0x82
#define CNVME_SC_APPTAG_CHECK		0x83
#define CNVME_SC_REFTAG_CHECK		0x84

void cnvme_cmd_read(struct cnvme_command *cmd, u32 nsid, u64 slba,
		    u16 nlb_zero_based, u64 prp1, u64 prp2, bool fua);
void cnvme_cmd_write(struct cnvme_command *cmd, u32 nsid, u64 slba,
		     u16 nlb_zero_based, u64 prp1, u64 prp2, bool fua);
void cnvme_cmd_flush(struct cnvme_command *cmd, u32 nsid);
void cnvme_cmd_write_zeroes(struct cnvme_command *cmd, u32 nsid, u64 slba,
			    u16 nlb_zero_based, bool deallocate);
void cnvme_cmd_dsm_deallocate(struct cnvme_command *cmd, u32 nsid,
			      u8 nr_zero_based, u64 prp1, u64 prp2);
void cnvme_cmd_identify(struct cnvme_command *cmd, u8 cns, u32 nsid, u64 prp1);
void cnvme_cmd_set_features(struct cnvme_command *cmd, u8 fid, u32 dw11);
void cnvme_cmd_get_features(struct cnvme_command *cmd, u8 fid, u32 dw11);
void cnvme_cmd_set_num_queues(struct cnvme_command *cmd, u16 nsqr, u16 ncqr);
int cnvme_cmd_create_cq(struct cnvme_command *cmd, u16 qid, u32 depth,
			u64 prp1, u16 vector, bool irq_enabled);
int cnvme_cmd_create_sq(struct cnvme_command *cmd, u16 qid, u32 depth,
			u64 prp1, u16 cqid);
void cnvme_cmd_delete_sq(struct cnvme_command *cmd, u16 qid);
void cnvme_cmd_delete_cq(struct cnvme_command *cmd, u16 qid);
void cnvme_cmd_abort(struct cnvme_command *cmd, u16 sqid, u16 cid);
void cnvme_cmd_doorbell_buffer_config(struct cnvme_command *cmd,
				      u64 shadow_prp, u64 eventidx_prp);
blk_status_t cnvme_status_to_blk(u16 status);

/**
 * cnvme_cmd_set_cid() - Set the command identifier, which the completion echoes.
 * @cmd: the command.
 * @cid: the identifier.
 */
static inline void cnvme_cmd_set_cid(struct cnvme_command *cmd, u16 cid)
{
	u32 cdw0 = le32_to_cpu(cmd->cdw0) & 0xffff;

	cmd->cdw0 = cpu_to_le32((u32)cid << 16 | cdw0);
}

/**
 * cnvme_cmd_cid() - The command identifier.
 * @cmd: the command.
 *
 * Return: the identifier, CDW0 bits 31:16.
 */
static inline u16 cnvme_cmd_cid(const struct cnvme_command *cmd)
{
	return le32_to_cpu(cmd->cdw0) >> 16;
}

/**
 * cnvme_cmd_opcode() - The opcode.
 * @cmd: the command.
 *
 * Return: the opcode, CDW0 bits 7:0.
 */
static inline u8 cnvme_cmd_opcode(const struct cnvme_command *cmd)
{
	return le32_to_cpu(cmd->cdw0) & 0xff;
}

/**
 * cnvme_num_queues_allocated() - Queue counts a Set Features (Number of
 *	Queues) completion reports allocated.
 * @result: the completion's result.
 * @nr_sq: where to store the number of I/O submission queues, 1-based.
 * @nr_cq: where to store the number of I/O completion queues, 1-based.
 */
static inline void cnvme_num_queues_allocated(u32 result, u32 *nr_sq, u32 *nr_cq)
{
	*nr_sq = (result & 0xffff) + 1;
	*nr_cq = (result >> 16) + 1;
}

/**
 * cnvme_dsm_range_init() - Fill in a Dataset Management range.
 * @range: the range.
 * @slba: first logical block.
 * @nlb: number of logical blocks, 1-based.
 */
static inline void cnvme_dsm_range_init(struct cnvme_dsm_range *range,
					u64 slba, u32 nlb)
{
	range->cattr = 0;
	range->nlb = cpu_to_le32(nlb);
	range->slba = cpu_to_le64(slba);
}

/**
 * cnvme_cqe_init() - Fill in a completion entry.
 * @cqe: the entry.
 * @result: command specific result.
 * @sq_head: submission queue head.
 * @sq_id: submission queue identifier.
 * @cid: command identifier.
 * @status_with_phase: phase tag in bit 0, status field above.
 */
static inline void cnvme_cqe_init(struct cnvme_completion *cqe, u32 result,
				  u16 sq_head, u16 sq_id, u16 cid,
				  u16 status_with_phase)
{
	cqe->result = cpu_to_le32(result);
	cqe->dw1 = 0;
	cqe->sq_head = cpu_to_le16(sq_head);
	cqe->sq_id = cpu_to_le16(sq_id);
	cqe->cid = cpu_to_le16(cid);
	cqe->status = cpu_to_le16(status_with_phase);
}

/**
 * cnvme_cqe_phase() - The phase tag of a completion entry.
 * @cqe: the entry.
 *
 * Return: the phase tag, bit 0 of the upper half of DW3.
 */
static inline bool cnvme_cqe_phase(const struct cnvme_completion *cqe)
{
	return le16_to_cpu(cqe->status) & 1;
}

/**
 * cnvme_cqe_status() - The status field of a completion entry.
 * @cqe: the entry.
 *
 * Return: the 15-bit status, without the phase tag.
 */
static inline u16 cnvme_cqe_status(const struct cnvme_completion *cqe)
{
	return le16_to_cpu(cqe->status) >> 1;
}

/**
 * cnvme_cqe_status_with_phase_of() - The phase tag and status of a
 *	completion slot, from its DW3 alone.
 * @dw3: DW3 of the slot, as read from memory (index %CNVME_CQE_STATUS_DWORD).
 *
 * This lets the completion path check the phase tag with one 32-bit read
 * before it copies the rest of the entry.
 *
 * Return: the phase tag in bit 0 and the status field above, the upper half
 * of DW3.
 */
static inline u16 cnvme_cqe_status_with_phase_of(__le32 dw3)
{
	return le32_to_cpu(dw3) >> 16;
}

/**
 * cnvme_status_is_success() - Whether a command completed successfully.
 * @status: the status field.
 *
 * Return: true for Successful Completion in the generic status type.
 */
static inline bool cnvme_status_is_success(u16 status)
{
	return FIELD_GET(CNVME_STATUS_SCT, status) == CNVME_SCT_GENERIC &&
	       FIELD_GET(CNVME_STATUS_SC, status) == CNVME_SC_SUCCESS;
}

/**
 * cnvme_status_is_retryable() - Whether a failed command may be retried.
 * @status: the status field.
 *
 * Return: true if the command failed and Do Not Retry is clear; a successful
 * command is not retryable.
 */
static inline bool cnvme_status_is_retryable(u16 status)
{
	return !cnvme_status_is_success(status) && !(status & CNVME_STATUS_DNR);
}

#endif /* CNVME_CMD_H */
