//! The real reply layer behind the UI's `ReplyService`: templates rendered by `crate::reply`
//! and sent exactly once through `crate::send` — over SMTP for an account, into the demo's
//! outbox (never sent) for `duebox demo`. Runs on the reply worker thread only: it does
//! network I/O.

use super::error::{self, UiError};
use super::keymap::Action;
use super::replies::{Delivery, NotSent, ReplyPreview, ReplyService, SentReply};
use super::strings;
use crate::reply::Asked;
use crate::send::{Decision, OutboxError, Prepared, ReplyContext, Resolved, Sending};
use crate::smtp::Transport;
use crate::store::Store;
use crate::sync::server::MailServer;
use crate::team::{Claim, ClaimError, ClaimServer, Claims, Front};
use chrono::NaiveDate;

/// Opens the mailbox for the copy in Sent and \Answered (None when it cannot be reached:
/// both then wait for the next sync).
pub type MailboxOpener = Box<dyn FnMut() -> Option<Box<dyn MailServer + Send>> + Send>;

/// Previews whose drafts are kept for sending; an older one asks to be opened again.
const DRAFTS_KEPT: usize = 16;

/// Opens the connection claims are taken on ([team]), kept open between previews so that a
/// claim costs one round trip.
pub type ClaimOpener = Box<dyn FnMut() -> Result<Box<dyn ClaimServer + Send>, String> + Send>;

/// The claims of this clerk's previews ([team]).
pub struct TeamClaims {
    claims: Claims,
    open: ClaimOpener,
    server: Option<Box<dyn ClaimServer + Send>>,
    /// The claim each shown preview holds, by draft id.
    held: Vec<(u64, Claim)>,
}

impl TeamClaims {
    pub fn new(claims: Claims, open: ClaimOpener) -> TeamClaims {
        TeamClaims {
            claims,
            open,
            server: None,
            held: Vec::new(),
        }
    }

    /// Claims the chaser for a preview: Ok(None) when this clerk holds it now, Ok(Some(who))
    /// when another clerk does (the preview says so and asks twice before sending).
    fn claim(
        &mut self,
        store: &mut Store,
        row: i64,
        draft: u64,
        take_over: bool,
    ) -> Result<Option<String>, UiError> {
        if self.server.is_none() {
            self.server = Some((self.open)().map_err(|e| {
                UiError::new(
                    strings::NOT_CLAIMED,
                    format!("cannot reach the mailbox ({e}); try again in a moment"),
                )
                .because(error::Cause::Connection)
            })?);
        }
        let server = self.server.as_deref_mut().expect("opened just now");
        match self
            .claims
            .claim(server, store, row, chrono::Utc::now(), take_over)
        {
            Ok(c) => {
                self.held.retain(|(d, _)| *d != draft);
                self.held.push((draft, c));
                Ok(None)
            }
            Err(ClaimError::Held(m)) => Ok(Some(m.words_in(&chrono::Local))),
            Err(e) => {
                let cause = match &e {
                    ClaimError::Server(s) if !s.connection_sound() => {
                        self.server = None;
                        error::Cause::Connection
                    }
                    ClaimError::Server(_) | ClaimError::Unsupported => error::Cause::Refused,
                    ClaimError::Store(_) => error::Cause::Local,
                    _ => error::Cause::Input,
                };
                Err(UiError::new(strings::NOT_CLAIMED, e.words(Front::Ui)).because(cause))
            }
        }
    }

    /// Keeps the claim of a reply whose outcome is unknown on the server (until it is settled
    /// or expires), no longer tied to its preview: quitting does not release it.
    fn keep(&mut self, draft: u64) {
        self.held.retain(|(d, _)| *d != draft);
    }

    /// Releases this clerk's claim on the chaser a settled reply answered (`r` in Sent),
    /// found on the server. A failure only leaves a claim that expires by itself.
    fn release_settled(&mut self, store: &Store, answers: &str) {
        let Ok(Some(row)) = store.find_message(answers).map(|m| m.map(|m| m.id)) else {
            return;
        };
        if self.server.is_none() {
            self.server = (self.open)().ok();
        }
        let Some(server) = self.server.as_deref_mut() else {
            tracing::warn!("the mailbox cannot be reached; the claim expires by itself");
            return;
        };
        if let Err(e) = self.claims.release_mine(server, store, row, true) {
            tracing::warn!("a claim was not released ({e}); it expires by itself");
            self.server = None;
        }
    }

