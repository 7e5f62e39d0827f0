//! The IMAP layer: connects (TLS, STARTTLS, or plain to loopback), logs in (password, or a
//! token with OAUTHBEARER or XOAUTH2), reads the server's namespace and special-use folders
//! (folders.rs), and implements the sync engine's `MailServer` over the `imap` crate. Every
//! failure says which step failed (DNS, TCP, TLS certificate, login, capability), because
//! that is what a user can act on.

pub mod account;
pub mod check;
pub mod folders;
pub mod sasl;
pub mod tls;
pub mod wire;

use crate::config::{is_loopback, Security};
use crate::sync::server::{
    uid_set, Capabilities, Fetched, FolderState, Identified, MailServer, ServerError, ServerResult,
};
use folders::{FolderMap, Namespace, SpecialUse};
use sasl::{authenticate, token_mechanism};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;
use tls::Stream;
use wire::Wire;

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

/// Server traits beyond the sync engine's `Capabilities`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extras {
    pub namespace: bool,
    pub special_use: bool,
    pub xlist: bool,
    /// Gmail (X-GM-EXT-1): folders are labels, and sent mail is filed by the server itself.
    pub gmail: bool,
}

/// A logged-in IMAP session.
pub struct Imap {
    session: imap::Session<Wire>,
    caps: Capabilities,
    folders: FolderMap,
    /// What the server advertised that `Capabilities` does not carry, for `config check`.
    extras: Extras,
    /// A second handle on the socket, to interrupt a blocked IDLE from a signal handler.
    socket: TcpStream,
}

fn protocol(e: imap::Error) -> ServerError {
    let words = format!("IMAP error: {}", one_line(&e));
    match e {
        // The server answered: the connection is sound.
        imap::Error::No(_) | imap::Error::Bad(_) => ServerError::refused(words),
        _ => ServerError::new(words),
    }
}

/// Runs a command on messages that another client may expunge or move at any moment. A
/// `NO` (Dovecot's `[EXPUNGEISSUED]`, or a refusal of part of a UID set) is answered with a
/// NOOP, which brings the expunges into our view, and one more try; a second `NO` is
/// reported as vanished messages, never as a broken connection. A STORE is different (see
/// [`storing`]).
fn on_messages<T>(
    session: &mut imap::Session<Wire>,
    command: impl FnMut(&mut imap::Session<Wire>) -> imap::Result<T>,
) -> ServerResult<T> {
    twice(session, |_| true, command)
}

/// As [`on_messages`] for a STORE, where a second `NO` counts as vanished messages only when
/// it says so (`EXPUNGEISSUED`, RFC 5530's `NONEXISTENT`): any other is the server refusing
/// the flags (a keyword it will not keep), which must be said, not skipped.
fn storing<T>(
    session: &mut imap::Session<Wire>,
    command: impl FnMut(&mut imap::Session<Wire>) -> imap::Result<T>,
) -> ServerResult<T> {
    twice(session, says_gone, command)
}

fn twice<T>(
    session: &mut imap::Session<Wire>,
    gone: impl Fn(&imap::error::No) -> bool,
    mut command: impl FnMut(&mut imap::Session<Wire>) -> imap::Result<T>,
) -> ServerResult<T> {
    match command(session) {
        Err(imap::Error::No(_)) => {
            session.noop().map_err(protocol)?;
            command(session).map_err(|e| match e {
                imap::Error::No(no) if gone(&no) => ServerError::vanished(format!(
                    "some messages no longer exist: {}",
                    crate::mail::sanitize::one_line(&no.to_string())
                )),
                e => protocol(e),
            })
        }
        other => other.map_err(protocol),
    }
}

