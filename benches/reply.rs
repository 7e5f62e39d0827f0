//! Rendering + sending one reply to a real local Postfix (delivering into Dovecot), median
//! and p90 over 100 sends: (a) render + SMTP only, (b) the whole path duebox takes (outbox
//! rows, SMTP, the copy APPENDed to Sent, \Answered on the original over IMAP); then the look
//! before a reply alone (src/send/check.rs) against the same look asked one command at a
//! time, in milliseconds and in round trips on the connection; and (d) the preview of a reply
//! with the chaser claimed first ([team]: one conditional STORE with its SELECT) against the
//! preview alone and against one IMAP round trip of the same shape on the same connection.
//! `cargo bench --bench reply` (needs postfix and dovecot, as the tests do).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/dovecot.rs"]
mod dovecot;
#[path = "../tests/common/postfix.rs"]
mod postfix;

use duebox::config::{Folders, Security};
use duebox::imap::{Account, Imap, Secret};
use duebox::payables::read_csv;
use duebox::reply::{Asked, Identity, Templates};
use duebox::send::smtp::SmtpAccount;
use duebox::send::{ReplyContext, Sending};
use duebox::store::Store;
use duebox::sync::engine::{sync_once, Settings};
use duebox::sync::server::MailServer;
use duebox::team::{ClaimServer, Claims, Clerk, Team};
use postfix::Postfix;
use std::time::{Duration, Instant};

const SENDS: usize = 100;

/// A message with its Message-ID replaced.
fn with_message_id(raw: &[u8], id: &str) -> Vec<u8> {
    let raw = String::from_utf8_lossy(raw);
    raw.split_inclusive('\n')
        .map(|l| {
            if l.to_ascii_lowercase().starts_with("message-id:") {
                format!("Message-ID: {id}\r\n")
            } else {
                l.to_string()
            }
        })
        .collect::<String>()
        .into_bytes()
}

fn stats(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    (ms[ms.len() / 2], ms[ms.len() * 9 / 10])
}

