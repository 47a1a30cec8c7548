/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O path: the I/O queue structures, and the helpers one command takes
 * through a queue pair, static inline and in the order it takes them:
 *
 *   cnvme_queue_rq() (io.c)
 *   → Read, Write or Flush command: cnvme_cmd_rw(), cnvme_cmd_flush()
 *   → PRP entries of its data: cnvme_prp_build()
 *   → submission queue slot: cnvme_sq_push()
 *   → tail doorbell, or its shadow: cnvme_sq_ring_doorbell()
 *   → controller → completion queue entry
 *   → interrupt (cnvme_io_irq()) or poller (cnvme_poll()), both
 *     cnvme_poll_cq() (io.c): phase check cnvme_cqe_pending(), head
 *     doorbell cnvme_cq_ring_doorbell()
 *   → status: cnvme_status_to_blk(), or a retry: cnvme_disposition()
 *   → end of the request, or its requeue (cnvme_handle_cqe(), io.c).
 *
 * The admin queue (admin.c) uses the same queue helpers. KUnit tests them
 * through this header. Everything here but the two doorbell writers is pure.
 *
 * Each I/O queue pair is one blk-mq hardware queue, whose driver data is the
 * struct cnvme_io_queue: hardware queue i is queue pair i + 1. The first
 * irq_queues complete by interrupt, on vector i + 1 (vector 0 belongs to
 * the admin queue, which is polled), or all on vector 0 when the function
 * gave only that one (then irq_queues is 1); the others are poll queues,
 * created without an interrupt and served by blk-mq's poll map. The command
 * identifier of a request is its tag and a generation bumped each time the
 * request is issued (cnvme_cid()), so that a completion meant for an earlier
 * issue of the tag, or a duplicate, is told apart and dropped.
 *
 * Each queue has two locks, one per half of its queue pair. Completions
 * are processed under the completion lock, by one of the interrupt handler,
 * the poller, the timeout handler and the failure path (the controller
 * given up), so that exactly one of them ends each request. Commands are
 * queued under the submission lock, which interrupt handlers never take, so
 * it leaves interrupts on. The two are never held together.
 */

#ifndef CNVME_IO_H
#define CNVME_IO_H

#include <linux/align.h>
#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/blk-mq.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/dma-direction.h>
#include <linux/dmapool.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/nvme.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <asm/barrier.h>

#include "cnvme.h"

/*
 * Most data segments, and pages, of one request: the disks' max_segments,
 * and their max_hw_sectors in pages (512 KiB with 4 KiB pages). With an
 * unaligned first page that is 129 PRP entries: PRP1 and 128 in one PRP
 * list page.
 */
#define CNVME_MAX_SEGMENTS	128
/*
 * Slots of each I/O queue: the io_queue_depth module parameter, upstream
 * nvme's (default and range), within what CAP.MQES allows
 * (cnvme_io_queue_depth()). One slot stays empty to tell a full queue from
 * an empty one, so the tag set has one tag less.
 */
#define CNVME_DEFAULT_IO_QUEUE_DEPTH	1024
#define CNVME_MAX_IO_QUEUE_DEPTH	4095
/* PRP entries in one list page of the controller's memory page size (4 KiB). */
#define CNVME_PRP_LIST_ENTRIES	512
/* The largest request's entries after PRP1 fit in one list page. */
static_assert(CNVME_MAX_SEGMENTS <= CNVME_PRP_LIST_ENTRIES);

/*
 * Command Retry Delay Times of a controller (Identify Controller CRDT1 to
 * CRDT3): the CRD field of a status selects one of them, from 1.
 */
#define CNVME_NR_CRDT		3
/* Unit of the Command Retry Delay Times, in milliseconds. */
#define CNVME_CRDT_UNIT_MS	100

/**
 * cnvme_io_queue_depth() - The number of slots of the I/O queues.
 * @cap: the CAP register.
 * @wanted: the depth asked for, %CNVME_MIN_QUEUE_DEPTH to
 *	%CNVME_MAX_IO_QUEUE_DEPTH (the io_queue_depth module parameter).
 *
 * Return: @wanted, or CAP.MQES + 1 if that is smaller; 0 if CAP.MQES is 0,
 * which the specification does not allow (a queue has at least 2 slots).
 */
static inline u32 cnvme_io_queue_depth(u64 cap, u32 wanted)
{
	u32 mqes = NVME_CAP_MQES(cap);

	if (!mqes)
		return 0;
	return min(mqes + 1, wanted);
}

