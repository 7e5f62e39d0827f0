//! A real Dovecot IMAP server for integration tests, started and stopped by the test itself.
//!
//! Include it from a test binary with
//!
//! ```ignore
//! #[path = "common/dovecot.rs"]
//! mod dovecot;
//! use dovecot::{Dovecot, Options};
//! ```
//!
//! Every instance lives in its own temporary directory: its own `dovecot.conf` (the system
//! `/etc/dovecot` is never read), base_dir, state_dir, log file, passwd-file, Maildir storage and
//! a self-signed TLS certificate. It listens only on 127.0.0.1, on ports picked free at start, so
//! any number of instances run side by side and nothing depends on a system Dovecot or on port
//! 143. The server runs in the foreground (`dovecot -F -c CONF`) as a child of the test process,
//! and is stopped by its own process id (SIGTERM, then SIGKILL if it does not go) when the
//! `Dovecot` value is dropped. If the test process dies without unwinding, a small watchdog
//! (`sh`, started beside it) sends the server SIGTERM within a second and removes the temp dir.
//!
//! Users: [`USERS`] (`ap@example.test`, `ap@northwind.test`), password [`PASSWORD`]
//! (`secret`), from a passwd-file; mail in Maildir++ under `home/USER/Maildir` (INBOX is the
//! root, other folders `.Name`). Run as root (CI), Dovecot's login and internal processes use
//! Debian's `dovenull` and `dovecot` users and the mail processes run as `nobody` (Dovecot never
//! lets them run as root); run as an ordinary user, every process runs as that user. See
//! `identity_settings` for the details.
//!
//! Capability hiding ([`Options::without`]) sets Dovecot's `imap_capability`, which changes
//! what is *advertised* (greeting, CAPABILITY, LOGIN response) only: a client that sends MOVE
//! or ENABLE CONDSTORE anyway is still served. It tests clients that look before they leap.
//!
//! Variants of real servers AP teams have: a personal namespace with a prefix
//! ([`Options::with_namespace`], `INBOX.` and "." as Courier and hosted servers), special-use
//! folders ([`Options::with_special_use`], e.g. an Outlook-style `Sent Items`), and a server
//! that refuses custom keywords at STORE while PERMANENTFLAGS shows `\*`
//! ([`Options::refusing_keywords_longer_than`], Dovecot's real `mail_max_keyword_length`).
//!
//! For the SMTP tests, `tests/common/postfix.rs` puts a real Postfix in front of an instance:
//! it delivers over LMTP ([`Options::with_lmtp`]) and checks SMTP AUTH passwords through
//! Dovecot's auth service ([`Options::with_smtp_auth`], [`Dovecot::auth_socket`]);
//! `postfix::dovecot_options()` asks for both and for the sink user.
//!
//! Only `std` and `tempfile` are used; TLS checks in tests go through the `openssl s_client`
//! command ([`Dovecot::openssl_imap`]).
//!
//! Dovecot 2.3 (Debian bookworm) and 2.4 (Debian trixie) take very different configuration
//! files; the template is chosen from `dovecot --version`.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[path = "dovecot/config.rs"]
mod config;
#[path = "dovecot/imap.rs"]
mod imap;
#[path = "dovecot/process.rs"]
mod process;
#[path = "watchdog.rs"]
pub(crate) mod watchdog;
// The postfix harness stops its processes and finds its programs the same way.
use process::*;
#[allow(unused_imports)]
pub(crate) use process::{alive, find_program, log_and_output, running, signal, start_again};

/// The password of every user the harness creates.
pub const PASSWORD: &str = "secret";

/// The users every instance has, all with [`PASSWORD`]. The first is [`Dovecot::user`].
pub const USERS: [&str; 2] = ["ap@example.test", "ap@northwind.test"];

/// How to get Dovecot onto a machine; part of every "not installed" panic.
const INSTALL_HINT: &str =
    "install it with `apt-get install -y dovecot-imapd dovecot-lmtpd openssl` \
     (as root; the SMTP tests also need postfix: `echo \"postfix postfix/main_mailer_type \
     select No configuration\" | debconf-set-selections && DEBIAN_FRONTEND=noninteractive \
     apt-get install -y postfix`), or run scripts/test.sh, which installs the Debian packages \
     the tests need";

