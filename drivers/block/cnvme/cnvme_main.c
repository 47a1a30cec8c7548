// SPDX-License-Identifier: GPL-2.0
/*
 * cnvme: an NVMe PCI block driver in C, the twin of the Rust driver rnvme.
 *
 * The driver binds to NVMe-class PCI functions (class code 0x010802), brings
 * the controller up with an admin queue, identifies it and its active
 * namespaces, negotiates the number of I/O queues, creates one I/O queue
 * pair per granted interrupt vector after the admin queue's (or one sharing
 * the admin queue's vector), plus poll_queues poll queues, and registers
 * one disk per usable namespace.
 *
 * The files, by feature, as null_blk's:
 * - cnvme.h: the limits, the register and command helpers <linux/nvme.h>
 *   lacks, and the controller and admin queue structures;
 * - io.h: the I/O queue structures, and every helper one command takes
 *   through a queue pair, static inline, in the order it takes them;
 * - cnvme_main.c: the PCI driver: probe and remove, the namespaces and
 *   disks;
 * - ctrl.c: controller disable, admin queue setup, enable and shutdown;
 * - admin.c: synchronous admin commands on the admin queue, polled;
 * - identify.c: checks of the Identify data;
 * - queue.c: queue pairs in coherent DMA memory, shadow doorbell buffers;
 * - io.c: the blk-mq operations, the I/O queues, their interrupts,
 *   polling, timeouts;
 * - inject.c: the completion injection file in debugfs, in test builds;
 * - *_kunit.c: one KUnit suite each, testing the helpers of cnvme.h and
 *   io.h and the checks of identify.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/numa.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sprintf.h>
#include <linux/string_choices.h>

#include "cnvme.h"
#include "io.h"

/*
 * Instance number of the next controller, in probe order: the namespaces of
 * a controller are cnvme<instance>n<nsid>. Numbers are not reused. Messages
 * about the controller name it by its PCI function, as dev_*() does.
 */
static atomic_t cnvme_next_instance = ATOMIC_INIT(0);

/*
 * The module parameters are read at probe time. Their .set refuses a value
 * out of range, which makes the module load fail: a controller never runs
 * with a silently different setting.
 */

static unsigned int poll_queues;

/* poll_queues: at most the number of possible CPUs, upstream nvme's rule. */
static int poll_queues_set(const char *val, const struct kernel_param *kp)
{
	unsigned int max = num_possible_cpus();
	int ret;

	ret = param_set_uint_minmax(val, kp, 0, max);
	if (ret)
		pr_err("poll_queues=%s: must be at most %u, the number of possible CPUs\n",
		       val, max);
	return ret;
}

static const struct kernel_param_ops poll_queues_ops = {
	.set	= poll_queues_set,
	.get	= param_get_uint,
};

module_param_cb(poll_queues, &poll_queues_ops, &poll_queues, 0);
MODULE_PARM_DESC(poll_queues,
		 "Number of I/O queues completed by polling (io_uring hipri), besides one per CPU completed by interrupts; at most the number of possible CPUs and fewer than the controller grants");

static unsigned int io_queue_depth = CNVME_DEFAULT_IO_QUEUE_DEPTH;

static int io_queue_depth_set(const char *val, const struct kernel_param *kp)
{
	int ret;

	ret = param_set_uint_minmax(val, kp, CNVME_MIN_QUEUE_DEPTH,
				    CNVME_MAX_IO_QUEUE_DEPTH);
	if (ret)
		pr_err("io_queue_depth=%s: must be between %u and %u\n", val,
		       CNVME_MIN_QUEUE_DEPTH, CNVME_MAX_IO_QUEUE_DEPTH);
	return ret;
}

static const struct kernel_param_ops io_queue_depth_ops = {
	.set	= io_queue_depth_set,
	.get	= param_get_uint,
};

module_param_cb(io_queue_depth, &io_queue_depth_ops, &io_queue_depth, 0);
MODULE_PARM_DESC(io_queue_depth,
		 "Number of entries of each I/O queue, 2 to 4095 (default 1024), fewer if the controller's CAP.MQES says so");

