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
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from workbench import vm
from workbench.insn_report import analyse as insn_analyse, per_io_table
from workbench.insn_run import InsnRun, run_windows


@dataclass(frozen=True)
class Target:
    name: str
    module: str  # the module that must be in the build (modroot) for the target to run
    nvme: bool  # an NVMe PCI driver: gets a null-co controller (reads) and a file one (writes)
    serves_io: bool  # the driver can serve I/O: benchmarked by default when its module is built
    poll: bool  # has poll queues (given `params`): runs the polled workloads
    params: tuple = ()  # fio-bench.sh -p PARAM=VALUE: module parameters / rnull attributes


# One line per target; fio-bench.sh takes the name. {vcpus}: the guest's vCPUs.
# The three NVMe drivers get the same poll_queues parameter.
TARGETS = [
    Target("nvme", "nvme", nvme=True, serves_io=True, poll=True, params=("poll_queues=1",)),
    Target("rnvme", "rnvme", nvme=True, serves_io=True, poll=True, params=("poll_queues=1",)),
    Target("cnvme", "cnvme", nvme=True, serves_io=True, poll=True, params=("poll_queues=1",)),
    Target("null_blk", "null_blk", nvme=False, serves_io=True, poll=True,
           params=("queue_mode=2", "irqmode=0", "gb=1", "bs=512", "nr_devices=1",
                   "submit_queues={vcpus}", "poll_queues=1", "hw_queue_depth=256", "memory_backed=0")),
    Target("rnull", "rnull_mod", nvme=False, serves_io=True, poll=False,
           params=("blocksize=512", "size=1024", "irqmode=0")),
]

# Ratios of median IOPS (a / b) with 95 % bootstrap confidence intervals.
RATIOS = [
    ("rnvme_vs_nvme", "rnvme", "nvme"),
    ("rnvme_vs_cnvme", "rnvme", "cnvme"),
    ("null_blk_vs_nvme", "null_blk", "nvme"),
    ("rnull_vs_null_blk", "rnull", "null_blk"),
]


@dataclass(frozen=True)
class Workload:
    name: str
    rw: str
    bs: str
    qd: int
    polled: bool = False  # io_uring --hipri=1: needs a target with poll queues

    @property
    def writes(self):
        return "write" in self.rw


WORKLOADS = [
    Workload("randread-4k-qd1", "randread", "4k", 1),
    Workload("randread-4k-qd32", "randread", "4k", 32),
    Workload("randwrite-4k-qd32", "randwrite", "4k", 32),
    Workload("seqread-128k-qd8", "read", "128k", 8),
    Workload("randread-512-qd32", "randread", "512", 32),
    Workload("randread-4k-qd1-polled", "randread", "4k", 1, polled=True),
]


@dataclass(frozen=True)
class Profile:
    reps: int
    runtime: float  # seconds measured per fio run
    ramp: float  # seconds discarded before
    numjobs: tuple  # "vcpus": one job per vCPU


PROFILES = {
    # At most 10 minutes on the 2-core reference machine under TCG: 145 runs
    # of 1 + 0.5 s and 1 to 2 s of overhead each (fio start-up under TCG; it
    # was 2 s on the slowest day seen), 6 to 9 minutes in all.
    "short": Profile(reps=5, runtime=1, ramp=0.5, numjobs=(1,)),
    # 30 repetitions of both job counts: 1740 runs, about 75 minutes there.
    # Under TCG the spread between repetitions, not the length of a run,
    # limits the confidence intervals, so runs stay short; on a KVM host or
    # bare metal, --runtime 10 --ramp 2 gives steadier single runs.
    "full": Profile(reps=30, runtime=1, ramp=0.5, numjobs=(1, "vcpus")),
}
DEVICE_SIZE = 1 << 30  # every target: 1 GiB, 512-byte logical blocks
# Guest time per fio run beyond runtime + ramp (bind, fio start-up, JSON check),
# and boot, measured under TCG on the 2-core reference machine (1 s in
# November 2026, 2 s on 2026-12-01): for estimates only.
RUN_OVERHEAD_S = 2.0
BOOT_S = 15
# One instruction profile (boot with -icount, two windows of each NVMe
# driver, analysis), for estimates only.
INSN_PROFILE_S = 150
DOC_SUMMARY = vm.ROOT / "Documentation/rnvme/bench-summary.json"


