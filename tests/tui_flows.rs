//! Whole flows through the terminal UI on the demo mailbox, key by key, with the real
//! update, runner and worker threads (the demo's in-process server stands in for IMAP):
//! answering a chaser, filtering, moving and undoing, and what hostile or unusual text and
//! terminal sizes must not break.

mod tui_support;

use duebox::store::NewMessage;
use duebox::tui::state::{FolderKind, Screen, SyncStatus};
use duebox::tui::views::list::{columns, Col, Shape};
use std::time::Duration;
use tui_support::{demo_ui, WAIT};

#[test]
fn open_acknowledge_send_shows_in_sent() {
    let mut ui = demo_ui(100, 30);
    ui.open_folder("Final");
    ui.filter("IBS/26/0744");
    let id = ui.h.app.mailbox.list.selected_row().expect("the chaser").id;
    let todo_before = tui_support::entry(&ui.h.app, "Final").counts.unanswered;
    ui.open_selected();
    ui.preview("a");
    let preview = ui.screen();
    assert!(
        preview.contains("invoice IBS/26/0744 (£5,569.42)"),
        "{preview}"
    );
    assert!(
        ui.sent.lock().unwrap().is_empty(),
        "nothing is sent before y"
    );
    ui.h.press("y");
    ui.wait_note("not sent");
    assert!(
        matches!(ui.h.app.top(), Some(Screen::Message(_))),
        "back on the message"
    );
    assert!(
        ui.screen().contains("filed in the demo outbox"),
        "{}",
        ui.screen()
    );
    let sent = ui.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].message, Some(id));
    // The chaser is answered: flagged on the server and counted so.
    assert!(ui
        .h
        .wait_until(WAIT, |a| tui_support::entry(a, "Final").counts.unanswered
            == todo_before - 1));
    let server = ui.demo.server.lock();
    let answered = server
        .contents("Chasers/Final notices")
        .iter()
        .filter(|(_, flags, _)| flags.iter().any(|f| f == "\\Answered"))
        .count();
    assert_eq!(answered, 1);
    drop(server);
    ui.h.press("esc");
    ui.open_folder("Sent");
    assert!(ui
        .h
        .wait_until(WAIT, |a| a.mailbox.list.kind == Some(FolderKind::Sent)
            && a.mailbox.list.len() == 1));
    let screen = ui.screen();
    assert!(
        screen.contains("not sent — demo") && screen.contains("Re: FINAL NOTICE"),
        "{screen}"
    );
}

#[test]
fn escape_cancels_a_reply_and_fraud_blocks_one_key_sending() {
    let mut ui = demo_ui(100, 30);
    ui.open_folder("Overdue");
    ui.preview("a");
    ui.h.press("esc");
    assert!(ui.h.app.top().is_none());
    assert!(ui.screen().contains("nothing was sent"));
    ui.open_folder("Review");
    ui.filter("offlce");
    ui.preview("a");
    ui.h.press("y");
    ui.h.settle(Duration::from_millis(200));
    assert!(
        ui.sent.lock().unwrap().is_empty(),
        "a fraud-flagged message is not answered with one key"
    );
    assert!(
        ui.screen()
            .contains("not sent: this message carries fraud warnings"),
        "{}",
        ui.screen()
    );
}

#[test]
fn set_expectations_asks_the_date_defaulting_to_the_scheduled_run() {
    let mut ui = demo_ui(100, 30);
    ui.open_folder("Reminders");
    ui.filter("IBS/26/0902");
    ui.open_selected();
    ui.h.press("e");
    assert!(
        ui.screen().contains("Pay on (YYYY-MM-DD): 2026-11-27"),
        "{}",
        ui.screen()
    );
    ui.h.press("ctrl-u");
    ui.h.type_text("27/11");
    ui.h.press("enter");
    assert!(
        ui.screen().contains("not a date"),
        "a bad date stays in the prompt:\n{}",
        ui.screen()
    );
    ui.h.press("ctrl-u");
    ui.h.type_text("2026-12-01");
    ui.preview("enter");
    assert!(
        ui.screen().contains("payment on 1 December 2026"),
        "{}",
        ui.screen()
    );
}

