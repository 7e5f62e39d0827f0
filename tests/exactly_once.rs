//! "Sent exactly once" against the real Postfix + Dovecot, driven through the `duebox`
//! binary as a user would, with a fault-injecting relay (tests/common/smtp_relay.rs) between
//! duebox and Postfix: each fault leads to a truthful state, and retry / resolve / the next
//! sync never deliver a second copy (counted by Message-ID in the vendors' Dovecot mailbox);
//! a chaser answered by another IMAP client is not answered again without --again; two
//! installations (two databases) sync one mailbox at once and then answer the same chaser
//! once; a chaos run of 50 sends with kill -9 at random moments and random relay faults;
//! messages expunged under a session are skipped, not stored as unparsable; closed pipes.

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;
#[path = "common/postfix.rs"]
mod postfix;
#[path = "common/smtp_relay.rs"]
mod smtp_relay;

use dovecot::{Dovecot, PASSWORD};
use duebox::store::{OutboxEntry, OutboxState, Store};
use postfix::{Postfix, PostfixOptions, SINK};
use smtp_relay::{Fault, Relay};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const AP: &str = "ap@example.test";
const WAIT: Duration = Duration::from_secs(20);
/// duebox's SMTP timeout in these tests; a withheld answer waits longer.
const TIMEOUT_SECS: u64 = 2;

struct World {
    dovecot: Dovecot,
    postfix: Postfix,
    relay: Relay,
    home: tempfile::TempDir,
}

/// One duebox installation: its own config and database, the shared account.
struct Install {
    dir: PathBuf,
}

impl World {
    fn start() -> World {
        let dovecot = Dovecot::start_with(postfix::dovecot_options());
        // The relay speaks plain SMTP (it must read the session), so Postfix offers AUTH
        // without TLS; duebox reaches it with security = "plain" on 127.0.0.1.
        let postfix = Postfix::start_with(&dovecot, PostfixOptions::new().auth_without_tls());
        let relay = Relay::start(postfix.port());
        World {
            dovecot,
            postfix,
            relay,
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn install(&self, name: &str) -> Install {
        let dir = self.home.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let config = format!(
            "[company]\nname = \"Northwind Traders Ltd\"\ndomains = [\"northwind-traders.com\", \"example.test\"]\n\n\
             [database]\npath = \"{db}\"\n\n\
             [imap]\nhost = \"127.0.0.1\"\nport = {imap}\nsecurity = \"tls\"\nlogin = \"{AP}\"\npassword_env = \"DUEBOX_TEST_PASSWORD\"\nca_file = \"{ca}\"\n\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {smtp}\nsecurity = \"plain\"\ntimeout = {TIMEOUT_SECS}\n\n\
             [reply]\nfrom = \"Northwind Accounts Payable <{AP}>\"\nsignature = \"Jo Bloggs\\nAccounts Payable\"\n",
            db = dir.join("duebox.db").display(),
            imap = self.dovecot.tls_port(),
            ca = self.dovecot.ca_file().display(),
            smtp = self.relay.port(),
        );
        std::fs::write(dir.join("config.toml"), config).unwrap();
        let i = Install { dir };
        i.ok(&[
            "payables",
            "import",
            &format!(
                "{}/tests/fixtures/corpus/payables.csv",
                env!("CARGO_MANIFEST_DIR")
            ),
        ]);
        i
    }

    /// Waits until Postfix has delivered everything it took.
    fn settle(&self) {
        assert!(
            self.postfix.wait_queue_empty(WAIT),
            "{}",
            self.postfix.log()
        );
    }

    /// How many copies of the message with this Message-ID the vendors received.
    fn delivered(&self, message_id: &str) -> usize {
        ids_in(&self.dovecot.folder_dir(SINK, "INBOX"))
            .iter()
            .filter(|(id, _)| same(id, message_id))
            .count()
    }

    /// How many replies to this message the vendors received.
    fn answers_delivered(&self, chaser: &str) -> usize {
        ids_in(&self.dovecot.folder_dir(SINK, "INBOX"))
            .iter()
            .filter(|(_, irt)| irt.as_deref().is_some_and(|r| same(r, chaser)))
            .count()
    }

    /// How many copies of this Message-ID are in the account's Sent folder.
    fn in_sent(&self, message_id: &str) -> usize {
        ids_in(&self.dovecot.folder_dir(AP, "Sent"))
            .iter()
            .filter(|(id, _)| same(id, message_id))
            .count()
    }
}

fn same(a: &str, b: &str) -> bool {
    let bare = |s: &str| s.trim().trim_matches(['<', '>']).to_ascii_lowercase();
    bare(a) == bare(b)
}

/// (Message-ID, In-Reply-To) of every message in a Maildir folder.
fn ids_in(dir: &Path) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            if let Ok(m) = duebox::mail::parse(&std::fs::read(e.path()).unwrap_or_default()) {
                out.push((m.message_id.unwrap_or_default(), m.in_reply_to));
            }
        }
    }
    out
}