/**
 * struct cnvme_rq - Per-request driver data.
 * @sg: the scatterlist the data of a request of several physical segments is
 *	mapped through, %CNVME_MAX_SEGMENTS entries.
 * @nents: the entries passed to dma_map_sg(), 0 if none.
 * @dma: the bus address of the data of a request of one physical segment,
 *	mapped without @sg.
 * @dma_len: the length of that mapping, 0 if none.
 * @dir: the direction of the mapping.
 * @list: the page the controller reads besides the request's data, from the
 *	controller's pool, if it needs one: its PRP list, if its data spans
 *	more than two memory pages, or the ranges of a discard; NULL otherwise.
 * @list_dma: DMA address of @list.
 * @expired: set when the request timed out once; cleared when it is queued.
 * @gen: the generation in the command identifier of the request's latest
 *	issue, 4 bits (cnvme_cid()); bumped under the submission lock before
 *	the request is started, read by the completion side.
 * @retries: how often the request was retried after an error; reset when
 *	it ends, and when queue_rq refuses it for good.
 *
 * Nothing is mapped while @nents and @dma_len are both 0. The mapping and
 * the list page are the request's from queue_rq until it ends.
 */
struct cnvme_rq {
	struct scatterlist sg[CNVME_MAX_SEGMENTS];
	int nents;
	dma_addr_t dma;
	u32 dma_len;
	enum dma_data_direction dir;
	void *list;
	dma_addr_t list_dma;
	bool expired;
	u8 gen;
	u8 retries;
};

/**
 * struct cnvme_queue_layout - How the hardware queues are split between
 *	interrupts and polling: the driver data of the tag set.
 * @dev: the PCI function, whose vector affinities give the CPUs of each
 *	interrupt queue.
 * @shared_vector: whether there is only vector 0, which the one interrupt
 *	queue shares with the admin queue: it has no affinity to map by.
 * @irq_queues: hardware queues completed by interrupts: 0 to
 *	@irq_queues - 1.
 * @poll_queues: hardware queues completed by polling: @irq_queues to
 *	@irq_queues + @poll_queues - 1.
 */
struct cnvme_queue_layout {
	struct device *dev;
	bool shared_vector;
	u32 irq_queues;
	u32 poll_queues;
};

/**
 * cnvme_queue_layout_nr_maps() - The number of maps of the tag set.
 * @layout: the queue layout.
 *
 * Return: %HCTX_MAX_TYPES (the poll map included) if there are poll queues,
 * 1 otherwise.
 */
static inline unsigned int
cnvme_queue_layout_nr_maps(const struct cnvme_queue_layout *layout)
{
	return layout->poll_queues ? HCTX_MAX_TYPES : 1;
}

/**
 * struct cnvme_segment - A DMA-mapped piece of a request's data.
 * @addr: bus address of the first byte.
 * @len: length in bytes.
 */
struct cnvme_segment {
	u64 addr;
	u32 len;
};

struct cnvme_io_queues;

/**
 * struct cnvme_io_queue - One I/O queue pair: the driver data of one blk-mq
 *	hardware queue.
 * @io: the I/O queues it belongs to.
 * @index: its index: hardware queue @index, queue identifier @index + 1.
 * @polled: whether it is a poll queue (no interrupt).
 * @cq_lock: protects @qp.cq; taken with interrupts off, the interrupt
 *	handler takes it.
 * @sq_lock: protects @qp.sq and @segs.
 * @qp: the queue pair; its two halves are under the two locks.
 * @sq_head: the submission queue head the controller reported last, from
 *	the completion side to the submission side.
 * @segs: the DMA segments of the request being submitted,
 *	%CNVME_MAX_SEGMENTS of them.
 */
struct cnvme_io_queue {
	struct cnvme_io_queues *io;
	u32 index;
	bool polled;
	spinlock_t cq_lock;	/* guards qp.cq */
	spinlock_t sq_lock;	/* guards qp.sq and segs */
	struct cnvme_queue qp;
	u16 sq_head;
	struct cnvme_segment *segs;
};

/**
 * struct cnvme_io_queues - The I/O queues of a controller, shared by its
 *	disks and its interrupt handlers, and what they share.
 * @dev: the controller's device, for messages and DMA.
 * @bar: the controller registers.
 * @tagset: the tag set of every disk of the controller.
 * @layout: the split of the hardware queues, the driver data of @tagset.
 * @cap: the controller capabilities, for the timeout of a disable.
 * @page_shift: the controller memory page size.
 * @depth: the number of slots of each queue; the tag set has one tag less.
 * @prp_pool: the PRP list pages, one memory page each, taken by the
 *	requests that need one.
 * @dbbuf: the shadow doorbell buffers, if the controller reads them; freed
 *	with the queues.
 * @max_retries: how often a request that failed may be retried.
 * @crdt: the controller's Command Retry Delay Times (Identify Controller),
 *	for the retries whose completion asks for a delay.
 * @dead: set once the controller was disabled after a failure: no command
 *	is queued any more.
 * @queues: the queue pairs, by hardware queue index: interrupt queues
 *	first, then poll queues.
 * @nr_queues: the number of @queues.
 */
