//! How the sync benchmark times a run (wall, CPU of the process and of the server, peak
//! RSS, the phases by the pass's log lines): Linux only (/usr/bin/time, /proc); measures,
//! never judges.

use std::io::Read;
use std::process::Command;
use std::time::Instant;

/// What one timed run of a command gave.
pub struct Run {
    pub secs: f64,
    /// Peak RSS in MiB.
    pub rss: f64,
    /// CPU seconds of the process, user + system.
    pub cpu: f64,
    pub stdout: String,
    /// Each line the command wrote on stderr, with the seconds since it started, the
    /// server's CPU seconds since then and the command's own: duebox's log lines ("INBOX: N
    /// new messages to fetch", "filing N messages") mark its phases.
    pub marks: Vec<(f64, f64, f64, String)>,
    /// The server's CPU seconds during the run.
    pub server: f64,
}

/// Runs a command under /usr/bin/time; returns what it gave, or why it could not run or
/// failed.
pub fn try_timed(cmd: &mut Command) -> Result<Run, String> {
    try_timed_with(cmd, &|| 0.0)
}

/// [`try_timed`], reading `server_cpu` at each line the command writes on stderr (the
/// server's CPU time at each mark).
pub fn try_timed_with(cmd: &mut Command, server_cpu: &dyn Fn() -> f64) -> Result<Run, String> {
    use std::io::BufRead;
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let envs: Vec<_> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    let start = Instant::now();
    let mut child = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("RSS_KB=%M CPU_S=%U+%S")
        .arg(&program)
        .args(&args)
        .envs(envs)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("/usr/bin/time does not run (apt-get install -y time): {e}"))?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let mut marks = Vec::new();
    let server_start = server_cpu();
    for line in std::io::BufReader::new(child.stderr.take().expect("piped stderr")).lines() {
        let Ok(line) = line else { break };
        marks.push((
            start.elapsed().as_secs_f64(),
            server_cpu() - server_start,
            tree_cpu(child.id()),
            line,
        ));
    }
    let status = child.wait().map_err(|e| format!("{program:?}: {e}"))?;
    let secs = start.elapsed().as_secs_f64();
    let stdout = reader.join().unwrap_or_default();
    let stderr: Vec<&str> = marks.iter().map(|(_, _, _, l)| l.as_str()).collect();
    if !status.success() {
        return Err(format!(
            "{program:?} failed: {}\n{}",
            stderr.join("\n").trim(),
            stdout.trim()
        ));
    }
    let field = |name: &str| -> Option<&str> {
        stderr
            .iter()
            .flat_map(|l| l.split_whitespace())
            .find_map(|w| w.strip_prefix(name))
    };
    let rss = field("RSS_KB=")
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0;
    let cpu = field("CPU_S=")
        .map(|v| v.split('+').filter_map(|x| x.parse::<f64>().ok()).sum())
        .unwrap_or(0.0);
    marks.retain(|(_, _, _, l)| !l.starts_with("RSS_KB="));
    let server = server_cpu() - server_start;
    Ok(Run {
        server,
        secs,
        rss,
        cpu,
        stdout,
        marks,
    })
}

/// [`try_timed_with`] for what the benchmark cannot go on without (duebox itself).
pub fn timed(cmd: &mut Command, server_cpu: &dyn Fn() -> f64) -> Run {
    try_timed_with(cmd, server_cpu).unwrap_or_else(|e| panic!("{e}"))
}

/// CPU seconds used so far by a process and its descendants, living and reaped (Linux
/// /proc): the Dovecot master's, so the server's share of a pass can be told apart.
pub fn tree_cpu(pid: u32) -> f64 {
    let tick = 100.0; // USER_HZ on Linux.
    let stat = |p: &str| -> Option<(u32, f64, f64)> {
        let s = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        let rest = &s[s.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let n = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
        Some((n(1) as u32, n(11) + n(12), n(13) + n(14)))
    };
    let mut total = 0.0;
    let mut parents = vec![pid];
    let all: Vec<(u32, u32, f64, f64)> = std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    let id: u32 = name.parse().ok()?;
                    let (ppid, own, reaped) = stat(&name)?;
                    Some((id, ppid, own, reaped))
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some((_, _, own, reaped)) = all.iter().find(|(id, ..)| *id == pid) {
        total += own + reaped;
    }
    while let Some(p) = parents.pop() {
        for (id, ppid, own, reaped) in &all {
            if *ppid == p && *id != pid {
                total += own + reaped;
                parents.push(*id);
            }
        }
    }
    total / tick
}

/// The phases of a duebox pass told by its log lines: until INBOX's new mail is known
/// (login, SELECT, the UID list), fetching and storing it, filing, and the rest (the
/// destination folders, the checkpoint); in seconds, with the server's CPU seconds in each,
/// as one line.
pub fn phases(run: &Run) -> String {
    let at = |what: &str| {
        run.marks
            .iter()
            .find(|(_, _, _, l)| l.contains(what))
            .map(|(t, s, c, _)| (*t, *s, *c))
    };
    let listed = at("INBOX:").unwrap_or((0.0, 0.0, 0.0));
    let filing = at("filing").unwrap_or((run.secs, run.server, run.cpu));
    format!(
        "listed {:.2} s ({:.2} s CPU, server {:.2} s), fetched+stored {:.2} s ({:.2} s CPU, server {:.2} s), filed+rest {:.2} s ({:.2} s CPU, server {:.2} s)",
        listed.0,
        listed.2,
        listed.1,
        filing.0 - listed.0,
        filing.2 - listed.2,
        filing.1 - listed.1,
        run.secs - filing.0,
        run.cpu - filing.2,
        run.server - filing.1
    )
}
