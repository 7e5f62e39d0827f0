//! The look before a reply over IMAP in one round trip: EXAMINE Sent, UID SEARCH there,
//! SELECT the answered message's folder and UID FETCH its flags, written at once and read
//! back by tag (raw::pipeline). Reads only; never STOREs, never expunges.

use super::{bare_id, quoted, raw, Imap};
use crate::sync::probe::{Probe, Probed, SentFound, SentSearch};
use crate::sync::server::{Identified, ServerError};
use imap_proto::{AttributeValue, MailboxDatum, Response};

/// The SEARCH criteria for what answers `message_id` (see `MailServer::search_answers`).
pub(super) fn answers_criteria(
    message_id: &str,
    or_message_id: Option<&str>,
    except: &[String],
) -> String {
    let mut answers = format!("HEADER In-Reply-To {}", quoted(bare_id(message_id)));
    for e in except {
        answers.push_str(&format!(" NOT HEADER Message-ID {}", quoted(bare_id(e))));
    }
    match or_message_id {
        Some(own) => format!("OR HEADER Message-ID {} ({answers})", quoted(bare_id(own))),
        None => answers,
    }
}

const HEADER_QUERY: &str = "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])";

/// Which command of the pipeline each index is.
const EXAMINE: usize = 0;
const SEARCH: usize = 1;
const SELECT: usize = 2;
const FETCH: usize = 3;

/// The chaser's UID, flags and Message-ID from a FETCH response about `uid`; None for any
/// other message (another client's flag change arrives unasked, UID included or not).
fn identified(uid: u32, attributes: Vec<AttributeValue<'_>>, into: &mut Option<Identified>) {
    let mut this = None;
    let mut flags = None;
    let mut header = None;
    for a in attributes {
        match a {
            AttributeValue::Uid(u) => this = Some(u),
            AttributeValue::Flags(f) => {
                flags = Some(
                    f.iter()
                        .map(|f| imap::types::Flag::from(f.to_string()))
                        .filter(|f| *f != imap::types::Flag::Recent)
                        .map(|f| f.to_string())
                        .collect::<Vec<String>>(),
                )
            }
            AttributeValue::BodySection { data, .. } => header = data.map(|d| d.into_owned()),
            _ => {}
        }
    }
    if this != Some(uid) {
        return;
    }
    let known = into.get_or_insert_with(|| Identified {
        uid,
        message_id: None,
        flags: Vec::new(),
    });
    // The latest word on the flags counts (a change sent unasked after our FETCH).
    if let Some(f) = flags {
        known.flags = f;
    }
    if let Some(h) = header {
        known.message_id = crate::mail::parse(&h).ok().and_then(|m| m.message_id);
    }
}

impl Imap {
    /// See `MailServer::probe`: one write, one wait.
    pub(super) fn probe_pipelined(&mut self, probe: &Probe) -> Probed {
        let sent_name = self.server_name(&probe.sent_folder);
        let criteria = match &probe.search {
            SentSearch::Answers {
                message_id,
                or_message_id,
                except,
            } => answers_criteria(message_id, or_message_id.as_deref(), except),
            SentSearch::MessageId(id) => format!("HEADER Message-ID {}", quoted(id)),
        };
        let mut commands = vec![
            format!("EXAMINE {}", quoted(&sent_name)),
            format!("UID SEARCH {criteria}"),
        ];
        let chaser_name = probe.chaser.as_ref().map(|(f, _)| self.server_name(f));
        if let (Some(name), Some((_, uid))) = (&chaser_name, &probe.chaser) {
            commands.push(format!("SELECT {}", quoted(name)));
            commands.push(format!("UID FETCH {uid} {HEADER_QUERY}"));
        }
        let wanted = probe.chaser.as_ref().map(|(_, uid)| *uid).unwrap_or(0);
        let mut uids: Vec<u32> = Vec::new();
        let mut chaser: Option<Identified> = None;
        let ended = raw::pipeline(&self.wire, &commands, &mut |at, response| match response {
            Response::MailboxData(MailboxDatum::Search(found)) if at == SEARCH => {
                uids.extend(found)
            }
            // While the chaser's folder is selected; before that, FETCHes are Sent's.
            Response::Fetch(_, attributes) if at >= FETCH => {
                identified(wanted, attributes, &mut chaser)
            }
            _ => {}
        });
        let ended = match ended {
            Ok(ended) => ended,
            Err(e) => {
                let again = || ServerError::new(e.to_string());
                return Probed {
                    sent: SentFound::Unopened(again()),
                    chaser: probe.chaser.as_ref().map(|_| Err(again())),
                };
            }
        };
        let refused = |i: usize| match &ended[i] {
            raw::Ended::Ok => None,
            raw::Ended::Refused(words) => Some(words.clone()),
        };
        // A command after a refused EXAMINE or SELECT ran without that folder open: what it
        // answered is not about that folder and is dropped.
        let sent = match (refused(EXAMINE), refused(SEARCH)) {
            (Some(words), _) => SentFound::Unopened(ServerError::new(format!(
                "cannot open the folder '{}' (as \"{sent_name}\"): {words}",
                probe.sent_folder
            ))),
            (None, Some(words)) => SentFound::Failed(ServerError::refused(format!(
                "the search was refused: {words}"
            ))),
            (None, None) => {
                uids.sort_unstable();
                uids.dedup();
                SentFound::Found(uids)
            }
        };
        let chaser = probe.chaser.as_ref().map(|(folder, _)| {
            match (refused(SELECT), refused(FETCH)) {
                (Some(words), _) => Err(ServerError::new(format!(
                    "cannot open the folder '{folder}' (as \"{}\"): {words}",
                    chaser_name.as_deref().unwrap_or(folder)
                ))),
                // Expunged or moved by another client meanwhile ([EXPUNGEISSUED]).
                (None, Some(_)) => Ok(None),
                (None, None) => Ok(chaser),
            }
        });
        Probed { sent, chaser }
    }
}
