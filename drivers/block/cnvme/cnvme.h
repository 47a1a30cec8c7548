/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cnvme: the limits of the driver, the register and command helpers
 * <linux/nvme.h> lacks, and the controller and admin queue structures its
 * files share.
 *
 * The wire formats (registers, commands, completions, Identify data) are
 * those of <linux/nvme.h>. The I/O path and the queue helpers it shares with
 * the admin queue are in io.h.
 */

#ifndef CNVME_H
#define CNVME_H

#include <linux/blk_types.h>
#include <linux/compiler_types.h>
#include <linux/errno.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/nvme.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/wordpart.h>

struct device;

/*
 * Queue depths the specification allows: at least 2 entries, at most 65536
 * (a 0's based 16-bit QSIZE), and for the admin queue at most 4096 (AQA).
 */
#define CNVME_MIN_QUEUE_DEPTH		2
#define CNVME_MAX_QUEUE_DEPTH		65536
#define CNVME_MAX_ADMIN_QUEUE_DEPTH	4096

/*
 * Size of the part of BAR0 the driver needs: the controller properties and
 * the first page of doorbells.
 */
#define CNVME_BAR0_SIZE			0x2000
/* Unit of CAP.TO, in milliseconds. */
#define CNVME_CAP_TIMEOUT_UNIT_MS	500

/*
 * Largest transfer the driver lets MDTS allow; the disks cap it further to
 * %CNVME_MAX_SEGMENTS pages (io.h).
 */
#define CNVME_MAX_TRANSFER_BYTES	SZ_2M
/* Most namespace IDs an active namespace list holds. */
#define CNVME_NS_LIST_MAX		(NVME_IDENTIFY_DATA_SIZE / 4)
/* Most namespaces the driver takes from the active namespace lists. */
#define CNVME_MAX_NAMESPACES		(4 * CNVME_NS_LIST_MAX)
/*
 * Longest reason, with its NUL, why a namespace is skipped
 * (cnvme_ns_classify()).
 */
#define CNVME_NS_REASON_SIZE		80

/*
 * Controller memory page sizes the driver supports, as log2 of the size in
 * bytes: 4 KiB (MPS 0) to 64 KiB (MPS 4). A "page_shift" is always in this
 * range.
 */
#define CNVME_PAGE_SHIFT_4K		12
#define CNVME_PAGE_SHIFT_64K		16

/* Longest wait for an admin command's completion. */
#define CNVME_ADMIN_TIMEOUT_MS		10000
/* Longest wait for a normal shutdown to complete. */
#define CNVME_SHUTDOWN_TIMEOUT_MS	5000

/**
 * cnvme_page_shift_from_mps() - Page size encoded as CAP.MPSMIN/MPSMAX/CC.MPS.
 * @mps: the encoding, the page size being 2 ^ (12 + @mps) bytes.
 *
 * Return: the page shift, or -EINVAL if the size is above 64 KiB.
 */
static inline int cnvme_page_shift_from_mps(u32 mps)
{
	if (mps > CNVME_PAGE_SHIFT_64K - CNVME_PAGE_SHIFT_4K)
		return -EINVAL;
	return CNVME_PAGE_SHIFT_4K + mps;
}

/**
 * cnvme_page_shift() - Page size of @bytes bytes.
 * @bytes: the size.
 *
 * Return: the page shift, or -EINVAL if @bytes is not a power of two from
 * 4 KiB to 64 KiB.
 */
static inline int cnvme_page_shift(unsigned long bytes)
{
	if (!is_power_of_2(bytes) || bytes < SZ_4K || bytes > SZ_64K)
		return -EINVAL;
	return ilog2(bytes);
}

/**
 * cnvme_page_offset() - Offset of @addr within its page.
 * @page_shift: the page size.
 * @addr: the address.
 *
 * Return: the low @page_shift bits of @addr.
 */
static inline u64 cnvme_page_offset(unsigned int page_shift, u64 addr)
{
	return addr & (BIT_ULL(page_shift) - 1);
}

