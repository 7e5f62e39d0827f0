//! Proves the Dovecot test harness (tests/common/dovecot.rs) against a real server: it starts,
//! greets, logs in over plaintext, STARTTLS and implicit TLS, hides capabilities, sees mail
//! delivered into its Maildir, keeps it across restarts and runs several instances at once.

#[path = "common/dovecot.rs"]
mod dovecot;

use dovecot::{Dialect, Dovecot, Options, Tls, USERS};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

const MESSAGE: &[u8] = b"From: Supplier <billing@supplier.test>\r\n\
To: ap@example.test\r\n\
Subject: Invoice INV-1001 overdue\r\n\
Message-ID: <inv-1001@supplier.test>\r\n\
\r\n\
Please pay invoice INV-1001.\r\n";

/// The number in `* N EXISTS`, which the responses must hold.
fn exists(responses: &str) -> u32 {
    responses
        .lines()
        .find_map(|l| l.strip_prefix("* ")?.strip_suffix(" EXISTS")?.parse().ok())
        .unwrap_or_else(|| panic!("no EXISTS in:\n{responses}"))
}

fn greeting(port: u16) -> String {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut line = String::new();
    BufReader::new(stream)
        .read_line(&mut line)
        .expect("read greeting");
    line
}

/// The tagged response to `LOGIN ap@example.test secret` sent right after the greeting.
fn login_response(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).expect("read greeting");
    stream
        .write_all(b"L LOGIN ap@example.test secret\r\n")
        .unwrap();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("read LOGIN response");
        if line.starts_with("L ") || line.is_empty() {
            return line;
        }
    }
}

/// The flags of message 1 in a `* 1 FETCH (FLAGS (...))` line, sorted.
fn fetched_flags(responses: &str) -> Vec<String> {
    let line = responses
        .lines()
        .find(|l| l.starts_with("* 1 FETCH ("))
        .unwrap_or_else(|| panic!("no FETCH of message 1 in:\n{responses}"));
    let start = line.find("FLAGS (").expect("FLAGS in FETCH") + "FLAGS (".len();
    let end = start + line[start..].find(')').expect("closing paren");
    let mut flags: Vec<String> = line[start..end]
        .split_whitespace()
        .map(str::to_string)
        .collect();
    flags.sort();
    flags
}

#[test]
fn starts_and_greets_on_loopback() {
    let server = Dovecot::start();
    assert_ne!(server.port(), server.tls_port());
    assert_ne!(server.port(), 143, "must not use the system IMAP port");
    let g = greeting(server.port());
    assert!(g.starts_with("* OK [CAPABILITY "), "greeting: {g:?}");
    assert!(
        g.contains("STARTTLS"),
        "plain port must offer STARTTLS: {g:?}"
    );
    assert!(
        server.config_file().starts_with(server.dir()),
        "config must be in the temp dir"
    );
    let conf = std::fs::read_to_string(server.config_file()).unwrap();
    assert!(
        !conf.contains("!include"),
        "must not include the system config"
    );

    // The template matches the installed version: doveconf accepts it without a word.
    let expected = if server.version().starts_with("2.3") {
        Dialect::V23
    } else {
        Dialect::V24
    };
    assert_eq!(server.dialect(), expected, "version {}", server.version());
    let doveconf = std::process::Command::new("doveconf")
        .arg("-n")
        .arg("-c")
        .arg(server.config_file())
        .output()
        .expect("run doveconf");
    let stderr = String::from_utf8_lossy(&doveconf.stderr);
    assert!(
        doveconf.status.success() && stderr.trim().is_empty(),
        "{stderr}\n{conf}"
    );
    let log = server.log();
    assert!(
        !log.contains(" Warning: ") && server.errors().is_empty(),
        "{log}"
    );
}

#[test]
fn plaintext_login_with_passwd_users() {
    let server = Dovecot::start();
    for user in USERS {
        let out = server.imap_raw_as(user, "secret", &["SELECT INBOX"]);
        assert!(out.contains("a1 OK [READ-WRITE]"), "{user}: {out}");
    }
    // A wrong password is refused (the helper panics on a failed LOGIN, so talk directly).
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    stream
        .write_all(b"x LOGIN ap@example.test wrong\r\n")
        .unwrap();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("x NO"),
        "wrong password accepted: {line:?}"
    );
}

