//! Dates as printed in mail in the 22 languages duebox reads (month names with their case
//! forms, day-first, US month-first, ISO, year-first, CJK `2026年10月31日`), read as `chrono`
//! dates. Pure functions over text; never panics on any input.

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

mod months;
use months::MONTHS;

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
    // The text is case-folded (`find_dates_folded`), so the month names, all lower case, are
    // matched as they are: a case-insensitive alternation of 290 names made a lazy DFA many
    // times the size. Digits are the ones `num` reads (ASCII and full-width), not every
    // Unicode digit. Month names are matched without ASCII word boundaries (a name may start
    // or end with "ř" or "í", which `(?-u:\b)` does not see as letters); `letter_at` checks
    // the edges.
    let m = format!("(?:{})", month_alternation());
    let ordinal = r"(?:st|nd|rd|th|er|e|º|°)?\.?";
    Regex::new(&format!(
        r"(?x)
        (?-u:\b)(?P<iy>[0-9０-９]{{4}})-(?P<im>[0-9０-９]{{1,2}})-(?P<id>[0-9０-９]{{1,2}})(?-u:\b)
      | (?-u:\b)(?P<ya>[0-9０-９]{{4}})[./]\s?(?P<yb>[0-9０-９]{{1,2}})[./]\s?(?P<yc>[0-9０-９]{{1,2}})(?-u:\b)
      | (?-u:\b)(?P<ny>[0-9０-９]{{4}})\.?\s+(?P<nm>{m})\.?\s+(?P<nd>[0-9０-９]{{1,2}})(?-u:\b)
      | (?-u:\b)(?P<da>[0-9０-９]{{1,2}})\.\s?(?P<db>[0-9０-９]{{1,2}})\.\s?(?P<dy>[0-9０-９]{{4}}|[0-9０-９]{{2}})(?-u:\b)
      | (?-u:\b)(?P<sa>[0-9０-９]{{1,2}})/(?P<sb>[0-9０-９]{{1,2}})/(?P<sy>[0-9０-９]{{4}}|[0-9０-９]{{2}})(?-u:\b)
      | (?-u:\b)(?P<wa>[0-9０-９]{{1,2}})/(?P<wb>[0-9０-９]{{1,2}})\ (?P<wy>[0-9０-９]{{4}})(?-u:\b)
      | (?-u:\b)(?P<ha>[0-9０-９]{{1,2}})-(?P<hb>[0-9０-９]{{1,2}})-(?P<hy>[0-9０-９]{{4}})(?-u:\b)
      | (?-u:\b)(?P<td>[0-9０-９]{{1,2}}){ordinal}(?:\s+|-)(?:de\s+|d['’]|of\s+)?(?P<tm>{m})\.?,?(?:(?:\s+|-)(?:de\s+)?(?P<ty>[0-9０-９]{{4}})(?-u:\b))?
      | (?P<mm>{m})\.?\s+(?P<md>[0-9０-９]{{1,2}})(?:st|nd|rd|th)?(?-u:\b),?(?:\s+(?P<my>[0-9０-９]{{4}})(?-u:\b))?
      | 令和\s*(?P<ry>[0-9０-９]{{1,2}}|元)\s*年\s*(?P<rm>[0-9０-９]{{1,2}})\s*月\s*(?P<rd>[0-9０-９]{{1,2}})\s*[日号]
      | (?P<cy>[0-9０-９]{{4}})\s*年\s*(?P<cm>[0-9０-９]{{1,2}})\s*月\s*(?P<cd>[0-9０-９]{{1,2}})\s*[日号]?
      | (?P<km>[0-9０-９]{{1,2}})\s*月\s*(?P<kd>[0-9０-９]{{1,2}})\s*[日号]
    "
    ))
    .expect("date regex is valid")
});

/// Reads ASCII and full-width digits (CJK mail writes both); `元` is the first year of an era.
fn num(caps: &regex::Captures<'_>, name: &str) -> Option<u32> {
    let text = caps.name(name)?.as_str();
    if text == "元" {
        return Some(1);
    }
    let mut n: u32 = 0;
    for c in text.chars() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            '０'..='９' => c as u32 - '０' as u32,
            _ => return None,
        };
        n = n.checked_mul(10)?.checked_add(d)?;
    }
    Some(n)
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

/// Whether the character just before `at` (or at `at`) is a letter: a month name must stand
/// as a word of its own.
fn letter_before(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_some_and(char::is_alphabetic)
}
fn letter_at(text: &str, at: usize) -> bool {
    text[at..].chars().next().is_some_and(char::is_alphabetic)
}

