//! The whole team's record in the team database: this clerk's events pushed (keyed by
//! origin and local id, so a repeated push adds nothing) and everyone's read back for
//! `duebox log`. Never rewrites an event once pushed.

use super::Team;
use crate::store::{Event, StoreError};
use postgres::Client;
use rusqlite::{params, Connection};

/// Events pushed per round trip.
const PUSH_BATCH: i64 = 500;

impl Team {
    /// This clerk's events not yet in the team's record, in batches.
    pub(in crate::store) fn push_events(&mut self, local: &Connection) -> Result<(), StoreError> {
        loop {
            let rows: Vec<LocalEvent> = local
                .prepare_cached(
                    "SELECT id, at, actor, kind, message_id, vendor, invoice, invoice_key, detail,
                            coalesce(clerk, '')
                     FROM events WHERE shared = 0 ORDER BY id LIMIT ?1",
                )?
                .query_map(params![PUSH_BATCH], |r| {
                    Ok(LocalEvent {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        kind: r.get(3)?,
                        message_id: r.get(4)?,
                        vendor: r.get(5)?,
                        invoice: r.get(6)?,
                        invoice_key: r.get(7)?,
                        detail: r.get(8)?,
                        clerk: r.get(9)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            if rows.is_empty() {
                break;
            }
            let origin = self.origin.clone();
            let client = self.client()?;
            let pushed = insert_events(client, &rows, &origin);
            if let Err(e) = pushed {
                return Err(self.failed(e));
            }
            let last = rows.last().map_or(0, |e| e.id);
            local.execute(
                "UPDATE events SET shared = 1 WHERE shared = 0 AND id <= ?1",
                params![last],
            )?;
        }
        Ok(())
    }

    /// The whole team's record, oldest first, with the same filter as the local one.
    pub(in crate::store) fn events(
        &mut self,
        key: Option<&str>,
        vendor: Option<&str>,
        since: Option<&str>,
    ) -> Result<Vec<Event>, StoreError> {
        let client = self.client()?;
        let rows = client.query(
            "SELECT at, actor, kind, message_id, vendor, invoice, detail, clerk FROM events e
             WHERE ($1::text IS NULL OR e.invoice_key = $1
                    OR e.message_id IN (SELECT message_id FROM events
                                        WHERE invoice_key = $1 AND message_id IS NOT NULL))
               AND ($2::text IS NULL OR e.vendor ILIKE '%' || $2 || '%'
                    OR e.message_id IN (SELECT message_id FROM events
                                        WHERE vendor ILIKE '%' || $2 || '%' AND message_id IS NOT NULL))
               AND ($3::text IS NULL OR e.at >= $3)
             ORDER BY e.at, e.id",
            &[&key, &vendor, &since],
        );
        match rows {
            Ok(rows) => Ok(rows
                .iter()
                .map(|r| Event {
                    at: r.get(0),
                    actor: r.get(1),
                    kind: r.get(2),
                    message_id: r.get(3),
                    vendor: r.get(4),
                    invoice: r.get(5),
                    detail: r.get(6),
                    clerk: r.get(7),
                })
                .collect()),
            Err(e) => Err(self.failed(e)),
        }
    }
}

/// One batch of events into the team's record, in one transaction.
fn insert_events(
    client: &mut Client,
    rows: &[LocalEvent],
    origin: &str,
) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    let insert = tx.prepare(
        "INSERT INTO events (at, actor, kind, message_id, vendor, invoice, invoice_key,
                                     detail, clerk, origin, origin_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (origin, origin_id) DO NOTHING",
    )?;
    for e in rows {
        tx.execute(
            &insert,
            &[
                &e.at,
                &e.actor,
                &e.kind,
                &e.message_id,
                &e.vendor,
                &e.invoice,
                &e.invoice_key,
                &e.detail,
                &e.clerk,
                &origin,
                &e.id,
            ],
        )?;
    }
    tx.commit()
}

struct LocalEvent {
    id: i64,
    at: String,
    actor: String,
    kind: String,
    message_id: Option<String>,
    vendor: Option<String>,
    invoice: Option<String>,
    invoice_key: Option<String>,
    detail: String,
    clerk: String,
}
