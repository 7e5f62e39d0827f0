//! Opening things from the terminal UI on the demo mailbox: a Sent item shows exactly what
//! was sent and how its delivery stands; `o` hands an attachment to the viewer its mailcap
//! entry names (here a copy command, so the test sees what the viewer got), with the same
//! runner and workers as `duebox demo`.

mod tui_support;

use duebox::tui::state::Screen;
use std::time::Duration;
use tui_support::{demo_ui, DemoUi, WAIT};

fn open_message(ui: &mut DemoUi, folder: &str, filter: &str) {
    ui.open_folder(folder);
    ui.filter(filter);
    assert_eq!(ui.h.app.mailbox.list.len(), 1, "{}", ui.screen());
    ui.open_selected();
}

#[test]
fn enter_on_a_sent_item_shows_what_was_sent_and_its_delivery() {
    for (w, h) in [(80, 24), (120, 36)] {
        let mut ui = demo_ui(w, h);
        ui.acknowledge_in_inbox("Hartmann");
        ui.open_folder("Sent");
        assert!(ui.h.wait_until(WAIT, |a| !a.mailbox.list.sent.is_empty()));
        ui.h.press("enter");
        assert!(
            ui.h.wait_until(
                WAIT,
                |a| matches!(a.top(), Some(Screen::Sent(s)) if s.opened.is_some())
            ),
            "{}",
            ui.screen()
        );
        let sent_body = ui.bodies.lock().unwrap()[0].clone();
        let opened = match ui.h.app.top() {
            Some(Screen::Sent(s)) => s.opened.clone().unwrap(),
            _ => unreachable!(),
        };
        // Exactly the text that went out (line ends as the message carries them).
        assert_eq!(
            opened.body.replace("\r\n", "\n").trim_end(),
            sent_body.replace("\r\n", "\n").trim_end()
        );
        let screen = ui.screen();
        assert!(screen.contains("Delivery"), "{screen}");
        assert!(screen.contains("not sent — demo"), "{screen}");
        let first = sent_body.lines().next().unwrap();
        assert!(screen.contains(first), "{screen}");
        insta::assert_snapshot!(format!("sent_item_{w}x{h}"), screen);
        ui.h.press("esc");
        assert!(ui.h.app.top().is_none());
    }
}

#[test]
fn o_hands_the_attachment_to_its_mailcap_viewer() {
    let mut ui = demo_ui(100, 30);
    let dir = tempfile::tempdir().unwrap();
    let mailcap = dir.path().join("mailcap");
    let got = dir.path().join("viewer-got.pdf");
    std::fs::write(
        &mailcap,
        format!("application/pdf; cp %s '{}'\n", got.display()),
    )
    .unwrap();
    ui.h.runner.mailcaps = Some(vec![mailcap]);
    open_message(&mut ui, "Final", "Letzte Mahnung");
    let id = match ui.h.app.top() {
        Some(Screen::Message(m)) => m.id,
        _ => unreachable!(),
    };
    ui.h.press("o");
    ui.wait_note("opened");
    assert!(ui
        .h
        .app
        .status
        .note
        .as_deref()
        .unwrap()
        .starts_with("opened"));
    let raw = ui
        .demo
        .open_store()
        .unwrap()
        .detail(id)
        .unwrap()
        .unwrap()
        .raw;
    let parts = duebox::mail::attachments::parts(&raw).unwrap();
    assert_eq!(std::fs::read(&got).unwrap(), parts[0].bytes);
    // A message without attachments says so and runs nothing.
    ui.h.press("esc");
    ui.open_folder("Inbox");
    ui.filter("Hartmann");
    ui.open_selected();
    ui.h.press("o");
    assert_eq!(
        ui.h.app.status.error.as_deref(),
        Some("this message has no attachments")
    );
}

