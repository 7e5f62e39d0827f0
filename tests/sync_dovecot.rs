//! Sync against a real Dovecot on 127.0.0.1 (tests/common/dovecot.rs starts one per test in
//! a temp dir and stops it by its pid): first and incremental sync, other clients' flags and
//! expunges, a UIDVALIDITY change, a server without MOVE, the server dying mid-sync, a crash
//! between COPY and EXPUNGE, TLS trust, and IDLE in the background mode.

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;

use dovecot::{Dovecot, Options};
use duebox::config::{Folders, Security};
use duebox::imap::{Account, ConnectError, Imap, Secret};
use duebox::payables::read_csv;
use duebox::store::Store;
use duebox::sync::engine::{sync_once, Report, Settings, SyncError};
use duebox::sync::server::{
    Capabilities, Fetched, FolderState, Identified, MailServer, ServerError, ServerResult,
};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::corpus;

const MAIL: [&str; 7] = [
    "a-001-en-reminder-acme.eml",
    "a-005-en-overdue-brennan.eml",
    "a-010-en-final-pemberton.eml",
    "a-017-en-statement-greenfield.eml",
    "b-030-fraud-lookalike-ruiz.eml",
    "a-031-en-neg-new-invoice-acme.eml",
    "a-039-en-neg-meeting-pemberton.eml",
];

/// The server folder for each of ours (Dovecot's Maildir++ separator is ".").
const FOLDERS: [(&str, &str); 6] = [
    ("INBOX", "INBOX"),
    ("Chasers/Reminders", "Chasers.Reminders"),
    ("Chasers/Overdue", "Chasers.Overdue"),
    ("Chasers/Final notices", "Chasers.Final notices"),
    ("Chasers/Statements", "Chasers.Statements"),
    ("Chasers/Review", "Chasers.Review"),
];

fn account(d: &Dovecot, security: Security) -> Account {
    Account {
        host: "127.0.0.1".into(),
        port: if security == Security::Tls {
            d.tls_port()
        } else {
            d.port()
        },
        security,
        login: d.user().into(),
        secret: Secret::Password(d.password().into()),
        ca_file: Some(d.ca_file()),
    }
}

fn deliver_all(d: &Dovecot) {
    for name in MAIL {
        d.deliver(d.user(), "INBOX", &corpus(name));
    }
}

fn store_at(path: &Path) -> Store {
    let mut store = Store::open(path).unwrap();
    store
        .import_payables(&read_csv(corpus("payables.csv").as_slice()).unwrap())
        .unwrap();
    store
}

fn sync(server: &mut dyn MailServer, store: &mut Store) -> Result<Report, SyncError> {
    let index = store.payables_index().unwrap();
    let opts = common::northwind();
    let folders = Folders::default();
    let settings = Settings {
        folders: &folders,
        classify: &opts,
        index: &index,
    };
    sync_once(server, store, &settings, &mut |_| {})
}

/// Message-ID → the folders holding it on the server, read by another client.
fn where_is(d: &Dovecot) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (ours, theirs) in FOLDERS {
        let out = d.imap_raw(&[
            &format!("SELECT \"{theirs}\""),
            "FETCH 1:* (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
        ]);
        for line in out.lines() {
            let l = line.trim();
            if l.to_ascii_lowercase().starts_with("message-id:") {
                found
                    .entry(l[11..].trim().to_string())
                    .or_default()
                    .push(ours.to_string());
            }
        }
    }
    found
}

fn count(d: &Dovecot, folder: &str) -> usize {
    where_is(d)
        .values()
        .flatten()
        .filter(|f| f.as_str() == folder)
        .count()
}

