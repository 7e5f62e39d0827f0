//! The IMAP layer: connects (TLS, STARTTLS, or plain to loopback), logs in (password, or a
//! token with OAUTHBEARER or XOAUTH2), and implements the sync engine's `MailServer` over the `imap` crate. Every
//! failure says which step failed (DNS, TCP, TLS certificate, login, capability), because
//! that is what a user can act on.

pub mod account;
pub mod sasl;
pub mod tls;

use crate::config::{is_loopback, Security};
use crate::sync::server::{
    uid_set, Capabilities, Fetched, FolderState, Identified, MailServer, ServerError, ServerResult,
};
use sasl::{authenticate, token_mechanism};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;
use tls::Stream;

/// Messages larger than this are fetched only this far: enough for headers and text parts;
/// attachments further on are fetched when the user asks for them.
pub const FETCH_LIMIT: u32 = 256 * 1024;

/// How long a connection attempt or a silent server is waited for.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(30);

/// The login secret, never printed.
#[derive(Clone)]
pub enum Secret {
    Password(String),
    /// An OAuth2 access token from `oauth2_token_cmd`, sent with OAUTHBEARER or XOAUTH2.
    Bearer(String),
    /// A `duebox login` sign-in: its access token is renewed before expiry and after a refusal.
    OAuth2(Box<crate::oauth::Login>),
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Password(_) => f.write_str("Password(<hidden>)"),
            Secret::Bearer(_) => f.write_str("Bearer(<hidden>)"),
            Secret::OAuth2(login) => write!(f, "{login:?}"),
        }
    }
}

/// Everything needed to reach and log in to the mailbox.
#[derive(Debug, Clone)]
pub struct Account {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub login: String,
    pub secret: Secret,
    pub ca_file: Option<PathBuf>,
}

/// Which step of connecting failed, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot resolve the IMAP host '{host}': {reason}; check [imap] host and the network")]
    Dns { host: String, reason: String },
    #[error("cannot connect to {addr}: {reason}; check [imap] host and port, and that the server is running")]
    Tcp { addr: String, reason: String },
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("the server did not accept STARTTLS ({0}); use security = \"tls\" with port 993, or check the server")]
    StartTls(String),
    #[error("security = \"plain\" is allowed only to a loopback host, not {0}")]
    PlainNotLoopback(String),
    #[error("login as '{login}' was refused: {reason}; check [imap] login and the password (or token) command")]
    Auth { login: String, reason: String },
    #[error("IMAP error while connecting: {0}")]
    Protocol(String),
    #[error(transparent)]
    SignIn(#[from] crate::oauth::Error),
}

impl ConnectError {
    /// Whether only a new `duebox login` can help.
    pub fn needs_login(&self) -> bool {
        matches!(self, ConnectError::SignIn(e) if e.needs_login())
    }
}

/// A logged-in IMAP session.
pub struct Imap {
    session: imap::Session<Stream>,
    caps: Capabilities,
    delimiter: String,
    /// A second handle on the socket, to interrupt a blocked IDLE from a signal handler.
    socket: TcpStream,
}

fn protocol(e: imap::Error) -> ServerError {
    ServerError::new(format!("IMAP error: {e}"))
}

/// Runs a command on messages that another client may expunge or move at any moment. A
/// `NO` (Dovecot's `[EXPUNGEISSUED]`, or a refusal of part of a UID set) is answered with a
/// NOOP, which brings the expunges into our view, and one more try; a second `NO` is
/// reported as vanished messages, never as a broken connection.
fn on_messages<T>(
    session: &mut imap::Session<Stream>,
    mut command: impl FnMut(&mut imap::Session<Stream>) -> imap::Result<T>,
) -> ServerResult<T> {
    match command(session) {
        Err(imap::Error::No(_)) => {
            session.noop().map_err(protocol)?;
            command(session).map_err(|e| match e {
                imap::Error::No(no) => ServerError::vanished(format!(
                    "some messages no longer exist: {}",
                    crate::mail::sanitize::one_line(&no.to_string())
                )),
                e => protocol(e),
            })
        }
        other => other.map_err(protocol),
    }
}

