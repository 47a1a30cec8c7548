# SPDX-License-Identifier: GPL-2.0
#
# Two roles in one file:
# - inside the kernel build (tools/build.sh includes it from
#   drivers/block/Makefile as Makefile.rnvme) it adds the project's drivers;
# - in the repository it holds the README's commands.

ifneq ($(KERNELRELEASE),)

obj-$(CONFIG_BLK_DEV_RNVME)	+= rnvme/
obj-$(CONFIG_BLK_DEV_CNVME)	+= cnvme/

else

.PHONY: bench test build deps clean-cache

# Build, boot, benchmark, report (build/bench/<timestamp>/).
bench:
	tools/bench.sh $(BENCH_ARGS)

# Build, boot, run every test; ends with "N passed, N failed".
test:
	tools/test.sh $(TEST_ARGS)

build:
	tools/deps.sh && tools/build.sh $(or $(VARIANT),base)

deps:
	tools/deps.sh

endif
