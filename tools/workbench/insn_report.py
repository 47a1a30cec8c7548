# SPDX-License-Identifier: GPL-2.0
"""The instruction profiler's report step: RUN_DIR/report.txt (tables by
category, events, costly instructions, top symbols), RUN_DIR/profile.json,
the per-instruction annotation, and the per-I/O table that make bench puts
into its summary."""

import io
import json
import re
import subprocess
from collections import defaultdict

from .insn_symbols import CATEGORY_ORDER, DRIVER_MODULES, USER_TOP, category, demangle_all, find_ko
from .insn_windows import HEAVY, heavy_instructions, load_windows, window_blocks


def category_rows(categories, drivers):
    """(row, [instructions per I/O of each driver]) of the table by category:
    each of CATEGORY_ORDER, then kernel (all but user) and total."""
    for c in CATEGORY_ORDER:
        yield c, [categories[d].get(c, 0.0) for d in drivers]
    yield "kernel", [sum(categories[d].values()) - categories[d].get("user", 0.0) for d in drivers]
    yield "total", [sum(categories[d].values()) for d in drivers]


def per_io_table(profile):
    """The per-I/O table of a profile.json, as make bench puts it into its
    summary: {iodepth, drivers, categories: {row: {driver: instructions per
    I/O}}, costly: {class: {driver: per I/O}} (empty without the build's
    disassembly), method: {driver: how}}."""
    drivers = list(profile["categories"])
    costly = profile.get("costly") or {}
    return {"iodepth": profile["iodepth"], "drivers": drivers,
            "categories": {c: dict(zip(drivers, vals)) for c, vals in category_rows(profile["categories"], drivers)},
            "costly": {label: {d: costly[d][label][0] for d in drivers} for label, _ in HEAVY} if costly else {},
            "method": profile["method"]}


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


def analyse(run_dir, top, out, annotate_syms=(), build=None):
    """Print the report of RUN_DIR to `out` and write report.txt and
    profile.json there; with the build, also the costly instructions and,
    for `annotate_syms`, annotate.txt."""
    win = load_windows(run_dir, with_blocks=build is not None)
    syms, info, per_io, method, blocks, drivers = win.syms, win.info, win.per_io, win.method, win.blocks, win.drivers
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
    for c, vals in category_rows(cat, drivers):
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
    p("by symbol name (tools/workbench/insn_symbols.py CATEGORIES); timer/tick scales")
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
        "iodepth": int(qd), "info": info, "method": method,
        "categories": {d: dict(cat[d]) for d in drivers},
        "costly": heavy,
        "symbols": {d: sorted(([names[s], m, v[0], v[1]] for (s, m), v in per_io[d].items()),
                              key=lambda x: -x[2]) for d in drivers},
    }, indent=1))

