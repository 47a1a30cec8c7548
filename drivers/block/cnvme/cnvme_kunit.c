// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites of cnvme's pure logic: the same cases as rnvme's Rust suites,
 * one suite per file of the driver (cnvme_regs, cnvme_cmd, cnvme_ring,
 * cnvme_prp, cnvme_identify).
 */

#include <kunit/test.h>
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/blkdev.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/unaligned.h>

#include "cmd.h"
#include "identify.h"
#include "prp.h"
#include "regs.h"
#include "ring.h"

/* regs.h */

/*
 * A CAP value like QEMU's: MQES 2047, CQR, TO 15 (7.5 s), DSTRD 0, CSS NVM +
 * I/O sets, MPSMIN 4 KiB, MPSMAX 64 KiB.
 */
#define QEMU_CAP ((4ULL << 52) | (0x41ULL << 37) | (0x0fULL << 24) | \
		  (1ULL << 16) | 0x7ff)

/* Returns the size in bytes of a page shift, or the error in its place. */
static long bytes_of(int page_shift)
{
	return page_shift < 0 ? page_shift : 1L << page_shift;
}

static void cap_fields(struct kunit *test)
{
	u64 cap = QEMU_CAP;

	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CAP_MQES, cap), 0x7ff);
	KUNIT_EXPECT_EQ(test, cnvme_cap_max_queue_entries(cap), 2048);
	KUNIT_EXPECT_TRUE(test, cap & CNVME_CAP_CQR);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CAP_AMS, cap), 0);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CAP_TO, cap), 0x0f);
	KUNIT_EXPECT_EQ(test, cnvme_cap_doorbell_stride(cap), 0);
	KUNIT_EXPECT_FALSE(test, cap & CNVME_CAP_NSSRS);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CAP_CSS, cap), 0x41);
	KUNIT_EXPECT_TRUE(test, cnvme_cap_supports_nvm(cap));
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CAP_MPSMIN, cap), 0);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CAP_MPSMAX, cap), 4);

	/* Every field at its extremes, to catch an off-by-one bit range. */
	cap = (0xfULL << 52) | (0xfULL << 48) | (0xfULL << 32) | (1ULL << 36) |
	      0xffff;
	KUNIT_EXPECT_EQ(test, cnvme_cap_max_queue_entries(cap), 65536);
	KUNIT_EXPECT_EQ(test, cnvme_cap_doorbell_stride(cap), 15);
	KUNIT_EXPECT_TRUE(test, cap & CNVME_CAP_NSSRS);
	KUNIT_EXPECT_FALSE(test, cap & CNVME_CAP_CQR);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CAP_CSS, cap), 0);
	KUNIT_EXPECT_FALSE(test, cnvme_cap_supports_nvm(cap));
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CAP_MPSMIN, cap), 0xf);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CAP_MPSMAX, cap), 0xf);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CAP_CSS, 0xffULL << 37), 0xff);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CAP_AMS, 3ULL << 17), 3);
}

static void cap_ready_timeout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, cnvme_cap_ready_timeout_ms(0), 500);
	KUNIT_EXPECT_EQ(test, cnvme_cap_ready_timeout_ms(1ULL << 24), 500);
	KUNIT_EXPECT_EQ(test, cnvme_cap_ready_timeout_ms(QEMU_CAP), 7500);
	KUNIT_EXPECT_EQ(test, cnvme_cap_ready_timeout_ms(0xffULL << 24), 127500);
}

static void page_sizes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, bytes_of(cnvme_page_shift_from_mps(0)), 4096);
	KUNIT_EXPECT_EQ(test, cnvme_page_shift_from_mps(4), CNVME_PAGE_SHIFT_64K);
	KUNIT_EXPECT_EQ(test, cnvme_page_shift_from_mps(5), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_page_mps(cnvme_page_shift(8192)), 1);
	KUNIT_EXPECT_EQ(test, cnvme_page_shift(8192), 13);
	KUNIT_EXPECT_EQ(test, cnvme_page_shift(2048), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_page_shift(12288), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_page_shift(128 * 1024), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_page_shift(0), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_page_offset(CNVME_PAGE_SHIFT_4K, 0x12345678), 0x678);
	KUNIT_EXPECT_EQ(test, cnvme_page_offset(CNVME_PAGE_SHIFT_64K, 0x12345678), 0x5678);
}

static void page_size_for_host(struct kunit *test)
{
	u64 cap = QEMU_CAP;

	KUNIT_EXPECT_EQ(test, cnvme_cap_page_shift_for(cap, CNVME_PAGE_SHIFT_4K),
			CNVME_PAGE_SHIFT_4K);
	KUNIT_EXPECT_EQ(test, cnvme_cap_page_shift_for(cap, CNVME_PAGE_SHIFT_64K),
			CNVME_PAGE_SHIFT_64K);
	/* The controller's minimum wins over a smaller host page. */
	cap = (3ULL << 52) | (1ULL << 48);
	KUNIT_EXPECT_EQ(test, bytes_of(cnvme_cap_page_shift_for(cap, CNVME_PAGE_SHIFT_4K)),
			8192);
	/* And its maximum over a larger one. */
	KUNIT_EXPECT_EQ(test, bytes_of(cnvme_cap_page_shift_for(cap, CNVME_PAGE_SHIFT_64K)),
			32768);
	/* A minimum the driver cannot do, or a minimum above the maximum. */
	KUNIT_EXPECT_EQ(test, cnvme_cap_page_shift_for((6ULL << 52) | (5ULL << 48),
						       CNVME_PAGE_SHIFT_4K),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_cap_page_shift_for(1ULL << 48, CNVME_PAGE_SHIFT_4K),
			-EINVAL);
}

static void expect_version(struct kunit *test, u32 vs, u32 mjr, u32 mnr, u32 ter)
{
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_VS_MJR, vs), mjr);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_VS_MNR, vs), mnr);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_VS_TER, vs), ter);
}

static void version(struct kunit *test)
{
	expect_version(test, 0x00010400, 1, 4, 0);
	expect_version(test, 0x00020100, 2, 1, 0);
	expect_version(test, 0x00010201, 1, 2, 1);
}

static void cc_enable(struct kunit *test)
{
	u32 cc, shn, v;

	KUNIT_ASSERT_EQ(test, cnvme_cc_enabled(CNVME_PAGE_SHIFT_4K, &cc), 0);
	KUNIT_EXPECT_EQ(test, cc, 0x00460001);
	KUNIT_EXPECT_TRUE(test, cc & CNVME_CC_EN);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CC_CSS, cc), 0);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CC_SHN, cc), 0);
	KUNIT_ASSERT_EQ(test, cnvme_cc_enabled(CNVME_PAGE_SHIFT_64K, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0x00460201);
	KUNIT_ASSERT_EQ(test, cnvme_cc_enabled(cnvme_page_shift(8192), &v), 0);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_CC_MPS, v), 1);

	/* Shutdown requests keep the other fields. */
	shn = u32_replace_bits(cc, CNVME_SHN_NORMAL, CNVME_CC_SHN);
	KUNIT_EXPECT_EQ(test, shn, 0x00464001);
	KUNIT_EXPECT_EQ(test, u32_replace_bits(cc, CNVME_SHN_ABRUPT, CNVME_CC_SHN),
			0x00468001);
	KUNIT_EXPECT_EQ(test, shn & ~CNVME_CC_EN, 0x00464000);
}

static void csts_decode(struct kunit *test)
{
	u32 csts = 0x1;

	KUNIT_EXPECT_TRUE(test, csts & CNVME_CSTS_RDY);
	KUNIT_EXPECT_FALSE(test, csts & CNVME_CSTS_CFS);
	KUNIT_EXPECT_FALSE(test, cnvme_csts_shutdown_complete(csts));
	csts = 0x2;
	KUNIT_EXPECT_FALSE(test, csts & CNVME_CSTS_RDY);
	KUNIT_EXPECT_TRUE(test, csts & CNVME_CSTS_CFS);
	KUNIT_EXPECT_TRUE(test, cnvme_csts_shutdown_complete(0x8));
	KUNIT_EXPECT_FALSE(test, cnvme_csts_shutdown_complete(0x4));
	KUNIT_EXPECT_FALSE(test, cnvme_csts_shutdown_complete(0xc));
	KUNIT_EXPECT_TRUE(test, cnvme_csts_is_all_ones(U32_MAX));
	KUNIT_EXPECT_FALSE(test, cnvme_csts_is_all_ones(0x7fffffff));
}

static void aqa_depths(struct kunit *test)
{
	u32 aqa;

	KUNIT_ASSERT_EQ(test, cnvme_aqa(32, 32, &aqa), 0);
	KUNIT_EXPECT_EQ(test, aqa, 0x001f001f);
	KUNIT_ASSERT_EQ(test, cnvme_aqa(4096, 2, &aqa), 0);
	KUNIT_EXPECT_EQ(test, aqa, 0x00010fff);
	KUNIT_ASSERT_EQ(test, cnvme_aqa(64, 128, &aqa), 0);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_AQA_ASQS, aqa), 63);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_AQA_ACQS, aqa), 127);
	KUNIT_EXPECT_EQ(test, cnvme_aqa(1, 32, &aqa), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_aqa(32, 0, &aqa), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_aqa(4097, 32, &aqa), -EINVAL);
}

