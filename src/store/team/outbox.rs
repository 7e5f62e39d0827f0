//! The replies in the team database: a reply's key taken there before the local row is
//! written (the unique index decides which clerk holds it), and every reply's state pushed
//! after. Never sends anything, never holds a reply's bytes.

use super::Team;
use crate::store::{OutboxEntry, OutboxState, StoreError};
use postgres::error::SqlState;
use postgres::Client;
use rusqlite::{params, Connection};

/// States in which a reply holds its key: nobody else may send the same reply meanwhile.
pub(in crate::store) const HOLDING: &str = "('queued', 'sending', 'sent', 'unknown')";

impl Team {
    /// Reserves a reply for this clerk: one row per Message-ID, and the unique index on
    /// `reply_key` lets only one clerk hold a key. Another holder → [`StoreError::ReplyTaken`].
    pub(in crate::store) fn reserve(
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
    pub(in crate::store) fn retake(
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
                &crate::store::timestamp(chrono::Utc::now()),
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

    /// Replies whose state changed here since the last push (or that the team has not seen).
    pub(super) fn push_replies(&mut self, local: &Connection) -> Result<(), StoreError> {
        let rows: Vec<(OutboxEntry, Option<String>)> = local
            .prepare_cached(&format!(
                "SELECT {}, reply_key FROM outbox WHERE team_pushed = 0 AND demo = 0 ORDER BY id",
                crate::store::outbox::COLUMNS
            ))?
            .query_map([], |r| Ok((crate::store::outbox::entry(r)?, r.get(18)?)))?
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
}

struct Holder {
    clerk: String,
    state: OutboxState,
    at: String,
    origin: String,
    message_id: String,
}

/// The key two clerks' replies must not share: the same template answering the same message.
/// None for what may repeat: an escalation, the demo's outbox, a reply sent again on purpose.
pub(in crate::store) fn reply_key(
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
