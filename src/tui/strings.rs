//! Every user-facing word of the terminal UI in one place: the actions with their default
//! keys and descriptions (the `?` overlay, the README table and the keymap are all built from
//! [`ACTIONS`], so they cannot drift apart), labels, badges, prompts and status texts.

use super::keymap::{Action, Scope};
use crate::classify::risk::Risk;
use crate::payables::validate::{Comparison, Difference, MatchStatus};
use crate::store::OutboxEntry;
use crate::sync::warning::Warning;

// The words of the payables actions, undo, batches and opened Sent items, beside these.
pub use super::strings_actions::*;

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
        "search subject, body, vendor, invoice, amount; stays on in every folder (All folders: everywhere; empty clears)",
        Scope::Nav,
    ),
    info(
        Action::Sort,
        "sort",
        &["O"],
        "sort the list: date, days late, amount, vendor (cycles)",
        Scope::Mail,
    ),
    info(
        Action::Thread,
        "thread",
        &["T"],
        "the conversation: chases of the same invoice or thread, with our replies",
        Scope::Mail,
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
        "reply: escalate to a manager (asks a note)",
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
        "undo moves and payable changes, latest first",
        Scope::Global,
    ),
    info(
        Action::SaveAttachments,
        "save_attachments",
        &["w"],
        "save the attachments in a folder (asks which)",
        Scope::Mail,
    ),
    info(
        Action::OpenAttachment,
        "open_attachment",
        &["o"],
        "open an attachment in its viewer (mailcap)",
        Scope::Mail,
    ),
    info(
        Action::Mark,
        "mark",
        &["space"],
        "mark/unmark; a then acknowledges all marked",
        Scope::Mail,
    ),
    info(
        Action::MarkRange,
        "mark_range",
        &["V"],
        "mark a range: V, move, V again",
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
        Action::Resolve,
        "resolve",
        &["r"],
        "Sent: settle a reply whose outcome is unknown (looks in Sent, then asks whether the vendor got it)",
        Scope::Sent,
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
        "payables: mark paid (asks the date and reference)",
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
pub const SENT_UNKNOWN_LABEL: &str = "unknown — may have arrived";
/// The Sent list's words beside it: where it is settled.
pub const SENT_UNKNOWN_ADVICE: &str = "open it to settle it (looks in Sent, then asks you)";
pub const ANSWERED_ELSEWHERE: &str = "Already answered";
pub const CONFIRM_AGAIN: &str = "press y again to send another reply anyway, esc to drop it";
/// A chaser another clerk is answering ([team]): the second `y` takes their claim over.
pub const CONFIRM_TAKE_OVER: &str =
    "press y again to answer it anyway (recorded in the log with both names), esc to leave it to them";
/// Beside "Maria is answering this" in a reply's preview.
pub const HELD_ADVICE: &str =
    "press y twice to answer it anyway (recorded in the log with both names), esc to leave it to them";
/// A chaser that could not be claimed for a reply ([team]).
pub const NOT_CLAIMED: &str = "the chaser could not be claimed for you";
/// The list's mark of a chaser another clerk is answering.
pub const CLAIMED_MARK: &str = "✎";
pub const HELP_TITLE: &str = "Keys — j/k scroll, Esc closes";
/// The help overlay's sections (one per key scope).
pub const HELP_SECTIONS: usize = 6;
pub const HELP_FOOTER: &str = "Keys can be changed in the config's [keys] table: action = \"key\".";
/// One part of a screen's key hint: the first key of each action, joined by "/", then the
/// word ("a/e/n/c/d/x:reply"). Drawn from the keymap in force, so `[keys]` overrides show.
pub struct Hint(pub &'static [Action], pub &'static str);

const REPLY_ACTIONS: &[Action] = &[
    Action::Acknowledge,
    Action::SetExpectations,
    Action::Negotiate,
    Action::ConfirmPayment,
    Action::DisputeAmount,
    Action::Escalate,
];

pub const HINT_MAILBOX: &[Hint] = &[
    Hint(&[Action::Help], "help"),
    Hint(REPLY_ACTIONS, "reply"),
    Hint(&[Action::Move], "move"),
    Hint(&[Action::Filter], "search"),
    Hint(&[Action::Sort], "sort"),
    Hint(&[Action::Quit], "quit"),
];
pub const HINT_MESSAGE: &[Hint] = &[
    Hint(&[Action::Help], "help"),
    Hint(REPLY_ACTIONS, "reply"),
    Hint(&[Action::Move], "move"),
    Hint(&[Action::Thread], "thread"),
    Hint(&[Action::Back], "back"),
];
pub const HINT_THREAD: &[Hint] = &[
    Hint(&[Action::Open], "open"),
    Hint(REPLY_ACTIONS, "reply"),
    Hint(&[Action::Back], "back"),
];
pub const HINT_REPLY: &[Hint] = &[
    Hint(&[Action::Send], "send"),
    Hint(&[Action::EditReply], "edit"),
    Hint(&[Action::Back], "cancel"),
];
/// A blocked preview offers no send key (why is shown above the text).
pub const HINT_REPLY_BLOCKED_WHY: &str = "not sendable with one key (see why above)";
pub const HINT_REPLY_BLOCKED: &[Hint] = &[
    Hint(&[Action::EditReply], "edit"),
    Hint(&[Action::Back], "cancel"),
];
pub const HINT_REPLY_DEMO: &str = "demo: y files it in a local outbox, nothing is sent";
pub const HINT_PAYABLES: &[Hint] = &[
    Hint(&[Action::StatusFilter], "status"),
    Hint(&[Action::Filter], "vendor"),
    Hint(&[Action::MarkPaid], "paid"),
    Hint(&[Action::Schedule], "schedule"),
    Hint(&[Action::Back], "back"),
];
pub const HINT_DASHBOARD: &[Hint] = &[
    Hint(&[Action::Down, Action::Up], "select"),
    Hint(&[Action::Open], "open"),
    Hint(&[Action::Back], "back"),
    Hint(&[Action::SyncNow], "sync"),
];

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
pub const FOLDER_TO_ANSWER: &str = "To answer";
pub const FOLDER_SUSPICIOUS: &str = "⚠ Suspicious";
pub const FOLDER_ALL: &str = "All folders";
/// The list's state on the title line: its search and its order.
pub fn list_state_words(search: Option<&str>, sort: Option<&str>) -> String {
    let search = search.map(|s| format!("search “{s}”"));
    let sort = sort.map(|s| format!("by {s}"));
    search
        .into_iter()
        .chain(sort)
        .collect::<Vec<_>>()
        .join(" · ")
}
pub const EMPTY_TO_ANSWER: &str = "nothing to answer — every chaser has a reply";
pub const THREAD_TITLE: &str = "Conversation";
pub const THREAD_LEGEND: &str = "→ our replies; enter opens a message";
pub const THREAD_EMPTY: &str = "no other message of this invoice or conversation";
pub const NOT_IN_THREAD: &str = "our reply: nothing to open (it is shown here as sent)";

/// The list's badge for a validation result.
pub fn badge(match_status: Option<MatchStatus>) -> &'static str {
    match match_status {
        Some(MatchStatus::Matched) => "matched",
        Some(MatchStatus::AmountMismatch) => "≠ amount",
        Some(MatchStatus::UnknownInvoice) => "unknown",
        Some(MatchStatus::AlreadyPaid) => "paid",
        Some(MatchStatus::Disputed) => "disputed",
        None => "",
    }
}

