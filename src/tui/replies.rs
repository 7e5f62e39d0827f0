//! What the UI needs from the reply layer: a rendered preview of a reply to one message from
//! one template, sending it (or, in the demo, filing it in a local outbox), and the outbox
//! for the Sent folder. The real implementation renders the templates and sends over SMTP;
//! the UI only ever calls it from its reply worker thread, never from the UI thread.

use super::error::UiError;
use chrono::NaiveDate;

/// A reply rendered and not yet sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplyPreview {
    /// Which prepared draft this shows (given by the reply layer): several previews can be
    /// open at once, and sending one sends that one.
    pub draft_id: u64,
    /// `messages.id` of the message answered.
    pub message: i64,
    pub template: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub warnings: Vec<String>,
    /// Some(reason): one-key sending is refused (a fraud-flagged message).
    pub blocked: Option<String>,
    /// Some(who and when): the message was answered elsewhere, found when `y` was pressed;
    /// the preview says so and only a second `y` sends.
    pub answered_elsewhere: Option<String>,
    /// The user confirmed sending although it was answered elsewhere.
    pub again: bool,
    /// Some("Maria is answering this (since 10:42)"): another clerk holds the chaser ([team]);
    /// only a second `y` sends, taking their claim over (recorded with both names).
    pub held_by: Option<String>,
    /// The user confirmed answering it although another clerk holds it.
    pub take_over: bool,
}

/// Why a reply was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSent {
    /// Why, for the status line.
    Error(UiError),
    /// Answered elsewhere ("by Jo <jo@x> on …"): sending needs the user's confirmation.
    AnsweredElsewhere(String),
}

/// One reply in the outbox, for the Sent folder.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SentReply {
    /// `YYYY-MM-DD HH:MM:SS` UTC.
    pub at: String,
    pub to: String,
    pub subject: String,
    /// "sent", "queued", "failed: ...", or the demo's "not sent — demo".
    pub status: String,
    /// `messages.id` of the message answered, if still stored.
    pub message: Option<i64>,
    /// The outbox entry (what Enter opens), when the reply layer keeps one.
    pub outbox_id: Option<i64>,
}

/// The reply layer.
pub trait ReplyService: Send {
    fn preview(
        &mut self,
        message: i64,
        template: &str,
        pay_on: Option<NaiveDate>,
    ) -> Result<ReplyPreview, UiError>;
    /// The same with everything the user was asked (the note of an escalation); by default
    /// only the date is used.
    fn preview_asked(
        &mut self,
        message: i64,
        template: &str,
        asked: &crate::reply::Asked,
    ) -> Result<ReplyPreview, UiError> {
        self.preview(message, template, asked.pay_on)
    }
    /// Sends (or, in the demo, files in the demo outbox); returns words for the status line.
    fn send(&mut self, preview: &ReplyPreview) -> Result<String, NotSent>;
    /// The outbox, newest first.
    fn outbox(&mut self) -> Result<Vec<SentReply>, UiError>;
    /// Settles an outbox entry whose outcome is unknown: the send service's `resolve`.
    fn resolve(
        &mut self,
        outbox_id: i64,
        decision: crate::send::Decision,
    ) -> Result<crate::send::Resolved, UiError>;
    /// The preview was dropped unsent: what it held (a claim on the chaser) is given up.
    fn drop_draft(&mut self, _draft_id: u64) {}
}
