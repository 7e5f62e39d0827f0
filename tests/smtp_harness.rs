//! The Postfix harness itself (tests/common/postfix.rs): a real Postfix on 127.0.0.1 in front
//! of the test Dovecot, delivering over LMTP; vendor addresses land in one sink mailbox; AUTH
//! through Dovecot under TLS; its certificate; two instances at once; a stop that stops.

#[path = "common/dovecot.rs"]
mod dovecot;
#[path = "common/postfix.rs"]
mod postfix;

use dovecot::{Dovecot, PASSWORD};
use postfix::{Postfix, PostfixOptions, Via, SINK};
use std::fs;
use std::io::Write;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DELIVERY: Duration = Duration::from_secs(5);

fn message(from: &str, to: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\n\
         Message-ID: <{subject}@duebox.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n\
         Please find the statement attached.\r\n.leading dot stays\r\n"
    )
    .into_bytes()
}

#[test]
fn mail_to_a_local_user_reaches_its_inbox() {
    let (dovecot, postfix) = Postfix::start_pair();
    let started = Instant::now();
    let msg = message("billing@acme-office.co.uk", "ap@example.test", "local-1");
    let queued = postfix
        .send(
            Via::Plain,
            None,
            "billing@acme-office.co.uk",
            &["ap@example.test"],
            &msg,
        )
        .unwrap_or_else(|t| panic!("refused:\n{t}"));
    assert!(queued.contains("queued as"), "{queued}");

    let files = postfix.wait_delivered(&dovecot, "ap@example.test", "INBOX", 1, DELIVERY);
    assert_eq!(files.len(), 1);
    let text = fs::read_to_string(&files[0]).expect("read the delivered message");
    assert!(text.contains("Subject: local-1"), "{text}");
    assert!(
        text.contains("\n.leading dot stays"),
        "dot-stuffing undone: {text}"
    );
    eprintln!("delivered in {:?}", started.elapsed());

    // The other local domain, and IMAP sees the message.
    postfix
        .send(
            Via::Plain,
            None,
            "billing@acme-office.co.uk",
            &["ap@northwind.test"],
            &message("billing@acme-office.co.uk", "ap@northwind.test", "local-2"),
        )
        .unwrap_or_else(|t| panic!("refused:\n{t}"));
    postfix.wait_delivered(&dovecot, "ap@northwind.test", "INBOX", 1, DELIVERY);
    let out = dovecot.imap_raw(&[
        "SELECT INBOX",
        "FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
    ]);
    assert!(out.contains("Subject: local-1"), "{out}");
    assert!(postfix.wait_queue_empty(DELIVERY), "queue not empty");

    // An unknown user of a local domain is refused at RCPT, as a real server would.
    let err = postfix
        .send(
            Via::Plain,
            None,
            "billing@acme-office.co.uk",
            &["nobody@example.test"],
            &msg,
        )
        .expect_err("an unknown local user was accepted");
    assert!(err.contains("550 5.1.1"), "{err}");
    assert!(postfix.errors().is_empty(), "{:?}", postfix.errors());
}

