# SPDX-License-Identifier: GPL-2.0
"""make bench's plan: the targets, workloads and profiles (data, one line
each), which targets a build can run, and the fio runs of one boot in
round-robin order over the targets."""

from dataclasses import dataclass
from pathlib import Path

from . import vm


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


def fio_time(seconds):
    """A duration for fio's --runtime/--ramp_time, in milliseconds."""
    return f"{round(seconds * 1000)}ms"


def fio_options(prof):
    """The options fio-bench.sh gives every target (kept in step with it by hand)."""
    return ["--ioengine=io_uring", "--direct=1", "--group_reporting", "--time_based",
            f"--runtime={fio_time(prof.runtime)}", f"--ramp_time={fio_time(prof.ramp)}", "--norandommap",
            "--random_generator=lfsr", "--randrepeat=0", "--fixedbufs=1", "--registerfiles=1"]