#[test]
fn first_and_incremental_sync_file_without_marking_read() {
    let d = Dovecot::start();
    deliver_all(&d);
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_at(&dir.path().join("duebox.db"));
    let mut imap = Imap::connect(&account(&d, Security::Tls)).unwrap();
    let report = sync(&mut imap, &mut store).unwrap();
    assert_eq!(report.new, 7, "{report:?}");
    assert_eq!(report.held, 1, "{report:?}");
    assert_eq!(count(&d, "INBOX"), 2);
    assert_eq!(count(&d, "Chasers/Overdue"), 1);
    assert_eq!(count(&d, "Chasers/Review"), 1);
    assert!(where_is(&d).values().all(|f| f.len() == 1));
    let out = d.imap_raw(&["SELECT \"Chasers.Overdue\"", "FETCH 1 (FLAGS)"]);
    let flags = out
        .lines()
        .find(|l| l.contains(" FETCH ("))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(flags.contains("$Overdue"), "{flags}");
    assert!(
        !flags.contains("\\Seen"),
        "sync must not mark mail read: {flags}"
    );
    // The duebox folders were synced after filing: the store knows every message's UID.
    assert_eq!(store.message_ids("Chasers/Overdue").unwrap().len(), 1);

    let again = sync(&mut imap, &mut store).unwrap();
    assert_eq!(
        (again.new, again.relinked, again.filed.len()),
        (0, 0, 0),
        "{again:?}"
    );
    d.deliver(d.user(), "INBOX", &corpus("a-002-en-overdue-acme.eml"));
    let third = sync(&mut imap, &mut store).unwrap();
    assert_eq!(third.new, 1, "{third:?}");
    assert_eq!(count(&d, "Chasers/Overdue"), 2);
}

#[test]
fn flags_and_expunges_by_another_client_are_picked_up() {
    let d = Dovecot::start();
    deliver_all(&d);
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_at(&dir.path().join("duebox.db"));
    let mut imap = Imap::connect(&account(&d, Security::Plain)).unwrap();
    assert!(imap.capabilities().condstore);
    sync(&mut imap, &mut store).unwrap();
    let out = d.imap_raw(&[
        "SELECT INBOX",
        "UID STORE 6 +FLAGS (\\Seen \\Flagged)",
        "UID STORE 7 +FLAGS (\\Deleted)",
        "UID EXPUNGE 7",
    ]);
    assert!(out.contains("a4 OK"), "{out}");
    let report = sync(&mut imap, &mut store).unwrap();
    assert_eq!((report.flag_changes, report.expunged), (1, 1), "{report:?}");
    assert_eq!(store.message_ids("INBOX").unwrap().len(), 1);
}

#[test]
fn a_uidvalidity_change_resyncs_and_keeps_classifications() {
    let mut d = Dovecot::start();
    deliver_all(&d);
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_at(&dir.path().join("duebox.db"));
    {
        let mut imap = Imap::connect(&account(&d, Security::Plain)).unwrap();
        sync(&mut imap, &mut store).unwrap();
        imap.logout();
    }
    // Dovecot renumbers a Maildir whose uidlist and indexes are gone.
    d.stop();
    let inbox = d.maildir(d.user());
    for entry in std::fs::read_dir(&inbox).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("dovecot-uidlist") || name.starts_with("dovecot.index") {
            std::fs::remove_file(&path).unwrap();
        }
    }
    d.restart();
    let mut imap = Imap::connect(&account(&d, Security::Plain)).unwrap();
    let report = sync(&mut imap, &mut store).unwrap();
    assert_eq!(report.new, 0, "{report:?}");
    assert_eq!(report.relinked, 2, "{report:?}");
    assert_eq!(store.message_ids("INBOX").unwrap().len(), 2);
}