/**
 * cnvme_cap_ready_timeout_ms() - How long to wait for CSTS.RDY to follow CC.EN.
 * @cap: the CAP register.
 *
 * A controller reporting CAP.TO as 0 still gets one unit (500 ms).
 *
 * Return: the timeout in milliseconds.
 */
static inline u32 cnvme_cap_ready_timeout_ms(u64 cap)
{
	return max_t(u32, NVME_CAP_TIMEOUT(cap), 1) * CNVME_CAP_TIMEOUT_UNIT_MS;
}

/**
 * cnvme_cap_page_shift_for() - Memory page size to program in CC.MPS.
 * @cap: the CAP register.
 * @host_shift: the host's page size.
 *
 * Return: the host's page size clamped to what the controller supports, or
 * -EINVAL if the controller's minimum page size is above 64 KiB or above its
 * maximum.
 */
static inline int cnvme_cap_page_shift_for(u64 cap, unsigned int host_shift)
{
	u32 min = NVME_CAP_MPSMIN(cap);
	u32 max = NVME_CAP_MPSMAX(cap);

	if (min > max)
		return -EINVAL;
	return cnvme_page_shift_from_mps(clamp(host_shift - CNVME_PAGE_SHIFT_4K,
					       min, max));
}

/**
 * cnvme_cc_enabled() - Configuration that enables the controller.
 * @page_shift: the memory page size to select.
 * @cc: where to store the CC value.
 *
 * NVM command set, round robin arbitration, memory page size @page_shift,
 * 64-byte submission and 16-byte completion queue entries.
 *
 * Return: 0, or -EINVAL if @page_shift is not a supported page size.
 */
static inline int cnvme_cc_enabled(unsigned int page_shift, u32 *cc)
{
	if (page_shift < CNVME_PAGE_SHIFT_4K || page_shift > CNVME_PAGE_SHIFT_64K)
		return -EINVAL;
	*cc = NVME_CC_IOCQES | NVME_CC_IOSQES | NVME_CC_CSS_NVM |
	      NVME_CC_AMS_RR | NVME_CC_SHN_NONE |
	      (page_shift - CNVME_PAGE_SHIFT_4K) << NVME_CC_MPS_SHIFT |
	      NVME_CC_ENABLE;
	return 0;
}

/**
 * cnvme_csts_is_all_ones() - Whether CSTS reads as all ones.
 * @csts: the CSTS register.
 *
 * That is what a read from a removed or dead device returns.
 *
 * Return: true if @csts is 0xffffffff.
 */
static inline bool cnvme_csts_is_all_ones(u32 csts)
{
	return csts == U32_MAX;
}

/**
 * cnvme_csts_shutdown_complete() - Whether shutdown processing is complete.
 * @csts: the CSTS register.
 *
 * Return: true if CSTS.SHST reports it complete.
 */
static inline bool cnvme_csts_shutdown_complete(u32 csts)
{
	return (csts & NVME_CSTS_SHST_MASK) == NVME_CSTS_SHST_CMPLT;
}

/**
 * cnvme_aqa() - Admin Queue Attributes for admin queues of the given depths.
 * @sq_depth: submission queue entries.
 * @cq_depth: completion queue entries.
 * @aqa: where to store the AQA value.
 *
 * Return: 0, or -EINVAL if a depth is below %CNVME_MIN_QUEUE_DEPTH or above
 * %CNVME_MAX_ADMIN_QUEUE_DEPTH.
 */
static inline int cnvme_aqa(u32 sq_depth, u32 cq_depth, u32 *aqa)
{
	if (sq_depth < CNVME_MIN_QUEUE_DEPTH ||
	    sq_depth > CNVME_MAX_ADMIN_QUEUE_DEPTH ||
	    cq_depth < CNVME_MIN_QUEUE_DEPTH ||
	    cq_depth > CNVME_MAX_ADMIN_QUEUE_DEPTH)
		return -EINVAL;
	*aqa = (cq_depth - 1) << 16 | (sq_depth - 1);
	return 0;
}

/**
 * cnvme_admin_queue_base() - ASQ or ACQ value for an admin queue.
 * @addr: the queue's DMA address.
 * @reg: where to store the register value.
 *
 * Return: 0, or -EINVAL if @addr is not 4 KiB aligned.
 */
