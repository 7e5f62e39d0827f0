//! Commands on messages that another client may expunge or move at any moment, run through
//! the `imap` crate: a `NO` is answered with a NOOP and one more try, and a second `NO` is
//! vanished messages (`ServerError::vanished`), never a broken connection. Also the UIDs a
//! conditional STORE reports as modified. (raw.rs does the same for the commands duebox
//! reads itself.)

use super::protocol;
use super::wire::Wire;
use crate::sync::server::{ServerError, ServerResult};

/// Runs a command on messages that another client may expunge or move at any moment. A
/// `NO` (Dovecot's `[EXPUNGEISSUED]`, or a refusal of part of a UID set) is answered with a
/// NOOP, which brings the expunges into our view, and one more try; a second `NO` is
/// reported as vanished messages, never as a broken connection. A STORE is different (see
/// [`storing`]).
pub(super) fn on_messages<T>(
    session: &mut imap::Session<Wire>,
    command: impl FnMut(&mut imap::Session<Wire>) -> imap::Result<T>,
) -> ServerResult<T> {
    twice(session, |_| true, command)
}

/// As [`on_messages`] for a STORE, where a second `NO` counts as vanished messages only when
/// it says so (`EXPUNGEISSUED`, RFC 5530's `NONEXISTENT`): any other is the server refusing
/// the flags (a keyword it will not keep), which must be said, not skipped.
pub(super) fn storing<T>(
    session: &mut imap::Session<Wire>,
    command: impl FnMut(&mut imap::Session<Wire>) -> imap::Result<T>,
) -> ServerResult<T> {
    twice(session, says_gone, command)
}

fn twice<T>(
    session: &mut imap::Session<Wire>,
    gone: impl Fn(&imap::error::No) -> bool,
    mut command: impl FnMut(&mut imap::Session<Wire>) -> imap::Result<T>,
) -> ServerResult<T> {
    match command(session) {
        Err(imap::Error::No(_)) => {
            session.noop().map_err(protocol)?;
            command(session).map_err(|e| match e {
                imap::Error::No(no) if gone(&no) => ServerError::vanished(format!(
                    "some messages no longer exist: {}",
                    crate::mail::sanitize::one_line(&no.to_string())
                )),
                e => protocol(e),
            })
        }
        other => other.map_err(protocol),
    }
}

/// Whether a `NO` says that some of the messages asked for no longer exist.
fn says_gone(no: &imap::error::No) -> bool {
    let words = format!("{} {:?}", no.information, no.code).to_ascii_uppercase();
    words.contains("EXPUNGEISSUED") || words.contains("NONEXISTENT")
}

/// The UIDs in a tagged `[MODIFIED 3,5:7]` (RFC 7162), none when there is no such code.
pub(super) fn modified_set(tagged: &str) -> Vec<u32> {
    let Some(start) = tagged.find("[MODIFIED ") else {
        return Vec::new();
    };
    let rest = &tagged[start + "[MODIFIED ".len()..];
    let set = &rest[..rest.find(']').unwrap_or(rest.len())];
    let mut uids = Vec::new();
    for part in set.split(',') {
        let mut ends = part.trim().splitn(2, ':').map(|n| n.parse::<u32>().ok());
        match (ends.next().flatten(), ends.next().flatten()) {
            (Some(a), Some(b)) => uids.extend(a.min(b)..=a.max(b).min(a.min(b) + 100_000)),
            (Some(a), None) => uids.push(a),
            _ => {}
        }
    }
    uids
}
