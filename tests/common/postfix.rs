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

use super::dovecot::{alive, find_program, signal, Dovecot, Options};
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
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The whole Postfix log so far (and anything the master printed on stdout/stderr). The
    /// log is written by Postfix's postlogd a moment after the event.
    pub fn log(&self) -> String {
        let mut s = fs::read_to_string(self.path("postfix.log")).unwrap_or_default();
        let err = fs::read_to_string(self.path("postfix.stderr")).unwrap_or_default();
        if !err.trim().is_empty() {
            s.push_str("--- stdout/stderr ---\n");
            s.push_str(&err);
        }
        s
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

    /// Stops the server: SIGTERM to the master (which passes it on), then waits until its
    /// process group is gone (SIGKILL after 5 s). The queue stays; [`Postfix::restart`] brings
    /// the server back on the same ports; meanwhile [`Postfix::port`] refuses connections.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id();
        if matches!(child.try_wait(), Ok(None)) {
            signal(&[pid], "TERM");
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                thread::sleep(Duration::from_millis(10));
            }
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
        }
        let _ = child.wait();
        // The master's children got its SIGTERM; any left (or forked meanwhile) are in its
        // process group, which the master led.
        kill_group(pid);
        self.stop_watchdog();
    }

    /// Stops the server if it runs, then starts it again on the same ports with the same
    /// configuration and queue, and waits until it greets.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.spawn_and_wait() {
                Ok(()) => return,
                Err(StartError::PortTaken) if Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(100));
                }
                Err(e) => self.fail_start(&e),
            }
        }
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

    /// Directories and files as Postfix's own `postfix-files` lays them out: the queue
    /// directory is root's, the queues `postfix`'s, `maildrop` and `public` group `postdrop`.
    fn prepare_files(&self, dovecot: &Dovecot) {
        let (postfix_uid, postfix_gid) = passwd_ids("postfix").unwrap_or_else(|| {
            panic!("the `postfix` user does not exist; Postfix is not installed: {INSTALL_HINT}")
        });
        let postdrop_gid = group_id("postdrop").unwrap_or_else(|| {
            panic!("the `postdrop` group does not exist; Postfix is not installed: {INSTALL_HINT}")
        });
        let mk = |rel: &str, mode: u32, owner: Option<(u32, u32)>| {
            let p = self.path(rel);
            fs::create_dir(&p).unwrap_or_else(|e| panic!("mkdir {}: {e}", p.display()));
            fs::set_permissions(&p, fs::Permissions::from_mode(mode))
                .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::chown(&p, Some(uid), Some(gid))
                    .unwrap_or_else(|e| panic!("chown {}: {e}", p.display()));
            }
        };
        let postfix = Some((postfix_uid, postfix_gid));
        mk("conf", 0o755, None);
        mk("tls", 0o755, None);
        mk("data", 0o700, postfix);
        mk("queue", 0o755, None);
        mk("queue/pid", 0o755, None);
        for q in [
            "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming",
            "private", "saved", "trace",
        ] {
            mk(&format!("queue/{q}"), 0o700, postfix);
        }
        mk("queue/maildrop", 0o730, Some((postfix_uid, postdrop_gid)));
        mk("queue/public", 0o710, Some((postfix_uid, postdrop_gid)));

        // The Dovecot's own certificate and key, copied so that this instance does not depend
        // on the other's temp dir. smtpd reads the key as root before it drops privileges.
        for (from, to) in [
            (dovecot.ca_file(), "cert.pem"),
            (dovecot.key_file(), "key.pem"),
        ] {
            let dest = self.path("tls").join(to);
            fs::copy(&from, &dest)
                .unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), dest.display()));
        }
        fs::set_permissions(self.path("tls/key.pem"), fs::Permissions::from_mode(0o600))
            .expect("chmod the key");
        // postconf needs a main.cf to answer even `-d`.
        self.write_file("conf/main.cf", "");
    }

    /// The installed Postfix's version and daemon directory (where `master` lives).
    fn query_installation(&self) -> (String, PathBuf) {
        let out = Command::new(&self.postconf)
            .arg("-c")
            .arg(self.config_dir())
            .args(["-d", "-h", "mail_version", "daemon_directory"])
            .output()
            .unwrap_or_else(|e| panic!("run postconf: {e}; {INSTALL_HINT}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut lines = stdout.lines().map(str::trim);
        let (version, daemons) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
        assert!(
            out.status.success() && !version.is_empty() && !daemons.is_empty(),
            "`postconf -d mail_version daemon_directory` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (major, minor) = major_minor(version);
        assert!(
            (major, minor) >= (3, 4),
            "Postfix {version} is too old: the harness logs to a file (maillog_file), which \
             needs Postfix 3.4 or later"
        );
        (version.to_string(), PathBuf::from(daemons))
    }

    /// The `main.cf` parameters, in order; [`PostfixOptions::settings`] replace or extend them.
    fn main_cf(&self) -> Vec<(String, String)> {
        let d = self.dir.path().display().to_string();
        let (major, minor) = major_minor(&self.version);
        let b = &self.backend;
        let nowhere = "error:5.7.1 nothing leaves this machine (duebox test harness)";
        let mut cf: Vec<(&str, String)> = vec![
            // Settings that would otherwise differ with the version follow the installed one.
            ("compatibility_level", format!("{major}.{minor}")),
            ("config_directory", format!("{d}/conf")),
            // dynamicmaps.cf would be read from here; the empty one here loads no map plugins
            // (regexp and texthash are built in).
            ("meta_directory", format!("{d}/conf")),
            ("queue_directory", format!("{d}/queue")),
            ("data_directory", format!("{d}/data")),
            ("mail_owner", "postfix".into()),
            ("setgid_group", "postdrop".into()),
            ("maillog_file", format!("{d}/postfix.log")),
            ("maillog_file_prefixes", d.clone()),
            ("inet_interfaces", "127.0.0.1".into()),
            ("inet_protocols", "ipv4".into()),
            ("myhostname", "mail.example.test".into()),
            ("mydomain", "example.test".into()),
            ("myorigin", "example.test".into()),
            ("mydestination", String::new()),
            ("mynetworks", "127.0.0.0/8".into()),
            ("append_dot_mydomain", "no".into()),
            ("biff", "no".into()),
            ("alias_maps", String::new()),
            ("alias_database", String::new()),
            ("local_recipient_maps", String::new()),
            (
                "local_transport",
                "error:5.1.1 no local delivery here".into(),
            ),
            ("relayhost", String::new()),
            ("relay_domains", String::new()),
            ("default_transport", nowhere.into()),
            ("relay_transport", nowhere.into()),
            ("smtp_dns_support_level", "disabled".into()),
            ("lmtp_dns_support_level", "disabled".into()),
            ("smtpd_peername_lookup", "no".into()),
            ("virtual_mailbox_domains", b.domains.join(" ")),
            (
                "virtual_mailbox_maps",
                format!("texthash:{d}/conf/mailboxes"),
            ),
            (
                "virtual_alias_maps",
                format!("regexp:{d}/conf/vendors.regexp"),
            ),
            // Not $virtual_alias_maps (the default): its catch-all would match every domain
            // name and make every domain a virtual alias domain.
            ("virtual_alias_domains", String::new()),
            (
                "virtual_transport",
                format!("lmtp:unix:{}", b.lmtp_socket.display()),
            ),
            (
                "smtpd_banner",
                "$myhostname ESMTP Postfix (duebox test)".into(),
            ),
            // Messages arrive as the client sent them: 127.0.0.1 is not treated as a local
            // client whose headers Postfix completes (Message-ID, Date, From) or qualifies.
            ("local_header_rewrite_clients", String::new()),
            (
                "smtpd_relay_restrictions",
                "permit_sasl_authenticated, reject_unauth_destination".into(),
            ),
            ("smtpd_tls_security_level", "may".into()),
            (
                "smtpd_tls_chain_files",
                format!("{d}/tls/key.pem, {d}/tls/cert.pem"),
            ),
            (
                "smtpd_tls_auth_only",
                if self.opts.auth_without_tls {
                    "no"
                } else {
                    "yes"
                }
                .into(),
            ),
            ("smtpd_tls_loglevel", "1".into()),
            ("smtp_tls_security_level", "none".into()),
            ("lmtp_tls_security_level", "none".into()),
            ("smtpd_sasl_auth_enable", "yes".into()),
            ("smtpd_sasl_type", "dovecot".into()),
            ("smtpd_sasl_path", b.auth_socket.display().to_string()),
            ("smtpd_sasl_security_options", "noanonymous".into()),
            ("smtpd_sasl_tls_security_options", "noanonymous".into()),
            // Fast tests: no sleeping after client errors or under load, quick retries of
            // deferred mail (e.g. while Dovecot is down).
            ("smtpd_error_sleep_time", "0s".into()),
            ("in_flow_delay", "0s".into()),
            ("queue_run_delay", "1s".into()),
            ("minimal_backoff_time", "1s".into()),
            ("maximal_backoff_time", "2s".into()),
        ];
        if (major, minor) < (3, 6) {
            cf[0].1 = "2".into();
        }
        let mut out: Vec<(String, String)> =
            cf.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        for (name, value) in &self.opts.settings {
            match out.iter_mut().find(|(k, _)| k == name) {
                Some(entry) => entry.1 = value.clone(),
                None => out.push((name.clone(), value.clone())),
            }
        }
        out
    }

    fn master_cf(&self) -> String {
        let mut s = String::from(
            "# Written by tests/common/postfix.rs; /etc/postfix is not read.\n\
             # service type  private unpriv  chroot  wakeup  maxproc command\n",
        );
        let _ = writeln!(s, "127.0.0.1:{} inet n - n - - smtpd", self.ports.smtp);
        let _ = writeln!(
            s,
            "127.0.0.1:{} inet n - n - - smtpd\n  -o smtpd_tls_wrappermode=yes\n  \
             -o smtpd_tls_security_level=encrypt",
            self.ports.smtps
        );
        // No `smtp`/`relay` transport at all: nothing could be sent out even if routed there.
        s.push_str(
            "postlog   unix-dgram n - n - 1 postlogd\n\
             cleanup   unix n - n - 0 cleanup\n\
             qmgr      unix n - n 300 1 qmgr\n\
             tlsmgr    unix - - n 1000? 1 tlsmgr\n\
             rewrite   unix - - n - - trivial-rewrite\n\
             bounce    unix - - n - 0 bounce\n\
             defer     unix - - n - 0 bounce\n\
             trace     unix - - n - 0 bounce\n\
             verify    unix - - n - 1 verify\n\
             flush     unix n - n 1000? 0 flush\n\
             proxymap  unix - - n - - proxymap\n\
             showq     unix n - n - - showq\n\
             error     unix - - n - - error\n\
             retry     unix - - n - - error\n\
             discard   unix - - n - - discard\n\
             lmtp      unix - - n - - lmtp\n\
             anvil     unix - - n - 1 anvil\n\
             scache    unix - - n - 1 scache\n",
        );
        s
    }

    fn write_config(&self) {
        let mut main =
            String::from("# Written by tests/common/postfix.rs; /etc/postfix is not read.\n");
        for (k, v) in self.main_cf() {
            let _ = writeln!(main, "{k} = {v}");
        }
        self.write_file("conf/main.cf", &main);
        self.write_file("conf/master.cf", &self.master_cf());
        self.write_file("conf/dynamicmaps.cf", "");
        let mut mailboxes = String::new();
        for u in &self.backend.users {
            let _ = writeln!(mailboxes, "{u} ok");
        }
        self.write_file("conf/mailboxes", &mailboxes);
        // Every recipient outside the local domains goes to the sink (envelope only).
        let local = self
            .backend
            .domains
            .iter()
            .map(|d| d.replace('.', "\\."))
            .collect::<Vec<_>>()
            .join("|");
        self.write_file(
            "conf/vendors.regexp",
            &format!("if !/@({local})$/\n/^/ {SINK}\nendif\n"),
        );
    }

    /// Writes a configuration file with its mtime 10 s in the past: Postfix waits (about
    /// 1.5 s) for a file written in the current second to settle before it trusts it.
    fn write_file(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        fs::write(&p, text).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        let past = SystemTime::now() - Duration::from_secs(10);
        fs::File::options()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_modified(past))
            .unwrap_or_else(|e| panic!("backdate {}: {e}", p.display()));
    }

    fn spawn_and_wait(&mut self) -> Result<(), StartError> {
        let log_from = self.log_len();
        let out = fs::File::create(self.path("postfix.stderr")).expect("create postfix.stderr");
        let child = Command::new(&self.master)
            .arg("-c")
            .arg(self.config_dir())
            .arg("-d")
            .env("MAIL_CONFIG", self.config_dir())
            .current_dir(self.dir.path())
            // Its own process group: the master's SIGTERM handler signals its group, and `-d`
            // keeps it from making one itself.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup the output file"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.master.display()));
        let pid = child.id();
        self.child = Some(child);
        self.watchdog = spawn_watchdog(pid, self.dir.path());

        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.as_mut().expect("just spawned").try_wait() {
                self.child = None;
                self.stop_watchdog();
                kill_group(pid);
                // The master reports a bind failure only to syslog: look for ourselves.
                let taken = [self.ports.smtp, self.ports.smtps]
                    .iter()
                    .any(|&p| TcpListener::bind((Ipv4Addr::LOCALHOST, p)).is_err());
                return Err(if taken {
                    StartError::PortTaken
                } else {
                    StartError::Exited(status.to_string())
                });
            }
            if greets(self.ports.smtp) {
                return Ok(());
            }
            // A daemon that cannot start (a bad setting, say) logs a fatal error, and the
            // master keeps retrying it: no point waiting for the timeout.
            if let Some(fatal) = self
                .log_since(log_from)
                .lines()
                .find(|l| [" fatal: ", " panic: "].iter().any(|k| l.contains(k)))
            {
                let fatal = fatal.to_string();
                self.stop();
                return Err(StartError::Fatal(fatal));
            }
            if Instant::now() >= deadline {
                self.stop();
                return Err(StartError::Timeout);
            }
            thread::sleep(Duration::from_millis(25));
        }
    }

    /// What `postconf` says about the configuration (warnings go to stderr).
    fn postconf_warnings(&self) -> String {
        let mut s = String::new();
        for flag in ["-n", "-M"] {
            if let Ok(out) = Command::new(&self.postconf)
                .arg("-c")
                .arg(self.config_dir())
                .arg(flag)
                .output()
            {
                s.push_str(&String::from_utf8_lossy(&out.stderr));
            }
        }
        s
    }

    fn fail_start(&self, e: &StartError) -> ! {
        let why = match e {
            StartError::PortTaken => format!(
                "a port it was given was taken (smtp {}, smtps {})",
                self.ports.smtp, self.ports.smtps
            ),
            StartError::Exited(status) => format!(
                "the master exited ({status}); its own start-up errors (a bind failure, a bad \
                 master.cf line) go only to syslog, never to the log below: check the settings \
                 (PostfixOptions::with_setting) or run the master by hand under strace"
            ),
            StartError::Fatal(line) => format!("a Postfix process failed: {line}"),
            StartError::Timeout => format!(
                "127.0.0.1:{} did not greet with 220 within {START_TIMEOUT:?}",
                self.ports.smtp
            ),
        };
        let warnings = self.postconf_warnings();
        panic!(
            "Postfix {} failed to start: {why}\nconfig: {}\n--- postconf warnings ---\n{}\n\
             --- postfix log (tail) ---\n{}",
            self.version,
            self.config_dir().display(),
            if warnings.trim().is_empty() {
                "(none)"
            } else {
                warnings.trim_end()
            },
            self.log_tail(40)
        )
    }

    fn stop_watchdog(&mut self) {
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Debug)]
enum StartError {
    PortTaken,
    Exited(String),
    Fatal(String),
    Timeout,
}