static inline int cnvme_admin_queue_base(u64 addr, u64 *reg)
{
	if (cnvme_page_offset(CNVME_PAGE_SHIFT_4K, addr))
		return -EINVAL;
	*reg = addr;
	return 0;
}

/**
 * cnvme_doorbell_offset() - BAR0 offset of a doorbell.
 * @qid: the queue; 0 is the admin queue.
 * @completion: the completion queue head doorbell rather than the
 *	submission queue tail doorbell.
 * @dstrd: CAP.DSTRD; only its low 4 bits are used, as in the register.
 *
 * Return: the offset, in bytes.
 */
static inline size_t cnvme_doorbell_offset(u16 qid, bool completion, u32 dstrd)
{
	size_t index = 2 * (size_t)qid + completion;

	return NVME_REG_DBS + (index << (2 + (dstrd & 0xf)));
}

/**
 * cnvme_shadow_index() - Index of a doorbell in the shadow doorbell and
 *	EventIdx buffers (Doorbell Buffer Config).
 * @qid: the queue; 0 is the admin queue.
 * @completion: the completion queue head doorbell rather than the
 *	submission queue tail doorbell.
 * @dstrd: CAP.DSTRD, as for cnvme_doorbell_offset().
 *
 * The buffers mirror the doorbell registers, from the admin submission
 * queue's on, with the same stride.
 *
 * Return: the index, in 32-bit entries.
 */
static inline size_t cnvme_shadow_index(u16 qid, bool completion, u32 dstrd)
{
	return (cnvme_doorbell_offset(qid, completion, dstrd) - NVME_REG_DBS) / 4;
}

/*
 * Admin commands. Each builder clears the command and fills it in; the
 * command identifier is set when the command is queued.
 */

/**
 * cnvme_cmd_identify() - Build an Identify.
 * @cmd: the command to fill in.
 * @cns: the data structure, such as %NVME_ID_CNS_CTRL.
 * @nsid: the namespace.
 * @prp1: the 4096-byte buffer, which must not cross a memory page.
 */
static inline void cnvme_cmd_identify(struct nvme_command *cmd, u8 cns,
				      u32 nsid, u64 prp1)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->identify.opcode = nvme_admin_identify;
	cmd->identify.nsid = cpu_to_le32(nsid);
	cmd->identify.dptr.prp1 = cpu_to_le64(prp1);
	cmd->identify.cns = cns;
}

/**
 * cnvme_cmd_set_num_queues() - Build a Set Features (Number of Queues).
 * @cmd: the command to fill in.
 * @nsqr: I/O submission queues asked for, minus one.
 * @ncqr: I/O completion queues asked for, minus one.
 *
 * The completion's result holds what was allocated; see
 * cnvme_num_queues_allocated().
 */
static inline void cnvme_cmd_set_num_queues(struct nvme_command *cmd, u16 nsqr,
					    u16 ncqr)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->features.opcode = nvme_admin_set_features;
	cmd->features.fid = cpu_to_le32(NVME_FEAT_NUM_QUEUES);
	cmd->features.dword11 = cpu_to_le32((u32)ncqr << 16 | nsqr);
}

/**
 * cnvme_cmd_set_host_behavior() - Build a Set Features (Host Behavior
 *	Support).
 * @cmd: the command to fill in.
 * @prp1: the 512-byte data structure (struct nvme_feat_host_behavior), which
 *	must not cross a memory page.
 */
static inline void cnvme_cmd_set_host_behavior(struct nvme_command *cmd,
					       u64 prp1)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->features.opcode = nvme_admin_set_features;
	cmd->features.fid = cpu_to_le32(NVME_FEAT_HOST_BEHAVIOR);
	cmd->features.dptr.prp1 = cpu_to_le64(prp1);
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
	*nr_sq = lower_16_bits(result) + 1;
	*nr_cq = upper_16_bits(result) + 1;
}

