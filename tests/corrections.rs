//! Learning from the clerk's corrections, end to end: a chaser moved out of its folder in
//! the UI (the demo, key by key) or by another IMAP client (a second connection to a real
//! Dovecot) teaches duebox that messages of that shape are not chasers, so the next one from
//! the same sender stays in the Inbox with the reason shown; "this is a …" in the UI files
//! the next one by the stage given; `duebox corrections forget` undoes what was learnt.

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;
mod tui_support;

use dovecot::Dovecot;
use duebox::config::{Folders, Security};
use duebox::imap::{Account, Imap, Secret};
use duebox::payables::read_csv;
use duebox::store::Store;
use duebox::sync::engine::{sync_once, Report, Settings};
use duebox::sync::server::MailServer;
use duebox::tui::state::Screen;
use std::path::Path;
use std::process::Command;
use tui_support::{demo_ui, WAIT};

/// `raw` as another message of the same kind: a new Message-ID, and every `old` (an invoice
/// number, an amount) written as `new`.
fn another(raw: &[u8], message_id: &str, swaps: &[(&str, &str)]) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if line.to_ascii_lowercase().starts_with("message-id:") {
            out.push_str(&format!("Message-ID: <{message_id}>\r\n"));
        } else {
            out.push_str(line);
        }
    }
    for (old, new) in swaps {
        out = out.replace(old, new);
    }
    out.into_bytes()
}

