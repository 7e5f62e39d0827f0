//! The same mailbox story told to every real server variant (Dovecot's, Cyrus's): chasers
//! delivered, `duebox config check`, first and incremental `duebox sync` with the default
//! folders, then where every message is, read back by a second client: each exactly once,
//! in the folder of its stage, never marked `\Seen`. Server-neutral: a variant supplies raw
//! IMAP, delivery and its `[imap]` section through [`Mailbox`].
#![allow(dead_code)]

use duebox::config::Security;
use duebox::imap::{Account, Secret};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The seven messages of the first sync and the logical folder each belongs in.
pub const MAIL: [(&str, &str); 7] = [
    ("a-001-en-reminder-acme.eml", "Chasers/Reminders"),
    ("a-005-en-overdue-brennan.eml", "Chasers/Overdue"),
    ("a-010-en-final-pemberton.eml", "Chasers/Final notices"),
    ("a-017-en-statement-greenfield.eml", "Chasers/Statements"),
    ("b-030-fraud-lookalike-ruiz.eml", "Chasers/Review"),
    ("a-031-en-neg-new-invoice-acme.eml", "INBOX"),
    ("a-039-en-neg-meeting-pemberton.eml", "INBOX"),
];

/// The message of the incremental sync.
pub const LATER: (&str, &str) = ("a-002-en-overdue-acme.eml", "Chasers/Overdue");

/// A real server variant, as the story needs it.
pub trait Mailbox {
    /// Logs in as the user, runs commands (tagged a1, a2, …), returns what the server sent.
    fn imap_raw(&self, commands: &[&str]) -> String;
    /// Puts a message into INBOX as another client or the MTA would.
    fn deliver_inbox(&self, raw: &[u8]);
    /// How duebox reaches the server: the `[imap]` section and the tests' own connections
    /// are both written from it.
    fn account(&self) -> Account;
    /// The `[imap]` section of a config file for this server.
    fn imap_section(&self) -> String {
        let a = self.account();
        let security = match a.security {
            Security::Tls => "tls",
            Security::Starttls => "starttls",
            Security::Plain => "plain",
        };
        let ca = a
            .ca_file
            .map(|f| format!("ca_file = \"{}\"\n", f.display()))
            .unwrap_or_default();
        format!(
            "[imap]\nhost = \"{}\"\nport = {}\nsecurity = \"{security}\"\nlogin = \"{}\"\npassword_env = \"DUEBOX_TEST_PASSWORD\"\n{ca}",
            a.host, a.port, a.login
        )
    }
    /// The password the section's `password_env` must carry.
    fn password(&self) -> String {
        match self.account().secret {
            Secret::Password(p) => p,
            other => panic!("the test servers take a password, not {other:?}"),
        }
    }
    /// Whether a message delivered since the last SELECT shows `\Recent` to EXAMINE (Cyrus),
    /// so that the story can check the flag was offered to duebox and not stored.
    fn shows_recent(&self) -> bool {
        false
    }
}

/// The Message-ID of a corpus file.
pub fn message_id(file: &str) -> String {
    let raw = crate::common::corpus(file);
    duebox::mail::parse(&raw)
        .expect("corpus message parses")
        .message_id
        .expect("corpus message has a Message-ID")
}

/// Writes a config file with the default folders (plus `extra` TOML) and returns its path.
pub fn config_file(m: &dyn Mailbox, dir: &Path, name: &str, extra: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "[company]\nname = \"Northwind Traders\"\ndomains = [\"northwind-traders.com\"]\n{}\n[sync]\ninterval = 10\n{extra}",
            m.imap_section()
        ),
    )
    .expect("write the config file");
    path
}

/// The mail delivered, the default config written, and `config check` passed saying each of
/// `says`; the config file and the database path.
pub fn checked(m: &dyn Mailbox, dir: &Path, says: &[&str]) -> (PathBuf, PathBuf) {
    deliver_all(m);
    let config = config_file(m, dir, "config.toml", "");
    let db = dir.join("duebox.db");
    let (code, text) = config_check(m, &config, &db);
    assert_eq!(code, Some(0), "{text}");
    for needle in says {
        assert!(text.contains(needle), "no '{needle}' in:\n{text}");
    }
    (config, db)
}

