// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite cnvme_cmd: the command builders of cnvme.h and io.h, the
 * command identifiers of io.h (tag and generation), the command and
 * completion layouts of <linux/nvme.h> as the controller reads
 * and writes them, and the status mapping and retry decision of io.h.
 */

#include <kunit/test.h>
#include <linux/blkdev.h>
#include <linux/limits.h>
#include <linux/string.h>
#include <linux/unaligned.h>

#include "cnvme.h"
#include "io.h"

/* Returns dword @i of the command as the controller reads it from memory. */
static u32 dw(const struct nvme_command *cmd, unsigned int i)
{
	return get_unaligned_le32((const u8 *)cmd + 4 * i);
}

/* Expects CDW10 to CDW15 of @cmd to be @want. */
static void expect_cdw10_15(struct kunit *test, const struct nvme_command *cmd,
			    const u32 *want)
{
	unsigned int i;

	for (i = 0; i < 6; i++)
		KUNIT_EXPECT_EQ_MSG(test, dw(cmd, 10 + i), want[i], "CDW%u", 10 + i);
}

/* Returns a completion from the 16 bytes the controller writes, as dwords. */
static struct nvme_completion completion(u32 dw0, u32 dw1, u32 dw2, u32 dw3)
{
	const __le32 dws[4] = {
		cpu_to_le32(dw0), cpu_to_le32(dw1), cpu_to_le32(dw2), cpu_to_le32(dw3),
	};
	struct nvme_completion cqe;

	memcpy(&cqe, dws, sizeof(cqe));
	return cqe;
}

/* Returns the status of a completion whose DW3 is @dw3. */
static u16 cqe_status(u32 dw3)
{
	struct nvme_completion cqe = completion(0, 0, 0, dw3);

	return cnvme_cqe_status(&cqe);
}

/* Returns a status field (without phase) from its parts. */
static u16 status(u16 sct, u16 sc, bool dnr)
{
	return (u16)dnr << 14 | sct << 8 | sc;
}

static void entry_sizes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct nvme_command), 64);
	KUNIT_EXPECT_EQ(test, sizeof(struct nvme_completion), 16);
	KUNIT_EXPECT_EQ(test, sizeof(struct nvme_dsm_range), 16);
}

static void read_write_layout(struct kunit *test)
{
	struct nvme_command cmd;

	cnvme_cmd_rw(&cmd, nvme_cmd_read, 1, 0x123456789, 7, 0xaaaab000, 0xccccd0001000,
		     false);
	cmd.common.command_id = 0xbeef;
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
	KUNIT_EXPECT_EQ(test, cmd.common.opcode, 0x02);
	KUNIT_EXPECT_EQ(test, cmd.common.command_id, 0xbeef);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cmd.rw.dptr.prp1), 0xaaaab000);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cmd.rw.dptr.prp2), 0xccccd0001000);

	cnvme_cmd_rw(&cmd, nvme_cmd_write, 0xfffffffe, U64_MAX, 0xffff, 0x1000, 0, true);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x01);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cmd.rw.nsid), 0xfffffffe);
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
	struct nvme_completion cqe, want;
	struct nvme_command cmd;
	__le64 sq_slot[8];
	unsigned int i;

	/* A command becomes its slot byte for byte: quadword i holds dwords 2i and 2i + 1. */
	cnvme_cmd_rw(&cmd, nvme_cmd_read, 1, 0x123456789, 7, 0xaaaab000, 0xccccd0001000,
		     true);
	cmd.common.command_id = 0xbeef;
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
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cqe.result.u32), 0xdeadbeef);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.sq_head), 5);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.sq_id), 2);
	KUNIT_EXPECT_EQ(test, cqe.command_id, 0x1234);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.status) & 1, 1);
	KUNIT_EXPECT_EQ(test, cnvme_cqe_status(&cqe), 1);

	/* The phase check reads the status field alone: the upper half of DW3. */
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.status), le32_to_cpu(cq_slot[3]) >> 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct nvme_completion, status), 14);
}