/// How long a start (or restart) may take before the test fails.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a graceful stop may take before the processes are killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Read timeout of the little IMAP clients.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a start is retried on fresh ports when a picked port was taken meanwhile.
const PORT_ATTEMPTS: usize = 5;

/// What an instance should look like beyond the defaults.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Capabilities to leave out of the advertised list (pre-login greeting, CAPABILITY and the
    /// LOGIN response), compared case-insensitively, e.g. `MOVE`, `IDLE`, `CONDSTORE`. Every
    /// name must be one this Dovecot advertises by default, so a typo cannot pass silently.
    pub hide_capabilities: Vec<String>,
    /// The exact capability list to advertise instead of Dovecot's own (wins over
    /// `hide_capabilities`). Dovecot adds `STARTTLS`/`AUTH=` before login by itself.
    pub capabilities: Option<Vec<String>>,
    /// Also run the LMTP service: on a unix socket ([`Dovecot::lmtp_socket`]) and on a
    /// 127.0.0.1 TCP port ([`Dovecot::lmtp_port`]).
    pub lmtp: bool,
    /// Also offer Dovecot's authentication to an SMTP server (Postfix's `smtpd_sasl_type =
    /// dovecot`) on a unix socket ([`Dovecot::auth_socket`]): PLAIN and LOGIN, the same
    /// users and password as IMAP.
    pub smtp_auth: bool,
    /// Users to create besides [`USERS`], all with [`PASSWORD`].
    pub extra_users: Vec<String>,
    /// The personal namespace's prefix and separator (`("INBOX.", ".")`, as Courier and many
    /// hosted servers): folders outside it are refused. `None`: Dovecot's default (no prefix).
    pub namespace: Option<(String, String)>,
    /// Special-use folders (RFC 6154) as (name inside the namespace, attribute), e.g.
    /// `("Sent Items", "\\Sent")`; created at login.
    pub special_use: Vec<(String, String)>,
    /// More `dovecot.conf` lines, verbatim (for real limits such as
    /// `mail_max_keyword_length`).
    pub settings: Vec<String>,
    /// OAuth2 logins (`passdb oauth2`): tokens are validated by POSTing them to this
    /// introspection URL (RFC 7662; `active` and `username` are read). Passwords still work.
    pub oauth2_introspection: Option<String>,
    /// The token mechanisms offered with `oauth2_introspection` (default both:
    /// `xoauth2 oauthbearer`).
    pub oauth2_mechanisms: Vec<String>,
}

impl Options {
    pub fn new() -> Self {
        Self::default()
    }

    /// Leaves these capabilities out of the advertised list.
    pub fn without(mut self, capabilities: &[&str]) -> Self {
        self.hide_capabilities
            .extend(capabilities.iter().map(|c| c.to_string()));
        self
    }

    /// A server without MOVE (RFC 6851): clients must COPY + STORE \Deleted + EXPUNGE.
    pub fn without_move(self) -> Self {
        self.without(&["MOVE"])
    }

    /// A server without CONDSTORE and QRESYNC (QRESYNC needs CONDSTORE, so both go).
    pub fn without_condstore(self) -> Self {
        self.without(&["CONDSTORE", "QRESYNC"])
    }

    /// A server without IDLE.
    pub fn without_idle(self) -> Self {
        self.without(&["IDLE"])
    }

    /// Advertises exactly this capability list.
    pub fn exact_capabilities(mut self, capabilities: &[&str]) -> Self {
        self.capabilities = Some(capabilities.iter().map(|c| c.to_string()).collect());
        self
    }

    /// Runs the LMTP service too (unix socket and 127.0.0.1 port).
    pub fn with_lmtp(mut self) -> Self {
        self.lmtp = true;
        self
    }

    /// Offers Dovecot's authentication to an SMTP server on [`Dovecot::auth_socket`].
    pub fn with_smtp_auth(mut self) -> Self {
        self.smtp_auth = true;
        self
    }

