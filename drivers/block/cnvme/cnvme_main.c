// SPDX-License-Identifier: GPL-2.0
/*
 * cnvme: an NVMe PCI block driver in C, the twin of the Rust driver rnvme.
 *
 * Stage 1 in progress: the driver binds to NVMe-class PCI functions (class
 * code 0x010802), maps BAR0 and reports the controller's capabilities and
 * version. It does not enable the controller and binds no disks yet.
 *
 * The hardware-free building blocks are in place, each with its KUnit suite
 * in cnvme_kunit.c:
 * - regs.h: controller registers and doorbell offsets,
 * - cmd.c: submission and completion entries, command builders, status
 *   decoding,
 * - ring.c: queue index and phase arithmetic, shadow doorbell events,
 * - prp.c: PRP entries and lists from DMA segments,
 * - identify.c: Identify Controller, Identify Namespace and namespace list
 *   parsing.
 */

#include <linux/bitfield.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "regs.h"

/**
 * struct cnvme_ctrl - A bound controller.
 * @bar: the BAR0 mapping, held as long as the device is bound.
 */
struct cnvme_ctrl {
	void __iomem *bar;
};

static int cnvme_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct cnvme_ctrl *ctrl;
	u64 cap;
	u32 vs;
	int ret;

	ctrl = kzalloc_obj(*ctrl);
	if (!ctrl)
		return -ENOMEM;

	ret = pci_enable_device_mem(pdev);
	if (ret) {
		dev_err(dev, "cannot enable device: %pe\n", ERR_PTR(ret));
		goto err_free;
	}
	pci_set_master(pdev);

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
	ctrl->bar = pci_iomap(pdev, 0, 0);
	if (!ctrl->bar) {
		ret = -ENOMEM;
		dev_err(dev, "cannot map BAR0: %pe\n", ERR_PTR(ret));
		goto err_release;
	}

	/* One 64-bit read where the CPU has it, two 32-bit ones (low first) elsewhere. */
	cap = readq(ctrl->bar + CNVME_REG_CAP);
	if (cap == U64_MAX) {
		/* All ones: the device is gone or not answering. */
		dev_err(dev, "controller registers read as all ones\n");
		ret = -ENODEV;
		goto err_unmap;
	}
	vs = readl(ctrl->bar + CNVME_REG_VS);

	dev_info(dev,
		 "NVMe %lu.%lu.%lu: CAP 0x%016llx: MQES %u, TO %u ms, DSTRD %u, CSS 0x%llx, MPS %llu..%llu\n",
		 FIELD_GET(CNVME_VS_MJR, vs), FIELD_GET(CNVME_VS_MNR, vs),
		 FIELD_GET(CNVME_VS_TER, vs), cap,
		 cnvme_cap_max_queue_entries(cap),
		 cnvme_cap_ready_timeout_ms(cap),
		 cnvme_cap_doorbell_stride(cap),
		 FIELD_GET(CNVME_CAP_CSS, cap),
		 FIELD_GET(CNVME_CAP_MPSMIN, cap),
		 FIELD_GET(CNVME_CAP_MPSMAX, cap));

	pci_set_drvdata(pdev, ctrl);
	return 0;

err_unmap:
	pci_iounmap(pdev, ctrl->bar);
err_release:
	pci_release_region(pdev, 0);
err_disable:
	pci_disable_device(pdev);
err_free:
	kfree(ctrl);
	return ret;
}

static void cnvme_remove(struct pci_dev *pdev)
{
	struct cnvme_ctrl *ctrl = pci_get_drvdata(pdev);

	pci_iounmap(pdev, ctrl->bar);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
	kfree(ctrl);
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