/// Checks that `dovecot` can take Postfix's mail and passwords, and notes where.
fn backend_of(dovecot: &Dovecot) -> Backend {
    let o = dovecot.options();
    let missing: Vec<&str> = [
        (!o.lmtp).then_some("LMTP"),
        (!o.smtp_auth).then_some("SMTP auth"),
        (!dovecot.users().iter().any(|u| u == SINK)).then_some("the sink user"),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(
        missing.is_empty(),
        "Postfix needs a Dovecot started with postfix::dovecot_options() (LMTP, SMTP auth and \
         the sink user {SINK}); this one lacks {}",
        missing.join(", ")
    );
    let mut domains: Vec<String> = dovecot
        .users()
        .iter()
        .filter_map(|u| u.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()))
        .collect();
    domains.sort();
    domains.dedup();
    Backend {
        lmtp_socket: dovecot.lmtp_socket(),
        auth_socket: dovecot.auth_socket(),
        users: dovecot.users().to_vec(),
        domains,
    }
}

/// "3.7.11" → (3, 7).
fn major_minor(version: &str) -> (u32, u32) {
    let mut nums = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u32>().unwrap_or(0));
    (nums.next().unwrap_or(0), nums.next().unwrap_or(0))
}

/// (uid, gid) of a user in /etc/passwd.
fn passwd_ids(user: &str) -> Option<(u32, u32)> {
    fs::read_to_string("/etc/passwd")
        .ok()?
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() >= 4 && f[0] == user).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
        })
        .flatten()
}

