# SPDX-License-Identifier: GPL-2.0
"""The rnvme workbench as a package, in the shape of the kernel's
tools/testing/kunit/ (kunit.py the command line, kunit_kernel.py the runner,
kunit_parser.py the parser): the scripts in tools/ (test.py, bench.py,
insn_profile.py, profile.py) are thin command lines over these modules.

- vm: boots a kernel build in QEMU with emulated NVMe controllers and runs a
  plan of guest test scripts in it; results come back through a 9p share.
- make test: lint (host lint gates), guest_tests (the plan), testrun (the
  PASS/FAIL/SKIP report and one boot), kunit_results (KTAP through the
  kernel's kunit.py).
- make bench: bench_plan, bench_stats, bench_report, bench_plots, bench_run.
- the instruction profiler: insn_symbols, insn_windows, insn_report, insn_run.
"""
