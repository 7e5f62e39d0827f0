//! Text made safe and fitted for a cell of the screen: terminal control sequences and bidi
//! marks removed (so a subject cannot clear the screen or reorder the row), and cut by
//! display width (wide characters and emoji count two), never by bytes or chars.

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

/// A stored `YYYY-MM-DD HH:MM:SS` as "20 Nov" (the list) .
pub fn short_date(stored: Option<&str>) -> String {
    stored
        .and_then(|s| chrono::NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok())
        .map(|d| d.format("%d %b").to_string())
        .unwrap_or_default()
}

/// A stored `YYYY-MM-DD` as "20 Nov", or the text as is.
pub fn short_day(stored: Option<&str>) -> String {
    short_date(stored)
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
}