static void admin_queue_bases(struct kunit *test)
{
	u64 reg;

	KUNIT_ASSERT_EQ(test, cnvme_asq(0x1000, &reg), 0);
	KUNIT_EXPECT_EQ(test, reg, 0x1000);
	KUNIT_ASSERT_EQ(test, cnvme_acq(0x123456000, &reg), 0);
	KUNIT_EXPECT_EQ(test, reg, 0x123456000);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_ACQ_ACQB, reg), 0x123456);
	KUNIT_EXPECT_LT(test, cnvme_asq(0x1001, &reg), 0);
	KUNIT_EXPECT_LT(test, cnvme_acq(0x123456800, &reg), 0);
	KUNIT_ASSERT_EQ(test, cnvme_asq(0, &reg), 0);
	KUNIT_EXPECT_EQ(test, reg, 0);
}

static void doorbells(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, cnvme_doorbell_offset(0, false, 0), 0x1000);
	KUNIT_EXPECT_EQ(test, cnvme_doorbell_offset(0, true, 0), 0x1004);
	KUNIT_EXPECT_EQ(test, cnvme_doorbell_offset(1, false, 0), 0x1008);
	KUNIT_EXPECT_EQ(test, cnvme_doorbell_offset(1, true, 0), 0x100c);
	KUNIT_EXPECT_EQ(test, cnvme_doorbell_offset(1, true, 1), 0x1018);
	KUNIT_EXPECT_EQ(test, cnvme_doorbell_offset(2, false, 2), 0x1040);
	KUNIT_EXPECT_EQ(test, cnvme_doorbell_offset(0, true, 15), 0x1000 + (1 << 17));
	KUNIT_EXPECT_EQ(test, cnvme_doorbell_offset(0xffff, true, 0), 0x1000 + 0x1ffff * 4);
	/* Only the 4 bits of CAP.DSTRD count. */
	KUNIT_EXPECT_EQ(test, cnvme_doorbell_offset(1, false, 0x10),
			cnvme_doorbell_offset(1, false, 0));
	/* The admin queue pair fits the mapped window, with any stride. */
	KUNIT_EXPECT_LE(test, cnvme_doorbell_offset(0, true, 9) + 4, CNVME_BAR0_SIZE);
}

static void shadow_doorbells(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, cnvme_shadow_index(0, false, 0), 0);
	KUNIT_EXPECT_EQ(test, cnvme_shadow_index(0, true, 0), 1);
	KUNIT_EXPECT_EQ(test, cnvme_shadow_index(1, false, 0), 2);
	KUNIT_EXPECT_EQ(test, cnvme_shadow_index(1, true, 0), 3);
	KUNIT_EXPECT_EQ(test, cnvme_shadow_index(2, false, 2), 16);
	KUNIT_EXPECT_EQ(test, cnvme_shadow_index(511, true, 0), 1023);
}

static struct kunit_case cnvme_regs_cases[] = {
	KUNIT_CASE(cap_fields),
	KUNIT_CASE(cap_ready_timeout),
	KUNIT_CASE(page_sizes),
	KUNIT_CASE(page_size_for_host),
	KUNIT_CASE(version),
	KUNIT_CASE(cc_enable),
	KUNIT_CASE(csts_decode),
	KUNIT_CASE(aqa_depths),
	KUNIT_CASE(admin_queue_bases),
	KUNIT_CASE(doorbells),
	KUNIT_CASE(shadow_doorbells),
	{}
};

static struct kunit_suite cnvme_regs_suite = {
	.name = "cnvme_regs",
	.test_cases = cnvme_regs_cases,
};

/* cmd.c */

/* Returns dword @i of the command as the controller reads it from memory. */
static u32 dw(const struct cnvme_command *cmd, unsigned int i)
{
	return get_unaligned_le32((const u8 *)cmd + 4 * i);
}

/* Expects CDW10 to CDW15 of @cmd to be @want. */
static void expect_cdw10_15(struct kunit *test, const struct cnvme_command *cmd,
			    const u32 *want)
{
	unsigned int i;

	for (i = 0; i < 6; i++)
		KUNIT_EXPECT_EQ_MSG(test, dw(cmd, 10 + i), want[i], "CDW%u", 10 + i);
}

/* Returns a completion from the 16 bytes the controller writes, as dwords. */
static struct cnvme_completion completion(u32 dw0, u32 dw1, u32 dw2, u32 dw3)
{
	const __le32 dws[4] = {
		cpu_to_le32(dw0), cpu_to_le32(dw1), cpu_to_le32(dw2), cpu_to_le32(dw3),
	};
	struct cnvme_completion cqe;

	memcpy(&cqe, dws, sizeof(cqe));
	return cqe;
}

/* Returns the status of a completion whose DW3 is @dw3. */
static u16 cqe_status(u32 dw3)
{
	struct cnvme_completion cqe = completion(0, 0, 0, dw3);

	return cnvme_cqe_status(&cqe);
}

/* Returns a status field (without phase) from its parts. */
static u16 status(u16 sct, u16 sc, bool dnr)
{
	return (u16)dnr << 14 | sct << 8 | sc;
}

static void entry_sizes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct cnvme_command), 64);
	KUNIT_EXPECT_EQ(test, sizeof(struct cnvme_completion), 16);
	KUNIT_EXPECT_EQ(test, sizeof(struct cnvme_dsm_range), 16);
}

static void read_write_layout(struct kunit *test)
{
	struct cnvme_command cmd;

	cnvme_cmd_read(&cmd, 1, 0x123456789, 7, 0xaaaab000, 0xccccd0001000, false);
	cnvme_cmd_set_cid(&cmd, 0xbeef);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0xbeef0002);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 1), 1);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 2), 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 4), 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 6), 0xaaaab000);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 7), 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 8), 0xd0001000);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 9), 0xcccc);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 0x23456789);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 11), 0x1);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 12), 7);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 13), 0);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_opcode(&cmd), 0x02);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_cid(&cmd), 0xbeef);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cmd.prp1), 0xaaaab000);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cmd.prp2), 0xccccd0001000);

	cnvme_cmd_write(&cmd, 0xfffffffe, U64_MAX, 0xffff, 0x1000, 0, true);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x01);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cmd.nsid), 0xfffffffe);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), U32_MAX);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 11), U32_MAX);
	/* FUA in bit 30, the 0's based block count below, nothing else. */
	KUNIT_EXPECT_EQ(test, dw(&cmd, 12), 0x4000ffff);
	expect_cdw10_15(test, &cmd, (const u32[]){ U32_MAX, U32_MAX, 0x4000ffff, 0, 0, 0 });
}

static void queue_slots(struct kunit *test)
{
	__le32 cq_slot[4] = {
		cpu_to_le32(0xdeadbeef), 0, cpu_to_le32(0x00020005), cpu_to_le32(0x00031234),
	};
	struct cnvme_completion cqe, want;
	struct cnvme_command cmd;
	__le64 sq_slot[8];
	unsigned int i;

	/* A command becomes its slot byte for byte: quadword i holds dwords 2i and 2i + 1. */
	cnvme_cmd_read(&cmd, 1, 0x123456789, 7, 0xaaaab000, 0xccccd0001000, true);
	cnvme_cmd_set_cid(&cmd, 0xbeef);
	memcpy(sq_slot, &cmd, sizeof(sq_slot));
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ_MSG(test, le64_to_cpu(sq_slot[i]),
				    (u64)dw(&cmd, 2 * i) | (u64)dw(&cmd, 2 * i + 1) << 32,
				    "quadword %u", i);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(sq_slot[0]), 0x00000001beef0002);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(sq_slot[3]), 0xaaaab000);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(sq_slot[4]), 0xccccd0001000);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(sq_slot[5]), 0x0000000123456789);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(sq_slot[6]), 0x40000007);

	/* A completion slot, as the controller writes it, read back into its fields. */
	memcpy(&cqe, cq_slot, sizeof(cqe));
	want = completion(0xdeadbeef, 0, 0x00020005, 0x00031234);
	KUNIT_EXPECT_MEMEQ(test, &cqe, &want, sizeof(cqe));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cqe.result), 0xdeadbeef);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.sq_head), 5);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.sq_id), 2);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.cid), 0x1234);
	KUNIT_EXPECT_TRUE(test, cnvme_cqe_phase(&cqe));
	KUNIT_EXPECT_EQ(test, cnvme_cqe_status(&cqe), 1);

	/* The phase check reads DW3 alone. */
	KUNIT_EXPECT_EQ(test, cnvme_cqe_status_with_phase_of(cq_slot[CNVME_CQE_STATUS_DWORD]),
			le16_to_cpu(cqe.status));
	KUNIT_EXPECT_EQ(test, cnvme_cqe_status_with_phase_of(cpu_to_le32(0xfffe0000)), 0xfffe);
	KUNIT_EXPECT_EQ(test, cnvme_cqe_status_with_phase_of(cpu_to_le32(0x0001ffff)), 1);
}

