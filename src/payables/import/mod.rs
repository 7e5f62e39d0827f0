//! Payables from the exports AP teams already have: QuickBooks Online A/P Aging Detail and
//! Unpaid Bills, Xero Aged Payables Detail and its bill CSV, DATEV EXTF Buchungsstapel, any
//! CSV through a column mapping from the config, and duebox's own format. The format is told
//! by the header row (or chosen). Pure: bytes in, payables or line-numbered errors out; a file
//! with any bad row gives no payables at all.

mod datev;
pub mod mapping;
mod qbo;
mod report;
pub mod text;
mod xero;

use super::{CsvError, Payable, RowError, Status};
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use mapping::Mapping;

/// The file formats `payables import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// QuickBooks Online A/P Aging Detail or Unpaid Bills, exported as CSV.
    QboAging,
    /// Xero Aged Payables Detail, exported as CSV.
    XeroAged,
    /// Xero's bill import/export CSV (ContactName, InvoiceNumber, ...).
    XeroBills,
    /// DATEV EXTF Buchungsstapel.
    Datev,
    /// Any CSV, through `[import.mapping]` in the config.
    Mapping,
    /// duebox's own CSV (CONTRACT.md).
    Duebox,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::QboAging,
        Format::XeroAged,
        Format::XeroBills,
        Format::Datev,
        Format::Mapping,
        Format::Duebox,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::QboAging => "qbo-aging",
            Format::XeroAged => "xero-aged",
            Format::XeroBills => "xero-bills",
            Format::Datev => "datev",
            Format::Mapping => "mapping",
            Format::Duebox => "duebox",
        }
    }

    pub fn parse(name: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == name.trim())
            .ok_or_else(|| {
                format!(
                    "'{name}' is not a format; use one of {}",
                    Format::ALL.map(Format::name).join(", ")
                )
            })
    }
}

/// What an import needs besides the file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The currency of files that name none (`--currency`, else the home currency).
    pub currency: Option<String>,
    /// `[import.mapping]` from the config.
    pub mapping: Option<Mapping>,
}

/// A vendor's bank details as an export gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorBank {
    pub vendor: String,
    pub iban: Option<String>,
    pub account_number: Option<String>,
}

/// What a file holds.
#[derive(Debug, Clone)]
pub struct Imported {
    pub format: Format,
    pub payables: Vec<Payable>,
    pub banks: Vec<VendorBank>,
    /// Rows read past on purpose and why (paid bills without a payment date, say).
    pub notes: Vec<String>,
}

/// Which format a file is, from its first lines.
pub fn detect(bytes: &[u8], opts: &Options) -> Result<Format, CsvError> {
    let text = text::decode(bytes);
    let first = text.lines().next().unwrap_or("");
    let first_cell = first
        .split([';', ','])
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| c == '"' || c.is_whitespace());
    if first_cell == "EXTF" || first_cell == "DTVF" {
        return Ok(Format::Datev);
    }
    // The header is in the first lines: reading the whole file twice would cost as much as
    // the import itself.
    let head: String = text.split_inclusive('\n').take(40).collect();
    let lines = text::records(&head, text::sniff_delimiter(&head))?;
    let keys =
        |l: &text::Line| -> Vec<String> { l.cells.iter().map(|c| text::header_key(c)).collect() };
    if let Some(l) = lines.first() {
        let k = keys(l);
        if k.len() >= super::CSV_HEADER.len() && k[..super::CSV_HEADER.len()] == super::CSV_HEADER {
            return Ok(Format::Duebox);
        }
    }
    if text::find_header(&lines, xero::BILLS_REQUIRED).is_some() {
        return Ok(Format::XeroBills);
    }
    if text::find_header(&lines, xero::AGED_REQUIRED).is_some() {
        return Ok(Format::XeroAged);
    }
    if text::find_header(&lines, qbo::REQUIRED).is_some() {
        return Ok(Format::QboAging);
    }
    if let Some(m) = &opts.mapping {
        let keys: Vec<String> = m
            .required_keys()
            .iter()
            .map(|k| text::header_key(k))
            .collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        if text::find_header(&lines, &keys).is_some() {
            return Ok(Format::Mapping);
        }
    }
    Err(CsvError::Format(format!(
        "cannot tell the format from the header row ({}); pass --format {} (mapping needs [import.mapping] in the config)",
        lines
            .iter()
            .find(|l| l.filled() > 2)
            .map(|l| l.cells.join(","))
            .unwrap_or_default(),
        Format::ALL.map(Format::name).join("|")
    )))
}

