//! A real Postfix SMTP server for integration tests, in front of a test Dovecot
//! (tests/common/dovecot.rs), started and stopped by the test itself.
//!
//! Include it beside the Dovecot harness, under exactly these module names (it reaches the
//! Dovecot harness as `super::dovecot`):
//!
//! ```ignore
//! #[path = "common/dovecot.rs"]
//! mod dovecot;
//! #[path = "common/postfix.rs"]
//! mod postfix;
//! use postfix::{Postfix, Via, SINK};
//!
//! let (dovecot, postfix) = Postfix::start_pair();
//! ```
//!
//! Every instance lives in its own temporary directory: its own configuration directory
//! (`main.cf`, `master.cf` and two lookup tables written here; nothing in `/etc/postfix` is
//! read, not even `dynamicmaps.cf`), queue directory, data directory, log file and a copy of
//! Dovecot's certificate and key. It listens only on 127.0.0.1, on two ports picked free at
//! start: plain SMTP with STARTTLS ([`Postfix::port`]) and implicit TLS "smtps"
//! ([`Postfix::tls_port`]). The master runs in the foreground (`master -c DIR -d`) as a child of
//! the test process, in its own process group, and is stopped by its own process id (SIGTERM,
//! which it passes on to its children; then SIGKILL to the group) when the value is dropped. If
//! the test process dies without unwinding, a watchdog (`sh`) stops it within a second.
//!
//! Mail routing — nothing ever leaves the machine:
//! - the domains of the Dovecot's users (`example.test`, `northwind.test`) are Postfix virtual
//!   mailbox domains delivered over LMTP to Dovecot's unix socket; unknown users in them are
//!   refused at RCPT (550 5.1.1);
//! - every other recipient address (`billing@acme-office.co.uk`) is rewritten, envelope only,
//!   to the one sink mailbox [`SINK`] (a regexp `virtual_alias_maps`); the headers (`To:`) stay
//!   as sent, and Postfix's `Received: ... for <original>` names the original recipient when
//!   there was one (the LMTP log line has `orig_to=`). One message to several vendors lands in
//!   the sink once;
//! - headers are not completed or rewritten: a message without `Message-ID:` or `Date:`
//!   arrives without them (Postfix only prepends its `Received:`, Dovecot `Return-Path:`,
//!   `Delivered-To:` and its own `Received:`);
//! - `default_transport`, `relay_transport` and `local_transport` are `error:`, no `smtp`
//!   transport exists in master.cf, and DNS is off for the SMTP and LMTP clients and smtpd.
//!
//! Relaying (to a non-local domain) needs SMTP AUTH; mail to the local domains is taken
//! without it, as on port 25. AUTH PLAIN and LOGIN are checked by Dovecot (its auth socket,
//! `smtpd_sasl_type = dovecot`), same users and password as IMAP, and are offered only under
//! TLS (after STARTTLS, or on the TLS port) unless [`PostfixOptions::auth_without_tls`].
//! Dovecot delays a failed authentication by 2 s (its `auth_failure_delay`).
//!
//! Postfix's master must run as root (it refuses otherwise); its daemons run as Debian's
//! `postfix` user and `postdrop` group, which own the queue as Postfix's own `postfix-files`
//! lists. Start-up errors of the master itself go only to syslog (or a terminal), never to the
//! log file, so a failed start diagnoses what it can (ports, `postconf` warnings) and shows
//! the log's tail. Postfix 3.4 or later is needed (`maillog_file`).
//!
//! Only `std` and `tempfile` are used; TLS sessions go through the `openssl s_client` command.
#![allow(dead_code)]

use super::dovecot::{
    alive, find_program, log_and_output, running, signal, start_again, watchdog, Dovecot, Options,
};
use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

#[path = "postfix/config.rs"]
mod config;
#[path = "postfix/process.rs"]
mod process;
#[path = "postfix/smtp.rs"]
mod smtp;
#[allow(unused_imports)]
pub use config::{duebox_config, server_sections};
use process::*;
#[allow(unused_imports)]
pub use smtp::{Reply, SmtpSession};