/// Whether a `NO` says that some of the messages asked for no longer exist.
fn says_gone(no: &imap::error::No) -> bool {
    let words = format!("{} {:?}", no.information, no.code).to_ascii_uppercase();
    words.contains("EXPUNGEISSUED") || words.contains("NONEXISTENT")
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
        let stream = match account.security {
            Security::Plain => Stream::Plain(tcp),
            Security::Tls | Security::Starttls => {
                if account.security == Security::Starttls {
                    starttls(&mut tcp)?;
                }
                let config = tls::client_config(account.ca_file.as_deref())?;
                match tls::handshake(config, &account.host, tcp) {
                    #[cfg(feature = "native-tls")]
                    Err(tls::TlsError::OldServer(why)) => {
                        tracing::info!("rustls refused the server's TLS ({why}); trying OpenSSL");
                        let mut tcp = tcp_connect(&account.host, account.port)?;
                        if account.security == Security::Starttls {
                            starttls(&mut tcp)?;
                        }
                        tls::native_handshake(&account.host, account.ca_file.as_deref(), tcp)?
                    }
                    other => other?,
                }
            }
        };
        let socket = stream
            .socket()
            .try_clone()
            .map_err(|e| ConnectError::Protocol(e.to_string()))?;
        let mut client = imap::Client::new(Wire::new(stream));
        // After STARTTLS the greeting was read before the handshake.
        client.greeting_read = account.security == Security::Starttls;
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
        let extras = Extras {
            namespace: caps.has_str("NAMESPACE"),
            special_use: caps.has_str("SPECIAL-USE"),
            xlist: caps.has_str("XLIST"),
            gmail: caps.has_str("X-GM-EXT-1"),
        };
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
        let folders = discover_folders(&mut session, extras);
        Ok(Imap {
            session,
            caps,
            folders,
            extras,
            socket,
        })
    }

    /// The server's name for a folder written with `/`: under the personal namespace
    /// ("Chasers/Overdue" → "INBOX.Chasers.Overdue" on a server whose prefix is "INBOX."),
    /// with its separator, in modified UTF-7; "Sent" and the other special uses the folder
    /// the server marks for them.
    pub fn server_name(&self, folder: &str) -> String {
        self.folders.server_name(folder)
    }

    /// The personal namespace, the special-use folders found, and names settled.
    pub fn folder_map(&self) -> &FolderMap {
        &self.folders
    }

    /// What the server advertised beyond the sync engine's capabilities.
    pub fn extras(&self) -> Extras {
        self.extras
    }

    /// Every folder the server lists (INBOX and the personal namespace among them), with its
    /// attributes.
    pub fn list_all(&mut self) -> ServerResult<Vec<(String, Vec<String>)>> {
        let names = self
            .session
            .list(Some(""), Some("\"*\""))
            .map_err(protocol)?;
        Ok(names
            .iter()
            .map(|n| {
                (
                    n.name().to_string(),
                    n.attributes().iter().map(attribute_text).collect(),
                )
            })
            .collect())
    }

    /// Creates a folder by its server name and deletes it again: whether the server lets
    /// duebox create folders there. The error is the server's own words.
    pub fn probe_create(&mut self, server_name: &str) -> ServerResult<()> {
        self.session
            .create(server_name)
            .map_err(|e| ServerError::new(one_line(&e)))?;
        self.session.delete(server_name).map_err(|e| {
            ServerError::new(format!("created, but not deleted again: {}", one_line(&e)))
        })
    }

    /// Stores a keyword on a message and takes it off again: whether the server keeps custom
    /// keywords (PERMANENTFLAGS may promise `\*` and STORE still refuse them).
    pub fn probe_keyword(&mut self, uid: u32, keyword: &str) -> ServerResult<()> {
        let set = uid.to_string();
        self.session
            .uid_store(&set, format!("+FLAGS.SILENT ({keyword})"))
            .map_err(|e| ServerError::new(one_line(&e)))?;
        self.session
            .uid_store(&set, format!("-FLAGS.SILENT ({keyword})"))
            .map_err(|e| ServerError::new(one_line(&e)))?;
        Ok(())
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

    /// A message's flags, without `\Recent`: it belongs to one session, not to the message
    /// (the next session, or another client, sees it differently).
    fn flags_of(fetch: &imap::types::Fetch<'_>) -> Vec<String> {
        fetch
            .flags()
            .iter()
            .filter(|f| **f != imap::types::Flag::Recent)
            .map(|f| f.to_string())
            .collect()
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

/// An IMAP error as one line of the server's words.
fn one_line(e: &imap::Error) -> String {
    crate::mail::sanitize::one_line(&e.to_string())
}

/// A LIST attribute as the server wrote it (`\Sent`, `\Noinferiors`).
fn attribute_text(a: &imap_proto::NameAttribute<'_>) -> String {
    use imap_proto::NameAttribute as A;
    match a {
        A::NoInferiors => "\\Noinferiors".into(),
        A::NoSelect => "\\Noselect".into(),
        A::Marked => "\\Marked".into(),
        A::Unmarked => "\\Unmarked".into(),
        A::All => "\\All".into(),
        A::Archive => "\\Archive".into(),
        A::Drafts => "\\Drafts".into(),
        A::Flagged => "\\Flagged".into(),
        A::Junk => "\\Junk".into(),
        A::Sent => "\\Sent".into(),
        A::Trash => "\\Trash".into(),
        A::Extension(s) => s.to_string(),
        other => format!("{other:?}"),
    }
}

/// The personal namespace (NAMESPACE, else LIST's separator with no prefix) and the
/// special-use folders (LIST RETURN (SPECIAL-USE), else XLIST). A server that answers
/// neither leaves the plain mapping: a failure here costs features, never the connection.
fn discover_folders(session: &mut imap::Session<Wire>, extras: Extras) -> FolderMap {
    let from_namespace = if extras.namespace {
        session
            .run_command_and_read_response("NAMESPACE")
            .ok()
            .and_then(|raw| {
                String::from_utf8_lossy(&raw)
                    .lines()
                    .find_map(folders::parse_namespace)
            })
    } else {
        None
    };
    let personal = match from_namespace {
        Some(ns) => ns,
        None => Namespace {
            prefix: String::new(),
            delimiter: session
                .list(Some(""), Some("\"\""))
                .ok()
                .and_then(|names| names.iter().find_map(|n| n.delimiter().map(str::to_string))),
        },
    };
    let mut map = FolderMap::new(personal);
    if extras.special_use {
        if let Ok(names) = session.list(Some(""), Some("\"*\" RETURN (SPECIAL-USE)")) {
            for n in names.iter() {
                let attributes: Vec<String> = n.attributes().iter().map(attribute_text).collect();
                map.note_attributes(n.name(), attributes.iter().map(String::as_str));
            }
        }
    } else if extras.xlist {
        if let Ok(raw) = session.run_command_and_read_response("XLIST \"\" \"*\"") {
            for line in String::from_utf8_lossy(&raw).lines() {
                if let Some((attributes, name)) = folders::parse_xlist(line) {
                    map.note_attributes(&name, attributes.iter().map(String::as_str));
                }
            }
        }
    }
    map
}

/// A quoted IMAP string.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl MailServer for Imap {
    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    fn idle(&mut self, timeout: Duration) -> ServerResult<bool> {
        Imap::idle(self, timeout)
    }

    fn interrupter(&self) -> Option<TcpStream> {
        Imap::interrupter(self).ok()
    }

    fn logout(&mut self) {
        let _ = self.session.logout();
    }

    fn resolve_folder(&mut self, folder: &str) -> Option<String> {
        Some(self.folders.server_name(folder))
    }

    fn pin_folder(&mut self, folder: &str, server_name: &str) {
        self.folders.pin(folder, server_name);
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
                    "the server refused to create the folder '{folder}' (as \"{name}\"): {}",
                    one_line(&e)
                )));
            }
        }
        let _ = self.session.subscribe(&name);
        Ok(())
    }

    fn select(&mut self, folder: &str) -> ServerResult<FolderState> {
        let name = self.server_name(folder);
        let mailbox = self.session.select(&name).map_err(|e| {
            ServerError::new(format!(
                "cannot open the folder '{folder}' (as \"{name}\"): {}",
                one_line(&e)
            ))
        })?;
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
        except: &[String],
    ) -> ServerResult<Vec<u32>> {
        let mut answers = format!("HEADER In-Reply-To {}", quoted(bare_id(message_id)));
        for e in except {
            answers.push_str(&format!(" NOT HEADER Message-ID {}", quoted(bare_id(e))));
        }
        let query = match or_message_id {
            Some(own) => format!("OR HEADER Message-ID {} ({answers})", quoted(bare_id(own))),
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
        storing(&mut self.session, |s| s.uid_store(&set, &query))?;
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
        let (data, done) = storing(&mut self.session, |s| s.run(&command))?;
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
        if self.extras.gmail && self.folders.special.get(&SpecialUse::Sent) == Some(&name) {
            // Gmail files its own copy of everything sent through its SMTP; another would be
            // a duplicate in "Sent Mail".
            tracing::debug!("Gmail keeps sent mail itself: no APPEND to {name}");
            return Ok(());
        }
        self.session
            .append(&name, raw)
            .flags(flags.iter().map(|f| imap::types::Flag::from(*f)))
            .finish()
            .map_err(|e| {
                ServerError::new(format!(
                    "cannot save a copy in '{folder}' (as \"{name}\"): {}",
                    one_line(&e)
                ))
            })?;
        Ok(())
    }
}
