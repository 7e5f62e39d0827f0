//! Replies from draft to sent, exactly once. A reply is written to the outbox (with its
//! Message-ID and exact bytes) before SMTP sees it; `sending` is committed before the hand
//! over; after a crash in `sending` the Sent folder is searched for the Message-ID and, when
//! it is not there, the user is asked — nothing is ever sent again on a guess. After sending,
//! a copy goes to Sent (\Seen) and the original gets \Answered; both are retried until done.

use crate::classify::{self, Classification};
use crate::mail::Message;
use crate::payables::validate::{apply_records, PayablesIndex};
use crate::payables::Payable;
use crate::reply::{self, Asked, Draft, Facts, Identity, ReplyError, Templates};
use crate::smtp::{SendError, Transport};
use crate::store::{NewReply, OutboxEntry, OutboxState, Store, StoreError};
use crate::sync::server::{MailServer, ServerError};
use chrono::NaiveDate;

/// What replies are written with: built once, used for every reply.
pub struct ReplyContext {
    pub templates: Templates,
    pub identity: Identity,
    pub classify: classify::Options,
    pub index: PayablesIndex,
}

/// A reply ready to go, with what the record needs to know about it.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub draft: Draft,
    /// The answered message's Message-ID (bare, as stored).
    pub answers: Option<String>,
    pub vendor: Option<String>,
    pub invoice: Option<String>,
}

/// Why a reply was not sent.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("{0}")]
    Reply(#[from] ReplyError),
    #[error("cannot read the message: {0}")]
    Mail(String),
    #[error("not sent: {0}")]
    Blocked(String),
    #[error("this message was already answered with '{template}' on {at} (outbox #{id}); pass --again to send another reply")]
    AlreadyAnswered {
        id: i64,
        template: String,
        at: String,
    },
    #[error("{}", unresolved_words(.0))]
    Unresolved(Vec<OutboxEntry>),
    #[error("not sent, the draft is kept as outbox #{id}: {error}")]
    Failed { id: i64, error: SendError },
    #[error("outbox #{0} does not exist; `duebox outbox` lists the replies")]
    NoSuchEntry(i64),
    #[error("outbox #{id} is {state}; only a failed reply, or one you have checked was not received, can be sent again")]
    NotRetryable { id: i64, state: &'static str },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn unresolved_words(entries: &[OutboxEntry]) -> String {
    let list: Vec<String> = entries
        .iter()
        .map(|e| {
            format!(
                "#{} ({} to {}, {})",
                e.id, e.template, e.envelope_to, e.created_at
            )
        })
        .collect();
    format!(
        "duebox stopped while sending {} and cannot find {} in the Sent folder, so it does not know whether the vendor received {}. Nothing was sent again. Check with the vendor or your mail provider, then run `duebox outbox resolve ID --sent` (it arrived) or `duebox outbox resolve ID --resend` (send it again)",
        list.join(", "),
        if entries.len() == 1 { "it" } else { "them" },
        if entries.len() == 1 { "it" } else { "them" },
    )
}

/// A stored or given message, read and checked against our records.
pub struct Read {
    pub message: Message,
    pub classification: Classification,
    pub records: Vec<Payable>,
}

impl ReplyContext {
    /// Parses and classifies a message, and finds our records of the invoices it claims.
    pub fn read(&self, raw: &[u8]) -> Result<Read, OutboxError> {
        let (message, mut classification) =
            classify::classify_bytes_with(raw, &self.classify, &self.index)
                .map_err(|e| OutboxError::Mail(e.to_string()))?;
        let found = apply_records(&self.index, &mut classification, &message, &self.classify);
        let records = found
            .map(|m| m.lines.into_iter().filter_map(|l| l.record).collect())
            .unwrap_or_default();
        Ok(Read {
            message,
            classification,
            records,
        })
    }

    /// Writes `template` as a reply to a message.
    pub fn prepare(
        &self,
        raw: &[u8],
        template: &str,
        asked: &Asked,
        today: NaiveDate,
    ) -> Result<Prepared, OutboxError> {
        let read = self.read(raw)?;
        let facts = Facts {
            message: &read.message,
            classification: &read.classification,
            records: &read.records,
            identity: &self.identity,
            asked,
            today,
        };
        let draft = reply::write(&self.templates, template, &facts)?;
        Ok(Prepared {
            draft,
            answers: read.message.message_id.clone(),
            vendor: read
                .classification
                .vendor
                .clone()
                .or_else(|| read.records.first().map(|r| r.vendor.clone())),
            invoice: read.classification.invoices.first().cloned(),
        })
    }
}

/// What sending works with.
pub struct Sending<'a> {
    pub store: &'a mut Store,
    pub transport: &'a mut dyn Transport,
    /// The mailbox, for the copy in Sent, \Answered, and the check after a crash. Without
    /// it those wait for the next time it is there.
    pub mailbox: Option<&'a mut dyn MailServer>,
    pub sent_folder: String,
    /// Whether duebox saves the copy in Sent (false: the server does it itself).
    pub save_sent: bool,
}

