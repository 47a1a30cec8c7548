// SPDX-License-Identifier: GPL-2.0

//! Synchronous admin commands (NVMe 2.0 base specification, section 5).
//!
//! Admin commands go through the admin queue pair one at a time: [`AdminQueue`] keeps the queue
//! pair under a mutex, and the issuer polls the admin completion queue for its own completion,
//! sleeping between polls, for at most [`ADMIN_TIMEOUT`].
//!
//! Polling, not an interrupt, is a choice: admin commands are rare (controller bring-up, queue
//! creation and deletion, the odd feature change), nobody waits on them in the I/O path, and a
//! polled wait needs neither an interrupt vector nor a handler for the admin queue. The I/O
//! queues will complete through MSI-X interrupts instead.
//!
//! A command that does not complete (it timed out, or the controller died or reported a fatal
//! status meanwhile) leaves the admin queue unusable: its slot and command identifier may still
//! be completed, and its data buffer written, at any later time. Every later command then fails
//! until the controller is disabled (which frees the queue) or reset. Completions that carry
//! another command identifier than the one awaited are reported and dropped.

use kernel::{
    device::Bound,
    dma::Coherent,
    io::{
        poll::read_poll_timeout,
        Io, //
    },
    pci,
    prelude::*,
    sync::{
        new_mutex,
        Mutex, //
    },
    time::Delta, //
};

use crate::{
    cmd::{
        num_queues_allocated,
        Command,
        Completion,
        CNS_ACTIVE_NS_LIST,
        CNS_CONTROLLER,
        CNS_NAMESPACE, //
    },
    identify::{
        ActiveNsList,
        IdCtrl,
        IdNs,
        IDENTIFY_SIZE,
        NS_LIST_MAX, //
    },
    queue::QueuePair,
    regs,
    Bar0, //
};

/// Longest wait for an admin command's completion.
pub(crate) const ADMIN_TIMEOUT: Delta = Delta::from_secs(10);

/// Sleep between two looks at the admin completion queue.
const POLL_INTERVAL: Delta = Delta::from_micros(20);

/// Most namespaces the driver takes from the active namespace list.
pub(crate) const MAX_NAMESPACES: usize = 4 * NS_LIST_MAX;

/// Most I/O queues a Set Features (Number of Queues) can ask for: the 0's based count is 16
/// bits, and `0xffff` is not allowed.
const MAX_IO_QUEUES: u32 = 0xffff;

/// What the admin queue mutex protects.
///
/// # Invariants
///
/// `data` and `copy` are [`IDENTIFY_SIZE`] bytes long.
struct AdminState {
    /// The admin queue pair (queue identifier 0).
    queue: QueuePair,
    /// The buffer the controller writes command data (Identify) into.
    data: Coherent<[u8]>,
    /// The CPU's copy of `data`, taken once a command completed, for parsing.
    copy: KVec<u8>,
    /// Command identifier of the next command.
    next_cid: u16,
    /// Set when a command did not complete; no command is sent after that.
    stuck: bool,
}

/// The admin queue pair of a controller and the buffer for the data its commands return.
#[pin_data]
pub(crate) struct AdminQueue {
    /// Everything commands touch, held for the whole of each command.
    #[pin]
    state: Mutex<AdminState>,
}

impl AdminQueue {
    /// Returns an initializer of the admin queue of `pdev` around `queue`, the admin queue pair
    /// the controller's `ASQ`/`ACQ` registers point at; it allocates the data buffer.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the data buffer cannot be allocated.
    pub(crate) fn new(
        pdev: &pci::Device<Bound>,
        queue: QueuePair,
    ) -> impl PinInit<Self, Error> + '_ {
        let nomem = |e: &Error| dev_err!(pdev, "cannot allocate the admin data buffer: {:?}\n", e);
        // INVARIANT: both buffers are `IDENTIFY_SIZE` bytes long.
        try_pin_init!(Self {
            state <- new_mutex!(AdminState {
                queue,
                data: Coherent::zeroed_slice(pdev.as_ref(), IDENTIFY_SIZE, GFP_KERNEL)
                    .inspect_err(nomem)?,
                copy: KVec::from_elem(0u8, IDENTIFY_SIZE, GFP_KERNEL)
                    .map_err(Error::from)
                    .inspect_err(nomem)?,
                next_cid: 0,
                stuck: false,
            }),
        })
    }
}

/// Issues admin commands: an [`AdminQueue`] together with the BAR its doorbells are in and the
/// device to report errors against.
#[derive(Clone, Copy)]
pub(crate) struct Admin<'a> {
    /// The admin queue.
    queue: &'a AdminQueue,
    /// The BAR with the controller registers and the admin doorbells.
    bar: &'a Bar0<'a>,
    /// The controller, for messages.
    pdev: &'a pci::Device<Bound>,
}

impl<'a> Admin<'a> {
    /// Returns the command issuer for `queue`, whose doorbells are in `bar`.
    pub(crate) fn new(
        queue: &'a AdminQueue,
        bar: &'a Bar0<'a>,
        pdev: &'a pci::Device<Bound>,
    ) -> Self {
        Self { queue, bar, pdev }
    }

