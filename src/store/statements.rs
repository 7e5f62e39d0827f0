//! Bank statements in the database: each transaction recorded once (a second import of the
//! same statement changes nothing), matched payments marked paid with the bank's reference
//! and booking date (one event each, in the same transaction as the rest), and payments a
//! pain.002 says were rejected put back to open and flagged in the record.

use super::{timestamp, Store, StoreError};
use crate::payables::statement::{MatchedBy, Matcher, Outcome, Rejection, Statement};
use crate::payables::{Payable, Status};
use rusqlite::{params, OptionalExtension};

/// A payment that paid a payable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidByBank {
    pub vendor: String,
    pub invoice: String,
    pub amount: rust_decimal::Decimal,
    pub currency: String,
    pub booked_on: chrono::NaiveDate,
    pub reference: String,
    pub by: MatchedBy,
}

/// A payment that could not be matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    pub entry: String,
    pub amount: rust_decimal::Decimal,
    pub currency: String,
    pub creditor: Option<String>,
    pub remittance: String,
    pub why: String,
}

/// What a statement import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementReport {
    pub paid: Vec<PaidByBank>,
    pub unmatched: Vec<Unmatched>,
    /// Transactions imported before (left alone).
    pub known: usize,
    pub incoming: usize,
    pub not_booked: usize,
}

/// What a status report did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RejectionReport {
    /// Rejected payments that had marked a payable paid: (vendor, invoice, reason); now open.
    pub reopened: Vec<(String, String, String)>,
    /// Rejected payments duebox had not matched to a payable.
    pub other: Vec<Rejection>,
    /// Rejections applied by an earlier import of the same report.
    pub known: usize,
}