struct cnvme_io_queues {
	struct device *dev;
	void __iomem *bar;
	struct blk_mq_tag_set tagset;
	struct cnvme_queue_layout layout;
	u64 cap;
	unsigned int page_shift;
	u32 depth;
	struct dma_pool *prp_pool;
	struct cnvme_dbbuf *dbbuf;
	u8 max_retries;
	u16 crdt[CNVME_NR_CRDT];
	atomic_t dead;
	struct cnvme_io_queue *queues;
	unsigned int nr_queues;
};

/**
 * struct cnvme_ns_queue - One namespace's view of the I/O queues: the queue
 *	data of its disk.
 * @nsid: namespace identifier.
 * @lba_shift: log2 of the logical block size.
 * @io: the controller's I/O queues.
 */
struct cnvme_ns_queue {
	u32 nsid;
	u32 lba_shift;
	bool deallocate_zeroes;
	struct cnvme_io_queues *io;
};

extern const struct blk_mq_ops cnvme_mq_ops;

int cnvme_io_create(struct cnvme_io_queues *io, struct cnvme_ctrl *ctrl,
		    struct cnvme_dbbuf *dbbuf);
void cnvme_io_delete(struct cnvme_io_queues *io, struct cnvme_admin *admin);
void cnvme_io_free(struct cnvme_io_queues *io);
irqreturn_t cnvme_admin_irq(int irq, void *data);
irqreturn_t cnvme_io_irq(int irq, void *data);

/*
 * Completion injection (inject.c), in test builds only: the debugfs file
 * cnvme<instance>/inject_completion lists the commands in flight on the
 * I/O queues ("<qid> <cid>" lines) and takes such a line to process a
 * made-up successful completion of that command identifier, as the
 * completion queue entries are.
 */
struct dentry;
struct seq_file;

#if IS_ENABLED(CONFIG_CNVME_COMPLETION_INJECT)
void cnvme_io_show_inflight(struct cnvme_io_queues *io, struct seq_file *m);
int cnvme_io_inject_completion(struct cnvme_io_queues *io, u16 qid, u16 cid);
struct dentry *cnvme_inject_add(struct cnvme_io_queues *io, u32 instance);
void cnvme_inject_remove(struct dentry *dir);
#else
static inline struct dentry *cnvme_inject_add(struct cnvme_io_queues *io,
					      u32 instance)
{
	return NULL;
}

static inline void cnvme_inject_remove(struct dentry *dir)
{
}
#endif

/**
 * cnvme_io_is_dead() - Whether the controller was disabled after a failure.
 * @io: the I/O queues.
 *
 * Return: true once a timeout gave up on the controller.
 */
static inline bool cnvme_io_is_dead(struct cnvme_io_queues *io)
{
	return atomic_read(&io->dead);
}

/* 1. The command. */

/*
 * Its command identifier: the request's tag in bits 11:0 and a generation
 * in bits 15:12, bumped each time the request is issued. This is the scheme
 * of upstream nvme (drivers/nvme/host/nvme.h, nvme_cid()). A completion is
 * taken only if its tag is in flight with the same generation: one that
 * comes late for an earlier issue of the tag, or twice, is dropped instead
 * of ending whatever request holds the tag now (unless 16 issues went by
 * meanwhile).
 */
#define CNVME_CID_TAG_BITS	12
#define CNVME_CID_TAG_MASK	GENMASK(CNVME_CID_TAG_BITS - 1, 0)
#define CNVME_CID_GEN_MASK	GENMASK(15 - CNVME_CID_TAG_BITS, 0)

/* The largest tag of the deepest I/O queue fits in the tag bits. */
static_assert(CNVME_MAX_IO_QUEUE_DEPTH - 2 <= CNVME_CID_TAG_MASK);

/**
 * cnvme_cid() - The command identifier of an issue of a request.
 * @tag: the request's tag; only bits 11:0 are used.
 * @gen: the generation of the issue; only bits 3:0 are used.
 *
 * Return: @tag in bits 11:0, @gen in bits 15:12.
 */
static inline u16 cnvme_cid(u32 tag, u8 gen)
{
	return (gen & CNVME_CID_GEN_MASK) << CNVME_CID_TAG_BITS |
	       (tag & CNVME_CID_TAG_MASK);
}

