// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite cnvme_regs: the controller register helpers of cnvme.h, and
 * the register layout of <linux/nvme.h> they rely on.
 *
 * The suites of cnvme_kunit.ko are one per file (regs_kunit.c, cmd_kunit.c,
 * ring_kunit.c, prp_kunit.c, identify_kunit.c); this one also carries the
 * module's information.
 */

#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/module.h>

#include "cnvme.h"

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

	KUNIT_EXPECT_EQ(test, NVME_CAP_MQES(cap), 0x7ff);
	KUNIT_EXPECT_EQ(test, NVME_CAP_TIMEOUT(cap), 0x0f);
	KUNIT_EXPECT_EQ(test, NVME_CAP_STRIDE(cap), 0);
	KUNIT_EXPECT_FALSE(test, NVME_CAP_NSSRC(cap));
	KUNIT_EXPECT_EQ(test, NVME_CAP_CSS(cap), 0x41);
	KUNIT_EXPECT_TRUE(test, NVME_CAP_CSS(cap) & NVME_CAP_CSS_NVM);
	KUNIT_EXPECT_EQ(test, NVME_CAP_MPSMIN(cap), 0);
	KUNIT_EXPECT_EQ(test, NVME_CAP_MPSMAX(cap), 4);

	/* Every field at its extremes, to catch an off-by-one bit range. */
	cap = (0xfULL << 52) | (0xfULL << 48) | (0xfULL << 32) | (1ULL << 36) |
	      0xffff;
	KUNIT_EXPECT_EQ(test, NVME_CAP_MQES(cap), 0xffff);
	KUNIT_EXPECT_EQ(test, NVME_CAP_STRIDE(cap), 15);
	KUNIT_EXPECT_TRUE(test, NVME_CAP_NSSRC(cap));
	KUNIT_EXPECT_EQ(test, NVME_CAP_CSS(cap), 0);
	KUNIT_EXPECT_FALSE(test, NVME_CAP_CSS(cap) & NVME_CAP_CSS_NVM);
	KUNIT_EXPECT_EQ(test, NVME_CAP_MPSMIN(cap), 0xf);
	KUNIT_EXPECT_EQ(test, NVME_CAP_MPSMAX(cap), 0xf);
	KUNIT_EXPECT_EQ(test, NVME_CAP_CSS(0xffULL << 37), 0xff);
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
	KUNIT_EXPECT_EQ(test, cnvme_page_shift_from_mps(1), cnvme_page_shift(8192));
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
	KUNIT_EXPECT_EQ(test, NVME_MAJOR(vs), mjr);
	KUNIT_EXPECT_EQ(test, NVME_MINOR(vs), mnr);
	KUNIT_EXPECT_EQ(test, NVME_TERTIARY(vs), ter);
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
	KUNIT_EXPECT_TRUE(test, cc & NVME_CC_ENABLE);
	KUNIT_EXPECT_EQ(test, cc & NVME_CC_CSS_MASK, NVME_CC_CSS_NVM);
	KUNIT_EXPECT_EQ(test, cc & NVME_CC_SHN_MASK, NVME_CC_SHN_NONE);
	KUNIT_ASSERT_EQ(test, cnvme_cc_enabled(CNVME_PAGE_SHIFT_64K, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0x00460201);
	KUNIT_ASSERT_EQ(test, cnvme_cc_enabled(cnvme_page_shift(8192), &v), 0);
	KUNIT_EXPECT_EQ(test, (v & NVME_CC_MPS_MASK) >> NVME_CC_MPS_SHIFT, 1);

	/* Shutdown requests keep the other fields. */
	shn = (cc & ~NVME_CC_SHN_MASK) | NVME_CC_SHN_NORMAL;
	KUNIT_EXPECT_EQ(test, shn, 0x00464001);
	KUNIT_EXPECT_EQ(test, (cc & ~NVME_CC_SHN_MASK) | NVME_CC_SHN_ABRUPT,
			0x00468001);
	KUNIT_EXPECT_EQ(test, shn & ~NVME_CC_ENABLE, 0x00464000);
}

static void csts_decode(struct kunit *test)
{
	u32 csts = 0x1;

	KUNIT_EXPECT_TRUE(test, csts & NVME_CSTS_RDY);
	KUNIT_EXPECT_FALSE(test, csts & NVME_CSTS_CFS);
	KUNIT_EXPECT_FALSE(test, cnvme_csts_shutdown_complete(csts));
	csts = 0x2;
	KUNIT_EXPECT_FALSE(test, csts & NVME_CSTS_RDY);
	KUNIT_EXPECT_TRUE(test, csts & NVME_CSTS_CFS);
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
	/* ASQS in bits 11:0, ACQS in 27:16, both 0's based. */
	KUNIT_EXPECT_EQ(test, aqa & 0xfff, 63);
	KUNIT_EXPECT_EQ(test, aqa >> 16 & 0xfff, 127);
	KUNIT_EXPECT_EQ(test, cnvme_aqa(1, 32, &aqa), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_aqa(32, 0, &aqa), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_aqa(4097, 32, &aqa), -EINVAL);
}

static void admin_queue_bases(struct kunit *test)
{
	u64 reg;

	KUNIT_ASSERT_EQ(test, cnvme_admin_queue_base(0x1000, &reg), 0);
	KUNIT_EXPECT_EQ(test, reg, 0x1000);
	KUNIT_ASSERT_EQ(test, cnvme_admin_queue_base(0x123456000, &reg), 0);
	KUNIT_EXPECT_EQ(test, reg, 0x123456000);
	/* ASQB and ACQB are bits 63:12. */
	KUNIT_EXPECT_EQ(test, reg >> 12, 0x123456);
	KUNIT_EXPECT_LT(test, cnvme_admin_queue_base(0x1001, &reg), 0);
	KUNIT_EXPECT_LT(test, cnvme_admin_queue_base(0x123456800, &reg), 0);
	KUNIT_ASSERT_EQ(test, cnvme_admin_queue_base(0, &reg), 0);
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

kunit_test_suite(cnvme_regs_suite);

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
MODULE_DESCRIPTION("KUnit suites of the cnvme driver");
MODULE_LICENSE("GPL");
