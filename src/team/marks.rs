//! The marks a claim leaves on a message, as every client reads them: the keywords
//! `$DueboxClaimed`, `$DueboxBy_<clerk>` and the time's bits `$DueboxT0`..`$DueboxT11`, and
//! the folder "In progress/<clerk>" of the move fallback. Pure: words and values in, words and
//! values out, no clock (the time is passed in) and no I/O.
//!
//! Why keywords for the time: a claim must be one compare-and-set, so everything another
//! clerk needs to judge it (who, since when) is written by the same conditional STORE and read
//! with the flags every sync already fetches — no second command, no second place to agree on.
//!
//! Why bits, not one keyword per minute: servers keep few keywords per folder (Dovecot's
//! Maildir 26, Cyrus 128 user flags), and a keyword once used stays in the folder's list. One
//! `$DueboxAt_<minute>` per claim filled that list within weeks, after which the server
//! refused new keywords: claims failed, and so did duebox's other keyword STOREs there. The
//! time is now the step of [`STEP_MINUTES`] minutes it falls in, counted modulo 4095 and
//! stored plus one (so it is never 0: at least one bit is set, and a claim with a time never
//! reads as one without) as the set bits of 12 keywords: 12 names per folder, ever, whatever
//! the date. It is read back as the latest such step not after now (plus a little clock
//! skew), so it aliases only after 4095 steps, about 14 days: a claim left by a killed process
//! reads stale from `claim_minutes` after it was taken until then, and every claim (taking it
//! over) replaces it with fresh bits. The time is known to the step only, so a claim counts as
//! stale a step late (never early), and the words say "since about 10:40".
//! `$DueboxAt_<minute>` keywords from claims made before are still read, exactly.

use chrono::{DateTime, TimeZone, Utc};

/// Says that a message is claimed (with the clerk's and the time's keywords beside it).
pub const CLAIMED: &str = "$DueboxClaimed";
const BY: &str = "$DueboxBy_";
/// The exact minute of claims made before the time became bits (read, never written).
const AT: &str = "$DueboxAt_";
/// The time's bit keywords: `$DueboxT0` (lowest) to `$DueboxT11`.
const BIT: &str = "$DueboxT";
const BITS: u32 = 12;
/// How many steps the bits tell apart (one value, 0, means "no time").
const PERIOD: i64 = (1 << BITS) - 1;
/// How coarse the time of a claim is, in minutes.
pub const STEP_MINUTES: i64 = 5;
/// How far ahead another clerk's clock may be (in steps) and its claim still read as now.
const SKEW_STEPS: i64 = 2;
/// The parent of the per-clerk folders of the move fallback.
pub const IN_PROGRESS: &str = "In progress";
/// Dovecot's default `mail_max_keyword_length`; longer names are cut (the display loses the
/// rest, the keyword stays unique enough for a team).
const MAX_KEYWORD: usize = 50;

/// A clerk as the others see them: the name from `[team] clerk` and the keyword it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clerk {
    pub name: String,
    /// `$DueboxBy_<name encoded>`: IMAP atom characters only.
    pub keyword: String,
}

impl Clerk {
    /// The clerk named `name` (trimmed). Letters, digits, `-` and `.` stay; every other byte
    /// (spaces, accents, `(`, `\`, `%`, `*`, `]`, control characters) becomes `=XX`, so the
    /// keyword is a valid atom on every server and the name can be read back from it.
    pub fn new(name: &str) -> Clerk {
        let name = crate::mail::sanitize::one_line(name.trim());
        let mut keyword = String::from(BY);
        for b in name.bytes() {
            let piece = if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            };
            if keyword.len() + piece.len() > MAX_KEYWORD {
                break;
            }
            keyword.push_str(&piece);
        }
        Clerk { name, keyword }
    }

    /// The folder this clerk's claims go to without keywords: "In progress/<name>", the
    /// name without the characters that separate or wildcard folder levels.
    pub fn folder(&self) -> String {
        let safe: String = self
            .name
            .chars()
            .map(|c| {
                if matches!(c, '/' | '.' | '\\' | '%' | '*' | '"') || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let safe = safe
            .strip_prefix(LOCK)
            .map(|s| format!("_{s}"))
            .unwrap_or(safe);
        format!(
            "{IN_PROGRESS}/{}",
            if safe.is_empty() { "_" } else { &safe }
        )
    }

    /// Whether a `$DueboxBy_` keyword is this clerk's (keywords compare without case on
    /// the servers, so names do too).
    pub fn owns(&self, keyword: &str) -> bool {
        keyword.eq_ignore_ascii_case(&self.keyword)
    }

    /// The keywords a claim made now stores.
    pub fn claim_keywords(&self, now: DateTime<Utc>) -> Vec<String> {
        let mut words = vec![CLAIMED.to_string(), self.keyword.clone()];
        words.extend(time_keywords(now));
        words
    }
}

/// The step (of [`STEP_MINUTES`] since 1970) that `t` falls in.
fn step_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60 * STEP_MINUTES)
}

