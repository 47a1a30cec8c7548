#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run every test of the project against a built kernel and print one line per
test, then "N passed, N failed". Exit status 1 if anything failed.

Tests: lint gates on the host, guest tests (tests/guest/*.sh, one definition
parametrised by driver) in one boot, and every KUnit suite that ran in that
boot, parsed with the kernel's own tools/testing/kunit/kunit.py.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from workbench import vm

ROOT = vm.ROOT

# Our drivers that serve I/O: every I/O test runs against both.
IO_DRIVERS = ("rnvme", "cnvme")


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def ok(self, name, detail=""):
        self.passed += 1
        print(f"PASS {name}" + (f" ({detail})" if detail else ""), flush=True)

    def fail(self, name, why, more=""):
        self.failed += 1
        print(f"FAIL {name}: {why}", flush=True)
        if more:
            print("    " + more.rstrip().replace("\n", "\n    "), flush=True)

    def skip(self, name, why):
        self.skipped += 1
        print(f"SKIP {name}: {why}", flush=True)


def kernel_src(build):
    return Path(os.path.realpath(build / "source"))


def lint_gates(rep, build):
    src = kernel_src(build)
    llvm = os.environ.get("RNVME_LLVM", "-19")
    # rustfmt over the tree (the project's Rust is in it, patches applied).
    r = subprocess.run(["make", "-s", "-C", str(src), f"O={build}", f"LLVM={llvm}", "rustfmtcheck"],
                       capture_output=True, text=True)
    if r.returncode == 0:
        rep.ok("lint: rustfmtcheck")
    else:
        rep.fail("lint: rustfmtcheck", "rustfmt would change these files", (r.stdout + r.stderr)[-3000:])
    # clippy on the patched kernel crate, its block driver user rnull, and
    # rnvme: recompile them with CLIPPY=1, no warning allowed.
    dirs = ["rust/", "drivers/block/rnull/"] if list((ROOT / "patches").glob("*.patch")) else []
    if list((ROOT / "drivers/block/rnvme").glob("*.rs")):
        dirs.append("drivers/block/rnvme/")
    name = f"lint: clippy ({' '.join(dirs) or 'nothing'})"
    if not dirs:
        rep.skip(name, "nothing to check yet")
    else:
        lock = os.environ.get("RNVME_CACHE", "/var/cache/rnvme") + "/build.lock"
        r = subprocess.run(["flock", lock, "make", "-C", str(src), f"O={build}", f"LLVM={llvm}",
                            "CLIPPY=1", "-j2"] + dirs, capture_output=True, text=True)
        out = r.stdout + r.stderr
        warn = [ln for ln in out.splitlines() if ln.startswith(("warning", "error"))]
        if r.returncode == 0 and not warn:
            rep.ok(name)
        else:
            rep.fail(name, f"{len(warn)} warnings/errors", out[-4000:])
    # checkpatch --strict on the C twin and on the patch series.
    cp = [str(src / "scripts/checkpatch.pl"), "--strict", "--no-tree", "--quiet", "--show-types",
          "--ignore", "SPDX_LICENSE_TAG,FILE_PATH_CHANGES"]
    cfiles = sorted(p for p in (ROOT / "drivers/block/cnvme").glob("*.[ch]"))
    patches = sorted((ROOT / "patches").glob("*.patch"))
    for what, files, extra in (("C twin", cfiles, ["-f"]), ("patch series", patches, [])):
        name = f"lint: checkpatch --strict ({what})"
        if not files:
            rep.skip(name, "nothing to check yet")
            continue
        r = subprocess.run(cp + extra + [str(f) for f in files], capture_output=True, text=True)
        if r.returncode == 0:
            rep.ok(name, f"{len(files)} files")
        else:
            rep.fail(name, "checkpatch found problems", r.stdout[-4000:])


def guest_tests(build, verify_size):
    """The guest tests of one boot. Each is one script, parametrised by driver."""
    tests = []
    # Driver modules whose KUnit suites run at load time.
    mods = [m for m, cfg in (("rnvme", "CONFIG_RNVME_KUNIT_TEST=y"), ("cnvme_kunit", "CONFIG_CNVME_KUNIT_TEST=m"))
            if cfg in (build / ".config").read_text()
            and list((build / "modroot/lib/modules").glob(f"*/kernel/drivers/block/*/{m}.ko"))]
    if mods:
        tests.append(vm.Test("kunit-modules", ["tests/guest/kunit-modules.sh"] + mods, 120))
    tests.append(vm.Test("fio-verify-nvme", ["tests/guest/fio-verify.sh", "nvme", "0", verify_size], 600))
    # Controller bring-up and clean unbind, one definition for each of our drivers.
    for drv in ("rnvme", "cnvme"):
        if list((build / "modroot/lib/modules").glob(f"*/kernel/drivers/block/{drv}/{drv}.ko")):
            tests.append(vm.Test(f"bringup-{drv}", ["tests/guest/bringup.sh", drv, "1"], 120))
    # The I/O tests of each of our drivers that serves I/O, on the small identical
    # controllers 2 (driver under test) and 3 (upstream nvme for reference).
    for drv in IO_DRIVERS:
        if not list((build / "modroot/lib/modules").glob(f"*/kernel/drivers/block/{drv}/{drv}.ko")):
            continue
        tests += [
            vm.Test(f"io-matrix-{drv}", ["tests/guest/io-matrix.sh", drv, "2", "3"], 900),
            vm.Test(f"cross-driver-{drv}", ["tests/guest/cross-driver.sh", drv, "2"], 300),
            vm.Test(f"bind-cycles-{drv}", ["tests/guest/bind-cycles.sh", drv, "2", "20"], 300),
            vm.Test(f"poll-queues-{drv}", ["tests/guest/poll-queues.sh", drv, "2"], 300),
            vm.Test(f"timeout-{drv}", ["tests/guest/timeout.sh", drv, "2", "eio"], 120),
        ]
    # On a kernel with kmemleak (the debug variant), a leak scan after all that.
    kmemleak = "CONFIG_DEBUG_KMEMLEAK=y" in (build / ".config").read_text()
    # The same definitions against upstream nvme, for reference: it polls the
    # same way, and recovers from a timeout by resetting the controller.
    tests += [
        vm.Test("poll-queues-nvme", ["tests/guest/poll-queues.sh", "nvme", "3"], 300),
        vm.Test("timeout-nvme", ["tests/guest/timeout.sh", "nvme", "3", "recover"], 180),
    ]
    if kmemleak:
        tests.append(vm.Test("kmemleak", ["tests/guest/kmemleak.sh"], 600))
    return tests


def parse_kunit(rep, build, results, prefix=""):
    kunit_py = kernel_src(build) / "tools/testing/kunit/kunit.py"
    files = sorted((results / "kunit").glob("*.ktap"))
    if not files:
        rep.fail(f"{prefix}kunit", "no KUnit suite ran in the guest (is CONFIG_KUNIT_DEBUGFS set?)")
        return
    for f in files:
        suite = prefix + f.stem
        r = subprocess.run([sys.executable, str(kunit_py), "parse", str(f), "--json"],
                           capture_output=True, text=True)
        try:
            counts = json.loads(r.stdout[r.stdout.index("{"):])["misc"]
        except (ValueError, KeyError):
            rep.fail(f"kunit: {suite}", "could not parse its KTAP", f.read_text()[-2000:])
            continue
        bad = counts["failed"] + counts["crashed"] + counts["errors"]
        if r.returncode == 0 and bad == 0 and counts["tests"] > 0:
            rep.ok(f"kunit: {suite}", f"{counts['passed']} passed, {counts['skipped']} skipped")
        else:
            failed = subprocess.run([sys.executable, str(kunit_py), "parse", "--failed", str(f)],
                                    capture_output=True, text=True).stdout
            rep.fail(f"kunit: {suite}", f"{counts['failed']} failed, {counts['crashed']} crashed, "
                     f"{counts['errors']} errors of {counts['tests']}", failed[-3000:])


# Guest tests that also run on the debug kernel.
DEBUG_TESTS = r"^(kunit-modules|bringup-|cross-driver-|bind-cycles-|poll-queues-|timeout-|kmemleak)"


def boot(rep, build, run_dir, tests, only=None, prefix=""):
    """Boot one guest of `build` with our controllers and run `tests` in it
    (those whose name matches `only`), then parse its KUnit results."""
    # 0, 1: bring-up and the upstream driver's verify job; 2, 3: identical small
    # controllers for the I/O tests over whole namespaces.
    ctrls = [vm.Controller(backend="file", size=256 << 20) for _ in range(2)]
    ctrls += [vm.Controller(backend="file", size=64 << 20) for _ in range(2)]
    guest = vm.Guest(build, run_dir, ctrls)
    if only:
        tests = [t for t in tests if re.search(only, t.name)]
    print(f"rnvme: booting the {prefix or 'test '}guest of {build} ({len(tests)} guest tests, "
          f"results in {run_dir})", flush=True)
    run = guest.run(tests)
    if not run.booted:
        why = "timed out" if run.timed_out else f"QEMU exited {run.qemu_rc}"
        console = run.run_dir / "console.log"
        panic = [ln for ln in (console.read_text(errors="replace").splitlines() if console.exists() else [])
                 if "Kernel panic" in ln]
        if panic:
            why += "; " + panic[0].split("] ", 1)[-1]
        rep.fail(f"{prefix}guest boot", f"the guest never reached its init ({why}); console tail:",
                 run.console_tail())
        qlog = (run_dir / "qemu.log")
        if qlog.exists() and qlog.read_text().strip():
            print("    qemu: " + qlog.read_text().strip()[-1000:])
        return
    rep.ok(f"{prefix}guest boot")
    for t in run.tests:
        name = prefix + t.name
        if t.rc == -1:
            rep.fail(name, "did not run (the guest stopped before it)" if not run.timed_out
                     else "did not finish before the boot's hard timeout", run.console_tail(20))
        elif t.ok:
            rep.ok(name, f"{t.seconds:.1f} s")
        else:
            rep.fail(name, f"exit status {t.rc}" + (" (timeout)" if t.rc == 124 else ""),
                     (t.text("stdout")[-1500:] + t.text("stderr")[-1500:]))
    if not run.finished and not run.timed_out:
        rep.fail(f"{prefix}guest shutdown", "the guest died before finishing its plan", run.console_tail())
    parse_kunit(rep, build, run_dir / "results", prefix)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, type=Path)
    ap.add_argument("--run-dir", type=Path, default=ROOT / "build/test" / time.strftime("%Y%m%d-%H%M%S"))
    ap.add_argument("--verify-size", default="64M")
    ap.add_argument("--no-lint", action="store_true")
    ap.add_argument("--only", metavar="REGEX", help="run only the guest tests whose name matches")
    ap.add_argument("--debug-build", type=Path, help="also run the tests of DEBUG_TESTS on this debug kernel")
    args = ap.parse_args()
    rep = Report()
    info = json.loads((args.build / "rnvme-build.json").read_text())
    print(f"rnvme: kernel {info['kernelrelease']} (Debian linux-source {info['debian_version']}), "
          f"accelerator {vm.detect_accel()}, {vm.qemu_version()}", flush=True)

    if not args.no_lint:
        lint_gates(rep, args.build)

    boot(rep, args.build, args.run_dir, guest_tests(args.build, args.verify_size), args.only)
    if args.debug_build:
        # The same tests on the debug kernel (KASAN, lockdep, DMA-API debug,
        # kmemleak, might_sleep checks), less the long data-verification ones.
        only = DEBUG_TESTS if not args.only else f"(?={DEBUG_TESTS})(?:.*{args.only})"
        boot(rep, args.debug_build, args.run_dir.with_name(args.run_dir.name + "-debug"),
             guest_tests(args.debug_build, args.verify_size), only, prefix="debug: ")
    line = f"{rep.passed} passed, {rep.failed} failed"
    if rep.skipped:
        line += f", {rep.skipped} skipped"
    print(line)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
