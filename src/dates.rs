//! Dates as printed in mail, in English, German, French, Spanish and Dutch, read as `chrono` dates.
//! Pure functions over text; never panics on any input.

use chrono::{Datelike, NaiveDate};
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// How an all-numeric date like 10/01/2026 is read: the sender's convention decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOrder {
    /// 10/01/2026 is 10 January (most of the world).
    DayFirst,
    /// 10/01/2026 is October 1 (the United States).
    MonthFirst,
}

/// A date found in text, with where it stands (byte offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundDate {
    pub date: NaiveDate,
    pub start: usize,
    pub end: usize,
}

/// Month names and abbreviations in the languages duebox reads, lower case.
const MONTHS: &[(&str, u32)] = &[
    // English
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
    // German
    ("januar", 1),
    ("jänner", 1),
    ("februar", 2),
    ("märz", 3),
    ("maerz", 3),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("dezember", 12),
    ("mär", 3),
    ("mrz", 3),
    ("okt", 10),
    ("dez", 12),
    // French
    ("janvier", 1),
    ("février", 2),
    ("fevrier", 2),
    ("mars", 3),
    ("avril", 4),
    ("juin", 6),
    ("juillet", 7),
    ("août", 8),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("décembre", 12),
    ("decembre", 12),
    ("janv", 1),
    ("févr", 2),
    ("fevr", 2),
    ("avr", 4),
    ("juil", 7),
    ("déc", 12),
    // Spanish
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    ("ene", 1),
    ("abr", 4),
    ("ago", 8),
    ("dic", 12),
    // Dutch
    ("januari", 1),
    ("februari", 2),
    ("maart", 3),
    ("mei", 5),
    ("augustus", 8),
    ("mrt", 3),
];

static MONTH_INDEX: LazyLock<HashMap<&'static str, u32>> =
    LazyLock::new(|| MONTHS.iter().copied().collect());

fn month_alternation() -> String {
    let mut names: Vec<&str> = MONTHS.iter().map(|(n, _)| *n).collect();
    // Longest first, so "september" wins over "sep".
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names.dedup();
    names.join("|")
}

static DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    let m = month_alternation();
    let ordinal = r"(?:st|nd|rd|th|er|e|º|°)?\.?";
    Regex::new(&format!(
        r"(?x)
        (?-u:\b)(?P<iy>\d{{4}})-(?P<im>\d{{1,2}})-(?P<id>\d{{1,2}})(?-u:\b)
      | (?-u:\b)(?P<da>\d{{1,2}})\.\s?(?P<db>\d{{1,2}})\.\s?(?P<dy>\d{{4}}|\d{{2}})(?-u:\b)
      | (?-u:\b)(?P<sa>\d{{1,2}})/(?P<sb>\d{{1,2}})/(?P<sy>\d{{4}}|\d{{2}})(?-u:\b)
      | (?-u:\b)(?P<ha>\d{{1,2}})-(?P<hb>\d{{1,2}})-(?P<hy>\d{{4}})(?-u:\b)
      | (?-u:\b)(?P<td>\d{{1,2}}){ordinal}\s+(?:de\s+)?(?P<tm>{m})(?-u:\b)\.?,?(?:\s+(?:de\s+)?(?P<ty>\d{{4}})(?-u:\b))?
      | (?-u:\b)(?P<mm>{m})(?-u:\b)\.?\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?(?-u:\b),?(?:\s+(?P<my>\d{{4}})(?-u:\b))?
    "
    ))
    .expect("date regex is valid")
});

fn num(caps: &regex::Captures<'_>, name: &str) -> Option<u32> {
    caps.name(name)?.as_str().parse().ok()
}

fn full_year(y: u32) -> u32 {
    if y < 100 {
        2000 + y
    } else {
        y
    }
}

