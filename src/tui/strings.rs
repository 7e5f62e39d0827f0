//! Every user-facing word of the terminal UI in one place: the actions with their default
//! keys and descriptions (the `?` overlay, the README table and the keymap are all built from
//! [`ACTIONS`], so they cannot drift apart), labels, badges, prompts and status texts.

use super::keymap::{Action, Scope};

/// One bindable action: its config name, default keys, what it does, where it applies.
pub struct ActionInfo {
    pub action: Action,
    /// The name in the config's `[keys]` table.
    pub name: &'static str,
    pub keys: &'static [&'static str],
    pub help: &'static str,
    pub scope: Scope,
}

const fn info(
    action: Action,
    name: &'static str,
    keys: &'static [&'static str],
    help: &'static str,
    scope: Scope,
) -> ActionInfo {
    ActionInfo {
        action,
        name,
        keys,
        help,
        scope,
    }
}

/// Every action, in the order the help overlay and the README list them.
pub const ACTIONS: &[ActionInfo] = &[
    info(
        Action::Down,
        "down",
        &["j", "down"],
        "next line",
        Scope::Nav,
    ),
    info(Action::Up, "up", &["k", "up"], "previous line", Scope::Nav),
    info(
        Action::PageDown,
        "page_down",
        &["pagedown", "ctrl-f"],
        "next page",
        Scope::Nav,
    ),
    info(
        Action::PageUp,
        "page_up",
        &["pageup", "ctrl-b"],
        "previous page",
        Scope::Nav,
    ),
    info(Action::Top, "top", &["g", "home"], "first line", Scope::Nav),
    info(
        Action::Bottom,
        "bottom",
        &["G", "end"],
        "last line",
        Scope::Nav,
    ),
    info(
        Action::Open,
        "open",
        &["enter", "l", "right"],
        "open the folder or message",
        Scope::Nav,
    ),
    info(
        Action::Back,
        "back",
        &["esc", "h", "left"],
        "back (folders pane, previous screen, cancel)",
        Scope::Nav,
    ),
    info(
        Action::NextPane,
        "next_pane",
        &["tab"],
        "switch between folders and messages",
        Scope::Nav,
    ),
    info(
        Action::Filter,
        "filter",
        &["/"],
        "filter by subject, vendor, invoice (empty clears)",
        Scope::Nav,
    ),
    info(
        Action::Acknowledge,
        "acknowledge",
        &["a"],
        "reply: acknowledge the chaser",
        Scope::Mail,
    ),
    info(
        Action::SetExpectations,
        "set_expectations",
        &["e"],
        "reply: say when we will pay (asks the date)",
        Scope::Mail,
    ),
    info(
        Action::Negotiate,
        "negotiate",
        &["n"],
        "reply: ask for a payment plan or terms",
        Scope::Mail,
    ),
    info(
        Action::ConfirmPayment,
        "confirm_payment",
        &["c"],
        "reply: confirm the payment was made",
        Scope::Mail,
    ),
    info(
        Action::DisputeAmount,
        "dispute_amount",
        &["d"],
        "reply: dispute the amount claimed",
        Scope::Mail,
    ),
    info(
        Action::Escalate,
        "escalate",
        &["x"],
        "reply: escalate to a manager",
        Scope::Mail,
    ),
    info(
        Action::Move,
        "move",
        &["m"],
        "move the message to a folder",
        Scope::Mail,
    ),
    info(
        Action::Undo,
        "undo",
        &["u"],
        "undo the last move",
        Scope::Mail,
    ),
    info(
        Action::NotAChaser,
        "not_a_chaser",
        &["N"],
        "correct: not a chaser (remembered for the next)",
        Scope::Mail,
    ),
    info(
        Action::ThisIs,
        "this_is",
        &["C"],
        "correct: this is a reminder/final/… (asks which)",
        Scope::Mail,
    ),
    info(
        Action::Send,
        "send",
        &["y"],
        "send the previewed reply",
        Scope::Reply,
    ),
    info(
        Action::EditReply,
        "edit_reply",
        &["E"],
        "edit the previewed reply in $VISUAL/$EDITOR",
        Scope::Reply,
    ),
    info(
        Action::StatusFilter,
        "status_filter",
        &["f"],
        "payables: cycle the status filter",
        Scope::Payables,
    ),
    info(
        Action::MarkPaid,
        "mark_paid",
        &["P"],
        "payables: mark paid (asks the date)",
        Scope::Payables,
    ),
    info(
        Action::Schedule,
        "schedule",
        &["S"],
        "payables: schedule the payment (asks the date)",
        Scope::Payables,
    ),
    info(
        Action::Payables,
        "payables",
        &["p"],
        "payables",
        Scope::Global,
    ),
    info(
        Action::Dashboard,
        "dashboard",
        &["D"],
        "dashboard",
        Scope::Global,
    ),
    info(
        Action::Templates,
        "templates",
        &["t"],
        "edit the reply templates",
        Scope::Global,
    ),
    info(Action::SyncNow, "sync", &["s"], "sync now", Scope::Global),
    info(Action::Help, "help", &["?"], "this help", Scope::Global),
    info(
        Action::Quit,
        "quit",
        &["q"],
        "quit (on other screens: back)",
        Scope::Global,
    ),
];