/// Reads a file in `format` (detected when `None`), all or nothing.
pub fn read(bytes: &[u8], format: Option<Format>, opts: &Options) -> Result<Imported, CsvError> {
    let format = match format {
        Some(f) => f,
        None => detect(bytes, opts)?,
    };
    let mut imported = Imported {
        format,
        payables: Vec::new(),
        banks: Vec::new(),
        notes: Vec::new(),
    };
    let rows = match format {
        Format::Duebox => {
            imported.payables = super::read_csv(text::decode(bytes).as_bytes())?;
            return Ok(imported);
        }
        Format::QboAging => qbo::read(&text::decode(bytes), opts, &mut imported)?,
        Format::XeroAged => xero::read_aged(&text::decode(bytes), opts, &mut imported)?,
        Format::XeroBills => xero::read_bills(&text::decode(bytes), opts, &mut imported)?,
        Format::Datev => datev::read(bytes, opts, &mut imported)?,
        Format::Mapping => {
            let m = opts.mapping.as_ref().ok_or_else(|| {
                CsvError::Format(
                    "--format mapping needs an [import.mapping] table in the config (see config.example.toml)"
                        .into(),
                )
            })?;
            mapping::read(&text::decode(bytes), m, opts, &mut imported)?
        }
    };
    let mut bad = Vec::new();
    for (line, row) in rows {
        match row.and_then(|r| r.finish(opts)) {
            Ok(p) => imported.payables.push(p),
            Err(reason) => bad.push(RowError { line, reason }),
        }
    }
    if bad.is_empty() {
        Ok(imported)
    } else {
        Err(CsvError::Rows(bad))
    }
}

/// One row read from an export, before the checks every format shares.
#[derive(Debug, Clone, Default)]
pub(crate) struct Row {
    pub vendor: String,
    pub vendor_email: String,
    pub invoice: String,
    pub amount: Decimal,
    /// The row says it is a credit (vendor credit, credit note): only then may it be negative.
    pub credit: bool,
    pub currency: Option<String>,
    pub issued: NaiveDate,
    pub due: NaiveDate,
    pub status: Option<Status>,
    pub paid_on: Option<NaiveDate>,
    pub reference: Option<String>,
}

/// Rows with the line each came from; a row that could not be read is its reason.
pub(crate) type Rows = Vec<(u64, Result<Row, String>)>;

impl Row {
    /// The checks every import path makes, and the payable.
    fn finish(self, opts: &Options) -> Result<Payable, String> {
        if self.vendor.trim().is_empty() {
            return Err("the vendor is empty".into());
        }
        if self.invoice.trim().is_empty() {
            return Err("the invoice number is empty".into());
        }
        let currency = match self.currency.as_deref().filter(|c| !c.trim().is_empty()) {
            Some(c) => text::currency(c)?,
            None => match &opts.currency {
                Some(c) => text::currency(c)?,
                None => {
                    return Err(
                        "the file names no currency: pass --currency CODE or set [company] currency in the config"
                            .into(),
                    )
                }
            },
        };
        check_amount(self.amount, self.credit)?;
        check_dates(self.issued, self.due)?;
        let status = self.status.unwrap_or(Status::Open);
        if status == Status::Paid && self.paid_on.is_none() {
            return Err("the invoice is paid but the file gives no payment date".into());
        }
        Ok(Payable {
            vendor: self.vendor.trim().to_string(),
            vendor_email: self.vendor_email.trim().to_string(),
            invoice_number: self.invoice.trim().to_string(),
            amount: self.amount,
            currency,
            issue_date: self.issued,
            due_date: self.due,
            status,
            paid_on: self.paid_on,
            reference: self.reference.filter(|r| !r.trim().is_empty()),
            scheduled_on: None,
        })
    }
}

/// A negative amount only as an explicit credit, and a credit never positive.
pub(crate) fn check_amount(amount: Decimal, credit: bool) -> Result<(), String> {
    if amount.is_sign_negative() && !amount.is_zero() && !credit {
        return Err(format!(
            "amount {amount} is negative but the row is not marked as a credit note"
        ));
    }
    Ok(())
}

/// The checks every payable passes however it comes in (a file, `payables add`): an ISO
/// 4217 currency, a negative amount only for a credit, due no earlier than issued. Returns
/// the currency code as stored (upper case).
pub fn check_payable(
    currency: &str,
    amount: Decimal,
    credit: bool,
    issued: NaiveDate,
    due: NaiveDate,
) -> Result<String, String> {
    let code = text::currency(currency)?;
    check_amount(amount, credit)?;
    check_dates(issued, due)?;
    Ok(code)
}

/// An invoice is never due before it was issued.
pub(crate) fn check_dates(issued: NaiveDate, due: NaiveDate) -> Result<(), String> {
    if due < issued {
        return Err(format!(
            "the due date {due} is before the issue date {issued}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_name() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.name()).unwrap(), f);
        }
        assert!(Format::parse("sage").unwrap_err().contains("qbo-aging"));
    }

    #[test]
    fn shared_checks() {
        let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(check_dates(day("2026-10-01"), day("2026-09-30")).is_err());
        assert!(check_dates(day("2026-10-01"), day("2026-10-01")).is_ok());
        assert!(check_amount(Decimal::NEGATIVE_ONE, false).is_err());
        assert!(check_amount(Decimal::NEGATIVE_ONE, true).is_ok());
        let row = Row {
            vendor: "Acme".into(),
            invoice: "1".into(),
            amount: Decimal::ONE,
            currency: Some("GPB".into()),
            issued: day("2026-10-01"),
            due: day("2026-10-31"),
            ..Row::default()
        };
        assert!(row
            .finish(&Options::default())
            .unwrap_err()
            .contains("ISO 4217"));
    }
}
