//! Starting, stopping and watching the Dovecot processes of the harness: ports, pids, /proc, the
//! watchdog; never touches a process it did not start.

use super::*;

impl Dovecot {
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
        if let Err(e) = start_again(
            || self.spawn_and_wait(),
            |e| matches!(e, StartError::PortTaken),
        ) {
            self.fail_start(&e)
        }
    }

    pub(super) fn spawn_and_wait(&mut self) -> Result<(), StartError> {
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

    pub(super) fn log_len(&self) -> u64 {
        fs::metadata(self.path("dovecot.log"))
            .map(|m| m.len())
            .unwrap_or(0)
    }

    pub(super) fn log_since(&self, offset: u64) -> String {
        let log = fs::read(self.path("dovecot.log")).unwrap_or_default();
        let start = (offset as usize).min(log.len());
        let mut s = String::from_utf8_lossy(&log[start..]).into_owned();
        s.push_str(&fs::read_to_string(self.path("dovecot.stderr")).unwrap_or_default());
        s
    }

    pub(super) fn fail_start(&self, e: &StartError) -> ! {
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

    pub(super) fn stop_watchdog(&mut self) {
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

#[derive(Debug)]
pub(super) enum StartError {
    PortTaken,
    Exited(String),
    Timeout,
}

/// Dovecot's default post-login capability list, read once per test binary from a throwaway
/// instance, minus `hidden`; with special-use folders configured Dovecot also advertises
/// SPECIAL-USE, so it is kept then. Panics on a name Dovecot does not advertise.
pub(super) fn without_hidden(hidden: &[String], special_use: bool) -> Vec<String> {
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
pub(super) fn greets(port: u16) -> bool {
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
pub(super) fn pick_ports(lmtp: bool) -> Ports {
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

pub(super) fn identity(dir: &Path) -> Identity {
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

pub(super) fn dovecot_version(binary: &Path) -> String {
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
pub(super) fn dialect_of(version: &str) -> Dialect {
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

/// Whether a server's master process (`child`, when started) is still running.
pub(crate) fn running(child: &mut Option<Child>) -> bool {
    match child.as_mut() {
        Some(c) => matches!(c.try_wait(), Ok(None)),
        None => false,
    }
}

/// A server's log file followed by what it printed on its own output, under `heading`.
pub(crate) fn log_and_output(log: &Path, output: &Path, heading: &str) -> String {
    let mut s = fs::read_to_string(log).unwrap_or_default();
    let err = fs::read_to_string(output).unwrap_or_default();
    if !err.trim().is_empty() {
        s.push_str(heading);
        s.push_str(&err);
    }
    s
}

/// Starts a server again with `start` until it is up. The old processes' sockets may linger a
/// moment after a stop, so a taken port is retried until `START_TIMEOUT`; someone may even
/// have taken the port for good, in which case the last error is returned.
pub(crate) fn start_again<E>(
    mut start: impl FnMut() -> Result<(), E>,
    port_taken: impl Fn(&E) -> bool,
) -> Result<(), E> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match start() {
            Err(e) if port_taken(&e) && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(100));
            }
            done => return done,
        }
    }
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

/// The watchdog of the Dovecot master: SIGTERM, 10 s to stop.
pub(super) fn spawn_watchdog(dovecot_pid: u32, dir: &Path) -> Option<Child> {
    watchdog::spawn(
        dovecot_pid,
        dir,
        &watchdog::Stopping {
            signal: "TERM",
            grace_tenths: 100,
            then_kill: None,
        },
    )
}

pub(super) struct Output {
    pub(super) status_ok: bool,
    pub(super) stdout: String,
    pub(super) stderr: String,
}

/// Runs `cmd` with `input` on stdin, killing it after `timeout`.
pub(super) fn run_with_input(mut cmd: Command, input: &[u8], timeout: Duration) -> Output {
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
