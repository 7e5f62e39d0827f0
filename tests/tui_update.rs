//! The pure `update` for the main flows, key by key: the state each key leaves and the effects
//! it asks the runner for. No worker, store, server or terminal: `update` is a function of
//! the state and one message, so each step is checked exactly (the screens themselves are in
//! the snapshot tests beside these).

use chrono::NaiveDate;
use duebox::classify::risk::Risk;
use duebox::classify::Stage;
use duebox::payables::validate::MatchStatus;
use duebox::payables::{Payable, Status};
use duebox::store::{Page, Summary};
use duebox::tui::effect::Effect;
use duebox::tui::keymap::Keymap;
use duebox::tui::msg::Msg;
use duebox::tui::replies::ReplyPreview;
use duebox::tui::state::{folder_entries, App, ListState, Overlay, Screen};
use duebox::tui::update::update;
use rust_decimal::Decimal;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

fn chaser(id: i64, risk: Vec<Risk>) -> Summary {
    Summary {
        id,
        subject: format!("Reminder: invoice INV-{id}"),
        vendor: Some("Acme".into()),
        invoices: vec![format!("INV-{id}")],
        amount: Some(Decimal::new(61500, 2)),
        currency: Some("GBP".into()),
        kind: Some(duebox::classify::Kind::Chaser),
        stage: Some(Stage::Reminder),
        risk,
        match_status: Some(MatchStatus::Matched),
        ..Summary::default()
    }
}

/// The mailbox on INBOX with these rows loaded, the list focused.
fn app_with(rows: Vec<Summary>) -> App {
    let mut app = App::new(
        Keymap::default(),
        today(),
        false,
        "test".into(),
        folder_entries(&Default::default()),
    );
    update(&mut app, Msg::Resize(100, 30));
    app.mailbox.list = ListState {
        folder: "INBOX".into(),
        page: Page {
            offset: 0,
            total: rows.len(),
            rows,
        },
        ..ListState::default()
    };
    app
}

use duebox::tui::harness::press;

fn preview(message: i64, blocked: Option<&str>) -> ReplyPreview {
    ReplyPreview {
        draft_id: 1,
        message,
        template: "acknowledge".into(),
        from: "ap@northwind.test".into(),
        to: "billing@acme.test".into(),
        subject: "Re: Reminder".into(),
        body: "We have received it.".into(),
        warnings: Vec::new(),
        blocked: blocked.map(str::to_string),
        answered_elsewhere: None,
        again: false,
        held_by: None,
        take_over: false,
    }
}

#[test]
fn enter_opens_the_message_and_asks_for_it() {
    let mut app = app_with(vec![chaser(7, vec![])]);
    let effects = press(&mut app, "enter");
    assert!(
        matches!(app.top(), Some(Screen::Message(m)) if m.id == 7 && m.opened.is_none()),
        "{:?}",
        app.top()
    );
    assert!(effects.contains(&Effect::LoadMessage(7)), "{effects:?}");
    let effects = press(&mut app, "esc");
    assert!(app.top().is_none());
    assert!(!effects.contains(&Effect::LoadMessage(7)));
}

#[test]
fn one_key_prepares_a_reply_and_y_sends_exactly_the_preview() {
    let mut app = app_with(vec![chaser(7, vec![])]);
    let effects = press(&mut app, "a");
    assert_eq!(
        effects,
        [Effect::PrepareReply {
            message: 7,
            template: "acknowledge".into(),
            pay_on: None
        }]
    );
    let shown = preview(7, None);
    update(&mut app, Msg::ReplyPrepared(Ok(shown.clone())));
    assert!(matches!(app.top(), Some(Screen::Reply(r)) if r.preview == shown && !r.sending));
    let effects = press(&mut app, "y");
    assert_eq!(effects, [Effect::SendReply(shown)]);
    assert!(matches!(app.top(), Some(Screen::Reply(r)) if r.sending));
    // A second y while it is on its way sends nothing more.
    assert!(press(&mut app, "y").is_empty());
}

#[test]
fn a_blocked_preview_is_never_sent_with_one_key() {
    let mut app = app_with(vec![chaser(7, vec![Risk::BankChange])]);
    press(&mut app, "a");
    update(
        &mut app,
        Msg::ReplyPrepared(Ok(preview(7, Some("possible fraud")))),
    );
    let effects = press(&mut app, "y");
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::SendReply(_))),
        "{effects:?}"
    );
}

