//! What the team tests share: one Dovecot (CONDSTORE) + Postfix per test binary, a clerk's
//! duebox installation (its own config and database, `[team]`), chasers under fresh
//! Message-IDs, the race of several clerks over the same chasers, the count of replies the
//! vendors received, and a proxy that counts round trips.
#![allow(dead_code)]

use crate::dovecot::{Dovecot, PASSWORD};
use crate::postfix::{self, Postfix, SINK};
use duebox::store::Store;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(60);

/// One Dovecot (CONDSTORE) + Postfix for the tests of this binary; each test has its own
/// mailbox user, so they run side by side.
pub struct World {
    pub servers: Mutex<(Dovecot, Postfix)>,
    pub imap_port: u16,
    pub plain_port: u16,
    pub smtp_port: u16,
    pub imap_ca: PathBuf,
    pub smtp_ca: PathBuf,
    pub home: tempfile::TempDir,
}

pub fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut opts = postfix::dovecot_options();
        for u in [
            "race2@example.test",
            "race5@example.test",
            "kill@example.test",
            "rtt@example.test",
            "ui@example.test",
            "pgrace2@example.test",
            "pgrace5@example.test",
            "pgkill@example.test",
            "pgpaid@example.test",
            "pgsettle@example.test",
            "pgui@example.test",
            "pgsettleui@example.test",
            "pgmute@example.test",
        ] {
            opts = opts.with_user(u);
        }
        let dovecot = Dovecot::start_with(opts);
        let postfix = Postfix::start(&dovecot);
        World {
            imap_port: dovecot.tls_port(),
            plain_port: dovecot.port(),
            smtp_port: postfix.port(),
            imap_ca: dovecot.ca_file(),
            smtp_ca: postfix.ca_file(),
            servers: Mutex::new((dovecot, postfix)),
            home: tempfile::tempdir().unwrap(),
        }
    })
}

impl World {
    /// A clerk's duebox (directory `name` in the world's home) on mailbox `user`, with this
    /// world's IMAP and SMTP servers and no team database.
    pub fn install(&self, name: &str, user: &str, clerk: &str) -> Install {
        Install::new(self.home.path(), name, |dir| {
            config(
                dir,
                user,
                clerk,
                (self.imap_port, &self.imap_ca),
                (self.smtp_port, &self.smtp_ca),
            )
        })
    }

