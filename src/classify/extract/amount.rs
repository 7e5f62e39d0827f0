//! The total amount a chaser asks for: every amount in its text, labelled by the words
//! before it (what is still owed, a total, what is excluded: tax, paid, fees) and by its
//! table column's header. No I/O here.

use super::labels::*;
use super::{Locale, Prepared};
use crate::classify::table::Table;
use crate::money::{self, FoundMoney, Money};
use regex::Regex;

/// How strongly the words before an amount say it is the sum requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum AmountLabel {
    /// Subtotal, VAT, already paid, fees on their own: never the amount requested.
    Excluded,
    None,
    Generic,
    Due,
    Total,
    /// What is left to pay: "balance due", "remaining", "do zapłaty", "k úhradě".
    Remaining,
}

/// How close before an amount an exclusion must stand to exclude it: "Bereits bezahlt: 600 €"
/// or "part payment of 600" is about that amount; "Anbei erhalten Sie die Rechnung 123 über
/// 1.000 €" is not about a receipt.
const EXCLUSION_REACH: usize = 32;

fn amount_label(context: &str) -> AmountLabel {
    if CAPITAL_RE.is_match(context) {
        return AmountLabel::Excluded;
    }
    let last = |re: &Regex| re.find_iter(context).last();
    // "Total incl. VAT" names a total, not the tax.
    let excluded = EXCLUDED_RE
        .find_iter(context)
        .filter(|m| !INCLUDES_RE.is_match(&context[..m.start()]))
        .last()
        .map(|m| m.end())
        .filter(|&end| end + EXCLUSION_REACH >= context.len());
    // "Invoice total" is the invoice's amount, not what is left of it: generic.
    let invoice_total = last(&INVOICE_TOTAL_RE);
    let total = last(&TOTAL_RE)
        .filter(|t| invoice_total.is_none_or(|i| t.end() <= i.start() || t.start() >= i.end()));
    let generic = last(&GENERIC_RE)
        .map(|m| m.end())
        .max(invoice_total.map(|m| m.end()))
        .or_else(|| last(&CONNECTOR_RE).map(|m| m.end()));
    // The strongest label after the nearest exclusion decides: "Total amount due" is a total,
    // "Total paid" an exclusion, "still pending: an amount of" due.
    [
        (last(&REMAINING_RE).map(|m| m.end()), AmountLabel::Remaining),
        (total.map(|m| m.end()), AmountLabel::Total),
        (last(&DUE_RE).map(|m| m.end()), AmountLabel::Due),
        (generic, AmountLabel::Generic),
    ]
    .into_iter()
    .filter_map(|(end, label)| end.map(|e| (e, label)))
    .filter(|(e, _)| excluded.is_none_or(|x| *e > x))
    .map(|(_, label)| label)
    .max()
    .unwrap_or(if excluded.is_some() {
        AmountLabel::Excluded
    } else {
        AmountLabel::None
    })
}

/// The label a table gives the amount at `at`: its column's header ("Montant", "Offen").
fn header_label(tables: &[Table<'_>], text: &str, at: usize) -> Option<AmountLabel> {
    let base = text.as_ptr() as usize;
    for t in tables {
        for row in &t.rows {
            for (i, cell) in row.iter().enumerate() {
                let start = cell.as_ptr() as usize - base;
                if (start..=start + cell.len()).contains(&at) {
                    // A column's label is every row's: a line item at most, so the
                    // statement's own total line still wins.
                    return t
                        .header
                        .get(i)
                        .map(|h| amount_label(h).min(AmountLabel::Due));
                }
            }
        }
    }
    None
}

/// The context an amount is read in: its line up to it, or the line before if its own line
/// has no words ("Total due:\n  $1,234.56"); never back past the amount before it on the
/// line ("a balance of 400 remains (invoice total 1,000)": the total's words are its own).
fn context_before(text: &str, start: usize, prev_end: usize) -> &str {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    // (Two amounts with no word between them share the line's label: "Betrag: £1 / €1".)
    if prev_end > line_start
        && prev_end <= start
        && text[prev_end..start].chars().any(char::is_alphabetic)
    {
        return &text[prev_end..start];
    }
    let own = &text[line_start..start];
    if own.chars().any(char::is_alphabetic) || line_start == 0 {
        return own;
    }
    let prev_start = text[..line_start - 1].rfind('\n').map_or(0, |i| i + 1);
    &text[prev_start..start]
}

/// The total amount a chaser asks for, from the texts in order of preference (new text,
/// subject, quoted text): the best-labelled amount, the largest among equals.
pub fn amount(texts: &[&str]) -> Option<Money> {
    amount_in(texts, &Locale::default())
}

/// [`amount`], reading shared currency symbols ("kr", "¥") as the message's locale does.
pub fn amount_in(texts: &[&str], locale: &Locale<'_>) -> Option<Money> {
    let prepared: Vec<Prepared<'_>> = texts.iter().map(|t| Prepared::new(t)).collect();
    let refs: Vec<&Prepared<'_>> = prepared.iter().collect();
    amount_of(&refs, locale)
}

/// [`amount_in`] of prepared texts.
pub fn amount_of(texts: &[&Prepared<'_>], locale: &Locale<'_>) -> Option<Money> {
    for prepared in texts {
        let text = prepared.text;
        let all = money::find_amounts_with(text, locale.currency_hint());
        if all.is_empty() {
            continue;
        }
        let tables = prepared
            .rows()
            .find(|h| h.iter().any(|c| c.chars().any(char::is_alphabetic)));
        let found: Vec<(AmountLabel, &FoundMoney)> = all
            .iter()
            .enumerate()
            .filter(|(_, f)| f.money.amount > rust_decimal::Decimal::ZERO)
            .map(|(i, f)| {
                let prev_end = if i > 0 { all[i - 1].end } else { 0 };
                let own = amount_label(context_before(text, f.start, prev_end));
                let label = match header_label(&tables, text, f.start) {
                    Some(h) if own != AmountLabel::Excluded => own.max(h),
                    _ => own,
                };
                (label, f)
            })
            .filter(|(label, _)| *label != AmountLabel::Excluded)
            .collect();
        let best = found
            .iter()
            .max_by(|(la, a), (lb, b)| la.cmp(lb).then(a.money.amount.cmp(&b.money.amount)));
        if let Some((_, f)) = best {
            return Some(f.money.clone());
        }
    }
    None
}
