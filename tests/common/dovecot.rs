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

    /// A server that refuses to store custom keywords longer than `max` bytes: STORE answers
    /// `NO [CANNOT] Keyword length too long` while PERMANENTFLAGS still shows `\*`
    /// (Dovecot's `mail_max_keyword_length`, a real limit as other servers have theirs).
    pub fn refusing_keywords_longer_than(mut self, max: usize) -> Self {
        self.settings
            .push(format!("mail_max_keyword_length = {max}"));
        self
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
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The whole Dovecot log so far (and anything it printed on stderr).
    pub fn log(&self) -> String {
        let mut s = fs::read_to_string(self.path("dovecot.log")).unwrap_or_default();
        let err = fs::read_to_string(self.path("dovecot.stderr")).unwrap_or_default();
        if !err.trim().is_empty() {
            s.push_str("--- stderr ---\n");
            s.push_str(&err);
        }
        s
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

    /// Logs in as [`Dovecot::user`] over plaintext IMAP, runs `commands` (tagged `a1`, `a2`, …
    /// in order), logs out, and returns every line the server sent for those commands (untagged
    /// data, continuation requests and the tagged completions, CRLFs kept; literals inline).
    /// Meant for a second, independent client in assertions; panics on a failed login or a
    /// server that stops answering. Not for IDLE. Literals in a command are sent with the
    /// command; prefer the non-synchronising `{N+}` form.
    pub fn imap_raw(&self, commands: &[&str]) -> String {
        self.imap_raw_as(self.user(), PASSWORD, commands)
    }

    /// [`Dovecot::imap_raw`] as another user.
    pub fn imap_raw_as(&self, user: &str, password: &str, commands: &[&str]) -> String {
        let mut conn = RawImap::connect(self.port());
        let login = conn.command(
            "L",
            &format!("LOGIN {} {}", imap_quote(user), imap_quote(password)),
        );
        if !tagged_ok(&login, "L") {
            panic!(
                "LOGIN {user} failed on 127.0.0.1:{}:\n{login}\n--- dovecot log (tail) ---\n{}",
                self.port(),
                self.log_tail(30)
            );
        }
        let mut out = String::new();
        for (i, cmd) in commands.iter().enumerate() {
            out.push_str(&conn.command(&format!("a{}", i + 1), cmd));
        }
        conn.command("Z", "LOGOUT");
        out
    }

    /// The capabilities advertised after LOGIN, as `CAPABILITY` lists them.
    pub fn capabilities(&self) -> Vec<String> {
        let out = self.imap_raw(&["CAPABILITY"]);
        let line = out
            .lines()
            .find(|l| l.starts_with("* CAPABILITY "))
            .unwrap_or_else(|| panic!("no CAPABILITY line in:\n{out}"));
        line["* CAPABILITY ".len()..]
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }

    /// Talks IMAP over TLS through `openssl s_client`, verifying the server against
    /// [`Dovecot::ca_file`] and 127.0.0.1: logs in as [`Dovecot::user`], sends `commands`
    /// (tagged `a1`, `a2`, …), logs out and returns everything the server sent, greeting
    /// included. A TLS or verification failure panics with s_client's output.
    pub fn openssl_imap(&self, mode: Tls, commands: &[&str]) -> String {
        let mut cmd = Command::new("openssl");
        cmd.arg("s_client").arg("-quiet");
        match mode {
            Tls::Implicit => cmd
                .arg("-connect")
                .arg(format!("127.0.0.1:{}", self.tls_port())),
            Tls::StartTls => cmd
                .args(["-starttls", "imap", "-connect"])
                .arg(format!("127.0.0.1:{}", self.port())),
        };
        cmd.arg("-CAfile").arg(self.ca_file()).args([
            "-verify_return_error",
            "-verify_ip",
            "127.0.0.1",
        ]);
        let mut script = format!(
            "L LOGIN {} {}\r\n",
            imap_quote(self.user()),
            imap_quote(PASSWORD)
        );
        for (i, c) in commands.iter().enumerate() {
            let _ = write!(script, "a{} {c}\r\n", i + 1);
        }
        script.push_str("Z LOGOUT\r\n");
        let out = run_with_input(cmd, script.as_bytes(), IO_TIMEOUT);
        if !out.status_ok || !out.stdout.contains("Z OK") {
            panic!(
                "IMAP over TLS ({mode:?}) to 127.0.0.1 failed (s_client ok: {}):\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- dovecot log (tail) ---\n{}",
                out.status_ok,
                out.stdout,
                out.stderr,
                self.log_tail(30)
            );
        }
        out.stdout
    }

    /// Stops the server: SIGTERM to its process id and its children's, then waits until they
    /// are all gone (SIGKILL after 10 s). Data stays; [`Dovecot::restart`] brings it back.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let log_from = self.log_len();
        let pid = child.id();
        if matches!(child.try_wait(), Ok(None)) {
            // The master alone takes a second to wind its children down; signalling them
            // together (what the master would send them anyway) takes milliseconds.
            // A process the master forks meanwhile (it may replace one that just got the
            // signal before it notices its own) is signalled on the next round.
            let mut family = descendants(pid);
            let mut all = vec![pid];
            all.extend(&family);
            signal(&all, "TERM");
            let deadline = Instant::now() + STOP_TIMEOUT;
            let mut round = Instant::now();
            loop {
                if matches!(child.try_wait(), Ok(Some(_))) || Instant::now() >= deadline {
                    break;
                }
                if round.elapsed() >= Duration::from_millis(200) {
                    let late: Vec<u32> = descendants(pid)
                        .into_iter()
                        .filter(|p| !family.contains(p))
                        .collect();
                    signal(&late, "TERM");
                    family.extend(late);
                    round = Instant::now();
                }
                thread::sleep(Duration::from_millis(20));
            }
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
            // The master has gone; give its children (which hold listening sockets) the rest.
            while Instant::now() < deadline && family.iter().any(|&p| alive(p)) {
                thread::sleep(Duration::from_millis(20));
            }
            let left: Vec<u32> = family.into_iter().filter(|&p| alive(p)).collect();
            if !left.is_empty() {
                signal(&left, "KILL");
            }
        } else {
            let _ = child.wait();
        }
        self.stop_watchdog();
        // Every old process is gone: nothing more of the shutdown can reach the log.
        self.shutdowns.push((log_from, self.log_len()));
    }

    /// Kills the server and all its processes with SIGKILL, as a crash would: no clean
    /// shutdown, connections simply drop. Data on disk stays; [`Dovecot::restart`] works.
    pub fn kill_hard(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let log_from = self.log_len();
        let pid = child.id();
        if matches!(child.try_wait(), Ok(None)) {
            let mut all = vec![pid];
            all.extend(descendants(pid));
            signal(&all, "KILL");
            let _ = child.wait();
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline && all.iter().any(|&p| alive(p)) {
                thread::sleep(Duration::from_millis(20));
            }
        } else {
            let _ = child.wait();
        }
        self.stop_watchdog();
        self.shutdowns.push((log_from, self.log_len()));
    }

    /// Stops the server if it runs, then starts it again on the same ports with the same
    /// configuration and data, and waits until it greets.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.spawn_and_wait() {
                Ok(()) => return,
                // The old processes' sockets may linger a moment; someone may even have taken
                // the port, in which case this keeps failing and the panic says so.
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

    /// Creates a Maildir (and any missing parents below the temp dir) owned by the mail user.
    fn make_maildir(&self, dir: &Path) {
        let mut missing = Vec::new();
        let mut p = dir.to_path_buf();
        while !p.exists() && p.starts_with(self.dir.path()) {
            missing.push(p.clone());
            if !p.pop() {
                break;
            }
        }
        for d in missing.iter().rev() {
            fs::create_dir(d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
            self.chown(d);
        }
        for sub in ["cur", "new", "tmp"] {
            let d = dir.join(sub);
            if !d.exists() {
                fs::create_dir(&d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
                self.chown(&d);
            }
        }
    }

    fn prepare_files(&self) {
        for d in ["run", "state", "tls", "home"] {
            fs::create_dir(self.path(d)).expect("create a Dovecot dir");
        }
        // passwd-file: user:{PLAIN}password:uid:gid:gecos:home:shell:extra. uid/gid/home come
        // from the userdb settings instead.
        let mut passwd = String::new();
        for u in &self.users {
            let _ = writeln!(passwd, "{u}:{{PLAIN}}{PASSWORD}::::::");
        }
        fs::write(self.path("users"), passwd).expect("write the passwd-file");
        for u in &self.users {
            self.make_maildir(&self.home(u).join("Maildir"));
        }
        self.make_certificate();
    }

    fn make_certificate(&self) {
        let cnf = self.path("tls/openssl.cnf");
        // CA:FALSE on purpose: the certificate is its own trust anchor, and clients such as
        // rustls/webpki refuse a CA:TRUE certificate presented as the server's own.
        fs::write(
            &cnf,
            "[req]\n\
             distinguished_name = dn\n\
             x509_extensions = ext\n\
             prompt = no\n\
             [dn]\n\
             CN = localhost\n\
             [ext]\n\
             basicConstraints = critical,CA:FALSE\n\
             subjectAltName = IP:127.0.0.1,DNS:localhost\n\
             keyUsage = critical,digitalSignature,keyEncipherment\n\
             extendedKeyUsage = serverAuth\n\
             subjectKeyIdentifier = hash\n",
        )
        .expect("write openssl.cnf");
        let out = Command::new("openssl")
            .args(["req", "-x509", "-config"])
            .arg(&cnf)
            .args([
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "30",
                "-keyout",
            ])
            .arg(self.key_file())
            .arg("-out")
            .arg(self.ca_file())
            .output()
            .expect("run openssl req");
        assert!(
            out.status.success(),
            "openssl req -x509 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The mechanisms for `auth_mechanisms`.
    fn auth_mechanisms(&self) -> String {
        let mut m = String::from("plain login");
        if self.opts.oauth2_introspection.is_some() {
            m.push(' ');
            m.push_str(&self.oauth2_mechanisms().join(" "));
        }
        m
    }

    fn oauth2_mechanisms(&self) -> Vec<String> {
        if self.opts.oauth2_mechanisms.is_empty() {
            vec!["xoauth2".into(), "oauthbearer".into()]
        } else {
            self.opts.oauth2_mechanisms.clone()
        }
    }

    /// The token-validation settings of `passdb oauth2` (2.3: a separate file), or nothing.
    fn oauth2_settings(&self) -> String {
        let Some(url) = &self.opts.oauth2_introspection else {
            return String::new();
        };
        // POST token=...; the answer's `active` must be true and its `username` the login.
        let body = format!(
            "introspection_mode = post\n\
             introspection_url = {url}\n\
             force_introspection = yes\n\
             username_attribute = username\n\
             active_attribute = active\n\
             active_value = true\n"
        );
        match self.dialect {
            Dialect::V23 => {
                let file = self.path("oauth2.conf.ext");
                fs::write(&file, body).expect("write oauth2.conf.ext");
                format!(
                    "passdb {{\n  driver = oauth2\n  mechanisms = {}\n  args = {}\n}}\n",
                    self.oauth2_mechanisms().join(" "),
                    file.display()
                )
            }
            // 2.4 validates tokens in the mechanism itself, from `oauth2_*` settings (not
            // verified here: the machines the suite runs on have 2.3).
            Dialect::V24 => body.lines().map(|l| format!("oauth2_{l}\n")).collect(),
        }
    }

    fn write_config(&self) {
        let conf = match self.dialect {
            Dialect::V23 => self.config_v23(),
            Dialect::V24 => self.config_v24(),
        };
        fs::write(self.config_file(), conf).expect("write dovecot.conf");
    }

    /// The process identity part, shared by both dialects (the setting names did not change).
    fn identity_settings(&self) -> String {
        let mut s = String::new();
        match (&self.identity.mail_owner, &self.identity.own_user) {
            (Some((uid, gid)), _) => {
                // Run by root (CI): the master stays root and drops privileges per process.
                // Login processes run as Debian's `dovenull`, auth & co. as `dovecot` (both
                // made by the dovecot-core package). Mail processes cannot run as root —
                // Dovecot refuses ("Mail access not allowed for root") whatever first_valid_uid
                // says — so they run as `nobody`, and the harness chowns what it writes.
                let _ = write!(
                    s,
                    "default_internal_user = dovecot\n\
                     default_login_user = dovenull\n\
                     mail_uid = {uid}\n\
                     mail_gid = {gid}\n\
                     first_valid_uid = {uid}\n\
                     first_valid_gid = {gid}\n"
                );
            }
            (
                None,
                Some(OwnUser {
                    name,
                    group,
                    uid,
                    gid,
                }),
            ) => {
                // Run by an ordinary user: nobody can switch users, so every process — login,
                // internal and mail — runs as the user running the tests, no mail_uid is set,
                // first_valid_uid/gid must admit that (possibly low) uid, the internal group
                // must be ours (the master chowns its sockets to it), and the login and anvil
                // processes must not chroot (only root may).
                let _ = write!(
                    s,
                    "default_internal_user = {name}\n\
                     default_internal_group = {group}\n\
                     default_login_user = {name}\n\
                     first_valid_uid = {uid}\n\
                     first_valid_gid = {gid}\n\
                     service anvil {{\n  chroot =\n}}\n"
                );
            }
            (None, None) => unreachable!("identity() sets one"),
        }
        s
    }

    fn login_chroot(&self) -> &'static str {
        if self.identity.own_user.is_some() {
            "  chroot =\n"
        } else {
            ""
        }
    }

    /// The namespace block (prefix, separator, special-use folders) and verbatim settings.
    fn namespace_settings(&self) -> String {
        let mut s = String::new();
        if self.opts.namespace.is_some() || !self.opts.special_use.is_empty() {
            s.push_str("namespace inbox {\n  inbox = yes\n");
            if let Some((prefix, separator)) = &self.opts.namespace {
                let _ = write!(s, "  prefix = {prefix}\n  separator = {separator}\n");
            }
            for (folder, attribute) in &self.opts.special_use {
                let _ = write!(
                    s,
                    "  mailbox \"{folder}\" {{\n    special_use = {attribute}\n    auto = create\n  }}\n"
                );
            }
            s.push_str("}\n");
        }
        for line in &self.opts.settings {
            s.push_str(line);
            s.push('\n');
        }
        s
    }

    fn capability_setting(&self) -> String {
        match &self.advertised {
            Some(list) => format!("imap_capability = {}\n", list.join(" ")),
            None => String::new(),
        }
    }

    fn listeners(&self) -> String {
        let mut s = format!(
            "service imap-login {{\n\
             {chroot}  inet_listener imap {{\n    port = {imap}\n  }}\n\
             \x20 inet_listener imaps {{\n    port = {imaps}\n    ssl = yes\n  }}\n\
             }}\n",
            chroot = self.login_chroot(),
            imap = self.ports.imap,
            imaps = self.ports.imaps,
        );
        if let Some(lmtp) = self.ports.lmtp {
            let _ = write!(
                s,
                "service lmtp {{\n\
                 \x20 unix_listener {sock} {{\n    mode = 0666\n  }}\n\
                 \x20 inet_listener lmtp {{\n    port = {lmtp}\n  }}\n\
                 }}\n",
                sock = self.path("lmtp.sock").display(),
            );
        }
        if self.opts.smtp_auth {
            // An extra listener beside the auth service's own ones. 0666: Postfix's smtpd runs
            // as `postfix`, and the socket lives in this instance's own temp dir.
            let _ = write!(
                s,
                "service auth {{\n\
                 \x20 unix_listener {sock} {{\n    mode = 0666\n  }}\n\
                 }}\n",
                sock = self.path("auth-smtp.sock").display(),
            );
        }
        s
    }

    fn config_v23(&self) -> String {
        let d = self.dir.path().display();
        let protocols = if self.opts.lmtp { "imap lmtp" } else { "imap" };
        format!(
            "# Written by tests/common/dovecot.rs for Dovecot 2.3; /etc/dovecot is not read.\n\
             base_dir = {d}/run\n\
             state_dir = {d}/state\n\
             log_path = {d}/dovecot.log\n\
             info_log_path = {d}/dovecot.log\n\
             debug_log_path = {d}/dovecot.log\n\
             protocols = {protocols}\n\
             # Every listener binds here only; each one only sets its port.\n\
             listen = 127.0.0.1\n\
             ssl = yes\n\
             ssl_cert = <{d}/tls/cert.pem\n\
             ssl_key = <{d}/tls/key.pem\n\
             # LOGIN/AUTHENTICATE PLAIN are allowed before STARTTLS (it is 127.0.0.1).\n\
             disable_plaintext_auth = no\n\
             auth_mechanisms = {mechanisms}\n\
             auth_verbose = yes\n\
             {identity}\
             mail_location = maildir:~/Maildir\n\
             {oauth2}\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {d}/users\n}}\n\
             userdb {{\n  driver = static\n  args = home={d}/home/%u\n}}\n\
             {caps}\
             {namespace}\
             {listeners}",
            identity = self.identity_settings(),
            mechanisms = self.auth_mechanisms(),
            oauth2 = self.oauth2_settings(),
            caps = self.capability_setting(),
            namespace = self.namespace_settings(),
            listeners = self.listeners(),
        )
    }

    fn config_v24(&self) -> String {
        let d = self.dir.path().display();
        let lmtp = if self.opts.lmtp { "yes" } else { "no" };
        format!(
            "# Written by tests/common/dovecot.rs for Dovecot 2.4; /etc/dovecot is not read.\n\
             dovecot_config_version = 2.4.0\n\
             dovecot_storage_version = 2.4.0\n\
             base_dir = {d}/run\n\
             state_dir = {d}/state\n\
             log_path = {d}/dovecot.log\n\
             info_log_path = {d}/dovecot.log\n\
             debug_log_path = {d}/dovecot.log\n\
             protocols {{\n  imap = yes\n  lmtp = {lmtp}\n}}\n\
             listen = 127.0.0.1\n\
             ssl = yes\n\
             ssl_server_cert_file = {d}/tls/cert.pem\n\
             ssl_server_key_file = {d}/tls/key.pem\n\
             auth_allow_cleartext = yes\n\
             auth_mechanisms = {mechanisms}\n\
             auth_verbose = yes\n\
             {identity}\
             mail_driver = maildir\n\
             mail_home = {d}/home/%{{user}}\n\
             mail_path = ~/Maildir\n\
             {oauth2}\
             passdb passwd-file {{\n  passwd_file_path = {d}/users\n}}\n\
             userdb static {{\n}}\n\
             {caps}\
             {namespace}\
             {listeners}",
            identity = self.identity_settings(),
            mechanisms = self.auth_mechanisms(),
            oauth2 = self.oauth2_settings(),
            caps = self.capability_setting(),
            namespace = self.namespace_settings(),
            listeners = self.listeners(),
        )
    }

    fn spawn_and_wait(&mut self) -> Result<(), StartError> {
        let log_len = self.log_len();
        let stderr = fs::File::create(self.path("dovecot.stderr")).expect("create dovecot.stderr");
        let child = Command::new(&self.binary)
            .arg("-F")
            .arg("-c")
            .arg(self.config_file())
            .stdin(Stdio::null())
            .stdout(stderr.try_clone().expect("dup stderr file"))
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.binary.display()));
        let pid = child.id();
        self.child = Some(child);
        self.watchdog = spawn_watchdog(pid, self.dir.path());

        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.as_mut().expect("just spawned").try_wait() {
                self.child = None;
                self.stop_watchdog();
                let new_log = self.log_since(log_len);
                return Err(if new_log.contains("Address already in use") {
                    // Retried on other ports: this failed attempt is no error of the scenario.
                    self.shutdowns.push((log_len, self.log_len()));
                    StartError::PortTaken
                } else {
                    StartError::Exited(status.to_string())
                });
            }
            if greets(self.ports.imap) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                self.kill_hard();
                return Err(StartError::Timeout);
            }
            thread::sleep(Duration::from_millis(25));
        }
    }

    fn log_len(&self) -> u64 {
        fs::metadata(self.path("dovecot.log"))
            .map(|m| m.len())
            .unwrap_or(0)
    }

    fn log_since(&self, offset: u64) -> String {
        let log = fs::read(self.path("dovecot.log")).unwrap_or_default();
        let start = (offset as usize).min(log.len());
        let mut s = String::from_utf8_lossy(&log[start..]).into_owned();
        s.push_str(&fs::read_to_string(self.path("dovecot.stderr")).unwrap_or_default());
        s
    }

    fn fail_start(&self, e: &StartError) -> ! {
        let why = match e {
            StartError::PortTaken => format!(
                "a port it was given was taken (imap {}, imaps {}, lmtp {:?})",
                self.ports.imap, self.ports.imaps, self.ports.lmtp
            ),
            StartError::Exited(status) => format!("dovecot exited ({status})"),
            StartError::Timeout => format!(
                "127.0.0.1:{} did not greet with `* OK [CAPABILITY ...` within {:?}",
                self.ports.imap, START_TIMEOUT
            ),
        };
        panic!(
            "Dovecot {} failed to start: {why}\nconfig: {}\n--- dovecot log (tail) ---\n{}",
            self.version,
            self.config_file().display(),
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

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Debug)]
enum StartError {
    PortTaken,
    Exited(String),
    Timeout,
}