/// The gid of a group in /etc/group.
fn group_id(group: &str) -> Option<u32> {
    fs::read_to_string("/etc/group")
        .ok()?
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() >= 3 && f[0] == group).then(|| f[2].parse().ok())
        })
        .flatten()
}

/// Free ports on 127.0.0.1: bound together (so they differ), read, and released. Another
/// process may take one before Postfix binds it; the start then retries on new ones.
fn pick_ports() -> Ports {
    let bind = || TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    let a = bind();
    let b = bind();
    let port = |l: &TcpListener| l.local_addr().expect("local_addr").port();
    Ports {
        smtp: port(&a),
        smtps: port(&b),
    }
}

/// Whether 127.0.0.1:port greets with `220`.
fn greets(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(250)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(_) if line.starts_with("220 ") => {
            let _ = reader.get_mut().write_all(b"QUIT\r\n");
            true
        }
        _ => false,
    }
}

/// Live processes whose process group is `pgid` (the master's children share its group).
fn group_members(pgid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return out;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // After "(comm)": state ppid pgrp ...
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let pgrp = rest
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse::<u32>().ok());
        if pgrp == Some(pgid) && alive(pid) {
            out.push(pid);
        }
    }
    out
}

/// SIGKILL to whatever is left of the process group `pgid`, until nothing is (up to 5 s).
fn kill_group(pgid: u32) {
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        let left = group_members(pgid);
        if left.is_empty() {
            return;
        }
        signal(&left, "KILL");
        thread::sleep(Duration::from_millis(10));
    }
}

