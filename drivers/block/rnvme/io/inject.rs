// SPDX-License-Identifier: GPL-2.0

//! A test hook, built only with `CONFIG_RNVME_COMPLETION_INJECT`: completions that the
//! controller did not post, to show that the in-flight table ignores stale, bogus and
//! duplicate command identifiers.
//!
//! `/sys/kernel/debug/rnvme<instance>/inject_completion`:
//! - reading it lists the commands in flight, one `<qid> <cid>` line each, in decimal;
//! - writing `<qid> <cid>` processes a successful completion of command `cid` on I/O queue
//!   `qid` exactly as one the controller posted, under the queue's completion lock.

use kernel::{
    debugfs,
    fmt,
    prelude::*,
    str::CString,
    sync::Arc,
    uaccess::UserSliceReader, //
};

use super::{
    CompletionSide,
    IoPath,
    IoQueue, //
};
use crate::nvme::cmd::Status;

/// The hook's file; removed, with its directory, when dropped.
pub(crate) type InjectFile = Pin<KBox<debugfs::File<Arc<IoPath>>>>;

/// Creates the hook of controller `rnvme<instance>`, whose I/O path is `path`.
pub(crate) fn create(instance: u32, path: &Arc<IoPath>) -> Result<InjectFile> {
    let name = CString::try_from_fmt(fmt!("rnvme{}", instance))?;
    let dir = debugfs::Dir::new(&name);
    KBox::pin_init(
        dir.read_write_callback_file(c"inject_completion", path.clone(), &list, &inject),
        GFP_KERNEL,
    )
}

/// Lists the commands in flight.
fn list(path: &Arc<IoPath>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for q in path.queues.iter() {
        for cid in q.inflight.command_ids() {
            writeln!(f, "{} {}", q.qid(), cid)?;
        }
    }
    Ok(())
}

/// Parses `<qid> <cid>` and injects that completion.
fn inject(path: &Arc<IoPath>, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; 32];
    let n = reader.len();
    if n > buf.len() {
        return Err(EINVAL);
    }
    reader.read_slice(&mut buf[..n])?;
    let text = core::str::from_utf8(&buf[..n]).map_err(|_| EINVAL)?;
    let mut words = text.split_whitespace();
    let mut number = || -> Result<u16> { words.next().ok_or(EINVAL)?.parse().map_err(|_| EINVAL) };
    let (qid, cid) = (number()?, number()?);
    if words.next().is_some() {
        return Err(EINVAL);
    }
    let q = usize::from(qid)
        .checked_sub(1)
        .and_then(|i| path.queues.get(i))
        .ok_or(EINVAL)?;
    q.inject_completion(cid)
}

impl IoQueue {
    /// Processes a successful completion of command `cid`, as if the controller had posted it.
    fn inject_completion(&self, cid: u16) -> Result {
        let bar = self.state.bar.try_access().ok_or(ENODEV)?;
        let mut side = self.completion.lock();
        let CompletionSide { taker, stale, .. } = &mut *side;
        self.end(taker, stale, &bar, (cid, Status::from_raw(0)), &mut None);
        Ok(())
    }
}
