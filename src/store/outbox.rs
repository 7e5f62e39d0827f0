//! The outbox: every reply is written here, with its Message-ID and exact bytes, before it is
//! handed to SMTP. Its state (queued → sending → sent | failed | unknown, or discarded by the
//! user) is what makes sending exactly-once across crashes; each change is recorded as an
//! event.

use super::events::insert as insert_event;
use super::{timestamp, Store, StoreError};
use crate::classify::extract::normalise_invoice;
use rusqlite::{params, OptionalExtension, Row};

/// Where a reply stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    Queued,
    /// Handed to SMTP; if duebox stopped here, whether the server took it is unknown.
    Sending,
    /// The server accepted it (its 250 after the message), or the user or the Sent folder
    /// says it arrived.
    Sent,
    /// The server provably does not have it: refused, or the session ended before the
    /// message's text was handed over.
    Failed,
    /// Nobody knows: the answer after the message never came (a timeout, a dropped
    /// connection, duebox stopped). Never sent again without the user's word.
    Unknown,
    Discarded,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
            OutboxState::Unknown => "unknown",
            OutboxState::Discarded => "discarded",
        }
    }

    /// What a clerk holding a reply in this state has done, for "Maria has already … it".
    pub fn taken_words(self) -> &'static str {
        match self {
            OutboxState::Queued | OutboxState::Sending => "started sending",
            OutboxState::Sent => "sent",
            OutboxState::Unknown => "sent (its outcome still unknown)",
            OutboxState::Failed => "failed to send",
            OutboxState::Discarded => "discarded",
        }
    }

    fn holds_key(self) -> bool {
        matches!(
            self,
            OutboxState::Queued | OutboxState::Sending | OutboxState::Sent | OutboxState::Unknown
        )
    }

    pub(super) fn parse(s: &str) -> OutboxState {
        match s {
            "queued" => OutboxState::Queued,
            "sending" => OutboxState::Sending,
            "sent" => OutboxState::Sent,
            "failed" => OutboxState::Failed,
            "unknown" => OutboxState::Unknown,
            _ => OutboxState::Discarded,
        }
    }
}

/// A reply to put in the outbox.
#[derive(Debug, Clone, Default)]
pub struct NewReply {
    pub message_id: String,
    pub answers: Option<String>,
    pub template: String,
    pub escalation: bool,
    pub vendor: Option<String>,
    pub invoice: Option<String>,
    pub envelope_from: String,
    pub envelope_to: String,
    pub subject: String,
    pub raw: Vec<u8>,
    pub demo: bool,
    /// The user asked to send this reply although the same one went out before: it holds no
    /// key (see `team::reply_key`).
    pub repeat: bool,
}

/// A reply in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub message_id: String,
    pub answers: Option<String>,
    pub template: String,
    pub escalation: bool,
    pub vendor: Option<String>,
    pub invoice: Option<String>,
    pub envelope_from: String,
    pub envelope_to: String,
    pub subject: String,
    pub raw: Vec<u8>,
    pub state: OutboxState,
    pub error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub saved_to_sent: bool,
    pub flagged_answered: bool,
    pub demo: bool,
}

pub(super) const COLUMNS: &str = "id, message_id, answers, template, escalation, vendor, invoice, envelope_from, envelope_to, subject, raw, state, error, created_at, sent_at, saved_to_sent, flagged_answered, demo";

pub(super) fn entry(r: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let state: String = r.get(11)?;
    Ok(OutboxEntry {
        id: r.get(0)?,
        message_id: r.get(1)?,
        answers: r.get(2)?,
        template: r.get(3)?,
        escalation: r.get(4)?,
        vendor: r.get(5)?,
        invoice: r.get(6)?,
        envelope_from: r.get(7)?,
        envelope_to: r.get(8)?,
        subject: r.get(9)?,
        raw: r.get(10)?,
        state: OutboxState::parse(&state),
        error: r.get(12)?,
        created_at: r.get(13)?,
        sent_at: r.get(14)?,
        saved_to_sent: r.get(15)?,
        flagged_answered: r.get(16)?,
        demo: r.get(17)?,
    })
}

