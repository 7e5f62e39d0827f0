//! Corrections and vendors' details shared through the team database, the local side: TEMP
//! triggers note what this clerk changed (a correction taught, re-taught or forgotten; a
//! vendor's bank details, phone or a new address) for the next push, and what the team
//! changed is written back into the local tables, so that a correction another clerk made
//! decides this clerk's next verdict and a bank change another clerk verified is what the
//! fraud check compares against. Never prints; never records a pulled change as this
//! clerk's own event (the team's record has the other clerk's).

use super::team::Team;
use super::{Store, StoreError};
use rusqlite::{params, OptionalExtension, Transaction};

/// TEMP triggers: they exist only on connections attached to a team. Changes written by a
/// pull (`pulling = 1`) are not pushed back. A correction's use counter stays local.
const TRIGGERS: &str = "
    CREATE TEMP TRIGGER IF NOT EXISTS team_correction_added AFTER INSERT ON main.corrections
    WHEN (SELECT pulling FROM duebox_session) = 0 BEGIN
        INSERT INTO team_pending_corrections (sender, subject) VALUES (new.sender, new.subject)
        ON CONFLICT (sender, subject) DO UPDATE SET n = n + 1;
    END;
    CREATE TEMP TRIGGER IF NOT EXISTS team_correction_changed
    AFTER UPDATE OF verdict, actor, example_message_id, taught_at ON main.corrections
    WHEN (SELECT pulling FROM duebox_session) = 0 BEGIN
        INSERT INTO team_pending_corrections (sender, subject) VALUES (new.sender, new.subject)
        ON CONFLICT (sender, subject) DO UPDATE SET n = n + 1;
    END;
    CREATE TEMP TRIGGER IF NOT EXISTS team_correction_gone AFTER DELETE ON main.corrections
    WHEN (SELECT pulling FROM duebox_session) = 0 BEGIN
        INSERT INTO team_pending_corrections (sender, subject) VALUES (old.sender, old.subject)
        ON CONFLICT (sender, subject) DO UPDATE SET n = n + 1;
    END;
    CREATE TEMP TRIGGER IF NOT EXISTS team_vendor_added AFTER INSERT ON main.vendors
    WHEN (SELECT pulling FROM duebox_session) = 0 BEGIN
        INSERT INTO team_pending_vendors (name, details)
        VALUES (new.name, coalesce(new.iban, new.account_number, new.phone) IS NOT NULL)
        ON CONFLICT (name) DO UPDATE SET details = max(details, excluded.details), n = n + 1;
    END;
    CREATE TEMP TRIGGER IF NOT EXISTS team_vendor_changed
    AFTER UPDATE OF name, iban, account_number, phone ON main.vendors
    WHEN (SELECT pulling FROM duebox_session) = 0 BEGIN
        INSERT INTO team_pending_vendors (name, details) VALUES (new.name, 1)
        ON CONFLICT (name) DO UPDATE SET details = 1, n = n + 1;
    END;
    CREATE TEMP TRIGGER IF NOT EXISTS team_vendor_address_added AFTER INSERT ON main.vendor_addresses
    WHEN (SELECT pulling FROM duebox_session) = 0 BEGIN
        INSERT INTO team_pending_vendors (name) SELECT name FROM vendors WHERE id = new.vendor_id
        ON CONFLICT (name) DO UPDATE SET n = n + 1;
    END;
";

/// A correction as the team database holds it; `verdict` None: forgotten by the team.
pub(super) struct SharedCorrection {
    pub(super) sender: String,
    pub(super) subject: String,
    pub(super) verdict: Option<String>,
    pub(super) source: String,
    pub(super) example_message_id: Option<String>,
    pub(super) created_at: String,
    pub(super) taught_at: String,
    /// The pending row's change count when read (0 for a row pulled).
    pub(super) changes: i64,
}

/// A vendor as the team database holds it (or as it is pushed): `details` false when only
/// its addresses are to be merged.
pub(super) struct SharedVendor {
    pub(super) name: String,
    pub(super) iban: Option<String>,
    pub(super) account_number: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) emails: Vec<String>,
    pub(super) details: bool,
    /// The pending row's change count when read (0 for a row pulled).
    pub(super) changes: i64,
}

/// Sets the triggers up; the first time this database joins a team, all its corrections and
/// vendors are pending (the team gets what this clerk had).
pub(super) fn prepare(conn: &rusqlite::Connection) -> Result<(), StoreError> {
    conn.execute_batch(TRIGGERS)?;
    let joined: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM team_cursor WHERE name = 'corrections')",
        [],
        |r| r.get(0),
    )?;
    if !joined {
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             INSERT OR IGNORE INTO team_pending_corrections (sender, subject)
                 SELECT sender, subject FROM corrections;
             INSERT OR IGNORE INTO team_pending_vendors (name, details)
                 SELECT name, 1 FROM vendors;
             INSERT INTO team_cursor (name, seq) VALUES ('corrections', 0), ('vendors', 0);
             COMMIT;",
        )?;
    }
    Ok(())
}

