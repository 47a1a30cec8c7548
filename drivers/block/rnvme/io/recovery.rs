// SPDX-License-Identifier: GPL-2.0

//! When the I/O path goes wrong, and when it ends: the timeout handler, giving up on a failed
//! controller, and deleting the I/O queues at unbind.
//!
//! A request that does not complete in time is first looked for among the completions whose
//! interrupt was lost; then it gets a second period; if it expires again, or the controller
//! reports a fatal status or no longer answers, the controller is disabled and every request it
//! holds fails with `EIO` ([`IoState::fail`]). Abort and controller reset are not implemented.

use kernel::{
    block::mq::{
        ExpiredRequest,
        TimeoutAction, //
    },
    device::{
        self,
        Bound, //
    },
    io::Io,
    pci,
    prelude::*,
    sync::{
        atomic::Relaxed,
        Arc, //
    }, //
};

use super::{
    IoOps,
    IoPath,
    IoQueue,
    IoState,
    Namespace, //
};
use crate::{
    admin::{
        self,
        Admin, //
    },
    driver::Bar0,
    nvme::regs, //
};

/// A request of queue `q` of namespace `ns` did not complete in time: see the
/// [module documentation](self).
pub(super) fn timeout(q: &IoQueue, ns: &Namespace, rq: &ExpiredRequest<IoOps>) -> TimeoutAction {
    let Some(bar) = q.state.bar.try_access() else {
        return TimeoutAction::ResetTimer;
    };
    let state = &q.state;
    let dev = bar.device();
    // blk-mq holds the request during this call, so it is not issued again meanwhile: while
    // the table holds it, its identifier is that of the command that timed out.
    let Some(cid) = q.inflight.command_id_of(rq) else {
        // Completed as the timer fired: its completion ends it.
        return TimeoutAction::Done;
    };
    let _ = q.process_completions(&bar, None);
    if q.inflight.command_id_of(rq).is_none() {
        dev_warn!(
            dev,
            "queue {}: command {:#x} completed without an interrupt\n",
            q.qid(),
            cid
        );
        return TimeoutAction::Done;
    }
    if state.dead.load(Relaxed) {
        // Another timeout gave up on the controller, which fails this request too.
        return TimeoutAction::Done;
    }
    let csts = bar.read(regs::CSTS);
    let broken = csts.is_all_ones() || csts.cfs();
    if !broken && !rq.data().expired.xchg(true, Relaxed) {
        dev_warn!(
            dev,
            "queue {}: command {:#x} timed out; waiting one more period\n",
            q.qid(),
            cid
        );
        return TimeoutAction::ResetTimer;
    }
    dev_err!(
        dev,
        "queue {}: command {:#x} timed out (CSTS {:#x}): disabling the controller\n",
        q.qid(),
        cid,
        csts.into_raw()
    );
    // The guard is an RCU read-side section, and disabling the controller sleeps.
    drop(bar);
    state.fail(&ns.io.queues);
    TimeoutAction::Done
}

impl IoState {
    /// Gives up on the controller after a failure: disables it, so that it no longer touches
    /// host memory, and fails every request it still holds with `EIO`. Later requests fail at
    /// once. Does nothing if that was done already.
    ///
    /// The caller holds no guard of the BAR: waiting for the controller sleeps.
    fn fail(&self, queues: &[Arc<IoQueue>]) {
        if self.dead.xchg(true, Relaxed) {
            return;
        }
        // Reported by `disable`; the requests are failed all the same.
        let _ = admin::disable(&self.dev, || self.bar.try_access().ok_or(ENODEV), self.cap);
        // Revoked: the device is unbound, its disks and their requests are gone.
        let Some(bar) = self.bar.try_access() else {
            return;
        };
        for q in queues {
            q.cancel(&bar);
        }
    }
}

impl IoQueue {
    /// Ends, with `EIO`, every request the driver still owns on this queue, after ending
    /// those the controller completed. The controller must be disabled.
    fn cancel(&self, bar: &Bar0<'_>) {
        // Requests submitted before this point are in the in-flight table; later ones see
        // `dead` under the submission lock and are refused.
        drop(self.submission.lock());
        let _ = self.process_completions(bar, None);
        let mut side = self.completion.lock();
        let dev: &device::Device<Bound> = bar.device().as_ref();
        let mut failed = 0;
        for rq in side.taker.take_all() {
            // Cannot fail: mapped in `queue_rq` for this device. Were it not, the request
            // stays in flight.
            if let Ok(mut rq) = super::release(rq, dev) {
                super::forget_retries(&mut rq);
                rq.end(Err(EIO));
                failed += 1;
            }
        }
        if failed > 0 {
            dev_err!(dev, "queue {}: {} commands failed\n", self.qid(), failed);
        }
    }
}

impl IoPath {
    /// Deletes the I/O queues from the controller: submission queues first, then the
    /// completion queues. Failures are reported and skipped: the controller is shut down and
    /// disabled next anyway.
    pub(crate) fn delete(&self, pdev: &pci::Device<Bound>, admin: Admin<'_>) {
        for q in self.queues.iter() {
            let qid = q.qid();
            if let Err(e) = admin.delete_sq(qid).and_then(|()| admin.delete_cq(qid)) {
                dev_err!(pdev, "cannot delete I/O queue {}: {:?}\n", qid, e);
            }
        }
    }
}
