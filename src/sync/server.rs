//! What the sync engine needs from a mail server, as a trait: the IMAP layer implements it
//! over the network, tests also with an in-process fake. Folder names here are the user's
//! ("Chasers/Overdue"); the implementation maps them to the server's separator and encoding.

/// A server's answer could not be had (network down, server error, protocol trouble).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ServerError {
    pub message: String,
    /// Some of the messages asked for no longer exist (another client expunged or moved
    /// them: IMAP's `[EXPUNGEISSUED]`, or a `NO` for part of a UID set). Normal with several
    /// clients on one mailbox; the next pass sees where they went.
    pub vanished: bool,
    /// The server answered, and said no (`NO`, `BAD`): the connection is sound and stays
    /// open. Otherwise the answer could not be had (dropped, timed out, garbled) and the
    /// connection is dropped, to be made again.
    pub refused: bool,
    /// The server could not take the command as sent (`BAD`, a refusal among them): nothing
    /// was done, and the same work may be asked for another way (in shorter commands).
    pub bad: bool,
}

impl ServerError {
    pub fn new(message: impl Into<String>) -> ServerError {
        ServerError {
            message: message.into(),
            vanished: false,
            refused: false,
            bad: false,
        }
    }

    /// See [`ServerError::vanished`].
    pub fn vanished(message: impl Into<String>) -> ServerError {
        ServerError {
            vanished: true,
            ..ServerError::new(message)
        }
    }

    /// See [`ServerError::refused`].
    pub fn refused(message: impl Into<String>) -> ServerError {
        ServerError {
            refused: true,
            ..ServerError::new(message)
        }
    }

    /// See [`ServerError::bad`].
    pub fn bad(message: impl Into<String>) -> ServerError {
        ServerError {
            bad: true,
            ..ServerError::refused(message)
        }
    }

    /// Whether the connection is worth keeping after this error.
    pub fn connection_sound(&self) -> bool {
        self.refused || self.vanished
    }
}

pub type ServerResult<T> = Result<T, ServerError>;

/// What the server can do that changes how we sync and move.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// RFC 6851 UID MOVE.
    pub moves: bool,
    /// RFC 4315: UID EXPUNGE, so deleting our copy never expunges other clients' mail.
    pub uidplus: bool,
    /// RFC 7162: flag changes since a mod-sequence.
    pub condstore: bool,
    pub idle: bool,
}

/// A selected folder's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderState {
    pub uid_validity: u32,
    pub exists: u32,
    /// The UID the next message will get (UIDNEXT), when the server says it.
    pub uid_next: Option<u32>,
    pub highest_modseq: Option<u64>,
    /// Whether keywords such as `$Chaser` are kept (PERMANENTFLAGS has `\*`).
    pub keywords: bool,
}

/// One message as fetched: enough to classify and display; a large message is cut after
/// its first part (attachments are fetched on demand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub uid: u32,
    pub flags: Vec<String>,
    pub size: u32,
    pub raw: Vec<u8>,
}

impl Fetched {
    pub fn truncated(&self) -> bool {
        (self.raw.len() as u64) < u64::from(self.size)
    }
}

/// Where a COPY or MOVE put messages: the destination's UIDVALIDITY and, for each source UID,
/// its UID there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placed {
    pub uid_validity: u32,
    pub uids: Vec<(u32, u32)>,
}

/// A message known by its UID, Message-ID (if it has one) and flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    pub uid: u32,
    pub message_id: Option<String>,
    pub flags: Vec<String>,
}

