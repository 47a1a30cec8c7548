// SPDX-License-Identifier: GPL-2.0
/*
 * cnvme: an NVMe PCI block driver in C, the twin of the Rust driver rnvme.
 *
 * Stage 2 in progress: the driver binds to NVMe-class PCI functions (class
 * code 0x010802), brings the controller up with an admin queue, identifies it
 * and its active namespaces, and negotiates the number of I/O queues. It
 * creates no I/O queues and registers no disks yet.
 *
 * The files:
 * - regs.h: controller registers and doorbell offsets,
 * - cmd.c: submission and completion entries, command builders, status
 *   decoding,
 * - ring.c: queue index and phase arithmetic, shadow doorbell events,
 * - prp.c: PRP entries and lists from DMA segments,
 * - identify.c: Identify Controller, Identify Namespace and namespace list
 *   parsing,
 * - queue.c: a queue pair in coherent DMA memory and its doorbells,
 * - admin.c: synchronous admin commands on the admin queue pair, polled,
 * - ctrl.c: controller disable, admin queue setup, enable and shutdown.
 *
 * The first five are pure and carry the KUnit suites in cnvme_kunit.c; the
 * last three touch the hardware.
 */

#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sprintf.h>
#include <linux/string_choices.h>

#include "admin.h"
#include "ctrl.h"
#include "identify.h"
#include "regs.h"

/*
 * Instance number of the next controller: controllers are cnvme0, cnvme1, ...
 * in probe order, and their namespaces cnvme<instance>n<nsid>. Numbers are
 * not reused.
 */
static atomic_t cnvme_next_instance = ATOMIC_INIT(0);

/**
 * struct cnvme_namespace - An active namespace the driver can use.
 * @nsid: namespace identifier.
 * @id: its Identify Namespace data.
 */
struct cnvme_namespace {
	u32 nsid;
	struct cnvme_id_ns id;
};

/**
 * struct cnvme_controller - A bound controller, the driver data of its PCI
 *	function.
 * @ctrl: the controller, its registers and its admin queue.
 * @instance: instance number: the controller is cnvme<instance>.
 * @id: Identify Controller data.
 * @max_transfer: largest transfer of one command, in bytes.
 * @namespaces: the active namespaces, in increasing identifier order.
 * @nr_namespaces: the number of @namespaces.
 * @io_queues: how many I/O queue pairs the controller granted.
 *
 * Teardown: cnvme_remove() shuts the controller down, then disables it and
 * frees the admin queue (cnvme_ctrl_destroy()), then unmaps the BAR, in that
 * order.
 */
struct cnvme_controller {
	struct cnvme_ctrl ctrl;
	u32 instance;
	struct cnvme_id_ctrl id;
	size_t max_transfer;
	struct cnvme_namespace *namespaces;
	unsigned int nr_namespaces;
	u32 io_queues;
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
	struct cnvme_id_ctrl *id = &c->id;
	int ret;

	ret = cnvme_admin_identify_controller(&c->ctrl.admin, id);
	if (ret)
		return ret;
	/* MDTS is in units of the controller's minimum memory page size. */
	c->max_transfer = cnvme_id_ctrl_max_transfer_bytes(id, c->ctrl.min_page_shift);

	dev_info(dev, "cnvme%u: %s, serial %s, firmware %s, NN %u\n",
		 c->instance,
		 escape_id(mn, sizeof(mn), id->mn, cnvme_id_ctrl_model_len(id)),
		 escape_id(sn, sizeof(sn), id->sn, cnvme_id_ctrl_serial_len(id)),
		 escape_id(fr, sizeof(fr), id->fr, cnvme_id_ctrl_firmware_len(id)),
		 id->nn);
	dev_info(dev,
		 "cnvme%u: MDTS %u (max transfer %zu KiB), volatile write cache %s, ONCS 0x%04x (discard %s, write zeroes %s), shadow doorbells %s, SGLs %s\n",
		 c->instance, id->mdts, c->max_transfer / 1024,
		 str_yes_no(cnvme_id_ctrl_has_volatile_write_cache(id)),
		 id->oncs, str_yes_no(cnvme_id_ctrl_supports_dsm(id)),
		 str_yes_no(cnvme_id_ctrl_supports_write_zeroes(id)),
		 str_yes_no(cnvme_id_ctrl_supports_dbbuf(id)),
		 str_yes_no(cnvme_id_ctrl_supports_sgls(id)));
	return 0;
}