/// A validation result in words, for the message view.
pub fn match_words(match_status: MatchStatus) -> &'static str {
    match match_status {
        MatchStatus::Matched => "matches our record",
        MatchStatus::AmountMismatch => "amount differs from our record",
        MatchStatus::UnknownInvoice => "invoice not in our payables",
        MatchStatus::AlreadyPaid => "we already paid this invoice",
        MatchStatus::Disputed => "we dispute this invoice",
    }
}

/// A fraud flag in words.
pub fn risk_words(flag: Risk) -> &'static str {
    match flag {
        Risk::BankChange => "asks to pay to new or different bank details",
        Risk::LookalikeDomain => "the sender's domain imitates a known one",
        Risk::ReplyToMismatch => "replies would go to another domain (Reply-To)",
        Risk::UnknownSender => "the sender is not one of our vendors",
        Risk::AuthFail => "the sender's server failed authentication (SPF/DKIM/DMARC)",
    }
}

pub const FRAUD_TITLE: &str =
    "POSSIBLE FRAUD — do not pay or change bank details on this message's word";
pub const FRAUD_ADVICE: &str =
    "Call the vendor on a number you already have before acting; replying with one key is disabled.";
pub const FRAUD_MARK: &str = "!";
/// The list's check column on a message under a fraud alarm: never a green "matched".
pub const FRAUD_BADGE: &str = "! fraud?";
/// After the check of a message under a fraud alarm.
pub const CHECK_UNDER_ALARM: &str =
    ", but the sender may not be the vendor (see the warning above)";