    /// Accepts OAuth2 bearer tokens, validated by `introspection_url`, with `mechanisms`
    /// (`xoauth2`, `oauthbearer`; empty: both), for IMAP and for Postfix's SMTP AUTH.
    pub fn with_oauth2(mut self, introspection_url: &str, mechanisms: &[&str]) -> Self {
        self.oauth2_introspection = Some(introspection_url.to_string());
        self.oauth2_mechanisms = mechanisms.iter().map(|m| m.to_string()).collect();
        self
    }

    /// Adds a user (password [`PASSWORD`]).
    pub fn with_user(mut self, user: &str) -> Self {
        self.extra_users.push(user.to_string());
        self
    }

    /// A personal namespace with this prefix and separator (`"INBOX."`, `"."`).
    pub fn with_namespace(mut self, prefix: &str, separator: &str) -> Self {
        self.namespace = Some((prefix.to_string(), separator.to_string()));
        self
    }

    /// A folder marked with a special-use attribute (`"Sent Items"`, `"\\Sent"`), created at
    /// login.
    pub fn with_special_use(mut self, folder: &str, attribute: &str) -> Self {
        self.special_use
            .push((folder.to_string(), attribute.to_string()));
        self
    }

    /// One more `dovecot.conf` line, verbatim (a real limit, such as
    /// `imap_max_line_length = 16k`).
    pub fn with_setting(mut self, line: &str) -> Self {
        self.settings.push(line.to_string());
        self
    }

    /// A server that refuses to store custom keywords longer than `max` bytes: STORE answers
    /// `NO [CANNOT] Keyword length too long` while PERMANENTFLAGS still shows `\*`
    /// (Dovecot's `mail_max_keyword_length`, a real limit as other servers have theirs).
    pub fn refusing_keywords_longer_than(self, max: usize) -> Self {
        self.with_setting(&format!("mail_max_keyword_length = {max}"))
    }
}

/// Which configuration dialect the installed Dovecot speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// 2.3.x (verified with 2.3.19.1, Debian bookworm): `mail_location`,
    /// `passdb { driver = ... }`, `ssl_cert = <file`.
    V23,
    /// 2.4.x and later (verified with 2.4.1, Debian trixie): `dovecot_config_version`,
    /// `mail_driver`/`mail_path`, `passdb NAME { ... }`, `ssl_server_cert_file`, boolean-list
    /// `protocols { imap = yes }`.
    V24,
}

/// How a TLS check connects: implicit TLS on the IMAPS port, or STARTTLS on the plain port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tls {
    Implicit,
    StartTls,
}

/// Who the processes run as.
#[derive(Clone, Debug)]
struct Identity {
    /// The test runs as root: login/internal processes use Dovecot's own users, mail processes
    /// run as this (uid, gid) — Dovecot refuses mail access as root — and every file the
    /// harness writes into a Maildir is chowned to it.
    mail_owner: Option<(u32, u32)>,
    /// Non-root: the user running the tests, which then every Dovecot process runs as.
    own_user: Option<OwnUser>,
}

#[derive(Clone, Debug)]
struct OwnUser {
    name: String,
    group: String,
    uid: u32,
    gid: u32,
}

/// The ports of one instance; kept across restarts.
#[derive(Clone, Copy, Debug)]
struct Ports {
    imap: u16,
    imaps: u16,
    lmtp: Option<u16>,
}

/// One running (or stopped) Dovecot, with everything in a temporary directory that is removed
/// when the value is dropped (after the server is stopped).
pub struct Dovecot {
    child: Option<Child>,
    watchdog: Option<Child>,
    ports: Ports,
    opts: Options,
    users: Vec<String>,
    advertised: Option<Vec<String>>,
    dialect: Dialect,
    version: String,
    binary: PathBuf,
    identity: Identity,
    deliveries: AtomicU64,
    /// Byte ranges of the log written while the harness was stopping or killing the server.
    shutdowns: Vec<(u64, u64)>,
    // Last: dropped after `Drop::drop` has stopped the server.
    dir: tempfile::TempDir,
}

impl Dovecot {
    /// Starts an instance with the default options and waits until it greets.
    pub fn start() -> Dovecot {
        Self::start_with(Options::default())
    }

