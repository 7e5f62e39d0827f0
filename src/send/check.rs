//! The look at the mailbox just before a reply goes out: is the message already answered —
//! by this duebox (its outbox knows the reply), or elsewhere (another duebox on the same
//! account, a colleague, another mail client)? And is this very reply already in Sent?
//! Reads only; it never changes the mailbox. Asked as one probe (src/sync/probe.rs), which
//! IMAP pipelines into one round trip: Sent first (one search for both questions), then the
//! answered message, whose folder is left selected so that \Answered can be set after
//! sending without another SELECT.

use crate::mail::sanitize::one_line;
use crate::store::{OutboxState, Store};
use crate::sync::probe::{Probe, SentFound, SentSearch};
use crate::sync::server::{Fetched, Identified, MailServer, ServerError};

/// Who answered a message and when, as far as the evidence on the server says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elsewhere {
    /// The From of the reply in Sent.
    pub who: Option<String>,
    /// Its Date, `YYYY-MM-DD HH:MM:SS` UTC.
    pub when: Option<String>,
    /// Its Message-ID, with angle brackets; None when only the \Answered flag says so.
    pub copy: Option<String>,
}

impl Elsewhere {
    /// "by Jo <jo@x> on 2026-12-02 10:31:00 UTC (their reply <id> is in Sent)".
    pub fn words(&self) -> String {
        match &self.copy {
            Some(copy) => format!(
                "by {} on {} (their reply {copy} is in Sent)",
                self.who.as_deref().unwrap_or("someone"),
                self.when
                    .as_deref()
                    .map(|w| format!("{w} UTC"))
                    .unwrap_or_else(|| "an unknown date".into()),
            ),
            None => "elsewhere: it carries \\Answered on the server (set by another mail client or a colleague), and no reply in Sent says who or when".into(),
        }
    }

    fn flag_only() -> Elsewhere {
        Elsewhere {
            who: None,
            when: None,
            copy: None,
        }
    }
}

/// What the look found.
#[derive(Debug, Clone, Default)]
pub struct Look {
    /// This reply (by its Message-ID) is already in Sent.
    pub own_copy: bool,
    pub elsewhere: Option<Elsewhere>,
    /// The answered message on the server: its folder (left selected) and UID.
    pub chaser: Option<(String, u32)>,
    /// Whether the Sent folder exists (it is created before the copy is saved otherwise).
    pub sent_exists: bool,
    /// What could not be looked at; the look is then partial.
    pub gaps: Vec<String>,
}

fn bare(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}

fn same_id(a: &str, b: &str) -> bool {
    bare(a).eq_ignore_ascii_case(bare(b))
}

/// Whether a message in Sent is one of our own replies (by its Message-ID).
fn is_ours(store: &Store, id: &str) -> bool {
    store
        .outbox_by_message_id(&format!("<{}>", bare(id)))
        .ok()
        .flatten()
        .is_some()
}

/// At most this many of our own replies are left out by the server's search; any more (a
/// message answered hundreds of times) are read and recognised here, as before.
const EXCEPT_AT_MOST: usize = 100;

/// The Message-IDs of our other replies to `answers`, newest first: the Sent search leaves
/// them out, so the look costs the same however often we answered the message before.
fn ours_to(store: &Store, answers: &str, own: &str) -> Vec<String> {
    let mut ids: Vec<String> = store
        .reply_ids_to(answers)
        .unwrap_or_default()
        .into_iter()
        .filter(|id| !same_id(id, own))
        .collect();
    ids.truncate(EXCEPT_AT_MOST);
    ids
}

/// Whether our own outbox explains a reply to `answers` (so \Answered on it is ours).
fn answered_by_us(store: &Store, answers: &str) -> bool {
    store.replies_to(answers).is_ok_and(|rs| {
        rs.iter()
            .any(|r| !r.escalation && !r.demo && r.state == OutboxState::Sent)
    })
}

/// Looks at the server for the reply `own` (Message-ID with brackets) to `answers` (the
/// answered message's Message-ID, if any). Asked as one [`Probe`]: one round trip on a
/// server that pipelines, when nothing answers the message yet and it is where the last
/// sync saw it. Evidence to read (a reply in Sent) or a message gone elsewhere costs more.
pub fn look(
    server: &mut dyn MailServer,
    store: &Store,
    sent_folder: &str,
    answers: Option<&str>,
    own: &str,
) -> Look {
    let mut look = Look::default();
    let locations = answers.map(|a| store.locations(a));
    let chaser = match &locations {
        Some(Ok(found)) => found
            .iter()
            .find_map(|(folder, uid)| Some((folder.clone(), (*uid)?))),
        _ => None,
    };
    let search = match answers {
        Some(a) => SentSearch::Answers {
            message_id: a.to_string(),
            or_message_id: Some(own.to_string()),
            except: ours_to(store, a, own),
        },
        None => SentSearch::MessageId(own.to_string()),
    };
    let probe = Probe {
        sent_folder: sent_folder.to_string(),
        search,
        chaser,
    };
    let probed = server.probe(&probe);
    // The chaser as the probe found it: at its stored UID, with the same Message-ID.
    let mut original = match (&probe.chaser, probed.chaser, answers) {
        (Some((folder, _)), Some(Ok(Some(m))), Some(a))
            if m.message_id.as_deref().is_some_and(|id| same_id(id, a)) =>
        {
            Some((folder.clone(), m.uid, m.flags))
        }
        _ => None,
    };
    match probed.sent {
        SentFound::Found(uids) => {
            look.sent_exists = true;
            if !uids.is_empty() {
                // Sent was left for the chaser's folder: back to read what the search found.
                let reopened = match probe.chaser {
                    Some(_) => server.select(sent_folder).map(|_| ()),
                    None => Ok(()),
                };
                match reopened.and_then(|()| others_replies(server, store, uids, own)) {
                    Ok((own_copy, copies)) => {
                        look.own_copy |= own_copy;
                        read_copies(&mut look, store, &copies, answers, own);
                    }
                    Err(e) => look.gaps.push(format!("the {sent_folder} folder: {e}")),
                }
                // \Answered is set after sending on the selected folder.
                if let Some((folder, _, _)) = &original {
                    if server.select(folder).is_err() {
                        original = None;
                    }
                }
            }
        }
        SentFound::Failed(e) => {
            look.sent_exists = true;
            look.gaps.push(format!("the {sent_folder} folder: {e}"));
        }
        SentFound::Unopened(e) => match server.folder_exists(sent_folder) {
            Ok(false) => {}
            _ => look.gaps.push(format!("the {sent_folder} folder: {e}")),
        },
    }
    let Some(answers) = answers else {
        return look;
    };
    let found = match original {
        Some(o) => Ok(Some(o)),
        // Moved, renumbered, or never synced at a UID: looked for everywhere it was seen.
        None => find_original(server, store, answers),
    };
    let mut answered = false;
    match found {
        Ok(Some((folder, uid, flags))) => {
            answered = flags.iter().any(|f| f.eq_ignore_ascii_case("\\Answered"));
            look.chaser = Some((folder, uid));
        }
        Ok(None) => {}
        Err(e) => look.gaps.push(format!("the answered message: {e}")),
    }
    if answered && look.elsewhere.is_none() && !answered_by_us(store, answers) {
        look.elsewhere = Some(Elsewhere::flag_only());
    }
    look
}

