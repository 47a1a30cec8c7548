// SPDX-License-Identifier: GPL-2.0
// EXPECT: error[E0382]: borrow of moved value: `rq`
//
// Use a request after ending it: ending consumes the owner.

include!("common.rs");

#[allow(dead_code)]
fn complete(rq: OwnedRequest<Ops>) -> u32 {
    rq.end(Ok(()));
    rq.tag()
}