/// Regular files below `dir` (recursively: Postfix hashes deferred queues into subdirs).
fn count_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => count_files(&e.path()),
            Ok(t) if t.is_file() => 1,
            _ => 0,
        })
        .sum()
}

/// The messages of a Maildir (`new/` and `cur/`), oldest first.
fn maildir_messages(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<(SystemTime, PathBuf)> = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            if let Ok(m) = e.metadata() {
                if m.is_file() {
                    files.push((m.modified().unwrap_or(SystemTime::UNIX_EPOCH), e.path()));
                }
            }
        }
    }
    files.sort();
    files.into_iter().map(|(_, p)| p).collect()
}

/// `sh` that stops the master once this test process is gone (killed, aborted: no `Drop`
/// ran), so no server outlives its test binary, and then removes the temp dir. While the test
/// process lives it does nothing; `stop` kills it.
fn spawn_watchdog(master_pid: u32, dir: &Path) -> Option<Child> {
    Command::new("sh")
        .arg("-c")
        .arg(
            r#"while kill -0 "$0" 2>/dev/null && kill -0 "$1" 2>/dev/null; do sleep 1; done
kill -0 "$0" 2>/dev/null && exit 0
kill -TERM "$1" 2>/dev/null
i=0
while kill -0 "$1" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL -- "-$1" 2>/dev/null
rm -rf "$2""#,
        )
        .arg(std::process::id().to_string())
        .arg(master_pid.to_string())
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

/// One SMTP reply: its code and the text of each line (code and separator removed). Code 0
/// means the server closed the connection instead of replying.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// The reply's lines joined with newlines, e.g. `2.0.0 Ok: queued as 4Xk...`.
    pub fn text(&self) -> String {
        format!("{} {}", self.code, self.lines.join("\n"))
    }

    /// 2xx or 3xx.
    pub fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }
}

