// SPDX-License-Identifier: GPL-2.0
// EXPECT: error[E0599]: no method named `clone` found for struct `OwnedRequest<Ops>`
//
// Scenario 2: keep a second handle on a request past its end, which would
// reach the request after its tag is reused or its tag set is freed. The
// owner is unique: it cannot be cloned.

include!("common.rs");

#[allow(dead_code)]
fn keep(rq: OwnedRequest<Ops>) -> OwnedRequest<Ops> {
    let kept = rq.clone();
    rq.end(Ok(()));
    kept
}