/// The bit keywords of the time `now`: the set bits of its step modulo 4095, plus one.
pub fn time_keywords(now: DateTime<Utc>) -> Vec<String> {
    let value = step_of(now).rem_euclid(PERIOD) + 1;
    (0..BITS)
        .filter(|b| value >> b & 1 == 1)
        .map(|b| format!("{BIT}{b}"))
        .collect()
}

/// The bit number of a `$DueboxT<n>` keyword.
fn bit_of(keyword: &str) -> Option<u32> {
    let rest = keyword
        .get(..BIT.len())
        .filter(|p| p.eq_ignore_ascii_case(BIT))
        .map(|_| &keyword[BIT.len()..])?;
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse::<u32>().ok().filter(|&n| n < BITS)
}

/// The start of the step the bits among `flags` say, read as the latest such step not after
/// `now` (plus [`SKEW_STEPS`]); None without any bit.
fn time_of_bits<'a>(
    flags: impl IntoIterator<Item = &'a str>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let value = flags
        .into_iter()
        .filter_map(bit_of)
        .fold(0i64, |v, b| v | 1 << b);
    if value == 0 {
        return None;
    }
    let residue = (value - 1).rem_euclid(PERIOD);
    let latest = step_of(now) + SKEW_STEPS;
    let step = latest - (latest - residue).rem_euclid(PERIOD);
    Utc.timestamp_opt(step.checked_mul(60 * STEP_MINUTES)?, 0)
        .single()
}

/// The lock folder of the move fallback for one chaser: "In progress/~<16 hex digits>" of a
/// hash of its Message-ID (or of its place, without one). A MOVE alone is no lock on every
/// server (Dovecot's Maildir copies, then expunges: two clerks moving the same message at
/// once both get a copy); a CREATE is, everywhere: of two CREATEs of one name, one fails.
pub fn lock_folder(key: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.trim().trim_matches(['<', '>']).to_ascii_lowercase());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{IN_PROGRESS}/{LOCK}{hex}")
}

/// How lock folders begin (never a clerk's folder: their names cannot begin so).
pub const LOCK: &str = "~";

/// A claim on a message, read from its flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Who holds it (the name read back from the keyword).
    pub clerk: String,
    /// The `$DueboxBy_` keyword as the server spelled it.
    pub keyword: String,
    /// When it was taken (the start of its step when `approximate`); None when no time
    /// keyword could be read.
    pub since: Option<DateTime<Utc>>,
    /// The time is known to [`STEP_MINUTES`] only (the bit keywords).
    pub approximate: bool,
}

impl Mark {
    /// Whether the claim is older than `minutes` at `now` (a claim without a time is never
    /// stale: nobody can tell, so only an explicit override takes it).
    /// An approximate time counts from the end of its step: a claim never expires early.
    pub fn stale(&self, now: DateTime<Utc>, minutes: u32) -> bool {
        let late = if self.approximate { STEP_MINUTES } else { 0 };
        self.since
            .is_some_and(|s| now - s >= chrono::Duration::minutes(i64::from(minutes) + late))
    }

    /// "since about 10:40" (or "since 10:42" for an exact time), in `tz` with `format`.
    pub fn since_words<Tz: TimeZone>(&self, tz: &Tz, format: &str) -> Option<String>
    where
        Tz::Offset: std::fmt::Display,
    {
        let about = if self.approximate { "about " } else { "" };
        self.since
            .map(|s| format!("since {about}{}", s.with_timezone(tz).format(format)))
    }

    /// "Maria is answering this (since about 10:40)", the time in `tz`.
    pub fn words_in<Tz: TimeZone>(&self, tz: &Tz) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        match self.since_words(tz, "%H:%M") {
            Some(s) => format!("{} is answering this ({s})", self.clerk),
            None => format!("{} is answering this", self.clerk),
        }
    }
}