/// A reply that went out.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: i64,
    pub response: String,
    /// What could not be done after sending (copy in Sent, \Answered); retried later.
    pub later: Vec<String>,
}

/// A crash on purpose, for the test that kills duebox between SMTP's acceptance and the
/// database's record of it: `DUEBOX_FAILPOINT=after-smtp`.
fn failpoint(name: &str) {
    if std::env::var("DUEBOX_FAILPOINT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
}

impl Sending<'_> {
    /// Sends a prepared reply once: refuses while an earlier send is unresolved, when the
    /// message was answered with the same template already (unless `again`), and when the
    /// draft is blocked by fraud warnings.
    pub fn send(&mut self, p: &Prepared, again: bool) -> Result<Sent, OutboxError> {
        if let Some(why) = &p.draft.blocked {
            return Err(OutboxError::Blocked(why.clone()));
        }
        let unresolved = self.recover()?;
        if !unresolved.is_empty() {
            return Err(OutboxError::Unresolved(unresolved));
        }
        if let Some(answers) = &p.answers {
            let earlier = self.store.replies_to(answers)?;
            if let Some(e) = earlier
                .iter()
                .find(|e| e.template == p.draft.template && e.state == OutboxState::Sent && !again)
            {
                return Err(OutboxError::AlreadyAnswered {
                    id: e.id,
                    template: e.template.clone(),
                    at: e.sent_at.clone().unwrap_or_default(),
                });
            }
        }
        let raw = p
            .draft
            .to_bytes(std::time::SystemTime::now())
            .map_err(ReplyError::from)?;
        let (from, to) = p.draft.envelope().map_err(ReplyError::from)?;
        // Queued and handed over in one commit: the row with its Message-ID is on disk
        // before SMTP sees a byte, and a send costs one fsync less.
        let reply = NewReply {
            message_id: p.draft.message_id.clone(),
            answers: p.answers.clone(),
            template: p.draft.template.clone(),
            escalation: p.draft.escalation,
            vendor: p.vendor.clone(),
            invoice: p.invoice.clone(),
            envelope_from: from,
            envelope_to: to,
            subject: p.draft.subject.clone(),
            raw,
            demo: !self.transport.delivers(),
        };
        let e = self.store.in_batch(|s| -> Result<_, StoreError> {
            let id = s.queue_reply(&reply)?;
            s.set_outbox_state(id, OutboxState::Sending, "handed to the SMTP server")
        })?;
        self.hand_over(e)
    }

    /// Sends an outbox entry again: a failed one, or one the user says did not arrive.
    pub fn retry(&mut self, id: i64) -> Result<Sent, OutboxError> {
        let e = self
            .store
            .outbox_entry(id)?
            .ok_or(OutboxError::NoSuchEntry(id))?;
        match e.state {
            OutboxState::Failed | OutboxState::Queued | OutboxState::Sending => self.deliver(id),
            other => Err(OutboxError::NotRetryable {
                id,
                state: other.as_str(),
            }),
        }
    }

    /// The hand-over itself: `sending` committed first, then SMTP, then the outcome.
    fn deliver(&mut self, id: i64) -> Result<Sent, OutboxError> {
        let e =
            self.store
                .set_outbox_state(id, OutboxState::Sending, "handed to the SMTP server")?;
        self.hand_over(e)
    }

    /// SMTP, then the outcome recorded; `e` is already `sending` on disk.
    fn hand_over(&mut self, e: OutboxEntry) -> Result<Sent, OutboxError> {
        let id = e.id;
        match self
            .transport
            .send(&e.envelope_from, &e.envelope_to, &e.raw)
        {
            Ok(response) => {
                failpoint("after-smtp");
                let detail = if self.transport.delivers() {
                    format!("accepted: {response}")
                } else {
                    response.clone()
                };
                self.store
                    .set_outbox_state(id, OutboxState::Sent, &detail)?;
                let later = self.after_send(&e);
                Ok(Sent {
                    id,
                    response,
                    later,
                })
            }
            Err(error) if error.certainly_not_sent() => {
                self.store
                    .set_outbox_state(id, OutboxState::Failed, &error.to_string())?;
                Err(OutboxError::Failed { id, error })
            }
            // The connection broke mid-way: leave it `sending`; the next attempt looks in
            // Sent and asks.
            Err(error) => Err(OutboxError::Failed { id, error }),
        }
    }

    /// After a crash: see [`AfterSend::recover`].
    pub fn recover(&mut self) -> Result<Vec<OutboxEntry>, OutboxError> {
        let mut after = AfterSend {
            store: self.store,
            mailbox: self.mailbox.as_deref_mut(),
            sent_folder: &self.sent_folder,
            save_sent: self.save_sent,
        };
        after.recover()
    }

    /// The user's answer for a reply left `sending`: it arrived, or send it again.
    pub fn resolve(&mut self, id: i64, arrived: bool) -> Result<Option<Sent>, OutboxError> {
        let e = self
            .store
            .outbox_entry(id)?
            .ok_or(OutboxError::NoSuchEntry(id))?;
        if e.state != OutboxState::Sending {
            return Err(OutboxError::NotRetryable {
                id,
                state: e.state.as_str(),
            });
        }
        if arrived {
            self.store
                .set_outbox_state(id, OutboxState::Sent, "the user confirmed it arrived")?;
            self.after_send(&e);
            Ok(None)
        } else {
            self.deliver(id).map(Some)
        }
    }

    fn after_send(&mut self, e: &OutboxEntry) -> Vec<String> {
        let mut after = AfterSend {
            store: self.store,
            mailbox: self.mailbox.as_deref_mut(),
            sent_folder: &self.sent_folder,
            save_sent: self.save_sent,
        };
        after.finish(e)
    }
}

