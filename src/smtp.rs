//! Sending over SMTP with lettre (no async runtime; rustls like the IMAP side): implicit TLS
//! or STARTTLS, password or XOAUTH2 (a token command, or the `duebox login` sign-in, renewed
//! once after a refused login) from the config, a CA file for self-signed servers. The
//! `Transport` trait is the one seam: the demo's outbox and the unit tests use another.
//!
//! The session is driven step by step (lettre's `SmtpConnection`), so that every error is
//! known by the step it happened in: before the message's bytes went out the server
//! provably does not have it; after them only a refusal proves that, and anything else
//! (a timeout, a dropped connection, a garbled answer) is an unknown outcome — never "failed".

use crate::account::{secret, SecretError};
use crate::account::{Account, Secret};
use crate::config::{self, SecretKeys, Security};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use std::time::Duration;

/// The message after DATA, dot-stuffed and with its terminating `<CRLF>.<CRLF>`, sent as one
/// write. lettre's `message` writes the terminator apart, and lettre neither sets TCP_NODELAY
/// nor lets a caller reach its socket, so Nagle's algorithm held that small second segment
/// until the server's delayed ACK: ~40 ms on every reply. `command` writes what it displays at
/// once. The bytes are lettre's own (same transparency rule, same terminator); a message that
/// is not UTF-8 cannot be displayed and goes lettre's way.
struct DataBody(String);

impl DataBody {
    fn of(raw: &[u8]) -> Option<DataBody> {
        let text = std::str::from_utf8(raw).ok()?;
        let mut out = String::with_capacity(text.len() + text.len() / 64 + 5);
        // A dot is doubled at the start of a line, a line starting after CRLF (as lettre's
        // codec: a bare LF does not start one).
        let (mut line_start, mut after_cr) = (true, false);
        for ch in text.chars() {
            if ch == '.' && line_start {
                out.push('.');
            }
            out.push(ch);
            line_start = ch == '\n' && after_cr;
            after_cr = ch == '\r';
        }
        out.push_str("\r\n.\r\n");
        Some(DataBody(out))
    }
}

impl std::fmt::Display for DataBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hands a finished message to a mail server.
pub trait Transport: Send {
    /// Sends `raw` from `from` to `to`; returns the server's words on acceptance.
    fn send(&mut self, from: &str, to: &str, raw: &[u8]) -> Result<String, SendError>;
    /// Whether mail really leaves (false for the demo's outbox).
    fn delivers(&self) -> bool {
        true
    }
}

/// Why a message was not sent, or why nobody knows whether it was, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("cannot reach the SMTP server {server}: {reason}; check [smtp] host and port, and the network")]
    Connect { server: String, reason: String },
    #[error("TLS with the SMTP server {server} failed: {reason}; for a self-signed certificate set [smtp] ca_file")]
    Tls { server: String, reason: String },
    #[error("the SMTP server {server} refused the login: {reason}; check [smtp] login and the password command")]
    Auth { server: String, reason: String },
    #[error("the SMTP server {server} refused the message: {reason}")]
    Rejected { server: String, reason: String },
    #[error("the SMTP server {server} could not take the message now: {reason}; try again later")]
    Temporary { server: String, reason: String },
    /// The connection broke before the message's bytes were sent: the server cannot have it.
    #[error("the connection to the SMTP server {server} broke before the message was handed over ({reason}); it was not sent")]
    Dropped { server: String, reason: String },
    /// After the message's bytes went out, no answer that proves anything came back.
    #[error("the SMTP server {server} took the message's text but its answer never came ({reason}): the server may or may not have the message")]
    Unknown { server: String, reason: String },
    #[error("{0}")]
    Setup(String),
}

impl SendError {
    /// Whether the server provably does not have the message: a refusal, or a session that
    /// ended before the message's text was handed over. False only for [`SendError::Unknown`].
    pub fn not_sent(&self) -> bool {
        !matches!(self, SendError::Unknown { .. })
    }
}

/// The outgoing server, with its secret.
#[derive(Clone)]
pub struct SmtpAccount {
    /// Host, port, security, login and secret: the same account type IMAP uses.
    pub server: Account,
    /// The name we greet with (our mail domain).
    pub hello: String,
    /// How long each answer of the server is waited for.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpAccount {
    // The secret never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SmtpAccount({}@{}:{})",
            self.server.login, self.server.host, self.server.port
        )
    }
}

