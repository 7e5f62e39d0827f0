//! Xero's exports: the Aged Payables Detail report as CSV (title, organisation and "As at"
//! lines above the header, rows grouped under each contact's name, "Total ..." lines, a
//! currency in the column name or its own column) and the bill import/export CSV (one line
//! per bill line, `*` on required columns, a bill's total repeated or summed from its
//! lines). Only a credit note may be negative. Pure.

use super::report::{self, Part};
use super::text::{self, Columns, DayOrder, DecimalMark, Line};
use super::{Imported, Options, Row, Rows};
use crate::payables::CsvError;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// The Aged Payables Detail columns duebox needs.
pub const AGED_REQUIRED: &[&str] = &["date", "due date", "total", "paid", "credited", "due"];
/// The bill CSV columns duebox needs.
pub const BILLS_REQUIRED: &[&str] = &["contactname", "invoicenumber", "invoicedate", "duedate"];

fn dates<'a>(lines: impl Iterator<Item = &'a Line>, cols: &[usize]) -> Result<DayOrder, CsvError> {
    let cells: Vec<&str> = lines
        .flat_map(|l| cols.iter().map(move |&c| l.cell(c)))
        .collect();
    text::settle_order(cells.into_iter(), DayOrder::DayFirst).map_err(CsvError::Format)
}

/// The currency a header gives in brackets: "Due (GBP)".
fn header_currency(line: &Line) -> Option<String> {
    line.cells.iter().find_map(|c| {
        let c = c.trim();
        let open = c.rfind(" (")?;
        let code = c[open + 2..].strip_suffix(')')?;
        (code.len() == 3 && code.chars().all(|ch| ch.is_ascii_uppercase()))
            .then(|| code.to_string())
    })
}

pub fn read_aged(text: &str, _opts: &Options, _out: &mut Imported) -> Result<Rows, CsvError> {
    let lines = text::records(text, text::sniff_delimiter(text))?;
    let header = text::find_header(&lines, AGED_REQUIRED).ok_or_else(|| {
        CsvError::Format(format!(
            "no Xero Aged Payables Detail header row (with {}) in the first 30 lines",
            AGED_REQUIRED.join(", ")
        ))
    })?;
    let cols = Columns::of(&lines[header]);
    let at = |names: &[&str]| cols.find(names);
    let date = at(&["date", "invoice date"]).unwrap_or(0);
    let due_date = at(&["due date"]).unwrap_or(0);
    let due = at(&["due"]).unwrap_or(0);
    let number = at(&["invoice number", "reference", "number"]);
    let contact = at(&["contact", "contact name"]);
    let currency = at(&["currency"]);
    let kind = at(&["type", "transaction", "description"]);
    let file_currency = header_currency(&lines[header]);
    let body = report::body(&lines, header);
    let order = dates(
        body.iter().filter_map(|p| match p {
            Part::Row(l) => Some(*l),
            Part::Heading(_) => None,
        }),
        &[date, due_date],
    )?;
    let mut group: Option<String> = None;
    let mut rows = Rows::new();
    for part in body {
        let line = match part {
            Part::Heading(h) => {
                if !report::is_ageing_bucket(&h) {
                    group = Some(h);
                }
                continue;
            }
            Part::Row(l) => l,
        };
        let row = (|| -> Result<Row, String> {
            let number_text = number.map(|n| line.cell(n)).unwrap_or("");
            let kind_text = kind.map(|k| line.cell(k)).unwrap_or("");
            let credit = (kind_text.to_lowercase().contains("credit"))
                || number_text.to_lowercase().starts_with("credit note");
            let invoice = number_text
                .split_once(':')
                .filter(|_| credit)
                .map_or(number_text, |(_, n)| n)
                .trim();
            Ok(Row {
                vendor: contact
                    .map(|c| line.cell(c).to_string())
                    .filter(|c| !c.is_empty())
                    .or_else(|| group.clone())
                    .unwrap_or_default(),
                invoice: invoice.to_string(),
                amount: text::amount(line.cell(due), DecimalMark::Point)
                    .map_err(|e| format!("Due {e}"))?,
                credit,
                currency: currency
                    .map(|c| line.cell(c).to_string())
                    .filter(|c| !c.is_empty())
                    .or_else(|| file_currency.clone()),
                issued: text::date(line.cell(date), order).map_err(|e| format!("Date {e}"))?,
                due: text::date(line.cell(due_date), order).map_err(|e| format!("Due Date {e}"))?,
                ..Row::default()
            })
        })();
        rows.push((line.number, row));
    }
    Ok(rows)
}

/// One bill assembled from its lines.
struct Bill {
    line: u64,
    row: Result<Row, String>,
    /// The bill's own total (InvoiceAmountDue or Total), when the file repeats it.
    stated: Option<Decimal>,
    summed: Decimal,
}

