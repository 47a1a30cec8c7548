#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Benchmark the block drivers in one boot and write a report.

Targets: the NVMe PCI drivers (upstream nvme, rnvme and cnvme), each on
its own emulated controllers, and null_blk and rnull, the block layer's
ceiling (no device behind them). Every workload runs against every target in
round-robin order within each repetition, so that slow drift of the emulator
hits all targets alike. Results come from fio's JSON; the report is
summary.json + summary.md + PNG plots in build/bench/<timestamp>/, next to
the raw fio JSON. After fio, the instruction profile of the NVMe drivers
(tools/insn_profile.py) at QD1 and QD32, one boot each, into insn-qd<N>/ and
the report. Method: Documentation/rnvme/benchmark.rst.

    bench.py --build DIR [--profile short|full] [--insn-iodepths 1,32] [--commit-summary]
    bench.py --report RUN_DIR [--commit-summary]   # re-analyse a finished run
"""

import argparse
import json
import sys
import time
from pathlib import Path

from workbench import vm
from workbench.bench_plan import PROFILES, TARGETS, WORKLOADS, Profile, pick_targets
from workbench.bench_report import DOC_SUMMARY, analyse, commit_summary
from workbench.bench_run import run


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, help="the bench kernel's build folder (tools/build.sh bench)")
    ap.add_argument("--profile", choices=PROFILES, default="short")
    ap.add_argument("--out", type=Path, help="run folder (default build/bench/<timestamp>)")
    ap.add_argument("--targets", help="comma-separated targets to run, even ones with serves_io=False "
                    "(default: every target whose module is built and that serves I/O)")
    ap.add_argument("--workloads", help="comma-separated workloads (default: all)")
    ap.add_argument("--reps", type=int, help="repetitions (default: the profile's)")
    ap.add_argument("--runtime", type=float, help="seconds measured per fio run (default: the profile's)")
    ap.add_argument("--ramp", type=float, help="seconds of ramp discarded per fio run (default: the profile's)")
    ap.add_argument("--insn-iodepths", default="1,32", metavar="QD,...",
                    help="after fio, the instruction profile (tools/insn_profile.py) of the NVMe drivers at "
                    "these queue depths, one boot each, into the summary (default %(default)s; '' for none)")
    ap.add_argument("--report", type=Path, metavar="RUN_DIR", help="only re-analyse a finished run")
    ap.add_argument("--commit-summary", action="store_true",
                    help=f"also write {DOC_SUMMARY.relative_to(vm.ROOT)} from this run")
    args = ap.parse_args()

    if args.report:
        out = args.report.resolve()
        meta = json.loads((out / "bench.json").read_text())
        s = analyse(out, meta)
        print((out / "summary.md").read_text())
        if args.commit_summary:
            commit_summary(s)
        return 1 if s["failed_runs"] else 0
    if not args.build:
        ap.error("--build is required (or --report RUN_DIR)")

    prof = PROFILES[args.profile]
    prof = Profile(args.reps or prof.reps, args.runtime or prof.runtime,
                   prof.ramp if args.ramp is None else args.ramp, prof.numjobs)
    if prof.reps < 1 or prof.runtime <= 0 or prof.ramp < 0:
        ap.error("--reps and --runtime must be positive, --ramp not negative")
    try:
        insn_iodepths = [int(qd) for qd in args.insn_iodepths.split(",") if qd]
    except ValueError:
        ap.error(f"--insn-iodepths must be comma-separated queue depths, not {args.insn_iodepths!r}")
    if any(qd < 1 for qd in insn_iodepths):
        ap.error("--insn-iodepths: every queue depth must be at least 1")
    only = set(args.targets.split(",")) if args.targets else None
    if only and only - {t.name for t in TARGETS}:
        ap.error(f"unknown targets {sorted(only - {t.name for t in TARGETS})}")
    workloads = WORKLOADS
    if args.workloads:
        want = args.workloads.split(",")
        workloads = [w for w in WORKLOADS if w.name in want]
        if len(workloads) != len(want):
            ap.error(f"unknown workloads; known: {', '.join(w.name for w in WORKLOADS)}")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = (args.out or vm.ROOT / "build/bench" / stamp).resolve()
    out.mkdir(parents=True, exist_ok=True)
    targets, not_run = pick_targets(args.build, only)
    if not targets:
        print("rnvme bench: no target to run: " + "; ".join(f"{k}: {v}" for k, v in not_run.items()),
              file=sys.stderr)
        return 1
    return run(args.build, out, stamp, args.profile, prof, targets, not_run, workloads, insn_iodepths,
               args.commit_summary)


if __name__ == "__main__":
    sys.exit(main())