#[test]
fn filter_narrows_and_clears() {
    let mut ui = demo_ui(120, 36);
    ui.open_folder("Overdue");
    let all = ui.h.app.mailbox.list.len();
    ui.filter("rochefort");
    let narrowed = ui.h.app.mailbox.list.len();
    assert!(narrowed >= 1 && narrowed < all, "{narrowed} of {all}");
    for i in 0..narrowed {
        let row = ui.h.app.mailbox.list.row(i).unwrap();
        assert!(
            row.vendor.as_deref().unwrap_or("").contains("Rochefort")
                || row.from_addr.as_deref().unwrap_or("").contains("rochefort")
        );
    }
    ui.filter("no such thing anywhere");
    assert!(ui.screen().contains("no message matches"));
    ui.filter("");
    assert_eq!(ui.h.app.mailbox.list.len(), all);
}

#[test]
fn move_then_undo() {
    let mut ui = demo_ui(100, 30);
    ui.open_folder("Inbox");
    let before = ui.h.app.mailbox.list.len();
    let row = ui.h.app.mailbox.list.selected_row().unwrap().clone();
    ui.h.press("m");
    assert!(ui.screen().contains("Move to folder"), "{}", ui.screen());
    ui.h.press("G enter");
    assert!(
        ui.h.wait_until(WAIT, |a| a.last_move().is_some()),
        "{}",
        ui.screen()
    );
    assert!(ui
        .h
        .wait_until(WAIT, |a| a.mailbox.list.len() == before - 1));
    assert!(ui.screen().contains("moved to Archive"), "{}", ui.screen());
    let mid = |raw: &[u8]| duebox::mail::parse(raw).unwrap().message_id;
    let in_archive: Vec<_> = ui
        .demo
        .server
        .lock()
        .contents("Archive")
        .iter()
        .map(|(_, _, raw)| mid(raw))
        .collect();
    assert_eq!(in_archive.len(), 1);
    ui.h.press("u");
    assert!(
        ui.h.wait_until(WAIT, |a| a.last_move().is_none()
            && a.mailbox.list.len() == before),
        "{}",
        ui.screen()
    );
    assert!(
        ui.screen().contains("moved back to Inbox"),
        "{}",
        ui.screen()
    );
    assert!(ui.demo.server.lock().contents("Archive").is_empty());
    assert_eq!(
        ui.h.app.mailbox.list.row(0).map(|r| r.id),
        Some(row.id),
        "the same message, the same place"
    );
    ui.h.press("u");
    assert!(ui.screen().contains("nothing to undo"));
}

/// Stores a message the way a careless or hostile sender might have it stored, and shows
/// the inbox again.
fn plant(ui: &mut tui_support::DemoUi, subjects: &[&str]) {
    let mut store = ui.demo.open_store().unwrap();
    let inbox = store.folder("INBOX").unwrap().id;
    for (i, s) in subjects.iter().enumerate() {
        store
            .store_message(
                inbox,
                &NewMessage {
                    uid: 9000 + i as u32,
                    message_id: Some(format!("<planted{i}@x>")),
                    sent_at: Some("2026-11-21 09:00:00".into()),
                    subject: Some(s.to_string()),
                    from_addr: Some("ar@example.com".into()),
                    vendor: Some(s.to_string()),
                    kind: Some("chaser".into()),
                    invoices: Some(format!("[\"{s}\"]")),
                    amount: Some("10.00".into()),
                    currency: Some("EUR".into()),
                    match_status: Some("matched".into()),
                    reasons: "[]".into(),
                    ..NewMessage::default()
                },
            )
            .unwrap();
    }
    ui.open_folder("Overdue");
    ui.open_folder("Inbox");
}

#[test]
fn hostile_subjects_cannot_reach_the_terminal() {
    let mut ui = demo_ui(100, 30);
    plant(
        &mut ui,
        &["\u{1b}]0;owned\u{7}PAID \u{1b}[2J\u{9b}31m in full\u{202e}cod.exe"],
    );
    let buf = ui.h.terminal.backend().buffer().clone();
    for cell in buf.content() {
        assert!(
            !cell
                .symbol()
                .chars()
                .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "control in {:?}",
            cell.symbol()
        );
    }
    let screen = ui.screen();
    assert!(
        screen.contains("PAID  in fullcod.exe") || screen.contains("PAID in fullcod"),
        "{screen}"
    );
    assert!(!screen.contains("owned"));
}

