//! What a chaser claims: the invoice numbers, the total amount requested and the due date,
//! read from labels ("Invoice No.", "Total due", "fällig am"...) and from statement tables.
//! No I/O here.

use super::table::{self, Table};
use crate::dates::{self, DayOrder, FoundDate};
use crate::money::{self, FoundMoney, Money};
use chrono::NaiveDate;
use regex::Regex;
use std::sync::LazyLock;

const ID: &str = r"[A-Za-z0-9](?:[A-Za-z0-9/_.-]{0,40}[A-Za-z0-9])?";

/// An invoice label, optional number markers, then the number itself. (A label written the
/// other way round, "N° de facture : FA-1", is found through its "facture :".) Runs on folded
/// text, so the pattern is lower case.
static INVOICE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?x)
        (?-u:\b)(?:invoices?|inv|bills?|rechnungs?(?:nummer|nr)?|rechnungs-nr|rechnungen|factures?|facturas?|factuur|facturen|factuurnummer|factuurnr|rg)
        \.?
        (?:[\s:.\#]*(?:(?:no|nr|num|number|nummer|número|numéro|ref|reference|id)(?-u:\b)|n°|nº|n\.º|n\.°)\.?)?
        [\s:\#]*
        (?P<id>{ID})
    "
    ))
    .expect("valid regex")
});

/// More numbers after the first: "invoices INV-1, INV-2 and INV-3".
static MORE_IDS_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^\s*(?:,|;|&|(?-u:\b)and(?-u:\b)|(?-u:\b)und(?-u:\b)|(?-u:\b)et(?-u:\b)|(?-u:\b)y(?-u:\b)|(?-u:\b)en(?-u:\b)|\+)\s*(?:no\.?\s*|nr\.?\s*|#\s*)?(?P<id>{ID})"
    ))
    .expect("valid regex")
});

static ID_ALONE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^#?\s*(?P<id>{ID})$")).expect("valid regex"));

static AMOUNT_LIKE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d{1,3}(?:[.,]\d{3})*[.,]\d{2}$|^\d{1,2}$|^\d{1,2}[.:]\d{2}$")
        .expect("valid regex")
});

/// Labels of a column or line that holds invoice numbers.
static INVOICE_HEADER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:invoice|inv|bill|rechnung\w*|beleg\w*|factur\w*|factuur\w*|document|doc)(?-u:\b)|^n[º°o]\.?(?:\s|$)|^(?:number|nummer|número|numéro|reference|referencia|référence)(?-u:\b)").expect("valid regex")
});

/// Whether `token` can be an invoice number (has a digit, is not a date, an amount or a time).
fn plausible_id(token: &str) -> bool {
    let t = token.trim_start_matches('#');
    t.len() >= 3
        && t.len() <= 40
        && t.chars().any(|c| c.is_ascii_digit())
        && !AMOUNT_LIKE_RE.is_match(t)
        && !looks_like_date(t)
        // A bare year ("Rechnung 2026") is not a number.
        && !(t.len() == 4 && t.starts_with("20") && t.chars().all(|c| c.is_ascii_digit()))
}

/// Whether a token is a date rather than a number ("01.10.2026", "2026-10-01", "10/01/26").
fn looks_like_date(t: &str) -> bool {
    let separators = t.chars().filter(|c| matches!(c, '.' | '/' | '-')).count();
    separators == 2
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '/' | '-'))
        && (dates::parse_date(t, DayOrder::DayFirst, NaiveDate::MIN).is_some()
            || dates::parse_date(t, DayOrder::MonthFirst, NaiveDate::MIN).is_some())
}

/// The comparable form of an invoice number: what AP systems use for duplicate detection.
pub fn normalise_invoice(id: &str) -> String {
    // Leading zeros of each digit group are dropped ("INV-00123" is "INV123"), as AP
    // systems' duplicate checks do; a group of only zeros keeps one.
    let mut out = String::with_capacity(id.len());
    let (mut at_group_start, mut skipped_zero) = (true, false);
    for c in id.trim_start_matches('#').chars() {
        if c.is_ascii_digit() {
            if at_group_start && c == '0' {
                skipped_zero = true;
                continue;
            }
            at_group_start = false;
            skipped_zero = false;
            out.push(c);
        } else {
            if skipped_zero {
                out.push('0');
                skipped_zero = false;
            }
            at_group_start = true;
            if c.is_alphanumeric() {
                out.extend(c.to_uppercase());
            }
        }
    }
    if skipped_zero {
        out.push('0');
    }
    out
}