fn make(y: u32, m: u32, d: u32) -> Option<NaiveDate> {
    if !(1990..=2100).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// Picks the year that puts a year-less date nearest the reference date.
fn nearest_year(m: u32, d: u32, reference: NaiveDate) -> Option<NaiveDate> {
    let y = reference.year();
    [y - 1, y, y + 1]
        .iter()
        .filter_map(|&y| NaiveDate::from_ymd_opt(y, m, d))
        .min_by_key(|date| (*date - reference).num_days().abs())
}

fn numeric(a: u32, b: u32, y: u32, order: DayOrder) -> Option<NaiveDate> {
    let y = full_year(y);
    // A part above 12 can only be the day, whatever the convention.
    let (d, m) = if a > 12 {
        (a, b)
    } else if b > 12 {
        (b, a)
    } else {
        match order {
            DayOrder::DayFirst => (a, b),
            DayOrder::MonthFirst => (b, a),
        }
    };
    make(y, m, d)
}

fn month_of(caps: &regex::Captures<'_>, name: &str) -> Option<u32> {
    let word = caps.name(name)?.as_str().to_lowercase();
    MONTH_INDEX.get(word.as_str()).copied()
}

/// Finds every date in `text`. `reference` supplies the year of dates written without one.
pub fn find_dates(text: &str, order: DayOrder, reference: NaiveDate) -> Vec<FoundDate> {
    let mut out = Vec::new();
    // Month names are matched on the case-folded text; offsets are the same as in `text`.
    let folded = crate::fold::fold(text);
    for caps in DATE_RE.captures_iter(&folded) {
        let date = if let Some(y) = num(&caps, "iy") {
            num(&caps, "im")
                .zip(num(&caps, "id"))
                .and_then(|(m, d)| make(y, m, d))
        } else if let Some(y) = num(&caps, "dy") {
            // Dotted dates are day-first everywhere they are used.
            num(&caps, "da")
                .zip(num(&caps, "db"))
                .and_then(|(d, m)| make(full_year(y), m, d))
        } else if let Some(y) = num(&caps, "sy") {
            num(&caps, "sa")
                .zip(num(&caps, "sb"))
                .and_then(|(a, b)| numeric(a, b, y, order))
        } else if let Some(y) = num(&caps, "hy") {
            num(&caps, "ha")
                .zip(num(&caps, "hb"))
                .and_then(|(a, b)| numeric(a, b, y, order))
        } else if let Some(d) = num(&caps, "td") {
            month_of(&caps, "tm").and_then(|m| match num(&caps, "ty") {
                Some(y) => make(y, m, d),
                None => nearest_year(m, d, reference),
            })
        } else if let Some(d) = num(&caps, "md") {
            month_of(&caps, "mm").and_then(|m| match num(&caps, "my") {
                Some(y) => make(y, m, d),
                None => nearest_year(m, d, reference),
            })
        } else {
            None
        };
        if let Some(date) = date {
            let whole = caps.get(0).expect("group 0 always exists");
            out.push(FoundDate {
                date,
                start: whole.start(),
                end: whole.end(),
            });
        }
    }
    out
}

/// Reads `text` as one date, if the whole of it (trimmed) is a date.
pub fn parse_date(text: &str, order: DayOrder, reference: NaiveDate) -> Option<NaiveDate> {
    let t = text.trim();
    let found = find_dates(t, order, reference);
    match found.as_slice() {
        [one] if one.start == 0 && one.end >= t.trim_end_matches(['.', ',']).len() => {
            Some(one.date)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const REF: fn() -> NaiveDate = || d(2026, 11, 1);

    #[test]
    fn every_format() {
        let want = d(2026, 10, 1);
        for text in [
            "2026-10-01",
            "October 1, 2026",
            "Oct 1, 2026",
            "Oct. 1st, 2026",
            "1 Oct 2026",
            "1st October 2026",
            "01.10.2026",
            "1. Oktober 2026",
            "1er octobre 2026",
            "1 de octubre de 2026",
            "1 oktober 2026",
            "01/10/2026",
            "01-10-2026",
            "01.10.26",
        ] {
            assert_eq!(
                parse_date(text, DayOrder::DayFirst, REF()),
                Some(want),
                "{text}"
            );
        }
    }

    #[test]
    fn day_order_follows_the_sender() {
        assert_eq!(
            parse_date("10/01/2026", DayOrder::MonthFirst, REF()),
            Some(d(2026, 10, 1))
        );
        assert_eq!(
            parse_date("10/01/2026", DayOrder::DayFirst, REF()),
            Some(d(2026, 1, 10))
        );
        // Unambiguous whatever the order.
        assert_eq!(
            parse_date("25/10/2026", DayOrder::MonthFirst, REF()),
            Some(d(2026, 10, 25))
        );
        assert_eq!(
            parse_date("10/25/2026", DayOrder::DayFirst, REF()),
            Some(d(2026, 10, 25))
        );
    }

    #[test]
    fn year_less_dates_take_the_nearest_year() {
        assert_eq!(
            parse_date("15 January", DayOrder::DayFirst, REF()),
            Some(d(2027, 1, 15))
        );
        assert_eq!(
            parse_date("1 October", DayOrder::DayFirst, REF()),
            Some(d(2026, 10, 1))
        );
    }

    #[test]
    fn impossible_dates_are_ignored() {
        for text in [
            "31.02.2026",
            "00/00/0000",
            "2026-13-45",
            "99999-01-01",
            "32 October 2026",
        ] {
            assert_eq!(parse_date(text, DayOrder::DayFirst, REF()), None, "{text}");
        }
    }

    #[test]
    fn localised_month_names() {
        for (text, m) in [
            ("3. März 2026", 3),
            ("3 février 2026", 2),
            ("3 de diciembre de 2026", 12),
            ("3 maart 2026", 3),
            ("3 mei 2026", 5),
            ("3 août 2026", 8),
        ] {
            assert_eq!(
                parse_date(text, DayOrder::DayFirst, REF()),
                Some(d(2026, m, 3)),
                "{text}"
            );
        }
    }
}