static void cid_keeps_opcode(struct kunit *test)
{
	struct nvme_command cmd;

	cnvme_cmd_flush(&cmd, 3);
	cmd.common.command_id = 0xffff;
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0xffff0000);
	cmd.common.command_id = 0x0001;
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x00010000);
	cnvme_cmd_doorbell_buffer_config(&cmd, 0x1000, 0x2000);
	cmd.common.command_id = 0x1234;
	KUNIT_EXPECT_EQ(test, cmd.common.opcode, 0x7c);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x1234007c);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cmd.dbbuf.prp1), 0x1000);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cmd.dbbuf.prp2), 0x2000);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 1), 0);
}

static void cid_round_trip(struct kunit *test)
{
	u32 tag;
	u8 gen;

	/* The tags of a queue of the default depth. */
	for (tag = 0; tag < CNVME_DEFAULT_IO_QUEUE_DEPTH - 1; tag++) {
		for (gen = 0; gen < 16; gen++) {
			u16 cid = cnvme_cid(tag, gen);

			KUNIT_EXPECT_EQ(test, cnvme_cid_tag(cid), tag);
			KUNIT_EXPECT_EQ(test, cnvme_cid_gen(cid), gen);
		}
	}
	KUNIT_EXPECT_EQ(test, cnvme_cid(0, 0), 0);
	KUNIT_EXPECT_EQ(test, cnvme_cid(5, 1), 0x1005);
	KUNIT_EXPECT_EQ(test, cnvme_cid(126, 15), 0xf07e);
	/* Another generation of the same tag, as the stale-completion test makes. */
	KUNIT_EXPECT_EQ(test, cnvme_cid_tag(0x1005 ^ BIT(12)), 5);
	KUNIT_EXPECT_EQ(test, cnvme_cid_gen(0x1005 ^ BIT(12)), 0);
}

static void cid_generation_wraps(struct kunit *test)
{
	unsigned int i;
	u8 gen = 0;

	for (i = 1; i <= 32; i++) {
		gen = cnvme_cid_gen_next(gen);
		KUNIT_EXPECT_EQ(test, gen, i % 16);
	}
	KUNIT_EXPECT_EQ(test, cnvme_cid_gen_next(15), 0);
	/* Only four bits of the generation reach the identifier. */
	KUNIT_EXPECT_EQ(test, cnvme_cid(3, 16), cnvme_cid(3, 0));
	KUNIT_EXPECT_EQ(test, cnvme_cid(3, 0x13), cnvme_cid(3, 3));
	KUNIT_EXPECT_EQ(test, cnvme_cid(3, 0xff), 0xf003);
}

static void cid_tag_bits(struct kunit *test)
{
	struct nvme_command cmd;

	/* 4095, the largest tag of 12 bits. */
	KUNIT_EXPECT_EQ(test, cnvme_cid(4095, 0), 0x0fff);
	KUNIT_EXPECT_EQ(test, cnvme_cid(4095, 15), 0xffff);
	KUNIT_EXPECT_EQ(test, cnvme_cid_tag(0x0fff), 4095);
	KUNIT_EXPECT_EQ(test, cnvme_cid_tag(0xffff), 4095);
	KUNIT_EXPECT_EQ(test, cnvme_cid_gen(0x0fff), 0);
	KUNIT_EXPECT_EQ(test, cnvme_cid_gen(0xffff), 15);
	KUNIT_EXPECT_EQ(test, cnvme_cid_tag(cnvme_cid(4095, 9)), 4095);
	KUNIT_EXPECT_EQ(test, cnvme_cid_gen(cnvme_cid(4095, 9)), 9);
	/* A tag past 12 bits does not spill into the generation. */
	KUNIT_EXPECT_EQ(test, cnvme_cid(4096, 0), 0);
	KUNIT_EXPECT_EQ(test, cnvme_cid(4096 + 7, 2), 0x2007);
	/* It is the upper half of CDW0, as the controller reads it. */
	cnvme_cmd_flush(&cmd, 1);
	cmd.common.command_id = cnvme_cid(4095, 9);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x9fff0000);
}