/// The Dovecot user that receives every message to an address outside the local test
/// domains (vendors). [`dovecot_options`] adds it; its password is the Dovecot harness's
/// `PASSWORD`.
pub const SINK: &str = "vendors@example.test";

/// How to get Postfix onto a machine; part of every "not installed" panic.
const INSTALL_HINT: &str = "install it (as root) with `echo \"postfix postfix/main_mailer_type \
     select No configuration\" | debconf-set-selections && DEBIAN_FRONTEND=noninteractive \
     apt-get install -y postfix` (that answer starts no system instance), or run \
     scripts/test.sh, which installs the Debian packages the tests need";

/// How long a start may take before the test fails.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a graceful stop may take before the processes are killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Read timeout of the little SMTP clients.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a start is retried on fresh ports when a picked port was taken meanwhile.
const PORT_ATTEMPTS: usize = 5;
/// The queue directories that hold messages (the others hold logs, sockets, locks).
const MESSAGE_QUEUES: [&str; 5] = ["maildrop", "incoming", "active", "deferred", "hold"];

/// The Dovecot options Postfix needs: LMTP, SMTP auth and the [`SINK`] user.
pub fn dovecot_options() -> Options {
    Options::new().with_lmtp().with_smtp_auth().with_user(SINK)
}

/// What an instance should look like beyond the defaults.
#[derive(Clone, Debug, Default)]
pub struct PostfixOptions {
    /// Also allow AUTH on the plain port without STARTTLS (`smtpd_tls_auth_only = no`).
    pub auth_without_tls: bool,
    /// `main.cf` parameters set after (and over) the harness's own, in order.
    pub settings: Vec<(String, String)>,
}

impl PostfixOptions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Offers AUTH on the plain port before STARTTLS too.
    pub fn auth_without_tls(mut self) -> Self {
        self.auth_without_tls = true;
        self
    }

    /// Sets a `main.cf` parameter, replacing the harness's value if it has one, e.g.
    /// `.with_setting("message_size_limit", "20000")`.
    pub fn with_setting(mut self, name: &str, value: &str) -> Self {
        self.settings.push((name.to_string(), value.to_string()));
        self
    }
}

/// How an SMTP client reaches the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// Plain TCP on [`Postfix::port`], no TLS.
    Plain,
    /// [`Postfix::port`], upgraded with STARTTLS (by `openssl s_client -starttls smtp`).
    StartTls,
    /// Implicit TLS on [`Postfix::tls_port`].
    Implicit,
}

/// The ports of one instance; kept across restarts.
#[derive(Clone, Copy, Debug)]
struct Ports {
    smtp: u16,
    smtps: u16,
}

/// What the harness needs to know of the Dovecot behind it.
#[derive(Clone, Debug)]
struct Backend {
    lmtp_socket: PathBuf,
    auth_socket: PathBuf,
    users: Vec<String>,
    domains: Vec<String>,
}

/// One running (or stopped) Postfix, with everything in a temporary directory that is removed
/// when the value is dropped (after the server is stopped).
pub struct Postfix {
    child: Option<Child>,
    watchdog: Option<Child>,
    ports: Ports,
    opts: PostfixOptions,
    backend: Backend,
    version: String,
    master: PathBuf,
    postconf: PathBuf,
    // Last: dropped after `Drop::drop` has stopped the server.
    dir: tempfile::TempDir,
}

impl Postfix {
    /// A Dovecot with [`dovecot_options`] and a Postfix in front of it. Bind them in this
    /// order (`let (dovecot, postfix) = ...`) and Postfix stops first.
    pub fn start_pair() -> (Dovecot, Postfix) {
        let dovecot = Dovecot::start_with(dovecot_options());
        let postfix = Postfix::start(&dovecot);
        (dovecot, postfix)
    }

    /// Starts an instance in front of `dovecot` (started with [`dovecot_options`]) and waits
    /// until it greets.
    pub fn start(dovecot: &Dovecot) -> Postfix {
        Self::start_with(dovecot, PostfixOptions::default())
    }

