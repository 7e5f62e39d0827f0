//! An in-process mail server for fast tests of the sync engine (and the demo): folders of
//! messages with UIDs, flags, UIDVALIDITY and a mod-sequence, capabilities that can be taken
//! away, and a fault switch that makes the n-th call fail as a dropped connection would.
//! The real-server tests run the same engine against Dovecot.

use super::server::{
    Capabilities, Fetched, FolderState, Identified, MailServer, Placed, ServerError, ServerResult,
};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
struct Folder {
    uid_validity: u32,
    next_uid: u32,
    modseq: u64,
    /// UID → (raw message, flags, mod-sequence of the last change).
    messages: BTreeMap<u32, (Vec<u8>, Vec<String>, u64)>,
}

/// The fake server.
#[derive(Debug, Clone)]
pub struct FakeServer {
    folders: BTreeMap<String, Folder>,
    selected: Option<String>,
    pub caps: Capabilities,
    /// Calls left before every call fails (None: never).
    pub fail_after: Option<usize>,
    pub calls: usize,
    /// STORE of custom keywords answers NO (as servers with keyword limits do).
    pub refuse_keywords: bool,
    /// PERMANENTFLAGS without `\*`: keywords are not kept.
    pub no_keywords: bool,
    /// CREATE of these folders answers NO.
    pub refuse_create: Vec<String>,
    /// What the last COPY or MOVE answered with COPYUID (with UIDPLUS only).
    placed: Option<Placed>,
}

impl Default for FakeServer {
    fn default() -> Self {
        FakeServer::new()
    }
}

impl FakeServer {
    /// A server with an empty INBOX and every capability.
    pub fn new() -> FakeServer {
        let mut server = FakeServer {
            folders: BTreeMap::new(),
            selected: None,
            caps: Capabilities {
                moves: true,
                uidplus: true,
                condstore: true,
                idle: true,
            },
            fail_after: None,
            calls: 0,
            refuse_keywords: false,
            no_keywords: false,
            placed: None,
            refuse_create: Vec::new(),
        };
        server.create("INBOX");
        server
    }

    fn create(&mut self, name: &str) {
        let uid_validity = 1000 + self.folders.len() as u32;
        self.folders.entry(name.to_string()).or_insert(Folder {
            uid_validity,
            next_uid: 1,
            modseq: 1,
            messages: BTreeMap::new(),
        });
    }

    /// Delivers a message (as another client or the MTA would); returns its UID.
    pub fn deliver(&mut self, folder: &str, raw: &[u8]) -> u32 {
        self.deliver_with_flags(folder, raw.to_vec(), Vec::new())
    }

    fn deliver_with_flags(&mut self, folder: &str, raw: Vec<u8>, flags: Vec<String>) -> u32 {
        self.create(folder);
        let f = self.folders.get_mut(folder).expect("created");
        let uid = f.next_uid;
        f.next_uid += 1;
        f.modseq += 1;
        f.messages.insert(uid, (raw, flags, f.modseq));
        uid
    }