/// Where the session's bytes go: a plain socket, or `openssl s_client`'s stdin/stdout.
enum Transport {
    Tcp(BufReader<TcpStream>),
    Openssl {
        child: Child,
        stdin: Option<ChildStdin>,
        lines: Receiver<String>,
        stderr: Arc<Mutex<Vec<u8>>>,
    },
}

/// A small blocking SMTP client session, one command at a time (no pipelining). Over TLS it
/// drives `openssl s_client`, which verifies the server against the harness's certificate and
/// 127.0.0.1.
pub struct SmtpSession {
    transport: Transport,
    extensions: Vec<String>,
    transcript: String,
}

impl SmtpSession {
    fn open(port: u16, via: Via, ca_file: &Path) -> Result<SmtpSession, String> {
        let transport = match via {
            Via::Plain => {
                let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                    .map_err(|e| format!("connect to 127.0.0.1:{port}: {e}"))?;
                stream
                    .set_read_timeout(Some(IO_TIMEOUT))
                    .map_err(|e| e.to_string())?;
                Transport::Tcp(BufReader::new(stream))
            }
            Via::StartTls | Via::Implicit => openssl_transport(port, via, ca_file)?,
        };
        let mut s = SmtpSession {
            transport,
            extensions: Vec::new(),
            transcript: String::new(),
        };
        // s_client -starttls reads the greeting (and its own EHLO's reply) itself.
        if via != Via::StartTls {
            let greeting = s.read_reply();
            if greeting.code != 220 {
                return Err(s.failure("no 220 greeting"));
            }
        }
        let ehlo = s.command("EHLO client.example.test");
        if ehlo.code != 250 {
            return Err(s.failure("EHLO refused"));
        }
        s.extensions = ehlo.lines.iter().skip(1).cloned().collect();
        Ok(s)
    }

