//! The questions the look before a reply (src/send/check.rs) asks the mailbox, put as one
//! request so that an adapter can answer them in one round trip (IMAP pipelines them); the
//! default answers them one command at a time. Reads only: it never changes the mailbox.

use super::server::{Identified, MailServer, ServerError};

/// What to search Sent for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentSearch {
    /// Replies to `message_id` (none of `except`), or the message `or_message_id` itself:
    /// see [`MailServer::search_answers`].
    Answers {
        message_id: String,
        or_message_id: Option<String>,
        except: Vec<String>,
    },
    /// The message with this Message-ID.
    MessageId(String),
}

/// One look: Sent searched, then the answered message fetched where the last sync saw it,
/// its folder left selected (for \Answered after sending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub sent_folder: String,
    pub search: SentSearch,
    /// The answered message's folder and the UID the last sync saw there.
    pub chaser: Option<(String, u32)>,
}

/// What Sent said.
#[derive(Debug)]
pub enum SentFound {
    /// It could not be opened (it may not exist).
    Unopened(ServerError),
    /// It was opened, the search failed.
    Failed(ServerError),
    /// The UIDs found, ascending.
    Found(Vec<u32>),
}

/// The answers to a [`Probe`].
#[derive(Debug)]
pub struct Probed {
    pub sent: SentFound,
    /// None when no chaser was asked about. `Ok(None)`: not at that UID any more (moved,
    /// renumbered, expunged); `Err`: its folder could not be opened or read.
    pub chaser: Option<Result<Option<Identified>, ServerError>>,
}

/// Answers a probe one command after another (what a server without pipelining costs).
pub fn one_by_one<S: MailServer + ?Sized>(server: &mut S, probe: &Probe) -> Probed {
    let sent = match server.select(&probe.sent_folder) {
        Err(e) => SentFound::Unopened(e),
        Ok(_) => {
            let found = match &probe.search {
                SentSearch::Answers {
                    message_id,
                    or_message_id,
                    except,
                } => server.search_answers(message_id, or_message_id.as_deref(), except),
                SentSearch::MessageId(id) => server.search_message_id(id),
            };
            match found {
                Ok(mut uids) => {
                    uids.sort_unstable();
                    SentFound::Found(uids)
                }
                Err(e) => SentFound::Failed(e),
            }
        }
    };
    let chaser = probe.chaser.as_ref().map(|(folder, uid)| {
        server.select(folder)?;
        Ok(server
            .fetch_message_ids(&[*uid])?
            .into_iter()
            .find(|m| m.uid == *uid))
    });
    Probed { sent, chaser }
}
