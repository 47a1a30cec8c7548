#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Instructions per I/O of each NVMe driver, by symbol and by category, from
guest instruction counts under QEMU TCG (perf inside a TCG guest charges
irq-off work to the unlock function; counting instructions does not).

One guest boot (one vCPU, so the plugin's inline counters are exact) with one
null-co controller per driver. tools/insncount/insncount.so counts executed
instructions per translation block and writes a window of counts every time
the guest enters the marker function (__x64_sys_sync; ksys_sync is inlined
into it); tests/guest/insn-window.sh
runs each fio (4 KiB randread, QD32 or --iodepth, io_uring) between two syncs. Each driver
runs twice, with --base-ios and --ios I/Os; the per-I/O figures are the
difference of the two windows divided by the difference of I/Os, which
cancels the fixed cost of each window (fio start-up and exit, sync, ...).
--base-ios 0 divides the --ios window alone by --ios.

    insn_profile.py --build DIR [--ios 100000] [--base-ios 10000] [--iodepth 32]
                    [--drivers nvme,cnvme,rnvme] [--top 40] [--run-dir DIR]
    insn_profile.py --analyse RUN_DIR [--build DIR] [--top 40]   (report an earlier run again;
                    with --build also RUN_DIR/annotate.txt, per instruction, see --annotate)

Guest time follows the instruction count (-icount shift=0, --icount), so timer
work per I/O does not depend on how loaded the host is. What still varies from
run to run is timing between the emulated device and the vCPU: completions per
interrupt (the "hw interrupts" events row), which moves the per-interrupt costs.

With the build (always when it boots one, with --build for --analyse) it
also counts the instructions that cost far more than others under TCG, per
I/O and by symbol: atomic read-modify-writes, interrupt-flag changes and
fences, found in the disassembly of the build's vmlinux and modules.

Writes RUN_DIR/report.txt (what it prints) and RUN_DIR/profile.json.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from workbench import vm
from workbench.insn_report import analyse
from workbench.insn_run import InsnRun, run_windows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path)
    ap.add_argument("--ios", type=int, default=InsnRun.ios)
    ap.add_argument("--base-ios", type=int, default=None, help="default: --ios / 10")
    ap.add_argument("--iodepth", type=int, default=InsnRun.iodepth, help="fio queue depth (default %(default)s)")
    ap.add_argument("--drivers", default=",".join(InsnRun.drivers))
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--marker", default=InsnRun.marker, help="kernel function that closes a window")
    ap.add_argument("--mem", default=InsnRun.mem)
    ap.add_argument("--timeout", type=int, default=None, help="guest test timeout, seconds")
    ap.add_argument("--icount", default=InsnRun.icount, metavar="OPTS",
                    help="QEMU -icount OPTS (default %(default)s: guest time follows the instruction "
                    "count, 1 ns each, so timer ticks per I/O do not depend on host load; '' for "
                    "host time)")
    ap.add_argument("--run-dir", type=Path)
    ap.add_argument("--analyse", type=Path, metavar="RUN_DIR", help="only report an earlier run")
    ap.add_argument("--annotate", default="queue_rq,process_completions,io_process_completions",
                    help="comma-separated substrings of driver-module symbols to annotate per "
                    "instruction into RUN_DIR/annotate.txt (with the .ko of --build); '' for none")
    args = ap.parse_args()
    if args.iodepth < 1:
        ap.error("--iodepth must be at least 1")
    ann = [a for a in args.annotate.split(",") if a]
    if args.analyse:
        # Annotation needs the build's .ko files.
        analyse(args.analyse, args.top, sys.stdout, ann if args.build else (), args.build)
        return 0
    if not args.build:
        ap.error("--build is required")
    os.nice(19)  # QEMU inherits it: the machine is shared with builds and benchmarks
    build = args.build.resolve()
    spec = InsnRun(ios=args.ios, base_ios=args.ios // 10 if args.base_ios is None else args.base_ios,
                   iodepth=args.iodepth, drivers=tuple(args.drivers.split(",")), marker=args.marker,
                   mem=args.mem, timeout=args.timeout, icount=args.icount)
    run_dir = (args.run_dir or vm.ROOT / "build/insn-profile" / time.strftime("%Y%m%d-%H%M%S")).resolve()
    error = run_windows(build, run_dir, spec)
    if error:
        print(error)
        return 1
    analyse(run_dir, args.top, sys.stdout, ann, build)
    return 0


if __name__ == "__main__":
    sys.exit(main())
