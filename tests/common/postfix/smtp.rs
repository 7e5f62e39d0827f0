//! The Postfix harness's own SMTP client (plain, STARTTLS or implicit TLS through `openssl
//! s_client`), for tests that speak SMTP themselves.

use super::*;

/// One SMTP reply: its code and the text of each line (code and separator removed). Code 0
/// means the server closed the connection instead of replying.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// The reply's lines joined with newlines, e.g. `2.0.0 Ok: queued as 4Xk...`.
    pub fn text(&self) -> String {
        format!("{} {}", self.code, self.lines.join("\n"))
    }

    /// 2xx or 3xx.
    pub fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }
}

/// Where the session's bytes go: a plain socket, or `openssl s_client`'s stdin/stdout.
pub(super) enum Transport {
    Tcp(BufReader<TcpStream>),
    Openssl {
        child: Child,
        stdin: Option<ChildStdin>,
        lines: Receiver<String>,
        stderr: Arc<Mutex<Vec<u8>>>,
    },
}

/// A small blocking SMTP client session, one command at a time (no pipelining). Over TLS it
/// drives `openssl s_client`, which verifies the server against the harness's certificate and
/// 127.0.0.1.
pub struct SmtpSession {
    transport: Transport,
    extensions: Vec<String>,
    transcript: String,
}

impl SmtpSession {
    pub(super) fn open(port: u16, via: Via, ca_file: &Path) -> Result<SmtpSession, String> {
        let transport = match via {
            Via::Plain => {
                let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                    .map_err(|e| format!("connect to 127.0.0.1:{port}: {e}"))?;
                stream
                    .set_read_timeout(Some(IO_TIMEOUT))
                    .map_err(|e| e.to_string())?;
                Transport::Tcp(BufReader::new(stream))
            }
            Via::StartTls | Via::Implicit => openssl_transport(port, via, ca_file)?,
        };
        let mut s = SmtpSession {
            transport,
            extensions: Vec::new(),
            transcript: String::new(),
        };
        // s_client -starttls reads the greeting (and its own EHLO's reply) itself.
        if via != Via::StartTls {
            let greeting = s.read_reply();
            if greeting.code != 220 {
                return Err(s.failure("no 220 greeting"));
            }
        }
        let ehlo = s.command("EHLO client.example.test");
        if ehlo.code != 250 {
            return Err(s.failure("EHLO refused"));
        }
        s.extensions = ehlo.lines.iter().skip(1).cloned().collect();
        Ok(s)
    }

    /// The EHLO keywords the server offered (after TLS, if any): `PIPELINING`, `AUTH PLAIN
    /// LOGIN`, `STARTTLS`, ...
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// Whether AUTH is offered (Postfix hides it before TLS unless `auth_without_tls`).
    pub fn offers_auth(&self) -> bool {
        self.extensions.iter().any(|e| e.starts_with("AUTH "))
    }

    /// Everything sent and received so far (`C: ` / `S: ` lines; AUTH secrets as sent, in
    /// base64).
    pub fn transcript(&self) -> &str {
        &self.transcript
    }

    /// Sends one command line (without CRLF) and reads the reply.
    pub fn command(&mut self, line: &str) -> Reply {
        self.send_line(line);
        self.read_reply()
    }

    /// AUTH PLAIN with an initial response. 235 on success, 535 for a wrong password.
    pub fn auth_plain(&mut self, user: &str, password: &str) -> Reply {
        let token = base64(format!("\0{user}\0{password}").as_bytes());
        self.command(&format!("AUTH PLAIN {token}"))
    }

    /// AUTH LOGIN, user and password each in answer to a 334 challenge.
    pub fn auth_login(&mut self, user: &str, password: &str) -> Reply {
        let r = self.command("AUTH LOGIN");
        if r.code != 334 {
            return r;
        }
        let r = self.command(&base64(user.as_bytes()));
        if r.code != 334 {
            return r;
        }
        self.command(&base64(password.as_bytes()))
    }

    /// MAIL FROM, RCPT TO for each recipient, DATA and the message (CRLF line ends,
    /// dot-stuffed). Ok: the final reply (250 ... queued as ...). Err: the transcript, at the
    /// first refusal.
    pub fn send_mail(&mut self, from: &str, to: &[&str], message: &[u8]) -> Result<Reply, String> {
        let r = self.command(&format!("MAIL FROM:<{from}>"));
        if r.code != 250 {
            return Err(self.transcript.clone());
        }
        for rcpt in to {
            let r = self.command(&format!("RCPT TO:<{rcpt}>"));
            if r.code != 250 {
                self.command("RSET");
                return Err(self.transcript.clone());
            }
        }
        let r = self.command("DATA");
        if r.code != 354 {
            return Err(self.transcript.clone());
        }
        self.write_raw(&dot_stuff(message));
        self.transcript.push_str(&format!(
            "C: <message, {} bytes>\r\nC: .\r\n",
            message.len()
        ));
        let r = self.read_reply();
        if r.code != 250 {
            return Err(self.transcript.clone());
        }
        Ok(r)
    }