/// Invoice numbers in `text`, in order of first appearance, without repeats.
pub fn invoices(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let push = |id: &str, out: &mut Vec<String>| {
        let id = id.trim_start_matches('#');
        if plausible_id(id)
            && !out
                .iter()
                .any(|o| normalise_invoice(o) == normalise_invoice(id))
        {
            out.push(id.to_string());
        }
    };
    // Labels are matched on the case-folded text (same byte offsets); numbers are taken from
    // the original, as printed.
    let folded = crate::fold::fold(text);
    for caps in INVOICE_RE.captures_iter(&folded) {
        let Some(id) = caps.name("id") else { continue };
        let label_start = caps.get(0).map_or(0, |m| m.start());
        // "https://billing.example/invoices/10234" is a link, not a label.
        if text[..label_start].ends_with(['/', '.', '=', '?', '_', '-']) {
            continue;
        }
        push(&text[id.range()], &mut out);
        let mut at = id.end();
        while let Some(more) = MORE_IDS_RE.captures(&folded[at..]) {
            let m = more.name("id").expect("id group is not optional");
            push(&text[at + m.start()..at + m.end()], &mut out);
            at += m.end();
        }
    }
    for t in table::find(text, |h| h.iter().any(|c| INVOICE_HEADER_RE.is_match(c))) {
        if let Some(col) = t.column(|h| INVOICE_HEADER_RE.is_match(h)) {
            for cell in t.cells(col) {
                if let Some(c) = ID_ALONE_RE.captures(cell) {
                    push(&c["id"], &mut out);
                }
            }
        }
    }
    out
}

/// How strongly the words before an amount say it is the sum requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum AmountLabel {
    /// Subtotal, VAT, already paid, fees on their own: never the amount requested.
    Excluded,
    None,
    Generic,
    Due,
    Total,
}

static TOTAL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)total|gesamt|(?-u:\b)summe(?-u:\b)|endbetrag|totaal|(?-u:\b)solde(?-u:\b)|saldo(?-u:\b)|balance (?:due|outstanding|owing|of)|outstanding balance|gesamtsaldo|importe total|montant total")
        .expect("valid regex")
});
static DUE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)amount (?:due|owed|outstanding|overdue|payable)|(?-u:\b)balance(?-u:\b)|outstanding|owed|owing|overdue|past due|(?-u:\b)due(?-u:\b)|offen|ausstehend|zu zahlen|fällig|restbetrag|rückstand|montant dû|reste à payer|en souffrance|impayé|dû|(?-u:\b)due?s?(?-u:\b)|pendiente|adeudad|vencid|openstaand|verschuldigd|te betalen|achterstallig")
        .expect("valid regex")
});
static GENERIC_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)amount|(?-u:\b)sum(?-u:\b)|betrag|montant|importe|bedrag|(?-u:\b)of(?-u:\b)|(?-u:\b)de(?-u:\b)|(?-u:\b)von(?-u:\b)|(?-u:\b)van(?-u:\b)|(?-u:\b)por(?-u:\b)|(?-u:\b)pour(?-u:\b)|(?-u:\b)over(?-u:\b)")
        .expect("valid regex")
});
static EXCLUDED_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)sub-?total|zwischensumme|sous-total|(?-u:\b)vat(?-u:\b)|(?-u:\b)tax(?-u:\b)|mwst|ust\.|(?-u:\b)tva(?-u:\b)|(?-u:\b)iva(?-u:\b)|(?-u:\b)btw(?-u:\b)|already paid|(?-u:\b)paid(?-u:\b)|received|bezahlt|erhalten|gezahlt|payé|reçu|pagado|recibido|betaald|ontvangen|credit|gutschrift|(?-u:\b)avoir(?-u:\b)|abono|discount|skonto|rabatt|descuento|korting|fee(?-u:\b)|gebühr|frais|interest|zinsen|intérêts|intereses|(?-u:\b)rente(?-u:\b)|capital social|stammkapital|share capital")
        .expect("valid regex")
});