/// Dovecot's default post-login capability list, read once per test binary from a throwaway
/// instance, minus `hidden`; with special-use folders configured Dovecot also advertises
/// SPECIAL-USE, so it is kept then. Panics on a name Dovecot does not advertise.
fn without_hidden(hidden: &[String], special_use: bool) -> Vec<String> {
    static DEFAULT: OnceLock<Vec<String>> = OnceLock::new();
    let mut all = DEFAULT
        .get_or_init(|| Dovecot::start().capabilities())
        .clone();
    if special_use && !all.iter().any(|c| c.eq_ignore_ascii_case("SPECIAL-USE")) {
        all.push("SPECIAL-USE".into());
    }
    for h in hidden {
        assert!(
            all.iter().any(|c| c.eq_ignore_ascii_case(h)),
            "cannot hide capability {h}: this Dovecot does not advertise it (it does: {})",
            all.join(" ")
        );
    }
    all.iter()
        .filter(|c| !hidden.iter().any(|h| h.eq_ignore_ascii_case(c)))
        .cloned()
        .collect()
}

/// Whether 127.0.0.1:port answers with Dovecot's real greeting. Right after start the login
/// process may first send `* OK Waiting for authentication process to respond..`; the real
/// greeting carries the capability list and means auth is up.
fn greets(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(250)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reader = BufReader::new(stream);
    for _ in 0..5 {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) if line.starts_with("* OK [CAPABILITY") => {
                let _ = reader.get_mut().write_all(b"Z LOGOUT\r\n");
                return true;
            }
            Ok(_) => continue,
        }
    }
    false
}

