//! What a chaser claims: the invoice numbers, the total amount requested and the due date,
//! read from labels ("Invoice No.", "Fakturanr", "Total due", "do zapłaty", "fällig am",
//! "支払期限"...) in 22 languages and from statement tables. No I/O here.

mod amount;
mod due;
mod labels;
mod locale;
mod starts;

pub use amount::{amount, amount_in, amount_of};
pub use due::{due_candidates, due_candidates_of, due_date, due_date_in, DueCandidates};
pub use locale::{day_order, refine_lang, Locale};

use super::table::{self, Table};
use crate::dates::{self, DayOrder};
use crate::money;
use chrono::NaiveDate;
use labels::*;
use regex::Regex;
use std::sync::LazyLock;

/// One text made ready for every claim reader: its case fold (`crate::fold::fold`) and its
/// lines split into table cells, each made once, when first asked for, however many readers
/// ask.
pub struct Prepared<'a> {
    pub text: &'a str,
    folded: std::cell::OnceCell<String>,
    rows: std::cell::OnceCell<table::Rows<'a>>,
}

impl<'a> Prepared<'a> {
    pub fn new(text: &'a str) -> Prepared<'a> {
        Prepared {
            text,
            folded: std::cell::OnceCell::new(),
            rows: std::cell::OnceCell::new(),
        }
    }

    /// The text's case fold: same length and character boundaries as the text.
    pub fn folded(&self) -> &str {
        self.folded.get_or_init(|| crate::fold::fold(self.text))
    }

    /// The text's lines, split into cells.
    pub fn rows(&self) -> &table::Rows<'a> {
        self.rows.get_or_init(|| table::Rows::new(self.text))
    }
}

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

static AMOUNT_LIKE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d{1,3}(?:[.,]\d{3})*[.,]\d{2}$|^\d{1,2}$|^\d{1,2}[.:]\d{2}$")
        .expect("valid regex")
});

/// A currency right after a number: "fatura 1500 TL" names an amount, not an invoice.
static CURRENCY_AFTER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[ \x{a0}\x{202f}]?(?:[€$£¥￥₺元円]|(?:EUR|USD|GBP|CHF|PLN|CZK|HUF|SEK|NOK|DKK|RON|TRY|HRK|JPY|CNY|RMB)(?-u:\b)|(?:kr|Kr|zł|Kč|Ft|TL|lei|kn|euro)(?:[^\p{L}]|$))")
        .expect("valid regex")
});

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

/// A series prefix before a number ("FT 2026/1234", "NF-e 001234") belongs to it when it is
/// written in capitals and the number starts with a digit; a lower-case word does not.
fn with_prefix(
    text: &str,
    pre: Option<std::ops::Range<usize>>,
    id: std::ops::Range<usize>,
) -> Option<&str> {
    let Some(pre) = pre else {
        return Some(&text[id]);
    };
    let word = text[pre.clone()].trim_end();
    let caps = word
        .trim_end_matches("-e")
        .chars()
        .all(|c| c.is_ascii_uppercase())
        && money::currency_code(word).is_none();
    // "FT 2026/1234" and "FT A26/08125" (Portuguese series), but not "FOR ORDER5512".
    let series =
        text[id.clone()].starts_with(|c: char| c.is_ascii_digit()) || (2..=4).contains(&word.len());
    (caps && series).then(|| &text[pre.start..id.end])
}

/// "269 750 Ft": a number grouped by spaces goes on after the first group.
static SPACED_DIGITS_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[ \x{a0}\x{202f}]\d{3}(?:\D|$)").expect("valid regex"));

/// A number with its issue date glued on, as Romanian writes it ("nr. 08678/3 august 2026",
/// "TA001117/24.09.2026"), is the number without the date.
fn without_date<'a>(id: &'a str, rest: &str) -> &'a str {
    for (p, _) in id.match_indices('/') {
        let mut tail = String::with_capacity(48);
        tail.push_str(&id[p + 1..]);
        tail.extend(rest.chars().take(24));
        let found = dates::find_dates(&tail, DayOrder::DayFirst, NaiveDate::MIN);
        if found.first().is_some_and(|d| d.start == 0) && p > 0 {
            return &id[..p];
        }
    }
    id
}

