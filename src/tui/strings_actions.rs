//! The terminal UI's words for the actions on payables, undo, marking and batch
//! acknowledging, opened Sent items and attachments: part of [`super::strings`] (re-exported
//! there, so every user-facing word is still found as `strings::…`), kept apart only to keep
//! that file short. No logic here beyond putting words together.

use super::keymap::Action;
use super::strings::Hint;

pub const UNDOING: &str = "undoing…";
pub const SAVING_PAYABLE: &str = "saving the payable…";
pub const NOTHING_CHANGED: &str = "nothing changed";
pub const PROMPT_NOTE: &str = "Note for the approver (empty: none): ";
pub const PROMPT_REFERENCE: &str = "Payment reference (empty: none): ";
/// How a yes/no question is answered.
pub const CONFIRM_KEYS: &str = "y: yes · n/esc: no";
/// A payable change not taken back (the cause follows).
pub const NOT_UNDONE: &str = "the payable change was not undone";

/// `P` on a paid row asks first.
pub fn change_paid_date(invoice: &str, paid_on: Option<chrono::NaiveDate>) -> String {
    format!(
        "{invoice} is already paid{}: change its payment date?",
        paid_on.map(|d| format!(" on {d}")).unwrap_or_default()
    )
}

/// After a move: where to, by the folder pane's name, and the key that undoes it.
pub fn moved_to(label: &str, undo_key: &str) -> String {
    format!("moved to {label} — {undo_key} undoes")
}

/// How many more steps `u` can take, after an undo.
fn steps_left(left: usize) -> String {
    match left {
        0 => String::new(),
        1 => " (1 more step to undo)".into(),
        n => format!(" ({n} more steps to undo)"),
    }
}

/// After a move was undone, by the folder pane's name.
pub fn moved_back(label: &str, left: usize) -> String {
    format!("moved back to {label}{}", steps_left(left))
}

/// After a payable change was undone.
pub fn payable_undone(done: &crate::actions::payables::Done, left: usize) -> String {
    let p = &done.before;
    let state = match (p.status, p.paid_on, p.scheduled_on) {
        (crate::payables::Status::Paid, Some(on), _) => format!("paid on {on} again"),
        (crate::payables::Status::Scheduled, _, Some(on)) => format!("scheduled for {on} again"),
        (status, _, _) => format!("{} again", status.as_str()),
    };
    format!(
        "undone: {} ({}) is {state}{}",
        p.invoice_number,
        p.vendor,
        steps_left(left)
    )
}

pub const RANGE_STARTED: &str = "marking a range: move to its other end and press V again";
pub const BATCH_FRAUD: &str =
    "a fraud warning: never acknowledged in a batch (open it, call the vendor first)";
pub const BATCH_NOT_CHASER: &str = "not a chaser: nothing to acknowledge";
pub const BATCH_ANSWERED: &str = "already answered: open it to send another";
pub const BATCH_DISCARDED: &str =
    "batch discarded, nothing was sent; the rows are no longer marked";
pub const BATCH_NO_EDIT: &str =
    "replies of a batch are not edited: esc, then open one and press a to edit it alone";
pub const BATCH_NOTHING: &str = "nothing in this batch can be sent (see why beside each)";

/// How many rows are marked, and what `a` then does.
pub fn marked(n: usize) -> String {
    match n {
        0 => "no message marked".into(),
        1 => "1 message marked: a acknowledges it, space unmarks".into(),
        n => format!("{n} messages marked: a acknowledges them all after one preview, esc unmarks"),
    }
}

/// Why one reply of a batch was not sent.
pub fn batch_not_sent(why: &super::replies::NotSent) -> String {
    match why {
        super::replies::NotSent::AnsweredElsewhere(who) => format!(
            "not sent: {} {who}; open it to decide",
            super::strings::ANSWERED_ELSEWHERE.to_lowercase()
        ),
        super::replies::NotSent::Error(e) => e.to_string(),
    }
}

/// After a batch's last reply.
pub fn batch_done(sent: usize, failed: usize) -> String {
    match failed {
        0 => format!("acknowledged {sent} chaser(s), each once"),
        f => format!("acknowledged {sent} chaser(s); {f} not sent (see why in the batch)"),
    }
}

/// The combined preview's title.
pub fn batch_title(ready: usize, left_out: usize) -> String {
    format!("Acknowledge {ready} chaser(s) — y sends each once, esc drops them all; {left_out} left out")
}

/// An attachment `o` did not open (the cause follows).
pub const NOT_OPENED: &str = "the attachment was not opened";
pub const NO_ATTACHMENTS: &str = "this message has no attachments";
pub const PICK_ATTACHMENT: &str = "Open which attachment? (Enter opens, Esc cancels)";
pub const OPENING: &str = "opening the attachment…";
pub const SENT_GONE: &str = "that reply is no longer in the outbox; go back (esc)";

/// `o` from the list on a message with several attachments.
pub fn several_attachments(n: usize) -> String {
    format!("this message has {n} attachments: open it (enter) and press o to choose one")
}

