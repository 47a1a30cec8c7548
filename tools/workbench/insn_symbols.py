# SPDX-License-Identifier: GPL-2.0
"""The instruction profiler's symbol step: which function, module and
category a guest address belongs to, Rust names demangled, and where a
module's .ko is in the build (tools/insn_profile.py is its command line)."""

import bisect
import re
import subprocess
from pathlib import Path

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


def find_ko(build, module):
    for p in (Path(build) / "modroot").rglob(module.replace("_", "?") + ".ko"):
        return p
    return None