pub fn read_bills(text: &str, _opts: &Options, out: &mut Imported) -> Result<Rows, CsvError> {
    let lines = text::records(text, text::sniff_delimiter(text))?;
    let header = text::find_header(&lines, BILLS_REQUIRED).ok_or_else(|| {
        CsvError::Format(format!(
            "no Xero bill CSV header row (with {}) in the first 30 lines",
            BILLS_REQUIRED.join(", ")
        ))
    })?;
    let cols = Columns::of(&lines[header]);
    let at = |name: &str| cols.find(&[name]);
    let (contact, number, issued, due) = (
        at("contactname").unwrap_or(0),
        at("invoicenumber").unwrap_or(0),
        at("invoicedate").unwrap_or(0),
        at("duedate").unwrap_or(0),
    );
    let (email, currency, status, kind) =
        (at("emailaddress"), at("currency"), at("status"), at("type"));
    let stated_col = at("invoiceamountdue").or(at("total"));
    let (quantity, unit, line_amount, tax) = (
        at("quantity"),
        at("unitamount"),
        at("lineamount"),
        at("taxamount"),
    );
    let data: Vec<&Line> = lines[header + 1..]
        .iter()
        .filter(|l| !l.is_blank())
        .collect();
    let order = dates(data.iter().copied(), &[issued, due])?;
    let mut bills: Vec<Bill> = Vec::new();
    let mut by_number: HashMap<(String, String), usize> = HashMap::new();
    let mut skipped_paid = 0;
    for line in data {
        let status_text = status
            .map(|s| line.cell(s).to_lowercase())
            .unwrap_or_default();
        if matches!(status_text.as_str(), "paid" | "voided" | "deleted") {
            // Xero's export gives no payment date: a paid bill is not a payable to check.
            skipped_paid += usize::from(status_text == "paid");
            continue;
        }
        let key = (
            line.cell(contact).to_lowercase(),
            line.cell(number).to_string(),
        );
        let line_value = (|| -> Result<Decimal, String> {
            let get = |c: Option<usize>| c.map(|c| line.cell(c)).filter(|v| !v.is_empty());
            let value = match (get(line_amount), get(quantity), get(unit)) {
                (Some(a), _, _) => text::amount(a, DecimalMark::Point)?,
                (None, q, Some(u)) => {
                    let q = q.map_or(Ok(Decimal::ONE), |q| text::amount(q, DecimalMark::Point))?;
                    q * text::amount(u, DecimalMark::Point)?
                }
                _ => Decimal::ZERO,
            };
            let tax =
                get(tax).map_or(Ok(Decimal::ZERO), |t| text::amount(t, DecimalMark::Point))?;
            Ok(value + tax)
        })();
        let stated = stated_col
            .map(|c| line.cell(c))
            .filter(|v| !v.is_empty())
            .map(|v| text::amount(v, DecimalMark::Point));
        if let Some(&i) = by_number.get(&key) {
            let bill = &mut bills[i];
            match line_value {
                Ok(v) => bill.summed += v,
                Err(e) => bill.row = Err(format!("line {}: {e}", line.number)),
            }
            continue;
        }
        let credit = kind
            .map(|k| line.cell(k).to_lowercase())
            .is_some_and(|k| k.contains("credit"));
        let row = (|| -> Result<Row, String> {
            Ok(Row {
                vendor: line.cell(contact).to_string(),
                vendor_email: email.map(|e| line.cell(e).to_string()).unwrap_or_default(),
                invoice: line.cell(number).to_string(),
                amount: Decimal::ZERO,
                credit,
                currency: currency.map(|c| line.cell(c).to_string()),
                issued: text::date(line.cell(issued), order)
                    .map_err(|e| format!("InvoiceDate {e}"))?,
                due: text::date(line.cell(due), order).map_err(|e| format!("DueDate {e}"))?,
                ..Row::default()
            })
        })();
        let (row, summed) = match (row, line_value) {
            (Ok(r), Ok(v)) => (Ok(r), v),
            (Err(e), _) | (_, Err(e)) => (Err(e), Decimal::ZERO),
        };
        let (row, stated) = match stated {
            Some(Err(e)) => (Err(format!("InvoiceAmountDue/Total {e}")), None),
            Some(Ok(v)) => (row, Some(v)),
            None => (row, None),
        };
        by_number.insert(key, bills.len());
        bills.push(Bill {
            line: line.number,
            row,
            stated,
            summed,
        });
    }
    if skipped_paid > 0 {
        out.notes.push(format!(
            "{skipped_paid} paid bill(s) skipped: Xero's export gives no payment date"
        ));
    }
    Ok(bills
        .into_iter()
        .map(|b| {
            let row = b.row.map(|mut r| {
                let amount = b.stated.unwrap_or(b.summed);
                // Xero lists a credit note's amounts positive; its type says what it is.
                r.amount = if r.credit && amount.is_sign_positive() {
                    -amount
                } else {
                    amount
                };
                r
            });
            (b.line, row)
        })
        .collect())
}
