/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVMe controller registers (BAR0), after the NVMe 2.0 base specification,
 * section 3.1.4.
 *
 * The properties are at fixed offsets; the doorbells that follow them at
 * 0x1000 are spaced by the stride in CAP.DSTRD, so cnvme_doorbell_offset()
 * computes theirs, and cnvme_shadow_index() the index of their shadow
 * doorbells. Fields are GENMASK()s for FIELD_GET() and FIELD_PREP().
 *
 * Everything here is pure: no function touches the hardware.
 */

#ifndef CNVME_REGS_H
#define CNVME_REGS_H

#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/sizes.h>
#include <linux/types.h>

/*
 * Size of the part of BAR0 the driver needs: the controller properties
 * (0x0..0x1000) and the first page of doorbells.
 */
#define CNVME_BAR0_SIZE		0x2000
/* Offset of the first doorbell (admin submission queue tail). */
#define CNVME_DOORBELL_BASE	0x1000
/* Unit of CAP.TO, in milliseconds. */
#define CNVME_TIMEOUT_UNIT_MS	500

/* Register offsets. */
#define CNVME_REG_CAP		0x00	/* Controller Capabilities, 64 bits */
#define CNVME_REG_VS		0x08	/* Version */
#define CNVME_REG_INTMS		0x0c	/* Interrupt Mask Set */
#define CNVME_REG_INTMC		0x10	/* Interrupt Mask Clear */
#define CNVME_REG_CC		0x14	/* Controller Configuration */
#define CNVME_REG_CSTS		0x1c	/* Controller Status */
#define CNVME_REG_AQA		0x24	/* Admin Queue Attributes */
#define CNVME_REG_ASQ		0x28	/* Admin SQ Base Address, 64 bits */
#define CNVME_REG_ACQ		0x30	/* Admin CQ Base Address, 64 bits */

/* CAP: memory page size maximum and minimum, 2 ^ (12 + MPS) bytes. */
#define CNVME_CAP_MPSMAX	GENMASK_ULL(55, 52)
#define CNVME_CAP_MPSMIN	GENMASK_ULL(51, 48)
/* CAP: Boot Partition Support. */
#define CNVME_CAP_BPS		BIT_ULL(45)
/* CAP: Command Sets Supported; bit 0 of the field is the NVM command set. */
#define CNVME_CAP_CSS		GENMASK_ULL(44, 37)
/* CAP: NVM Subsystem Reset Supported. */
#define CNVME_CAP_NSSRS		BIT_ULL(36)
/* CAP: Doorbell Stride: doorbells are 4 << DSTRD bytes apart. */
#define CNVME_CAP_DSTRD		GENMASK_ULL(35, 32)
/* CAP: Timeout: worst-case time for CSTS.RDY to change, in 500 ms units. */
#define CNVME_CAP_TO		GENMASK_ULL(31, 24)
/* CAP: Arbitration Mechanism Supported. */
#define CNVME_CAP_AMS		GENMASK_ULL(18, 17)
/* CAP: Contiguous Queues Required. */
#define CNVME_CAP_CQR		BIT_ULL(16)
/* CAP: Maximum Queue Entries Supported, 0's based. */
#define CNVME_CAP_MQES		GENMASK_ULL(15, 0)

/* VS: major, minor and tertiary version. */
#define CNVME_VS_MJR		GENMASK(31, 16)
#define CNVME_VS_MNR		GENMASK(15, 8)
#define CNVME_VS_TER		GENMASK(7, 0)

/* CC: I/O completion and submission queue entry sizes, as powers of two. */
#define CNVME_CC_IOCQES		GENMASK(23, 20)
#define CNVME_CC_IOSQES		GENMASK(19, 16)
/* CC: Shutdown Notification: 0 none, 1 normal, 2 abrupt. */
#define CNVME_CC_SHN		GENMASK(15, 14)
/* CC: Arbitration Mechanism Selected: 0 is round robin. */
#define CNVME_CC_AMS		GENMASK(13, 11)
/* CC: Memory Page Size: 2 ^ (12 + MPS) bytes. */
#define CNVME_CC_MPS		GENMASK(10, 7)
/* CC: I/O Command Set Selected: 0 is the NVM command set. */
#define CNVME_CC_CSS		GENMASK(6, 4)
/* CC: Enable. */
#define CNVME_CC_EN		BIT(0)