/// The work after a reply is sent: its copy in Sent, \Answered on the original.
pub struct AfterSend<'a, 'm> {
    pub store: &'a mut Store,
    pub mailbox: Option<&'a mut (dyn MailServer + 'm)>,
    pub sent_folder: &'a str,
    pub save_sent: bool,
}

impl AfterSend<'_, '_> {
    /// Saves the copy in Sent and flags the original \Answered; returns what failed (to be
    /// retried by [`AfterSend::finish_pending`]).
    pub fn finish(&mut self, e: &OutboxEntry) -> Vec<String> {
        if e.demo {
            let _ = self.store.set_after_send(e.id, true, true);
            return Vec::new();
        }
        let mut later = Vec::new();
        let Some(server) = self.mailbox.as_deref_mut() else {
            later.push(
                "no mailbox connection: the copy in Sent and \\Answered wait for the next sync"
                    .to_string(),
            );
            return later;
        };
        let current = self.store.outbox_entry(e.id).ok().flatten();
        let (mut saved, mut flagged) = current
            .map(|c| (c.saved_to_sent, c.flagged_answered))
            .unwrap_or((false, false));
        if !saved {
            if !self.save_sent {
                saved = true;
            } else {
                let r = server
                    .ensure_folder(self.sent_folder)
                    .and_then(|()| server.append(self.sent_folder, &["\\Seen"], &e.raw));
                match r {
                    Ok(()) => saved = true,
                    Err(err) => later.push(format!("copy in {}: {err}", self.sent_folder)),
                }
            }
        }
        if !flagged {
            match (&e.answers, e.escalation) {
                (Some(answers), false) => match flag_answered(self.store, server, answers) {
                    Ok(()) => flagged = true,
                    Err(err) => later.push(format!("\\Answered on the original: {err}")),
                },
                // An escalation answers nobody.
                _ => flagged = true,
            }
        }
        if let Err(err) = self.store.set_after_send(e.id, saved, flagged) {
            later.push(err.to_string());
        }
        later
    }