fn now() -> String {
    timestamp(chrono::Utc::now())
}

impl Store {
    /// Writes a reply to the outbox as `queued`; returns its id. One reply per key (the same
    /// template answering the same message) is held at a time, by a unique index: locally,
    /// and with a team database across clerks, decided there first. Another holder →
    /// [`StoreError::ReplyTaken`]; an unreachable team database → refused.
    pub fn queue_reply(&mut self, r: &NewReply) -> Result<i64, StoreError> {
        let key = super::team::reply_key(
            r.answers.as_deref(),
            &r.template,
            r.escalation,
            r.demo,
            r.repeat,
        );
        let clerk = self.clerk()?;
        // A savepoint, so that callers can group these writes in one commit.
        let tx = self.conn.savepoint()?;
        let at = now();
        let reserved = match (&self.team, r.demo) {
            (Some(team), false) => {
                let provisional = OutboxEntry {
                    id: 0,
                    message_id: r.message_id.clone(),
                    answers: r.answers.clone(),
                    template: r.template.clone(),
                    escalation: r.escalation,
                    vendor: r.vendor.clone(),
                    invoice: r.invoice.clone(),
                    envelope_from: r.envelope_from.clone(),
                    envelope_to: r.envelope_to.clone(),
                    subject: r.subject.clone(),
                    raw: Vec::new(),
                    state: OutboxState::Queued,
                    error: None,
                    created_at: at.clone(),
                    sent_at: None,
                    saved_to_sent: false,
                    flagged_answered: false,
                    demo: false,
                };
                team.borrow_mut()
                    .reserve(&tx, &provisional, key.as_deref(), &clerk)?;
                true
            }
            _ => false,
        };
        let inserted = tx.execute(
            "INSERT INTO outbox (message_id, answers, template, escalation, vendor, invoice, invoice_key,
                                 envelope_from, envelope_to, subject, raw, state, created_at, updated_at, demo,
                                 clerk, reply_key, team_pushed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'queued', ?12, ?12, ?13, ?14, ?15, ?16)",
            params![
                r.message_id,
                r.answers,
                r.template,
                r.escalation,
                r.vendor,
                r.invoice,
                r.invoice.as_deref().map(normalise_invoice),
                r.envelope_from,
                r.envelope_to,
                r.subject,
                r.raw,
                at,
                r.demo,
                clerk,
                key,
                reserved
            ],
        );
        if let Err(e) = inserted {
            return Err(match key.as_deref().map(|k| local_holder(&tx, k)) {
                Some(Ok(Some(taken))) => taken,
                _ => StoreError::Sql(e),
            });
        }
        let id = tx.last_insert_rowid();
        insert_event(
            &tx,
            "user",
            "reply_queued",
            r.answers.as_deref(),
            r.vendor.as_deref(),
            r.invoice.as_deref(),
            &format!(
                "{} to {} (outbox #{id}, {}): {}",
                r.template, r.envelope_to, r.message_id, r.subject
            ),
        )?;
        tx.commit()?;
        self.push_team();
        Ok(id)
    }

    /// Moves a reply to a new state and records why; `sent` also stamps the time.
    pub fn set_outbox_state(
        &mut self,
        id: i64,
        state: OutboxState,
        detail: &str,
    ) -> Result<OutboxEntry, StoreError> {
        self.change_state(id, None, state, detail)?
            .ok_or(StoreError::Sql(rusqlite::Error::QueryReturnedNoRows))
    }

    /// Moves a reply to `state` only if it is still in `from` (another process may have
    /// finished it meanwhile); None when it was not.
    pub fn settle(
        &mut self,
        id: i64,
        from: OutboxState,
        state: OutboxState,
        detail: &str,
    ) -> Result<Option<OutboxEntry>, StoreError> {
        self.change_state(id, Some(from), state, detail)
    }

    fn change_state(
        &mut self,
        id: i64,
        from: Option<OutboxState>,
        state: OutboxState,
        detail: &str,
    ) -> Result<Option<OutboxEntry>, StoreError> {
        if let (Some(team), true) = (&self.team, state.holds_key()) {
            // Taking the key again (a failed reply retried) is the team's decision.
            let current = self.conn.query_row(
                &format!("SELECT {COLUMNS}, reply_key FROM outbox WHERE id = ?1"),
                params![id],
                |r| Ok((entry(r)?, r.get::<_, Option<String>>(18)?)),
            );
            if let Ok((e, key)) = current {
                if !e.demo && !e.state.holds_key() && from.is_none_or(|f| f == e.state) {
                    team.borrow_mut().retake(&e, key.as_deref(), state)?;
                }
            }
        }
        // A savepoint, so that callers can group these writes in one commit.
        let tx = self.conn.savepoint()?;
        let at = now();
        let error = matches!(state, OutboxState::Failed | OutboxState::Unknown).then_some(detail);
        // One statement: the condition on the old state holds against other processes.
        let changed = tx.execute(
            "UPDATE outbox SET state = ?2, updated_at = ?3, error = ?4, team_pushed = 0,
                    sent_at = CASE WHEN ?2 = 'sent' THEN ?3 ELSE sent_at END
             WHERE id = ?1 AND (?5 IS NULL OR state = ?5)",
            params![id, state.as_str(), at, error, from.map(|f| f.as_str())],
        );
        let changed = match changed {
            Ok(n) => n,
            Err(e) => {
                // Retried while another reply of the same key went out meanwhile.
                let key: Option<String> = tx
                    .query_row(
                        "SELECT reply_key FROM outbox WHERE id = ?1",
                        params![id],
                        |r| r.get(0),
                    )
                    .ok()
                    .flatten();
                return Err(match key.as_deref().map(|k| local_holder(&tx, k)) {
                    Some(Ok(Some(taken))) => taken,
                    _ => StoreError::Sql(e),
                });
            }
        };
        if changed == 0 {
            return Ok(None);
        }
        let e = tx.query_row(
            &format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"),
            params![id],
            entry,
        )?;
        let kind = match state {
            OutboxState::Sent if e.escalation => "escalated",
            OutboxState::Sent => "reply_sent",
            OutboxState::Failed => "reply_failed",
            OutboxState::Unknown => "reply_unknown",
            OutboxState::Discarded => "reply_discarded",
            OutboxState::Sending => "reply_sending",
            OutboxState::Queued => "reply_requeued",
        };
        let detail = format!(
            "{} to {} (outbox #{id}): {detail}",
            e.template, e.envelope_to
        );
        insert_event(
            &tx,
            "sender",
            kind,
            e.answers.as_deref(),
            e.vendor.as_deref(),
            e.invoice.as_deref(),
            &detail,
        )?;
        tx.commit()?;
        self.push_team();
        Ok(Some(e))
    }

    /// A reply by its Message-ID (with angle brackets).
    pub fn outbox_by_message_id(
        &self,
        message_id: &str,
    ) -> Result<Option<OutboxEntry>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM outbox WHERE message_id = ?1"),
                params![message_id],
                entry,
            )
            .optional()?)
    }

    /// The flags the last sync saw on a message (by its stored Message-ID), every copy.
    pub fn stored_flags(&self, message_id: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT flags FROM messages WHERE message_id = ?1")?;
        let rows = stmt.query_map(params![message_id], |r| r.get::<_, Option<String>>(0))?;
        let mut flags = Vec::new();
        for row in rows {
            flags.extend(
                row?.unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_string),
            );
        }
        Ok(flags)
    }

    /// Records that the copy is in Sent and/or the original carries \Answered.
    pub fn set_after_send(
        &mut self,
        id: i64,
        saved_to_sent: bool,
        flagged_answered: bool,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET saved_to_sent = saved_to_sent OR ?2,
                    flagged_answered = flagged_answered OR ?3, updated_at = ?4 WHERE id = ?1",
            params![id, saved_to_sent, flagged_answered, now()],
        )?;
        Ok(())
    }

    pub fn outbox_entry(&self, id: i64) -> Result<Option<OutboxEntry>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"),
                params![id],
                entry,
            )
            .optional()?)
    }

    /// Replies in these states (all when empty), newest first.
    pub fn outbox(&self, states: &[OutboxState]) -> Result<Vec<OutboxEntry>, StoreError> {
        // The states are a fixed vocabulary; the filter belongs in SQL so that recovery
        // (run before every send) does not read every reply ever sent.
        let wanted: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
        let filter = if wanted.is_empty() {
            String::new()
        } else {
            format!("WHERE state IN ({})", wanted.join(", "))
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM outbox {filter} ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map([], entry)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every reply (not discarded) that answers the message with this Message-ID.
    pub fn replies_to(&self, answers: &str) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE answers = ?1 AND state != 'discarded' ORDER BY id"
        ))?;
        let rows = stmt.query_map(params![answers], entry)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The Message-IDs of the replies to a message (not discarded), newest first; cheaper than
    /// [`Store::replies_to`], which reads each reply's bytes.
    pub fn reply_ids_to(&self, answers: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT message_id FROM outbox WHERE answers = ?1 AND state != 'discarded' ORDER BY id DESC",
        )?;
        let rows = stmt.query_map(params![answers], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sent replies whose copy in Sent or \Answered flag is still to be done.
    pub fn unfinished_after_send(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE state = 'sent' AND demo = 0
             AND (saved_to_sent = 0 OR flagged_answered = 0) ORDER BY id"
        ))?;
        let rows = stmt.query_map([], entry)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Who holds a reply key in this database, as the refusal to give.
