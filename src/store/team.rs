//! The team database (`[database] url = "postgres://…"`, the synchronous `postgres` crate):
//! the whole team's record and every clerk's replies, so that a chaser is answered once across
//! clerks (a unique index on the reply's key decides, not a check in code). The local SQLite
//! database is always written first and stays the clerk's own copy; what the team must see is
//! pushed after it, so an unreachable server loses nothing. Never holds message bodies, never
//! prints, never logs the URL's password.

use super::migrations::TEAM_STEPS;
use super::{OutboxEntry, OutboxState, StoreError};
use postgres::error::SqlState;
use postgres::{Client, Config, NoTls};
use rusqlite::{params, Connection};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a connection attempt may take before the server counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// After a failure, how long duebox answers "unreachable" without trying again (the UI asks
/// often; a dead server must not cost three seconds a keystroke).
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// Events pushed per round trip.
const PUSH_BATCH: i64 = 500;

/// States in which a reply holds its key: nobody else may send the same reply meanwhile.
pub(super) const HOLDING: &str = "('queued', 'sending', 'sent', 'unknown')";

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

/// Whether the team database answered at the last attempt, shared by the stores one duebox
/// opens (the UI opens one per thread): the first to find the server unreachable pays the
/// connect timeout, the others are refused at once until [`RETRY_AFTER`] has passed.
#[derive(Clone, Default)]
pub struct TeamReach(Arc<Mutex<Option<(Instant, String)>>>);

impl TeamReach {
    fn last_failure(&self) -> Option<(Instant, String)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, failure: Option<(Instant, String)>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = failure;
    }
}