/// What the Sent search found, Message-IDs first (small): whether this reply is among
/// them, and others' replies read whole (for who and when); our own need no more.
fn others_replies(
    server: &mut dyn MailServer,
    store: &Store,
    uids: Vec<u32>,
    own: &str,
) -> Result<(bool, Vec<Fetched>), ServerError> {
    if uids.is_empty() {
        return Ok((false, Vec::new()));
    }
    let mut own_copy = false;
    let mut rest = Vec::new();
    for m in server.fetch_message_ids(&uids)? {
        let id = m.message_id.as_deref().unwrap_or("");
        if !id.is_empty() && same_id(id, own) {
            own_copy = true;
        } else if id.is_empty() || !is_ours(store, id) {
            rest.push(m.uid);
        }
    }
    let copies = if rest.is_empty() {
        Vec::new()
    } else {
        server.fetch(&rest)?
    };
    Ok((own_copy, copies))
}

/// Sorts what the Sent search found: this reply itself, our other replies, and others'.
fn read_copies(
    look: &mut Look,
    store: &Store,
    copies: &[Fetched],
    answers: Option<&str>,
    own: &str,
) {
    for f in copies {
        let Ok(m) = crate::mail::parse(&f.raw) else {
            continue;
        };
        let id = m.message_id.as_deref().unwrap_or("");
        if !id.is_empty() && same_id(id, own) {
            look.own_copy = true;
            continue;
        }
        // HEADER search matches substrings: only an exact In-Reply-To counts.
        let answering = answers
            .zip(m.in_reply_to.as_deref())
            .is_some_and(|(a, r)| same_id(a, r));
        if !answering {
            continue;
        }
        if !id.is_empty() && is_ours(store, id) {
            continue;
        }
        let found = Elsewhere {
            who: m.from.as_ref().map(|a| match &a.name {
                Some(n) if !n.trim().is_empty() => one_line(&format!("{n} <{}>", a.email)),
                _ => one_line(&a.email),
            }),
            when: m.date.map(crate::store::timestamp),
            copy: (!id.is_empty()).then(|| format!("<{}>", one_line(bare(id)))),
        };
        // The first answer is the one to name.
        let first = match &look.elsewhere {
            None => true,
            Some(e) => match (&e.when, &found.when) {
                (Some(a), Some(b)) => b < a,
                (None, Some(_)) => true,
                _ => false,
            },
        };
        if first {
            look.elsewhere = Some(found);
        }
    }
}

/// The answered message on the server, where the last sync saw it: folder, UID, flags. The
/// stored UID is tried first (one FETCH); a message renumbered within the folder is
/// searched for by Message-ID.
fn find_original(
    server: &mut dyn MailServer,
    store: &Store,
    answers: &str,
) -> Result<Option<(String, u32, Vec<String>)>, ServerError> {
    let locations = store
        .locations(answers)
        .map_err(|e| ServerError::new(e.to_string()))?;
    let matching = |found: Vec<Identified>| {
        found.into_iter().find(|m| {
            m.message_id
                .as_deref()
                .is_some_and(|id| same_id(id, answers))
        })
    };
    for (folder, uid) in locations {
        if server.select(&folder).is_err() {
            continue;
        }
        let mut hit = match uid {
            Some(u) => matching(server.fetch_message_ids(&[u])?),
            None => None,
        };
        if hit.is_none() {
            let uids = server.search_message_id(answers)?;
            if !uids.is_empty() {
                hit = matching(server.fetch_message_ids(&uids)?);
            }
        }
        if let Some(m) = hit {
            return Ok(Some((folder, m.uid, m.flags)));
        }
    }
    Ok(None)
}

/// Without the mailbox: what the last sync saw (\Answered on the stored message), when our
/// own outbox does not explain it.
pub fn look_offline(store: &Store, answers: Option<&str>) -> Option<Elsewhere> {
    let answers = answers?;
    let flagged = store
        .stored_flags(answers)
        .ok()?
        .iter()
        .any(|f| f.eq_ignore_ascii_case("\\Answered"));
    (flagged && !answered_by_us(store, answers)).then(Elsewhere::flag_only)
}
