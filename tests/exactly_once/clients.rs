//! Other clients on the same mailbox: a chaser answered by another IMAP client is not
//! answered again without --again; two installations (two databases) sync one mailbox at once
//! and answer a chaser once. Part of the exactly_once test binary (its world is there).

use super::*;

/// The server's name for a folder (its hierarchy delimiter instead of `/`).
fn server_folder(d: &Dovecot, folder: &str) -> String {
    let out = d.imap_raw(&["LIST \"\" \"\""]);
    let delimiter = out
        .lines()
        .find(|l| l.starts_with("* LIST"))
        .and_then(|l| l.split('"').nth(1))
        .unwrap_or("/")
        .to_string();
    folder.replace('/', &delimiter)
}

/// Another mail client marks a chaser \Answered (over its own IMAP connection).
fn flag_as_other_client(d: &Dovecot, store: &Store, chaser: &str) {
    let bare = chaser.trim_matches(['<', '>']);
    let (folder, _) = store.locations(bare).unwrap()[0].clone();
    let select = format!("SELECT \"{}\"", server_folder(d, &folder));
    let out = d.imap_raw(&[&select, &format!("UID SEARCH HEADER Message-ID \"{bare}\"")]);
    let uid = out
        .lines()
        .find_map(|l| l.strip_prefix("* SEARCH "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no chaser found: {out}"))
        .to_string();
    let out = d.imap_raw(&[&select, &format!("UID STORE {uid} +FLAGS (\\Answered)")]);
    assert!(out.contains("a2 OK"), "{out}");
}

/// Another mail client answers a chaser: \Answered on it, its reply APPENDed to Sent.
fn answer_as_other_client(d: &Dovecot, store: &Store, chaser: &str, who: &str) -> String {
    flag_as_other_client(d, store, chaser);
    let bare = chaser.trim_matches(['<', '>']);
    let reply_id = format!("<thunderbird.{bare}>");
    let reply = format!(
        "From: {who}\r\nTo: billing@acme-office.co.uk\r\nDate: Mon, 23 Nov 2026 09:15:00 +0000\r\nMessage-ID: {reply_id}\r\nIn-Reply-To: {chaser}\r\nReferences: {chaser}\r\nSubject: Re: your reminder\r\n\r\nWe paid it on Friday.\r\n"
    );
    let out = d.imap_raw(&[
        "CREATE Sent",
        &format!("APPEND Sent (\\Seen) {{{}+}}\r\n{reply}", reply.len()),
    ]);
    assert!(out.contains("a2 OK"), "{out}");
    reply_id
}

#[test]
fn a_chaser_answered_by_another_imap_client_is_not_answered_again_without_again() {
    let w = World::start();
    let a = w.install("a");
    let chaser = "<other-client-1@acme-office.co.uk>";
    w.dovecot.deliver(
        AP,
        "INBOX",
        &with_message_id("a-001-en-reminder-acme.eml", chaser),
    );
    a.ok(&["sync"]);
    let theirs = answer_as_other_client(
        &w.dovecot,
        &a.store(),
        chaser,
        "Jo Bloggs <jo@example.test>",
    );
    // A dry run says it would be refused, and so does the real send; nothing goes out.
    let dry = a.run(&["reply", chaser, "--template", "acknowledge", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(1), "{}", stderr(&dry));
    let out = a.run(&["reply", chaser, "--template", "acknowledge"]);
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    assert!(
        said.contains("already answered by Jo Bloggs <jo@example.test> on 2026-11-23 09:15:00 UTC")
            && said.contains(&theirs)
            && said.contains("--again"),
        "{said}"
    );
    w.settle();
    assert_eq!(w.answers_delivered(chaser), 0);
    // Only the flag, no copy in Sent (a client that keeps sent mail elsewhere): still asked.
    let flagged = "<other-client-2@acme-office.co.uk>";
    w.dovecot.deliver(
        AP,
        "INBOX",
        &with_message_id("a-001-en-reminder-acme.eml", flagged),
    );
    a.ok(&["sync"]);
    flag_as_other_client(&w.dovecot, &a.store(), flagged);
    let out = a.run(&["reply", flagged, "--template", "acknowledge"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("carries \\Answered"),
        "{}",
        stderr(&out)
    );
    // --again sends it, once, and the log has both decisions.
    a.ok(&["reply", chaser, "--template", "acknowledge", "--again"]);
    w.settle();
    assert_eq!(w.answers_delivered(chaser), 1);
    let log = a.ok(&["log", "--csv"]);
    assert!(log.contains("answered_elsewhere_not_sent"), "{log}");
    assert!(log.contains("answered_elsewhere_sent_anyway"), "{log}");
    println!("answered by another client: deliveries without --again 0, with --again 1");
}

/// Every Message-ID in the account's mailbox, with how many copies (all folders).
fn mailbox_ids(d: &Dovecot) -> HashMap<String, usize> {
    let root = d.maildir(AP);
    let mut dirs = vec![root.clone()];
    for e in std::fs::read_dir(&root).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && e.path().is_dir() && name != ".Sent" {
            dirs.push(e.path());
        }
    }
    let mut ids = HashMap::new();
    for dir in dirs {
        for (id, _) in ids_in(&dir) {
            *ids.entry(id.trim_matches(['<', '>']).to_ascii_lowercase())
                .or_insert(0) += 1;
        }
    }
    ids
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p
            .parent()
            .is_some_and(|d| d.ends_with("new") || d.ends_with("cur"))
        {
            out.push(p);
        }
    }
    out
}

#[test]
fn two_installations_sync_one_mailbox_at_once_and_answer_a_chaser_once() {
    let w = World::start();
    let installs = [w.install("a"), w.install("b")];
    let names = [
        "a-001-en-reminder-acme.eml",
        "a-002-en-overdue-acme.eml",
        "a-004-en-reminder-brennan.eml",
        "a-005-en-overdue-brennan.eml",
        "a-031-en-neg-new-invoice-acme.eml",
        "a-039-en-neg-meeting-pemberton.eml",
        "a-023-de-reminder-schaefer.eml",
        "a-042-en-neg-internal.eml",
    ];
    let mut delivered = Vec::new();
    let mut aborted = 0;
    for round in 0..10 {
        for i in 0..30 {
            let id = format!("<r{round}-m{i}@mail.example.com>");
            w.dovecot
                .deliver(AP, "INBOX", &with_message_id(names[i % names.len()], &id));
            delivered.push(id);
        }
        // Both at once, as two clerks (or the UI and `sync --watch`) would.
        let children: Vec<_> = installs
            .iter()
            .map(|i| {
                i.command(&["sync"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            if !out.status.success() {
                aborted += 1;
                eprintln!("round {round}: an aborted pass: {}", stderr(&out));
            }
        }
    }
    for i in &installs {
        i.ok(&["sync"]);
    }
    let on_server = mailbox_ids(&w.dovecot);
    let bare = |id: &str| id.trim_matches(['<', '>']).to_ascii_lowercase();
    let lost = delivered
        .iter()
        .filter(|id| !on_server.contains_key(&bare(id)))
        .count();
    let duplicated = delivered
        .iter()
        .filter(|id| on_server.get(&bare(id)).is_some_and(|n| *n > 1))
        .count();
    if duplicated > 0 {
        let root = w.dovecot.maildir(AP);
        for e in walk(&root) {
            let m = duebox::mail::parse(&std::fs::read(&e).unwrap()).unwrap();
            let id = bare(m.message_id.as_deref().unwrap_or(""));
            if on_server.get(&id).is_some_and(|n| *n > 1) {
                eprintln!("DUP {id} at {}", e.display());
                for (n, i) in installs.iter().enumerate() {
                    for ev in i.store().events(&Default::default()).unwrap() {
                        if ev.message_id.as_deref().is_some_and(|m| bare(m) == id) {
                            eprintln!("   db{n}: {} {} {}", ev.at, ev.kind, ev.detail);
                        }
                    }
                }
            }
        }
    }
    let mut db_lost = 0;
    let mut db_duplicated = 0;
    let mut unparsable = 0;
    for i in &installs {
        let store = i.store();
        for id in &delivered {
            match store.locations(id.trim_matches(['<', '>'])).unwrap().len() {
                0 => db_lost += 1,
                1 => {}
                _ => db_duplicated += 1,
            }
        }
        unparsable += store
            .events(&Default::default())
            .unwrap()
            .iter()
            .filter(|e| e.kind == "unparsable")
            .count();
    }
    println!(
        "two installations, 10 rounds, {} messages: lost {lost}, duplicated {duplicated} (in the databases: lost {db_lost}, duplicated {db_duplicated}), false unparsable {unparsable}, aborted passes {aborted}",
        delivered.len()
    );
    assert_eq!(
        (
            lost,
            duplicated,
            db_lost,
            db_duplicated,
            unparsable,
            aborted
        ),
        (0, 0, 0, 0, 0, 0)
    );
    // Both clerks answer the same chaser, one after the other.
    let chaser = &delivered[0];
    let first = installs[0].run(&["reply", chaser, "--template", "acknowledge"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let second = installs[1].run(&["reply", chaser, "--template", "acknowledge"]);
    assert_eq!(second.status.code(), Some(1));
    let said = stderr(&second);
    let sent = installs[0].reply_to(chaser).unwrap();
    assert!(
        said.contains("already answered by Northwind Accounts Payable <ap@example.test> on ")
            && said.contains(&sent.message_id)
            && said.contains(" UTC"),
        "{said}"
    );
    w.settle();
    let deliveries = w.answers_delivered(chaser);
    println!("both answer one chaser: delivered {deliveries}; the second was told: {said}");
    assert_eq!(deliveries, 1, "double deliveries: {}", deliveries - 1);
    println!("double deliveries: 0");
}
