// SPDX-License-Identifier: GPL-2.0
/*
 * Identify data parsing. See identify.h.
 */

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <kunit/visibility.h>

#include "identify.h"
#include "regs.h"

/* Offset of the first LBA format descriptor in Identify Namespace. */
#define LBAF_BASE	128
/* Number of LBA format descriptors in Identify Namespace. */
#define LBAF_COUNT	64
/* The broadcast namespace ID, never a real namespace. */
#define NSID_BROADCAST	0xffffffff

/* Whether an entry size field (maximum in 7:4, required in 3:0) allows 2 ^ @log2. */
static bool entry_size_ok(u8 field, unsigned int log2)
{
	return (field & 0xf) <= log2 && log2 <= field >> 4;
}

/**
 * cnvme_id_ctrl_parse() - Parse an Identify Controller data structure.
 * @id: where to store the fields.
 * @data: the data structure.
 * @len: the length of @data.
 *
 * Return: 0, or -EINVAL if @len is below 4096, or if the controller cannot
 * use 64-byte submission or 16-byte completion queue entries, the only sizes
 * the driver uses.
 */
int cnvme_id_ctrl_parse(struct cnvme_id_ctrl *id, const void *data, size_t len)
{
	const u8 *b = data;

	if (len < CNVME_IDENTIFY_SIZE)
		return -EINVAL;
	if (!entry_size_ok(b[512], CNVME_SQES_LOG2) ||
	    !entry_size_ok(b[513], CNVME_CQES_LOG2))
		return -EINVAL;

	id->vid = get_unaligned_le16(b);
	memcpy(id->sn, b + 4, sizeof(id->sn));
	memcpy(id->mn, b + 24, sizeof(id->mn));
	memcpy(id->fr, b + 64, sizeof(id->fr));
	id->mdts = b[77];
	id->cntlid = get_unaligned_le16(b + 78);
	id->ver = get_unaligned_le32(b + 80);
	id->oacs = get_unaligned_le16(b + 256);
	id->sqes = b[512];
	id->cqes = b[513];
	id->nn = get_unaligned_le32(b + 516);
	id->oncs = get_unaligned_le16(b + 520);
	id->vwc = b[525];
	id->sgls = get_unaligned_le32(b + 536);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_id_ctrl_parse);

/**
 * cnvme_id_trimmed_len() - Length of an Identify string without its padding.
 * @s: the string, padded with trailing spaces or NULs.
 * @size: its size.
 *
 * Return: the length without trailing spaces and NULs.
 */
size_t cnvme_id_trimmed_len(const char *s, size_t size)
{
	while (size && (s[size - 1] == ' ' || !s[size - 1]))
		size--;
	return size;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_id_trimmed_len);

/**
 * cnvme_id_ctrl_max_transfer_bytes() - Largest transfer, in bytes.
 * @id: the controller.
 * @mpsmin_shift: its minimum memory page size (CAP.MPSMIN).
 *
 * Return: the size MDTS allows, capped to %CNVME_MAX_TRANSFER_BYTES.
 */
size_t cnvme_id_ctrl_max_transfer_bytes(const struct cnvme_id_ctrl *id,
					unsigned int mpsmin_shift)
{
	unsigned int shift = mpsmin_shift + id->mdts;

	if (!id->mdts || shift >= BITS_PER_TYPE(size_t))
		return CNVME_MAX_TRANSFER_BYTES;
	return min_t(size_t, (size_t)1 << shift, CNVME_MAX_TRANSFER_BYTES);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_id_ctrl_max_transfer_bytes);

/**
 * cnvme_id_ns_parse() - Parse an Identify Namespace data structure.
 * @id: where to store the fields.
 * @data: the data structure.
 * @len: the length of @data.
 *
 * Return:
 * * 0 on success;
 * * -EINVAL if @len is below 4096, the namespace has no blocks (an inactive
 *   namespace reads as zeroes), the format in use is not among the formats
 *   listed, its logical block is smaller than 512 bytes or larger than
 *   64 KiB, or the size in 512-byte sectors does not fit 64 bits;
 * * -EOPNOTSUPP if the format carries metadata: the driver transfers none.
 */
int cnvme_id_ns_parse(struct cnvme_id_ns *id, const void *data, size_t len)
{
	const u8 *b = data;
	const u8 *lbaf;
	u64 nsze, sectors;
	u8 nlbaf, flbas, format, lbads;
	u16 ms;

	if (len < CNVME_IDENTIFY_SIZE)
		return -EINVAL;
	nsze = get_unaligned_le64(b);
	nlbaf = b[25];
	flbas = b[26];
	if (!nsze || nlbaf >= LBAF_COUNT)
		return -EINVAL;
	/* Bits 3:0 index the format; with over 16 formats, bits 6:5 are its upper bits. */
	format = flbas & 0xf;
	if (nlbaf >= 16)
		format |= ((flbas >> 5) & 0x3) << 4;
	if (format > nlbaf)
		return -EINVAL;
	lbaf = b + LBAF_BASE + 4 * format;
	ms = get_unaligned_le16(lbaf);
	lbads = lbaf[2];
	if (lbads < CNVME_MIN_LBADS || lbads > CNVME_MAX_LBADS)
		return -EINVAL;
	if (ms)
		return -EOPNOTSUPP;
	if (check_shl_overflow(nsze, lbads - CNVME_MIN_LBADS, &sectors))
		return -EINVAL;

	id->nsze = nsze;
	id->ncap = get_unaligned_le64(b + 8);
	id->nuse = get_unaligned_le64(b + 16);
	id->nlbaf = nlbaf;
	id->flbas = flbas;
	id->format = format;
	id->lbads = lbads;
	id->ms = ms;
	id->rp = lbaf[3] & 0x3;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_id_ns_parse);

/**
 * cnvme_ns_list_parse() - Check an active namespace ID list.
 * @list: where to store the list; it points into @data.
 * @data: the data structure.
 * @len: the length of @data.
 *
 * The list ends at the first zero entry.
 *
 * Return: 0, or -EINVAL if @len is below 4096, or the IDs are not strictly
 * increasing, or one is the broadcast ID 0xffffffff.
 */
int cnvme_ns_list_parse(struct cnvme_ns_list *list, const void *data,
			size_t len)
{
	const u8 *b = data;
	unsigned int n;
	u32 prev = 0;

	if (len < CNVME_IDENTIFY_SIZE)
		return -EINVAL;
	for (n = 0; n < CNVME_NS_LIST_MAX; n++) {
		u32 nsid = get_unaligned_le32(b + 4 * n);

		if (!nsid)
			break;
		if (nsid <= prev || nsid == NSID_BROADCAST)
			return -EINVAL;
		prev = nsid;
	}
	list->ids = b;
	list->len = n;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_ns_list_parse);

/**
 * cnvme_ns_list_id() - An ID of an active namespace list.
 * @list: the list.
 * @i: the index, from 0.
 *
 * Return: the ID, or 0 (never a namespace ID) past the end of the list.
 */
u32 cnvme_ns_list_id(const struct cnvme_ns_list *list, unsigned int i)
{
	return i < list->len ? get_unaligned_le32(list->ids + 4 * i) : 0;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_ns_list_id);
