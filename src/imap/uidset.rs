//! UID sets cut into commands a server will take: a stage group of 20,000 scattered messages
//! written as one set ("4,7,9:12,…") is longer than a server's command line (Dovecot refuses
//! past 64 KB with "Too long argument"), so every command that takes a set is sent once per
//! chunk, each chunk sized by the whole command's length in bytes, never by a count of UIDs.
//! Pure: no I/O here.

/// The longest command line duebox sends to a server it does not know. RFC 7162 §4 asks
/// clients to keep command lines under 8192 octets; servers allow at least that.
pub const MAX_COMMAND: usize = 8000;

/// The longest command line duebox sends to a server known to take longer ones (Dovecot
/// reads up to `imap_max_line_length`, 64 KB by default). Fewer, longer commands matter in a
/// large mailbox: each MOVE costs the server a look at the whole folder, so filing 70,000
/// messages in 8 KB commands cost Dovecot 36 s of CPU where 1 s would do. A server that was
/// configured shorter says BAD, and the session keeps to [`MAX_COMMAND`] from then on.
pub const LONG_COMMAND: usize = 60_000;

/// The sorted, de-duplicated UIDs as runs of consecutive numbers, each `(first, last)`.
pub fn runs(uids: &[u32]) -> Vec<(u32, u32)> {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for uid in sorted {
        match out.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(uid) => *last = uid,
            _ => out.push((uid, uid)),
        }
    }
    out
}

fn write_run(out: &mut String, (first, last): (u32, u32)) {
    use std::fmt::Write;
    if !out.is_empty() {
        out.push(',');
    }
    let _ = if first == last {
        write!(out, "{first}")
    } else {
        write!(out, "{first}:{last}")
    };
}

/// The UID sets for a command whose text around the set takes `fixed` bytes: every UID in
/// exactly one set, consecutive UIDs as one range, and each command at most `limit` bytes
/// long (a set always holds at least one range, which is at most 21 bytes).
pub fn chunks(uids: &[u32], fixed: usize, limit: usize) -> Vec<String> {
    chunks_within(uids, room(fixed, limit))
}

/// The room a command of `fixed` bytes around its set leaves the set under `limit`.
fn room(fixed: usize, limit: usize) -> usize {
    limit.saturating_sub(fixed).max(21)
}

/// Sends `send` once per set of `uids` for a command of `fixed` bytes around the set, each at
/// most `limit` bytes. A set longer than [`MAX_COMMAND`] that the server could not take
/// (`too_long`: it said BAD, so nothing was done) is sent again, its runs in sets of
/// [`MAX_COMMAND`], and `limit` drops to that for the rest of the session.
pub fn each_set<E>(
    uids: &[u32],
    fixed: usize,
    limit: &mut usize,
    too_long: impl Fn(&E) -> bool,
    mut send: impl FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    let runs = runs(uids);
    for (set, held) in cut(&runs, room(fixed, *limit)) {
        match send(&set) {
            Err(e) if set.len() + fixed > MAX_COMMAND && too_long(&e) => {
                *limit = MAX_COMMAND;
                for (short, _) in cut(&runs[held], room(fixed, MAX_COMMAND)) {
                    send(&short)?;
                }
            }
            other => other?,
        }
    }
    Ok(())
}

/// [`chunks`] with the room for the set given directly.
pub fn chunks_within(uids: &[u32], room: usize) -> Vec<String> {
    cut(&runs(uids), room)
        .into_iter()
        .map(|(set, _)| set)
        .collect()
}

