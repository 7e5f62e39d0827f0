//! The pure `update` for the payables actions and the undo stack, key by key: `P` on a paid
//! row asks first, `S` on a paid or disputed row is refused with the reason, an unlikely date
//! asks, `u` takes back moves and payable changes one step at a time in the folder pane's
//! words. No worker, store or terminal (the flows through them are in tui_payables.rs).

use chrono::NaiveDate;
use duebox::actions::payables::{Change, Done, PayableAction};
use duebox::payables::{Payable, Status};
use duebox::sync::user_move::UserMove;
use duebox::tui::effect::Effect;
use duebox::tui::keymap::Keymap;
use duebox::tui::msg::Msg;
use duebox::tui::state::{folder_entries, App, Overlay, Screen};
use duebox::tui::update::update;
use rust_decimal::Decimal;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn app() -> App {
    let mut app = App::new(
        Keymap::default(),
        day(20),
        false,
        "test".into(),
        folder_entries(&Default::default()),
    );
    update(&mut app, Msg::Resize(100, 30));
    app
}

use duebox::tui::harness::press;

fn clear(app: &mut App) {
    press(app, "ctrl-u");
}

fn payable(status: Status) -> Payable {
    Payable {
        vendor: "Acme".into(),
        vendor_email: "billing@acme.test".into(),
        invoice_number: "INV-7".into(),
        amount: Decimal::new(61500, 2),
        currency: "GBP".into(),
        issue_date: day(1),
        due_date: day(10),
        status,
        paid_on: (status == Status::Paid).then(|| day(12)),
        reference: None,
        scheduled_on: None,
    }
}

/// The payables screen with one row.
fn on_payables(row: Payable) -> App {
    let mut app = app();
    press(&mut app, "p");
    update(&mut app, Msg::PayablesLoaded(vec![row]));
    app
}

fn question(app: &App) -> String {
    match &app.overlay {
        Some(Overlay::Confirm(c)) => c.question.clone(),
        other => panic!("no question open: {other:?}"),
    }
}

fn prompt_label(app: &App) -> &'static str {
    match &app.overlay {
        Some(Overlay::Prompt(p)) => p.label,
        other => panic!("no prompt open: {other:?}"),
    }
}

#[test]
fn p_on_a_paid_row_asks_before_changing_the_date() {
    let mut app = on_payables(payable(Status::Paid));
    assert!(press(&mut app, "P").is_empty());
    assert_eq!(
        question(&app),
        "INV-7 is already paid on 2026-11-12: change its payment date?"
    );
    // Any key but y/n leaves the question open; n changes nothing.
    assert!(press(&mut app, "enter").is_empty());
    assert!(matches!(app.overlay, Some(Overlay::Confirm(_))));
    assert!(press(&mut app, "n").is_empty());
    assert!(app.overlay.is_none());
    assert_eq!(app.status.note.as_deref(), Some("nothing changed"));
    // y: the date, the reference, and the change confirmed once, not asked again.
    press(&mut app, "P y");
    assert!(prompt_label(&app).starts_with("Paid on"));
    clear(&mut app);
    press(&mut app, "2 0 2 6 - 1 1 - 1 5 enter");
    assert!(prompt_label(&app).starts_with("Payment reference"));
    let effects = press(&mut app, "enter");
    assert_eq!(
        effects,
        [Effect::MarkPaid {
            vendor: "Acme".into(),
            invoice: "INV-7".into(),
            on: day(15),
            reference: None,
            confirmed: true,
        }]
    );
}

#[test]
fn p_on_an_open_row_asks_only_about_an_unlikely_date_and_refuses_a_future_one() {
    let mut app = on_payables(payable(Status::Open));
    press(&mut app, "P");
    clear(&mut app);
    press(&mut app, "2 0 2 6 - 1 2 - 0 1 enter");
    assert!(
        app.status
            .error
            .as_deref()
            .is_some_and(|e| e.contains("in the future")),
        "{:?}",
        app.status
    );
    assert!(
        prompt_label(&app).starts_with("Paid on"),
        "stays to be corrected"
    );
    clear(&mut app);
    press(&mut app, "2 0 2 0 - 1 1 - 1 5 enter");
    let effects = press(&mut app, "enter");
    assert!(effects.is_empty(), "{effects:?}");
    assert!(question(&app).contains("before the invoice was issued"));
    let effects = press(&mut app, "y");
    assert!(
        matches!(&effects[..], [Effect::MarkPaid { confirmed: true, on, .. }] if on.to_string() == "2020-11-15"),
        "{effects:?}"
    );
}