#[test]
fn without_move_it_copies_then_expunges_only_its_own() {
    let d = Dovecot::start_with(Options::new().without_move());
    deliver_all(&d);
    // Another client's mail marked \Deleted but not expunged must survive our expunges.
    let out = d.imap_raw(&["SELECT INBOX", "UID STORE 7 +FLAGS (\\Deleted)"]);
    assert!(out.contains("a2 OK"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_at(&dir.path().join("duebox.db"));
    let mut imap = Imap::connect(&account(&d, Security::Plain)).unwrap();
    assert!(!imap.capabilities().moves);
    let report = sync(&mut imap, &mut store).unwrap();
    assert_eq!(report.filed.values().sum::<usize>(), 5, "{report:?}");
    assert!(
        where_is(&d).values().all(|f| f.len() == 1),
        "{:?}",
        where_is(&d)
    );
    assert_eq!(
        count(&d, "INBOX"),
        2,
        "the other client's deleted message is still there"
    );
}

/// A `MailServer` that passes every call to Dovecot and, at one chosen call, kills the
/// server or pretends the process died right after it.
struct Saboteur<'a> {
    inner: Imap,
    dovecot: &'a mut Dovecot,
    calls: usize,
    kill_server_at: Option<usize>,
    die_after_copy: bool,
}

impl Saboteur<'_> {
    fn tick(&mut self) -> ServerResult<()> {
        self.calls += 1;
        if Some(self.calls) == self.kill_server_at {
            self.dovecot.kill_hard();
        }
        Ok(())
    }
}

impl MailServer for Saboteur<'_> {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn ensure_folder(&mut self, f: &str) -> ServerResult<()> {
        self.tick()?;
        self.inner.ensure_folder(f)
    }
    fn folder_exists(&mut self, f: &str) -> ServerResult<bool> {
        self.tick()?;
        self.inner.folder_exists(f)
    }
    fn select(&mut self, f: &str) -> ServerResult<FolderState> {
        self.tick()?;
        self.inner.select(f)
    }
    fn all_uids(&mut self) -> ServerResult<Vec<u32>> {
        self.tick()?;
        self.inner.all_uids()
    }
    fn flags(&mut self, u: &str, s: Option<u64>) -> ServerResult<Vec<(u32, Vec<String>)>> {
        self.tick()?;
        self.inner.flags(u, s)
    }
    fn fetch(&mut self, u: &[u32]) -> ServerResult<Vec<Fetched>> {
        self.tick()?;
        self.inner.fetch(u)
    }
    fn fetch_message_ids(&mut self, u: &[u32]) -> ServerResult<Vec<Identified>> {
        self.tick()?;
        self.inner.fetch_message_ids(u)
    }
    fn search_message_id(&mut self, m: &str) -> ServerResult<Vec<u32>> {
        self.tick()?;
        self.inner.search_message_id(m)
    }
    fn search_answers(
        &mut self,
        m: &str,
        or: Option<&str>,
        except: &[String],
    ) -> ServerResult<Vec<u32>> {
        self.tick()?;
        self.inner.search_answers(m, or, except)
    }
    fn add_flags(&mut self, u: &[u32], f: &[&str]) -> ServerResult<()> {
        self.tick()?;
        self.inner.add_flags(u, f)
    }
    fn claim(&mut self, u: &[u32], f: &[&str], m: u64) -> ServerResult<Vec<u32>> {
        self.tick()?;
        self.inner.claim(u, f, m)
    }
    fn move_to(&mut self, u: &[u32], f: &str) -> ServerResult<()> {
        self.tick()?;
        self.inner.move_to(u, f)
    }
    fn copy_to(&mut self, u: &[u32], f: &str) -> ServerResult<()> {
        self.tick()?;
        self.inner.copy_to(u, f)?;
        if self.die_after_copy {
            // The process dies here: nothing after the COPY runs.
            return Err(ServerError::new("killed after COPY"));
        }
        Ok(())
    }
    fn delete(&mut self, u: &[u32]) -> ServerResult<()> {
        self.tick()?;
        self.inner.delete(u)
    }
    fn append(&mut self, folder: &str, flags: &[&str], raw: &[u8]) -> ServerResult<()> {
        self.tick()?;
        self.inner.append(folder, flags, raw)
    }
}

