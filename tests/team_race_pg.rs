//! A team the way the README sets one up, end to end with the real `duebox` binary: every clerk's
//! duebox has its own local database and `[database] url` pointing at one real PostgreSQL
//! (tests/common/postgres.rs, one server for this binary, a database per test), all on one real
//! Dovecot account and Postfix. Two and then five processes answer the same 20 chasers at once:
//! each chaser gets one reply (counted in the vendors' mailbox, "double replies N" printed), the
//! others are told who has it, and any clerk's `duebox log` shows every reply once with the clerk
//! who sent it. A killed clerk's claim expires and the chaser is answered; on a Dovecot with
//! CONDSTORE hidden the claim is a move and still gives one reply; a payment one clerk records is
//! in the other's next reply.

// Dovecot's harness and PostgreSQL's each load tests/common/watchdog.rs (each is also used
// alone by other binaries); the two copies are the same small module.
#![allow(clippy::duplicate_mod)]

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;
#[path = "common/postfix.rs"]
mod postfix;
#[path = "common/postgres.rs"]
mod postgres_server;

mod team_support;

use dovecot::Dovecot;
use postfix::Postfix;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use team_support::*;

/// Where one clerk's duebox finds its servers.
struct Servers<'a> {
    user: &'a str,
    imap: (u16, &'a Path),
    smtp: (u16, &'a Path),
    /// The team database's URL (no password: it is in a 0600 file, as the README says).
    url: &'a str,
}

/// One clerk's duebox on the team database: `[database] url` and `password_file`.
fn clerk(home: &Path, name: &str, clerk: &str, s: &Servers) -> Install {
    Install::new(home, name, |dir| {
        let pw = dir.join("pg-password");
        std::fs::write(&pw, format!("{}\n", postgres_server::PASSWORD)).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
        let text = config(dir, s.user, clerk, s.imap, s.smtp);
        let team = format!(
            "[database]\nurl = \"{}\"\npassword_file = \"{}\"\n",
            s.url,
            pw.display()
        );
        assert!(text.contains("[database]\n"), "{text}");
        text.replacen("[database]\n", &team, 1)
    })
}

fn new_team_database() -> String {
    let pg = postgres_server::shared();
    pg.url(&pg.create_database())
}

/// The team's record as `duebox log --csv` of `install` shows it: for each chaser answered,
/// the clerks recorded as having sent a reply to it.
fn replies_in_log(install: &Install) -> BTreeMap<String, Vec<String>> {
    let csv = install.ok(&["log", "--csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (kind, message, clerk) = (col("kind"), col("message_id"), col("clerk"));
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        if &row[kind] == "reply_sent" {
            out.entry(bare(&row[message]))
                .or_default()
                .push(row[clerk].to_string());
        }
    }
    out
}

/// Every chaser's reply is in the record once, with the clerk who sent it.
fn assert_record(
    installs: &[Install],
    clerks: &[&str],
    chasers: &[String],
    told: &Told,
    reader: &Install,
) {
    let clerk_of = |dir: &Path| {
        let n = installs.iter().position(|i| i.dir == dir).unwrap();
        clerks[n].to_string()
    };
    let expected: BTreeMap<String, Vec<String>> = told
        .winners
        .iter()
        .map(|(dir, c)| (bare(c), vec![clerk_of(dir)]))
        .collect();
    let logged = replies_in_log(reader);
    let logged: BTreeMap<String, Vec<String>> = logged
        .into_iter()
        .filter(|(c, _)| chasers.iter().any(|x| bare(x) == *c))
        .collect();
    assert_eq!(
        logged.len(),
        chasers.len(),
        "every chaser's reply is in {}'s log: {logged:#?}",
        reader.dir.display()
    );
    assert_eq!(logged, expected, "each reply once, with its clerk");
}

fn race_on(user: &str, clerks: &[&str]) {
    let w = world();
    let url = new_team_database();
    let s = Servers {
        user,
        imap: (w.imap_port, &w.imap_ca),
        smtp: (w.smtp_port, &w.smtp_ca),
        url: &url,
    };
    let chasers = {
        let servers = w.servers();
        deliver_chasers(&servers.0, user, user.split('@').next().unwrap(), 20)
    };
    let installs: Vec<Install> = clerks
        .iter()
        .enumerate()
        .map(|(n, name)| clerk(w.home.path(), &format!("{user}-{n}"), name, &s))
        .collect();
    for i in &installs {
        i.ok(&["sync"]);
    }
    let start = Instant::now();
    let told = race(&installs, &chasers);
    let elapsed = start.elapsed();
    let per_chaser = {
        let servers = w.servers();
        replies_delivered(&servers.0, &servers.1, &chasers)
    };
    let doubles: usize = per_chaser.iter().map(|n| n.saturating_sub(1)).sum();
    println!(
        "one PostgreSQL, {} clerks, {} chasers, {} attempts in {elapsed:.1?}: sent {}, told who has it {}, told it was answered already {}, told to wait a moment {}, refused by the team database {}, other {}; replies per chaser {per_chaser:?}; double replies {doubles}",
        clerks.len(),
        chasers.len(),
        clerks.len() * chasers.len(),
        told.sent,
        told.held,
        told.answered,
        told.busy,
        told.taken,
        told.other.len(),
    );
    assert!(
        told.other.is_empty(),
        "unexpected answers: {:#?}",
        told.other
    );
    assert_eq!(per_chaser, vec![1; chasers.len()], "{:#?}", told.log);
    assert_eq!(told.sent, chasers.len());
    // Any clerk's record, after its refresh (the command's own exchange with the team
    // database), is the whole team's: the last clerk's, and the first one's.
    assert_record(&installs, clerks, &chasers, &told, installs.last().unwrap());
    assert_record(&installs, clerks, &chasers, &told, &installs[0]);
}

#[test]
fn two_clerks_on_one_postgres_answer_twenty_chasers_at_once_and_each_gets_one_reply() {
    race_on("pgrace2@example.test", &["Maria", "Jo"]);
}

#[test]
fn five_clerks_on_one_postgres_answer_twenty_chasers_at_once_and_each_gets_one_reply() {
    race_on(
        "pgrace5@example.test",
        &["Maria", "Jo", "Amélie Dubois", "Sam (AP)", "Kim"],
    );
}

#[test]
fn a_killed_clerks_claim_expires_and_another_clerk_answers_once() {
    let w = world();
    let user = "pgkill@example.test";
    let url = new_team_database();
    let s = Servers {
        user,
        imap: (w.imap_port, &w.imap_ca),
        smtp: (w.smtp_port, &w.smtp_ca),
        url: &url,
    };
    let chasers = {
        let servers = w.servers();
        deliver_chasers(&servers.0, user, "pgkill", 1)
    };
    let maria = clerk(w.home.path(), "pgkill-maria", "Maria", &s);
    let jo = clerk(w.home.path(), "pgkill-jo", "Jo", &s);
    maria.ok(&["sync"]);
    jo.ok(&["sync"]);
    let killed = maria
        .command(&["reply", &chasers[0], "--template", "acknowledge"])
        .env("DUEBOX_FAILPOINT", "after-claim")
        .output()
        .unwrap();
    assert!(!killed.status.success(), "the failpoint stops duebox");
    let out = jo.run(&["reply", &chasers[0], "--template", "acknowledge"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("Maria is answering this (since "), "{err}");
    // Past claim_minutes (and the 5 minutes the claim's time is rounded to): stale, taken over.
    let later = (chrono::Utc::now() + chrono::Duration::minutes(36)).to_rfc3339();
    let out = jo
        .command(&["reply", &chasers[0], "--template", "acknowledge"])
        .env("DUEBOX_NOW", &later)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Maria's duebox, started again, is told Jo has answered it.
    let again = maria.run(&["reply", &chasers[0], "--template", "acknowledge"]);
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success(), "{said}");
    assert!(said.contains("already answered"), "{said}");
    let servers = w.servers();
    let delivered = replies_delivered(&servers.0, &servers.1, &chasers);
    drop(servers);
    println!(
        "killed clerk's claim: replies {delivered:?}; double replies {}",
        delivered[0].saturating_sub(1)
    );
    assert_eq!(delivered, vec![1]);
    let logged = replies_in_log(&maria);
    assert_eq!(
        logged.get(&bare(&chasers[0])),
        Some(&vec!["Jo".to_string()])
    );
    let log = maria.ok(&["log"]);
    assert!(
        log.contains("claim_taken_over") && log.contains("Jo took over Maria's claim"),
        "{log}"
    );
}

#[test]
fn without_condstore_the_claim_is_a_move_and_each_chaser_gets_one_reply_on_one_postgres() {
    let dovecot = Dovecot::start_with(postfix::dovecot_options().without_condstore());
    let postfix = Postfix::start(&dovecot);
    let home = tempfile::tempdir().unwrap();
    let user = dovecot.user().to_string();
    let url = new_team_database();
    let (imap_ca, smtp_ca) = (dovecot.ca_file(), postfix.ca_file());
    let s = Servers {
        user: &user,
        imap: (dovecot.tls_port(), &imap_ca),
        smtp: (postfix.port(), &smtp_ca),
        url: &url,
    };
    let chasers = deliver_chasers(&dovecot, &user, "pgmove", 20);
    let clerks = ["Maria", "Jo"];
    let installs: Vec<Install> = clerks
        .iter()
        .map(|c| clerk(home.path(), c, c, &s))
        .collect();
    for i in &installs {
        i.ok(&["sync"]);
    }
    let told = race(&installs, &chasers);
    let per_chaser = replies_delivered(&dovecot, &postfix, &chasers);
    let doubles: usize = per_chaser.iter().map(|n| n.saturating_sub(1)).sum();
    println!(
        "move fallback, one PostgreSQL, 2 clerks, 20 chasers: sent {}, told who has it {}, told it was answered already {}, told to sync first {}, told to wait a moment {}, refused by the team database {}, other {}; double replies {doubles}",
        told.sent, told.held, told.answered, told.sync_first, told.busy, told.taken, told.other.len()
    );
    assert!(told.other.is_empty(), "{:#?}", told.other);
    assert_eq!(per_chaser, vec![1; chasers.len()], "{:#?}", told.log);
    assert_eq!(told.sent, chasers.len());
    assert_record(&installs, &clerks, &chasers, &told, &installs[1]);

    // A claim by move has a time too (its lock folder's marker): Maria's duebox, killed
    // right after the move, holds the chaser until the claim is stale, then Jo answers it.
    let (maria, jo) = (&installs[0], &installs[1]);
    let left = deliver_chasers(&dovecot, &user, "pgmovekill", 1);
    maria.ok(&["sync"]);
    jo.ok(&["sync"]);
    let killed = maria
        .command(&["reply", &left[0], "--template", "acknowledge"])
        .env("DUEBOX_FAILPOINT", "after-claim")
        .output()
        .unwrap();
    assert!(!killed.status.success(), "the failpoint stops duebox");
    let out = jo.run(&["reply", &left[0], "--template", "acknowledge"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("Maria is answering this (since "),
        "the move's claim says since when: {err}"
    );
    let later = (chrono::Utc::now() + chrono::Duration::minutes(31)).to_rfc3339();
    let out = jo
        .command(&["reply", &left[0], "--template", "acknowledge"])
        .env("DUEBOX_NOW", &later)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the stale claim is taken over: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let delivered = replies_delivered(&dovecot, &postfix, &left);
    println!(
        "move fallback, killed clerk's claim: replies {delivered:?}; double replies {}",
        delivered[0].saturating_sub(1)
    );
    assert_eq!(delivered, vec![1]);
    let log = jo.ok(&["log"]);
    assert!(
        log.contains("claim_taken_over") && log.contains("Jo took over Maria's claim"),
        "{log}"
    );
    assert_eq!(
        in_clerk_folders(&dovecot, &user, &clerks),
        0,
        "back where it was filed"
    );
}

/// How many messages the clerks' "In progress" folders hold.
fn in_clerk_folders(dovecot: &Dovecot, user: &str, clerks: &[&str]) -> usize {
    clerks
        .iter()
        .map(|c| {
            let dir = dovecot.folder_dir(user, &format!("In progress/{c}"));
            ["new", "cur"]
                .iter()
                .map(|s| {
                    std::fs::read_dir(dir.join(s))
                        .map(|d| d.count())
                        .unwrap_or(0)
                })
                .sum::<usize>()
        })
        .sum()
}

#[test]
fn a_claim_kept_for_an_unknown_outcome_is_released_when_the_reply_is_settled() {
    let w = world();
    let user = "pgsettle@example.test";
    let url = new_team_database();
    let s = Servers {
        user,
        imap: (w.imap_port, &w.imap_ca),
        smtp: (w.smtp_port, &w.smtp_ca),
        url: &url,
    };
    let chasers = {
        let servers = w.servers();
        deliver_chasers(&servers.0, user, "pgsettle", 2)
    };
    let maria = clerk(w.home.path(), "pgsettle-maria", "Maria", &s);
    let jo = clerk(w.home.path(), "pgsettle-jo", "Jo", &s);
    maria.ok(&["sync"]);
    // SMTP took the reply and duebox stopped before it knew: the outcome is unknown, and the
    // claim stays, so that Jo does not answer it meanwhile.
    let cut = maria
        .command(&["reply", &chasers[0], "--template", "acknowledge"])
        .env("DUEBOX_FAILPOINT", "after-smtp")
        .output()
        .unwrap();
    assert!(!cut.status.success());
    jo.ok(&["sync"]);
    let out = jo.run(&["reply", &chasers[0], "--template", "acknowledge"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Maria is answering this"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Maria settles it: it arrived. Her claim goes with it.
    let outbox = maria.ok(&["outbox"]);
    let id = outbox
        .lines()
        .find(|l| l.contains("acknowledge"))
        .and_then(|l| l.trim_start_matches('#').split_whitespace().next())
        .unwrap_or_else(|| panic!("{outbox}"))
        .to_string();
    maria.ok(&["outbox", "resolve", &id, "--sent"]);
    jo.ok(&["sync"]);
    let store = duebox::store::Store::open(&jo.dir.join("duebox.db")).unwrap();
    let row = store.find_message(&chasers[0]).unwrap().unwrap().id;
    let flags = store.message_place(row).unwrap().unwrap().flags;
    assert!(
        duebox::team::marks::marks(flags.split_whitespace(), chrono::Utc::now()).is_empty(),
        "released: {flags}"
    );
    // Jo is now told it was answered, not who holds it.
    let out = jo.run(&["reply", &chasers[0], "--template", "acknowledge"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(!err.contains("is answering this"), "{err}");
    // The other one Maria gives up (discards): her claim goes, and Jo can answer it.
    let cut = maria
        .command(&["reply", &chasers[1], "--template", "acknowledge"])
        .env("DUEBOX_FAILPOINT", "after-smtp")
        .output()
        .unwrap();
    assert!(!cut.status.success());
    let id = maria
        .ok(&["outbox"])
        .lines()
        .find(|l| l.contains("sending"))
        .and_then(|l| {
            l.trim_start_matches('#')
                .split_whitespace()
                .next()
                .map(str::to_string)
        })
        .expect("the unsettled reply");
    maria.ok(&["outbox", "discard", &id]);
    jo.ok(&["sync"]);
    let sent = jo.ok(&["reply", &chasers[1], "--template", "acknowledge"]);
    assert!(sent.starts_with("sent"), "{sent}");
    let servers = w.servers();
    // The first: Maria's only (it arrived, as she said). The second: Maria's cut-off one,
    // which Postfix had taken, and Jo's, sent once Maria gave hers up.
    assert_eq!(
        replies_delivered(&servers.0, &servers.1, &chasers),
        vec![1, 2]
    );
}

#[test]
fn a_payment_one_clerk_records_is_in_the_other_clerks_next_reply() {
    let w = world();
    let user = "pgpaid@example.test";
    let url = new_team_database();
    let s = Servers {
        user,
        imap: (w.imap_port, &w.imap_ca),
        smtp: (w.smtp_port, &w.smtp_ca),
        url: &url,
    };
    let chasers = {
        let servers = w.servers();
        deliver_chasers(&servers.0, user, "pgpaid", 1)
    };
    let anna = clerk(w.home.path(), "pgpaid-anna", "Anna", &s);
    let ben = clerk(w.home.path(), "pgpaid-ben", "Ben", &s);
    ben.ok(&["sync"]);
    // Ben's check: the invoice is open, so a payment confirmation would say nothing true.
    let before = ben.run(&[
        "reply",
        &chasers[0],
        "--template",
        "confirm_payment",
        "--dry-run",
    ]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&before.stdout),
        String::from_utf8_lossy(&before.stderr)
    );
    assert!(!said.contains("TRF-4471"), "{said}");
    anna.ok(&[
        "payables",
        "mark-paid",
        "INV-00123",
        "--on",
        "2026-09-28",
        "--reference",
        "TRF-4471",
        "--yes",
    ]);
    // Ben's next command: the check and the reply know it is paid.
    let shown = ben.ok(&["payables", "list"]);
    let line = shown
        .lines()
        .find(|l| l.contains("INV-00123"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(line.to_lowercase().contains("paid"), "{line}");
    let sent = ben.ok(&["reply", &chasers[0], "--template", "confirm_payment"]);
    assert!(sent.starts_with("sent"), "{sent}");
    let servers = w.servers();
    assert_eq!(replies_delivered(&servers.0, &servers.1, &chasers), vec![1]);
    let body = delivered_reply(&servers.0, &chasers[0]);
    drop(servers);
    assert!(
        body.contains("TRF-4471"),
        "Ben's reply quotes Anna's payment: {body}"
    );
}

/// The text of the reply the vendor received to `chaser`.
fn delivered_reply(dovecot: &Dovecot, chaser: &str) -> String {
    let dir = dovecot.folder_dir(postfix::SINK, "INBOX");
    for sub in ["new", "cur"] {
        for e in std::fs::read_dir(dir.join(sub))
            .into_iter()
            .flatten()
            .flatten()
        {
            let raw = std::fs::read(e.path()).unwrap_or_default();
            if let Ok(m) = duebox::mail::parse(&raw) {
                if m.in_reply_to.as_deref().map(bare) == Some(bare(chaser)) {
                    return String::from_utf8_lossy(&raw).into_owned();
                }
            }
        }
    }
    panic!("no reply to {chaser} was delivered")
}

/// A port on 127.0.0.1 where a connection attempt times out, as to a team database behind a
/// dead link: a listener that never accepts, its backlog full, so the kernel drops the SYNs.
struct Blackhole {
    fd: i32,
    port: u16,
    _queued: Vec<std::net::TcpStream>,
}

impl Blackhole {
    fn new() -> Blackhole {
        use std::mem::size_of;
        // SAFETY: plain socket calls on a socket of our own, with buffers of the right size.
        let (fd, port) = unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            assert!(fd >= 0);
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
            let len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            assert_eq!(
                libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len),
                0
            );
            assert_eq!(libc::listen(fd, 0), 0);
            let mut len = len;
            libc::getsockname(fd, &mut addr as *mut _ as *mut libc::sockaddr, &mut len);
            (fd, u16::from_be(addr.sin_port))
        };
        let to = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let mut queued = Vec::new();
        while let Ok(s) = std::net::TcpStream::connect_timeout(&to, Duration::from_millis(300)) {
            queued.push(s);
            assert!(queued.len() < 16, "the backlog never fills");
        }
        Blackhole {
            fd,
            port,
            _queued: queued,
        }
    }
}

impl Drop for Blackhole {
    fn drop(&mut self) {
        // SAFETY: our own descriptor, closed once.
        unsafe { libc::close(self.fd) };
    }
}

/// The text the terminal got so far.
fn screen_text(out: &std::sync::Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&out.lock().unwrap()).into_owned()
}

#[test]
fn the_ui_starts_with_the_team_database_down_shows_mail_and_says_what_to_do() {
    use std::io::Read;
    use std::process::Stdio;
    use std::sync::{Arc, Mutex};
    let w = world();
    let user = "pgui@example.test";
    let hole = Blackhole::new();
    let url = format!("postgres://duebox@127.0.0.1:{}/team", hole.port);
    let s = Servers {
        user,
        imap: (w.imap_port, &w.imap_ca),
        smtp: (w.smtp_port, &w.smtp_ca),
        url: &url,
    };
    {
        let servers = w.servers();
        deliver_chasers(&servers.0, user, "pgui", 1);
    }
    let jo = clerk(w.home.path(), "pgui-jo", "Jo", &s);
    // The command line says it once and goes on: mail is synced.
    let out = jo.run(&["sync"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.matches("cannot be reached").count(), 1, "{err}");
    // The UI, in a terminal: the mail is drawn at once, before anything waited on the team
    // database (its four stores open without connecting), then the status line says what
    // failed and what to do.
    let cmd = jo.command(&[]);
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| format!("'{}'", a.to_string_lossy()))
        .collect();
    let mut child = std::process::Command::new("script")
        .args([
            "-qfec",
            &format!(
                "stty rows 30 cols 250; exec {} {}",
                env!("CARGO_BIN_EXE_duebox"),
                args.join(" ")
            ),
            "/dev/null",
        ])
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("TERM", "xterm-256color")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux script runs (apt-get install bsdutils)");
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut stdout = child.stdout.take().unwrap();
    let sink = out.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let said = "the team database cannot be reached: mail can be read, replies are refused until it answers";
    let end = Instant::now() + WAIT;
    while Instant::now() < end && !screen_text(&out).contains("then sync (s)") {
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = screen_text(&out);
    let _ = child.kill();
    let _ = child.wait();
    let mail = text
        .find("Friendly reminder")
        .unwrap_or_else(|| panic!("the chaser is listed: {text}"));
    let told = text
        .find(said)
        .unwrap_or_else(|| panic!("the status line says so: {text}"));
    assert!(
        text.contains(&format!(
            "check that duebox@127.0.0.1:{}/team is up, then sync (s)",
            hole.port
        )),
        "{text}"
    );
    assert!(
        mail < told,
        "the mail was drawn before the team database was waited for"
    );
}

/// An SMTP server that took the message's text and never answered: the outcome is unknown.
struct NoAnswer;

impl duebox::send::smtp::Transport for NoAnswer {
    fn send(
        &mut self,
        _from: &str,
        _to: &str,
        _raw: &[u8],
    ) -> Result<String, duebox::send::smtp::SendError> {
        Err(duebox::send::smtp::SendError::Unknown {
            server: "127.0.0.1".into(),
            reason: "the connection closed after the message's text".into(),
        })
    }
}

/// The UI's reply layer on the real Dovecot: a reply whose outcome is unknown keeps its claim
/// (quitting the UI does not release it), and settling it (`r` in Sent) releases it.
#[test]
fn the_ui_keeps_the_claim_of_an_unknown_outcome_and_releases_it_when_settled() {
    use duebox::config::Security;
    use duebox::imap::{Account, Imap, Secret};
    use duebox::team::{Claims, Clerk, Team};
    use duebox::tui::outbox_replies::{OutboxReplies, TeamClaims};
    use duebox::tui::replies::ReplyService;
    let w = world();
    let user = "pgsettleui@example.test";
    let chasers = {
        let servers = w.servers();
        deliver_chasers(&servers.0, user, "pgsettleui", 1)
    };
    let jo = w.install("pgsettleui-jo", user, "Jo");
    jo.ok(&["sync"]);
    let account = Account {
        host: "127.0.0.1".into(),
        port: w.imap_port,
        security: Security::Tls,
        login: user.into(),
        secret: Secret::Password(dovecot::PASSWORD.into()),
        ca_file: Some(w.imap_ca.clone()),
    };
    let ui = || {
        let store = duebox::store::Store::open(&jo.dir.join("duebox.db")).unwrap();
        let ctx = duebox::send::ReplyContext {
            templates: duebox::reply::Templates::builtin_only(),
            identity: duebox::reply::Identity {
                from: format!("Northwind AP <{user}>"),
                company: "Northwind Traders Ltd".into(),
                signature: "Jo\nAccounts Payable".into(),
                ..Default::default()
            },
            classify: common::northwind(),
            index: store.payables_index().unwrap(),
        };
        let (mailbox, claims) = (account.clone(), account.clone());
        OutboxReplies::new(
            store,
            ctx,
            Ok(Box::new(NoAnswer) as Box<dyn duebox::send::smtp::Transport>),
            Box::new(move || {
                Imap::connect(&mailbox)
                    .ok()
                    .map(|s| Box::new(s) as Box<dyn duebox::sync::server::MailServer + Send>)
            }),
            "Sent".into(),
            true,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        )
        .with_claims(TeamClaims::new(
            Claims::new(Team {
                clerk: Clerk::new("Jo"),
                claim_minutes: 30,
            }),
            Box::new(move || {
                Imap::connect(&claims)
                    .map(|s| Box::new(s) as Box<dyn duebox::team::ClaimServer + Send>)
                    .map_err(|e| e.to_string())
            }),
        ))
    };
    let claims_now = || {
        jo.ok(&["sync"]);
        let store = duebox::store::Store::open(&jo.dir.join("duebox.db")).unwrap();
        let row = store.find_message(&chasers[0]).unwrap().unwrap().id;
        let flags = store.message_place(row).unwrap().unwrap().flags;
        duebox::team::marks::marks(flags.split_whitespace(), chrono::Utc::now())
            .into_iter()
            .map(|m| m.clerk)
            .collect::<Vec<_>>()
    };
    let row = {
        let store = duebox::store::Store::open(&jo.dir.join("duebox.db")).unwrap();
        store.find_message(&chasers[0]).unwrap().unwrap().id
    };
    let mut replies = ui();
    let shown = replies.preview(row, "acknowledge", None).unwrap();
    assert_eq!(shown.held_by, None);
    assert!(replies.send(&shown).is_err(), "the outcome is unknown");
    drop(replies);
    assert_eq!(
        claims_now(),
        ["Jo"],
        "kept while nobody knows, past quitting"
    );
    let mut replies = ui();
    let id = replies
        .outbox()
        .unwrap()
        .into_iter()
        .find_map(|r| r.outbox_id)
        .expect("the unsettled reply is in Sent");
    let settled = replies
        .resolve(id, duebox::send::Decision::Arrived)
        .unwrap();
    assert!(
        matches!(settled, duebox::send::Resolved::Confirmed),
        "{settled:?}"
    );
    drop(replies);
    assert!(claims_now().is_empty(), "released once settled");
}

/// A team database that takes the connection and never answers (a hung server, or a proxy in
/// front of one): duebox gives up after its limit, says so, and the command goes on.
#[test]
fn a_team_database_that_never_answers_is_given_up_on_and_mail_stays_readable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        // Held open, never a byte: the connection waits for the server's greeting.
        let held: Vec<_> = listener.incoming().flatten().collect();
        drop(held);
    });
    let w = world();
    let user = "pgmute@example.test";
    let url = format!("postgres://duebox@127.0.0.1:{port}/team");
    let s = Servers {
        user,
        imap: (w.imap_port, &w.imap_ca),
        smtp: (w.smtp_port, &w.smtp_ca),
        url: &url,
    };
    {
        let servers = w.servers();
        deliver_chasers(&servers.0, user, "pgmute", 1);
    }
    let jo = clerk(w.home.path(), "pgmute-jo", "Jo", &s);
    let mut child = jo
        .command(&["sync"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + WAIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("duebox waited for the team database's answer for a minute");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("cannot be reached") && err.contains("gave no answer within"),
        "{err}"
    );
    let listed = jo.ok(&["log"]);
    assert!(listed.contains("pgmute-0@acme-office.co.uk"), "{listed}");
}