/*
 * Identifies the active namespaces and logs each usable one; namespaces
 * formatted with metadata are skipped with a warning.
 */
static int cnvme_scan_namespaces(struct cnvme_controller *c)
{
	struct cnvme_admin *admin = &c->ctrl.admin;
	struct device *dev = c->ctrl.dev;
	unsigned int nr, i;
	u32 *nsids;
	int ret;

	ret = cnvme_admin_active_namespaces(admin, &nsids, &nr);
	if (ret)
		return ret;
	c->namespaces = kcalloc(nr, sizeof(*c->namespaces), GFP_KERNEL);
	if (!c->namespaces) {
		ret = -ENOMEM;
		dev_err(dev, "cnvme%u: cannot store namespaces: %pe\n",
			c->instance, ERR_PTR(ret));
		goto out_free_nsids;
	}
	for (i = 0; i < nr; i++) {
		struct cnvme_namespace *ns = &c->namespaces[c->nr_namespaces];
		u32 nsid = nsids[i];

		ret = cnvme_admin_identify_namespace(admin, nsid, &ns->id);
		if (ret == -EOPNOTSUPP) {
			dev_warn(dev, "cnvme%un%u: skipped: its LBA format carries metadata\n",
				 c->instance, nsid);
			continue;
		}
		if (ret) {
			dev_err(dev, "cnvme%un%u: cannot use the namespace: %pe\n",
				c->instance, nsid, ERR_PTR(ret));
			goto err_free_namespaces;
		}
		ns->nsid = nsid;
		dev_info(dev, "cnvme%un%u: %llu sectors of %u bytes (%llu MiB)\n",
			 c->instance, nsid, ns->id.nsze,
			 cnvme_id_ns_lba_size(&ns->id),
			 cnvme_id_ns_capacity_sectors(&ns->id) >> 11);
		c->nr_namespaces++;
	}
	if (!c->nr_namespaces)
		dev_info(dev, "cnvme%u: no usable namespace\n", c->instance);
	ret = 0;
	goto out_free_nsids;

err_free_namespaces:
	kfree(c->namespaces);
	c->namespaces = NULL;
	c->nr_namespaces = 0;
out_free_nsids:
	kfree(nsids);
	return ret;
}

/*
 * Asks for one I/O queue pair per CPU and records how many the controller
 * granted.
 *
 * rnvme asks for nr_cpu_ids (the possible CPUs), its kernel crate having no
 * num_online_cpus(); so does cnvme, for parity. With a fixed CPU count, as in
 * the test guest, the two are the same.
 */