/* Whether @qid and @depth can be those of a Create I/O Queue command. */
static inline bool cnvme_io_queue_ok(u16 qid, u32 depth)
{
	return qid && depth >= CNVME_MIN_QUEUE_DEPTH &&
	       depth <= CNVME_MAX_QUEUE_DEPTH;
}

/**
 * cnvme_cmd_create_cq() - Build a Create I/O Completion Queue.
 * @cmd: the command to fill in.
 * @qid: the queue.
 * @depth: its number of entries.
 * @prp1: its physically contiguous memory.
 * @vector: the interrupt vector it signals.
 * @irq_enabled: whether it signals the vector.
 *
 * Return: 0, or -EINVAL if @qid is 0 (the admin queue) or @depth is outside
 * %CNVME_MIN_QUEUE_DEPTH..%CNVME_MAX_QUEUE_DEPTH.
 */
static inline int cnvme_cmd_create_cq(struct nvme_command *cmd, u16 qid,
				      u32 depth, u64 prp1, u16 vector,
				      bool irq_enabled)
{
	if (!cnvme_io_queue_ok(qid, depth))
		return -EINVAL;
	memset(cmd, 0, sizeof(*cmd));
	cmd->create_cq.opcode = nvme_admin_create_cq;
	cmd->create_cq.prp1 = cpu_to_le64(prp1);
	cmd->create_cq.cqid = cpu_to_le16(qid);
	cmd->create_cq.qsize = cpu_to_le16(depth - 1);
	cmd->create_cq.cq_flags = cpu_to_le16(NVME_QUEUE_PHYS_CONTIG |
					      (irq_enabled ? NVME_CQ_IRQ_ENABLED : 0));
	cmd->create_cq.irq_vector = cpu_to_le16(vector);
	return 0;
}

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
 * outside %CNVME_MIN_QUEUE_DEPTH..%CNVME_MAX_QUEUE_DEPTH.
 */
static inline int cnvme_cmd_create_sq(struct nvme_command *cmd, u16 qid,
				      u32 depth, u64 prp1, u16 cqid)
{
	if (!cqid || !cnvme_io_queue_ok(qid, depth))
		return -EINVAL;
	memset(cmd, 0, sizeof(*cmd));
	cmd->create_sq.opcode = nvme_admin_create_sq;
	cmd->create_sq.prp1 = cpu_to_le64(prp1);
	cmd->create_sq.sqid = cpu_to_le16(qid);
	cmd->create_sq.qsize = cpu_to_le16(depth - 1);
	cmd->create_sq.sq_flags = cpu_to_le16(NVME_QUEUE_PHYS_CONTIG);
	cmd->create_sq.cqid = cpu_to_le16(cqid);
	return 0;
}

/**
 * cnvme_cmd_delete_queue() - Build a Delete I/O Submission or Completion
 *	Queue.
 * @cmd: the command to fill in.
 * @opcode: %nvme_admin_delete_sq or %nvme_admin_delete_cq.
 * @qid: the queue.
 */
static inline void cnvme_cmd_delete_queue(struct nvme_command *cmd, u8 opcode,
					  u16 qid)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->delete_queue.opcode = opcode;
	cmd->delete_queue.qid = cpu_to_le16(qid);
}

/**
 * cnvme_cmd_doorbell_buffer_config() - Build a Doorbell Buffer Config.
 * @cmd: the command to fill in.
 * @dbs_dma: the shadow doorbell buffer, one page aligned memory page.
 * @eis_dma: the EventIdx buffer, one page aligned memory page.
 */
static inline void cnvme_cmd_doorbell_buffer_config(struct nvme_command *cmd,
						    u64 dbs_dma, u64 eis_dma)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->dbbuf.opcode = nvme_admin_dbbuf;
	cmd->dbbuf.prp1 = cpu_to_le64(dbs_dma);
	cmd->dbbuf.prp2 = cpu_to_le64(eis_dma);
}

/*
 * Identify data (identify.c): the checks of the structures of
 * <linux/nvme.h> the controller returns.
 */

