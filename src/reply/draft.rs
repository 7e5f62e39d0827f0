//! A reply ready to send: who it goes to (and why not to a suspicious Reply-To), its subject
//! and threading headers, a fresh Message-ID, and the exact bytes handed to SMTP. A
//! fraud-flagged message gets a draft that is blocked from one-key sending. No I/O here.

use super::context::{risk_words, Facts};
use crate::classify::risk::registrable_domain;
use crate::mail::sanitize::one_line;
use crate::mail::Address;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use std::hash::{BuildHasher, Hasher};

/// A reply, rendered and addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub template: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Ours, with angle brackets.
    pub message_id: String,
    /// The message answered (its Message-ID, with angle brackets).
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// Things the user should know before sending (a Reply-To not used, say).
    pub warnings: Vec<String>,
    /// Why this draft must not be sent with one key (fraud warnings), if it must not.
    pub blocked: Option<String>,
    /// An escalation goes to our approver, not to the vendor: it does not answer the message.
    pub escalation: bool,
}

/// Why a draft cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("the message has no sender address to reply to")]
    NoSender,
    #[error("[reply] from is not set: the config must say which address replies come from")]
    NoFrom,
    #[error("'{0}' is not a valid mail address; check [reply] from / approver in the config")]
    BadAddress(String),
    #[error("cannot build the message: {0}")]
    Build(String),
}

/// The template names that go to the approver rather than the vendor.
pub fn is_escalation(template: &str) -> bool {
    template == "escalate"
}

/// Addresses a rendered reply.
pub fn build(
    facts: &Facts<'_>,
    template: &str,
    subject: Option<String>,
    body: String,
) -> Result<Draft, DraftError> {
    let msg = facts.message;
    let c = facts.classification;
    if facts.identity.from.trim().is_empty() {
        return Err(DraftError::NoFrom);
    }
    let from = parse_mailbox(&facts.identity.from)?;
    let escalation = is_escalation(template);
    let mut warnings = Vec::new();
    let to = if escalation {
        let approver = facts.identity.approver.clone().unwrap_or_default();
        parse_mailbox(&approver)?.to_string()
    } else {
        let sender = msg.from.as_ref().ok_or(DraftError::NoSender)?;
        let (to, warning) = recipient(sender, msg.reply_to.as_ref(), c.risk.is_empty());
        warnings.extend(warning);
        parse_mailbox(&to)?.to_string()
    };
    let blocked = (!escalation && !c.risk.is_empty()).then(|| {
        let why: Vec<&str> = c.risk.iter().map(|r| risk_words(*r)).collect();
        format!(
            "this message carries fraud warnings ({}). Never answer it with one key: check with the vendor on the phone number you hold on file, then escalate it or answer it yourself",
            why.join("; ")
        )
    });
    let original = one_line(&msg.subject);
    let subject = match subject {
        Some(s) => one_line(&s),
        None if escalation => format!("Escalation: {original}"),
        None => format!("Re: {original}"),
    };
    let subject = collapse_reply_prefixes(&subject);
    let mut body = body;
    if escalation {
        body.push_str(&forwarded(msg));
    }
    let in_reply_to = msg.message_id.as_ref().map(|id| bracket(id));
    let mut references: Vec<String> = msg.references.iter().map(|r| bracket(r)).collect();
    if let Some(id) = &in_reply_to {
        if !references.contains(id) {
            references.push(id.clone());
        }
    }
    // Long threads: the first and the last few are what clients need (RFC 5322 3.6.4).
    if references.len() > 12 {
        let tail = references.split_off(references.len() - 11);
        references.truncate(1);
        references.extend(tail);
    }
    Ok(Draft {
        template: template.to_string(),
        from: from.to_string(),
        to,
        subject,
        body,
        message_id: new_message_id(from.email.domain()),
        in_reply_to,
        references,
        warnings,
        blocked,
        escalation,
    })
}

fn parse_mailbox(text: &str) -> Result<Mailbox, DraftError> {
    text.trim()
        .parse::<Mailbox>()
        .map_err(|_| DraftError::BadAddress(one_line(text)))
}

/// Where the reply goes: the Reply-To only when the message passed every fraud check and the
/// Reply-To is in the sender's own domain; otherwise the sender, with a warning.
fn recipient(
    sender: &Address,
    reply_to: Option<&Address>,
    clean: bool,
) -> (String, Option<String>) {
    let Some(reply_to) = reply_to.filter(|r| !r.email.eq_ignore_ascii_case(&sender.email)) else {
        return (mailbox_text(sender), None);
    };
    let same_domain = match (sender.domain(), reply_to.domain()) {
        (Some(s), Some(r)) => registrable_domain(&s) == registrable_domain(&r),
        _ => false,
    };
    if clean && same_domain {
        (mailbox_text(reply_to), None)
    } else {
        (
            mailbox_text(sender),
            Some(format!(
                "the message asks for replies to {}; the reply goes to the sender {} instead, because {}",
                reply_to.email,
                sender.email,
                if same_domain { "the message has fraud warnings" } else { "that address is outside the sender's domain" }
            )),
        )
    }
}