/// The duebox binary with this config and database.
pub fn duebox(m: &dyn Mailbox, config: &Path, db: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_duebox"));
    cmd.arg("--config")
        .arg(config)
        .arg("--db")
        .arg(db)
        .env("DUEBOX_TEST_PASSWORD", m.password());
    cmd
}

/// Runs it to the end: (exit code, stdout + stderr).
pub fn run(mut cmd: Command) -> (Option<i32>, String) {
    let out = cmd.output().expect("run duebox");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// The vendors and payables the corpus is written against.
pub fn import_payables(m: &dyn Mailbox, config: &Path, db: &Path) {
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/payables.csv");
    let mut cmd = duebox(m, config, db);
    cmd.args(["payables", "import"]).arg(&csv);
    let (code, text) = run(cmd);
    assert_eq!(code, Some(0), "{text}");
}

/// One message as another client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub folder: String,
    pub flags: String,
}

/// The names in a LIST response, without `\Noselect` ones.
pub fn folders(m: &dyn Mailbox) -> Vec<String> {
    let out = m.imap_raw(&["LIST \"\" \"*\""]);
    out.lines()
        .filter(|l| l.starts_with("* LIST ") && !l.to_ascii_lowercase().contains("\\noselect"))
        .filter_map(|l| {
            // `* LIST (attrs) "d" name`: the name is what follows the delimiter.
            let after = &l[l.find(')')? + 1..];
            let after = after.trim_start();
            let rest = if let Some(r) = after.strip_prefix('"') {
                &r[r.find('"')? + 1..]
            } else {
                &after[after.find(' ')?..]
            };
            let name = rest.trim();
            Some(
                name.strip_prefix('"')
                    .and_then(|n| n.strip_suffix('"'))
                    .unwrap_or(name)
                    .replace("\\\"", "\"")
                    .replace("\\\\", "\\"),
            )
        })
        .collect()
}

/// Message-ID → every place it is in (server folder names) with its flags.
pub fn where_is(m: &dyn Mailbox) -> BTreeMap<String, Vec<Seen>> {
    let mut found: BTreeMap<String, Vec<Seen>> = BTreeMap::new();
    for folder in folders(m) {
        let out = m.imap_raw(&[
            &format!("EXAMINE \"{folder}\""),
            "FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
        ]);
        let mut flags = String::new();
        for line in out.lines() {
            if let Some(at) = line.find("FLAGS (") {
                let rest = &line[at + 7..];
                flags = rest[..rest.find(')').unwrap_or(rest.len())].to_string();
            }
            let l = line.trim();
            if l.to_ascii_lowercase().starts_with("message-id:") {
                let id = l[11..].trim().trim_start_matches('<').trim_end_matches('>');
                found.entry(id.to_string()).or_default().push(Seen {
                    folder: folder.clone(),
                    flags: flags.clone(),
                });
            }
        }
    }
    found
}

/// Checks that every message is on the server exactly once, in `expected` (Message-ID →
/// server folder), never `\Seen`, with duebox's keywords on the filed ones iff `keywords`.
pub fn assert_placed(m: &dyn Mailbox, expected: &BTreeMap<String, String>, keywords: bool) {
    let places = where_is(m);
    for (id, folder) in expected {
        let seen = places.get(id).cloned().unwrap_or_default();
        assert_eq!(
            seen.len(),
            1,
            "{id} should be on the server exactly once: {seen:?}\nall: {places:#?}"
        );
        assert_eq!(&seen[0].folder, folder, "{id}: {places:#?}");
        assert!(
            !seen[0].flags.contains("\\Seen"),
            "sync must not mark mail read: {id} {seen:?}"
        );
        if folder != "INBOX" {
            assert_eq!(
                seen[0].flags.contains("$Chaser"),
                keywords,
                "{id} in {folder}: keywords {keywords} expected, flags {:?}",
                seen[0].flags
            );
        }
    }
}