static bool shadow_doorbells = true;
module_param(shadow_doorbells, bool, 0);
MODULE_PARM_DESC(shadow_doorbells,
		 "Use shadow doorbell buffers (Doorbell Buffer Config) if the controller offers them; N writes every doorbell register");

/* Any value is valid: 0 means no retries. */
static u8 max_retries = 5;
module_param(max_retries, byte, 0);
MODULE_PARM_DESC(max_retries,
		 "Max number of retries a command may have: after an error the controller did not mark Do Not Retry");

/**
 * struct cnvme_namespace - An active namespace the driver can use.
 * @nsid: namespace identifier.
 * @id: its Identify Namespace data.
 */
struct cnvme_namespace {
	u32 nsid;
	struct cnvme_ns_info id;
};

/**
 * struct cnvme_disk - The disk of a namespace.
 * @disk: the disk, cnvme<instance>n<nsid>.
 * @queue: its queue data.
 */
struct cnvme_disk {
	struct gendisk *disk;
	struct cnvme_ns_queue queue;
};

/**
 * struct cnvme_controller - A bound controller, the driver data of its PCI
 *	function.
 * @disks: one disk per usable namespace.
 * @nr_disks: the number of @disks.
 * @io: the I/O queues, shared with the disks and the interrupt handlers.
 * @nr_vectors: the interrupt vectors allocated: vector 0 (admin, polled),
 *	then one per interrupt I/O queue, each with its handler; or vector 0
 *	alone, shared by the admin queue and I/O queue 1.
 * @ctrl: the controller, its registers and its admin queue.
 * @instance: instance number: the disks are cnvme<instance>n<nsid>.
 * @id: Identify Controller data.
 * @max_transfer: largest transfer of one command, in bytes.
 * @namespaces: the active namespaces, in increasing identifier order.
 * @nr_namespaces: the number of @namespaces.
 * @io_queues: how many I/O queue pairs the controller granted, poll queues
 *	included.
 * @debugfs: the controller's debugfs folder, with the completion injection
 *	file (CONFIG_CNVME_COMPLETION_INJECT); NULL without it.
 *
 * Teardown: cnvme_remove() removes the debugfs folder, then the disks
 * (waiting for their I/O), deletes the I/O queues and shuts the controller
 * down (unless a timeout disabled it after a failure); then it frees the
 * interrupt handlers and vectors, the I/O queue memory and the tag set,
 * then disables the controller and frees the admin queue
 * (cnvme_ctrl_destroy()), then disables the PCI function, in that order;
 * the BAR mapping and this structure are device-managed and go after that.
 * Initialization runs in the opposite order.
 */
struct cnvme_controller {
	struct cnvme_disk *disks;
	unsigned int nr_disks;
	struct cnvme_io_queues io;
	int nr_vectors;
	struct cnvme_ctrl ctrl;
	u32 instance;
	struct nvme_id_ctrl id;
	struct cnvme_nvm_limits nvm;
	size_t max_transfer;
	struct cnvme_namespace *namespaces;
	unsigned int nr_namespaces;
	u32 io_queues;
	struct dentry *debugfs;
};

/* Longest text of an escaped Identify string of @len bytes, with its NUL. */
#define ESCAPED_SIZE(len)	(4 * (len) + 1)

/*
 * Writes the @len bytes of @s to @buf as rnvme prints them (the kernel
 * crate's BStr): printable ASCII as is, tab, newline and carriage return as
 * \t, \n and \r, any other byte as \xNN. Returns @buf.
 */
static const char *escape_id(char *buf, size_t size, const char *s, size_t len)
{
	size_t n = 0, i;

	buf[0] = '\0';
	for (i = 0; i < len; i++) {
		u8 c = s[i];

		if (c == '\t')
			n += scnprintf(buf + n, size - n, "\\t");
		else if (c == '\n')
			n += scnprintf(buf + n, size - n, "\\n");
		else if (c == '\r')
			n += scnprintf(buf + n, size - n, "\\r");
		else if (c >= 0x20 && c <= 0x7e)
			n += scnprintf(buf + n, size - n, "%c", c);
		else
			n += scnprintf(buf + n, size - n, "\\x%02x", c);
	}
	return buf;
}