impl Install {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_duebox"));
        cmd.arg("--config")
            .arg(self.dir.join("config.toml"))
            .args(args)
            .env("XDG_CONFIG_HOME", self.dir.join("xdg"))
            .env("DUEBOX_TEST_PASSWORD", PASSWORD)
            .env_remove("DUEBOX_FAILPOINT");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "duebox {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn store(&self) -> Store {
        Store::open(&self.dir.join("duebox.db")).unwrap()
    }

    fn outbox(&self) -> Vec<OutboxEntry> {
        self.store().outbox(&[]).unwrap()
    }

    fn entry(&self, id: i64) -> OutboxEntry {
        self.store().outbox_entry(id).unwrap().unwrap()
    }

    /// The newest reply to a chaser.
    fn reply_to(&self, chaser: &str) -> Option<OutboxEntry> {
        let bare = chaser.trim_matches(['<', '>']);
        self.store().replies_to(bare).unwrap().pop()
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A corpus message under a new Message-ID (a new chaser with the same words).
fn with_message_id(name: &str, id: &str) -> Vec<u8> {
    let raw = String::from_utf8(common::corpus(name)).unwrap();
    let mut out = String::new();
    let mut done = false;
    for line in raw.split_inclusive('\n') {
        if !done && line.to_ascii_lowercase().starts_with("message-id:") {
            out.push_str(&format!("Message-ID: {id}\r\n"));
            done = true;
        } else {
            out.push_str(line);
        }
    }
    assert!(done, "{name} has a Message-ID");
    out.into_bytes()
}

#[test]
fn each_relay_fault_leads_to_a_truthful_state_and_never_to_a_second_delivery() {
    let w = World::start();
    let a = w.install("a");
    let faults = [
        (
            Fault::Withhold(Duration::from_secs(TIMEOUT_SECS + 2)),
            OutboxState::Unknown,
        ),
        (Fault::DropAfterAccept, OutboxState::Unknown),
        (Fault::DropAfterForwarding, OutboxState::Sent),
        (Fault::DropBeforeData, OutboxState::Failed),
        (Fault::Refuse(451), OutboxState::Failed),
        (Fault::Refuse(554), OutboxState::Failed),
    ];
    let chasers: Vec<String> = (0..faults.len())
        .map(|i| format!("<fault-{i}@acme-office.co.uk>"))
        .collect();
    for c in &chasers {
        w.dovecot.deliver(
            AP,
            "INBOX",
            &with_message_id("a-001-en-reminder-acme.eml", c),
        );
    }
    a.ok(&["sync"]);
    let mut table = Vec::new();
    for ((fault, expected), chaser) in faults.iter().zip(&chasers) {
        w.relay.push(*fault);
        let out = a.run(&["reply", chaser, "--template", "acknowledge"]);
        let said = stderr(&out);
        let entry = a.reply_to(chaser).expect("queued");
        assert_eq!(entry.state, *expected, "{fault:?}: {said}");
        assert_eq!(
            out.status.success(),
            *expected == OutboxState::Sent,
            "{said}"
        );
        match expected {
            OutboxState::Unknown => {
                assert!(said.contains("may or may not have the message"), "{said}");
                assert!(
                    said.contains(&format!("duebox outbox resolve {}", entry.id)),
                    "{said}"
                );
                // Retry refuses; resolve cannot find it in Sent and asks; a sync sends nothing.
                let r = a.run(&["outbox", "retry", &entry.id.to_string()]);
                assert_eq!(r.status.code(), Some(1));
                assert!(stderr(&r).contains("outcome is unknown"), "{}", stderr(&r));
                let r = a.run(&["outbox", "resolve", &entry.id.to_string()]);
                assert_eq!(r.status.code(), Some(1));
                let asked = String::from_utf8_lossy(&r.stdout).into_owned();
                assert!(
                    asked.contains("cannot tell") && asked.contains("--sent"),
                    "{asked}"
                );
                a.ok(&["sync"]);
                assert_eq!(a.entry(entry.id).state, OutboxState::Unknown);
                // The user checks with the vendor: it arrived.
                w.settle();
                assert_eq!(w.delivered(&entry.message_id), 1, "{fault:?}");
                a.ok(&["outbox", "resolve", &entry.id.to_string(), "--sent"]);
            }
            OutboxState::Failed => {
                assert!(said.contains("not sent, the draft is kept"), "{said}");
                w.settle();
                assert_eq!(
                    w.delivered(&entry.message_id),
                    0,
                    "{fault:?}: nothing arrived"
                );
                a.ok(&["outbox", "retry", &entry.id.to_string()]);
            }
            _ => {}
        }
        a.ok(&["sync"]);
        let r = a.run(&["outbox", "retry", &entry.id.to_string()]);
        assert_eq!(r.status.code(), Some(1), "a sent reply is not retried");
        w.settle();
        let e = a.entry(entry.id);
        assert_eq!(e.state, OutboxState::Sent);
        let copies = w.delivered(&e.message_id);
        assert_eq!(copies, 1, "{fault:?}: delivered once");
        assert_eq!(w.in_sent(&e.message_id), 1, "{fault:?}: one copy in Sent");
        let shown = if out.status.success() {
            String::from_utf8_lossy(&out.stdout).into_owned()
        } else {
            said.clone()
        };
        let first_line = shown.lines().next().unwrap_or("").to_string();
        table.push((format!("{fault:?}"), e.state, copies, first_line));
    }
    // Asked again, every chaser is answered already.
    for chaser in &chasers {
        let out = a.run(&["reply", chaser, "--template", "acknowledge"]);
        assert_eq!(out.status.code(), Some(1));
    }
    w.settle();
    println!("fault → state → deliveries (after retry/resolve/sync) → what the user saw");
    let mut doubles = 0;
    for (fault, _, copies, words) in &table {
        doubles += copies.saturating_sub(1);
        println!("{fault:<28} → {copies} → {words}");
    }
    for chaser in &chasers {
        assert_eq!(w.answers_delivered(chaser), 1);
    }
    println!("double deliveries: {doubles}");
    assert_eq!(doubles, 0);
    assert_eq!(w.relay.applied().len(), faults.len());
}

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

/// A tiny deterministic generator (xorshift64*), so a failing chaos run can be replayed
/// with DUEBOX_CHAOS_SEED.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// What a user does after a send: every reply whose outcome is unknown is resolved —
/// duebox looks in Sent; if it cannot tell, the user checks with the vendor (here: the
/// vendors' mailbox) and answers; failed replies are retried. Returns how often the user
/// had to be asked.
fn recover_as_user(w: &World, i: &Install) -> usize {
    let mut asked = 0;
    for _ in 0..4 {
        let pending: Vec<OutboxEntry> = i
            .outbox()
            .into_iter()
            .filter(|e| {
                matches!(
                    e.state,
                    OutboxState::Sending | OutboxState::Unknown | OutboxState::Failed
                )
            })
            .collect();
        if pending.is_empty() {
            return asked;
        }
        for e in pending {
            let id = e.id.to_string();
            if e.state == OutboxState::Failed {
                let _ = i.run(&["outbox", "retry", &id]);
                continue;
            }
            let r = i.run(&["outbox", "resolve", &id]);
            if r.status.success() {
                continue;
            }
            asked += 1;
            w.settle();
            if w.delivered(&e.message_id) > 0 {
                i.ok(&["outbox", "resolve", &id, "--sent"]);
            } else {
                let _ = i.run(&["outbox", "resolve", &id, "--resend"]);
            }
        }
    }
    asked
}

#[test]
fn chaos_fifty_sends_with_kills_and_relay_faults_deliver_each_reply_at_most_once() {
    let started = Instant::now();
    let w = World::start();
    let a = w.install("a");
    let seed = std::env::var("DUEBOX_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15_u64);
    let mut rng = Rng(seed);
    let chasers: Vec<String> = (0..50)
        .map(|i| format!("<chaos-{i}@acme-office.co.uk>"))
        .collect();
    for c in &chasers {
        w.dovecot.deliver(
            AP,
            "INBOX",
            &with_message_id("a-001-en-reminder-acme.eml", c),
        );
    }
    a.ok(&["sync"]);
    let (mut kills, mut failpoints, mut faults, mut asked) = (0, 0, 0, 0);
    for chaser in &chasers {
        let fault = match rng.below(16) {
            0 => Some(Fault::Withhold(Duration::from_secs(TIMEOUT_SECS + 1))),
            1 => Some(Fault::DropAfterAccept),
            2 => Some(Fault::DropAfterForwarding),
            3 => Some(Fault::DropBeforeData),
            4 => Some(Fault::Refuse(451)),
            5 => Some(Fault::Refuse(554)),
            _ => None,
        };
        w.relay.clear();
        if let Some(f) = fault {
            w.relay.push(f);
            faults += 1;
        }
        let mut cmd = a.command(&["reply", chaser, "--template", "acknowledge"]);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        match rng.below(10) {
            0 => {
                cmd.env("DUEBOX_FAILPOINT", "after-append");
                failpoints += 1;
            }
            1 => {
                cmd.env("DUEBOX_FAILPOINT", "after-smtp");
                failpoints += 1;
            }
            _ => {}
        }
        let mut child = cmd.spawn().unwrap();
        if rng.below(3) == 0 {
            // kill -9 at a random moment of the send.
            std::thread::sleep(Duration::from_millis(rng.below(400)));
            if child.try_wait().unwrap().is_none() {
                let _ = child.kill();
                kills += 1;
            }
        }
        let _ = child.wait();
        w.relay.clear();
        asked += recover_as_user(&w, &a);
        if a.reply_to(chaser).is_none() {
            // Killed before the reply was even queued: the user simply answers again.
            a.ok(&["reply", chaser, "--template", "acknowledge"]);
        }
    }
    asked += recover_as_user(&w, &a);
    a.ok(&["sync"]);
    w.settle();
    let entries = a.outbox();
    let mut doubles = 0;
    let mut unrecorded = 0;
    let mut sent_doubles = 0;
    let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &entries {
        *by_state.entry(e.state.as_str()).or_default() += 1;
        let n = w.delivered(&e.message_id);
        doubles += n.saturating_sub(1);
        if n > 0 && e.state != OutboxState::Sent {
            unrecorded += 1;
        }
        if w.in_sent(&e.message_id) > 1 {
            sent_doubles += 1;
        }
    }
    let answered_twice = chasers
        .iter()
        .filter(|c| w.answers_delivered(c) > 1)
        .count();
    let unanswered = chasers
        .iter()
        .filter(|c| w.answers_delivered(c) == 0)
        .count();
    let left_unknown = entries
        .iter()
        .filter(|e| matches!(e.state, OutboxState::Unknown | OutboxState::Sending))
        .count();
    let missing_in_sent = entries
        .iter()
        .filter(|e| e.state == OutboxState::Sent && w.in_sent(&e.message_id) != 1)
        .count();
    println!(
        "chaos (seed {seed}): 50 chasers, {} replies in the outbox {by_state:?}; {kills} kill -9, {failpoints} failpoint aborts, {faults} relay faults {:?}; the user was asked {asked} times; {:.1} s",
        entries.len(),
        w.relay.applied(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "double deliveries: {doubles}; chasers answered twice: {answered_twice}; unanswered: {unanswered}; delivered but not recorded sent: {unrecorded}; two copies in Sent: {sent_doubles}; sent without a copy in Sent: {missing_in_sent}; left unknown: {left_unknown}"
    );
    assert_eq!(doubles, 0);
    assert_eq!(answered_twice, 0);
    assert_eq!(unanswered, 0);
    assert_eq!(unrecorded, 0);
    assert_eq!(sent_doubles, 0);
    assert_eq!(missing_in_sent, 0);
    assert_eq!(left_unknown, 0);
}

#[test]
fn messages_expunged_under_a_session_are_skipped_not_unparsable() {
    use duebox::sync::server::MailServer;
    let d = Dovecot::start();
    for i in 0..6 {
        d.deliver(
            AP,
            "INBOX",
            &with_message_id("a-001-en-reminder-acme.eml", &format!("<gone-{i}@x.test>")),
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
    let mut imap = duebox::imap::Imap::connect(&account).unwrap();
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
    for i in 0..4 {
        d.deliver(
            AP,
            "INBOX",
            &with_message_id("a-001-en-reminder-acme.eml", &format!("<claim-{i}@x.test>")),
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
    let mut imap = duebox::imap::Imap::connect(&account).unwrap();
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
