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
import bisect
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from workbench import vm

USER_TOP = 0xffff800000000000
DRIVER_MODULES = {"nvme", "nvme_core", "cnvme", "rnvme"}

# Categories, first match wins (after "user" and "driver", which go by
# address and module). Timer/tick work is separate because under TCG it
# scales with wall-clock time (HZ=250), not with the I/O count.
CATEGORIES = [
    ("timer/tick", r"^(__sysvec_apic_timer_interrupt|sysvec_apic_timer_interrupt|asm_sysvec_apic_timer_interrupt"
                   r"|hrtimer_|__hrtimer|tick_|update_process_times|sched_tick|scheduler_tick|timekeeping_|"
                   r"update_wall_time|run_timer_softirq|__run_timers|run_local_timers|account_process_tick|"
                   r"rcu_sched_clock_irq|lapic_next_deadline|lapic_next_event|clockevents_"
                   r"|calc_global_load|do_timer|ktime_get_update_offsets)"),
    ("irq/softirq", r"^(asm_common_interrupt|common_interrupt|__common_interrupt|asm_sysvec_|sysvec_|__sysvec_"
                    r"|handle_irq|__handle_irq|handle_edge_irq|handle_fasteoi_irq|handle_level_irq|irq_|__irq_"
                    r"|generic_handle_|note_interrupt|__do_softirq|do_softirq|__local_bh_|_local_bh_|raise_softirq"
                    r"|__raise_softirq|handle_softirqs|irq_exit|irqentry_|ack_apic|apic_|__apic|x2apic_|lapic_"
                    r"|native_apic|msi_|__msi|pci_msi|ioapic|mp_irqdomain|vector_|__irq_msi|run_ksoftirqd"
                    r"|smpboot_thread_fn|local_bh_|tasklet|__tasklet)"),
    ("block", r"^(blk_|__blk|bio_|__bio|bio$|blkdev_|__blkdev|submit_bio|__submit_bio|bdev_|sbitmap_|__sbitmap"
              r"|sbq_|disk_|part_|bvec_|__bvec|iov_iter_bvec|should_fail_bio|elv_|dd_|kyber_)"),
    ("io_uring", r"^(io_|__io_|__x64_sys_io_uring|__do_sys_io_uring|io_uring|tctx_|__io_uring)"),
    ("dma/iommu", r"^(dma_|__dma|iommu|__iommu|intel_iommu|swiotlb|__swiotlb|sg_|__sg_|sgl_|phys_to_dma"
                  r"|dma_direct|is_swiotlb)"),
    ("sched", r"^(schedule|__schedule|__cond_resched|preempt_schedule|try_to_wake_up|ttwu_|wake_up|__wake_up"
              r"|autoremove_wake|default_wake|enqueue_|dequeue_|pick_next|put_prev|set_next_entity|update_curr"
              r"|update_load|update_cfs|__update_load|reweight|finish_task_switch|__switch_to|switch_mm"
              r"|context_switch|psi_|sched_|__sched|check_preempt|resched_|select_task_rq|task_tick"
              r"|place_entity|update_rq_clock|__enqueue|__dequeue|set_next_task|pick_task|prepare_task_switch"
              r"|balance_fair|newidle_balance|sched_balance|hrtick|update_min_vruntime|avg_vruntime|wakeup_preempt"
              r"|do_idle|cpu_startup_entry|default_idle|arch_cpu_idle|cpuidle|pv_native_safe_halt"
              r"|native_safe_halt|io_schedule)"),
]
SECTION_MARK = re.compile(r"^(__\w+_(start|end)|_stext|_etext|_text|_sinittext|_einittext)$")
CATEGORY_RES = [(n, re.compile(r)) for n, r in CATEGORIES]
CATEGORY_ORDER = ["driver", "rust_helper", "block", "io_uring", "dma/iommu", "irq/softirq", "timer/tick", "sched",
                  "other kernel", "user"]


def category(sym, mod):
    if sym == "[user]":
        return "user"
    if mod in DRIVER_MODULES:
        return "driver"
    # Built-in C wrappers that only Rust code calls (rust/helpers/).
    if sym.startswith("rust_helper_"):
        return "rust_helper"
    # io_schedule belongs to sched, not io_uring: sched is checked for it first.
    if sym.startswith("io_schedule"):
        return "sched"
    for name, rx in CATEGORY_RES:
        if rx.match(sym):
            return name
    return "other kernel"