static void cid_keeps_opcode(struct kunit *test)
{
	struct cnvme_command cmd;

	cnvme_cmd_flush(&cmd, 3);
	cnvme_cmd_set_cid(&cmd, 0xffff);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0xffff0000);
	cnvme_cmd_set_cid(&cmd, 0x0001);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x00010000);
	cnvme_cmd_doorbell_buffer_config(&cmd, 0x1000, 0x2000);
	cnvme_cmd_set_cid(&cmd, 0x1234);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_opcode(&cmd), 0x7c);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_cid(&cmd), 0x1234);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cmd.prp1), 0x1000);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cmd.prp2), 0x2000);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cmd.nsid), 0);
}

static void other_io_commands(struct kunit *test)
{
	static const u8 range_lo[8] = { 0, 0, 0, 0, 0, 1, 0, 0 };
	static const u8 range_hi[8] = { 1, 0, 0, 0, 1, 0, 0, 0 };
	struct cnvme_dsm_range range;
	struct cnvme_command cmd;

	cnvme_cmd_flush(&cmd, 5);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x00);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 1), 5);
	expect_cdw10_15(test, &cmd, (const u32[]){ 0, 0, 0, 0, 0, 0 });

	cnvme_cmd_write_zeroes(&cmd, 1, 0x1000000000, 15, true);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_opcode(&cmd), 0x08);
	expect_cdw10_15(test, &cmd, (const u32[]){ 0, 0x10, (1 << 25) | 15, 0, 0, 0 });
	cnvme_cmd_write_zeroes(&cmd, 1, 8, 0, false);
	expect_cdw10_15(test, &cmd, (const u32[]){ 8, 0, 0, 0, 0, 0 });

	cnvme_cmd_dsm_deallocate(&cmd, 2, 3, 0x5000, 0);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_opcode(&cmd), 0x09);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cmd.nsid), 2);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cmd.prp1), 0x5000);
	expect_cdw10_15(test, &cmd, (const u32[]){ 3, 1 << 2, 0, 0, 0, 0 });

	cnvme_dsm_range_init(&range, 0x100000001, 256);
	KUNIT_EXPECT_MEMEQ(test, (const u8 *)&range, range_lo, 8);
	KUNIT_EXPECT_MEMEQ(test, (const u8 *)&range + 8, range_hi, 8);
}

static void admin_commands(struct kunit *test)
{
	struct cnvme_command cmd;
	u32 nr_sq, nr_cq;

	cnvme_cmd_identify(&cmd, CNVME_CNS_CONTROLLER, 0, 0x7000);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x06);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 6), 0x7000);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cmd.prp2), 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 1);
	cnvme_cmd_identify(&cmd, CNVME_CNS_ACTIVE_NS_LIST, 4, 0x8000);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cmd.nsid), 4);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 2);

	cnvme_cmd_set_num_queues(&cmd, 3, 7);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_opcode(&cmd), 0x09);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 0x07);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 11), 0x00070003);
	cnvme_cmd_set_num_queues(&cmd, 0xffff, 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 11), 0x0000ffff);
	cnvme_num_queues_allocated(0x00070003, &nr_sq, &nr_cq);
	KUNIT_EXPECT_EQ(test, nr_sq, 4);
	KUNIT_EXPECT_EQ(test, nr_cq, 8);
	cnvme_num_queues_allocated(0xffffffff, &nr_sq, &nr_cq);
	KUNIT_EXPECT_EQ(test, nr_sq, 65536);
	KUNIT_EXPECT_EQ(test, nr_cq, 65536);
	cnvme_num_queues_allocated(0, &nr_sq, &nr_cq);
	KUNIT_EXPECT_EQ(test, nr_sq, 1);
	KUNIT_EXPECT_EQ(test, nr_cq, 1);

	cnvme_cmd_get_features(&cmd, CNVME_FEAT_VOLATILE_WC, 0);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_opcode(&cmd), 0x0a);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 0x06);

	cnvme_cmd_delete_sq(&cmd, 9);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_opcode(&cmd), 0x00);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 9);
	cnvme_cmd_delete_cq(&cmd, 9);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_opcode(&cmd), 0x04);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 9);
	cnvme_cmd_abort(&cmd, 2, 0x1234);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_opcode(&cmd), 0x08);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 0x12340002);
}

static void create_queues(struct kunit *test)
{
	struct cnvme_command cmd;

	KUNIT_ASSERT_EQ(test, cnvme_cmd_create_cq(&cmd, 1, 1024, 0x100000000, 3, true), 0);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_opcode(&cmd), 0x05);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 6), 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 7), 1);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 0x03ff0001);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 11), 0x00030003);
	KUNIT_ASSERT_EQ(test, cnvme_cmd_create_cq(&cmd, 0xffff, 65536, 0x1000, 0, false), 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 0xffffffff);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 11), 0x00000001);

	KUNIT_ASSERT_EQ(test, cnvme_cmd_create_sq(&cmd, 2, 2, 0x3000, 5), 0);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_opcode(&cmd), 0x01);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cmd.prp1), 0x3000);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 0x00010002);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 11), 0x00050001);

	KUNIT_EXPECT_EQ(test, cnvme_cmd_create_cq(&cmd, 0, 32, 0x1000, 0, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_create_cq(&cmd, 1, 1, 0x1000, 0, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_create_cq(&cmd, 1, 65537, 0x1000, 0, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_create_sq(&cmd, 0, 32, 0x1000, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_create_sq(&cmd, 1, 32, 0x1000, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_cmd_create_sq(&cmd, 1, 0, 0x1000, 1), -EINVAL);
}

static void completion_fields(struct kunit *test)
{
	struct cnvme_completion cqe, built;
	u16 st;

	/* DW0 result, DW1 reserved, DW2 SQID:SQHD, DW3 status:P:CID. */
	cqe = completion(0xdeadbeef, 0, 0x00020005, 0x00011234);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cqe.result), 0xdeadbeef);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.sq_head), 5);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.sq_id), 2);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.cid), 0x1234);
	KUNIT_EXPECT_TRUE(test, cnvme_cqe_phase(&cqe));
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.status), 1);
	KUNIT_EXPECT_TRUE(test, cnvme_status_is_success(cnvme_cqe_status(&cqe)));

	/* Phase clear, DNR, SCT 0, SC 0x02 (invalid field). */
	cqe = completion(0, 0, 0, 0x8004U << 16 | 0xffff);
	KUNIT_EXPECT_FALSE(test, cnvme_cqe_phase(&cqe));
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.cid), 0xffff);
	st = cnvme_cqe_status(&cqe);
	KUNIT_EXPECT_TRUE(test, st & CNVME_STATUS_DNR);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_STATUS_SCT, st), CNVME_SCT_GENERIC);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_STATUS_SC, st), CNVME_SC_INVALID_FIELD);
	KUNIT_EXPECT_FALSE(test, cnvme_status_is_success(st));

	/* Every status bit set, phase clear. */
	st = cqe_status(0xfffe0000);
	KUNIT_EXPECT_EQ(test, st, 0x7fff);
	KUNIT_EXPECT_TRUE(test, st & CNVME_STATUS_MORE);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_STATUS_CRD, st), 3);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_STATUS_SCT, st), 7);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_STATUS_SC, st), 0xff);

	cnvme_cqe_init(&built, 1, 2, 3, 4, 5);
	cqe = completion(1, 0, 0x00030002, 0x00050004);
	KUNIT_EXPECT_MEMEQ(test, &built, &cqe, sizeof(cqe));
}

static void status_field_bits(struct kunit *test)
{
	u16 st;

	/* SC in bits 24:17 of DW3, SCT in 27:25, CRD in 29:28, M in 30, DNR in 31. */
	st = cqe_status(0x81 << 17);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_STATUS_SCT, st), 0);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_STATUS_SC, st), 0x81);
	st = cqe_status(2 << 25);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_STATUS_SCT, st), 2);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_STATUS_SC, st), 0);
	st = cqe_status(1 << 28);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CNVME_STATUS_CRD, st), 1);
	KUNIT_EXPECT_FALSE(test, st & CNVME_STATUS_MORE);
	KUNIT_EXPECT_TRUE(test, cqe_status(1 << 30) & CNVME_STATUS_MORE);
	KUNIT_EXPECT_TRUE(test, cqe_status(1U << 31) & CNVME_STATUS_DNR);
	/* The phase tag is not part of the status. */
	KUNIT_EXPECT_TRUE(test, cnvme_status_is_success(cqe_status(1 << 16)));
}

/*
 * rnvme ends a request with an errno that blk-mq turns back into a
 * blk_status_t; cnvme hands the blk_status_t over itself. Either way each
 * outcome must stand for the errno that rnvme's BlkStatus::to_result() gives.
 */
static int status_errno(u16 sct, u16 sc)
{
	return blk_status_to_errno(cnvme_status_to_blk(status(sct, sc, false)));
}

