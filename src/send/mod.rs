//! Sending, in one place: replies from draft to sent, exactly once — the one service the CLI
//! and the UI both send through — over the SMTP adapter (src/smtp.rs), with the look at the mailbox
//! before each send (check.rs) and the after-send catch-up (after.rs). No terminal code here;
//! the store owns the outbox rows.
//!
//! A reply is written to the outbox (with its Message-ID and exact bytes) before SMTP sees
//! it; `sending` is committed before the hand over. The outcome is `sent` only on the
//! server's acceptance, `failed` only when the server provably does not have it, and
//! `unknown` otherwise; an unknown reply is never sent again without the user's word.
//! Just before each send the mailbox is looked at: a message answered elsewhere is not
//! answered again without `again`. After sending, a copy goes to Sent (\Seen, once) and the
//! original gets \Answered; both are retried until done.

mod after;
pub mod check;
/// The SMTP adapter lives beside IMAP (src/smtp.rs); this path is kept for callers that
/// still name it here.
pub use crate::smtp;

pub use after::AfterSend;
pub use check::{Elsewhere, Look};

use crate::classify::{self, Classification};
use crate::mail::Message;
use crate::payables::validate::{apply_records, PayablesIndex};
use crate::payables::Payable;
use crate::reply::{self, Asked, Draft, Facts, Identity, ReplyError, Templates};
use crate::smtp::{SendError, Transport};
use crate::store::{NewReply, OutboxEntry, OutboxState, Store, StoreError};
use crate::sync::server::MailServer;
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
    #[error("not sent: this message was already answered {}; pass --again to send another reply anyway", .0.words())]
    AnsweredElsewhere(Elsewhere),
    #[error("{}", unresolved_words(.0))]
    Unresolved(Vec<OutboxEntry>),
    #[error("not sent, the draft is kept as outbox #{id}: {error}")]
    Failed { id: i64, error: SendError },
    #[error("outbox #{id}: {error}. duebox will not send it again on its own: `duebox outbox resolve {id}` looks for it in Sent and asks you only if that cannot tell")]
    Unknown { id: i64, error: SendError },
    #[error("outbox #{0} does not exist; `duebox outbox` lists the replies")]
    NoSuchEntry(i64),
    #[error("outbox #{id} may have reached the vendor (its outcome is unknown), so it is not sent again blindly; `duebox outbox resolve {id}` looks in Sent and asks you")]
    OutcomeUnknown { id: i64 },
    #[error("outbox #{id} is {}; only a failed reply, or one you have checked was not received, can be sent again", .state.as_str())]
    NotRetryable { id: i64, state: OutboxState },
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
        "the outcome of {} is unknown (duebox stopped while sending, or the server's answer never came) and {} is not in the Sent folder, so duebox does not know whether the vendor received {}. Nothing was sent again. Check with the vendor or your mail provider, then run `duebox outbox resolve ID --sent` (it arrived) or `duebox outbox resolve ID --resend` (send it again)",
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
        // The same rule as filing: with no vendor known, every sender is unknown.
        let vendors_known = self.index.known_domains().next().is_some();
        classification
            .risk
            .retain(|r| crate::sync::filing::counts(*r, vendors_known));
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
    /// The mailbox, for the look before sending, the copy in Sent, \Answered, and the
    /// check after a crash. Without it those wait for the next time it is there.
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

/// What `outbox resolve` found or did.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// The reply is in Sent: recorded as sent, nothing sent again.
    FoundInSent,
    /// The user said it arrived.
    Confirmed,
    /// Sent again on the user's word.
    Resent(Sent),
    /// Neither Sent nor the flags tell: the user must say. `elsewhere` when the message was
    /// answered by someone else meanwhile; `gaps` what could not be looked at.
    Inconclusive {
        elsewhere: Option<Elsewhere>,
        gaps: Vec<String>,
    },
}

/// The user's answer to `outbox resolve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Look in Sent and at the flags; record only what they prove.
    Check,
    /// It arrived.
    Arrived,
    /// It did not arrive: send it again (`again`: even if answered elsewhere).
    Resend { again: bool },
}