#[test]
fn wide_emoji_and_rtl_text_keep_the_columns() {
    let width = 120;
    let mut ui = demo_ui(width, 30);
    plant(
        &mut ui,
        &[
            "請求書の支払いについて督促状のお知らせ",
            "Payment 💸💸💸 overdue 🔥👨‍👩‍👧",
            "فاتورة متأخرة السداد رقم ١٢٣",
            "plain ascii subject",
        ],
    );
    let buf = ui.h.terminal.backend().buffer().clone();
    let list_x = duebox::tui::views::layout::folders_width(width);
    let cols = columns(width - list_x, Shape::default());
    let start = |col: Col| {
        list_x
            + cols
                .iter()
                .take_while(|(c, _)| *c != col)
                .map(|(_, w)| w + 1)
                .sum::<u16>()
    };
    let amount_end =
        start(Col::Amount) + cols.iter().find(|(c, _)| *c == Col::Amount).unwrap().1 - 1;
    let badge = start(Col::Badge);
    let mut checked = 0;
    for y in 2..buf.area.height - 1 {
        let row: String = (list_x..width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if !row.contains("10.00 EUR") {
            continue;
        }
        checked += 1;
        assert_eq!(
            buf[(amount_end, y)].symbol(),
            "R",
            "the amount ends in its column on row {y}: {row}"
        );
        assert_eq!(
            buf[(badge, y)].symbol(),
            "m",
            "the badge starts in its column on row {y}: {row}"
        );
        assert_eq!(buf[(badge - 1, y)].symbol(), " ", "row {y}: {row}");
    }
    assert_eq!(checked, 4, "{}", ui.screen());
}

#[test]
fn every_screen_survives_any_size() {
    let mut ui = demo_ui(80, 24);
    ui.open_folder("Overdue");
    for keys in ["", "enter", "a", "esc esc p", "esc D", "esc ?"] {
        ui.h.press(keys);
        ui.h.settle(Duration::from_millis(50));
        for (w, h) in [(80, 24), (20, 5), (1, 1), (200, 60), (40, 10)] {
            ui.h.resize(w, h);
            ui.h.press("j k");
        }
        ui.h.resize(80, 24);
    }
    ui.h.press("esc");
    assert!(!matches!(ui.h.app.status.sync, SyncStatus::Offline { .. }));
}

#[test]
fn set_expectations_from_the_list_reads_the_scheduled_date_first() {
    let mut ui = demo_ui(100, 30);
    let dec4 = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    ui.demo
        .open_store()
        .unwrap()
        .schedule("IBS/26/0902", None, dec4)
        .unwrap();
    ui.open_folder("Reminders");
    ui.filter("IBS/26/0902");
    ui.h.press("e");
    assert!(
        ui.screen().contains("Pay on (YYYY-MM-DD): 2026-12-04"),
        "{}",
        ui.screen()
    );
    ui.h.press("esc");
    ui.filter("FA-2026-0951");
    ui.h.press("e");
    assert!(
        ui.screen().contains("Pay on (YYYY-MM-DD): 2026-11-27"),
        "no schedule: a week from the demo's today\n{}",
        ui.screen()
    );
}

struct Unreachable;

impl duebox::tui::worker::Connect for Unreachable {
    fn connect(
        &mut self,
    ) -> Result<
        Box<dyn duebox::sync::server::MailServer + Send>,
        duebox::sync::session::ConnectFailure,
    > {
        Err("cannot connect to imap.example.com:993: timed out\u{1b}]0;pwned\u{7}; check [imap] host and port".into())
    }
    fn describe(&self) -> String {
        "imap.example.com".into()
    }
}

#[test]
fn an_unreachable_server_is_told_in_words_and_the_ui_keeps_working() {
    let mut ui = tui_support::demo_ui_with(100, 24, Some(Box::new(Unreachable)));
    assert!(ui.h.wait_until(WAIT, |a| matches!(
        a.status.sync,
        SyncStatus::Offline { .. }
    )));
    let screen = ui.screen();
    let status = screen.lines().last().unwrap();
    assert!(
        status.contains("offline: cannot reach imap.example.com (retrying in 1 s)"),
        "{status}"
    );
    assert!(
        status.contains("cannot connect to imap.example.com:993"),
        "{status}"
    );
    assert!(
        !status.contains("pwned"),
        "a server's words are cleaned: {status}"
    );
    for cell in ui.h.terminal.backend().buffer().content() {
        assert!(!cell.symbol().chars().any(|c| c.is_control()));
    }
    // Reading mail needs no server.
    ui.open_folder("Overdue");
    ui.open_selected();
    // A move does: it says so and changes nothing.
    ui.h.press("m enter");
    assert!(ui.h.wait_until(WAIT, |a| a.status.busy.is_none()
        && a.status.error.is_some()));
    assert!(
        ui.screen().contains("cannot reach imap.example.com"),
        "{}",
        ui.screen()
    );
    assert!(ui.h.app.last_move().is_none());
}

#[test]
fn the_message_view_scrolls_to_its_end_and_back() {
    let mut ui = demo_ui(80, 24);
    ui.open_folder("Statements");
    ui.open_selected();
    let top = ui.screen();
    ui.h.press("G");
    let bottom = ui.screen();
    assert_ne!(top, bottom);
    let body_rows = bottom
        .lines()
        .skip(1)
        .take(22)
        .filter(|l| !l.trim().is_empty())
        .count();
    assert!(
        body_rows > 5,
        "the end of the message is on screen, not blank rows:\n{bottom}"
    );
    ui.h.press("k");
    assert_ne!(ui.screen(), bottom, "one k after G scrolls at once");
    ui.h.press("g");
    assert_eq!(ui.screen(), top);
}

#[test]
fn no_color_draws_without_colours() {
    use ratatui::style::Color;
    let mut ui = demo_ui(100, 30);
    ui.open_folder("Overdue");
    let coloured = |ui: &tui_support::DemoUi| {
        ui.h.terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg != Color::Reset || c.bg != Color::Reset)
    };
    assert!(coloured(&ui));
    ui.h.app.color = false;
    for keys in ["", "enter", "esc p", "esc D", "esc ?"] {
        ui.h.press(keys);
        ui.h.settle(Duration::from_millis(50));
        assert!(
            !coloured(&ui),
            "a colour with NO_COLOR after '{keys}':\n{}",
            ui.screen()
        );
    }
    // The selection is still visible, by reverse video.
    ui.h.press("esc esc");
    let buf = ui.h.terminal.backend().buffer();
    assert!(buf
        .content()
        .iter()
        .any(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED)));
}

