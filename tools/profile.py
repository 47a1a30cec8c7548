#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Profile the NVMe drivers in one boot of the bench kernel: perf (cpu-clock)
over the whole guest while fio runs 4 KiB random reads at queue depth 32 on a
null-co controller per driver (tests/guest/perf-profile.sh). Prints each
driver's IOPS and its top symbols, and the share of samples by module.

    profile.py --build DIR [--seconds N] [--drivers nvme,cnvme,rnvme]
"""

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

from workbench import vm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, type=Path)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--drivers", default="nvme,cnvme,rnvme")
    ap.add_argument("--run-dir", type=Path,
                    default=vm.ROOT / "build/profile" / time.strftime("%Y%m%d-%H%M%S"))
    args = ap.parse_args()
    drivers = args.drivers.split(",")
    ctrls = [vm.Controller(backend="null", size=1 << 30, lba_size=512) for _ in drivers]
    guest = vm.Guest(args.build, args.run_dir, ctrls)
    tests = [vm.Test(f"profile-{i}-{d}", ["tests/guest/perf-profile.sh", d, str(i), str(args.seconds)],
                     args.seconds + 120) for i, d in enumerate(drivers)]
    run = guest.run(tests)
    if not run.booted:
        print("the guest did not boot:\n" + run.console_tail())
        return 1
    rc = 0
    for t in run.tests:
        res = args.run_dir / "results" / t.name
        if not t.ok:
            print(f"{t.name}: failed ({t.rc})\n{t.text('stderr')[-1500:]}")
            rc = 1
            continue
        job = json.loads((res / "fio.json").read_text())["jobs"][0]
        print(f"== {t.name}: {job['read']['iops']:.0f} IOPS, fio usr {job['usr_cpu']:.1f}% "
              f"sys {job['sys_cpu']:.1f}%, {job['read']['clat_ns']['mean'] / 1000:.1f} us mean latency")
        by_dso = defaultdict(float)
        lines = (res / "report.txt").read_text().splitlines()
        for ln in lines:
            m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[.\]\s+(.*)", ln)
            if m:
                by_dso[m.group(2)] += float(m.group(1))
        print("   by module: " + ", ".join(f"{d} {p:.1f}%" for d, p in
                                          sorted(by_dso.items(), key=lambda x: -x[1])[:6]))
        for ln in lines[:25]:
            print("   " + ln.strip())
    print(f"results in {args.run_dir}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