class Symbols:
    """Enclosing-symbol lookup over the guest's /proc/kallsyms (falls back to
    the build's System.map for the core kernel)."""

    def __init__(self, kallsyms, system_map=None):
        ents = {}
        for src in [p for p in (system_map, kallsyms) if p and Path(p).exists()]:
            for ln in Path(src).read_text(errors="replace").splitlines():
                parts = ln.split()
                if len(parts) < 3 or parts[1] not in "tTwW":
                    continue
                addr = int(parts[0], 16)
                if addr == 0:
                    continue
                mod = parts[3].strip("[]") if len(parts) > 3 else ""
                old = ents.get(addr)
                # Of several names at one address, keep a function's over a
                # section marker's (__sched_text_start is also __schedule).
                if old and SECTION_MARK.match(parts[2]) and not SECTION_MARK.match(old[0]):
                    continue
                ents[addr] = (parts[2], mod)  # kallsyms (read second) wins
        self.addrs = sorted(ents)
        self.ents = [ents[a] for a in self.addrs]

    def lookup(self, addr):
        """(symbol, module, symbol start) of a guest address."""
        if addr < USER_TOP:
            return "[user]", "", None
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0:
            return f"[unknown {addr:#x}]", "", None
        sym, mod = self.ents[i]
        return sym, mod, self.addrs[i]


def demangle_all(names):
    """Demangle Rust (v0 and legacy) names with c++filt (or rustfilt), then
    drop crate disambiguators and hashes: rnvme[38a5...]::queue -> rnvme::queue."""
    rust = sorted({n for n in names if n.startswith("_R") or (n.startswith("_ZN") and "17h" in n)})
    out = {n: n for n in names}
    if rust:
        for tool in (["rustfilt"], ["c++filt"]):
            try:
                res = subprocess.run(tool, input="\n".join(rust) + "\n", capture_output=True, text=True,
                                     check=True)
            except (OSError, subprocess.CalledProcessError):
                continue
            dem = res.stdout.splitlines()
            if len(dem) == len(rust):
                for a, b in zip(rust, dem):
                    b = re.sub(r"\[[0-9a-f]{1,16}\]", "", b)
                    b = re.sub(r"::h[0-9a-f]{16}$", "", b)
                    out[a] = b
                break
    return out


def read_window(path, blocks=None):
    """{vaddr: [insns, execs at vaddr]} of one window file; and its total.
    If `blocks` (a dict) is given, also {(vaddr, n_insns): execs} into it."""
    counts = defaultdict(lambda: [0, 0])
    total = 0
    with open(path) as f:
        for ln in f:
            if ln.startswith("#"):
                continue
            a, n, e = ln.split()
            a, n, e = int(a, 16), int(n), int(e)
            c = counts[a]
            c[0] += n * e
            c[1] += e
            total += n * e
            if blocks is not None:
                blocks[(a, n)] = blocks.get((a, n), 0) + e
    return counts, total


def find_ko(build, module):
    for p in (Path(build) / "modroot").rglob(module.replace("_", "?") + ".ko"):
        return p
    return None