/* Identifies the controller and logs what it is. */
static int cnvme_identify(struct cnvme_controller *c)
{
	char mn[ESCAPED_SIZE(sizeof(c->id.mn))];
	char sn[ESCAPED_SIZE(sizeof(c->id.sn))];
	char fr[ESCAPED_SIZE(sizeof(c->id.fr))];
	struct device *dev = c->ctrl.dev;
	struct nvme_id_ctrl *id = &c->id;
	int ret;

	ret = cnvme_admin_identify_controller(&c->ctrl.admin, id);
	if (ret)
		return ret;
	/* MDTS is in units of the controller's minimum memory page size. */
	c->max_transfer = cnvme_id_ctrl_max_transfer_bytes(id, c->ctrl.min_page_shift);

	dev_info(dev, "%s, serial %s, firmware %s, NN %u\n",
		 escape_id(mn, sizeof(mn), id->mn,
			   cnvme_id_trimmed_len(id->mn, sizeof(id->mn))),
		 escape_id(sn, sizeof(sn), id->sn,
			   cnvme_id_trimmed_len(id->sn, sizeof(id->sn))),
		 escape_id(fr, sizeof(fr), id->fr,
			   cnvme_id_trimmed_len(id->fr, sizeof(id->fr))),
		 le32_to_cpu(id->nn));
	dev_info(dev,
		 "MDTS %u (max transfer %zu KiB), volatile write cache %s, ONCS 0x%04x (discard %s, write zeroes %s), shadow doorbells %s, SGLs %s\n",
		 id->mdts, c->max_transfer / 1024,
		 str_yes_no(cnvme_id_ctrl_has_volatile_write_cache(id)),
		 le16_to_cpu(id->oncs), str_yes_no(cnvme_id_ctrl_supports_dsm(id)),
		 str_yes_no(cnvme_id_ctrl_supports_write_zeroes(id)),
		 str_yes_no(cnvme_id_ctrl_supports_dbbuf(id)),
		 str_yes_no(cnvme_id_ctrl_supports_sgls(id)));
	return 0;
}

/*
 * Lets the controller ask for a delay before a failed command is retried
 * (CRD in its status, the delays being its CRDT), if it has delays to ask
 * for, as upstream nvme does. Without that, which is reported, retries go
 * at once.
 */
static void cnvme_enable_retry_delays(struct cnvme_controller *c)
{
	int ret;

	if (!le16_to_cpu(c->id.crdt1))
		return;
	ret = cnvme_admin_enable_retry_delays(&c->ctrl.admin);
	if (ret)
		dev_warn(c->ctrl.dev, "cannot enable command retry delays: %pe\n",
			 ERR_PTR(ret));
}

/*
 * Identifies the active namespaces and logs each usable one. A namespace
 * the driver cannot use, or that the controller fails to identify, is
 * skipped with one warning that says why; only a controller that fails to
 * list its namespaces fails the probe.
 */