impl SmtpAccount {
    /// The account in `[smtp]`; the login and secret default to `[imap]`'s.
    pub fn from_config(config: &config::Config, hello: &str) -> Result<SmtpAccount, SetupError> {
        let smtp = config.smtp.as_ref().ok_or(SetupError::NoSmtp)?;
        // With no secret of its own, [smtp] uses the [imap] account's.
        let (section, keys) = match &config.imap {
            Some(imap) if smtp.secret_keys() == SecretKeys::default() => {
                ("imap", imap.secret_keys())
            }
            _ => ("smtp", smtp.secret_keys()),
        };
        let login = smtp
            .login
            .clone()
            .or_else(|| config.imap.as_ref().map(|i| i.login.clone()))
            .ok_or(SetupError::NoLogin)?;
        // The `duebox login` sign-in serves SMTP too unless [smtp] names its own secret.
        let secret = match &config.oauth2 {
            Some(o) if keys == SecretKeys::default() => crate::account::oauth2(o, &login)?,
            _ => secret(section, &keys)?,
        };
        Ok(SmtpAccount {
            server: Account {
                host: smtp.host.clone(),
                port: smtp.port(),
                security: smtp.security,
                login,
                secret,
                ca_file: smtp.ca_file.clone(),
            },
            hello: hello.to_string(),
            timeout: smtp.timeout(),
        })
    }

    fn server(&self) -> String {
        format!("{}:{}", self.server.host, self.server.port)
    }

    /// A lettre transport for this account.
    pub fn connect(&self) -> Result<Smtp, SendError> {
        self.connect_with(false)
    }

    /// `renew`: after the server refused the access token, a new one from the provider.
    fn connect_with(&self, renew: bool) -> Result<Smtp, SendError> {
        let tls = || -> Result<TlsParameters, SendError> {
            let mut b = TlsParameters::builder(self.server.host.clone());
            if let Some(path) = &self.server.ca_file {
                let pem = std::fs::read(path).map_err(|e| {
                    SendError::Setup(format!(
                        "cannot read [smtp] ca_file {}: {e}",
                        path.display()
                    ))
                })?;
                let cert = Certificate::from_pem(&pem).map_err(|e| {
                    SendError::Setup(format!(
                        "[smtp] ca_file {} is not a PEM certificate: {e}",
                        path.display()
                    ))
                })?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls()
                .map_err(|e| SendError::Setup(format!("TLS setup: {e}")))
        };
        let tls = match self.server.security {
            Security::Tls => Tls::Wrapper(tls()?),
            Security::Starttls => Tls::Required(tls()?),
            Security::Plain => Tls::None,
        };
        let (credentials, mechanisms) = match &self.server.secret {
            Secret::Password(p) => (
                Credentials::new(self.server.login.clone(), p.clone()),
                vec![Mechanism::Plain, Mechanism::Login],
            ),
            Secret::Bearer(token) => (
                Credentials::new(self.server.login.clone(), token.clone()),
                vec![Mechanism::Xoauth2],
            ),
            // lettre speaks XOAUTH2 but not OAUTHBEARER (its Mechanism enum is closed), so
            // SMTP uses XOAUTH2 whatever the server offers; Microsoft and Google take it.
            Secret::OAuth2(login) => {
                let token = if renew {
                    login.refresh()
                } else {
                    login.access_token()
                }
                .map_err(|e| SendError::Setup(e.to_string()))?;
                (
                    Credentials::new(self.server.login.clone(), token),
                    vec![Mechanism::Xoauth2],
                )
            }
        };
        Ok(Smtp {
            host: self.server.host.clone(),
            port: self.server.port,
            tls,
            credentials,
            mechanisms,
            hello: ClientId::Domain(self.hello.clone()),
            timeout: self.timeout,
            server: self.server(),
            connection: None,
            renewable: matches!(self.server.secret, Secret::OAuth2(_))
                .then(|| Box::new(self.clone())),
        })
    }
}

/// Why the SMTP account cannot be set up from the config.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("there is no [smtp] section in the config; add one (see config.example.toml) to send replies")]
    NoSmtp,
    #[error("[smtp] needs login (there is no [imap] login to use)")]
    NoLogin,
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// An SMTP sender that keeps its session open between messages (and opens a new one when
/// the server has closed it meanwhile).
pub struct Smtp {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Credentials,
    mechanisms: Vec<Mechanism>,
    hello: ClientId,
    timeout: Duration,
    server: String,
    connection: Option<SmtpConnection>,
    /// The account again when its token can be renewed after a refusal (`duebox login`).
    renewable: Option<Box<SmtpAccount>>,
}

impl Smtp {
    /// After a refused login with a renewable token: the same transport with a new token.
    /// A refused login means no MAIL FROM was sent, so trying again cannot send twice.
    fn renewed(&self, e: &SendError) -> Option<Result<Smtp, SendError>> {
        match (e, &self.renewable) {
            (SendError::Auth { .. }, Some(account)) => Some(account.connect_with(true)),
            _ => None,
        }
    }
}

/// Where in the session an error happened: it decides what the error proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Connect,
    Tls,
    Login,
    /// MAIL, RCPT, DATA: the message's text has not been sent.
    Envelope,
    /// The message's text and its final dot, and the answer to them.
    Message,
}

