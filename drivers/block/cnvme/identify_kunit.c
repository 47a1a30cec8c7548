// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite cnvme_identify: the checks of identify.c and the helpers of
 * cnvme.h on Identify data built byte by byte at the offsets of the
 * specification, which also checks the layouts of <linux/nvme.h>.
 */

#include <kunit/test.h>
#include <linux/blkdev.h>
#include <linux/limits.h>
#include <linux/log2.h>
#include <linux/string.h>
#include <linux/unaligned.h>

#include "cnvme.h"

#define K4	CNVME_PAGE_SHIFT_4K

/* An LBA format: metadata size and log2 of the block size. */
struct lbaf {
	u16 ms;
	u8 lbads;
};

/* Returns a zeroed identify buffer. */
static u8 *buffer(struct kunit *test)
{
	u8 *b = kunit_kzalloc(test, NVME_IDENTIFY_DATA_SIZE, GFP_KERNEL);

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
	put_unaligned_le16(1, b + 128);
	put_unaligned_le16(0x1234, b + 130);
	put_unaligned_le16(0xffff, b + 132);
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

/* Expects the Identify string @field of @size bytes, trimmed, to be @want. */
static void expect_id_string(struct kunit *test, const char *field, size_t size,
			     const char *want)
{
	expect_trimmed(test, field, cnvme_id_trimmed_len(field, size), want);
}

static void controller_fields(struct kunit *test)
{
	struct nvme_id_ctrl *id = (void *)ctrl(test);
	u8 *b;

	KUNIT_EXPECT_EQ(test, sizeof(*id), NVME_IDENTIFY_DATA_SIZE);
	KUNIT_ASSERT_EQ(test, cnvme_id_ctrl_check(id), 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(id->vid), 0x1b36);
	expect_id_string(test, id->sn, sizeof(id->sn), "deadbeef");
	expect_id_string(test, id->mn, sizeof(id->mn), "QEMU NVMe Ctrl");
	expect_id_string(test, id->fr, sizeof(id->fr), "9.0.0");
	KUNIT_EXPECT_EQ(test, id->mdts, 7);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(id->cntlid), 0x0102);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(id->ver), 0x00010400);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(id->crdt1), 1);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(id->crdt2), 0x1234);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(id->crdt3), 0xffff);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(id->oacs), 0x010a);
	KUNIT_EXPECT_TRUE(test, cnvme_id_ctrl_supports_dbbuf(id));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(id->nn), 256);
	KUNIT_EXPECT_TRUE(test, cnvme_id_ctrl_supports_dsm(id));
	KUNIT_EXPECT_TRUE(test, cnvme_id_ctrl_supports_write_zeroes(id));
	KUNIT_EXPECT_TRUE(test, cnvme_id_ctrl_has_volatile_write_cache(id));
	KUNIT_EXPECT_TRUE(test, cnvme_id_ctrl_supports_sgls(id));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(id->sgls), 0x00100001);

	/* The optional features, absent. */
	b = ctrl(test);
	id = (void *)b;
	put_unaligned_le16(0x00ff, b + 256);
	put_unaligned_le16(0x0003, b + 520);
	b[525] = 0x06;
	put_unaligned_le32(0, b + 536);
	KUNIT_ASSERT_EQ(test, cnvme_id_ctrl_check(id), 0);
	KUNIT_EXPECT_FALSE(test, cnvme_id_ctrl_supports_dbbuf(id));
	KUNIT_EXPECT_FALSE(test, cnvme_id_ctrl_supports_dsm(id));
	KUNIT_EXPECT_FALSE(test, cnvme_id_ctrl_supports_write_zeroes(id));
	KUNIT_EXPECT_FALSE(test, cnvme_id_ctrl_has_volatile_write_cache(id));
	KUNIT_EXPECT_FALSE(test, cnvme_id_ctrl_supports_sgls(id));

	/* Padding with NULs, and a field that is all padding. */
	memset(b + 4, 0, 20);
	b[4] = 'A';
	b[7] = ' ';
	memset(b + 64, ' ', 8);
	KUNIT_ASSERT_EQ(test, cnvme_id_ctrl_check(id), 0);
	expect_id_string(test, id->sn, sizeof(id->sn), "A");
	expect_id_string(test, id->fr, sizeof(id->fr), "");
}