#[test]
fn opening_an_unread_message_marks_it_read_on_the_server() {
    let mut ui = demo_ui(100, 30);
    ui.open_folder("Inbox");
    let row = ui.h.app.mailbox.list.selected_row().unwrap().clone();
    assert!(
        !row.has_flag("\\Seen"),
        "the newest inbox message is unread"
    );
    let unread = tui_support::entry(&ui.h.app, "Inbox").counts.unread;
    ui.h.press("enter");
    assert!(ui
        .h
        .wait_until(WAIT, |a| tui_support::entry(a, "Inbox").counts.unread
            == unread - 1));
    let flags: Vec<Vec<String>> = ui
        .demo
        .server
        .lock()
        .contents("INBOX")
        .into_iter()
        .map(|(_, f, _)| f)
        .collect();
    assert_eq!(
        flags
            .iter()
            .filter(|f| f.iter().any(|x| x == "\\Seen"))
            .count() as u64,
        tui_support::entry(&ui.h.app, "Inbox").counts.total - (unread - 1)
    );
}

#[test]
fn edit_in_the_editor_then_send_the_edited_reply() {
    let mut ui = demo_ui(100, 30);
    ui.open_folder("Overdue");
    ui.filter("A-7781");
    ui.preview("d");
    // "The editor": rewrites the file as a person would.
    ui.h.runner.editor = Some(
        "sed -i 's/We will pay the undisputed amount/We will pay 3712.75 USD as recorded/'".into(),
    );
    ui.h.press("E");
    let screen = ui.screen();
    assert!(
        screen.contains("(edited)") && screen.contains("3712.75 USD as recorded"),
        "{screen}"
    );
    ui.h.press("y");
    assert!(ui.h.wait_until(WAIT, |a| a.top().is_none()));
    assert!(
        ui.bodies.lock().unwrap()[0].contains("3712.75 USD as recorded"),
        "the edited body is the one sent"
    );
    // An editor that fails changes nothing and says so.
    ui.preview("a");
    ui.h.runner.editor = Some("false".into());
    ui.h.press("E");
    assert!(
        ui.screen().contains("failed") && !ui.screen().contains("(edited)"),
        "{}",
        ui.screen()
    );
}