/// Reads one CRLF-terminated line straight from the socket (before the client owns it).
fn read_line(tcp: &mut TcpStream) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\n") && line.len() < 8192 {
        if tcp.read(&mut byte)? == 0 {
            break;
        }
        line.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_string())
}

/// Asks a plain connection to switch to TLS, reading the greeting first.
fn starttls(tcp: &mut TcpStream) -> Result<(), ConnectError> {
    let io = |e: std::io::Error| ConnectError::StartTls(e.to_string());
    let greeting = read_line(tcp).map_err(io)?;
    if !greeting.starts_with("* OK") {
        return Err(ConnectError::StartTls(format!(
            "unexpected greeting '{greeting}'"
        )));
    }
    tcp.write_all(b"s0 STARTTLS\r\n").map_err(io)?;
    loop {
        let line = read_line(tcp).map_err(io)?;
        if line.is_empty() {
            return Err(ConnectError::StartTls("the connection closed".into()));
        }
        if let Some(status) = line.strip_prefix("s0 ") {
            return if status.starts_with("OK") {
                Ok(())
            } else {
                Err(ConnectError::StartTls(status.to_string()))
            };
        }
    }
}

/// Opens the TCP connection, trying each address the host resolves to.
fn tcp_connect(host: &str, port: u16) -> Result<TcpStream, ConnectError> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| ConnectError::Dns {
            host: host.into(),
            reason: e.to_string(),
        })?
        .collect();
    let mut last = String::from("no address");
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, NETWORK_TIMEOUT) {
            Ok(tcp) => {
                let _ = tcp.set_read_timeout(Some(NETWORK_TIMEOUT * 4));
                let _ = tcp.set_write_timeout(Some(NETWORK_TIMEOUT));
                return Ok(tcp);
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(ConnectError::Tcp {
        addr: format!("{host}:{port}"),
        reason: last,
    })
}

impl Imap {
    /// Connects and logs in.
    pub fn connect(account: &Account) -> Result<Imap, ConnectError> {
        if account.security == Security::Plain && !is_loopback(&account.host) {
            return Err(ConnectError::PlainNotLoopback(account.host.clone()));
        }
        let mut tcp = tcp_connect(&account.host, account.port)?;
        let socket = tcp
            .try_clone()
            .map_err(|e| ConnectError::Protocol(e.to_string()))?;
        let mut client = match account.security {
            Security::Plain => imap::Client::new(Stream::Plain(tcp)),
            Security::Tls => {
                let config = tls::client_config(account.ca_file.as_deref())?;
                imap::Client::new(tls::handshake(config, &account.host, tcp)?)
            }
            Security::Starttls => {
                starttls(&mut tcp)?;
                let config = tls::client_config(account.ca_file.as_deref())?;
                let mut client = imap::Client::new(tls::handshake(config, &account.host, tcp)?);
                client.greeting_read = true;
                client
            }
        };
        if !client.greeting_read {
            client
                .read_greeting()
                .map_err(|e| ConnectError::Protocol(format!("no greeting: {e}")))?;
        }
        let auth_error = |e: imap::Error| ConnectError::Auth {
            login: account.login.clone(),
            reason: crate::mail::sanitize::one_line(&e.to_string()),
        };
        let mut session = match &account.secret {
            Secret::Password(password) => client
                .login(&account.login, password)
                .map_err(|(e, _)| auth_error(e))?,
            Secret::Bearer(token) => {
                let mechanism = token_mechanism(&mut client);
                authenticate(client, account, mechanism, token).map_err(|(e, _)| auth_error(e))?
            }
            Secret::OAuth2(login) => {
                let mechanism = token_mechanism(&mut client);
                let token = login.access_token()?;
                match authenticate(client, account, mechanism, &token) {
                    Ok(session) => session,
                    // AUTHENTICATIONFAILED: revoked early, or our clock is off. Renewed once.
                    Err((imap::Error::No(_), client)) => {
                        let token = login.refresh()?;
                        authenticate(client, account, mechanism, &token)
                            .map_err(|(e, _)| auth_error(e))?
                    }
                    Err((e, _)) => return Err(auth_error(e)),
                }
            }
        };
        let caps = session
            .capabilities()
            .map_err(|e| ConnectError::Protocol(e.to_string()))?;
        let caps = Capabilities {
            moves: caps.has_str("MOVE"),
            uidplus: caps.has_str("UIDPLUS"),
            condstore: caps.has_str("CONDSTORE") || caps.has_str("QRESYNC"),
            idle: caps.has_str("IDLE"),
        };
        if caps.condstore {
            // Makes SELECT report HIGHESTMODSEQ, so flag changes can be asked for since then.
            let _ = session.run_command_and_check_ok("ENABLE CONDSTORE");
        }
        let delimiter = session
            .list(Some(""), Some("\"\""))
            .ok()
            .and_then(|names| names.iter().find_map(|n| n.delimiter().map(str::to_string)))
            .unwrap_or_else(|| "/".to_string());
        Ok(Imap {
            session,
            caps,
            delimiter,
            socket,
        })
    }

    /// The server's name for a folder written with `/` ("Chasers/Overdue" →
    /// "Chasers.Overdue" on a server whose separator is "."), in modified UTF-7.
    pub fn server_name(&self, folder: &str) -> String {
        if folder.eq_ignore_ascii_case("INBOX") {
            return "INBOX".into();
        }
        let joined = folder.split('/').collect::<Vec<_>>().join(&self.delimiter);
        utf7_imap::encode_utf7_imap(joined)
    }

    /// A handle that can wake a blocked read (IDLE) from another thread.
    pub fn interrupter(&self) -> std::io::Result<TcpStream> {
        self.socket.try_clone()
    }

    /// Waits in IDLE on the selected folder until something changes or `timeout` passes.
    /// Returns true when the folder changed.
    pub fn idle(&mut self, timeout: Duration) -> ServerResult<bool> {
        let outcome = self
            .session
            .idle()
            .timeout(timeout)
            .keepalive(false)
            .wait_while(imap::extensions::idle::stop_on_any)
            .map_err(protocol)?;
        // IDLE leaves the socket without a read timeout; a server that dies silently later
        // must not hang the next fetch forever.
        let _ = self.socket.set_read_timeout(Some(NETWORK_TIMEOUT * 4));
        Ok(matches!(
            outcome,
            imap::extensions::idle::WaitOutcome::MailboxChanged
        ))
    }

    /// Says goodbye politely.
    pub fn logout(mut self) {
        let _ = self.session.logout();
    }

    fn flags_of(fetch: &imap::types::Fetch<'_>) -> Vec<String> {
        fetch.flags().iter().map(|f| f.to_string()).collect()
    }
}

/// The UIDs in a tagged `[MODIFIED 3,5:7]` (RFC 7162), none when there is no such code.
fn modified_set(tagged: &str) -> Vec<u32> {
    let Some(start) = tagged.find("[MODIFIED ") else {
        return Vec::new();
    };
    let rest = &tagged[start + "[MODIFIED ".len()..];
    let set = &rest[..rest.find(']').unwrap_or(rest.len())];
    let mut uids = Vec::new();
    for part in set.split(',') {
        let mut ends = part.trim().splitn(2, ':').map(|n| n.parse::<u32>().ok());
        match (ends.next().flatten(), ends.next().flatten()) {
            (Some(a), Some(b)) => uids.extend(a.min(b)..=a.max(b).min(a.min(b) + 100_000)),
            (Some(a), None) => uids.push(a),
            _ => {}
        }
    }
    uids
}

/// A Message-ID without its angle brackets: HEADER searches match substrings.
fn bare_id(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}

/// A quoted IMAP string.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl MailServer for Imap {
    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    fn folder_exists(&mut self, folder: &str) -> ServerResult<bool> {
        let name = self.server_name(folder);
        let names = self
            .session
            .list(Some(""), Some(&quoted(&name)))
            .map_err(protocol)?;
        Ok(names.iter().any(|n| n.name() == name))
    }

    fn ensure_folder(&mut self, folder: &str) -> ServerResult<()> {
        if self.folder_exists(folder)? {
            return Ok(());
        }
        let name = self.server_name(folder);
        if let Err(e) = self.session.create(&name) {
            // Another client may have created it a moment ago.
            if !self.folder_exists(folder)? {
                return Err(ServerError::new(format!(
                    "cannot create the folder '{folder}': {e}"
                )));
            }
        }
        let _ = self.session.subscribe(&name);
        Ok(())
    }

    fn select(&mut self, folder: &str) -> ServerResult<FolderState> {
        let name = self.server_name(folder);
        let mailbox = self
            .session
            .select(&name)
            .map_err(|e| ServerError::new(format!("cannot open the folder '{folder}': {e}")))?;
        let uid_validity = mailbox.uid_validity.ok_or_else(|| {
            ServerError::new(format!("the server gave no UIDVALIDITY for '{folder}'"))
        })?;
        Ok(FolderState {
            uid_validity,
            exists: mailbox.exists,
            highest_modseq: mailbox.highest_mod_seq,
            keywords: mailbox.permanent_flags.is_empty()
                || mailbox
                    .permanent_flags
                    .contains(&imap::types::Flag::MayCreate),
        })
    }

    fn all_uids(&mut self) -> ServerResult<Vec<u32>> {
        let mut uids: Vec<u32> = self
            .session
            .uid_search("ALL")
            .map_err(protocol)?
            .into_iter()
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    fn flags(
        &mut self,
        uids: &str,
        changed_since: Option<u64>,
    ) -> ServerResult<Vec<(u32, Vec<String>)>> {
        let query = match changed_since {
            Some(modseq) => format!("(UID FLAGS) (CHANGEDSINCE {modseq})"),
            None => "(UID FLAGS)".to_string(),
        };
        let fetches = on_messages(&mut self.session, |s| s.uid_fetch(uids, &query))?;
        Ok(fetches
            .iter()
            .filter_map(|f| Some((f.uid?, Imap::flags_of(f))))
            .collect())
    }

    fn fetch(&mut self, uids: &[u32]) -> ServerResult<Vec<Fetched>> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let query = format!("(UID FLAGS RFC822.SIZE BODY.PEEK[]<0.{FETCH_LIMIT}>)");
        let set = uid_set(uids);
        let fetches = on_messages(&mut self.session, |s| s.uid_fetch(&set, &query))?;
        Ok(fetches
            .iter()
            .filter_map(|f| {
                // No text: expunged by another client after our view was taken (Dovecot
                // still answers for it), not an empty message.
                let raw = f.body().filter(|b| !b.is_empty())?;
                Some(Fetched {
                    uid: f.uid?,
                    flags: Imap::flags_of(f),
                    size: f.size.unwrap_or(0),
                    raw: raw.to_vec(),
                })
            })
            .collect())
    }

    fn fetch_message_ids(&mut self, uids: &[u32]) -> ServerResult<Vec<Identified>> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let set = uid_set(uids);
        let fetches = on_messages(&mut self.session, |s| {
            s.uid_fetch(&set, "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        })?;
        Ok(fetches
            .iter()
            .filter_map(|f| {
                Some(Identified {
                    uid: f.uid?,
                    message_id: f
                        .header()
                        .and_then(|h| crate::mail::parse(h).ok())
                        .and_then(|m| m.message_id),
                    flags: Imap::flags_of(f),
                })
            })
            .collect())
    }

    fn search_message_id(&mut self, message_id: &str) -> ServerResult<Vec<u32>> {
        let mut uids: Vec<u32> = self
            .session
            .uid_search(format!("HEADER Message-ID {}", quoted(message_id)))
            .map_err(protocol)?
            .into_iter()
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    fn search_answers(
        &mut self,
        message_id: &str,
        or_message_id: Option<&str>,
    ) -> ServerResult<Vec<u32>> {
        let answers = format!("HEADER In-Reply-To {}", quoted(bare_id(message_id)));
        let query = match or_message_id {
            Some(own) => format!("OR {answers} HEADER Message-ID {}", quoted(bare_id(own))),
            None => answers,
        };
        let mut uids: Vec<u32> = self
            .session
            .uid_search(query)
            .map_err(protocol)?
            .into_iter()
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    fn add_flags(&mut self, uids: &[u32], flags: &[&str]) -> ServerResult<()> {
        if uids.is_empty() || flags.is_empty() {
            return Ok(());
        }
        let set = uid_set(uids);
        let query = format!("+FLAGS.SILENT ({})", flags.join(" "));
        on_messages(&mut self.session, |s| s.uid_store(&set, &query))?;
        Ok(())
    }

    fn claim(&mut self, uids: &[u32], flags: &[&str], modseq: u64) -> ServerResult<Vec<u32>> {
        if uids.is_empty() || flags.is_empty() {
            return Ok(Vec::new());
        }
        let set = uid_set(uids);
        // Not .SILENT: a FETCH names each message changed. FETCHes for other clients'
        // changes may come along unasked; those messages are in the tagged [MODIFIED].
        let command = format!(
            "UID STORE {set} (UNCHANGEDSINCE {modseq}) +FLAGS ({})",
            flags.join(" ")
        );
        let (data, done) = on_messages(&mut self.session, |s| s.run(&command))?;
        let text = String::from_utf8_lossy(&data);
        let (untagged, tagged) = text.split_at(done.min(text.len()));
        let modified = modified_set(tagged);
        let mut changed: Vec<u32> = untagged
            .lines()
            .filter(|l| l.starts_with("* ") && l.contains(" FETCH ("))
            .filter_map(|l| {
                let rest = &l[l.find("UID ")? + 4..];
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse()
                    .ok()
            })
            .filter(|u| uids.contains(u) && !modified.contains(u))
            .collect();
        changed.sort_unstable();
        changed.dedup();
        Ok(changed)
    }

    fn move_to(&mut self, uids: &[u32], folder: &str) -> ServerResult<()> {
        let name = self.server_name(folder);
        let set = uid_set(uids);
        on_messages(&mut self.session, |s| s.uid_mv(&set, &name))
    }

    fn copy_to(&mut self, uids: &[u32], folder: &str) -> ServerResult<()> {
        let name = quoted(&self.server_name(folder));
        let set = uid_set(uids);
        on_messages(&mut self.session, |s| s.uid_copy(&set, &name))
    }

    fn delete(&mut self, uids: &[u32]) -> ServerResult<()> {
        if !self.caps.uidplus {
            return Err(ServerError::new(
                "the server lacks UIDPLUS, so duebox cannot remove one message without risking other clients' deleted mail",
            ));
        }
        let set = uid_set(uids);
        self.session
            .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
            .map_err(protocol)?;
        self.session.uid_expunge(&set).map_err(protocol)?;
        Ok(())
    }

    fn append(&mut self, folder: &str, flags: &[&str], raw: &[u8]) -> ServerResult<()> {
        let name = self.server_name(folder);
        self.session
            .append(&name, raw)
            .flags(flags.iter().map(|f| imap::types::Flag::from(*f)))
            .finish()
            .map_err(|e| ServerError::new(format!("cannot save a copy in '{folder}': {e}")))?;
        Ok(())
    }
}