    /// Starts an instance with `opts` in front of `dovecot` and waits until it greets.
    pub fn start_with(dovecot: &Dovecot, opts: PostfixOptions) -> Postfix {
        let backend = backend_of(dovecot);
        let postconf = find_program("postconf").unwrap_or_else(|| {
            panic!("the SMTP tests need a real Postfix, but it is not installed: {INSTALL_HINT}")
        });
        if find_program("openssl").is_none() {
            panic!("the Postfix test harness needs the `openssl` command: {INSTALL_HINT}");
        }

        let dir = tempfile::Builder::new()
            .prefix("duebox-postfix-")
            .tempdir()
            .expect("create the Postfix temp dir");
        // Postfix's daemons run as `postfix` and walk down to the queue and the tables.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .expect("chmod the Postfix temp dir");
        let euid = fs::metadata(dir.path()).expect("stat the temp dir").uid();
        if euid != 0 {
            panic!(
                "the Postfix test harness must run as root (uid {euid} here): Postfix's master \
                 refuses any other user (\"the master command is reserved for the superuser\"); \
                 CI runs the tests as root"
            );
        }
        let mut server = Postfix {
            child: None,
            watchdog: None,
            ports: Ports { smtp: 0, smtps: 0 },
            opts,
            backend,
            version: String::new(),
            master: PathBuf::new(),
            postconf,
            dir,
        };
        server.prepare_files(dovecot);
        let (version, daemon_directory) = server.query_installation();
        server.version = version;
        server.master = daemon_directory.join("master");
        if !server.master.is_file() {
            panic!(
                "Postfix's master is not at {}: {INSTALL_HINT}",
                server.master.display()
            );
        }

        for attempt in 1..=PORT_ATTEMPTS {
            server.ports = pick_ports();
            server.write_config();
            match server.spawn_and_wait() {
                Ok(()) => return server,
                Err(StartError::PortTaken) if attempt < PORT_ATTEMPTS => continue,
                Err(e) => server.fail_start(&e),
            }
        }
        unreachable!("the loop returns or panics")
    }

    /// A port on 127.0.0.1 on which nothing listens (bound and released just now), for
    /// "the SMTP server is down" scenarios.
    pub fn unused_port() -> u16 {
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("bind 127.0.0.1:0")
            .port()
    }

    /// The plain SMTP port on 127.0.0.1 (STARTTLS is offered on it).
    pub fn port(&self) -> u16 {
        self.ports.smtp
    }

    /// The implicit-TLS ("smtps", like 465) port on 127.0.0.1.
    pub fn tls_port(&self) -> u16 {
        self.ports.smtps
    }

    /// The certificate to trust: the same self-signed one as [`Dovecot::ca_file`] (CN=localhost,
    /// SAN IP:127.0.0.1 and DNS:localhost).
    pub fn ca_file(&self) -> PathBuf {
        self.path("tls/cert.pem")
    }

    /// The temporary directory everything lives in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The configuration directory (`main.cf`, `master.cf`, tables).
    pub fn config_dir(&self) -> PathBuf {
        self.path("conf")
    }

    /// The queue directory.
    pub fn queue_dir(&self) -> PathBuf {
        self.path("queue")
    }

    /// The installed Postfix's version (`mail_version`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The process id of the running master process.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the master process is running.
    pub fn is_running(&mut self) -> bool {
        running(&mut self.child)
    }

    /// The whole Postfix log so far (and anything the master printed on stdout/stderr). The
    /// log is written by Postfix's postlogd a moment after the event.
    pub fn log(&self) -> String {
        log_and_output(
            &self.path("postfix.log"),
            &self.path("postfix.stderr"),
            "--- stdout/stderr ---\n",
        )
    }