static int cnvme_scan_namespaces(struct cnvme_controller *c)
{
	struct cnvme_admin *admin = &c->ctrl.admin;
	struct device *dev = c->ctrl.dev;
	struct nvme_id_ns *id;
	unsigned int nr, i;
	u32 *nsids;
	int ret;

	ret = cnvme_admin_active_namespaces(admin, &nsids, &nr);
	if (ret)
		return ret;
	id = kmalloc_obj(*id);
	c->namespaces = kcalloc(nr, sizeof(*c->namespaces), GFP_KERNEL);
	if (!id || !c->namespaces) {
		ret = -ENOMEM;
		dev_err(dev, "cannot store namespaces: %pe\n", ERR_PTR(ret));
		goto err_free_namespaces;
	}
	for (i = 0; i < nr; i++) {
		struct cnvme_namespace *ns = &c->namespaces[c->nr_namespaces];
		char reason[CNVME_NS_REASON_SIZE];
		u32 nsid = nsids[i];
		u8 csi;

		ret = cnvme_admin_identify_namespace(admin, nsid, id);
		if (ret) {
			dev_warn(dev, "cnvme%un%u: skipped: Identify Namespace failed: %pe\n",
				 c->instance, nsid, ERR_PTR(ret));
			continue;
		}
		csi = cnvme_admin_namespace_csi(admin, nsid);
		if (!cnvme_ns_classify(id, csi, &ns->id, reason, sizeof(reason))) {
			dev_warn(dev, "cnvme%un%u: skipped: %s\n", c->instance,
				 nsid, reason);
			continue;
		}
		ns->nsid = nsid;
		dev_info(dev, "cnvme%un%u: %llu sectors of %u bytes (%llu MiB)\n",
			 c->instance, nsid, ns->id.nsze, 1U << ns->id.lba_shift,
			 cnvme_ns_capacity_sectors(&ns->id) >> 11);
		c->nr_namespaces++;
	}
	if (!c->nr_namespaces)
		dev_info(dev, "no usable namespace\n");
	kfree(id);
	kfree(nsids);
	return 0;

err_free_namespaces:
	kfree(c->namespaces);
	c->namespaces = NULL;
	kfree(id);
	kfree(nsids);
	return ret;
}

/*
 * Asks for one I/O queue pair per CPU plus the poll_queues module parameter,
 * and records how many the controller granted.
 *
 * rnvme asks for nr_cpu_ids (the possible CPUs), its kernel crate having no
 * num_online_cpus(); so does cnvme, for parity. With a fixed CPU count, as in
 * the test guest, the two are the same.
 */
static int cnvme_request_io_queues(struct cnvme_controller *c)
{
	struct device *dev = c->ctrl.dev;
	u32 wanted = nr_cpu_ids + poll_queues;
	u32 nr_sq, nr_cq, granted;
	int ret;

	ret = cnvme_admin_set_num_queues(&c->ctrl.admin, wanted, &nr_sq, &nr_cq);
	if (ret)
		return ret;
	granted = min3(wanted, nr_sq, nr_cq);
	if (!granted) {
		dev_err(dev, "the controller grants no I/O queue\n");
		return -ENODEV;
	}
	dev_info(dev,
		 "%u I/O queue pairs requested, %u granted (controller allocated %u SQ, %u CQ)\n",
		 wanted, granted, nr_sq, nr_cq);
	c->io_queues = granted;
	return 0;
}

/* Frees the handlers of the first @nr interrupt vectors of @c. */
static void cnvme_free_irqs(struct cnvme_controller *c, struct pci_dev *pdev,
			    int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		free_irq(pci_irq_vector(pdev, i),
			 i ? (void *)&c->io.queues[i - 1] : (void *)&c->io);
}

/*
 * Allocates the shadow doorbell buffers for @queues I/O queues and hands them
 * to the controller (Doorbell Buffer Config). Returns them, or NULL on any
 * failure, which is reported: the queues then use their doorbell registers
 * only.
 */
static struct cnvme_dbbuf *cnvme_shadow_doorbells(struct cnvme_controller *c,
						  u32 queues)
{
	struct device *dev = c->ctrl.dev;
	struct nvme_command cmd;
	struct cnvme_dbbuf *buf;
	int ret;

	buf = cnvme_dbbuf_alloc(dev, queues,
				NVME_CAP_STRIDE(c->ctrl.cap));
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		goto err;
	}
	cnvme_cmd_doorbell_buffer_config(&cmd, buf->dbs_dma, buf->eis_dma);
	ret = cnvme_admin_execute(&c->ctrl.admin, &cmd, NULL);
	if (ret)
		goto err_free;
	return buf;

err_free:
	cnvme_dbbuf_free(buf);
