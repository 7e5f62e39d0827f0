//! Starting, stopping and watching the Postfix processes of the harness (its process group, queue
//! and watchdog); never signals a process it did not start.

use super::*;

impl Postfix {
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
        if let Err(e) = start_again(
            || self.spawn_and_wait(),
            |e| matches!(e, StartError::PortTaken),
        ) {
            self.fail_start(&e)
        }
    }

    pub(super) fn spawn_and_wait(&mut self) -> Result<(), StartError> {
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
    pub(super) fn postconf_warnings(&self) -> String {
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

    pub(super) fn fail_start(&self, e: &StartError) -> ! {
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
    Fatal(String),
    Timeout,
}

/// Checks that `dovecot` can take Postfix's mail and passwords, and notes where.
pub(super) fn backend_of(dovecot: &Dovecot) -> Backend {
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
pub(super) fn major_minor(version: &str) -> (u32, u32) {
    let mut nums = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u32>().unwrap_or(0));
    (nums.next().unwrap_or(0), nums.next().unwrap_or(0))
}

/// (uid, gid) of a user in /etc/passwd.
pub(super) fn passwd_ids(user: &str) -> Option<(u32, u32)> {
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
pub(super) fn group_id(group: &str) -> Option<u32> {
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
pub(super) fn pick_ports() -> Ports {
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
pub(super) fn greets(port: u16) -> bool {
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
pub(super) fn group_members(pgid: u32) -> Vec<u32> {
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
pub(super) fn kill_group(pgid: u32) {
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
pub(super) fn count_files(dir: &Path) -> usize {
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
pub(super) fn maildir_messages(dir: &Path) -> Vec<PathBuf> {
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

/// The watchdog of the Postfix master: SIGTERM, 5 s, then SIGKILL to its process group.
pub(super) fn spawn_watchdog(master_pid: u32, dir: &Path) -> Option<Child> {
    watchdog::spawn(
        master_pid,
        dir,
        &watchdog::Stopping {
            signal: "TERM",
            grace_tenths: 50,
            then_kill: Some(watchdog::Kill::Group),
        },
    )
}
