//! What leaves the database for other people: the payables falling due (for `payables due`
//! and the daily digest), the open chasers with what they claim against what we recorded
//! (for the accounting team), and the chasers of paid invoices still waiting for a
//! "confirm payment" reply.

use super::{Store, StoreError};
use crate::payables::{Payable, Status};
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;
use std::str::FromStr;

/// One unanswered chaser with its claim and our record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaserLine {
    pub received: Option<String>,
    pub vendor: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    pub stage: Option<String>,
    pub invoices: Vec<String>,
    pub claimed: Option<(Decimal, String)>,
    /// The sum of our records of the claimed invoices, when all are known in one currency.
    pub recorded: Option<(Decimal, String)>,
    pub match_status: Option<String>,
    /// Our records' statuses, one per known invoice.
    pub payable_status: Vec<Status>,
}

/// A chaser of an invoice we have paid that has not had its "confirm payment" reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmDue {
    pub message_id: String,
    pub vendor: String,
    pub invoice: String,
    pub paid_on: Option<NaiveDate>,
    pub reference: Option<String>,
}

impl Store {
    /// Open payables (not scheduled, paid or disputed) due on or before `until`, overdue
    /// ones included, by due date. Credit notes are not due.
    pub fn due_payables(&self, until: NaiveDate) -> Result<Vec<Payable>, StoreError> {
        let open = self.list_payables(&super::payables::Filter {
            status: Some(Status::Open),
            vendor: None,
        })?;
        Ok(open
            .into_iter()
            .filter(|p| p.due_date <= until && p.amount.is_sign_positive() && !p.amount.is_zero())
            .collect())
    }

    /// Every chaser without `\Answered`, oldest first, with our records of what it claims.
    pub fn open_chasers(&self) -> Result<Vec<ChaserLine>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT sent_at, vendor, from_addr, subject, message_id, stage, invoices, amount, currency, match_status
             FROM messages WHERE kind = 'chaser' AND instr(flags, '\\Answered') = 0
             ORDER BY sent_at, id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut record = self.conn.prepare(
            "SELECT p.amount, p.currency, p.status FROM payables p JOIN vendors v ON v.id = p.vendor_id
             WHERE p.invoice_key = ?1 ORDER BY (v.name = ?2) DESC LIMIT 1",
        )?;
        let mut out = Vec::new();
        for (
            received,
            vendor,
            from,
            subject,
            message_id,
            stage,
            invoices,
            amount,
            currency,
            status,
        ) in rows
        {
            let invoices: Vec<String> = invoices
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or_default();
            let claimed = amount
                .and_then(|a| Decimal::from_str(&a).ok())
                .zip(currency);
            let mut found = Vec::new();
            for inv in &invoices {
                let key = crate::classify::extract::normalise_invoice(inv);
                let hit: Option<(String, String, String)> = record
                    .query_row(params![key, vendor], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .optional()?;
                if let Some((a, c, s)) = hit {
                    found.push((
                        Decimal::from_str(&a).unwrap_or_default(),
                        c,
                        s.parse().unwrap_or(Status::Open),
                    ));
                }
            }
            let one_currency = found.first().map(|f| f.1.clone());
            let recorded = match one_currency {
                Some(c) if found.len() == invoices.len() && found.iter().all(|f| f.1 == c) => {
                    Some((found.iter().map(|f| f.0).sum(), c))
                }
                _ => None,
            };
            out.push(ChaserLine {
                received,
                vendor,
                from,
                subject,
                message_id,
                stage,
                invoices,
                claimed,
                recorded,
                match_status: status,
                payable_status: found.into_iter().map(|f| f.2).collect(),
            });
        }
        Ok(out)
    }