static void controller_rejects(struct kunit *test)
{
	u8 *b;

	/* No 64-byte submission entries. */
	b = ctrl(test);
	b[512] = 0x55;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_check((void *)b), -EINVAL);
	b[512] = 0x77;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_check((void *)b), -EINVAL);
	/* No 16-byte completion entries. */
	b = ctrl(test);
	b[513] = 0x33;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_check((void *)b), -EINVAL);
	/* A range that includes the sizes is fine. */
	b[513] = 0x54;
	b[512] = 0x76;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_check((void *)b), 0);
}

static void max_transfer(struct kunit *test)
{
	struct nvme_id_ctrl *id = (void *)ctrl(test);

	id->mdts = 0;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(id, K4),
			CNVME_MAX_TRANSFER_BYTES);
	id->mdts = 5;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(id, K4), 128 * 1024);
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(id, cnvme_page_shift(8192)),
			256 * 1024);
	id->mdts = 9;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(id, K4), 2 << 20);
	id->mdts = 10;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(id, K4),
			CNVME_MAX_TRANSFER_BYTES);
	id->mdts = 5;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(id, CNVME_PAGE_SHIFT_64K),
			CNVME_MAX_TRANSFER_BYTES);
	id->mdts = 1;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(id, K4), 8192);
	/* Shifts beyond the word size do not overflow. */
	id->mdts = 60;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(id, K4),
			CNVME_MAX_TRANSFER_BYTES);
	id->mdts = 255;
	KUNIT_EXPECT_EQ(test, cnvme_id_ctrl_max_transfer_bytes(id, CNVME_PAGE_SHIFT_64K),
			CNVME_MAX_TRANSFER_BYTES);
}

/* Classifies the Identify Namespace data in @b, a namespace of command set @csi. */
static bool classify(struct cnvme_ns_info *ns, const u8 *b, u8 csi, char *why)
{
	return cnvme_ns_classify((const struct nvme_id_ns *)b, csi, ns, why,
				 CNVME_NS_REASON_SIZE);
}

/* Expects the namespace in @b, of command set @csi, to be skipped because @want. */
static void expect_skipped(struct kunit *test, const u8 *b, u8 csi,
			   const char *want)
{
	char why[CNVME_NS_REASON_SIZE] = "";
	struct cnvme_ns_info id = {};

	KUNIT_EXPECT_FALSE(test, classify(&id, b, csi, why));
	KUNIT_EXPECT_STREQ(test, why, want);
	/* Nothing is taken from a skipped namespace. */
	KUNIT_EXPECT_EQ(test, id.nsze, 0);
}

static void namespace_fields(struct kunit *test)
{
	static const struct lbaf f512_4k[] = { { 0, 9 }, { 0, 12 } };
	static const struct lbaf f4k[] = { { 0, 12 } };
	char why[CNVME_NS_REASON_SIZE];
	const struct nvme_id_ns *raw;
	struct cnvme_ns_info id;
	u8 *b;

	KUNIT_EXPECT_EQ(test, sizeof(*raw), NVME_IDENTIFY_DATA_SIZE);
	b = ns(test, 0x100000, 1, f512_4k, 2);
	raw = (const void *)b;
	KUNIT_ASSERT_TRUE(test, classify(&id, b, NVME_CSI_NVM, why));
	KUNIT_EXPECT_EQ(test, id.nsze, 0x100000);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(raw->ncap), 0x100000);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(raw->nuse), 0x80000);
	KUNIT_EXPECT_EQ(test, raw->nlbaf, 1);
	KUNIT_EXPECT_EQ(test, id.format, 1);
	KUNIT_EXPECT_EQ(test, id.lba_shift, 12);
	KUNIT_EXPECT_EQ(test, 1U << id.lba_shift, 4096);
	KUNIT_EXPECT_EQ(test, cnvme_ns_capacity_sectors(&id), 0x100000 * 8);
	KUNIT_EXPECT_EQ(test, raw->lbaf[id.format].rp & 0x3, 2);

	/* Bits 4 (extended metadata) and 7 of FLBAS are not part of the index. */
	KUNIT_ASSERT_TRUE(test, classify(&id, ns(test, 8, 0x90, f4k, 1),
					 NVME_CSI_NVM, why));
	KUNIT_EXPECT_EQ(test, id.format, 0);
	KUNIT_EXPECT_EQ(test, cnvme_ns_capacity_sectors(&id), 8 * 8);
}

