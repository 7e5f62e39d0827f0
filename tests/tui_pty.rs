//! The real binary in a pseudo-terminal (util-linux `script` provides it): `duebox demo`
//! draws within seconds, reacts to keys written to the terminal, and gives the terminal
//! back (leaves the alternate screen, shows the cursor) when it quits.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `duebox demo` in a pseudo-terminal of 80×24, its output collected as it comes.
fn spawn_demo(failpoint: Option<&str>) -> (std::process::Child, Arc<Mutex<Vec<u8>>>) {
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
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    (child, out)
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
    let status = exited(&mut child, Duration::from_secs(10));
    assert!(!status.success());
    std::thread::sleep(Duration::from_millis(100));
    let all = String::from_utf8_lossy(&out.lock().unwrap()).into_owned();
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

fn wait_for(out: &Arc<Mutex<Vec<u8>>>, what: &str, within: Duration) -> bool {
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
        wait_for(&out, "DEMO", Duration::from_secs(10)),
        "no first frame:\n{}",
        String::from_utf8_lossy(&out.lock().unwrap())
    );
    println!(
        "first frame after {:?} (debug build, demo loaded and synced)",
        started.elapsed()
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"D").unwrap();
    stdin.flush().unwrap();
    assert!(
        wait_for(&out, "Waiting for an answer", Duration::from_secs(5)),
        "the dashboard key was not taken"
    );
    stdin.write_all(b"q").unwrap();
    stdin.write_all(b"q").unwrap();
    stdin.flush().unwrap();
    let status = exited(&mut child, Duration::from_secs(5));
    assert!(status.success(), "{status}");
    std::thread::sleep(Duration::from_millis(100));
    let all = out.lock().unwrap().clone();
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
