//! A mailbox past one command line, on a real Dovecot on 127.0.0.1: 26,668 messages, three in
//! four chasers of the same stage with the others between them, so the stage group's 20,001
//! scattered UIDs, written as one UID set, would be ~85 KB — past Dovecot's 64 KB command-line
//! limit ("Too long argument"). The first pass must file all of them, the second find nothing
//! to do; nothing lost, nothing doubled. And a Dovecot configured with shorter lines than
//! duebox sends Dovecot (its BAD makes the session fall back to short commands). Not timed:
//! speed is measured by `cargo bench --bench sync`.

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;

use dovecot::{Dovecot, Options};
use duebox::config::{Folders, Security};
use duebox::imap::{Account, Imap, Secret};
use duebox::store::Store;
use duebox::sync::engine::{sync_once, Report, Settings};
use std::collections::HashSet;

const CHASERS: usize = 20_001;

/// A short overdue notice (short, so that classifying 20,000 of them in a debug build stays
/// cheap), or a short note that is not a chaser, with a Message-ID of its own.
fn message(i: usize, chaser: bool) -> Vec<u8> {
    let (from, subject, body) = if chaser {
        (
            "Acme Accounts <accounts@acme-office.co.uk>",
            format!("Overdue invoice INV-{i}"),
            format!(
                "Dear Northwind Traders,\r\n\r\ninvoice INV-{i} for GBP 120.00 was due on 1 November 2026 \
                 and is now overdue. Please arrange payment.\r\n\r\nAcme Accounts\r\n"
            ),
        )
    } else {
        (
            "Dana Pemberton <dana@pemberton-print.co.uk>",
            "Lunch on Friday?".to_string(),
            "Hi, are we still on for lunch on Friday at noon?\r\n\r\nDana\r\n".to_string(),
        )
    };
    format!(
        "From: {from}\r\nTo: ap@northwind-traders.com\r\nSubject: {subject}\r\n\
         Date: Mon, 16 Nov 2026 09:00:00 +0000\r\nMessage-ID: <{}{i}@large.test>\r\n\r\n{body}",
        if chaser { "c" } else { "o" }
    )
    .into_bytes()
}

fn status(d: &Dovecot, folder: &str) -> usize {
    let out = d.imap_raw(&[&format!("STATUS \"{folder}\" (MESSAGES)")]);
    let line = out
        .lines()
        .find(|l| l.starts_with("* STATUS"))
        .unwrap_or_else(|| panic!("{out}"));
    line.rsplit("MESSAGES ")
        .next()
        .and_then(|n| n.trim_end_matches(')').trim().parse().ok())
        .unwrap_or_else(|| panic!("{line}"))
}

fn connect(d: &Dovecot) -> Imap {
    Imap::connect(&Account {
        host: "127.0.0.1".into(),
        port: d.port(),
        security: Security::Plain,
        login: d.user().into(),
        secret: Secret::Password(d.password().into()),
        ca_file: None,
    })
    .unwrap()
}

fn sync(imap: &mut Imap, store: &mut Store) -> Report {
    let index = store.payables_index().unwrap();
    let opts = common::northwind();
    let folders = Folders::default();
    let settings = Settings {
        folders: &folders,
        classify: &opts,
        index: &index,
    };
    sync_once(imap, store, &settings, &mut |_| {}).expect("the pass completes")
}