#[test]
fn escape_cancels_the_preview_without_sending() {
    let mut app = app_with(vec![chaser(7, vec![])]);
    press(&mut app, "a");
    update(&mut app, Msg::ReplyPrepared(Ok(preview(7, None))));
    let effects = press(&mut app, "esc");
    assert!(app.top().is_none(), "{:?}", app.top());
    assert!(!effects.iter().any(|e| matches!(e, Effect::SendReply(_))));
    // The worker is told, so that the claim on the chaser is given up.
    assert!(effects.contains(&Effect::DropReply(1)), "{effects:?}");
}

#[test]
fn a_chaser_another_clerk_is_answering_needs_a_second_y_and_says_who() {
    let mut app = app_with(vec![chaser(7, vec![])]);
    press(&mut app, "a");
    let held = ReplyPreview {
        held_by: Some("Maria is answering this (since 10:42)".into()),
        ..preview(7, None)
    };
    update(&mut app, Msg::ReplyPrepared(Ok(held.clone())));
    let effects = press(&mut app, "y");
    assert!(effects.is_empty(), "the first y only asks: {effects:?}");
    let said = app.status.error.clone().unwrap_or_default();
    assert!(
        said.contains("Maria is answering this (since 10:42)") && said.contains("press y again"),
        "{said}"
    );
    let effects = press(&mut app, "y");
    assert_eq!(
        effects,
        [Effect::SendReply(ReplyPreview {
            take_over: true,
            ..held
        })]
    );
}

#[test]
fn mark_paid_asks_the_date_and_hands_one_change_to_the_runner() {
    let mut app = app_with(vec![]);
    let effects = press(&mut app, "p");
    assert!(matches!(app.top(), Some(Screen::Payables(_))));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadPayables { .. })),
        "{effects:?}"
    );
    let row = Payable {
        vendor: "Acme".into(),
        vendor_email: "billing@acme.test".into(),
        invoice_number: "INV-7".into(),
        amount: Decimal::new(61500, 2),
        currency: "GBP".into(),
        issue_date: today(),
        due_date: today(),
        status: Status::Open,
        paid_on: None,
        reference: None,
        scheduled_on: None,
    };
    update(&mut app, Msg::PayablesLoaded(vec![row]));
    assert!(press(&mut app, "P").is_empty());
    assert!(matches!(app.overlay, Some(Overlay::Prompt(_))));
    // The date, then the payment's reference.
    assert!(press(&mut app, "enter").is_empty());
    assert!(
        matches!(&app.overlay, Some(Overlay::Prompt(p)) if p.label.starts_with("Payment reference")),
        "{:?}",
        app.overlay
    );
    press(&mut app, "B A C S");
    let effects = press(&mut app, "enter");
    let action = duebox::actions::payables::PayableAction {
        invoice: "INV-7".into(),
        vendor: Some("Acme".into()),
        change: duebox::actions::payables::Change::Paid {
            on: today(),
            reference: Some("BACS".into()),
        },
    };
    assert_eq!(
        effects,
        [Effect::MarkPaid {
            vendor: "Acme".into(),
            invoice: "INV-7".into(),
            on: today(),
            reference: Some("BACS".into()),
            confirmed: false,
        }]
    );
    let before = match app.top() {
        Some(Screen::Payables(p)) => p.rows[0].clone(),
        _ => unreachable!(),
    };
    update(
        &mut app,
        Msg::PayableChanged(Ok(duebox::actions::payables::Done { action, before })),
    );
    assert_eq!(
        app.status.note.as_deref(),
        Some("INV-7 (Acme) marked paid on 2026-11-20, reference BACS — u undoes")
    );
}

#[test]
fn s_asks_for_a_sync_and_the_answer_shows_in_the_status() {
    let mut app = app_with(vec![]);
    assert_eq!(press(&mut app, "s"), [Effect::SyncNow]);
}

#[test]
fn a_failed_change_is_told_and_changes_nothing_else() {
    let mut app = app_with(vec![]);
    press(&mut app, "p");
    update(
        &mut app,
        Msg::PayableChanged(Err("no payable with invoice number 'X'".into())),
    );
    assert_eq!(
        app.status.error.as_deref(),
        Some("no payable with invoice number 'X'")
    );
    assert!(matches!(app.top(), Some(Screen::Payables(_))));
}

