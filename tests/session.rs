//! The sync session as both front ends run it, against a real Dovecot and a real Postfix: a
//! reply sent while the mailbox could not be reached leaves its copy in Sent and `\Answered`
//! pending, and the UI's background pass (the same pass as `duebox sync`) catches them up.

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;
#[path = "common/postfix.rs"]
mod postfix;

use dovecot::{Dovecot, PASSWORD};
use duebox::sync::session::{AccountConnect, SentCopy};
use duebox::tui::msg::{Msg, SyncEvent};
use duebox::tui::worker::{self, SyncSetup};
use postfix::Postfix;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const AP: &str = "ap@example.test";
const CHASER: &str = "a-001-en-reminder-acme.eml";

struct World {
    dovecot: Dovecot,
    postfix: Postfix,
    home: tempfile::TempDir,
}

impl World {
    fn start() -> World {
        let (dovecot, postfix) = Postfix::start_pair();
        let w = World {
            dovecot,
            postfix,
            home: tempfile::tempdir().unwrap(),
        };
        w.write_config(w.dovecot.tls_port());
        w
    }

    fn config_path(&self) -> PathBuf {
        self.home.path().join("config.toml")
    }

    fn db(&self) -> PathBuf {
        self.home.path().join("duebox.db")
    }

    fn write_config(&self, imap_port: u16) {
        let config = postfix::duebox_config(
            &self.db(),
            &self.dovecot,
            imap_port,
            &self.postfix,
            self.postfix.port(),
            AP,
            &format!("from = \"Northwind Accounts Payable <{AP}>\"\nsignature = \"Jo Bloggs\"\n"),
        );
        std::fs::write(self.config_path(), config).unwrap();
    }

    fn duebox(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_duebox"))
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .env("XDG_CONFIG_HOME", self.home.path().join("xdg"))
            .env("DUEBOX_TEST_PASSWORD", PASSWORD)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.duebox(args);
        assert!(
            out.status.success(),
            "duebox {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout),
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn config(&self) -> duebox::config::Config {
        duebox::config::Config::load(&self.config_path(), true).unwrap()
    }
}

/// Maildir flags of every message in a folder (S seen, R answered).
fn maildir_flags(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            out.push(
                name.split_once(":2,")
                    .map(|(_, f)| f.to_string())
                    .unwrap_or_default(),
            );
        }
    }
    out
}

#[test]
fn the_ui_background_pass_retries_a_pending_sent_copy_and_answered_flag() {
    std::env::set_var("DUEBOX_TEST_PASSWORD", PASSWORD);
    let w = World::start();
    w.dovecot.deliver(AP, "INBOX", &common::corpus(CHASER));
    w.ok(&[
        "payables",
        "import",
        &format!(
            "{}/tests/fixtures/corpus/payables.csv",
            env!("CARGO_MANIFEST_DIR")
        ),
    ]);
    w.ok(&["sync"]);
    let id = duebox::mail::parse(&common::corpus(CHASER))
        .unwrap()
        .message_id
        .unwrap();

    // The mailbox is away while the reply goes out: SMTP delivers it, the copy in Sent and
    // \Answered wait.
    w.write_config(Postfix::unused_port());
    let sent = w.ok(&["reply", &id, "--template", "acknowledge"]);
    assert!(sent.contains("outbox #1"), "{sent}");
    assert_eq!(
        w.postfix
            .wait_sink(&w.dovecot, 1, Duration::from_secs(15))
            .len(),
        1
    );
    let sent_dir = w.dovecot.folder_dir(AP, "Sent");
    assert!(maildir_flags(&sent_dir).is_empty(), "no copy yet");
    w.write_config(w.dovecot.tls_port());

    // The UI's background worker, as `duebox` starts it, on the real mailbox.
    let config = w.config();
    let store = duebox::store::Store::open(&w.db()).unwrap();
    let (events, inbox) = std::sync::mpsc::channel();
    let (sync, _handle) = worker::spawn_sync(
        Box::new(AccountConnect(config.imap.clone().unwrap())),
        store,
        SyncSetup {
            folders: config.folders.clone(),
            classify: common::northwind(),
            fixed_today: false,
            interval: None,
            sent: SentCopy::from_config(&config),
        },
        events,
    );
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        match inbox.recv_timeout(end.saturating_duration_since(Instant::now())) {
            Ok(Msg::Sync(SyncEvent::Finished { .. })) => break,
            Ok(Msg::Sync(SyncEvent::Failed { detail, .. })) => panic!("the pass failed: {detail}"),
            Ok(_) => {}
            Err(e) => panic!("no pass finished: {e}"),
        }
    }
    let _ = sync.send(worker::SyncCmd::Shutdown);

    let copies = maildir_flags(&sent_dir);
    assert_eq!(
        copies.len(),
        1,
        "the copy in Sent was saved by the UI's pass"
    );
    let answered = [
        "INBOX",
        "Chasers/Reminders",
        "Chasers/Overdue",
        "Chasers/Review",
    ]
    .iter()
    .flat_map(|f| maildir_flags(&w.dovecot.folder_dir(AP, f)))
    .filter(|f| f.contains('R'))
    .count();
    assert_eq!(answered, 1, "the original is flagged \\Answered");
    let store = duebox::store::Store::open(&w.db()).unwrap();
    assert!(store.unfinished_after_send().unwrap().is_empty());
}
