//! Payables shared through the team database: every local change of a payable (an import,
//! mark-paid, a schedule, a bank statement, an undo) is noted by a trigger and pushed; every
//! clerk's changes are pulled back into the local tables, so the checks, the dashboard and the
//! replies (which join them with the local messages) see a payment another clerk recorded.
//! Keyed by vendor name and invoice number; the last push wins. Never prints.

use super::payables::vendor_id;
use super::team::Team;
use super::{Store, StoreError};
use crate::classify::extract::normalise_invoice;
use crate::payables::{Payable, Status};
use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Notes every payable written here (not those written by a pull) for the next push. TEMP
/// triggers: they exist only on connections attached to a team; a single clerk pays nothing.
const TRIGGERS: &str = "
    CREATE TEMP TRIGGER IF NOT EXISTS team_payable_added AFTER INSERT ON main.payables
    WHEN (SELECT pulling FROM duebox_session) = 0 BEGIN
        INSERT INTO team_pending_payables (payable_id) VALUES (new.id)
        ON CONFLICT (payable_id) DO UPDATE SET n = n + 1;
    END;
    CREATE TEMP TRIGGER IF NOT EXISTS team_payable_changed AFTER UPDATE ON main.payables
    WHEN (SELECT pulling FROM duebox_session) = 0 BEGIN
        INSERT INTO team_pending_payables (payable_id) VALUES (new.id)
        ON CONFLICT (payable_id) DO UPDATE SET n = n + 1;
    END;
";

/// One payable as the team database holds it.
pub(super) struct SharedPayable {
    pub(super) seq: i64,
    pub(super) payable: Payable,
}

/// Sets the triggers up; the first time this database joins a team, all its payables are
/// pending (the team gets what this clerk had).
pub(super) fn prepare(conn: &rusqlite::Connection) -> Result<(), StoreError> {
    conn.execute_batch(TRIGGERS)?;
    let joined: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM team_cursor WHERE name = 'payables')",
        [],
        |r| r.get(0),
    )?;
    if !joined {
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             INSERT OR IGNORE INTO team_pending_payables (payable_id) SELECT id FROM payables;
             INSERT INTO team_cursor (name, seq) VALUES ('payables', 0);
             COMMIT;",
        )?;
    }
    Ok(())
}

/// A payable waiting to be pushed: (its id, its pending row's change count), as stored now.
pub(super) type PendingPayable = ((i64, i64), Payable);

/// The payables waiting to be pushed (with their vendor's first address).
pub(super) fn pending(conn: &rusqlite::Connection) -> Result<Vec<PendingPayable>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT q.payable_id, q.n, {} FROM team_pending_payables q
         JOIN payables p ON p.id = q.payable_id JOIN vendors v ON v.id = p.vendor_id
         ORDER BY q.payable_id",
        super::payables::PAYABLE_COLUMNS
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok(((r.get(0)?, r.get(1)?), super::payables::payable_row(r, 2)?))
    })?;
    let mut out: Vec<PendingPayable> = rows.collect::<Result<_, _>>()?;
    // Rows deleted since (a vendor removed) have nothing to push.
    conn.execute(
        "DELETE FROM team_pending_payables WHERE payable_id NOT IN (SELECT id FROM payables)",
        [],
    )?;
    out.retain(|(_, p)| !p.invoice_number.is_empty());
    Ok(out)
}

/// After a push: the payables pushed are no longer pending, unless changed since read (by
/// another connection to this file while the push was under way).
pub(super) fn pushed(conn: &rusqlite::Connection, ids: &[(i64, i64)]) -> Result<(), StoreError> {
    let mut stmt =
        conn.prepare_cached("DELETE FROM team_pending_payables WHERE payable_id = ?1 AND n = ?2")?;
    for (id, changes) in ids {
        stmt.execute(params![id, changes])?;
    }
    Ok(())
}