err:
	dev_warn(dev, "no shadow doorbells: %pe\n", ERR_PTR(ret));
	return NULL;
}

/* Returns the kind of interrupt vectors @pdev was given. */
static const char *cnvme_irq_type(struct pci_dev *pdev)
{
	if (pdev->msix_enabled)
		return "MSI-X";
	if (pdev->msi_enabled)
		return "MSI";
	return "INTx";
}

/*
 * Splits the granted I/O queues between interrupts and polling (at most
 * poll_queues poll queues, at least one interrupt queue), allocates one
 * interrupt vector per interrupt queue after the admin queue's (MSI-X, else
 * MSI, else INTx, as many as the function gives), creates the tag set and
 * the I/O queues, and registers the interrupt handlers. With a single
 * vector there is one interrupt queue, I/O queue 1, and it shares vector 0
 * with the admin queue. If the controller supports it, the I/O queues use
 * shadow doorbells.
 */
static int cnvme_start_io(struct cnvme_controller *c, struct pci_dev *pdev)
{
	struct irq_affinity affd = { .pre_vectors = 1 };
	struct cnvme_queue_layout *layout = &c->io.layout;
	struct blk_mq_tag_set *set = &c->io.tagset;
	struct device *dev = &pdev->dev;
	struct cnvme_dbbuf *dbbuf = NULL;
	int vectors, i, ret;
	u32 nr_poll;

	nr_poll = min(poll_queues, c->io_queues - 1);
	if (shadow_doorbells && cnvme_id_ctrl_supports_dbbuf(&c->id))
		dbbuf = cnvme_shadow_doorbells(c, c->io_queues);
	vectors = pci_alloc_irq_vectors_affinity(pdev, 1,
						 c->io_queues - nr_poll + 1,
						 PCI_IRQ_ALL_TYPES | PCI_IRQ_AFFINITY,
						 &affd);
	if (vectors < 0) {
		ret = vectors;
		dev_err(dev, "no interrupt vectors: %pe\n", ERR_PTR(ret));
		goto err_dbbuf;
	}
	dev_info(dev, "%u %s interrupt vector%s%s\n", vectors,
		 cnvme_irq_type(pdev), vectors == 1 ? "" : "s",
		 vectors == 1 ? ": shared by the admin queue and I/O queue 1" : "");
	layout->dev = dev;
	layout->shared_vector = vectors == 1;
	layout->irq_queues = layout->shared_vector ? 1 : vectors - 1;
	layout->poll_queues = nr_poll;
	c->io.max_retries = max_retries;
	c->io.crdt[0] = le16_to_cpu(c->id.crdt1);
	c->io.crdt[1] = le16_to_cpu(c->id.crdt2);
	c->io.crdt[2] = le16_to_cpu(c->id.crdt3);

	set->ops = &cnvme_mq_ops;
	set->nr_hw_queues = layout->irq_queues + layout->poll_queues;
	set->nr_maps = cnvme_queue_layout_nr_maps(layout);
	set->queue_depth = c->io.depth - 1;
	set->cmd_size = sizeof(struct cnvme_rq);
	set->numa_node = NUMA_NO_NODE;
	set->driver_data = layout;
	ret = blk_mq_alloc_tag_set(set);
	if (ret) {
		dev_err(dev, "no tag set: %pe\n", ERR_PTR(ret));
		goto err_vectors;
	}

	ret = cnvme_io_create(&c->io, &c->ctrl, dbbuf);
	if (ret)
		goto err_tagset;
	/* The I/O queues took the buffers over: cnvme_io_free() frees them. */
	dbbuf = NULL;

	for (i = 0; i < vectors; i++) {
		if (i)
			ret = request_irq(pci_irq_vector(pdev, i), cnvme_io_irq,
					  0, "cnvme", &c->io.queues[i - 1]);
		else
			/* INTx may be shared with other functions. */
			ret = request_irq(pci_irq_vector(pdev, i),
					  cnvme_admin_irq,
					  pdev->msix_enabled || pdev->msi_enabled ?
					  0 : IRQF_SHARED, "cnvme", &c->io);
		if (ret) {
			dev_err(dev, "cannot request interrupts: %pe\n", ERR_PTR(ret));
			goto err_irqs;
		}
	}
	c->nr_vectors = vectors;
	dev_info(dev, "%u I/O queues of %u entries: %u by interrupt, %u polled; shadow doorbells %s\n",
		 c->io.nr_queues, c->io.depth, layout->irq_queues,
		 layout->poll_queues, str_on_off(c->io.dbbuf));
	return 0;

err_irqs:
	cnvme_free_irqs(c, pdev, i);
	cnvme_io_delete(&c->io, &c->ctrl.admin);
	cnvme_io_free(&c->io);
err_tagset:
	blk_mq_free_tag_set(set);
err_vectors:
	pci_free_irq_vectors(pdev);
err_dbbuf:
	cnvme_dbbuf_free(dbbuf);
	return ret;
}