    /// Starts an instance with `opts` and waits until it greets.
    pub fn start_with(opts: Options) -> Dovecot {
        let binary = find_program("dovecot").unwrap_or_else(|| {
            panic!("the tests need a real Dovecot IMAP server, but `dovecot` is not installed: {INSTALL_HINT}")
        });
        if find_program("openssl").is_none() {
            panic!("the Dovecot test harness needs the `openssl` command for its TLS certificate: {INSTALL_HINT}");
        }
        let version = dovecot_version(&binary);
        let dialect = dialect_of(&version);

        let advertised = match (&opts.capabilities, opts.hide_capabilities.is_empty()) {
            (Some(exact), _) => Some(exact.clone()),
            (None, true) => None,
            (None, false) => Some(without_hidden(
                &opts.hide_capabilities,
                !opts.special_use.is_empty(),
            )),
        };

        let dir = tempfile::Builder::new()
            .prefix("duebox-dovecot-")
            .tempdir()
            .expect("create the Dovecot temp dir");
        // The auth process (user `dovecot`) reads the passwd-file and the mail processes walk
        // down to their Maildir: the tree must be traversable by them when the test runs as root.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .expect("chmod the Dovecot temp dir");
        let identity = identity(dir.path());

        let mut users: Vec<String> = USERS.iter().map(|u| u.to_string()).collect();
        for u in &opts.extra_users {
            if !users.contains(u) {
                users.push(u.clone());
            }
        }

        let mut server = Dovecot {
            child: None,
            watchdog: None,
            ports: Ports {
                imap: 0,
                imaps: 0,
                lmtp: None,
            },
            opts,
            users,
            advertised,
            dialect,
            version,
            binary,
            identity,
            deliveries: AtomicU64::new(0),
            shutdowns: Vec::new(),
            dir,
        };
        server.prepare_files();

        for attempt in 1..=PORT_ATTEMPTS {
            server.ports = pick_ports(server.opts.lmtp);
            server.write_config();
            match server.spawn_and_wait() {
                Ok(()) => return server,
                Err(StartError::PortTaken) if attempt < PORT_ATTEMPTS => continue,
                Err(e) => server.fail_start(&e),
            }
        }
        unreachable!("the loop returns or panics")
    }

    /// The plaintext IMAP port on 127.0.0.1 (STARTTLS is offered on it).
    pub fn port(&self) -> u16 {
        self.ports.imap
    }

    /// The implicit-TLS IMAPS port on 127.0.0.1.
    pub fn tls_port(&self) -> u16 {
        self.ports.imaps
    }

    /// The LMTP port on 127.0.0.1. Panics unless the instance was started with LMTP.
    pub fn lmtp_port(&self) -> u16 {
        self.ports
            .lmtp
            .expect("LMTP is off: start the server with Options::new().with_lmtp()")
    }

    /// The LMTP unix socket. Panics unless the instance was started with LMTP.
    pub fn lmtp_socket(&self) -> PathBuf {
        assert!(
            self.opts.lmtp,
            "LMTP is off: start the server with Options::new().with_lmtp()"
        );
        self.path("lmtp.sock")
    }

    /// The unix socket on which Dovecot's auth service answers an SMTP server's SASL requests
    /// (Dovecot's auth protocol, as Postfix's `smtpd_sasl_type = dovecot` speaks it). Panics
    /// unless the instance was started with [`Options::with_smtp_auth`].
    pub fn auth_socket(&self) -> PathBuf {
        assert!(
            self.opts.smtp_auth,
            "SMTP auth is off: start the server with Options::new().with_smtp_auth()"
        );
        self.path("auth-smtp.sock")
    }

    /// The options the instance was started with.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The private key of [`Dovecot::ca_file`]'s certificate (EC P-256, PEM, unencrypted).
    pub fn key_file(&self) -> PathBuf {
        self.path("tls/key.pem")
    }

    /// The server certificate (self-signed, CN=localhost, SAN IP:127.0.0.1 and DNS:localhost):
    /// trust it as the CA file.
    pub fn ca_file(&self) -> PathBuf {
        self.path("tls/cert.pem")
    }