#[test]
fn mail_to_a_vendor_lands_in_the_sink_with_its_to_header() {
    let (dovecot, postfix) = Postfix::start_pair();
    let to = "someone@vendor.example.com";
    // Relaying needs AUTH: unauthenticated, it is refused.
    let err = postfix
        .send(
            Via::Plain,
            None,
            "ap@example.test",
            &[to],
            &message("ap@example.test", to, "x"),
        )
        .expect_err("relayed without AUTH");
    assert!(err.contains("Relay access denied"), "{err}");

    postfix
        .send(
            Via::StartTls,
            Some(("ap@example.test", PASSWORD)),
            "ap@example.test",
            &[to, "billing@acme-office.co.uk"],
            &message("ap@example.test", to, "reply-1"),
        )
        .unwrap_or_else(|t| panic!("refused:\n{t}"));
    // Two vendor recipients, one sink mailbox: Postfix hands Dovecot the message once with
    // the sink as recipient twice, and Dovecot stores one copy.
    let files = postfix.wait_sink(&dovecot, 1, DELIVERY);
    let text = fs::read_to_string(&files[0]).expect("read the sink message");
    assert!(text.contains(&format!("To: {to}\r\n")) || text.contains(&format!("To: {to}\n")));
    assert!(text.contains("Subject: reply-1"), "{text}");

    let out = dovecot.imap_raw_as(
        SINK,
        PASSWORD,
        &["SELECT INBOX", "FETCH 1 (BODY.PEEK[HEADER.FIELDS (TO)])"],
    );
    assert!(out.contains(&format!("To: {to}")), "{out}");
    // Delivered as sent: Postfix adds no Message-ID or Date the client left out.
    postfix
        .send(
            Via::Implicit,
            Some(("ap@example.test", PASSWORD)),
            "ap@example.test",
            &["accounts@vendor.example.com"],
            b"To: accounts@vendor.example.com\r\nSubject: bare\r\n\r\nNo date.\r\n",
        )
        .unwrap_or_else(|t| panic!("refused:\n{t}"));
    let files = postfix.wait_sink(&dovecot, 2, DELIVERY);
    assert_eq!(files.len(), 2, "one copy per message");
    let bare = files
        .iter()
        .map(|f| fs::read_to_string(f).expect("read"))
        .find(|t| t.contains("Subject: bare"))
        .expect("the bare message");
    let lower = bare.to_ascii_lowercase();
    assert!(
        !lower.contains("\nmessage-id:") && !lower.contains("\ndate:"),
        "{bare}"
    );
    // Nothing left queued, nothing bounced.
    assert!(postfix.wait_queue_empty(DELIVERY), "queue not empty");
    assert!(
        !postfix.log().contains("status=bounced"),
        "{}",
        postfix.log()
    );
}

#[test]
fn auth_is_offered_under_tls_only_and_checks_the_password() {
    let (_dovecot, postfix) = Postfix::start_pair();

    let plain = postfix.connect(Via::Plain);
    assert!(
        !plain.offers_auth(),
        "AUTH before TLS: {:?}",
        plain.extensions()
    );
    assert!(plain.extensions().iter().any(|e| e == "STARTTLS"));
    plain.quit();

    let mut s = postfix.connect(Via::StartTls);
    assert!(
        s.extensions().iter().any(|e| e == "AUTH PLAIN LOGIN"),
        "{:?}",
        s.extensions()
    );
    let r = s.auth_plain("ap@example.test", PASSWORD);
    assert_eq!(r.code, 235, "{}", s.transcript());
    s.quit();

    let mut s = postfix.connect(Via::Implicit);
    let r = s.auth_login("ap@northwind.test", PASSWORD);
    assert_eq!(r.code, 235, "{}", s.transcript());
    s.quit();

    let mut s = postfix.connect(Via::StartTls);
    let r = s.auth_plain("ap@example.test", "wrong");
    assert_eq!(r.code, 535, "{}", s.transcript());
    s.quit();
}

#[test]
fn auth_without_tls_when_asked() {
    let dovecot = Dovecot::start_with(postfix::dovecot_options());
    let postfix = Postfix::start_with(&dovecot, PostfixOptions::new().auth_without_tls());
    let mut s = postfix.connect(Via::Plain);
    assert!(s.offers_auth(), "{:?}", s.extensions());
    assert_eq!(s.auth_plain("ap@example.test", PASSWORD).code, 235);
    s.quit();
}

