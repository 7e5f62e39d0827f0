//! Replies through a real Postfix into a real Dovecot, driven through the `duebox` binary as a
//! user would: every built-in template sent as a reply and read back (threading headers,
//! Message-ID, From/To, body, the copy in Sent, \Answered on the original); the process killed
//! after SMTP accepted a reply and before the database recorded it (no second copy); the SMTP
//! server down (the draft kept, the error clear, sent later by `outbox retry`).

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;
#[path = "common/postfix.rs"]
mod postfix;

use dovecot::{Dovecot, PASSWORD};
use postfix::{Postfix, SINK};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const AP: &str = "ap@example.test";
const APPROVER: &str = "ap@northwind.test";
const WAIT: Duration = Duration::from_secs(15);

struct World {
    dovecot: Dovecot,
    postfix: Postfix,
    home: tempfile::TempDir,
}

impl World {
    fn start() -> World {
        let (dovecot, postfix) = Postfix::start_pair();
        let home = tempfile::tempdir().unwrap();
        let w = World {
            dovecot,
            postfix,
            home,
        };
        w.write_config(w.postfix.port());
        w
    }

    fn config_path(&self) -> PathBuf {
        self.home.path().join("config.toml")
    }

    fn write_config(&self, smtp_port: u16) {
        let config = postfix::duebox_config(
            &self.home.path().join("duebox.db"),
            &self.dovecot,
            self.dovecot.tls_port(),
            &self.postfix,
            smtp_port,
            AP,
            &format!(
                "from = \"Northwind Accounts Payable <{AP}>\"\nsignature = \"Jo Bloggs\\nAccounts Payable\"\napprover = \"Finance Director <{APPROVER}>\"\n"
            ),
        );
        std::fs::write(self.config_path(), config).unwrap();
    }

    fn duebox(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_duebox"));
        cmd.arg("--config")
            .arg(self.config_path())
            .args(args)
            .env("XDG_CONFIG_HOME", self.home.path().join("xdg"))
            .env("DUEBOX_TEST_PASSWORD", PASSWORD);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.duebox(args, &[]);
        assert!(
            out.status.success(),
            "duebox {args:?} failed: {}\n{}\n--- postfix ---\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout),
            self.postfix.log()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Puts corpus messages in the AP INBOX and syncs them (filed into the chaser folders).
    fn receive(&self, names: &[&str]) {
        for name in names {
            self.dovecot.deliver(AP, "INBOX", &common::corpus(name));
        }
        self.ok(&[
            "payables",
            "import",
            &format!(
                "{}/tests/fixtures/corpus/payables.csv",
                env!("CARGO_MANIFEST_DIR")
            ),
        ]);
        self.ok(&["sync"]);
    }
}

fn message_id(name: &str) -> String {
    duebox::mail::parse(&common::corpus(name))
        .unwrap()
        .message_id
        .unwrap()
}

/// The maildir files of a folder, parsed, with their maildir flags (S seen, R answered).
fn read_folder(dir: &Path) -> Vec<(duebox::mail::Message, String, String)> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let raw = std::fs::read(e.path()).unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let flags = name
                .split_once(":2,")
                .map(|(_, f)| f.to_string())
                .unwrap_or_default();
            out.push((
                duebox::mail::parse(&raw).unwrap(),
                flags,
                String::from_utf8_lossy(&raw).into_owned(),
            ));
        }
    }
    out
}

/// Where the synced message is now, with its maildir flags.
fn flags_of(w: &World, name: &str) -> String {
    let id = message_id(name);
    for folder in [
        "INBOX",
        "Chasers/Reminders",
        "Chasers/Overdue",
        "Chasers/Final notices",
        "Chasers/Statements",
        "Chasers/Review",
    ] {
        for (m, flags, _) in read_folder(&w.dovecot.folder_dir(AP, folder)) {
            if m.message_id.as_deref() == Some(id.as_str()) {
                return flags;
            }
        }
    }
    panic!("{name} is not in the mailbox");
}

