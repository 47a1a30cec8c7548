# SPDX-License-Identifier: GPL-2.0
"""make test's guest tests: one definition per test script, parametrised by
driver, and which of them also run on the debug kernel."""

from . import vm
from .testrun import FLUSH_CTRL, FLUSH_NSID, TRACE_FILE

# Our drivers that serve I/O: every I/O test runs against both.
IO_DRIVERS = ("rnvme", "cnvme")


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
            vm.Test(f"bind-cycles-{drv}", ["tests/guest/bind-cycles.sh", drv, "2", "20"], 600),
            vm.Test(f"poll-queues-{drv}", ["tests/guest/poll-queues.sh", drv, "2"], 300),
            vm.Test(f"timeout-{drv}", ["tests/guest/timeout.sh", drv, "2", "eio"], 120),
        ]
    # Completions for stale, unknown and duplicate command identifiers, through
    # the completion injection file of test builds (skipped without it). Not in
    # DEBUG_TESTS: on the base kernel only.
    for drv in ("rnvme", "cnvme"):
        if list((build / "modroot/lib/modules").glob(f"*/kernel/drivers/block/{drv}/{drv}.ko")):
            tests.append(vm.Test(f"stale-completion-{drv}", ["tests/guest/stale-completion.sh", drv, "2"], 180))
    # Module parameters out of range refuse the load with a message; the limits serve I/O.
    for drv in IO_DRIVERS:
        if list((build / "modroot/lib/modules").glob(f"*/kernel/drivers/block/{drv}/{drv}.ko")):
            tests.append(vm.Test(f"params-{drv}", ["tests/guest/params.sh", drv, "2"], 300))
    # Shadow doorbells off (module parameter shadow_doorbells=0): a reduced
    # I/O matrix, every block size and queue depth over the first
    # NODBBUF_SIZE of the namespace instead of all of it.
    for drv in IO_DRIVERS:
        if list((build / "modroot/lib/modules").glob(f"*/kernel/drivers/block/{drv}/{drv}.ko")):
            tests.append(vm.Test(f"io-matrix-nodbbuf-{drv}", ["tests/guest/io-matrix-nodbbuf.sh", drv, "2", "3",
                                                             NODBBUF_SIZE, TRACE_FILE], 600))
    # Flushes and FUA on controller FLUSH_CTRL, counted by the disk and by
    # QEMU's trace; discard and write zeroes on controller 2 (3 for upstream).
    # Upstream nvme first, the control, then each of our drivers.
    for drv in io_drivers(build):
        tests.append(vm.Test(f"flush-fua-{drv}", ["tests/guest/flush-fua.sh", drv, str(FLUSH_CTRL),
                                                  str(FLUSH_NSID), TRACE_FILE], 300))
    for drv in io_drivers(build):
        tests.append(vm.Test(f"discard-{drv}", ["tests/guest/discard.sh", drv, "3" if drv == "nvme" else "2",
                                                TRACE_FILE], 300))
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


# QEMU's trace events of the first boot (testrun.trace_args), read by the
# guest tests: Flush commands per namespace, Deallocate ranges, Doorbell
# Buffer Config commands.
TRACE_EVENTS = ("pci_nvme_flush_ns", "pci_nvme_dsm_deallocate", "pci_nvme_dbbuf_config")

# The part of the namespace each job of the I/O matrix with shadow doorbells
# off writes and verifies (fio --size): an eighth of controller 2's 64 MiB,
# still 16384 commands of 512 bytes, 16 times round a queue of 1024 entries.
NODBBUF_SIZE = "8M"


def io_drivers(build):
    """Upstream nvme, then each of our drivers that serve I/O this build has."""
    return ["nvme"] + [drv for drv in IO_DRIVERS
                       if list((build / "modroot/lib/modules").glob(f"*/kernel/drivers/block/{drv}/{drv}.ko"))]


# The kernel command line of the boot that runs swiotlb_tests: every DMA
# mapping bounces through the software IO TLB, so a mapping that is not
# unmapped, or unmapped the wrong way, loses the data of a read.
SWIOTLB_CMDLINE = "swiotlb=force"


