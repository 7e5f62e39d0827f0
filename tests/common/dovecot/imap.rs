//! The Dovecot harness's own little IMAP clients (plaintext and `openssl s_client`), for assertions
//! independent of duebox.

use super::*;

impl Dovecot {
    /// Logs in as [`Dovecot::user`] over plaintext IMAP, runs `commands` (tagged `a1`, `a2`, …
    /// in order), logs out, and returns every line the server sent for those commands (untagged
    /// data, continuation requests and the tagged completions, CRLFs kept; literals inline).
    /// Meant for a second, independent client in assertions; panics on a failed login or a
    /// server that stops answering. Not for IDLE. Literals in a command are sent with the
    /// command; prefer the non-synchronising `{N+}` form.
    pub fn imap_raw(&self, commands: &[&str]) -> String {
        self.imap_raw_as(self.user(), PASSWORD, commands)
    }

    /// [`Dovecot::imap_raw`] as another user.
    pub fn imap_raw_as(&self, user: &str, password: &str, commands: &[&str]) -> String {
        let mut conn = RawImap::connect(self.port());
        let login = conn.command(
            "L",
            &format!("LOGIN {} {}", imap_quote(user), imap_quote(password)),
        );
        if !tagged_ok(&login, "L") {
            panic!(
                "LOGIN {user} failed on 127.0.0.1:{}:\n{login}\n--- dovecot log (tail) ---\n{}",
                self.port(),
                self.log_tail(30)
            );
        }
        let mut out = String::new();
        for (i, cmd) in commands.iter().enumerate() {
            out.push_str(&conn.command(&format!("a{}", i + 1), cmd));
        }
        conn.command("Z", "LOGOUT");
        out
    }

    /// The capabilities advertised after LOGIN, as `CAPABILITY` lists them.
    pub fn capabilities(&self) -> Vec<String> {
        let out = self.imap_raw(&["CAPABILITY"]);
        let line = out
            .lines()
            .find(|l| l.starts_with("* CAPABILITY "))
            .unwrap_or_else(|| panic!("no CAPABILITY line in:\n{out}"));
        line["* CAPABILITY ".len()..]
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }

    /// Talks IMAP over TLS through `openssl s_client`, verifying the server against
    /// [`Dovecot::ca_file`] and 127.0.0.1: logs in as [`Dovecot::user`], sends `commands`
    /// (tagged `a1`, `a2`, …), logs out and returns everything the server sent, greeting
    /// included. A TLS or verification failure panics with s_client's output.
    pub fn openssl_imap(&self, mode: Tls, commands: &[&str]) -> String {
        let mut cmd = Command::new("openssl");
        cmd.arg("s_client").arg("-quiet");
        match mode {
            Tls::Implicit => cmd
                .arg("-connect")
                .arg(format!("127.0.0.1:{}", self.tls_port())),
            Tls::StartTls => cmd
                .args(["-starttls", "imap", "-connect"])
                .arg(format!("127.0.0.1:{}", self.port())),
        };
        cmd.arg("-CAfile").arg(self.ca_file()).args([
            "-verify_return_error",
            "-verify_ip",
            "127.0.0.1",
        ]);
        let mut script = format!(
            "L LOGIN {} {}\r\n",
            imap_quote(self.user()),
            imap_quote(PASSWORD)
        );
        for (i, c) in commands.iter().enumerate() {
            let _ = write!(script, "a{} {c}\r\n", i + 1);
        }
        script.push_str("Z LOGOUT\r\n");
        let out = run_with_input(cmd, script.as_bytes(), IO_TIMEOUT);
        if !out.status_ok || !out.stdout.contains("Z OK") {
            panic!(
                "IMAP over TLS ({mode:?}) to 127.0.0.1 failed (s_client ok: {}):\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- dovecot log (tail) ---\n{}",
                out.status_ok,
                out.stdout,
                out.stderr,
                self.log_tail(30)
            );
        }
        out.stdout
    }
}

/// A tiny blocking IMAP client: one command at a time, reading to its tagged completion.
pub(super) struct RawImap {
    reader: BufReader<TcpStream>,
    transcript: String,
}

impl RawImap {
    pub(super) fn connect(port: u16) -> RawImap {
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e}"));
        stream
            .set_read_timeout(Some(IO_TIMEOUT))
            .expect("set_read_timeout");
        let mut conn = RawImap {
            reader: BufReader::new(stream),
            transcript: String::new(),
        };
        loop {
            let line = conn.read_response_line();
            if line.starts_with("* OK Waiting") {
                continue;
            }
            assert!(
                line.starts_with("* OK"),
                "unexpected IMAP greeting from 127.0.0.1:{port}: {line:?}"
            );
            break;
        }
        conn
    }

    /// Sends `TAG COMMAND` and returns every line up to and including the tagged completion.
    pub(super) fn command(&mut self, tag: &str, command: &str) -> String {
        let line = format!("{tag} {command}\r\n");
        self.transcript.push_str(&format!("C: {line}"));
        if let Err(e) = self.reader.get_mut().write_all(line.as_bytes()) {
            panic!("IMAP write failed: {e}\n{}", self.transcript);
        }
        let mut out = String::new();
        loop {
            let resp = self.read_response_line();
            out.push_str(&resp);
            if resp.starts_with(&format!("{tag} ")) {
                return out;
            }
        }
    }

    /// One response line, with any literals (`{N}\r\n` + N bytes) it carries.
    pub(super) fn read_response_line(&mut self) -> String {
        let mut out = String::new();
        loop {
            let mut line = Vec::new();
            match self.reader.read_until(b'\n', &mut line) {
                Ok(0) => panic!(
                    "the IMAP server closed the connection\n{}{}",
                    self.transcript, out
                ),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    panic!(
                        "no IMAP response within {IO_TIMEOUT:?}\n{}{}",
                        self.transcript, out
                    )
                }
                Err(e) => panic!("IMAP read failed: {e}\n{}{}", self.transcript, out),
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            out.push_str(&text);
            let trimmed = text.trim_end_matches(['\r', '\n']);
            let literal = trimmed
                .strip_suffix('}')
                .and_then(|t| t.rfind('{').map(|i| &t[i + 1..]))
                .and_then(|n| n.parse::<usize>().ok());
            match literal {
                Some(n) => {
                    let mut buf = vec![0; n];
                    if let Err(e) = self.reader.read_exact(&mut buf) {
                        panic!("IMAP literal read failed: {e}\n{}{}", self.transcript, out);
                    }
                    out.push_str(&String::from_utf8_lossy(&buf));
                }
                None => {
                    self.transcript.push_str(&format!("S: {out}"));
                    return out;
                }
            }
        }
    }
}

pub(super) fn imap_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub(super) fn tagged_ok(response: &str, tag: &str) -> bool {
    response
        .lines()
        .any(|l| l.starts_with(&format!("{tag} OK")))
}