/// A crash on purpose, for the tests that kill duebox at the worst moments:
/// `DUEBOX_FAILPOINT=after-smtp` (SMTP accepted, nothing recorded yet), `after-append` (the
/// copy is in Sent, not yet recorded).
fn failpoint(name: &str) {
    if std::env::var("DUEBOX_FAILPOINT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
}

/// The reasons a send is refused, looked at in this order: fraud warnings, an earlier reply
/// whose outcome is unknown, the same answer given already, the message answered
/// elsewhere (on the server, or as the last sync saw it). `record` writes the decision in
/// the log and lets recovery settle replies left `sending`; a dry run passes false.
pub fn preflight(
    store: &mut Store,
    mailbox: Option<&mut (dyn MailServer + '_)>,
    sent_folder: &str,
    p: &Prepared,
    again: bool,
    record: bool,
) -> Result<Option<Look>, OutboxError> {
    if let Some(why) = &p.draft.blocked {
        return Err(OutboxError::Blocked(why.clone()));
    }
    let mut mailbox = mailbox;
    let unresolved = if record {
        let mut after = AfterSend {
            store,
            mailbox: mailbox.as_deref_mut(),
            sent_folder,
            save_sent: true,
        };
        after.recover()?
    } else {
        store.outbox(&[OutboxState::Sending, OutboxState::Unknown])?
    };
    let unresolved: Vec<OutboxEntry> = unresolved.into_iter().filter(|e| !e.demo).collect();
    if !unresolved.is_empty() {
        return Err(OutboxError::Unresolved(unresolved));
    }
    if let Some(answers) = &p.answers {
        let earlier = store.replies_to(answers)?;
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
    // An escalation goes to our approver: it answers nobody, whoever answered the vendor.
    let answers = p.answers.as_deref().filter(|_| !p.draft.escalation);
    let look = mailbox.map(|m| check::look(m, store, sent_folder, answers, &p.draft.message_id));
    let elsewhere = match &look {
        Some(l) => l.elsewhere.clone(),
        None => check::look_offline(store, answers),
    };
    if let Some(found) = elsewhere {
        let what = format!("{} to {}", p.draft.template, p.draft.to);
        if record {
            note_elsewhere(
                store,
                answers,
                p.vendor.as_deref(),
                p.invoice.as_deref(),
                &what,
                &found,
                again,
            )?;
        } else if !again {
            return Err(OutboxError::AnsweredElsewhere(found));
        }
    }
    Ok(look)
}

/// Records the decision about a message answered elsewhere (not sent, or sent anyway as
/// the user asked) and refuses unless `again`.
/// The chaser an entry answers, if the look should check it (an internal escalation answers
/// no vendor's mail).
fn entry_answers(e: &OutboxEntry) -> Option<&str> {
    e.answers.as_deref().filter(|_| !e.escalation)
}

/// [`note_elsewhere`] for an entry already in the outbox.
fn note_entry_elsewhere(
    store: &mut Store,
    e: &OutboxEntry,
    found: &Elsewhere,
    again: bool,
) -> Result<(), OutboxError> {
    let what = format!("outbox #{} ({} to {})", e.id, e.template, e.envelope_to);
    note_elsewhere(
        store,
        entry_answers(e),
        e.vendor.as_deref(),
        e.invoice.as_deref(),
        &what,
        found,
        again,
    )
}

fn note_elsewhere(
    store: &mut Store,
    answers: Option<&str>,
    vendor: Option<&str>,
    invoice: Option<&str>,
    what: &str,
    found: &Elsewhere,
    again: bool,
) -> Result<(), OutboxError> {
    let (kind, verdict) = if again {
        (
            "answered_elsewhere_sent_anyway",
            "sent anyway, as the user asked",
        )
    } else {
        ("answered_elsewhere_not_sent", "not sent")
    };
    store.record_event(
        "user",
        kind,
        answers,
        vendor,
        invoice,
        &format!("{what}: already answered {}; {verdict}", found.words()),
    )?;
    if again {
        Ok(())
    } else {
        Err(OutboxError::AnsweredElsewhere(found.clone()))
    }
}

impl Sending<'_> {
    /// Sends a prepared reply once, unless [`preflight`] refuses it.
    pub fn send(&mut self, p: &Prepared, again: bool) -> Result<Sent, OutboxError> {
        let look = preflight(
            self.store,
            self.mailbox.as_deref_mut(),
            &self.sent_folder,
            p,
            again,
            true,
        )?;
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
            repeat: again,
        };
        let e = self.store.in_batch(|s| -> Result<_, StoreError> {
            let id = s.queue_reply(&reply)?;
            s.set_outbox_state(id, OutboxState::Sending, "handed to the SMTP server")
        })?;
        self.hand_over(e, look)
    }

    /// Sends a failed reply again (the same bytes, the same Message-ID). One whose outcome
    /// is unknown is refused: [`Sending::resolve`] decides about it.
    pub fn retry(&mut self, id: i64, again: bool) -> Result<Sent, OutboxError> {
        let e = self
            .store
            .outbox_entry(id)?
            .ok_or(OutboxError::NoSuchEntry(id))?;
        match e.state {
            OutboxState::Failed | OutboxState::Queued => self.deliver(e, again),
            OutboxState::Sending | OutboxState::Unknown => Err(OutboxError::OutcomeUnknown { id }),
            state => Err(OutboxError::NotRetryable { id, state }),
        }
    }

    /// An outbox entry handed over again, after the same look as a new reply.
    fn deliver(&mut self, e: OutboxEntry, again: bool) -> Result<Sent, OutboxError> {
        let look = self.look_again(&e, again)?;
        if look.as_ref().is_some_and(|l| l.own_copy) {
            // It went out after all (its copy is in Sent): recorded, not sent twice.
            let e = self.store.set_outbox_state(
                e.id,
                OutboxState::Sent,
                &format!("found in {} before sending it again", self.sent_folder),
            )?;
            let later = self.after_send(&e, look.as_ref());
            return Ok(Sent {
                id: e.id,
                response: format!("already in {}; not sent again", self.sent_folder),
                later,
            });
        }
        let e =
            self.store
                .set_outbox_state(e.id, OutboxState::Sending, "handed to the SMTP server")?;
        self.hand_over(e, look)
    }

    /// The look before sending an existing entry: is it in Sent, was the message answered
    /// elsewhere meanwhile?
    fn look_again(&mut self, e: &OutboxEntry, again: bool) -> Result<Option<Look>, OutboxError> {
        let look = self.look_at(e);
        let elsewhere = match &look {
            Some(l) if l.own_copy => None,
            Some(l) => l.elsewhere.clone(),
            None => check::look_offline(self.store, entry_answers(e)),
        };
        if let Some(found) = elsewhere {
            note_entry_elsewhere(self.store, e, &found, again)?;
        }
        Ok(look)
    }

    /// The look on the server at an existing entry's chaser and Sent; None without a mailbox.
    fn look_at(&mut self, e: &OutboxEntry) -> Option<Look> {
        let answers = entry_answers(e);
        self.mailbox
            .as_deref_mut()
            .map(|m| check::look(m, self.store, &self.sent_folder, answers, &e.message_id))
    }

    /// SMTP, then the outcome recorded; `e` is already `sending` on disk.
    fn hand_over(&mut self, e: OutboxEntry, look: Option<Look>) -> Result<Sent, OutboxError> {
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
                let later = self.after_send(&e, look.as_ref());
                Ok(Sent {
                    id,
                    response,
                    later,
                })
            }
            Err(error) if error.not_sent() => {
                self.store
                    .set_outbox_state(id, OutboxState::Failed, &error.to_string())?;
                Err(OutboxError::Failed { id, error })
            }
            Err(error) => {
                self.store
                    .set_outbox_state(id, OutboxState::Unknown, &error.to_string())?;
                Err(OutboxError::Unknown { id, error })
            }
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

    /// Decides about a reply whose outcome is unknown: looks in Sent first, then does what
    /// the user said.
    pub fn resolve(&mut self, id: i64, decision: Decision) -> Result<Resolved, OutboxError> {
        let e = self
            .store
            .outbox_entry(id)?
            .ok_or(OutboxError::NoSuchEntry(id))?;
        if !matches!(e.state, OutboxState::Sending | OutboxState::Unknown) {
            return Err(OutboxError::NotRetryable { id, state: e.state });
        }
        let answers = entry_answers(&e);
        let look = self.look_at(&e);
        if look.as_ref().is_some_and(|l| l.own_copy) {
            let e = self.store.set_outbox_state(
                id,
                OutboxState::Sent,
                &format!("found in {}", self.sent_folder),
            )?;
            self.after_send(&e, look.as_ref());
            return Ok(Resolved::FoundInSent);
        }
        match decision {
            Decision::Check => {
                let (elsewhere, mut gaps) = match look {
                    Some(l) => (l.elsewhere, l.gaps),
                    None => (check::look_offline(self.store, answers), Vec::new()),
                };
                if self.mailbox.is_none() {
                    gaps.push("no mailbox connection: Sent could not be searched".into());
                }
                Ok(Resolved::Inconclusive { elsewhere, gaps })
            }
            Decision::Arrived => {
                let e = self.store.set_outbox_state(
                    id,
                    OutboxState::Sent,
                    "the user confirmed it arrived",
                )?;
                self.after_send(&e, look.as_ref());
                Ok(Resolved::Confirmed)
            }
            Decision::Resend { again } => {
                if let Some(found) = look.as_ref().and_then(|l| l.elsewhere.clone()) {
                    note_entry_elsewhere(self.store, &e, &found, again)?;
                }
                let e = self.store.set_outbox_state(
                    id,
                    OutboxState::Sending,
                    "sent again, as the user asked",
                )?;
                self.hand_over(e, look).map(Resolved::Resent)
            }
        }
    }

    fn after_send(&mut self, e: &OutboxEntry, look: Option<&Look>) -> Vec<String> {
        let mut after = AfterSend {
            store: self.store,
            mailbox: self.mailbox.as_deref_mut(),
            sent_folder: &self.sent_folder,
            save_sent: self.save_sent,
        };
        after.finish(e, look)
    }
}