/// The banner's last row when warnings are below it.
pub fn fraud_more(rows: u16) -> String {
    format!(" ↓ {rows} more row(s) of warnings: j scrolls ")
}

/// The note above a message whose only warning is an unknown sender claiming nothing.
pub fn quiet_note(what: &str) -> String {
    format!("Note: {what}; it claims no money, so no fraud alarm (one-key replies stay off).")
}
pub const UNREAD_MARK: &str = "•";
pub const ANSWERED_MARK: &str = "↩";
/// The list's check column for a fraud-flagged message (never a green "matched").
pub const FLAGGED_BADGE: &str = "flagged";
/// The list's thread mark: how many messages the row's conversation has (itself
/// included), blank when it is alone.
pub fn thread_mark(size: usize) -> String {
    match size {
        0 | 1 => " ".into(),
        2..=9 => size.to_string(),
        _ => "+".into(),
    }
}
/// A row marked for a batch (space, V).
pub const MARKED: &str = "*";

pub const PROMPT_FILTER: &str = "Search: ";
pub const PROMPT_VENDOR: &str = "Vendor: ";
pub const PROMPT_PAY_ON: &str = "Pay on (YYYY-MM-DD): ";
pub const PROMPT_PAID_ON: &str = "Paid on (YYYY-MM-DD): ";
pub const PROMPT_SCHEDULE: &str = "Schedule for (YYYY-MM-DD): ";
pub const PICK_FOLDER: &str = "Move to folder (Enter picks, Esc cancels)";
pub const PICK_VERDICT: &str = "This message is… (Enter picks, Esc cancels)";
pub const PICK_TEMPLATE: &str = "Edit which template? (Enter picks, Esc cancels)";

pub const PROMPT_SAVE_TO: &str = "Save the attachments in folder: ";
pub const SAVE_TO_DEFAULT: &str = "~/Downloads";
pub const SAVING: &str = "saving the attachments…";
pub const PAST_PAY_DATE: &str =
    "that date is in the past: a payment promise needs today or a later date";
pub const BAD_DATE: &str = "not a date: write it as YYYY-MM-DD (for example 2026-12-01)";
pub const NO_MESSAGE: &str = "no message selected: move to one with j/k first";
pub const NO_UNDO: &str =
    "nothing to undo: no move or payable change left to take back in this session";
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

/// What the status line says after a payable changed.
pub fn payable_changed(action: &crate::actions::payables::PayableAction) -> String {
    use crate::actions::payables::Change;
    let who = match &action.vendor {
        Some(v) => format!("{} ({v})", action.invoice),
        None => action.invoice.clone(),
    };
    match &action.change {
        Change::Paid {
            on,
            reference: Some(r),
        } => format!("{who} marked paid on {on}, reference {r}"),
        Change::Paid { on, .. } => format!("{who} marked paid on {on}"),
        Change::Scheduled { on } => format!("{who} scheduled for {on}"),
    }
}

/// The sync state when the mailbox cannot be reached.
pub fn cannot_reach(server: &str) -> String {
    format!("cannot reach {server}")
}

/// The sync state when a pass failed on the way.
pub fn sync_failed(server: &str) -> String {
    format!("sync with {server} failed")
}

/// The sync pass's warnings, for the status line: how many, then each.
pub fn sync_warnings(warnings: &[Warning]) -> String {
    let each: Vec<String> = warnings.iter().map(sync_warning).collect();
    format!(
        "the last sync could not do everything ({}): {}",
        match warnings.len() {
            1 => "1 warning".to_string(),
            n => format!("{n} warnings"),
        },
        each.join(" · ")
    )
}

