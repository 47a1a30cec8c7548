// SPDX-License-Identifier: GPL-2.0
// EXPECT: error[E0382]: use of moved value: `rq`
//
// Scenario 1: queue_rq returns an error for a request it already made
// reachable (issued to the device, so a completion may end it). Issuing moves
// the owner into the in-flight table, so there is nothing left to return.

include!("common.rs");

#[allow(dead_code)]
fn queue(rq: OwnedRequest<Ops>, table: &InFlight<Ops>) -> Result<(), (OwnedRequest<Ops>, Error)> {
    let _cid = table.issue(MappedRequest::from(rq));
    Err((rq, EBUSY))
}