/// The connection to the team database, made when first needed and again after a failure.
pub(super) struct Team {
    config: Config,
    /// user@host:port/dbname: how the server is named in messages (no password).
    pub(super) shown: String,
    client: Option<Client>,
    /// The last failure to reach the server, and when (shared with the process's other stores).
    down: TeamReach,
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
    pub(super) fn new(
        team: &TeamConfig,
        conn: &Connection,
        down: TeamReach,
    ) -> Result<Team, StoreError> {
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
            down,
            origin,
        })
    }

    /// Why the server could not be reached the last time, if it could not.
    pub(super) fn down_reason(&self) -> Option<String> {
        self.down.last_failure().map(|(_, r)| r)
    }

    /// The connection, made (and the shared schema brought up to date) if there is none.
    fn client(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.client = None;
        }
        if self.client.is_none() {
            if let Some((at, reason)) = self.down.last_failure() {
                if at.elapsed() < RETRY_AFTER {
                    return Err(self.unreachable(reason));
                }
            }
            let mut client = match self.config.connect(NoTls) {
                Ok(c) => c,
                Err(e) => return Err(self.failed(e)),
            };
            if let Err(e) = migrate(&mut client, &self.shown) {
                return Err(match e {
                    Migrate::Pg(e) => self.failed(e),
                    Migrate::Store(e) => e,
                });
            }
            self.down.set(None);
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
        self.down.set(Some((Instant::now(), reason.clone())));
        self.unreachable(reason)
    }

    /// Reserves a reply for this clerk: one row per Message-ID, and the unique index on
    /// `reply_key` lets only one clerk hold a key. Another holder → [`StoreError::ReplyTaken`].
    pub(super) fn reserve(
        &mut self,
        local: &Connection,
        e: &OutboxEntry,
        reply_key: Option<&str>,
        clerk: &str,
    ) -> Result<(), StoreError> {
        for _ in 0..2 {
            let origin = self.origin.clone();
            let client = self.client()?;
            let inserted = client.execute(
                "INSERT INTO outbox (message_id, answers, template, escalation, vendor, invoice,
                                     invoice_key, envelope_to, subject, state, error, created_at,
                                     updated_at, sent_at, origin, clerk, reply_key)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16)",
                &[
                    &e.message_id,
                    &e.answers,
                    &e.template,
                    &e.escalation,
                    &e.vendor,
                    &e.invoice,
                    &e.invoice.as_deref().map(crate::classify::extract::normalise_invoice),
                    &e.envelope_to,
                    &e.subject,
                    &e.state.as_str(),
                    &e.error,
                    &e.created_at,
                    &e.sent_at,
                    &origin,
                    &clerk,
                    &reply_key,
                ],
            );
            let err = match inserted {
                Ok(_) => return Ok(()),
                Err(err) => err,
            };
            if err.code() != Some(&SqlState::UNIQUE_VIOLATION) {
                return Err(self.failed(err));
            }
            let Some(key) = reply_key else {
                return Err(self.failed(err));
            };
            let holder = self.holder(key)?;
            match holder {
                // Ours, left by a local transaction that was rolled back after the
                // reservation: nothing of it exists here, so it is released and taken again.
                Some(h) if h.origin == self.origin && !local_has(local, &h.message_id)? => {
                    let client = self.client()?;
                    if let Err(err) = client.execute(
                        "UPDATE outbox SET state = 'discarded', error = 'never written locally'
                         WHERE message_id = $1",
                        &[&h.message_id],
                    ) {
                        return Err(self.failed(err));
                    }
                }
                Some(h) => {
                    return Err(StoreError::ReplyTaken {
                        clerk: h.clerk,
                        template: e.template.clone(),
                        state: h.state,
                        at: h.at,
                    })
                }
                None => return Err(self.failed(err)),
            }
        }
        Err(StoreError::Team {
            shown: self.shown.clone(),
            reason: "the reply's key stayed taken by this clerk's own unfinished reply".into(),
        })
    }

    /// Who holds a reply key, if anyone.
    fn holder(&mut self, key: &str) -> Result<Option<Holder>, StoreError> {
        let client = self.client()?;
        let row = client.query_opt(
            &format!(
                "SELECT coalesce(clerk, ''), state, coalesce(sent_at, updated_at), origin, message_id
                 FROM outbox WHERE reply_key = $1 AND state IN {HOLDING}"
            ),
            &[&key],
        );
        match row {
            Ok(r) => Ok(r.map(|r| Holder {
                clerk: r.get(0),
                state: OutboxState::parse(r.get(1)),
                at: r.get(2),
                origin: r.get(3),
                message_id: r.get(4),
            })),
            Err(e) => Err(self.failed(e)),
        }
    }

    /// A state change that takes the key again (a failed reply retried): decided by the team
    /// database before the local row changes.
    pub(super) fn retake(
        &mut self,
        e: &OutboxEntry,
        key: Option<&str>,
        state: OutboxState,
    ) -> Result<(), StoreError> {
        let origin = self.origin.clone();
        let client = self.client()?;
        let changed = client.execute(
            "INSERT INTO outbox (message_id, answers, template, escalation, vendor, invoice,
                                 envelope_to, subject, state, created_at, updated_at, origin,
                                 reply_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (message_id) DO UPDATE SET state = EXCLUDED.state,
                 updated_at = EXCLUDED.updated_at",
            &[
                &e.message_id,
                &e.answers,
                &e.template,
                &e.escalation,
                &e.vendor,
                &e.invoice,
                &e.envelope_to,
                &e.subject,
                &state.as_str(),
                &e.created_at,
                &super::timestamp(chrono::Utc::now()),
                &origin,
                &key,
            ],
        );
        match changed {
            Ok(_) => Ok(()),
            Err(err) if err.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                match key.map(|k| self.holder(k)).transpose()?.flatten() {
                    Some(h) => Err(StoreError::ReplyTaken {
                        clerk: h.clerk,
                        template: e.template.clone(),
                        state: h.state,
                        at: h.at,
                    }),
                    None => Err(self.failed(err)),
                }
            }
            Err(err) => Err(self.failed(err)),
        }
    }

    /// Sends the team everything written here since the last push: events, and replies'
    /// states. Idempotent: a push repeated after a crash adds nothing.
    pub(super) fn push(&mut self, local: &Connection) -> Result<(), StoreError> {
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
        self.push_replies(local)
    }

    /// Replies whose state changed here since the last push (or that the team has not seen).
    fn push_replies(&mut self, local: &Connection) -> Result<(), StoreError> {
        let rows: Vec<(OutboxEntry, Option<String>)> = local
            .prepare_cached(&format!(
                "SELECT {}, reply_key FROM outbox WHERE team_pushed = 0 AND demo = 0 ORDER BY id",
                super::outbox::COLUMNS
            ))?
            .query_map([], |r| Ok((super::outbox::entry(r)?, r.get(18)?)))?
            .collect::<Result<_, _>>()?;
        for (e, key) in rows {
            let origin = self.origin.clone();
            let client = self.client()?;
            let done = upsert_reply(client, &e, &origin, key.as_deref());
            match done {
                Ok(_) => {}
                // An older reply (from before the team database) whose key another clerk
                // holds: shown in the record, its key not claimed.
                Err(err) if err.code() == Some(&SqlState::UNIQUE_VIOLATION) && key.is_some() => {
                    let client = self.client()?;
                    if let Err(err) = upsert_reply(client, &e, &origin, None) {
                        return Err(self.failed(err));
                    }
                }
                Err(err) => return Err(self.failed(err)),
            }
            local.execute(
                "UPDATE outbox SET team_pushed = 1 WHERE id = ?1",
                params![e.id],
            )?;
        }
        Ok(())
    }

    /// Pushes the payables changed here (the last push of a payable wins).
    pub(super) fn push_payables(&mut self, local: &Connection) -> Result<(), StoreError> {
        let rows = super::team_payables::pending(local)?;
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
        let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
        super::team_payables::pushed(local, &ids)
    }

    /// The team's payables changed after number `seq`, in order.
    pub(super) fn payables_since(
        &mut self,
        seq: i64,
    ) -> Result<Vec<super::team_payables::SharedPayable>, StoreError> {
        let client = self.client()?;
        let rows = client.query(
            "SELECT vendor, vendor_email, invoice_number, amount, currency, issue_date, due_date,
                    status, paid_on, reference, scheduled_on, seq
             FROM payables WHERE seq > $1 ORDER BY seq",
            &[&seq],
        );
        match rows {
            Ok(rows) => Ok(rows.iter().map(super::team_payables::shared_row).collect()),
            Err(e) => Err(self.failed(e)),
        }
    }

    /// The whole team's record, oldest first, with the same filter as the local one.
    pub(super) fn events(
        &mut self,
        key: Option<&str>,
        vendor: Option<&str>,
        since: Option<&str>,
    ) -> Result<Vec<super::Event>, StoreError> {
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
                .map(|r| super::Event {
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

    /// The shared schema's version (for `config check` and the tests).
    pub(super) fn schema_version(&mut self) -> Result<i64, StoreError> {
        let client = self.client()?;
        match client.query_one("SELECT version FROM duebox_schema", &[]) {
            Ok(r) => Ok(r.get(0)),
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

/// This clerk's changed payables into the team's, numbered in the order they become visible.
fn upsert_payables(
    client: &mut Client,
    rows: &[(i64, crate::payables::Payable)],
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

struct Holder {
    clerk: String,
    state: OutboxState,
    at: String,
    origin: String,
    message_id: String,
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

/// The key two clerks' replies must not share: the same template answering the same message.
/// None for what may repeat: an escalation, the demo's outbox, a reply sent again on purpose.
pub(super) fn reply_key(
    answers: Option<&str>,
    template: &str,
    escalation: bool,
    demo: bool,
    repeat: bool,
) -> Option<String> {
    let answers = answers.filter(|_| !escalation && !demo && !repeat)?;
    Some(format!("{template} {answers}"))
}

fn local_has(local: &Connection, message_id: &str) -> Result<bool, StoreError> {
    Ok(local.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE message_id = ?1)",
        params![message_id],
        |r| r.get(0),
    )?)
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

enum Migrate {
    Pg(postgres::Error),
    Store(StoreError),
}

impl From<postgres::Error> for Migrate {
    fn from(e: postgres::Error) -> Self {
        Migrate::Pg(e)
    }
}

/// Brings the shared schema up to date, each step in its own transaction with its number;
/// a database written by a newer duebox is refused untouched. Two clerks starting at once
/// are serialised by an advisory lock.
fn migrate(client: &mut Client, shown: &str) -> Result<(), Migrate> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock(7470301)", &[])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS duebox_schema (version BIGINT NOT NULL)")?;
    let found: i64 = match tx.query_opt("SELECT version FROM duebox_schema", &[])? {
        Some(r) => r.get(0),
        None => {
            tx.execute("INSERT INTO duebox_schema (version) VALUES (0)", &[])?;
            0
        }
    };
    let supported = TEAM_STEPS.len() as i64;
    if found > supported {
        return Err(Migrate::Store(StoreError::TeamTooNew {
            shown: shown.to_string(),
            found,
            supported,
        }));
    }
    for (i, step) in TEAM_STEPS.iter().enumerate().skip(found as usize) {
        let mut step_tx = tx.transaction()?;
        step_tx.batch_execute(step)?;
        step_tx.execute("UPDATE duebox_schema SET version = $1", &[&(i as i64 + 1)])?;
        step_tx.commit()?;
    }
    tx.commit()?;
    Ok(())
}

/// Writes a reply's row in the team database (its state as this clerk last knew it), holding
/// its key when one is given.
fn upsert_reply(
    client: &mut Client,
    e: &OutboxEntry,
    origin: &str,
    key: Option<&str>,
) -> Result<u64, postgres::Error> {
    client.execute(
        "INSERT INTO outbox (message_id, answers, template, escalation, vendor, invoice,
                             envelope_to, subject, state, error, created_at, updated_at,
                             sent_at, origin, reply_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14)
         ON CONFLICT (message_id) DO UPDATE SET state = EXCLUDED.state,
             error = EXCLUDED.error, sent_at = EXCLUDED.sent_at,
             updated_at = EXCLUDED.updated_at",
        &[
            &e.message_id,
            &e.answers,
            &e.template,
            &e.escalation,
            &e.vendor,
            &e.invoice,
            &e.envelope_to,
            &e.subject,
            &e.state.as_str(),
            &e.error,
            &e.created_at,
            &e.sent_at,
            &origin,
            &key,
        ],
    )
}
