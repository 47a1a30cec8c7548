// SPDX-License-Identifier: GPL-2.0
/*
 * Controller disable, admin queue setup, enable and shutdown. See cnvme.h.
 */

#include <linux/device.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iopoll.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/time64.h>

#include "cnvme.h"
#include "io.h"

/* Interval between two reads of CSTS while waiting for the controller. */
#define CSTS_POLL_US	1000

/*
 * Waits, for at most CAP.TO, until CSTS.RDY reads @ready. Returns 0; -ENODEV
 * if CSTS reads as all ones; -EIO if the controller reports a fatal status
 * (CSTS.CFS) while it should become ready; -ETIMEDOUT if CSTS.RDY did not
 * change in time.
 */
static int wait_ready(void __iomem *bar, u64 cap, bool ready)
{
	u32 csts;
	int ret;

	ret = readl_poll_timeout(bar + NVME_REG_CSTS, csts,
				 cnvme_csts_is_all_ones(csts) ||
				 (ready && (csts & NVME_CSTS_CFS)) ||
				 !!(csts & NVME_CSTS_RDY) == ready,
				 CSTS_POLL_US,
				 (u64)cnvme_cap_ready_timeout_ms(cap) * USEC_PER_MSEC);
	if (cnvme_csts_is_all_ones(csts))
		return -ENODEV;
	if (ready && (csts & NVME_CSTS_CFS))
		return -EIO;
	return ret;
}

/**
 * cnvme_ctrl_disable() - Disable a controller.
 * @dev: the controller, for messages.
 * @bar: the mapping of its BAR0.
 * @cap: its CAP.
 *
 * Clears CC.EN and waits, for at most CAP.TO, for CSTS.RDY to clear. Does
 * nothing if the controller is disabled already.
 *
 * Return: 0, -ENODEV if the controller registers read as all ones, or
 * -ETIMEDOUT if it does not become disabled in time.
 */
int cnvme_ctrl_disable(struct device *dev, void __iomem *bar, u64 cap)
{
	u32 csts, cc;
	int ret;

	csts = readl(bar + NVME_REG_CSTS);
	if (cnvme_csts_is_all_ones(csts)) {
		dev_err(dev, "cannot disable: controller status reads all ones\n");
		return -ENODEV;
	}
	cc = readl(bar + NVME_REG_CC);
	if (!(cc & NVME_CC_ENABLE) && !(csts & NVME_CSTS_RDY))
		return 0;
	if ((cc & NVME_CC_ENABLE) && !(csts & NVME_CSTS_RDY)) {
		/*
		 * Enabling is in progress: the controller must finish it
		 * before CC.EN may be cleared. A controller that never gets
		 * ready is disabled all the same.
		 */
		ret = wait_ready(bar, cap, true);
		if (ret)
			dev_warn(dev, "controller not ready before disabling: %pe\n",
				 ERR_PTR(ret));
	}
	/* A shutdown request (CC.SHN) ends with the reset too. */
	writel(cc & ~(NVME_CC_ENABLE | NVME_CC_SHN_MASK), bar + NVME_REG_CC);
	ret = wait_ready(bar, cap, false);
	if (ret)
		dev_err(dev, "controller not disabled within CAP.TO (%u ms): %pe\n",
			cnvme_cap_ready_timeout_ms(cap), ERR_PTR(ret));
	return ret;
}

/* Points AQA, ASQ and ACQ at @queue, the admin queue pair; the controller must be disabled. */
static int program_admin_queue(struct device *dev, void __iomem *bar,
			       const struct cnvme_queue *queue)
{
	u32 depth = queue->sq.ring.depth;
	u64 asq, acq;
	u32 aqa;

	if (cnvme_aqa(depth, depth, &aqa) ||
	    cnvme_admin_queue_base(queue->sq.dma, &asq) ||
	    cnvme_admin_queue_base(queue->cq.dma, &acq)) {
		dev_err(dev, "admin queue not expressible: depth %u, SQ 0x%llx, CQ 0x%llx\n",
			depth, (u64)queue->sq.dma, (u64)queue->cq.dma);
		return -EINVAL;
	}
	writel(aqa, bar + NVME_REG_AQA);
	/* One 64-bit write where the CPU has it, two 32-bit ones (low first) elsewhere. */
	writeq(asq, bar + NVME_REG_ASQ);
	writeq(acq, bar + NVME_REG_ACQ);
	return 0;
}