#[test]
fn killed_between_copy_and_expunge_the_journal_recovers() {
    let mut d = Dovecot::start_with(Options::new().without_move());
    deliver_all(&d);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("duebox.db");
    {
        let mut store = store_at(&db);
        let inner = Imap::connect(&account(&d, Security::Plain)).unwrap();
        let mut saboteur = Saboteur {
            inner,
            dovecot: &mut d,
            calls: 0,
            kill_server_at: None,
            die_after_copy: true,
        };
        assert!(sync(&mut saboteur, &mut store).is_err());
    }
    // The copies exist beside the originals now; a restarted duebox must finish the job.
    assert!(where_is(&d).values().any(|f| f.len() == 2));
    let mut store = Store::open(&db).unwrap();
    let mut imap = Imap::connect(&account(&d, Security::Plain)).unwrap();
    let report = sync(&mut imap, &mut store).unwrap();
    assert!(report.recovered >= 1, "{report:?}");
    let places = where_is(&d);
    assert_eq!(places.len(), 7);
    assert!(places.values().all(|f| f.len() == 1), "{places:?}");
    assert_eq!(count(&d, "INBOX"), 2);
}

#[test]
fn dovecot_dying_mid_sync_loses_and_doubles_nothing() {
    for kill_at in [3, 8, 14] {
        let mut d = Dovecot::start();
        deliver_all(&d);
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("duebox.db");
        {
            let mut store = store_at(&db);
            let inner = Imap::connect(&account(&d, Security::Plain)).unwrap();
            let mut saboteur = Saboteur {
                inner,
                dovecot: &mut d,
                calls: 0,
                kill_server_at: Some(kill_at),
                die_after_copy: false,
            };
            let result = sync(&mut saboteur, &mut store);
            assert!(result.is_err(), "kill at call {kill_at}: {result:?}");
        }
        d.restart();
        let mut store = Store::open(&db).unwrap();
        let mut imap = Imap::connect(&account(&d, Security::Plain)).unwrap();
        sync(&mut imap, &mut store).unwrap();
        let places = where_is(&d);
        assert_eq!(places.len(), 7, "kill at {kill_at}: {places:?}");
        assert!(
            places.values().all(|f| f.len() == 1),
            "kill at {kill_at}: {places:?}"
        );
        assert_eq!(count(&d, "INBOX"), 2, "kill at {kill_at}");
        assert_eq!(store.message_ids("INBOX").unwrap().len(), 2);
    }
}

#[test]
fn tls_trusts_the_given_ca_and_refuses_an_unknown_certificate() {
    let d = Dovecot::start();
    assert!(Imap::connect(&account(&d, Security::Tls)).is_ok());
    assert!(Imap::connect(&account(&d, Security::Starttls)).is_ok());
    let mut untrusted = account(&d, Security::Tls);
    untrusted.ca_file = None;
    match Imap::connect(&untrusted) {
        Err(e @ ConnectError::Tls(_)) => {
            assert!(e.to_string().contains("not trusted"), "{e}");
            assert!(e.to_string().contains("ca_file"), "{e}");
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("an untrusted certificate was accepted"),
    }
    let mut wrong = account(&d, Security::Plain);
    wrong.secret = Secret::Password("nope".into());
    let e = Imap::connect(&wrong).err().expect("refused");
    assert!(matches!(e, ConnectError::Auth { .. }), "{e}");
}

#[test]
fn plain_login_is_refused_to_a_host_that_is_not_loopback() {
    let a = Account {
        host: "imap.example.com".into(),
        port: 143,
        security: Security::Plain,
        login: "ap".into(),
        secret: Secret::Password("x".into()),
        ca_file: None,
    };
    let e = Imap::connect(&a).err().expect("refused");
    assert!(matches!(e, ConnectError::PlainNotLoopback(_)), "{e}");
    let config = "[imap]\nhost = \"imap.example.com\"\nsecurity = \"plain\"\nlogin = \"ap\"\npassword_env = \"P\"\n";
    let e = duebox::config::Config::parse(config).unwrap_err();
    assert!(e.contains("line 3") && e.contains("loopback"), "{e}");
}

fn config_file(d: &Dovecot, dir: &Path) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[company]\nname = \"Northwind Traders\"\ndomains = [\"northwind-traders.com\"]\n\
             [imap]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"tls\"\nlogin = \"{}\"\n\
             password_env = \"DUEBOX_TEST_PASSWORD\"\nca_file = \"{}\"\n[sync]\ninterval = 10\n",
            d.tls_port(),
            d.user(),
            d.ca_file().display()
        ),
    )
    .unwrap();
    path
}

