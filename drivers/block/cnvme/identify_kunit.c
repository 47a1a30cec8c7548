// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite cnvme_identify: the checks of identify.c and the helpers of
 * cnvme.h on Identify data built byte by byte at the offsets of the
 * specification, which also checks the layouts of <linux/nvme.h>.
 */

#include <kunit/test.h>
#include <linux/limits.h>
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

/* Checks the Identify Namespace data in @b. */
static int parse(struct cnvme_ns_info *ns, const u8 *b)
{
	return cnvme_id_ns_parse((const struct nvme_id_ns *)b, ns);
}

static void namespace_fields(struct kunit *test)
{
	static const struct lbaf f512_4k[] = { { 0, 9 }, { 0, 12 } };
	static const struct lbaf f64k[] = { { 0, 16 } };
	const struct nvme_id_ns *raw;
	struct cnvme_ns_info id;
	u8 *b;

	KUNIT_EXPECT_EQ(test, sizeof(*raw), NVME_IDENTIFY_DATA_SIZE);
	b = ns(test, 0x100000, 1, f512_4k, 2);
	raw = (const void *)b;
	KUNIT_ASSERT_EQ(test, parse(&id, b), 0);
	KUNIT_EXPECT_EQ(test, id.nsze, 0x100000);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(raw->ncap), 0x100000);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(raw->nuse), 0x80000);
	KUNIT_EXPECT_EQ(test, raw->nlbaf, 1);
	KUNIT_EXPECT_EQ(test, id.format, 1);
	KUNIT_EXPECT_EQ(test, id.lba_shift, 12);
	KUNIT_EXPECT_EQ(test, 1U << id.lba_shift, 4096);
	KUNIT_EXPECT_EQ(test, cnvme_ns_capacity_sectors(&id), 0x100000 * 8);
	KUNIT_EXPECT_EQ(test, raw->lbaf[id.format].rp & 0x3, 2);

	KUNIT_ASSERT_EQ(test, parse(&id, ns(test, 1000, 0, f512_4k, 2)), 0);
	KUNIT_EXPECT_EQ(test, 1U << id.lba_shift, 512);
	KUNIT_EXPECT_EQ(test, cnvme_ns_capacity_sectors(&id), 1000);

	/* Bits 4 (extended metadata) and 7 of FLBAS are not part of the index. */
	KUNIT_ASSERT_EQ(test, parse(&id, ns(test, 8, 0x90, f64k, 1)), 0);
	KUNIT_EXPECT_EQ(test, id.format, 0);
	KUNIT_EXPECT_EQ(test, cnvme_ns_capacity_sectors(&id), 8 * 128);
}

static void namespace_format_index(struct kunit *test)
{
	static const struct lbaf four[] = { { 0, 9 }, { 0, 12 }, { 0, 9 }, { 0, 9 } };
	struct lbaf formats[64];
	struct cnvme_ns_info id;

	/* 21 formats: bits 6:5 of FLBAS are the upper bits of the index, 0x21 selects 17. */
	formats_512(formats, 21);
	formats[17].lbads = 12;
	KUNIT_ASSERT_EQ(test, parse(&id, ns(test, 64, 0x21, formats, 21)), 0);
	KUNIT_EXPECT_EQ(test, id.format, 17);
	KUNIT_EXPECT_EQ(test, id.lba_shift, 12);

	/* 17 formats (NLBAF 16): the upper bits count too. */
	formats_512(formats, 17);
	formats[16].lbads = 13;
	KUNIT_ASSERT_EQ(test, parse(&id, ns(test, 64, 0x20, formats, 17)), 0);
	KUNIT_EXPECT_EQ(test, id.format, 16);
	KUNIT_EXPECT_EQ(test, id.lba_shift, 13);

	/* 16 formats or fewer: bits 6:5 are ignored. */
	KUNIT_ASSERT_EQ(test, parse(&id, ns(test, 64, 0x21, four, 4)), 0);
	KUNIT_EXPECT_EQ(test, id.format, 1);
	KUNIT_EXPECT_EQ(test, id.lba_shift, 12);

	/* 64 formats, the last one. */
	formats_512(formats, 64);
	formats[63].lbads = 12;
	KUNIT_ASSERT_EQ(test, parse(&id, ns(test, 64, 0x6f, formats, 64)), 0);
	KUNIT_EXPECT_EQ(test, id.format, 63);
	KUNIT_EXPECT_EQ(test, id.lba_shift, 12);
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
	struct cnvme_ns_info id;
	u8 *b;

	/* Inactive namespace (all zeroes) and empty namespace. */
	KUNIT_EXPECT_EQ(test, parse(&id, buffer(test)), -EINVAL);
	KUNIT_EXPECT_EQ(test, parse(&id, ns(test, 0, 0, f512, 1)), -EINVAL);
	/* Format index beyond the formats listed. */
	KUNIT_EXPECT_EQ(test, parse(&id, ns(test, 8, 2, f512_4k, 2)), -EINVAL);
	formats_512(formats, 17);
	KUNIT_EXPECT_EQ(test, parse(&id, ns(test, 8, 0x21, formats, 17)), -EINVAL);
	/* More formats than the structure holds. */
	b = ns(test, 8, 0, f512, 1);
	b[25] = 64;
	KUNIT_EXPECT_EQ(test, parse(&id, b), -EINVAL);
	/* Block sizes out of range. */
	KUNIT_EXPECT_EQ(test, parse(&id, ns(test, 8, 0, f256, 1)), -EINVAL);
	KUNIT_EXPECT_EQ(test, parse(&id, ns(test, 8, 0, f128k, 1)), -EINVAL);
	KUNIT_EXPECT_EQ(test, parse(&id, ns(test, 8, 0, f1, 1)), -EINVAL);
	/* Metadata. */
	KUNIT_EXPECT_EQ(test, parse(&id, ns(test, 8, 0, f512_md, 1)), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, parse(&id, ns(test, 8, 1, f512_4k_md, 2)), -EOPNOTSUPP);
	/* A size that overflows in 512-byte sectors. */
	KUNIT_EXPECT_EQ(test, parse(&id, ns(test, U64_MAX >> 2, 0, f4k, 1)), -EINVAL);
	KUNIT_EXPECT_EQ(test, parse(&id, ns(test, U64_MAX >> 3, 0, f4k, 1)), 0);
	KUNIT_EXPECT_EQ(test, parse(&id, ns(test, U64_MAX, 0, f512, 1)), 0);
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

kunit_test_suite(cnvme_identify_suite);
