// SPDX-License-Identifier: GPL-2.0
// EXPECT: error[E0599]: no method named `complete` found for reference `&ExpiredRequest<Ops>`
//
// Scenario 4: the timeout handler turns its view of the request into a handle
// that can complete it, while the completion path may be ending the same
// request. The view has no way to end or complete the request, or to become
// its owner: the owner comes only from the in-flight table.

include!("common.rs");

#[allow(dead_code)]
fn timeout(rq: &ExpiredRequest<Ops>) -> TimeoutAction {
    rq.complete();
    TimeoutAction::Done
}