    /// The first user, `ap@example.test`.
    pub fn user(&self) -> &str {
        &self.users[0]
    }

    /// The password of every user.
    pub fn password(&self) -> &str {
        PASSWORD
    }

    /// All users of this instance.
    pub fn users(&self) -> &[String] {
        &self.users
    }

    /// The temporary directory everything lives in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The generated configuration file.
    pub fn config_file(&self) -> PathBuf {
        self.path("dovecot.conf")
    }

    /// The installed Dovecot's version, as `dovecot --version` prints it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The configuration dialect in use.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The process id of the running master process.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the master process is running.
    pub fn is_running(&mut self) -> bool {
        running(&mut self.child)
    }

    /// The whole Dovecot log so far (and anything it printed on stderr).
    pub fn log(&self) -> String {
        log_and_output(
            &self.path("dovecot.log"),
            &self.path("dovecot.stderr"),
            "--- stderr ---\n",
        )
    }

    /// The log lines that report errors (`Error:`, `Fatal:`, `Panic:`), for assertions that a
    /// scenario left the server unharmed. What was logged while the harness stopped or killed
    /// the server is left out: processes signalled together complain about each other going
    /// away (Dovecot 2.4's auth, for one, logs a failed reconnect to the dying anvil).
    pub fn errors(&self) -> Vec<String> {
        let log = fs::read(self.path("dovecot.log")).unwrap_or_default();
        let mut out = Vec::new();
        let mut offset = 0u64;
        for line in log.split_inclusive(|&b| b == b'\n') {
            let at = offset;
            offset += line.len() as u64;
            if self.shutdowns.iter().any(|&(a, b)| at >= a && at < b) {
                continue;
            }
            let line = String::from_utf8_lossy(line);
            if [" Error: ", " Fatal: ", " Panic: "]
                .iter()
                .any(|k| line.contains(k))
            {
                out.push(line.trim_end().to_string());
            }
        }
        out
    }

    /// The user's Maildir++ root (its INBOX); other folders are `.Name` directories inside.
    pub fn maildir(&self, user: &str) -> PathBuf {
        assert!(
            self.users.iter().any(|u| u == user),
            "{user} is not a user of this Dovecot (users: {:?})",
            self.users
        );
        self.home(user).join("Maildir")
    }

    /// The Maildir of one folder: the root for `INBOX`, `.Name` for others. A hierarchy given
    /// with `/` (`Archive/2024`) is written with Maildir++'s `.` separator (`.Archive.2024`);
    /// names go on disk as given, so non-ASCII names must already be modified UTF-7.
    pub fn folder_dir(&self, user: &str, folder: &str) -> PathBuf {
        let root = self.maildir(user);
        if folder.eq_ignore_ascii_case("INBOX") {
            root
        } else {
            root.join(format!(".{}", folder.replace('/', ".")))
        }
    }

    /// Writes `raw` as a new message straight into the folder's Maildir `new/` (created if
    /// missing), as a delivery agent would: written in `tmp/`, then renamed. Returns the file.
    /// Dovecot sees it at the next SELECT/NOOP/IDLE of that folder.
    pub fn deliver(&self, user: &str, folder: &str, raw: &[u8]) -> PathBuf {
        let dir = self.folder_dir(user, folder);
        self.make_maildir(&dir);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970");
        let n = self.deliveries.fetch_add(1, Ordering::SeqCst);
        let name = format!(
            "{}.M{}P{}Q{}.duebox-test,S={}",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            n,
            raw.len()
        );
        let tmp = dir.join("tmp").join(&name);
        fs::write(&tmp, raw).unwrap_or_else(|e| panic!("write {}: {e}", tmp.display()));
        self.chown(&tmp);
        let new = dir.join("new").join(&name);
        fs::rename(&tmp, &new).unwrap_or_else(|e| panic!("rename into {}: {e}", new.display()));
        new
    }

    // ----- internals -----

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn home(&self, user: &str) -> PathBuf {
        self.path("home").join(user)
    }

    fn log_tail(&self, lines: usize) -> String {
        let log = self.log();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    fn chown(&self, path: &Path) {
        if let Some((uid, gid)) = self.identity.mail_owner {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}