/*
 * Undoes cnvme_start_io() once the I/O queues are deleted or the controller
 * no longer runs: frees the interrupt handlers and vectors, the I/O queue
 * memory and their shadow doorbell buffers, and the tag set.
 */
static void cnvme_stop_io(struct cnvme_controller *c, struct pci_dev *pdev)
{
	cnvme_free_irqs(c, pdev, c->nr_vectors);
	c->nr_vectors = 0;
	pci_free_irq_vectors(pdev);
	cnvme_io_free(&c->io);
	blk_mq_free_tag_set(&c->io.tagset);
}

static const struct block_device_operations cnvme_bdev_ops = {
	.owner		= THIS_MODULE,
};

/* Removes the disks of @c, waiting for their I/O. */
static void cnvme_remove_disks(struct cnvme_controller *c)
{
	unsigned int i;

	for (i = 0; i < c->nr_disks; i++) {
		del_gendisk(c->disks[i].disk);
		put_disk(c->disks[i].disk);
	}
	kfree(c->disks);
	c->disks = NULL;
	c->nr_disks = 0;
}

/* Registers one disk per namespace; on failure, removes those added so far. */
static int cnvme_add_disks(struct cnvme_controller *c, struct pci_dev *pdev)
{
	size_t page = (size_t)1 << c->io.page_shift;
	bool write_cache = cnvme_id_ctrl_has_volatile_write_cache(&c->id);
	/*
	 * At most CNVME_MAX_SEGMENTS pages, as rnvme: with an unaligned first
	 * page that is CNVME_MAX_SEGMENTS + 1 PRP entries, PRP1 and the rest
	 * in one PRP list page (io.h).
	 */
	size_t max_bytes = min(c->max_transfer, CNVME_MAX_SEGMENTS * page);
	u32 max_hw_sectors = max_bytes >> SECTOR_SHIFT;
	struct device *dev = &pdev->dev;
	unsigned int i;
	int ret;

	c->disks = kcalloc(c->nr_namespaces, sizeof(*c->disks), GFP_KERNEL);
	if (!c->disks && c->nr_namespaces)
		return -ENOMEM;
	for (i = 0; i < c->nr_namespaces; i++) {
		const struct cnvme_namespace *ns = &c->namespaces[i];
		struct cnvme_disk *d = &c->disks[i];
		u32 lba_size = 1U << ns->id.lba_shift;
		struct cnvme_disk_limits l;
		struct queue_limits lim = {
			.logical_block_size	= lba_size,
			.physical_block_size	= lba_size,
			.max_hw_sectors		= max_hw_sectors,
			.max_segments		= CNVME_MAX_SEGMENTS,
			.virt_boundary_mask	= page - 1,
		};
		struct gendisk *disk;

		cnvme_disk_limits(&c->id, &c->nvm, &ns->id, max_hw_sectors,
				  c->ctrl.min_page_shift, &l);
		lim.max_hw_discard_sectors = l.discard_sectors;
		lim.max_discard_segments = l.discard_segments;
		lim.discard_granularity = l.discard_granularity;
		lim.max_write_zeroes_sectors = l.write_zeroes_sectors;
		lim.max_hw_wzeroes_unmap_sectors = l.write_zeroes_unmap_sectors;
		if (write_cache)
			lim.features |= BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA;
		d->queue.nsid = ns->nsid;
		d->queue.lba_shift = ns->id.lba_shift;
		d->queue.deallocate_zeroes = l.write_zeroes_unmap_sectors > 0;
		d->queue.io = &c->io;

		disk = blk_mq_alloc_disk(&c->io.tagset, &lim, &d->queue);
		if (IS_ERR(disk)) {
			ret = PTR_ERR(disk);
			goto err;
		}
		disk->fops = &cnvme_bdev_ops;
		snprintf(disk->disk_name, DISK_NAME_LEN, "cnvme%un%u",
			 c->instance, ns->nsid);
		set_capacity(disk, cnvme_ns_capacity_sectors(&ns->id));
		ret = device_add_disk(dev, disk, NULL);
		if (ret) {
			put_disk(disk);
			goto err;
		}
		d->disk = disk;
		c->nr_disks++;
	}
	return 0;

err:
	dev_err(dev, "cnvme%un%u: cannot add the disk: %pe\n", c->instance,
		c->namespaces[i].nsid, ERR_PTR(ret));
	cnvme_remove_disks(c);
	return ret;
}

