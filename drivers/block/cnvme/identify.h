/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Identify data parsing, after the NVMe 2.0 base specification (section
 * 5.17.2) and the NVM command set specification.
 *
 * The controller returns each Identify data structure as a 4096-byte
 * little-endian buffer. The parsers read the fields the driver needs with
 * explicit little-endian reads, check them, and fill in plain structures:
 * struct cnvme_id_ctrl (CNS 01h), struct cnvme_id_ns (CNS 00h) and
 * struct cnvme_ns_list (CNS 02h).
 *
 * Everything here is pure: no function touches the hardware.
 */

#ifndef CNVME_IDENTIFY_H
#define CNVME_IDENTIFY_H

#include <linux/bits.h>
#include <linux/sizes.h>
#include <linux/types.h>

/* Size of every Identify data structure. */
#define CNVME_IDENTIFY_SIZE		4096

/*
 * Largest transfer the driver issues, whatever the controller allows. With
 * 4 KiB pages, any 2 MiB buffer needs at most 513 PRP entries: prp1 and one
 * full list page, so a request never needs a chained list.
 */
#define CNVME_MAX_TRANSFER_BYTES	SZ_2M

/* Most namespace IDs an active namespace list holds. */
#define CNVME_NS_LIST_MAX		(CNVME_IDENTIFY_SIZE / 4)

/* Smallest logical block the driver accepts: 512 bytes, the sector size. */
#define CNVME_MIN_LBADS			9
/* Largest logical block the driver accepts: 64 KiB. */
#define CNVME_MAX_LBADS			16

/* OACS bit: Doorbell Buffer Config supported. */
#define CNVME_OACS_DBBUF		BIT(8)
/* ONCS bit: Dataset Management supported. */
#define CNVME_ONCS_DSM			BIT(2)
/* ONCS bit: Write Zeroes supported. */
#define CNVME_ONCS_WRITE_ZEROES		BIT(3)
/* VWC bit: a volatile write cache is present. */
#define CNVME_VWC_PRESENT		BIT(0)

/**
 * struct cnvme_id_ctrl - The fields of Identify Controller the driver uses.
 * @vid: PCI Vendor ID.
 * @sn: Serial Number (ASCII, space padded).
 * @mn: Model Number (ASCII, space padded).
 * @fr: Firmware Revision (ASCII, space padded).
 * @mdts: Maximum Data Transfer Size: 2 ^ MDTS minimum memory pages, 0 for no
 *	limit.
 * @cntlid: Controller ID.
 * @ver: Version, as in the VS register.
 * @oacs: Optional Admin Command Support.
 * @sqes: Submission Queue Entry Size: maximum (7:4) and required (3:0), as
 *	powers of two.
 * @cqes: Completion Queue Entry Size: maximum (7:4) and required (3:0), as
 *	powers of two.
 * @nn: Number of Namespaces: the largest valid namespace ID.
 * @oncs: Optional NVM Command Support.
 * @vwc: Volatile Write Cache.
 * @sgls: SGL Support.
 */
struct cnvme_id_ctrl {
	u16 vid;
	char sn[20];
	char mn[40];
	char fr[8];
	u8 mdts;
	u16 cntlid;
	u32 ver;
	u16 oacs;
	u8 sqes;
	u8 cqes;
	u32 nn;
	u16 oncs;
	u8 vwc;
	u32 sgls;
};

/**
 * struct cnvme_id_ns - The fields of Identify Namespace the driver uses, with
 *	the LBA format in use resolved.
 * @nsze: Namespace Size, in logical blocks.
 * @ncap: Namespace Capacity, in logical blocks.
 * @nuse: Namespace Utilization, in logical blocks.
 * @nlbaf: Number of LBA Formats, 0's based.
 * @flbas: Formatted LBA Size.
 * @format: index of the LBA format in use, from @flbas.
 * @lbads: LBA Data Size of that format, as a power of two.
 * @ms: Metadata Size of that format, in bytes.
 * @rp: Relative Performance of that format (0 is best).
 */
struct cnvme_id_ns {
	u64 nsze;
	u64 ncap;
	u64 nuse;
	u8 nlbaf;
	u8 flbas;
	u8 format;
	u8 lbads;
	u16 ms;
	u8 rp;
};

/**
 * struct cnvme_ns_list - A checked active namespace ID list.
 * @ids: the little-endian IDs, strictly increasing, in the Identify buffer.
 * @len: the number of IDs, up to the first zero entry.
 */
struct cnvme_ns_list {
	const u8 *ids;
	unsigned int len;
};

int cnvme_id_ctrl_parse(struct cnvme_id_ctrl *id, const void *data, size_t len);
size_t cnvme_id_ctrl_max_transfer_bytes(const struct cnvme_id_ctrl *id,
					unsigned int mpsmin_shift);
size_t cnvme_id_trimmed_len(const char *s, size_t size);
int cnvme_id_ns_parse(struct cnvme_id_ns *id, const void *data, size_t len);
int cnvme_ns_list_parse(struct cnvme_ns_list *list, const void *data,
			size_t len);
u32 cnvme_ns_list_id(const struct cnvme_ns_list *list, unsigned int i);