def swiotlb_tests(build):
    """The guest tests of the base kernel's second boot, with SWIOTLB_CMDLINE:
    data written and read back across drivers with single-segment (4 KiB) and
    multi-segment (64 KiB) requests."""
    return [vm.Test(f"cross-driver-{drv}", ["tests/guest/cross-driver.sh", drv, "2", "4k 64k"], 300)
            for drv in IO_DRIVERS
            if list((build / "modroot/lib/modules").glob(f"*/kernel/drivers/block/{drv}/{drv}.ko"))]


# Guest tests that also run on the debug kernel.
DEBUG_TESTS = r"^(kunit-modules|bringup-|cross-driver-|bind-cycles-|poll-queues-|timeout-|kmemleak)"


# The controllers of the variants boot, by name: controller i of the boot is
# VARIANTS[i]. Each is served by upstream nvme, rnvme and cnvme in turn.
VARIANTS = (
    # One MSI-X vector for the admin queue and the only I/O queue.
    ("msix1", vm.Controller(size=64 << 20, max_ioqpairs=1, msix_qsize=1)),
    # Two vectors for the admin queue and more I/O queues than are left.
    ("msix2", vm.Controller(size=64 << 20, max_ioqpairs=4, msix_qsize=2)),
    # No transfer size limit, and the smallest one (8 KiB).
    ("mdts0", vm.Controller(size=64 << 20, mdts=0)),
    ("mdts1", vm.Controller(size=64 << 20, mdts=1)),
    # Namespace identifiers with gaps, both block sizes, one namespace with
    # metadata (which our drivers skip), a tiny one and one of 8193 sectors.
    ("namespaces", vm.Controller(namespaces=[
        vm.Namespace(nsid=1, size=64 << 20, lba_size=512),
        vm.Namespace(nsid=3, size=64 << 20, lba_size=4096),
        vm.Namespace(nsid=4, size=16 << 20, lba_size=512, ms=8),
        vm.Namespace(nsid=6, size=1 << 20, lba_size=4096),
        vm.Namespace(nsid=7, size=(4 << 20) + 512, lba_size=512),
    ])),
)


# Sectors of the media error controllers: a read of MEDIA_TRANSIENT fails
# once, then succeeds; a read of MEDIA_PERSISTENT always fails. Both are far
# from where partition scans and blkid read.
MEDIA_TRANSIENT = 65536
MEDIA_PERSISTENT = 98304


def media_controller():
    """A controller of 64 MiB whose backend fails reads at the media sectors."""
    return vm.Controller(namespaces=[vm.Namespace(nsid=1, size=64 << 20, errors=[
        ("read_aio", MEDIA_TRANSIENT, True), ("read_aio", MEDIA_PERSISTENT, False)])])


def variant_controllers(build):
    """The controllers of the variants boot: VARIANTS, then one media error
    controller per driver of variant_tests (a transient error fires once)."""
    return [c for _, c in VARIANTS] + [media_controller() for _ in variant_drivers(build)]


def variant_drivers(build):
    """Upstream nvme, then each of our drivers this build has."""
    return io_drivers(build)


def variant_tests(build, verify_size="16M"):
    """The guest tests of the variants boot: each variant's controller served
    by upstream nvme (the reference, verified alone), then by each of our
    drivers, compared with upstream's namespaces and verified."""
    drivers = variant_drivers(build)
    tests = [vm.Test(f"variant-{drv}-{name}", ["tests/guest/variant.sh", drv, str(i), verify_size], 180)
             for i, (name, _) in enumerate(VARIANTS) for drv in drivers]
    # Media errors: a transient one is retried away, a persistent one fails
    # that read alone, after the retries, with EIO.
    tests += [vm.Test(f"media-errors-{drv}", ["tests/guest/media-errors.sh", drv, str(len(VARIANTS) + k),
                                              str(MEDIA_TRANSIENT), str(MEDIA_PERSISTENT)], 180)
              for k, drv in enumerate(drivers)]
    return tests