pub const SENT_NOT_KEPT: &str =
    "this reply's text is not kept in the outbox, so there is nothing to open";
/// Where copies of a sent reply are, for the Sent view.
pub fn sent_copies(saved_to_sent: bool, flagged_answered: bool) -> String {
    format!(
        "{} · {}",
        if saved_to_sent {
            "a copy is in the mailbox's Sent folder"
        } else {
            "no copy in the mailbox's Sent folder"
        },
        if flagged_answered {
            "the chaser is flagged answered"
        } else {
            "the chaser is not flagged answered yet"
        }
    )
}

pub const HINT_BATCH: &[Hint] = &[
    Hint(&[Action::Send], "send all"),
    Hint(&[Action::Down, Action::Up], "scroll"),
    Hint(&[Action::Back], "cancel"),
];
pub const HINT_SENT: &[Hint] = &[
    Hint(&[Action::Down, Action::Up], "scroll"),
    Hint(&[Action::Back], "back"),
];
/// An opened reply whose outcome is unknown: the key that settles it comes first.
pub const HINT_SENT_UNSETTLED: &[Hint] = &[
    Hint(&[Action::Resolve], "settle"),
    Hint(&[Action::Down, Action::Up], "scroll"),
    Hint(&[Action::Back], "back"),
];

/// How an outbox entry's delivery stands, as the Sent list and the opened item say it.
pub fn delivery(e: &crate::store::OutboxEntry) -> String {
    use crate::store::OutboxState;
    if e.demo {
        return super::strings::SENT_DEMO_LABEL.to_string();
    }
    match (e.state, &e.error) {
        (OutboxState::Failed, Some(err)) => format!("failed: {err}"),
        (OutboxState::Unknown, _) => super::strings::SENT_UNKNOWN_LABEL.to_string(),
        (state, _) => state.as_str().to_string(),
    }
}

/// Settling a reply whose outcome is unknown (the same look and choices as the terminal's
/// `outbox resolve`, asked in the UI).
pub const SETTLE_LOOKING: &str = "looking for the reply in the Sent folder…";
pub const SETTLE_SAVING: &str = "recording your answer…";
pub const SETTLE_TITLE: &str = "Not in the Sent folder: did the vendor get this reply?";
pub const SETTLE_NOT_YET: &str = "Not known yet: leave it as it is (nothing is sent)";
pub const SETTLE_ARRIVED: &str = "Yes, the vendor has it: record it as sent";
pub const SETTLE_RESEND: &str = "No, it never arrived: send it again (the same reply, once)";
/// Picker values of the answers.
pub const SETTLE_VALUE_NOT_YET: &str = "not-yet";
pub const SETTLE_VALUE_ARRIVED: &str = "arrived";
pub const SETTLE_VALUE_RESEND: &str = "resend";
pub const SETTLE_VALUE_RESEND_ANYWAY: &str = "resend-anyway";
pub const NOTHING_TO_SETTLE: &str = "this reply's outcome is known: there is nothing to settle";

/// "No" when the chaser was answered by someone else meanwhile.
pub fn settle_resend_anyway(elsewhere: &str) -> String {
    format!("No, it never arrived: send it again anyway (the chaser was answered {elsewhere})")
}

/// Beside the question: what could not be looked at.
pub fn settle_gaps(gaps: &[String]) -> String {
    if gaps.is_empty() {
        "the Sent folder does not have it, so only the vendor can tell".to_string()
    } else {
        format!(
            "duebox could not look everywhere ({}); only the vendor can tell",
            gaps.join("; ")
        )
    }
}

/// Left unsettled: what to do next, with the key in force.
pub fn settle_later(key: &str) -> String {
    format!("left as it is, nothing was sent; ask the vendor, then press {key} here again")
}

/// What settling did.
pub fn settled(id: i64, done: &crate::send::Resolved) -> String {
    use crate::send::Resolved;
    match done {
        Resolved::FoundInSent => {
            format!("outbox #{id} is in the Sent folder: recorded as sent, nothing was sent again")
        }
        Resolved::Confirmed => format!("outbox #{id} recorded as sent, as you said it arrived"),
        Resolved::Resent(sent) => {
            let mut words = format!("outbox #{id} sent again: {}", sent.response);
            if !sent.later.is_empty() {
                words.push_str(&format!("; later: {}", sent.later.join("; ")));
            }
            words
        }
        Resolved::Inconclusive { .. } => settle_gaps(&[]),
    }
}

/// The dashboard's list of a bucket's claims.
pub const PICK_CLAIM: &str = "Open which claim? (oldest due first; Enter opens, Esc closes)";

/// One claim in that list: vendor, invoices, amount, due date.
pub fn claim_label(c: &crate::store::ClaimRef, currency: &str) -> String {
    let invoices = if c.invoices.is_empty() {
        "no invoice number".to_string()
    } else {
        c.invoices.join(", ")
    };
    let due = c.due.map(|d| format!(" · due {d}")).unwrap_or_default();
    super::views::text::clean(&format!(
        "{} · {invoices} · {} {currency}{due}",
        c.vendor, c.amount
    ))
    .into_owned()
}