#[test]
fn templates_are_picked_and_edited_when_the_reply_layer_gives_their_files() {
    let mut ui = demo_ui(100, 30);
    ui.h.press("t");
    assert!(ui.screen().contains("set_expectations") && ui.screen().contains("escalate"));
    ui.h.press("enter");
    assert!(
        ui.screen().contains("not available in this build"),
        "{}",
        ui.screen()
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    ui.h.runner.template_path = Some(Box::new(move |name| Ok(root.join(format!("{name}.txt")))));
    ui.h.runner.editor = Some("touch".into());
    ui.h.press("t j enter");
    assert!(
        ui.screen().contains("template set_expectations saved"),
        "{}",
        ui.screen()
    );
    assert!(dir.path().join("set_expectations.txt").exists());
}

#[test]
fn escape_then_a_key_typed_fast_is_two_keys() {
    let mut ui = demo_ui(100, 30);
    ui.open_folder("Overdue");
    ui.h.press("enter");
    assert!(matches!(ui.h.app.top(), Some(Screen::Message(_))));
    // The terminal delivers Esc followed at once by q as Alt+q.
    ui.h.press("alt-q");
    assert!(ui.h.app.top().is_none(), "Esc went back");
    assert!(ui.h.app.quit, "and q quit");
}

#[test]
fn a_payment_recorded_while_the_ui_runs_is_in_the_next_reply() {
    let mut ui = demo_ui(120, 36);
    ui.open_folder("Final");
    ui.filter("IBS/26/0744");
    ui.h.press("c");
    // The reply layer answers in its own time (slow on a loaded machine): wait for it.
    ui.h.wait_until(WAIT, |a| a.status.busy.is_none());
    assert!(
        ui.screen().contains("template needs paid_date"),
        "not paid yet, so confirm_payment is refused:\n{}",
        ui.screen()
    );
    // Another connection (the CLI, the sync worker) records the payment.
    ui.demo
        .open_store()
        .unwrap()
        .mark_paid(
            "IBS/26/0744",
            None,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 19).unwrap(),
            Some("BACS 4471"),
        )
        .unwrap();
    ui.preview("c");
    let screen = ui.screen();
    assert!(
        screen.contains("paid on 19 November 2026") && screen.contains("BACS 4471"),
        "{screen}"
    );
}

#[test]
fn a_chaser_answered_elsewhere_needs_a_second_y_in_the_preview() {
    let mut ui = demo_ui(100, 30);
    ui.open_folder("Final");
    ui.filter("IBS/26/0744");
    // Another mail client answered it meanwhile (\Answered on the server).
    {
        let mut server = ui.demo.server.lock();
        let (uid, flags, _) = server.contents("Chasers/Final notices")[0].clone();
        let mut flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        flags.push("\\Answered");
        server.set_flags_as_other_client("Chasers/Final notices", uid, &flags);
    }
    ui.open_selected();
    ui.preview("a");
    ui.h.press("y");
    assert!(
        ui.h.wait_until(WAIT, |a| a
            .status
            .error
            .as_deref()
            .is_some_and(|e| e.contains("already answered"))),
        "{}",
        ui.screen()
    );
    assert!(
        ui.sent.lock().unwrap().is_empty(),
        "not sent on the first y"
    );
    let preview = ui.screen();
    assert!(
        matches!(ui.h.app.top(), Some(Screen::Reply(_))) && preview.contains("Already answered"),
        "{preview}"
    );
    // The second y is the confirmation.
    ui.h.press("y");
    ui.wait_note("demo outbox");
    assert_eq!(ui.sent.lock().unwrap().len(), 1);
}

#[test]
fn two_previews_opened_quickly_then_sending_the_first_sends_it() {
    let mut ui = demo_ui(100, 30);
    ui.open_folder("Final");
    ui.filter("IBS/26/0744");
    ui.open_selected();
    // Two templates asked for before the first preview is back (acknowledge, then escalate):
    // two previews, stacked.
    // (x asks its note first: none.)
    ui.h.press("a x enter");
    let previews = |a: &duebox::tui::state::App| {
        a.stack
            .iter()
            .filter(|s| matches!(s, Screen::Reply(_)))
            .count()
    };
    assert!(
        ui.h.wait_until(WAIT, |a| previews(a) == 2),
        "{:?}\n{}",
        ui.h.app.status,
        ui.screen()
    );
    // Back to the first (acknowledge) and send it: exactly what it showed goes out.
    ui.h.press("esc");
    assert!(
        matches!(ui.h.app.top(), Some(Screen::Reply(r)) if r.preview.template == "acknowledge"),
        "{}",
        ui.screen()
    );
    ui.h.press("y");
    assert!(
        ui.h.wait_until(WAIT, |a| a
            .status
            .note
            .as_deref()
            .is_some_and(|n| n.contains("filed in the demo outbox"))),
        "{:?}\n{}",
        ui.h.app.status,
        ui.screen()
    );
    let sent = ui.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].subject.contains("IBS/26/0744"), "{sent:?}");
}
