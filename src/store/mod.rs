//! The local SQLite database (bundled SQLite, WAL mode): messages, payables, the outbox, the
//! record; with `[database] url`, the team database too (`team`: the whole team's record and
//! replies, pushed after every local write). Migrations are numbered and applied at open; a
//! database written by a newer duebox is refused rather than damaged. No terminal code here.

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
pub mod search;
pub mod statements;
mod team;
mod team_payables;
mod team_shared;
mod vendors;

pub use chases::PriorChase;
pub use corrections::{Correction, CorrectionSource, MessageShape};
pub use dashboard::{AgingAmount, Bucket, ClaimRef, Dashboard, DUE_WINDOW_DAYS};
pub use events::{write_csv as write_events_csv, Event, EventFilter};
pub use listing::{Detail, FolderCount, HistoryEntry, MessagePlace, Page, Record, Summary};
pub use messages::{NewMessage, OpenMove, Pending, Stored, StoredFolder, StoredMessage};
pub use outbox::{NewReply, OutboxEntry, OutboxState};
pub use team::{TeamConfig, TeamReach};

use rusqlite::Connection;
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// SQLite's own default: a checkpoint once the WAL holds 1000 pages (4 MB).
const DEFAULT_CHECKPOINT_PAGES: i64 = 1000;
/// During a bulk run: once per 256 MB of WAL.
const BULK_CHECKPOINT_PAGES: i64 = 65_536;

/// An open database.
pub struct Store {
    conn: Connection,
    /// The team database, when `[database] url` names one.
    team: Option<RefCell<team::Team>>,
    /// Whether new messages' body text goes into the search index (`[sync] index_text`).
    index_text: bool,
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
    #[error("the team database {shown} cannot be reached ({reason}); replies are refused until it answers, so that no chaser is answered twice: check that the server is up and reachable, then try again. Mail can still be read, and what you do meanwhile joins the team's record when it is back")]
    TeamUnreachable { shown: String, reason: String },
    #[error("{clerk} has already {} this reply ({template}) at {at}; it is not sent twice (`duebox log` shows the team's record)", .state.taken_words())]
    ReplyTaken {
        clerk: String,
        template: String,
        state: OutboxState,
        at: String,
    },
    #[error("the team database {shown} was written by a newer duebox (shared schema {found}, this one knows up to {supported}); upgrade duebox on this machine")]
    TeamTooNew {
        shown: String,
        found: i64,
        supported: i64,
    },
    #[error("the team database {shown} refused: {reason}; check [database] url and the user's rights there")]
    Team { shown: String, reason: String },
    #[error("[database] url is not a PostgreSQL URL ({reason}); write it as postgres://USER@HOST:PORT/DBNAME, the password in password_cmd, password_env or password_file")]
    TeamUrl { reason: String },
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

/// The clerk's name when `[team] clerk` does not say: the OS user.
pub fn default_clerk() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "clerk".into())
}

impl Drop for Store {
    /// What is still unpushed goes to the team at the end of every command.
    fn drop(&mut self) {
        if self
            .team
            .as_ref()
            .is_some_and(|t| t.borrow().down_reason().is_none())
        {
            self.push_team();
        }
    }
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
        // Who this duebox's events and replies are from, read by every insert of an event.
        conn.execute_batch(
            "CREATE TEMP TABLE duebox_session (clerk TEXT NOT NULL, pulling INTEGER NOT NULL DEFAULT 0)",
        )?;
        conn.execute(
            "INSERT INTO temp.duebox_session (clerk) VALUES (?1)",
            [default_clerk()],
        )?;
        Ok(Store {
            conn,
            team: None,
            index_text: true,
        })
    }

    /// The clerk's name (`[team] clerk`) on every event and reply written from now on.
    pub fn set_clerk(&mut self, name: &str) -> Result<(), StoreError> {
        self.conn
            .execute("UPDATE temp.duebox_session SET clerk = ?1", [name])?;
        Ok(())
    }

    /// The clerk's name written on events and replies.
    pub fn clerk(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT clerk FROM temp.duebox_session", [], |r| r.get(0))?)
    }

    /// Shares the record, the replies, payables, corrections and vendors through the team
    /// database. Refused only when the
    /// URL is not one or the database is from a newer duebox; an unreachable server is not an
    /// error here (mail can be read): [`Store::team_down`] says so, and what needs the team
    /// is refused until it answers.
    pub fn attach_team(&mut self, config: &TeamConfig) -> Result<(), StoreError> {
        self.attach_team_lazily(config, &TeamReach::default())?;
        match self.refresh_team() {
            Ok(_) | Err(StoreError::TeamUnreachable { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Shares the same through the team database as [`Store::attach_team`], without connecting: the
    /// connection is made when something first needs it. Stores given the same `reach` (one
    /// duebox process's) share what the last attempt found, so a server that is down costs
    /// one connect timeout, not one per store. Refused only when the URL is not one.
    pub fn attach_team_lazily(
        &mut self,
        config: &TeamConfig,
        reach: &TeamReach,
    ) -> Result<(), StoreError> {
        let t = team::Team::new(config, &self.conn, reach.clone())?;
        team_payables::prepare(&self.conn)?;
        team_shared::prepare(&self.conn)?;
        self.team = Some(RefCell::new(t));
        Ok(())
    }

    /// Exchanges with the team database now: this clerk's record, replies, payables,
    /// corrections and vendors pushed, everyone's payables, corrections and vendors pulled
    /// (the checks redone). Returns how many of those changed here; 0 without a team
    /// database.
    pub fn refresh_team(&self) -> Result<usize, StoreError> {
        let Some(team) = &self.team else {
            return Ok(0);
        };
        self.sync_team(&mut team.borrow_mut())
    }

    /// Why the team database could not be reached at the last attempt; None when it could
    /// (or there is none).
    pub fn team_down(&self) -> Option<String> {
        let team = self.team.as_ref()?.borrow();
        team.down_reason().map(|reason| {
            StoreError::TeamUnreachable {
                shown: team.shown.clone(),
                reason: reason.to_string(),
            }
            .to_string()
        })
    }

    /// The team database's schema version; None without one.
    pub fn team_schema_version(&self) -> Option<Result<i64, StoreError>> {
        Some(self.team.as_ref()?.borrow_mut().schema_version())
    }

    /// Sends the team what was written here (outside a transaction only: a batch pushes at
    /// its commit). A failure is remembered, not returned: the rows wait here for the next
    /// push, and the team's actions say why they are refused.
    fn push_team(&self) {
        if let Some(team) = &self.team {
            if self.conn.is_autocommit() {
                let _ = self.sync_team(&mut team.borrow_mut());
            }
        }
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
                self.push_team();
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
        // A pass that wrote little (nothing new on the server) leaves its few pages to the
        // usual checkpointing: checkpointing now would cost two syncs for nothing.
        let page: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let wal = self
            .conn
            .path()
            .filter(|p| !p.is_empty())
            .and_then(|p| std::fs::metadata(format!("{p}-wal")).ok())
            .map_or(0, |m| m.len());
        if wal < (DEFAULT_CHECKPOINT_PAGES * page) as u64 {
            return Ok(());
        }
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