/// The month a name stands for, in the language of the text when the name is ambiguous.
/// `None` when the name is no month, or a short form that needs a year and has none.
fn month_of(
    text: &str,
    caps: &regex::Captures<'_>,
    name: &str,
    has_year: bool,
    lang: &str,
) -> Option<u32> {
    let m = caps.name(name)?;
    if letter_before(text, m.start()) || letter_at(text, m.end()) {
        return None;
    }
    let word = m.as_str().to_lowercase();
    if !has_year && months::NEEDS_YEAR.contains(&word.as_str()) {
        return None;
    }
    if let Some(&(_, _, month)) = months::AMBIGUOUS
        .iter()
        .find(|(w, l, _)| *w == word && *l == lang)
    {
        return Some(month);
    }
    MONTH_INDEX.get(word.as_str()).copied()
}

/// Finds every date in `text`. `reference` supplies the year of dates written without one.
pub fn find_dates(text: &str, order: DayOrder, reference: NaiveDate) -> Vec<FoundDate> {
    find_dates_in(text, order, reference, "")
}

/// Finds every date in `text` written in the language `lang` (an ISO 639-1 code, or "" when
/// unknown): the language decides the few month names two languages read differently.
pub fn find_dates_in(
    text: &str,
    order: DayOrder,
    reference: NaiveDate,
    lang: &str,
) -> Vec<FoundDate> {
    // Month names are matched on the case-folded text; offsets are the same as in `text`.
    find_dates_folded(&crate::fold::fold(text), order, reference, lang)
}

/// [`find_dates_in`] of a text whose case fold (`crate::fold::fold`) the caller made already
/// (`folded`), for the other readers of the same text; offsets are the original text's.
pub fn find_dates_folded(
    folded: &str,
    order: DayOrder,
    reference: NaiveDate,
    lang: &str,
) -> Vec<FoundDate> {
    let mut out = Vec::new();
    let named = |name: &str, year: Option<u32>, day: Option<u32>, caps: &regex::Captures<'_>| {
        let m = month_of(folded, caps, name, year.is_some(), lang)?;
        let d = day?;
        match year {
            Some(y) => make(y, m, d),
            None => nearest_year(m, d, reference),
        }
    };
    let mut at = 0;
    // A match that reads as no date ("des 4" of "des 4.11.2026") gives way: the search goes on
    // from its second character, so the date inside it is still found.
    while let Some(caps) = DATE_RE.captures_at(folded, at) {
        let whole = caps.get(0).expect("group 0 always exists");
        let date = if let Some(y) = num(&caps, "iy") {
            num(&caps, "im")
                .zip(num(&caps, "id"))
                .and_then(|(m, d)| make(y, m, d))
        } else if let Some(y) = num(&caps, "ya") {
            // Year first is year-month-day everywhere it is written (hu, ja, zh, lt).
            num(&caps, "yb")
                .zip(num(&caps, "yc"))
                .and_then(|(m, d)| make(y, m, d))
        } else if let Some(y) = num(&caps, "ny") {
            named("nm", Some(y), num(&caps, "nd"), &caps)
        } else if let Some(y) = num(&caps, "dy") {
            // Dotted dates are day-first everywhere they are used.
            num(&caps, "da")
                .zip(num(&caps, "db"))
                .and_then(|(d, m)| make(full_year(y), m, d))
        } else if let Some(y) = num(&caps, "sy") {
            num(&caps, "sa")
                .zip(num(&caps, "sb"))
                .and_then(|(a, b)| numeric(a, b, y, order))
        } else if let Some(y) = num(&caps, "wy") {
            // "16/9 2026" is how Swedish writes day and month.
            num(&caps, "wa")
                .zip(num(&caps, "wb"))
                .and_then(|(d, m)| make(y, m, d))
        } else if let Some(y) = num(&caps, "hy") {
            num(&caps, "ha")
                .zip(num(&caps, "hb"))
                .and_then(|(a, b)| numeric(a, b, y, order))
        } else if caps.name("td").is_some() {
            named("tm", num(&caps, "ty"), num(&caps, "td"), &caps)
        } else if caps.name("mm").is_some() {
            named("mm", num(&caps, "my"), num(&caps, "md"), &caps)
        } else if let Some(era) = num(&caps, "ry") {
            // Reiwa 1 is 2019.
            num(&caps, "rm")
                .zip(num(&caps, "rd"))
                .and_then(|(m, d)| make(2018 + era, m, d))
        } else if let Some(y) = num(&caps, "cy") {
            num(&caps, "cm")
                .zip(num(&caps, "cd"))
                .and_then(|(m, d)| make(y, m, d))
        } else if let Some(m) = num(&caps, "km") {
            num(&caps, "kd").and_then(|d| nearest_year(m, d, reference))
        } else {
            None
        };
        match date {
            Some(date) => {
                out.push(FoundDate {
                    date,
                    start: whole.start(),
                    end: whole.end(),
                });
                at = whole.end().max(whole.start() + 1);
            }
            None => {
                at = whole.start()
                    + folded[whole.start()..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8);
            }
        }
        if at > folded.len() {
            break;
        }
    }
    out
}

