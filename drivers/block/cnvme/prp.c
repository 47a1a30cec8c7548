// SPDX-License-Identifier: GPL-2.0
/*
 * Physical Region Page (PRP) construction. See prp.h.
 */

#include <linux/align.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/math.h>
#include <linux/overflow.h>

#include <asm/byteorder.h>
#include <kunit/visibility.h>

#include "prp.h"
#include "regs.h"

/* Size of one PRP entry, in bytes. */
#define PRP_ENTRY_SIZE	8

/*
 * Walks the PRP entries of segments that passed cnvme_prp_count_entries():
 * the first byte, then each further page. Callers ask for no more entries
 * than counted.
 */
struct prp_walk {
	const struct cnvme_segment *seg;
	u64 addr;
	u64 end;
	unsigned int page_shift;
};

/**
 * cnvme_prp_count_entries() - Validate DMA segments for PRPs and count the
 *	PRP entries they need.
 * @segs: the data.
 * @nr_segs: the number of @segs.
 * @page_shift: the controller memory page size.
 * @count: where to store the count, PRP1 included, on success only.
 *
 * Return: 0, or -EINVAL if cnvme_prp_build() would refuse @segs for their
 * layout (see prp.h).
 */
int cnvme_prp_count_entries(const struct cnvme_segment *segs,
			    unsigned int nr_segs, unsigned int page_shift,
			    u64 *count)
{
	unsigned int i;
	u64 n = 0;

	if (!nr_segs)
		return -EINVAL;
	for (i = 0; i < nr_segs; i++) {
		const struct cnvme_segment *seg = &segs[i];
		bool aligned_start;
		u64 end, pages;

		if (!seg->len)
			return -EINVAL;
		if (check_add_overflow(seg->addr, (u64)seg->len, &end))
			return -EINVAL;
		if (i == 0)
			aligned_start = IS_ALIGNED(seg->addr, 4);
		else
			aligned_start = !cnvme_page_offset(page_shift, seg->addr);
		if (!aligned_start ||
		    (i != nr_segs - 1 && cnvme_page_offset(page_shift, end)))
			return -EINVAL;
		pages = ((end - 1) >> page_shift) - (seg->addr >> page_shift) + 1;
		if (check_add_overflow(n, pages, &n))
			return -EINVAL;
	}
	*count = n;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_prp_count_entries);

static void prp_walk_start(struct prp_walk *walk,
			   const struct cnvme_segment *segs,
			   unsigned int page_shift)
{
	walk->seg = segs;
	walk->addr = segs->addr;
	walk->end = segs->addr + segs->len;
	walk->page_shift = page_shift;
}

static u64 prp_walk_next(struct prp_walk *walk)
{
	u64 entry;

	if (walk->addr >= walk->end) {
		walk->seg++;
		walk->addr = walk->seg->addr;
		walk->end = walk->seg->addr + walk->seg->len;
	}
	entry = walk->addr;
	walk->addr = entry - cnvme_page_offset(walk->page_shift, entry) +
		     BIT_ULL(walk->page_shift);
	return entry;
}

/* Counts the entries that fit in the list page at @dma: up to its page's end. */
static int prp_list_capacity(u64 dma, unsigned int page_shift, size_t *capacity)
{
	if (!IS_ALIGNED(dma, PRP_ENTRY_SIZE))
		return -EINVAL;
	*capacity = (BIT_ULL(page_shift) - cnvme_page_offset(page_shift, dma)) /
		    PRP_ENTRY_SIZE;
	return 0;
}

/*
 * Finds the PRP entries of @seg if it touches at most two memory pages and
 * cnvme_prp_count_entries() accepts it; returns false otherwise. Most small
 * I/O is one such segment; this needs no walk over the data.
 */
static bool prp_one_segment(const struct cnvme_segment *seg,
			    unsigned int page_shift, struct cnvme_prp *prp)
{
	u64 size = BIT_ULL(page_shift), first, end;

	if (!seg->len || !IS_ALIGNED(seg->addr, 4) ||
	    check_add_overflow(seg->addr, (u64)seg->len, &end))
		return false;
	/* The bytes from the first one to the end of its page. */
	first = size - cnvme_page_offset(page_shift, seg->addr);
	if (seg->len <= first) {
		prp->prp2 = 0;
		prp->entries = 1;
	} else if (seg->len - first <= size) {
		prp->prp2 = seg->addr + first;
		prp->entries = 2;
	} else {
		return false;
	}
	prp->prp1 = seg->addr;
	prp->list_pages = 0;
	return true;
}