#[test]
fn a_stage_group_of_twenty_thousand_scattered_messages_is_filed_whole() {
    let d = Dovecot::start();
    let mut others = 0;
    for i in 0..CHASERS {
        d.deliver(d.user(), "INBOX", &message(i, true));
        if i % 3 == 2 {
            d.deliver(d.user(), "INBOX", &message(i, false));
            others += 1;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("duebox.db")).unwrap();
    let mut imap = connect(&d);
    // Dovecot is known to read long command lines: fewer, longer commands.
    assert_eq!(imap.command_limit(), duebox::imap::uidset::LONG_COMMAND);

    let started = std::time::Instant::now();
    let first = sync(&mut imap, &mut store);
    eprintln!("first pass: {:?}", started.elapsed());
    assert_eq!(first.new, CHASERS + others, "{:?}", first.filed);
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    assert_eq!(
        first.filed.get("Chasers/Overdue").copied(),
        Some(CHASERS),
        "{:?}",
        first.filed
    );
    assert_eq!(status(&d, "Chasers.Overdue"), CHASERS);
    assert_eq!(status(&d, "INBOX"), others);
    // The store knows every filed message where it now is, each once.
    let filed = store.message_ids("Chasers/Overdue").unwrap();
    assert_eq!(filed.len(), CHASERS);
    let distinct: HashSet<_> = filed.iter().flatten().collect();
    assert_eq!(distinct.len(), CHASERS);
    assert_eq!(store.message_ids("INBOX").unwrap().len(), others);

    let started = std::time::Instant::now();
    let again = sync(&mut imap, &mut store);
    eprintln!("second pass: {:?}", started.elapsed());
    assert_eq!(
        (again.new, again.relinked, again.filed.len(), again.expunged),
        (0, 0, 0, 0),
        "{again:?}"
    );
    // The group's UIDs as they were in INBOX (chasers at three of every four), as one set,
    // are past what the server takes in one command: what made every pass fail before sets
    // were cut. (Asked once Dovecot has indexed the folder, so the answer comes quickly.)
    let whole: Vec<String> = (0..CHASERS / 3)
        .map(|k| format!("{}:{}", 4 * k + 1, 4 * k + 3))
        .collect();
    let refused = d.imap_raw(&[
        "SELECT INBOX",
        &format!("UID FETCH {} (UID)", whole.join(",")),
    ]);
    assert!(
        refused.contains("a2 BAD") && refused.contains("Too long argument"),
        "the server took a {} KB command line: {refused}",
        whole.join(",").len() / 1024
    );
    assert_eq!(status(&d, "Chasers.Overdue"), CHASERS);
}

/// A Dovecot whose administrator set `imap_max_line_length` below what duebox sends Dovecot:
/// the first long command is refused (BAD, nothing done), the session keeps to short ones
/// from then on, and every chaser is still filed once.
#[test]
fn a_server_with_shorter_lines_than_expected_still_gets_everything_filed() {
    const SCATTERED: usize = 4_000;
    let d = Dovecot::start_with(Options::new().with_setting("imap_max_line_length = 16k"));
    for i in 0..SCATTERED {
        d.deliver(d.user(), "INBOX", &message(i, true));
        d.deliver(d.user(), "INBOX", &message(i, false));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("duebox.db")).unwrap();
    let mut imap = connect(&d);
    assert_eq!(imap.command_limit(), duebox::imap::uidset::LONG_COMMAND);

    // Every other UID of 8,000: a set of some 20 KB, past this server's 16 KB.
    let first = sync(&mut imap, &mut store);
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    assert_eq!(first.new, 2 * SCATTERED);
    assert_eq!(
        first.filed.get("Chasers/Overdue").copied(),
        Some(SCATTERED),
        "{:?}",
        first.filed
    );
    assert_eq!(imap.command_limit(), duebox::imap::uidset::MAX_COMMAND);
    assert_eq!(status(&d, "Chasers.Overdue"), SCATTERED);
    assert_eq!(status(&d, "INBOX"), SCATTERED);
    let filed = store.message_ids("Chasers/Overdue").unwrap();
    let distinct: HashSet<_> = filed.iter().flatten().collect();
    assert_eq!((filed.len(), distinct.len()), (SCATTERED, SCATTERED));
    let again = sync(&mut imap, &mut store);
    assert_eq!(
        (again.new, again.relinked, again.filed.len(), again.expunged),
        (0, 0, 0, 0),
        "{again:?}"
    );
}