def annotate(out, build, syms, mangled, blocks_big, blocks_small, dn, title):
    """Per-instruction executions per I/O of one module function: objdump -dr
    of its .ko, each instruction with the executions (per I/O) of the blocks
    that cover it. Blocks are straight-line, so the block at vaddr with n
    instructions covers the n instructions from vaddr on."""
    i = syms.addrs.index(mangled[2])
    name, mod = syms.ents[i]
    start = syms.addrs[i]
    end = syms.addrs[i + 1] if i + 1 < len(syms.addrs) else start + 65536
    ko = find_ko(build, mod)
    if not ko:
        print(f"-- {title}: no {mod}.ko under {build}/modroot", file=out)
        return
    dis = subprocess.run(["objdump", "-dr", "--no-show-raw-insn", f"--disassemble={name}", str(ko)],
                         capture_output=True, text=True).stdout.splitlines()
    insns = []  # [offset in function, text, relocation text]
    base = None
    for ln in dis:
        m = re.match(r"^([0-9a-f]+) <(.+)>:$", ln)
        if m:
            base = int(m.group(1), 16)
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(.*)$", ln)
        if base is None or not m:
            continue
        if re.match(r"R_X86_64_", m.group(2)):
            # A relocation belongs to the instruction whose bytes hold it.
            r = int(m.group(1), 16) - base
            if insns and insns[-1][0] <= r:
                insns[-1][2] = re.sub(r"-0x4$", "", m.group(2).split()[-1])
            continue
        # Branch targets inside the function: <+0x..> instead of the mangled name.
        text = re.sub(r"<[^<>]*\+(0x[0-9a-f]+)>", r"<+\1>", m.group(2).strip())
        insns.append([int(m.group(1), 16) - base, text, ""])
    mangled_names = {m for _, t, _ in insns for m in re.findall(r"<(_R\w+)>", t)}
    mangled_names |= {r for _, _, r in insns if r.startswith("_R")}
    dem = demangle_all(mangled_names)
    for ins in insns:
        ins[2] = dem.get(ins[2], ins[2])
    for ins in insns:
        ins[1] = re.sub(r"\s*[0-9a-f]+ <(_R\w+)>", lambda m: " " + dem.get(m.group(1), m.group(1)), ins[1])
    idx = {o: k for k, (o, _, _) in enumerate(insns)}
    execs = [0.0] * len(insns)
    for blocks, sign in ((blocks_big, 1), (blocks_small, -1)):
        for (a, n), e in blocks.items():
            if start <= a < end and (a - start) in idx:
                k = idx[a - start]
                for j in range(k, min(k + n, len(insns))):
                    execs[j] += sign * e
    total = sum(execs) / dn
    print(f"-- {title}: {total:.1f} insns/io, {len(insns)} instructions; "
          "executions per I/O, instruction (relocation target)", file=out)
    for (o, text, rel), e in zip(insns, execs):
        if rel and re.match(r"(call|jmp)\s", text):
            text = text.split()[0] + " " + rel
            rel = ""
        print(f"{e / dn:7.2f}  {o:5x}: {text}" + (f"   [{rel}]" if rel else ""), file=out)
    print("", file=out)


# Instructions that cost far more than their count under TCG (and on real
# hardware): atomic read-modify-writes (host atomics, serialising), changes of
# the interrupt flag (each ends a translation block) and fences. The counts are
# of the binary: with one vCPU the kernel patches LOCK_PREFIX out, with two and
# more (the benchmark) the prefix is there.
HEAVY = [("atomic read-modify-writes", re.compile(r"^lock |^xchg\s+%\w+,.*\(")),
         ("interrupt-flag changes", re.compile(r"^(cli|sti|popf[qw]?)\b")),
         ("fences", re.compile(r"^[lms]fence\b"))]


def window_blocks(blocks, info, drv):
    """(blocks of the larger window, blocks of the smaller one or {} if there is
    one window, I/Os between them) of one driver: per I/O = (larger - smaller) / I/Os."""
    ns = sorted(blocks[drv])
    if len(ns) == 1:
        return blocks[drv][ns[0]], {}, info[drv][ns[0]]["fio_ios"]
    return blocks[drv][ns[-1]], blocks[drv][ns[0]], info[drv][ns[-1]]["fio_ios"] - info[drv][ns[0]]["fio_ios"]