/**
 * cnvme_cid_tag() - The tag of a command identifier.
 * @cid: the command identifier, from a completion.
 *
 * Return: bits 11:0 of @cid.
 */
static inline u32 cnvme_cid_tag(u16 cid)
{
	return cid & CNVME_CID_TAG_MASK;
}

/**
 * cnvme_cid_gen() - The generation of a command identifier.
 * @cid: the command identifier, from a completion.
 *
 * Return: bits 15:12 of @cid.
 */
static inline u8 cnvme_cid_gen(u16 cid)
{
	return cid >> CNVME_CID_TAG_BITS;
}

/**
 * cnvme_cid_gen_next() - The generation of the next issue of a request.
 * @gen: the generation of its last issue.
 *
 * Return: @gen + 1, wrapping from 15 to 0.
 */
static inline u8 cnvme_cid_gen_next(u8 gen)
{
	return (gen + 1) & CNVME_CID_GEN_MASK;
}

/**
 * cnvme_cmd_rw() - Build a Read or a Write.
 * @cmd: the command to fill in.
 * @opcode: %nvme_cmd_read or %nvme_cmd_write.
 * @nsid: the namespace.
 * @slba: the first logical block.
 * @nlb_zero_based: the number of logical blocks, minus one.
 * @prp1: PRP entry 1 of the buffer.
 * @prp2: PRP entry 2 of the buffer.
 * @fua: Force Unit Access.
 */
static inline void cnvme_cmd_rw(struct nvme_command *cmd, u8 opcode, u32 nsid,
				u64 slba, u16 nlb_zero_based, u64 prp1,
				u64 prp2, bool fua)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->rw.opcode = opcode;
	cmd->rw.nsid = cpu_to_le32(nsid);
	cmd->rw.dptr.prp1 = cpu_to_le64(prp1);
	cmd->rw.dptr.prp2 = cpu_to_le64(prp2);
	cmd->rw.slba = cpu_to_le64(slba);
	cmd->rw.length = cpu_to_le16(nlb_zero_based);
	cmd->rw.control = cpu_to_le16(fua ? NVME_RW_FUA : 0);
}

/**
 * cnvme_cmd_write_zeroes() - Build a Write Zeroes.
 * @cmd: the command to fill in.
 * @nsid: the namespace.
 * @slba: the first logical block.
 * @nlb_zero_based: the number of logical blocks, minus one.
 * @deallocate: whether the controller may deallocate the blocks (DEAC).
 */
static inline void cnvme_cmd_write_zeroes(struct nvme_command *cmd, u32 nsid,
					  u64 slba, u16 nlb_zero_based,
					  bool deallocate)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->write_zeroes.opcode = nvme_cmd_write_zeroes;
	cmd->write_zeroes.nsid = cpu_to_le32(nsid);
	cmd->write_zeroes.slba = cpu_to_le64(slba);
	cmd->write_zeroes.length = cpu_to_le16(nlb_zero_based);
	cmd->write_zeroes.control = cpu_to_le16(deallocate ? NVME_WZ_DEAC : 0);
}

/**
 * cnvme_dsm_range() - Fill in a Dataset Management range.
 * @range: the range.
 * @slba: its first logical block.
 * @nlb: its number of logical blocks (not 0's based).
 */
static inline void cnvme_dsm_range(struct nvme_dsm_range *range, u64 slba,
				   u32 nlb)
{
	range->cattr = 0;
	range->nlb = cpu_to_le32(nlb);
	range->slba = cpu_to_le64(slba);
}

/**
 * cnvme_cmd_deallocate() - Build a Dataset Management that deallocates
 *	ranges.
 * @cmd: the command to fill in.
 * @nsid: the namespace.
 * @nr_ranges: the number of ranges, 1 to %NVME_DSM_MAX_RANGES.
 * @ranges: the bus address of the ranges (16 bytes each, not crossing a
 *	memory page).
 */
static inline void cnvme_cmd_deallocate(struct nvme_command *cmd, u32 nsid,
					unsigned int nr_ranges, u64 ranges)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->dsm.opcode = nvme_cmd_dsm;
	cmd->dsm.nsid = cpu_to_le32(nsid);
	cmd->dsm.dptr.prp1 = cpu_to_le64(ranges);
	cmd->dsm.nr = cpu_to_le32(nr_ranges - 1);
	cmd->dsm.attributes = cpu_to_le32(NVME_DSMGMT_AD);
}

/**
 * cnvme_cmd_flush() - Build a Flush of a namespace's volatile write cache.
 * @cmd: the command to fill in.
 * @nsid: the namespace.
 */
