//! Payables as the AP team keeps them: vendor, invoice, amount, dates, status, and the CSV
//! format scripts exchange them in (../shared/CONTRACT.md). Pure: reads and writes values and
//! readers/writers; the database lives in `store`.

pub mod bank;
pub mod import;
pub mod statement;
pub mod validate;
pub mod vendors;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::io::{Read, Write};
use std::str::FromStr;

/// Where a payable stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Scheduled,
    Paid,
    Disputed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Scheduled => "scheduled",
            Status::Paid => "paid",
            Status::Disputed => "disputed",
        }
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(Status::Open),
            "scheduled" => Ok(Status::Scheduled),
            "paid" => Ok(Status::Paid),
            "disputed" => Ok(Status::Disputed),
            other => Err(format!(
                "status '{other}' is not one of open, scheduled, paid, disputed"
            )),
        }
    }
}

/// One payable, as in a CSV row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payable {
    pub vendor: String,
    pub vendor_email: String,
    pub invoice_number: String,
    pub amount: Decimal,
    pub currency: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub status: Status,
    pub paid_on: Option<NaiveDate>,
    pub reference: Option<String>,
    /// When payment is planned (status scheduled); an optional column after the contract's.
    pub scheduled_on: Option<NaiveDate>,
}

/// How far a due date is from `today`, in words ("3 days overdue", "due today").
pub fn due_words(due: NaiveDate, today: NaiveDate) -> String {
    match (due - today).num_days() {
        -1 => "1 day overdue".to_string(),
        d if d < 0 => format!("{} days overdue", -d),
        0 => "due today".to_string(),
        1 => "due tomorrow".to_string(),
        d => format!("due in {d} days"),
    }
}

/// The contract's header, in order; `scheduled_on` may follow.
pub const CSV_HEADER: [&str; 10] = [
    "vendor",
    "vendor_email",
    "invoice_number",
    "amount",
    "currency",
    "issue_date",
    "due_date",
    "status",
    "paid_on",
    "reference",
];

/// A row that cannot be imported, with the line it is on (1 is the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
}

/// Why a CSV file cannot be imported. Nothing is imported when any row is bad.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("the CSV header must start with {expected}; found {found}")]
    Header { expected: String, found: String },
    #[error("{} bad row(s), nothing imported: {}", .0.len(), describe_rows(.0))]
    Rows(Vec<RowError>),
    #[error("the file is not readable CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("{0}")]
    Format(String),
}

fn describe_rows(rows: &[RowError]) -> String {
    rows.iter()
        .map(|r| format!("line {}: {}", r.line, r.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

fn date(field: &str, value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{field} '{value}' is not a date YYYY-MM-DD"))
}

fn optional_date(field: &str, value: &str) -> Result<Option<NaiveDate>, String> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        date(field, value).map(Some)
    }
}

/// Reads one row's fields (in header order) into a payable.
fn row(fields: &csv::StringRecord) -> Result<Payable, String> {
    let get = |i: usize| fields.get(i).unwrap_or("").trim();
    let required = |i: usize| {
        let v = get(i);
        if v.is_empty() {
            Err(format!("{} is empty", CSV_HEADER[i]))
        } else {
            Ok(v.to_string())
        }
    };
    // An export of payables imported from an accounting tool has vendors without a known
    // address: they are matched by name, so an empty address is allowed; a wrong one is not.
    let vendor_email = get(1).to_string();
    if !vendor_email.is_empty() && (!vendor_email.contains('@') || vendor_email.ends_with('@')) {
        return Err(format!(
            "vendor_email '{vendor_email}' is not an email address"
        ));
    }
    let amount_text = required(3)?;
    if amount_text.contains(',') || amount_text.contains(' ') {
        return Err(format!(
            "amount '{amount_text}' must be a plain decimal with '.' and no thousands separator (e.g. 1234.50)"
        ));
    }
    let amount = Decimal::from_str(&amount_text)
        .map_err(|_| format!("amount '{amount_text}' is not a decimal number"))?;
    // duebox's format has no credit-note marker, so a negative amount is always a mistake.
    import::check_amount(amount, false)?;
    let currency = import::text::currency(&required(4)?)?;
    let status: Status = required(7)?.parse()?;
    let paid_on = optional_date("paid_on", get(8))?;
    if status == Status::Paid && paid_on.is_none() {
        return Err("status is paid but paid_on is empty".to_string());
    }
    let reference = Some(get(9).to_string()).filter(|r| !r.is_empty());
    let issue_date = date("issue_date", &required(5)?)?;
    let due_date = date("due_date", &required(6)?)?;
    import::check_dates(issue_date, due_date)?;
    Ok(Payable {
        vendor: required(0)?,
        vendor_email,
        invoice_number: required(2)?,
        amount,
        currency,
        issue_date,
        due_date,
        status,
        paid_on,
        reference,
        scheduled_on: optional_date("scheduled_on", get(10))?,
    })
}

/// Reads a whole payables CSV. Every bad row is reported with its line; any bad row means no
/// payable is returned, so an import never takes half a file.
pub fn read_csv(input: impl Read) -> Result<Vec<Payable>, CsvError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let header = reader.headers()?.clone();
    let found: Vec<&str> = header.iter().map(str::trim).collect();
    if found.len() < CSV_HEADER.len() || found[..CSV_HEADER.len()] != CSV_HEADER {
        return Err(CsvError::Header {
            expected: CSV_HEADER.join(","),
            found: found.join(","),
        });
    }
    let mut payables = Vec::new();
    let mut bad = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        match row(&record) {
            Ok(p) => payables.push(p),
            Err(reason) => bad.push(RowError { line, reason }),
        }
    }
    if bad.is_empty() {
        Ok(payables)
    } else {
        Err(CsvError::Rows(bad))
    }
}