/// [`INVOICE_RE`]'s matches, found where its label words stand.
static INVOICE_STARTS: LazyLock<starts::Starts> =
    LazyLock::new(|| starts::Starts::at_word_edges(INVOICE_RE.as_str()));

/// Invoice numbers in `text`, in order of first appearance, without repeats.
pub fn invoices(text: &str) -> Vec<String> {
    invoices_of(&Prepared::new(text))
}

/// [`invoices`] of a prepared text.
pub fn invoices_of(prepared: &Prepared<'_>) -> Vec<String> {
    let (text, folded) = (prepared.text, prepared.folded());
    let mut out: Vec<String> = Vec::new();
    let push = |id: &str, end: usize, out: &mut Vec<String>| {
        let id = without_date(id.trim_start_matches('#'), &text[end..]);
        let rest = &text[end..];
        // "1.234" of "1.234,56" is part of a number, and "1500 TL" is an amount.
        // A number cut short by the length bound is no number either.
        let inside_number = (rest.starts_with(['.', ',', '\'', '’'])
            && rest.chars().nth(1).is_some_and(|c| c.is_ascii_digit()))
            || rest.starts_with(|c: char| c.is_ascii_alphanumeric())
            || SPACED_DIGITS_RE.is_match(rest);
        if plausible_id(id)
            && !inside_number
            && !CURRENCY_AFTER_RE.is_match(rest)
            && !out
                .iter()
                .any(|o| normalise_invoice(o) == normalise_invoice(id))
        {
            out.push(id.to_string());
        }
    };
    // Labels are matched on the case-folded text (same byte offsets); numbers are taken from
    // the original, as printed.
    for whole in INVOICE_STARTS.find_iter(folded) {
        // Most matches are a label word and the word after it ("invoice for"): with no digit
        // the number is not plausible, and unless a list of numbers follows ("invoices A, 2")
        // nothing comes of it. Only the rest pay for reading the groups (captures cost several
        // times a match; the matches found are the same either way).
        if !folded[whole.clone()].bytes().any(|b| b.is_ascii_digit())
            && !MORE_IDS_RE.is_match(&folded[whole.end..])
        {
            continue;
        }
        let Some(caps) = INVOICE_RE.captures_at(folded, whole.start) else {
            continue;
        };
        let Some(id) = caps.name("id") else { continue };
        let label_start = caps.get(0).map_or(0, |m| m.start());
        // "https://billing.example/invoices/10234" is a link, not a label.
        if text[..label_start].ends_with(['/', '.', '=', '?', '_', '-']) {
            continue;
        }
        let label = caps.name("label").map_or("", |m| &folded[m.range()]);
        // "INV202611840": a label glued to the digits is the number's own prefix.
        if caps
            .name("label")
            .is_some_and(|l| l.end() == id.start() && caps.name("pre").is_none())
        {
            continue;
        }
        // The stems' inflections include billing words: "Rechnungsanschrift" is no label.
        let ending: String = label.chars().skip(5).collect();
        if NOT_A_NUMBER_LABEL_RE.is_match(&ending) {
            continue;
        }
        let Some(first) = with_prefix(text, caps.name("pre").map(|m| m.range()), id.range()) else {
            continue;
        };
        // "NF-e 001234": the Brazilian document kind is part of the number as printed.
        if label.starts_with("nf") {
            let kind = caps.name("label").map_or("", |m| &text[m.range()]);
            push(&format!("{kind} {first}"), id.end(), &mut out);
        } else {
            push(first, id.end(), &mut out);
        }
        let mut at = id.end();
        while let Some(more) = MORE_IDS_RE.captures(&folded[at..]) {
            let m = more.name("id").expect("id group is not optional");
            let pre = more.name("pre").map(|p| at + p.start()..at + p.end());
            if let Some(next) = with_prefix(text, pre, at + m.start()..at + m.end()) {
                push(next, at + m.end(), &mut out);
            }
            at += m.end();
        }
    }
    // Every number-before-label form has one of these words: without them the pattern, which
    // starts with any word, need not run over the whole text.
    let id_before = ID_BEFORE_WORDS.is_match(folded);
    for caps in ID_BEFORE_RE.captures_iter(if id_before { folded } else { "" }) {
        if let Some(id) = caps.name("id") {
            push(&text[id.range()], id.end(), &mut out);
        }
    }
    for t in prepared
        .rows()
        .find(|h| h.iter().any(|c| INVOICE_HEADER_RE.is_match(c)))
    {
        if let Some(col) = invoice_column(&t) {
            for cell in t.cells(col) {
                if let Some(c) = ID_ALONE_RE.captures(cell) {
                    let pre = c.name("pre").map(|p| p.range());
                    let id = c.name("id").expect("id group is not optional").range();
                    if let Some(id) = with_prefix(cell, pre, id) {
                        // A cell holds nothing after the number.
                        push(id, text.len(), &mut out);
                    }
                }
            }
        }
    }
    out
}

