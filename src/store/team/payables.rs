//! Payables in the team database: this clerk's changed rows pushed (the last push of a
//! payable wins), everyone's read back by sequence number (src/store/team_payables.rs
//! applies them locally). Never touches the local tables beyond the pending list.

use super::Team;
use crate::store::team_payables::{self, SharedPayable};
use crate::store::StoreError;
use postgres::Client;
use rusqlite::Connection;

impl Team {
    /// Pushes the payables changed here (the last push of a payable wins).
    pub(in crate::store) fn push_payables(&mut self, local: &Connection) -> Result<(), StoreError> {
        let rows = team_payables::pending(local)?;
        if rows.is_empty() {
            return Ok(());
        }
        let origin = self.origin.clone();
        let clerk: String =
            local.query_row("SELECT clerk FROM temp.duebox_session", [], |r| r.get(0))?;
        let client = self.client()?;
        let pushed = upsert_payables(client, &rows, &clerk, &origin);
        if let Err(e) = pushed {
            return Err(self.failed(e));
        }
        let ids: Vec<(i64, i64)> = rows.iter().map(|(id, _)| *id).collect();
        team_payables::pushed(local, &ids)
    }

    /// The team's payables changed after number `seq`, in order.
    pub(in crate::store) fn payables_since(
        &mut self,
        seq: i64,
    ) -> Result<Vec<SharedPayable>, StoreError> {
        let client = self.client()?;
        let rows = client.query(
            "SELECT vendor, vendor_email, invoice_number, amount, currency, issue_date, due_date,
                    status, paid_on, reference, scheduled_on, seq
             FROM payables WHERE seq > $1 ORDER BY seq",
            &[&seq],
        );
        match rows {
            Ok(rows) => Ok(rows.iter().map(team_payables::shared_row).collect()),
            Err(e) => Err(self.failed(e)),
        }
    }
}

/// This clerk's changed payables into the team's, numbered in the order they become visible.
fn upsert_payables(
    client: &mut Client,
    rows: &[team_payables::PendingPayable],
    clerk: &str,
    origin: &str,
) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    // One pusher at a time, so rows become visible in the order of their numbers: a
    // pull that has seen number N has seen every row below it.
    tx.batch_execute("LOCK TABLE payables IN EXCLUSIVE MODE")?;
    let upsert = tx.prepare(
        "INSERT INTO payables (vendor, vendor_key, vendor_email, invoice_number,
                                   invoice_key, amount, currency, issue_date, due_date, status,
                                   paid_on, reference, scheduled_on, seq, clerk, origin)
             VALUES ($1, lower($1), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                     nextval('payables_seq'), $13, $14)
             ON CONFLICT (vendor_key, invoice_key) DO UPDATE SET
                 vendor = EXCLUDED.vendor,
                 vendor_email = coalesce(EXCLUDED.vendor_email, payables.vendor_email),
                 invoice_number = EXCLUDED.invoice_number, amount = EXCLUDED.amount,
                 currency = EXCLUDED.currency, issue_date = EXCLUDED.issue_date,
                 due_date = EXCLUDED.due_date, status = EXCLUDED.status,
                 paid_on = EXCLUDED.paid_on, reference = EXCLUDED.reference,
                 scheduled_on = EXCLUDED.scheduled_on, seq = EXCLUDED.seq,
                 clerk = EXCLUDED.clerk, origin = EXCLUDED.origin",
    )?;
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
    for (_, p) in rows {
        let email = Some(p.vendor_email.trim()).filter(|e| !e.is_empty());
        tx.execute(
            &upsert,
            &[
                &p.vendor,
                &email,
                &p.invoice_number,
                &crate::classify::extract::normalise_invoice(&p.invoice_number),
                &p.amount.to_string(),
                &p.currency,
                &p.issue_date.to_string(),
                &p.due_date.to_string(),
                &p.status.as_str(),
                &day(p.paid_on),
                &p.reference,
                &day(p.scheduled_on),
                &clerk,
                &origin,
            ],
        )?;
    }
    tx.commit()
}