/**
 * cnvme_ctrl_init() - Set up a controller and its admin queue.
 * @ctrl: the controller to set up.
 * @dev: its device.
 * @bar: the mapping of its BAR0, which stays the caller's.
 * @bar_size: the size of that mapping.
 * @cap: its CAP.
 *
 * Disables the controller, allocates an admin queue pair of
 * %NVME_AQ_DEPTH entries (fewer if CAP.MQES says so), and points AQA,
 * ASQ and ACQ at it. The controller stays disabled: see cnvme_ctrl_enable().
 * Undo with cnvme_ctrl_destroy().
 *
 * Return: 0; -ENODEV if the controller does not support the NVM command set
 * or does not answer; -EINVAL if it supports no memory page size the driver
 * can use, or its CAP.MQES or CAP.DSTRD are unusable; -ETIMEDOUT if it does
 * not become disabled in time; -ENOMEM.
 */
int cnvme_ctrl_init(struct cnvme_ctrl *ctrl, struct device *dev,
		    void __iomem *bar, size_t bar_size, u64 cap)
{
	int host_shift, min_shift, page_shift;
	struct cnvme_queue queue;
	u32 depth;
	int ret;

	if (!(NVME_CAP_CSS(cap) & NVME_CAP_CSS_NVM)) {
		dev_err(dev, "the controller does not support the NVM command set\n");
		return -ENODEV;
	}
	/* The page size to program, and the controller's smallest one (the unit of MDTS). */
	host_shift = cnvme_page_shift(PAGE_SIZE);
	min_shift = cnvme_page_shift_from_mps(NVME_CAP_MPSMIN(cap));
	page_shift = host_shift < 0 ? host_shift :
		     cnvme_cap_page_shift_for(cap, host_shift);
	if (min_shift < 0 || page_shift < 0) {
		dev_err(dev, "no usable memory page size: host %lu bytes, controller MPS %llu..%llu\n",
			PAGE_SIZE, NVME_CAP_MPSMIN(cap), NVME_CAP_MPSMAX(cap));
		return -EINVAL;
	}

	ret = cnvme_ctrl_disable(dev, bar, cap);
	if (ret)
		return ret;

	/* MQES is 0's based. */
	depth = min_t(u32, NVME_AQ_DEPTH, NVME_CAP_MQES(cap) + 1);
	ret = cnvme_queue_init(&queue, dev, bar, bar_size, 0, depth,
			       NVME_CAP_STRIDE(cap));
	if (ret) {
		dev_err(dev, "cannot set up an admin queue of %u entries (CAP 0x%016llx): %pe\n",
			depth, cap, ERR_PTR(ret));
		return ret;
	}
	ret = program_admin_queue(dev, bar, &queue);
	if (ret)
		goto err_free_queue;
	/* The admin queue registers point at the queue, which the admin queue takes over. */
	ret = cnvme_admin_init(&ctrl->admin, dev, bar, &queue);
	if (ret)
		goto err_free_queue;

	ctrl->dev = dev;
	ctrl->bar = bar;
	ctrl->bar_size = bar_size;
	ctrl->cap = cap;
	ctrl->page_shift = page_shift;
	ctrl->min_page_shift = min_shift;
	return 0;

err_free_queue:
	/* The controller is disabled: it does not use the queue. */
	cnvme_queue_free(&queue);
	return ret;
}