static inline void cnvme_cmd_flush(struct nvme_command *cmd, u32 nsid)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->common.opcode = nvme_cmd_flush;
	cmd->common.nsid = cpu_to_le32(nsid);
}

/*
 * 2. The PRP entries of its data (NVMe 2.0 base specification, section
 * 4.1.1).
 *
 * PRP1 is the address of the first byte: it may start anywhere in a memory
 * page (dword aligned). Every further entry is the address of a whole memory
 * page. If the data touches at most two pages, PRP2 is the second page;
 * otherwise PRP2 points to a PRP list of the remaining pages, and when a
 * list page is not enough, the last entry of each list page points to the
 * next list page.
 *
 * The data comes as DMA segments, so the layout PRPs can describe is: the
 * first segment starts anywhere (dword aligned), every other segment starts
 * on a page boundary, and every segment but the last ends on one. Anything
 * else needs SGLs or a bounce buffer, and cnvme_prp_build() refuses it.
 */

/* Size of one PRP entry, in bytes. */
#define CNVME_PRP_ENTRY_SIZE	8

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

/**
 * cnvme_prp_count_entries() - Validate DMA segments for PRPs and count the
 *	PRP entries they need.
 * @segs: the data.
 * @nr_segs: the number of @segs.
 * @page_shift: the controller memory page size.
 * @count: where to store the count, PRP1 included, on success only.
 *
 * Return: 0, or -EINVAL if cnvme_prp_build() would refuse @segs for their
 * layout.
 */
static inline int cnvme_prp_count_entries(const struct cnvme_segment *segs,
					  unsigned int nr_segs,
					  unsigned int page_shift, u64 *count)
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

/*
 * Walks the PRP entries of segments that passed cnvme_prp_count_entries():
 * the first byte, then each further page. Callers ask for no more entries
 * than counted.
 */
struct cnvme_prp_walk {
	const struct cnvme_segment *seg;
	u64 addr;
	u64 end;
	unsigned int page_shift;
};

static inline void cnvme_prp_walk_start(struct cnvme_prp_walk *walk,
					const struct cnvme_segment *segs,
					unsigned int page_shift)
{
	walk->seg = segs;
	walk->addr = segs->addr;
	walk->end = segs->addr + segs->len;
	walk->page_shift = page_shift;
}

static inline u64 cnvme_prp_walk_next(struct cnvme_prp_walk *walk)
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
static inline int cnvme_prp_list_capacity(u64 dma, unsigned int page_shift,
					  size_t *capacity)
{
	if (!IS_ALIGNED(dma, CNVME_PRP_ENTRY_SIZE))
		return -EINVAL;
	*capacity = (BIT_ULL(page_shift) - cnvme_page_offset(page_shift, dma)) /
		    CNVME_PRP_ENTRY_SIZE;
	return 0;
}

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
static inline int cnvme_prp_build_walk(const struct cnvme_segment *segs,
				       unsigned int nr_segs,
				       unsigned int page_shift,
				       struct cnvme_prp_list *lists,
				       unsigned int nr_lists,
				       struct cnvme_prp *prp)
{
	struct cnvme_prp_walk walk;
	unsigned int list = 0;
	size_t slot = 0, capacity;
	u64 count, left, prp2 = 0;
	int ret;

	ret = cnvme_prp_count_entries(segs, nr_segs, page_shift, &count);
	if (ret)
		return ret;

	cnvme_prp_walk_start(&walk, segs, page_shift);
	cnvme_prp_walk_next(&walk);	/* prp1 */
	if (count <= 2) {
		if (count == 2)
			prp2 = cnvme_prp_walk_next(&walk);
		prp->prp1 = segs[0].addr;
		prp->prp2 = prp2;
		prp->list_pages = 0;
		prp->entries = count;
		return 0;
	}