#[test]
fn the_tls_port_presents_a_certificate_the_ca_file_verifies() {
    let (_dovecot, postfix) = Postfix::start_pair();
    for host in ["127.0.0.1", "localhost"] {
        let mut cmd = Command::new("openssl");
        cmd.args(["s_client", "-connect"])
            .arg(format!("127.0.0.1:{}", postfix.tls_port()))
            .arg("-CAfile")
            .arg(postfix.ca_file())
            // -ign_eof: no interactive commands (a line starting with Q would quit).
            .args(["-verify_return_error", "-ign_eof"]);
        if host == "localhost" {
            cmd.args(["-verify_hostname", "localhost"]);
        } else {
            cmd.args(["-verify_ip", "127.0.0.1"]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn openssl");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"QUIT\r\n")
            .expect("write QUIT");
        let out = child.wait_with_output().expect("openssl s_client");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("Verify return code: 0 (ok)"),
            "{host}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("220 mail.example.test ESMTP"), "{stdout}");
    }
}

#[test]
fn two_instances_run_side_by_side() {
    let dovecot = Dovecot::start_with(postfix::dovecot_options());
    let a = Postfix::start(&dovecot);
    let b = Postfix::start(&dovecot);
    let ports = [a.port(), a.tls_port(), b.port(), b.tls_port()];
    for (i, p) in ports.iter().enumerate() {
        assert!(!ports[..i].contains(p), "port {p} twice: {ports:?}");
    }
    assert_ne!(a.pid(), b.pid());
    for (n, p) in [&a, &b].into_iter().enumerate() {
        let subject = format!("side-{n}");
        p.send(
            Via::Plain,
            None,
            "billing@acme-office.co.uk",
            &["ap@example.test"],
            &message("billing@acme-office.co.uk", "ap@example.test", &subject),
        )
        .unwrap_or_else(|t| panic!("refused:\n{t}"));
    }
    let files = a.wait_delivered(&dovecot, "ap@example.test", "INBOX", 2, DELIVERY);
    assert_eq!(files.len(), 2);
    for p in [&a, &b] {
        assert!(p.wait_for_log("status=sent", DELIVERY), "{}", p.log());
    }
}

#[test]
fn stop_really_stops_and_restart_comes_back() {
    let (dovecot, mut postfix) = Postfix::start_pair();
    let pid = postfix.pid().expect("a running master");
    assert!(postfix.is_running());
    let port = postfix.port();
    postfix.stop();
    assert!(!postfix.is_running());
    assert_eq!(postfix.pid(), None);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the master {pid} is still there"
    );
    // Nothing of its process group is left either (zombies waiting for init to reap them
    // hold nothing).
    let group_left = fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            let rest = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            f.len() > 2 && f[0] != "Z" && f[2] == pid.to_string()
        })
        .count();
    assert_eq!(group_left, 0, "processes of the master's group remain");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port still open"
    );
    assert!(TcpStream::connect(("127.0.0.1", Postfix::unused_port())).is_err());

    postfix.restart();
    assert_eq!(postfix.port(), port);
    assert_ne!(postfix.pid(), Some(pid));
    postfix
        .send(
            Via::Plain,
            None,
            "billing@acme-office.co.uk",
            &["ap@example.test"],
            &message(
                "billing@acme-office.co.uk",
                "ap@example.test",
                "after-restart",
            ),
        )
        .unwrap_or_else(|t| panic!("refused:\n{t}"));
    postfix.wait_delivered(&dovecot, "ap@example.test", "INBOX", 1, DELIVERY);
}

#[test]
fn mail_waits_in_the_queue_while_dovecot_is_down() {
    let (mut dovecot, postfix) = Postfix::start_pair();
    dovecot.stop();
    postfix
        .send(
            Via::Plain,
            None,
            "billing@acme-office.co.uk",
            &["ap@example.test"],
            &message("billing@acme-office.co.uk", "ap@example.test", "deferred"),
        )
        .unwrap_or_else(|t| panic!("refused:\n{t}"));
    assert!(
        postfix.wait_for_log("status=deferred", DELIVERY),
        "not deferred:\n{}",
        postfix.log()
    );
    assert!(!postfix.queue_is_empty());
    dovecot.restart();
    postfix.wait_delivered(&dovecot, "ap@example.test", "INBOX", 1, DELIVERY);
    assert!(postfix.wait_queue_empty(DELIVERY));
}