    /// Sends `cmd` and waits for its completion; returns the command specific result (DW0).
    ///
    /// # Errors
    ///
    /// See [`Admin::execute_locked`].
    pub(crate) fn execute(&self, cmd: Command) -> Result<u32> {
        let mut state = self.queue.state.lock();
        self.execute_locked(&mut state, cmd)
    }

    /// Sends `cmd` on the locked admin queue and waits for its completion; returns the command
    /// specific result (DW0).
    ///
    /// # Errors
    ///
    /// - `EIO` if the command completed with an error status, if the controller reported a fatal
    ///   error while the command ran, or if an earlier command never completed.
    /// - `ETIMEDOUT` if the command did not complete within [`ADMIN_TIMEOUT`].
    /// - `ENODEV` if the controller registers read as all ones (it is gone).
    /// - `EBUSY` if the admin submission queue is full.
    fn execute_locked(&self, state: &mut AdminState, mut cmd: Command) -> Result<u32> {
        let opcode = cmd.opcode();
        if state.stuck {
            dev_err!(
                self.pdev,
                "admin command {:#04x} not sent: an earlier command never completed\n",
                opcode
            );
            return Err(EIO);
        }
        let cid = state.next_cid;
        state.next_cid = cid.wrapping_add(1);
        cmd.set_cid(cid);
        state
            .queue
            .submit(self.bar, &cmd)
            .inspect_err(|e| dev_err!(self.pdev, "admin command {:#04x}: {:?}\n", opcode, e))?;

        let (pdev, bar, queue) = (self.pdev, self.bar, &mut state.queue);
        let done = read_poll_timeout(
            || {
                let mut done: Option<Completion> = None;
                queue.reap(bar, |cqe| {
                    if cqe.cid() == cid {
                        done = Some(*cqe);
                    } else {
                        dev_warn!(
                            pdev,
                            "ignoring a completion for admin command id {}\n",
                            cqe.cid()
                        );
                    }
                })?;
                if done.is_none() {
                    // Fail early, not after the timeout, if the controller died.
                    let csts = bar.read(regs::CSTS);
                    if csts.is_all_ones() {
                        return Err(ENODEV);
                    }
                    if csts.cfs() {
                        return Err(EIO);
                    }
                }
                Ok(done)
            },
            Option::is_some,
            POLL_INTERVAL,
            ADMIN_TIMEOUT,
        );
        // `read_poll_timeout` returns only once the completion is there, or with an error.
        let cqe = match done.and_then(|done| done.ok_or(EIO)) {
            Ok(cqe) => cqe,
            Err(e) => {
                // The command may still complete, and write its data, at any later time.
                state.stuck = true;
                if e == ETIMEDOUT {
                    dev_err!(
                        self.pdev,
                        "admin command {:#04x} (id {}) timed out after {} ms\n",
                        opcode,
                        cid,
                        ADMIN_TIMEOUT.as_millis()
                    );
                } else if e == ENODEV {
                    dev_err!(
                        self.pdev,
                        "admin command {:#04x}: the controller stopped answering\n",
                        opcode
                    );
                } else if e == EIO {
                    dev_err!(
                        self.pdev,
                        "admin command {:#04x}: controller fatal status (CSTS.CFS)\n",
                        opcode
                    );
                } else {
                    dev_err!(
                        self.pdev,
                        "admin command {:#04x}: error {:?} while waiting for it\n",
                        opcode,
                        e
                    );
                }
                return Err(e);
            }
        };

        let status = cqe.status();
        if !status.is_success() {
            dev_err!(
                self.pdev,
                "admin command {:#04x} failed: status code type {:#x}, status code {:#04x}{}\n",
                opcode,
                status.code_type(),
                status.code(),
                if status.dnr() { ", do not retry" } else { "" }
            );
            return Err(EIO);
        }
        Ok(cqe.result())
    }

