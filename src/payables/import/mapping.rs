//! Any other export (Sage, SAP, ERPNext, Odoo, a spreadsheet): the config's
//! `[import.mapping]` names the column for each field, the decimal mark and the date order.
//! Title, heading and total lines are read past as in the presets. Pure.

use super::report::{self, Part};
use super::text::{self, Columns, DayOrder, DecimalMark};
use super::{Imported, Options, Row, Rows, VendorBank};
use crate::payables::bank::{iban_is_valid, normalise_iban};
use crate::payables::{CsvError, Status};
use serde::Deserialize;

/// `[import.mapping]`: which column holds what (header names, any case).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub vendor: String,
    pub invoice_number: String,
    pub amount: String,
    pub issue_date: String,
    pub due_date: String,
    pub vendor_email: Option<String>,
    pub currency: Option<String>,
    pub status: Option<String>,
    pub paid_on: Option<String>,
    pub reference: Option<String>,
    pub iban: Option<String>,
    pub account_number: Option<String>,
    /// A column whose value names the document type; one containing "credit" (or
    /// "gutschrift", "avoir", "abono") marks a credit note, the only row that may be negative.
    pub document_type: Option<String>,
    /// "." (default) or ",".
    pub decimal: Option<String>,
    /// "dmy" or "mdy" for slashed dates the file leaves ambiguous (default "dmy").
    pub date_order: Option<String>,
}

impl Mapping {
    /// The header names that must all be present.
    pub fn required_keys(&self) -> Vec<&str> {
        [
            &self.vendor,
            &self.invoice_number,
            &self.amount,
            &self.issue_date,
            &self.due_date,
        ]
        .into_iter()
        .map(String::as_str)
        .collect()
    }

    /// Checks the table itself, for `config check` and loading.
    pub fn check(&self) -> Result<(), String> {
        if let Some(d) = self.decimal.as_deref().filter(|d| !matches!(*d, "." | ",")) {
            return Err(format!(
                "[import.mapping] decimal = \"{d}\" must be \".\" or \",\""
            ));
        }
        if let Some(o) = self
            .date_order
            .as_deref()
            .filter(|o| !matches!(*o, "dmy" | "mdy"))
        {
            return Err(format!(
                "[import.mapping] date_order = \"{o}\" must be \"dmy\" or \"mdy\""
            ));
        }
        Ok(())
    }
}

fn is_credit(kind: &str) -> bool {
    let k = kind.to_lowercase();
    ["credit", "gutschrift", "avoir", "abono", "creditnota"]
        .iter()
        .any(|w| k.contains(w))
}

pub(crate) fn read(
    text: &str,
    m: &Mapping,
    _opts: &Options,
    out: &mut Imported,
) -> Result<Rows, CsvError> {
    m.check().map_err(CsvError::Format)?;
    let lines = text::records(text, text::sniff_delimiter(text))?;
    let required: Vec<String> = m
        .required_keys()
        .iter()
        .map(|k| text::header_key(k))
        .collect();
    let required: Vec<&str> = required.iter().map(String::as_str).collect();
    let header = text::find_header(&lines, &required).ok_or_else(|| {
        CsvError::Format(format!(
            "no header row with the [import.mapping] columns {} in the first 30 lines",
            m.required_keys().join(", ")
        ))
    })?;
    let cols = Columns::of(&lines[header]);
    let col = |name: &str| cols.find(&[text::header_key(name).as_str()]);
    let opt = |name: &Option<String>| name.as_deref().and_then(col);
    let (vendor, number, amount, issued, due) = (
        col(&m.vendor).unwrap_or(0),
        col(&m.invoice_number).unwrap_or(0),
        col(&m.amount).unwrap_or(0),
        col(&m.issue_date).unwrap_or(0),
        col(&m.due_date).unwrap_or(0),
    );
    let (email, currency, status, paid_on, reference, iban, account, kind) = (
        opt(&m.vendor_email),
        opt(&m.currency),
        opt(&m.status),
        opt(&m.paid_on),
        opt(&m.reference),
        opt(&m.iban),
        opt(&m.account_number),
        opt(&m.document_type),
    );
    let mark = if m.decimal.as_deref() == Some(",") {
        DecimalMark::Comma
    } else {
        DecimalMark::Point
    };
    let usual = if m.date_order.as_deref() == Some("mdy") {
        DayOrder::MonthFirst
    } else {
        DayOrder::DayFirst
    };
    let body = report::body(&lines, header);
    let order = text::settle_order(
        body.iter()
            .filter_map(|p| match p {
                Part::Row(l) => Some([l.cell(issued), l.cell(due)]),
                Part::Heading(_) => None,
            })
            .flatten(),
        usual,
    )
    .map_err(CsvError::Format)?;
    let mut rows = Rows::new();
    for part in body {
        let Part::Row(line) = part else { continue };
        let get = |c: Option<usize>| {
            c.map(|c| line.cell(c).to_string())
                .filter(|v| !v.is_empty())
        };
        let row = (|| -> Result<Row, String> {
            let status = get(status).map(|s| s.parse::<Status>()).transpose()?;
            let paid_on = get(paid_on)
                .map(|d| {
                    text::date(&d, order)
                        .map_err(|e| format!("{} {e}", m.paid_on.as_deref().unwrap_or("")))
                })
                .transpose()?;
            let vendor_name = line.cell(vendor).to_string();
            let iban_value = get(iban).map(|i| normalise_iban(&i));
            if let Some(i) = iban_value.as_deref().filter(|i| !iban_is_valid(i)) {
                return Err(format!(
                    "IBAN '{i}' is not valid (its check digits do not agree)"
                ));
            }
            let account_value = get(account);
            if iban_value.is_some() || account_value.is_some() {
                out.banks.push(VendorBank {
                    vendor: vendor_name.clone(),
                    iban: iban_value,
                    account_number: account_value,
                });
            }
            Ok(Row {
                vendor: vendor_name,
                vendor_email: get(email).unwrap_or_default(),
                invoice: line.cell(number).to_string(),
                amount: text::amount(line.cell(amount), mark)
                    .map_err(|e| format!("{} {e}", m.amount))?,
                credit: get(kind).is_some_and(|k| is_credit(&k)),
                currency: get(currency),
                issued: text::date(line.cell(issued), order)
                    .map_err(|e| format!("{} {e}", m.issue_date))?,
                due: text::date(line.cell(due), order)
                    .map_err(|e| format!("{} {e}", m.due_date))?,
                status,
                paid_on,
                reference: get(reference),
            })
        })();
        rows.push((line.number, row));
    }
    Ok(rows)
}