/// Reads `text` as one date, if the whole of it (trimmed) is a date.
pub fn parse_date(text: &str, order: DayOrder, reference: NaiveDate) -> Option<NaiveDate> {
    parse_date_in(text, order, reference, "")
}

/// [`parse_date`] for text in the language `lang` (see [`find_dates_in`]).
pub fn parse_date_in(
    text: &str,
    order: DayOrder,
    reference: NaiveDate,
    lang: &str,
) -> Option<NaiveDate> {
    let t = text.trim();
    let found = find_dates_in(t, order, reference, lang);
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

    #[test]
    fn month_names_of_every_language_with_their_case_forms() {
        for (text, m) in [
            ("31 ottobre 2026", 10),
            ("31 de outubro de 2026", 10),
            ("31 d'octubre de 2026", 10),
            ("31 de desembre de 2026", 12),
            ("31 października 2026", 10),
            ("31 pazdziernika 2026", 10),
            ("31. října 2026", 10),
            ("31. októbra 2026", 10),
            ("31. oktobra 2026", 10),
            ("31. lokakuuta 2026", 10),
            ("31 oktober 2026", 10),
            ("31. december 2026", 12),
            ("31. desember 2026", 12),
            ("31 octombrie 2026", 10),
            ("31. prosinca 2026.", 12),
            ("31 Ekim 2026", 10),
            ("28 Şubat 2026", 2),
            ("30. září 2026", 9),
            ("2026. október 31.", 10),
            ("2026. márc. 31.", 3),
            ("31 mars 2026", 3),
            ("31-Oct-2026", 10),
            ("31st of October 2026", 10),
        ] {
            let got = parse_date(text, DayOrder::DayFirst, REF());
            assert_eq!(got.map(|d| d.month()), Some(m), "{text}");
            assert_eq!(got.map(|d| d.year()), Some(2026), "{text}");
        }
    }

    #[test]
    fn listopad_is_october_in_croatian_and_november_elsewhere() {
        let pl = parse_date_in("15 listopada 2026", DayOrder::DayFirst, REF(), "pl");
        let hr = parse_date_in("15. listopada 2026.", DayOrder::DayFirst, REF(), "hr");
        assert_eq!(pl, Some(d(2026, 11, 15)));
        assert_eq!(hr, Some(d(2026, 10, 15)));
    }

    #[test]
    fn year_first_and_cjk_dates() {
        let want = d(2026, 10, 31);
        for text in [
            "2026年10月31日",
            "2026 年 10 月 31 日",
            "２０２６年１０月３１日",
            "令和8年10月31日",
            "2026/10/31",
            "2026.10.31.",
            "2026. 10. 31.",
            "31. 10. 2026",
        ] {
            assert_eq!(
                parse_date(text, DayOrder::DayFirst, REF()),
                Some(want),
                "{text}"
            );
        }
        assert_eq!(
            parse_date("10月31日", DayOrder::DayFirst, REF()),
            Some(want)
        );
    }

    #[test]
    fn short_forms_that_are_words_need_a_year() {
        assert!(find_dates("remise de 3 des articles", DayOrder::DayFirst, REF()).is_empty());
        assert_eq!(
            parse_date("3 des 2026", DayOrder::DayFirst, REF()),
            Some(d(2026, 12, 3))
        );
        // A month name inside a longer word is no month.
        assert!(find_dates("Summary 3, marzipan 4", DayOrder::DayFirst, REF()).is_empty());
    }

    #[test]
    fn a_rejected_match_gives_way_to_the_date_inside_it() {
        // "des 4" would be Norwegian "4 December" without a year; "4.11.2026" is the date.
        assert_eq!(
            find_dates("nach Ablauf des 4.11.2026 an", DayOrder::DayFirst, REF())
                .iter()
                .map(|f| f.date)
                .collect::<Vec<_>>(),
            vec![d(2026, 11, 4)]
        );
        assert_eq!(
            parse_date("16/9 2026", DayOrder::MonthFirst, REF()),
            Some(d(2026, 9, 16))
        );
    }
}
