//! A folder as stored against the same folder on the server: which UIDs left and which are
//! new, and which flags changed, read in bounded ranges so a folder of any size is compared
//! without holding it whole on either side. Only reads the server (never changes it).

use super::engine::{Report, SyncError};
use super::server::MailServer;
use crate::store::{Store, StoreError};
use std::collections::HashMap;

/// The UIDs only in `local` (gone from the server) and only in `on_server` (new), both
/// lists ascending.
pub(super) fn differences(local: &[u32], on_server: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let (mut gone, mut new) = (Vec::new(), Vec::new());
    let (mut l, mut s) = (0, 0);
    while l < local.len() && s < on_server.len() {
        match local[l].cmp(&on_server[s]) {
            std::cmp::Ordering::Equal => {
                l += 1;
                s += 1;
            }
            std::cmp::Ordering::Less => {
                gone.push(local[l]);
                l += 1;
            }
            std::cmp::Ordering::Greater => {
                new.push(on_server[s]);
                s += 1;
            }
        }
    }
    gone.extend_from_slice(&local[l..]);
    new.extend_from_slice(&on_server[s..]);
    (gone, new)
}

/// How many stored messages' flags are compared with the server's at once: a folder of any
/// size is read in ranges of this many, so neither side is ever held whole.
const FLAGS_CHUNK: usize = 5_000;

/// Brings the stored flags of `local` (ascending UIDs) up to the server's, range by range
/// (with `since`, only messages changed after that mod-sequence); false when some messages
/// vanished meanwhile, so their changes may not all have been read.
pub(super) fn update_flags(
    server: &mut dyn MailServer,
    store: &mut Store,
    folder: i64,
    local: &[u32],
    since: Option<u64>,
    report: &mut Report,
) -> Result<bool, SyncError> {
    let mut complete = true;
    for chunk in local.chunks(FLAGS_CHUNK) {
        let (first, last) = (chunk[0], chunk[chunk.len() - 1]);
        let changes = match server.flags(&format!("{first}:{last}"), since) {
            Err(e) if e.vanished => {
                complete = false;
                continue;
            }
            other => other?,
        };
        if changes.is_empty() {
            continue;
        }
        let known: HashMap<u32, String> = store
            .local_flags(folder, first, last)?
            .into_iter()
            .collect();
        store.in_bulk(|s| -> Result<_, StoreError> {
            for (uid, flags) in changes {
                let flags = flags.join(" ");
                if known.get(&uid).is_some_and(|old| *old != flags) {
                    s.set_flags(folder, uid, &flags)?;
                    report.flag_changes += 1;
                }
            }
            Ok(())
        })?;
    }
    Ok(complete)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The merge gives what set differences give, in ascending order.
        #[test]
        fn differences_are_the_set_differences(
            local in proptest::collection::btree_set(1u32..400, 0..120),
            on_server in proptest::collection::btree_set(1u32..400, 0..120),
        ) {
            let l: Vec<u32> = local.iter().copied().collect();
            let s: Vec<u32> = on_server.iter().copied().collect();
            let (gone, new) = differences(&l, &s);
            let want_gone: Vec<u32> = local.difference(&on_server).copied().collect();
            let want_new: Vec<u32> = on_server.difference(&local).copied().collect();
            prop_assert_eq!(gone, want_gone);
            prop_assert_eq!(new, want_new);
        }
    }
}
