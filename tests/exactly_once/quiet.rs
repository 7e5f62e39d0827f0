//! What must stay quiet: messages expunged under a session are skipped (never stored as
//! unparsable), printing commands end quietly on a closed pipe, filing claims only messages
//! nobody else changed or took. Part of the exactly_once test binary.

use super::*;

/// `n` copies of a reminder in AP's INBOX (Message-IDs `<{tag}-N@x.test>`), and a session on it.
fn reminders_in_inbox(d: &Dovecot, n: usize, tag: &str) -> duebox::imap::Imap {
    for i in 0..n {
        d.deliver(
            AP,
            "INBOX",
            &with_message_id("a-001-en-reminder-acme.eml", &format!("<{tag}-{i}@x.test>")),
        );
    }
    let account = duebox::imap::Account {
        host: "127.0.0.1".into(),
        port: d.tls_port(),
        security: duebox::config::Security::Tls,
        login: AP.into(),
        secret: duebox::imap::Secret::Password(PASSWORD.into()),
        ca_file: Some(d.ca_file()),
    };
    duebox::imap::Imap::connect(&account).unwrap()
}

#[test]
fn messages_expunged_under_a_session_are_skipped_not_unparsable() {
    use duebox::sync::server::MailServer;
    let d = Dovecot::start();
    let mut imap = reminders_in_inbox(&d, 6, "gone");
    imap.select("INBOX").unwrap();
    let uids = imap.all_uids().unwrap();
    assert_eq!(uids.len(), 6);
    // Another client expunges two of them while our session still sees them.
    let gone = format!("{},{}", uids[1], uids[4]);
    let out = d.imap_raw(&[
        "SELECT INBOX",
        &format!("UID STORE {gone} +FLAGS.SILENT (\\Deleted)"),
        &format!("UID EXPUNGE {gone}"),
    ]);
    assert!(out.contains("a3 OK"), "{out}");
    let fetched = imap.fetch(&uids).expect("vanished messages are no error");
    assert!(
        fetched.iter().all(|f| !f.raw.is_empty()),
        "no empty messages"
    );
    assert!(fetched.len() <= 4, "{}", fetched.len());
    let ids = imap.fetch_message_ids(&uids).expect("no error");
    assert_eq!(ids.len(), 4);
    imap.add_flags(&uids, &["$Chaser"]).expect("no error");
    imap.flags(&format!("1:{}", uids[5]), None)
        .expect("no error");
    imap.logout();
}

/// `duebox ... | head -1`: the reader has gone before duebox prints.
fn closed_pipe(i: &Install, args: &[&str]) {
    use std::os::unix::process::ExitStatusExt;
    let mut child = i
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(
        out.status.success() || out.status.signal() == Some(13),
        "{args:?}: {:?} {err}",
        out.status
    );
}

#[test]
fn printing_commands_end_quietly_on_a_closed_pipe() {
    let w = World::start();
    let a = w.install("a");
    let chaser = "<pipe-1@acme-office.co.uk>";
    let fresh = "<pipe-2@acme-office.co.uk>";
    for c in [chaser, fresh] {
        w.dovecot.deliver(
            AP,
            "INBOX",
            &with_message_id("a-001-en-reminder-acme.eml", c),
        );
    }
    a.ok(&["sync"]);
    a.ok(&["reply", chaser, "--template", "acknowledge"]);
    closed_pipe(&a, &["outbox"]);
    closed_pipe(&a, &["outbox", "show", "1"]);
    closed_pipe(&a, &["log"]);
    closed_pipe(&a, &["config", "check"]);
    // Every other command that prints: the closed pipe is the process's, not one command's.
    for args in [
        &["sync"][..],
        &["payables", "list"],
        &["payables", "export"],
        &["payables", "export-chasers"],
        &["vendors", "list"],
        &["templates", "list"],
        &["templates", "show", "acknowledge"],
        &["templates", "render", "acknowledge", "--message", chaser],
        &["corrections", "list"],
        &["log", "--csv"],
        &["--help"],
    ] {
        closed_pipe(&a, args);
    }
    closed_pipe(
        &a,
        &["reply", fresh, "--template", "acknowledge", "--dry-run"],
    );
    // The watcher prints as it goes (to stderr; `sync --watch 2>&1 | head -1`): with its
    // reader gone it stops by itself, cleanly, instead of panicking at its next line.
    let log = a.dir.join("watch.log");
    let mut watch = a
        .command(&["sync", "--watch", "--log", log.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(watch.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = watch.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > WAIT {
            let _ = watch.kill();
            panic!("sync --watch went on with its output closed");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    use std::os::unix::process::ExitStatusExt;
    assert!(
        status.success() || status.signal() == Some(13),
        "sync --watch on a closed pipe: {status:?}; {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    // And a dry run of a refused send says so in its exit status.
    let dry = a.run(&["reply", chaser, "--template", "acknowledge", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(1));
    assert!(
        stderr(&dry).contains("already answered"),
        "{}",
        stderr(&dry)
    );
}

#[test]
fn filing_claims_only_messages_nobody_else_changed_or_took() {
    use duebox::sync::server::MailServer;
    let d = Dovecot::start();
    let mut imap = reminders_in_inbox(&d, 4, "claim");
    let looked = imap.select("INBOX").unwrap();
    assert_eq!(imap.fetch(&[1, 2, 3, 4]).unwrap().len(), 4);
    // Another client labels 1 and 2 (its claim) and expunges 3, after our look.
    let out = d.imap_raw(&[
        "SELECT INBOX",
        "UID STORE 1:2 +FLAGS ($Chaser)",
        "UID STORE 3 +FLAGS.SILENT (\\Deleted)",
        "UID EXPUNGE 3",
    ]);
    assert!(out.contains("a4 OK"), "{out}");
    let claimed = imap
        .claim(&[1, 2, 3, 4], &["$Chaser"], looked.highest_modseq.unwrap())
        .unwrap();
    assert_eq!(claimed, [4], "only the message nobody touched is ours");
    imap.logout();
}