#[test]
fn every_builtin_template_is_delivered_threaded_and_recorded() {
    let w = World::start();
    let cases: [(&str, &str, &[&str], &str); 6] = [
        (
            "a-001-en-reminder-acme.eml",
            "acknowledge",
            &[],
            "We have received it and are checking it",
        ),
        (
            "a-002-en-overdue-acme.eml",
            "set_expectations",
            &["--pay-on", "2026-12-04"],
            "scheduled for payment on 4 December 2026",
        ),
        (
            "a-005-en-overdue-brennan.eml",
            "negotiate",
            &["--pay-on", "2026-12-15", "--instalments", "2"],
            "$2,375.00 on January 15, 2027",
        ),
        (
            "a-023-de-reminder-schaefer.eml",
            "confirm_payment",
            &[],
            "SEPA 2026-11-02/4411",
        ),
        (
            "a-003-en-final-acme.eml",
            "dispute_amount",
            &[],
            "Difference:    £82.18",
        ),
        (
            "b-029-fraud-bankchange-girard.eml",
            "escalate",
            &["--note", "Bank change request: please call them."],
            "Bank change request: please call them.",
        ),
    ];
    let names: Vec<&str> = cases.iter().map(|c| c.0).collect();
    w.receive(&names);
    for (name, template, extra, _) in &cases {
        let id = message_id(name);
        let mut args = vec![
            "reply",
            id.as_str(),
            "--template",
            template,
            "--today",
            "2026-11-23",
        ];
        args.extend_from_slice(extra);
        let out = w.ok(&args);
        assert!(out.contains("sent "), "{out}");
    }
    // Five replies reach the vendors (the sink), the escalation reaches the approver.
    let vendors = w.postfix.wait_sink(&w.dovecot, 5, WAIT);
    assert_eq!(vendors.len(), 5);
    w.postfix
        .wait_delivered(&w.dovecot, APPROVER, "INBOX", 1, WAIT);
    let delivered: Vec<_> = read_folder(&w.dovecot.folder_dir(SINK, "INBOX"))
        .into_iter()
        .chain(read_folder(&w.dovecot.folder_dir(APPROVER, "INBOX")))
        .collect();
    let sent_copies = read_folder(&w.dovecot.folder_dir(AP, "Sent"));
    assert_eq!(sent_copies.len(), 6, "one copy of each reply in Sent");
    for (name, template, _, phrase) in &cases {
        let original = duebox::mail::parse(&common::corpus(name)).unwrap();
        let oid = original.message_id.clone().unwrap();
        let (reply, _, raw) = delivered
            .iter()
            .find(|(m, _, _)| m.in_reply_to.as_deref() == Some(oid.as_str()))
            .unwrap_or_else(|| panic!("no delivered reply to {name}"));
        assert!(
            reply.references.contains(&oid),
            "{template}: References has the original"
        );
        assert_eq!(reply.from.as_ref().unwrap().email, AP);
        let to = &reply.to[0].email;
        if *template == "escalate" {
            assert_eq!(to, APPROVER);
            assert!(
                reply.subject.starts_with("Escalation: "),
                "{}",
                reply.subject
            );
            assert!(
                flags_of(&w, name).find('R').is_none(),
                "an escalation does not answer the vendor"
            );
        } else {
            assert_eq!(
                Some(to),
                original.from.as_ref().map(|a| &a.email),
                "{template}: To is the vendor"
            );
            assert!(reply.subject.starts_with("Re: "), "{}", reply.subject);
            assert!(
                flags_of(&w, name).contains('R'),
                "{template}: the original is \\Answered"
            );
        }
        assert!(
            reply.body.contains(phrase),
            "{template}: body lacks {phrase:?}:\n{}",
            reply.body
        );
        assert!(raw.contains("Jo Bloggs"), "{template}: signature");
        // The Message-ID in Sent is the delivered one, and the copy is marked read.
        let mid = reply.message_id.clone().unwrap();
        let copy = sent_copies
            .iter()
            .find(|(m, _, _)| m.message_id.as_deref() == Some(mid.as_str()));
        let (_, flags, _) = copy.unwrap_or_else(|| panic!("{template}: no copy in Sent"));
        assert!(
            flags.contains('S'),
            "{template}: the copy in Sent is \\Seen"
        );
    }
    // The record holds the whole story of an invoice.
    let log = w.ok(&["log", "--invoice", "INV-00123"]);
    for kind in [
        "synced",
        "classified",
        "filed",
        "reply_queued",
        "reply_sent",
    ] {
        assert!(log.contains(kind), "log lacks {kind}:\n{log}");
    }
    let log = w.ok(&["log", "--csv"]);
    assert!(log.contains("escalated"), "{log}");
}

