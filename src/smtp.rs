//! Sending over SMTP with lettre (no async runtime; rustls like the IMAP side): implicit TLS
//! or STARTTLS, password or XOAUTH2 (a token command, or the `duebox login` sign-in, renewed
//! once after a refused login) from the config, a CA file for self-signed servers. The
//! `Transport` trait is the one seam: the demo's outbox and the unit tests use another.

use crate::config::{self, SecretKeys, Security};
use crate::imap::account::{secret, SecretError};
use crate::imap::Secret;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{SmtpTransport, Transport as _};
use std::path::PathBuf;
use std::time::Duration;

/// Hands a finished message to a mail server.
pub trait Transport: Send {
    /// Sends `raw` from `from` to `to`; returns the server's words on acceptance.
    fn send(&mut self, from: &str, to: &str, raw: &[u8]) -> Result<String, SendError>;
    /// Whether mail really leaves (false for the demo's outbox).
    fn delivers(&self) -> bool {
        true
    }
}

/// Why a message was not sent, in words for the user.
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
    #[error("the connection to the SMTP server {server} broke while sending ({reason}): the server may or may not have the message")]
    Interrupted { server: String, reason: String },
    #[error("{0}")]
    Setup(String),
}

impl SendError {
    /// Whether the server certainly does not have the message: false only when the
    /// connection broke mid-session, after which nobody can say without looking.
    pub fn certainly_not_sent(&self) -> bool {
        !matches!(self, SendError::Interrupted { .. })
    }
}

/// The outgoing server, with its secret.
#[derive(Clone)]
pub struct SmtpAccount {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub login: String,
    pub secret: Secret,
    pub ca_file: Option<PathBuf>,
    /// The name we greet with (our mail domain).
    pub hello: String,
}

impl std::fmt::Debug for SmtpAccount {
    // The secret never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmtpAccount({}@{}:{})", self.login, self.host, self.port)
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
            Some(o) if keys == SecretKeys::default() => crate::imap::account::oauth2(o, &login)?,
            _ => secret(section, &keys)?,
        };
        Ok(SmtpAccount {
            host: smtp.host.clone(),
            port: smtp.port(),
            security: smtp.security,
            login,
            secret,
            ca_file: smtp.ca_file.clone(),
            hello: hello.to_string(),
        })
    }

    fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// A lettre transport for this account.
    pub fn connect(&self) -> Result<Smtp, SendError> {
        self.connect_with(false)
    }

    /// `renew`: after the server refused the access token, a new one from the provider.
    fn connect_with(&self, renew: bool) -> Result<Smtp, SendError> {
        let tls = || -> Result<TlsParameters, SendError> {
            let mut b = TlsParameters::builder(self.host.clone());
            if let Some(path) = &self.ca_file {
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
        let tls = match self.security {
            Security::Tls => Tls::Wrapper(tls()?),
            Security::Starttls => Tls::Required(tls()?),
            Security::Plain => Tls::None,
        };
        let (credentials, mechanisms) = match &self.secret {
            Secret::Password(p) => (
                Credentials::new(self.login.clone(), p.clone()),
                vec![Mechanism::Plain, Mechanism::Login],
            ),
            Secret::Bearer(token) => (
                Credentials::new(self.login.clone(), token.clone()),
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
                    Credentials::new(self.login.clone(), token),
                    vec![Mechanism::Xoauth2],
                )
            }
        };
        let transport = SmtpTransport::builder_dangerous(self.host.clone())
            .port(self.port)
            .tls(tls)
            .credentials(credentials)
            .authentication(mechanisms)
            .hello_name(ClientId::Domain(self.hello.clone()))
            .timeout(Some(Duration::from_secs(30)))
            .build();
        Ok(Smtp {
            transport,
            server: self.server(),
            renewable: matches!(self.secret, Secret::OAuth2(_)).then(|| Box::new(self.clone())),
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

/// A connection-per-message SMTP sender.
pub struct Smtp {
    transport: SmtpTransport,
    server: String,
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
        match self.transport.test_connection() {
            Ok(true) => Ok(()),
            Ok(false) => Err(SendError::Connect {
                server: self.server.clone(),
                reason: "the server did not answer NOOP".into(),
            }),
            Err(e) => Err(classify_error(&self.server, &e)),
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
        match self.transport.send_raw(&envelope, raw) {
            Ok(response) => Ok(format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            Err(e) => Err(classify_error(&self.server, &e)),
        }
    }
}

fn classify_error(server: &str, e: &lettre::transport::smtp::Error) -> SendError {
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
    let reason = crate::mail::sanitize::one_line(&reason);
    let server = server.to_string();
    // A refused XOAUTH2 token comes back as a 334 challenge carrying the error, which lettre
    // rejects on the client side before the server's 535.
    let auth = e.status().is_some_and(|c| {
        let c = c.to_string();
        c.starts_with("535") || c.starts_with("534") || c.starts_with("530")
    }) || (e.is_client() && reason.contains("does not expect a challenge"));
    if auth {
        SendError::Auth { server, reason }
    } else if e.is_tls() {
        SendError::Tls { server, reason }
    } else if e.is_permanent() {
        SendError::Rejected { server, reason }
    } else if e.is_transient() {
        SendError::Temporary { server, reason }
    } else if e.is_timeout() || reason.starts_with("network error") {
        SendError::Interrupted { server, reason }
    } else {
        SendError::Connect { server, reason }
    }
}
