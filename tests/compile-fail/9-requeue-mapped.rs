// SPDX-License-Identifier: GPL-2.0
// EXPECT: error[E0599]: no method named `requeue` found for struct `MappedRequest<Ops>`
//
// Requeue a request whose data is still mapped for DMA: blk-mq would dispatch
// it again with the old mapping never undone. Only an unmapped owner can
// requeue.

include!("common.rs");

#[allow(dead_code)]
fn retry(rq: MappedRequest<Ops>) {
    rq.requeue(kernel::time::Delta::from_millis(0));
}
