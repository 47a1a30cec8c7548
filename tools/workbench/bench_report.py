# SPDX-License-Identifier: GPL-2.0
"""make bench's report: fio's JSON read into samples, summary.json and
summary.md (tables, ratios, the instruction profiles' per-I/O tables), and
Documentation/rnvme/bench-summary.json."""

import json
import statistics
import sys
from pathlib import Path

from . import vm
from .bench_plots import make_plots
from .bench_stats import median_ci, ratio
from .insn_report import per_io_table

# Ratios of median IOPS (a / b) with 95 % bootstrap confidence intervals.
RATIOS = [
    ("rnvme_vs_nvme", "rnvme", "nvme"),
    ("rnvme_vs_cnvme", "rnvme", "cnvme"),
    ("null_blk_vs_nvme", "null_blk", "nvme"),
    ("rnull_vs_null_blk", "rnull", "null_blk"),
]
DOC_SUMMARY = vm.ROOT / "Documentation/rnvme/bench-summary.json"


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
