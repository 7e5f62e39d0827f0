//! Vendors' known details, kept beside the payables: the addresses they write from and the
//! bank details we pay them at (what a fraudster's "new bank details" are compared with).
//! CSV header: `vendor,email,iban,account_number,phone`; one row per sending address.

use super::bank::{iban_is_valid, normalise_iban};
use super::{CsvError, RowError};
use std::io::{Read, Write};

/// The vendors CSV header, in order.
pub const VENDORS_HEADER: [&str; 5] = ["vendor", "email", "iban", "account_number", "phone"];

/// One vendor address with the vendor's known details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorRecord {
    pub vendor: String,
    pub email: String,
    pub iban: Option<String>,
    pub account_number: Option<String>,
    pub phone: Option<String>,
}

fn vendor_row(fields: &csv::StringRecord) -> Result<VendorRecord, String> {
    let get =
        |i: usize| Some(fields.get(i).unwrap_or("").trim().to_string()).filter(|s| !s.is_empty());
    let vendor = get(0).ok_or("vendor is empty")?;
    let email = get(1).ok_or("email is empty")?;
    if !email.contains('@') || email.ends_with('@') {
        return Err(format!("email '{email}' is not an email address"));
    }
    let iban = get(2).map(|i| normalise_iban(&i));
    if let Some(iban) = iban.as_deref().filter(|i| !iban_is_valid(i)) {
        return Err(format!(
            "iban '{iban}' is not a valid IBAN (its check digits do not agree); copy it again from the vendor's invoice"
        ));
    }
    let account_number = get(3);
    if let Some(acc) = account_number.as_deref() {
        if !acc
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
        {
            return Err(format!(
                "account_number '{acc}' may hold only digits, spaces and hyphens"
            ));
        }
    }
    Ok(VendorRecord {
        vendor,
        email: email.to_ascii_lowercase(),
        iban,
        account_number,
        phone: get(4),
    })
}

/// Reads a vendors CSV, all or nothing, every bad row reported with its line.
pub fn read_vendors_csv(input: impl Read) -> Result<Vec<VendorRecord>, CsvError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let header = reader.headers()?.clone();
    let found: Vec<&str> = header.iter().map(str::trim).collect();
    if found.len() < VENDORS_HEADER.len() || found[..VENDORS_HEADER.len()] != VENDORS_HEADER {
        return Err(CsvError::Header {
            expected: VENDORS_HEADER.join(","),
            found: found.join(","),
        });
    }
    let (mut rows, mut bad) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        match vendor_row(&record) {
            Ok(v) => rows.push(v),
            Err(reason) => bad.push(RowError { line, reason }),
        }
    }
    if bad.is_empty() {
        Ok(rows)
    } else {
        Err(CsvError::Rows(bad))
    }
}

/// Writes vendor records as CSV.
pub fn write_vendors_csv(rows: &[VendorRecord], output: impl Write) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(output);
    w.write_record(VENDORS_HEADER)?;
    for v in rows {
        w.write_record([
            v.vendor.as_str(),
            v.email.as_str(),
            v.iban.as_deref().unwrap_or(""),
            v.account_number.as_deref().unwrap_or(""),
            v.phone.as_deref().unwrap_or(""),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_checks_and_round_trips() {
        let csv = "vendor,email,iban,account_number,phone\n\
                   Acme Ltd,AR@acme.co.uk,gb29 nwbk 6016 1331 9268 19,,+44 20 7946 0000\n\
                   Brennan Inc,ar@brennan.com,,4411-2290-33,\n";
        let rows = read_vendors_csv(csv.as_bytes()).unwrap();
        assert_eq!(rows[0].iban.as_deref(), Some("GB29NWBK60161331926819"));
        assert_eq!(rows[0].email, "ar@acme.co.uk");
        assert_eq!(rows[1].account_number.as_deref(), Some("4411-2290-33"));
        let mut out = Vec::new();
        write_vendors_csv(&rows, &mut out).unwrap();
        assert_eq!(read_vendors_csv(out.as_slice()).unwrap(), rows);

        let bad = "vendor,email,iban,account_number,phone\nAcme,ar@acme.co.uk,GB29NWBK60161331926818,,\nX,nomail,,,\n";
        match read_vendors_csv(bad.as_bytes()) {
            Err(CsvError::Rows(rows)) => {
                assert_eq!(rows.len(), 2);
                assert_eq!((rows[0].line, rows[1].line), (2, 3));
                assert!(rows[0].reason.contains("check digits"));
            }
            other => panic!("{other:?}"),
        }
    }
}
