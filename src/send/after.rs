//! The work after a reply went out — its copy in Sent (saved once: Sent is searched for the
//! reply's Message-ID before every APPEND that the look just before sending did not
//! already cover) and \Answered on the original — and the recovery of replies a crash left
//! `sending`. Every step is retried until done; none is ever done twice.

use super::check::Look;
use super::{failpoint, OutboxError};
use crate::store::{OutboxEntry, OutboxState, Store};
use crate::sync::server::{MailServer, ServerError};

/// The work after a reply is sent: its copy in Sent, \Answered on the original.
pub struct AfterSend<'a, 'm> {
    pub store: &'a mut Store,
    pub mailbox: Option<&'a mut (dyn MailServer + 'm)>,
    pub sent_folder: &'a str,
    pub save_sent: bool,
}

impl AfterSend<'_, '_> {
    /// Saves the copy in Sent and flags the original \Answered; returns what failed (to be
    /// retried by [`AfterSend::finish_pending`]). `look` is the look taken just before
    /// sending, in this session: it already searched Sent for this reply and found the
    /// original, so neither is asked again.
    pub fn finish(&mut self, e: &OutboxEntry, look: Option<&Look>) -> Vec<String> {
        if e.demo {
            let _ = self.store.set_after_send(e.id, true, true);
            return Vec::new();
        }
        let mut later = Vec::new();
        let Some(server) = self.mailbox.as_deref_mut() else {
            later.push(
                "no mailbox connection: the copy in Sent and \\Answered wait for the next sync"
                    .to_string(),
            );
            return later;
        };
        let current = self.store.outbox_entry(e.id).ok().flatten();
        let (mut saved, mut flagged) = current
            .map(|c| (c.saved_to_sent, c.flagged_answered))
            .unwrap_or((false, false));
        if !saved {
            if !self.save_sent {
                saved = true;
            } else {
                match save_copy(server, self.sent_folder, e, look) {
                    Ok(()) => saved = true,
                    Err(err) => later.push(format!("copy in {}: {err}", self.sent_folder)),
                }
            }
        }
        if !flagged {
            match (&e.answers, e.escalation) {
                (Some(answers), false) => {
                    let known = look.and_then(|l| l.chaser.as_ref());
                    let r = match known {
                        // The look left the original's folder selected.
                        Some((_, uid)) => server.add_flags(&[*uid], &["\\Answered"]),
                        None => flag_answered(self.store, server, answers),
                    };
                    match r {
                        Ok(()) => flagged = true,
                        Err(err) => later.push(format!("\\Answered on the original: {err}")),
                    }
                }
                // An escalation answers nobody.
                _ => flagged = true,
            }
        }
        if let Err(err) = self.store.set_after_send(e.id, saved, flagged) {
            later.push(err.to_string());
        }
        later
    }

    /// After a crash: every reply left `sending` is looked for in Sent; found ones are
    /// recorded as sent, the rest become `unknown` and are returned (with the replies
    /// already unknown) for the user to decide. Replies left `queued` never reached SMTP and
    /// become `failed` (kept, and retried only when asked).
    pub fn recover(&mut self) -> Result<Vec<OutboxEntry>, OutboxError> {
        for e in self.store.outbox(&[OutboxState::Queued])? {
            self.store.settle(
                e.id,
                OutboxState::Queued,
                OutboxState::Failed,
                "duebox stopped before handing it to the SMTP server; not sent",
            )?;
        }
        let sending = self.store.outbox(&[OutboxState::Sending])?;
        for e in sending {
            if e.demo {
                self.store.settle(
                    e.id,
                    OutboxState::Sending,
                    OutboxState::Sent,
                    "demo outbox: not sent",
                )?;
                continue;
            }
            match self.find_in_sent(&e.message_id) {
                Ok(true) => {
                    let found = format!("found in {} after a restart", self.sent_folder);
                    if let Some(e) =
                        self.store
                            .settle(e.id, OutboxState::Sending, OutboxState::Sent, &found)?
                    {
                        self.store.set_after_send(e.id, true, false)?;
                        self.finish(&e, None);
                    }
                }
                Ok(false) => {
                    self.store.settle(
                        e.id,
                        OutboxState::Sending,
                        OutboxState::Unknown,
                        &format!(
                            "duebox stopped while sending it, and it is not in {}",
                            self.sent_folder
                        ),
                    )?;
                }
                Err(err) => {
                    self.store.settle(
                        e.id,
                        OutboxState::Sending,
                        OutboxState::Unknown,
                        &format!(
                            "duebox stopped while sending it; {} could not be searched ({err})",
                            self.sent_folder
                        ),
                    )?;
                }
            }
        }
        Ok(self
            .store
            .outbox(&[OutboxState::Sending, OutboxState::Unknown])?)
    }

    fn find_in_sent(&mut self, message_id: &str) -> Result<bool, ServerError> {
        let Some(server) = self.mailbox.as_deref_mut() else {
            return Err(ServerError::new("no mailbox connection"));
        };
        in_folder(server, self.sent_folder, message_id)
    }

    /// Retries the copies in Sent and \Answered flags that failed before.
    pub fn finish_pending(&mut self) -> Result<Vec<String>, OutboxError> {
        let mut later = Vec::new();
        for e in self.store.unfinished_after_send()? {
            later.extend(self.finish(&e, None));
        }
        Ok(later)
    }
}

/// Whether a message with this Message-ID is in the folder (false when there is no folder).
fn in_folder(
    server: &mut dyn MailServer,
    folder: &str,
    message_id: &str,
) -> Result<bool, ServerError> {
    if !server.folder_exists(folder)? {
        return Ok(false);
    }
    server.select(folder)?;
    Ok(!server.search_message_id(message_id)?.is_empty())
}

/// The copy in Sent, exactly once. After the look before sending (same session, moments
/// ago) Sent was searched for this Message-ID already; otherwise it is searched now.
fn save_copy(
    server: &mut dyn MailServer,
    sent_folder: &str,
    e: &OutboxEntry,
    look: Option<&Look>,
) -> Result<(), ServerError> {
    match look {
        Some(l) if l.own_copy => return Ok(()),
        Some(l) if l.sent_exists => {}
        Some(_) => server.ensure_folder(sent_folder)?,
        None => {
            if in_folder(server, sent_folder, &e.message_id)? {
                return Ok(());
            }
            server.ensure_folder(sent_folder)?;
        }
    }
    server.append(sent_folder, &["\\Seen"], &e.raw)?;
    // The copy is in Sent, not yet recorded: the next search must find it.
    failpoint("after-append");
    Ok(())
}

/// Sets \Answered on the original wherever it is now (found by Message-ID).
fn flag_answered(
    store: &Store,
    server: &mut dyn MailServer,
    message_id: &str,
) -> Result<(), ServerError> {
    let folders = store
        .locations(message_id)
        .map_err(|e| ServerError::new(e.to_string()))?;
    if folders.is_empty() {
        // Never synced (answered from a file): nothing to flag.
        return Ok(());
    }
    for (folder, _) in folders {
        if !server.folder_exists(&folder)? {
            continue;
        }
        server.select(&folder)?;
        let uids = server.search_message_id(message_id)?;
        if !uids.is_empty() {
            return server.add_flags(&uids, &["\\Answered"]);
        }
    }
    Err(ServerError::new(format!(
        "the original <{message_id}> is no longer where it was synced; it will be flagged after the next sync"
    )))
}
