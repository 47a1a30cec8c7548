# SPDX-License-Identifier: GPL-2.0
"""The rnvme workbench as a package, in the shape of the kernel's
tools/testing/kunit/: the scripts in tools/ (test.py, bench.py,
insn_profile.py, profile.py) are thin command lines; the work is here.

- vm: boots a kernel build in QEMU with emulated NVMe controllers and runs a
  plan of guest tests in it (the runner, as kunit_kernel.py is kunit's).
"""
