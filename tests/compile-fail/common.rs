// SPDX-License-Identifier: GPL-2.0
//
// Shared by the compile-fail snippets (included, not built on its own): a
// minimal blk-mq driver whose types the misuse in each snippet is written
// against. tools/workbench/compile_fail.py builds each snippet as a module.

use kernel::{
    block::mq::{
        DmaSegments, ExpiredRequest, InFlight, InFlightTaker, IoCompBatch, MappedRequest,
        Operations, OwnedRequest, Request, TimeoutAction,
    },
    device::{Bound, Device},
    prelude::*,
};

module! {
    type: Snippet,
    name: "compile_fail_snippet",
    authors: ["rnvme developers"],
    description: "A misuse of the blk-mq abstractions that must not compile",
    license: "GPL",
}

struct Snippet;

impl kernel::Module for Snippet {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Snippet)
    }
}

struct Ops;

#[vtable]
impl Operations for Ops {
    type QueueData = ();
    type RequestData = ();
    type OwnerData = ();
    type Dma = DmaSegments<4>;
    type TagSetData = ();
    type HwData = ();

    fn init_request_data() -> impl PinInit<(), Error> {
        Ok(())
    }

    fn init_hctx(_tagset_data: (), _queue_data: (), _hctx_idx: u32) -> Result {
        Ok(())
    }

    fn queue_rq(
        _hw_data: (),
        _queue_data: (),
        rq: OwnedRequest<Self>,
        _is_last: bool,
    ) -> Result<(), (OwnedRequest<Self>, Error)> {
        rq.end(Ok(()));
        Ok(())
    }

    fn commit_rqs(_hw_data: (), _queue_data: ()) {}

    fn complete(rq: OwnedRequest<Self>) {
        rq.end(Ok(()));
    }
}

// Keeps the imports used whichever snippet includes this file.
#[allow(dead_code)]
fn uses(
    _: Option<(&InFlight<Ops>, &InFlightTaker<Ops>, &MappedRequest<Ops>, &Request<Ops>)>,
    _: Option<&ExpiredRequest<Ops>>,
    _: Option<(&IoCompBatch<'_, Ops>, &Device<Bound>, TimeoutAction)>,
) {
}
