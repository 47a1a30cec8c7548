# SPDX-License-Identifier: GPL-2.0
"""The instruction profiler's window step: the plugin's window files read
into counts per symbol, and the per-I/O figures of each driver as the
difference of its two windows (larger - smaller) over the I/Os between them;
also the costly instructions (atomics, interrupt-flag changes, fences) those
windows executed, from the build's disassembly."""

import bisect
import functools
import json
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .insn_symbols import Symbols, find_ko


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
    window_ios = sorted(blocks[drv])
    small, big = window_ios[0], window_ios[-1]
    if small == big:
        return blocks[drv][big], {}, info[drv][big]["fio_ios"]
    return blocks[drv][big], blocks[drv][small], info[drv][big]["fio_ios"] - info[drv][small]["fio_ios"]


def scan_instructions(path, addrs, heavy, place):
    """Append the address of every instruction in the disassembly of `path`
    to addrs, and its HEAVY class to heavy[address] if it has one; a
    function's instructions are placed at place(name, offset in the file) +
    their offset (None: left out)."""
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


@functools.lru_cache(maxsize=1)
def vmlinux_instructions(vmlinux):
    """scan_instructions of a vmlinux at its link addresses, once per process
    (make bench reports two profiles of one build)."""
    addrs, heavy = [], {}
    scan_instructions(vmlinux, addrs, heavy, lambda name, off: 0)
    return addrs, heavy


def heavy_instructions(build, run_dir, syms, blocks_by_drv, info):
    """{driver: {class: [per I/O, {symbol: per I/O}]}} for the HEAVY classes,
    from the disassembly of the build's vmlinux and modules (a class
    instruction counts once per execution of a block that covers it);
    None if the run's kernel is not this build's."""
    smap = run_dir / "System.map"
    if not smap.exists() or smap.read_bytes() != (Path(build) / "System.map").read_bytes():
        return None
    by_name = {e: a for a, e in zip(syms.addrs, syms.ents)}
    # Every instruction address; heavy address -> class. The core kernel's
    # are the same in every boot of the build.
    vmlinux_addrs, vmlinux_heavy = vmlinux_instructions(Path(build).resolve() / "vmlinux")
    addrs, heavy = list(vmlinux_addrs), dict(vmlinux_heavy)
    for mod in sorted({m for _, m in syms.ents if m}):
        ko = find_ko(build, mod)
        if ko:
            # A function's run-time address is its kallsyms address; the
            # instructions keep their offsets from its start.
            scan_instructions(ko, addrs, heavy, lambda name, off, mod=mod: (by_name[(name, mod)] - off)
                              if (name, mod) in by_name else None)
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


@dataclass
class Windows:
    """One run's windows, per driver (in the order they ran)."""
    syms: Symbols
    info: dict  # driver -> I/Os of the window -> {window, insns, fio_ios, iops}
    per_io: dict  # driver -> {(symbol, module): [insns/io, calls/io]}
    method: dict  # driver -> how its per-I/O figures were computed
    blocks: dict  # driver -> I/Os of the window -> {(vaddr, n insns): execs}; empty without with_blocks

    @property
    def drivers(self):
        return list(self.per_io)


def load_windows(run_dir, with_blocks=False):
    """The Windows of RUN_DIR (what tests/guest/insn-window.sh and the plugin
    left there); with_blocks keeps each window's blocks, for the costly
    instructions and the annotation."""
    res = run_dir / "results" / "insn-window"
    windows = [ln.split() for ln in (res / "windows.txt").read_text().split("\n") if ln.strip()]
    syms = Symbols(res / "kallsyms.txt", (run_dir / "System.map") if (run_dir / "System.map").exists() else None)
    insn_dir = run_dir / "insn"
    runs = defaultdict(dict)  # driver -> I/Os of the window -> by_sym
    info = defaultdict(dict)
    blocks = defaultdict(dict)
    for drv, n, w in windows:
        n, w = int(n), int(w)
        blocks[drv][n] = {}
        counts, total = read_window(insn_dir / f"window-{w}.txt", blocks[drv][n] if with_blocks else None)
        runs[drv][n] = aggregate(counts, syms)
        fj = json.loads((res / f"fio-{drv}-{n}.json").read_text())["jobs"][0]["read"]
        info[drv][n] = {"window": w, "insns": total, "fio_ios": fj["total_ios"], "iops": fj["iops"]}
    per_io, method = {}, {}
    for drv in runs:
        window_ios = sorted(runs[drv])
        small_ios, big_ios = window_ios[0], window_ios[-1]
        big = runs[drv][big_ios]
        if small_ios != big_ios:
            small = runs[drv][small_ios]
            dn = info[drv][big_ios]["fio_ios"] - info[drv][small_ios]["fio_ios"]
            keys = set(big) | set(small)
            per_io[drv] = {k: [(big.get(k, [0, 0])[0] - small.get(k, [0, 0])[0]) / dn,
                               (big.get(k, [0, 0])[1] - small.get(k, [0, 0])[1]) / dn] for k in keys}
            method[drv] = f"(window {big_ios} I/Os - window {small_ios} I/Os) / {dn} I/Os"
        else:
            dn = info[drv][big_ios]["fio_ios"]
            per_io[drv] = {k: [v[0] / dn, v[1] / dn] for k, v in big.items()}
            method[drv] = f"window / {dn} I/Os (includes fio start-up and exit)"
    return Windows(syms, dict(info), per_io, method, dict(blocks) if with_blocks else {})
