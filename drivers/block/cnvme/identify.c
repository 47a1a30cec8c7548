// SPDX-License-Identifier: GPL-2.0
/*
 * Identify data (NVMe 2.0 base specification, section 5.17.2, and the NVM
 * command set specification): the checks of the Identify Controller,
 * Identify Namespace, Namespace Identification Descriptor list and active
 * namespace list structures the controller returns, in the layouts of
 * <linux/nvme.h>. See cnvme.h.
 */

#include <linux/bits.h>
#include <linux/blkdev.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/sprintf.h>
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
 * cnvme_ns_classify() - Whether the driver can use a namespace, and why not.
 * @id: its Identify Namespace data.
 * @csi: its command set identifier (cnvme_ns_desc_csi()).
 * @ns: where to store what the driver takes from @id, if it can use it.
 * @reason: where to write why not, if it cannot, as the text that follows
 *	"skipped: " in the driver's warning.
 * @size: the size of @reason, %CNVME_NS_REASON_SIZE.
 *
 * The namespace is skipped, for the first reason that applies in this
 * order, if it has no blocks (an inactive namespace reads as zeroes), FLBAS
 * names a format beyond those listed, the format carries metadata (the
 * driver transfers none), its logical block size is outside 512 bytes to
 * %BLK_MAX_BLOCK_SIZE, its size in 512-byte sectors does not fit 64 bits,
 * or its command set is not NVM.
 *
 * Return: true if the driver can use the namespace.
 */
bool cnvme_ns_classify(const struct nvme_id_ns *id, u8 csi,
		       struct cnvme_ns_info *ns, char *reason, size_t size)
{
	u64 nsze = le64_to_cpu(id->nsze), sectors;
	const struct nvme_lbaf *lbaf;
	u8 format;

	if (!nsze) {
		scnprintf(reason, size, "its size is zero");
		return false;
	}
	/*
	 * Bits 6:5 of FLBAS are the upper bits of the index with over 16
	 * formats only. The index is below 64, the formats the structure holds.
	 */
	format = id->nlbaf >= 16 ? nvme_lbaf_index(id->flbas) :
		 id->flbas & NVME_NS_FLBAS_LBA_MASK;
	if (format > id->nlbaf) {
		scnprintf(reason, size, "its FLBAS %#x names LBA format %u of %u",
			  id->flbas, format, id->nlbaf + 1);
		return false;
	}
	lbaf = &id->lbaf[format];
	if (lbaf->ms) {
		scnprintf(reason, size, "its LBA format carries metadata");
		return false;
	}
	if (lbaf->ds >= BITS_PER_TYPE(u64)) {
		scnprintf(reason, size,
			  "its LBA size 2^%u is not supported by the block layer",
			  lbaf->ds);
		return false;
	}
	if (BIT_ULL(lbaf->ds) < SECTOR_SIZE ||
	    BIT_ULL(lbaf->ds) > BLK_MAX_BLOCK_SIZE) {
		scnprintf(reason, size,
			  "its LBA size %llu is not supported by the block layer",
			  BIT_ULL(lbaf->ds));
		return false;
	}
	if (check_shl_overflow(nsze, lbaf->ds - SECTOR_SHIFT, &sectors)) {
		scnprintf(reason, size,
			  "its size of %llu blocks overflows 512-byte sectors",
			  nsze);
		return false;
	}
	if (csi != NVME_CSI_NVM) {
		scnprintf(reason, size, "its command set %u is not NVM", csi);
		return false;
	}

	ns->nsze = nsze;
	ns->format = format;
	ns->lba_shift = lbaf->ds;
	ns->nsfeat = id->nsfeat;
	ns->dlfeat = id->dlfeat;
	ns->npdg = le16_to_cpu(id->npdg);
	ns->npda = le16_to_cpu(id->npda);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_ns_classify);

/**
 * cnvme_ns_desc_csi() - Find the command set identifier in a Namespace
 *	Identification Descriptor list (Identify, CNS 03h).
 * @data: the list.
 * @len: its length, %NVME_IDENTIFY_DATA_SIZE.
 * @csi: where to store the command set identifier, if found.
 *
 * Each descriptor is NIDT, NIDL, two reserved bytes, then NIDL bytes. The
 * walk ends at a descriptor of type 0 or at the end of @data; a descriptor
 * that runs past the end is ignored, as is a CSI descriptor whose length is
 * not 1.
 *
 * Return: true if a CSI descriptor was found.
 */
