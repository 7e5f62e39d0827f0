//! The due date a chaser states: every date in its text, labelled by the words around it (a
//! due date, a deadline to pay by, or another date), and the due column of a statement's
//! table. No I/O here.

use super::labels::*;
use super::{Locale, Prepared};
use crate::classify::table::{self, Table};
use crate::dates::{self, DayOrder, FoundDate};
use chrono::NaiveDate;
use regex::Regex;

/// How the words before a date relate it to payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateLabel {
    /// The invoice's due date.
    Due,
    /// A deadline to pay by.
    Deadline,
    /// Anything else: invoice date, message date, unrelated.
    Other,
}

/// The label nearest before a date, if any label stands there.
fn date_label(context: &str) -> Option<DateLabel> {
    let nearest = |re: &Regex| re.find_iter(context).last().map(|m| m.end());
    [
        (nearest(&DUE_DATE_RE), DateLabel::Due),
        (nearest(&DEADLINE_RE), DateLabel::Deadline),
        (nearest(&OTHER_DATE_RE), DateLabel::Other),
    ]
    .into_iter()
    .filter_map(|(end, label)| end.map(|e| (e, label)))
    .max_by_key(|(e, _)| *e)
    .map(|(_, label)| label)
}

/// The words before a date that may label it: back to the previous date, at most 80 bytes,
/// not past a blank line, and within the row for a table row.
fn date_context<'a>(text: &'a str, found: &[FoundDate], i: usize) -> &'a str {
    let start = found[i].start;
    let prev_end = if i > 0 { found[i - 1].end } else { 0 };
    let mut from = prev_end.max(start.saturating_sub(80)).min(start);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut context = &text[from..start];
    if let Some(p) = context.rfind("\n\n") {
        context = &context[p + 2..];
    }
    let line_start = text[..start].rfind('\n').map_or(0, |p| p + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |p| start + p);
    if table::cells(&text[line_start..line_end]).is_some() {
        context = &context[context.rfind('\n').map_or(0, |p| p + 1)..];
    }
    context
}

/// The due date a chaser states: the invoice's due date, or else the deadline it sets. When a
/// statement lists several different due dates and sets no deadline, there is no single one.
pub fn due_date(
    texts: &[&str],
    order: DayOrder,
    reference: NaiveDate,
    is_statement: bool,
) -> Option<NaiveDate> {
    due_date_in(texts, order, reference, is_statement, &Locale::default())
}

/// [`due_date`], reading month names in the message's language.
pub fn due_date_in(
    texts: &[&str],
    order: DayOrder,
    reference: NaiveDate,
    is_statement: bool,
    locale: &Locale<'_>,
) -> Option<NaiveDate> {
    due_candidates(texts, order, reference, locale)?.pick(is_statement)
}

/// The dates the first text that labels any labels as due dates and as deadlines: what
/// [`due_date_in`] picks from, kept so that a second reading of the same texts (as a
/// statement or not) need not find them again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DueCandidates {
    due: Vec<NaiveDate>,
    deadlines: Vec<NaiveDate>,
}

impl DueCandidates {
    /// The due date: the invoice's due date, or else the deadline set. When a statement lists
    /// several different due dates and sets no deadline, there is no single one.
    pub fn pick(&self, is_statement: bool) -> Option<NaiveDate> {
        let mut distinct = self.due.clone();
        distinct.sort();
        distinct.dedup();
        match (distinct.len(), self.deadlines.first()) {
            (1, _) => Some(distinct[0]),
            (n, Some(d)) if n > 1 && is_statement => Some(*d),
            (n, None) if n > 1 && is_statement => None,
            (n, _) if n > 1 => self.due.first().copied(),
            (_, d) => d.copied(),
        }
    }
}

/// The labelled dates of the first of `texts` that has any (`None` when none has).
pub fn due_candidates(
    texts: &[&str],
    order: DayOrder,
    reference: NaiveDate,
    locale: &Locale<'_>,
) -> Option<DueCandidates> {
    texts
        .iter()
        .map(|text| labelled_dates(&Prepared::new(text), order, reference, locale))
        .find(|c| !c.due.is_empty() || !c.deadlines.is_empty())
}

/// [`due_candidates`] of prepared texts.
pub fn due_candidates_of(
    texts: &[&Prepared<'_>],
    order: DayOrder,
    reference: NaiveDate,
    locale: &Locale<'_>,
) -> Option<DueCandidates> {
    texts
        .iter()
        .map(|p| labelled_dates(p, order, reference, locale))
        .find(|c| !c.due.is_empty() || !c.deadlines.is_empty())
}

/// Every date of `text` that its words label as due or as a deadline, and the dates of a
/// statement table's due column.
fn labelled_dates(
    prepared: &Prepared<'_>,
    order: DayOrder,
    reference: NaiveDate,
    locale: &Locale<'_>,
) -> DueCandidates {
    let text = prepared.text;
    let mut out = DueCandidates::default();
    let found = dates::find_dates_folded(prepared.folded(), order, reference, locale.lang);
    for i in 0..found.len() {
        let after = &text[found[i].end..];
        // "nr. 08678/3 august 2026": a date glued to a number is its issue date.
        let glued = text[..found[i].start]
            .strip_suffix('/')
            .is_some_and(|b| b.ends_with(|c: char| c.is_ascii_alphanumeric()));
        if glued {
            continue;
        }
        // A due word after a date labels it unless it labels the next date instead
        // ("fattura del 14/05/2026, scaduta il 13/06/2026").
        let next_near = |end: usize| {
            found
                .get(i + 1)
                .is_some_and(|n| n.start <= found[i].end + end + 16)
        };
        let after_label = |re: &Regex| re.find(after).filter(|m| !next_near(m.end()));
        let label = date_label(date_context(text, &found, i))
            .or_else(|| after_label(&DUE_AFTER_RE).map(|_| DateLabel::Due))
            .or_else(|| after_label(&DEADLINE_AFTER_RE).map(|_| DateLabel::Deadline));
        match label {
            Some(DateLabel::Due) => out.due.push(found[i].date),
            Some(DateLabel::Deadline) => out.deadlines.push(found[i].date),
            Some(DateLabel::Other) | None => {}
        }
    }
    for t in prepared
        .rows()
        .find(|h| h.iter().any(|c| DUE_HEADER_RE.is_match(c)))
    {
        out.due
            .extend(due_column_dates(&t, order, reference, locale.lang));
    }
    out
}

fn due_column_dates(
    t: &Table<'_>,
    order: DayOrder,
    reference: NaiveDate,
    lang: &str,
) -> Vec<NaiveDate> {
    let Some(col) = t.column(|h| DUE_HEADER_RE.is_match(h)) else {
        return Vec::new();
    };
    t.cells(col)
        .filter_map(|c| dates::parse_date_in(c, order, reference, lang))
        .collect()
}