/* A namespace the driver uses, and what it takes from it. */
static void namespace_usable(struct kunit *test)
{
	static const struct lbaf f512[] = { { 0, 9 } };
	struct lbaf f512_max[] = { { 0, 9 }, { 0, ilog2(BLK_MAX_BLOCK_SIZE) } };
	char why[CNVME_NS_REASON_SIZE] = "";
	struct cnvme_ns_info id = {};

	KUNIT_ASSERT_TRUE(test, classify(&id, ns(test, 1000, 0, f512, 1),
					 NVME_CSI_NVM, why));
	KUNIT_EXPECT_STREQ(test, why, "");
	KUNIT_EXPECT_EQ(test, id.nsze, 1000);
	KUNIT_EXPECT_EQ(test, id.format, 0);
	KUNIT_EXPECT_EQ(test, id.lba_shift, 9);
	KUNIT_EXPECT_EQ(test, cnvme_ns_capacity_sectors(&id), 1000);

	/* The largest block the block layer takes: PAGE_SIZE, 64 KiB with THP. */
	KUNIT_ASSERT_TRUE(test, classify(&id, ns(test, 16, 1, f512_max, 2),
					 NVME_CSI_NVM, why));
	KUNIT_EXPECT_EQ(test, 1U << id.lba_shift, BLK_MAX_BLOCK_SIZE);
	KUNIT_EXPECT_EQ(test, cnvme_ns_capacity_sectors(&id),
			16 * (BLK_MAX_BLOCK_SIZE / SECTOR_SIZE));

	/* Sizes up to what 512-byte sectors hold. */
	KUNIT_EXPECT_TRUE(test, classify(&id, ns(test, U64_MAX, 0, f512, 1),
					 NVME_CSI_NVM, why));
	KUNIT_EXPECT_EQ(test, cnvme_ns_capacity_sectors(&id), U64_MAX);
}

static void namespace_format_index(struct kunit *test)
{
	static const struct lbaf four[] = { { 0, 9 }, { 0, 12 }, { 0, 9 }, { 0, 9 } };
	char why[CNVME_NS_REASON_SIZE];
	struct lbaf formats[64];
	struct cnvme_ns_info id;
	u8 *b;

	/* 21 formats: bits 6:5 of FLBAS are the upper bits of the index, 0x21 selects 17. */
	formats_512(formats, 21);
	formats[17].lbads = 12;
	KUNIT_ASSERT_TRUE(test, classify(&id, ns(test, 64, 0x21, formats, 21),
					 NVME_CSI_NVM, why));
	KUNIT_EXPECT_EQ(test, id.format, 17);
	KUNIT_EXPECT_EQ(test, id.lba_shift, 12);

	/* 17 formats (NLBAF 16): the upper bits count too. */
	formats_512(formats, 17);
	formats[16].lbads = 12;
	KUNIT_ASSERT_TRUE(test, classify(&id, ns(test, 64, 0x20, formats, 17),
					 NVME_CSI_NVM, why));
	KUNIT_EXPECT_EQ(test, id.format, 16);
	KUNIT_EXPECT_EQ(test, id.lba_shift, 12);

	/* 16 formats or fewer: bits 6:5 are ignored. */
	KUNIT_ASSERT_TRUE(test, classify(&id, ns(test, 64, 0x21, four, 4),
					 NVME_CSI_NVM, why));
	KUNIT_EXPECT_EQ(test, id.format, 1);
	KUNIT_EXPECT_EQ(test, id.lba_shift, 12);

	/* 64 formats, the last one. */
	formats_512(formats, 64);
	formats[63].lbads = 12;
	KUNIT_ASSERT_TRUE(test, classify(&id, ns(test, 64, 0x6f, formats, 64),
					 NVME_CSI_NVM, why));
	KUNIT_EXPECT_EQ(test, id.format, 63);
	KUNIT_EXPECT_EQ(test, id.lba_shift, 12);

	/* An NLBAF beyond the 64 formats the structure holds: FLBAS still names one. */
	b = ns(test, 64, 0x6f, formats, 64);
	b[25] = 255;
	KUNIT_ASSERT_TRUE(test, classify(&id, b, NVME_CSI_NVM, why));
	KUNIT_EXPECT_EQ(test, id.format, 63);
}