    /// Sends an Identify of data structure `cns` for namespace `nsid` and returns what `parse`
    /// makes of the 4096 bytes the controller returned.
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`], and those of `parse`.
    pub(crate) fn identify<R>(
        &self,
        cns: u8,
        nsid: u32,
        parse: impl FnOnce(&[u8]) -> Result<R>,
    ) -> Result<R> {
        let mut guard = self.queue.state.lock();
        let state = &mut *guard;
        let cmd = Command::identify(cns, nsid, state.data.dma_address());
        self.execute_locked(state, cmd)?;
        // PANIC: both buffers are `IDENTIFY_SIZE` bytes long, by the type invariant.
        state.data.copy_to_slice(&mut state.copy);
        parse(&state.copy)
    }

    /// Returns the controller's Identify Controller data.
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`]; `EINVAL` if the data is not usable (see [`IdCtrl::parse`]).
    pub(crate) fn identify_controller(&self) -> Result<IdCtrl> {
        self.identify(CNS_CONTROLLER, 0, |data| {
            IdCtrl::parse(data).inspect_err(|e| {
                dev_err!(
                    self.pdev,
                    "Identify Controller data rejected ({:?}): the controller cannot use 64-byte \
                     submission and 16-byte completion queue entries\n",
                    e
                )
            })
        })
    }

    /// Returns the Identify Namespace data of namespace `nsid`.
    ///
    /// The caller decides what a namespace the driver cannot use means; data that makes no
    /// sense is reported here, a format with metadata (`EOPNOTSUPP`) is left to the caller.
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`] and [`IdNs::parse`].
    pub(crate) fn identify_namespace(&self, nsid: u32) -> Result<IdNs> {
        self.identify(CNS_NAMESPACE, nsid, |data| {
            IdNs::parse(data).inspect_err(|e| {
                if *e != EOPNOTSUPP {
                    dev_err!(
                        self.pdev,
                        "namespace {}: Identify Namespace data rejected ({:?}): no blocks, or an \
                         LBA format outside 512 B to 64 KiB blocks\n",
                        nsid,
                        e
                    )
                }
            })
        })
    }

    /// Returns the active namespace IDs, in increasing order, at most [`MAX_NAMESPACES`].
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`]; `EINVAL` if a list is malformed (see [`ActiveNsList::parse`])
    /// or does not continue where the previous one ended; `ENOMEM`.
    pub(crate) fn active_namespaces(&self) -> Result<KVec<u32>> {
        let mut ids = KVec::new();
        let mut after = 0;
        loop {
            let next = self.identify(CNS_ACTIVE_NS_LIST, after, |data| {
                let list = ActiveNsList::parse(data).inspect_err(|e| {
                    dev_err!(self.pdev, "active namespace list rejected: {:?}\n", e)
                })?;
                if list.iter().next().is_some_and(|first| first <= after) {
                    dev_err!(
                        self.pdev,
                        "active namespace list after {} starts at or below it\n",
                        after
                    );
                    return Err(EINVAL);
                }
                for nsid in list.iter() {
                    ids.push(nsid, GFP_KERNEL).inspect_err(|e| {
                        dev_err!(self.pdev, "cannot store namespace IDs: {:?}\n", e)
                    })?;
                }
                // A full list may be followed by more.
                Ok(if list.is_full() { list.last() } else { None })
            })?;
            match next {
                Some(last) if ids.len() < MAX_NAMESPACES => after = last,
                Some(_) => {
                    dev_warn!(
                        self.pdev,
                        "more than {} active namespaces: ignoring the others\n",
                        MAX_NAMESPACES
                    );
                    ids.truncate(MAX_NAMESPACES);
                    return Ok(ids);
                }
                None => return Ok(ids),
            }
        }
    }

    /// Asks for `wanted` I/O submission and completion queues with Set Features (Number of
    /// Queues) and returns how many of each the controller allocated: `(submission,
    /// completion)`, which may be more or fewer than asked for.
    ///
    /// `wanted` is clamped to `1..=65535`.
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`].
    pub(crate) fn set_num_queues(&self, wanted: u32) -> Result<(u32, u32)> {
        // CAST: clamped to `0..=0xfffe`.
        let zero_based = (wanted.clamp(1, MAX_IO_QUEUES) - 1) as u16;
        let result = self.execute(Command::set_num_queues(zero_based, zero_based))?;
        Ok(num_queues_allocated(result))
    }

    /// Creates the completion queue of `queue` on the controller, signalling MSI-X vector
    /// `vector` if one is given, otherwise polled.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `queue` is the admin queue pair; those of [`Admin::execute`].
    pub(crate) fn create_cq(&self, queue: &QueuePair, vector: Option<u16>) -> Result {
        let cmd = Command::create_cq(
            queue.qid(),
            queue.depth(),
            queue.cq_dma(),
            vector.unwrap_or(0),
            vector.is_some(),
        )?;
        self.execute(cmd).map(|_| ())
    }

    /// Creates the submission queue of `queue` on the controller, completing into the
    /// completion queue of the same identifier (create that first).
    ///
    /// # Errors
    ///
    /// `EINVAL` if `queue` is the admin queue pair; those of [`Admin::execute`].
    pub(crate) fn create_sq(&self, queue: &QueuePair) -> Result {
        let cmd = Command::create_sq(queue.qid(), queue.depth(), queue.sq_dma(), queue.qid())?;
        self.execute(cmd).map(|_| ())
    }

    /// Deletes I/O submission queue `qid` (before its completion queue).
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`].
    pub(crate) fn delete_sq(&self, qid: u16) -> Result {
        self.execute(Command::delete_sq(qid)).map(|_| ())
    }

    /// Deletes I/O completion queue `qid` (after the submission queues completing into it).
    ///
    /// # Errors
    ///
    /// Those of [`Admin::execute`].
    pub(crate) fn delete_cq(&self, qid: u16) -> Result {
        self.execute(Command::delete_cq(qid)).map(|_| ())
    }
}