    /// QUIT, and the end of the session.
    pub fn quit(mut self) {
        self.send_line("QUIT");
        let _ = self.read_reply();
    }

    pub(super) fn failure(&mut self, what: &str) -> String {
        let mut s = format!("{what}\n{}", self.transcript);
        if let Transport::Openssl { child, stderr, .. } = &mut self.transport {
            // Give s_client a moment to exit and say why (verification errors and the like).
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                thread::sleep(Duration::from_millis(20));
            }
            let err = stderr.lock().map(|e| e.clone()).unwrap_or_default();
            s.push_str("--- openssl s_client stderr ---\n");
            s.push_str(&String::from_utf8_lossy(&err));
        }
        s
    }

    pub(super) fn send_line(&mut self, line: &str) {
        self.transcript.push_str(&format!("C: {line}\r\n"));
        self.write_raw(format!("{line}\r\n").as_bytes());
    }

    pub(super) fn write_raw(&mut self, bytes: &[u8]) {
        let result = match &mut self.transport {
            Transport::Tcp(r) => r.get_mut().write_all(bytes),
            Transport::Openssl { stdin, .. } => match stdin.as_mut() {
                Some(w) => w.write_all(bytes).and_then(|_| w.flush()),
                None => Err(io::Error::other("stdin closed")),
            },
        };
        if let Err(e) = result {
            // The reply read next reports the closed connection (code 0).
            self.transcript
                .push_str(&format!("(write failed: {e})\r\n"));
        }
    }

    /// One reply, all its lines (`250-...` continued, `250 ...` last).
    pub(super) fn read_reply(&mut self) -> Reply {
        let mut lines = Vec::new();
        loop {
            let Some(line) = self.read_line() else {
                self.transcript.push_str("S: (connection closed)\r\n");
                return Reply {
                    code: 0,
                    lines: vec!["connection closed".into()],
                };
            };
            self.transcript.push_str(&format!("S: {line}\r\n"));
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let Some(code) = code else {
                panic!("not an SMTP reply line: {line:?}\n{}", self.transcript);
            };
            lines.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Reply { code, lines };
            }
        }
    }

    /// One line without its CRLF; None at the end of the connection.
    pub(super) fn read_line(&mut self) -> Option<String> {
        let line = match &mut self.transport {
            Transport::Tcp(r) => {
                let mut buf = Vec::new();
                match r.read_until(b'\n', &mut buf) {
                    Ok(0) => return None,
                    Ok(_) => String::from_utf8_lossy(&buf).into_owned(),
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        panic!("no SMTP reply within {IO_TIMEOUT:?}\n{}", self.transcript)
                    }
                    Err(_) => return None,
                }
            }
            Transport::Openssl { lines, .. } => match lines.recv_timeout(IO_TIMEOUT) {
                Ok(l) => l,
                Err(RecvTimeoutError::Disconnected) => return None,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no SMTP reply within {IO_TIMEOUT:?}\n{}", self.transcript)
                }
            },
        };
        Some(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

impl Drop for SmtpSession {
    fn drop(&mut self) {
        if let Transport::Openssl { child, stdin, .. } = &mut self.transport {
            drop(stdin.take());
            let deadline = Instant::now() + Duration::from_millis(500);
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `openssl s_client` connected to 127.0.0.1:port, verifying the server certificate against
/// `ca_file` and the IP address; its output arrives line by line on a channel.
pub(super) fn openssl_transport(port: u16, via: Via, ca_file: &Path) -> Result<Transport, String> {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-quiet"]);
    if via == Via::StartTls {
        cmd.args(["-starttls", "smtp"]);
    }
    cmd.arg("-connect")
        .arg(format!("127.0.0.1:{port}"))
        .arg("-CAfile")
        .arg(ca_file)
        .args(["-verify_return_error", "-verify_ip", "127.0.0.1"]);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn openssl s_client: {e}"))?;
    let stdin = child.stdin.take();
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || loop {
        let mut buf = Vec::new();
        match out.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if tx.send(String::from_utf8_lossy(&buf).into_owned()).is_err() {
                    return;
                }
            }
        }
    });
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&stderr);
    thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        loop {
            match err_pipe.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if let Ok(mut s) = sink.lock() {
                        s.extend_from_slice(&chunk[..n]);
                    }
                }
            }
        }
    });
    Ok(Transport::Openssl {
        child,
        stdin,
        lines: rx,
        stderr,
    })
}

/// The message as DATA sends it: CRLF line ends, leading dots doubled, `.` line at the end.
pub(super) fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    let body = message.strip_suffix(b"\n").unwrap_or(message);
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(b".") {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Standard base64 with padding.
pub(super) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
