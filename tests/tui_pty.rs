//! The real binary in a pseudo-terminal (util-linux `script` provides it): `duebox demo`
//! draws within seconds, reacts to keys written to the terminal, and gives the terminal
//! back (leaves the alternate screen, shows the cursor) when it quits.
//!
//! Every wait is on a condition (text on the screen, the process gone, its output read to
//! the end), never on a fixed time: on a loaded machine the first frame of a debug build can
//! take many seconds. The limits are only there so that a hung binary fails the test.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long anything may take before the test gives up (generous: the suite runs at a load
/// of 15 and more on two cores).
const PATIENCE: Duration = Duration::from_secs(90);

/// The output seen so far, and word from the reader when it has read to the end.
type Output = (Arc<Mutex<Vec<u8>>>, Receiver<()>);

/// `duebox demo` in a pseudo-terminal of 80×24, its output collected as it comes.
fn spawn_demo(failpoint: Option<&str>) -> (std::process::Child, Output) {
    let bin = env!("CARGO_BIN_EXE_duebox");
    let mut cmd = Command::new("script");
    cmd.args([
        "-qfec",
        &format!("stty rows 24 cols 80; exec {bin} demo"),
        "/dev/null",
    ])
    .env("TERM", "xterm-256color")
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if let Some(f) = failpoint {
        cmd.env("DUEBOX_FAILPOINT", f);
    }
    let mut child = cmd
        .spawn()
        .expect("util-linux script runs (apt-get install bsdutils)");
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut stdout = child.stdout.take().unwrap();
    let sink = out.clone();
    let (done, ended) = channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
        let _ = done.send(());
    });
    (child, (out, ended))
}

/// Everything the terminal got, once the process has ended and its output is read to the
/// end (the last bytes — leaving the alternate screen — come as it exits).
fn all_output((out, ended): &Output) -> Vec<u8> {
    ended
        .recv_timeout(PATIENCE)
        .expect("the terminal's output ends when duebox has exited");
    out.lock().unwrap().clone()
}

fn exited(child: &mut std::process::Child, within: Duration) -> std::process::ExitStatus {
    let end = Instant::now() + within;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < end, "duebox did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_panic_gives_the_terminal_back() {
    let (mut child, out) = spawn_demo(Some("ui-panic"));
    let status = exited(&mut child, PATIENCE);
    assert!(!status.success());
    let all = String::from_utf8_lossy(&all_output(&out)).into_owned();
    let panic_at = all
        .find("failpoint ui-panic")
        .unwrap_or_else(|| panic!("the panic message is shown: {all:?}"));
    let restored_at = all
        .find("\u{1b}[?1049l")
        .expect("left the alternate screen");
    assert!(
        restored_at < panic_at,
        "the terminal is restored before the message is printed"
    );
    assert!(
        all[restored_at..].contains("\u{1b}[?25h"),
        "cursor shown again"
    );
}

fn wait_for((out, _): &Output, what: &str, within: Duration) -> bool {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if String::from_utf8_lossy(&out.lock().unwrap()).contains(what) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn the_demo_runs_in_a_terminal_and_restores_it() {
    let started = Instant::now();
    let (mut child, out) = spawn_demo(None);
    assert!(
        wait_for(&out, "DEMO", PATIENCE),
        "no first frame:\n{}",
        String::from_utf8_lossy(&out.0.lock().unwrap())
    );
    println!(
        "first frame after {:?} (debug build, demo loaded and synced)",
        started.elapsed()
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"D").unwrap();
    stdin.flush().unwrap();
    assert!(
        wait_for(&out, "Waiting for an answer", PATIENCE),
        "the dashboard key was not taken"
    );
    stdin.write_all(b"q").unwrap();
    stdin.write_all(b"q").unwrap();
    stdin.flush().unwrap();
    let status = exited(&mut child, PATIENCE);
    assert!(status.success(), "{status}");
    let all = all_output(&out);
    let tail = &all[all.len().saturating_sub(64)..];
    let text = String::from_utf8_lossy(tail);
    assert!(
        text.contains("\u{1b}[?1049l"),
        "left the alternate screen: {text:?}"
    );
    assert!(
        text.contains("\u{1b}[?25h"),
        "showed the cursor again: {text:?}"
    );
}