static void other_io_commands(struct kunit *test)
{
	static const u8 range_lo[8] = { 0, 0, 0, 0, 0, 1, 0, 0 };
	static const u8 range_hi[8] = { 1, 0, 0, 0, 1, 0, 0, 0 };
	struct nvme_dsm_range range;
	struct nvme_command cmd;

	cnvme_cmd_flush(&cmd, 5);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x00);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 1), 5);
	expect_cdw10_15(test, &cmd, (const u32[]){ 0, 0, 0, 0, 0, 0 });

	/* A Dataset Management range as the controller reads it. */
	range.cattr = 0;
	range.nlb = cpu_to_le32(256);
	range.slba = cpu_to_le64(0x100000001);
	KUNIT_EXPECT_MEMEQ(test, (const u8 *)&range, range_lo, 8);
	KUNIT_EXPECT_MEMEQ(test, (const u8 *)&range + 8, range_hi, 8);
}

static void discard_commands(struct kunit *test)
{
	static const u8 range[16] = { 0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11,
				      8, 7, 6, 5, 4, 3, 2, 1 };
	struct nvme_dsm_range r;
	struct nvme_command cmd;

	cnvme_cmd_write_zeroes(&cmd, 5, 0x100000002ULL, 0xffff, false);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x08);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 1), 5);
	/* No data pointer. */
	KUNIT_EXPECT_EQ(test, dw(&cmd, 6) | dw(&cmd, 7) | dw(&cmd, 8) | dw(&cmd, 9), 0);
	expect_cdw10_15(test, &cmd, (const u32[]){ 2, 1, 0xffff, 0, 0, 0 });
	cnvme_cmd_write_zeroes(&cmd, 5, 8, 7, true);
	expect_cdw10_15(test, &cmd, (const u32[]){ 8, 0, BIT(25) | 7, 0, 0, 0 });

	cnvme_cmd_deallocate(&cmd, 7, 1, 0xabc00000);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x09);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 1), 7);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 6), 0xabc00000);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 7) | dw(&cmd, 8) | dw(&cmd, 9), 0);
	/* NR is 0's based; the Deallocate attribute is bit 2 of CDW11. */
	expect_cdw10_15(test, &cmd, (const u32[]){ 0, 4, 0, 0, 0, 0 });
	cnvme_cmd_deallocate(&cmd, 7, 256, 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 255);

	/* A range: context attributes, length (not 0's based), first block. */
	cnvme_dsm_range(&r, 0x0102030405060708ULL, 0x11223344);
	KUNIT_EXPECT_MEMEQ(test, (const u8 *)&r, range, 16);
}

static void admin_commands(struct kunit *test)
{
	struct nvme_command cmd;
	u32 nr_sq, nr_cq;

	cnvme_cmd_identify(&cmd, NVME_ID_CNS_CTRL, 0, 0x7000);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x06);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 6), 0x7000);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cmd.identify.dptr.prp2), 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 1);
	cnvme_cmd_identify(&cmd, NVME_ID_CNS_NS_ACTIVE_LIST, 4, 0x8000);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 1), 4);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 2);

	cnvme_cmd_set_num_queues(&cmd, 3, 7);
	KUNIT_EXPECT_EQ(test, cmd.common.opcode, 0x09);
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

	/* Set Features, FID 0x16, the data structure at PRP1. */
	cnvme_cmd_set_host_behavior(&cmd, 0x9000);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x09);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 6), 0x9000);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cmd.features.dptr.prp2), 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 0x16);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 11), 0);

	cnvme_cmd_delete_queue(&cmd, nvme_admin_delete_sq, 9);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x00);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 9);
	cnvme_cmd_delete_queue(&cmd, nvme_admin_delete_cq, 9);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x04);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 9);
}

