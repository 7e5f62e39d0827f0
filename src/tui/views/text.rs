//! Text made safe and fitted for a cell of the screen: terminal control sequences and bidi
//! marks removed (so a subject cannot clear the screen or reorder the row), and cut by
//! display width (wide characters and emoji count two), never by bytes or chars.

use crate::tui::state::Zone;
use chrono::{Datelike, NaiveDate};
use std::borrow::Cow;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// One line of mail text safe to draw: the mail sanitiser's work (escape sequences,
/// controls, bidi overrides and isolates) plus the implicit direction marks it keeps
/// (LRM, RLM, ALM), which could still flip the order of the columns around them.
pub fn clean(text: &str) -> Cow<'_, str> {
    let marks = |c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}');
    if crate::mail::sanitize::is_clean(text)
        && !text.contains(['\n', '\t'])
        && !text.contains(marks)
    {
        return Cow::Borrowed(text);
    }
    Cow::Owned(crate::mail::sanitize::one_line(text).replace(marks, ""))
}

/// Mail body text safe to draw, line structure kept.
pub fn clean_block(text: &str) -> String {
    crate::mail::sanitize::for_terminal(text)
        .replace(['\u{200e}', '\u{200f}', '\u{061c}'], "")
        .replace('\t', "    ")
}

pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` cut to at most `max` columns, with "…" where it was cut.
pub fn fit(text: &str, max: usize) -> Cow<'_, str> {
    if width(text) <= max {
        return Cow::Borrowed(text);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    Cow::Owned(out)
}

/// A stored UTC `YYYY-MM-DD HH:MM:SS` as the lists show it, in the zone: "20 Nov" in this
/// year, "20 Nov 2025" in another.
pub fn list_date(stored: Option<&str>, today: NaiveDate, zone: Zone) -> String {
    let Some(stored) = stored else {
        return String::new();
    };
    let day = zone
        .local(stored)
        .map(|t| t.date())
        .or_else(|| NaiveDate::parse_from_str(stored.get(..10)?, "%Y-%m-%d").ok());
    match day {
        Some(d) if d.year() == today.year() => d.format("%d %b").to_string(),
        Some(d) => d.format("%d %b %Y").to_string(),
        None => String::new(),
    }
}

/// How late a due date is: "72 days", "1 day", "today", "in 5 days".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Late {
    pub words: String,
    pub overdue: bool,
}

pub fn days_late(due: Option<&str>, today: NaiveDate) -> Late {
    let Some(due) = due.and_then(|d| NaiveDate::parse_from_str(d.get(..10)?, "%Y-%m-%d").ok())
    else {
        return Late {
            words: String::new(),
            overdue: false,
        };
    };
    let days = (today - due).num_days();
    let words = match days {
        0 => "today".to_string(),
        1 => "1 day".to_string(),
        d if d > 1 => format!("{d} days"),
        -1 => "in 1 day".to_string(),
        d => format!("in {} days", -d),
    };
    Late {
        words,
        overdue: days > 0,
    }
}

/// An amount with its currency ("1234.56 EUR").
pub fn money(amount: Option<rust_decimal::Decimal>, currency: Option<&str>) -> String {
    match (amount, currency) {
        (Some(a), Some(c)) => format!("{a} {c}"),
        (Some(a), None) => a.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_by_display_width() {
        assert_eq!(fit("Rechnung", 20), "Rechnung");
        assert_eq!(fit("請求書の支払い", 7), "請求書…");
        assert_eq!(width(&fit("請求書の支払い", 7)), 7);
        assert_eq!(fit("😀😀😀", 4), "😀…");
        assert_eq!(clean("a\u{1b}[2Jb\u{200f}c"), "abc");
    }

    #[test]
    fn dates_carry_the_year_when_not_this_one_and_the_zone() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        assert_eq!(
            list_date(Some("2026-01-01 23:30:00"), today, Zone::Utc),
            "01 Jan"
        );
        let berlin = Zone::parse("+01:00").unwrap();
        assert_eq!(
            list_date(Some("2026-01-01 23:30:00"), today, berlin),
            "02 Jan"
        );
        assert_eq!(
            list_date(Some("2025-12-31 23:30:00"), today, Zone::Utc),
            "31 Dec 2025"
        );
        assert_eq!(
            list_date(Some("2025-12-31 23:30:00"), today, berlin),
            "01 Jan"
        );
        assert_eq!(Zone::parse("utc"), Some(Zone::Utc));
        assert_eq!(Zone::parse("Europe/Nowhere"), None);
        assert_eq!(days_late(Some("2025-12-01"), today).words, "32 days");
        assert_eq!(days_late(Some("2026-01-07"), today).words, "in 5 days");
        assert!(!days_late(Some("2026-01-02"), today).overdue);
        assert_eq!(days_late(None, today).words, "");
    }
}