impl Smtp {
    /// Connects, greets, upgrades and logs in, then hangs up: `config check`.
    pub fn check(&self) -> Result<(), SendError> {
        match self.check_once() {
            Err(e) => match self.renewed(&e) {
                Some(again) => again?.check_once(),
                None => Err(e),
            },
            ok => ok,
        }
    }

    fn check_once(&self) -> Result<(), SendError> {
        let mut c = self.open()?;
        let _ = c.quit();
        Ok(())
    }

    fn open(&self) -> Result<SmtpConnection, SendError> {
        let wrapper = match &self.tls {
            Tls::Wrapper(p) => Some(p),
            _ => None,
        };
        let step = if wrapper.is_some() {
            Step::Tls
        } else {
            Step::Connect
        };
        let mut c = SmtpConnection::connect(
            (self.host.as_str(), self.port),
            Some(self.timeout),
            &self.hello,
            wrapper,
            None,
        )
        .map_err(|e| self.error(step, &e))?;
        if let Tls::Required(p) | Tls::Opportunistic(p) = &self.tls {
            if matches!(self.tls, Tls::Required(_)) || c.can_starttls() {
                c.starttls(p, &self.hello)
                    .map_err(|e| self.error(Step::Tls, &e))?;
            }
        }
        c.auth(&self.mechanisms, &self.credentials)
            .map_err(|e| self.error(Step::Login, &e))?;
        Ok(c)
    }