/**
 * struct cnvme_ns_info - What the driver takes from Identify Namespace.
 * @nsze: Namespace Size, in logical blocks.
 * @format: index of the LBA format in use.
 * @lba_shift: log2 of the logical block size of that format.
 * @nsfeat: Namespace Features (its OPTPERF bits say whether @npdg and @npda
 *	are reported).
 * @dlfeat: Deallocate Logical Block Features.
 * @npdg: Namespace Preferred Deallocate Granularity, 0's based.
 * @npda: Namespace Preferred Deallocate Alignment, 0's based.
 */
struct cnvme_ns_info {
	u64 nsze;
	u8 format;
	u8 lba_shift;
	u8 nsfeat;
	u8 dlfeat;
	u16 npdg;
	u16 npda;
};

/**
 * struct cnvme_nvm_limits - What the driver takes from the NVM command set
 *	specific Identify Controller data (CNS 06h); all zero (no limit) for a
 *	controller that does not report it.
 * @wzsl: Write Zeroes Size Limit, 2 ^ @wzsl minimum memory pages, 0: none.
 * @dmrl: Dataset Management Ranges Limit, ranges per command, 0: none.
 * @dmrsl: Dataset Management Range Size Limit, logical blocks, 0: none.
 */
struct cnvme_nvm_limits {
	u8 wzsl;
	u8 dmrl;
	u32 dmrsl;
};

/**
 * struct cnvme_disk_limits - The discard and write zeroes limits of a disk,
 *	in 512-byte sectors (0: not supported), cnvme_disk_limits().
 * @discard_sectors: largest discard (Dataset Management, deallocate).
 * @discard_segments: most ranges one discard carries.
 * @discard_granularity: the unit of discards, in bytes.
 * @write_zeroes_sectors: largest write zeroes.
 * @write_zeroes_unmap_sectors: largest write zeroes the controller may
 *	serve by deallocating.
 */
struct cnvme_disk_limits {
	u32 discard_sectors;
	u16 discard_segments;
	u32 discard_granularity;
	u32 write_zeroes_sectors;
	u32 write_zeroes_unmap_sectors;
};

/* DLFEAT bits 2:0: what a deallocated block reads as; 1: zeroes. */
#define CNVME_DLFEAT_READ_MASK		0x7
#define CNVME_DLFEAT_READ_ZEROES	0x1
/* DLFEAT bit 3: Write Zeroes may deallocate the blocks (DEAC). */
#define CNVME_DLFEAT_WRITE_ZEROES_DEAC	BIT(3)

/* Most logical blocks of one Write Zeroes: its count is 16 bits, 0's based. */
#define CNVME_WRITE_ZEROES_MAX_BLOCKS	BIT(16)

/**
 * struct cnvme_ns_list - A checked active namespace ID list.
 * @ids: the IDs, strictly increasing, in the Identify buffer.
 * @len: the number of IDs, up to the first zero entry.
 */
struct cnvme_ns_list {
	const __le32 *ids;
	unsigned int len;
};

int cnvme_id_ctrl_check(const struct nvme_id_ctrl *id);
size_t cnvme_id_ctrl_max_transfer_bytes(const struct nvme_id_ctrl *id,
					unsigned int mpsmin_shift);
size_t cnvme_id_trimmed_len(const char *s, size_t size);
bool cnvme_ns_classify(const struct nvme_id_ns *id, u8 csi,
		       struct cnvme_ns_info *ns, char *reason, size_t size);
bool cnvme_ns_desc_csi(const void *data, size_t len, u8 *csi);
void cnvme_nvm_limits_parse(const struct nvme_id_ctrl_nvm *id,
			    struct cnvme_nvm_limits *nvm);
void cnvme_disk_limits(const struct nvme_id_ctrl *id,
		       const struct cnvme_nvm_limits *nvm,
		       const struct cnvme_ns_info *ns, u32 max_hw_sectors,
		       unsigned int mpsmin_shift, struct cnvme_disk_limits *l);
int cnvme_ns_list_parse(struct cnvme_ns_list *list, const void *data,
			size_t len);

/**
 * cnvme_id_ctrl_supports_dbbuf() - Whether Doorbell Buffer Config (shadow
 *	doorbells) is supported.
 * @id: the controller.
 *
 * Return: OACS bit 8.
 */
