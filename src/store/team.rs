//! The team database (`[database] url = "postgres://…"`, the synchronous `postgres` crate):
//! the whole team's record and every clerk's replies, so that a chaser is answered once across
//! clerks (a unique index on the reply's key decides, not a check in code). The local SQLite
//! database is always written first and stays the clerk's own copy; what the team must see is
//! pushed after it, so an unreachable server loses nothing. Never holds message bodies, never
//! prints, never logs the URL's password.

mod outbox;
mod payables;
mod record;
mod schema;
mod shared;

pub(super) use outbox::{reply_key, HOLDING};

use super::StoreError;
use postgres::{Client, Config, NoTls};
use rusqlite::Connection;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// How long a connection attempt may take before the server counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// After a failure, how long duebox answers "unreachable" without trying again (the UI asks
/// often; a dead server must not cost three seconds a keystroke).
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// Where the team's database is and how to log in to it.
#[derive(Clone)]
pub struct TeamConfig {
    /// `postgres://USER@HOST:PORT/DBNAME` (a password in it is used, never shown).
    pub url: String,
    /// The password from `[database] password_cmd`, `password_env` or `password_file`.
    pub password: Option<String>,
}

impl std::fmt::Debug for TeamConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TeamConfig(<hidden>)")
    }
}

/// The connection to the team database, made when first needed and again after a failure.
pub(super) struct Team {
    config: Config,
    /// user@host:port/dbname: how the server is named in messages (no password).
    pub(super) shown: String,
    client: Option<Client>,
    /// The last failure to reach the server, and when.
    down: Option<(Instant, String)>,
    /// This local database's id in the team's record.
    origin: String,
}

/// Parses the URL without connecting (a bad URL is a configuration error, not an outage).
pub(super) fn parse(team: &TeamConfig) -> Result<(Config, String), StoreError> {
    let mut config = Config::from_str(&team.url).map_err(|e| StoreError::TeamUrl {
        reason: e.to_string(),
    })?;
    if let Some(p) = &team.password {
        config.password(p);
    }
    config.connect_timeout(CONNECT_TIMEOUT);
    config.application_name("duebox");
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(h) => h.clone(),
            postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let shown = format!(
        "{}@{host}:{port}/{}",
        config.get_user().unwrap_or("?"),
        config.get_dbname().unwrap_or("?")
    );
    Ok((config, shown))
}

impl Team {
    pub(super) fn new(team: &TeamConfig, conn: &Connection) -> Result<Team, StoreError> {
        let (config, shown) = parse(team)?;
        conn.execute(
            "INSERT INTO local_identity (origin) SELECT lower(hex(randomblob(16)))
             WHERE NOT EXISTS (SELECT 1 FROM local_identity)",
            [],
        )?;
        let origin = conn.query_row("SELECT origin FROM local_identity", [], |r| r.get(0))?;
        Ok(Team {
            config,
            shown,
            client: None,
            down: None,
            origin,
        })
    }

    /// Why the server could not be reached the last time, if it could not.
    pub(super) fn down_reason(&self) -> Option<&str> {
        self.down.as_ref().map(|(_, r)| r.as_str())
    }

    /// The connection, made (and the shared schema brought up to date) if there is none.
    fn client(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.client = None;
        }
        if self.client.is_none() {
            if let Some((at, reason)) = &self.down {
                if at.elapsed() < RETRY_AFTER {
                    return Err(self.unreachable(reason.clone()));
                }
            }
            let mut client = match self.config.connect(NoTls) {
                Ok(c) => c,
                Err(e) => return Err(self.failed(e)),
            };
            if let Err(e) = schema::migrate(&mut client, &self.shown) {
                return Err(match e {
                    schema::Migrate::Pg(e) => self.failed(e),
                    schema::Migrate::Store(e) => e,
                });
            }
            self.down = None;
            self.client = Some(client);
        }
        Ok(self.client.as_mut().expect("connected above"))
    }

    fn unreachable(&self, reason: String) -> StoreError {
        StoreError::TeamUnreachable {
            shown: self.shown.clone(),
            reason,
        }
    }

    /// Turns a PostgreSQL error into ours; a lost connection marks the server down.
    fn failed(&mut self, e: postgres::Error) -> StoreError {
        if let Some(db) = e.as_db_error() {
            return StoreError::Team {
                shown: self.shown.clone(),
                reason: format!("{} ({})", db.message(), db.code().code()),
            };
        }
        let reason = one_line(&e);
        self.client = None;
        self.down = Some((Instant::now(), reason.clone()));
        self.unreachable(reason)
    }

    /// Sends the team everything written here since the last push: events, and replies'
    /// states. Idempotent: a push repeated after a crash adds nothing.
    pub(super) fn push(&mut self, local: &Connection) -> Result<(), StoreError> {
        self.push_events(local)?;
        self.push_replies(local)
    }
}

fn one_line(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
