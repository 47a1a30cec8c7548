# SPDX-License-Identifier: GPL-2.0
"""Boot the guest kernel in QEMU with emulated NVMe controllers and run named
test scripts inside it.

The guest's root is the host's root, shared read-only over 9p, so it runs the
host's bash, fio, python3 and nvme-cli. A second 9p share (tag "rnvme") is the
run folder: the host writes plan.sh there, the guest's init
(tests/guest/init) runs each planned script and writes back, per test,
rc, stdout, stderr and whatever files the script leaves in $RESULT_DIR (fio
JSON, ...), plus the KTAP of every KUnit suite from debugfs.
Results never come from scraping the serial console.
"""

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Root ports sit at these slots of pcie.0; controller i hangs off slot 0x10+i.
ROOT_PORT_SLOT0 = 0x10


@dataclass
class Namespace:
    """One namespace of a controller, with its own backing image."""
    nsid: int = 1
    size: int = 1 << 30  # bytes of data, a multiple of lba_size
    lba_size: int = 512
    ms: int = 0  # metadata bytes per block (separate buffer): the image holds them after the data
    # Media errors QEMU's blkdebug injects: (event, sector, once), e.g.
    # ("read_aio", 2048, True): the first read that touches 512-byte sector
    # 2048 of the image fails with EIO (once False: every one does). The
    # controller reports them as Unrecovered Read Error or Write Fault,
    # without Do Not Retry.
    errors: list = None


@dataclass
class Controller:
    """One emulated NVMe controller on its own hot-pluggable root port."""
    backend: str = "file"  # "file" (sparse file on tmpfs) or "null" (null-co, reads zeroes)
    size: int = 1 << 30  # of the default namespace (nsid 1)
    lba_size: int = 512  # of the default namespace (nsid 1)
    max_ioqpairs: int = 0  # 0: QEMU's default
    mdts: int = None  # None: QEMU's default (7 = 512 KiB); 0: no limit
    msix_qsize: int = 0  # MSI-X vectors; 0: QEMU's default (65)
    namespaces: list = None  # of Namespace; None: one of size and lba_size, nsid 1

    def ns_list(self):
        return self.namespaces or [Namespace(1, self.size, self.lba_size)]


@dataclass
class Test:
    name: str
    argv: list
    timeout: int = 300


@dataclass
class TestResult:
    name: str
    rc: int
    seconds: float
    dir: Path

    @property
    def ok(self):
        return self.rc == 0

    def text(self, what="stdout"):
        p = self.dir / what
        return p.read_text(errors="replace") if p.exists() else ""


@dataclass
class RunResult:
    booted: bool
    finished: bool
    timed_out: bool
    qemu_rc: int
    run_dir: Path
    tests: list = field(default_factory=list)

    def console_tail(self, n=40):
        p = self.run_dir / "console.log"
        text = p.read_text(errors="replace").strip() if p.exists() else ""
        if not text:
            return "(the serial console is empty: the kernel printed nothing)"
        return "\n".join(text.splitlines()[-n:])


def kernel_source(build):
    """The kernel source tree of a build folder (its `source` link)."""
    return Path(os.path.realpath(build / "source"))


def detect_accel():
    """KVM only where it really works; RNVME_ACCEL overrides (kvm or tcg)."""
    forced = os.environ.get("RNVME_ACCEL")
    if forced:
        return forced
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg"
    # /dev/kvm can exist without hardware virtualisation reaching us (a guest
    # without nested virtualisation): KVM then hangs after the BIOS.
    flags = Path("/proc/cpuinfo").read_text()
    if " vmx" not in flags and " svm" not in flags:
        return "tcg"
    return "kvm"


def qemu_version():
    out = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else "unknown"


def _call_progress(progress, results):
    """Call the progress callback; False (after saying why) if it raised."""
    try:
        progress(results)
        return True
    except Exception as e:  # a reporting bug must not end a long run
        print(f"rnvme: progress report failed, continuing without it: {e!r}", flush=True)
        return False


