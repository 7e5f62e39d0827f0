//! What the command line needs for claims (`[team]`): the clock a claim is judged by, and the
//! look at the stored flags a dry run makes (no network, nothing claimed).

use crate::config::Config;
use crate::store::Store;
use crate::team::{marks, Clerk};
use chrono::{DateTime, Utc};

/// Now; `DUEBOX_NOW` (RFC 3339) sets the clock for the tests of claims that expire, as
/// `DUEBOX_FAILPOINT` sets crashes: nobody waits half an hour in a test.
pub fn now() -> DateTime<Utc> {
    std::env::var("DUEBOX_NOW")
        .ok()
        .and_then(|v| DateTime::parse_from_rfc3339(v.trim()).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}

/// Another clerk's claim on the message as the last sync saw it, in words with what to do;
/// None without [team], or when nobody (or only a stale claim) holds it.
pub fn held_here(config: &Config, store: &Store, row: i64) -> anyhow::Result<Option<String>> {
    let Some(team) = &config.team else {
        return Ok(None);
    };
    let Some(place) = store.message_place(row)? else {
        return Ok(None);
    };
    let me = Clerk::new(&team.clerk);
    Ok(
        marks::held_by_other(place.flags.split_whitespace(), Some(&me), now())
            .filter(|m| !m.stale(now(), team.claim_minutes))
            .map(|m| {
                format!(
                    "{} (as the last sync saw it); leave it to them, or pass --take-over",
                    m.words_in(&chrono::Local)
                )
            }),
    )
}