    /// The chasers of the given paid invoices (vendor, invoice) that no sent
    /// `confirm_payment` reply has answered yet.
    pub fn confirmations_due(
        &self,
        paid: &[(String, String)],
    ) -> Result<Vec<ConfirmDue>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.message_id, v.name, p.invoice_number, p.paid_on, p.reference
             FROM chases c JOIN vendors v ON v.id = c.vendor_id
             JOIN payables p ON p.vendor_id = c.vendor_id AND p.invoice_key = c.invoice_key
             WHERE v.name = ?1 AND c.invoice_key = ?2 AND p.status = 'paid'
             AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.answers = c.message_id
                             AND o.template = 'confirm_payment' AND o.state = 'sent')
             ORDER BY c.chased_at",
        )?;
        let mut out = Vec::new();
        for (vendor, invoice) in paid {
            let key = crate::classify::extract::normalise_invoice(invoice);
            let rows = stmt.query_map(params![vendor, key], |r| {
                let paid_on: Option<String> = r.get(3)?;
                Ok(ConfirmDue {
                    message_id: r.get(0)?,
                    vendor: r.get(1)?,
                    invoice: r.get(2)?,
                    paid_on: paid_on.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                    reference: r.get(4)?,
                })
            })?;
            for r in rows {
                out.push(r?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewMessage;

    fn chaser(uid: u32, invoices: &str, amount: &str, flags: &str) -> NewMessage {
        NewMessage {
            uid,
            message_id: Some(format!("m{uid}@acme.example")),
            sent_at: Some(format!("2026-11-{uid:02} 09:00:00")),
            subject: Some("Overdue".into()),
            kind: Some("chaser".into()),
            vendor: Some("Acme Ltd".into()),
            invoices: Some(invoices.into()),
            amount: Some(amount.into()),
            currency: Some("EUR".into()),
            match_status: Some("amount_mismatch".into()),
            reasons: "[]".into(),
            flags: flags.into(),
            ..NewMessage::default()
        }
    }

    #[test]
    fn open_chasers_carry_claim_and_record() {
        let mut store = Store::in_memory().unwrap();
        let rows = crate::payables::read_csv(
            "vendor,vendor_email,invoice_number,amount,currency,issue_date,due_date,status,paid_on,reference\n\
             Acme Ltd,ar@acme.example,INV-1,100.00,EUR,2026-10-01,2026-10-31,open,,\n\
             Acme Ltd,ar@acme.example,INV-2,50.00,EUR,2026-10-01,2026-11-30,scheduled,,\n"
                .as_bytes(),
        )
        .unwrap();
        store.import_payables(&rows).unwrap();
        let inbox = store.folder("INBOX").unwrap().id;
        store
            .store_message(inbox, &chaser(1, "[\"inv 0001\"]", "120.00", ""))
            .unwrap();
        store
            .store_message(inbox, &chaser(2, "[\"INV-1\",\"INV-2\"]", "150.00", ""))
            .unwrap();
        store
            .store_message(inbox, &chaser(3, "[\"INV-1\"]", "100.00", "\\Answered"))
            .unwrap();
        store
            .store_message(inbox, &chaser(4, "[\"X-9\"]", "1.00", ""))
            .unwrap();
        let open = store.open_chasers().unwrap();
        assert_eq!(open.len(), 3, "the answered one is not open");
        let dec = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(open[0].claimed, Some((dec("120.00"), "EUR".into())));
        assert_eq!(open[0].recorded, Some((dec("100.00"), "EUR".into())));
        assert_eq!(open[1].recorded, Some((dec("150.00"), "EUR".into())));
        assert_eq!(
            open[1].payable_status,
            vec![Status::Open, Status::Scheduled]
        );
        assert_eq!(open[2].recorded, None, "an unknown invoice has no record");
        let until = NaiveDate::from_ymd_opt(2026, 11, 7).unwrap();
        let due: Vec<String> = store
            .due_payables(until)
            .unwrap()
            .into_iter()
            .map(|p| p.invoice_number)
            .collect();
        assert_eq!(
            due,
            vec!["INV-1"],
            "the scheduled one is not due to be paid"
        );
    }
}
