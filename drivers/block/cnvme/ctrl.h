/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Controller state changes: disable, admin queue setup, enable and shutdown
 * (NVMe 2.0 base specification, section 3.5).
 *
 * struct cnvme_ctrl holds what it takes to run a controller: its registers
 * and its admin queue pair. cnvme_ctrl_init() leaves the controller disabled
 * with the admin queue registers (AQA, ASQ, ACQ) programmed;
 * cnvme_ctrl_enable() then starts the controller and cnvme_ctrl_shutdown()
 * asks it to stop cleanly.
 *
 * Teardown order: cnvme_ctrl_destroy() first disables the controller (CC.EN
 * cleared, waiting for CSTS.RDY to clear), so that it no longer reads or
 * writes host memory, then frees the admin queue; the caller unmaps the BAR
 * after that.
 *
 * Every wait for the controller is bounded: by CAP.TO for CSTS.RDY, by
 * %CNVME_SHUTDOWN_TIMEOUT_MS for CSTS.SHST.
 */

#ifndef CNVME_CTRL_H
#define CNVME_CTRL_H

#include <linux/compiler_types.h>
#include <linux/types.h>

#include "admin.h"

struct device;

/* Depth of the admin queues, unless the controller supports fewer entries (CAP.MQES). */
#define CNVME_ADMIN_DEPTH		32
/* Interval between two reads of CSTS while waiting for the controller. */
#define CNVME_CTRL_POLL_US		1000
/* Longest wait for a normal shutdown to complete. */
#define CNVME_SHUTDOWN_TIMEOUT_MS	5000

/**
 * struct cnvme_ctrl - A controller and its admin queue pair.
 * @dev: the controller's device, for messages and DMA.
 * @bar: the mapping of BAR0, with the registers and the doorbells; the
 *	caller's, which unmaps it after cnvme_ctrl_destroy().
 * @bar_size: the size of that mapping.
 * @cap: CAP, read once.
 * @page_shift: the memory page size programmed in CC.MPS.
 * @min_page_shift: the controller's minimum memory page size (CAP.MPSMIN),
 *	the unit of MDTS.
 * @admin: the admin queue pair, which the admin queue registers point at.
 */
struct cnvme_ctrl {
	struct device *dev;
	void __iomem *bar;
	size_t bar_size;
	u64 cap;
	unsigned int page_shift;
	unsigned int min_page_shift;
	struct cnvme_admin admin;
};

int cnvme_ctrl_disable(struct device *dev, void __iomem *bar, u64 cap);
int cnvme_ctrl_init(struct cnvme_ctrl *ctrl, struct device *dev,
		    void __iomem *bar, size_t bar_size, u64 cap);
int cnvme_ctrl_enable(struct cnvme_ctrl *ctrl);
int cnvme_ctrl_shutdown(struct cnvme_ctrl *ctrl);
void cnvme_ctrl_destroy(struct cnvme_ctrl *ctrl);

#endif /* CNVME_CTRL_H */
