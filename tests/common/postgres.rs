//! A real PostgreSQL for the team tests: `initdb` in a temporary directory, its own port on
//! 127.0.0.1 (and its socket in the directory), stopped by pid when dropped. The binaries are
//! found on PATH or in Debian's /usr/lib/postgresql/<version>/bin. initdb refuses root: run
//! as root (CI), the server runs as `nobody`, which then owns the directory. If the test
//! process dies without unwinding, a small watchdog stops the server and removes the
//! directory. Never touches a system cluster.
#![allow(dead_code)]

use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[path = "watchdog.rs"]
mod watchdog;

/// The superuser the harness creates, and its password (host logins need it: scram).
pub const USER: &str = "duebox";
pub const PASSWORD: &str = "team-secret-7f3a";

/// How a clerk's duebox reaches the team database at `url` (the harness's password).
pub fn team_config(url: &str) -> duebox::store::TeamConfig {
    duebox::store::TeamConfig {
        url: url.to_string(),
        password: Some(PASSWORD.into()),
    }
}

/// A clerk's duebox as `open_store` makes it: the local database at `local`, the clerk's
/// name, and the team database at `url` when there is one.
pub fn clerk_store(local: &Path, name: &str, url: Option<&str>) -> duebox::store::Store {
    let mut s = duebox::store::Store::open(local).unwrap();
    s.set_clerk(name).unwrap();
    if let Some(url) = url {
        s.attach_team(&team_config(url)).unwrap();
    }
    s
}

pub struct Postgres {
    child: Option<Child>,
    watchdog: Option<Child>,
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    run_as: Option<(u32, u32)>,
}

/// One server for the whole test binary (never stopped by a test; the watchdog stops it
/// when the binary exits). Each test takes its own database in it.
pub fn shared() -> &'static Postgres {
    static ONE: OnceLock<Postgres> = OnceLock::new();
    ONE.get_or_init(Postgres::start)
}

/// The directory with initdb and postgres.
fn bin_dir() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| d.join("initdb").is_file() && d.join("postgres").is_file());
    if let Some(d) = on_path {
        return std::fs::canonicalize(d.join("initdb"))
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or(d);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b).unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed (no initdb on PATH nor in /usr/lib/postgresql/*/bin); \
             install it: apt-get install postgresql (scripts/test.sh does)"
        )
    })
}

/// `nobody`'s uid and gid, when the tests run as root.
fn identity() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let id = |flag: &str| -> u32 {
        let out = Command::new("id")
            .args([flag, "nobody"])
            .output()
            .expect("run id");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("nobody's id")
    };
    Some((id("-u"), id("-g")))
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .unwrap()
        .port()
}

impl Postgres {
    /// A new cluster, started.
    pub fn start() -> Postgres {
        let dir = tempfile::Builder::new()
            .prefix("duebox-pg-")
            .tempdir()
            .expect("temp dir");
        let run_as = identity();
        let bin = bin_dir();
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
            std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid)).unwrap();
        }
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(dir.path().join("data"))
            .args(["-U", USER, "-E", "UTF8", "--locale=C", "--no-sync"])
            .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .current_dir(dir.path());
        if let Some((uid, gid)) = run_as {
            initdb.uid(uid).gid(gid);
        }
        let out = initdb.output().expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut pg = Postgres {
            child: None,
            watchdog: None,
            dir,
            bin,
            port: free_port(),
            run_as,
        };
        pg.start_again();
        pg
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of one database (no password: the tests give it as duebox's config does).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{db}", self.port)
    }

    /// A database of its own for one test.
    pub fn create_database(&self) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        self.client("postgres")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        name
    }

    /// A superuser connection, for checks the tests make behind duebox's back.
    pub fn client(&self, db: &str) -> postgres::Client {
        let mut config: postgres::Config = self.url(db).parse().unwrap();
        config.password(PASSWORD);
        config
            .connect(postgres::NoTls)
            .expect("connect to the test PostgreSQL")
    }

    /// Starts the server (again, after [`Postgres::stop`]) on the same port and data.
    pub fn start_again(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("postgres.log")).unwrap();
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(self.dir.path().join("postgres.log"), Some(uid), Some(gid))
                .unwrap();
        }
        let mut cmd = Command::new(self.bin.join("postgres"));
        cmd.arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-k")
            .arg(self.dir.path())
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "shared_buffers=16MB"])
            .args(["-c", "max_connections=60"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid);
        }
        let child = cmd.spawn().expect("start postgres");
        let pid = child.id();
        self.child = Some(child);
        self.watchdog = spawn_watchdog(pid, self.dir.path());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("postgres exited ({status}): {}", self.log());
            }
            let mut config: postgres::Config = self.url("postgres").parse().unwrap();
            config.password(PASSWORD);
            if config.connect(postgres::NoTls).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "postgres did not answer in 60 s: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the server (fast shutdown: clients are disconnected) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SAFETY: a signal to our own child, by its pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The watchdog of the PostgreSQL server: SIGINT (a fast shutdown), 10 s, then SIGKILL.
fn spawn_watchdog(pid: u32, dir: &Path) -> Option<Child> {
    watchdog::spawn(
        pid,
        dir,
        &watchdog::Stopping {
            signal: "INT",
            grace_tenths: 100,
            then_kill: Some(watchdog::Kill::Process),
        },
    )
}