/* Each reason to skip a namespace, in the words of the driver's warning. */
static void namespace_skip_reasons(struct kunit *test)
{
	static const struct lbaf f512[] = { { 0, 9 } };
	static const struct lbaf f512_4k[] = { { 0, 9 }, { 0, 12 } };
	static const struct lbaf f256[] = { { 0, 8 } };
	static const struct lbaf f1[] = { { 0, 0 } };
	static const struct lbaf f2_63[] = { { 0, 63 } };
	static const struct lbaf f2_64[] = { { 0, 64 } };
	static const struct lbaf f2_255[] = { { 0, 255 } };
	static const struct lbaf f512_md[] = { { 8, 9 } };
	static const struct lbaf f512_4k_md[] = { { 0, 9 }, { 64, 12 } };
	static const struct lbaf f256_md[] = { { 8, 8 } };
	static const struct lbaf f4k[] = { { 0, 12 } };
	struct lbaf past_max[] = { { 0, ilog2(BLK_MAX_BLOCK_SIZE) + 1 } };
	struct lbaf formats[17];
	char want[CNVME_NS_REASON_SIZE];

	/* Inactive namespace (all zeroes) and empty namespace. */
	expect_skipped(test, buffer(test), NVME_CSI_NVM, "its size is zero");
	expect_skipped(test, ns(test, 0, 0, f512, 1), NVME_CSI_NVM,
		       "its size is zero");
	/* Format index beyond the formats listed. */
	expect_skipped(test, ns(test, 8, 2, f512_4k, 2), NVME_CSI_NVM,
		       "its FLBAS 0x2 names LBA format 2 of 2");
	formats_512(formats, 17);
	expect_skipped(test, ns(test, 8, 0x21, formats, 17), NVME_CSI_NVM,
		       "its FLBAS 0x21 names LBA format 17 of 17");
	expect_skipped(test, ns(test, 8, 0x9f, f512, 1), NVME_CSI_NVM,
		       "its FLBAS 0x9f names LBA format 15 of 1");
	/* Metadata, before the block size. */
	expect_skipped(test, ns(test, 8, 0, f512_md, 1), NVME_CSI_NVM,
		       "its LBA format carries metadata");
	expect_skipped(test, ns(test, 8, 1, f512_4k_md, 2), NVME_CSI_NVM,
		       "its LBA format carries metadata");
	expect_skipped(test, ns(test, 8, 0, f256_md, 1), NVME_CSI_NVM,
		       "its LBA format carries metadata");
	/* Block sizes the block layer does not take. */
	expect_skipped(test, ns(test, 8, 0, f256, 1), NVME_CSI_NVM,
		       "its LBA size 256 is not supported by the block layer");
	expect_skipped(test, ns(test, 8, 0, f1, 1), NVME_CSI_NVM,
		       "its LBA size 1 is not supported by the block layer");
	snprintf(want, sizeof(want), "its LBA size %lu is not supported by the block layer",
		 2 * (unsigned long)BLK_MAX_BLOCK_SIZE);
	expect_skipped(test, ns(test, 8, 0, past_max, 1), NVME_CSI_NVM, want);
	expect_skipped(test, ns(test, 8, 0, f2_63, 1), NVME_CSI_NVM,
		       "its LBA size 9223372036854775808 is not supported by the block layer");
	expect_skipped(test, ns(test, 8, 0, f2_64, 1), NVME_CSI_NVM,
		       "its LBA size 2^64 is not supported by the block layer");
	expect_skipped(test, ns(test, 8, 0, f2_255, 1), NVME_CSI_NVM,
		       "its LBA size 2^255 is not supported by the block layer");
	/* A size that overflows in 512-byte sectors. */
	expect_skipped(test, ns(test, U64_MAX >> 2, 0, f4k, 1), NVME_CSI_NVM,
		       "its size of 4611686018427387903 blocks overflows 512-byte sectors");
	/* Another command set than NVM, last. */
	expect_skipped(test, ns(test, 8, 0, f512, 1), NVME_CSI_ZNS,
		       "its command set 2 is not NVM");
	expect_skipped(test, ns(test, 8, 0, f512, 1), 0xff,
		       "its command set 255 is not NVM");
	expect_skipped(test, ns(test, 8, 0, f512_md, 1), NVME_CSI_ZNS,
		       "its LBA format carries metadata");
}

