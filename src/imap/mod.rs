//! The IMAP layer: connects (TLS, STARTTLS, or plain to loopback), logs in (password, or a
//! token with OAUTHBEARER or XOAUTH2), reads the server's namespace and special-use folders
//! (folders.rs), and implements the sync engine's `MailServer` over the `imap` crate. Every
//! failure says which step failed (DNS, TCP, TLS certificate, login, capability), because
//! that is what a user can act on.

pub mod check;
mod claim;
pub mod folders;
mod presend;
pub mod raw;
mod retry;
pub mod sasl;
pub mod tls;
pub mod uidset;
pub mod wire;

use crate::config::{is_loopback, Security};
use crate::sync::server::{
    Capabilities, Fetched, FolderState, Identified, MailServer, Placed, ServerError, ServerResult,
};
use folders::{FolderMap, SpecialUse};
use retry::{modified_set, on_messages, storing};
use sasl::{authenticate, token_mechanism};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;
use tls::Stream;
use wire::Wire;

/// Messages larger than this are fetched only this far: enough for headers and text parts;
/// attachments further on are fetched when the user asks for them.
pub const FETCH_LIMIT: u32 = 256 * 1024;

/// How long a connection attempt or a silent server is waited for.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(30);

pub use crate::account::{Account, Secret};

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
    /// The responses of the commands duebox reads itself (raw.rs).
    wire: wire::Handle,
    /// What the last MOVE or COPY's COPYUID said.
    placed: Option<Placed>,
    /// The longest command line to send (see `uidset::LONG_COMMAND`): long for a server
    /// known to take it, until it says otherwise.
    command_limit: usize,
}

fn protocol(e: imap::Error) -> ServerError {
    let words = format!("IMAP error: {}", one_line(&e));
    match e {
        // The server answered: the connection is sound.
        imap::Error::No(_) => ServerError::refused(words),
        imap::Error::Bad(_) => ServerError::bad(words),
        _ => ServerError::new(words),
    }
}

