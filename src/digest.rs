//! The daily digest: the open payables falling due within `[digest] within_days` (overdue
//! ones included) that are not yet scheduled, mailed to the AP address or the approver by
//! `sync --watch`, once per day however often the watcher restarts. It goes through the
//! outbox's queue-and-send like every reply; its outbox key and Message-ID are the day's own
//! (`digest-YYYY-MM-DD`), so a second run on the same day finds it and sends nothing.

use crate::config::Config;
use crate::payables::Payable;
use crate::reply::Draft;
use crate::send::{OutboxError, Prepared, Sending};
use crate::store::{OutboxState, Store};
use chrono::NaiveDate;
use std::fmt::Write as _;

/// What the digest step did today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestOutcome {
    /// `[digest] enabled` is not true.
    Disabled,
    /// Nothing falls due in the window: no mail.
    NothingDue,
    /// Today's digest is in the outbox already (sent, being sent, or discarded by the user).
    AlreadyDone { id: i64, state: OutboxState },
    /// Sent now (or sent again after an earlier failure), listing `count` payables.
    Sent { id: i64, count: usize },
}

/// The outbox key of a day's digest.
pub fn key(today: NaiveDate) -> String {
    format!("digest-{today}")
}

/// The digest that should go out today, or why none should. No network here.
pub fn pending(
    store: &Store,
    config: &Config,
    today: NaiveDate,
) -> Result<Result<Prepared, DigestOutcome>, OutboxError> {
    if !config.digest.enabled {
        return Ok(Err(DigestOutcome::Disabled));
    }
    if let Some(e) = store
        .replies_to(&key(today))?
        .into_iter()
        .find(|e| e.state != OutboxState::Failed)
    {
        return Ok(Err(DigestOutcome::AlreadyDone {
            id: e.id,
            state: e.state,
        }));
    }
    let until = today + chrono::Days::new(u64::from(config.digest.within_days));
    let due = store.due_payables(until)?;
    if due.is_empty() {
        return Ok(Err(DigestOutcome::NothingDue));
    }
    let from = config.reply.from.clone().ok_or_else(|| {
        OutboxError::Blocked(
            "[reply] from is not set: the digest needs the address it comes from".into(),
        )
    })?;
    let to = config
        .digest
        .to
        .clone()
        .or_else(|| config.reply.approver.clone())
        .unwrap_or_else(|| from.clone());
    let domain = from
        .parse::<lettre::message::Mailbox>()
        .map(|m| m.email.domain().to_string())
        .unwrap_or_else(|_| "localhost".into());
    Ok(Ok(Prepared {
        draft: Draft {
            template: "digest".into(),
            from,
            to,
            subject: format!("Payables due by {until}: {} to pay or schedule", due.len()),
            body: body(&due, today, until),
            message_id: format!("<{}.duebox@{domain}>", key(today)),
            in_reply_to: None,
            references: Vec::new(),
            warnings: Vec::new(),
            blocked: None,
            escalation: false,
        },
        answers: Some(key(today)),
        vendor: None,
        invoice: None,
    }))
}

fn body(due: &[Payable], today: NaiveDate, until: NaiveDate) -> String {
    let mut b = format!(
        "Open payables due by {until} that are not scheduled yet ({} on {today}):\n\n",
        due.len()
    );
    for p in due {
        let when = crate::payables::due_words(p.due_date, today);
        let _ = writeln!(
            b,
            "  {}  {:<28} {:<20} {:>12} {}  {when}",
            p.due_date, p.vendor, p.invoice_number, p.amount, p.currency
        );
    }
    b.push_str(
        "\nSchedule each with `duebox payables schedule INVOICE --on DATE`, or see them with `duebox payables due`.\n",
    );
    b
}

/// Whether the digest step has anything to do today (so the watcher connects to SMTP only
/// then): enabled, not yet in the outbox (or failed there), something due.
pub fn wanted(store: &Store, config: &Config, today: NaiveDate) -> Result<bool, OutboxError> {
    if !config.digest.enabled {
        return Ok(false);
    }
    let earlier = store.replies_to(&key(today))?;
    if earlier.iter().any(|e| e.state != OutboxState::Failed) {
        return Ok(false);
    }
    let until = today + chrono::Days::new(u64::from(config.digest.within_days));
    Ok(!earlier.is_empty() || !store.due_payables(until)?.is_empty())
}

/// How many payables a digest's text lists.
fn listed(text: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with("  ") && l[2..].starts_with(|c: char| c.is_ascii_digit()))
        .count()
}

/// Sends today's digest through the outbox when it is due; a digest that failed earlier
/// today is sent again (the same outbox entry, the same Message-ID).
pub fn send(
    sending: &mut Sending<'_>,
    config: &Config,
    today: NaiveDate,
) -> Result<DigestOutcome, OutboxError> {
    if !config.digest.enabled {
        return Ok(DigestOutcome::Disabled);
    }
    let earlier = sending.store.replies_to(&key(today))?;
    if let Some(e) = earlier.iter().find(|e| e.state != OutboxState::Failed) {
        return Ok(DigestOutcome::AlreadyDone {
            id: e.id,
            state: e.state,
        });
    }
    if let Some(e) = earlier.first() {
        let sent = sending.retry(e.id, false)?;
        return Ok(DigestOutcome::Sent {
            id: sent.id,
            count: listed(&String::from_utf8_lossy(&e.raw)),
        });
    }
    match pending(sending.store, config, today)? {
        Err(outcome) => Ok(outcome),
        Ok(prepared) => {
            let count = listed(&prepared.draft.body);
            let sent = sending.send(&prepared, false)?;
            Ok(DigestOutcome::Sent { id: sent.id, count })
        }
    }
}
