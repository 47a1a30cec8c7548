/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Physical Region Page (PRP) construction, after the NVMe 2.0 base
 * specification, section 4.1.1.
 *
 * A command's data is described by two PRP entries. The first, prp1, is the
 * address of the first byte: it may start anywhere in a memory page (dword
 * aligned). Every further entry is the address of a whole memory page. If the
 * data touches at most two pages, prp2 is the second page; otherwise prp2
 * points to a PRP list of the remaining pages, and when a list page is not
 * enough, the last entry of each list page points to the next list page.
 *
 * The data comes as DMA segments, so the layout PRPs can describe is: the
 * first segment starts anywhere (dword aligned), every other segment starts
 * on a page boundary, and every segment but the last ends on one. Anything
 * else needs SGLs or a bounce buffer, and cnvme_prp_build() refuses it.
 *
 * Everything here is pure: no function touches the hardware.
 */

#ifndef CNVME_PRP_H
#define CNVME_PRP_H

#include <linux/types.h>

/**
 * struct cnvme_segment - A DMA-mapped piece of a request's data.
 * @addr: bus address of the first byte.
 * @len: length in bytes.
 */
struct cnvme_segment {
	u64 addr;
	u32 len;
};

/**
 * struct cnvme_prp_list - A PRP list page supplied by the caller.
 * @dma: bus address of the first entry (8-byte aligned), where the
 *	controller reads the list.
 * @entries: CPU view of the entries, where the driver writes them.
 * @nr_entries: number of @entries.
 *
 * The list runs from @dma to the end of its memory page, so @entries must
 * cover that much: a page-aligned list page holds page size / 8 entries.
 */
struct cnvme_prp_list {
	u64 dma;
	__le64 *entries;
	size_t nr_entries;
};

/**
 * struct cnvme_prp - The data pointer of a command, built by cnvme_prp_build().
 * @prp1: PRP entry 1: the first byte of the data.
 * @prp2: PRP entry 2: zero, the second page, or the first PRP list page.
 * @list_pages: how many of the caller's list pages were used.
 * @entries: how many PRP entries the data needs, @prp1 included: with one
 *	list page, the list holds @entries - 1 of them.
 */
struct cnvme_prp {
	u64 prp1;
	u64 prp2;
	unsigned int list_pages;
	u64 entries;
};

int cnvme_prp_count_entries(const struct cnvme_segment *segs,
			    unsigned int nr_segs, unsigned int page_shift,
			    u64 *count);
int cnvme_prp_build(const struct cnvme_segment *segs, unsigned int nr_segs,
		    unsigned int page_shift, struct cnvme_prp_list *lists,
		    unsigned int nr_lists, struct cnvme_prp *prp);
int cnvme_prp_build_walk(const struct cnvme_segment *segs,
			 unsigned int nr_segs, unsigned int page_shift,
			 struct cnvme_prp_list *lists, unsigned int nr_lists,
			 struct cnvme_prp *prp);
size_t cnvme_prp_list_pages_needed(size_t total_len, size_t first_offset,
				   unsigned int page_shift);

#endif /* CNVME_PRP_H */