impl Store {
    /// Applies statements in one transaction: every new outgoing payment matched against
    /// the open payables, matched ones marked paid.
    pub fn import_statements(
        &mut self,
        statements: &[Statement],
    ) -> Result<StatementReport, StoreError> {
        let tx = self.conn.transaction()?;
        let open: Vec<(i64, Payable)> = {
            let mut stmt = tx.prepare(
                "SELECT p.id, v.name, p.invoice_number, p.amount, p.currency, p.due_date
                 FROM payables p JOIN vendors v ON v.id = p.vendor_id WHERE p.status IN ('open', 'scheduled')",
            )?;
            let rows = stmt.query_map([], |r| {
                let amount: String = r.get(3)?;
                let due: Option<String> = r.get(5)?;
                let due = due
                    .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
                    .unwrap_or_default();
                Ok((
                    r.get::<_, i64>(0)?,
                    Payable {
                        vendor: r.get(1)?,
                        vendor_email: String::new(),
                        invoice_number: r.get(2)?,
                        amount: amount.parse().unwrap_or_default(),
                        currency: r.get(4)?,
                        issue_date: due,
                        due_date: due,
                        status: Status::Open,
                        paid_on: None,
                        reference: None,
                        scheduled_on: None,
                    },
                ))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let ibans: Vec<(String, String)> = tx
            .prepare("SELECT name, iban FROM vendors WHERE iban IS NOT NULL")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let (ids, payables): (Vec<i64>, Vec<Payable>) = open.into_iter().unzip();
        let matcher = Matcher::new(&payables, ibans);
        let mut taken: Vec<usize> = Vec::new();
        let mut report = StatementReport::default();
        let now = timestamp(chrono::Utc::now());
        for s in statements {
            report.not_booked += s.not_booked;
            for e in &s.entries {
                for t in &e.transactions {
                    let known: Option<i64> = tx
                        .prepare_cached("SELECT 1 FROM bank_transactions WHERE tx_key = ?1")?
                        .query_row(params![t.key], |r| r.get(0))
                        .optional()?;
                    if known.is_some() {
                        report.known += 1;
                        continue;
                    }
                    let reference = e
                        .bank_reference
                        .clone()
                        .or_else(|| t.end_to_end.clone())
                        .unwrap_or_else(|| s.id.clone());
                    let (outcome, payable) = if !e.debit {
                        report.incoming += 1;
                        ("incoming", None)
                    } else {
                        match matcher.outcome(t, &taken) {
                            Outcome::Pays(which, by) => {
                                for &i in &which {
                                    taken.push(i);
                                    let p = &payables[i];
                                    tx.prepare_cached(
                                        "UPDATE payables SET status = 'paid', paid_on = ?2, reference = ?3 WHERE id = ?1",
                                    )?
                                    .execute(params![ids[i], e.booked_on.to_string(), reference])?;
                                    let how = match by {
                                        MatchedBy::InvoiceNumber => "by invoice number",
                                        MatchedBy::AmountAndCreditor => "by amount and creditor",
                                    };
                                    super::events::insert(
                                        &tx,
                                        "bank",
                                        "payable_paid",
                                        None,
                                        Some(&p.vendor),
                                        Some(&p.invoice_number),
                                        &format!("paid on {}, reference {reference} (bank statement {}, {} matched {how})", e.booked_on, s.id, e.label),
                                    )?;
                                    report.paid.push(PaidByBank {
                                        vendor: p.vendor.clone(),
                                        invoice: p.invoice_number.clone(),
                                        amount: p.amount,
                                        currency: p.currency.clone(),
                                        booked_on: e.booked_on,
                                        reference: reference.clone(),
                                        by,
                                    });
                                }
                                ("paid", which.first().map(|&i| ids[i]))
                            }
                            Outcome::Unmatched(why) => {
                                report.unmatched.push(Unmatched {
                                    entry: e.label.clone(),
                                    amount: t.amount,
                                    currency: t.currency.clone(),
                                    creditor: t.creditor.clone(),
                                    remittance: t.remittance.join(" / "),
                                    why,
                                });
                                ("unmatched", None)
                            }
                        }
                    };
                    tx.prepare_cached(
                        "INSERT INTO bank_transactions (tx_key, statement, booked_on, amount, currency, bank_reference, end_to_end, creditor, payable_id, outcome, imported_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    )?
                    .execute(params![
                        t.key,
                        s.id,
                        e.booked_on.to_string(),
                        t.amount.to_string(),
                        t.currency,
                        e.bank_reference,
                        t.end_to_end,
                        t.creditor,
                        payable,
                        outcome,
                        now
                    ])?;
                }
            }
        }
        tx.commit()?;
        self.push_team();
        Ok(report)
    }

    /// Applies a pain.002's rejections: a payable paid from a rejected payment is open again,
    /// with a `payment_rejected` event; rejections of payments not seen are returned.
    pub fn apply_rejections(
        &mut self,
        rejected: &[Rejection],
    ) -> Result<RejectionReport, StoreError> {
        let tx = self.conn.transaction()?;
        let mut report = RejectionReport::default();
        for r in rejected {
            let hit: Option<(String, i64, String, String, Option<String>, String)> = match &r.end_to_end {
                Some(e2e) => tx
                    .prepare_cached(
                        "SELECT b.tx_key, p.id, v.name, p.invoice_number, p.status, b.outcome FROM bank_transactions b
                         JOIN payables p ON p.id = b.payable_id JOIN vendors v ON v.id = p.vendor_id
                         WHERE b.end_to_end = ?1 AND b.outcome IN ('paid', 'rejected')",
                    )?
                    .query_row(params![e2e], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
                    })
                    .optional()?,
                None => None,
            };
            let Some((key, id, vendor, invoice, status, outcome)) = hit else {
                report.other.push(r.clone());
                continue;
            };
            if outcome == "rejected" {
                report.known += 1;
                continue;
            }
            tx.prepare_cached(
                "UPDATE bank_transactions SET outcome = 'rejected' WHERE tx_key = ?1",
            )?
            .execute(params![key])?;
            if status.as_deref() == Some("paid") {
                tx.prepare_cached(
                    "UPDATE payables SET status = 'open', paid_on = NULL WHERE id = ?1",
                )?
                .execute(params![id])?;
            }
            super::events::insert(
                &tx,
                "bank",
                "payment_rejected",
                None,
                Some(&vendor),
                Some(&invoice),
                &format!(
                    "the bank rejected payment {} ({}); the invoice was marked paid from it and is open again: check the vendor's bank details and pay again",
                    r.end_to_end.as_deref().unwrap_or(""),
                    r.reason
                ),
            )?;
            report.reopened.push((vendor, invoice, r.reason.clone()));
        }
        tx.commit()?;
        self.push_team();
        Ok(report)
    }
}
