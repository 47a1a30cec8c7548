// SPDX-License-Identifier: GPL-2.0
// EXPECT: error[E0308]: mismatched types
// EXPECT: expected `OwnedRequest<Ops>`, found `MappedRequest<Ops>`
//
// Scenario 3: end a request whose data is still mapped for DMA (here through
// the completion batch), so that a later unmap would bounce into freed pages.
// Only an unmapped owner can be ended.

include!("common.rs");

#[allow(dead_code)]
fn complete(rq: MappedRequest<Ops>, batch: &mut IoCompBatch<'_, Ops>) {
    batch.end_ok(rq);
}
