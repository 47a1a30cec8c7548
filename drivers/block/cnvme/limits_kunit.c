// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite cnvme_limits: the discard and write zeroes limits of a disk
 * (cnvme_disk_limits()) and the NVM command set limits they come from
 * (cnvme_nvm_limits_parse()), the cases of rnvme's rnvme_limits.
 */

#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/unaligned.h>

#include "cnvme.h"

#define K4	CNVME_PAGE_SHIFT_4K

/* ONCS with Dataset Management (bit 2) and Write Zeroes (bit 3), as QEMU's. */
#define ONCS_QEMU	0x015d

/* Returns a controller of NVMe version @ver with @oncs. */
static struct nvme_id_ctrl *ctrl(struct kunit *test, u32 ver, u16 oncs)
{
	struct nvme_id_ctrl *id = kunit_kzalloc(test, sizeof(*id), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, id);
	id->ver = cpu_to_le32(ver);
	id->oncs = cpu_to_le16(oncs);
	return id;
}

/* Fills @ns as a namespace of 4096 blocks of 2^@lbads bytes. */
static void ns(struct cnvme_ns_info *ns, u8 lbads, u8 dlfeat)
{
	*ns = (struct cnvme_ns_info){ .nsze = 4096, .lba_shift = lbads,
				      .dlfeat = dlfeat };
}

static void qemu_like(struct kunit *test)
{
	/* QEMU: a DMRSL, no DMRL, no WZSL. */
	struct cnvme_nvm_limits nvm = { .dmrsl = 0x8000 };
	struct cnvme_disk_limits l;
	struct nvme_id_ctrl *id;
	struct cnvme_ns_info n;

	id = ctrl(test, 0x00010400, ONCS_QEMU);
	/* 512-byte blocks, deallocated blocks read as zeroes, DEAC allowed. */
	ns(&n, 9, 0x09);
	cnvme_disk_limits(id, &nvm, &n, 1024, K4, &l);
	KUNIT_EXPECT_EQ(test, l.discard_sectors, 0x8000);
	KUNIT_EXPECT_EQ(test, l.discard_segments, 256);
	KUNIT_EXPECT_EQ(test, l.discard_granularity, 512);
	KUNIT_EXPECT_EQ(test, l.write_zeroes_sectors, 1024);
	KUNIT_EXPECT_EQ(test, l.write_zeroes_unmap_sectors, 1024);
	/* 4096-byte blocks: DMRSL counts blocks, limits count sectors. */
	ns(&n, 12, 0x01);
	cnvme_disk_limits(id, &nvm, &n, 1024, K4, &l);
	KUNIT_EXPECT_EQ(test, l.discard_sectors, 0x8000 * 8);
	KUNIT_EXPECT_EQ(test, l.write_zeroes_unmap_sectors, 0);
}

static void discard(struct kunit *test)
{
	struct cnvme_nvm_limits nvm = {};
	struct cnvme_disk_limits l;
	struct nvme_id_ctrl *id;
	struct cnvme_ns_info n;

	id = ctrl(test, 0x00010400, ONCS_QEMU);
	ns(&n, 12, 0);
	/* No range size limit: any size. */
	cnvme_disk_limits(id, &nvm, &n, 1024, K4, &l);
	KUNIT_EXPECT_EQ(test, l.discard_sectors, UINT_MAX);
	KUNIT_EXPECT_EQ(test, l.discard_segments, 256);
	/* A limit that overflows in sectors: as if there were none. */
	nvm.dmrsl = 0x20000000;
	cnvme_disk_limits(id, &nvm, &n, 1024, K4, &l);
	KUNIT_EXPECT_EQ(test, l.discard_sectors, UINT_MAX);
	nvm.dmrsl = 0x1fffffff;
	cnvme_disk_limits(id, &nvm, &n, 1024, K4, &l);
	KUNIT_EXPECT_EQ(test, l.discard_sectors, 0xfffffff8);
	/* A ranges limit. */
	nvm = (struct cnvme_nvm_limits){ .dmrl = 1 };
	cnvme_disk_limits(id, &nvm, &n, 1024, K4, &l);
	KUNIT_EXPECT_EQ(test, l.discard_segments, 1);
	/* No Dataset Management: no discard, whatever the other limits say. */
	nvm = (struct cnvme_nvm_limits){};
	id = ctrl(test, 0x00010400, ONCS_QEMU & ~BIT(2));
	cnvme_disk_limits(id, &nvm, &n, 1024, K4, &l);
	KUNIT_EXPECT_EQ(test, l.discard_sectors, 0);
	KUNIT_EXPECT_EQ(test, l.write_zeroes_sectors, 1024);
}

/*
 * Returns the discard granularity of a namespace of 2^@lbads-byte blocks with
 * @nsfeat, @npdg and @npda, on a controller of version @ver.
 */
static u32 granularity(struct kunit *test, u32 ver, u8 nsfeat, u16 npdg,
		       u16 npda, u8 lbads)
{
	struct cnvme_nvm_limits nvm = {};
	struct cnvme_disk_limits l;
	struct nvme_id_ctrl *id;
	struct cnvme_ns_info n;

	id = ctrl(test, ver, ONCS_QEMU);
	ns(&n, lbads, 0);
	n.nsfeat = nsfeat;
	n.npdg = npdg;
	n.npda = npda;
	cnvme_disk_limits(id, &nvm, &n, 1024, K4, &l);
	return l.discard_granularity;
}

