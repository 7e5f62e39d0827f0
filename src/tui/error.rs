//! The error the UI's threads hand to `update`: what failed, in the UI's words (from the
//! strings module), the cause as the lower layer gave it, what kind of failure it is (a
//! dropped connection, a server's no, the user's own input, something on this computer),
//! and the key that helps, if one does, shown from the keymap in force. Never built from a
//! view.

use super::keymap::{Action, Keymap};
use crate::send::OutboxError;
use crate::smtp::SendError;
use crate::store::payables::ChangeError;
use crate::sync::server::ServerError;
use std::fmt;

/// What kind of failure: what the user can do about it differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cause {
    /// The connection dropped or could not be made: trying again later may work.
    Connection,
    /// The server answered and said no: trying again as it is will not help.
    Refused,
    /// What the user typed or picked cannot be done (a date, a folder, a key).
    Input,
    /// Something on this computer (the database, a file, the editor, the terminal).
    #[default]
    Local,
}

/// A failure to tell the user: `summary` says what did not happen, `detail` the cause,
/// `key` the action whose key helps (with what it does, in words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiError {
    pub summary: String,
    pub detail: String,
    pub cause: Cause,
    pub key: Option<(Action, &'static str)>,
}

impl UiError {
    pub fn new(summary: impl Into<String>, detail: impl fmt::Display) -> UiError {
        UiError {
            summary: summary.into(),
            detail: detail.to_string(),
            cause: Cause::Local,
            key: None,
        }
    }

    /// The user's input cannot be used.
    pub fn input(summary: impl Into<String>, detail: impl fmt::Display) -> UiError {
        UiError::new(summary, detail).because(Cause::Input)
    }

    pub fn because(mut self, cause: Cause) -> UiError {
        self.cause = cause;
        self
    }

    /// The key that helps: `action`'s, saying it does `what` ("sync now").
    pub fn press(mut self, action: Action, what: &'static str) -> UiError {
        self.key = Some((action, what));
        self
    }

    /// A mail server's error: a refusal keeps its words, anything else is the connection.
    pub fn server(summary: impl Into<String>, e: &ServerError) -> UiError {
        let cause = if e.connection_sound() {
            Cause::Refused
        } else {
            Cause::Connection
        };
        UiError::new(summary, e).because(cause)
    }

    /// An SMTP error: refused by the server, or the connection (whose outcome may be unknown).
    pub fn smtp(summary: impl Into<String>, e: &SendError) -> UiError {
        let cause = match e {
            SendError::Auth { .. } | SendError::Rejected { .. } | SendError::Temporary { .. } => {
                Cause::Refused
            }
            SendError::Setup(_) => Cause::Local,
            _ => Cause::Connection,
        };
        UiError::new(summary, e).because(cause)
    }

    /// The status line's words, with the key in force for the action that helps.
    pub fn words(&self, keymap: &Keymap) -> String {
        let mut out = self.to_string();
        if let Some((action, what)) = self.key {
            if let Some(key) = keymap.keys_of(action).into_iter().next() {
                out.push_str(&format!(" — press {key} to {what}"));
            }
        }
        out
    }
}

/// The status line's words: the summary, then the cause.
impl fmt::Display for UiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            f.write_str(&self.summary)
        } else {
            write!(f, "{}: {}", self.summary, self.detail)
        }
    }
}

/// A failure whose words already say it all.
impl From<&str> for UiError {
    fn from(summary: &str) -> UiError {
        UiError::new(summary, "")
    }
}

impl From<String> for UiError {
    fn from(summary: String) -> UiError {
        UiError::new(summary, "")
    }
}

/// A payable change refused, in the UI's terms: the payables screen instead of
/// `duebox payables …`.
pub fn payable_change(summary: &str, e: &ChangeError) -> UiError {
    match e {
        ChangeError::NotFound(invoice) => UiError::input(
            summary,
            format!("no payable with invoice number '{invoice}' in your records"),
        )
        .press(Action::Payables, "see the payables"),
        ChangeError::Exists { vendor, invoice } => UiError::input(
            summary,
            format!("{vendor} already has invoice '{invoice}'; it was left as it is"),
        )
        .press(Action::Payables, "see it in the payables"),
        ChangeError::Ambiguous { invoice, vendors } => UiError::input(
            summary,
            format!("invoice number '{invoice}' exists for several vendors ({vendors})"),
        )
        .press(Action::Payables, "pick the vendor's line in the payables"),
        ChangeError::Store(e) => UiError::new(summary, e),
    }
}