bool cnvme_ns_desc_csi(const void *data, size_t len, u8 *csi)
{
	const struct nvme_ns_id_desc *desc;
	const u8 *bytes = data;
	size_t pos = 0, next;

	while (pos + sizeof(*desc) <= len) {
		desc = (const struct nvme_ns_id_desc *)(bytes + pos);
		next = pos + sizeof(*desc) + desc->nidl;
		if (!desc->nidt || next > len)
			break;
		if (desc->nidt == NVME_NIDT_CSI &&
		    desc->nidl == NVME_NIDT_CSI_LEN) {
			*csi = bytes[pos + sizeof(*desc)];
			return true;
		}
		pos = next;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_ns_desc_csi);

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

/**
 * cnvme_nvm_limits_parse() - Take the limits the driver uses from the NVM
 *	command set specific Identify Controller data (CNS 06h).
 * @id: the data.
 * @nvm: where to store the limits.
 */
void cnvme_nvm_limits_parse(const struct nvme_id_ctrl_nvm *id,
			    struct cnvme_nvm_limits *nvm)
{
	nvm->wzsl = id->wzsl;
	nvm->dmrl = id->dmrl;
	nvm->dmrsl = le32_to_cpu(id->dmrsl);
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_nvm_limits_parse);

/**
 * cnvme_disk_limits() - The discard and write zeroes limits of a namespace's
 *	disk, as nvme-pci computes them.
 * @id: the controller's Identify Controller data.
 * @nvm: its NVM command set limits (cnvme_admin_identify_nvm_limits()).
 * @ns: the namespace.
 * @max_hw_sectors: the disk's largest read or write.
 * @mpsmin_shift: log2 of the controller's minimum memory page size.
 * @l: where to store the limits.
 *
 * Discard: the Dataset Management Range Size Limit if there is one that fits,
 * otherwise any size if the controller supports Dataset Management; at most
 * its Ranges Limit ranges, or 256; in units of the namespace's preferred
 * deallocate granularity or alignment, whichever is larger, if NSFEAT OPTPERF
 * says it reports them (the second OPTPERF bit counts from NVMe 2.1 on; the
 * larger NPDGL and NPDAL that nvme-pci also reads are not), otherwise of the
 * logical block.
 *
 * Write zeroes: the Write Zeroes Size Limit if there is one, otherwise the
 * largest read or write, if the controller supports Write Zeroes; unlike
 * nvme-pci, at most what the command's 16-bit block count expresses. The
 * controller may deallocate up to all of it if the namespace reads
 * deallocated blocks as zeroes and allows it (DLFEAT).
 */
void cnvme_disk_limits(const struct nvme_id_ctrl *id,
		       const struct cnvme_nvm_limits *nvm,
		       const struct cnvme_ns_info *ns, u32 max_hw_sectors,
		       unsigned int mpsmin_shift, struct cnvme_disk_limits *l)
{
	unsigned int to_sectors = ns->lba_shift - SECTOR_SHIFT;
	u32 lbs = 1U << ns->lba_shift, sectors, units;
	u8 optperf;

	if (nvm->dmrsl && !check_shl_overflow(nvm->dmrsl, to_sectors, &sectors))
		l->discard_sectors = sectors;
	else if (cnvme_id_ctrl_supports_dsm(id))
		l->discard_sectors = UINT_MAX;
	else
		l->discard_sectors = 0;
	l->discard_segments = nvm->dmrl ? nvm->dmrl : NVME_DSM_MAX_RANGES;

	optperf = ns->nsfeat >> NVME_NS_FEAT_OPTPERF_SHIFT;
	if (le32_to_cpu(id->ver) >= NVME_VS(2, 1, 0))
		optperf &= NVME_NS_FEAT_OPTPERF_MASK_2_1;
	else
		optperf &= NVME_NS_FEAT_OPTPERF_MASK;
	if (optperf & 0x1)
		units = max(ns->npdg, ns->npda) + 1;
	else if (optperf)
		units = ns->npda + 1;
	else
		units = 1;
	if (check_mul_overflow(units, lbs, &l->discard_granularity))
		l->discard_granularity = lbs;

	if (!cnvme_id_ctrl_supports_write_zeroes(id)) {
		l->write_zeroes_sectors = 0;
	} else {
		u32 wanted = max_hw_sectors;

		if (nvm->wzsl &&
		    check_shl_overflow(1U, nvm->wzsl + mpsmin_shift - SECTOR_SHIFT,
				       &wanted))
			wanted = UINT_MAX;
		l->write_zeroes_sectors =
			min_t(u64, wanted,
			      (u64)CNVME_WRITE_ZEROES_MAX_BLOCKS << to_sectors);
	}
	if ((ns->dlfeat & CNVME_DLFEAT_READ_MASK) == CNVME_DLFEAT_READ_ZEROES &&
	    ns->dlfeat & CNVME_DLFEAT_WRITE_ZEROES_DEAC)
		l->write_zeroes_unmap_sectors = l->write_zeroes_sectors;
	else
		l->write_zeroes_unmap_sectors = 0;
}
EXPORT_SYMBOL_IF_KUNIT(cnvme_disk_limits);