#[test]
fn batch_acknowledge_sends_each_marked_chaser_once_and_leaves_fraud_out() {
    for (w, h) in [(80, 24), (120, 36)] {
        let mut ui = demo_ui(w, h);
        // Review holds the flagged messages: marked, they are all left out, and say why.
        ui.open_folder("Review");
        ui.h.press("g V G V a");
        assert!(ui
            .h
            .wait_until(WAIT, |a| matches!(a.top(), Some(Screen::Batch(_)))));
        let screen = ui.screen();
        assert!(screen.contains("fraud warning"), "{screen}");
        insta::assert_snapshot!(format!("batch_fraud_left_out_{w}x{h}"), screen);
        ui.h.press("y");
        assert!(ui.h.app.status.error.is_some(), "nothing to send");
        ui.h.press("esc");
        // Three chasers of Overdue with a range, acknowledged in one go.
        ui.open_folder("Overdue");
        ui.h.press("g V j j V a");
        assert!(
            ui.h.wait_until(WAIT, |a| matches!(
                a.top(),
                Some(Screen::Batch(b)) if !b.preparing
            )),
            "{}",
            ui.screen()
        );
        insta::assert_snapshot!(format!("batch_preview_{w}x{h}"), ui.screen());
        let ready: Vec<i64> = match ui.h.app.top() {
            Some(Screen::Batch(b)) => b
                .items
                .iter()
                .filter(|i| i.ready().is_some())
                .map(|i| i.summary.id)
                .collect(),
            _ => unreachable!(),
        };
        assert!(!ready.is_empty());
        ui.h.press("y");
        assert!(
            ui.h.wait_until(WAIT, |a| a
                .status
                .note
                .as_deref()
                .is_some_and(|n| n.starts_with("acknowledged"))),
            "{}",
            ui.screen()
        );
        ui.h.press("y");
        ui.h.settle(Duration::from_millis(200));
        let mut answered: Vec<i64> = ui
            .sent
            .lock()
            .unwrap()
            .iter()
            .filter_map(|s| s.message)
            .collect();
        answered.sort();
        let mut want = ready.clone();
        want.sort();
        assert_eq!(answered, want, "each ready chaser once, nothing more");
        // They are answered now: the list marks them so.
        ui.h.press("esc");
        assert!(ui.h.wait_until(WAIT, |a| a
            .mailbox
            .list
            .page
            .rows
            .iter()
            .filter(|r| want.contains(&r.id))
            .all(|r| r.has_flag("\\Answered"))));
    }
}

#[test]
fn the_escalation_note_given_at_the_prompt_is_in_the_preview() {
    let mut ui = demo_ui(100, 30);
    ui.open_folder("Overdue");
    ui.h.press("x");
    ui.h.type_text("Please approve before Friday");
    ui.h.press("enter");
    assert!(
        ui.h.wait_until(WAIT, |a| matches!(
            a.top(),
            Some(Screen::Reply(r)) if r.preview.body.contains("Please approve before Friday")
        )),
        "{}",
        ui.screen()
    );
}

#[test]
fn marked_rows_and_a_range_being_marked_show_in_the_list() {
    let mut ui = demo_ui(80, 24);
    ui.open_folder("Overdue");
    ui.h.press("g space V j");
    let screen = ui.screen();
    let marked = screen.lines().filter(|l| l.contains("│*")).count();
    assert_eq!(
        marked, 3,
        "one marked, then the range from the next row to the cursor:\n{screen}"
    );
    insta::assert_snapshot!("list_marking_80x24", screen);
    ui.h.press("V esc");
    assert!(
        !ui.screen().contains("│*"),
        "esc drops the marks:\n{}",
        ui.screen()
    );
}

