//! Payables read from the CSV files of the contract's format (vendors.csv, payables.csv), as
//! a [`Ledger`]: what a payables database would tell the classifier. Shared by the examples
//! that fit and measure on the corpora; reads files, so it never belongs in src/.

use chrono::NaiveDate;
use duebox::classify::extract::normalise_invoice;
use duebox::classify::{InvoiceState, Ledger};
use std::collections::HashMap;
use std::path::Path;

/// Payables read from a CSV of the contract's format: what a database would answer.
#[derive(Default)]
pub struct CsvLedger {
    /// registrable domain -> normalised invoice number -> (due date, paid)
    invoices: HashMap<String, HashMap<String, (NaiveDate, bool)>>,
    /// Vendors' domains (vendors.csv), with or without payables.
    vendors: std::collections::HashSet<String>,
}

impl CsvLedger {
    pub fn read(path: &Path) -> CsvLedger {
        let mut ledger = CsvLedger::default();
        if let Ok(text) = std::fs::read_to_string(path.with_file_name("vendors.csv")) {
            for line in text.lines().skip(1) {
                let email = line.split(',').nth(1).unwrap_or("");
                let domain = email.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
                ledger
                    .vendors
                    .insert(duebox::classify::risk::registrable_domain(&domain));
            }
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            return ledger;
        };
        for line in text.lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() < 8 {
                continue;
            }
            let domain = cells[1]
                .rsplit('@')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let Ok(due) = NaiveDate::parse_from_str(cells[6], "%Y-%m-%d") else {
                continue;
            };
            let paid = matches!(cells[7], "paid" | "scheduled");
            ledger
                .invoices
                .entry(duebox::classify::risk::registrable_domain(&domain))
                .or_default()
                .insert(normalise_invoice(cells[2]), (due, paid));
        }
        ledger
    }
}

impl Ledger for CsvLedger {
    fn knows_sender(&self, domain: &str) -> bool {
        let d = duebox::classify::risk::registrable_domain(domain);
        self.invoices.contains_key(&d) || self.vendors.contains(&d)
    }
    fn invoice_state(&self, domain: &str, number: &str, day: NaiveDate) -> Option<InvoiceState> {
        let d = duebox::classify::risk::registrable_domain(domain);
        let (due, paid) = *self.invoices.get(&d)?.get(&normalise_invoice(number))?;
        Some(if paid {
            InvoiceState::Paid
        } else if due < day {
            InvoiceState::Overdue
        } else {
            InvoiceState::Open
        })
    }
}