/// Every claim in a message's flags, the newest time shared by all (a message carries more
/// than one clerk only after an override), the bits read as of `now`. Empty without
/// `$DueboxClaimed`: a clerk's keyword left behind by a release that was cut off is no claim.
pub fn marks<'a>(
    flags: impl IntoIterator<Item = &'a str> + Clone,
    now: DateTime<Utc>,
) -> Vec<Mark> {
    let has = |prefix: &str, f: &str| {
        f.len() > prefix.len() && f[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    if !flags
        .clone()
        .into_iter()
        .any(|f| f.eq_ignore_ascii_case(CLAIMED))
    {
        return Vec::new();
    }
    let exact = flags
        .clone()
        .into_iter()
        .filter(|f| has(AT, f))
        .filter_map(|f| f[AT.len()..].parse::<i64>().ok())
        .max()
        .and_then(|m| Utc.timestamp_opt(m.checked_mul(60)?, 0).single());
    let (since, approximate) = match time_of_bits(flags.clone(), now) {
        Some(bits) if exact.is_none_or(|e| bits > e) => (Some(bits), true),
        _ => (exact, false),
    };
    flags
        .into_iter()
        .filter(|f| has(BY, f))
        .map(|f| Mark {
            clerk: decode(&f[BY.len()..]),
            keyword: f.to_string(),
            since,
            approximate,
        })
        .collect()
}

/// The claim keywords among `flags` (what a release or a take-over removes).
pub fn claim_flags<'a>(flags: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    flags
        .into_iter()
        .filter(|f| {
            let u = f.to_ascii_uppercase();
            u == CLAIMED.to_ascii_uppercase()
                || u.starts_with(&BY.to_ascii_uppercase())
                || u.starts_with(&AT.to_ascii_uppercase())
                || bit_of(f).is_some()
        })
        .map(str::to_string)
        .collect()
}

/// The claim of someone other than `me` in a message's flags (its time read as of `now`), as
/// shown in the message view.
pub fn held_by_other<'a>(
    flags: impl IntoIterator<Item = &'a str> + Clone,
    me: Option<&Clerk>,
    now: DateTime<Utc>,
) -> Option<Mark> {
    marks(flags, now)
        .into_iter()
        .find(|m| me.is_none_or(|c| !c.owns(&m.keyword)))
}

/// Whether someone other than `me` holds the message, as the lists mark it (no time needed).
pub fn is_held_by_other<'a>(
    flags: impl IntoIterator<Item = &'a str> + Clone,
    me: Option<&Clerk>,
) -> bool {
    held_by_other(flags, me, DateTime::<Utc>::UNIX_EPOCH).is_some()
}

