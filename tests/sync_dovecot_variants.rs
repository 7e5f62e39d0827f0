//! Sync against real Dovecot variants on 127.0.0.1 (tests/common/dovecot.rs): a personal
//! namespace with the `INBOX.` prefix and "." separator and an Outlook-style `\Sent` folder
//! ("Sent Items"); capabilities hidden (no MOVE, CONDSTORE, QRESYNC, IDLE; no SPECIAL-USE); and a
//! server that refuses custom keywords at STORE while PERMANENTFLAGS shows `\*`
//! (`mail_max_keyword_length`). The default config files chasers correctly on each, and
//! `config check` says beforehand what the server will refuse.

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;
#[path = "common/scenario.rs"]
mod scenario;

use dovecot::{Dovecot, Options};
use duebox::config::Security;
use duebox::imap::{Account, Secret};
use scenario::Mailbox;
use std::time::Duration;

impl Mailbox for Dovecot {
    fn imap_raw(&self, commands: &[&str]) -> String {
        Dovecot::imap_raw(self, commands)
    }
    fn deliver_inbox(&self, raw: &[u8]) {
        self.deliver(self.user(), "INBOX", raw);
    }
    fn account(&self) -> Account {
        Account {
            host: "127.0.0.1".into(),
            port: self.tls_port(),
            security: Security::Tls,
            login: self.user().into(),
            secret: Secret::Password(dovecot::PASSWORD.into()),
            ca_file: Some(self.ca_file()),
        }
    }
}

/// Dovecot's Maildir++ names: "." between levels, under `prefix`.
fn dotted(prefix: &'static str) -> impl Fn(&str) -> String {
    move |f: &str| {
        if f == "INBOX" {
            "INBOX".into()
        } else {
            format!("{prefix}{}", f.replace('/', "."))
        }
    }
}

#[test]
fn an_inbox_prefixed_namespace_gets_its_folders_under_inbox_and_survives_a_crash() {
    // Without MOVE, so a crash between COPY and EXPUNGE is tried under the prefix too (Cyrus's
    // traditional namespace is tested with MOVE).
    let d = Dovecot::start_with(
        Options::new()
            .with_namespace("INBOX.", ".")
            .with_special_use("Sent Items", "\\Sent")
            .without_move(),
    );
    let dir = tempfile::tempdir().unwrap();
    scenario::checked(
        &d,
        dir.path(),
        &[
            "personal namespace: prefix \"INBOX.\", separator \".\"",
            "folder Chasers/Overdue: will be created as \"INBOX.Chasers.Overdue\"",
            "sent folder: \"INBOX.Sent Items\" (the server marks it \\Sent)",
            "keywords: kept",
        ],
    );
    scenario::first_and_incremental(&d, dir.path(), &dotted("INBOX."), true, true);
    scenario::sent_copy_lands_in(&d, &d.account(), "INBOX.Sent Items");
}

#[test]
fn hidden_capabilities_are_worked_around_copy_expunge_and_polling() {
    // Dovecot advertises SPECIAL-USE only with special-use folders configured; none are.
    let d = Dovecot::start_with(Options::new().without(&["MOVE", "CONDSTORE", "QRESYNC", "IDLE"]));
    let dir = tempfile::tempdir().unwrap();
    scenario::checked(
        &d,
        dir.path(),
        &[
            "MOVE: no, filing uses UID COPY",
            "CONDSTORE: no",
            "IDLE: no, sync --watch polls",
            "SPECIAL-USE: no, the Sent folder is found by its name",
        ],
    );
    let (config, db) = scenario::first_and_incremental(&d, dir.path(), &dotted(""), true, true);
    scenario::sent_copy_lands_in(&d, &d.account(), "Sent");
    // No IDLE: the watch polls every [sync] interval (10 s).
    scenario::watch_picks_up(
        &d,
        &config,
        &db,
        &common::corpus("a-009-en-overdue-pemberton.eml"),
        Duration::from_secs(25),
    );
}

#[test]
fn refused_keywords_are_reported_first_then_mail_is_filed_without_them() {
    let d = Dovecot::start_with(Options::new().refusing_keywords_longer_than(5));
    let dir = tempfile::tempdir().unwrap();
    scenario::deliver_all(&d);
    let config = scenario::config_file(&d, dir.path(), "config.toml", "");
    let db = dir.path().join("duebox.db");
    let (code, text) = scenario::config_check(&d, &config, &db);
    assert_eq!(code, Some(0), "filing still works: {text}");
    assert!(
        text.contains("keywords: the server refused to store the keyword \"$DueboxProbe\""),
        "{text}"
    );
    // label_only could do nothing at all here: config check says so, and so does sync.
    let labels = scenario::config_file(
        &d,
        dir.path(),
        "labels.toml",
        "[folders]\nlabel_only = true\n",
    );
    let labels_db = dir.path().join("labels.db");
    let (code, text) = scenario::config_check(&d, &labels, &labels_db);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("duebox could do nothing"), "{text}");
    let mut cmd = scenario::duebox(&d, &labels, &labels_db);
    cmd.arg("sync");
    let (code, text) = scenario::run(cmd);
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("labelled in place"), "{text}");
    assert_eq!(
        text.matches("the server refused duebox's keywords").count(),
        1,
        "one warning: {text}"
    );
    let inbox = |_: &str| "INBOX".to_string();
    scenario::assert_placed(&d, &scenario::expected(&inbox, false), false);
    // The default config files everything, without keywords, with one warning a pass.
    scenario::first_and_incremental(&d, dir.path(), &dotted(""), false, false);
}