def _wait_polling(proc, timeout, progress, results):
    """proc.wait(timeout) that calls progress(results) every second.
    Returns (exit status, the callback or None if it failed)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise subprocess.TimeoutExpired(proc.args, timeout)
        try:
            return proc.wait(timeout=min(1.0, left)), progress
        except subprocess.TimeoutExpired:
            pass
        if progress is not None and not _call_progress(progress, results):
            progress = None


class Guest:
    def __init__(self, build_dir, run_dir, controllers, vcpus=None, mem=None):
        self.build = Path(build_dir)
        self.run_dir = Path(run_dir)
        self.controllers = controllers
        self.vcpus = int(vcpus or os.environ.get("RNVME_VCPUS", 2))
        self.mem = mem or os.environ.get("RNVME_MEM", "2G")
        self.accel = detect_accel()
        self.images = []

    def _controller_args(self, i, c, img_dir):
        args = ["-device", f"pcie-root-port,id=rp{i},bus=pcie.0,chassis={i + 1},"
                f"slot={i + 1},addr={ROOT_PORT_SLOT0 + i:#x}"]
        dev = f"nvme,id=nvme{i},serial=rnvme-ctrl{i},bus=rp{i}"
        if c.max_ioqpairs:
            dev += f",max_ioqpairs={c.max_ioqpairs}"
        if c.mdts is not None:
            dev += f",mdts={c.mdts}"
        if c.msix_qsize:
            dev += f",msix_qsize={c.msix_qsize}"
        nss = []
        for ns in c.ns_list():
            # Namespace 1 keeps the names of the single-namespace controller.
            sfx = "" if ns.nsid == 1 else f"n{ns.nsid}"
            # QEMU counts size / (lba_size + ms) blocks, their metadata after the data.
            size = ns.size // ns.lba_size * (ns.lba_size + ns.ms)
            if c.backend == "null":
                args += ["-blockdev", f"driver=null-co,node-name=blk{i}{sfx},size={size},read-zeroes=on"]
            else:
                img = Path(img_dir) / f"ctrl{i}{sfx}.img"
                with open(img, "wb") as f:
                    f.truncate(size)
                self.images.append(img)
                # discard=unmap on every node: a Deallocate punches a hole
                # in the image, which then reads zeroes, as DLFEAT says.
                args += ["-blockdev", f"driver=file,node-name=f{i}{sfx},filename={img},discard=unmap"]
                image = f"f{i}{sfx}"
                if ns.errors:
                    rules = "".join(f",inject-error.{k}.event={event},inject-error.{k}.sector={sector},"
                                    f"inject-error.{k}.once={'on' if once else 'off'},inject-error.{k}.errno=5"
                                    for k, (event, sector, once) in enumerate(ns.errors))
                    args += ["-blockdev", f"driver=blkdebug,node-name=dbg{i}{sfx},image={image},"
                             f"discard=unmap{rules}"]
                    image = f"dbg{i}{sfx}"
                args += ["-blockdev", f"driver=raw,node-name=blk{i}{sfx},file={image},discard=unmap"]
            nss += ["-device", f"nvme-ns,drive=blk{i}{sfx},nsid={ns.nsid},bus=nvme{i},"
                    f"logical_block_size={ns.lba_size},physical_block_size={ns.lba_size}"
                    + (f",ms={ns.ms}" if ns.ms else "")]
        return args + ["-device", dev] + nss

    def _write_plan(self, tests):
        lines = [
            "# Written by tools/workbench/vm.py; sourced by tests/guest/init.",
            f"PROJECT={shlex.quote(str(ROOT))}",
            f"MODROOT={shlex.quote(str(self.build / 'modroot'))}",
            f"NR_CONTROLLERS={len(self.controllers)}",
        ]
        lines.append("plan() {")
        for t in tests:
            lines.append("\trun_test " + " ".join(shlex.quote(str(a)) for a in [t.name, t.timeout] + t.argv))
        lines += ["\t:", "}"]
        (self.run_dir / "plan.sh").write_text("\n".join(lines) + "\n")

    def run(self, tests, timeout=None, extra_cmdline="", progress=None, extra_qemu_args=None):
        """Boot, run `tests` in order, power off. Never raises for guest failures.

        `progress`, if given, is called with the results folder about once a
        second while QEMU runs, and once more after it exits, so that the host
        can report tests as their results/<test>/rc files appear. An exception
        in it is printed once and the callback is dropped; the run goes on.
        `extra_qemu_args`, if given, is a list of arguments appended to the
        QEMU command line (e.g. ["-plugin", "file=X.so,..."]).
        """
        self.run_dir.mkdir(parents=True, exist_ok=True)
        results = self.run_dir / "results"
        shutil.rmtree(results, ignore_errors=True)
        results.mkdir()
        self._write_plan(tests)
        if timeout is None:
            timeout = 120 + sum(t.timeout for t in tests)
        img_dir = tempfile.mkdtemp(prefix="rnvme-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        # tsc=reliable: on a loaded host the clocksource watchdog sees the
        # vCPUs' TSC skew against the HPET and switches the guest to the HPET,
        # whose every read is an exit into QEMU: all later I/O pays for it.
        cmdline = ("console=ttyS0 panic=-1 oops=panic tsc=reliable root=hostroot rootfstype=9p "
                   "rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro "
                   f"init={ROOT}/tests/guest/init {extra_cmdline} "
                   f"{os.environ.get('RNVME_GUEST_APPEND', '')}").strip()
        cpu = "host" if self.accel == "kvm" else "max"
        cmd = ["qemu-system-x86_64", "-machine", f"q35,accel={self.accel}", "-cpu", cpu,
               "-smp", str(self.vcpus), "-m", self.mem, "-nodefaults", "-no-reboot",
               "-display", "none", "-vga", "none",
               "-serial", f"file:{self.run_dir / 'console.log'}",
               "-qmp", f"unix:{self.run_dir / 'qmp.sock'},server=on,wait=off",
               "-kernel", str(self.build / "arch/x86/boot/bzImage"), "-append", cmdline,
               "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
               "-virtfs", f"local,path={self.run_dir},mount_tag=rnvme,security_model=none,multidevs=remap"]
        try:
            for i, c in enumerate(self.controllers):
                cmd += self._controller_args(i, c, img_dir)
            cmd += list(extra_qemu_args or [])
            (self.run_dir / "qemu.cmd").write_text(shlex.join(cmd) + "\n")
            timed_out = False
            with open(self.run_dir / "qemu.log", "w") as log:
                proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
                try:
                    if progress is None:
                        rc = proc.wait(timeout=timeout)
                    else:
                        rc, progress = _wait_polling(proc, timeout, progress, results)
                except subprocess.TimeoutExpired:
                    timed_out = True
                    os.killpg(proc.pid, signal.SIGKILL)
                    rc = proc.wait()
                if progress is not None:
                    _call_progress(progress, results)
        finally:
            shutil.rmtree(img_dir, ignore_errors=True)
        run = RunResult(booted=(results / "ready").exists(), finished=(results / "done").exists(),
                        timed_out=timed_out, qemu_rc=rc, run_dir=self.run_dir)
        for t in tests:
            d = results / t.name
            rcf = d / "rc"
            if rcf.exists():
                secs = float((d / "seconds").read_text() or 0) if (d / "seconds").exists() else 0.0
                run.tests.append(TestResult(t.name, int(rcf.read_text().strip() or 1), secs, d))
            else:
                run.tests.append(TestResult(t.name, -1, 0.0, d))
        return run


class QMP:
    """A minimal QMP client for fault injection (device_del, HMP commands)."""

    def __init__(self, path, timeout=30):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(str(path))
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.f = self.sock.makefile("rw")
        json.loads(self.f.readline())  # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            msg = json.loads(self.f.readline())
            if "return" in msg or "error" in msg:
                return msg

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})