/// The name in a keyword, `=XX` read back as bytes (a cut-off escape is dropped).
fn decode(encoded: &str) -> String {
    let b = encoded.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            match encoded
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                }
                None => break,
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    crate::mail::sanitize::one_line(&String::from_utf8_lossy(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, h, m, 0).unwrap()
    }

    #[test]
    fn a_clerk_becomes_an_atom_and_reads_back() {
        let maria = Clerk::new(" Maria ");
        assert_eq!(maria.keyword, "$DueboxBy_Maria");
        let jose = Clerk::new("José (AP)\\%*]");
        assert!(jose
            .keyword
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b)));
        let flags = [CLAIMED, jose.keyword.as_str(), "$DueboxAt_29411000"];
        assert_eq!(marks(flags, at(10, 0))[0].clerk, "José (AP)\\%*]");
        let long = Clerk::new(&"ü".repeat(40));
        assert!(long.keyword.len() <= MAX_KEYWORD);
        assert!(!marks([CLAIMED, long.keyword.as_str()], at(10, 0))[0]
            .clerk
            .is_empty());
        assert_eq!(Clerk::new("a/b.c").folder(), "In progress/a_b_c");
        assert_eq!(Clerk::new("~x").folder(), "In progress/_x");
        assert_eq!(lock_folder("<A@x>"), lock_folder("a@X"));
        assert!(lock_folder("<a@x>").starts_with("In progress/~"));
        assert_ne!(lock_folder("<a@x>"), lock_folder("<b@x>"));
    }

    #[test]
    fn a_mark_tells_who_since_when_and_whether_it_is_stale() {
        let maria = Clerk::new("Maria");
        let flags = maria.claim_keywords(at(10, 42));
        let refs: Vec<&str> = flags.iter().map(String::as_str).collect();
        let m = &marks(refs.iter().copied(), at(10, 50))[0];
        assert_eq!(m.clerk, "Maria");
        assert_eq!((m.since, m.approximate), (Some(at(10, 40)), true));
        assert_eq!(
            m.words_in(&Utc),
            "Maria is answering this (since about 10:40)"
        );
        // Counted from the end of its step: never before 30 minutes.
        assert!(!m.stale(at(11, 14), 30));
        assert!(m.stale(at(11, 15), 30));
        // Someone else's claim is shown to me, mine is not.
        let jo = Clerk::new("Jo");
        assert!(held_by_other(refs.iter().copied(), Some(&jo), at(11, 0)).is_some());
        assert!(is_held_by_other(refs.iter().copied(), Some(&jo)));
        assert!(held_by_other(refs.iter().copied(), Some(&maria), at(11, 0)).is_none());
        // Keywords compare without case, as servers compare them.
        assert!(held_by_other(
            ["$dueboxclaimed", "$DUEBOXBY_MARIA"],
            Some(&maria),
            at(11, 0)
        )
        .is_none());
        // Without $DueboxClaimed, a leftover clerk keyword is no claim.
        assert!(marks(["$DueboxBy_Maria", "\\Seen"], at(11, 0)).is_empty());
        assert_eq!(
            claim_flags([
                "\\Seen",
                "$Chaser",
                CLAIMED,
                "$DueboxBy_Maria",
                "$DueboxAt_1",
                "$DueboxT3",
                "$duebox"
            ]),
            vec![CLAIMED, "$DueboxBy_Maria", "$DueboxAt_1", "$DueboxT3"]
        );
        // No time: never stale.
        assert!(!marks([CLAIMED, "$DueboxBy_Maria"], at(23, 0))[0].stale(at(23, 0), 1));
        assert!(marks(
            [
                CLAIMED,
                "$DueboxBy_Maria",
                "$DueboxAt_x9",
                "$DueboxT12",
                "$DueboxTx"
            ],
            at(11, 0)
        )[0]
        .since
        .is_none());
    }

    #[test]
    fn claims_made_before_the_bits_are_still_read_exactly() {
        let minute = at(10, 42).timestamp() / 60;
        let old = format!("$DueboxAt_{minute}");
        let m = &marks([CLAIMED, "$DueboxBy_Maria", old.as_str()], at(23, 0))[0];
        assert_eq!((m.since, m.approximate), (Some(at(10, 42)), false));
        assert_eq!(m.words_in(&Utc), "Maria is answering this (since 10:42)");
        assert!(!m.stale(at(11, 11), 30));
        assert!(m.stale(at(11, 12), 30));
        assert_eq!(claim_flags([old.as_str()]), vec![old.clone()]);
    }

    /// Every step over a span longer than the period: the bits read back to the start of the
    /// step, from the claim itself up to just before they alias, and a few steps of clock skew.
    #[test]
    fn the_time_bits_round_trip_and_turn_stale_across_the_wrap() {
        let maria = Clerk::new("Maria");
        let start = at(0, 0) - chrono::Duration::minutes(PERIOD * STEP_MINUTES);
        let period = chrono::Duration::minutes(PERIOD * STEP_MINUTES);
        for i in (0..2 * PERIOD).step_by(7) {
            let taken = start + chrono::Duration::minutes(i * STEP_MINUTES + 3);
            let step_start = taken - chrono::Duration::minutes(3);
            let words = maria.claim_keywords(taken);
            let read = |now| marks(words.iter().map(String::as_str), now)[0].clone();
            for later in [0, 1, 29, 35, 600, 60 * 24 * 7, 60 * 24 * 14 - 10] {
                let now = taken + chrono::Duration::minutes(later);
                let m = read(now);
                assert_eq!(
                    m.since,
                    Some(step_start),
                    "taken {taken}, read {later} min later"
                );
                assert_eq!(m.stale(now, 30), later >= 32, "{later}");
            }
            // The claimer's clock a few minutes ahead of mine: still now, not 14 days ago.
            let m = read(taken - chrono::Duration::minutes(8));
            assert_eq!(m.since, Some(step_start));
            assert!(!m.stale(taken - chrono::Duration::minutes(8), 30));
            // Only after the whole period does the time alias.
            assert_eq!(
                read(taken + period + chrono::Duration::minutes(11)).since,
                Some(step_start + period)
            );
        }
    }

    /// 10,000 claim times over ten years: at most 12 distinct time keywords, ever, and every
    /// claim carries at least one of them.
    #[test]
    fn claim_times_use_a_bounded_set_of_keywords() {
        let maria = Clerk::new("Maria");
        let mut seen = std::collections::BTreeSet::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let when = at(0, 0) + chrono::Duration::minutes((x % (60 * 24 * 3650)) as i64);
            let words = maria.claim_keywords(when);
            assert!(words.len() > 2, "{when}: {words:?}");
            seen.extend(words);
        }
        seen.remove(CLAIMED);
        seen.remove(&maria.keyword);
        assert!(seen.len() <= BITS as usize, "{seen:?}");
        assert!(seen.iter().all(|k| bit_of(k).is_some()), "{seen:?}");
    }
}