    /// Gives up the claim of a preview (sent, dropped, or forgotten).
    fn release(&mut self, draft: u64, answered: bool) {
        let Some(i) = self.held.iter().position(|(d, _)| *d == draft) else {
            return;
        };
        let (_, claim) = self.held.remove(i);
        if let Some(server) = self.server.as_deref_mut() {
            if let Err(e) = self.claims.release(server, &claim, answered) {
                tracing::warn!("a claim was not released ({e}); it expires by itself");
                self.server = None;
            }
        }
    }
}

impl Drop for TeamClaims {
    fn drop(&mut self) {
        let drafts: Vec<u64> = self.held.iter().map(|(d, _)| *d).collect();
        for d in drafts {
            self.release(d, false);
        }
    }
}

pub struct OutboxReplies {
    pub store: Store,
    pub ctx: ReplyContext,
    /// The SMTP sender, or why there is none (previews still work; sending says why not).
    pub transport: Result<Box<dyn Transport>, UiError>,
    pub mailbox: MailboxOpener,
    pub sent_folder: String,
    pub save_sent: bool,
    pub today: NaiveDate,
    /// The drafts of the previews shown, by draft id, oldest first: `send` sends exactly what
    /// its preview showed (with any edit), whichever preview that is.
    prepared: Vec<(u64, Prepared)>,
    next_draft: u64,
    /// The database's `data_version` when `ctx.index` was built.
    index_version: Option<i64>,
    /// With [team]: each preview's chaser is claimed first.
    team: Option<TeamClaims>,
}

impl OutboxReplies {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        ctx: ReplyContext,
        transport: Result<Box<dyn Transport>, UiError>,
        mailbox: MailboxOpener,
        sent_folder: String,
        save_sent: bool,
        today: NaiveDate,
    ) -> OutboxReplies {
        let store_version = store.data_version().ok();
        OutboxReplies {
            store,
            ctx,
            transport,
            mailbox,
            sent_folder,
            save_sent,
            today,
            prepared: Vec::new(),
            next_draft: 1,
            // `ctx.index` was built from this database just now.
            index_version: store_version,
            team: None,
        }
    }

    /// Runs `f` with the send service over the SMTP transport and a mailbox connection
    /// opened for it; Err when there is no transport (why, for the status line).
    fn with_sending<T>(&mut self, f: impl FnOnce(&mut Sending<'_>) -> T) -> Result<T, UiError> {
        let transport = match &mut self.transport {
            Ok(t) => t.as_mut(),
            Err(why) => return Err(why.clone()),
        };
        let mut mailbox = (self.mailbox)();
        let mut sending = Sending {
            store: &mut self.store,
            transport,
            mailbox: mailbox.as_deref_mut().map(|m| m as &mut dyn MailServer),
            sent_folder: self.sent_folder.clone(),
            save_sent: self.save_sent,
        };
        Ok(f(&mut sending))
    }

    /// Claims each chaser before its preview ([team]).
    pub fn with_claims(mut self, team: TeamClaims) -> OutboxReplies {
        self.team = Some(team);
        self
    }
}

impl ReplyService for OutboxReplies {
    fn preview(
        &mut self,
        message: i64,
        template: &str,
        pay_on: Option<NaiveDate>,
    ) -> Result<ReplyPreview, UiError> {
        let asked = Asked {
            pay_on,
            ..Asked::default()
        };
        self.preview_asked(message, template, &asked)
    }

    fn preview_asked(
        &mut self,
        message: i64,
        template: &str,
        asked: &Asked,
    ) -> Result<ReplyPreview, UiError> {
        let not_prepared = strings::REPLY_NOT_PREPARED;
        let stored = self
            .store
            .find_message(&message.to_string())
            .map_err(|e| UiError::new(not_prepared, e))?
            .ok_or_else(|| {
                UiError::input(not_prepared, "that message is no longer stored")
                    .press(Action::SyncNow, "sync and try again")
            })?;
        // Our records may have changed since the index was built (mark paid, schedule, an
        // import): rebuilt only when another connection has written since.
        let version = self
            .store
            .data_version()
            .map_err(|e| UiError::new(not_prepared, e))?;
        if self.index_version != Some(version) {
            self.ctx.index = self
                .store
                .payables_index()
                .map_err(|e| UiError::new(not_prepared, e))?;
            self.index_version = Some(version);
        }
        let p = self
            .ctx
            .prepare(&stored.raw, template, asked, self.today)
            .map_err(|e| match e {
                OutboxError::Reply(e) => UiError::input(not_prepared, e),
                e => UiError::new(not_prepared, e),
            })?;
        let d = &p.draft;
        let draft_id = self.next_draft;
        self.next_draft += 1;
        // Claimed before it is shown: of several clerks, one answers it.
        let held_by = match &mut self.team {
            Some(t) => t.claim(&mut self.store, message, draft_id, false)?,
            None => None,
        };
        let preview = ReplyPreview {
            draft_id,
            message,
            template: template.to_string(),
            from: d.from.clone(),
            to: d.to.clone(),
            subject: d.subject.clone(),
            body: d.body.clone(),
            warnings: d.warnings.clone(),
            blocked: d.blocked.clone(),
            answered_elsewhere: None,
            again: false,
            held_by,
            take_over: false,
        };
        if self.prepared.len() >= DRAFTS_KEPT {
            let (old, _) = self.prepared.remove(0);
            if let Some(t) = &mut self.team {
                t.release(old, false);
            }
        }
        self.prepared.push((draft_id, p));
        Ok(preview)
    }