    /// The EHLO keywords the server offered (after TLS, if any): `PIPELINING`, `AUTH PLAIN
    /// LOGIN`, `STARTTLS`, ...
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// Whether AUTH is offered (Postfix hides it before TLS unless `auth_without_tls`).
    pub fn offers_auth(&self) -> bool {
        self.extensions.iter().any(|e| e.starts_with("AUTH "))
    }

    /// Everything sent and received so far (`C: ` / `S: ` lines; AUTH secrets as sent, in
    /// base64).
    pub fn transcript(&self) -> &str {
        &self.transcript
    }

    /// Sends one command line (without CRLF) and reads the reply.
    pub fn command(&mut self, line: &str) -> Reply {
        self.send_line(line);
        self.read_reply()
    }

    /// AUTH PLAIN with an initial response. 235 on success, 535 for a wrong password.
    pub fn auth_plain(&mut self, user: &str, password: &str) -> Reply {
        let token = base64(format!("\0{user}\0{password}").as_bytes());
        self.command(&format!("AUTH PLAIN {token}"))
    }

    /// AUTH LOGIN, user and password each in answer to a 334 challenge.
    pub fn auth_login(&mut self, user: &str, password: &str) -> Reply {
        let r = self.command("AUTH LOGIN");
        if r.code != 334 {
            return r;
        }
        let r = self.command(&base64(user.as_bytes()));
        if r.code != 334 {
            return r;
        }
        self.command(&base64(password.as_bytes()))
    }

