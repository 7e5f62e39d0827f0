//! The local SQLite database (bundled SQLite, WAL mode): payables now; the message store, the
//! outbox and the audit log later. Migrations are numbered and applied at open; a database
//! written by a newer duebox is refused rather than damaged. No network or terminal code here.

mod chases;
mod corrections;
mod dashboard;
mod events;
pub mod exports;
mod listing;
mod messages;
mod migrations;
mod outbox;
pub mod payable_changes;
pub mod payables;
mod rechecks;
pub mod statements;
mod vendors;

pub use chases::PriorChase;
pub use corrections::{Correction, CorrectionSource, MessageShape};
pub use dashboard::{AgingAmount, Bucket, ClaimRef, Dashboard, DUE_WINDOW_DAYS};
pub use events::{Event, EventFilter};
pub use listing::{Detail, FolderCount, HistoryEntry, MessagePlace, Page, Record, Summary};
pub use messages::{NewMessage, OpenMove, Pending, Stored, StoredFolder, StoredMessage};
pub use outbox::{NewReply, OutboxEntry, OutboxState};

use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// SQLite's own default: a checkpoint once the WAL holds 1000 pages (4 MB).
const DEFAULT_CHECKPOINT_PAGES: i64 = 1000;
/// During a bulk run: once per 256 MB of WAL.
const BULK_CHECKPOINT_PAGES: i64 = 65_536;

/// An open database.
pub struct Store {
    conn: Connection,
}

/// Why the database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the folder for the database {path}: {source}; check the path and its permissions")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}; check the path, or pass --db")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the database {path} was written by a newer duebox (schema {found}, this one knows up to {supported}); upgrade duebox, or use another --db")]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("database error: {0}; if it persists, keep a copy of the database file and report it")]
    // No #[from]: the message already carries the SQL error; as its source too, a report
    // printing the chain ("{:#}") would say it twice.
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sql(e)
    }
}

/// How times are stored: `YYYY-MM-DD HH:MM:SS` in UTC, so text order is time order.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Where the database is by default: `$XDG_DATA_HOME/duebox/duebox.db`.
pub fn default_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("duebox").join("duebox.db"))
}

impl Store {
    /// Opens (creating if missing) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Store::setup(conn, path)
    }

    /// An in-memory database, for tests and the demo.
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::setup(Connection::open_in_memory()?, Path::new(":memory:"))
    }

    fn setup(mut conn: Connection, path: &Path) -> Result<Store, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Stated, not left to the build: every commit is synced unless `in_bulk` says otherwise.
        conn.pragma_update(None, "synchronous", "FULL")?;
        // A WAL grown by a bulk run is cut back to this once it is reset after a checkpoint.
        let _limit: i64 =
            conn.query_row("PRAGMA journal_size_limit = 33554432", [], |r| r.get(0))?;
        // The default (2 MB) is less than the indexes of a 100,000-message mailbox.
        conn.pragma_update(None, "cache_size", -16_384)?;
        // WAL keeps readers (the UI) and the writer (sync) out of each other's way.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let supported = migrations::latest();
        if found > supported {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found,
                supported,
            });
        }
        migrations::apply(&mut conn, found)?;
        Ok(Store { conn })
    }

    /// Runs `f` inside one transaction, so a batch of small writes (a mailbox of chases, a
    /// batch of fetched messages) costs one commit; writes that open their own savepoint
    /// nest inside it. Any error rolls the whole batch back.
    pub fn in_batch<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, E> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| E::from(StoreError::Sql(e)))?;
        match f(self) {
            Ok(v) => {
                self.conn
                    .execute_batch("COMMIT")
                    .map_err(|e| E::from(StoreError::Sql(e)))?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// [`Store::in_batch`] for data the server still holds (fetched messages, flags): the
    /// commit is not synced to disk (`synchronous = NORMAL`, WAL). A crash of the process
    /// loses nothing; a power cut may lose the last such batches, which the next pass simply
    /// fetches again. Every other transaction, the move journal's above all, stays
    /// `synchronous = FULL`, and its sync makes the batches before it durable too.
    pub fn in_bulk<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, E> {
        let set = |s: &Store, mode: &str| {
            s.conn
                .pragma_update(None, "synchronous", mode)
                .map_err(|e| E::from(StoreError::Sql(e)))
        };
        set(self, "NORMAL")?;
        let out = self.in_batch(f);
        set(self, "FULL")?;
        out
    }

    /// Before a long run of bulk batches (a first pass over a large mailbox): the WAL is
    /// copied back into the database once per 256 MB instead of every 4 MB, so that mail is
    /// written twice, not many times over.
    pub fn begin_bulk(&mut self) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", BULK_CHECKPOINT_PAGES)?;
        Ok(())
    }

    /// After the run: one checkpoint, and the WAL emptied so it does not keep its size on
    /// disk; the usual checkpointing again.
    pub fn end_bulk(&mut self) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", DEFAULT_CHECKPOINT_PAGES)?;
        // Another connection reading (the UI) may keep part of the WAL: that is fine.
        let _: (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        Ok(())
    }

    /// Changes whenever another connection commits (SQLite's `data_version`): tells a
    /// long-lived reader when what it derived from the database may be stale.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_migrates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/duebox.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), migrations::latest());
        drop(store);
        assert_eq!(
            Store::open(&path).unwrap().schema_version().unwrap(),
            migrations::latest()
        );
    }

    #[test]
    fn a_database_from_the_future_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("future.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE later_feature (x); PRAGMA user_version = 999;")
                .unwrap();
        }
        let err = Store::open(&path).err().expect("refused");
        assert!(
            matches!(err, StoreError::TooNew { found: 999, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("newer duebox"));
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 999, "the database was not modified");
    }
}