fn local_holder(conn: &rusqlite::Connection, key: &str) -> rusqlite::Result<Option<StoreError>> {
    conn.query_row(
        &format!(
            "SELECT coalesce(clerk, ''), template, state, coalesce(sent_at, updated_at) FROM outbox
             WHERE reply_key = ?1 AND state IN {}",
            super::team::HOLDING
        ),
        params![key],
        |r| {
            Ok(StoreError::ReplyTaken {
                clerk: r.get(0)?,
                template: r.get(1)?,
                state: OutboxState::parse(&r.get::<_, String>(2)?),
                at: r.get(3)?,
            })
        },
    )
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply() -> NewReply {
        NewReply {
            message_id: "<r1@northwind.test>".into(),
            answers: Some("<c1@acme.test>".into()),
            template: "acknowledge".into(),
            vendor: Some("Acme".into()),
            invoice: Some("INV-1".into()),
            envelope_from: "ap@northwind.test".into(),
            envelope_to: "billing@acme.test".into(),
            subject: "Re: Invoice INV-1".into(),
            raw: b"raw".to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn states_move_and_are_recorded() {
        let mut s = Store::in_memory().unwrap();
        let id = s.queue_reply(&reply()).unwrap();
        s.set_outbox_state(id, OutboxState::Sending, "handed to SMTP")
            .unwrap();
        let e = s.set_outbox_state(id, OutboxState::Sent, "250 OK").unwrap();
        assert_eq!(e.state, OutboxState::Sent);
        assert!(e.sent_at.is_some());
        assert_eq!(s.replies_to("<c1@acme.test>").unwrap().len(), 1);
        assert_eq!(s.unfinished_after_send().unwrap().len(), 1);
        s.set_after_send(id, true, true).unwrap();
        assert!(s.unfinished_after_send().unwrap().is_empty());
        let kinds: Vec<String> = s
            .events(&Default::default())
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["reply_queued", "reply_sending", "reply_sent"]);
    }

    #[test]
    fn one_message_id_is_queued_once() {
        let mut s = Store::in_memory().unwrap();
        s.queue_reply(&reply()).unwrap();
        assert!(s.queue_reply(&reply()).is_err());
    }
}