static void blk_status_errors(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, status_errno(CNVME_SCT_GENERIC, CNVME_SC_SUCCESS), 0);
	KUNIT_EXPECT_EQ(test, status_errno(CNVME_SCT_GENERIC, CNVME_SC_LBA_RANGE), -EIO);
	KUNIT_EXPECT_EQ(test, status_errno(CNVME_SCT_GENERIC, CNVME_SC_INVALID_OPCODE),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, status_errno(CNVME_SCT_MEDIA, CNVME_SC_UNRECOVERED_READ),
			-ENODATA);
	KUNIT_EXPECT_EQ(test, status_errno(CNVME_SCT_MEDIA, CNVME_SC_GUARD_CHECK), -EILSEQ);
	KUNIT_EXPECT_EQ(test, status_errno(CNVME_SCT_GENERIC, CNVME_SC_CAPACITY_EXCEEDED),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, status_errno(CNVME_SCT_GENERIC, CNVME_SC_INVALID_NS), -EREMOTEIO);
	KUNIT_EXPECT_EQ(test, status_errno(CNVME_SCT_PATH, 0x00), -ENOLINK);
}

static void blk_status_mapping(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(0, 0x00, false)), BLK_STS_OK);
	/* DNR alone does not make a success a failure. */
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(0, 0x00, true)), BLK_STS_OK);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(0, 0x01, true)), BLK_STS_NOTSUPP);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(0, 0x02, true)), BLK_STS_NOTSUPP);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(0, 0x04, false)), BLK_STS_IOERR);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(0, 0x07, false)), BLK_STS_IOERR);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(0, 0x0b, true)), BLK_STS_TARGET);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(0, 0x80, true)), BLK_STS_IOERR);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(0, 0x81, true)), BLK_STS_NOSPC);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(0, 0x82, false)), BLK_STS_IOERR);
	/* The same codes under another type mean something else. */
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(1, 0x01, true)), BLK_STS_IOERR);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(1, 0x80, true)), BLK_STS_IOERR);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(1, 0x81, true)), BLK_STS_PROTECTION);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(1, 0x82, true)), BLK_STS_TARGET);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(2, 0x00, false)), BLK_STS_IOERR);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(2, 0x80, false)), BLK_STS_MEDIUM);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(2, 0x81, false)), BLK_STS_MEDIUM);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(2, 0x82, false)), BLK_STS_PROTECTION);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(2, 0x83, false)), BLK_STS_PROTECTION);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(2, 0x84, false)), BLK_STS_PROTECTION);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(2, 0x85, false)), BLK_STS_IOERR);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(3, 0x00, false)), BLK_STS_TRANSPORT);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(3, 0x71, false)), BLK_STS_TRANSPORT);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(7, 0x00, false)), BLK_STS_IOERR);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(status(4, 0x80, false)), BLK_STS_IOERR);
}

static void retry(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, cnvme_status_is_retryable(status(0, 0, false)));
	KUNIT_EXPECT_TRUE(test, cnvme_status_is_retryable(status(0, 0x82, false)));
	KUNIT_EXPECT_FALSE(test, cnvme_status_is_retryable(status(0, 0x82, true)));
	KUNIT_EXPECT_TRUE(test, cnvme_status_is_retryable(status(3, 0x00, false)));
	KUNIT_EXPECT_FALSE(test, cnvme_status_is_retryable(status(2, 0x81, true)));
}

static struct kunit_case cnvme_cmd_cases[] = {
	KUNIT_CASE(entry_sizes),
	KUNIT_CASE(read_write_layout),
	KUNIT_CASE(queue_slots),
	KUNIT_CASE(cid_keeps_opcode),
	KUNIT_CASE(other_io_commands),
	KUNIT_CASE(admin_commands),
	KUNIT_CASE(create_queues),
	KUNIT_CASE(completion_fields),
	KUNIT_CASE(status_field_bits),
	KUNIT_CASE(blk_status_errors),
	KUNIT_CASE(blk_status_mapping),
	KUNIT_CASE(retry),
	{}
};

static struct kunit_suite cnvme_cmd_suite = {
	.name = "cnvme_cmd",
	.test_cases = cnvme_cmd_cases,
};

/* ring.c */

static void depth_limits(struct kunit *test)
{
	struct cnvme_sq_ring sq;
	struct cnvme_cq_ring cq;

	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_init(&sq, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_init(&sq, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_init(&sq, 65537), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_init(&cq, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_init(&cq, 65537), -EINVAL);
	KUNIT_ASSERT_EQ(test, cnvme_sq_ring_init(&sq, 2), 0);
	KUNIT_EXPECT_EQ(test, sq.depth, 2);
	KUNIT_ASSERT_EQ(test, cnvme_cq_ring_init(&cq, 65536), 0);
	KUNIT_EXPECT_EQ(test, cq.depth, 65536);
}

static void sq_tail_wraps(struct kunit *test)
{
	struct cnvme_sq_ring sq;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, cnvme_sq_ring_init(&sq, 4), 0);
	KUNIT_EXPECT_EQ(test, sq.tail, 0);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 1);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 2);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 3);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 0);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 1);

	/* The largest ring wraps after slot 65535. */
	KUNIT_ASSERT_EQ(test, cnvme_sq_ring_init(&sq, 65536), 0);
	for (i = 0; i < 65535; i++)
		cnvme_sq_ring_advance(&sq);
	KUNIT_EXPECT_EQ(test, sq.tail, 65535);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 0);

	/* An odd depth that is not a power of two. */
	KUNIT_ASSERT_EQ(test, cnvme_sq_ring_init(&sq, 3), 0);
	cnvme_sq_ring_advance(&sq);
	cnvme_sq_ring_advance(&sq);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 0);
}

static void sq_full(struct kunit *test)
{
	struct cnvme_sq_ring sq;

	KUNIT_ASSERT_EQ(test, cnvme_sq_ring_init(&sq, 4), 0);
	KUNIT_EXPECT_FALSE(test, cnvme_sq_ring_is_full(&sq, 0));
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_free_slots(&sq, 0), 3);
	cnvme_sq_ring_advance(&sq);
	cnvme_sq_ring_advance(&sq);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_free_slots(&sq, 0), 1);
	cnvme_sq_ring_advance(&sq);
	/* Three commands in a ring of four: full. */
	KUNIT_EXPECT_TRUE(test, cnvme_sq_ring_is_full(&sq, 0));
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_free_slots(&sq, 0), 0);
	/* The controller consumed one. */
	KUNIT_EXPECT_FALSE(test, cnvme_sq_ring_is_full(&sq, 1));
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_free_slots(&sq, 1), 1);
	/* Tail wrapped behind the head. */
	cnvme_sq_ring_advance(&sq);
	KUNIT_EXPECT_EQ(test, sq.tail, 0);
	KUNIT_EXPECT_TRUE(test, cnvme_sq_ring_is_full(&sq, 1));
	KUNIT_EXPECT_FALSE(test, cnvme_sq_ring_is_full(&sq, 2));
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_free_slots(&sq, 2), 1);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_free_slots(&sq, 0), 3);

	KUNIT_ASSERT_EQ(test, cnvme_sq_ring_init(&sq, 2), 0);
	KUNIT_EXPECT_FALSE(test, cnvme_sq_ring_is_full(&sq, 0));
	KUNIT_EXPECT_TRUE(test, cnvme_sq_ring_is_full(&sq, 1));
	/* A head beyond the ring neither crashes nor reads as full. */
	KUNIT_EXPECT_FALSE(test, cnvme_sq_ring_is_full(&sq, 7));
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_free_slots(&sq, 7), 0);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_free_slots(&sq, 8), 1);
}

static void cq_phase_flips(struct kunit *test)
{
	struct cnvme_cq_ring cq;

	KUNIT_ASSERT_EQ(test, cnvme_cq_ring_init(&cq, 2), 0);
	KUNIT_EXPECT_TRUE(test, cq.phase);
	/* A zeroed entry is not new; one the controller wrote in the first pass is. */
	KUNIT_EXPECT_FALSE(test, cnvme_cq_ring_is_new(&cq, 0));
	KUNIT_EXPECT_TRUE(test, cnvme_cq_ring_is_new(&cq, 1));
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_advance(&cq), 1);
	KUNIT_EXPECT_TRUE(test, cq.phase);
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_advance(&cq), 0);
	KUNIT_EXPECT_FALSE(test, cq.phase);
	/* Second pass: phase 0 is new, a stale phase 1 entry is not. */
	KUNIT_EXPECT_TRUE(test, cnvme_cq_ring_is_new(&cq, 0));
	KUNIT_EXPECT_FALSE(test, cnvme_cq_ring_is_new(&cq, 1));
	/* Status bits other than the phase do not matter. */
	KUNIT_EXPECT_TRUE(test, cnvme_cq_ring_is_new(&cq, 0xfffe));
	KUNIT_EXPECT_FALSE(test, cnvme_cq_ring_is_new(&cq, 0xffff));
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_advance(&cq), 1);
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_advance(&cq), 0);
	KUNIT_EXPECT_TRUE(test, cq.phase);
	KUNIT_EXPECT_TRUE(test, cnvme_cq_ring_is_new(&cq, 0x8003));
}

static void cq_full_lap(struct kunit *test)
{
	struct cnvme_cq_ring cq;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, cnvme_cq_ring_init(&cq, 1024), 0);
	for (i = 1; i < 1024; i++) {
		KUNIT_EXPECT_EQ(test, cnvme_cq_ring_advance(&cq), i);
		KUNIT_EXPECT_TRUE(test, cq.phase);
	}
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_advance(&cq), 0);
	KUNIT_EXPECT_FALSE(test, cq.phase);
	for (i = 0; i < 1024; i++)
		cnvme_cq_ring_advance(&cq);
	KUNIT_EXPECT_EQ(test, cq.head, 0);
	KUNIT_EXPECT_TRUE(test, cq.phase);
}