/// The corrections waiting to be pushed, as stored now (a missing one was forgotten).
pub(super) fn pending_corrections(
    conn: &rusqlite::Connection,
) -> Result<Vec<SharedCorrection>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT q.sender, q.subject, c.verdict, coalesce(c.actor, ''), c.example_message_id,
                coalesce(c.created_at, ''), coalesce(c.taught_at, ''), q.n
         FROM team_pending_corrections q
         LEFT JOIN corrections c ON c.sender = q.sender AND c.subject = q.subject
         ORDER BY q.rowid",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(SharedCorrection {
            sender: r.get(0)?,
            subject: r.get(1)?,
            verdict: r.get(2)?,
            source: r.get(3)?,
            example_message_id: r.get(4)?,
            created_at: r.get(5)?,
            taught_at: r.get(6)?,
            changes: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The vendors waiting to be pushed, with their addresses.
pub(super) fn pending_vendors(
    conn: &rusqlite::Connection,
) -> Result<Vec<SharedVendor>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT v.name, v.iban, v.account_number, v.phone, q.details,
                (SELECT group_concat(email, char(10)) FROM vendor_addresses a
                 WHERE a.vendor_id = v.id), q.n
         FROM team_pending_vendors q JOIN vendors v ON v.name = q.name
         ORDER BY v.id",
    )?;
    let rows = stmt.query_map([], |r| {
        let emails: Option<String> = r.get(5)?;
        Ok(SharedVendor {
            name: r.get(0)?,
            iban: r.get(1)?,
            account_number: r.get(2)?,
            phone: r.get(3)?,
            details: r.get(4)?,
            changes: r.get(6)?,
            emails: emails
                .map(|e| e.lines().map(str::to_string).collect())
                .unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// After a push: the pending rows pushed are no longer pending, unless changed since read.
pub(super) fn pushed(
    conn: &rusqlite::Connection,
    corrections: &[SharedCorrection],
    vendors: &[SharedVendor],
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "DELETE FROM team_pending_corrections WHERE sender = ?1 AND subject = ?2 AND n = ?3",
    )?;
    for c in corrections {
        stmt.execute(params![c.sender, c.subject, c.changes])?;
    }
    let mut stmt =
        conn.prepare_cached("DELETE FROM team_pending_vendors WHERE name = ?1 AND n = ?2")?;
    for v in vendors {
        stmt.execute(params![v.name, v.changes])?;
    }
    Ok(())
}

impl Store {
    /// One exchange with the team database: this clerk's record, replies, payables,
    /// corrections and vendors pushed; everyone's payables, corrections and vendors pulled
    /// (the chasers' checks redone). Returns how many shared rows changed here.
    pub(super) fn sync_team(&self, team: &mut Team) -> Result<usize, StoreError> {
        team.push(&self.conn)?;
        Ok(self.sync_payables(team)? + self.sync_shared(team)?)
    }

    /// Pushes this clerk's corrections and vendors and pulls the team's changed since the
    /// last pull. Returns how many changed here.
    pub(super) fn sync_shared(&self, team: &mut Team) -> Result<usize, StoreError> {
        let corrections = pending_corrections(&self.conn)?;
        let vendors = pending_vendors(&self.conn)?;
        team.push_shared(&self.clerk()?, &corrections, &vendors)?;
        pushed(&self.conn, &corrections, &vendors)?;
        let cursor = |name: &str| -> Result<i64, StoreError> {
            Ok(self.conn.query_row(
                "SELECT seq FROM team_cursor WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )?)
        };
        let (corrections, last_correction) = team.corrections_since(cursor("corrections")?)?;
        let (vendors, last_vendor) = team.vendors_since(cursor("vendors")?)?;
        if corrections.is_empty() && vendors.is_empty() {
            return Ok(0);
        }
        // Unchecked: the store is borrowed shared here; nothing else runs on it meanwhile.
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("UPDATE temp.duebox_session SET pulling = 1", [])?;
        let mut changed = 0;
        for c in &corrections {
            changed += usize::from(apply_correction(&tx, c)?);
        }
        for v in &vendors {
            changed += usize::from(apply_vendor(&tx, v)?);
        }
        let mut advance =
            tx.prepare_cached("UPDATE team_cursor SET seq = max(seq, ?2) WHERE name = ?1")?;
        advance.execute(params!["corrections", last_correction])?;
        advance.execute(params!["vendors", last_vendor])?;
        drop(advance);
        tx.execute("UPDATE temp.duebox_session SET pulling = 0", [])?;
        tx.commit()?;
        Ok(changed)
    }
}

/// Writes one pulled correction here: the team's verdict for the shape, or forgotten.
fn apply_correction(tx: &Transaction<'_>, c: &SharedCorrection) -> Result<bool, StoreError> {
    let stored: Option<(i64, String, String, Option<String>, String)> = tx
        .query_row(
            "SELECT id, verdict, actor, example_message_id, taught_at FROM corrections
             WHERE sender = ?1 AND subject = ?2",
            params![c.sender, c.subject],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some(verdict) = &c.verdict else {
        return Ok(match stored {
            Some((id, ..)) => tx.execute("DELETE FROM corrections WHERE id = ?1", params![id])? > 0,
            None => false,
        });
    };
    match stored {
        Some((id, old, ..)) if &old != verdict => {
            // Another verdict replaces the old one, as when this clerk re-teaches it: the
            // messages that taught the old one no longer count.
            tx.execute(
                "DELETE FROM correction_messages WHERE correction_id = ?1",
                params![id],
            )?;
            tx.execute(
                "UPDATE corrections SET verdict = ?2, actor = ?3, example_message_id = ?4,
                        created_at = ?5, taught_at = ?6, used = 0, last_used_at = NULL
                 WHERE id = ?1",
                params![
                    id,
                    verdict,
                    c.source,
                    c.example_message_id,
                    c.created_at,
                    c.taught_at
                ],
            )?;
            Ok(true)
        }
        Some((id, _, source, example, taught_at))
            if (source.as_str(), example.as_deref(), taught_at.as_str())
                != (
                    c.source.as_str(),
                    c.example_message_id.as_deref(),
                    c.taught_at.as_str(),
                ) =>
        {
            tx.execute(
                "UPDATE corrections SET actor = ?2, example_message_id = ?3, taught_at = ?4
                 WHERE id = ?1",
                params![id, c.source, c.example_message_id, c.taught_at],
            )?;
            Ok(true)
        }
        Some(_) => Ok(false),
        None => {
            tx.execute(
                "INSERT INTO corrections (sender, subject, verdict, actor, example_message_id,
                                          created_at, taught_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    c.sender,
                    c.subject,
                    verdict,
                    c.source,
                    c.example_message_id,
                    c.created_at,
                    c.taught_at
                ],
            )?;
            Ok(true)
        }
    }
}

/// Writes one pulled vendor here: its details as the team has them, its addresses added.
fn apply_vendor(tx: &Transaction<'_>, v: &SharedVendor) -> Result<bool, StoreError> {
    type Details = (Option<String>, Option<String>, Option<String>);
    let stored: Option<(i64, Details)> = tx
        .query_row(
            "SELECT id, iban, account_number, phone FROM vendors WHERE name = ?1",
            params![v.name],
            |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))),
        )
        .optional()?;
    let details = (v.iban.clone(), v.account_number.clone(), v.phone.clone());
    let (id, mut changed) = match stored {
        Some((id, old)) if old == details => (id, false),
        Some((id, _)) => {
            tx.execute(
                "UPDATE vendors SET iban = ?2, account_number = ?3, phone = ?4 WHERE id = ?1",
                params![id, details.0, details.1, details.2],
            )?;
            (id, true)
        }
        None => {
            tx.execute(
                "INSERT INTO vendors (name, iban, account_number, phone) VALUES (?1, ?2, ?3, ?4)",
                params![v.name, details.0, details.1, details.2],
            )?;
            (tx.last_insert_rowid(), true)
        }
    };
    for email in &v.emails {
        changed |= super::payables::add_address(tx, id, email)?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::fingerprint::{Fingerprint, Verdict};
    use crate::classify::Stage;
    use crate::store::CorrectionSource;

    #[test]
    fn a_change_made_while_a_push_is_under_way_stays_pending() {
        let mut store = Store::in_memory().unwrap();
        prepare(&store.conn).unwrap();
        let fp = Fingerprint::new("ar@acme.test", "Payment reminder invoice 7").unwrap();
        let teach = |s: &mut Store, v: Verdict| {
            s.teach(&fp, v, CorrectionSource::UiCommand, None, "said")
                .unwrap();
        };
        teach(&mut store, Verdict::NotChaser);
        let read = pending_corrections(&store.conn).unwrap();
        assert_eq!(read.len(), 1);
        // Another connection to the file re-teaches it before this push is done.
        teach(&mut store, Verdict::Chaser(Stage::Final));
        pushed(&store.conn, &read, &[]).unwrap();
        let left = pending_corrections(&store.conn).unwrap();
        assert_eq!(left.len(), 1, "the later change is pushed next time");
        assert_eq!(left[0].verdict.as_deref(), Some("final"));
        pushed(&store.conn, &left, &[]).unwrap();
        assert!(pending_corrections(&store.conn).unwrap().is_empty());
    }
}