#[test]
fn a_fraud_flagged_chaser_cannot_be_answered() {
    let w = World::start();
    w.receive(&["b-029-fraud-bankchange-girard.eml"]);
    let id = message_id("b-029-fraud-bankchange-girard.eml");
    let out = w.duebox(&["reply", &id, "--template", "acknowledge"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("fraud warnings") && err.contains("phone"),
        "{err}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(read_folder(&w.dovecot.folder_dir(SINK, "INBOX")).is_empty());
}

#[test]
fn killed_after_smtp_accepted_the_reply_is_never_sent_twice() {
    let w = World::start();
    w.receive(&["a-001-en-reminder-acme.eml"]);
    let id = message_id("a-001-en-reminder-acme.eml");
    // The process aborts right after SMTP's 250, before the database records it.
    let out = w.duebox(
        &["reply", &id, "--template", "acknowledge"],
        &[("DUEBOX_FAILPOINT", "after-smtp")],
    );
    assert!(!out.status.success(), "the failpoint aborts");
    w.postfix.wait_sink(&w.dovecot, 1, WAIT);
    // Restarted, duebox does not know whether it went out: it asks and sends nothing.
    let out = w.duebox(&["reply", &id, "--template", "acknowledge"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("duebox outbox resolve"), "{err}");
    let list = w.ok(&["outbox"]);
    assert!(list.contains("sending"), "{list}");
    // The user checks, and says it arrived.
    let entry = list
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches('#')
        .to_string();
    w.ok(&["outbox", "resolve", &entry, "--sent"]);
    // Asked again, the same answer is refused as already given.
    let out = w.duebox(&["reply", &id, "--template", "acknowledge"], &[]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already answered"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(Duration::from_secs(1));
    assert!(w.postfix.wait_queue_empty(WAIT));
    assert_eq!(
        read_folder(&w.dovecot.folder_dir(SINK, "INBOX")).len(),
        1,
        "exactly one copy arrived"
    );
    // The copy in Sent and \Answered come with the next sync.
    w.ok(&["sync"]);
    assert!(flags_of(&w, "a-001-en-reminder-acme.eml").contains('R'));
}

#[test]
fn with_smtp_down_the_draft_is_kept_the_error_is_clear_and_retry_sends_it() {
    let w = World::start();
    w.receive(&["a-001-en-reminder-acme.eml"]);
    let down = Postfix::unused_port();
    w.write_config(down);
    let id = message_id("a-001-en-reminder-acme.eml");
    let out = w.duebox(&["reply", &id, "--template", "acknowledge"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot reach the SMTP server 127.0.0.1:{down}")),
        "{err}"
    );
    assert!(err.contains("the draft is kept as outbox #1"), "{err}");
    let shown = w.ok(&["outbox", "show", "1"]);
    assert!(
        shown.contains("failed") && shown.contains("We have received it"),
        "{shown}"
    );
    w.write_config(w.postfix.port());
    w.ok(&["outbox", "retry", "1"]);
    let got = w.postfix.wait_sink(&w.dovecot, 1, WAIT);
    assert_eq!(got.len(), 1);
    assert_eq!(read_folder(&w.dovecot.folder_dir(AP, "Sent")).len(), 1);
}
