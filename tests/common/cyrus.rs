//! A real Cyrus IMAP 3.6 server (Debian's binaries) for integration tests, started and stopped
//! by the test itself, never installed: `scripts/fetch-cyrus.sh` unpacks the Debian packages
//! into a cache dir once (Cyrus conflicts with the dovecot-imapd package), and each instance
//! runs those binaries with its own imapd.conf/cyrus.conf, config and partition dirs in a temp
//! dir, on a free 127.0.0.1 port, stopped by its master's pid (SIGTERM, then SIGKILL) when the
//! value is dropped. It must never touch /etc, /var or a system Cyrus.
//!
//! Include it with `#[path = "common/cyrus.rs"] mod cyrus;`.
//!
//! Namespaces: [`Namespace::Traditional`] (`INBOX.` prefix, "." separator, as many hosted
//! Cyrus setups) or [`Namespace::Alt`] (folders beside INBOX, "/" separator). Users log in
//! with any password (`sasl_pwcheck_method: alwaystrue`: the server is on 127.0.0.1 in a
//! temp dir); INBOX and "Sent Items" (marked `\Sent`, Outlook-style, so that finding it by
//! its attribute is visible), Drafts, Junk, Archive and Trash are created at the first login. Mail is delivered with APPEND, as another client would.
//! Cyrus logs only to syslog, so a failed start shows the master's own output.
#![allow(dead_code)]

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// The user every instance has (any password logs in).
pub const USER: &str = "ap";
/// The password the tests use.
pub const PASSWORD: &str = "secret";
/// The administrator (rights, not mail).
const ADMIN: &str = "cyrus";

const START_TIMEOUT: Duration = Duration::from_secs(15);
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// How folders are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namespace {
    /// `altnamespace: no`, `unixhierarchysep: no`: `INBOX.Chasers.Overdue`.
    Traditional,
    /// `altnamespace: yes`, `unixhierarchysep: yes`: `Chasers/Overdue` beside INBOX.
    Alt,
}

/// What an instance looks like.
#[derive(Clone, Debug)]
pub struct Options {
    pub namespace: Namespace,
    /// Capabilities Cyrus must not advertise (`suppress_capabilities`), e.g. `MOVE`.
    pub suppress: Vec<String>,
}

impl Options {
    pub fn new(namespace: Namespace) -> Options {
        Options {
            namespace,
            suppress: Vec::new(),
        }
    }

    pub fn without(mut self, capabilities: &[&str]) -> Options {
        self.suppress
            .extend(capabilities.iter().map(|c| c.to_string()));
        self
    }
}

/// One running Cyrus.
pub struct Cyrus {
    child: Option<Child>,
    port: u16,
    opts: Options,
    // Last: removed after the server is stopped.
    dir: tempfile::TempDir,
}

/// The unpacked Debian packages (fetched on first use in this process).
fn unpacked() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = std::env::var_os("DUEBOX_CYRUS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest.join("target/cyrus-imapd"));
        let out = Command::new(manifest.join("scripts/fetch-cyrus.sh"))
            .arg(&dir)
            .output()
            .expect("run scripts/fetch-cyrus.sh");
        assert!(
            out.status.success(),
            "the Cyrus tests need Debian's cyrus-imapd unpacked by scripts/fetch-cyrus.sh (apt-get download + dpkg-deb -x; Debian bookworm with network access), which failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        dir.join("root")
    })
}

/// A port free now and not handed out before in this process (the kernel may give the same
/// free port twice in a row).
fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port on 127.0.0.1");
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// Who the Cyrus processes run as: `nobody` when the tests run as root (imapd refuses root),
/// else the user running the tests.
fn cyrus_user() -> (String, Option<&'static str>) {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if root {
        ("nobody".into(), Some("nobody:nogroup"))
    } else {
        let name = Command::new("id")
            .arg("-un")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .expect("id -un");
        (name, None)
    }
}