    /// MAIL FROM, RCPT TO for each recipient, DATA and the message (CRLF line ends,
    /// dot-stuffed). Ok: the final reply (250 ... queued as ...). Err: the transcript, at the
    /// first refusal.
    pub fn send_mail(&mut self, from: &str, to: &[&str], message: &[u8]) -> Result<Reply, String> {
        let r = self.command(&format!("MAIL FROM:<{from}>"));
        if r.code != 250 {
            return Err(self.transcript.clone());
        }
        for rcpt in to {
            let r = self.command(&format!("RCPT TO:<{rcpt}>"));
            if r.code != 250 {
                self.command("RSET");
                return Err(self.transcript.clone());
            }
        }
        let r = self.command("DATA");
        if r.code != 354 {
            return Err(self.transcript.clone());
        }
        self.write_raw(&dot_stuff(message));
        self.transcript.push_str(&format!(
            "C: <message, {} bytes>\r\nC: .\r\n",
            message.len()
        ));
        let r = self.read_reply();
        if r.code != 250 {
            return Err(self.transcript.clone());
        }
        Ok(r)
    }

    /// QUIT, and the end of the session.
    pub fn quit(mut self) {
        self.send_line("QUIT");
        let _ = self.read_reply();
    }

    fn failure(&mut self, what: &str) -> String {
        let mut s = format!("{what}\n{}", self.transcript);
        if let Transport::Openssl { child, stderr, .. } = &mut self.transport {
            // Give s_client a moment to exit and say why (verification errors and the like).
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                thread::sleep(Duration::from_millis(20));
            }
            let err = stderr.lock().map(|e| e.clone()).unwrap_or_default();
            s.push_str("--- openssl s_client stderr ---\n");
            s.push_str(&String::from_utf8_lossy(&err));
        }
        s
    }

    fn send_line(&mut self, line: &str) {
        self.transcript.push_str(&format!("C: {line}\r\n"));
        self.write_raw(format!("{line}\r\n").as_bytes());
    }

    fn write_raw(&mut self, bytes: &[u8]) {
        let result = match &mut self.transport {
            Transport::Tcp(r) => r.get_mut().write_all(bytes),
            Transport::Openssl { stdin, .. } => match stdin.as_mut() {
                Some(w) => w.write_all(bytes).and_then(|_| w.flush()),
                None => Err(io::Error::other("stdin closed")),
            },
        };
        if let Err(e) = result {
            // The reply read next reports the closed connection (code 0).
            self.transcript
                .push_str(&format!("(write failed: {e})\r\n"));
        }
    }

    /// One reply, all its lines (`250-...` continued, `250 ...` last).
    fn read_reply(&mut self) -> Reply {
        let mut lines = Vec::new();
        loop {
            let Some(line) = self.read_line() else {
                self.transcript.push_str("S: (connection closed)\r\n");
                return Reply {
                    code: 0,
                    lines: vec!["connection closed".into()],
                };
            };
            self.transcript.push_str(&format!("S: {line}\r\n"));
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let Some(code) = code else {
                panic!("not an SMTP reply line: {line:?}\n{}", self.transcript);
            };
            lines.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Reply { code, lines };
            }
        }
    }

    /// One line without its CRLF; None at the end of the connection.
    fn read_line(&mut self) -> Option<String> {
        let line = match &mut self.transport {
            Transport::Tcp(r) => {
                let mut buf = Vec::new();
                match r.read_until(b'\n', &mut buf) {
                    Ok(0) => return None,
                    Ok(_) => String::from_utf8_lossy(&buf).into_owned(),
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        panic!("no SMTP reply within {IO_TIMEOUT:?}\n{}", self.transcript)
                    }
                    Err(_) => return None,
                }
            }
            Transport::Openssl { lines, .. } => match lines.recv_timeout(IO_TIMEOUT) {
                Ok(l) => l,
                Err(RecvTimeoutError::Disconnected) => return None,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no SMTP reply within {IO_TIMEOUT:?}\n{}", self.transcript)
                }
            },
        };
        Some(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

impl Drop for SmtpSession {
    fn drop(&mut self) {
        if let Transport::Openssl { child, stdin, .. } = &mut self.transport {
            drop(stdin.take());
            let deadline = Instant::now() + Duration::from_millis(500);
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `openssl s_client` connected to 127.0.0.1:port, verifying the server certificate against
/// `ca_file` and the IP address; its output arrives line by line on a channel.
fn openssl_transport(port: u16, via: Via, ca_file: &Path) -> Result<Transport, String> {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-quiet"]);
    if via == Via::StartTls {
        cmd.args(["-starttls", "smtp"]);
    }
    cmd.arg("-connect")
        .arg(format!("127.0.0.1:{port}"))
        .arg("-CAfile")
        .arg(ca_file)
        .args(["-verify_return_error", "-verify_ip", "127.0.0.1"]);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn openssl s_client: {e}"))?;
    let stdin = child.stdin.take();
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || loop {
        let mut buf = Vec::new();
        match out.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if tx.send(String::from_utf8_lossy(&buf).into_owned()).is_err() {
                    return;
                }
            }
        }
    });
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&stderr);
    thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        loop {
            match err_pipe.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if let Ok(mut s) = sink.lock() {
                        s.extend_from_slice(&chunk[..n]);
                    }
                }
            }
        }
    });
    Ok(Transport::Openssl {
        child,
        stdin,
        lines: rx,
        stderr,
    })
}