def heavy_instructions(build, run_dir, syms, blocks_by_drv, info):
    """{driver: {class: [per I/O, {symbol: per I/O}]}} for the HEAVY classes,
    from the disassembly of the build's vmlinux and modules (a class
    instruction counts once per execution of a block that covers it);
    None if the run's kernel is not this build's."""
    smap = run_dir / "System.map"
    if not smap.exists() or smap.read_bytes() != (Path(build) / "System.map").read_bytes():
        return None
    by_name = {e: a for a, e in zip(syms.addrs, syms.ents)}
    addrs, heavy = [], {}  # every instruction address; heavy address -> class

    def scan(path, place):
        fstart = None
        out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(path)], capture_output=True,
                             text=True).stdout
        for ln in out.splitlines():
            m = re.match(r"^([0-9a-f]+) <(.+)>:$", ln)
            if m:
                fstart = place(m.group(2), int(m.group(1), 16))
                continue
            m = re.match(r"^\s*([0-9a-f]+):\s+(\S.*)$", ln)
            if fstart is None or not m:
                continue
            a = fstart + int(m.group(1), 16)
            addrs.append(a)
            for k, (_, rx) in enumerate(HEAVY):
                if rx.match(m.group(2)):
                    heavy[a] = k

    scan(Path(build) / "vmlinux", lambda name, off: 0)
    for mod in sorted({m for _, m in syms.ents if m}):
        ko = find_ko(build, mod)
        if ko:
            # A function's run-time address is its kallsyms address; the
            # instructions keep their offsets from its start.
            scan(ko, lambda name, off, mod=mod: (by_name[(name, mod)] - off) if (name, mod) in by_name
                 else None)
    addrs.sort()
    hot = sorted(heavy)
    result = {}
    for drv in blocks_by_drv:
        big, small, dn = window_blocks(blocks_by_drv, info, drv)
        res = [[0.0, defaultdict(float)] for _ in HEAVY]
        for blocks, sign in ((big, 1), (small, -1)):
            for (a, n), e in blocks.items():
                k = bisect.bisect_left(addrs, a)
                if k == len(addrs) or addrs[k] != a:
                    continue
                last = addrs[min(k + n, len(addrs)) - 1]
                for h in hot[bisect.bisect_left(hot, a):bisect.bisect_right(hot, last)]:
                    r = res[heavy[h]]
                    r[0] += sign * e / dn
                    r[1][syms.lookup(h)[0]] += sign * e / dn
        result[drv] = {label: [r[0], dict(r[1])] for (label, _), r in zip(HEAVY, res)}
    return result


def aggregate(counts, syms):
    """{(symbol, module): [insns, calls]}: calls = executions of the block at
    the symbol's first address (one per call, unless a loop jumps back there)."""
    by_sym = defaultdict(lambda: [0, 0])
    for a, (insns, execs) in counts.items():
        sym, mod, start = syms.lookup(a)
        s = by_sym[(sym, mod)]
        s[0] += insns
        if start == a:
            s[1] += execs
    return by_sym