/// The column of a table that holds invoice numbers: one whose header names invoices, a
/// number rather than a date or amount preferred ("Rechnungsdatum | Rechnungsnummer").
fn invoice_column(t: &Table<'_>) -> Option<usize> {
    let named = |h: &str| INVOICE_HEADER_RE.is_match(h);
    t.column(|h| named(h) && NUMBER_HEADER_RE.is_match(h))
        .or_else(|| t.column(|h| named(h) && !DATE_OR_AMOUNT_HEADER_RE.is_match(h)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;

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

    #[test]
    fn invoice_labels_of_every_language() {
        for (text, want) in [
            ("Fakturanr 12345 är förfallen", "12345"),
            ("fakturanummer: 2026-0042", "2026-0042"),
            ("Vedrørende faktura nr. 88231", "88231"),
            ("Numer faktury: FV/2026/10/123", "FV/2026/10/123"),
            (
                "Faktura VAT nr FV/2026/10/124 z dnia 01.10.2026",
                "FV/2026/10/124",
            ),
            ("la fattura n. 123/2026 risulta scaduta", "123/2026"),
            (
                "a fatura nº FT 2026/1234 encontra-se vencida",
                "FT 2026/1234",
            ),
            ("referente à NF-e 001234", "NF-e 001234"),
            ("a NF-e nº 006534 encontra-se em atraso", "NF-e 006534"),
            ("Číslo faktury: 2026001", "2026001"),
            ("faktúru č. 2026/0099", "2026/0099"),
            ("Számla sorszáma: SZ-2026/123", "SZ-2026/123"),
            ("a 2026/456 számú számla", "2026/456"),
            ("factura nr. RO-7781 din 01.10.2026", "RO-7781"),
            ("račun br. 12-2026-1", "12-2026-1"),
            ("Številka računa: 2026-00311", "2026-00311"),
            ("Fatura No: ABC2026000000123", "ABC2026000000123"),
            ("la factura núm. 2026/311", "2026/311"),
            ("Laskun numero 404412", "404412"),
            ("請求書番号：INV-2026-001", "INV-2026-001"),
            ("发票号码：12345678", "12345678"),
            ("Invoice number | 55120", "55120"),
        ] {
            assert_eq!(invoices(text), vec![want], "{text}");
        }
    }

    #[test]
    fn not_invoice_numbers() {
        for text in [
            "fatura 1500 TL tutarında",
            "faktura på 12 345,00 kr",
            "la fattura del 31/10/2026",
            "Rechnung über 1.234,56 EUR",
            "invoice for order 5512",
            "la factura de 2026",
        ] {
            assert!(invoices(text).is_empty(), "{text}: {:?}", invoices(text));
        }
    }

    #[test]
    fn invoice_lists_and_table_columns_in_other_languages() {
        assert_eq!(
            invoices("fakturorna 1001, 1002 och 1003"),
            vec!["1001", "1002", "1003"]
        );
        let table = "Fakturadatum | Fakturanummer | Belopp\n01.09.2026 | 7781 | 1 200,00 kr\n01.10.2026 | 7790 | 800,00 kr";
        assert_eq!(invoices(table), vec!["7781", "7790"]);
        let table = "Nr faktury | Kwota\nFT 2026/1 | 100,00 zł";
        assert_eq!(invoices(table), vec!["FT 2026/1"]);
    }

    #[test]
    fn remaining_balance_wins_over_the_invoice_total() {
        let text = "Invoice total: $1,000.00\nPaid on 1 Oct: $600.00\nRemaining balance: $400.00";
        assert_eq!(amount(&[text]).unwrap().amount.to_string(), "400.00");
        let text =
            "Wartość faktury: 1 000,00 zł\nZapłacono: 600,00 zł\nPozostało do zapłaty: 400,00 zł";
        assert_eq!(
            amount(&[text]).unwrap(),
            Money::new("400.00".parse().unwrap(), "PLN")
        );
        let text =
            "Fakturabelopp 10 000,00 kr\nPåminnelseavgift 60,00 kr\nAtt betala: 10 060,00 kr";
        assert_eq!(amount(&[text]).unwrap().amount.to_string(), "10060.00");
        let text = "小計 100,000円\n消費税 10,000円\nご請求金額 110,000円";
        assert_eq!(
            amount(&[text]).unwrap(),
            Money::new("110000".parse().unwrap(), "JPY")
        );
        let text = "Total (incl. VAT): € 1.428,00";
        assert_eq!(amount(&[text]).unwrap().amount.to_string(), "1428.00");
    }

    #[test]
    fn krone_and_yuan_follow_the_locale() {
        let da = Locale::new("en", Some("firma.dk"), "Beløb");
        assert_eq!(
            amount_in(&["I alt 1.250,00 kr."], &da).unwrap().currency,
            "DKK"
        );
        let nb = Locale::new("en", None, "Vennlig hilsen, beløp å betale");
        assert_eq!(
            amount_in(&["Å betale: kr 1 250,00"], &nb).unwrap().currency,
            "NOK"
        );
        let zh = Locale::new("zh", None, "");
        assert_eq!(
            amount_in(&["应付金额：¥1,234.00"], &zh).unwrap().currency,
            "CNY"
        );
    }

    #[test]
    fn due_date_labels_of_every_language() {
        let r = d(2026, 11, 1);
        for (text, lang) in [
            ("Data di scadenza: 31/10/2026", "it"),
            ("Data de vencimento: 31/10/2026", "pt"),
            ("Termin płatności: 31 października 2026", "pl"),
            ("Förfallodatum: 2026-10-31", "sv"),
            ("Forfaldsdato: 31.10.2026", "da"),
            ("Forfallsdato: 31.10.2026", "nb"),
            ("Eräpäivä: 31.10.2026", "fi"),
            ("Datum splatnosti: 31. 10. 2026", "cs"),
            ("Fizetési határidő: 2026. október 31.", "hu"),
            ("Data scadenței: 31.10.2026", "ro"),
            ("Datum dospijeća: 31. listopada 2026.", "hr"),
            ("Rok plačila: 31. 10. 2026", "sl"),
            ("Vade tarihi: 31 Ekim 2026", "tr"),
            ("Data de venciment: 31/10/2026", "ca"),
            ("支払期限：2026年10月31日", "ja"),
            ("到期日：2026年10月31日", "zh"),
            ("Invoice date 01.09.2026. Eräpäivä oli 31.10.2026.", "fi"),
        ] {
            let locale = Locale { lang, tld: "" };
            assert_eq!(
                due_date_in(&[text], DayOrder::DayFirst, r, false, &locale),
                Some(d(2026, 10, 31)),
                "{text}"
            );
        }
        let text = "Kérjük, 2026. november 15-ig fizesse ki.";
        assert_eq!(
            due_date(&[text], DayOrder::DayFirst, r, false),
            Some(d(2026, 11, 15))
        );
        let text = "2026年11月15日までにお支払いください。";
        assert_eq!(
            due_date(&[text], DayOrder::DayFirst, r, false),
            Some(d(2026, 11, 15))
        );
    }

    #[test]
    fn us_senders_write_month_first() {
        let usd = Money::new("100".parse().unwrap(), "USD");
        let body = "Acme Inc., 100 Main St, Austin, TX 78701, +1 512 555 0100";
        assert_eq!(
            day_order("en", Some("acme.com"), Some(&usd), body),
            DayOrder::MonthFirst
        );
        let gbp = Money::new("100".parse().unwrap(), "GBP");
        assert_eq!(
            day_order("en", Some("acme.com"), Some(&gbp), "+44 20 7946 0000"),
            DayOrder::DayFirst
        );
        assert_eq!(
            day_order("en", Some("acme.co.uk"), None, ""),
            DayOrder::DayFirst
        );
        assert_eq!(
            day_order("en", Some("acme.com"), None, "London EC1A 1BB"),
            DayOrder::DayFirst
        );
        assert_eq!(
            day_order("de", Some("acme.com"), Some(&usd), body),
            DayOrder::DayFirst
        );
        assert_eq!(
            day_order("en", Some("acme.com"), Some(&usd), "due 25/10/2026"),
            DayOrder::DayFirst
        );
    }

    #[test]
    fn dates_glued_to_numbers_and_due_words_after_dates() {
        let r = d(2026, 11, 1);
        let text = "a trecut data scadentă a facturii nr. 08678/3 august 2026";
        assert_eq!(due_date(&[text], DayOrder::DayFirst, r, false), None);
        assert_eq!(invoices(text), vec!["08678"]);
        let text = "die Rechnung ist heute, am 04.11.2026, zur Zahlung fällig.";
        assert_eq!(
            due_date(&[text], DayOrder::DayFirst, r, false),
            Some(d(2026, 11, 4))
        );
        let text = "la fattura del 14/05/2026, scaduta il 13 giugno 2026";
        assert_eq!(
            due_date(&[text], DayOrder::DayFirst, r, false),
            Some(d(2026, 6, 13))
        );
        let text = "faktura 03384 (förfallodag 24/9 2026). Vänligen betala senast 2026-12-06.";
        assert_eq!(
            due_date(&[text], DayOrder::DayFirst, r, false),
            Some(d(2026, 9, 24))
        );
    }

    #[test]
    fn billing_words_phones_and_ids_that_are_not_invoice_numbers() {
        let text =
            "Rechnungsanschrift: 10115 Berlin. Invoicing contact 555-1234. Kundennummer 12345, \
                    Bestellnummer 556677, USt-IdNr. DE123456789, IBAN DE89 3704 0044 0532 0130 00, \
                    Tel. +49 30 1234567, fatturazione 2026-10";
        assert!(invoices(text).is_empty(), "{:?}", invoices(text));
    }

    #[test]
    fn whole_chasers_in_the_languages_outside_the_corpus() {
        let r = d(2026, 11, 1);
        let order = DayOrder::DayFirst;
        for (lang, text, inv, amount, cur) in [
            ("ja", "請求書番号：INV-2026-0415\nご請求金額：¥120,000（税込）\nお支払期限：2026年10月31日", "INV-2026-0415", "120000", "JPY"),
            ("zh", "发票号码：12345678\n应付金额：人民币 12,345.00 元\n付款期限：2026年10月31日", "12345678", "12345.00", "CNY"),
            ("tr", "Fatura No: ABC2026000000123\nToplam: 12.345,67 TL\nSon ödeme tarihi: 31.10.2026", "ABC2026000000123", "12345.67", "TRY"),
            ("ca", "La factura núm. 2026/311 té un import pendent de 1.234,56 €, amb data de venciment 31/10/2026.", "2026/311", "1234.56", "EUR"),
            ("nb", "Fakturanummer: 10234\nÅ betale: kr 12 345,00\nForfallsdato: 31.10.2026", "10234", "12345.00", "NOK"),
        ] {
            let locale = Locale { lang, tld: "" };
            assert_eq!(invoices(text), vec![inv], "{text}");
            let got = amount_in(&[text], &locale).unwrap();
            assert_eq!((got.amount.to_string().as_str(), got.currency.as_str()), (amount, cur), "{text}");
            assert_eq!(due_date_in(&[text], order, r, false, &locale), Some(d(2026, 10, 31)), "{text}");
        }
    }
}