    /// The messages of a folder: (UID, flags, raw).
    pub fn contents(&self, folder: &str) -> Vec<(u32, Vec<String>, Vec<u8>)> {
        self.folders
            .get(folder)
            .map(|f| {
                f.messages
                    .iter()
                    .map(|(uid, (raw, flags, _))| (*uid, flags.clone(), raw.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Another client sets flags on a message.
    pub fn set_flags_as_other_client(&mut self, folder: &str, uid: u32, flags: &[&str]) {
        let f = self.folders.get_mut(folder).expect("folder");
        f.modseq += 1;
        if let Some(m) = f.messages.get_mut(&uid) {
            m.1 = flags.iter().map(|s| s.to_string()).collect();
            m.2 = f.modseq;
        }
    }

    /// Another client expunges a message.
    pub fn expunge_as_other_client(&mut self, folder: &str, uid: u32) {
        let f = self.folders.get_mut(folder).expect("folder");
        f.modseq += 1;
        f.messages.remove(&uid);
    }

    /// Another client moves a message (as a user dragging it back to the inbox).
    pub fn move_as_other_client(&mut self, from: &str, uid: u32, to: &str) {
        let m = self
            .folders
            .get_mut(from)
            .and_then(|f| f.messages.remove(&uid))
            .expect("message");
        self.deliver_with_flags(to, m.0, m.1);
    }

    /// The server renumbers a folder (a restore from backup, a migration).
    pub fn renumber(&mut self, folder: &str) {
        let f = self.folders.get_mut(folder).expect("folder");
        f.uid_validity += 7;
        let old = std::mem::take(&mut f.messages);
        f.next_uid = 100;
        for (_, m) in old {
            f.messages.insert(f.next_uid, m);
            f.next_uid += 1;
        }
    }

    fn call(&mut self) -> ServerResult<()> {
        self.calls += 1;
        match self.fail_after {
            Some(0) => Err(ServerError::new("connection lost (fake)")),
            Some(n) => {
                self.fail_after = Some(n - 1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn current(&mut self) -> ServerResult<&mut Folder> {
        let name = self
            .selected
            .clone()
            .ok_or_else(|| ServerError::new("no folder selected"))?;
        self.folders
            .get_mut(&name)
            .ok_or_else(|| ServerError::new("selected folder vanished"))
    }

    fn parse_set(set: &str, max: u32) -> Vec<(u32, u32)> {
        set.split(',')
            .filter_map(|part| {
                let (a, b) = part.split_once(':').unwrap_or((part, part));
                let num = |s: &str| if s == "*" { Some(max) } else { s.parse().ok() };
                Some((num(a)?, num(b)?))
            })
            .collect()
    }

    fn message_id_of(raw: &[u8]) -> Option<String> {
        crate::mail::parse(raw).ok()?.message_id
    }
}

impl MailServer for FakeServer {
    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    fn ensure_folder(&mut self, folder: &str) -> ServerResult<()> {
        self.call()?;
        if !self.folders.contains_key(folder) && self.refuse_create.iter().any(|f| f == folder) {
            return Err(ServerError::new(format!(
                "the server refused to create the folder '{folder}': NO Permission denied"
            )));
        }
        self.create(folder);
        Ok(())
    }

    fn folder_exists(&mut self, folder: &str) -> ServerResult<bool> {
        self.call()?;
        Ok(self.folders.contains_key(folder))
    }

    fn select(&mut self, folder: &str) -> ServerResult<FolderState> {
        self.call()?;
        let f = self
            .folders
            .get(folder)
            .ok_or_else(|| ServerError::new(format!("no folder {folder}")))?;
        let state = FolderState {
            uid_validity: f.uid_validity,
            exists: f.messages.len() as u32,
            uid_next: Some(f.next_uid),
            highest_modseq: self.caps.condstore.then_some(f.modseq),
            keywords: !self.no_keywords,
        };
        self.selected = Some(folder.to_string());
        Ok(state)
    }

    fn all_uids(&mut self) -> ServerResult<Vec<u32>> {
        self.call()?;
        Ok(self.current()?.messages.keys().copied().collect())
    }

    fn flags(
        &mut self,
        uids: &str,
        changed_since: Option<u64>,
    ) -> ServerResult<Vec<(u32, Vec<String>)>> {
        self.call()?;
        let f = self.current()?;
        let ranges = FakeServer::parse_set(uids, f.next_uid);
        Ok(f.messages
            .iter()
            .filter(|(uid, _)| ranges.iter().any(|(a, b)| (*a..=*b).contains(*uid)))
            .filter(|(_, (_, _, m))| changed_since.is_none_or(|since| *m > since))
            .map(|(uid, (_, flags, _))| (*uid, flags.clone()))
            .collect())
    }

    fn fetch(&mut self, uids: &[u32]) -> ServerResult<Vec<Fetched>> {
        self.call()?;
        let f = self.current()?;
        Ok(uids
            .iter()
            .filter_map(|uid| {
                let (raw, flags, _) = f.messages.get(uid)?;
                Some(Fetched {
                    uid: *uid,
                    flags: flags.clone(),
                    size: raw.len() as u32,
                    raw: raw.clone(),
                })
            })
            .collect())
    }

    fn fetch_message_ids(&mut self, uids: &[u32]) -> ServerResult<Vec<Identified>> {
        self.call()?;
        let f = self.current()?;
        Ok(uids
            .iter()
            .filter_map(|uid| {
                let (raw, flags, _) = f.messages.get(uid)?;
                Some(Identified {
                    uid: *uid,
                    message_id: FakeServer::message_id_of(raw),
                    flags: flags.clone(),
                })
            })
            .collect())
    }

    fn search_message_id(&mut self, message_id: &str) -> ServerResult<Vec<u32>> {
        self.call()?;
        let f = self.current()?;
        // As IMAP's SEARCH HEADER: a case-insensitive substring of the header's value.
        let wanted = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_lowercase();
        Ok(f.messages
            .iter()
            .filter(|(_, (raw, _, _))| {
                FakeServer::message_id_of(raw).is_some_and(|id| id.to_lowercase().contains(&wanted))
            })
            .map(|(uid, _)| *uid)
            .collect())
    }

    fn search_answers(
        &mut self,
        message_id: &str,
        or_message_id: Option<&str>,
        except: &[String],
    ) -> ServerResult<Vec<u32>> {
        self.call()?;
        let f = self.current()?;
        let bare = |id: &str| {
            id.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_lowercase()
        };
        let wanted = bare(message_id);
        let own = or_message_id.map(bare);
        Ok(f.messages
            .iter()
            .filter(|(_, (raw, _, _))| {
                let Ok(m) = crate::mail::parse(raw) else {
                    return false;
                };
                let id = m.message_id.as_deref().unwrap_or("").to_lowercase();
                let excepted = except.iter().any(|e| id.contains(&bare(e)));
                m.in_reply_to
                    .as_deref()
                    .is_some_and(|r| r.to_lowercase().contains(&wanted) && !excepted)
                    || own.as_deref().is_some_and(|own| {
                        m.message_id
                            .as_deref()
                            .is_some_and(|id| id.to_lowercase().contains(own))
                    })
            })
            .map(|(uid, _)| *uid)
            .collect())
    }

    fn append(&mut self, folder: &str, flags: &[&str], raw: &[u8]) -> ServerResult<()> {
        self.call()?;
        if !self.folders.contains_key(folder) {
            return Err(ServerError::new(format!(
                "cannot save a copy in '{folder}': no such folder"
            )));
        }
        self.deliver_with_flags(
            folder,
            raw.to_vec(),
            flags.iter().map(|f| f.to_string()).collect(),
        );
        Ok(())
    }

    fn add_flags(&mut self, uids: &[u32], flags: &[&str]) -> ServerResult<()> {
        self.call()?;
        if (self.refuse_keywords || self.no_keywords) && flags.iter().any(|f| !f.starts_with('\\'))
        {
            return Err(ServerError::new("IMAP error: No Response: Invalid keyword"));
        }
        let f = self.current()?;
        f.modseq += 1;
        let modseq = f.modseq;
        for uid in uids {
            if let Some(m) = f.messages.get_mut(uid) {
                for flag in flags {
                    if !m.1.iter().any(|x| x == flag) {
                        m.1.push(flag.to_string());
                    }
                }
                m.2 = modseq;
            }
        }
        Ok(())
    }

    fn claim(&mut self, uids: &[u32], flags: &[&str], modseq: u64) -> ServerResult<Vec<u32>> {
        self.call()?;
        if (self.refuse_keywords || self.no_keywords) && flags.iter().any(|f| !f.starts_with('\\'))
        {
            return Err(ServerError::new("IMAP error: No Response: Invalid keyword"));
        }
        let f = self.current()?;
        f.modseq += 1;
        let now = f.modseq;
        let mut changed = Vec::new();
        for uid in uids {
            if let Some(m) = f.messages.get_mut(uid) {
                let missing: Vec<&&str> = flags
                    .iter()
                    .filter(|x| !m.1.iter().any(|y| y == **x))
                    .collect();
                // As Dovecot: a message that passes the test is answered for even when it
                // carries the flags already.
                if m.2 <= modseq {
                    if !missing.is_empty() {
                        m.1.extend(missing.into_iter().map(|x| x.to_string()));
                        m.2 = now;
                    }
                    changed.push(*uid);
                }
            }
        }
        Ok(changed)
    }

    fn move_to(&mut self, uids: &[u32], folder: &str) -> ServerResult<()> {
        if !self.caps.moves {
            return Err(ServerError::new("MOVE is not supported"));
        }
        self.copy_to(uids, folder)?;
        let f = self.current()?;
        for uid in uids {
            f.messages.remove(uid);
        }
        Ok(())
    }

    fn copy_to(&mut self, uids: &[u32], folder: &str) -> ServerResult<()> {
        self.call()?;
        if !self.folders.contains_key(folder) {
            return Err(ServerError::new(format!("no folder {folder}")));
        }
        let copies: Vec<(u32, Vec<u8>, Vec<String>)> = {
            let f = self.current()?;
            uids.iter()
                .filter_map(|u| f.messages.get(u).map(|m| (*u, m.0.clone(), m.1.clone())))
                .collect()
        };
        let mut placed = Placed {
            uid_validity: self.folders[folder].uid_validity,
            uids: Vec::new(),
        };
        for (uid, raw, flags) in copies {
            placed
                .uids
                .push((uid, self.deliver_with_flags(folder, raw, flags)));
        }
        self.placed = Some(placed).filter(|_| self.caps.uidplus);
        Ok(())
    }

    fn placed(&mut self) -> Option<Placed> {
        self.placed.take()
    }

    fn delete(&mut self, uids: &[u32]) -> ServerResult<()> {
        self.call()?;
        if !self.caps.uidplus {
            return Err(ServerError::new("UIDPLUS is not supported"));
        }
        let f = self.current()?;
        f.modseq += 1;
        for uid in uids {
            f.messages.remove(uid);
        }
        Ok(())
    }
}
