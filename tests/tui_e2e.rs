//! End to end, as a user lives it: the real `duebox` binary in a pseudo-terminal (util-linux
//! `script`), on an account served by a real Dovecot, sending through a real Postfix. A
//! chaser arrives by SMTP, the background sync (IDLE) files it, one key answers it, and the
//! reply is delivered, threaded, with its copy in Sent.

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;
#[path = "common/postfix.rs"]
mod postfix;

use dovecot::PASSWORD;
use postfix::{Postfix, Via};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const AP: &str = "ap@example.test";

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

/// The last part of what the terminal was sent, escape sequences dropped, for messages.
fn screen_text(out: &Arc<Mutex<Vec<u8>>>) -> String {
    let raw = String::from_utf8_lossy(&out.lock().unwrap()).into_owned();
    let re = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b.").unwrap();
    let text = re.replace_all(&raw, " ").into_owned();
    let start = text.len().saturating_sub(3000);
    let start = (start..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    text[start..].to_string()
}

/// Writes keys to the terminal, one at a time, as a person types.
fn keys(stdin: &mut std::process::ChildStdin, keys: &str) {
    for k in keys.bytes() {
        stdin.write_all(&[k]).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }
}

#[test]
fn a_chaser_arrives_is_filed_answered_with_one_key_and_delivered() {
    let (dovecot, postfix) = Postfix::start_pair();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[company]\nname = \"Northwind Traders Ltd\"\ndomains = [\"example.test\"]\n\n\
             [database]\npath = \"{db}\"\n\n\
             [imap]\nhost = \"127.0.0.1\"\nport = {imap}\nsecurity = \"tls\"\nlogin = \"{AP}\"\npassword_env = \"DUEBOX_TEST_PASSWORD\"\nca_file = \"{ca}\"\n\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {smtp}\nsecurity = \"starttls\"\nca_file = \"{ca}\"\n\n\
             [reply]\nfrom = \"Northwind Accounts Payable <{AP}>\"\nsignature = \"Jo Bloggs\"\n\n\
             [sync]\ninterval = \"10s\"\n",
            db = home.path().join("duebox.db").display(),
            imap = dovecot.tls_port(),
            smtp = postfix.port(),
            ca = dovecot.ca_file().display(),
        ),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_duebox");
    let payables = format!(
        "{}/tests/fixtures/corpus/payables.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let imported = Command::new(bin)
        .args([
            "--config",
            config.to_str().unwrap(),
            "payables",
            "import",
            &payables,
        ])
        .output()
        .unwrap();
    assert!(imported.status.success());

    let mut child = Command::new("script")
        .args([
            "-qfec",
            &format!(
                "stty rows 30 cols 120; exec {bin} --config {}",
                config.display()
            ),
            "/dev/null",
        ])
        .env("TERM", "xterm-256color")
        .env("DUEBOX_TEST_PASSWORD", PASSWORD)
        .env("XDG_CONFIG_HOME", home.path().join("xdg"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("util-linux script runs");
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
    let mut stdin = child.stdin.take().unwrap();
    assert!(
        wait_for(&out, "Reminders", Duration::from_secs(15)),
        "no first frame:\n{}",
        String::from_utf8_lossy(&out.lock().unwrap())
    );

    // The chaser arrives by SMTP, while the UI runs.
    let chaser = common::corpus("a-001-en-reminder-acme.eml");
    postfix
        .send(
            Via::Plain,
            None,
            "billing@acme-office.co.uk",
            &[AP],
            &chaser,
        )
        .expect("Postfix takes the chaser");
    postfix.wait_delivered(&dovecot, AP, "INBOX", 1, Duration::from_secs(10));
    // The background sync files it (IDLE wakes it; the 10 s poll would too).
    let reminders = dovecot.folder_dir(AP, "Chasers/Reminders");
    let end = Instant::now() + Duration::from_secs(30);
    while std::fs::read_dir(reminders.join("cur"))
        .map(|d| d.count())
        .unwrap_or(0)
        + std::fs::read_dir(reminders.join("new"))
            .map(|d| d.count())
            .unwrap_or(0)
        == 0
    {
        assert!(Instant::now() < end, "the chaser was not filed");
        std::thread::sleep(Duration::from_millis(100));
    }
    // To the Reminders folder (below To answer, Suspicious, Inbox), open the chaser, one key to acknowledge, y to send.
    keys(&mut stdin, "\tgjjj\r");
    assert!(
        wait_for(&out, "Friendly reminder", Duration::from_secs(10)),
        "the filed chaser is listed:\n{}",
        String::from_utf8_lossy(&out.lock().unwrap())
    );
    keys(&mut stdin, "\r");
    keys(&mut stdin, "a");
    assert!(
        // Drawn by difference, so only text new to the screen arrives whole: the preview's
        // key hint.
        wait_for(&out, "y:send", Duration::from_secs(10)),
        "the reply is shown first:\n{}",
        screen_text(&out)
    );
    keys(&mut stdin, "y");
    let delivered = postfix.wait_sink(&dovecot, 1, Duration::from_secs(20));
    let reply = duebox::mail::parse(&std::fs::read(&delivered[0]).unwrap()).unwrap();
    let original = duebox::mail::parse(&chaser).unwrap();
    assert_eq!(reply.in_reply_to, original.message_id);
    assert_eq!(reply.to[0].email, "billing@acme-office.co.uk");
    assert!(reply.body.contains("We have received it"), "{}", reply.body);
    // Its copy is in Sent.
    let sent = postfix.wait_delivered(&dovecot, AP, "Sent", 1, Duration::from_secs(10));
    assert_eq!(sent.len(), 1);
    // q goes back screen by screen, then quits; the terminal may close before the last one.
    for _ in 0..4 {
        if stdin.write_all(b"q").and_then(|()| stdin.flush()).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let end = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < end, "duebox did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Exactly one reply went out.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        postfix.wait_sink(&dovecot, 1, Duration::from_secs(1)).len(),
        1
    );
}