fn main() {
    let (dovecot, postfix) = Postfix::start_pair();
    let user = "ap@example.test";
    dovecot.deliver(user, "INBOX", &common::corpus("a-001-en-reminder-acme.eml"));
    // Never answered: the look's common case.
    dovecot.deliver(
        user,
        "INBOX",
        &common::corpus("a-004-en-reminder-brennan.eml"),
    );
    // Chasers to claim, one each (a claim changes its message, so each is claimed once).
    let claimed_ids: Vec<String> = (0..SENDS)
        .map(|i| format!("<claim-{i}@acme-office.co.uk>"))
        .collect();
    for id in &claimed_ids {
        dovecot.deliver(
            user,
            "INBOX",
            &with_message_id(&common::corpus("a-001-en-reminder-acme.eml"), id),
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("bench.db")).unwrap();
    store
        .import_payables(&read_csv(common::corpus("payables.csv").as_slice()).unwrap())
        .unwrap();
    let account = Account {
        host: "127.0.0.1".into(),
        port: dovecot.tls_port(),
        security: Security::Tls,
        login: user.into(),
        secret: Secret::Password(dovecot::PASSWORD.into()),
        ca_file: Some(dovecot.ca_file()),
    };
    let mut imap = Imap::connect(&account).expect("IMAP login");
    let opts = common::northwind();
    let index = store.payables_index().unwrap();
    let folders = Folders::default();
    sync_once(
        &mut imap,
        &mut store,
        &Settings {
            folders: &folders,
            classify: &opts,
            index: &index,
        },
        &mut |_| {},
    )
    .unwrap();
    let ctx = ReplyContext {
        templates: Templates::builtin_only(),
        identity: Identity {
            from: format!("Northwind AP <{user}>"),
            company: "Northwind Traders Ltd".into(),
            signature: "Jo Bloggs\nAccounts Payable".into(),
            approver: None,
            ..Default::default()
        },
        classify: opts,
        index,
    };
    let smtp = SmtpAccount {
        server: duebox::account::Account {
            host: "127.0.0.1".into(),
            port: postfix.port(),
            security: Security::Starttls,
            login: user.into(),
            secret: Secret::Password(dovecot::PASSWORD.into()),
            ca_file: Some(postfix.ca_file()),
        },
        hello: "example.test".into(),
        timeout: Duration::from_secs(30),
    };
    let mut transport = smtp.connect().unwrap();
    let original = store
        .find_message(
            &duebox::mail::parse(&common::corpus("a-001-en-reminder-acme.eml"))
                .unwrap()
                .message_id
                .unwrap(),
        )
        .unwrap()
        .unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();

    // Where the time goes: rendering alone, and SMTP alone (the same bytes again).
    let render: Vec<f64> = (0..SENDS)
        .map(|_| {
            let start = Instant::now();
            ctx.prepare(&original.raw, "acknowledge", &Asked::default(), today)
                .unwrap();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let raw = ctx
        .prepare(&original.raw, "acknowledge", &Asked::default(), today)
        .unwrap()
        .draft
        .to_bytes(std::time::SystemTime::now())
        .unwrap();
    let wire: Vec<f64> = (0..SENDS)
        .map(|_| {
            let start = Instant::now();
            duebox::send::smtp::Transport::send(
                &mut transport,
                user,
                "billing@acme-office.co.uk",
                &raw,
            )
            .unwrap();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let mut run = |with_mailbox: bool, imap: &mut Imap, store: &mut Store| -> Vec<f64> {
        (0..SENDS)
            .map(|_| {
                let start = Instant::now();
                let p = ctx
                    .prepare(&original.raw, "acknowledge", &Asked::default(), today)
                    .unwrap();
                let mut s = Sending {
                    store,
                    transport: &mut transport,
                    mailbox: if with_mailbox { Some(imap) } else { None },
                    sent_folder: "Sent".into(),
                    save_sent: true,
                };
                s.send(&p, true).unwrap();
                start.elapsed().as_secs_f64() * 1000.0
            })
            .collect()
    };
    // (c) before any reply changed the folder: as a clerk opens chasers the last sync saw.
    let mut claims = Claims::new(Team {
        clerk: Clerk::new("Maria"),
        claim_minutes: 30,
    });
    let rows: Vec<i64> = claimed_ids
        .iter()
        .map(|id| store.find_message(id).unwrap().unwrap().id)
        .collect();
    let mut claimed_preview = Vec::new();
    let mut claim_alone = Vec::new();
    let mut unclaimed_preview = Vec::new();
    let mut held = Vec::new();
    for row in &rows {
        let raw = store.find_message(&row.to_string()).unwrap().unwrap().raw;
        // Before and after side by side, so both see the same load.
        let start = Instant::now();
        ctx.prepare(&raw, "acknowledge", &Asked::default(), today)
            .unwrap();
        unclaimed_preview.push(start.elapsed().as_secs_f64() * 1000.0);
        let start = Instant::now();
        let claim = claims
            .claim(&mut imap, &mut store, *row, chrono::Utc::now(), false)
            .unwrap();
        claim_alone.push(start.elapsed().as_secs_f64() * 1000.0);
        ctx.prepare(&raw, "acknowledge", &Asked::default(), today)
            .unwrap();
        claimed_preview.push(start.elapsed().as_secs_f64() * 1000.0);
        held.push(claim);
    }
    // The peer: one round trip of the same shape that changes nothing (SELECT and a FETCH
    // of the flags, written together).
    let place = store.message_place(rows[0]).unwrap().unwrap();
    let round_trip: Vec<f64> = (0..SENDS)
        .map(|_| {
            let start = Instant::now();
            ClaimServer::select_and_fetch(&mut imap, &place.folder, place.uid.unwrap()).unwrap();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    for claim in &held {
        claims.release(&mut imap, claim, false).unwrap();
    }
    let smtp_only = run(false, &mut imap, &mut store);
    let full = run(true, &mut imap, &mut store);
    // The look alone, on a chaser nobody answered: pipelined (what a send does) and the
    // same questions one command at a time (what it did before).
    let quiet = duebox::mail::parse(&common::corpus("a-004-en-reminder-brennan.eml"))
        .unwrap()
        .message_id
        .unwrap();
    let own = "<bench-look@example.test>";
    let probe = duebox::sync::probe::Probe {
        sent_folder: "Sent".into(),
        search: duebox::sync::probe::SentSearch::Answers {
            message_id: quiet.clone(),
            or_message_id: Some(own.into()),
            except: Vec::new(),
        },
        chaser: duebox::send::check::look(&mut imap, &store, "Sent", Some(&quiet), own).chaser,
    };
    // Interleaved, so that a change of load on the machine falls on both alike.
    let (mut look, mut fast, mut slow) = (Vec::new(), Vec::new(), Vec::new());
    let (mut look_turns, mut fast_turns, mut slow_turns) = (0, 0, 0);
    for _ in 0..SENDS {
        let (before, start) = (imap.turns(), Instant::now());
        let l = duebox::send::check::look(&mut imap, &store, "Sent", Some(&quiet), own);
        look.push(start.elapsed().as_secs_f64() * 1000.0);
        look_turns += imap.turns() - before;
        assert!(l.elsewhere.is_none() && l.chaser.is_some());
        let (before, start) = (imap.turns(), Instant::now());
        let p = imap.probe(&probe);
        fast.push(start.elapsed().as_secs_f64() * 1000.0);
        fast_turns += imap.turns() - before;
        assert!(matches!(p.chaser, Some(Ok(Some(_)))));
        let (before, start) = (imap.turns(), Instant::now());
        let p = duebox::sync::probe::one_by_one(&mut imap, &probe);
        slow.push(start.elapsed().as_secs_f64() * 1000.0);
        slow_turns += imap.turns() - before;
        assert!(matches!(p.chaser, Some(Ok(Some(_)))));
    }
    let per = |turns: u64| turns / SENDS as u64;
    let (look_turns, fast_turns, slow_turns) = (per(look_turns), per(fast_turns), per(slow_turns));
    let total = 3 * SENDS;
    postfix.wait_sink(&dovecot, total, Duration::from_secs(120));
    let (mr, pr) = stats(render);
    let (mw, pw) = stats(wire);
    let (m1, p1) = stats(smtp_only);
    let (m2, p2) = stats(full);
    let (mc, pc) = stats(claimed_preview);
    let (mt, pt) = stats(round_trip);
    let (ma, pa) = stats(claim_alone);
    let (mu, pu) = stats(unclaimed_preview);
    println!(
        "reply bench: {SENDS} sends each, Postfix -> Dovecot LMTP on 127.0.0.1, STARTTLS + AUTH"
    );
    println!(
        "    render only (parse, classify, match, template):  median {mr:.2} ms, p90 {pr:.2} ms"
    );
    println!(
        "    SMTP only (pooled connection: MAIL, RCPT, DATA):  median {mw:.1} ms, p90 {pw:.1} ms"
    );
    println!("(a) render + outbox + SMTP:                     median {m1:.1} ms, p90 {p1:.1} ms");
    println!("(b) (a) + APPEND to Sent + \\Answered over IMAP: median {m2:.1} ms, p90 {p2:.1} ms");
    let (ml, pl) = stats(look);
    let (mf, pf) = stats(fast);
    let (ms, ps) = stats(slow);
    println!("(c) the look before a reply (store + server): median {ml:.2} ms, p90 {pl:.2} ms, {look_turns} round trip(s)");
    println!("    its server part, pipelined:             median {mf:.2} ms, p90 {pf:.2} ms, {fast_turns} round trip(s)");
    println!("    the same, one command at a time:        median {ms:.2} ms, p90 {ps:.2} ms, {slow_turns} round trips");
    println!("    pipelined / one at a time: {:.2} in time on loopback, {fast_turns}/{slow_turns} in round trips", mf / ms);
    println!("(d) claim + render (the preview with [team]):    median {mc:.2} ms, p90 {pc:.2} ms");
    println!(
        "    the claim alone (SELECT + conditional STORE):  median {ma:.2} ms, p90 {pa:.2} ms"
    );
    println!(
        "    peer: SELECT + UID FETCH FLAGS, one write:     median {mt:.2} ms, p90 {pt:.2} ms"
    );
    println!(
        "    render alone, the same chasers, interleaved:   median {mu:.2} ms, p90 {pu:.2} ms"
    );
    println!(
        "    preview with a claim / without: {:.2}; the claim / its one-round-trip peer: {:.2}",
        mc / mu,
        ma / mt
    );
    println!(
        "    load average: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!("all {total} replies delivered");
}
