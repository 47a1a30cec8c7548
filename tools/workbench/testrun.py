# SPDX-License-Identifier: GPL-2.0
"""make test's runner: the report (one PASS/FAIL/SKIP line per test, then
the counts) and one boot of a build running guest tests, whose results and
KUnit suites land in the report."""

import re

from . import vm
from .kunit_results import parse_kunit

# Exit status of a guest test that skips itself (tests/guest/lib.sh: skip).
SKIP_RC = 77

# The file of the run folder that QEMU's trace events of a boot go to.
TRACE_FILE = "qemu-trace.log"


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


# Controller 4 of the test boots, whose only namespace has this identifier,
# which no other controller of the boot has: QEMU's trace lines name the
# namespace, not the controller (tests/guest/flush-fua.sh).
FLUSH_CTRL = 4
FLUSH_NSID = 5


def default_controllers():
    """The controllers of the test boots: 0, 1 for bring-up and the upstream
    driver's verify job; 2, 3 identical small ones for the I/O tests over
    whole namespaces; FLUSH_CTRL, of one namespace FLUSH_NSID, for the flush
    tests."""
    ctrls = [vm.Controller(backend="file", size=256 << 20) for _ in range(2)]
    ctrls += [vm.Controller(backend="file", size=64 << 20) for _ in range(2)]
    ctrls.append(vm.Controller(namespaces=[vm.Namespace(nsid=FLUSH_NSID, size=64 << 20)]))
    assert len(ctrls) == FLUSH_CTRL + 1
    return ctrls


def trace_args(run_dir, events):
    """QEMU arguments that trace `events` (names of `qemu-system-x86_64 -trace
    help`) into TRACE_FILE in the run folder, which the guest reads over the
    "rnvme" share as $RNVME_RUN/TRACE_FILE (tests/guest/lib.sh: trace_count)."""
    if not events:
        return []
    # QEMU's "log" trace backend writes to the log file of -D (-trace's
    # file= is for the "simple" backend), which it creates at start-up and
    # flushes after every line.
    args = ["-D", str(run_dir / TRACE_FILE)]
    for e in events:
        args += ["-trace", f"enable={e}"]
    return args


def boot(rep, build, run_dir, tests, only=None, prefix="", cmdline="", kunit=True, controllers=None,
         trace=(), extra_qemu_args=()):
    """Boot one guest of `build` with `controllers` (default_controllers() if
    None), and `cmdline` added to the kernel command line, and run `tests` in
    it (those whose name matches `only`), then parse its KUnit results unless
    `kunit` is false. QEMU traces the events of `trace` into the run folder's
    TRACE_FILE, and gets `extra_qemu_args` at the end of its command line."""
    guest = vm.Guest(build, run_dir, controllers if controllers is not None else default_controllers())
    if only:
        tests = [t for t in tests if re.search(only, t.name)]
    print(f"rnvme: booting the {prefix or 'test '}guest of {build} ({len(tests)} guest tests, "
          f"results in {run_dir})", flush=True)
    run = guest.run(tests, extra_cmdline=cmdline,
                    extra_qemu_args=trace_args(run_dir, trace) + list(extra_qemu_args))
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
        elif t.rc == SKIP_RC:
            why = [ln[len("SKIP: "):] for ln in t.text("stdout").splitlines() if ln.startswith("SKIP: ")]
            rep.skip(name, why[-1] if why else "skipped")
        else:
            rep.fail(name, f"exit status {t.rc}" + (" (timeout)" if t.rc == 124 else ""),
                     (t.text("stdout")[-1500:] + t.text("stderr")[-1500:]))
    if not run.finished and not run.timed_out:
        rep.fail(f"{prefix}guest shutdown", "the guest died before finishing its plan", run.console_tail())
    if kunit:
        parse_kunit(rep, build, run_dir / "results", prefix)