#[test]
fn s_on_a_paid_or_disputed_row_is_refused_with_the_reason() {
    for (status, why) in [
        (Status::Paid, "already paid (on 2026-11-12)"),
        (Status::Disputed, "is disputed"),
    ] {
        let mut app = on_payables(payable(status));
        assert!(press(&mut app, "S").is_empty());
        assert!(app.overlay.is_none(), "no date asked for a {status:?} row");
        let error = app.status.error.clone().unwrap_or_default();
        assert!(error.contains(why), "{error}");
    }
}

#[test]
fn s_with_a_past_date_asks_first() {
    let mut app = on_payables(payable(Status::Open));
    press(&mut app, "S");
    assert!(prompt_label(&app).starts_with("Schedule for"));
    clear(&mut app);
    assert!(press(&mut app, "2 0 2 6 - 1 1 - 1 9 enter").is_empty());
    assert_eq!(
        question(&app),
        "2026-11-19 is in the past (today is 2026-11-20); schedule for it anyway?"
    );
    let effects = press(&mut app, "y");
    assert_eq!(
        effects,
        [Effect::Schedule {
            vendor: "Acme".into(),
            invoice: "INV-7".into(),
            on: day(19),
            confirmed: true,
        }]
    );
}

fn moved(row: i64, from: &str, to: &str) -> UserMove {
    UserMove {
        row,
        message_id: format!("<m{row}@x>"),
        from: from.into(),
        to: to.into(),
    }
}

/// The reverse move the sync worker answers an undo with.
fn back(m: &UserMove) -> UserMove {
    UserMove {
        from: m.to.clone(),
        to: m.from.clone(),
        ..m.clone()
    }
}

#[test]
fn u_twice_undoes_two_moves_latest_first_in_the_folder_panes_words() {
    let mut app = app();
    let first = moved(1, "Chasers/Overdue", "Archive");
    let second = moved(2, "INBOX", "Chasers/Final notices");
    update(&mut app, Msg::Moved(Ok(first.clone())));
    update(&mut app, Msg::Moved(Ok(second.clone())));
    assert_eq!(
        app.status.note.as_deref(),
        Some("moved to Final — u undoes")
    );
    assert_eq!(press(&mut app, "u"), [Effect::UndoMove(second.clone())]);
    // A second u while the first is on its way asks nothing more.
    assert!(press(&mut app, "u").is_empty());
    update(&mut app, Msg::Undone(Ok(back(&second))));
    assert_eq!(
        app.status.note.as_deref(),
        Some("moved back to Inbox (1 more step to undo)")
    );
    assert_eq!(press(&mut app, "u"), [Effect::UndoMove(first.clone())]);
    update(&mut app, Msg::Undone(Ok(back(&first))));
    assert_eq!(app.status.note.as_deref(), Some("moved back to Overdue"));
    assert!(press(&mut app, "u").is_empty());
    assert!(app
        .status
        .error
        .as_deref()
        .unwrap()
        .starts_with("nothing to undo"));
}

#[test]
fn a_failed_undo_stays_on_the_stack_to_try_again() {
    let mut app = app();
    let m = moved(1, "INBOX", "Archive");
    update(&mut app, Msg::Moved(Ok(m.clone())));
    press(&mut app, "u");
    update(
        &mut app,
        Msg::Undone(Err("cannot reach imap.example.com".into())),
    );
    assert_eq!(press(&mut app, "u"), [Effect::UndoMove(m)]);
}

#[test]
fn u_takes_back_a_payable_change_and_a_move_in_the_order_they_were_made() {
    let mut app = on_payables(payable(Status::Open));
    let m = moved(3, "INBOX", "Archive");
    update(&mut app, Msg::Moved(Ok(m.clone())));
    let done = Done {
        action: PayableAction {
            invoice: "INV-7".into(),
            vendor: Some("Acme".into()),
            change: Change::Paid {
                on: day(19),
                reference: None,
            },
        },
        before: payable(Status::Open),
    };
    let effects = update(&mut app, Msg::PayableChanged(Ok(done.clone())));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadPayables { .. })),
        "the screen shows the change: {effects:?}"
    );
    assert!(
        effects.iter().any(|e| matches!(e, Effect::LoadFolders)),
        "the chasers' checks are read again: {effects:?}"
    );
    assert_eq!(press(&mut app, "u"), [Effect::UndoPayable(done.clone())]);
    update(&mut app, Msg::PayableUndone(Ok(done)));
    assert_eq!(
        app.status.note.as_deref(),
        Some("undone: INV-7 (Acme) is open again (1 more step to undo)")
    );
    assert!(matches!(app.top(), Some(Screen::Payables(_))));
    assert_eq!(press(&mut app, "u"), [Effect::UndoMove(m)]);
}