/// One warning of a sync pass, in the UI's terms.
pub fn sync_warning(w: &Warning) -> String {
    match w {
        Warning::Text(text) => text.clone(),
        Warning::Unresolved(entries) => unresolved_replies(entries),
    }
}

/// Replies whose outcome is unknown and that the Sent folder does not show: what is held,
/// what to find out, and where in the UI to settle each (the opened Sent item's key).
pub fn unresolved_replies(entries: &[OutboxEntry]) -> String {
    let list: Vec<String> = entries
        .iter()
        .map(|e| format!("#{} '{}' to {}", e.id, e.template, e.envelope_to))
        .collect();
    let (replies, it) = match entries.len() {
        1 => ("an earlier reply".to_string(), "it"),
        n => (format!("{n} earlier replies"), "each"),
    };
    format!(
        "{replies} ({}) may have reached the vendor: the outcome is unknown and the Sent folder does not have {}, so no reply is sent until {it} is settled; ask the vendor whether {} arrived, then open {it} in the Sent folder and settle {it} there",
        list.join(", "),
        if entries.len() == 1 { "it" } else { "them" },
        if entries.len() == 1 { "it" } else { "they" },
    )
}

/// The team database ([database] url) could not be used at a sync pass, in the UI's terms.
pub fn team_down(e: &crate::store::StoreError) -> String {
    match e {
        // What failed and what to do first: the status line is one line.
        crate::store::StoreError::TeamUnreachable { shown, reason } => format!(
            "the team database cannot be reached: mail can be read, replies are refused until it answers (so no chaser is answered twice); check that {shown} is up, then sync (s) · {reason}"
        ),
        other => format!(
            "the team database cannot be used: mail can be read, replies are refused until it can · {other}"
        ),
    }
}

pub const CANNOT_READ_PAYABLES: &str = "cannot read the payables";

/// A worker thread has ended (it panicked or was stopped): only a restart helps.
pub fn worker_gone(what: &str) -> String {
    format!("the {what} worker has stopped; quit (q) and start duebox again")
}

pub const MESSAGE_GONE: &str =
    "that message is gone from the store (moved or deleted by a sync); go back (esc)";

/// A move the server or the database refused (the cause follows).
pub const NOT_MOVED: &str = "the message was not moved";
/// A correction that could not be kept (the cause follows).
pub const NOT_CORRECTED: &str = "the correction was not kept";
/// A payable change that was not recorded (the cause follows).
pub const NOT_CHANGED: &str = "the payable was not changed";
/// `t` where the reply layer gives no template files.
pub const NO_TEMPLATE_EDITING: &str = "editing templates is not available in this build yet (the reply layer provides the template files)";

/// A template edit that did not happen (the cause follows).
pub fn template_not_edited(name: &str) -> String {
    format!("template {name} was not edited")
}

/// A template edit with a mistake, undone (the mistake follows).
pub fn template_kept(name: &str) -> String {
    format!("template {name} not changed, the previous version is kept (t edits it again)")
}

/// The editor ended without saying how.
pub const REPLY_NOT_PREPARED: &str = "the reply was not prepared";
pub const CANNOT_READ_SENT: &str = "cannot read the replies for the Sent folder";
pub const REPLY_NOT_EDITED: &str = "the reply was not edited (the preview is as it was)";
pub const ATTACHMENTS_NOT_SAVED: &str = "the attachments were not saved";
pub const EDITOR_DID_NOT_RUN: &str = "the editor did not run";

/// The claim against our records, in words: against one record, or the sum of several.
pub fn comparison_words(c: &Comparison, single: bool) -> String {
    let (claimed, currency, total) = (c.claimed, &c.currency, c.recorded);
    let what = if single {
        "recorded"
    } else {
        "the sum of our records"
    };
    match c.difference {
        Difference::Equal => format!("Claimed {claimed} {currency} equals {what}."),
        Difference::More(by) => {
            format!("Claimed {claimed} {currency}: {by} {currency} more than {what} ({total} {currency}).")
        }
        Difference::Less(by) => {
            format!("Claimed {claimed} {currency}: {by} {currency} less than {what} ({total} {currency}).")
        }
        Difference::OtherCurrency => {
            format!("Claimed in {currency}, recorded in another currency.")
        }
    }
}