static inline bool cnvme_id_ctrl_supports_dbbuf(const struct nvme_id_ctrl *id)
{
	return le16_to_cpu(id->oacs) & NVME_CTRL_OACS_DBBUF_SUPP;
}

/**
 * cnvme_id_ctrl_has_volatile_write_cache() - Whether the controller has a
 *	volatile write cache, which makes flushes useful.
 * @id: the controller.
 *
 * Return: VWC bit 0.
 */
static inline bool
cnvme_id_ctrl_has_volatile_write_cache(const struct nvme_id_ctrl *id)
{
	return id->vwc & NVME_CTRL_VWC_PRESENT;
}

/**
 * cnvme_id_ctrl_supports_dsm() - Whether Dataset Management (discard) is
 *	supported.
 * @id: the controller.
 *
 * Return: ONCS bit 2.
 */
static inline bool cnvme_id_ctrl_supports_dsm(const struct nvme_id_ctrl *id)
{
	return le16_to_cpu(id->oncs) & NVME_CTRL_ONCS_DSM;
}

/**
 * cnvme_id_ctrl_supports_write_zeroes() - Whether Write Zeroes is supported.
 * @id: the controller.
 *
 * Return: ONCS bit 3.
 */
static inline bool
cnvme_id_ctrl_supports_write_zeroes(const struct nvme_id_ctrl *id)
{
	return le16_to_cpu(id->oncs) & NVME_CTRL_ONCS_WRITE_ZEROES;
}

/**
 * cnvme_id_ctrl_supports_sgls() - Whether SGLs are supported for the NVM
 *	command set.
 * @id: the controller.
 *
 * Return: true if SGLS bits 1:0 are not 0.
 */
static inline bool cnvme_id_ctrl_supports_sgls(const struct nvme_id_ctrl *id)
{
	return le32_to_cpu(id->sgls) &
	       (NVME_CTRL_SGLS_BYTE_ALIGNED | NVME_CTRL_SGLS_DWORD_ALIGNED);
}

/**
 * cnvme_ns_capacity_sectors() - The namespace size in 512-byte sectors.
 * @ns: the namespace, as cnvme_ns_classify() filled it in; it checked that
 *	this does not overflow.
 *
 * Return: NSZE in 512-byte units.
 */
static inline u64 cnvme_ns_capacity_sectors(const struct cnvme_ns_info *ns)
{
	return ns->nsze << (ns->lba_shift - SECTOR_SHIFT);
}

/**
 * cnvme_ns_list_id() - An ID of an active namespace list.
 * @list: the list.
 * @i: the index, from 0.
 *
 * Return: the ID, or 0 (never a namespace ID) past the end of the list.
 */
static inline u32 cnvme_ns_list_id(const struct cnvme_ns_list *list,
				   unsigned int i)
{
	return i < list->len ? le32_to_cpu(list->ids[i]) : 0;
}

/**
 * cnvme_ns_list_is_empty() - Whether an active namespace list is empty.
 * @list: the list.
 *
 * Return: true if the list has no ID.
 */
static inline bool cnvme_ns_list_is_empty(const struct cnvme_ns_list *list)
{
	return !list->len;
}

/**
 * cnvme_ns_list_is_full() - Whether an active namespace list is full.
 * @list: the list.
 *
 * Then more namespaces may follow: ask again with cnvme_ns_list_last() as the
 * NSID.
 *
 * Return: true if the list has %CNVME_NS_LIST_MAX IDs.
 */
static inline bool cnvme_ns_list_is_full(const struct cnvme_ns_list *list)
{
	return list->len == CNVME_NS_LIST_MAX;
}

/**
 * cnvme_ns_list_last() - The largest ID of an active namespace list.
 * @list: the list.
 *
 * Return: the ID, or 0 (never a namespace ID) if the list is empty.
 */
static inline u32 cnvme_ns_list_last(const struct cnvme_ns_list *list)
{
	return list->len ? cnvme_ns_list_id(list, list->len - 1) : 0;
}