static int cnvme_request_io_queues(struct cnvme_controller *c)
{
	struct device *dev = c->ctrl.dev;
	u32 wanted = nr_cpu_ids;
	u32 nr_sq, nr_cq, granted;
	int ret;

	ret = cnvme_admin_set_num_queues(&c->ctrl.admin, wanted, &nr_sq, &nr_cq);
	if (ret)
		return ret;
	granted = min3(wanted, nr_sq, nr_cq);
	if (!granted) {
		dev_err(dev, "cnvme%u: the controller grants no I/O queue\n",
			c->instance);
		return -ENODEV;
	}
	dev_info(dev,
		 "cnvme%u: %u I/O queue pairs requested, %u granted (controller allocated %u SQ, %u CQ)\n",
		 c->instance, wanted, granted, nr_sq, nr_cq);
	c->io_queues = granted;
	return 0;
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

	c = kzalloc_obj(*c);
	if (!c)
		return -ENOMEM;

	ret = pci_enable_device_mem(pdev);
	if (ret) {
		dev_err(dev, "cannot enable the device: %pe\n", ERR_PTR(ret));
		goto err_free;
	}
	pci_set_master(pdev);

	/*
	 * The controller can address 64 bits, and C could say so here with
	 * dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)). rnvme cannot yet
	 * (its kernel crate offers that only as an unsafe fn), so for parity
	 * the PCI default (32 bits) stays: the queues and buffers are
	 * allocated below 4 GiB, which the device reaches. Raise the mask in
	 * both drivers together.
	 */

	if (pci_resource_len(pdev, 0) < CNVME_BAR0_SIZE) {
		ret = -EINVAL;
		dev_err(dev, "cannot map BAR0: %pe\n", ERR_PTR(ret));
		goto err_disable;
	}
	ret = pci_request_region(pdev, 0, "cnvme");
	if (ret) {
		dev_err(dev, "cannot map BAR0: %pe\n", ERR_PTR(ret));
		goto err_disable;
	}
	bar = pci_iomap(pdev, 0, 0);
	if (!bar) {
		ret = -ENOMEM;
		dev_err(dev, "cannot map BAR0: %pe\n", ERR_PTR(ret));
		goto err_release;
	}

	/* One 64-bit read where the CPU has it, two 32-bit ones (low first) elsewhere. */
	cap = readq(bar + CNVME_REG_CAP);
	if (cap == U64_MAX) {
		/* All ones: the device is gone or not answering. */
		dev_err(dev, "controller registers read as all ones\n");
		ret = -ENODEV;
		goto err_unmap;
	}
	vs = readl(bar + CNVME_REG_VS);
	c->instance = atomic_fetch_inc_relaxed(&cnvme_next_instance);

	dev_info(dev,
		 "cnvme%u: NVMe %lu.%lu.%lu: CAP 0x%016llx: MQES %u, TO %u ms, DSTRD %u, CSS 0x%llx, MPS %llu..%llu\n",
		 c->instance, FIELD_GET(CNVME_VS_MJR, vs),
		 FIELD_GET(CNVME_VS_MNR, vs), FIELD_GET(CNVME_VS_TER, vs), cap,
		 cnvme_cap_max_queue_entries(cap),
		 cnvme_cap_ready_timeout_ms(cap),
		 cnvme_cap_doorbell_stride(cap),
		 FIELD_GET(CNVME_CAP_CSS, cap),
		 FIELD_GET(CNVME_CAP_MPSMIN, cap),
		 FIELD_GET(CNVME_CAP_MPSMAX, cap));

	/* Disables the controller and programs the admin queue. */
	ret = cnvme_ctrl_init(&c->ctrl, dev, bar, pci_resource_len(pdev, 0), cap);
	if (ret)
		goto err_unmap;
	/* From here on, a failure disables the controller again. */
	ret = cnvme_ctrl_enable(&c->ctrl);
	if (ret)
		goto err_ctrl;
	ret = cnvme_identify(c);
	if (ret)
		goto err_ctrl;
	ret = cnvme_scan_namespaces(c);
	if (ret)
		goto err_ctrl;
	ret = cnvme_request_io_queues(c);
	if (ret)
		goto err_namespaces;

	pci_set_drvdata(pdev, c);
	return 0;

err_namespaces:
	kfree(c->namespaces);
err_ctrl:
	cnvme_ctrl_destroy(&c->ctrl);
err_unmap:
	pci_iounmap(pdev, bar);
err_release:
	pci_release_region(pdev, 0);
err_disable:
	pci_disable_device(pdev);
err_free:
	kfree(c);
	return ret;
}

/*
 * Shuts the controller down (CC.SHN), then disables it and frees its queues,
 * then lets go of the PCI function.
 */
static void cnvme_remove(struct pci_dev *pdev)
{
	struct cnvme_controller *c = pci_get_drvdata(pdev);
	int ret;

	ret = cnvme_ctrl_shutdown(&c->ctrl);
	if (ret)
		dev_err(&pdev->dev, "cnvme%u: shutdown failed: %pe\n",
			c->instance, ERR_PTR(ret));
	else
		dev_info(&pdev->dev, "cnvme%u: shutdown complete\n", c->instance);

	cnvme_ctrl_destroy(&c->ctrl);
	pci_iounmap(pdev, c->ctrl.bar);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
	kfree(c->namespaces);
	kfree(c);
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
