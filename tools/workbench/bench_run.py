# SPDX-License-Identifier: GPL-2.0
"""make bench's run: one boot of the plan with a progress line per fio run,
then the instruction profiles, then the report."""

import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from . import vm
from .bench_plan import fio_options, make_plan
from .bench_report import analyse, commit_summary, parse_fio
from .insn_report import analyse as insn_analyse
from .insn_run import InsnRun, run_windows

# Guest time per fio run beyond runtime + ramp (bind, fio start-up, JSON check),
# and boot, measured under TCG on the 2-core reference machine (1 s in
# November 2026, 2 s on 2026-12-01): for estimates only.
RUN_OVERHEAD_S = 2.0
BOOT_S = 15
# One instruction profile (boot with -icount, two windows of each NVMe
# driver, analysis), for estimates only.
INSN_PROFILE_S = 150


def mmss(secs):
    secs = max(0, int(secs))
    return f"{secs // 60:02d}:{secs % 60:02d}"


class Progress:
    """Prints one line per finished fio run as its results/<test>/rc appears."""

    def __init__(self, runs, reps):
        self.runs, self.reps = runs, reps
        self.k = 0
        self.max_load = os.getloadavg()[0]
        self.t0 = time.monotonic()
        self.ready = None

    def __call__(self, results):
        self.max_load = max(self.max_load, os.getloadavg()[0])
        if self.ready is None:
            if not (results / "ready").exists():
                return
            self.ready = time.monotonic()
            print(f"rnvme bench: guest ready after {self.ready - self.t0:.0f} s", flush=True)
        while self.k < len(self.runs):
            run = self.runs[self.k]
            d = results / run["test"]
            if not (d / "rc").exists():
                break
            self.k += 1
            rc = (d / "rc").read_text().strip()
            if rc == "0" and (d / "fio.json").exists():
                try:
                    what = f"{parse_fio(d / 'fio.json', 'write' in run['rw'])['iops']:.0f} IOPS"
                except (ValueError, KeyError, json.JSONDecodeError) as e:
                    what = f"unreadable fio JSON ({e})"
            else:
                err = (d / "stderr").read_text(errors="replace").strip().splitlines() if (d / "stderr").exists() else []
                what = f"FAILED rc {rc}" + (f": {err[-1]}" if err else "")
            left = len(self.runs) - self.k
            eta = (time.monotonic() - self.ready) / self.k * left
            print(f"[{self.k}/{len(self.runs)}] {run['workload']} {run['target']} "
                  f"rep {run['rep'] + 1}/{self.reps}: {what} (ETA {mmss(eta)})", flush=True)


def insn_profile(build, out, iodepth, drivers, analysis):
    """The instruction profile of `drivers` at `iodepth` into out/insn-qd<iodepth>/
    (report.txt, profile.json): the boot here, its analysis on the `analysis`
    executor, so that it overlaps the next boot. A future of its entry of
    bench.json's insn_runs."""
    run_dir = out / f"insn-qd{iodepth}"
    print(f"rnvme bench: instruction profile at QD{iodepth} ({', '.join(drivers)}), one boot with -icount",
          flush=True)
    t0 = time.monotonic()
    error = run_windows(build, run_dir, InsnRun(iodepth=iodepth, drivers=drivers))
    boot_s = round(time.monotonic() - t0)

    def report():
        nonlocal error
        if not error:
            try:
                with open(os.devnull, "w") as devnull:
                    insn_analyse(run_dir, 40, devnull, build=build)
            except Exception:  # the fio results must still get their report
                error = "its analysis failed:\n" + traceback.format_exc()
        if error:
            print(f"rnvme bench: the instruction profile at QD{iodepth} failed: {error}", file=sys.stderr)
        else:
            print(f"rnvme bench: instruction profile at QD{iodepth}: {run_dir}/report.txt", flush=True)
        return {"iodepth": iodepth, "dir": run_dir.name, "error": error, "boot_s": boot_s}
    return analysis.submit(report)


def git_commit():
    """The commit of the tree the run was started from ("-dirty" with tracked changes), or None."""
    try:
        rev = subprocess.run(["git", "-C", str(vm.ROOT), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(vm.ROOT), "diff", "--quiet", "HEAD", "--"]).returncode
    except (OSError, subprocess.CalledProcessError):
        return None
    return rev + ("-dirty" if dirty else "")


def build_flavour(build, info):
    """The kernel variant, its C compiler and whether Rust inlines the C helpers."""
    cfg = {}
    for line in (Path(build) / ".config").read_text().splitlines():
        if line.startswith("CONFIG_") and "=" in line:
            k, v = line.split("=", 1)
            cfg[k] = v.strip('"')
    return {"variant": info.get("variant"), "cc": cfg.get("CONFIG_CC_VERSION_TEXT"),
            "rust_inline_helpers": cfg.get("CONFIG_RUST_INLINE_HELPERS") == "y"}


