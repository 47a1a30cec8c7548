// SPDX-License-Identifier: GPL-2.0
// EXPECT: error[E0599]: no method named `end` found for struct `MappedRequest<Ops>`
//
// End a request whose data is still mapped for DMA: a mapped request has no
// `end`; `unmap` gives back the owner that can end it.

include!("common.rs");

#[allow(dead_code)]
fn complete(rq: MappedRequest<Ops>) {
    rq.end(Ok(()));
}
