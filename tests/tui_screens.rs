//! Every screen of the terminal UI on the demo mailbox, as snapshots (tests/snapshots/), at
//! 80×24 (must be usable) and 120×36. After an intended change: `cargo insta review` (or
//! INSTA_UPDATE=always cargo test --test tui_screens).

mod tui_support;

use tui_support::{demo_ui, DemoUi, WAIT};

fn open_message(ui: &mut DemoUi, folder: &str, filter: &str) {
    ui.open_folder(folder);
    ui.filter(filter);
    assert_eq!(
        ui.h.app.mailbox.list.len(),
        1,
        "{filter} finds one message in {folder}:\n{}",
        ui.screen()
    );
    ui.h.press("enter");
    assert!(ui.h.wait_until(
        WAIT,
        |a| matches!(a.top(), Some(duebox::tui::state::Screen::Message(m)) if m.opened.is_some())
    ));
}

#[test]
fn mailbox_list_and_folder_counts() {
    for (w, h) in [(80, 24), (120, 36)] {
        let mut ui = demo_ui(w, h);
        insta::assert_snapshot!(format!("to_answer_{w}x{h}"), ui.screen());
        ui.open_folder("Inbox");
        insta::assert_snapshot!(format!("inbox_{w}x{h}"), ui.screen());
        ui.open_folder("Overdue");
        insta::assert_snapshot!(format!("overdue_{w}x{h}"), ui.screen());
    }
}

#[test]
fn message_with_an_amount_mismatch() {
    for (w, h) in [(80, 24), (120, 36)] {
        let mut ui = demo_ui(w, h);
        open_message(&mut ui, "Overdue", "A-7781");
        let screen = ui.screen();
        assert!(screen.contains("amount differs"), "{screen}");
        insta::assert_snapshot!(format!("message_mismatch_{w}x{h}"), screen);
    }
}

#[test]
fn message_with_a_pdf_attachment() {
    for (w, h) in [(80, 24), (120, 36)] {
        let mut ui = demo_ui(w, h);
        open_message(&mut ui, "Final", "Letzte Mahnung");
        let screen = ui.screen();
        assert!(screen.contains("Attached"), "{screen}");
        insta::assert_snapshot!(format!("message_pdf_{w}x{h}"), screen);
        ui.h.press("G");
        let end = ui.screen();
        assert!(end.contains("Text of the attached PDF"), "{end}");
        insta::assert_snapshot!(format!("message_pdf_text_{w}x{h}"), end);
    }
}

#[test]
fn fraud_banner() {
    for (w, h) in [(80, 24), (120, 36)] {
        let mut ui = demo_ui(w, h);
        open_message(&mut ui, "Review", "offlce");
        let screen = ui.screen();
        assert!(screen.contains("POSSIBLE FRAUD"), "{screen}");
        // The decisive warning, the other bank account, is on screen at every size.
        assert!(screen.contains("IBAN GB16 MYMB"), "{screen}");
        assert!(
            !screen.contains("matches our record\n"),
            "never a plain match: {screen}"
        );
        insta::assert_snapshot!(format!("fraud_banner_{w}x{h}"), screen);
    }
}

#[test]
fn reply_preview() {
    for (w, h) in [(80, 24), (120, 36)] {
        let mut ui = demo_ui(w, h);
        open_message(&mut ui, "Final", "IBS");
        ui.h.press("a");
        assert!(ui.h.wait_until(WAIT, |a| matches!(
            a.top(),
            Some(duebox::tui::state::Screen::Reply(_))
        )));
        insta::assert_snapshot!(format!("reply_preview_{w}x{h}"), ui.screen());
    }
}

#[test]
fn payables_dashboard_and_help() {
    for (w, h) in [(80, 24), (120, 36)] {
        let mut ui = demo_ui(w, h);
        ui.h.press("p");
        insta::assert_snapshot!(format!("payables_{w}x{h}"), ui.screen());
        ui.h.press("f");
        let open = ui.screen();
        assert!(open.contains("status: open"), "{open}");
        assert!(
            !open.contains(" paid "),
            "the filter leaves only open payables:\n{open}"
        );
        ui.h.press("esc D");
        insta::assert_snapshot!(format!("dashboard_{w}x{h}"), ui.screen());
        ui.h.press("esc ?");
        insta::assert_snapshot!(format!("help_{w}x{h}"), ui.screen());
    }
}

#[test]
fn the_sent_folder_says_demo_replies_were_not_sent() {
    let mut ui = demo_ui(100, 24);
    ui.acknowledge_in_inbox("Hartmann");
    ui.open_folder("Sent");
    let screen = ui.screen();
    assert!(screen.contains("not sent — demo"), "{screen}");
}

#[test]
fn a_stranger_claiming_nothing_gets_a_quiet_note_not_the_alarm() {
    for (w, h) in [(80, 24), (120, 36)] {
        let mut ui = demo_ui(w, h);
        open_message(&mut ui, "Inbox", "Payables Brief");
        let screen = ui.screen();
        assert!(!screen.contains("POSSIBLE FRAUD"), "{screen}");
        assert!(
            screen.contains("Note: the sender is not one of our vendors"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("quiet_note_{w}x{h}"), screen);
    }
}

#[test]
fn the_dashboard_scrolls_and_enter_opens_what_a_row_counts() {
    for (w, h) in [(80, 24), (120, 36)] {
        let mut ui = demo_ui(w, h);
        ui.h.press("D");
        assert!(ui.h.wait_until(WAIT, |a| matches!(
            a.top(),
            Some(duebox::tui::state::Screen::Dashboard(d)) if d.data.is_some()
        )));
        // The last rows (what falls due) come into view as the selection reaches them.
        ui.h.press("G");
        let end = ui.screen();
        assert!(end.contains("payable(s)"), "{end}");
        insta::assert_snapshot!(format!("dashboard_end_{w}x{h}"), end);
        ui.h.press("g enter");
        assert!(
            ui.h.wait_until(WAIT, |a| matches!(
                a.top(),
                Some(duebox::tui::state::Screen::Message(m)) if m.opened.is_some()
            )),
            "enter on the waiting row opens the oldest unanswered chaser"
        );
        let opened = match ui.h.app.top() {
            Some(duebox::tui::state::Screen::Message(m)) => m.opened.clone().unwrap(),
            _ => unreachable!(),
        };
        assert!(opened.detail.summary.is_chaser());
        assert!(!opened.detail.summary.has_flag("\\Answered"));
        // A bucket of several claims lists them to pick one (EUR 1–30 days: the third row).
        ui.h.press("esc g j j enter");
        let list = ui.screen();
        assert!(list.contains("Open which claim?"), "{list}");
        insta::assert_snapshot!(format!("dashboard_bucket_{w}x{h}"), list);
        ui.h.press("enter");
        assert!(ui.h.wait_until(WAIT, |a| matches!(
            a.top(),
            Some(duebox::tui::state::Screen::Message(m)) if m.opened.as_ref().is_some_and(|o| o.detail.summary.is_chaser())
        )));
        ui.h.press("esc G enter");
        assert!(ui.h.wait_until(WAIT, |a| matches!(
            a.top(),
            Some(duebox::tui::state::Screen::Payables(p)) if p.status == Some(duebox::payables::Status::Open) && !p.loading
        )));
    }
}
