//! After a payable changes (paid, scheduled, undone), the stored check of every chaser that
//! cites its invoice is worked out again with the same rule the sync uses
//! (`PayablesIndex::check`), so a list never shows "matched" for an invoice just marked paid.
//! Runs inside the caller's transaction; never touches the mail server.

use super::{Store, StoreError};
use crate::classify::extract::normalise_invoice;
use crate::classify::{Classification, Kind, Stage};
use crate::money::Money;
use rusqlite::params;
use rust_decimal::Decimal;
use std::str::FromStr;

impl Store {
    /// Checks again the chasers that cite `invoice`; returns how many changed their verdict.
    pub(super) fn recheck_claims(&self, invoice: &str) -> Result<usize, StoreError> {
        let key = normalise_invoice(invoice);
        if key.is_empty() {
            return Ok(0);
        }
        // instr() narrows the rows cheaply; the invoice list is then compared exactly, in the
        // same normal form the index uses.
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, stage, invoices, amount, currency, from_addr, match_status FROM messages
             WHERE kind = 'chaser' AND invoices IS NOT NULL AND instr(lower(invoices), lower(?1)) > 0",
        )?;
        type Row = (
            i64,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = stmt
            .query_map(params![invoice.trim()], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        let cites: Vec<(Row, Vec<String>)> = rows
            .into_iter()
            .filter_map(|row| {
                let invoices: Vec<String> = serde_json::from_str(&row.2).ok()?;
                invoices
                    .iter()
                    .any(|i| normalise_invoice(i) == key)
                    .then_some((row, invoices))
            })
            .collect();
        if cites.is_empty() {
            return Ok(0);
        }
        let index = self.payables_index()?;
        let mut changed = 0;
        for ((id, stage, _, amount, currency, from, before), invoices) in cites {
            let amount = amount
                .as_deref()
                .and_then(|a| Decimal::from_str(a).ok())
                .zip(currency)
                .map(|(amount, currency)| Money { amount, currency });
            let c = Classification {
                kind: Kind::Chaser,
                stage: stage.as_deref().and_then(|s| Stage::from_str(s).ok()),
                invoices,
                amount,
                due_date: None,
                vendor: None,
                risk: Vec::new(),
                reasons: Vec::new(),
                fraud_reasons: Vec::new(),
                lang: None,
            };
            let domain = from
                .as_deref()
                .and_then(|f| f.rsplit_once('@'))
                .map(|(_, d)| d.to_ascii_lowercase());
            let after = index
                .check(&c, domain.as_deref())
                .map(|m| m.status.as_str().to_string());
            if after != before {
                self.conn.execute(
                    "UPDATE messages SET match_status = ?2 WHERE id = ?1",
                    params![id, after],
                )?;
                changed += 1;
            }
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::super::listing::tests::message;
    use crate::payables::validate::MatchStatus;
    use crate::payables::{Payable, Status};
    use crate::store::Store;
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    #[test]
    fn marking_paid_and_undoing_it_change_the_chasers_check_at_once() {
        let mut store = Store::in_memory().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let record = Payable {
            vendor: "Acme".into(),
            vendor_email: "billing@acme.test".into(),
            invoice_number: "INV-7".into(),
            amount: Decimal::new(1000, 2),
            currency: "EUR".into(),
            issue_date: day,
            due_date: day,
            status: Status::Open,
            paid_on: None,
            reference: None,
            scheduled_on: None,
        };
        store.add_payable(&record).unwrap();
        let inbox = store.folder("INBOX").unwrap().id;
        let mut chaser = message(7, 3, "Reminder INV-7");
        chaser.from_addr = Some("billing@acme.test".into());
        chaser.match_status = Some("matched".into());
        // Another invoice whose number contains this one's is not touched.
        let mut other = message(8, 3, "Reminder INV-77");
        other.invoices = Some("[\"INV-77\"]".into());
        other.match_status = Some("unknown_invoice".into());
        store.store_message(inbox, &chaser).unwrap();
        store.store_message(inbox, &other).unwrap();
        let checks = |s: &Store| {
            let page = s.page("INBOX", None, 0, 10).unwrap();
            let mut v: Vec<(String, Option<MatchStatus>)> = page
                .rows
                .iter()
                .map(|r| (r.invoices[0].clone(), r.match_status))
                .collect();
            v.sort();
            v
        };
        store
            .mark_paid(
                "INV-7",
                None,
                NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
                None,
            )
            .unwrap();
        assert_eq!(
            checks(&store),
            [
                ("INV-7".to_string(), Some(MatchStatus::AlreadyPaid)),
                ("INV-77".to_string(), Some(MatchStatus::UnknownInvoice)),
            ]
        );
        store.restore_payable(&record).unwrap();
        assert_eq!(checks(&store)[0].1, Some(MatchStatus::Matched));
    }
}
