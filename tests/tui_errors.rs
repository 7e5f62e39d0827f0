//! Errors at the UI boundary, typed and in the UI's words: a payable change the database
//! refuses names the key that helps (the keymap's, overrides included), never a `duebox …`
//! command; a reply refused says so without `--again` or CLI commands; a sync pass's
//! warnings reach the status line; a dropped connection, a server's NO and a user's mistake
//! are told apart.

use chrono::NaiveDate;
use duebox::actions::payables::PayableAction;
use duebox::send::OutboxError;
use duebox::store::{OutboxEntry, OutboxState, Store};
use duebox::sync::warning::Warning;
use duebox::tui::error::{not_sent, Cause, UiError};
use duebox::tui::keymap::Keymap;
use duebox::tui::msg::{Msg, SyncEvent};
use duebox::tui::state::{folder_entries, App};
use duebox::tui::update::update;
use duebox::tui::writer::{spawn_writer, WriteCmd};
use std::collections::BTreeMap;
use std::time::Duration;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

fn app(keymap: Keymap) -> App {
    let mut app = App::new(
        keymap,
        today(),
        false,
        "test".into(),
        folder_entries(&Default::default()),
    );
    update(&mut app, Msg::Resize(100, 30));
    app
}

/// What the UI's writer answers to marking an invoice paid that our records do not have.
fn refused_mark_paid() -> Msg {
    let (events, answers) = std::sync::mpsc::channel();
    let (writes, _) = spawn_writer(Store::in_memory().unwrap(), events);
    writes
        .send(WriteCmd::Payable {
            action: PayableAction::mark_paid("INV-NOWHERE", Some("Acme"), today()),
            today: today(),
            confirmed: false,
        })
        .unwrap();
    let msg = answers.recv_timeout(Duration::from_secs(10)).unwrap();
    let _ = writes.send(WriteCmd::Shutdown);
    msg
}

#[test]
fn a_refused_payable_change_names_the_uis_key_not_a_cli_command() {
    let msg = refused_mark_paid();
    let Msg::PayableChanged(Err(e)) = &msg else {
        panic!("{msg:?}");
    };
    assert_eq!(e.cause, Cause::Input);
    let mut a = app(Keymap::default());
    update(&mut a, msg);
    let shown = a.status.error.clone().unwrap_or_default();
    assert!(!shown.contains("duebox "), "{shown}");
    assert!(shown.contains("INV-NOWHERE"), "{shown}");
    assert!(shown.contains("press p to see the payables"), "{shown}");
    // The key in force, not the default.
    let keys = Keymap::with_overrides(&BTreeMap::from([(
        "payables".to_string(),
        "F2".to_string(),
    )]))
    .unwrap();
    let mut a = app(keys);
    update(&mut a, refused_mark_paid());
    let shown = a.status.error.clone().unwrap_or_default();
    assert!(shown.contains("press F2 to see the payables"), "{shown}");
}

#[test]
fn a_sync_passs_warnings_reach_the_status_line() {
    let mut a = app(Keymap::default());
    let warning = "the server refused to create the folder 'Chasers/Overdue': Over quota; mail for it waits in INBOX";
    update(
        &mut a,
        Msg::Sync(SyncEvent::Finished {
            at: "10:00".into(),
            new: 3,
            summary: "3 new".into(),
            warnings: vec![warning.into(), "another".into()],
        }),
    );
    let shown = a.status.error.clone().unwrap_or_default();
    assert!(shown.contains("2 warnings"), "{shown}");
    assert!(
        shown.contains(warning) && shown.contains("another"),
        "{shown}"
    );
    // A clean pass adds nothing.
    let mut a = app(Keymap::default());
    update(
        &mut a,
        Msg::Sync(SyncEvent::Finished {
            at: "10:05".into(),
            new: 0,
            summary: "0 new".into(),
            warnings: Vec::new(),
        }),
    );
    assert_eq!(a.status.error, None);
}

fn unknown_reply(id: i64, to: &str) -> OutboxEntry {
    OutboxEntry {
        id,
        message_id: format!("<r{id}@duebox.invalid>"),
        answers: None,
        template: "acknowledge".into(),
        escalation: false,
        vendor: None,
        invoice: None,
        envelope_from: "ap@ours.example".into(),
        envelope_to: to.into(),
        subject: "Re: overdue".into(),
        raw: Vec::new(),
        state: OutboxState::Unknown,
        error: None,
        created_at: "2026-12-01 09:00:00".into(),
        sent_at: None,
        saved_to_sent: false,
        flagged_answered: false,
        demo: false,
    }
}

#[test]
fn replies_of_unknown_outcome_are_worded_for_the_ui_and_the_cli() {
    let entries = vec![
        unknown_reply(12, "billing@acme.example"),
        unknown_reply(13, "ar@globex.example"),
    ];
    let mut a = app(Keymap::default());
    update(
        &mut a,
        Msg::Sync(SyncEvent::Finished {
            at: "10:00".into(),
            new: 0,
            summary: "0 new".into(),
            warnings: vec![Warning::Unresolved(entries.clone()), "another".into()],
        }),
    );
    let shown = a.status.error.clone().unwrap_or_default();
    let refused = not_sent(&OutboxError::Unresolved(entries.clone())).words(&Keymap::default());
    for words in [&shown, &refused] {
        assert!(
            words.contains("#12 'acknowledge' to billing@acme.example")
                && words.contains("#13 'acknowledge' to ar@globex.example"),
            "{words}"
        );
        assert!(
            words.contains("2 earlier replies (#12")
                && words.contains("may have reached the vendor"),
            "{words}"
        );
        assert!(
            !words.contains("duebox ") && !words.contains("--sent") && !words.contains("--resend"),
            "{words}"
        );
    }
    assert!(
        shown.contains("2 warnings") && shown.contains("another"),
        "{shown}"
    );
    // One reply reads as one; the terminal keeps its commands.
    let one = duebox::tui::strings::unresolved_replies(&entries[..1]);
    assert!(one.starts_with("an earlier reply (#12"), "{one}");
    assert!(one.contains("until it is settled"), "{one}");
    let cli = OutboxError::Unresolved(entries).to_string();
    assert!(cli.contains("`duebox outbox resolve ID --sent`"), "{cli}");
}

#[test]
fn a_refused_reply_is_worded_for_the_ui() {
    let keymap = Keymap::default();
    for e in [
        OutboxError::AlreadyAnswered {
            id: 4,
            template: "acknowledge".into(),
            at: "2026-11-20 09:00:00".into(),
        },
        OutboxError::Blocked("possible fraud: the bank details changed".into()),
    ] {
        let ui: UiError = not_sent(&e);
        let words = ui.words(&keymap);
        assert_eq!(ui.cause, Cause::Input, "{words}");
        assert!(words.starts_with("not sent"), "{words}");
        assert!(
            !words.contains("--again") && !words.contains("duebox "),
            "{words}"
        );
    }
}
