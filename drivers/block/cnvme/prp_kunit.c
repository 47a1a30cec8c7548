// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite cnvme_prp: the PRP construction of io.h.
 */

#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/string.h>

#include "io.h"

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

/*
 * Returns how many list pages cnvme_prp_build() takes for @len bytes from
 * @offset into a page, out of three page-aligned ones, or its error.
 */
static int list_pages(struct kunit *test, u64 len, u64 offset,
		      unsigned int page_shift, u64 *entries)
{
	size_t n = BIT(page_shift) / CNVME_PRP_ENTRY_SIZE;
	struct cnvme_prp_list lists[3];
	struct cnvme_prp prp;
	int ret;

	lists[0] = list_page(test, LIST0, n);
	lists[1] = list_page(test, LIST1, n);
	lists[2] = list_page(test, LIST2, n);
	ret = build_one(0x40000000 + cnvme_page_offset(page_shift, offset), len,
			page_shift, lists, 3, &prp);
	if (ret)
		return ret;
	if (entries)
		*entries = prp.entries;
	return prp.list_pages;
}

static void list_pages_count(struct kunit *test)
{
	u64 entries;

	KUNIT_EXPECT_EQ(test, list_pages(test, 0, 0, K4, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, list_pages(test, 4096, 0, K4, NULL), 0);
	KUNIT_EXPECT_EQ(test, list_pages(test, 8192, 0, K4, NULL), 0);
	KUNIT_EXPECT_EQ(test, list_pages(test, 8192, 0x200, K4, NULL), 1);
	KUNIT_EXPECT_EQ(test, list_pages(test, 512, 0xf00, K4, NULL), 0);
	KUNIT_EXPECT_EQ(test, list_pages(test, 2 << 20, 0, K4, NULL), 1);
	KUNIT_EXPECT_EQ(test, list_pages(test, 2 << 20, 0x200, K4, NULL), 1);
	KUNIT_EXPECT_EQ(test, list_pages(test, (2 << 20) + 4096, 0x200, K4, NULL), 2);
	KUNIT_EXPECT_EQ(test, list_pages(test, 4 << 20, 0, K4, NULL), 2);
	KUNIT_EXPECT_EQ(test, list_pages(test, (4 << 20) + 4096, 0, K4, NULL), 3);
	/* The offset counts modulo the page size. */
	KUNIT_EXPECT_EQ(test, list_pages(test, 8192, 4096 + 0x200, K4, NULL), 1);
	KUNIT_EXPECT_EQ(test, list_pages(test, 2 << 20, 0, CNVME_PAGE_SHIFT_64K, NULL), 1);
	KUNIT_EXPECT_EQ(test, list_pages(test, 128 << 10, 0, CNVME_PAGE_SHIFT_64K, NULL), 0);
	/*
	 * The largest request, %CNVME_MAX_SEGMENTS pages, from an unaligned
	 * start: PRP1 and 128 entries in the tag's one list page.
	 */
	KUNIT_EXPECT_EQ(test, list_pages(test, CNVME_MAX_SEGMENTS * 4096, 0x200, K4, &entries),
			1);
	KUNIT_EXPECT_EQ(test, entries, CNVME_MAX_SEGMENTS + 1);
	KUNIT_EXPECT_LE(test, entries - 1, CNVME_PRP_LIST_ENTRIES);
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

kunit_test_suite(cnvme_prp_suite);
