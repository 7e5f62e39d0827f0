//! The message store: each synced folder's UIDVALIDITY and mod-sequence, every message with
//! its classification, the journal of moves in flight, what duebox has filed (so a message
//! the user took back is never filed again), and the event record.

use super::{Store, StoreError};
use rusqlite::{params, OptionalExtension};

/// A folder as last synced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFolder {
    pub id: i64,
    pub uid_validity: Option<u32>,
    pub highest_modseq: Option<u64>,
    /// UIDNEXT as the last complete sync of the folder found it.
    pub uid_next: Option<u32>,
}

/// A message to store, with what classification made of it.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub uid: u32,
    pub message_id: Option<String>,
    pub flags: String,
    pub size: u32,
    pub truncated: bool,
    pub raw: Vec<u8>,
    pub sent_at: Option<String>,
    pub from_addr: Option<String>,
    pub subject: Option<String>,
    pub parse_error: Option<String>,
    pub kind: Option<String>,
    pub stage: Option<String>,
    pub vendor: Option<String>,
    pub invoices: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub due_date: Option<String>,
    pub risk: String,
    pub match_status: Option<String>,
    pub reasons: String,
    /// JSON list of `FraudReason`.
    pub fraud_reasons: String,
    pub destination: Option<String>,
    /// The sender's display name ("Brennan Logistics — Accounts").
    pub from_name: Option<String>,
    /// The first message of its References chain (else In-Reply-To, else its own Message-ID).
    pub thread_root: Option<String>,
    /// The readable text (body and attachment text) for the search index; not stored whole.
    pub search_text: String,
}

/// Whether a stored message was new or an old one seen again under a new UID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New,
    Relinked,
    /// Already stored under this UID.
    Known,
}

/// A message waiting to be filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub id: i64,
    pub uid: u32,
    pub message_id: Option<String>,
    pub destination: String,
    pub stage: Option<String>,
    pub risk: String,
    /// The flags the last sync saw, space-separated.
    pub flags: String,
}

/// A move recorded in the journal and not finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenMove {
    pub id: i64,
    pub message_id: String,
    pub source: String,
    pub source_uid: u32,
    pub source_uid_validity: u32,
    pub destination: String,
    pub state: String,
}

fn now() -> String {
    super::timestamp(chrono::Utc::now())
}

