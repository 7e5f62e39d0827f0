//! QuickBooks Online's A/P Aging Detail and Unpaid Bills reports as exported to CSV: the
//! company name, report title and "As of" date above the header, rows grouped by ageing
//! bucket ("1 - 30 days past due") or by vendor (Unpaid Bills has no Vendor column), "Total
//! for ..." lines, amounts with thousands separators and currency signs. A Vendor Credit is
//! the only row that may be negative. Pure.

use super::report::{self, Part};
use super::text::{self, Columns, DayOrder, DecimalMark};
use super::{Imported, Options, Row, Rows};
use crate::payables::CsvError;

/// The columns both reports have.
pub const REQUIRED: &[&str] = &[
    "date",
    "transaction type",
    "num",
    "due date",
    "open balance",
];

pub fn read(text: &str, _opts: &Options, _out: &mut Imported) -> Result<Rows, CsvError> {
    let lines = text::records(text, text::sniff_delimiter(text))?;
    let header = text::find_header(&lines, REQUIRED).ok_or_else(|| CsvError::Format(missing()))?;
    let cols = Columns::of(&lines[header]);
    let col = |names: &[&str]| cols.find(names);
    let (date, kind, num, due) = (
        col(&["date"]).unwrap_or(0),
        col(&["transaction type"]).unwrap_or(0),
        col(&["num"]).unwrap_or(0),
        col(&["due date"]).unwrap_or(0),
    );
    let open = col(&["foreign open balance", "open balance"]).unwrap_or(0);
    let vendor = col(&["vendor", "name"]);
    let currency = col(&["currency"]);
    let body = report::body(&lines, header);
    let order = text::settle_order(
        body.iter()
            .filter_map(|p| match p {
                Part::Row(l) => Some([l.cell(date), l.cell(due)]),
                Part::Heading(_) => None,
            })
            .flatten(),
        DayOrder::MonthFirst,
    )
    .map_err(CsvError::Format)?;
    let mut group_vendor: Option<String> = None;
    let mut rows = Rows::new();
    for part in body {
        let line = match part {
            Part::Heading(h) => {
                if !report::is_ageing_bucket(&h) {
                    group_vendor = Some(h);
                }
                continue;
            }
            Part::Row(l) => l,
        };
        let row = (|| -> Result<Row, String> {
            let kind_text = line.cell(kind);
            let lower = kind_text.to_lowercase();
            let credit = lower.contains("credit");
            if !credit && lower != "bill" {
                return Err(format!(
                    "transaction type '{kind_text}' is neither a Bill nor a Vendor Credit; export bills and credits only"
                ));
            }
            let vendor = vendor
                .map(|v| line.cell(v).to_string())
                .filter(|v| !v.is_empty())
                .or_else(|| group_vendor.clone())
                .unwrap_or_default();
            let mut amount = text::amount(line.cell(open), DecimalMark::Point)
                .map_err(|e| format!("Open Balance {e}"))?;
            // QBO prints a vendor credit's balance negative; some exports drop the sign.
            if credit && amount.is_sign_positive() {
                amount = -amount;
            }
            Ok(Row {
                vendor,
                invoice: line.cell(num).to_string(),
                amount,
                credit,
                currency: currency.map(|c| line.cell(c).to_string()),
                issued: text::date(line.cell(date), order).map_err(|e| format!("Date {e}"))?,
                due: text::date(line.cell(due), order).map_err(|e| format!("Due Date {e}"))?,
                ..Row::default()
            })
        })();
        rows.push((line.number, row));
    }
    Ok(rows)
}

fn missing() -> String {
    format!(
        "no QuickBooks A/P Aging Detail or Unpaid Bills header row (with the columns {}) in the first 30 lines",
        REQUIRED.join(", ")
    )
}
