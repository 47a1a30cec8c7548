#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run every test of the project against a built kernel and print one line per
test, then "N passed, N failed". Exit status 1 if anything failed.

Tests: lint gates and the compile-fail snippets on the host, guest tests (tests/guest/*.sh, one definition
parametrised by driver) in one boot (and a second boot with swiotlb=force for
the cross-driver tests, a third one with controller variants), and every KUnit
suite that ran in those boots, parsed with the kernel's own
tools/testing/kunit/kunit.py.
"""

import argparse
import json
import re
import sys
import time
from pathlib import Path

from workbench import vm
from workbench.compile_fail import compile_fail
from workbench.guest_tests import (DEBUG_TESTS, SWIOTLB_CMDLINE, TRACE_EVENTS, guest_tests, swiotlb_tests,
                                   variant_controllers, variant_tests)
from workbench.lint import lint_gates
from workbench.testrun import Report, boot


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, type=Path)
    ap.add_argument("--run-dir", type=Path, default=vm.ROOT / "build/test" / time.strftime("%Y%m%d-%H%M%S"))
    ap.add_argument("--verify-size", default="64M")
    ap.add_argument("--no-lint", action="store_true")
    ap.add_argument("--only", metavar="REGEX", help="run only the guest tests whose name matches")
    ap.add_argument("--debug-build", type=Path, help="also run the tests of DEBUG_TESTS on this debug kernel")
    args = ap.parse_args()
    rep = Report()
    info = json.loads((args.build / "rnvme-build.json").read_text())
    print(f"rnvme: kernel {info['kernelrelease']} (Debian linux-source {info['debian_version']}), "
          f"accelerator {vm.detect_accel()}, {vm.qemu_version()}", flush=True)

    if not args.no_lint:
        lint_gates(rep, args.build)
        compile_fail(rep, args.build)

    def selected(tests):
        return [t for t in tests if not args.only or re.search(args.only, t.name)]

    # The first boot runs the KUnit suites too: with --only, only if one of its
    # guest tests is selected.
    tests = guest_tests(args.build, args.verify_size)
    if selected(tests):
        boot(rep, args.build, args.run_dir, tests, args.only, trace=TRACE_EVENTS)
    # A second boot of the same kernel in which every DMA mapping bounces (its
    # KUnit suites are those of the first boot, not counted again).
    bounced = selected(swiotlb_tests(args.build))
    if bounced:
        boot(rep, args.build, args.run_dir.with_name(args.run_dir.name + "-swiotlb"), bounced,
             prefix="swiotlb: ", cmdline=SWIOTLB_CMDLINE, kunit=False)
    # A third one with controller variants (MSI-X vectors, transfer sizes,
    # several namespaces), each served by upstream nvme and by our drivers.
    variants = selected(variant_tests(args.build))
    if variants:
        boot(rep, args.build, args.run_dir.with_name(args.run_dir.name + "-variants"), variants,
             prefix="variants: ", kunit=False, controllers=variant_controllers(args.build))
    if args.debug_build:
        # The same tests on the debug kernel (KASAN, lockdep, DMA-API debug,
        # kmemleak, might_sleep checks), less the long data-verification ones.
        only = DEBUG_TESTS if not args.only else f"(?={DEBUG_TESTS})(?:.*{args.only})"
        boot(rep, args.debug_build, args.run_dir.with_name(args.run_dir.name + "-debug"),
             guest_tests(args.debug_build, args.verify_size), only, prefix="debug: ")
    line = f"{rep.passed} passed, {rep.failed} failed"
    if rep.skipped:
        line += f", {rep.skipped} skipped"
    print(line)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
