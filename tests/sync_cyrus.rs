//! Sync against a real Cyrus IMAP 3.6 (Debian's binaries, unpacked, not installed; see
//! tests/common/cyrus.rs) on 127.0.0.1, in its traditional namespace (`INBOX.` prefix, "."
//! separator) and its alt namespace ("/", MOVE and SPECIAL-USE hidden, so XLIST): the default config files chasers
//! correctly, a crash between COPY and EXPUNGE loses and doubles nothing, the Sent copy goes
//! to the `\Sent` folder, `--watch` notices new mail, and a folder the server refuses (a
//! folder quota) is reported by `config check` before the first sync and never aborts one.

mod common;
#[path = "common/cyrus.rs"]
mod cyrus;
#[path = "common/scenario.rs"]
mod scenario;

use cyrus::{Cyrus, Namespace, Options};
use duebox::config::Security;
use duebox::imap::{Account, Secret};
use scenario::Mailbox;
use std::time::Duration;

impl Mailbox for Cyrus {
    fn imap_raw(&self, commands: &[&str]) -> String {
        Cyrus::imap_raw(self, commands)
    }
    fn deliver_inbox(&self, raw: &[u8]) {
        self.deliver("INBOX", raw);
    }
    fn account(&self) -> Account {
        Account {
            host: "127.0.0.1".into(),
            port: self.port(),
            security: Security::Plain,
            login: self.user().into(),
            secret: Secret::Password(cyrus::PASSWORD.into()),
            ca_file: None,
        }
    }
    fn shows_recent(&self) -> bool {
        true
    }
}

#[test]
fn traditional_namespace_files_under_inbox_with_the_default_config() {
    let c = Cyrus::start(Options::new(Namespace::Traditional));
    let dir = tempfile::tempdir().unwrap();
    scenario::checked(
        &c,
        dir.path(),
        &[
            "personal namespace: prefix \"INBOX.\", separator \".\"",
            "folder Chasers/Overdue: will be created as \"INBOX.Chasers.Overdue\"",
            "sent folder: \"INBOX.Sent Items\" (the server marks it \\Sent)",
            "keywords: kept",
            "MOVE: yes",
        ],
    );
    let map = |f: &str| c.folder(f);
    let (config, db) = scenario::first_and_incremental(&c, dir.path(), &map, true, false);
    scenario::sent_copy_lands_in(&c, &c.account(), "INBOX.Sent Items");
    scenario::watch_picks_up(
        &c,
        &config,
        &db,
        &common::corpus("a-009-en-overdue-pemberton.eml"),
        Duration::from_secs(15),
    );
}

#[test]
fn alt_namespace_without_move_survives_a_crash_between_copy_and_expunge() {
    // SPECIAL-USE hidden too: the Sent folder is then found with XLIST, as on old servers.
    let c = Cyrus::start(Options::new(Namespace::Alt).without(&["MOVE", "SPECIAL-USE"]));
    let dir = tempfile::tempdir().unwrap();
    scenario::checked(
        &c,
        dir.path(),
        &[
            "personal namespace: prefix \"\", separator \"/\"",
            "folder Chasers/Overdue: will be created as \"Chasers/Overdue\"",
            "MOVE: no, filing uses UID COPY",
            "SPECIAL-USE: no, XLIST marks the Sent folder",
            "sent folder: \"Sent Items\" (the server marks it \\Sent)",
        ],
    );
    let map = |f: &str| c.folder(f);
    scenario::first_and_incremental(&c, dir.path(), &map, true, true);
    scenario::sent_copy_lands_in(&c, &c.account(), "Sent Items");
}

#[test]
fn a_folder_the_server_refuses_is_reported_first_and_never_aborts_a_sync() {
    let c = Cyrus::start(Options::new(Namespace::Traditional));
    c.limit_folders(true);
    let dir = tempfile::tempdir().unwrap();
    scenario::deliver_all(&c);
    let config = scenario::config_file(&c, dir.path(), "config.toml", "");
    let db = dir.path().join("duebox.db");
    scenario::import_payables(&c, &config, &db);
    let (code, text) = scenario::config_check(&c, &config, &db);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("folder Chasers/Overdue: the server refused to create folders there"),
        "{text}"
    );
    let mut cmd = scenario::duebox(&c, &config, &db);
    cmd.arg("sync");
    let (code, text) = scenario::run(cmd);
    assert_eq!(
        code,
        Some(0),
        "a refused folder must not abort the pass: {text}"
    );
    assert!(text.contains("sync: 7 new, 0 filed"), "{text}");
    assert!(
        text.contains("the server refused to create the folder 'Chasers/Overdue'"),
        "{text}"
    );
    // The server's words appear once per line, not twice.
    for line in text.lines() {
        assert!(line.matches("Over quota").count() <= 1, "{line}");
    }
    let inbox = |_: &str| "INBOX".to_string();
    scenario::assert_placed(&c, &scenario::expected(&inbox, false), false);
    // With the limit lifted, the next pass files what waited.
    c.limit_folders(false);
    let mut cmd = scenario::duebox(&c, &config, &db);
    cmd.arg("sync");
    let (code, text) = scenario::run(cmd);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("5 filed"), "{text}");
    let map = |f: &str| c.folder(f);
    scenario::assert_placed(&c, &scenario::expected(&map, false), true);
}