/// The six reply templates, in the order of their keys.
pub const TEMPLATES: [&str; 6] = [
    "acknowledge",
    "set_expectations",
    "negotiate",
    "confirm_payment",
    "dispute_amount",
    "escalate",
];

/// The README's key table, generated from [`ACTIONS`] (a test keeps the README equal to it).
pub fn readme_table() -> String {
    let mut out = String::from("| keys | action | config name |\n|---|---|---|\n");
    for a in ACTIONS {
        let keys: Vec<String> = a.keys.iter().map(|k| format!("`{k}`")).collect();
        out.push_str(&format!(
            "| {} | {} | `{}` |\n",
            keys.join(" "),
            a.help.replace('|', "\\|"),
            a.name
        ));
    }
    out
}

pub const APP: &str = "duebox";
pub const DEMO_BANNER: &str = "DEMO — nothing is sent";
pub const SENT_DEMO_LABEL: &str = "not sent — demo";
pub const SENT_UNKNOWN_LABEL: &str =
    "unknown — may have arrived; `duebox outbox resolve` checks Sent and asks";
pub const ANSWERED_ELSEWHERE: &str = "Already answered";
pub const CONFIRM_AGAIN: &str = "press y again to send another reply anyway, esc to drop it";
pub const HELP_TITLE: &str = "Keys — j/k scroll, Esc closes";
pub const HELP_FOOTER: &str = "Keys can be changed in the config's [keys] table: action = \"key\".";
pub const HINT_MAILBOX: &str = "?:help  a/e/n/c/d/x:reply  m:move  /:filter  q:quit";
pub const HINT_MESSAGE: &str = "?:help  a/e/n/c/d/x:reply  m:move  esc:back";
pub const HINT_REPLY: &str = "y:send  E:edit  esc:cancel";
pub const HINT_REPLY_DEMO: &str = "demo: y files it in a local outbox, nothing is sent";
pub const HINT_PAYABLES: &str = "f:status  /:vendor  P:paid  S:schedule  esc:back";
pub const HINT_DASHBOARD: &str = "esc:back  s:sync";

/// The folders pane's count columns: unread messages / chasers waiting for an answer.
pub const COUNTS_HEADER: &str = "new/todo";
pub const FOLDER_INBOX: &str = "Inbox";
pub const FOLDER_REMINDERS: &str = "Reminders";
pub const FOLDER_OVERDUE: &str = "Overdue";
pub const FOLDER_FINAL: &str = "Final";
pub const FOLDER_STATEMENTS: &str = "Statements";
pub const FOLDER_REVIEW: &str = "Review";
pub const FOLDER_SENT: &str = "Sent";
pub const FOLDER_ARCHIVE: &str = "Archive";

/// The list's badge for a validation result.
pub fn badge(match_status: &str) -> &'static str {
    match match_status {
        "matched" => "matched",
        "amount_mismatch" => "≠ amount",
        "unknown_invoice" => "unknown",
        "already_paid" => "paid",
        "disputed" => "disputed",
        _ => "",
    }
}