    /// MAIL, RCPT and DATA, then the message: the step of any failure comes back with it.
    fn transaction(
        c: &mut SmtpConnection,
        envelope: &Envelope,
        raw: &[u8],
    ) -> Result<String, (Step, lettre::transport::smtp::Error)> {
        let mut options = Vec::new();
        if !raw.is_ascii() && c.server_info().supports_feature(Extension::EightBitMime) {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let non_ascii = envelope
            .to()
            .iter()
            .chain(envelope.from())
            .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii && c.server_info().supports_feature(Extension::SmtpUtfEight) {
            options.push(MailParameter::SmtpUtfEight);
        }
        let envelope_step = |e| (Step::Envelope, e);
        c.command(Mail::new(envelope.from().cloned(), options))
            .map_err(envelope_step)?;
        for to in envelope.to() {
            c.command(Rcpt::new(to.clone(), vec![]))
                .map_err(envelope_step)?;
        }
        c.command(Data).map_err(envelope_step)?;
        let response = match DataBody::of(raw) {
            // One write: see `DataBody`.
            Some(body) => c.command(body),
            None => c.message(raw),
        }
        .map_err(|e| (Step::Message, e))?;
        Ok(format!(
            "{} {}",
            response.code(),
            response.message().collect::<Vec<_>>().join(" ")
        ))
    }

    /// What an error proves, by the step it happened in and lettre's kind of error.
    fn error(&self, step: Step, e: &lettre::transport::smtp::Error) -> SendError {
        let reason = if timed_out(e) {
            format!("no answer within {} s", self.timeout.as_secs())
        } else {
            reason(e)
        };
        let server = self.server.clone();
        let refused = e.is_permanent() || e.is_transient();
        match step {
            // A refused XOAUTH2 token comes back as a 334 challenge carrying the error,
            // which lettre rejects on the client side before the server's 535.
            Step::Login if refused || e.is_client() => SendError::Auth { server, reason },
            Step::Connect | Step::Login if e.is_tls() => SendError::Tls { server, reason },
            Step::Tls => SendError::Tls { server, reason },
            Step::Connect | Step::Login => SendError::Connect { server, reason },
            // A refusal at any step, the end of the message included, means not taken.
            Step::Envelope | Step::Message if e.is_permanent() => {
                SendError::Rejected { server, reason }
            }
            Step::Envelope | Step::Message if e.is_transient() => {
                SendError::Temporary { server, reason }
            }
            Step::Envelope => SendError::Dropped { server, reason },
            Step::Message => SendError::Unknown { server, reason },
        }
    }
}

impl Transport for Smtp {
    fn send(&mut self, from: &str, to: &str, raw: &[u8]) -> Result<String, SendError> {
        if let Some(account) = &self.renewable {
            // A transport made long ago (the UI's) would carry a stale token.
            *self = account.connect()?;
        }
        match self.send_once(from, to, raw) {
            Err(e) => match self.renewed(&e) {
                Some(again) => {
                    *self = again?;
                    self.send_once(from, to, raw)
                }
                None => Err(e),
            },
            ok => ok,
        }
    }
}

impl Smtp {
    fn send_once(&mut self, from: &str, to: &str, raw: &[u8]) -> Result<String, SendError> {
        let parse = |a: &str| {
            a.parse::<lettre::Address>()
                .map_err(|_| SendError::Setup(format!("'{a}' is not a mail address")))
        };
        let envelope = Envelope::new(Some(parse(from)?), vec![parse(to)?])
            .map_err(|e| SendError::Setup(format!("bad envelope: {e}")))?;
        // A kept session may have been closed by the server meanwhile; that shows before
        // the message's text is sent, so one fresh session is tried then.
        let mut fresh = self.connection.is_none();
        loop {
            let mut c = match self.connection.take() {
                Some(c) => c,
                None => self.open()?,
            };
            match Smtp::transaction(&mut c, &envelope, raw) {
                Ok(words) => {
                    self.connection = Some(c);
                    return Ok(words);
                }
                Err((Step::Envelope, e)) if !fresh && closed(&e) => {
                    c.abort();
                    fresh = true;
                }
                Err((step, e)) => {
                    let error = self.error(step, &e);
                    if e.is_permanent() || e.is_transient() {
                        // The session is still in step after a refusal: RSET and keep it.
                        if c.command(lettre::transport::smtp::commands::Rset).is_ok() {
                            self.connection = Some(c);
                        }
                    } else {
                        c.abort();
                    }
                    return Err(error);
                }
            }
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        if let Some(mut c) = self.connection.take() {
            let _ = c.quit();
        }
    }
}

/// Whether the socket's read timeout ran out (the kernel says EAGAIN or ETIMEDOUT).
fn timed_out(e: &lettre::transport::smtp::Error) -> bool {
    use std::error::Error as _;
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            );
        }
        source = s.source();
    }
    false
}

/// Whether an error says the session is gone (rather than that the server refused).
fn closed(e: &lettre::transport::smtp::Error) -> bool {
    let refused = e.is_permanent() || e.is_transient();
    // 421: the server is closing the session.
    !refused || e.status().is_some_and(|c| c.to_string() == "421")
}

/// lettre's error and its causes, on one line.
fn reason(e: &lettre::transport::smtp::Error) -> String {
    use std::error::Error as _;
    let mut reason = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !reason.contains(&text) {
            reason = format!("{reason}: {text}");
        }
        source = s.source();
    }
    crate::mail::sanitize::one_line(&reason)
}

#[cfg(test)]
mod tests {
    use super::DataBody;

    #[test]
    fn data_body_is_lettres_bytes_in_one_piece() {
        // lettre's own codec test vector (its parts joined), then its terminator.
        let raw = ".\r\ntest\r\ntest\r\n\r\n.\r\n\r\ntestte\r\n.\r\nsttesttest.test\n.test\ntesttesttest\r\n.test\r\ntest.\r\n";
        let want = "..\r\ntest\r\ntest\r\n\r\n..\r\n\r\ntestte\r\n..\r\nsttesttest.test\n.test\ntesttesttest\r\n..test\r\ntest.\r\n\r\n.\r\n";
        assert_eq!(DataBody::of(raw.as_bytes()).unwrap().to_string(), want);
        assert_eq!(
            DataBody::of("Grüße\r\n.é\r\r\n.".as_bytes())
                .unwrap()
                .to_string(),
            "Grüße\r\n..é\r\r\n..\r\n.\r\n"
        );
        assert!(DataBody::of(b"caf\xe9\r\n").is_none());
    }
}