/*
 * Queue pairs (queue.c): one submission and one completion queue in
 * coherent DMA memory, and their doorbells.
 *
 * Both rings have the same depth and live in their own physically
 * contiguous, page aligned coherent allocation, as the admin queue base
 * registers and the queue creation commands (PC set) expect. An I/O queue
 * may also publish its tail and head through shadow doorbells (Doorbell
 * Buffer Config, NVMe 2.0 base specification, section 5.8), and then writes
 * its doorbell registers only when the controller asks for it.
 *
 * A queue pair does no locking: its user serialises submissions and
 * completion processing (the admin queue holds it under a mutex). An I/O
 * queue uses the two halves, struct cnvme_sq and struct cnvme_cq, under
 * locks of their own (io.h). The helpers that push a command, ring a
 * doorbell and consume completions are static inline in io.h.
 */

/* Entries of one shadow doorbell buffer: a 4 KiB page of 32-bit doorbells. */
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
 * Both buffers are laid out like the doorbell registers
 * (cnvme_shadow_index()). Allocated with cnvme_dbbuf_alloc(), freed with
 * cnvme_dbbuf_free().
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
 */
struct cnvme_shadow {
	struct cnvme_dbbuf *buf;
	size_t index;
};

/**
 * struct cnvme_sq_ring - The host's side of a submission queue ring.
 * @tail: the slot the next command goes to, below @depth.
 * @depth: the number of slots.
 *
 * The ring is full when advancing the tail would make it equal to the
 * controller's head, so it holds at most @depth - 1 commands.
 */
struct cnvme_sq_ring {
	u16 tail;
	u32 depth;
};

/**
 * struct cnvme_cq_ring - The host's side of a completion queue ring.
 * @head: the slot the next completion will be written to, below @depth.
 * @phase: the phase tag of new entries: 1 on the first pass over a zeroed
 *	ring, inverted on every wrap.
 * @depth: the number of slots.
 */
struct cnvme_cq_ring {
	u16 head;
	bool phase;
	u32 depth;
};

/**
 * struct cnvme_sq - A submission queue: its slots, its tail and its doorbell.
 * @qid: queue identifier; 0 is the admin queue.
 * @sqes: the slots, @ring.depth of them.
 * @dma: DMA address of @sqes.
 * @ring: host side of the ring: the tail.
 * @last_tail: the tail last written to the doorbell or its shadow.
 * @doorbell: the tail doorbell, within the BAR.
 * @shadow: the shadow tail doorbell (I/O queues only).
 */