/// A validation result in words, for the message view.
pub fn match_words(match_status: &str) -> &'static str {
    match match_status {
        "matched" => "matches our record",
        "amount_mismatch" => "amount differs from our record",
        "unknown_invoice" => "invoice not in our payables",
        "already_paid" => "we already paid this invoice",
        "disputed" => "we dispute this invoice",
        _ => "not checked",
    }
}

/// A fraud flag in words.
pub fn risk_words(flag: &str) -> &'static str {
    match flag {
        "bank_change" => "asks to pay to new or different bank details",
        "lookalike_domain" => "the sender's domain imitates a known one",
        "reply_to_mismatch" => "replies would go to another domain (Reply-To)",
        "unknown_sender" => "the sender is not one of our vendors",
        "auth_fail" => "the sender's server failed authentication (SPF/DKIM/DMARC)",
        _ => "unusual sender",
    }
}

pub const FRAUD_TITLE: &str =
    "POSSIBLE FRAUD — do not pay or change bank details on this message's word";
pub const FRAUD_ADVICE: &str =
    "Call the vendor on a number you already have before acting; replying with one key is disabled.";
pub const FRAUD_MARK: &str = "!";
pub const UNREAD_MARK: &str = "•";

pub const PROMPT_FILTER: &str = "Filter: ";
pub const PROMPT_VENDOR: &str = "Vendor: ";
pub const PROMPT_PAY_ON: &str = "Pay on (YYYY-MM-DD): ";
pub const PROMPT_PAID_ON: &str = "Paid on (YYYY-MM-DD): ";
pub const PROMPT_SCHEDULE: &str = "Schedule for (YYYY-MM-DD): ";
pub const PICK_FOLDER: &str = "Move to folder (Enter picks, Esc cancels)";
pub const PICK_VERDICT: &str = "This message is… (Enter picks, Esc cancels)";
pub const PICK_TEMPLATE: &str = "Edit which template? (Enter picks, Esc cancels)";

pub const BAD_DATE: &str = "not a date: write it as YYYY-MM-DD (for example 2026-12-01)";
pub const NO_MESSAGE: &str = "no message selected: move to one with j/k first";
pub const NO_UNDO: &str = "nothing to undo: no message was moved in this session";
pub const NOT_FOR_SENT: &str = "that works on received mail; this is the Sent folder";
pub const NO_PAYABLE: &str = "no payable selected";

pub const SYNC_NEVER: &str = "not synced yet";
pub const PREPARING: &str = "preparing the reply…";
pub const SENDING: &str = "sending…";
pub const MOVING: &str = "moving…";
pub const CORRECTING: &str = "remembering the correction…";
pub const LOADING: &str = "loading…";
pub const EMPTY_FOLDER: &str = "no messages here";
pub const EMPTY_FILTER: &str =
    "no message matches the filter (/ then Enter on an empty line clears it)";

/// The verdicts the "this is" picker offers, as (label, stored name).
pub const VERDICT_CHOICES: [(&str, &str); 4] = [
    ("a reminder", "reminder"),
    ("an overdue notice", "overdue"),
    ("a final notice", "final"),
    ("a statement of account", "statement"),
];

/// What the status line says after a correction.
pub fn corrected_words(
    verdict: &str,
    reason: Option<&str>,
    moved_to: Option<&str>,
    offline_stays: bool,
) -> String {
    let learnt = match reason {
        Some(r) => format!("remembered: messages like this are {verdict} ({r})"),
        None => format!(
            "this message is now {verdict}; nothing learnt: it has no sender domain or its subject is only numbers"
        ),
    };
    match (moved_to, offline_stays) {
        (Some(folder), _) => format!("{learnt}; moved to {folder}"),
        (None, true) => format!("{learnt}; not connected, so it stays here: move it with m later"),
        (None, false) => learnt,
    }
}

/// What a move into or out of a chaser folder taught, after the move's own words.
pub fn learnt_from_move(verdict: &str) -> String {
    format!("messages like it will be taken as {verdict} (duebox corrections list)")
}
