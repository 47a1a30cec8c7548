// SPDX-License-Identifier: GPL-2.0
/*
 * Identify data (NVMe 2.0 base specification, section 5.17.2, and the NVM
 * command set specification): the checks of the Identify Controller,
 * Identify Namespace and active namespace list structures the controller
 * returns, in the layouts of <linux/nvme.h>. See cnvme.h.
 */

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <kunit/visibility.h>

#include "cnvme.h"

/* Whether an entry size field (maximum in 7:4, required in 3:0) allows 2 ^ @log2. */
static bool entry_size_ok(u8 field, unsigned int log2)
{
	return (field & 0xf) <= log2 && log2 <= field >> 4;
}

/**
 * cnvme_id_ctrl_check() - Check Identify Controller data.
 * @id: the data.
 *
 * Return: 0, or -EINVAL if the controller cannot use 64-byte submission or
 * 16-byte completion queue entries, the only sizes the driver uses.
 */
int cnvme_id_ctrl_check(const struct nvme_id_ctrl *id)
{
	if (!entry_size_ok(id->sqes, NVME_NVM_IOSQES) ||
	    !entry_size_ok(id->cqes, NVME_NVM_IOCQES))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_id_ctrl_check);

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
size_t cnvme_id_ctrl_max_transfer_bytes(const struct nvme_id_ctrl *id,
					unsigned int mpsmin_shift)
{
	unsigned int shift = mpsmin_shift + id->mdts;

	if (!id->mdts || shift >= BITS_PER_TYPE(size_t))
		return CNVME_MAX_TRANSFER_BYTES;
	return min_t(size_t, (size_t)1 << shift, CNVME_MAX_TRANSFER_BYTES);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_id_ctrl_max_transfer_bytes);

/**
 * cnvme_id_ns_parse() - Check Identify Namespace data and take what the
 *	driver needs.
 * @id: the data.
 * @ns: where to store it, on success only.
 *
 * Return:
 * * 0 on success;
 * * -EINVAL if the namespace has no blocks (an inactive namespace reads as
 *   zeroes), the format in use is not among the formats listed, its logical
 *   block is smaller than 512 bytes or larger than 64 KiB, or the size in
 *   512-byte sectors does not fit 64 bits;
 * * -EOPNOTSUPP if the format carries metadata: the driver transfers none.
 */
int cnvme_id_ns_parse(const struct nvme_id_ns *id, struct cnvme_ns_info *ns)
{
	u64 nsze = le64_to_cpu(id->nsze), sectors;
	const struct nvme_lbaf *lbaf;
	u8 format;

	if (!nsze || id->nlbaf >= ARRAY_SIZE(id->lbaf))
		return -EINVAL;
	/* Bits 6:5 of FLBAS are the upper bits of the index with over 16 formats only. */
	format = id->nlbaf >= 16 ? nvme_lbaf_index(id->flbas) :
		 id->flbas & NVME_NS_FLBAS_LBA_MASK;
	if (format > id->nlbaf)
		return -EINVAL;
	lbaf = &id->lbaf[format];
	if (lbaf->ds < CNVME_MIN_LBADS || lbaf->ds > CNVME_MAX_LBADS)
		return -EINVAL;
	if (lbaf->ms)
		return -EOPNOTSUPP;
	if (check_shl_overflow(nsze, lbaf->ds - SECTOR_SHIFT, &sectors))
		return -EINVAL;

	ns->nsze = nsze;
	ns->format = format;
	ns->lba_shift = lbaf->ds;
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
 * Return: 0, or -EINVAL if @len is below %NVME_IDENTIFY_DATA_SIZE, or the
 * IDs are not strictly increasing, or one is %NVME_NSID_ALL.
 */
int cnvme_ns_list_parse(struct cnvme_ns_list *list, const void *data,
			size_t len)
{
	const __le32 *ids = data;
	unsigned int n;
	u32 prev = 0;

	if (len < NVME_IDENTIFY_DATA_SIZE)
		return -EINVAL;
	for (n = 0; n < CNVME_NS_LIST_MAX; n++) {
		u32 nsid = le32_to_cpu(ids[n]);

		if (!nsid)
			break;
		if (nsid <= prev || nsid == NVME_NSID_ALL)
			return -EINVAL;
		prev = nsid;
	}
	list->ids = ids;
	list->len = n;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_ns_list_parse);