static void create_queues(struct kunit *test)
{
	struct nvme_command cmd;

	KUNIT_ASSERT_EQ(test, cnvme_cmd_create_cq(&cmd, 1, 1024, 0x100000000, 3, true), 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x05);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 6), 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 7), 1);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 0x03ff0001);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 11), 0x00030003);
	KUNIT_ASSERT_EQ(test, cnvme_cmd_create_cq(&cmd, 0xffff, 65536, 0x1000, 0, false), 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 10), 0xffffffff);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 11), 0x00000001);

	KUNIT_ASSERT_EQ(test, cnvme_cmd_create_sq(&cmd, 2, 2, 0x3000, 5), 0);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 0), 0x01);
	KUNIT_EXPECT_EQ(test, dw(&cmd, 6), 0x3000);
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
	struct nvme_completion cqe;
	u16 st;

	/* DW0 result, DW1 reserved, DW2 SQID:SQHD, DW3 status:P:CID. */
	cqe = completion(0xdeadbeef, 0, 0x00020005, 0x00011234);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cqe.result.u32), 0xdeadbeef);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.sq_head), 5);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.sq_id), 2);
	KUNIT_EXPECT_EQ(test, cqe.command_id, 0x1234);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.status), 1);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(cnvme_cqe_status(&cqe)), BLK_STS_OK);

	/* Phase clear, DNR, SCT 0, SC 0x02 (invalid field). */
	cqe = completion(0, 0, 0, 0x8004U << 16 | 0xffff);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cqe.status) & 1, 0);
	KUNIT_EXPECT_EQ(test, cqe.command_id, 0xffff);
	st = cnvme_cqe_status(&cqe);
	KUNIT_EXPECT_TRUE(test, st & NVME_STATUS_DNR);
	KUNIT_EXPECT_EQ(test, NVME_SCT(st), 0);
	KUNIT_EXPECT_EQ(test, st & NVME_SCT_SC_MASK, NVME_SC_INVALID_FIELD);
	KUNIT_EXPECT_NE(test, cnvme_status_to_blk(st), BLK_STS_OK);

	/* Every status bit set, phase clear. */
	st = cqe_status(0xfffe0000);
	KUNIT_EXPECT_EQ(test, st, 0x7fff);
	KUNIT_EXPECT_TRUE(test, st & NVME_STATUS_MORE);
	KUNIT_EXPECT_EQ(test, st & NVME_STATUS_CRD, NVME_STATUS_CRD);
	KUNIT_EXPECT_EQ(test, NVME_SCT(st), 7);
	KUNIT_EXPECT_EQ(test, st & NVME_SC_MASK, 0xff);
}

static void status_field_bits(struct kunit *test)
{
	u16 st;

	/* SC in bits 24:17 of DW3, SCT in 27:25, CRD in 29:28, M in 30, DNR in 31. */
	st = cqe_status(0x81 << 17);
	KUNIT_EXPECT_EQ(test, NVME_SCT(st), 0);
	KUNIT_EXPECT_EQ(test, st & NVME_SC_MASK, 0x81);
	st = cqe_status(2 << 25);
	KUNIT_EXPECT_EQ(test, NVME_SCT(st), 2);
	KUNIT_EXPECT_EQ(test, st & NVME_SC_MASK, 0);
	st = cqe_status(1 << 28);
	KUNIT_EXPECT_EQ(test, st & NVME_STATUS_CRD, 1 << 11);
	KUNIT_EXPECT_FALSE(test, st & NVME_STATUS_MORE);
	KUNIT_EXPECT_TRUE(test, cqe_status(1 << 30) & NVME_STATUS_MORE);
	KUNIT_EXPECT_TRUE(test, cqe_status(1U << 31) & NVME_STATUS_DNR);
	/* The phase tag is not part of the status. */
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(cqe_status(1 << 16)), BLK_STS_OK);
}

/*
 * rnvme ends a request with an errno that blk-mq turns back into a
 * blk_status_t; cnvme hands the blk_status_t over itself. Either way each
 * outcome must stand for the errno that rnvme's BlkStatus::to_result() gives.
 */
static int status_errno(u16 status)
{
	return blk_status_to_errno(cnvme_status_to_blk(status));
}