/*
 * Stores a Namespace Identification Descriptor of type @nidt and @nidl bytes
 * of value @fill at @pos of @b; returns the position after it.
 */
static size_t put_desc(u8 *b, size_t pos, u8 nidt, u8 nidl, u8 fill)
{
	b[pos] = nidt;
	b[pos + 1] = nidl;
	memset(b + pos + 4, fill, nidl);
	return pos + 4 + nidl;
}

static void ns_desc_csi_found(struct kunit *test)
{
	u8 *b = buffer(test);
	size_t pos;
	u8 csi = 0xee;

	/* QEMU's list: EUI-64, NGUID, UUID, then the CSI. */
	pos = put_desc(b, 0, NVME_NIDT_EUI64, NVME_NIDT_EUI64_LEN, 0x11);
	pos = put_desc(b, pos, NVME_NIDT_NGUID, NVME_NIDT_NGUID_LEN, 0x22);
	pos = put_desc(b, pos, NVME_NIDT_UUID, NVME_NIDT_UUID_LEN, 0x33);
	put_desc(b, pos, NVME_NIDT_CSI, NVME_NIDT_CSI_LEN, NVME_CSI_ZNS);
	KUNIT_ASSERT_TRUE(test, cnvme_ns_desc_csi(b, NVME_IDENTIFY_DATA_SIZE, &csi));
	KUNIT_EXPECT_EQ(test, csi, NVME_CSI_ZNS);

	/* First, and NVM. */
	b = buffer(test);
	put_desc(b, 0, NVME_NIDT_CSI, NVME_NIDT_CSI_LEN, NVME_CSI_NVM);
	KUNIT_ASSERT_TRUE(test, cnvme_ns_desc_csi(b, NVME_IDENTIFY_DATA_SIZE, &csi));
	KUNIT_EXPECT_EQ(test, csi, NVME_CSI_NVM);

	/* Unknown types are skipped by their length; the last 5 bytes of the list. */
	b = buffer(test);
	pos = put_desc(b, 0, 0x7f, 100, 0x04);
	while (NVME_IDENTIFY_DATA_SIZE - 5 - pos > 4 + 255)
		pos = put_desc(b, pos, 0x7f, 255, 0x04);
	pos = put_desc(b, pos, 0x7f, NVME_IDENTIFY_DATA_SIZE - 5 - pos - 4, 0x04);
	KUNIT_ASSERT_EQ(test, pos, NVME_IDENTIFY_DATA_SIZE - 5);
	put_desc(b, pos, NVME_NIDT_CSI, NVME_NIDT_CSI_LEN, 0x30);
	KUNIT_ASSERT_TRUE(test, cnvme_ns_desc_csi(b, NVME_IDENTIFY_DATA_SIZE, &csi));
	KUNIT_EXPECT_EQ(test, csi, 0x30);
}

