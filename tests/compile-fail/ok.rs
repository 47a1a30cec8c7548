// SPDX-License-Identifier: GPL-2.0
// EXPECT: compiles
//
// The control: the correct use of each API the other snippets misuse, so
// that a snippet fails for the misuse it shows and not for the harness.

include!("common.rs");

#[allow(dead_code)]
fn issue_then_complete(
    rq: OwnedRequest<Ops>,
    table: &InFlight<Ops>,
    taker: &mut InFlightTaker<Ops>,
    dev: &Device<Bound>,
    batch: &mut IoCompBatch<'_, Ops>,
) -> Result<(), (OwnedRequest<Ops>, Error)> {
    let rq = rq.dma_map(dev, |_addr, _len| Ok(()))?;
    let cid = match table.issue(rq) {
        Ok(cid) => cid,
        Err(rq) => {
            return match rq.unmap(dev) {
                Ok(rq) => Err((rq, EIO)),
                Err(_) => Ok(()),
            }
        }
    };
    if let Ok(rq) = taker.take(cid) {
        if let Ok(rq) = rq.unmap(dev) {
            batch.end_ok(rq);
        }
    }
    Ok(())
}

#[allow(dead_code)]
fn timeout_takes_from_the_table(
    rq: &ExpiredRequest<Ops>,
    taker: &mut InFlightTaker<Ops>,
    dev: &Device<Bound>,
) -> TimeoutAction {
    match taker.take_request(rq).map(|rq| rq.unmap(dev)) {
        Some(Ok(rq)) => {
            rq.end(Err(ETIMEDOUT));
            TimeoutAction::Done
        }
        Some(Err(_)) => TimeoutAction::Done,
        None => TimeoutAction::ResetTimer,
    }
}
