//! The record: every event with its time and actor (sync, classifier, user, sender), and the
//! queries behind `duebox log`: by vendor, by invoice (with every event of the messages that
//! claimed it), since a date.

use super::{Store, StoreError};
use crate::classify::extract::normalise_invoice;
use chrono::NaiveDate;
use rusqlite::{params, Connection};

/// One line of the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub message_id: Option<String>,
    pub vendor: Option<String>,
    pub invoice: Option<String>,
    pub detail: String,
    /// The clerk whose duebox wrote it (`[team] clerk`, else the OS user); None for events
    /// recorded before duebox knew.
    pub clerk: Option<String>,
}

/// Which events `duebox log` shows.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// A part of the vendor's name (any case).
    pub vendor: Option<String>,
    /// An invoice number, compared as payables are (case, separators, leading zeros).
    pub invoice: Option<String>,
    pub since: Option<NaiveDate>,
}

/// Adds an event inside whatever transaction `conn` is in.
pub(super) fn insert(
    conn: &Connection,
    actor: &str,
    kind: &str,
    message_id: Option<&str>,
    vendor: Option<&str>,
    invoice: Option<&str>,
    detail: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO events (at, actor, kind, message_id, vendor, invoice, invoice_key, detail, clerk)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, (SELECT clerk FROM temp.duebox_session))",
    )?
    .execute(params![
        super::timestamp(chrono::Utc::now()),
        actor,
        kind,
        message_id,
        vendor,
        invoice,
        invoice.map(normalise_invoice),
        detail
    ])?;
    Ok(())
}

impl Store {
    /// Adds an event to the record.
    pub fn record_event(
        &mut self,
        actor: &str,
        kind: &str,
        message_id: Option<&str>,
        vendor: Option<&str>,
        invoice: Option<&str>,
        detail: &str,
    ) -> Result<(), StoreError> {
        insert(&self.conn, actor, kind, message_id, vendor, invoice, detail)?;
        self.push_team();
        Ok(())
    }

    /// The record, oldest first. For an invoice: its events, and every event of the messages
    /// that claimed it or answered it (synced, filed, replies). With a team database: the
    /// whole team's (this clerk's pushed first); while it cannot be reached, this clerk's own,
    /// and [`Store::team_down`] says why.
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<Event>, StoreError> {
        let key = filter.invoice.as_deref().map(normalise_invoice);
        let since = filter.since.map(|d| d.format("%Y-%m-%d").to_string());
        if let Some(team) = &self.team {
            let mut team = team.borrow_mut();
            let shared = team.push(&self.conn).and_then(|()| {
                team.events(key.as_deref(), filter.vendor.as_deref(), since.as_deref())
            });
            match shared {
                Ok(events) => return Ok(events),
                Err(StoreError::TeamUnreachable { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT at, actor, kind, message_id, vendor, invoice, detail, clerk FROM events e
             WHERE (?1 IS NULL OR e.invoice_key = ?1
                    OR e.message_id IN (SELECT message_id FROM events
                                        WHERE invoice_key = ?1 AND message_id IS NOT NULL))
               AND (?2 IS NULL OR e.vendor LIKE '%' || ?2 || '%'
                    OR e.message_id IN (SELECT message_id FROM events
                                        WHERE vendor LIKE '%' || ?2 || '%' AND message_id IS NOT NULL))
               AND (?3 IS NULL OR e.at >= ?3)
             ORDER BY e.at, e.id",
        )?;
        let rows = stmt.query_map(params![key, filter.vendor, since], |r| {
            Ok(Event {
                at: r.get(0)?,
                actor: r.get(1)?,
                kind: r.get(2)?,
                message_id: r.get(3)?,
                vendor: r.get(4)?,
                invoice: r.get(5)?,
                detail: r.get(6)?,
                clerk: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The record as CSV (`duebox log --csv`): at,actor,kind,message_id,vendor,invoice,detail,clerk.
pub fn write_csv(events: &[Event], out: impl std::io::Write) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "at",
        "actor",
        "kind",
        "message_id",
        "vendor",
        "invoice",
        "detail",
        "clerk",
    ])?;
    for e in events {
        w.write_record([
            e.at.as_str(),
            &e.actor,
            &e.kind,
            e.message_id.as_deref().unwrap_or(""),
            e.vendor.as_deref().unwrap_or(""),
            e.invoice.as_deref().unwrap_or(""),
            &e.detail,
            e.clerk.as_deref().unwrap_or(""),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invoice_brings_the_events_of_its_messages() {
        let mut s = Store::in_memory().unwrap();
        s.record_event("sync", "synced", Some("<a@x>"), None, None, "INBOX UID 1")
            .unwrap();
        s.record_event(
            "classifier",
            "classified",
            Some("<a@x>"),
            Some("Acme Ltd"),
            Some("INV-00123"),
            "overdue",
        )
        .unwrap();
        s.record_event("sync", "filed", Some("<a@x>"), None, None, "moved")
            .unwrap();
        s.record_event("sync", "synced", Some("<b@x>"), None, None, "INBOX UID 2")
            .unwrap();
        let by_invoice = s
            .events(&EventFilter {
                invoice: Some("inv 123".into()),
                ..Default::default()
            })
            .unwrap();
        let kinds: Vec<&str> = by_invoice.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["synced", "classified", "filed"]);
        let by_vendor = s
            .events(&EventFilter {
                vendor: Some("acme".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(by_vendor.len(), 3);
        let none = s
            .events(&EventFilter {
                since: NaiveDate::from_ymd_opt(2999, 1, 1),
                ..Default::default()
            })
            .unwrap();
        assert!(none.is_empty());
    }
}