/// The message as DATA sends it: CRLF line ends, leading dots doubled, `.` line at the end.
fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    let body = message.strip_suffix(b"\n").unwrap_or(message);
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(b".") {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The config file of a duebox that reads `login`'s mailbox on `dovecot` (IMAP over TLS on
/// `imap_port`) and sends through `postfix` (STARTTLS on `smtp_port`), its database at `db`;
/// `reply` is the body of the `[reply]` section. The secret comes from `DUEBOX_TEST_PASSWORD`.
#[allow(dead_code)] // not every test binary that includes this module writes a config
pub fn duebox_config(
    db: &Path,
    dovecot: &Dovecot,
    imap_port: u16,
    postfix: &Postfix,
    smtp_port: u16,
    login: &str,
    reply: &str,
) -> String {
    format!(
        "[company]\nname = \"Northwind Traders Ltd\"\ndomains = [\"northwind-traders.com\", \"example.test\"]\n\n\
         [database]\npath = \"{db}\"\n\n\
         {servers}\
         [reply]\n{reply}",
        db = db.display(),
        servers = server_sections(
            (imap_port, &dovecot.ca_file()),
            (smtp_port, &postfix.ca_file()),
            login,
            "password_env = \"DUEBOX_TEST_PASSWORD\"\n",
        ),
    )
}

/// The `[imap]` (TLS) and `[smtp]` (STARTTLS) sections of a duebox config for the test servers
/// on 127.0.0.1, each a (port, CA file); `secret` is the `[imap]` secret's line ("" when
/// `[oauth2]` signs in).
#[allow(dead_code)]
pub fn server_sections(
    (imap_port, imap_ca): (u16, &Path),
    (smtp_port, smtp_ca): (u16, &Path),
    login: &str,
    secret: &str,
) -> String {
    format!(
        "[imap]\nhost = \"127.0.0.1\"\nport = {imap_port}\nsecurity = \"tls\"\nlogin = \"{login}\"\n{secret}ca_file = \"{ca}\"\n\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"starttls\"\nca_file = \"{smtp_ca}\"\n\n",
        ca = imap_ca.display(),
        smtp_ca = smtp_ca.display(),
    )
}