static void ns_desc_csi_absent(struct kunit *test)
{
	u8 *b = buffer(test);
	size_t pos;
	u8 csi = 0xee;

	/* An empty list. */
	KUNIT_EXPECT_FALSE(test, cnvme_ns_desc_csi(b, NVME_IDENTIFY_DATA_SIZE, &csi));
	/* Identifiers only. */
	pos = put_desc(b, 0, NVME_NIDT_EUI64, NVME_NIDT_EUI64_LEN, NVME_NIDT_CSI);
	put_desc(b, pos, NVME_NIDT_NGUID, NVME_NIDT_NGUID_LEN, NVME_NIDT_CSI);
	KUNIT_EXPECT_FALSE(test, cnvme_ns_desc_csi(b, NVME_IDENTIFY_DATA_SIZE, &csi));
	/* A CSI descriptor of another length than 1 does not count. */
	b = buffer(test);
	put_desc(b, 0, NVME_NIDT_CSI, 2, NVME_CSI_ZNS);
	KUNIT_EXPECT_FALSE(test, cnvme_ns_desc_csi(b, NVME_IDENTIFY_DATA_SIZE, &csi));
	/* Descriptors that fill the list exactly, without a type 0 at the end. */
	b = buffer(test);
	for (pos = 0; pos < NVME_IDENTIFY_DATA_SIZE; )
		pos = put_desc(b, pos, NVME_NIDT_UUID, 252, 0x04);
	KUNIT_ASSERT_EQ(test, pos, NVME_IDENTIFY_DATA_SIZE);
	KUNIT_EXPECT_FALSE(test, cnvme_ns_desc_csi(b, NVME_IDENTIFY_DATA_SIZE, &csi));
	KUNIT_EXPECT_EQ(test, csi, 0xee);
}

static void ns_desc_truncated(struct kunit *test)
{
	u8 *b = buffer(test);
	size_t pos;
	u8 csi = 0xee;

	/* A CSI descriptor whose byte lies past the end of the list. */
	pos = put_desc(b, 0, NVME_NIDT_EUI64, NVME_NIDT_EUI64_LEN, 0x11);
	put_desc(b, pos, NVME_NIDT_CSI, NVME_NIDT_CSI_LEN, NVME_CSI_ZNS);
	KUNIT_EXPECT_FALSE(test, cnvme_ns_desc_csi(b, pos + 4, &csi));
	KUNIT_EXPECT_TRUE(test, cnvme_ns_desc_csi(b, pos + 5, &csi));
	KUNIT_EXPECT_EQ(test, csi, NVME_CSI_ZNS);

	/* A header cut short. */
	csi = 0xee;
	KUNIT_EXPECT_FALSE(test, cnvme_ns_desc_csi(b, pos + 3, &csi));

	/* A descriptor whose length runs past the end hides nothing after it. */
	b = buffer(test);
	put_desc(b, 0, NVME_NIDT_NGUID, 255, 0x04);
	b[8] = NVME_NIDT_CSI;
	b[9] = NVME_NIDT_CSI_LEN;
	b[12] = NVME_CSI_ZNS;
	KUNIT_EXPECT_FALSE(test, cnvme_ns_desc_csi(b, 200, &csi));
	KUNIT_EXPECT_EQ(test, csi, 0xee);
}

static void ns_desc_nidt_zero_ends(struct kunit *test)
{
	u8 *b = buffer(test);
	size_t pos;
	u8 csi = 0xee;

	/* A type 0 descriptor ends the list, whatever its length and what follows. */
	pos = put_desc(b, 0, NVME_NIDT_EUI64, NVME_NIDT_EUI64_LEN, 0x11);
	pos = put_desc(b, pos, 0, 4, 0x00);
	put_desc(b, pos, NVME_NIDT_CSI, NVME_NIDT_CSI_LEN, NVME_CSI_ZNS);
	KUNIT_EXPECT_FALSE(test, cnvme_ns_desc_csi(b, NVME_IDENTIFY_DATA_SIZE, &csi));
	KUNIT_EXPECT_EQ(test, csi, 0xee);

	b = buffer(test);
	put_desc(b, 4, NVME_NIDT_CSI, NVME_NIDT_CSI_LEN, NVME_CSI_ZNS);
	KUNIT_EXPECT_FALSE(test, cnvme_ns_desc_csi(b, NVME_IDENTIFY_DATA_SIZE, &csi));
	KUNIT_EXPECT_EQ(test, csi, 0xee);
}