# --- statistics ---------------------------------------------------------------

def _quantile(sorted_xs, q):
    """Linear-interpolation quantile of a sorted list."""
    pos = q * (len(sorted_xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def bootstrap(stat, samples, n_boot=10000, seed=1, conf=0.95, paired=False):
    """Percentile bootstrap: stat(*resampled) over n_boot resamplings, with
    replacement, same sizes; returns [lo, hi] of the central `conf` interval.
    Sample sets are resampled independently, or, with paired=True (sets of
    equal length whose i-th elements belong together, e.g. the same
    repetition), by drawing the same indices for all. Seeded: same samples,
    same interval."""
    rng = random.Random(seed)
    if paired:
        n = len(samples[0])
        if any(len(s) != n for s in samples):
            raise ValueError("paired bootstrap needs samples of equal length")

        def draw():
            idx = rng.choices(range(n), k=n)
            return [[s[i] for i in idx] for s in samples]
    else:
        def draw():
            return [rng.choices(s, k=len(s)) for s in samples]
    dist = sorted(stat(*draw()) for _ in range(n_boot))
    return [_quantile(dist, (1 - conf) / 2), _quantile(dist, 1 - (1 - conf) / 2)]


def median_ci(samples, **kw):
    """The median of samples with its 95 % bootstrap confidence interval."""
    return {"median": statistics.median(samples), "ci95": bootstrap(statistics.median, [samples], **kw)}


def ratio(a_samples, b_samples, paired=False, **kw):
    """median(a) / median(b) with its 95 % bootstrap confidence interval, or
    None if either side has no samples. paired=True: a[i] and b[i] were
    measured together (same repetition, one after the other), so that
    resampling repetitions keeps what drift they share out of the interval."""
    if not a_samples or not b_samples:
        return None

    def r(a, b):
        return statistics.median(a) / statistics.median(b)
    return {"median": r(a_samples, b_samples),
            "ci95": bootstrap(r, [a_samples, b_samples], paired=paired, **kw)}


# --- plan -----------------------------------------------------------------------

def built_modules(build):
    """Names of the modules in the build's module folder."""
    names = set()
    for p in (Path(build) / "modroot/lib/modules").glob("*/**/*.ko*"):
        names.add(p.name.split(".ko")[0])
    return names


def pick_targets(build, only=None):
    """(targets to run, {name: why not} for the others)."""
    mods = built_modules(build)
    run, off = [], {}
    for t in TARGETS:
        if only is not None and t.name not in only:
            off[t.name] = "not asked for (--targets)"
        elif t.module not in mods:
            off[t.name] = f"module {t.module} is not in the build"
        elif not t.serves_io and only is None:
            off[t.name] = f"module {t.module} is built but the driver cannot serve I/O yet (serves_io=False)"
        else:
            run.append(t)
    return run, off


def make_plan(targets, workloads, prof, vcpus):
    """Controllers, fio runs (round-robin over targets), and skipped pairs."""
    ctrls, where = [], {}
    for t in targets:
        if t.nvme:
            where[t.name] = {"read": len(ctrls), "write": len(ctrls) + 1}
            ctrls.append(vm.Controller(backend="null", size=DEVICE_SIZE, lba_size=512))
            ctrls.append(vm.Controller(backend="file", size=DEVICE_SIZE, lba_size=512))
    skipped = []
    for w in workloads:
        for t in targets:
            if w.polled and not t.poll:
                skipped.append({"workload": w.name, "target": t.name,
                                "why": f"{t.name} has no poll queues (no poll support)"})
    njs = [vcpus if n == "vcpus" else n for n in prof.numjobs]
    runs = []
    for r in range(prof.reps):
        for nj in njs:
            for w in workloads:
                for t in targets:
                    if w.polled and not t.poll:
                        continue
                    params = [p.format(vcpus=vcpus) for p in t.params]
                    ctrl = where[t.name]["write" if w.writes else "read"] if t.nvme else "-"
                    wname = f"{w.name}-j{nj}"
                    argv = ["tests/guest/fio-bench.sh"]
                    for p in params:
                        argv += ["-p", p]
                    argv += [t.name, str(ctrl), "fio", w.rw, w.bs, str(w.qd), str(nj),
                             fio_time(prof.runtime), fio_time(prof.ramp)]
                    if w.polled:
                        argv.append("--hipri=1")
                    runs.append({"test": f"{wname}.{t.name}.{r}", "workload": wname, "target": t.name,
                                 "rep": r, "numjobs": nj, "rw": w.rw, "bs": w.bs, "qd": w.qd,
                                 "polled": w.polled, "ctrl": ctrl, "argv": argv})
    return ctrls, where, runs, skipped


# --- results --------------------------------------------------------------------

def parse_fio(path, writes):
    """One sample from a fio JSON file (--group_reporting: one job)."""
    d = json.loads(Path(path).read_text())
    jobs = d["jobs"]
    if len(jobs) != 1:
        raise ValueError(f"{path}: {len(jobs)} jobs, expected 1 (--group_reporting)")
    job = jobs[0]
    if job.get("error"):
        raise ValueError(f"{path}: fio error {job['error']}")
    io = job["write" if writes else "read"]
    if not io["io_bytes"]:
        raise ValueError(f"{path}: no {'write' if writes else 'read'} I/O")
    pct = {float(k): v / 1000 for k, v in io["clat_ns"].get("percentile", {}).items()}
    # usr_cpu/sys_cpu: the jobs' CPU time over the sum of their run times
    # (job_runtime, ms, ramp excluded): CPU seconds = % x job_runtime.
    cpu_s = (job["usr_cpu"] + job["sys_cpu"]) / 100 * job["job_runtime"] / 1000
    ios = io["iops"] * io["runtime"] / 1000
    return {"iops": io["iops"], "bw_kib": io["bw"], "pct_us": pct,
            "p50_us": pct.get(50.0, 0), "p99_us": pct.get(99.0, 0), "p999_us": pct.get(99.9, 0),
            "cpu_us_per_io": cpu_s * 1e6 / ios if ios else 0.0}


def fmt_ci(r, digits=2):
    if r is None:
        return "—"
    return f"{r['median']:.{digits}f} [{r['ci95'][0]:.{digits}f}, {r['ci95'][1]:.{digits}f}]"


def analyse(out, meta):
    """Read out/fio/*.json, write summary.json, summary.md and plots; return summary."""
    samples, failed = {}, []
    for run in meta["runs"]:
        src = out / "fio" / f"{run['test']}.json"
        if not src.exists():
            failed.append(run["test"])
            continue
        try:
            s = parse_fio(src, "write" in run["rw"])
        except (ValueError, KeyError, json.JSONDecodeError) as e:
            print(f"rnvme bench: {e}", file=sys.stderr)
            failed.append(run["test"])
            continue
        s["rep"] = run["rep"]
        samples.setdefault(run["workload"], {}).setdefault(run["target"], []).append(s)
    wnames = list(dict.fromkeys(r["workload"] for r in meta["runs"]))
    tnames = [t["name"] for t in meta["targets"]]
    summary = {k: meta[k] for k in ("stamp", "machine", "kernel", "debian_source", "accelerator",
                                    "qemu", "profile", "repetitions", "runtime_s", "ramp_s",
                                    "numjobs", "fio_options")}
    summary["build"] = meta.get("build")
    # What disturbed the run, written into bench.json by hand afterwards.
    summary["note"] = meta.get("note")
    summary["commit"] = meta.get("commit")
    summary["host_load"] = meta.get("host_load")
    summary.update({"targets": meta["targets"], "not_run": meta["not_run"], "skipped": meta["skipped"],
                    "failed_runs": failed, "ratio_metric": "IOPS: median(a) / median(b) over the repetitions "
                    "both ran; 95 % CI: percentile bootstrap resampling repetitions (a and b of one "
                    "repetition together), 10000 resamplings, seed 1; p99 latency ratios likewise "
                    "with fio's completion latency p99 of each run",
                    "workloads": []})
    for wname in wnames:
        w = {"name": wname, "targets": {}, "ratios": {}}
        for tname in tnames:
            per = samples.get(wname, {}).get(tname)
            if not per:
                continue

            def med(k, per=per):
                return statistics.median(s[k] for s in per)
            iops = [s["iops"] for s in per]
            keys = sorted(set.intersection(*(set(s["pct_us"]) for s in per)))
            w["targets"][tname] = {
                "n": len(per), "iops_median": med("iops"), "iops_ci95": median_ci(iops)["ci95"],
                "iops_min": min(iops), "iops_max": max(iops), "iops": iops,
                "bw_kib_median": med("bw_kib"), "p50_us": med("p50_us"), "p99_us": med("p99_us"),
                "p999_us": med("p999_us"), "cpu_us_per_io": med("cpu_us_per_io"),
                "clat_percentiles_us": {f"{k:g}": statistics.median(s["pct_us"][k] for s in per) for k in keys},
            }
        w["p99_ratios"] = {}
        for key, into in (("iops", w["ratios"]), ("p99_us", w["p99_ratios"])):
            by_rep = {t: {s["rep"]: s[key] for s in per} for t, per in samples.get(wname, {}).items()}
            for rname, a, b in RATIOS:
                reps = sorted(set(by_rep.get(a, {})) & set(by_rep.get(b, {})))
                into[rname] = ratio([by_rep[a][r] for r in reps], [by_rep[b][r] for r in reps],
                                    paired=True) if reps else None
        summary["workloads"].append(w)
    summary["instructions"] = []
    for r in meta.get("insn_runs", []):
        prof = out / r["dir"] / "profile.json"
        if r.get("error") or not prof.exists():
            failed.append(r["dir"])
        else:
            table = per_io_table(json.loads(prof.read_text()))
            summary["instructions"].append(dict(table, report=f"{r['dir']}/report.txt"))
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    plots = make_plots(out, summary)
    (out / "summary.md").write_text(markdown(summary, plots))
    return summary


def flavour(s):
    """", variant bench, clang ..., Rust helpers inlined" for the report, from the build record."""
    b = s.get("build") or {}
    parts = [f"variant {b['variant']}" if b.get("variant") else None, b.get("cc"),
             "Rust helpers inlined" if b.get("rust_inline_helpers") else None]
    parts += [f"commit {s['commit']}"] if s.get("commit") else []
    return "".join(f", {p}" for p in parts if p)


def markdown(s, plots):
    md = [f"# rnvme benchmark {s['stamp']}", "",
          f"Kernel {s['kernel']} (Debian linux-source {s['debian_source']}{flavour(s)}), {s['qemu']}, "
          f"accelerator {s['accelerator']}, {s['machine']}. Profile {s['profile']}: "
          f"{s['repetitions']} repetitions of {s['runtime_s']} s (+{s['ramp_s']} s ramp, discarded), "
          f"numjobs {', '.join(map(str, s['numjobs']))}, targets round-robin within each repetition.", "",
          f"fio (every target): `{' '.join(s['fio_options'])}` plus `--rw --bs --iodepth --numjobs` "
          "of the workload (`--hipri=1` for polled); scheduler none.", "",
          "Medians over repetitions; IOPS 95 % CI: bootstrap of the median; latency: fio's completion "
          "latency percentiles (median over repetitions); CPU: guest usr+sys of the fio jobs per I/O.", ""]
    load = s.get("host_load")
    if load:
        md += [f"Host load average (1 min) during the run: {load['start']:.1f} at the start, "
               f"{load['max']:.1f} at most, {load['end']:.1f} at the end, on {load['cpus']} host CPUs "
               "(QEMU itself keeps about one CPU busy per vCPU; more means other work on the host, "
               "which widens the spread).", ""]
    md += [
          "| workload | target | IOPS median [95% CI] | min..max | MiB/s | p50 us | p99 us | p99.9 us | CPU us/IO | n |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for w in s["workloads"]:
        for tname, t in w["targets"].items():
            md.append(f"| {w['name']} | {tname} | {t['iops_median']:.0f} [{t['iops_ci95'][0]:.0f}, "
                      f"{t['iops_ci95'][1]:.0f}] | {t['iops_min']:.0f}..{t['iops_max']:.0f} "
                      f"| {t['bw_kib_median'] / 1024:.1f} | {t['p50_us']:.1f} | {t['p99_us']:.1f} "
                      f"| {t['p999_us']:.1f} | {t['cpu_us_per_io']:.1f} | {t['n']} |")
    md += ["", "## Ratios", "", "Median IOPS of a over median IOPS of b, [95 % bootstrap CI, "
           "resampling repetitions with a and b of one repetition kept together]; — where a side "
           "did not run.", "",
           "| workload | " + " | ".join(f"{a}/{b}" for _, a, b in RATIOS) + " |",
           "|---|" + "---:|" * len(RATIOS)]
    for w in s["workloads"]:
        md.append(f"| {w['name']} | " + " | ".join(fmt_ci(w["ratios"][r]) for r, _, _ in RATIOS) + " |")
    md += ["", "p99 completion latency ratios (a / b; below 1 is better for a):", "",
           "| workload | " + " | ".join(f"{a}/{b}" for _, a, b in RATIOS) + " |",
           "|---|" + "---:|" * len(RATIOS)]
    for w in s["workloads"]:
        md.append(f"| {w['name']} | " + " | ".join(fmt_ci(w.get("p99_ratios", {}).get(r)) for r, _, _ in RATIOS)
                  + " |")
    if s.get("instructions"):
        md += ["", "## Instructions per I/O", "",
               "Counted, not timed: each queue depth is one boot of the same kernel with one vCPU under TCG "
               "with `-icount shift=0` and the insncount plugin (tools/insn_profile.py, "
               "Documentation/rnvme/benchmark.rst), 4 KiB random reads with io_uring on a null-co "
               "controller per driver; per I/O: the difference of two windows over the I/Os between them. "
               "The costly instructions are counted in the disassembly of the build (with one vCPU the "
               "kernel patches the lock prefix out; the count is of the binary). Full reports: "
               + ", ".join(f"[{t['report']}]({t['report']})" for t in s["instructions"]) + "."]
        for t in s["instructions"]:
            drivers = t["drivers"]
            diff = "rnvme" in drivers and "cnvme" in drivers
            md += ["", f"QD{t['iodepth']}: " + "; ".join(f"{d} {m}" for d, m in t["method"].items()) + ".", "",
                   f"| QD{t['iodepth']}, per I/O | " + " | ".join(drivers) + (" | rnvme-cnvme |" if diff else " |"),
                   "|---|" + "---:|" * (len(drivers) + diff)]
            for rows, digits in ((t["categories"], 0), (t["costly"], 2)):
                for label, per_driver in rows.items():
                    cells = [f"{per_driver[d]:.{digits}f}" for d in drivers]
                    if diff:
                        cells.append(f"{per_driver['rnvme'] - per_driver['cnvme']:.{digits}f}")
                    md.append(f"| {label} | " + " | ".join(cells) + " |")
    md += ["", "## Targets", ""]
    for t in s["targets"]:
        where = ""
        if t.get("controllers"):
            c = t["controllers"]
            where = f"controller {c['read']} (null-co, reads), controller {c['write']} (file on tmpfs, writes); "
        params = " ".join(t["params"]) or "none"
        md.append(f"- {t['name']}: {where}parameters {params}; {t.get('device', '')}".rstrip("; "))
    for name, why in s["not_run"].items():
        md.append(f"- {name}: not run: {why}")
    for sk in s["skipped"]:
        md.append(f"- skipped {sk['workload']} on {sk['target']}: {sk['why']}")
    if s["failed_runs"]:
        md += ["", f"Failed runs ({len(s['failed_runs'])}): " + ", ".join(s["failed_runs"])]
    if plots:
        md += ["", "## Plots", ""] + [f"- [{p}]({p})" for p in plots]
    return "\n".join(md) + "\n"


def make_plots(out, s):
    """iops.png (median IOPS per target, 95 % CI whiskers, one panel per
    workload) and latency-<workload>.png (completion latency percentiles)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import math
    except ImportError:
        print("rnvme bench: matplotlib is missing (tools/deps.sh installs python3-matplotlib): "
              "no plots", file=sys.stderr)
        return []
    names = [t["name"] for t in s["targets"]]
    colour = {n: plt.cm.tab10(i) for i, n in enumerate(names)}
    ws = s["workloads"]
    plots = []
    ncol = min(3, len(ws)) or 1
    nrow = (len(ws) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.4 * nrow), squeeze=False)
    for ax, w in zip(axes.flat, ws):
        for i, n in enumerate(names):
            t = w["targets"].get(n)
            if not t:
                ax.text(i, 0, "not\nrun", ha="center", va="bottom", fontsize=8)
                continue
            med = t["iops_median"] / 1000
            lo, hi = (v / 1000 for v in t["iops_ci95"])
            ax.bar(i, med, color=colour[n], width=0.7,
                   yerr=[[med - lo], [hi - med]], capsize=5, ecolor="black")
            ax.plot([i] * len(t["iops"]), [v / 1000 for v in t["iops"]], "k.", ms=3, alpha=0.5)
        ax.set_xticks(range(len(names)), names)
        ax.set_xlim(-0.6, len(names) - 0.4)
        ax.set_title(w["name"], fontsize=10)
        ax.set_ylabel("kIOPS")
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(ws):]:
        ax.axis("off")
    fig.suptitle(f"Median IOPS, 95 % bootstrap CI, dots: repetitions "
                 f"({s['profile']} profile, {s['accelerator']}, {s['kernel']})", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "iops.png", dpi=110)
    plt.close(fig)
    plots.append("iops.png")

    def nines(p):
        return -math.log10(1 - min(p, 99.999) / 100)
    ticks = [50, 90, 99, 99.9, 99.99]
    for w in ws:
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for n in names:
            t = w["targets"].get(n)
            if not t:
                continue
            pts = sorted((float(k), v) for k, v in t["clat_percentiles_us"].items() if float(k) >= 10)
            ax.plot([nines(p) for p, _ in pts], [v for _, v in pts], "o-", ms=3, color=colour[n], label=n)
        ax.set_xticks([nines(p) for p in ticks], [f"p{p:g}" for p in ticks])
        ax.set_yscale("log")
        ax.set_xlabel("completion latency percentile")
        ax.set_ylabel("µs")
        ax.set_title(f"{w['name']}: completion latency (median over repetitions)", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        fig.tight_layout()
        name = f"latency-{w['name']}.png"
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        plots.append(name)
    return plots


def commit_summary(s, path=DOC_SUMMARY):
    """Documentation/rnvme/bench-summary.json: the headline ratios of a run."""
    doc = {"run": s["stamp"], "profile": s["profile"], "machine": s["machine"], "kernel": s["kernel"],
           "accelerator": s["accelerator"], "qemu": s["qemu"], "metric": s["ratio_metric"],
           "commit": s.get("commit"), "build": s.get("build"), "note": s.get("note"),
           "repetitions": s["repetitions"],
           "runtime_s": s["runtime_s"], "numjobs": s["numjobs"],
           "workloads": [{"name": w["name"], "rnvme_vs_nvme": w["ratios"]["rnvme_vs_nvme"],
                          "rnvme_vs_cnvme": w["ratios"]["rnvme_vs_cnvme"],
                          "p99_latency_rnvme_vs_nvme": w.get("p99_ratios", {}).get("rnvme_vs_nvme"),
                          "p99_latency_rnvme_vs_cnvme": w.get("p99_ratios", {}).get("rnvme_vs_cnvme")}
                         for w in s["workloads"]],
           "instructions_per_io": s.get("instructions")}
    path.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"rnvme bench: wrote {path.relative_to(vm.ROOT)}")


# --- run ------------------------------------------------------------------------

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


def insn_profile(build, out, iodepth, drivers):
    """The instruction profile of `drivers` at `iodepth` into out/insn-qd<iodepth>/
    (report.txt, profile.json); its entry of bench.json's insn_runs."""
    run_dir = out / f"insn-qd{iodepth}"
    print(f"rnvme bench: instruction profile at QD{iodepth} ({', '.join(drivers)}), one boot with -icount",
          flush=True)
    t0 = time.monotonic()
    error = run_windows(build, run_dir, InsnRun(iodepth=iodepth, drivers=drivers))
    if error:
        print(f"rnvme bench: the instruction profile at QD{iodepth} failed: {error}", file=sys.stderr)
    else:
        with open(os.devnull, "w") as devnull:
            insn_analyse(run_dir, 40, devnull, build=build)
        print(f"rnvme bench: instruction profile at QD{iodepth}: {run_dir}/report.txt "
              f"({time.monotonic() - t0:.0f} s)", flush=True)
    return {"iodepth": iodepth, "dir": run_dir.name, "error": error,
            "seconds": round(time.monotonic() - t0)}


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


def fio_time(seconds):
    """A duration for fio's --runtime/--ramp_time, in milliseconds."""
    return f"{round(seconds * 1000)}ms"


def fio_options(prof):
    """The options fio-bench.sh gives every target (kept in step with it by hand)."""
    return ["--ioengine=io_uring", "--direct=1", "--group_reporting", "--time_based",
            f"--runtime={fio_time(prof.runtime)}", f"--ramp_time={fio_time(prof.ramp)}", "--norandommap",
            "--random_generator=lfsr", "--randrepeat=0", "--fixedbufs=1", "--registerfiles=1"]


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
    info = json.loads((args.build / "rnvme-build.json").read_text())
    targets, not_run = pick_targets(args.build, only)
    if not targets:
        print("rnvme bench: no target to run: " + "; ".join(f"{k}: {v}" for k, v in not_run.items()),
              file=sys.stderr)
        return 1
    for t in targets:
        if not t.serves_io:
            print(f"rnvme bench: warning: {t.name} runs although serves_io=False (--targets)", flush=True)
    guest = vm.Guest(args.build, out / "vm", [])
    ctrls, where, runs, skipped = make_plan(targets, workloads, prof, guest.vcpus)
    guest.controllers = ctrls
    per_run = prof.runtime + prof.ramp + RUN_OVERHEAD_S
    insn_drivers = tuple(d for d in InsnRun.drivers if d in {t.name for t in targets})
    if not insn_drivers:
        insn_iodepths = []
    est = BOOT_S + len(runs) * per_run + len(insn_iodepths) * INSN_PROFILE_S
    meta = {"stamp": stamp, "commit": git_commit(), "profile": args.profile, "repetitions": prof.reps, "runtime_s": prof.runtime,
            "ramp_s": prof.ramp, "numjobs": sorted({r["numjobs"] for r in runs}),
            "fio_options": fio_options(prof),
            "machine": f"QEMU q35 guest, {guest.vcpus} vCPUs, {guest.mem} RAM, on a {host_cpu()} "
                       f"host with {os.cpu_count()} CPUs",
            "kernel": info["kernelrelease"], "debian_source": info["debian_version"],
            "build": build_flavour(args.build, info),
            "accelerator": guest.accel, "qemu": vm.qemu_version(),
            "targets": [dict(asdict(t), params=[p.format(vcpus=guest.vcpus) for p in t.params],
                             controllers=where.get(t.name)) for t in targets],
            "not_run": not_run, "skipped": skipped, "runs": runs}
    print(f"rnvme bench: {args.profile} profile, {len(runs)} fio runs ({prof.reps} repetitions x "
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
    meta["insn_runs"] = [insn_profile(args.build.resolve(), out, qd, insn_drivers) for qd in insn_iodepths]
    meta["wall_s"] = round(time.monotonic() - t0)
    (out / "bench.json").write_text(json.dumps(meta, indent=2) + "\n")
    s = analyse(out, meta)
    print((out / "summary.md").read_text())
    if args.commit_summary:
        commit_summary(s)
    print(f"rnvme bench: guest runs took {mmss(meta['wall_s'])} (fio {mmss(meta['fio_wall_s'])}); "
          f"report in {out}/summary.md", flush=True)
    if run.timed_out:
        print("rnvme bench: the guest ran out of time", file=sys.stderr)
    return 1 if s["failed_runs"] or run.timed_out else 0


if __name__ == "__main__":
    sys.exit(main())