/// Writes payables as CSV: the contract's columns, then `scheduled_on`.
pub fn write_csv(payables: &[Payable], output: impl Write) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(output);
    let mut header: Vec<&str> = CSV_HEADER.to_vec();
    header.push("scheduled_on");
    w.write_record(&header)?;
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    for p in payables {
        w.write_record([
            p.vendor.as_str(),
            &p.vendor_email,
            &p.invoice_number,
            &p.amount.to_string(),
            &p.currency,
            &p.issue_date.to_string(),
            &p.due_date.to_string(),
            p.status.as_str(),
            &day(p.paid_on),
            p.reference.as_deref().unwrap_or(""),
            &day(p.scheduled_on),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "vendor,vendor_email,invoice_number,amount,currency,issue_date,due_date,status,paid_on,reference\n\
Acme Office Supplies Ltd,billing@acme-office.co.uk,INV-00123,1234.56,GBP,2026-09-01,2026-10-01,open,,\n\
\"Schäfer Verpackungen GmbH\",buchhaltung@schaefer-verpackungen.de,RE-2026-117,1234.56,EUR,2026-09-15,2026-10-15,paid,2026-10-20,\"TRF 4411, batch 2\"\n";

    #[test]
    fn reads_and_writes_the_contract_format() {
        let rows = read_csv(GOOD.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].status, Status::Paid);
        assert_eq!(rows[1].reference.as_deref(), Some("TRF 4411, batch 2"));
        let mut out = Vec::new();
        write_csv(&rows, &mut out).unwrap();
        let again = read_csv(out.as_slice()).unwrap();
        assert_eq!(again, rows);
    }

    #[test]
    fn bad_rows_are_reported_with_their_line_and_nothing_is_returned() {
        let text = format!(
            "{GOOD}Bad Co,not-an-email,X-1,12,EUR,2026-01-01,2026-02-01,open,,\nBad Co,a@bad.example,X-2,\"1,234.00\",EUR,2026-01-01,2026-02-01,open,,\nBad Co,a@bad.example,X-3,12,EUR,2026-01-01,01.02.2026,open,,\nBad Co,a@bad.example,X-4,12,EUR,2026-01-01,2026-02-01,paid,,\n"
        );
        let Err(CsvError::Rows(bad)) = read_csv(text.as_bytes()) else {
            panic!("bad rows accepted");
        };
        let lines: Vec<u64> = bad.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![4, 5, 6, 7]);
        assert!(bad[0].reason.contains("vendor_email"));
        assert!(bad[1].reason.contains("plain decimal"));
        assert!(bad[2].reason.contains("due_date"));
        assert!(bad[3].reason.contains("paid_on"));
    }

    #[test]
    fn wrong_header_is_refused() {
        let err = read_csv("vendor,email\nx,y\n".as_bytes()).unwrap_err();
        assert!(err
            .to_string()
            .contains("vendor,vendor_email,invoice_number"));
    }
}