/// Where each first-sync message (and the later one, if `later`) belongs, as server names.
pub fn expected(map: &dyn Fn(&str) -> String, later: bool) -> BTreeMap<String, String> {
    let mut all: Vec<(&str, &str)> = MAIL.to_vec();
    if later {
        all.push(LATER);
    }
    all.into_iter()
        .map(|(file, folder)| (message_id(file), map(folder)))
        .collect()
}

/// Delivers the first seven messages.
pub fn deliver_all(m: &dyn Mailbox) {
    for (file, _) in MAIL {
        m.deliver_inbox(&crate::common::corpus(file));
    }
}

/// No flag that belongs to one session (`\Recent`) is in the database.
pub fn assert_no_session_flags(db: &Path) {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    let stored: i64 = conn
        .query_row(
            "SELECT count(*) FROM messages WHERE flags LIKE '%Recent%'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(stored, 0, "\\Recent must not be stored as a message flag");
}

/// The story with the default config, after [`deliver_all`]: (optionally) a crash between
/// COPY and EXPUNGE, the first sync, an incremental one; every message exactly once where it
/// belongs. Returns the config file and the database.
pub fn first_and_incremental(
    m: &dyn Mailbox,
    dir: &Path,
    map: &dyn Fn(&str) -> String,
    keywords: bool,
    crash_after_copy: bool,
) -> (PathBuf, PathBuf) {
    let config = config_file(m, dir, "config.toml", "");
    let db = dir.join("duebox.db");
    import_payables(m, &config, &db);
    if crash_after_copy {
        // The real binary aborts right after its UID COPY (no cleanup at all).
        let mut cmd = duebox(m, &config, &db);
        cmd.env("DUEBOX_FAILPOINT", "after-copy").arg("sync");
        let (code, text) = run(cmd);
        assert_ne!(code, Some(0), "the failpoint should have killed it: {text}");
        assert!(
            where_is(m).values().any(|places| places.len() == 2),
            "copies beside originals after the crash"
        );
    }
    let mut cmd = duebox(m, &config, &db);
    cmd.arg("sync");
    let (code, text) = run(cmd);
    assert_eq!(code, Some(0), "{text}");
    if crash_after_copy {
        assert!(text.contains("interrupted moves finished"), "{text}");
    } else {
        assert!(text.contains("sync: 7 new, 5 filed"), "{text}");
    }
    if keywords {
        assert!(text.contains(", 0 errors"), "{text}");
    }
    assert_placed(m, &expected(map, false), keywords);
    m.deliver_inbox(&crate::common::corpus(LATER.0));
    if m.shows_recent() {
        let flags = m.imap_raw(&["EXAMINE INBOX", "FETCH 1:* (FLAGS)"]);
        assert!(
            flags.contains("\\Recent"),
            "the new message is \\Recent: {flags}"
        );
    }
    let mut cmd = duebox(m, &config, &db);
    cmd.arg("sync");
    let (code, text) = run(cmd);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("sync: 1 new, 1 filed"), "{text}");
    assert_placed(m, &expected(map, true), keywords);
    assert_no_session_flags(&db);
    (config, db)
}

/// `duebox config check` with this config: (exit code, everything it printed).
pub fn config_check(m: &dyn Mailbox, config: &Path, db: &Path) -> (Option<i32>, String) {
    let mut cmd = duebox(m, config, db);
    cmd.args(["config", "check"]);
    run(cmd)
}