/// A payable action not carried out: its rules' refusals and questions are the user's
/// input to correct; a store's refusal as [`payable_change`] says it.
pub fn payable_action(summary: &str, e: &crate::actions::payables::ActionError) -> UiError {
    use crate::actions::payables::ActionError;
    match e {
        ActionError::Change(e) => payable_change(summary, e),
        e => UiError::input(summary, e),
    }
}

/// Why a reply was not sent, in the UI's terms (keys, not `duebox outbox …` or `--again`).
pub fn not_sent(e: &OutboxError) -> UiError {
    const NOT_SENT: &str = "not sent";
    match e {
        OutboxError::Failed { id, error } => UiError::smtp(
            format!("not sent, the draft is kept as outbox #{id}"),
            error,
        ),
        OutboxError::Unknown { id, error } => {
            let mut e = UiError::smtp(
                format!("outbox #{id}: the outcome is unknown, so duebox will not send it again on its own"),
                error,
            );
            e.detail = format!("{error}; the Sent folder lists it: open it there to settle it");
            e.press(Action::Resolve, "settle it, on the reply opened in Sent")
        }
        OutboxError::AlreadyAnswered { id, template, at } => UiError::input(
            NOT_SENT,
            format!("this message was already answered with '{template}' on {at} (outbox #{id}, in the Sent folder)"),
        ),
        OutboxError::Blocked(why) => UiError::input(NOT_SENT, why),
        OutboxError::Unresolved(entries) => {
            UiError::new(NOT_SENT, super::strings::unresolved_replies(entries))
        }
        OutboxError::Reply(e) => UiError::input(NOT_SENT, e),
        other => UiError::new(NOT_SENT, other),
    }
}

/// Why an outbox entry was not settled, in the UI's terms.
pub fn not_settled(id: i64, e: &OutboxError) -> UiError {
    match e {
        // A reply sent again whose outcome is again unknown or that failed: as any send.
        OutboxError::Failed { .. } | OutboxError::Unknown { .. } => not_sent(e),
        OutboxError::AnsweredElsewhere(found) => UiError::input(
            format!("outbox #{id} was not sent again"),
            format!("the chaser was answered {} meanwhile", found.words()),
        )
        .press(Action::Resolve, "decide again with that known"),
        OutboxError::NotRetryable { state, .. } => UiError::input(
            format!("outbox #{id} needs no settling"),
            format!("it is {} already", state.as_str()),
        ),
        other => UiError::new(format!("outbox #{id} was not settled"), other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_line_gives_the_summary_then_the_cause() {
        assert_eq!(
            UiError::new("cannot reach imap.example.com", "connection refused").to_string(),
            "cannot reach imap.example.com: connection refused"
        );
        assert_eq!(UiError::from("no undo").to_string(), "no undo");
    }

    #[test]
    fn a_dropped_connection_a_refusal_and_a_mistake_are_told_apart() {
        let dropped = UiError::server("x", &ServerError::new("IMAP connection failed"));
        let no = UiError::server("x", &ServerError::refused("NO [OVERQUOTA]"));
        assert_eq!(dropped.cause, Cause::Connection);
        assert_eq!(no.cause, Cause::Refused);
        let mistake = payable_change("not changed", &ChangeError::NotFound("INV-9".into()));
        assert_eq!(mistake.cause, Cause::Input);
        let keymap = Keymap::default();
        let words = mistake.words(&keymap);
        assert!(!words.contains("duebox payables"), "{words}");
        assert!(words.ends_with("press p to see the payables"), "{words}");
        // An overridden key is the one named.
        let keymap =
            Keymap::with_overrides(&[("payables".to_string(), "F2".to_string())].into()).unwrap();
        assert!(
            mistake.words(&keymap).contains("press F2"),
            "{}",
            mistake.words(&keymap)
        );
    }
}