static void shadow_doorbell_events(struct kunit *test)
{
	/* The event index is the old value: the first step past it needs an event. */
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(5, 6, 5));
	/* Already past it. */
	KUNIT_EXPECT_FALSE(test, cnvme_need_event(5, 7, 6));
	/* Crossed in a batch. */
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(4, 6, 2));
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(2, 6, 2));
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(5, 6, 2));
	/* Not reached yet. */
	KUNIT_EXPECT_FALSE(test, cnvme_need_event(6, 6, 2));
	KUNIT_EXPECT_FALSE(test, cnvme_need_event(10, 6, 2));
	/* No movement, no event. */
	KUNIT_EXPECT_FALSE(test, cnvme_need_event(5, 5, 5));
	/* Across the 16-bit wrap. */
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(0xffff, 0x0002, 0xfffe));
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(0x0001, 0x0002, 0xfffe));
	KUNIT_EXPECT_FALSE(test, cnvme_need_event(0x0002, 0x0002, 0xfffe));
	KUNIT_EXPECT_FALSE(test, cnvme_need_event(0xfffd, 0x0002, 0xfffe));
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(0xffff, 0x0000, 0xffff));
}

static struct kunit_case cnvme_ring_cases[] = {
	KUNIT_CASE(depth_limits),
	KUNIT_CASE(sq_tail_wraps),
	KUNIT_CASE(sq_full),
	KUNIT_CASE(cq_phase_flips),
	KUNIT_CASE(cq_full_lap),
	KUNIT_CASE(shadow_doorbell_events),
	{}
};

static struct kunit_suite cnvme_ring_suite = {
	.name = "cnvme_ring",
	.test_cases = cnvme_ring_cases,
};

/* prp.c */

#define K4	CNVME_PAGE_SHIFT_4K
#define LIST0	0x90000000ULL
#define LIST1	0x91000000ULL
#define LIST2	0x92000000ULL

/* Returns a list page at @dma with @n zeroed entries. */
static struct cnvme_prp_list list_page(struct kunit *test, u64 dma, size_t n)
{
	__le64 *entries = kunit_kcalloc(test, n, sizeof(*entries), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, entries);
	return (struct cnvme_prp_list){ .dma = dma, .entries = entries, .nr_entries = n };
}

/* Returns entry @i of list page @l. */
static u64 entry(const struct cnvme_prp_list *l, size_t i)
{
	return le64_to_cpu(l->entries[i]);
}

/* Builds the PRPs of one segment. */
static int build_one(u64 addr, u32 len, unsigned int page_shift,
		     struct cnvme_prp_list *lists, unsigned int nr_lists,
		     struct cnvme_prp *prp)
{
	const struct cnvme_segment seg = { .addr = addr, .len = len };

	return cnvme_prp_build(&seg, 1, page_shift, lists, nr_lists, prp);
}

static void expect_prp(struct kunit *test, const struct cnvme_prp *prp,
		       u64 prp1, u64 prp2, unsigned int list_pages, u64 entries)
{
	KUNIT_EXPECT_EQ(test, prp->prp1, prp1);
	KUNIT_EXPECT_EQ(test, prp->prp2, prp2);
	KUNIT_EXPECT_EQ(test, prp->list_pages, list_pages);
	KUNIT_EXPECT_EQ(test, prp->entries, entries);
}

/* Expects the first @n entries of list page @l to be @want. */
static void expect_entries(struct kunit *test, const struct cnvme_prp_list *l,
			   const u64 *want, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, entry(l, i), want[i], "entry %zu", i);
}

static void one_or_two_pages(struct kunit *test)
{
	static const struct cnvme_segment two[] = {
		{ 0x50000800, 0x800 }, { 0x70000000, 0x200 },
	};
	struct cnvme_prp prp;

	/* One aligned page. */
	KUNIT_ASSERT_EQ(test, build_one(0x10000000, 4096, K4, NULL, 0, &prp), 0);
	expect_prp(test, &prp, 0x10000000, 0, 0, 1);
	/* Small and inside one page. */
	KUNIT_ASSERT_EQ(test, build_one(0x10000200, 0x200, K4, NULL, 0, &prp), 0);
	KUNIT_EXPECT_EQ(test, prp.prp1, 0x10000200);
	KUNIT_EXPECT_EQ(test, prp.prp2, 0);
	/* Up to the last byte of the page. */
	KUNIT_ASSERT_EQ(test, build_one(0x10000200, 0xe00, K4, NULL, 0, &prp), 0);
	KUNIT_EXPECT_EQ(test, prp.prp2, 0);
	/* One byte more crosses into the next page. */
	KUNIT_ASSERT_EQ(test, build_one(0x10000200, 0xe04, K4, NULL, 0, &prp), 0);
	KUNIT_EXPECT_EQ(test, prp.prp1, 0x10000200);
	KUNIT_EXPECT_EQ(test, prp.prp2, 0x10001000);
	/* Two aligned pages. */
	KUNIT_ASSERT_EQ(test, build_one(0x100000, 8192, K4, NULL, 0, &prp), 0);
	KUNIT_EXPECT_EQ(test, prp.prp1, 0x100000);
	KUNIT_EXPECT_EQ(test, prp.prp2, 0x101000);
	/* Two segments of one page each. */
	KUNIT_ASSERT_EQ(test, cnvme_prp_build(two, 2, K4, NULL, 0, &prp), 0);
	KUNIT_EXPECT_EQ(test, prp.prp1, 0x50000800);
	KUNIT_EXPECT_EQ(test, prp.prp2, 0x70000000);
	/* A 64 KiB page holds what takes sixteen 4 KiB pages. */
	KUNIT_ASSERT_EQ(test, build_one(0x20000, 0x10000, CNVME_PAGE_SHIFT_64K, NULL, 0, &prp),
			0);
	expect_prp(test, &prp, 0x20000, 0, 0, 1);
}

/*
 * Every dword offset in a page and around its end, every length up to three
 * pages in steps that hit the page boundaries: the shortcut for one segment
 * must give what walking the entries gives, and leave exactly what needs a
 * list (or is refused) to the walk.
 */
static void one_segment_agrees_with_the_walk(struct kunit *test)
{
	static const unsigned int shifts[] = { K4, CNVME_PAGE_SHIFT_64K };
	static const struct cnvme_segment bad[] = {
		{ 0x1000, 0 }, { 0x1002, 8 }, { U64_MAX - 3, 8 },
	};
	struct cnvme_prp_list lists[1];
	unsigned int i, checked = 0;
	struct cnvme_prp got, walked;
	u64 o, len;

	lists[0] = list_page(test, LIST0, 512);
	for (i = 0; i < ARRAY_SIZE(shifts); i++) {
		u64 size = BIT_ULL(shifts[i]);

		for (o = 0; o < 128; o++) {
			u64 offset = (o < 64 ? o * 4 : size - 256 + (o - 64) * 4);
			struct cnvme_segment seg = { .addr = 0x100000000ULL + offset };

			for (len = 4; len <= 3 * size; len += 4) {
				if (len % 508 >= 8 && len % size >= 8)
					continue;
				seg.len = len;
				memset(&got, 0, sizeof(got));
				KUNIT_ASSERT_EQ(test, cnvme_prp_build_walk(&seg, 1, shifts[i],
									   lists, 1, &walked), 0);
				KUNIT_ASSERT_EQ(test, cnvme_prp_build(&seg, 1, shifts[i],
								      lists, 1, &got), 0);
				expect_prp(test, &got, walked.prp1, walked.prp2,
					   walked.list_pages, walked.entries);
				checked++;
			}
		}
	}
	KUNIT_EXPECT_GT(test, checked, 1000);
	/* Refused alike: empty, misaligned, wrapping the address space. */
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ(test, cnvme_prp_build(&bad[i], 1, K4, NULL, 0, &got),
				-EINVAL);
}

static void short_list(struct kunit *test)
{
	static const struct cnvme_segment segs[] = {
		{ 0x50000800, 0x800 }, { 0x70000000, 0x2000 }, { 0x30000000, 0x10 },
	};
	struct cnvme_prp_list lists[1];
	struct cnvme_prp prp;

	lists[0] = list_page(test, LIST0, 512);
	KUNIT_ASSERT_EQ(test, build_one(0x100000, 3 * 4096, K4, lists, 1, &prp), 0);
	expect_prp(test, &prp, 0x100000, LIST0, 1, 3);
	expect_entries(test, &lists[0], (const u64[]){ 0x101000, 0x102000, 0 }, 3);

	lists[0] = list_page(test, LIST0, 512);
	KUNIT_ASSERT_EQ(test, cnvme_prp_build(segs, 3, K4, lists, 1, &prp), 0);
	KUNIT_EXPECT_EQ(test, prp.prp1, 0x50000800);
	KUNIT_EXPECT_EQ(test, prp.prp2, LIST0);
	expect_entries(test, &lists[0],
		       (const u64[]){ 0x70000000, 0x70001000, 0x30000000, 0 }, 4);
}