    fn send(&mut self, preview: &ReplyPreview) -> Result<String, NotSent> {
        if let (Some(t), Some(_), true) = (&mut self.team, &preview.held_by, preview.take_over) {
            // The clerk pressed y twice: the other clerk's claim is taken over (and recorded).
            t.claim(&mut self.store, preview.message, preview.draft_id, true)
                .map_err(NotSent::Error)?;
        }
        let found = self
            .prepared
            .iter()
            .position(|(id, p)| *id == preview.draft_id && p.draft.template == preview.template);
        let mut p = match found {
            Some(i) => self.prepared.remove(i).1,
            None => {
                return Err(NotSent::Error(UiError::input(
                    "not sent",
                    "the reply changed since it was shown; open it again",
                )))
            }
        };
        // The user may have edited the body in $EDITOR.
        p.draft.body = preview.body.clone();
        // The bare address: the status line is one line.
        let to = p
            .draft
            .envelope()
            .map(|(_, to)| to)
            .unwrap_or_else(|_| p.draft.to.clone());
        let (outcome, delivers) = self
            .with_sending(|s| (s.send(&p, preview.again), s.transport.delivers()))
            .map_err(NotSent::Error)?;
        if let Some(t) = &mut self.team {
            match &outcome {
                // Kept while the clerk decides, and while nobody knows whether it went out.
                Err(OutboxError::AnsweredElsewhere(_)) => {}
                Err(OutboxError::Unknown { .. }) => t.keep(preview.draft_id),
                other => t.release(preview.draft_id, other.is_ok()),
            }
        }
        let sent = match outcome {
            Ok(sent) => sent,
            Err(OutboxError::AnsweredElsewhere(found)) => {
                // Kept for the confirmation: a second `y` sends this same draft.
                self.prepared.push((preview.draft_id, p));
                return Err(NotSent::AnsweredElsewhere(found.words()));
            }
            Err(e) => return Err(NotSent::Error(error::not_sent(&e))),
        };
        if !delivers {
            return Ok(format!(
                "reply to {to} filed in the demo outbox (Sent) — not sent"
            ));
        }
        let mut words = format!("sent {} to {to} (outbox #{})", p.draft.template, sent.id);
        if !sent.later.is_empty() {
            words.push_str(&format!("; later: {}", sent.later.join("; ")));
        }
        Ok(words)
    }

    fn resolve(&mut self, outbox_id: i64, decision: Decision) -> Result<Resolved, UiError> {
        let resolved = self
            .with_sending(|s| s.resolve(outbox_id, decision))?
            .map_err(|e| error::not_settled(outbox_id, &e))?;
        // Settled: the claim kept while nobody knew goes.
        if !matches!(resolved, Resolved::Inconclusive { .. }) {
            let answers = self
                .store
                .outbox_entry(outbox_id)
                .ok()
                .flatten()
                .and_then(|e| e.answers);
            if let (Some(t), Some(answers)) = (&mut self.team, answers) {
                t.release_settled(&self.store, &answers);
            }
        }
        Ok(resolved)
    }

    fn drop_draft(&mut self, draft_id: u64) {
        if let Some(t) = &mut self.team {
            t.release(draft_id, false);
        }
    }

    fn outbox(&mut self) -> Result<Vec<SentReply>, UiError> {
        let entries = self
            .store
            .outbox(&[])
            .map_err(|e| UiError::new(strings::CANNOT_READ_SENT, e))?;
        Ok(entries
            .into_iter()
            .map(|e| {
                let message = e
                    .answers
                    .as_deref()
                    .and_then(|a| self.store.message_row(a).ok().flatten());
                SentReply {
                    at: e.sent_at.clone().unwrap_or(e.created_at.clone()),
                    to: e.envelope_to.clone(),
                    subject: e.subject.clone(),
                    status: Delivery::of(&e),
                    message,
                    outbox_id: Some(e.id),
                }
            })
            .collect())
    }
}