static void discard_granularity(struct kunit *test)
{
	/* QEMU: OPTPERF, NPDG and NPDA 7 for 512-byte blocks, 0 for 4096. */
	KUNIT_EXPECT_EQ(test, granularity(test, 0x00010400, 0x10, 7, 7, 9), 4096);
	KUNIT_EXPECT_EQ(test, granularity(test, 0x00010400, 0x10, 0, 0, 12), 4096);
	/* Without OPTPERF the fields mean nothing: the logical block. */
	KUNIT_EXPECT_EQ(test, granularity(test, 0x00010400, 0x00, 7, 7, 9), 512);
	/* The larger of granularity and alignment. */
	KUNIT_EXPECT_EQ(test, granularity(test, 0x00010400, 0x10, 1, 15, 9), 8192);
	KUNIT_EXPECT_EQ(test, granularity(test, 0x00010400, 0x10, 15, 1, 9), 8192);
	/* The second OPTPERF bit alone: from NVMe 2.1 on, the alignment. */
	KUNIT_EXPECT_EQ(test, granularity(test, 0x00010400, 0x20, 15, 1, 9), 512);
	KUNIT_EXPECT_EQ(test, granularity(test, 0x00020100, 0x20, 15, 1, 9), 1024);
	KUNIT_EXPECT_EQ(test, granularity(test, 0x00020100, 0x30, 15, 1, 9), 8192);
	/* An overflowing product: the logical block. */
	KUNIT_EXPECT_EQ(test, granularity(test, 0x00010400, 0x10, 0xffff, 0, 16), 65536);
	KUNIT_EXPECT_EQ(test, granularity(test, 0x00010400, 0x10, 0xfffe, 0, 16),
			65535U * 65536);
}

static void write_zeroes(struct kunit *test)
{
	struct cnvme_nvm_limits nvm = { .wzsl = 7 };
	struct cnvme_disk_limits l;
	struct nvme_id_ctrl *id;
	struct cnvme_ns_info n;

	id = ctrl(test, 0x00010400, ONCS_QEMU);
	ns(&n, 9, 0x09);
	/* WZSL in minimum memory pages: 2^7 pages of 4 KiB are 1024 sectors. */
	cnvme_disk_limits(id, &nvm, &n, 256, K4, &l);
	KUNIT_EXPECT_EQ(test, l.write_zeroes_sectors, 1024);
	KUNIT_EXPECT_EQ(test, l.write_zeroes_unmap_sectors, 1024);
	cnvme_disk_limits(id, &nvm, &n, 256, 16, &l);
	KUNIT_EXPECT_EQ(test, l.write_zeroes_sectors, 1U << 14);
	/* At most 65536 blocks, the command's count. */
	nvm.wzsl = 40;
	cnvme_disk_limits(id, &nvm, &n, 256, K4, &l);
	KUNIT_EXPECT_EQ(test, l.write_zeroes_sectors, 65536);
	ns(&n, 12, 0);
	cnvme_disk_limits(id, &nvm, &n, 256, K4, &l);
	KUNIT_EXPECT_EQ(test, l.write_zeroes_sectors, 65536 * 8);
	/* No Write Zeroes support. */
	nvm.wzsl = 7;
	id = ctrl(test, 0x00010400, 0x0004);
	ns(&n, 9, 0x09);
	cnvme_disk_limits(id, &nvm, &n, 256, K4, &l);
	KUNIT_EXPECT_EQ(test, l.write_zeroes_sectors, 0);
	KUNIT_EXPECT_EQ(test, l.write_zeroes_unmap_sectors, 0);
}

static void deallocate_zeroes(struct kunit *test)
{
	/*
	 * DLFEAT: deallocated blocks read as zeroes (1) and Write Zeroes may
	 * deallocate (bit 3); both are needed.
	 */
	static const struct { u8 dlfeat; bool deac; } cases[] = {
		{ 0x09, true }, { 0x19, true }, { 0x01, false }, { 0x08, false },
		{ 0x0a, false }, { 0x0f, false }, { 0x00, false },
	};
	struct cnvme_nvm_limits nvm = {};
	struct cnvme_disk_limits l;
	struct nvme_id_ctrl *id;
	struct cnvme_ns_info n;
	unsigned int i;

	id = ctrl(test, 0x00010400, ONCS_QEMU);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ns(&n, 9, cases[i].dlfeat);
		cnvme_disk_limits(id, &nvm, &n, 1024, K4, &l);
		KUNIT_EXPECT_EQ_MSG(test, l.write_zeroes_unmap_sectors > 0,
				    cases[i].deac, "DLFEAT %#x", cases[i].dlfeat);
	}
}

static void controller_nvm_limits(struct kunit *test)
{
	struct nvme_id_ctrl_nvm *id = kunit_kzalloc(test, sizeof(*id), GFP_KERNEL);
	struct cnvme_nvm_limits nvm;
	u8 *b = (u8 *)id;

	KUNIT_ASSERT_NOT_NULL(test, id);
	b[0] = 0xaa;
	b[1] = 7;
	b[2] = 0xbb;
	b[3] = 128;
	put_unaligned_le32(0x10000, b + 4);
	put_unaligned_le64(U64_MAX, b + 8);
	cnvme_nvm_limits_parse(id, &nvm);
	KUNIT_EXPECT_EQ(test, nvm.wzsl, 7);
	KUNIT_EXPECT_EQ(test, nvm.dmrl, 128);
	KUNIT_EXPECT_EQ(test, nvm.dmrsl, 0x10000);
}

static struct kunit_case cnvme_limits_cases[] = {
	KUNIT_CASE(qemu_like),
	KUNIT_CASE(discard),
	KUNIT_CASE(discard_granularity),
	KUNIT_CASE(write_zeroes),
	KUNIT_CASE(deallocate_zeroes),
	KUNIT_CASE(controller_nvm_limits),
	{}
};

static struct kunit_suite cnvme_limits_suite = {
	.name = "cnvme_limits",
	.test_cases = cnvme_limits_cases,
};

kunit_test_suite(cnvme_limits_suite);