fn duebox(config: &Path, db: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_duebox"));
    cmd.arg("--config")
        .arg(config)
        .arg("--db")
        .arg(db)
        .env("DUEBOX_TEST_PASSWORD", dovecot::PASSWORD);
    cmd
}

#[test]
fn the_sync_command_reports_and_config_check_logs_in() {
    let d = Dovecot::start();
    deliver_all(&d);
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(&d, dir.path());
    let db = dir.path().join("duebox.db");
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/payables.csv");
    let out = duebox(&config, &db)
        .args(["payables", "import"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = duebox(&config, &db)
        .args(["config", "check"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("login: OK") && text.contains("MOVE yes"),
        "{text}"
    );
    let out = duebox(&config, &db).arg("sync").output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("sync: 7 new, 5 filed"), "{text}");
    assert!(text.contains("1 held for review"), "{text}");
    let out = duebox(&config, &db).arg("sync").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("sync: 0 new, 0 filed"));
    // A wrong password is named as a login failure.
    let out = duebox(&config, &db)
        .env("DUEBOX_TEST_PASSWORD", "wrong")
        .arg("sync")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("was refused"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn watch_mode_picks_up_new_mail_by_idle_and_stops_on_sigterm() {
    let d = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(&d, dir.path());
    let db = dir.path().join("duebox.db");
    let mut child = duebox(&config, &db)
        .args(["sync", "--watch", "--log"])
        .arg(dir.path().join("duebox.log"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let wait_for = |needle: &str, within: Duration| -> Vec<String> {
        let start = Instant::now();
        let mut seen = Vec::new();
        while start.elapsed() < within {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
                let hit = line.contains(needle);
                seen.push(line);
                if hit {
                    return seen;
                }
            }
        }
        panic!("no '{needle}' within {within:?}; saw {seen:#?}");
    };
    wait_for("sync: 0 new", Duration::from_secs(20));
    // Give IDLE a moment to start, then deliver as another client would.
    std::thread::sleep(Duration::from_millis(500));
    let delivered = Instant::now();
    d.deliver(d.user(), "INBOX", &corpus("a-002-en-overdue-acme.eml"));
    wait_for("sync: 1 new", Duration::from_secs(10));
    // The config polls every 10 s: arriving well before that shows IDLE woke the sync.
    let took = delivered.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "{took:?}: not picked up by IDLE"
    );
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    wait_for("stopped", Duration::from_secs(10));
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(dir.path().join("duebox.log")).unwrap();
    assert!(log.contains("sync: 1 new"), "{log}");
}

#[test]
fn the_process_killed_between_copy_and_expunge_recovers_at_the_next_run() {
    let d = Dovecot::start_with(Options::new().without_move());
    deliver_all(&d);
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(&d, dir.path());
    let db = dir.path().join("duebox.db");
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/payables.csv");
    assert!(duebox(&config, &db)
        .args(["payables", "import"])
        .arg(&csv)
        .output()
        .unwrap()
        .status
        .success());
    // The real binary aborts right after its UID COPY (a crash, no cleanup at all).
    let out = duebox(&config, &db)
        .env("DUEBOX_FAILPOINT", "after-copy")
        .arg("sync")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the failpoint should have killed it");
    assert!(
        where_is(&d).values().any(|f| f.len() == 2),
        "copies beside originals"
    );
    let out = duebox(&config, &db).arg("sync").output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("interrupted moves finished"), "{text}");
    let places = where_is(&d);
    assert_eq!(places.len(), 7, "{places:?}");
    assert!(places.values().all(|f| f.len() == 1), "{places:?}");
}