/// Free ports on 127.0.0.1: bound together (so they differ), read, and released. Another
/// process may take one before Dovecot binds it; the start then retries on new ones.
fn pick_ports(lmtp: bool) -> Ports {
    let bind = || TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    let a = bind();
    let b = bind();
    let c = lmtp.then(bind);
    let port = |l: &TcpListener| l.local_addr().expect("local_addr").port();
    Ports {
        imap: port(&a),
        imaps: port(&b),
        lmtp: c.as_ref().map(port),
    }
}

fn identity(dir: &Path) -> Identity {
    // The temp dir was just created by this process: its owner is our effective uid/gid.
    let meta = fs::metadata(dir).expect("stat the temp dir");
    let (uid, gid) = (meta.uid(), meta.gid());
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let entry = |pred: &dyn Fn(&[&str]) -> bool| -> Option<(String, u32, u32)> {
        passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() >= 4 && pred(&f) {
                Some((f[0].to_string(), f[2].parse().ok()?, f[3].parse().ok()?))
            } else {
                None
            }
        })
    };
    if uid == 0 {
        let (_, nuid, ngid) = entry(&|f| f[0] == "nobody")
            .expect("running as root, the mail processes run as `nobody`, which /etc/passwd lacks");
        Identity {
            mail_owner: Some((nuid, ngid)),
            own_user: None,
        }
    } else {
        let uid_s = uid.to_string();
        let (name, _, _) = entry(&|f| f[2] == uid_s).unwrap_or_else(|| {
            panic!("uid {uid} has no /etc/passwd entry; Dovecot needs a user name to run as")
        });
        let group = fs::read_to_string("/etc/group")
            .unwrap_or_default()
            .lines()
            .find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() >= 3 && f[2] == gid.to_string()).then(|| f[0].to_string())
            })
            .unwrap_or_else(|| {
                panic!("gid {gid} has no /etc/group entry; Dovecot needs a group name to run as")
            });
        Identity {
            mail_owner: None,
            own_user: Some(OwnUser {
                name,
                group,
                uid,
                gid,
            }),
        }
    }
}

