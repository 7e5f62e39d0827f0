//! What the UI needs from the reply layer: a rendered preview of a reply to one message from
//! one template, sending it (or, in the demo, filing it in a local outbox), and the outbox
//! for the Sent folder. The real implementation renders the templates and sends over SMTP;
//! the UI only ever calls it from its reply worker thread, never from the UI thread.

use chrono::NaiveDate;

/// A reply rendered and not yet sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplyPreview {
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
}

/// The reply layer.
pub trait ReplyService: Send {
    fn preview(
        &mut self,
        message: i64,
        template: &str,
        pay_on: Option<NaiveDate>,
    ) -> Result<ReplyPreview, String>;
    /// Sends (or, in the demo, files in the demo outbox); returns words for the status line.
    fn send(&mut self, preview: &ReplyPreview) -> Result<String, String>;
    /// The outbox, newest first.
    fn outbox(&mut self) -> Result<Vec<SentReply>, String>;
}

/// A stand-in reply layer until `crate::reply` is wired in: previews name the template and
/// the message's claim in plain words, the demo "sends" into an in-memory outbox labelled as
/// not sent, and a real account refuses to send (it never pretends a reply went out).
pub struct PlaceholderReplies {
    store: crate::store::Store,
    from: String,
    demo: bool,
    outbox: Vec<SentReply>,
}

impl PlaceholderReplies {
    pub fn new(store: crate::store::Store, from: &str, demo: bool) -> PlaceholderReplies {
        PlaceholderReplies {
            store,
            from: from.to_string(),
            demo,
            outbox: Vec::new(),
        }
    }
}

impl ReplyService for PlaceholderReplies {
    fn preview(
        &mut self,
        message: i64,
        template: &str,
        pay_on: Option<NaiveDate>,
    ) -> Result<ReplyPreview, String> {
        let d = self
            .store
            .detail(message)
            .map_err(|e| e.to_string())?
            .ok_or("that message is no longer stored; sync (s) and try again")?;
        let s = &d.summary;
        let invoices = if s.invoices.is_empty() {
            "your invoice".to_string()
        } else {
            s.invoices.join(", ")
        };
        let amount = match (&s.amount, &s.currency) {
            (Some(a), Some(c)) => format!(" for {a} {c}"),
            _ => String::new(),
        };
        let what = match template {
            "acknowledge" => format!("We have received your message about {invoices}{amount} and are looking into it."),
            "set_expectations" => format!(
                "We plan to pay {invoices}{amount} on {}.",
                pay_on.map_or("a date we will confirm shortly".to_string(), |d| d.to_string())
            ),
            "negotiate" => format!("About {invoices}{amount}: could we agree on a payment plan?"),
            "confirm_payment" => format!("We confirm that {invoices}{amount} has been paid."),
            "dispute_amount" => format!("The amount claimed for {invoices}{amount} does not match our records; please send a corrected statement."),
            "escalate" => format!("We have passed {invoices}{amount} to our finance manager, who will contact you."),
            other => return Err(format!("there is no reply template '{other}'")),
        };
        let mut warnings = Vec::new();
        if s.match_status.as_deref() == Some("amount_mismatch") && template != "dispute_amount" {
            warnings.push(
                "the amount claimed differs from our record; consider d (dispute amount)"
                    .to_string(),
            );
        }
        let blocked = (!s.risk.is_empty()).then(|| format!("the message is flagged as possible fraud ({}); verify the vendor on a known phone number first", s.risk.join(", ")));
        Ok(ReplyPreview {
            message,
            template: template.to_string(),
            from: self.from.clone(),
            to: s.from_addr.clone().unwrap_or_default(),
            subject: format!("Re: {}", s.subject),
            body: format!("Hello,\n\n{what}\n\nKind regards,\nAccounts payable\n"),
            warnings,
            blocked,
        })
    }

    fn send(&mut self, preview: &ReplyPreview) -> Result<String, String> {
        if !self.demo {
            return Err("sending is not available in this build: the SMTP reply layer is not wired in yet; nothing was sent".into());
        }
        self.outbox.push(SentReply {
            at: crate::store::timestamp(chrono::Utc::now()),
            to: preview.to.clone(),
            subject: preview.subject.clone(),
            status: super::strings::SENT_DEMO_LABEL.to_string(),
            message: Some(preview.message),
        });
        Ok(format!(
            "reply to {} filed in the demo outbox (Sent) — not sent",
            preview.to
        ))
    }

    fn outbox(&mut self) -> Result<Vec<SentReply>, String> {
        Ok(self.outbox.iter().rev().cloned().collect())
    }
}
