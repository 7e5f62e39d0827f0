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

// The tests by topic, in one binary so that they share its build (the world they run in is
// below): other clients and a second installation; the chaos run; what must stay quiet.
#[path = "exactly_once/chaos.rs"]
mod chaos;
#[path = "exactly_once/clients.rs"]
mod clients;
#[path = "exactly_once/quiet.rs"]
mod quiet;

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
