//! The marks a claim leaves on a message, as every client reads them: the keywords
//! `$DueboxClaimed`, `$DueboxBy_<clerk>` and `$DueboxAt_<unix minutes>`, and the folder
//! "In progress/<clerk>" of the move fallback. Pure: words and values in, words and values out,
//! no clock (the time is passed in) and no I/O.
//!
//! Why keywords for the time: a claim must be one compare-and-set, so everything another
//! clerk needs to judge it (who, since when) is written by the same conditional STORE and read
//! with the flags every sync already fetches — no second command, no second place to agree on.

use chrono::{DateTime, TimeZone, Utc};

/// Says that a message is claimed (with the clerk's and the time's keywords beside it).
pub const CLAIMED: &str = "$DueboxClaimed";
const BY: &str = "$DueboxBy_";
const AT: &str = "$DueboxAt_";
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
        vec![CLAIMED.to_string(), self.keyword.clone(), at_keyword(now)]
    }
}

/// `$DueboxAt_<minutes since 1970>`.
pub fn at_keyword(now: DateTime<Utc>) -> String {
    format!("{AT}{}", now.timestamp().div_euclid(60))
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
    /// When it was taken; None when no time keyword could be read.
    pub since: Option<DateTime<Utc>>,
}

impl Mark {
    /// Whether the claim is older than `minutes` at `now` (a claim without a time is never
    /// stale: nobody can tell, so only an explicit override takes it).
    pub fn stale(&self, now: DateTime<Utc>, minutes: u32) -> bool {
        self.since
            .is_some_and(|s| now - s >= chrono::Duration::minutes(i64::from(minutes)))
    }

    /// "Maria is answering this (since 10:42)", the time in `tz`.
    pub fn words_in<Tz: TimeZone>(&self, tz: &Tz) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        match self.since {
            Some(s) => format!(
                "{} is answering this (since {})",
                self.clerk,
                s.with_timezone(tz).format("%H:%M")
            ),
            None => format!("{} is answering this", self.clerk),
        }
    }
}

/// Every claim in a message's flags, the newest time shared by all (a message carries more
/// than one clerk only after an override). Empty without `$DueboxClaimed`: a clerk's keyword
/// left behind by a release that was cut off is no claim.
pub fn marks<'a>(flags: impl IntoIterator<Item = &'a str> + Clone) -> Vec<Mark> {
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
    let since = flags
        .clone()
        .into_iter()
        .filter(|f| has(AT, f))
        .filter_map(|f| f[AT.len()..].parse::<i64>().ok())
        .max()
        .and_then(|m| Utc.timestamp_opt(m.checked_mul(60)?, 0).single());
    flags
        .into_iter()
        .filter(|f| has(BY, f))
        .map(|f| Mark {
            clerk: decode(&f[BY.len()..]),
            keyword: f.to_string(),
            since,
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
        })
        .map(str::to_string)
        .collect()
}

/// The claim of someone other than `me` in a message's flags, as shown in the lists and the
/// message view.
pub fn held_by_other<'a>(
    flags: impl IntoIterator<Item = &'a str> + Clone,
    me: Option<&Clerk>,
) -> Option<Mark> {
    marks(flags)
        .into_iter()
        .find(|m| me.is_none_or(|c| !c.owns(&m.keyword)))
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
        assert_eq!(marks(flags)[0].clerk, "José (AP)\\%*]");
        let long = Clerk::new(&"ü".repeat(40));
        assert!(long.keyword.len() <= MAX_KEYWORD);
        assert!(!marks([CLAIMED, long.keyword.as_str()])[0].clerk.is_empty());
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
        let m = &marks(refs.iter().copied())[0];
        assert_eq!(m.clerk, "Maria");
        assert_eq!(m.since, Some(at(10, 42)));
        assert_eq!(m.words_in(&Utc), "Maria is answering this (since 10:42)");
        assert!(!m.stale(at(11, 11), 30));
        assert!(m.stale(at(11, 12), 30));
        // Someone else's claim is shown to me, mine is not.
        let jo = Clerk::new("Jo");
        assert!(held_by_other(refs.iter().copied(), Some(&jo)).is_some());
        assert!(held_by_other(refs.iter().copied(), Some(&maria)).is_none());
        // Keywords compare without case, as servers compare them.
        assert!(held_by_other(["$dueboxclaimed", "$DUEBOXBY_MARIA"], Some(&maria)).is_none());
        // Without $DueboxClaimed, a leftover clerk keyword is no claim.
        assert!(marks(["$DueboxBy_Maria", "\\Seen"]).is_empty());
        assert_eq!(
            claim_flags([
                "\\Seen",
                "$Chaser",
                CLAIMED,
                "$DueboxBy_Maria",
                "$DueboxAt_1"
            ]),
            vec![CLAIMED, "$DueboxBy_Maria", "$DueboxAt_1"]
        );
        // No time: never stale.
        assert!(!marks([CLAIMED, "$DueboxBy_Maria"])[0].stale(at(23, 0), 1));
        assert!(marks([CLAIMED, "$DueboxBy_Maria", "$DueboxAt_x9"])[0]
            .since
            .is_none());
    }
}