static void blk_status_errors(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, status_errno(NVME_SC_SUCCESS), 0);
	KUNIT_EXPECT_EQ(test, status_errno(NVME_SC_ABORT_REQ), -EIO);
	KUNIT_EXPECT_EQ(test, status_errno(NVME_SC_INVALID_OPCODE), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, status_errno(NVME_SC_READ_ERROR), -ENODATA);
	KUNIT_EXPECT_EQ(test, status_errno(NVME_SC_GUARD_CHECK), -EILSEQ);
	KUNIT_EXPECT_EQ(test, status_errno(NVME_SC_CAP_EXCEEDED), -ENOSPC);
	KUNIT_EXPECT_EQ(test, status_errno(NVME_SC_LBA_RANGE), -EREMOTEIO);
	KUNIT_EXPECT_EQ(test, status_errno(NVME_SC_HOST_PATH_ERROR), -ENOLINK);
	KUNIT_EXPECT_EQ(test, status_errno(NVME_SC_RESERVATION_CONFLICT), -EBADE);
	KUNIT_EXPECT_EQ(test, status_errno(NVME_SC_ZONE_TOO_MANY_ACTIVE), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, status_errno(NVME_SC_ZONE_TOO_MANY_OPEN), -ETOOMANYREFS);
}

/* Upstream nvme's table, entry by entry, by SCT << 8 | SC. */
static const struct {
	u16 key;
	blk_status_t want;
} status_table[] = {
	{ 0x000, BLK_STS_OK },
	{ 0x081, BLK_STS_NOSPC },
	{ 0x080, BLK_STS_TARGET },
	{ 0x021, BLK_STS_TARGET },
	{ 0x082, BLK_STS_TARGET },
	{ 0x180, BLK_STS_NOTSUPP },
	{ 0x001, BLK_STS_NOTSUPP },
	{ 0x002, BLK_STS_NOTSUPP },
	{ 0x00b, BLK_STS_NOTSUPP },
	{ 0x280, BLK_STS_MEDIUM },
	{ 0x281, BLK_STS_MEDIUM },
	{ 0x287, BLK_STS_MEDIUM },
	{ 0x286, BLK_STS_MEDIUM },
	{ 0x182, BLK_STS_MEDIUM },
	{ 0x285, BLK_STS_MEDIUM },
	{ 0x282, BLK_STS_PROTECTION },
	{ 0x283, BLK_STS_PROTECTION },
	{ 0x284, BLK_STS_PROTECTION },
	{ 0x181, BLK_STS_PROTECTION },
	{ 0x083, BLK_STS_RESV_CONFLICT },
	{ 0x370, BLK_STS_TRANSPORT },
	{ 0x1bd, BLK_STS_ZONE_ACTIVE_RESOURCE },
	{ 0x1be, BLK_STS_ZONE_OPEN_RESOURCE },
	/* Not in the table: an I/O error. */
	{ 0x004, BLK_STS_IOERR },
};

static void blk_status_mapping(struct kunit *test)
{
	/*
	 * The same codes under another type mean something else; no other
	 * path status, no vendor specific status, has an entry.
	 */
	static const u16 io_errors[] = {
		0x101, 0x10b, 0x183, 0x200, 0x288, 0x300, 0x371, 0x381, 0x700, 0x7ff,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(status_table); i++) {
		u16 key = status_table[i].key;
		blk_status_t want = status_table[i].want;

		KUNIT_EXPECT_EQ_MSG(test, cnvme_status_to_blk(status(key >> 8, key & 0xff, false)),
				    want, "status %#x", key);
		KUNIT_EXPECT_EQ_MSG(test, cnvme_status_to_blk(status(key >> 8, key & 0xff, true)),
				    want, "status %#x with DNR", key);
	}
	for (i = 0; i < ARRAY_SIZE(io_errors); i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    cnvme_status_to_blk(status(io_errors[i] >> 8,
							       io_errors[i] & 0xff, false)),
				    BLK_STS_IOERR, "status %#x", io_errors[i]);
	/* The retry delay and More bits are not part of the key. */
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(NVME_STATUS_CRD | 0x281), BLK_STS_MEDIUM);
	KUNIT_EXPECT_EQ(test, cnvme_status_to_blk(NVME_STATUS_MORE | 0x000), BLK_STS_OK);
}