struct cnvme_sq {
	u16 qid;
	struct nvme_command *sqes;
	dma_addr_t dma;
	struct cnvme_sq_ring ring;
	u16 last_tail;
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
 * @shadow: the shadow head doorbell (I/O queues only).
 */
struct cnvme_cq {
	struct nvme_completion *cqes;
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

int cnvme_queue_init(struct cnvme_queue *q, struct device *dev,
		     void __iomem *bar, size_t bar_size, u16 qid, u32 depth,
		     u32 dstrd);
void cnvme_queue_free(struct cnvme_queue *q);
int cnvme_queue_set_shadow(struct cnvme_queue *q, struct cnvme_dbbuf *buf);
struct cnvme_dbbuf *cnvme_dbbuf_alloc(struct device *dev, u32 io_queues,
				      u32 dstrd);
void cnvme_dbbuf_free(struct cnvme_dbbuf *buf);

/*
 * The admin queue (admin.c): synchronous admin commands, polled.
 *
 * Admin commands go through the admin queue pair one at a time, under a
 * mutex; the issuer polls the admin completion queue for its own
 * completion, sleeping between polls, for at most %CNVME_ADMIN_TIMEOUT_MS.
 * Admin commands are rare, nobody waits on them in the I/O path, and a
 * polled wait needs no handler for the admin queue's vector.
 *
 * A command that does not complete (it timed out, or the controller died or
 * reported a fatal status meanwhile) leaves the admin queue unusable: its
 * slot and command identifier may still be completed, and its data buffer
 * written, at any later time. Every later command then fails until the
 * controller is disabled (which frees the queue). Completions that carry
 * another command identifier than the one awaited are reported and dropped.
 */

/**
 * struct cnvme_admin - The admin queue pair of a controller and the buffer
 *	for the data its commands return.
 * @dev: the controller, for messages.
 * @bar: the mapping of BAR0, for CSTS.
 * @lock: held for the whole of each command; protects the fields below.
 * @queue: the admin queue pair (queue identifier 0).
 * @data: the %NVME_IDENTIFY_DATA_SIZE byte buffer of command data, in
 *	coherent DMA memory: the controller writes it (Identify), or reads it
 *	(Host Behavior Support).
 * @data_dma: DMA address of @data.
 * @copy: the CPU's copy of @data, taken once a command completed, for
 *	parsing; %NVME_IDENTIFY_DATA_SIZE bytes.
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
int cnvme_admin_execute(struct cnvme_admin *admin, struct nvme_command *cmd,
			u32 *result);
int cnvme_admin_identify_controller(struct cnvme_admin *admin,
				    struct nvme_id_ctrl *id);
int cnvme_admin_identify_namespace(struct cnvme_admin *admin, u32 nsid,
				   struct nvme_id_ns *id);
u8 cnvme_admin_namespace_csi(struct cnvme_admin *admin, u32 nsid);
int cnvme_admin_identify_nvm_limits(struct cnvme_admin *admin,
				    struct cnvme_nvm_limits *nvm);
int cnvme_admin_active_namespaces(struct cnvme_admin *admin, u32 **ids,
				  unsigned int *nr);
int cnvme_admin_set_num_queues(struct cnvme_admin *admin, u32 wanted,
			       u32 *nr_sq, u32 *nr_cq);
int cnvme_admin_enable_retry_delays(struct cnvme_admin *admin);
int cnvme_admin_create_cq(struct cnvme_admin *admin,
			  const struct cnvme_queue *queue, int vector);
int cnvme_admin_create_sq(struct cnvme_admin *admin,
			  const struct cnvme_queue *queue);
int cnvme_admin_delete_queue(struct cnvme_admin *admin, u8 opcode, u16 qid);

/*
 * Controller state changes (ctrl.c): disable, admin queue setup, enable and
 * shutdown (NVMe 2.0 base specification, section 3.5).
 *
 * cnvme_ctrl_init() leaves the controller disabled with the admin queue
 * registers programmed; cnvme_ctrl_enable() starts it and
 * cnvme_ctrl_shutdown() asks it to stop cleanly. cnvme_ctrl_destroy()
 * disables it, so that it no longer touches host memory, then frees the
 * admin queue; the BAR is unmapped after that. Every wait for the
 * controller is bounded: by CAP.TO for CSTS.RDY, by
 * %CNVME_SHUTDOWN_TIMEOUT_MS for CSTS.SHST.
 */

/**
 * struct cnvme_ctrl - A controller and its admin queue pair.
 * @dev: the controller's device, for messages and DMA.
 * @bar: the mapping of BAR0, with the registers and the doorbells.
 * @bar_size: the size of that mapping.
 * @cap: CAP, read once.
 * @page_shift: the memory page size programmed in CC.MPS.
 * @min_page_shift: the controller's minimum memory page size (CAP.MPSMIN),
 *	the unit of MDTS.
 * @admin: the admin queue, which the admin queue registers point at.
 */
struct cnvme_ctrl {
	struct device *dev;
	void __iomem *bar;
	size_t bar_size;
	u64 cap;
	unsigned int page_shift;
	unsigned int min_page_shift;
	struct cnvme_admin admin;
};

int cnvme_ctrl_disable(struct device *dev, void __iomem *bar, u64 cap);
int cnvme_ctrl_init(struct cnvme_ctrl *ctrl, struct device *dev,
		    void __iomem *bar, size_t bar_size, u64 cap);
int cnvme_ctrl_enable(struct cnvme_ctrl *ctrl);
int cnvme_ctrl_shutdown(struct cnvme_ctrl *ctrl);
void cnvme_ctrl_destroy(struct cnvme_ctrl *ctrl);

#endif /* CNVME_H */