	if (!nr_lists)
		return -E2BIG;
	ret = cnvme_prp_list_capacity(lists[0].dma, page_shift, &capacity);
	if (ret)
		return ret;
	/* @left counts the entries still to place, the one at hand included. */
	for (left = count - 1; left; left--) {
		u64 entry = cnvme_prp_walk_next(&walk);

		if (slot + 1 >= capacity && left > 1) {
			/* The last slot of the page chains to the next list page. */
			if (list + 1 >= nr_lists)
				return -E2BIG;
			if (slot >= lists[list].nr_entries)
				return -EINVAL;
			lists[list].entries[slot] = cpu_to_le64(lists[list + 1].dma);
			list++;
			slot = 0;
			ret = cnvme_prp_list_capacity(lists[list].dma, page_shift,
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

/*
 * Finds the PRP entries of @seg if it touches at most two memory pages and
 * cnvme_prp_count_entries() accepts it; returns false otherwise. Most small
 * I/O is one such segment; this needs no walk over the data.
 */
static inline bool cnvme_prp_one_segment(const struct cnvme_segment *seg,
					 unsigned int page_shift,
					 struct cnvme_prp *prp)
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
 *   or the layout cannot be expressed with PRPs, or a list page is
 *   misaligned or its entries too few for its page;
 * * -E2BIG if @lists has too few pages.
 */
static inline int cnvme_prp_build(const struct cnvme_segment *segs,
				  unsigned int nr_segs, unsigned int page_shift,
				  struct cnvme_prp_list *lists,
				  unsigned int nr_lists, struct cnvme_prp *prp)
{
	if (nr_segs == 1 && cnvme_prp_one_segment(segs, page_shift, prp))
		return 0;
	return cnvme_prp_build_walk(segs, nr_segs, page_shift, lists, nr_lists,
				    prp);
}

/*
 * 3. The submission queue slot. The ring arithmetic is in u32, depths being
 * at most 65536.
 */

/**
 * cnvme_sq_ring_init() - Set up an empty submission ring.
 * @ring: the ring.
 * @depth: its number of slots.
 *
 * Return: 0, or -EINVAL if @depth is outside
 * %CNVME_MIN_QUEUE_DEPTH..%CNVME_MAX_QUEUE_DEPTH.
 */
static inline int cnvme_sq_ring_init(struct cnvme_sq_ring *ring, u32 depth)
{
	if (depth < CNVME_MIN_QUEUE_DEPTH || depth > CNVME_MAX_QUEUE_DEPTH)
		return -EINVAL;
	ring->tail = 0;
	ring->depth = depth;
	return 0;
}

/* Returns the slot after @index in a ring of @depth slots. */
static inline u16 cnvme_ring_next(u16 index, u32 depth)
{
	u32 next = (u32)index + 1;

	return next >= depth ? 0 : next;
}

/**
 * cnvme_sq_ring_advance() - Move the tail past the slot just filled.
 * @ring: the ring.
 *
 * Return: the new tail, the value to write to the tail doorbell.
 */
static inline u16 cnvme_sq_ring_advance(struct cnvme_sq_ring *ring)
{
	ring->tail = cnvme_ring_next(ring->tail, ring->depth);
	return ring->tail;
}

/**
 * cnvme_sq_ring_is_full() - Whether the submission ring is full.
 * @ring: the ring.
 * @head: the controller's head, from a completion's sq_head.
 *
 * Return: true if advancing the tail would reach @head.
 */
static inline bool cnvme_sq_ring_is_full(const struct cnvme_sq_ring *ring,
					 u16 head)
{
	return cnvme_ring_next(ring->tail, ring->depth) == head;
}

/**
 * cnvme_sq_push() - Copy a command into the next submission queue slot
 *	without telling the controller.
 * @sq: the submission queue.
 * @cmd: the command, its identifier set.
 * @head: the submission queue head the controller reported last.
 *
 * A batch of commands is followed by one cnvme_sq_ring_doorbell().
 *
 * Return: 0, or -EBUSY if the queue is full, as far as @head tells.
 */
static inline int cnvme_sq_push(struct cnvme_sq *sq,
				const struct nvme_command *cmd, u16 head)
{
	if (unlikely(cnvme_sq_ring_is_full(&sq->ring, head)))
		return -EBUSY;
	memcpy(&sq->sqes[sq->ring.tail], cmd, sizeof(*cmd));
	cnvme_sq_ring_advance(&sq->ring);
	return 0;
}

/* 4. The doorbell, or its shadow. */

/**
 * cnvme_need_event() - Whether a shadow doorbell update passed the event index.
 * @event_idx: the controller's event index.
 * @new: the new doorbell value.
 * @old: the previous doorbell value.
 *
 * All three are free-running 16-bit values compared modulo 2^16: the event
 * index was crossed if it lies in [@old, @new).
 *
 * Return: true if the MMIO doorbell must be written too.
 */
static inline bool cnvme_need_event(u16 event_idx, u16 new, u16 old)
{
	return (u16)(new - event_idx - 1) < (u16)(new - old);
}

/**
 * cnvme_shadow_update() - Publish a new value of a doorbell in its shadow.
 * @shadow: the shadow doorbell, set up.
 * @old: the value last published.
 * @new: the new value.
 *
 * Return: whether the doorbell register must be written too.
 */
static inline bool cnvme_shadow_update(const struct cnvme_shadow *shadow,
				       u16 old, u16 new)
{
	struct cnvme_dbbuf *buf = shadow->buf;
	u16 event;

	/* The queue entries before the doorbell value that covers them. */
	wmb();
	WRITE_ONCE(buf->dbs[shadow->index], cpu_to_le32(new));
	/*
	 * The doorbell value before the event index: the controller updates
	 * the event index and then reads the doorbell, so one of the two
	 * sides sees the other's write.
	 */
	mb();
	/* Doorbell values are 16 bits. */
	event = le32_to_cpu(READ_ONCE(buf->eis[shadow->index]));
	return cnvme_need_event(event, new, old);
}

/**
 * cnvme_sq_ring_doorbell() - Ring the tail doorbell if commands were pushed
 *	since the last time.
 * @sq: the submission queue.
 *
 * With a shadow doorbell, publishes the tail and rings only if the
 * controller asks for it.
 */
static inline void cnvme_sq_ring_doorbell(struct cnvme_sq *sq)
{
	u16 tail = sq->ring.tail;
	u16 old = sq->last_tail;

	if (tail == old)
		return;
	sq->last_tail = tail;
	if (sq->shadow.buf && !cnvme_shadow_update(&sq->shadow, old, tail))
		return;
	/* writel() orders the slots' writes to memory before the doorbell. */
	writel(tail, sq->doorbell);
}

/* 5. The completion queue entry. */

/**
 * cnvme_cq_ring_init() - Set up the state of a freshly zeroed completion ring.
 * @ring: the ring.
 * @depth: its number of slots.
 *
 * The head is 0 and new entries carry phase 1.
 *
 * Return: 0, or -EINVAL if @depth is outside
 * %CNVME_MIN_QUEUE_DEPTH..%CNVME_MAX_QUEUE_DEPTH.
 */
static inline int cnvme_cq_ring_init(struct cnvme_cq_ring *ring, u32 depth)
{
	if (depth < CNVME_MIN_QUEUE_DEPTH || depth > CNVME_MAX_QUEUE_DEPTH)
		return -EINVAL;
	ring->head = 0;
	ring->phase = true;
	ring->depth = depth;
	return 0;
}

/**
 * cnvme_cq_ring_is_new() - Whether an entry at the head is new.
 * @ring: the ring.
 * @status: the entry's status field, phase tag in bit 0.
 *
 * Return: true if the entry's phase tag is the expected one.
 */
static inline bool cnvme_cq_ring_is_new(const struct cnvme_cq_ring *ring,
					u16 status)
{
	return (status & 1) == ring->phase;
}

/**
 * cnvme_cqe_pending() - Whether the controller posted the entry at the head.
 * @cq: the completion queue.
 *
 * Reads the status field alone; read the rest of the entry only after
 * dma_rmb().
 *
 * Return: true if the entry at the head is new.
 */
static inline bool cnvme_cqe_pending(const struct cnvme_cq *cq)
{
	const struct nvme_completion *cqe = &cq->cqes[cq->ring.head];

	return cnvme_cq_ring_is_new(&cq->ring, le16_to_cpu(READ_ONCE(cqe->status)));
}

/**
 * cnvme_cq_ring_advance() - Consume the entry at the head.
 * @ring: the ring.
 *
 * The expected phase flips when the head wraps.
 *
 * Return: the new head, the value to write to the head doorbell.
 */
static inline u16 cnvme_cq_ring_advance(struct cnvme_cq_ring *ring)
{
	ring->head = cnvme_ring_next(ring->head, ring->depth);
	if (!ring->head)
		ring->phase = !ring->phase;
	return ring->head;
}

/**
 * cnvme_cq_ring_doorbell() - Ring the head doorbell after consuming
 *	completions.
 * @cq: the completion queue.
 * @old: the head before them.
 *
 * With a shadow doorbell, publishes the head and rings only if the
 * controller asks for it.
 */
static inline void cnvme_cq_ring_doorbell(struct cnvme_cq *cq, u16 old)
{
	u16 head = cq->ring.head;

	if (!cq->shadow.buf || cnvme_shadow_update(&cq->shadow, old, head))
		writel(head, cq->doorbell);
}

/**
 * cnvme_cqe_status() - The status field of a completion entry.
 * @cqe: the entry.
 *
 * Return: the 15-bit status, without the phase tag, as <linux/nvme.h>'s
 * %NVME_SC_* and %NVME_STATUS_* values read it.
 */
static inline u16 cnvme_cqe_status(const struct nvme_completion *cqe)
{
	return le16_to_cpu(cqe->status) >> 1;
}

/* 6. The status of the request, and whether to retry it. */

/**
 * cnvme_status_to_blk() - Map a completion status to the block layer's view.
 * @status: the status field, without the phase tag.
 *
 * The table of upstream nvme (nvme_error_status() in
 * drivers/nvme/host/core.c), keyed by the status code type and status code:
 * the Do Not Retry, More and Command Retry Delay bits are not part of the
 * key. Every code without an entry, vendor specific ones included, is
 * %BLK_STS_IOERR.
 *
 * Return: the block layer status.
 */
static inline blk_status_t cnvme_status_to_blk(u16 status)
{
	switch (status & NVME_SCT_SC_MASK) {
	case NVME_SC_SUCCESS:
		return BLK_STS_OK;
	case NVME_SC_CAP_EXCEEDED:
		return BLK_STS_NOSPC;
	case NVME_SC_LBA_RANGE:
	case NVME_SC_CMD_INTERRUPTED:
	case NVME_SC_NS_NOT_READY:
		return BLK_STS_TARGET;
	case NVME_SC_BAD_ATTRIBUTES:
	case NVME_SC_INVALID_OPCODE:
	case NVME_SC_INVALID_FIELD:
	case NVME_SC_INVALID_NS:
		return BLK_STS_NOTSUPP;
	case NVME_SC_WRITE_FAULT:
	case NVME_SC_READ_ERROR:
	case NVME_SC_UNWRITTEN_BLOCK:
	case NVME_SC_ACCESS_DENIED:
	case NVME_SC_READ_ONLY:
	case NVME_SC_COMPARE_FAILED:
		return BLK_STS_MEDIUM;
	case NVME_SC_GUARD_CHECK:
	case NVME_SC_APPTAG_CHECK:
	case NVME_SC_REFTAG_CHECK:
	case NVME_SC_INVALID_PI:
		return BLK_STS_PROTECTION;
	case NVME_SC_RESERVATION_CONFLICT:
		return BLK_STS_RESV_CONFLICT;
	case NVME_SC_HOST_PATH_ERROR:
		return BLK_STS_TRANSPORT;
	case NVME_SC_ZONE_TOO_MANY_ACTIVE:
		return BLK_STS_ZONE_ACTIVE_RESOURCE;
	case NVME_SC_ZONE_TOO_MANY_OPEN:
		return BLK_STS_ZONE_OPEN_RESOURCE;
	default:
		return BLK_STS_IOERR;
	}
}

/**
 * struct cnvme_disposition - What becomes of a request the controller
 *	completed, decided by cnvme_disposition().
 * @retry: whether to dispatch it again, after @delay_ms; otherwise it ends
 *	with @status.
 * @status: the block layer status of the completion.
 * @delay_ms: the wait before the retry, in milliseconds; 0 if it ends.
 */
struct cnvme_disposition {
	bool retry;
	blk_status_t status;
	u32 delay_ms;
};

/**
 * cnvme_disposition() - Decide whether a completed request ends or is
 *	retried.
 * @status: the status field of its completion, without the phase tag.
 * @retries: how often the request was retried already.
 * @max_retries: how often a request may be retried (the max_retries module
 *	parameter).
 * @may_retry: whether the submitter allows retries (no REQ_FAILFAST_* flag:
 *	!blk_noretry_request()).
 * @crdt: the controller's Command Retry Delay Times, %CNVME_NR_CRDT of them,
 *	in units of %CNVME_CRDT_UNIT_MS.
 *
 * An error is retried if the controller did not set Do Not Retry, the
 * submitter allows it and fewer than @max_retries retries were made, as
 * upstream nvme decides (nvme_decide_disposition()). The retry waits the
 * delay time the CRD field selects (1 to 3), none if it is 0. A success, or
 * an error that is not retried, ends with cnvme_status_to_blk().
 *
 * Return: the decision.
 */
static inline struct cnvme_disposition
cnvme_disposition(u16 status, u8 retries, u8 max_retries, bool may_retry,
		  const u16 *crdt)
{
	struct cnvme_disposition d = { .status = cnvme_status_to_blk(status) };
	u32 crd;

	/* The CRD field selects any of them, and nothing past them. */
	BUILD_BUG_ON(FIELD_MAX(NVME_STATUS_CRD) != CNVME_NR_CRDT);
	if (d.status == BLK_STS_OK || status & NVME_STATUS_DNR || !may_retry ||
	    retries >= max_retries)
		return d;
	d.retry = true;
	crd = FIELD_GET(NVME_STATUS_CRD, status);
	if (crd)
		d.delay_ms = crdt[crd - 1] * CNVME_CRDT_UNIT_MS;
	return d;
}

#endif /* CNVME_IO_H */
