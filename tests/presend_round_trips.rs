//! The look before a reply (src/send/check.rs) against a real Dovecot, counted in round trips
//! (write→read turns on the connection, `Imap::turns`), never in time: one round trip when
//! nothing answers the chaser yet, as before, the same findings as the one-command-at-a-time
//! look when another client answered it, and the chaser's folder left selected for
//! \Answered; a missing Sent, a chaser moved or expunged by another client, and a server NO
//! in the middle of the pipeline are each told apart.

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;

use dovecot::{Dovecot, PASSWORD};
use duebox::config::{Folders, Security};
use duebox::imap::{Account, Imap, Secret};
use duebox::payables::read_csv;
use duebox::send::check;
use duebox::store::Store;
use duebox::sync::engine::{sync_once, Settings};
use duebox::sync::probe::{self, Probe, SentFound, SentSearch};
use duebox::sync::server::MailServer;

const AP: &str = "ap@example.test";

fn connect(d: &Dovecot) -> Imap {
    Imap::connect(&Account {
        host: "127.0.0.1".into(),
        port: d.tls_port(),
        security: Security::Tls,
        login: AP.into(),
        secret: Secret::Password(PASSWORD.into()),
        ca_file: Some(d.ca_file()),
    })
    .expect("IMAP login")
}

fn with_message_id(id: &str) -> Vec<u8> {
    let raw = String::from_utf8(common::corpus("a-001-en-reminder-acme.eml")).unwrap();
    let mut out = String::new();
    for line in raw.split_inclusive('\n') {
        if line.to_ascii_lowercase().starts_with("message-id:") {
            out.push_str(&format!("Message-ID: {id}\r\n"));
        } else {
            out.push_str(line);
        }
    }
    out.into_bytes()
}

fn sync(imap: &mut Imap, store: &mut Store) {
    let opts = common::northwind();
    let index = store.payables_index().unwrap();
    let folders = Folders::default();
    sync_once(
        imap,
        store,
        &Settings {
            folders: &folders,
            classify: &opts,
            index: &index,
        },
        &mut |_| {},
    )
    .unwrap();
}

/// The look, and the round trips it took.
fn look(imap: &mut Imap, store: &Store, chaser: &str, own: &str) -> (check::Look, u64) {
    let before = imap.turns();
    let l = check::look(imap, store, "Sent", Some(chaser), own);
    (l, imap.turns() - before)
}

