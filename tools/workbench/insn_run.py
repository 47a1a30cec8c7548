# SPDX-License-Identifier: GPL-2.0
"""The instruction profiler's run step: one boot of a build (one vCPU, TCG,
the insncount plugin, -icount) in which tests/guest/insn-window.sh runs fio on
each driver between syncs, leaving the windows in RUN_DIR."""

import subprocess
import time
from dataclasses import dataclass

from . import vm


@dataclass(frozen=True)
class InsnRun:
    ios: int = 100000  # I/Os of the larger window
    base_ios: int = 10000  # I/Os of the smaller window; 0: only the larger one
    iodepth: int = 32
    drivers: tuple = ("nvme", "cnvme", "rnvme")
    marker: str = "__x64_sys_sync"  # the kernel function that closes a window
    mem: str = "2G"
    timeout: int = None  # guest test timeout, seconds (default: from the I/Os)
    icount: str = "shift=0"  # QEMU -icount OPTS; '' for host time


def run_windows(build, run_dir, spec):
    """Boot `build` and record the windows of `spec` into run_dir; None if
    that worked, else what went wrong (for the caller to print)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    insn_dir = run_dir / "insn"
    insn_dir.mkdir(exist_ok=True)

    smap = build / "System.map"
    marker = None
    for ln in smap.read_text().splitlines():
        parts = ln.split()
        if len(parts) == 3 and parts[2] == spec.marker and parts[1] in "tT":
            marker = int(parts[0], 16)
    if marker is None:
        return f"no {spec.marker} in {smap}"
    (run_dir / "System.map").write_bytes(smap.read_bytes())

    plugin_dir = vm.ROOT / "build/insncount"
    plugin_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["make", "-s", "-C", str(vm.ROOT / "tools/insncount"), f"O={plugin_dir}"], check=True)
    plugin = plugin_dir / "insncount.so"

    ctrls = [vm.Controller(backend="null", size=1 << 30, lba_size=512) for _ in spec.drivers]
    guest = vm.Guest(build, run_dir, ctrls, vcpus=1, mem=spec.mem)
    if guest.accel != "tcg":
        return f"accelerator is {guest.accel}: the plugin needs TCG (set RNVME_ACCEL=tcg)"
    timeout = spec.timeout or int(300 + len(spec.drivers) * (spec.ios + spec.base_ios + 2000) / 200)
    (run_dir / "iodepth.txt").write_text(f"{spec.iodepth}\n")
    test = vm.Test("insn-window", ["tests/guest/insn-window.sh", "/run/rnvme/insn", str(spec.ios),
                                   str(spec.base_ios), str(spec.iodepth)] + list(spec.drivers), timeout)
    t0 = time.monotonic()
    qemu_args = ["-plugin", f"file={plugin},outdir={insn_dir},marker={marker:#x}"]
    if spec.icount:
        qemu_args += ["-icount", spec.icount]
    run = guest.run([test], extra_qemu_args=qemu_args)
    secs = time.monotonic() - t0
    print(f"guest ran {secs:.0f} s (test {run.tests[0].seconds:.0f} s); results in {run_dir}", flush=True)
    if not run.booted:
        return ("the guest did not boot:\n" + run.console_tail() + "\n"
                + (run_dir / "qemu.log").read_text()[-2000:])
    t = run.tests[0]
    if not t.ok:
        return f"{t.name}: failed ({t.rc})\n{t.text('stderr')[-2000:]}\n{t.text('stdout')[-1000:]}"
    return None