def analyse(run_dir, top, out, annotate_syms=(), build=None):
    res = run_dir / "results" / "insn-window"
    windows = [ln.split() for ln in (res / "windows.txt").read_text().split("\n") if ln.strip()]
    syms = Symbols(res / "kallsyms.txt", (run_dir / "System.map") if (run_dir / "System.map").exists() else None)
    insn_dir = run_dir / "insn"
    runs = defaultdict(dict)  # driver -> ios -> by_sym
    info = defaultdict(dict)
    blocks = defaultdict(dict)  # driver -> ios -> {(vaddr, n): execs}
    for drv, n, w in windows:
        n, w = int(n), int(w)
        blocks[drv][n] = {}
        counts, total = read_window(insn_dir / f"window-{w}.txt", blocks[drv][n] if build else None)
        runs[drv][n] = aggregate(counts, syms)
        fj = json.loads((res / f"fio-{drv}-{n}.json").read_text())["jobs"][0]["read"]
        info[drv][n] = {"window": w, "insns": total, "fio_ios": fj["total_ios"], "iops": fj["iops"]}
    drivers = list(runs)
    per_io = {}  # driver -> {(sym, mod): [insns/io, calls/io]}
    method = {}
    for drv in drivers:
        ns = sorted(runs[drv])
        big = runs[drv][ns[-1]]
        if len(ns) > 1:
            small = runs[drv][ns[0]]
            dn = info[drv][ns[-1]]["fio_ios"] - info[drv][ns[0]]["fio_ios"]
            keys = set(big) | set(small)
            per_io[drv] = {k: [(big.get(k, [0, 0])[0] - small.get(k, [0, 0])[0]) / dn,
                               (big.get(k, [0, 0])[1] - small.get(k, [0, 0])[1]) / dn] for k in keys}
            method[drv] = f"(window {ns[-1]} I/Os - window {ns[0]} I/Os) / {dn} I/Os"
        else:
            dn = info[drv][ns[0]]["fio_ios"]
            per_io[drv] = {k: [v[0] / dn, v[1] / dn] for k, v in big.items()}
            method[drv] = f"window / {dn} I/Os (includes fio start-up and exit)"
    names = demangle_all({k[0] for d in per_io.values() for k in d})

    lines = []
    p = lines.append
    qcmd = (run_dir / "qemu.cmd").read_text() if (run_dir / "qemu.cmd").exists() else ""
    icount = re.search(r"-icount (\S+)", qcmd)
    qd = run_dir / "iodepth.txt"
    qd = qd.read_text().strip() if qd.exists() else "32"
    p(f"Instructions per I/O (4 KiB randread, QD{qd}, io_uring, 1 vCPU TCG"
      f"{', -icount ' + icount.group(1) if icount else ''}), run {run_dir}")
    p("(IOPS below are in guest time: with -icount they say nothing about real speed)")
    for drv in drivers:
        i = info[drv]
        p(f"  {drv:6s}: {method[drv]}; windows " +
          ", ".join(f"#{v['window']}: {k} I/Os, {v['insns'] / 1e6:.1f}M insns, {v['iops']:.0f} IOPS"
                    for k, v in sorted(i.items())))
    p("")
    cat = {drv: defaultdict(float) for drv in drivers}
    for drv in drivers:
        for (sym, mod), (ins, _) in per_io[drv].items():
            cat[drv][category(sym, mod)] += ins
    w = 14
    p(f"{'category':16s}" + "".join(f"{d:>{w}s}" for d in drivers) +
      ("".join(f"{d + '-cnvme':>{w}s}" for d in drivers if d == "rnvme") if "cnvme" in drivers else ""))
    for c in CATEGORY_ORDER + ["kernel", "total"]:
        if c == "total":
            vals = [sum(cat[d].values()) for d in drivers]
        elif c == "kernel":
            vals = [sum(cat[d].values()) - cat[d]["user"] for d in drivers]
        else:
            vals = [cat[d][c] for d in drivers]
        row = f"{c:16s}" + "".join(f"{v:{w}.0f}" for v in vals)
        if "cnvme" in drivers and "rnvme" in drivers:
            row += f"{vals[drivers.index('rnvme')] - vals[drivers.index('cnvme')]:{w}.0f}"
        p(row)
    p("")
    # Events per I/O that explain differences outside the I/O path itself:
    # completions batch per interrupt, and wake-ups, depend on timing.
    events = [("hw interrupts", ("asm_common_interrupt",)),
              ("io_uring_enter calls", ("__x64_sys_io_uring_enter",)),
              ("context switches", ("__schedule",)),
              ("timer interrupts", ("asm_sysvec_apic_timer_interrupt",)),
              ("blk_mq_end_request_batch", ("blk_mq_end_request_batch",))]
    p(f"{'events per I/O':28s}" + "".join(f"{d:>{w}s}" for d in drivers))
    for label, syms_ in events:
        vals = [sum(v[1] for (s_, _), v in per_io[d].items() if s_ in syms_) for d in drivers]
        p(f"{label:28s}" + "".join(f"{v:{w}.3f}" for v in vals))
    p("")
    heavy = heavy_instructions(build, run_dir, syms, blocks, info) if build else None
    if heavy:
        p(f"{'costly instructions per I/O':28s}" + "".join(f"{d:>{w}s}" for d in drivers))
        for label, _ in HEAVY:
            p(f"{label:28s}" + "".join(f"{heavy[d][label][0]:{w}.2f}" for d in drivers))
        p("")
        hn = demangle_all({sym for d in drivers for v in heavy[d].values() for sym in v[1]})
        for d in drivers:
            for label, _ in HEAVY:
                top_ = sorted(heavy[d][label][1].items(), key=lambda kv: -kv[1])
                top_ = [(hn[k], v) for k, v in top_ if v >= 0.05][:12]
                if top_:
                    p(f"{d}, {label}: " + ", ".join(f"{k} {v:.2f}" for k, v in top_))
        p("")
    # A window that stalled (host contention, a hiccup in the guest) shows as
    # a guest-time IOPS far off the other window's, or as timer work per I/O.
    for drv in drivers:
        iops = [v["iops"] for v in info[drv].values()]
        ticks = sum(v[1] for (s_, _), v in per_io[drv].items() if s_ == "asm_sysvec_apic_timer_interrupt")
        if min(iops) < 0.7 * max(iops) or ticks < -0.002 or (icount and ticks > 0.02):
            p(f"WARNING: {drv}: the windows look disturbed (guest-time IOPS {', '.join(f'{x:.0f}' for x in iops)}, "
              f"timer interrupts per I/O {ticks:.3f}): its timer/sched/other figures are not reliable; rerun")
    dm = run_dir / "results" / "dmesg.txt"
    stalls = [ln for ln in dm.read_text(errors="replace").splitlines()
              if re.search(r"timed out|timeout, aborting|I/O error", ln)] if dm.exists() else []
    if stalls:
        p(f"WARNING: the guest logged {len(stalls)} I/O timeouts or errors (a queue stalled; see "
          f"{dm}), first: {stalls[0].strip()}")
    p("categories: driver = modules " + ", ".join(sorted(DRIVER_MODULES)) + "; rust_helper = built-in")
    p(f"rust_helper_* wrappers (only Rust calls them); user = addresses below {USER_TOP:#x}; the rest")
    p("by symbol name (tools/insn_profile.py CATEGORIES); timer/tick scales")
    p("with guest time (HZ=250 ticks; with -icount guest time follows instructions, otherwise host time),")
    p("clock reads (ktime_get, per I/O) are in other kernel. calls/io = executions of the block at the")
    p("symbol's first instruction per I/O.")
    p("")
    for drv in drivers:
        p(f"== {drv}: top {top} symbols, instructions per I/O")
        p(f"{'insns/io':>9s} {'calls/io':>8s} {'cum%':>5s}  {'category':12s} symbol [module]")
        tot = sum(v[0] for v in per_io[drv].values())
        cum = 0.0
        for (sym, mod), (ins, calls) in sorted(per_io[drv].items(), key=lambda kv: -kv[1][0])[:top]:
            cum += ins
            p(f"{ins:9.1f} {calls:8.2f} {100 * cum / tot if tot else 0:5.1f}  {category(sym, mod):12s} {names[sym]}"
              + (f" [{mod}]" if mod else ""))
        p("")
    # The driver's own symbols, all of them.
    for drv in drivers:
        own = [(k, v) for k, v in per_io[drv].items() if k[1] in DRIVER_MODULES]
        p(f"== {drv}: driver-module symbols ({sum(v[0] for _, v in own):.0f} insns/io)")
        for (sym, mod), (ins, calls) in sorted(own, key=lambda kv: -kv[1][0]):
            if abs(ins) >= 0.5:
                p(f"{ins:9.1f} {calls:8.2f}  {names[sym]} [{mod}]")
        p("")
    # rnvme vs cnvme by symbol, for everything outside the driver modules.
    if "cnvme" in drivers and "rnvme" in drivers:
        keys = set()
        for d in ("cnvme", "rnvme"):
            keys |= {k for k in per_io[d] if k[1] not in DRIVER_MODULES}
        diffs = []
        for k in keys:
            r = per_io["rnvme"].get(k, [0, 0])
            c = per_io["cnvme"].get(k, [0, 0])
            diffs.append((r[0] - c[0], k, r, c))
        diffs.sort(key=lambda x: -abs(x[0]))
        p("== rnvme - cnvme outside the driver modules: largest differences (insns/io, calls/io)")
        p(f"{'diff':>8s} {'rnvme':>8s} {'cnvme':>8s} {'r calls':>8s} {'c calls':>8s}  symbol")
        for dlt, (sym, mod), r, c in diffs[:30]:
            p(f"{dlt:8.1f} {r[0]:8.1f} {c[0]:8.1f} {r[1]:8.2f} {c[1]:8.2f}  {names[sym]}"
              + (f" [{mod}]" if mod else ""))
        p("")
    text = "\n".join(lines) + "\n"
    print(text, end="", file=out)
    (run_dir / "report.txt").write_text(text)
    if annotate_syms:
        import io
        buf = io.StringIO()
        for drv in drivers:
            big, small, dn = window_blocks(blocks, info, drv)
            for (sym, mod), (ins, _) in sorted(per_io[drv].items(), key=lambda kv: -kv[1][0]):
                if mod not in DRIVER_MODULES or not any(a in names[sym] for a in annotate_syms):
                    continue
                addr = next(a for a, e in zip(syms.addrs, syms.ents) if e == (sym, mod))
                annotate(buf, build, syms, (sym, mod, addr), big, small, dn,
                         f"{drv}: {names[sym]} [{mod}]")
        (run_dir / "annotate.txt").write_text(buf.getvalue())
        print(f"per-instruction annotation of {', '.join(annotate_syms)}: {run_dir / 'annotate.txt'}", file=out)
    (run_dir / "profile.json").write_text(json.dumps({
        "info": info, "method": method,
        "categories": {d: dict(cat[d]) for d in drivers},
        "costly": heavy,
        "symbols": {d: sorted(([names[s], m, v[0], v[1]] for (s, m), v in per_io[d].items()),
                              key=lambda x: -x[2]) for d in drivers},
    }, indent=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path)
    ap.add_argument("--ios", type=int, default=100000)
    ap.add_argument("--base-ios", type=int, default=None, help="default: --ios / 10")
    ap.add_argument("--iodepth", type=int, default=32, help="fio queue depth (default 32)")
    ap.add_argument("--drivers", default="nvme,cnvme,rnvme")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--marker", default="__x64_sys_sync", help="kernel function that closes a window")
    ap.add_argument("--mem", default="2G")
    ap.add_argument("--timeout", type=int, default=None, help="guest test timeout, seconds")
    ap.add_argument("--icount", default="shift=0", metavar="OPTS",
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
    base = args.ios // 10 if args.base_ios is None else args.base_ios
    drivers = args.drivers.split(",")
    run_dir = (args.run_dir or vm.ROOT / "build/insn-profile" / time.strftime("%Y%m%d-%H%M%S")).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    insn_dir = run_dir / "insn"
    insn_dir.mkdir(exist_ok=True)

    smap = build / "System.map"
    marker = None
    for ln in smap.read_text().splitlines():
        parts = ln.split()
        if len(parts) == 3 and parts[2] == args.marker and parts[1] in "tT":
            marker = int(parts[0], 16)
    if marker is None:
        print(f"no {args.marker} in {smap}")
        return 1
    (run_dir / "System.map").write_bytes(smap.read_bytes())

    plugin_dir = vm.ROOT / "build/insncount"
    plugin_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["make", "-s", "-C", str(vm.ROOT / "tools/insncount"), f"O={plugin_dir}"], check=True)
    plugin = plugin_dir / "insncount.so"

    ctrls = [vm.Controller(backend="null", size=1 << 30, lba_size=512) for _ in drivers]
    guest = vm.Guest(build, run_dir, ctrls, vcpus=1, mem=args.mem)
    if guest.accel != "tcg":
        print(f"accelerator is {guest.accel}: the plugin needs TCG (set RNVME_ACCEL=tcg)")
        return 1
    timeout = args.timeout or int(300 + len(drivers) * (args.ios + base + 2000) / 200)
    (run_dir / "iodepth.txt").write_text(f"{args.iodepth}\n")
    test = vm.Test("insn-window", ["tests/guest/insn-window.sh", "/run/rnvme/insn", str(args.ios), str(base),
                                   str(args.iodepth)] + drivers, timeout)
    t0 = time.monotonic()
    qemu_args = ["-plugin", f"file={plugin},outdir={insn_dir},marker={marker:#x}"]
    if args.icount:
        qemu_args += ["-icount", args.icount]
    run = guest.run([test], extra_qemu_args=qemu_args)
    secs = time.monotonic() - t0
    print(f"guest ran {secs:.0f} s (test {run.tests[0].seconds:.0f} s); results in {run_dir}")
    if not run.booted:
        print("the guest did not boot:\n" + run.console_tail())
        print((run_dir / "qemu.log").read_text()[-2000:])
        return 1
    t = run.tests[0]
    if not t.ok:
        print(f"{t.name}: failed ({t.rc})\n{t.text('stderr')[-2000:]}\n{t.text('stdout')[-1000:]}")
        return 1
    analyse(run_dir, args.top, sys.stdout, ann, build)
    return 0


if __name__ == "__main__":
    sys.exit(main())