fn chaser(id: i64, risk: Vec<duebox::classify::risk::Risk>) -> duebox::store::Summary {
    duebox::store::Summary {
        id,
        subject: format!("Reminder: invoice INV-{id}"),
        vendor: Some("Acme".into()),
        invoices: vec![format!("INV-{id}")],
        kind: Some(duebox::classify::Kind::Chaser),
        risk,
        ..Default::default()
    }
}

fn preview(message: i64) -> duebox::tui::replies::ReplyPreview {
    duebox::tui::replies::ReplyPreview {
        draft_id: message as u64,
        message,
        template: "acknowledge".into(),
        from: "ap@northwind.test".into(),
        to: "billing@acme.test".into(),
        subject: format!("Re: Reminder: invoice INV-{message}"),
        body: "We have received it.".into(),
        warnings: Vec::new(),
        blocked: None,
        answered_elsewhere: None,
        again: false,
        held_by: None,
        take_over: false,
    }
}

#[test]
fn marked_chasers_are_acknowledged_after_one_preview_and_fraud_is_left_out() {
    use duebox::classify::risk::Risk;
    let mut app = app();
    let rows = vec![
        chaser(1, vec![]),
        chaser(2, vec![Risk::BankChange]),
        chaser(3, vec![]),
        chaser(4, vec![]),
    ];
    app.mailbox.list = duebox::tui::state::ListState {
        folder: "INBOX".into(),
        kind: Some(duebox::tui::state::FolderKind::Mail),
        page: duebox::store::Page {
            offset: 0,
            total: rows.len(),
            rows,
        },
        ..Default::default()
    };
    // space marks and moves down; V … V marks a range (here rows 2 to 3).
    press(&mut app, "space V j V");
    let marked: Vec<i64> = app.mailbox.list.marked.iter().map(|m| m.id).collect();
    assert_eq!(marked, [1, 2, 3]);
    assert_eq!(press(&mut app, "space"), []);
    // space on row 3 unmarks it.
    let marked: Vec<i64> = app.mailbox.list.marked.iter().map(|m| m.id).collect();
    assert_eq!(marked, [1, 2]);
    press(&mut app, "k space");
    let effects = press(&mut app, "a");
    assert_eq!(
        effects,
        [Effect::PrepareBatch {
            messages: vec![1, 3],
            template: "acknowledge".into()
        }]
    );
    match app.top() {
        Some(Screen::Batch(b)) => {
            assert_eq!(b.left_out.len(), 1);
            assert_eq!(b.left_out[0].0.id, 2);
            assert!(b.left_out[0].1.contains("fraud warning"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        app.mailbox.list.marked.is_empty(),
        "the marks went into the batch"
    );
    // No send before the previews are there.
    assert!(press(&mut app, "y").is_empty());
    update(
        &mut app,
        Msg::BatchPrepared(vec![(1, Ok(preview(1))), (3, Ok(preview(3)))]),
    );
    let effects = press(&mut app, "y");
    assert_eq!(
        effects,
        [Effect::SendReply(preview(1)), Effect::SendReply(preview(3))]
    );
    assert!(
        press(&mut app, "y").is_empty(),
        "a second y sends nothing more"
    );
    update(
        &mut app,
        Msg::ReplySent {
            message: 1,
            result: Ok("reply sent".into()),
        },
    );
    update(
        &mut app,
        Msg::ReplySent {
            message: 3,
            result: Err(duebox::tui::replies::NotSent::AnsweredElsewhere(
                "by Jo".into(),
            )),
        },
    );
    assert_eq!(
        app.status.note.as_deref(),
        Some("acknowledged 1 chaser(s); 1 not sent (see why in the batch)")
    );
    // Each outcome typed, the reason kept as the send service gave it (not flattened to words).
    {
        use duebox::tui::replies::NotSent;
        use duebox::tui::state::BatchOutcome;
        let Some(Screen::Batch(b)) = app.top() else {
            unreachable!()
        };
        let outcomes: Vec<_> = b.items.iter().map(|i| i.outcome.clone()).collect();
        assert_eq!(
            outcomes,
            [
                Some(BatchOutcome::Sent("reply sent".into())),
                Some(BatchOutcome::NotSent(NotSent::AnsweredElsewhere(
                    "by Jo".into()
                )))
            ]
        );
    }
    // Nothing is sent twice, not even the one answered elsewhere.
    assert!(press(&mut app, "y").is_empty());
    press(&mut app, "esc");
    assert!(app.top().is_none());
}

#[test]
fn x_asks_a_note_for_the_approver_and_puts_it_in_the_request() {
    let mut app = app();
    let rows = vec![chaser(5, vec![])];
    app.mailbox.list = duebox::tui::state::ListState {
        folder: "INBOX".into(),
        kind: Some(duebox::tui::state::FolderKind::Mail),
        page: duebox::store::Page {
            offset: 0,
            total: 1,
            rows,
        },
        ..Default::default()
    };
    assert!(press(&mut app, "x").is_empty());
    assert!(prompt_label(&app).starts_with("Note for the approver"));
    press(&mut app, "O K space t o space p a y");
    let effects = press(&mut app, "enter");
    assert_eq!(
        effects,
        [Effect::PrepareReplyAsked {
            message: 5,
            template: "escalate".into(),
            asked: duebox::reply::Asked {
                note: Some("OK to pay".into()),
                ..Default::default()
            },
        }]
    );
}

#[test]
fn dashboard_rows_are_selected_and_enter_opens_what_they_count() {
    use duebox::store::{AgingAmount, Bucket, ClaimRef, Dashboard};
    let mut app = app();
    press(&mut app, "D");
    let claim = |message| ClaimRef {
        message,
        vendor: "Acme".into(),
        invoices: vec![format!("INV-{message}")],
        amount: Decimal::new(1000, 2),
        due: Some(day(1)),
    };
    let amount = |bucket, ids: &[i64]| AgingAmount {
        bucket,
        currency: "EUR".into(),
        amount: Decimal::new(1000, 2),
        claims: ids.len() as u64,
        oldest: ids.first().copied(),
        items: ids.iter().map(|id| claim(*id)).collect(),
    };
    update(
        &mut app,
        Msg::DashboardLoaded(Dashboard {
            waiting: 2,
            oldest_waiting: Some("2026-11-01 09:00:00".into()),
            oldest_waiting_id: Some(7),
            aging: vec![
                amount(Bucket::NotYetDue, &[8]),
                amount(Bucket::Over90, &[9, 10]),
            ],
            outstanding: vec![("EUR".into(), Decimal::new(2000, 2), 2)],
            claims: Vec::new(),
            falling_due: vec![("EUR".into(), Decimal::new(500, 2), 1)],
        }),
    );
    // The waiting row first: the oldest unanswered chaser.
    assert_eq!(press(&mut app, "enter"), [Effect::LoadMessage(7)]);
    press(&mut app, "esc");
    // Then each bucket with claims, in order (empty buckets lead nowhere).
    assert_eq!(press(&mut app, "j enter"), [Effect::LoadMessage(8)]);
    press(&mut app, "esc");
    // A bucket of several claims lists them, the oldest due first, to pick one.
    assert!(press(&mut app, "j enter").is_empty());
    match &app.overlay {
        Some(Overlay::Picker(p)) => {
            assert_eq!(p.items[1].0, "Acme · INV-10 · 10.00 EUR · due 2026-11-01")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(press(&mut app, "j enter"), [Effect::LoadMessage(10)]);
    press(&mut app, "esc");
    // The last row: the payables falling due.
    assert_eq!(
        press(&mut app, "G enter"),
        [Effect::LoadPayables {
            status: Some(Status::Open),
            vendor: None
        }]
    );
    assert!(matches!(app.top(), Some(Screen::Payables(p)) if p.status == Some(Status::Open)));
}

#[test]
fn enter_on_a_sent_item_asks_for_its_outbox_entry() {
    use duebox::tui::replies::SentReply;
    let mut app = app();
    let sent = SentReply {
        at: "2026-11-20 10:00:00".into(),
        to: "billing@acme.test".into(),
        subject: "Re: Reminder".into(),
        status: "sent".into(),
        message: Some(1),
        outbox_id: Some(42),
    };
    let at = app
        .mailbox
        .folders
        .entries
        .iter()
        .position(|e| e.kind == duebox::tui::state::FolderKind::Sent)
        .unwrap();
    press(&mut app, "tab g");
    for _ in 0..at {
        press(&mut app, "j");
    }
    press(&mut app, "enter");
    update(&mut app, Msg::SentLoaded(vec![sent]));
    assert_eq!(press(&mut app, "enter"), [Effect::OpenSent { id: 42 }]);
    assert!(matches!(app.top(), Some(Screen::Sent(s)) if s.id == 42));
    // Reply keys make no sense here and do nothing.
    assert!(press(&mut app, "a").is_empty());
}