fn mailbox_text(a: &Address) -> String {
    match a.name.as_deref().map(one_line).filter(|n| !n.is_empty()) {
        // Quoted, so that commas or brackets in a display name cannot add recipients.
        Some(name) => format!("\"{}\" <{}>", name.replace(['"', '\\'], ""), a.email),
        None => a.email.clone(),
    }
}

fn bracket(id: &str) -> String {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{id}>")
}

/// "Re: Re: AW: Subject" → "Re: Subject".
fn collapse_reply_prefixes(subject: &str) -> String {
    let mut rest = subject.trim();
    let mut had = false;
    loop {
        let lower = rest.to_lowercase();
        let prefix = ["re:", "aw:", "antw:", "sv:", "rv:", "réf:"]
            .iter()
            .find(|p| lower.starts_with(*p));
        match prefix {
            Some(p) => {
                rest = rest[p.len()..].trim_start();
                had = true;
            }
            None => break,
        }
    }
    if had {
        format!("Re: {rest}")
    } else {
        rest.to_string()
    }
}

/// The original below an escalation, as a mail client forwards it.
fn forwarded(msg: &crate::mail::Message) -> String {
    let from = msg
        .from
        .as_ref()
        .map(mailbox_text)
        .unwrap_or_else(|| "(no sender)".into());
    let date = msg.date.map(|d| d.to_rfc2822()).unwrap_or_default();
    format!(
        "\n---------- Forwarded message ----------\nFrom: {from}\nDate: {date}\nSubject: {}\n\n{}\n",
        one_line(&msg.subject),
        msg.body.trim_end()
    )
}

/// A Message-ID no other message has: time, process and randomness, at our domain.
fn new_message_id(domain: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    // RandomState is seeded from the OS: enough to keep two machines' ids apart.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(nanos);
    h.write_u32(std::process::id());
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!(
        "<{:x}.{:016x}.duebox@{domain}>",
        nanos / 1_000_000,
        h.finish()
    )
}

impl Draft {
    /// The message exactly as SMTP receives it and the Sent folder keeps it.
    pub fn to_bytes(&self, date: std::time::SystemTime) -> Result<Vec<u8>, DraftError> {
        let build = |e: lettre::error::Error| DraftError::Build(e.to_string());
        let from = parse_mailbox(&self.from)?;
        let to = parse_mailbox(&self.to)?;
        let mut b = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(self.subject.clone())
            .date(date)
            .message_id(Some(self.message_id.clone()))
            .header(ContentType::TEXT_PLAIN)
            .user_agent(format!("duebox {}", env!("CARGO_PKG_VERSION")));
        if let Some(id) = &self.in_reply_to {
            b = b.in_reply_to(id.clone());
        }
        if !self.references.is_empty() {
            b = b.references(self.references.join(" "));
        }
        let m = b.body(self.body.clone()).map_err(build)?;
        Ok(m.formatted())
    }

    /// The envelope addresses (sender, recipient) for SMTP.
    pub fn envelope(&self) -> Result<(String, String), DraftError> {
        Ok((
            parse_mailbox(&self.from)?.email.to_string(),
            parse_mailbox(&self.to)?.email.to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_prefixes_collapse() {
        assert_eq!(
            collapse_reply_prefixes("Re: Re: AW: Invoice 12"),
            "Re: Invoice 12"
        );
        assert_eq!(collapse_reply_prefixes("Re: Invoice 12"), "Re: Invoice 12");
        assert_eq!(
            collapse_reply_prefixes("Escalation: Invoice"),
            "Escalation: Invoice"
        );
    }

    #[test]
    fn reply_to_only_in_the_senders_domain_and_when_clean() {
        let a = |name: Option<&str>, email: &str| Address {
            name: name.map(str::to_string),
            email: email.into(),
        };
        let sender = a(Some("Acme Billing"), "billing@acme.co.uk");
        let same = a(None, "ar@mail.acme.co.uk");
        let other = a(None, "acme.payments@gmail.com");
        assert_eq!(
            recipient(&sender, Some(&same), true),
            ("ar@mail.acme.co.uk".into(), None)
        );
        let (to, warn) = recipient(&sender, Some(&other), true);
        assert_eq!(to, "\"Acme Billing\" <billing@acme.co.uk>");
        assert!(warn.unwrap().contains("outside the sender's domain"));
        let (to, warn) = recipient(&sender, Some(&same), false);
        assert!(to.contains("billing@acme.co.uk"));
        assert!(warn.unwrap().contains("fraud warnings"));
    }

    #[test]
    fn display_names_cannot_add_recipients() {
        let sender = Address {
            name: Some("Evil, \"x\" <boss@corp.test>".into()),
            email: "a@b.test".into(),
        };
        let (to, _) = recipient(&sender, None, true);
        let mb: Mailbox = to.parse().unwrap();
        assert_eq!(mb.email.to_string(), "a@b.test");
    }

    #[test]
    fn message_ids_are_unique() {
        let a = new_message_id("northwind.test");
        let b = new_message_id("northwind.test");
        assert_ne!(a, b);
        assert!(a.starts_with('<') && a.ends_with("@northwind.test>"));
    }
}