static void two_mib(struct kunit *test)
{
	struct cnvme_prp_list lists[1];
	struct cnvme_prp prp;

	/* 2 MiB aligned: 512 pages, 511 of them in one list page. */
	lists[0] = list_page(test, LIST0, 512);
	KUNIT_ASSERT_EQ(test, build_one(0x40000000, 2 << 20, K4, lists, 1, &prp), 0);
	expect_prp(test, &prp, 0x40000000, LIST0, 1, 512);
	KUNIT_EXPECT_EQ(test, entry(&lists[0], 0), 0x40001000);
	KUNIT_EXPECT_EQ(test, entry(&lists[0], 510), 0x40000000 + 511 * 4096);
	KUNIT_EXPECT_EQ(test, entry(&lists[0], 511), 0);

	/* 2 MiB at an offset: 513 pages, the list page full to its last slot, no chain. */
	lists[0] = list_page(test, LIST0, 512);
	KUNIT_ASSERT_EQ(test, build_one(0x40000200, 2 << 20, K4, lists, 1, &prp), 0);
	KUNIT_EXPECT_EQ(test, prp.list_pages, 1);
	KUNIT_EXPECT_EQ(test, prp.entries, 513);
	KUNIT_EXPECT_EQ(test, entry(&lists[0], 0), 0x40001000);
	KUNIT_EXPECT_EQ(test, entry(&lists[0], 511), 0x40000000 + 512 * 4096);
}

static void chained_lists(struct kunit *test)
{
	static const struct cnvme_segment segs[] = {
		{ 0x40000000, 4 << 20 }, { 0x80000000, 4096 },
	};
	struct cnvme_prp_list lists[3];
	struct cnvme_prp prp;

	/* 4 MiB aligned: 1024 pages, 1023 list entries: 511 and a chain pointer, then 512. */
	lists[0] = list_page(test, LIST0, 512);
	lists[1] = list_page(test, LIST1, 512);
	KUNIT_ASSERT_EQ(test, build_one(0x40000000, 4 << 20, K4, lists, 2, &prp), 0);
	expect_prp(test, &prp, 0x40000000, LIST0, 2, 1024);
	KUNIT_EXPECT_EQ(test, entry(&lists[0], 510), 0x40000000 + 511 * 4096);
	KUNIT_EXPECT_EQ(test, entry(&lists[0], 511), LIST1);
	KUNIT_EXPECT_EQ(test, entry(&lists[1], 0), 0x40000000 + 512 * 4096);
	KUNIT_EXPECT_EQ(test, entry(&lists[1], 511), 0x40000000 + 1023 * 4096);

	/* One entry more than two list pages hold needs a third. */
	lists[0] = list_page(test, LIST0, 512);
	lists[1] = list_page(test, LIST1, 512);
	lists[2] = list_page(test, LIST2, 512);
	KUNIT_ASSERT_EQ(test, cnvme_prp_build(segs, 2, K4, lists, 3, &prp), 0);
	KUNIT_EXPECT_EQ(test, prp.list_pages, 3);
	KUNIT_EXPECT_EQ(test, entry(&lists[1], 511), LIST2);
	KUNIT_EXPECT_EQ(test, entry(&lists[2], 0), 0x40000000 + 1023 * 4096);
	KUNIT_EXPECT_EQ(test, entry(&lists[2], 1), 0x80000000);
	KUNIT_EXPECT_EQ(test, entry(&lists[2], 2), 0);
}

static void list_at_an_offset(struct kunit *test)
{
	struct cnvme_prp_list lists[2];
	struct cnvme_prp prp;

	/* A list starting 8 entries before the end of its page holds 7 entries and a chain. */
	lists[0] = list_page(test, LIST0 + 4096 - 64, 8);
	lists[1] = list_page(test, LIST1, 512);
	KUNIT_ASSERT_EQ(test, build_one(0x100000, 10 * 4096, K4, lists, 2, &prp), 0);
	KUNIT_EXPECT_EQ(test, prp.prp2, LIST0 + 4096 - 64);
	KUNIT_EXPECT_EQ(test, prp.list_pages, 2);
	KUNIT_EXPECT_EQ(test, entry(&lists[0], 6), 0x107000);
	KUNIT_EXPECT_EQ(test, entry(&lists[0], 7), LIST1);
	expect_entries(test, &lists[1], (const u64[]){ 0x108000, 0x109000, 0 }, 3);

	/* A list page that is not qword aligned. */
	lists[0] = list_page(test, LIST0 + 4, 512);
	KUNIT_EXPECT_EQ(test, build_one(0, 3 * 4096, K4, lists, 1, &prp), -EINVAL);
	/* A CPU view shorter than the list it must hold. */
	lists[0] = list_page(test, LIST0, 2);
	KUNIT_EXPECT_EQ(test, build_one(0, 4 * 4096, K4, lists, 1, &prp), -EINVAL);
}

static void too_many_entries(struct kunit *test)
{
	struct cnvme_prp_list lists[1];
	struct cnvme_prp prp;

	KUNIT_EXPECT_EQ(test, build_one(0, 3 * 4096, K4, NULL, 0, &prp), -E2BIG);
	lists[0] = list_page(test, LIST0, 512);
	KUNIT_EXPECT_EQ(test, build_one(0x40000200, 4 << 20, K4, lists, 1, &prp), -E2BIG);
}

static void unexpressible_layouts(struct kunit *test)
{
	static const struct cnvme_segment empty_last[] = {
		{ 0x1000, 4096 }, { 0x3000, 0 },
	};
	static const struct cnvme_segment unaligned_start[] = {
		{ 0x1000, 4096 }, { 0x3010, 4096 },
	};
	static const struct cnvme_segment unaligned_end[] = {
		{ 0x1000, 0x800 }, { 0x3000, 4096 },
	};
	static const struct cnvme_segment pages_4k[] = {
		{ 0x1000, 4096 }, { 0x3000, 4096 },
	};
	struct cnvme_prp_list lists[1];
	struct cnvme_prp prp;

	lists[0] = list_page(test, LIST0, 512);
	/* No data, empty segment. */
	KUNIT_EXPECT_EQ(test, cnvme_prp_build(NULL, 0, K4, lists, 1, &prp), -EINVAL);
	KUNIT_EXPECT_EQ(test, build_one(0x1000, 0, K4, lists, 1, &prp), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_prp_build(empty_last, 2, K4, lists, 1, &prp), -EINVAL);
	/* First byte not dword aligned. */
	KUNIT_EXPECT_EQ(test, build_one(0x1002, 512, K4, lists, 1, &prp), -EINVAL);
	/* A later segment not starting on a page boundary. */
	KUNIT_EXPECT_EQ(test, cnvme_prp_build(unaligned_start, 2, K4, lists, 1, &prp), -EINVAL);
	/* A segment other than the last not ending on one. */
	KUNIT_EXPECT_EQ(test, cnvme_prp_build(unaligned_end, 2, K4, lists, 1, &prp), -EINVAL);
	/* Fine with 4 KiB pages, not with 8 KiB ones. */
	KUNIT_EXPECT_EQ(test, cnvme_prp_build(pages_4k, 2, K4, lists, 1, &prp), 0);
	KUNIT_EXPECT_EQ(test, cnvme_prp_build(pages_4k, 2, cnvme_page_shift(8192), lists, 1, &prp),
			-EINVAL);
	/* Wrapping the address space. */
	KUNIT_EXPECT_EQ(test, build_one(U64_MAX - 0xfff, 8192, K4, lists, 1, &prp), -EINVAL);
}

static void list_pages_count(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, cnvme_prp_list_pages_needed(0, 0, K4), 0);
	KUNIT_EXPECT_EQ(test, cnvme_prp_list_pages_needed(4096, 0, K4), 0);
	KUNIT_EXPECT_EQ(test, cnvme_prp_list_pages_needed(8192, 0, K4), 0);
	KUNIT_EXPECT_EQ(test, cnvme_prp_list_pages_needed(8192, 0x200, K4), 1);
	KUNIT_EXPECT_EQ(test, cnvme_prp_list_pages_needed(512, 0xf00, K4), 0);
	KUNIT_EXPECT_EQ(test, cnvme_prp_list_pages_needed(2 << 20, 0, K4), 1);
	KUNIT_EXPECT_EQ(test, cnvme_prp_list_pages_needed(2 << 20, 0x200, K4), 1);
	KUNIT_EXPECT_EQ(test, cnvme_prp_list_pages_needed((2 << 20) + 4096, 0x200, K4), 2);
	KUNIT_EXPECT_EQ(test, cnvme_prp_list_pages_needed(4 << 20, 0, K4), 2);
	KUNIT_EXPECT_EQ(test, cnvme_prp_list_pages_needed((4 << 20) + 4096, 0, K4), 3);
	/* The offset counts modulo the page size. */
	KUNIT_EXPECT_EQ(test, cnvme_prp_list_pages_needed(8192, 4096 + 0x200, K4), 1);
	KUNIT_EXPECT_EQ(test, cnvme_prp_list_pages_needed(2 << 20, 0, CNVME_PAGE_SHIFT_64K), 1);
	KUNIT_EXPECT_EQ(test, cnvme_prp_list_pages_needed(128 << 10, 0, CNVME_PAGE_SHIFT_64K), 0);
}