pub(crate) fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        // Dovecot lives in /usr/sbin, which an ordinary user's PATH may lack.
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| {
            fs::metadata(p)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

fn dovecot_version(binary: &Path) -> String {
    let out = Command::new(binary)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("run {} --version: {e}; {INSTALL_HINT}", binary.display()));
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && !v.is_empty(),
        "`{} --version` failed: {}",
        binary.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    v
}

/// "2.3.19.1 (9b53102964)" → V23, "2.4.1-4 (7d8c0e5759)" → V24.
fn dialect_of(version: &str) -> Dialect {
    let mut nums = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u32>().unwrap_or(0));
    let major = nums.next().unwrap_or(0);
    let minor = nums.next().unwrap_or(0);
    assert!(
        major == 2 && minor >= 2 || major > 2,
        "unsupported Dovecot version {version:?}: the harness knows 2.3 and 2.4"
    );
    if (major, minor) >= (2, 4) {
        Dialect::V24
    } else {
        Dialect::V23
    }
}

/// A process's children, grandchildren, … as /proc shows them now.
pub(crate) fn descendants(pid: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if let Some(pp) = stat_field(p).map(|(_, ppid)| ppid) {
                parent_of.push((p, pp));
            }
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(q) = frontier.pop() {
        for &(p, pp) in &parent_of {
            if pp == q && !out.contains(&p) {
                out.push(p);
                frontier.push(p);
            }
        }
    }
    out
}