/// `duebox sync --watch` notices a message delivered while it waits (by IDLE, or by polling
/// every [sync] interval) within `within`, and stops on SIGTERM.
pub fn watch_picks_up(
    m: &dyn Mailbox,
    config: &Path,
    db: &Path,
    raw: &[u8],
    within: std::time::Duration,
) {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};
    let log = db.with_extension("log");
    let mut child = duebox(m, config, db)
        .args(["sync", "--watch", "--log"])
        .arg(&log)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start sync --watch");
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let wait_for = |needle: &str, within: Duration| {
        let start = Instant::now();
        let mut seen = Vec::new();
        while start.elapsed() < within {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
                let hit = line.contains(needle);
                seen.push(line);
                if hit {
                    return;
                }
            }
        }
        panic!("no '{needle}' within {within:?}; saw {seen:#?}");
    };
    wait_for("sync: ", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(500));
    m.deliver_inbox(raw);
    wait_for("sync: 1 new", within);
    let pid = child.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    wait_for("stopped", Duration::from_secs(10));
    assert!(child.wait().expect("wait").success());
}

/// A message with its own Message-ID, for the copy in Sent.
pub fn sent_reply(id: &str) -> Vec<u8> {
    format!(
        "Message-ID: <{id}>\r\nFrom: Northwind AP <ap@northwind-traders.com>\r\nTo: ar@acme.example\r\nSubject: Re: Overdue invoice\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nPayment is scheduled for Friday.\r\n"
    )
    .into_bytes()
}

/// The look before a reply, pipelined (`MailServer::probe`), finds the copy `id` in Sent and
/// a message in INBOX in one round trip, as one command at a time does in four.
fn presend_look_is_one_round_trip(imap: &mut duebox::imap::Imap, id: &str) {
    use duebox::sync::probe::{one_by_one, Probe, SentFound, SentSearch};
    use duebox::sync::server::MailServer;
    imap.select("INBOX").expect("INBOX");
    let chaser = imap
        .all_uids()
        .expect("UIDs")
        .first()
        .map(|u| ("INBOX".to_string(), *u));
    let probe = Probe {
        sent_folder: "Sent".into(),
        search: SentSearch::Answers {
            message_id: "<nobody-answers-this@example.test>".into(),
            or_message_id: Some(format!("<{id}>")),
            except: vec!["<not-ours@example.test>".into()],
        },
        chaser,
    };
    let slow = one_by_one(imap, &probe);
    let before = imap.turns();
    let fast = imap.probe(&probe);
    assert_eq!(
        imap.turns() - before,
        1,
        "round trips of the pipelined look"
    );
    match (&slow.sent, &fast.sent) {
        (SentFound::Found(a), SentFound::Found(b)) => {
            assert!(a == b && a.len() == 1, "{a:?} {b:?}")
        }
        other => panic!("{other:?}"),
    }
    let chaser = |p: &duebox::sync::probe::Probed| {
        format!("{:?}", p.chaser.as_ref().map(|c| c.as_ref().ok()))
    };
    assert_eq!(chaser(&slow), chaser(&fast));
    if probe.chaser.is_some() {
        assert!(
            chaser(&fast).contains("message_id: Some"),
            "{}",
            chaser(&fast)
        );
    }
}

/// The copy of a sent reply goes to the folder the server marks `\Sent` (or `Sent`, by name,
/// on a server that marks none), through the same IMAP calls the outbox makes.
pub fn sent_copy_lands_in(m: &dyn Mailbox, account: &duebox::imap::Account, expected: &str) {
    use duebox::sync::server::MailServer;
    let mut imap = duebox::imap::Imap::connect(account).expect("connect");
    let id = format!("sent-{}@northwind-traders.com", std::process::id());
    imap.ensure_folder("Sent").expect("the Sent folder");
    imap.append("Sent", &["\\Seen"], &sent_reply(&id))
        .expect("APPEND to Sent");
    presend_look_is_one_round_trip(&mut imap, &id);
    imap.logout();
    let places = where_is(m);
    let seen = places.get(&id).cloned().unwrap_or_default();
    assert_eq!(seen.len(), 1, "{places:#?}");
    assert_eq!(seen[0].folder, expected, "{places:#?}");
}