/// The operations the sync engine uses. Every call acts on the selected folder unless it
/// names one.
pub trait MailServer {
    fn capabilities(&self) -> Capabilities;
    /// The server's own name for a folder (namespace prefix, separator, encoding, special
    /// use), to be kept once the folder is found under it; `None` (the default) keeps nothing.
    fn resolve_folder(&mut self, _folder: &str) -> Option<String> {
        None
    }
    /// Uses `server_name` for `folder` from now on: the name an earlier pass settled on, so a
    /// folder stays where it was found even if the server's namespace is read differently.
    fn pin_folder(&mut self, _folder: &str, _server_name: &str) {}
    /// Creates the folder unless it exists.
    fn ensure_folder(&mut self, folder: &str) -> ServerResult<()>;
    fn folder_exists(&mut self, folder: &str) -> ServerResult<bool>;
    fn select(&mut self, folder: &str) -> ServerResult<FolderState>;
    /// Every UID in the selected folder.
    fn all_uids(&mut self) -> ServerResult<Vec<u32>>;
    /// Flags of the messages in `uids` (a UID set such as "1:500"); with a mod-sequence only
    /// those changed since it (CONDSTORE).
    fn flags(
        &mut self,
        uids: &str,
        changed_since: Option<u64>,
    ) -> ServerResult<Vec<(u32, Vec<String>)>>;
    /// Fetches messages (without setting \Seen).
    fn fetch(&mut self, uids: &[u32]) -> ServerResult<Vec<Fetched>>;
    /// Fetches messages as a stream: `each` gets every message as soon as it has arrived and
    /// returns false to want no more. Memory stays bounded by what `each` keeps, however many
    /// `uids` there are.
    fn fetch_each(
        &mut self,
        uids: &[u32],
        each: &mut dyn FnMut(Fetched) -> bool,
    ) -> ServerResult<()> {
        for chunk in uids.chunks(200) {
            for f in self.fetch(chunk)? {
                if !each(f) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
    /// Fetches only the Message-ID and flags of messages (to recognise ones we know).
    fn fetch_message_ids(&mut self, uids: &[u32]) -> ServerResult<Vec<Identified>>;
    /// UIDs in the selected folder whose Message-ID header is `message_id`.
    fn search_message_id(&mut self, message_id: &str) -> ServerResult<Vec<u32>>;
    /// UIDs in the selected folder whose In-Reply-To header names `message_id` and whose
    /// Message-ID is none of `except` (replies known to be ours, so the server leaves them
    /// out instead of us reading them), or (when given) whose own Message-ID is
    /// `or_message_id` — one search: what else answers a message
    /// (UID SEARCH OR HEADER Message-ID … (HEADER In-Reply-To … NOT HEADER Message-ID …)).
    fn search_answers(
        &mut self,
        message_id: &str,
        or_message_id: Option<&str>,
        except: &[String],
    ) -> ServerResult<Vec<u32>>;
    fn add_flags(&mut self, uids: &[u32], flags: &[&str]) -> ServerResult<()>;
    /// Adds `flags` only to the messages nobody changed since `modseq` (CONDSTORE's
    /// UNCHANGEDSINCE) and returns the UIDs it changed: when two clients file the same
    /// message at once, the first claims it and the other leaves it alone.
    fn claim(&mut self, uids: &[u32], flags: &[&str], modseq: u64) -> ServerResult<Vec<u32>>;
    /// UID MOVE (only when `capabilities().moves`).
    fn move_to(&mut self, uids: &[u32], folder: &str) -> ServerResult<()>;
    /// UID COPY.
    fn copy_to(&mut self, uids: &[u32], folder: &str) -> ServerResult<()>;
    /// Where the last `move_to` or `copy_to` put the messages, when the server said so
    /// (COPYUID, RFC 4315); taken once. `None` (the default): find them by Message-ID.
    fn placed(&mut self) -> Option<Placed> {
        None
    }
    /// Marks \Deleted and UID EXPUNGEs exactly these messages (needs UIDPLUS).
    fn delete(&mut self, uids: &[u32]) -> ServerResult<()>;
    /// APPENDs a message to a folder with these flags (a sent reply's copy in Sent).
    fn append(&mut self, folder: &str, flags: &[&str], raw: &[u8]) -> ServerResult<()>;
    /// Waits in IDLE on the selected folder until it changes (true) or `timeout` passes
    /// (false); only when `capabilities().idle`.
    fn idle(&mut self, _timeout: std::time::Duration) -> ServerResult<bool> {
        Err(ServerError::new("this server has no IDLE"))
    }
    /// A handle that can wake a blocked read (IDLE) from another thread, if there is one.
    fn interrupter(&self) -> Option<std::net::TcpStream> {
        None
    }
    /// Says goodbye politely.
    fn logout(&mut self) {}
    /// The look before a reply is sent, asked at once (src/sync/probe.rs); an adapter that
    /// can pipeline answers it in one round trip. Leaves the chaser's folder selected.
    fn probe(&mut self, probe: &super::probe::Probe) -> super::probe::Probed {
        super::probe::one_by_one(self, probe)
    }
}

/// A UID set for IMAP commands: runs of consecutive UIDs joined ("1:3,7,9:12").
pub fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_join_runs() {
        assert_eq!(uid_set(&[9, 1, 2, 3, 7, 10, 11, 12, 3]), "1:3,7,9:12");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
    }
}