/*
 * Brings the controller up: enable the PCI function and bus mastering, map
 * BAR0, read CAP, disable the controller, set up the admin queue, enable the
 * controller, identify it and its namespaces, and negotiate the number of
 * I/O queues.
 *
 * Any failure is reported with dev_err() and undoes what was done: the
 * controller is disabled before its queue memory is freed.
 */
static int cnvme_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct cnvme_controller *c;
	void __iomem *bar;
	u64 cap;
	u32 vs;
	int ret;

	/*
	 * NVMe controllers address 64 bits of memory. Set first, as rnvme's
	 * PCI core glue does before its probe, while nothing is mapped yet.
	 */
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret) {
		dev_err(dev, "cannot set the DMA mask to 0x%llx: %pe\n",
			DMA_BIT_MASK(64), ERR_PTR(ret));
		return ret;
	}

	/* Freed, and BAR0 unmapped and released, after remove or a failed probe. */
	c = devm_kzalloc(dev, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;

	ret = pci_enable_device_mem(pdev);
	if (ret) {
		dev_err(dev, "cannot enable the device: %pe\n", ERR_PTR(ret));
		return ret;
	}
	pci_set_master(pdev);

	bar = IOMEM_ERR_PTR(-EINVAL);
	if (pci_resource_len(pdev, 0) >= CNVME_BAR0_SIZE)
		bar = pcim_iomap_region(pdev, 0, "cnvme");
	if (IS_ERR(bar)) {
		ret = PTR_ERR(bar);
		dev_err(dev, "cannot map BAR0: %pe\n", ERR_PTR(ret));
		goto err_disable;
	}

	/* One 64-bit read where the CPU has it, two 32-bit ones (low first) elsewhere. */
	cap = readq(bar + NVME_REG_CAP);
	if (cap == U64_MAX) {
		/* All ones: the device is gone or not answering. */
		dev_err(dev, "controller registers read as all ones\n");
		ret = -ENODEV;
		goto err_disable;
	}
	vs = readl(bar + NVME_REG_VS);
	c->instance = atomic_fetch_inc_relaxed(&cnvme_next_instance);

	dev_info(dev,
		 "NVMe %u.%u.%u: CAP 0x%016llx: MQES %llu, TO %u ms, DSTRD %llu, CSS 0x%llx, MPS %llu..%llu\n",
		 NVME_MAJOR(vs), NVME_MINOR(vs), NVME_TERTIARY(vs), cap,
		 NVME_CAP_MQES(cap) + 1, cnvme_cap_ready_timeout_ms(cap),
		 NVME_CAP_STRIDE(cap), NVME_CAP_CSS(cap), NVME_CAP_MPSMIN(cap),
		 NVME_CAP_MPSMAX(cap));

	c->io.depth = cnvme_io_queue_depth(cap, io_queue_depth);
	if (!c->io.depth) {
		dev_err(dev, "CAP.MQES is 0: invalid\n");
		ret = -ENODEV;
		goto err_disable;
	}
	if (c->io.depth < io_queue_depth)
		dev_info(dev, "queue depth %u: limited by CAP.MQES %llu\n",
			 c->io.depth, NVME_CAP_MQES(cap));

	/* Disables the controller and programs the admin queue. */
	ret = cnvme_ctrl_init(&c->ctrl, dev, bar, pci_resource_len(pdev, 0), cap);
	if (ret)
		goto err_disable;
	/* From here on, a failure disables the controller again. */
	ret = cnvme_ctrl_enable(&c->ctrl);
	if (ret)
		goto err_ctrl;
	ret = cnvme_identify(c);
	if (ret)
		goto err_ctrl;
	cnvme_enable_retry_delays(c);
	/* Without them, which the failed command's message says: no limits. */
	cnvme_admin_identify_nvm_limits(&c->ctrl.admin, &c->nvm);
	ret = cnvme_scan_namespaces(c);
	if (ret)
		goto err_ctrl;
	ret = cnvme_request_io_queues(c);
	if (ret)
		goto err_namespaces;
	ret = cnvme_start_io(c, pdev);
	if (ret)
		goto err_namespaces;
	ret = cnvme_add_disks(c, pdev);
	if (ret)
		goto err_io;

	c->debugfs = cnvme_inject_add(&c->io, c->instance);
	pci_set_drvdata(pdev, c);
	return 0;

err_io:
	cnvme_io_delete(&c->io, &c->ctrl.admin);
	cnvme_stop_io(c, pdev);
err_namespaces:
	kfree(c->namespaces);
err_ctrl:
	cnvme_ctrl_destroy(&c->ctrl);
err_disable:
	pci_disable_device(pdev);
	return ret;
}