/// Decodes a row of the team's `payables` (the same text forms as the local table).
pub(super) fn shared_row(r: &postgres::Row) -> SharedPayable {
    let day =
        |s: Option<String>| s.and_then(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
    let status: String = r.get(7);
    let amount: String = r.get(3);
    SharedPayable {
        seq: r.get(11),
        payable: Payable {
            vendor: r.get(0),
            vendor_email: r.get::<_, Option<String>>(1).unwrap_or_default(),
            invoice_number: r.get(2),
            amount: Decimal::from_str(&amount).unwrap_or_default(),
            currency: r.get(4),
            issue_date: day(r.get(5)).unwrap_or_default(),
            due_date: day(r.get(6)).unwrap_or_default(),
            status: status.parse().unwrap_or(Status::Open),
            paid_on: day(r.get(8)),
            reference: r.get(9),
            scheduled_on: day(r.get(10)),
        },
    }
}

impl Store {
    /// Pushes this clerk's payable changes and pulls everyone's since the last pull, applied
    /// to the local tables (and the chasers' checks redone). Returns how many changed here.
    pub(super) fn sync_payables(&self, team: &mut Team) -> Result<usize, StoreError> {
        team.push_payables(&self.conn)?;
        let cursor: i64 = self.conn.query_row(
            "SELECT seq FROM team_cursor WHERE name = 'payables'",
            [],
            |r| r.get(0),
        )?;
        let rows = team.payables_since(cursor)?;
        let Some(last) = rows.last().map(|r| r.seq) else {
            return Ok(0);
        };
        let mut changed = Vec::new();
        // Unchecked: the store is borrowed shared here; nothing else runs on it meanwhile.
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("UPDATE temp.duebox_session SET pulling = 1", [])?;
        // An error drops `tx`: everything, the flag above included, is rolled back.
        for r in &rows {
            if apply(&tx, &r.payable)? {
                changed.push(r.payable.invoice_number.clone());
            }
        }
        tx.execute(
            "UPDATE team_cursor SET seq = ?1 WHERE name = 'payables'",
            params![last],
        )?;
        for invoice in &changed {
            self.recheck_claims(invoice)?;
        }
        tx.execute("UPDATE temp.duebox_session SET pulling = 0", [])?;
        tx.commit()?;
        Ok(changed.len())
    }
}

/// Writes one pulled payable into the local tables; true when something changed.
fn apply(tx: &rusqlite::Transaction<'_>, p: &Payable) -> Result<bool, StoreError> {
    let vendor = vendor_id(tx, p)?;
    let key = normalise_invoice(&p.invoice_number);
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
    let values = (
        p.invoice_number.clone(),
        p.amount.to_string(),
        p.currency.clone(),
        p.issue_date.to_string(),
        p.due_date.to_string(),
        p.status.as_str().to_string(),
        day(p.scheduled_on),
        day(p.paid_on),
        p.reference.clone(),
    );
    type Stored = (
        i64,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let stored: Option<Stored> = tx
        .query_row(
            "SELECT id, invoice_number, amount, currency, issue_date, due_date, status,
                    scheduled_on, paid_on, reference
             FROM payables WHERE vendor_id = ?1 AND invoice_key = ?2",
            params![vendor, key],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            },
        )
        .optional()?;
    let changed = match stored {
        Some(s)
            if (
                s.1.as_str(),
                Decimal::from_str(&s.2).ok(),
                s.3.as_str(),
                s.4.as_deref(),
                s.5.as_deref(),
                s.6.as_str(),
                s.7.as_deref(),
                s.8.as_deref(),
                s.9.as_deref(),
            ) == (
                values.0.as_str(),
                Some(p.amount),
                values.2.as_str(),
                Some(values.3.as_str()),
                Some(values.4.as_str()),
                values.5.as_str(),
                values.6.as_deref(),
                values.7.as_deref(),
                values.8.as_deref(),
            ) =>
        {
            false
        }
        Some(s) => {
            tx.execute(
                "UPDATE payables SET invoice_number = ?2, amount = ?3, currency = ?4,
                        issue_date = ?5, due_date = ?6, status = ?7, scheduled_on = ?8,
                        paid_on = ?9, reference = ?10 WHERE id = ?1",
                params![
                    s.0, values.0, values.1, values.2, values.3, values.4, values.5, values.6,
                    values.7, values.8
                ],
            )?;
            true
        }
        None => {
            tx.execute(
                "INSERT INTO payables (vendor_id, invoice_number, invoice_key, amount, currency,
                                       issue_date, due_date, status, scheduled_on, paid_on, reference)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    vendor, values.0, key, values.1, values.2, values.3, values.4, values.5,
                    values.6, values.7, values.8
                ],
            )?;
            true
        }
    };
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn a_payable_changed_while_its_push_is_under_way_stays_pending() {
        let mut store = Store::in_memory().unwrap();
        prepare(&store.conn).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        store
            .add_payable(&Payable {
                vendor: "Acme".into(),
                vendor_email: "billing@acme.test".into(),
                invoice_number: "INV-1".into(),
                amount: Decimal::new(1050, 2),
                currency: "EUR".into(),
                issue_date: day,
                due_date: day,
                status: Status::Open,
                paid_on: None,
                reference: None,
                scheduled_on: None,
            })
            .unwrap();
        let read = pending(&store.conn).unwrap();
        assert_eq!(read.len(), 1);
        // Another connection to the file records the payment before this push is done.
        store.mark_paid("INV-1", None, day, None).unwrap();
        let ids: Vec<(i64, i64)> = read.iter().map(|(id, _)| *id).collect();
        pushed(&store.conn, &ids).unwrap();
        let left = pending(&store.conn).unwrap();
        assert_eq!(left.len(), 1, "the payment is pushed next time");
        assert_eq!(left[0].1.status, Status::Paid);
    }
}