/**
 * cnvme_prp_build() - Build the PRP entries of a command's data.
 * @segs: the data.
 * @nr_segs: the number of @segs.
 * @page_shift: the controller memory page size.
 * @lists: PRP list pages to use when the data spans more than two pages.
 * @nr_lists: the number of @lists.
 * @prp: where to store the result, on success only.
 *
 * List entries are written little-endian, as the controller reads them. The
 * caller must make them visible to the device before ringing the doorbell
 * (coherent memory does).
 *
 * Return:
 * * 0 on success;
 * * -EINVAL if @segs is empty, a segment is empty or wraps the address space,
 *   or the layout cannot be expressed with PRPs (see prp.h), or a list page
 *   is misaligned or its entries too few for its page;
 * * -E2BIG if @lists has too few pages.
 */
int cnvme_prp_build(const struct cnvme_segment *segs, unsigned int nr_segs,
		    unsigned int page_shift, struct cnvme_prp_list *lists,
		    unsigned int nr_lists, struct cnvme_prp *prp)
{
	if (nr_segs == 1 && prp_one_segment(segs, page_shift, prp))
		return 0;
	return cnvme_prp_build_walk(segs, nr_segs, page_shift, lists, nr_lists,
				    prp);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_prp_build);

/**
 * cnvme_prp_build_walk() - cnvme_prp_build() for any layout: walks the PRP
 *	entries of the data.
 * @segs: the data.
 * @nr_segs: the number of @segs.
 * @page_shift: the controller memory page size.
 * @lists: PRP list pages to use when the data spans more than two pages.
 * @nr_lists: the number of @lists.
 * @prp: where to store the result, on success only.
 *
 * Return: as cnvme_prp_build().
 */
int cnvme_prp_build_walk(const struct cnvme_segment *segs,
			 unsigned int nr_segs, unsigned int page_shift,
			 struct cnvme_prp_list *lists, unsigned int nr_lists,
			 struct cnvme_prp *prp)
{
	struct prp_walk walk;
	unsigned int list = 0;
	size_t slot = 0, capacity;
	u64 count, left, prp2 = 0;
	int ret;

	ret = cnvme_prp_count_entries(segs, nr_segs, page_shift, &count);
	if (ret)
		return ret;

	prp_walk_start(&walk, segs, page_shift);
	prp_walk_next(&walk);	/* prp1 */
	if (count <= 2) {
		if (count == 2)
			prp2 = prp_walk_next(&walk);
		prp->prp1 = segs[0].addr;
		prp->prp2 = prp2;
		prp->list_pages = 0;
		prp->entries = count;
		return 0;
	}

	if (!nr_lists)
		return -E2BIG;
	ret = prp_list_capacity(lists[0].dma, page_shift, &capacity);
	if (ret)
		return ret;
	/* @left counts the entries still to place, the one at hand included. */
	for (left = count - 1; left; left--) {
		u64 entry = prp_walk_next(&walk);

		if (slot + 1 >= capacity && left > 1) {
			/* The last slot of the page chains to the next list page. */
			if (list + 1 >= nr_lists)
				return -E2BIG;
			if (slot >= lists[list].nr_entries)
				return -EINVAL;
			lists[list].entries[slot] = cpu_to_le64(lists[list + 1].dma);
			list++;
			slot = 0;
			ret = prp_list_capacity(lists[list].dma, page_shift,
						&capacity);
			if (ret)
				return ret;
		}
		if (slot >= lists[list].nr_entries)
			return -EINVAL;
		lists[list].entries[slot++] = cpu_to_le64(entry);
	}

	prp->prp1 = segs[0].addr;
	prp->prp2 = lists[0].dma;
	prp->list_pages = list + 1;
	prp->entries = count;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_prp_build_walk);

/**
 * cnvme_prp_list_pages_needed() - PRP list pages cnvme_prp_build() needs.
 * @total_len: the length of the data, in bytes.
 * @first_offset: the offset of its first byte in its page, taken modulo the
 *	page size.
 * @page_shift: the controller memory page size.
 *
 * Return: the number of page-aligned list pages.
 */
size_t cnvme_prp_list_pages_needed(size_t total_len, size_t first_offset,
				   unsigned int page_shift)
{
	size_t size = (size_t)1 << page_shift;
	size_t bytes, pages;

	if (!total_len)
		return 0;
	bytes = size_add(first_offset & (size - 1), total_len);
	pages = (bytes >> page_shift) + !!(bytes & (size - 1));
	if (pages <= 2)
		return 0;
	/* Every list page but the last gives its last slot to the chain. */
	return DIV_ROUND_UP(pages - 2, size / PRP_ENTRY_SIZE - 1);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_prp_list_pages_needed);