/**
 * cnvme_id_ctrl_serial_len() - Length of the serial number without padding.
 * @id: the controller.
 *
 * Return: the length without trailing spaces and NULs.
 */
static inline size_t cnvme_id_ctrl_serial_len(const struct cnvme_id_ctrl *id)
{
	return cnvme_id_trimmed_len(id->sn, sizeof(id->sn));
}

/**
 * cnvme_id_ctrl_model_len() - Length of the model number without padding.
 * @id: the controller.
 *
 * Return: the length without trailing spaces and NULs.
 */
static inline size_t cnvme_id_ctrl_model_len(const struct cnvme_id_ctrl *id)
{
	return cnvme_id_trimmed_len(id->mn, sizeof(id->mn));
}

/**
 * cnvme_id_ctrl_firmware_len() - Length of the firmware revision without
 *	padding.
 * @id: the controller.
 *
 * Return: the length without trailing spaces and NULs.
 */
static inline size_t cnvme_id_ctrl_firmware_len(const struct cnvme_id_ctrl *id)
{
	return cnvme_id_trimmed_len(id->fr, sizeof(id->fr));
}

/**
 * cnvme_id_ctrl_supports_dbbuf() - Whether Doorbell Buffer Config (shadow
 *	doorbells) is supported.
 * @id: the controller.
 *
 * Return: OACS bit 8.
 */
static inline bool cnvme_id_ctrl_supports_dbbuf(const struct cnvme_id_ctrl *id)
{
	return id->oacs & CNVME_OACS_DBBUF;
}

/**
 * cnvme_id_ctrl_has_volatile_write_cache() - Whether the controller has a
 *	volatile write cache, which makes flushes useful.
 * @id: the controller.
 *
 * Return: VWC bit 0.
 */
static inline bool
cnvme_id_ctrl_has_volatile_write_cache(const struct cnvme_id_ctrl *id)
{
	return id->vwc & CNVME_VWC_PRESENT;
}

/**
 * cnvme_id_ctrl_supports_dsm() - Whether Dataset Management (discard) is
 *	supported.
 * @id: the controller.
 *
 * Return: ONCS bit 2.
 */
static inline bool cnvme_id_ctrl_supports_dsm(const struct cnvme_id_ctrl *id)
{
	return id->oncs & CNVME_ONCS_DSM;
}

/**
 * cnvme_id_ctrl_supports_write_zeroes() - Whether Write Zeroes is supported.
 * @id: the controller.
 *
 * Return: ONCS bit 3.
 */
static inline bool
cnvme_id_ctrl_supports_write_zeroes(const struct cnvme_id_ctrl *id)
{
	return id->oncs & CNVME_ONCS_WRITE_ZEROES;
}

/**
 * cnvme_id_ctrl_supports_sgls() - Whether SGLs are supported for the NVM
 *	command set.
 * @id: the controller.
 *
 * Return: true if SGLS bits 1:0 are not 0.
 */
static inline bool cnvme_id_ctrl_supports_sgls(const struct cnvme_id_ctrl *id)
{
	return id->sgls & 0x3;
}

/**
 * cnvme_id_ns_lba_shift() - log2 of the logical block size.
 * @id: the namespace.
 *
 * Return: LBADS of the format in use.
 */
static inline unsigned int cnvme_id_ns_lba_shift(const struct cnvme_id_ns *id)
{
	return id->lbads;
}

/**
 * cnvme_id_ns_lba_size() - The logical block size in bytes.
 * @id: the namespace.
 *
 * Return: 2 ^ LBADS.
 */
static inline u32 cnvme_id_ns_lba_size(const struct cnvme_id_ns *id)
{
	return 1U << id->lbads;
}

/**
 * cnvme_id_ns_capacity_sectors() - The namespace size in 512-byte sectors.
 * @id: the namespace, as cnvme_id_ns_parse() filled it in; it checked that
 *	this does not overflow.
 *
 * Return: NSZE in 512-byte units.
 */
static inline u64 cnvme_id_ns_capacity_sectors(const struct cnvme_id_ns *id)
{
	return id->nsze << (id->lbads - CNVME_MIN_LBADS);
}

/**
 * cnvme_ns_list_is_empty() - Whether the list is empty.
 * @list: the list.
 *
 * Return: true if the list has no ID.
 */
static inline bool cnvme_ns_list_is_empty(const struct cnvme_ns_list *list)
{
	return !list->len;
}

/**
 * cnvme_ns_list_is_full() - Whether the list is full.
 * @list: the list.
 *
 * Then more namespaces may follow: ask again with cnvme_ns_list_last() as the
 * NSID.
 *
 * Return: true if the list has %CNVME_NS_LIST_MAX IDs.
 */
static inline bool cnvme_ns_list_is_full(const struct cnvme_ns_list *list)
{
	return list->len == CNVME_NS_LIST_MAX;
}

/**
 * cnvme_ns_list_last() - The largest ID.
 * @list: the list.
 *
 * Return: the ID, or 0 (never a namespace ID) if the list is empty.
 */
static inline u32 cnvme_ns_list_last(const struct cnvme_ns_list *list)
{
	return list->len ? cnvme_ns_list_id(list, list->len - 1) : 0;
}

#endif /* CNVME_IDENTIFY_H */