/* Expects @d, the disposition of case @what, to end the request with @want. */
static void expect_end(struct kunit *test, const char *what,
		       struct cnvme_disposition d, blk_status_t want)
{
	KUNIT_EXPECT_FALSE_MSG(test, d.retry, "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, d.status, want, "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, d.delay_ms, 0, "%s", what);
}

/*
 * Expects @d, the disposition of case @what, to retry the request after
 * @delay_ms milliseconds.
 */
static void expect_retry(struct kunit *test, const char *what,
			 struct cnvme_disposition d, u32 delay_ms)
{
	KUNIT_EXPECT_TRUE_MSG(test, d.retry, "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, d.delay_ms, delay_ms, "%s", what);
}

/* Returns an unrecovered read error status whose CRD field is @crd. */
static u16 crd(u16 crd)
{
	return crd << 11 | 0x281;
}

static void retry_disposition(struct kunit *test)
{
	static const u16 crdt[CNVME_NR_CRDT] = { 1, 20, 0xffff };
	static const u16 no_crdt[CNVME_NR_CRDT];
	u16 read_error = status(2, 0x81, false);
	u8 retries;

	/* Retried while below the limit, ended at the limit. */
	for (retries = 0; retries < 5; retries++)
		expect_retry(test, "below the limit",
			     cnvme_disposition(read_error, retries, 5, true, crdt), 0);
	expect_end(test, "at the limit",
		   cnvme_disposition(read_error, 5, 5, true, crdt), BLK_STS_MEDIUM);
	expect_end(test, "limit 0",
		   cnvme_disposition(read_error, 0, 0, true, crdt), BLK_STS_MEDIUM);
	/* Do Not Retry, or a submitter that wants no retries (failfast). */
	expect_end(test, "DNR",
		   cnvme_disposition(status(2, 0x81, true), 0, 5, true, crdt),
		   BLK_STS_MEDIUM);
	expect_end(test, "failfast",
		   cnvme_disposition(read_error, 0, 5, false, crdt), BLK_STS_MEDIUM);
	/* Success is never retried, whatever the bits say. */
	expect_end(test, "success with CRD 1",
		   cnvme_disposition(1 << 11, 0, 5, true, crdt), BLK_STS_OK);
	/* The delay the CRD field selects, in units of 100 ms. */
	expect_retry(test, "CRD 1", cnvme_disposition(crd(1), 0, 5, true, crdt), 100);
	expect_retry(test, "CRD 2", cnvme_disposition(crd(2), 0, 5, true, crdt), 2000);
	expect_retry(test, "CRD 3", cnvme_disposition(crd(3), 0, 5, true, crdt), 6553500);
	expect_retry(test, "CRD 2, CRDT 0",
		     cnvme_disposition(crd(2), 0, 5, true, no_crdt), 0);
}

static struct kunit_case cnvme_cmd_cases[] = {
	KUNIT_CASE(entry_sizes),
	KUNIT_CASE(read_write_layout),
	KUNIT_CASE(queue_slots),
	KUNIT_CASE(cid_keeps_opcode),
	KUNIT_CASE(cid_round_trip),
	KUNIT_CASE(cid_generation_wraps),
	KUNIT_CASE(cid_tag_bits),
	KUNIT_CASE(other_io_commands),
	KUNIT_CASE(discard_commands),
	KUNIT_CASE(admin_commands),
	KUNIT_CASE(create_queues),
	KUNIT_CASE(completion_fields),
	KUNIT_CASE(status_field_bits),
	KUNIT_CASE(blk_status_errors),
	KUNIT_CASE(blk_status_mapping),
	KUNIT_CASE(retry_disposition),
	{}
};

static struct kunit_suite cnvme_cmd_suite = {
	.name = "cnvme_cmd",
	.test_cases = cnvme_cmd_cases,
};

kunit_test_suite(cnvme_cmd_suite);