fn amount_label(context: &str) -> AmountLabel {
    let nearest = |re: &Regex| re.find_iter(context).last().map(|m| m.end());
    let excluded = nearest(&EXCLUDED_RE);
    // A total label wins anywhere in the context ("Total amount due"), unless an exclusion
    // stands after it ("Total paid", "Total VAT").
    if let Some(total) = nearest(&TOTAL_RE) {
        if excluded.is_none_or(|x| total > x) {
            return AmountLabel::Total;
        }
    }
    // Otherwise the label nearest the amount decides.
    [
        (excluded, AmountLabel::Excluded),
        (nearest(&DUE_RE), AmountLabel::Due),
        (nearest(&GENERIC_RE), AmountLabel::Generic),
    ]
    .into_iter()
    .filter_map(|(end, label)| end.map(|e| (e, label)))
    .max()
    .map_or(AmountLabel::None, |(_, label)| label)
}

/// The context an amount is read in: its line up to it, or the line before if its own line
/// has no words ("Total due:\n  $1,234.56").
fn context_before(text: &str, start: usize) -> &str {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
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
    for text in texts {
        let found: Vec<(AmountLabel, FoundMoney)> = money::find_amounts(text)
            .into_iter()
            .filter(|f| f.money.amount > rust_decimal::Decimal::ZERO)
            .map(|f| (amount_label(context_before(text, f.start)), f))
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

static DUE_DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)due(?-u:\b)|payable (?:on|by)|fällig|zahlungsziel|zahlbar (?:bis|am)|échéance|échu|vencimiento|(?-u:\b)vence|vencid[ao]|vervaldatum|vervalt|verviel|vervallen|betaaltermijn|uiterste betaaldatum|expired? on")
        .expect("valid regex")
});
static DEADLINE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:by|before|no later than|until|latest)(?-u:\b)|(?-u:\b)bis(?-u:\b)|spätestens|avant le|au plus tard|d'ici (?:le|au)|(?-u:\b)antes de|a más tardar|como máximo|(?-u:\b)vóór(?-u:\b)|(?-u:\b)uiterlijk(?-u:\b)|(?-u:\b)voor(?-u:\b)")
        .expect("valid regex")
});
static OTHER_DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)invoice date|(?-u:\b)dated(?-u:\b)|issued|date of (?:the )?invoice|rechnungsdatum|(?-u:\b)vom(?-u:\b)|date de (?:la )?facture|(?-u:\b)du(?-u:\b)|émise(?-u:\b)|fecha (?:de )?(?:la )?factura|de fecha|(?-u:\b)emitida|factuurdatum|(?-u:\b)sent(?-u:\b)|gesendet|envoyé|enviado|verzonden|wrote|schrieb|écrit|escribió|schreef|(?-u:\b)on\s+\w+day(?-u:\b)|(?-u:\b)am\s+\w+tag(?-u:\b)")
        .expect("valid regex")
});

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

/// A due word right after an unlabelled date ("war am 01.10.2026 fällig").
static DUE_AFTER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[ \t,]{0,3}(?:fällig|due(?-u:\b)|vervalt|vervallen|vencid|venci[óo]|échue?)")
        .expect("valid regex")
});

static DUE_HEADER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)due|fällig|échéance|vencimiento|vervaldatum|vervalt|zahlungsziel")
        .expect("valid regex")
});

/// The due date a chaser states: the invoice's due date, or else the deadline it sets. When a
/// statement lists several different due dates and sets no deadline, there is no single one.
pub fn due_date(
    texts: &[&str],
    order: DayOrder,
    reference: NaiveDate,
    is_statement: bool,
) -> Option<NaiveDate> {
    let mut due: Vec<NaiveDate> = Vec::new();
    let mut deadlines: Vec<NaiveDate> = Vec::new();
    for text in texts {
        let found = dates::find_dates(text, order, reference);
        for i in 0..found.len() {
            let label = date_label(date_context(text, &found, i)).or_else(|| {
                DUE_AFTER_RE
                    .is_match(&text[found[i].end..])
                    .then_some(DateLabel::Due)
            });
            match label {
                Some(DateLabel::Due) => due.push(found[i].date),
                Some(DateLabel::Deadline) => deadlines.push(found[i].date),
                Some(DateLabel::Other) | None => {}
            }
        }
        for t in table::find(text, |h| h.iter().any(|c| DUE_HEADER_RE.is_match(c))) {
            due.extend(due_column_dates(&t, order, reference));
        }
        if !due.is_empty() || !deadlines.is_empty() {
            break;
        }
    }
    let mut distinct = due.clone();
    distinct.sort();
    distinct.dedup();
    match (distinct.len(), deadlines.first()) {
        (1, _) => Some(distinct[0]),
        (n, Some(d)) if n > 1 && is_statement => Some(*d),
        (n, None) if n > 1 && is_statement => None,
        (n, _) if n > 1 => due.first().copied(),
        (_, d) => d.copied(),
    }
}