impl Cyrus {
    /// Starts an instance and waits until it greets; the user's INBOX exists afterwards.
    pub fn start(opts: Options) -> Cyrus {
        let root = unpacked();
        let dir = tempfile::Builder::new()
            .prefix("duebox-cyrus-")
            .tempdir()
            .expect("create the Cyrus temp dir");
        let mut server = Cyrus {
            child: None,
            port: free_port(),
            opts,
            dir,
        };
        // Another process may take the port between picking and binding it: the greeting
        // names this instance, so a stranger's answer is noticed and a new port tried.
        for attempt in 1..=5 {
            server.write_config(root);
            if server.spawn(root) {
                break;
            }
            assert!(attempt < 5, "no free port for Cyrus after 5 attempts");
            server.stop();
            server.port = free_port();
        }
        // The first login creates INBOX and the special-use folders.
        server.imap_raw(&["NOOP"]);
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn user(&self) -> &str {
        USER
    }

    pub fn password(&self) -> &str {
        PASSWORD
    }

    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The server's name for a folder under the user's INBOX hierarchy
    /// (`Chasers/Overdue` → `INBOX.Chasers.Overdue` or `Chasers/Overdue`).
    pub fn folder(&self, logical: &str) -> String {
        if logical.eq_ignore_ascii_case("INBOX") {
            return "INBOX".into();
        }
        match self.opts.namespace {
            Namespace::Traditional => format!("INBOX.{}", logical.replace('/', ".")),
            Namespace::Alt => logical.to_string(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write_config(&self, root: &Path) {
        let d = self.dir.path();
        for sub in [
            "conf/db",
            "conf/socket",
            "spool",
            "run/lock",
            "run/proc",
            "run/socket",
        ] {
            fs::create_dir_all(d.join(sub)).expect("create a Cyrus dir");
        }
        let (user, chown) = cyrus_user();
        let (alt, unix) = match self.opts.namespace {
            Namespace::Traditional => ("no", "no"),
            Namespace::Alt => ("yes", "yes"),
        };
        let suppress = if self.opts.suppress.is_empty() {
            String::new()
        } else {
            format!("suppress_capabilities: {}\n", self.opts.suppress.join(" "))
        };
        let servername = self.servername();
        let d = d.display();
        let conf = format!(
            "# Written by tests/common/cyrus.rs; /etc/imapd.conf is not read.\n\
             configdirectory: {d}/conf\n\
             proc_path: {d}/run/proc\n\
             mboxname_lockpath: {d}/run/lock\n\
             defaultpartition: default\n\
             partition-default: {d}/spool\n\
             lmtpsocket: {d}/run/socket/lmtp\n\
             idlesocket: {d}/run/socket/idle\n\
             notifysocket: {d}/run/socket/notify\n\
             altnamespace: {alt}\n\
             unixhierarchysep: {unix}\n\
             autocreate_quota: 0\n\
             autocreate_inbox_folders: Sent Items | Drafts | Junk | Archive | Trash\n\
             xlist-sent: Sent Items\n\
             xlist-drafts: Drafts\n\
             xlist-junk: Junk\n\
             xlist-archive: Archive\n\
             xlist-trash: Trash\n\
             allowplaintext: yes\n\
             sasl_pwcheck_method: alwaystrue\n\
             sasl_mech_list: PLAIN LOGIN\n\
             admins: {ADMIN}\n\
             cyrus_user: {user}\n\
             imapidlepoll: 1\n\
             syslog_prefix: duebox-test-cyrus\n\
             servername: {servername}\n\
             {suppress}"
        );
        fs::write(self.path("imapd.conf"), conf).expect("write imapd.conf");
        let bin = root.join("usr/lib/cyrus/bin");
        let b = bin.display();
        let c = self.path("imapd.conf");
        let c = c.display();
        fs::write(
            self.path("cyrus.conf"),
            format!(
                "START {{\n  recover cmd=\"{b}/ctl_cyrusdb -C {c} -r\"\n}}\n\
                 SERVICES {{\n  imap cmd=\"{b}/imapd -C {c}\" listen=\"127.0.0.1:{port}\" prefork=0\n}}\n\
                 EVENTS {{\n}}\n",
                port = self.port
            ),
        )
        .expect("write cyrus.conf");
        fs::set_permissions(self.dir.path(), fs::Permissions::from_mode(0o755))
            .expect("chmod the Cyrus dir");
        if let Some(owner) = chown {
            let ok = Command::new("chown")
                .args(["-R", owner])
                .arg(self.dir.path())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(ok, "chown the Cyrus dir to {owner}");
        }
    }

    /// The name this instance greets with, unique to it.
    fn servername(&self) -> String {
        let dir = self.dir.path().file_name().unwrap_or_default();
        format!("{}.{}", dir.to_string_lossy(), self.port)
    }

    /// Starts the master; false when another server answered on the port.
    fn spawn(&mut self, root: &Path) -> bool {
        let libs = format!(
            "{}:{}",
            root.join("usr/lib/x86_64-linux-gnu").display(),
            root.join("lib/x86_64-linux-gnu").display()
        );
        let out = fs::File::create(self.path("master.out")).expect("create master.out");
        // Its own process group: at shutdown the master signals its whole group, which would
        // otherwise be every other instance (and the test process) too.
        let child = Command::new(root.join("usr/lib/cyrus/bin/master"))
            .process_group(0)
            .arg("-C")
            .arg(self.path("imapd.conf"))
            .arg("-M")
            .arg(self.path("cyrus.conf"))
            .arg("-p")
            .arg(self.path("run/master.pid"))
            .arg("-D")
            .env("LD_LIBRARY_PATH", libs)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup"))
            .stderr(out)
            .spawn()
            .expect("spawn the Cyrus master");
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                panic!(
                    "the Cyrus master exited at start ({status}):\n{}",
                    fs::read_to_string(self.path("master.out")).unwrap_or_default()
                );
            }
            if let Ok(s) = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut line = String::new();
                if BufReader::new(s).read_line(&mut line).is_ok() && line.starts_with("* OK") {
                    return line.contains(&self.servername());
                }
            }
            if Instant::now() >= deadline {
                panic!(
                    "Cyrus on 127.0.0.1:{} did not greet within {START_TIMEOUT:?}:\n{}",
                    self.port,
                    fs::read_to_string(self.path("master.out")).unwrap_or_default()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Logs in as [`USER`], runs `commands` (tagged a1, a2, …), logs out, and returns every
    /// line the server sent for them.
    pub fn imap_raw(&self, commands: &[&str]) -> String {
        self.raw_as(USER, commands)
    }

    /// The same as the administrator (for rights: SETACL).
    pub fn admin_raw(&self, commands: &[&str]) -> String {
        self.raw_as(ADMIN, commands)
    }

    fn raw_as(&self, user: &str, commands: &[&str]) -> String {
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).expect("connect");
        stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        let mut writer = stream.try_clone().expect("clone");
        let mut reader = BufReader::new(stream);
        let mut greeting = String::new();
        reader.read_line(&mut greeting).expect("greeting");
        let mut run = |tag: &str, cmd: &str| -> String {
            writer
                .write_all(format!("{tag} {cmd}\r\n").as_bytes())
                .expect("write");
            let mut out = String::new();
            loop {
                let mut line = String::new();
                let n = reader.read_line(&mut line).expect("read");
                assert!(n > 0, "Cyrus closed the connection during {cmd}:\n{out}");
                out.push_str(&line);
                if line.starts_with(&format!("{tag} ")) {
                    return out;
                }
            }
        };
        let login = run("L", &format!("LOGIN {user} {PASSWORD}"));
        assert!(login.contains("L OK"), "LOGIN {user} failed: {login}");
        let mut out = String::new();
        for (i, cmd) in commands.iter().enumerate() {
            out.push_str(&run(&format!("a{}", i + 1), cmd));
        }
        run("Z", "LOGOUT");
        out
    }

    /// Appends a message to the user's folder (server name), as another client would.
    pub fn deliver(&self, folder: &str, raw: &[u8]) {
        let raw = String::from_utf8_lossy(raw)
            .replace("\r\n", "\n")
            .replace('\n', "\r\n");
        let out = self.imap_raw(&[&format!("APPEND \"{folder}\" {{{}+}}\r\n{raw}", raw.len())]);
        assert!(out.contains("a1 OK"), "APPEND to {folder}: {out}");
    }

    /// Lets the user have no more folders than now (`Some`), as a hosting plan's folder quota
    /// does (`X-NUM-FOLDERS`: CREATE answers `NO Over quota`), or lifts the limit (`None`).
    pub fn limit_folders(&self, limit: bool) {
        let root = match self.opts.namespace {
            Namespace::Traditional => format!("user.{USER}"),
            Namespace::Alt => format!("user/{USER}"),
        };
        let quota = if limit {
            let listed = self.imap_raw(&["LIST \"\" \"*\""]);
            let count = listed.lines().filter(|l| l.starts_with("* LIST ")).count();
            format!("(X-NUM-FOLDERS {count})")
        } else {
            "()".to_string()
        };
        let out = self.admin_raw(&[&format!("SETQUOTA {root} {quota}")]);
        assert!(out.contains("a1 OK"), "SETQUOTA: {out}");
    }

    /// Stops the master (and with it every imapd) by its pid.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Cyrus {
    fn drop(&mut self) {
        self.stop();
    }
}