/// `runs` written as sets of at most `room` bytes (a run alone may be longer), each with the
/// range of `runs` it holds.
fn cut(runs: &[(u32, u32)], room: usize) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut first = 0;
    let mut piece = String::new();
    for (i, &run) in runs.iter().enumerate() {
        piece.clear();
        write_run(&mut piece, run);
        let needed = piece.len() + usize::from(!current.is_empty());
        if !current.is_empty() && current.len() + needed > room {
            out.push((std::mem::take(&mut current), first..i));
            first = i;
        }
        write_run(&mut current, run);
    }
    if !current.is_empty() {
        out.push((current, first..runs.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The UIDs a set names ("1:3,7" → 1, 2, 3, 7), in its order; `None` for anything that is not
    /// a UID set of numbers (a `*` included).
    fn expand(set: &str) -> Option<Vec<u32>> {
        let mut out = Vec::new();
        for part in set.split(',') {
            let (first, last) = match part.split_once(':') {
                Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
                None => {
                    let uid = part.parse::<u32>().ok()?;
                    (uid, uid)
                }
            };
            out.extend(first.min(last)..=first.max(last));
        }
        Some(out)
    }

    #[test]
    fn runs_are_joined_and_sets_cut_by_length() {
        assert_eq!(
            chunks(&[9, 1, 2, 3, 7, 10, 11, 12, 3], 20, MAX_COMMAND),
            vec!["1:3,7,9:12"]
        );
        assert_eq!(chunks_within(&[1, 3, 5, 7], 3), vec!["1,3", "5,7"]);
        assert_eq!(
            chunks_within(&[u32::MAX, u32::MAX - 1], 1),
            vec!["4294967294:4294967295"]
        );
        assert!(chunks(&[], 10, MAX_COMMAND).is_empty());
        // Every other UID of 100,000: far past one command line.
        let scattered: Vec<u32> = (1..100_000).step_by(2).collect();
        let sets = chunks(&scattered, 40, MAX_COMMAND);
        assert!(sets.len() > 30);
        assert!(sets.iter().all(|s| s.len() + 40 <= MAX_COMMAND));
        let long = chunks(&scattered, 40, LONG_COMMAND);
        assert!(long.len() * 7 <= sets.len() && long.len() > 4);
        assert!(long.iter().all(|s| s.len() + 40 <= LONG_COMMAND));
        assert_eq!(expand("1:3,7,9:8"), Some(vec![1, 2, 3, 7, 8, 9]));
        assert_eq!(expand("1:*"), None);
    }

    #[test]
    fn a_long_set_the_server_cannot_take_is_sent_again_short() {
        let scattered: Vec<u32> = (1..20_000).step_by(2).collect();
        let mut limit = LONG_COMMAND;
        let mut sent: Vec<String> = Vec::new();
        // A server that reads at most 16 KB a line.
        let result = each_set(
            &scattered,
            40,
            &mut limit,
            |e: &String| e == "BAD",
            |set| {
                if set.len() + 40 > 16_000 {
                    return Err("BAD".to_string());
                }
                sent.push(set.to_string());
                Ok(())
            },
        );
        assert_eq!(result, Ok(()));
        assert_eq!(limit, MAX_COMMAND);
        let mut covered: Vec<u32> = sent.iter().flat_map(|s| expand(s).unwrap()).collect();
        covered.sort_unstable();
        assert_eq!(covered, scattered, "every UID sent once");
        // Another refusal is the caller's, never retried.
        let mut limit = LONG_COMMAND;
        let refused = each_set(
            &scattered,
            40,
            &mut limit,
            |e: &String| e == "BAD",
            |_| Err("NO".to_string()),
        );
        assert_eq!(refused, Err("NO".to_string()));
        assert_eq!(limit, LONG_COMMAND);
    }

    proptest! {
        #[test]
        fn every_uid_once_every_chunk_fits_runs_compressed(
            uids in proptest::collection::vec(1u32..5_000, 0..2_000),
            room in 1usize..200,
        ) {
            let sets = chunks_within(&uids, room);
            let mut covered: Vec<u32> = sets.iter().flat_map(|s| expand(s).unwrap()).collect();
            let mut expected = uids.clone();
            expected.sort_unstable();
            expected.dedup();
            let n = covered.len();
            covered.sort_unstable();
            covered.dedup();
            prop_assert_eq!(n, covered.len(), "a UID in two sets");
            prop_assert_eq!(&covered, &expected);
            for set in &sets {
                let parts: Vec<&str> = set.split(',').collect();
                // Over the room only when one range alone is longer than the room.
                prop_assert!(set.len() <= room.max(21) && (set.len() <= room || parts.len() == 1));
            }
            // Compressed: no two runs, in one set or across sets, could have been one.
            let all: Vec<(u32, u32)> = sets
                .iter()
                .flat_map(|s| s.split(','))
                .map(|p| {
                    let v = expand(p).unwrap();
                    (v[0], *v.last().unwrap())
                })
                .collect();
            prop_assert_eq!(all.len(), runs(&uids).len());
            for w in all.windows(2) {
                prop_assert!(w[0].1 + 1 < w[1].0, "runs {:?} and {:?} not joined", w[0], w[1]);
            }
        }
    }
}