impl Store {
    /// The folder's stored state, creating its row on first sight.
    pub fn folder(&mut self, name: &str) -> Result<StoredFolder, StoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO folders (name) VALUES (?1)",
            params![name],
        )?;
        Ok(self.conn.query_row(
            "SELECT id, uid_validity, highest_modseq, uid_next FROM folders WHERE name = ?1",
            params![name],
            |r| {
                Ok(StoredFolder {
                    id: r.get(0)?,
                    uid_validity: r.get(1)?,
                    highest_modseq: r.get::<_, Option<i64>>(2)?.map(|m| m as u64),
                    uid_next: r.get(3)?,
                })
            },
        )?)
    }

    /// The server's name for the folder as learnt by an earlier pass, if any.
    pub fn folder_server_name(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT server_name FROM folders WHERE name = ?1",
                params![name],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Keeps the server's name for the folder, so later passes use the same one.
    pub fn set_folder_server_name(
        &mut self,
        name: &str,
        server_name: &str,
    ) -> Result<(), StoreError> {
        self.folder(name)?;
        self.conn.execute(
            "UPDATE folders SET server_name = ?2 WHERE name = ?1",
            params![name, server_name],
        )?;
        Ok(())
    }

    /// Records the folder's UIDVALIDITY, mod-sequence and UIDNEXT after a complete sync.
    pub fn set_folder_state(
        &mut self,
        id: i64,
        uid_validity: u32,
        highest_modseq: Option<u64>,
        uid_next: Option<u32>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE folders SET uid_validity = ?2, highest_modseq = ?3, synced_at = ?4, uid_next = ?5
             WHERE id = ?1",
            params![id, uid_validity, highest_modseq.map(|m| m as i64), now(), uid_next],
        )?;
        Ok(())
    }

    /// A new UIDVALIDITY: every UID we hold for the folder is void. The messages stay, with
    /// their classification, to be matched again by Message-ID.
    pub fn forget_uids(&mut self, folder_id: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE messages SET uid = NULL WHERE folder_id = ?1",
            params![folder_id],
        )?;
        Ok(())
    }

    /// The UIDs we hold for a folder, ascending.
    pub fn local_uids(&self, folder_id: i64) -> Result<Vec<u32>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT uid FROM messages WHERE folder_id = ?1 AND uid IS NOT NULL ORDER BY uid",
        )?;
        let rows = stmt.query_map(params![folder_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The flags we hold for each UID of a folder from `first` to `last` (a range, so a
    /// large folder is never read whole).
    pub fn local_flags(
        &self,
        folder_id: i64,
        first: u32,
        last: u32,
    ) -> Result<Vec<(u32, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT uid, flags FROM messages WHERE folder_id = ?1 AND uid BETWEEN ?2 AND ?3",
        )?;
        let rows = stmt.query_map(params![folder_id, first, last], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores a fetched message, or, when a message with its Message-ID is waiting in this
    /// folder without a UID (moved here, or UIDVALIDITY changed), links that one to its new
    /// UID and keeps its classification.
    pub fn store_message(&mut self, folder_id: i64, m: &NewMessage) -> Result<Stored, StoreError> {
        if let Some(mid) = &m.message_id {
            if self.relink(folder_id, m.uid, mid, &m.flags)? {
                return Ok(Stored::Relinked);
            }
        }
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT INTO messages (folder_id, uid, message_id, flags, size, truncated, sent_at, from_addr, subject,
                    parse_error, kind, stage, vendor, invoices, amount, currency, due_date, risk, match_status, reasons,
                    destination, synced_at, fraud_reasons)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)
                 ON CONFLICT (folder_id, uid) DO NOTHING",
            )?
            .execute(params![
                folder_id,
                m.uid,
                m.message_id,
                m.flags,
                m.size,
                m.truncated,
                m.sent_at,
                m.from_addr,
                m.subject,
                m.parse_error,
                m.kind,
                m.stage,
                m.vendor,
                m.invoices,
                m.amount,
                m.currency,
                m.due_date,
                m.risk,
                m.match_status,
                m.reasons,
                m.destination,
                now(),
                if m.fraud_reasons.is_empty() { "[]" } else { m.fraud_reasons.as_str() }
            ])?;
        if inserted == 0 {
            return Ok(Stored::Known);
        }
        let id = self.conn.last_insert_rowid();
        self.conn
            .prepare_cached("INSERT INTO bodies (message, raw) VALUES (?1, ?2)")?
            .execute(params![id, m.raw])?;
        super::search::index_new(&self.conn, id, m)?;
        Ok(Stored::New)
    }

    /// Whether any message in the folder waits for its UID (moved here, or a UIDVALIDITY
    /// change), so new UIDs are worth matching by Message-ID before fetching them whole.
    pub fn has_unlinked(&self, folder_id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM messages WHERE folder_id = ?1 AND uid IS NULL LIMIT 1")?
            .query_row(params![folder_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Gives a message waiting in this folder with this Message-ID its UID and flags; false
    /// when none waits.
    pub fn relink(
        &mut self,
        folder_id: i64,
        uid: u32,
        message_id: &str,
        flags: &str,
    ) -> Result<bool, StoreError> {
        let waiting: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT id FROM messages WHERE folder_id = ?1 AND uid IS NULL AND message_id = ?2 LIMIT 1",
            )?
            .query_row(params![folder_id, message_id], |r| r.get(0))
            .optional()?;
        let Some(id) = waiting else {
            return Ok(false);
        };
        self.conn
            .prepare_cached("UPDATE messages SET uid = ?2, flags = ?3 WHERE id = ?1")?
            .execute(params![id, uid, flags])?;
        Ok(true)
    }

    /// Updates a message's flags.
    pub fn set_flags(&mut self, folder_id: i64, uid: u32, flags: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE messages SET flags = ?3 WHERE folder_id = ?1 AND uid = ?2")?
            .execute(params![folder_id, uid, flags])?;
        Ok(())
    }

    /// Forgets messages another client expunged (or moved away).
    pub fn remove_uids(&mut self, folder_id: i64, uids: &[u32]) -> Result<usize, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("DELETE FROM messages WHERE folder_id = ?1 AND uid = ?2")?;
        let mut n = 0;
        for uid in uids {
            n += stmt.execute(params![folder_id, uid])?;
        }
        Ok(n)
    }

    /// After a full pass over a folder: messages still waiting for a UID are not there.
    pub fn drop_unlinked(&mut self, folder_id: i64) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "DELETE FROM messages WHERE folder_id = ?1 AND uid IS NULL",
            params![folder_id],
        )?)
    }

    /// How many messages in a folder have somewhere to go and were never filed.
    pub fn pending_filing_count(&self, folder_id: i64) -> Result<usize, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM messages INDEXED BY messages_to_file
             WHERE folder_id = ?1 AND uid IS NOT NULL AND destination IS NOT NULL",
            params![folder_id],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// Up to `limit` messages in a folder that have somewhere to go and were never filed,
    /// with UIDs above `after`, in UID order: a page, so filing never holds them all.
    pub fn pending_filings(
        &self,
        folder_id: i64,
        after: u32,
        limit: usize,
    ) -> Result<Vec<Pending>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.id, m.uid, m.message_id, m.destination, m.stage, m.risk, m.flags
             FROM messages m INDEXED BY messages_to_file WHERE m.folder_id = ?1 AND m.uid > ?2 AND m.destination IS NOT NULL
             ORDER BY m.uid LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![folder_id, after, limit as i64], |r| {
            Ok(Pending {
                id: r.get(0)?,
                uid: r.get(1)?,
                message_id: r.get(2)?,
                destination: r.get(3)?,
                stage: r.get(4)?,
                risk: r.get(5)?,
                flags: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether duebox filed a message with this Message-ID before.
    pub fn was_filed(&self, message_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM filings WHERE message_id = ?1")?
            .query_row(params![message_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// The message stays where it is from now on.
    pub fn clear_destination(&mut self, id: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE messages SET destination = NULL WHERE id = ?1",
            params![id],
        )?;
        Ok(())
    }

    /// Journals a move before it is made.
    pub fn plan_move(
        &mut self,
        message_id: &str,
        source: &str,
        source_uid: u32,
        source_uid_validity: u32,
        destination: &str,
    ) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO moves (message_id, source, source_uid, source_uid_validity, destination, state, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'planned', ?6)",
            )?
            .execute(params![message_id, source, source_uid, source_uid_validity, destination, now()])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The copy exists in the destination; the original is still to be removed.
    pub fn move_copied(&mut self, move_id: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE moves SET state = 'copied' WHERE id = ?1")?
            .execute(params![move_id])?;
        Ok(())
    }

    /// The move is over: done (the message is in the destination, once) or abandoned (it is
    /// still where it was, or gone by another client's hand).
    pub fn finish_move(&mut self, move_id: i64, done: bool) -> Result<(), StoreError> {
        let (message_id, destination, source): (String, String, String) = self.conn.query_row(
            "SELECT message_id, destination, source FROM moves WHERE id = ?1",
            params![move_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        self.conn.execute(
            "UPDATE moves SET state = ?2, finished_at = ?3 WHERE id = ?1",
            params![move_id, if done { "done" } else { "abandoned" }, now()],
        )?;
        if done {
            self.conn.execute(
                "INSERT OR REPLACE INTO filings (message_id, destination, filed_at) VALUES (?1, ?2, ?3)",
                params![message_id, destination, now()],
            )?;
            // The message now lives in the destination under a UID its next sync will tell.
            let dest = self.folder(&destination)?.id;
            let src = self.folder(&source)?.id;
            self.conn.execute(
                "UPDATE messages SET folder_id = ?1, uid = NULL, destination = NULL
                 WHERE folder_id = ?2 AND message_id = ?3",
                params![dest, src, message_id],
            )?;
        }
        Ok(())
    }

    /// Finishes the moves of one group from `source` to `destination` at once: each done and
    /// filed, and its message moved in the store — under its UID there when the server said
    /// it (COPYUID), else waiting for the next sync to find it by Message-ID. Each item is
    /// (move, Message-ID, UID in the source, UID in the destination).
    pub fn finish_moves(
        &mut self,
        source: &str,
        destination: &str,
        moved: &[(i64, &str, u32, Option<u32>)],
    ) -> Result<(), StoreError> {
        let dest = self.folder(destination)?.id;
        let src = self.folder(source)?.id;
        let at = now();
        let mut finish = self
            .conn
            .prepare_cached("UPDATE moves SET state = 'done', finished_at = ?2 WHERE id = ?1")?;
        let mut filed = self.conn.prepare_cached(
            "INSERT OR REPLACE INTO filings (message_id, destination, filed_at) VALUES (?1, ?2, ?3)",
        )?;
        let mut placed = self.conn.prepare_cached(
            "UPDATE messages SET folder_id = ?1, uid = ?4, destination = NULL
             WHERE folder_id = ?2 AND uid = ?3
               AND NOT EXISTS (SELECT 1 FROM messages WHERE folder_id = ?1 AND uid = ?4)",
        )?;
        let mut unplaced = self.conn.prepare_cached(
            "UPDATE messages SET folder_id = ?1, uid = NULL, destination = NULL
             WHERE folder_id = ?2 AND message_id = ?3",
        )?;
        for (id, message_id, source_uid, new_uid) in moved {
            finish.execute(params![id, at])?;
            filed.execute(params![message_id, destination, at])?;
            let done = match new_uid {
                Some(uid) => placed.execute(params![dest, src, source_uid, uid])? > 0,
                None => false,
            };
            if !done {
                unplaced.execute(params![dest, src, message_id])?;
            }
        }
        Ok(())
    }

    /// Takes `uid_validity` as the folder's when it has none yet (never synced): a COPYUID
    /// told it before the folder's first sync. Whether the folder's UIDVALIDITY is now that.
    pub fn adopt_uid_validity(
        &mut self,
        name: &str,
        uid_validity: u32,
    ) -> Result<bool, StoreError> {
        let id = self.folder(name)?.id;
        self.conn.execute(
            "UPDATE folders SET uid_validity = ?2 WHERE id = ?1 AND uid_validity IS NULL",
            params![id, uid_validity],
        )?;
        let now: Option<u32> = self.conn.query_row(
            "SELECT uid_validity FROM folders WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )?;
        Ok(now == Some(uid_validity))
    }

    /// Records that a message was labelled in place (label-only mode): never filed again.
    pub fn record_labelled(
        &mut self,
        id: i64,
        message_id: &str,
        label: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO filings (message_id, destination, filed_at) VALUES (?1, ?2, ?3)",
            params![message_id, label, now()],
        )?;
        self.clear_destination(id)
    }

    /// Moves journalled and not finished (a crash, or a lost connection, in between).
    pub fn open_moves(&self) -> Result<Vec<OpenMove>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, message_id, source, source_uid, source_uid_validity, destination, state
             FROM moves WHERE state IN ('planned', 'copied') ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(OpenMove {
                id: r.get(0)?,
                message_id: r.get(1)?,
                source: r.get(2)?,
                source_uid: r.get(3)?,
                source_uid_validity: r.get(4)?,
                destination: r.get(5)?,
                state: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The Message-IDs stored in a folder (for tests and checks), in UID order.
    pub fn message_ids(&self, folder: &str) -> Result<Vec<Option<String>>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT m.message_id FROM messages m JOIN folders f ON f.id = m.folder_id
             WHERE f.name = ?1 ORDER BY m.uid",
        )?;
        let rows = stmt.query_map(params![folder], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A stored message with its raw text, for replies and display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    pub id: i64,
    pub folder: String,
    pub uid: Option<u32>,
    pub message_id: Option<String>,
    pub raw: Vec<u8>,
}

impl Store {
    /// A message by its row id, or by its Message-ID (with or without angle brackets).
    pub fn find_message(&self, reference: &str) -> Result<Option<StoredMessage>, StoreError> {
        let sql = "SELECT m.id, f.name, m.uid, m.message_id, b.raw
                   FROM messages m JOIN folders f ON f.id = m.folder_id JOIN bodies b ON b.message = m.id";
        let row = |r: &rusqlite::Row<'_>| {
            Ok(StoredMessage {
                id: r.get(0)?,
                folder: r.get(1)?,
                uid: r.get(2)?,
                message_id: r.get(3)?,
                raw: r.get(4)?,
            })
        };
        let reference = reference.trim();
        if let Ok(id) = reference.parse::<i64>() {
            return Ok(self
                .conn
                .query_row(&format!("{sql} WHERE m.id = ?1"), params![id], row)
                .optional()?);
        }
        let bare = reference.trim_start_matches('<').trim_end_matches('>');
        Ok(self
            .conn
            .query_row(
                &format!("{sql} WHERE m.message_id IN (?1, ?2) ORDER BY m.id DESC LIMIT 1"),
                params![format!("<{bare}>"), bare],
                row,
            )
            .optional()?)
    }

    /// The newest stored row of a message, by Message-ID (no body read).
    pub fn message_row(&self, message_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id FROM messages WHERE message_id = ?1 ORDER BY id DESC LIMIT 1",
            )?
            .query_row(params![message_id], |r| r.get(0))
            .optional()?)
    }

    /// The folders a message (by Message-ID) is stored in, with its UID there.
    pub fn locations(&self, message_id: &str) -> Result<Vec<(String, Option<u32>)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT f.name, m.uid FROM messages m JOIN folders f ON f.id = m.folder_id
             WHERE m.message_id = ?1 ORDER BY m.id",
        )?;
        let rows = stmt.query_map(params![message_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
