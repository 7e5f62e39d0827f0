//! A `sh` watchdog for a test's server: once the test process is gone (killed, aborted: no
//! `Drop` ran) it stops the server and removes the server's temp dir, so no server outlives its
//! test binary. While the test process lives it does nothing; the server's `stop` kills it.
//! Shared by the Dovecot, Postfix and PostgreSQL harnesses; never starts a server itself.

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// What the watchdog does to a server whose test process is gone.
pub struct Stopping {
    /// The signal that asks the server to stop ("TERM", "INT").
    pub signal: &'static str,
    /// How long it may take, in tenths of a second.
    pub grace_tenths: u32,
    /// What is SIGKILLed if it is still there after that, if anything.
    pub then_kill: Option<Kill>,
}

/// The target of the last-resort SIGKILL.
pub enum Kill {
    Process,
    /// The server's whole process group (a master and its children).
    Group,
}

/// Starts the watchdog for the server `pid` whose files are in `dir`.
pub fn spawn(pid: u32, dir: &Path, how: &Stopping) -> Option<Child> {
    let kill = match how.then_kill {
        None => "",
        Some(Kill::Process) => "kill -KILL \"$1\" 2>/dev/null\n",
        Some(Kill::Group) => "kill -KILL -- \"-$1\" 2>/dev/null\n",
    };
    let script = format!(
        r#"while kill -0 "$0" 2>/dev/null && kill -0 "$1" 2>/dev/null; do sleep 1; done
kill -0 "$0" 2>/dev/null && exit 0
kill -{signal} "$1" 2>/dev/null
i=0
while kill -0 "$1" 2>/dev/null && [ "$i" -lt {grace} ]; do sleep 0.1; i=$((i + 1)); done
{kill}rm -rf "$2""#,
        signal = how.signal,
        grace = how.grace_tenths,
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(std::process::id().to_string())
        .arg(pid.to_string())
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}