/**
 * cnvme_ctrl_enable() - Enable the controller.
 * @ctrl: the controller, set up by cnvme_ctrl_init().
 *
 * Enables the controller with the NVM command set, the host's memory page
 * size (within what the controller supports) and 64/16-byte queue entries,
 * and waits, for at most CAP.TO, until it is ready.
 *
 * Return: 0; -EIO if the controller reports a fatal status (CSTS.CFS);
 * -ETIMEDOUT if it does not become ready in time; -ENODEV if its registers
 * read as all ones.
 */
int cnvme_ctrl_enable(struct cnvme_ctrl *ctrl)
{
	u32 cc;
	int ret;

	ret = cnvme_cc_enabled(ctrl->page_shift, &cc);
	if (ret) {
		dev_err(ctrl->dev, "no CC value for %lu byte pages: %pe\n",
			BIT(ctrl->page_shift), ERR_PTR(ret));
		return ret;
	}
	writel(cc, ctrl->bar + NVME_REG_CC);
	ret = wait_ready(ctrl->bar, ctrl->cap, true);
	if (ret == -EIO)
		dev_err(ctrl->dev, "controller fatal status (CSTS.CFS) while enabling\n");
	else if (ret == -ENODEV)
		dev_err(ctrl->dev, "controller status reads all ones while enabling\n");
	else if (ret)
		dev_err(ctrl->dev, "controller not ready within CAP.TO (%u ms): %pe\n",
			cnvme_cap_ready_timeout_ms(ctrl->cap), ERR_PTR(ret));
	return ret;
}

/**
 * cnvme_ctrl_shutdown() - Shut the controller down.
 * @ctrl: the controller, set up by cnvme_ctrl_init().
 *
 * Asks the controller for a normal shutdown (CC.SHN) and waits, for at most
 * %CNVME_SHUTDOWN_TIMEOUT_MS, until it reports the shutdown complete
 * (CSTS.SHST). Does nothing if the controller is not running. The controller
 * stays enabled; cnvme_ctrl_destroy() disables it.
 *
 * Return: 0, -ETIMEDOUT if the shutdown does not complete in time, or
 * -ENODEV if the controller registers read as all ones.
 */
int cnvme_ctrl_shutdown(struct cnvme_ctrl *ctrl)
{
	void __iomem *bar = ctrl->bar;
	u32 csts, cc;
	int ret;

	csts = readl(bar + NVME_REG_CSTS);
	if (cnvme_csts_is_all_ones(csts)) {
		dev_err(ctrl->dev, "cannot shut down: status reads all ones\n");
		return -ENODEV;
	}
	cc = readl(bar + NVME_REG_CC);
	if (!(cc & NVME_CC_ENABLE) || !(csts & NVME_CSTS_RDY))
		return 0;
	cc &= ~NVME_CC_SHN_MASK;
	cc |= NVME_CC_SHN_NORMAL;
	writel(cc, bar + NVME_REG_CC);
	ret = readl_poll_timeout(bar + NVME_REG_CSTS, csts,
				 cnvme_csts_is_all_ones(csts) ||
				 cnvme_csts_shutdown_complete(csts),
				 CSTS_POLL_US,
				 CNVME_SHUTDOWN_TIMEOUT_MS * USEC_PER_MSEC);
	if (cnvme_csts_is_all_ones(csts))
		ret = -ENODEV;
	if (ret)
		dev_err(ctrl->dev, "shutdown not complete after %u ms: %pe\n",
			CNVME_SHUTDOWN_TIMEOUT_MS, ERR_PTR(ret));
	return ret;
}

/**
 * cnvme_ctrl_destroy() - Stop the controller and free its admin queue.
 * @ctrl: the controller, set up by cnvme_ctrl_init().
 *
 * Disables the controller before the admin queue memory goes. A failure is
 * reported by cnvme_ctrl_disable(); there is nothing more to do about it
 * here. The caller unmaps the BAR afterwards.
 */
void cnvme_ctrl_destroy(struct cnvme_ctrl *ctrl)
{
	if (!cnvme_ctrl_disable(ctrl->dev, ctrl->bar, ctrl->cap))
		dev_dbg(ctrl->dev, "controller disabled\n");
	cnvme_admin_free(&ctrl->admin);
}
