# SPDX-License-Identifier: GPL-2.0
"""make bench's plots (matplotlib, PNG): median IOPS per target with 95 %
CI whiskers, and completion latency against percentile."""

import sys


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