def host_cpu():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def run(build, out, stamp, profile_name, prof, targets, not_run, workloads, insn_iodepths, commit):
    """Boot `build` once for the fio runs of the plan, then once per queue
    depth of insn_iodepths for the instruction profile; write the report
    into out (and bench-summary.json if `commit`). The exit status."""
    info = json.loads((build / "rnvme-build.json").read_text())
    for t in targets:
        if not t.serves_io:
            print(f"rnvme bench: warning: {t.name} runs although serves_io=False (--targets)", flush=True)
    guest = vm.Guest(build, out / "vm", [])
    ctrls, where, runs, skipped = make_plan(targets, workloads, prof, guest.vcpus)
    guest.controllers = ctrls
    per_run = prof.runtime + prof.ramp + RUN_OVERHEAD_S
    insn_drivers = tuple(d for d in InsnRun.drivers if d in {t.name for t in targets})
    if not insn_drivers:
        insn_iodepths = []
    est = BOOT_S + len(runs) * per_run + len(insn_iodepths) * INSN_PROFILE_S
    meta = {"stamp": stamp, "commit": git_commit(), "profile": profile_name, "repetitions": prof.reps, "runtime_s": prof.runtime,
            "ramp_s": prof.ramp, "numjobs": sorted({r["numjobs"] for r in runs}),
            "fio_options": fio_options(prof),
            "machine": f"QEMU q35 guest, {guest.vcpus} vCPUs, {guest.mem} RAM, on a {host_cpu()} "
                       f"host with {os.cpu_count()} CPUs",
            "kernel": info["kernelrelease"], "debian_source": info["debian_version"],
            "build": build_flavour(build, info),
            "accelerator": guest.accel, "qemu": vm.qemu_version(),
            "targets": [dict(asdict(t), params=[p.format(vcpus=guest.vcpus) for p in t.params],
                             controllers=where.get(t.name)) for t in targets],
            "not_run": not_run, "skipped": skipped, "runs": runs}
    print(f"rnvme bench: {profile_name} profile, {len(runs)} fio runs ({prof.reps} repetitions x "
          f"{len(workloads)} workloads x {len(targets)} targets ({', '.join(t.name for t in targets)})"
          f" x numjobs {'/'.join(map(str, meta['numjobs']))}, less {len(skipped) * prof.reps * len(meta['numjobs'])}"
          f" skipped)" + (f", then the instruction profile at QD {', '.join(map(str, insn_iodepths))}"
                           if insn_iodepths else "")
          + f", about {mmss(est)}; kernel {info['kernelrelease']}, accelerator {guest.accel}", flush=True)
    for name, why in not_run.items():
        print(f"rnvme bench: not run: {name}: {why}", flush=True)
    for sk in skipped:
        print(f"rnvme bench: skipped: {sk['workload']} on {sk['target']}: {sk['why']}", flush=True)
    plan = [vm.Test(r["test"], r["argv"], timeout=prof.runtime + prof.ramp + 60) for r in runs]
    t0 = time.monotonic()
    load0 = os.getloadavg()[0]
    progress = Progress(runs, prof.reps)
    fio_est = est - len(insn_iodepths) * INSN_PROFILE_S
    run = guest.run(plan, timeout=int(fio_est * 2 + 180), progress=progress)
    meta["host_load"] = {"start": load0, "max": progress.max_load, "end": os.getloadavg()[0],
                         "cpus": os.cpu_count()}
    if not run.booted:
        print("rnvme bench: the guest never booted; console tail:\n" + run.console_tail(), file=sys.stderr)
        return 1
    (out / "fio").mkdir(exist_ok=True)
    for t, r in zip(run.tests, runs):
        src = t.dir / "fio.json"
        if t.ok and src.exists():
            shutil.copy(src, out / "fio" / f"{t.name}.json")
            dev = t.dir / "device"
            for m in meta["targets"]:
                if m["name"] == r["target"] and "device" not in m and dev.exists():
                    m["device"] = " ".join(dev.read_text().split())
        else:
            print(f"  {t.name}: FAILED (rc {t.rc}) {t.text('stderr')[-300:]}", flush=True)
    meta["fio_wall_s"] = round(time.monotonic() - t0)
    # The fio results are safe before the instruction profiles start.
    (out / "bench.json").write_text(json.dumps(meta, indent=2) + "\n")
    with ThreadPoolExecutor(max_workers=1) as analysis:
        profiles = [insn_profile(build.resolve(), out, qd, insn_drivers, analysis) for qd in insn_iodepths]
        meta["insn_runs"] = [p.result() for p in profiles]
    meta["wall_s"] = round(time.monotonic() - t0)
    (out / "bench.json").write_text(json.dumps(meta, indent=2) + "\n")
    s = analyse(out, meta)
    print((out / "summary.md").read_text())
    if commit:
        commit_summary(s)
    print(f"rnvme bench: guest runs took {mmss(meta['wall_s'])} (fio {mmss(meta['fio_wall_s'])}); "
          f"report in {out}/summary.md", flush=True)
    if run.timed_out:
        print("rnvme bench: the guest ran out of time", file=sys.stderr)
    return 1 if s["failed_runs"] or run.timed_out else 0
