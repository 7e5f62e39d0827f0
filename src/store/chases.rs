//! The chases seen for each vendor invoice, so a repeated chaser shows its history ("chased
//! twice before, on ...") and the reply can say we already answered. Recording is keyed by
//! Message-ID, so seeing the same message again (a re-sync, a second `classify`) adds nothing.

use super::{Store, StoreError};
use crate::classify::extract::normalise_invoice;
use crate::classify::{Classification, Kind};
use crate::mail::Message;
use crate::payables::validate::PayablesIndex;
use chrono::{DateTime, Utc};
use rusqlite::params;

/// An earlier chase of the same vendor invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorChase {
    pub invoice: String,
    /// When it was sent, as `YYYY-MM-DD HH:MM:SS` UTC.
    pub chased_at: String,
    pub stage: String,
    pub message_id: String,
}

impl Store {
    /// Records one chaser of `vendor`'s `invoices` and returns the earlier chases of any of
    /// them (other messages, sent before or at the same time), oldest first.
    pub fn record_chase(
        &mut self,
        vendor: &str,
        message_id: &str,
        sent: DateTime<Utc>,
        stage: &str,
        invoices: &[String],
    ) -> Result<Vec<PriorChase>, StoreError> {
        // A savepoint, so this works alone and inside a batch's transaction.
        let tx = self.conn.savepoint()?;
        let Some(vendor_id) = tx
            .query_row(
                "SELECT id FROM vendors WHERE name = ?1",
                params![vendor],
                |r| r.get::<_, i64>(0),
            )
            .ok()
        else {
            return Ok(Vec::new());
        };
        let at = super::timestamp(sent);
        let mut prior = Vec::new();
        {
            let mut earlier = tx.prepare_cached(
                "SELECT invoice, chased_at, stage, message_id FROM chases
                 WHERE vendor_id = ?1 AND invoice_key = ?2 AND message_id <> ?3 AND chased_at <= ?4
                 ORDER BY chased_at",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO chases (message_id, vendor_id, invoice_key, invoice, chased_at, stage)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for invoice in invoices {
                let key = normalise_invoice(invoice);
                let rows = earlier.query_map(params![vendor_id, key, message_id, at], |r| {
                    Ok(PriorChase {
                        invoice: r.get(0)?,
                        chased_at: r.get(1)?,
                        stage: r.get(2)?,
                        message_id: r.get(3)?,
                    })
                })?;
                for row in rows {
                    prior.push(row?);
                }
                insert.execute(params![message_id, vendor_id, key, invoice, at, stage])?;
            }
        }
        tx.commit()?;
        prior.sort_by(|a, b| a.chased_at.cmp(&b.chased_at));
        Ok(prior)
    }

    /// Records a classified message if it chases a known vendor's invoices (sent from that
    /// vendor's own domain) and returns the earlier chases of the same invoices. A message
    /// without a Message-ID is keyed by its sender, date and subject.
    pub fn note_chase(
        &mut self,
        index: &PayablesIndex,
        msg: &Message,
        c: &Classification,
    ) -> Result<Vec<PriorChase>, StoreError> {
        let vendor = msg
            .from
            .as_ref()
            .and_then(|a| a.domain())
            .and_then(|d| index.vendor_for_domain(&d).map(str::to_string));
        let (Some(vendor), Some(stage)) = (vendor, c.stage) else {
            return Ok(Vec::new());
        };
        if c.kind != Kind::Chaser || c.invoices.is_empty() {
            return Ok(Vec::new());
        }
        let sent = msg.date.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let id = msg.message_id.clone().unwrap_or_else(|| {
            format!(
                "<no-id:{}|{}|{}>",
                msg.from.as_ref().map(|a| a.email.as_str()).unwrap_or(""),
                sent.to_rfc3339(),
                msg.subject
            )
        });
        self.record_chase(&vendor, &id, sent, stage.as_str(), &c.invoices)
    }

    /// Forgets every recorded chase (for benchmarks and a fresh start).
    pub fn clear_chases(&mut self) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM chases", [])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payables::read_csv;

    #[test]
    fn repeats_show_history_and_re_seeing_adds_nothing() {
        let mut store = Store::in_memory().unwrap();
        let csv = "vendor,vendor_email,invoice_number,amount,currency,issue_date,due_date,status,paid_on,reference\n\
                   Acme Ltd,ar@acme.co.uk,INV-0042,100.00,GBP,2026-09-01,2026-10-01,open,,\n";
        store
            .import_payables(&read_csv(csv.as_bytes()).unwrap())
            .unwrap();
        let day = |d: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 10, d)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap()
                .and_utc()
        };
        let inv = ["INV-0042".to_string()];
        assert!(store
            .record_chase("Acme Ltd", "<a@x>", day(3), "reminder", &inv)
            .unwrap()
            .is_empty());
        // The same message again: still no history of its own.
        assert!(store
            .record_chase("Acme Ltd", "<a@x>", day(3), "reminder", &inv)
            .unwrap()
            .is_empty());
        let prior = store
            .record_chase(
                "Acme Ltd",
                "<b@x>",
                day(17),
                "overdue",
                &["inv 42".to_string()],
            )
            .unwrap();
        assert_eq!(prior.len(), 1);
        assert_eq!(prior[0].chased_at, "2026-10-03 09:00:00");
        assert_eq!(prior[0].stage, "reminder");
        // An older message read later does not count the newer one as its history.
        assert!(store
            .record_chase("Acme Ltd", "<c@x>", day(1), "reminder", &inv)
            .unwrap()
            .is_empty());
        assert!(store
            .record_chase("Nobody", "<d@x>", day(1), "reminder", &inv)
            .unwrap()
            .is_empty());
    }
}