    /// After a crash: every reply left `sending` is looked for in Sent; found ones are
    /// recorded as sent, the rest are returned for the user to decide. Replies left `queued`
    /// never reached SMTP and become `failed` (kept, and retried only when asked).
    pub fn recover(&mut self) -> Result<Vec<OutboxEntry>, OutboxError> {
        for e in self.store.outbox(&[OutboxState::Queued])? {
            self.store.set_outbox_state(
                e.id,
                OutboxState::Failed,
                "duebox stopped before handing it to the SMTP server; not sent",
            )?;
        }
        let sending = self.store.outbox(&[OutboxState::Sending])?;
        let mut unresolved = Vec::new();
        for e in sending {
            if e.demo {
                self.store
                    .set_outbox_state(e.id, OutboxState::Sent, "demo outbox: not sent")?;
                continue;
            }
            match self.find_in_sent(&e.message_id) {
                Ok(true) => {
                    self.store.set_outbox_state(
                        e.id,
                        OutboxState::Sent,
                        &format!("found in {} after a restart", self.sent_folder),
                    )?;
                    self.store.set_after_send(e.id, true, false)?;
                    self.finish(&e);
                }
                Ok(false) | Err(_) => unresolved.push(e),
            }
        }
        Ok(unresolved)
    }

    fn find_in_sent(&mut self, message_id: &str) -> Result<bool, ServerError> {
        let Some(server) = self.mailbox.as_deref_mut() else {
            return Err(ServerError::new("no mailbox connection"));
        };
        if !server.folder_exists(self.sent_folder)? {
            return Ok(false);
        }
        server.select(self.sent_folder)?;
        Ok(!server.search_message_id(message_id)?.is_empty())
    }

    /// Retries the copies in Sent and \Answered flags that failed before.
    pub fn finish_pending(&mut self) -> Result<Vec<String>, OutboxError> {
        let mut later = Vec::new();
        for e in self.store.unfinished_after_send()? {
            later.extend(self.finish(&e));
        }
        Ok(later)
    }
}

/// Sets \Answered on the original wherever it is now (found by Message-ID).
fn flag_answered(
    store: &Store,
    server: &mut dyn MailServer,
    message_id: &str,
) -> Result<(), ServerError> {
    let folders = store
        .locations(message_id)
        .map_err(|e| ServerError::new(e.to_string()))?;
    if folders.is_empty() {
        // Never synced (answered from a file): nothing to flag.
        return Ok(());
    }
    for (folder, _) in folders {
        if !server.folder_exists(&folder)? {
            continue;
        }
        server.select(&folder)?;
        let uids = server.search_message_id(message_id)?;
        if !uids.is_empty() {
            return server.add_flags(&uids, &["\\Answered"]);
        }
    }
    Err(ServerError::new(format!(
        "the original <{message_id}> is no longer where it was synced; it will be flagged after the next sync"
    )))
}
