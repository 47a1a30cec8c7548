#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Benchmark the NVMe drivers in one boot and write a report.

Every workload runs against every target in round-robin order within each
repetition, so that slow drift of the emulator hits all targets alike.
Results come from fio's JSON; the report is summary.json + summary.md in
build/bench/<timestamp>/ next to the raw fio JSON.
"""

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rnvme_vm as vm  # noqa: E402

# (name, rw, bs, iodepth)
WORKLOADS = [
    ("randread-4k-qd1", "randread", "4k", 1),
    ("randread-4k-qd32", "randread", "4k", 32),
]
PROFILES = {
    # repetitions, seconds per run, ramp seconds
    "short": (5, 5, 1),
    "full": (30, 10, 2),
}


def targets():
    """(target name, driver, controller index). Grows as our drivers land."""
    return [("nvme", "nvme", 0)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, type=Path)
    ap.add_argument("--profile", choices=PROFILES, default="short")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    reps, runtime, ramp = PROFILES[args.profile]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or vm.ROOT / "build/bench" / stamp
    out.mkdir(parents=True, exist_ok=True)
    info = json.loads((args.build / "rnvme-build.json").read_text())
    tg = targets()
    ctrls = [vm.Controller(backend="null", size=8 << 30) for _ in tg]
    plan = []
    for r in range(reps):
        for wname, rw, bs, qd in WORKLOADS:
            for tname, drv, ctrl in tg:
                name = f"{wname}.{tname}.{r}"
                plan.append(vm.Test(name, ["tests/guest/fio-bench.sh", drv, str(ctrl), "fio",
                                           rw, bs, str(qd), str(runtime), str(ramp)],
                                    timeout=runtime + ramp + 60))
    total = len(plan) * (runtime + ramp + 1)
    print(f"rnvme bench: {args.profile} profile, {len(plan)} fio runs "
          f"({reps} repetitions x {len(WORKLOADS)} workloads x {len(tg)} targets), "
          f"about {total // 60 + 1} min; kernel {info['kernelrelease']}, accelerator {vm.detect_accel()}",
          flush=True)
    guest = vm.Guest(args.build, out / "vm", ctrls)
    run = guest.run(plan, timeout=total * 2 + 180)
    if not run.booted:
        print("rnvme bench: the guest never booted; console tail:\n" + run.console_tail(), file=sys.stderr)
        return 1
    samples = {}
    failed = 0
    for t in run.tests:
        wname, tname, r = t.name.split(".")
        src = t.dir / "fio.json"
        if not t.ok or not src.exists():
            print(f"  {t.name}: FAILED (rc {t.rc}) {t.text('stderr')[-300:]}", flush=True)
            failed += 1
            continue
        raw = out / "fio" / f"{t.name}.json"
        raw.parent.mkdir(exist_ok=True)
        shutil.copy(src, raw)
        job = json.loads(src.read_text())["jobs"][0]
        rd = job["read"] if job["read"]["io_bytes"] else job["write"]
        pct = rd["clat_ns"].get("percentile", {})
        samples.setdefault(wname, {}).setdefault(tname, []).append({
            "iops": rd["iops"], "bw_kib": rd["bw"],
            "p50_us": pct.get("50.000000", 0) / 1000, "p99_us": pct.get("99.000000", 0) / 1000,
            "p999_us": pct.get("99.900000", 0) / 1000,
            "cpu_us_per_io": (job["usr_cpu"] + job["sys_cpu"]) / 100 * 1e6 / max(rd["iops"], 1),
        })
        print(f"  {t.name}: {rd['iops']:.0f} IOPS", flush=True)
    summary = {"machine": "QEMU q35 guest, %d vCPUs" % guest.vcpus,
               "kernel": info["kernelrelease"], "debian_source": info["debian_version"],
               "accelerator": guest.accel, "qemu": vm.qemu_version(), "profile": args.profile,
               "repetitions": reps, "runtime_s": runtime, "ramp_s": ramp, "workloads": []}
    for wname, *_ in WORKLOADS:
        w = {"name": wname, "targets": {}}
        for tname, per in samples.get(wname, {}).items():
            def med(k, per=per):
                return statistics.median(s[k] for s in per)
            iops = [s["iops"] for s in per]
            w["targets"][tname] = {"n": len(per), "iops_median": med("iops"),
                                   "iops_min": min(iops), "iops_max": max(iops),
                                   "bw_kib_median": med("bw_kib"), "p50_us": med("p50_us"),
                                   "p99_us": med("p99_us"), "p999_us": med("p999_us"),
                                   "cpu_us_per_io": med("cpu_us_per_io")}
        summary["workloads"].append(w)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    md = [f"# rnvme benchmark {stamp}", "",
          f"Kernel {summary['kernel']} (Debian linux-source {summary['debian_source']}), "
          f"{summary['qemu']}, accelerator {summary['accelerator']}, {summary['machine']}; "
          f"{args.profile} profile: {reps} repetitions of {runtime} s (+{ramp} s ramp), io_uring, "
          "scheduler none, null-co backends.", "",
          "| workload | target | IOPS median | min..max | p50 us | p99 us | p99.9 us | CPU us/IO |",
          "|---|---|---:|---:|---:|---:|---:|---:|"]
    for w in summary["workloads"]:
        for tname, s in w["targets"].items():
            md.append(f"| {w['name']} | {tname} | {s['iops_median']:.0f} | {s['iops_min']:.0f}..{s['iops_max']:.0f} "
                      f"| {s['p50_us']:.1f} | {s['p99_us']:.1f} | {s['p999_us']:.1f} | {s['cpu_us_per_io']:.1f} |")
    (out / "summary.md").write_text("\n".join(md) + "\n")
    print("\n".join(md[4:]))
    print(f"rnvme bench: report in {out}/summary.md and summary.json")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