static struct kunit_case cnvme_prp_cases[] = {
	KUNIT_CASE(one_or_two_pages),
	KUNIT_CASE(one_segment_agrees_with_the_walk),
	KUNIT_CASE(short_list),
	KUNIT_CASE(two_mib),
	KUNIT_CASE(chained_lists),
	KUNIT_CASE(list_at_an_offset),
	KUNIT_CASE(too_many_entries),
	KUNIT_CASE(unexpressible_layouts),
	KUNIT_CASE(list_pages_count),
	{}
};

static struct kunit_suite cnvme_prp_suite = {
	.name = "cnvme_prp",
	.test_cases = cnvme_prp_cases,
};

/* identify.c */

/* An LBA format: metadata size and log2 of the block size. */
struct lbaf {
	u16 ms;
	u8 lbads;
};

/* Returns a zeroed identify buffer. */
static u8 *buffer(struct kunit *test)
{
	u8 *b = kunit_kzalloc(test, CNVME_IDENTIFY_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, b);
	return b;
}

/* Stores @s at @b, padded with spaces to @size bytes. */
static void put_str(u8 *b, const char *s, size_t size)
{
	memset(b, ' ', size);
	memcpy(b, s, strlen(s));
}

/* Returns an Identify Controller buffer like QEMU's. */
static u8 *ctrl(struct kunit *test)
{
	u8 *b = buffer(test);

	put_unaligned_le16(0x1b36, b);
	put_str(b + 4, "deadbeef", 20);
	put_str(b + 24, "QEMU NVMe Ctrl", 40);
	put_str(b + 64, "9.0.0", 8);
	b[77] = 7;
	put_unaligned_le16(0x0102, b + 78);
	put_unaligned_le32(0x00010400, b + 80);
	put_unaligned_le16(0x010a, b + 256);
	b[512] = 0x66;
	b[513] = 0x44;
	put_unaligned_le32(256, b + 516);
	put_unaligned_le16(0x015d, b + 520);
	b[525] = 0x07;
	put_unaligned_le32(0x00100001, b + 536);
	return b;
}

/*
 * Returns an Identify Namespace buffer of @nsze blocks with the @nr formats
 * @formats, formatted with @flbas.
 */
static u8 *ns(struct kunit *test, u64 nsze, u8 flbas,
	      const struct lbaf *formats, unsigned int nr)
{
	u8 *b = buffer(test);
	unsigned int i;

	put_unaligned_le64(nsze, b);
	put_unaligned_le64(nsze, b + 8);
	put_unaligned_le64(nsze / 2, b + 16);
	b[25] = nr - 1;
	b[26] = flbas;
	for (i = 0; i < nr; i++) {
		put_unaligned_le16(formats[i].ms, b + 128 + 4 * i);
		b[128 + 4 * i + 2] = formats[i].lbads;
		b[128 + 4 * i + 3] = 0xfe;
	}
	return b;
}

/* Returns an active namespace list buffer holding the @nr IDs @ids. */
static u8 *ns_list(struct kunit *test, const u32 *ids, unsigned int nr)
{
	u8 *b = buffer(test);
	unsigned int i;

	for (i = 0; i < nr; i++)
		put_unaligned_le32(ids[i], b + 4 * i);
	return b;
}

/* Fills @formats with @nr 512-byte formats without metadata. */
static void formats_512(struct lbaf *formats, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		formats[i] = (struct lbaf){ .ms = 0, .lbads = 9 };
}

/* Expects an Identify string of trimmed length @len to be @want. */
static void expect_trimmed(struct kunit *test, const char *field, size_t len,
			   const char *want)
{
	char s[41] = {};

	KUNIT_ASSERT_LT(test, len, sizeof(s));
	memcpy(s, field, len);
	KUNIT_EXPECT_STREQ(test, s, want);
}

static void controller_fields(struct kunit *test)
{
	struct cnvme_id_ctrl id;
	u8 *b = ctrl(test);

	KUNIT_ASSERT_EQ(test, cnvme_id_ctrl_parse(&id, b, CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, id.vid, 0x1b36);
	expect_trimmed(test, id.sn, cnvme_id_ctrl_serial_len(&id), "deadbeef");
	expect_trimmed(test, id.mn, cnvme_id_ctrl_model_len(&id), "QEMU NVMe Ctrl");
	expect_trimmed(test, id.fr, cnvme_id_ctrl_firmware_len(&id), "9.0.0");
	KUNIT_EXPECT_EQ(test, id.mdts, 7);
	KUNIT_EXPECT_EQ(test, id.cntlid, 0x0102);
	KUNIT_EXPECT_EQ(test, id.ver, 0x00010400);
	KUNIT_EXPECT_EQ(test, id.oacs, 0x010a);
	KUNIT_EXPECT_TRUE(test, cnvme_id_ctrl_supports_dbbuf(&id));
	KUNIT_EXPECT_EQ(test, id.nn, 256);
	KUNIT_EXPECT_TRUE(test, cnvme_id_ctrl_supports_dsm(&id));
	KUNIT_EXPECT_TRUE(test, cnvme_id_ctrl_supports_write_zeroes(&id));
	KUNIT_EXPECT_TRUE(test, cnvme_id_ctrl_has_volatile_write_cache(&id));
	KUNIT_EXPECT_TRUE(test, cnvme_id_ctrl_supports_sgls(&id));
	KUNIT_EXPECT_EQ(test, id.sgls, 0x00100001);

	/* The optional features, absent. */
	b = ctrl(test);
	put_unaligned_le16(0x00ff, b + 256);
	put_unaligned_le16(0x0003, b + 520);
	b[525] = 0x06;
	put_unaligned_le32(0, b + 536);
	KUNIT_ASSERT_EQ(test, cnvme_id_ctrl_parse(&id, b, CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_FALSE(test, cnvme_id_ctrl_supports_dbbuf(&id));
	KUNIT_EXPECT_FALSE(test, cnvme_id_ctrl_supports_dsm(&id));
	KUNIT_EXPECT_FALSE(test, cnvme_id_ctrl_supports_write_zeroes(&id));
	KUNIT_EXPECT_FALSE(test, cnvme_id_ctrl_has_volatile_write_cache(&id));
	KUNIT_EXPECT_FALSE(test, cnvme_id_ctrl_supports_sgls(&id));

	/* Padding with NULs, and a field that is all padding. */
	memset(b + 4, 0, 20);
	b[4] = 'A';
	b[7] = ' ';
	memset(b + 64, ' ', 8);
	KUNIT_ASSERT_EQ(test, cnvme_id_ctrl_parse(&id, b, CNVME_IDENTIFY_SIZE), 0);
	expect_trimmed(test, id.sn, cnvme_id_ctrl_serial_len(&id), "A");
	expect_trimmed(test, id.fr, cnvme_id_ctrl_firmware_len(&id), "");
}

static void controller_rejects(struct kunit *test)
{
	struct cnvme_id_ctrl id;
	u8 *b = ctrl(test);

	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_parse(&id, b, 4095), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_parse(&id, NULL, 0), -EINVAL);
	/* No 64-byte submission entries. */
	b = ctrl(test);
	b[512] = 0x55;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_parse(&id, b, CNVME_IDENTIFY_SIZE), -EINVAL);
	b[512] = 0x77;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_parse(&id, b, CNVME_IDENTIFY_SIZE), -EINVAL);
	/* No 16-byte completion entries. */
	b = ctrl(test);
	b[513] = 0x33;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_parse(&id, b, CNVME_IDENTIFY_SIZE), -EINVAL);
	/* A range that includes the sizes is fine. */
	b[513] = 0x54;
	b[512] = 0x76;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_parse(&id, b, CNVME_IDENTIFY_SIZE), 0);
}

static void max_transfer(struct kunit *test)
{
	struct cnvme_id_ctrl id;

	KUNIT_ASSERT_EQ(test, cnvme_id_ctrl_parse(&id, ctrl(test), CNVME_IDENTIFY_SIZE), 0);
	id.mdts = 0;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(&id, K4),
			CNVME_MAX_TRANSFER_BYTES);
	id.mdts = 5;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(&id, K4), 128 * 1024);
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(&id, cnvme_page_shift(8192)),
			256 * 1024);
	id.mdts = 9;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(&id, K4), 2 << 20);
	id.mdts = 10;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(&id, K4),
			CNVME_MAX_TRANSFER_BYTES);
	id.mdts = 5;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(&id, CNVME_PAGE_SHIFT_64K),
			CNVME_MAX_TRANSFER_BYTES);
	id.mdts = 1;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(&id, K4), 8192);
	/* Shifts beyond the word size do not overflow. */
	id.mdts = 60;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(&id, K4),
			CNVME_MAX_TRANSFER_BYTES);
	id.mdts = 255;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(&id, CNVME_PAGE_SHIFT_64K),
			CNVME_MAX_TRANSFER_BYTES);
}

