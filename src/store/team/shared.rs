//! Corrections and vendors in the team database: this clerk's changes pushed (the last push
//! of a correction wins; a vendor's bank details and phone only when this clerk changed them,
//! its addresses merged), everyone's read back by sequence number (src/store/team_shared.rs
//! applies them locally). A forgotten correction stays as a row marked forgotten, so every
//! clerk forgets it.

use super::Team;
use crate::store::team_shared::{SharedCorrection, SharedVendor};
use crate::store::StoreError;
use postgres::Client;

impl Team {
    /// Pushes corrections and vendors changed here, each table in one transaction.
    pub(in crate::store) fn push_shared(
        &mut self,
        clerk: &str,
        corrections: &[SharedCorrection],
        vendors: &[SharedVendor],
    ) -> Result<(), StoreError> {
        if corrections.is_empty() && vendors.is_empty() {
            return Ok(());
        }
        let origin = self.origin.clone();
        let client = self.client()?;
        let pushed = upsert_corrections(client, corrections, clerk, &origin)
            .and_then(|()| upsert_vendors(client, vendors, clerk, &origin));
        pushed.map_err(|e| self.failed(e))
    }

    /// The team's corrections changed after number `seq`, in order, and the last number.
    pub(in crate::store) fn corrections_since(
        &mut self,
        seq: i64,
    ) -> Result<(Vec<SharedCorrection>, i64), StoreError> {
        let client = self.client()?;
        let rows = client.query(
            "SELECT sender, subject, CASE WHEN forgotten THEN NULL ELSE verdict END, source,
                    example_message_id, created_at, taught_at, seq
             FROM corrections WHERE seq > $1 ORDER BY seq",
            &[&seq],
        );
        match rows {
            Ok(rows) => Ok((
                rows.iter()
                    .map(|r| SharedCorrection {
                        sender: r.get(0),
                        subject: r.get(1),
                        verdict: r.get(2),
                        source: r.get(3),
                        example_message_id: r.get(4),
                        created_at: r.get(5),
                        taught_at: r.get(6),
                        changes: 0,
                    })
                    .collect(),
                rows.last().map_or(seq, |r| r.get(7)),
            )),
            Err(e) => Err(self.failed(e)),
        }
    }

    /// The team's vendors changed after number `seq`, in order, and the last number.
    pub(in crate::store) fn vendors_since(
        &mut self,
        seq: i64,
    ) -> Result<(Vec<SharedVendor>, i64), StoreError> {
        let client = self.client()?;
        let rows = client.query(
            "SELECT name, iban, account_number, phone, emails, seq
             FROM vendors WHERE seq > $1 ORDER BY seq",
            &[&seq],
        );
        match rows {
            Ok(rows) => Ok((
                rows.iter()
                    .map(|r| SharedVendor {
                        name: r.get(0),
                        iban: r.get(1),
                        account_number: r.get(2),
                        phone: r.get(3),
                        emails: r.get(4),
                        details: true,
                        changes: 0,
                    })
                    .collect(),
                rows.last().map_or(seq, |r| r.get(5)),
            )),
            Err(e) => Err(self.failed(e)),
        }
    }
}

/// Corrections into the team's, numbered in the order they become visible (one pusher at a
/// time, as for payables: a pull that has seen number N has seen every row below it).
fn upsert_corrections(
    client: &mut Client,
    rows: &[SharedCorrection],
    clerk: &str,
    origin: &str,
) -> Result<(), postgres::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = client.transaction()?;
    tx.batch_execute("LOCK TABLE corrections IN EXCLUSIVE MODE")?;
    let upsert = tx.prepare(
        "INSERT INTO corrections (sender, subject, verdict, source, example_message_id,
                                  created_at, taught_at, forgotten, seq, clerk, origin)
         VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, nextval('corrections_seq'), $8, $9)
         ON CONFLICT (sender, subject) DO UPDATE SET
             verdict = EXCLUDED.verdict, source = EXCLUDED.source,
             example_message_id = EXCLUDED.example_message_id,
             created_at = EXCLUDED.created_at, taught_at = EXCLUDED.taught_at,
             forgotten = FALSE, seq = EXCLUDED.seq, clerk = EXCLUDED.clerk,
             origin = EXCLUDED.origin",
    )?;
    let forget = tx.prepare(
        "UPDATE corrections SET forgotten = TRUE, seq = nextval('corrections_seq'),
                clerk = $3, origin = $4
         WHERE sender = $1 AND subject = $2 AND NOT forgotten",
    )?;
    for c in rows {
        match &c.verdict {
            Some(verdict) => tx.execute(
                &upsert,
                &[
                    &c.sender,
                    &c.subject,
                    verdict,
                    &c.source,
                    &c.example_message_id,
                    &c.created_at,
                    &c.taught_at,
                    &clerk,
                    &origin,
                ],
            )?,
            None => tx.execute(&forget, &[&c.sender, &c.subject, &clerk, &origin])?,
        };
    }
    tx.commit()
}

/// Vendors into the team's: addresses merged; bank details and phone replaced only by a
/// clerk who changed them (a clerk who merely saw a new address must not put back details
/// another clerk has since replaced).
fn upsert_vendors(
    client: &mut Client,
    rows: &[SharedVendor],
    clerk: &str,
    origin: &str,
) -> Result<(), postgres::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = client.transaction()?;
    tx.batch_execute("LOCK TABLE vendors IN EXCLUSIVE MODE")?;
    let upsert = tx.prepare(
        "INSERT INTO vendors (name_key, name, iban, account_number, phone, emails, seq, clerk,
                              origin)
         VALUES (lower($1), $1, $2, $3, $4, $5, nextval('vendors_seq'), $6, $7)
         ON CONFLICT (name_key) DO UPDATE SET
             iban = CASE WHEN $8 THEN EXCLUDED.iban ELSE vendors.iban END,
             account_number = CASE WHEN $8 THEN EXCLUDED.account_number
                                   ELSE vendors.account_number END,
             phone = CASE WHEN $8 THEN EXCLUDED.phone ELSE vendors.phone END,
             emails = ARRAY(SELECT DISTINCT e FROM unnest(vendors.emails || EXCLUDED.emails) e
                            ORDER BY e),
             seq = EXCLUDED.seq, clerk = EXCLUDED.clerk, origin = EXCLUDED.origin",
    )?;
    for v in rows {
        tx.execute(
            &upsert,
            &[
                &v.name,
                &v.iban,
                &v.account_number,
                &v.phone,
                &v.emails,
                &clerk,
                &origin,
                &v.details,
            ],
        )?;
    }
    tx.commit()
}
