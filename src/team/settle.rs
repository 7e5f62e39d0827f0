//! A claim kept past its reply, given up later: a reply whose outcome was unknown keeps its
//! claim (nobody may answer the chaser while nobody knows whether the vendor got it), and
//! when the clerk settles it (`duebox outbox resolve`, `r` in the UI's Sent) the claim is
//! found again on the server, whichever process took it, and released. Never sends mail.

use super::claim::{Claim, ClaimError, ClaimServer, Claims, Place};
use super::marks;
use crate::store::Store;
use chrono::Utc;

impl Claims {
    /// Releases this clerk's claim on the chaser stored as `row`, found on the server: its
    /// keywords where the last sync saw it, or the chaser in this clerk's "In progress"
    /// folder. `answered`: the reply went out (the move puts the chaser back `\Answered`).
    /// Ok(false) when this clerk holds no claim on it (released, taken over, or expired and
    /// cleared by someone else).
    pub fn release_mine(
        &mut self,
        server: &mut dyn ClaimServer,
        store: &Store,
        row: i64,
        answered: bool,
    ) -> Result<bool, ClaimError> {
        let place = store.message_place(row)?.ok_or(ClaimError::NotSynced)?;
        let me = self.team.clerk.clone();
        if server.condstore() {
            if let Some(uid) = place.uid {
                let (opened, now) = server.select_and_fetch(&place.folder, uid)?;
                let same =
                    opened.uid_validity.is_none() || opened.uid_validity == place.uid_validity;
                if let (true, Some((flags, modseq))) = (same, now) {
                    let mine = marks::marks(flags.iter().map(String::as_str), Utc::now())
                        .iter()
                        .any(|m| me.owns(&m.keyword));
                    if mine {
                        let claim = Claim {
                            row,
                            message_id: place.message_id.clone(),
                            place: Place::Keywords {
                                folder: place.folder.clone(),
                                uid,
                                flags,
                                modseq,
                            },
                        };
                        self.release(server, &claim, answered)?;
                        return Ok(true);
                    }
                }
            }
        }
        let (true, Some(id)) = (server.moves(), &place.message_id) else {
            return Ok(false);
        };
        let own = me.folder();
        let Some((_, uid)) = server.find(std::slice::from_ref(&own), id)? else {
            return Ok(false);
        };
        let claim = Claim {
            row,
            message_id: Some(id.clone()),
            place: Place::Moved {
                from: place.folder.clone(),
                to: own,
                uid: Some(uid),
                lock: marks::lock_folder(id),
            },
        };
        self.release(server, &claim, answered)?;
        Ok(true)
    }
}