/// (state, ppid) from /proc/PID/stat; the command name may hold spaces and parentheses.
pub(crate) fn stat_field(pid: u32) -> Option<(char, u32)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut f = rest.split_whitespace();
    let state = f.next()?.chars().next()?;
    let ppid = f.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Alive and not a zombie (a reparented zombie holds no sockets).
pub(crate) fn alive(pid: u32) -> bool {
    matches!(stat_field(pid), Some((s, _)) if s != 'Z' && s != 'X')
}

pub(crate) fn signal(pids: &[u32], sig: &str) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .args(pids.iter().map(u32::to_string))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// `sh` that SIGTERMs the Dovecot master once this test process is gone (killed, aborted:
/// no `Drop` ran), so no server outlives its test binary, and then removes the temp dir. While
/// the test process lives it does nothing; `stop` kills it.
fn spawn_watchdog(dovecot_pid: u32, dir: &Path) -> Option<Child> {
    Command::new("sh")
        .arg("-c")
        .arg(
            r#"while kill -0 "$0" 2>/dev/null && kill -0 "$1" 2>/dev/null; do sleep 1; done
kill -0 "$0" 2>/dev/null && exit 0
kill -TERM "$1" 2>/dev/null
i=0
while kill -0 "$1" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
rm -rf "$2""#,
        )
        .arg(std::process::id().to_string())
        .arg(dovecot_pid.to_string())
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

struct Output {
    status_ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` with `input` on stdin, killing it after `timeout`.
fn run_with_input(mut cmd: Command, input: &[u8], timeout: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let writer = thread::spawn(move || {
        let _ = stdin.write_all(&input);
        // Dropping stdin closes it; s_client -quiet ignores EOF and waits for the server.
    });
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_reader = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        s
    });
    let err_reader = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Ok(Some(st)) = child.try_wait() {
            break Some(st);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let _ = writer.join();
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let mut stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    if status.is_none() {
        stderr.push_str(&format!("\n(killed after {timeout:?})"));
    }
    Output {
        status_ok: status.is_some_and(|s| s.success()),
        stdout,
        stderr,
    }
}

/// A tiny blocking IMAP client: one command at a time, reading to its tagged completion.
struct RawImap {
    reader: BufReader<TcpStream>,
    transcript: String,
}

impl RawImap {
    fn connect(port: u16) -> RawImap {
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e}"));
        stream
            .set_read_timeout(Some(IO_TIMEOUT))
            .expect("set_read_timeout");
        let mut conn = RawImap {
            reader: BufReader::new(stream),
            transcript: String::new(),
        };
        loop {
            let line = conn.read_response_line();
            if line.starts_with("* OK Waiting") {
                continue;
            }
            assert!(
                line.starts_with("* OK"),
                "unexpected IMAP greeting from 127.0.0.1:{port}: {line:?}"
            );
            break;
        }
        conn
    }

    /// Sends `TAG COMMAND` and returns every line up to and including the tagged completion.
    fn command(&mut self, tag: &str, command: &str) -> String {
        let line = format!("{tag} {command}\r\n");
        self.transcript.push_str(&format!("C: {line}"));
        if let Err(e) = self.reader.get_mut().write_all(line.as_bytes()) {
            panic!("IMAP write failed: {e}\n{}", self.transcript);
        }
        let mut out = String::new();
        loop {
            let resp = self.read_response_line();
            out.push_str(&resp);
            if resp.starts_with(&format!("{tag} ")) {
                return out;
            }
        }
    }

    /// One response line, with any literals (`{N}\r\n` + N bytes) it carries.
    fn read_response_line(&mut self) -> String {
        let mut out = String::new();
        loop {
            let mut line = Vec::new();
            match self.reader.read_until(b'\n', &mut line) {
                Ok(0) => panic!(
                    "the IMAP server closed the connection\n{}{}",
                    self.transcript, out
                ),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    panic!(
                        "no IMAP response within {IO_TIMEOUT:?}\n{}{}",
                        self.transcript, out
                    )
                }
                Err(e) => panic!("IMAP read failed: {e}\n{}{}", self.transcript, out),
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            out.push_str(&text);
            let trimmed = text.trim_end_matches(['\r', '\n']);
            let literal = trimmed
                .strip_suffix('}')
                .and_then(|t| t.rfind('{').map(|i| &t[i + 1..]))
                .and_then(|n| n.parse::<usize>().ok());
            match literal {
                Some(n) => {
                    let mut buf = vec![0; n];
                    if let Err(e) = self.reader.read_exact(&mut buf) {
                        panic!("IMAP literal read failed: {e}\n{}{}", self.transcript, out);
                    }
                    out.push_str(&String::from_utf8_lossy(&buf));
                }
                None => {
                    self.transcript.push_str(&format!("S: {out}"));
                    return out;
                }
            }
        }
    }
}

fn imap_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn tagged_ok(response: &str, tag: &str) -> bool {
    response
        .lines()
        .any(|l| l.starts_with(&format!("{tag} OK")))
}