fn duebox(db: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_duebox"))
        .args(args)
        .arg("--db")
        .arg(db)
        .env("XDG_CONFIG_HOME", db.parent().unwrap())
        .output()
        .expect("duebox runs");
    assert!(
        out.status.success(),
        "duebox {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const ACME: &str = include_str!("../src/demo/data/mailbox/03-acme-overdue.eml");

#[test]
fn a_chaser_moved_out_in_the_ui_keeps_the_next_like_it_in_the_inbox_until_forgotten() {
    let mut ui = demo_ui(100, 30);
    let store = ui.demo.open_store().unwrap();
    ui.open_folder("Overdue");
    ui.filter("INV-20356");
    let moved = ui.h.app.mailbox.list.selected_row().expect("the chaser").id;
    ui.h.press("m");
    assert!(ui.screen().contains("Move to folder"), "{}", ui.screen());
    // The picker lists the other folders, the Inbox first.
    ui.h.press("g enter");
    assert!(
        ui.h.wait_until(WAIT, |a| a.last_move().is_some_and(|m| m.to == "INBOX")),
        "{}",
        ui.screen()
    );
    assert_eq!(store.message_place(moved).unwrap().unwrap().folder, "INBOX");
    assert!(
        ui.h.wait_until(WAIT, |a| a.status.note.as_deref().is_some_and(|n| n
            .contains("moved to Inbox")
            && n.contains("taken as not a chaser"))),
        "the status line says what the move taught: {}",
        ui.screen()
    );

    // The next overdue notice of the same shape from Acme, another invoice and amount.
    let next = another(
        ACME.as_bytes(),
        "next-20411@acme-office.co.uk",
        &[("20356", "20411"), ("615.00", "1,240.50")],
    );
    ui.demo.server.lock().deliver("INBOX", &next);
    ui.h.press("s");
    let arrived = |store: &Store| {
        store
            .message_in_folder("INBOX", "next-20411@acme-office.co.uk")
            .unwrap()
    };
    assert!(
        ui.h.wait_until(WAIT, |_| arrived(&store).is_some()),
        "the sync brings it in: {}",
        ui.screen()
    );
    ui.h.settle(std::time::Duration::from_millis(200));
    let row = arrived(&store).unwrap();
    let detail = store.detail(row).unwrap().unwrap();
    assert_eq!(detail.folder, "INBOX", "it stays in the Inbox");
    assert_eq!(
        detail.reasons.first().map(String::as_str),
        Some("you filed 1 message like this as not a chaser"),
        "{:?}",
        detail.reasons
    );
    assert!(!detail.summary.is_chaser());
    let on_server = ui.demo.server.lock().contents("Chasers/Overdue");
    assert!(on_server
        .iter()
        .all(|(_, _, raw)| !String::from_utf8_lossy(raw).contains("next-20411")));
    // The message view shows why.
    ui.open_folder("Inbox");
    ui.filter("INV-20411");
    ui.h.press("enter");
    assert!(ui.h.wait_until(
        WAIT,
        |a| matches!(a.top(), Some(Screen::Message(m)) if m.opened.is_some())
    ));
    assert!(
        ui.screen()
            .contains("you filed 1 message like this as not a chaser"),
        "{}",
        ui.screen()
    );
    ui.h.press("esc");

    // `classify --db` gives the same verdict, for the same reason.
    let file = ui.demo.dir.path().join("next.eml");
    std::fs::write(&file, &next).unwrap();
    let json = duebox(
        &ui.demo.db,
        &[
            "classify",
            "--json",
            "--today",
            "2026-11-20",
            file.to_str().unwrap(),
        ],
    );
    let verdict: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(verdict["kind"], "other", "{verdict}");
    assert_eq!(
        verdict["reasons"][0], "you filed 1 message like this as not a chaser",
        "{verdict}"
    );

    // Listed, then forgotten: the next one is a chaser again, filed as overdue.
    let listed = duebox(&ui.demo.db, &["corrections", "list"]);
    assert!(
        listed.contains(
            "from acme-office.co.uk, subject like \"overdue invoice # northwind traders ltd\""
        ) && listed.contains("not a chaser")
            && listed.contains("used 1 time"),
        "{listed}"
    );
    let forgot = duebox(&ui.demo.db, &["corrections", "forget", "--all"]);
    assert!(forgot.contains("forgot #"), "{forgot}");
    let third = another(
        ACME.as_bytes(),
        "third-20500@acme-office.co.uk",
        &[("20356", "20500")],
    );
    ui.demo.server.lock().deliver("INBOX", &third);
    ui.h.press("s");
    assert!(
        ui.h.wait_until(WAIT, |_| store
            .message_in_folder("Chasers/Overdue", "third-20500@acme-office.co.uk")
            .unwrap()
            .is_some()),
        "filed by the rules again: {}",
        ui.screen()
    );
}

#[test]
fn this_is_a_final_notice_files_the_next_like_it_as_final() {
    let mut ui = demo_ui(100, 30);
    let store = ui.demo.open_store().unwrap();
    ui.open_folder("Overdue");
    ui.filter("INV-20356");
    let id = ui.h.app.mailbox.list.selected_row().expect("the chaser").id;
    ui.h.press("C");
    assert!(ui.screen().contains("This message is"), "{}", ui.screen());
    // reminder, overdue, final, statement
    ui.h.press("j j enter");
    assert!(
        ui.h.wait_until(WAIT, |a| a
            .status
            .note
            .as_deref()
            .is_some_and(|n| n.contains("remembered"))),
        "{}",
        ui.screen()
    );
    assert!(ui.screen().contains("a final notice"), "{}", ui.screen());
    assert_eq!(
        store.message_place(id).unwrap().unwrap().folder,
        "Chasers/Final notices",
        "it moved where its new verdict files it"
    );
    let next = another(
        ACME.as_bytes(),
        "final-20412@acme-office.co.uk",
        &[("20356", "20412")],
    );
    ui.demo.server.lock().deliver("INBOX", &next);
    ui.h.press("s");
    assert!(
        ui.h.wait_until(WAIT, |_| store
            .message_in_folder("Chasers/Final notices", "final-20412@acme-office.co.uk")
            .unwrap()
            .is_some()),
        "{}",
        ui.screen()
    );
    // And "not a chaser" from the message view moves it back to the Inbox.
    ui.open_folder("Final");
    ui.filter("INV-20412");
    ui.h.press("enter");
    assert!(ui.h.wait_until(
        WAIT,
        |a| matches!(a.top(), Some(Screen::Message(m)) if m.opened.is_some())
    ));
    ui.h.press("N");
    assert!(
        ui.h.wait_until(WAIT, |a| a
            .status
            .note
            .as_deref()
            .is_some_and(|n| n.contains("moved to Inbox"))),
        "{}",
        ui.screen()
    );
    let listed = duebox(&ui.demo.db, &["corrections", "list"]);
    assert!(
        listed.contains("not a chaser") && !listed.contains("a final notice"),
        "the latest word stands: {listed}"
    );
}

fn account(d: &Dovecot) -> Account {
    Account {
        host: "127.0.0.1".into(),
        port: d.tls_port(),
        security: Security::Tls,
        login: d.user().into(),
        secret: Secret::Password(d.password().into()),
        ca_file: Some(d.ca_file()),
    }
}

fn sync(server: &mut dyn MailServer, store: &mut Store) -> Report {
    let index = store.payables_index().unwrap();
    let opts = common::northwind();
    let folders = Folders::default();
    let settings = Settings {
        folders: &folders,
        classify: &opts,
        index: &index,
    };
    sync_once(server, store, &settings, &mut |_| {}).unwrap()
}

/// The Message-IDs in a server folder, read by an independent client.
fn in_folder(d: &Dovecot, folder: &str) -> Vec<String> {
    let out = d.imap_raw(&[
        &format!("SELECT \"{folder}\""),
        "FETCH 1:* (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
    ]);
    out.lines()
        .filter(|l| l.trim().to_ascii_lowercase().starts_with("message-id:"))
        .map(|l| l.trim()[11..].trim().trim_matches(['<', '>']).to_string())
        .collect()
}

#[test]
fn moves_made_in_another_imap_client_teach_too() {
    let d = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("duebox.db");
    let mut store = Store::open(&db).unwrap();
    store
        .import_payables(&read_csv(common::corpus("payables.csv").as_slice()).unwrap())
        .unwrap();
    let overdue = common::corpus("a-005-en-overdue-brennan.eml");
    let first_id = duebox::mail::parse(&overdue).unwrap().message_id.unwrap();
    d.deliver(d.user(), "INBOX", &overdue);
    let mut imap = Imap::connect(&account(&d)).unwrap();
    let report = sync(&mut imap, &mut store);
    assert_eq!(report.filed.get("Chasers/Overdue"), Some(&1), "{report:?}");

    // The clerk, in another mail client, takes it out of Overdue back to the Inbox.
    let moved = d.imap_raw(&["SELECT \"Chasers.Overdue\"", "MOVE 1 INBOX"]);
    assert!(moved.contains("a2 OK"), "{moved}");
    sync(&mut imap, &mut store);
    assert_eq!(in_folder(&d, "INBOX"), [first_id], "their choice stands");
    let learnt = store.corrections().unwrap();
    assert_eq!(learnt.len(), 1, "{learnt:?}");
    assert_eq!(
        learnt[0].source,
        duebox::store::CorrectionSource::ClientMove
    );

    // The next one like it stays in the Inbox, with the reason.
    let raw_text = String::from_utf8_lossy(&overdue).into_owned();
    let invoice = duebox::classify::classify_bytes(&overdue, &common::northwind())
        .unwrap()
        .1
        .invoices[0]
        .clone();
    let next = another(
        raw_text.as_bytes(),
        "next-1@brennan.test",
        &[(&invoice, "BR-99999")],
    );
    d.deliver(d.user(), "INBOX", &next);
    let report = sync(&mut imap, &mut store);
    assert_eq!(report.new, 1, "{report:?}");
    assert!(report.filed.is_empty(), "{report:?}");
    assert!(in_folder(&d, "INBOX").contains(&"next-1@brennan.test".to_string()));
    let row = store
        .message_in_folder("INBOX", "next-1@brennan.test")
        .unwrap()
        .unwrap();
    let reasons = store.detail(row).unwrap().unwrap().reasons;
    assert_eq!(
        reasons[0], "you filed 1 message like this as not a chaser",
        "{reasons:?}"
    );
    drop(store);

    // Forgotten on the command line: the next one is filed as a chaser again.
    let listed = duebox(&db, &["corrections", "list"]);
    assert!(listed.contains("moved in another mail client"), "{listed}");
    let id = learnt[0].id.to_string();
    let forgot = duebox(&db, &["corrections", "forget", &id]);
    assert!(forgot.contains(&format!("forgot #{id}")), "{forgot}");
    let mut store = Store::open(&db).unwrap();
    let third = another(
        raw_text.as_bytes(),
        "third-1@brennan.test",
        &[(&invoice, "BR-99998")],
    );
    d.deliver(d.user(), "INBOX", &third);
    let report = sync(&mut imap, &mut store);
    assert_eq!(report.filed.get("Chasers/Overdue"), Some(&1), "{report:?}");
    assert!(in_folder(&d, "Chasers.Overdue").contains(&"third-1@brennan.test".to_string()));

    // Into a chaser folder by the other client: messages like it are filed there.
    let invoice_mail = common::corpus("a-031-en-neg-new-invoice-acme.eml");
    d.deliver(d.user(), "INBOX", &invoice_mail);
    sync(&mut imap, &mut store);
    let out = d.imap_raw(&["SELECT INBOX", "SEARCH ALL"]);
    let seqs: Vec<String> = out
        .lines()
        .find(|l| l.starts_with("* SEARCH"))
        .map(|l| l.split_whitespace().skip(2).map(str::to_string).collect())
        .unwrap_or_default();
    // INBOX holds the two Brennan notices and the new invoice, in arrival order.
    assert_eq!(seqs.len(), 3, "{out}");
    let moved = d.imap_raw(&[
        "SELECT INBOX",
        &format!("MOVE {} \"Chasers.Reminders\"", seqs[2]),
    ]);
    assert!(moved.contains("a2 OK"), "{moved}");
    sync(&mut imap, &mut store);
    let learnt = store.corrections().unwrap();
    assert!(
        learnt.iter().any(|c| c.verdict
            == duebox::classify::fingerprint::Verdict::Chaser(duebox::classify::Stage::Reminder)),
        "{learnt:?}"
    );
    let again = another(&invoice_mail, "again-1@acme.test", &[]);
    d.deliver(d.user(), "INBOX", &again);
    let report = sync(&mut imap, &mut store);
    assert_eq!(
        report.filed.get("Chasers/Reminders"),
        Some(&1),
        "{report:?}"
    );
    assert!(d.errors().is_empty(), "{:?}", d.errors());
}