/// The Sent screen with outbox entry 7 opened, its outcome `unsettled` or known.
fn on_sent_item(keymap: Keymap, unsettled: bool) -> App {
    use duebox::tui::state::{SentOpened, SentState};
    let mut app = app_with(Vec::new());
    app.keymap = keymap;
    app.stack.push(Screen::Sent(SentState {
        id: 7,
        opened: None,
        scroll: 0,
    }));
    update(
        &mut app,
        Msg::SentOpened {
            id: 7,
            result: Ok(Box::new(SentOpened {
                status: if unsettled { "unknown" } else { "sent" }.into(),
                unsettled,
                ..SentOpened::default()
            })),
        },
    );
    app
}

/// The service's answer for entry 7: not in Sent, so the user must say.
fn not_in_sent(elsewhere: Option<duebox::send::Elsewhere>, gaps: Vec<String>) -> Msg {
    Msg::Settled {
        id: 7,
        result: Ok(duebox::send::Resolved::Inconclusive { elsewhere, gaps }),
    }
}

#[test]
fn an_unknown_reply_is_settled_from_the_sent_screen_looking_in_sent_first() {
    use duebox::send::{Decision, Elsewhere, Resolved};
    use duebox::tui::state::PickPurpose;
    let mut app = on_sent_item(Keymap::default(), true);
    // The key asks the service to look first; nothing is recorded on a key alone.
    assert_eq!(
        press(&mut app, "r"),
        [Effect::Resolve {
            id: 7,
            decision: Decision::Check
        }]
    );
    assert!(app.status.busy.is_some());
    // Sent could not tell: the UI asks, "not known yet" first (Enter by habit does nothing).
    let effects = update(&mut app, not_in_sent(None, Vec::new()));
    assert!(effects.is_empty());
    assert!(app.status.busy.is_none());
    match &app.overlay {
        Some(Overlay::Picker(p)) => {
            assert_eq!(p.purpose, PickPurpose::Settle { id: 7 });
            assert_eq!(p.selected, 0);
            assert_eq!(p.items.len(), 3, "{:?}", p.items);
        }
        other => panic!("the question, not {other:?}"),
    }
    assert!(press(&mut app, "enter").is_empty());
    assert!(app.overlay.is_none());
    let note = app.status.note.clone().unwrap_or_default();
    assert!(note.contains("press r here again"), "{note}");
    assert!(!note.contains("duebox "), "{note}");
    // Asked again, "it arrived" is recorded; the opened item is then read again.
    press(&mut app, "r");
    update(&mut app, not_in_sent(None, Vec::new()));
    assert_eq!(
        press(&mut app, "j enter"),
        [Effect::Resolve {
            id: 7,
            decision: Decision::Arrived
        }]
    );
    assert_eq!(
        update(
            &mut app,
            Msg::Settled {
                id: 7,
                result: Ok(Resolved::Confirmed)
            }
        ),
        [Effect::OpenSent { id: 7 }]
    );
    assert!(app
        .status
        .note
        .as_deref()
        .unwrap()
        .contains("recorded as sent"));
    // Answered by someone else meanwhile: "send it again" says so and sends only "anyway".
    press(&mut app, "r");
    let jo = Elsewhere {
        who: Some("Jo <jo@northwind.test>".into()),
        when: Some("2026-11-20 09:30:00".into()),
        copy: Some("<their@reply>".into()),
    };
    update(
        &mut app,
        not_in_sent(Some(jo), vec!["the chaser's flags".into()]),
    );
    match &app.overlay {
        Some(Overlay::Picker(p)) => assert!(p.items[2].0.contains("Jo <jo@northwind.test>")),
        other => panic!("the question, not {other:?}"),
    }
    assert!(app
        .status
        .note
        .as_deref()
        .unwrap()
        .contains("the chaser's flags"));
    assert_eq!(
        press(&mut app, "G enter"),
        [Effect::Resolve {
            id: 7,
            decision: Decision::Resend { again: true }
        }]
    );
}

#[test]
fn the_settle_key_follows_keys_and_applies_only_to_an_unknown_reply() {
    let mine = Keymap::with_overrides(&std::collections::BTreeMap::from([(
        "resolve".to_string(),
        "R".to_string(),
    )]))
    .unwrap();
    let mut app = on_sent_item(mine, true);
    assert!(press(&mut app, "r").is_empty());
    assert_eq!(press(&mut app, "R").len(), 1);
    // A reply whose outcome is known has nothing to settle.
    let mut app = on_sent_item(Keymap::default(), false);
    assert!(press(&mut app, "r").is_empty());
    assert!(app.status.note.is_some());
    // Elsewhere the key does nothing.
    let mut app = app_with(vec![chaser(1, Vec::new())]);
    assert!(press(&mut app, "r").is_empty());
}
