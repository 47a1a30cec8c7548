// SPDX-License-Identifier: GPL-2.0
// EXPECT: error[E0382]: use of moved value: `rq`
//
// Requeue a request and then end it (or requeue it again): blk-mq owns it
// once it is requeued, and may already have dispatched it to queue_rq.

include!("common.rs");

#[allow(dead_code)]
fn retry(rq: OwnedRequest<Ops>) {
    rq.requeue(kernel::time::Delta::from_millis(0));
    rq.end(Ok(()));
}