#[test]
fn login_over_implicit_tls_and_starttls_verifies_the_certificate() {
    let server = Dovecot::start();
    let out = server.openssl_imap(Tls::Implicit, &["SELECT INBOX"]);
    assert!(out.contains("L OK"), "{out}");
    assert!(out.contains("a1 OK [READ-WRITE]"), "{out}");
    assert!(
        !out.contains("STARTTLS"),
        "the IMAPS port is already TLS: {out}"
    );

    let out = server.openssl_imap(Tls::StartTls, &["NOOP"]);
    assert!(out.contains("L OK") && out.contains("a1 OK"), "{out}");

    let pem = std::fs::read_to_string(server.ca_file()).unwrap();
    assert!(pem.contains("BEGIN CERTIFICATE"), "{pem}");
}

#[test]
fn tls_with_another_ca_file_fails_verification() {
    // The negative of the test above: trusting a different instance's certificate must fail,
    // or the verification proves nothing.
    let a = Dovecot::start();
    let b = Dovecot::start();
    let out = std::process::Command::new("openssl")
        .args(["s_client", "-connect"])
        .arg(format!("127.0.0.1:{}", a.tls_port()))
        .arg("-CAfile")
        .arg(b.ca_file())
        .args(["-verify_return_error", "-verify_ip", "127.0.0.1"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a foreign CA was accepted:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn hiding_move_removes_it_from_capabilities() {
    let normal = Dovecot::start();
    let caps = normal.capabilities();
    assert!(caps.iter().any(|c| c == "MOVE"), "{caps:?}");
    assert!(caps.iter().any(|c| c == "IDLE"), "{caps:?}");

    let server = Dovecot::start_with(Options::new().without_move());
    let caps = server.capabilities();
    assert!(
        !caps.iter().any(|c| c == "MOVE"),
        "MOVE still advertised: {caps:?}"
    );
    assert!(
        caps.iter().any(|c| c == "UIDPLUS"),
        "too much hidden: {caps:?}"
    );
    // The greeting and the LOGIN response carry the list too.
    let g = greeting(server.port());
    assert!(
        g.contains("[CAPABILITY IMAP4rev1") && !g.contains(" MOVE"),
        "{g}"
    );
    let login = login_response(server.port());
    assert!(
        login.starts_with("L OK [CAPABILITY IMAP4rev1") && !login.contains(" MOVE"),
        "{login}"
    );
}

#[test]
fn hiding_condstore_and_idle() {
    let server = Dovecot::start_with(Options::new().without_condstore().without_idle());
    let caps = server.capabilities();
    for gone in ["CONDSTORE", "QRESYNC", "IDLE"] {
        assert!(
            !caps.iter().any(|c| c == gone),
            "{gone} still there: {caps:?}"
        );
    }
    assert!(caps.iter().any(|c| c == "MOVE"), "{caps:?}");
    let g = greeting(server.port());
    assert!(!g.contains(" IDLE"), "IDLE in greeting: {g}");
}

#[test]
fn exact_capability_list() {
    let server = Dovecot::start_with(Options::new().exact_capabilities(&["IMAP4rev1", "UIDPLUS"]));
    assert_eq!(server.capabilities(), ["IMAP4rev1", "UIDPLUS"]);
}

#[test]
#[should_panic(expected = "does not advertise")]
fn hiding_an_unknown_capability_is_an_error() {
    let _ = Dovecot::start_with(Options::new().without(&["CONDSTOR"]));
}

#[test]
fn delivered_mail_shows_up() {
    let server = Dovecot::start();
    let before = server.imap_raw(&["SELECT INBOX"]);
    assert_eq!(exists(&before), 0, "{before}");

    let file = server.deliver(server.user(), "INBOX", MESSAGE);
    assert!(file.starts_with(server.maildir(server.user()).join("new")));
    let out = server.imap_raw(&[
        "SELECT INBOX",
        "FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
    ]);
    assert_eq!(exists(&out), 1, "{out}");
    assert!(out.contains("Subject: Invoice INV-1001 overdue"), "{out}");

    // Only that user got it.
    let other = server.imap_raw_as(USERS[1], "secret", &["SELECT INBOX"]);
    assert_eq!(exists(&other), 0, "{other}");

    // Other folders are Maildir++ `.Name` directories.
    server.deliver(server.user(), "Archive", MESSAGE);
    server.deliver(server.user(), "Archive", MESSAGE);
    assert!(server.maildir(server.user()).join(".Archive/new").is_dir());
    let out = server.imap_raw(&["LIST \"\" *", "SELECT Archive"]);
    assert!(out.contains("Archive"), "{out}");
    assert_eq!(exists(&out), 2, "{out}");
    assert_eq!(server.errors(), Vec::<String>::new(), "{}", server.log());
}

#[test]
fn another_client_sees_flag_changes() {
    let server = Dovecot::start();
    server.deliver(server.user(), "INBOX", MESSAGE);
    let stored = server.imap_raw(&["SELECT INBOX", "STORE 1 +FLAGS (\\Seen \\Flagged)"]);
    assert!(stored.contains("a2 OK"), "{stored}");
    let out = server.imap_raw(&["SELECT INBOX", "FETCH 1 FLAGS"]);
    assert_eq!(fetched_flags(&out), ["\\Flagged", "\\Seen"], "{out}");
}

#[test]
fn literals_in_responses_are_read_whole() {
    let server = Dovecot::start();
    server.deliver(server.user(), "INBOX", MESSAGE);
    let out = server.imap_raw(&["SELECT INBOX", "FETCH 1 BODY.PEEK[]", "NOOP"]);
    assert!(out.contains("Please pay invoice INV-1001."), "{out}");
    assert!(out.contains("a3 OK"), "{out}");
}

#[test]
fn restart_keeps_mail_and_ports() {
    let mut server = Dovecot::start();
    let (port, tls_port) = (server.port(), server.tls_port());
    let first_pid = server.pid().unwrap();
    server.deliver(server.user(), "INBOX", MESSAGE);
    let out = server.imap_raw(&["SELECT INBOX", "STORE 1 +FLAGS (\\Seen)"]);
    assert_eq!(exists(&out), 1, "{out}");

    server.restart();
    assert_ne!(server.pid().unwrap(), first_pid, "not a new process");
    assert_eq!((server.port(), server.tls_port()), (port, tls_port));
    let out = server.imap_raw(&["SELECT INBOX", "FETCH 1 FLAGS"]);
    assert_eq!(exists(&out), 1, "{out}");
    assert_eq!(
        fetched_flags(&out),
        ["\\Seen"],
        "flag lost across restart: {out}"
    );

    // Stopped means stopped: nothing answers, then a restart brings it back.
    server.stop();
    assert!(!server.is_running());
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still listening"
    );
    server.deliver(server.user(), "INBOX", MESSAGE);
    server.restart();
    let out = server.imap_raw(&["SELECT INBOX"]);
    assert_eq!(exists(&out), 2, "{out}");
    assert_eq!(server.errors(), Vec::<String>::new(), "{}", server.log());
}

#[test]
fn kill_hard_then_restart() {
    let mut server = Dovecot::start();
    server.deliver(server.user(), "INBOX", MESSAGE);
    let pid = server.pid().unwrap();
    server.kill_hard();
    assert!(!server.is_running());
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| s.contains(") Z"))
                .unwrap_or(true),
        "master {pid} still alive"
    );
    assert!(TcpStream::connect(("127.0.0.1", server.port())).is_err());
    server.restart();
    let out = server.imap_raw(&["SELECT INBOX"]);
    assert_eq!(exists(&out), 1, "{out}");
    assert_eq!(server.errors(), Vec::<String>::new(), "{}", server.log());
}