fn due_column_dates(t: &Table<'_>, order: DayOrder, reference: NaiveDate) -> Vec<NaiveDate> {
    let Some(col) = t.column(|h| DUE_HEADER_RE.is_match(h)) else {
        return Vec::new();
    };
    t.cells(col)
        .filter_map(|c| dates::parse_date(c, order, reference))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn invoice_numbers_in_many_forms() {
        let text = "Invoice INV-00123 and invoice no. 2026/0042, Rechnung Nr. RE-2026-117, \
                    facture n° FA-2026-0311, Factura N.º 2026/0043, factuurnummer F2026-118, \
                    Inv# A-7781, bill no. 3341, invoice #10234, Invoice ACC-SINV-2026-00001.";
        assert_eq!(
            invoices(text),
            vec![
                "INV-00123",
                "2026/0042",
                "RE-2026-117",
                "FA-2026-0311",
                "2026/0043",
                "F2026-118",
                "A-7781",
                "3341",
                "10234",
                "ACC-SINV-2026-00001"
            ]
        );
    }

    #[test]
    fn lists_tables_and_non_invoices() {
        assert_eq!(
            invoices("invoices INV-1001, INV-1002 and INV-1003 are open"),
            vec!["INV-1001", "INV-1002", "INV-1003"]
        );
        assert_eq!(invoices("Invoice | Date | Amount\nINV-2001 | 01.10.2026 | €5,00\nINV-2002 | 02.10.2026 | €6,00\nTotal | | €11,00"), vec!["INV-2001", "INV-2002"]);
        assert!(
            invoices("Invoice dated 01.10.2026 for order 5512, PO 4411, customer 99812").is_empty()
        );
        assert!(invoices("the invoice 2 weeks ago; Rechnung 2026").is_empty());
    }

    #[test]
    fn normalised_numbers_compare_as_ap_systems_do() {
        assert_eq!(
            normalise_invoice("inv-00123"),
            normalise_invoice("INV 00123")
        );
        assert_eq!(normalise_invoice("#2026/0042"), "202642");
        assert_eq!(normalise_invoice("INV-00123"), normalise_invoice("inv 123"));
        assert_eq!(normalise_invoice("A-000"), "A0");
        assert_ne!(normalise_invoice("INV-1023"), normalise_invoice("INV-123"));
    }

    #[test]
    fn total_wins_over_lines_and_vat() {
        let text = "INV-1 | € 500,00\nINV-2 | € 700,00\nZwischensumme | € 1.200,00\nMwSt | € 228,00\nGesamtbetrag | € 1.428,00";
        assert_eq!(
            amount(&[text]).unwrap(),
            Money::new("1428.00".parse().unwrap(), "EUR")
        );
        let text = "Invoice amount: $1,000.00\nAlready paid: $600.00\nBalance due: $400.00";
        assert_eq!(amount(&[text]).unwrap().amount.to_string(), "400.00");
        let text = "Total due:\n   £980";
        assert_eq!(amount(&[text]).unwrap().amount.to_string(), "980");
    }

    #[test]
    fn due_date_prefers_due_over_invoice_date_and_deadline() {
        let r = d(2026, 11, 1);
        let text = "Invoice INV-1 dated 01.09.2026, due on 01.10.2026. Please pay by 30.11.2026.";
        assert_eq!(
            due_date(&[text], DayOrder::DayFirst, r, false),
            Some(d(2026, 10, 1))
        );
        let text = "Please pay by November 30, 2026.";
        assert_eq!(
            due_date(&[text], DayOrder::MonthFirst, r, false),
            Some(d(2026, 11, 30))
        );
        let text =
            "Invoice | Due date | Amount\nA-1 | 01.09.2026 | €1,00\nA-2 | 01.10.2026 | €2,00";
        assert_eq!(due_date(&[text], DayOrder::DayFirst, r, true), None);
        assert_eq!(
            due_date(&["Invoice dated 01.09.2026"], DayOrder::DayFirst, r, false),
            None
        );
    }
}