/// A reply whose outcome is unknown (the SMTP server's answer never came), queued in the
/// demo's outbox as the send service leaves one; its Message-ID.
fn unknown_reply(ui: &DemoUi) -> (i64, String, Vec<u8>) {
    use duebox::store::{NewReply, OutboxState};
    let message_id = "<unknown-1@northwind.test>".to_string();
    let raw = format!(
        "From: ap@northwind.test\r\nTo: billing@acme.test\r\nSubject: Re: Reminder INV-7\r\nMessage-ID: {message_id}\r\nDate: Fri, 20 Nov 2026 09:00:00 +0000\r\n\r\nWe have received your reminder.\r\n"
    )
    .into_bytes();
    let mut store = ui.demo.open_store().unwrap();
    let id = store
        .queue_reply(&NewReply {
            message_id: message_id.clone(),
            answers: None,
            template: "acknowledge".into(),
            escalation: false,
            vendor: Some("Acme".into()),
            invoice: Some("INV-7".into()),
            envelope_from: "ap@northwind.test".into(),
            envelope_to: "billing@acme.test".into(),
            subject: "Re: Reminder INV-7".into(),
            raw: raw.clone(),
            demo: false,
        })
        .unwrap();
    store
        .set_outbox_state(id, OutboxState::Sending, "handed to the SMTP server")
        .unwrap();
    store
        .set_outbox_state(id, OutboxState::Unknown, "no answer after the message")
        .unwrap();
    (id, message_id, raw)
}

/// Opens the Sent folder's only reply.
fn open_only_sent(ui: &mut DemoUi, id: i64) {
    ui.open_folder("Sent");
    assert!(ui.h.wait_until(WAIT, |a| !a.mailbox.list.sent.is_empty()));
    ui.h.press("enter");
    assert!(
        ui.h.wait_until(WAIT, |a| matches!(
            a.top(),
            Some(Screen::Sent(s)) if s.id == id && s.opened.is_some()
        )),
        "{}",
        ui.screen()
    );
}

fn outbox_state(ui: &DemoUi, id: i64) -> duebox::store::OutboxState {
    let store = ui.demo.open_store().unwrap();
    store.outbox_entry(id).unwrap().unwrap().state
}

#[test]
fn an_unknown_reply_is_settled_in_the_ui_after_sent_was_searched() {
    use duebox::store::OutboxState;
    for (w, h) in [(80, 24), (120, 36)] {
        let mut ui = demo_ui(w, h);
        let (id, _, _) = unknown_reply(&ui);
        open_only_sent(&mut ui, id);
        let screen = ui.screen();
        assert!(screen.contains("r:settle"), "{screen}");
        assert!(!screen.contains("duebox outbox"), "{screen}");
        ui.h.press("r");
        // The demo's Sent folder does not have it: the service asks.
        assert!(
            ui.h.wait_until(WAIT, |a| a.overlay.is_some()),
            "{}",
            ui.screen()
        );
        let screen = ui.screen();
        assert!(
            screen.contains("did the vendor get this reply?"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("settle_unknown_{w}x{h}"), screen);
        assert_eq!(
            outbox_state(&ui, id),
            OutboxState::Unknown,
            "asking records nothing"
        );
        // "Yes, the vendor has it".
        ui.h.press("j enter");
        assert!(
            ui.h.wait_until(WAIT, |a| matches!(
                a.top(),
                Some(Screen::Sent(s)) if s.opened.as_ref().is_some_and(|o| !o.unsettled)
            )),
            "{}",
            ui.screen()
        );
        assert_eq!(outbox_state(&ui, id), OutboxState::Sent);
        let screen = ui.screen();
        assert!(screen.contains("recorded as sent"), "{screen}");
        assert!(!screen.contains("r:settle"), "{screen}");
        assert!(ui.sent.lock().unwrap().is_empty(), "nothing was sent again");
    }
}

#[test]
fn an_unknown_reply_found_in_sent_is_recorded_without_a_question() {
    use duebox::store::OutboxState;
    let mut ui = demo_ui(100, 30);
    let (id, _, raw) = unknown_reply(&ui);
    // It went out after all: the copy is in the mailbox's Sent folder.
    ui.demo.server.lock().deliver("Sent", &raw);
    open_only_sent(&mut ui, id);
    ui.h.press("r");
    ui.wait_note("is in the Sent folder");
    assert_eq!(outbox_state(&ui, id), OutboxState::Sent);
    assert!(ui.h.app.overlay.is_none(), "no question: Sent told");
    assert!(ui.sent.lock().unwrap().is_empty(), "nothing was sent again");
}