/*
 * Removes the debugfs folder and the disks, deletes the I/O queues and
 * shuts the controller down
 * (CC.SHN), unless a timeout disabled it after a failure; then frees the
 * interrupts and the I/O queues, disables the controller and frees the admin
 * queue, then lets go of the PCI function.
 */
static void cnvme_remove(struct pci_dev *pdev)
{
	struct cnvme_controller *c = pci_get_drvdata(pdev);
	int ret;

	cnvme_inject_remove(c->debugfs);
	/* The disks first: removing one waits for its I/O, which the controller still completes. */
	cnvme_remove_disks(c);
	if (cnvme_io_is_dead(&c->io)) {
		dev_info(&pdev->dev, "the controller was disabled after a failure\n");
		goto out_stop;
	}
	cnvme_io_delete(&c->io, &c->ctrl.admin);
	ret = cnvme_ctrl_shutdown(&c->ctrl);
	if (ret)
		dev_err(&pdev->dev, "shutdown failed: %pe\n", ERR_PTR(ret));
	else
		dev_info(&pdev->dev, "shutdown complete\n");

out_stop:
	cnvme_stop_io(c, pdev);
	cnvme_ctrl_destroy(&c->ctrl);
	pci_disable_device(pdev);
	kfree(c->namespaces);
}

static const struct pci_device_id cnvme_id_table[] = {
	{ PCI_DEVICE_CLASS(PCI_CLASS_STORAGE_EXPRESS, 0xffffff) },
	{ }
};
MODULE_DEVICE_TABLE(pci, cnvme_id_table);

static struct pci_driver cnvme_driver = {
	.name		= "cnvme",
	.id_table	= cnvme_id_table,
	.probe		= cnvme_probe,
	.remove		= cnvme_remove,
};

module_pci_driver(cnvme_driver);

MODULE_AUTHOR("The cnvme authors");
MODULE_DESCRIPTION("C NVMe PCI block driver, the twin of rnvme");
MODULE_LICENSE("GPL");
