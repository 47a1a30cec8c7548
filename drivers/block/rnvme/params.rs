// SPDX-License-Identifier: GPL-2.0

//! The module parameters: their limits, and their check when the module is loaded.
//!
//! A value out of range refuses the load with a message saying which value and why, as nvme-pci
//! does for the parameters it shares with rnvme (same names, same defaults, same ranges).

use kernel::prelude::*;

use crate::module_parameters;

/// Smallest `io_queue_depth`: a queue of two entries holds one command.
pub(crate) const MIN_QUEUE_DEPTH: u32 = 2;

/// Largest `io_queue_depth`: command identifiers keep 12 bits for the tag, so a queue has at
/// most 4095 entries (4094 tags, one slot staying empty).
pub(crate) const MAX_QUEUE_DEPTH: u32 = 4095;

/// Checks every module parameter; called before the driver registers.
///
/// # Errors
///
/// `EINVAL` for the first value out of range, after saying so.
pub(crate) fn check() -> Result {
    let depth = io_queue_depth();
    if !(MIN_QUEUE_DEPTH..=MAX_QUEUE_DEPTH).contains(&depth) {
        pr_err!(
            "io_queue_depth={}: must be between {} and {}\n",
            depth,
            MIN_QUEUE_DEPTH,
            MAX_QUEUE_DEPTH
        );
        return Err(EINVAL);
    }
    let cpus = kernel::cpu::nr_cpu_ids();
    let poll = poll_queues();
    if poll > cpus {
        pr_err!(
            "poll_queues={}: must be at most {}, the number of possible CPUs\n",
            poll,
            cpus
        );
        return Err(EINVAL);
    }
    Ok(())
}

/// Returns the `poll_queues` module parameter: poll queues wanted besides one interrupt queue
/// per CPU.
pub(crate) fn poll_queues() -> u32 {
    module_parameters::poll_queues.value()
}

/// Returns the `io_queue_depth` module parameter: entries wanted in each I/O queue.
pub(crate) fn io_queue_depth() -> u32 {
    module_parameters::io_queue_depth.value()
}

/// Returns the `max_retries` module parameter: how often a command that failed with an error
/// worth retrying is tried again.
pub(crate) fn max_retries() -> u8 {
    module_parameters::max_retries.value()
}

/// Returns the `shadow_doorbells` module parameter: whether the I/O queues use the shadow
/// doorbell buffers of a controller that offers them.
pub(crate) fn shadow_doorbells() -> bool {
    module_parameters::shadow_doorbells.value()
}