/// Whether the server is one known to read command lines of `uidset::LONG_COMMAND`: Dovecot
/// (64 KB unless its administrator set `imap_max_line_length` lower, which BAD then tells),
/// by its name in the RFC 2971 ID answer. One round trip, on servers that offer ID.
fn takes_long_commands(session: &mut imap::Session<Wire>, offers_id: bool) -> bool {
    if !offers_id {
        return false;
    }
    match session.run_command_and_read_response("ID NIL") {
        Ok(answer) => {
            let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
            let long = answer.contains("\"name\" \"dovecot\"");
            tracing::debug!(
                "the server's ID: {}; command lines up to {} bytes",
                crate::mail::sanitize::one_line(&answer),
                if long {
                    uidset::LONG_COMMAND
                } else {
                    uidset::MAX_COMMAND
                }
            );
            long
        }
        Err(e) => {
            tracing::debug!("ID refused ({e}): short command lines");
            false
        }
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
                // Every command is written whole and then answered, so nothing is gained by
                // Nagle's algorithm; it only holds a short last segment (an APPEND literal's
                // closing CRLF, a pipelined batch's tail) until the server's delayed ACK.
                let _ = tcp.set_nodelay(true);
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
        let wire = Wire::new(stream);
        let handle = wire.handle();
        let mut client = imap::Client::new(wire);
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
        let id = caps.has_str("ID");
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
        let command_limit = if takes_long_commands(&mut session, id) {
            uidset::LONG_COMMAND
        } else {
            uidset::MAX_COMMAND
        };
        let folders = folders::discover(&mut session, extras);
        Ok(Imap {
            session,
            caps,
            folders,
            extras,
            socket,
            wire: handle,
            placed: None,
            command_limit,
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
                    n.attributes().iter().map(folders::attribute_text).collect(),
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

    /// UID MOVE or UID COPY, keeping what COPYUID says for `placed`.
    fn transfer(&mut self, verb: &str, uids: &[u32], folder: &str) -> ServerResult<()> {
        self.placed = None;
        let name = quoted(&self.server_name(folder));
        self.placed = raw::transfer(
            &mut self.session,
            &self.wire,
            verb,
            uids,
            &name,
            &mut self.command_limit,
        )?;
        Ok(())
    }

    /// The longest command line this session sends now: `uidset::LONG_COMMAND` to a server
    /// known to read it until it says otherwise, else `uidset::MAX_COMMAND`.
    pub fn command_limit(&self) -> usize {
        self.command_limit
    }

    /// Round trips taken on this connection so far (writes that waited for an answer
    /// before them): what the tests and benchmarks count.
    pub fn turns(&self) -> u64 {
        self.wire.turns()
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

/// A Message-ID without its angle brackets: HEADER searches match substrings.
fn bare_id(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}

/// An IMAP error as one line of the server's words.
fn one_line(e: &imap::Error) -> String {
    crate::mail::sanitize::one_line(&e.to_string())
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

    fn probe(&mut self, probe: &crate::sync::probe::Probe) -> crate::sync::probe::Probed {
        self.probe_pipelined(probe)
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
            uid_next: mailbox.uid_next,
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
        let mut out = Vec::with_capacity(uids.len());
        self.fetch_each(uids, &mut |f| {
            out.push(f);
            true
        })?;
        Ok(out)
    }

    fn fetch_each(
        &mut self,
        uids: &[u32],
        each: &mut dyn FnMut(Fetched) -> bool,
    ) -> ServerResult<()> {
        let query = format!("(UID FLAGS RFC822.SIZE BODY.PEEK[]<0.{FETCH_LIMIT}>)");
        let mut wanted = true;
        let (session, wire) = (&mut self.session, &self.wire);
        raw::each_set(uids, query.len() + 20, &mut self.command_limit, |set| {
            if !wanted {
                return Ok(());
            }
            // One command per set, its responses handed on as they complete; after a refusal
            // of `each` the rest is read and dropped, so the connection stays usable. A
            // message is handed on once even when the command is tried twice.
            let mut seen: HashSet<u32> = HashSet::new();
            raw::on_messages(
                session,
                wire,
                &format!("UID FETCH {set} {query}"),
                &mut |response| {
                    if let imap_proto::Response::Fetch(_, attributes) = response {
                        if let Some(f) = raw::fetched(attributes).filter(|_| wanted) {
                            if seen.insert(f.uid) {
                                wanted = each(f);
                            }
                        }
                    }
                },
            )
            .map(|_| ())
        })
    }

    fn fetch_message_ids(&mut self, uids: &[u32]) -> ServerResult<Vec<Identified>> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let query = "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])";
        let mut out = Vec::with_capacity(uids.len());
        let session = &mut self.session;
        raw::each_set(uids, query.len() + 20, &mut self.command_limit, |set| {
            let fetches = on_messages(session, |s| s.uid_fetch(set, query))?;
            out.extend(fetches.iter().filter_map(|f| {
                Some(Identified {
                    uid: f.uid?,
                    message_id: f
                        .header()
                        .and_then(|h| crate::mail::parse(h).ok())
                        .and_then(|m| m.message_id),
                    flags: Imap::flags_of(f),
                })
            }));
            Ok(())
        })?;
        Ok(out)
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
        let query = presend::answers_criteria(message_id, or_message_id, except);
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
        let query = format!("+FLAGS.SILENT ({})", flags.join(" "));
        let session = &mut self.session;
        raw::each_set(uids, query.len() + 20, &mut self.command_limit, |set| {
            storing(session, |s| s.uid_store(set, &query)).map(|_| ())
        })
    }

    fn claim(&mut self, uids: &[u32], flags: &[&str], modseq: u64) -> ServerResult<Vec<u32>> {
        if uids.is_empty() || flags.is_empty() {
            return Ok(Vec::new());
        }
        let asked: HashSet<u32> = uids.iter().copied().collect();
        let words = flags.join(" ");
        let mut changed: Vec<u32> = Vec::new();
        let session = &mut self.session;
        raw::each_set(uids, words.len() + 60, &mut self.command_limit, |set| {
            // Not .SILENT: a FETCH names each message changed. FETCHes for other clients'
            // changes may come along unasked; those messages are in the tagged [MODIFIED].
            let command = format!("UID STORE {set} (UNCHANGEDSINCE {modseq}) +FLAGS ({words})");
            let (data, done) = storing(session, |s| s.run(&command))?;
            let text = String::from_utf8_lossy(&data);
            let (untagged, tagged) = text.split_at(done.min(text.len()));
            let modified: HashSet<u32> = modified_set(tagged).into_iter().collect();
            changed.extend(
                untagged
                    .lines()
                    .filter(|l| l.starts_with("* ") && l.contains(" FETCH ("))
                    .filter_map(|l| {
                        let rest = &l[l.find("UID ")? + 4..];
                        rest.split(|c: char| !c.is_ascii_digit())
                            .next()?
                            .parse()
                            .ok()
                    })
                    .filter(|u| asked.contains(u) && !modified.contains(u)),
            );
            Ok(())
        })?;
        changed.sort_unstable();
        changed.dedup();
        Ok(changed)
    }

    fn move_to(&mut self, uids: &[u32], folder: &str) -> ServerResult<()> {
        self.transfer("MOVE", uids, folder)
    }

    fn copy_to(&mut self, uids: &[u32], folder: &str) -> ServerResult<()> {
        self.transfer("COPY", uids, folder)
    }

    fn placed(&mut self) -> Option<Placed> {
        self.placed.take()
    }

    fn delete(&mut self, uids: &[u32]) -> ServerResult<()> {
        if !self.caps.uidplus {
            return Err(ServerError::new(
                "the server lacks UIDPLUS, so duebox cannot remove one message without risking other clients' deleted mail",
            ));
        }
        let session = &mut self.session;
        raw::each_set(uids, 40, &mut self.command_limit, |set| {
            session
                .uid_store(set, "+FLAGS.SILENT (\\Deleted)")
                .map_err(protocol)?;
            session.uid_expunge(set).map(|_| ()).map_err(protocol)
        })
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
