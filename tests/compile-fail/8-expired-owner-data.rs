// SPDX-License-Identifier: GPL-2.0
// EXPECT: error[E0599]: no method named `owner_data` found for reference `&ExpiredRequest<Ops>`
//
// Reach the owner's data of a request from the timeout handler, while the
// owner may be changing it: the view gives only the shared driver data.

include!("common.rs");

#[allow(dead_code)]
fn timeout(rq: &ExpiredRequest<Ops>) -> TimeoutAction {
    let _ = rq.owner_data();
    TimeoutAction::Done
}