/// The chaser's folder (server name) and UID, as a second client sees them.
fn where_is(d: &Dovecot, store: &Store, chaser: &str) -> (String, String) {
    let (folder, _) = store.locations(chaser).unwrap()[0].clone();
    let listed = d.imap_raw(&["LIST \"\" \"\""]);
    let delimiter = listed
        .lines()
        .find(|l| l.starts_with("* LIST"))
        .and_then(|l| l.split('"').nth(1))
        .unwrap_or("/")
        .to_string();
    let name = folder.replace('/', &delimiter);
    let out = d.imap_raw(&[
        &format!("SELECT \"{name}\""),
        &format!("UID SEARCH HEADER Message-ID \"{chaser}\""),
    ]);
    let uid = out
        .lines()
        .find_map(|l| l.strip_prefix("* SEARCH "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no chaser: {out}"))
        .to_string();
    (name, uid)
}

#[test]
fn the_look_before_a_reply_takes_one_round_trip_and_finds_what_the_slow_one_found() {
    let d = Dovecot::start();
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("t.db")).unwrap();
    store
        .import_payables(&read_csv(common::corpus("payables.csv").as_slice()).unwrap())
        .unwrap();
    let chasers = [
        "quiet-1@acme-office.co.uk",
        "answered-2@acme-office.co.uk",
        "moved-3@acme-office.co.uk",
        "expunged-4@acme-office.co.uk",
    ];
    for id in chasers {
        d.deliver(AP, "INBOX", &with_message_id(&format!("<{id}>")));
    }
    let mut imap = connect(&d);
    sync(&mut imap, &mut store);
    let own = "<reply-1@example.test>";

    // No Sent folder yet (the first reply of an account): told apart from a broken one.
    let (l, _) = look(&mut imap, &store, chasers[0], own);
    assert!(!l.sent_exists && l.gaps.is_empty(), "{:?}", l.gaps);
    imap.ensure_folder("Sent").unwrap();

    // Nothing answers the chaser: one round trip, where one command at a time took four.
    let (l, turns) = look(&mut imap, &store, chasers[0], own);
    assert_eq!(turns, 1, "the look took {turns} round trips");
    assert!(l.sent_exists && !l.own_copy && l.elsewhere.is_none() && l.gaps.is_empty());
    let (folder, uid) = l.chaser.clone().expect("the chaser found");
    let p = Probe {
        sent_folder: "Sent".into(),
        search: SentSearch::Answers {
            message_id: chasers[0].into(),
            or_message_id: Some(own.into()),
            except: Vec::new(),
        },
        chaser: Some((folder.clone(), uid)),
    };
    let before = imap.turns();
    let slow = probe::one_by_one(&mut imap, &p);
    let slow_turns = imap.turns() - before;
    let before = imap.turns();
    let fast = imap.probe(&p);
    assert_eq!(imap.turns() - before, 1);
    assert!(
        matches!((&slow.sent, &fast.sent), (SentFound::Found(a), SentFound::Found(b)) if a == b && a.is_empty())
    );
    let ids = |p: &probe::Probed| format!("{:?}", p.chaser.as_ref().map(|c| c.as_ref().ok()));
    assert_eq!(ids(&slow), ids(&fast));
    println!("look before a reply, nothing answered: pipelined 1 round trip, one command at a time {slow_turns}");

    // Another client answered (\Answered, its reply in Sent): found, said who, and the
    // chaser's folder is left selected (\Answered is stored there after sending).
    let (name, their_uid) = where_is(&d, &store, chasers[1]);
    let theirs = format!(
        "From: Jo Bloggs <jo@example.test>\r\nDate: Mon, 23 Nov 2026 09:15:00 +0000\r\nMessage-ID: <tb.{}>\r\nIn-Reply-To: <{}>\r\nSubject: Re: reminder\r\n\r\nPaid Friday.\r\n",
        chasers[1], chasers[1]
    );
    let out = d.imap_raw(&[
        &format!("SELECT \"{name}\""),
        &format!("UID STORE {their_uid} +FLAGS (\\Answered)"),
        &format!("APPEND Sent (\\Seen) {{{}+}}\r\n{theirs}", theirs.len()),
    ]);
    assert!(out.contains("a3 OK"), "{out}");
    let (l, turns) = look(&mut imap, &store, chasers[1], own);
    let found = l.elsewhere.clone().expect("answered elsewhere");
    assert_eq!(found.who.as_deref(), Some("Jo Bloggs <jo@example.test>"));
    assert_eq!(found.when.as_deref(), Some("2026-11-23 09:15:00"));
    let (_, uid) = l.chaser.clone().expect("the chaser found");
    assert_eq!(uid.to_string(), their_uid);
    println!("look before a reply, answered elsewhere: {turns} round trips (reading their reply)");
    imap.add_flags(&[uid], &["$Probed"]).unwrap();
    let flags = d.imap_raw(&[
        &format!("SELECT \"{name}\""),
        &format!("UID FETCH {uid} (FLAGS)"),
    ]);
    assert!(flags.contains("$Probed"), "{flags}");

    // Moved by another client: looked for where it was seen; expunged: not found, no gap.
    for (i, chaser) in [chasers[2], chasers[3]].iter().enumerate() {
        let (name, uid) = where_is(&d, &store, chaser);
        let after = if i == 0 {
            // The same folder, a new UID: copied in and the old one expunged.
            format!("UID COPY {uid} \"{name}\"")
        } else {
            "NOOP".to_string()
        };
        let out = d.imap_raw(&[
            &format!("SELECT \"{name}\""),
            &after,
            &format!("UID STORE {uid} +FLAGS.SILENT (\\Deleted)"),
            &format!("UID EXPUNGE {uid}"),
        ]);
        assert!(out.contains("a4 OK"), "{out}");
        let (l, turns) = look(&mut imap, &store, chaser, own);
        assert!(l.gaps.is_empty(), "{:?}", l.gaps);
        if i == 0 {
            let (_, found) = l.chaser.expect("found under its new UID");
            assert_ne!(found.to_string(), uid);
        } else {
            assert!(l.chaser.is_none());
        }
        assert!(turns > 1, "a moved message is searched for");
    }

    // A NO in the middle of the pipeline (the chaser's folder deleted by another client)
    // ends only its own command: Sent's answer stands, the chaser is simply not found.
    let (name, _) = where_is(&d, &store, chasers[0]);
    let out = d.imap_raw(&[&format!("DELETE \"{name}\"")]);
    assert!(out.contains("a1 OK"), "{out}");
    let fast = imap.probe(&p);
    assert!(matches!(fast.sent, SentFound::Found(_)));
    assert!(matches!(fast.chaser, Some(Err(_))), "{:?}", fast.chaser);
    let (l, _) = look(&mut imap, &store, chasers[0], own);
    assert!(
        l.sent_exists && l.chaser.is_none() && l.gaps.is_empty(),
        "{:?}",
        l.gaps
    );
    // The connection is in step afterwards: an ordinary command works.
    assert!(imap.folder_exists("Sent").unwrap());
}