static void namespace_fields(struct kunit *test)
{
	static const struct lbaf f512_4k[] = { { 0, 9 }, { 0, 12 } };
	static const struct lbaf f64k[] = { { 0, 16 } };
	struct cnvme_id_ns id;

	KUNIT_ASSERT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 0x100000, 1, f512_4k, 2),
						CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, id.nsze, 0x100000);
	KUNIT_EXPECT_EQ(test, id.ncap, 0x100000);
	KUNIT_EXPECT_EQ(test, id.nuse, 0x80000);
	KUNIT_EXPECT_EQ(test, id.nlbaf, 1);
	KUNIT_EXPECT_EQ(test, id.format, 1);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_lba_shift(&id), 12);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_lba_size(&id), 4096);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_capacity_sectors(&id), 0x100000 * 8);
	KUNIT_EXPECT_EQ(test, id.rp, 2);

	KUNIT_ASSERT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 1000, 0, f512_4k, 2),
						CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_lba_size(&id), 512);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_capacity_sectors(&id), 1000);

	/* Bits 4 (extended metadata) and 7 of FLBAS are not part of the index. */
	KUNIT_ASSERT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 8, 0x90, f64k, 1),
						CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, id.format, 0);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_capacity_sectors(&id), 8 * 128);
}

static void namespace_format_index(struct kunit *test)
{
	static const struct lbaf four[] = { { 0, 9 }, { 0, 12 }, { 0, 9 }, { 0, 9 } };
	struct lbaf formats[64];
	struct cnvme_id_ns id;

	/* 21 formats: bits 6:5 of FLBAS are the upper bits of the index, 0x21 selects 17. */
	formats_512(formats, 21);
	formats[17].lbads = 12;
	KUNIT_ASSERT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 64, 0x21, formats, 21),
						CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, id.format, 17);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_lba_shift(&id), 12);

	/* 17 formats (NLBAF 16): the upper bits count too. */
	formats_512(formats, 17);
	formats[16].lbads = 13;
	KUNIT_ASSERT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 64, 0x20, formats, 17),
						CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, id.format, 16);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_lba_shift(&id), 13);

	/* 16 formats or fewer: bits 6:5 are ignored. */
	KUNIT_ASSERT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 64, 0x21, four, 4),
						CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, id.format, 1);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_lba_shift(&id), 12);

	/* 64 formats, the last one. */
	formats_512(formats, 64);
	formats[63].lbads = 12;
	KUNIT_ASSERT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 64, 0x6f, formats, 64),
						CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, id.format, 63);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_lba_shift(&id), 12);
}

static void namespace_rejects(struct kunit *test)
{
	static const struct lbaf f512[] = { { 0, 9 } };
	static const struct lbaf f512_4k[] = { { 0, 9 }, { 0, 12 } };
	static const struct lbaf f256[] = { { 0, 8 } };
	static const struct lbaf f128k[] = { { 0, 17 } };
	static const struct lbaf f1[] = { { 0, 0 } };
	static const struct lbaf f512_md[] = { { 8, 9 } };
	static const struct lbaf f512_4k_md[] = { { 0, 9 }, { 64, 12 } };
	static const struct lbaf f4k[] = { { 0, 12 } };
	struct lbaf formats[17];
	struct cnvme_id_ns id;
	u8 *b;

	/* Inactive namespace (all zeroes) and empty namespace. */
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, buffer(test), CNVME_IDENTIFY_SIZE), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 0, 0, f512, 1),
						CNVME_IDENTIFY_SIZE), -EINVAL);
	/* Short buffer. */
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 8, 0, f512, 1), 100), -EINVAL);
	/* Format index beyond the formats listed. */
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 8, 2, f512_4k, 2),
						CNVME_IDENTIFY_SIZE), -EINVAL);
	formats_512(formats, 17);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 8, 0x21, formats, 17),
						CNVME_IDENTIFY_SIZE), -EINVAL);
	/* More formats than the structure holds. */
	b = ns(test, 8, 0, f512, 1);
	b[25] = 64;
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, b, CNVME_IDENTIFY_SIZE), -EINVAL);
	/* Block sizes out of range. */
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 8, 0, f256, 1),
						CNVME_IDENTIFY_SIZE), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 8, 0, f128k, 1),
						CNVME_IDENTIFY_SIZE), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 8, 0, f1, 1),
						CNVME_IDENTIFY_SIZE), -EINVAL);
	/* Metadata. */
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 8, 0, f512_md, 1),
						CNVME_IDENTIFY_SIZE), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, ns(test, 8, 1, f512_4k_md, 2),
						CNVME_IDENTIFY_SIZE), -EOPNOTSUPP);
	/* A size that overflows in 512-byte sectors. */
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, ns(test, U64_MAX >> 2, 0, f4k, 1),
						CNVME_IDENTIFY_SIZE), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, ns(test, U64_MAX >> 3, 0, f4k, 1),
						CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, cnvme_id_ns_parse(&id, ns(test, U64_MAX, 0, f512, 1),
						CNVME_IDENTIFY_SIZE), 0);
}

static void active_namespaces(struct kunit *test)
{
	static const u32 ids[] = { 1, 2, 5, 0, 7 };
	static const u32 big[] = { 0x12345678 };
	static const u32 below_broadcast[] = { 0xfffffffe };
	struct cnvme_ns_list list;

	KUNIT_ASSERT_EQ(test, cnvme_ns_list_parse(&list, ns_list(test, ids, 5),
						  CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, list.len, 3);
	KUNIT_EXPECT_FALSE(test, cnvme_ns_list_is_empty(&list));
	KUNIT_EXPECT_FALSE(test, cnvme_ns_list_is_full(&list));
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_id(&list, 0), 1);
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_id(&list, 1), 2);
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_id(&list, 2), 5);
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_id(&list, 3), 0);
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_last(&list), 5);

	KUNIT_ASSERT_EQ(test, cnvme_ns_list_parse(&list, ns_list(test, NULL, 0),
						  CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_TRUE(test, cnvme_ns_list_is_empty(&list));
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_last(&list), 0);

	KUNIT_ASSERT_EQ(test, cnvme_ns_list_parse(&list, ns_list(test, big, 1),
						  CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_last(&list), 0x12345678);
	KUNIT_ASSERT_EQ(test, cnvme_ns_list_parse(&list, ns_list(test, below_broadcast, 1),
						  CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, list.len, 1);
}

static void active_namespaces_full(struct kunit *test)
{
	struct cnvme_ns_list list;
	u8 *b = buffer(test);
	unsigned int i, n;

	for (i = 0; i < CNVME_NS_LIST_MAX; i++)
		put_unaligned_le32(i * 3 + 10, b + 4 * i);
	KUNIT_ASSERT_EQ(test, cnvme_ns_list_parse(&list, b, CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, list.len, 1024);
	KUNIT_EXPECT_TRUE(test, cnvme_ns_list_is_full(&list));
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_last(&list), 1023 * 3 + 10);
	for (n = 0; cnvme_ns_list_id(&list, n); n++)
		;
	KUNIT_EXPECT_EQ(test, n, 1024);
}

static void active_namespaces_reject(struct kunit *test)
{
	static const u32 twice[] = { 3, 3 };
	static const u32 down[] = { 5, 2 };
	static const u32 late_down[] = { 1, 2, 4, 3 };
	static const u32 broadcast[] = { 1, 0xffffffff };
	static const u32 one[] = { 1 };
	static const u32 garbage[] = { 4, 0, 2, 1 };
	struct cnvme_ns_list list;

	KUNIT_EXPECT_LT(test, cnvme_ns_list_parse(&list, ns_list(test, twice, 2),
						  CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_LT(test, cnvme_ns_list_parse(&list, ns_list(test, down, 2),
						  CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_LT(test, cnvme_ns_list_parse(&list, ns_list(test, late_down, 4),
						  CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_LT(test, cnvme_ns_list_parse(&list, ns_list(test, broadcast, 2),
						  CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_LT(test, cnvme_ns_list_parse(&list, ns_list(test, one, 1), 4092), 0);
	/* Garbage after the terminating zero is ignored. */
	KUNIT_ASSERT_EQ(test, cnvme_ns_list_parse(&list, ns_list(test, garbage, 4),
						  CNVME_IDENTIFY_SIZE), 0);
	KUNIT_EXPECT_EQ(test, list.len, 1);
}

static struct kunit_case cnvme_identify_cases[] = {
	KUNIT_CASE(controller_fields),
	KUNIT_CASE(controller_rejects),
	KUNIT_CASE(max_transfer),
	KUNIT_CASE(namespace_fields),
	KUNIT_CASE(namespace_format_index),
	KUNIT_CASE(namespace_rejects),
	KUNIT_CASE(active_namespaces),
	KUNIT_CASE(active_namespaces_full),
	KUNIT_CASE(active_namespaces_reject),
	{}
};

static struct kunit_suite cnvme_identify_suite = {
	.name = "cnvme_identify",
	.test_cases = cnvme_identify_cases,
};

kunit_test_suites(&cnvme_regs_suite, &cnvme_cmd_suite, &cnvme_ring_suite,
		  &cnvme_prp_suite, &cnvme_identify_suite);

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
MODULE_DESCRIPTION("KUnit suites of the cnvme driver");
MODULE_LICENSE("GPL");