/* CSTS: Processing Paused. */
#define CNVME_CSTS_PP		BIT(5)
/* CSTS: NVM Subsystem Reset Occurred. */
#define CNVME_CSTS_NSSRO	BIT(4)
/* CSTS: Shutdown Status: 0 normal operation, 1 in progress, 2 complete. */
#define CNVME_CSTS_SHST		GENMASK(3, 2)
/* CSTS: Controller Fatal Status. */
#define CNVME_CSTS_CFS		BIT(1)
/* CSTS: Ready. */
#define CNVME_CSTS_RDY		BIT(0)

/* AQA: admin completion and submission queue sizes, 0's based. */
#define CNVME_AQA_ACQS		GENMASK(27, 16)
#define CNVME_AQA_ASQS		GENMASK(11, 0)

/* ASQ, ACQ: admin queue base, bits 63:12 of the address. */
#define CNVME_ASQ_ASQB		GENMASK_ULL(63, 12)
#define CNVME_ACQ_ACQB		GENMASK_ULL(63, 12)

/* CC.SHN value requesting a normal shutdown. */
#define CNVME_SHN_NORMAL	1
/* CC.SHN value requesting an abrupt shutdown. */
#define CNVME_SHN_ABRUPT	2
/* CSTS.SHST value reporting that shutdown processing is complete. */
#define CNVME_SHST_COMPLETE	2

/* log2 of the submission queue entry size (64 bytes). */
#define CNVME_SQES_LOG2		6
/* log2 of the completion queue entry size (16 bytes). */
#define CNVME_CQES_LOG2		4

/* Largest admin queue depth AQA can express (4096 entries). */
#define CNVME_ADMIN_QUEUE_MAX_DEPTH	4096

/*
 * Controller memory page sizes the driver supports, as log2 of the size in
 * bytes: 4 KiB (MPS 0) to 64 KiB (MPS 4). The specification allows up to
 * 128 MiB; the driver stops at 64 KiB, which is what real controllers offer
 * and keeps PRP lists small. A "page_shift" argument is always in this range.
 */
#define CNVME_PAGE_SHIFT_4K	12
#define CNVME_PAGE_SHIFT_64K	16

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
 * cnvme_page_mps() - MPS encoding of a page size (0 for 4 KiB).
 * @page_shift: the page size.
 *
 * Return: @page_shift - 12.
 */