#[test]
fn two_instances_run_side_by_side() {
    let a = Dovecot::start();
    let b = Dovecot::start();
    let mut ports = vec![a.port(), a.tls_port(), b.port(), b.tls_port()];
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), 4, "ports shared");
    assert_ne!(a.dir(), b.dir());
    a.deliver(a.user(), "INBOX", MESSAGE);
    assert_eq!(exists(&a.imap_raw(&["SELECT INBOX"])), 1);
    assert_eq!(
        exists(&b.imap_raw(&["SELECT INBOX"])),
        0,
        "instances share data"
    );
}

#[test]
fn lmtp_delivers_into_the_maildir() {
    let server = Dovecot::start_with(Options::new().with_lmtp());
    assert!(server.lmtp_socket().exists(), "no LMTP socket");
    let stream = TcpStream::connect(("127.0.0.1", server.lmtp_port())).expect("LMTP port");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    let mut read_reply = || {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return all;
            }
        }
    };
    assert!(read_reply().starts_with("220"));
    for (cmd, code) in [
        ("LHLO test.local", "250"),
        ("MAIL FROM:<billing@supplier.test>", "250"),
        ("RCPT TO:<ap@northwind.test>", "250"),
        ("DATA", "354"),
    ] {
        w.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
        let reply = read_reply();
        assert!(reply.starts_with(code), "{cmd}: {reply}");
    }
    w.write_all(MESSAGE).unwrap();
    w.write_all(b".\r\n").unwrap();
    let reply = read_reply();
    assert!(reply.starts_with("250"), "DATA end: {reply}");
    w.write_all(b"QUIT\r\n").unwrap();

    let out = server.imap_raw_as(USERS[1], "secret", &["SELECT INBOX"]);
    assert_eq!(exists(&out), 1, "{out}");
}