static void active_namespaces(struct kunit *test)
{
	static const u32 ids[] = { 1, 2, 5, 0, 7 };
	static const u32 big[] = { 0x12345678 };
	static const u32 below_broadcast[] = { 0xfffffffe };
	struct cnvme_ns_list list;

	KUNIT_ASSERT_EQ(test, cnvme_ns_list_parse(&list, ns_list(test, ids, 5),
						  NVME_IDENTIFY_DATA_SIZE), 0);
	KUNIT_EXPECT_EQ(test, list.len, 3);
	KUNIT_EXPECT_FALSE(test, cnvme_ns_list_is_empty(&list));
	KUNIT_EXPECT_FALSE(test, cnvme_ns_list_is_full(&list));
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_id(&list, 0), 1);
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_id(&list, 1), 2);
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_id(&list, 2), 5);
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_id(&list, 3), 0);
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_last(&list), 5);

	KUNIT_ASSERT_EQ(test, cnvme_ns_list_parse(&list, ns_list(test, NULL, 0),
						  NVME_IDENTIFY_DATA_SIZE), 0);
	KUNIT_EXPECT_TRUE(test, cnvme_ns_list_is_empty(&list));
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_last(&list), 0);

	KUNIT_ASSERT_EQ(test, cnvme_ns_list_parse(&list, ns_list(test, big, 1),
						  NVME_IDENTIFY_DATA_SIZE), 0);
	KUNIT_EXPECT_EQ(test, cnvme_ns_list_last(&list), 0x12345678);
	KUNIT_ASSERT_EQ(test, cnvme_ns_list_parse(&list, ns_list(test, below_broadcast, 1),
						  NVME_IDENTIFY_DATA_SIZE), 0);
	KUNIT_EXPECT_EQ(test, list.len, 1);
}

static void active_namespaces_full(struct kunit *test)
{
	struct cnvme_ns_list list;
	u8 *b = buffer(test);
	unsigned int i, n;

	for (i = 0; i < CNVME_NS_LIST_MAX; i++)
		put_unaligned_le32(i * 3 + 10, b + 4 * i);
	KUNIT_ASSERT_EQ(test, cnvme_ns_list_parse(&list, b, NVME_IDENTIFY_DATA_SIZE), 0);
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
						  NVME_IDENTIFY_DATA_SIZE), 0);
	KUNIT_EXPECT_LT(test, cnvme_ns_list_parse(&list, ns_list(test, down, 2),
						  NVME_IDENTIFY_DATA_SIZE), 0);
	KUNIT_EXPECT_LT(test, cnvme_ns_list_parse(&list, ns_list(test, late_down, 4),
						  NVME_IDENTIFY_DATA_SIZE), 0);
	KUNIT_EXPECT_LT(test, cnvme_ns_list_parse(&list, ns_list(test, broadcast, 2),
						  NVME_IDENTIFY_DATA_SIZE), 0);
	KUNIT_EXPECT_LT(test, cnvme_ns_list_parse(&list, ns_list(test, one, 1), 4092), 0);
	/* Garbage after the terminating zero is ignored. */
	KUNIT_ASSERT_EQ(test, cnvme_ns_list_parse(&list, ns_list(test, garbage, 4),
						  NVME_IDENTIFY_DATA_SIZE), 0);
	KUNIT_EXPECT_EQ(test, list.len, 1);
}

static struct kunit_case cnvme_identify_cases[] = {
	KUNIT_CASE(controller_fields),
	KUNIT_CASE(controller_rejects),
	KUNIT_CASE(max_transfer),
	KUNIT_CASE(namespace_fields),
	KUNIT_CASE(namespace_usable),
	KUNIT_CASE(namespace_format_index),
	KUNIT_CASE(namespace_skip_reasons),
	KUNIT_CASE(ns_desc_csi_found),
	KUNIT_CASE(ns_desc_csi_absent),
	KUNIT_CASE(ns_desc_truncated),
	KUNIT_CASE(ns_desc_nidt_zero_ends),
	KUNIT_CASE(active_namespaces),
	KUNIT_CASE(active_namespaces_full),
	KUNIT_CASE(active_namespaces_reject),
	{}
};

static struct kunit_suite cnvme_identify_suite = {
	.name = "cnvme_identify",
	.test_cases = cnvme_identify_cases,
};

kunit_test_suite(cnvme_identify_suite);