    /// Waits until the log contains `needle` (postlogd writes it a moment after the event);
    /// false if it does not within `timeout`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.log().contains(needle) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The log lines that report errors (`fatal:`, `panic:`, `error:`).
    pub fn errors(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| {
                [" fatal: ", " panic: ", " error: "]
                    .iter()
                    .any(|k| l.contains(k))
            })
            .map(str::to_string)
            .collect()
    }

    /// Whether no message waits in the queue (received but not yet delivered or bounced).
    pub fn queue_is_empty(&self) -> bool {
        MESSAGE_QUEUES
            .iter()
            .all(|q| count_files(&self.queue_dir().join(q)) == 0)
    }

    /// Waits until [`Postfix::queue_is_empty`]; false if it is not within `timeout`.
    pub fn wait_queue_empty(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.queue_is_empty() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the folder's Maildir holds at least `count` messages (`new/` and `cur/`,
    /// including any that were there before) and returns them all, oldest first. Panics after
    /// `timeout` with both servers' log tails. Delivery normally takes well under a second.
    pub fn wait_delivered(
        &self,
        dovecot: &Dovecot,
        user: &str,
        folder: &str,
        count: usize,
        timeout: Duration,
    ) -> Vec<PathBuf> {
        let dir = dovecot.folder_dir(user, folder);
        let deadline = Instant::now() + timeout;
        loop {
            let files = maildir_messages(&dir);
            if files.len() >= count {
                return files;
            }
            if Instant::now() >= deadline {
                let dlog = dovecot.log();
                let dlines: Vec<&str> = dlog.lines().collect();
                panic!(
                    "{} message(s) in {user}'s {folder} ({}) after {timeout:?}, wanted {count}; \
                     queue empty: {}\n--- postfix log (tail) ---\n{}\n--- dovecot log (tail) ---\n{}",
                    files.len(),
                    dir.display(),
                    self.queue_is_empty(),
                    self.log_tail(30),
                    dlines[dlines.len().saturating_sub(20)..].join("\n")
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// [`Postfix::wait_delivered`] for the [`SINK`]'s INBOX, where mail to vendors lands.
    pub fn wait_sink(&self, dovecot: &Dovecot, count: usize, timeout: Duration) -> Vec<PathBuf> {
        self.wait_delivered(dovecot, SINK, "INBOX", count, timeout)
    }

    /// Opens an SMTP session (greeting read, EHLO sent; over TLS the certificate verified
    /// against [`Postfix::ca_file`] and 127.0.0.1). Panics if it cannot.
    pub fn connect(&self, via: Via) -> SmtpSession {
        self.try_connect(via).unwrap_or_else(|e| {
            panic!(
                "SMTP ({via:?}) to 127.0.0.1 failed: {e}\n--- postfix log (tail) ---\n{}",
                self.log_tail(20)
            )
        })
    }

    /// [`Postfix::connect`], returning what went wrong instead of panicking.
    pub fn try_connect(&self, via: Via) -> Result<SmtpSession, String> {
        let port = match via {
            Via::Plain | Via::StartTls => self.port(),
            Via::Implicit => self.tls_port(),
        };
        SmtpSession::open(port, via, &self.ca_file())
    }

    /// Sends one message in a fresh session: AUTH PLAIN first if `auth` is given (user,
    /// password), then MAIL, RCPT for each of `to`, DATA (`message` is sent with CRLF line
    /// ends and dot-stuffed). Ok: the server's final reply (`250 2.0.0 Ok: queued as ...`).
    /// Err: the session transcript, when any step was refused.
    pub fn send(
        &self,
        via: Via,
        auth: Option<(&str, &str)>,
        from: &str,
        to: &[&str],
        message: &[u8],
    ) -> Result<String, String> {
        let mut s = self.try_connect(via)?;
        if let Some((user, password)) = auth {
            let r = s.auth_plain(user, password);
            if r.code != 235 {
                return Err(s.transcript().to_string());
            }
        }
        let result = s.send_mail(from, to, message);
        s.quit();
        result.map(|r| r.text())
    }

    // ----- internals -----

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn log_len(&self) -> u64 {
        fs::metadata(self.path("postfix.log"))
            .map(|m| m.len())
            .unwrap_or(0)
    }

    fn log_since(&self, offset: u64) -> String {
        let log = fs::read(self.path("postfix.log")).unwrap_or_default();
        let start = (offset as usize).min(log.len());
        String::from_utf8_lossy(&log[start..]).into_owned()
    }

    fn log_tail(&self, lines: usize) -> String {
        let log = self.log();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        self.stop();
    }
}