static inline u32 cnvme_page_mps(unsigned int page_shift)
{
	return page_shift - CNVME_PAGE_SHIFT_4K;
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
 * cnvme_cap_max_queue_entries() - Maximum entries of an I/O queue.
 * @cap: the CAP register.
 *
 * Return: the 1-based count, up to 65536.
 */
static inline u32 cnvme_cap_max_queue_entries(u64 cap)
{
	return FIELD_GET(CNVME_CAP_MQES, cap) + 1;
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
	return max_t(u32, FIELD_GET(CNVME_CAP_TO, cap), 1) * CNVME_TIMEOUT_UNIT_MS;
}

/**
 * cnvme_cap_doorbell_stride() - CAP.DSTRD, the argument of cnvme_doorbell_offset().
 * @cap: the CAP register.
 *
 * Return: the field, 0 to 15.
 */
static inline u32 cnvme_cap_doorbell_stride(u64 cap)
{
	return FIELD_GET(CNVME_CAP_DSTRD, cap);
}

/**
 * cnvme_cap_supports_nvm() - Whether the controller supports the NVM command set.
 * @cap: the CAP register.
 *
 * Return: CAP.CSS bit 0.
 */
static inline bool cnvme_cap_supports_nvm(u64 cap)
{
	return FIELD_GET(CNVME_CAP_CSS, cap) & 1;
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
	u32 min = FIELD_GET(CNVME_CAP_MPSMIN, cap);
	u32 max = FIELD_GET(CNVME_CAP_MPSMAX, cap);

	if (min > max)
		return -EINVAL;
	return cnvme_page_shift_from_mps(clamp(cnvme_page_mps(host_shift), min, max));
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
	*cc = FIELD_PREP(CNVME_CC_IOCQES, CNVME_CQES_LOG2) |
	      FIELD_PREP(CNVME_CC_IOSQES, CNVME_SQES_LOG2) |
	      FIELD_PREP(CNVME_CC_MPS, cnvme_page_mps(page_shift)) |
	      CNVME_CC_EN;
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
 * Return: true if CSTS.SHST is 2.
 */
static inline bool cnvme_csts_shutdown_complete(u32 csts)
{
	return FIELD_GET(CNVME_CSTS_SHST, csts) == CNVME_SHST_COMPLETE;
}

/**
 * cnvme_aqa() - Admin Queue Attributes for admin queues of the given depths.
 * @sq_depth: submission queue entries.
 * @cq_depth: completion queue entries.
 * @aqa: where to store the AQA value.
 *
 * Return: 0, or -EINVAL if a depth is below 2 or above
 * %CNVME_ADMIN_QUEUE_MAX_DEPTH.
 */
static inline int cnvme_aqa(u32 sq_depth, u32 cq_depth, u32 *aqa)
{
	if (sq_depth < 2 || sq_depth > CNVME_ADMIN_QUEUE_MAX_DEPTH ||
	    cq_depth < 2 || cq_depth > CNVME_ADMIN_QUEUE_MAX_DEPTH)
		return -EINVAL;
	*aqa = FIELD_PREP(CNVME_AQA_ASQS, sq_depth - 1) |
	       FIELD_PREP(CNVME_AQA_ACQS, cq_depth - 1);
	return 0;
}

/* Stores @addr in @reg if it can be an admin queue base (4 KiB aligned). */
static inline int cnvme_admin_queue_base(u64 addr, u64 *reg)
{
	if (cnvme_page_offset(CNVME_PAGE_SHIFT_4K, addr))
		return -EINVAL;
	*reg = addr;
	return 0;
}

/**
 * cnvme_asq() - ASQ value for an admin submission queue at DMA address @addr.
 * @addr: the queue's DMA address.
 * @asq: where to store the ASQ value.
 *
 * Return: 0, or -EINVAL if @addr is not 4 KiB aligned.
 */
static inline int cnvme_asq(u64 addr, u64 *asq)
{
	return cnvme_admin_queue_base(addr, asq);
}

/**
 * cnvme_acq() - ACQ value for an admin completion queue at DMA address @addr.
 * @addr: the queue's DMA address.
 * @acq: where to store the ACQ value.
 *
 * Return: 0, or -EINVAL if @addr is not 4 KiB aligned.
 */
static inline int cnvme_acq(u64 addr, u64 *acq)
{
	return cnvme_admin_queue_base(addr, acq);
}

/**
 * cnvme_doorbell_offset() - BAR0 offset of a doorbell.
 * @qid: the queue; 0 is the admin queue.
 * @completion: the completion queue head doorbell rather than the
 *	submission queue tail doorbell.
 * @dstrd: CAP.DSTRD (see cnvme_cap_doorbell_stride()); only its low 4 bits
 *	are used, as in the register.
 *
 * Return: the offset, in bytes.
 */
static inline size_t cnvme_doorbell_offset(u16 qid, bool completion, u32 dstrd)
{
	size_t index = 2 * (size_t)qid + completion;

	return CNVME_DOORBELL_BASE + (index << (2 + (dstrd & 0xf)));
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
	return (cnvme_doorbell_offset(qid, completion, dstrd) -
		CNVME_DOORBELL_BASE) / 4;
}

#endif /* CNVME_REGS_H */