    /// The servers; a test that failed holding them leaves them usable for the others.
    pub fn servers(&self) -> std::sync::MutexGuard<'_, (Dovecot, Postfix)> {
        self.servers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One clerk's duebox: its own config and database.
pub struct Install {
    pub dir: PathBuf,
}

pub fn config(
    dir: &Path,
    user: &str,
    clerk: &str,
    (imap_port, imap_ca): (u16, &Path),
    (smtp_port, smtp_ca): (u16, &Path),
) -> String {
    format!(
        "[company]\nname = \"Northwind Traders Ltd\"\ndomains = [\"northwind-traders.com\", \"example.test\"]\n\n\
         [database]\npath = \"{db}\"\n\n\
         [imap]\nhost = \"127.0.0.1\"\nport = {imap_port}\nsecurity = \"tls\"\nlogin = \"{user}\"\npassword_env = \"DUEBOX_TEST_PASSWORD\"\nca_file = \"{ica}\"\n\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"starttls\"\nca_file = \"{sca}\"\n\n\
         [reply]\nfrom = \"Northwind Accounts Payable <{user}>\"\nsignature = \"{clerk}\\nAccounts Payable\"\n\n\
         [team]\nclerk = \"{clerk}\"\nclaim_minutes = 30\n",
        db = dir.join("duebox.db").display(),
        ica = imap_ca.display(),
        sca = smtp_ca.display(),
    )
}

impl Install {
    pub fn new(home: &Path, name: &str, config_text: impl Fn(&Path) -> String) -> Install {
        let dir = home.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.toml"), config_text(&dir)).unwrap();
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

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_duebox"));
        cmd.arg("--config")
            .arg(self.dir.join("config.toml"))
            .args(args)
            .env("XDG_CONFIG_HOME", self.dir.join("xdg"))
            .env("DUEBOX_TEST_PASSWORD", PASSWORD)
            .env_remove("DUEBOX_FAILPOINT")
            .env_remove("DUEBOX_NOW");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "duebox {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn events(&self) -> Vec<duebox::store::Event> {
        Store::open(&self.dir.join("duebox.db"))
            .unwrap()
            .events(&Default::default())
            .unwrap()
    }
}

/// A corpus chaser under a new Message-ID.
pub fn chaser(id: &str) -> Vec<u8> {
    let raw = String::from_utf8(crate::common::corpus("a-001-en-reminder-acme.eml")).unwrap();
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

pub fn bare(id: &str) -> String {
    id.trim().trim_matches(['<', '>']).to_ascii_lowercase()
}

/// How many replies to each of `chasers` the vendors received, once Postfix is idle.
pub fn replies_delivered(dovecot: &Dovecot, postfix: &Postfix, chasers: &[String]) -> Vec<usize> {
    assert!(postfix.wait_queue_empty(WAIT), "{}", postfix.log());
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let dir = dovecot.folder_dir(SINK, "INBOX");
    for sub in ["new", "cur"] {
        for e in std::fs::read_dir(dir.join(sub))
            .into_iter()
            .flatten()
            .flatten()
        {
            if let Ok(m) = duebox::mail::parse(&std::fs::read(e.path()).unwrap_or_default()) {
                if let Some(irt) = m.in_reply_to {
                    *counts.entry(bare(&irt)).or_default() += 1;
                }
            }
        }
    }
    chasers
        .iter()
        .map(|c| counts.get(&bare(c)).copied().unwrap_or(0))
        .collect()
}

/// What the clerks were told, over every attempt.
#[derive(Debug, Default)]
pub struct Told {
    pub sent: usize,
    /// "Maria is answering this (since 10:42)".
    pub held: usize,
    /// The holder had sent and released it: the look before sending saw the reply.
    pub answered: usize,
    /// Told to sync first (the move fallback: the chaser came back under a new UID).
    pub sync_first: usize,
    /// Told another clerk is just starting or finishing with it (the move fallback's lock
    /// taken, the chaser in nobody's folder yet).
    pub busy: usize,
    /// Refused by the team database: another clerk's reply holds the key ("Maria has already
    /// sent this reply").
    pub taken: usize,
    pub other: Vec<String>,
    /// Who sent which chaser: (the clerk's install directory, the chaser's Message-ID).
    pub winners: Vec<(PathBuf, String)>,
    /// Every attempt's answer, for a failure's message.
    pub log: Vec<String>,
}

/// Every clerk answers every chaser, all at once: every other clerk from the last chaser
/// back, so that the clerks meet on chasers that are being answered at that moment (in one
/// order the slower ones only ever find chasers answered already).
pub fn race(installs: &[Install], chasers: &[String]) -> Told {
    let told = Mutex::new(Told::default());
    std::thread::scope(|s| {
        for (n, i) in installs.iter().enumerate() {
            let told = &told;
            s.spawn(move || {
                let mut order: Vec<&String> = chasers.iter().collect();
                if n % 2 == 1 {
                    order.reverse();
                }
                for c in order {
                    let out = i.run(&["reply", c, "--template", "acknowledge"]);
                    let err = String::from_utf8_lossy(&out.stderr).into_owned();
                    let mut t = told.lock().unwrap();
                    t.log.push(format!(
                        "{} {c}: {}{}",
                        i.dir.display(),
                        String::from_utf8_lossy(&out.stdout).trim(),
                        err.trim()
                    ));
                    if out.status.success() {
                        t.sent += 1;
                        t.winners.push((i.dir.clone(), c.clone()));
                    } else if err.contains("is answering this") {
                        t.held += 1;
                    } else if err.contains("already answered") {
                        t.answered += 1;
                    } else if err.contains("duebox sync") && err.contains("no longer in") {
                        t.sync_first += 1;
                    } else if err.contains("just starting or finishing") {
                        t.busy += 1;
                    } else if err.contains("this reply") && err.contains("not sent twice") {
                        t.taken += 1;
                    } else {
                        t.other.push(err);
                    }
                }
            });
        }
    });
    told.into_inner().unwrap()
}

pub fn deliver_chasers(dovecot: &Dovecot, user: &str, tag: &str, n: usize) -> Vec<String> {
    let ids: Vec<String> = (0..n)
        .map(|i| format!("<{tag}-{i}@acme-office.co.uk>"))
        .collect();
    for id in &ids {
        dovecot.deliver(user, "INBOX", &chaser(id));
    }
    ids
}

/// A TCP proxy that counts the client's turns: each time the client speaks after the server
/// did, one round trip began.
pub struct Proxy {
    pub port: u16,
    pub turns: Arc<AtomicU64>,
}

impl Proxy {
    pub fn start(to: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let turns = Arc::new(AtomicU64::new(0));
        let counted = turns.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let server = TcpStream::connect(("127.0.0.1", to)).unwrap();
                // 0: nobody spoke yet, 1: the client last, 2: the server last.
                let last = Arc::new(AtomicU8::new(0));
                let pipe = |mut from: TcpStream, mut to: TcpStream, me: u8| {
                    let (last, turns) = (last.clone(), counted.clone());
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 {
                                break;
                            }
                            if me == 1 && last.swap(1, Ordering::SeqCst) != 1 {
                                turns.fetch_add(1, Ordering::SeqCst);
                            } else if me == 2 {
                                last.store(2, Ordering::SeqCst);
                            }
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                };
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap(), 1);
                pipe(server, client, 2);
            }
        });
        Proxy { port, turns }
    }

    pub fn turns(&self) -> u64 {
        // The last bytes of the previous exchange are through.
        std::thread::sleep(Duration::from_millis(100));
        self.turns.load(Ordering::SeqCst)
    }
}
