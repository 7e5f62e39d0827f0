//! A move the user asked for (the UI's `m`) and its undo (`u`), made through the same journal
//! as filing: planned before the server is touched, finished after, so a crash or a dropped
//! connection in between is completed or undone by the next sync's recovery. A finished move
//! is recorded as a filing, so sync never files that message somewhere else again.

use super::server::{MailServer, ServerError};
use crate::store::{Store, StoreError};

/// A finished user move: what undo needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMove {
    /// `messages.id` of the message (the row stays the same across moves).
    pub row: i64,
    pub message_id: String,
    pub from: String,
    pub to: String,
}

/// Why a move was not made. The message is where it was unless the text says otherwise.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error("that message is no longer in the local store; sync (s) and try again")]
    NotFound,
    #[error("this message has no Message-ID, so duebox could not check a move of it after a crash; move it with another mail client")]
    NoMessageId,
    #[error("the message is already in {0}")]
    SameFolder(String),
    #[error("the message is no longer in {0} on the server (another client moved or deleted it); sync (s) to see where it is")]
    NotOnServer(String),
    #[error("the server has neither MOVE nor UIDPLUS, so duebox cannot move one message without risking other clients' deleted mail; move it with another mail client")]
    CannotMove,
    #[error("the server failed during the move ({0}); the move is journalled and the next sync finishes or undoes it, so nothing is lost")]
    // No #[from]: that would make the server's error the source too, and a report that
    // prints the chain ("{:#}") would say it twice.
    Server(ServerError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ServerError> for MoveError {
    fn from(e: ServerError) -> Self {
        MoveError::Server(e)
    }
}

/// Moves the message stored as `row` to the folder `to` (created if missing).
pub fn move_message(
    server: &mut dyn MailServer,
    store: &mut Store,
    row: i64,
    to: &str,
) -> Result<UserMove, MoveError> {
    move_with_kind(server, store, row, to, "moved")
}

/// Moves the message of `done` back where it came from.
pub fn undo_move(
    server: &mut dyn MailServer,
    store: &mut Store,
    done: &UserMove,
) -> Result<UserMove, MoveError> {
    let row = match store.message_place(done.row)? {
        Some(place) if place.message_id.as_deref() == Some(done.message_id.as_str()) => done.row,
        _ => store
            .message_in_folder(&done.to, &done.message_id)?
            .ok_or(MoveError::NotFound)?,
    };
    move_with_kind(server, store, row, &done.from, "move_undone")
}

fn move_with_kind(
    server: &mut dyn MailServer,
    store: &mut Store,
    row: i64,
    to: &str,
    kind: &str,
) -> Result<UserMove, MoveError> {
    let place = store.message_place(row)?.ok_or(MoveError::NotFound)?;
    let mid = place.message_id.clone().ok_or(MoveError::NoMessageId)?;
    if place.folder == to {
        return Err(MoveError::SameFolder(to.to_string()));
    }
    let caps = server.capabilities();
    if !caps.moves && !caps.uidplus {
        return Err(MoveError::CannotMove);
    }
    server.ensure_folder(to)?;
    let state = server.select(&place.folder)?;
    // The UID we hold is trusted only if the server still has our message under it: another
    // client may have moved it, or the folder been renumbered, since the last sync.
    let found = server.search_message_id(&mid)?;
    let known = place
        .uid
        .filter(|_| place.uid_validity == Some(state.uid_validity))
        .filter(|uid| found.contains(uid));
    let uid = known
        .or_else(|| found.first().copied())
        .ok_or_else(|| MoveError::NotOnServer(place.folder.clone()))?;
    let journal = store.plan_move(&mid, &place.folder, uid, state.uid_validity, to)?;
    if caps.moves {
        server.move_to(&[uid], to)?;
    } else {
        server.copy_to(&[uid], to)?;
        store.move_copied(journal)?;
        server.delete(&[uid])?;
    }
    store.finish_move(journal, true)?;
    // Learn the new UID now, so the next move (an undo) needs no sync first. If the server
    // does not answer, the row waits without a UID and the next move or sync finds it.
    if server.select(to).is_ok() {
        if let Ok(uids) = server.search_message_id(&mid) {
            if let Some(&new_uid) = uids.iter().max() {
                let folder = store.folder(to)?.id;
                store.relink(folder, new_uid, &mid, &place.flags)?;
            }
        }
    }
    store.record_event(
        "user",
        kind,
        Some(&mid),
        place.vendor.as_deref(),
        place.invoice.as_deref(),
        &format!("{} → {to}", place.folder),
    )?;
    Ok(UserMove {
        row,
        message_id: mid,
        from: place.folder,
        to: to.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Options;
    use crate::config::Folders;
    use crate::payables::validate::PayablesIndex;
    use crate::sync::engine::{sync_once, Settings};
    use crate::sync::fake::FakeServer;

    struct World {
        server: FakeServer,
        store: Store,
        folders: Folders,
    }

    fn mail(n: u32) -> Vec<u8> {
        format!(
            "Message-ID: <m{n}@example.com>\nFrom: Someone <a@example.com>\nSubject: Lunch {n}\nDate: Tue, 3 Nov 2026 10:00:00 +0000\n\nSee you at noon.\n"
        )
        .into_bytes()
    }

    impl World {
        fn new() -> World {
            let mut server = FakeServer::new();
            for n in 1..=3 {
                server.deliver("INBOX", &mail(n));
            }
            let mut w = World {
                server,
                store: Store::in_memory().unwrap(),
                folders: Folders::default(),
            };
            w.sync();
            w
        }

        fn sync(&mut self) {
            let opts = Options {
                own_domains: vec![],
                own_names: vec![],
                today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            };
            let index = PayablesIndex::default();
            let settings = Settings {
                folders: &self.folders,
                classify: &opts,
                index: &index,
            };
            sync_once(&mut self.server, &mut self.store, &settings, &mut |_| {}).unwrap();
        }

        fn row(&self, folder: &str, n: u32) -> i64 {
            self.store
                .message_in_folder(folder, &format!("m{n}@example.com"))
                .unwrap()
                .unwrap()
        }

        /// How many copies of message n each folder holds on the server.
        fn copies(&self, n: u32) -> Vec<(String, usize)> {
            let id = format!("m{n}@example.com");
            ["INBOX", "Archive"]
                .iter()
                .map(|f| {
                    let count = self
                        .server
                        .contents(f)
                        .iter()
                        .filter(|(_, _, raw)| {
                            crate::mail::parse(raw).unwrap().message_id.as_deref() == Some(&id)
                        })
                        .count();
                    (f.to_string(), count)
                })
                .filter(|(_, c)| *c > 0)
                .collect()
        }
    }

    #[test]
    fn move_and_undo_keep_one_copy_and_the_same_row() {
        let mut w = World::new();
        let row = w.row("INBOX", 2);
        let done = move_message(&mut w.server, &mut w.store, row, "Archive").unwrap();
        assert_eq!(done.row, row);
        assert_eq!(w.copies(2), vec![("Archive".to_string(), 1)]);
        let place = w.store.message_place(row).unwrap().unwrap();
        assert_eq!(place.folder, "Archive");
        assert!(place.uid.is_some(), "the new UID was learnt at once");
        let back = undo_move(&mut w.server, &mut w.store, &done).unwrap();
        assert_eq!((back.from.as_str(), back.to.as_str()), ("Archive", "INBOX"));
        assert_eq!(w.copies(2), vec![("INBOX".to_string(), 1)]);
        // A sync afterwards neither refiles nor duplicates it.
        w.sync();
        assert_eq!(w.copies(2), vec![("INBOX".to_string(), 1)]);
        assert_eq!(w.row("INBOX", 2), row);
        assert!(w
            .store
            .message_in_folder("Archive", "m2@example.com")
            .unwrap()
            .is_none());
        assert!(matches!(
            move_message(&mut w.server, &mut w.store, row, "INBOX"),
            Err(MoveError::SameFolder(_))
        ));
    }

    #[test]
    fn without_move_it_copies_and_deletes_exactly_that_message() {
        let mut w = World::new();
        w.server.caps.moves = false;
        let row = w.row("INBOX", 1);
        move_message(&mut w.server, &mut w.store, row, "Archive").unwrap();
        assert_eq!(w.copies(1), vec![("Archive".to_string(), 1)]);
        assert_eq!(w.server.contents("INBOX").len(), 2, "the others stay");
        w.server.caps.uidplus = false;
        let other = w.row("INBOX", 3);
        assert!(matches!(
            move_message(&mut w.server, &mut w.store, other, "Archive"),
            Err(MoveError::CannotMove)
        ));
    }

    #[test]
    fn a_failure_at_any_step_is_finished_or_undone_by_the_next_sync() {
        for moves in [true, false] {
            for fail_after in 0..8 {
                let mut w = World::new();
                w.server.caps.moves = moves;
                let row = w.row("INBOX", 2);
                w.server.fail_after = Some(fail_after);
                let outcome = move_message(&mut w.server, &mut w.store, row, "Archive");
                w.server.fail_after = None;
                w.sync();
                let copies = w.copies(2);
                assert_eq!(
                    copies.iter().map(|(_, n)| n).sum::<usize>(),
                    1,
                    "moves={moves} fail_after={fail_after} outcome={outcome:?}: {copies:?}"
                );
                assert!(w.store.open_moves().unwrap().is_empty());
                let place = w.store.message_place(row).unwrap().unwrap();
                assert_eq!(
                    place.folder, copies[0].0,
                    "the store agrees with the server (moves={moves} fail_after={fail_after})"
                );
            }
        }
    }

    #[test]
    fn a_message_another_client_moved_is_not_moved_blindly() {
        let mut w = World::new();
        let row = w.row("INBOX", 3);
        let uid = w.store.message_place(row).unwrap().unwrap().uid.unwrap();
        w.server.move_as_other_client("INBOX", uid, "Elsewhere");
        assert!(matches!(
            move_message(&mut w.server, &mut w.store, row, "Archive"),
            Err(MoveError::NotOnServer(_))
        ));
        assert_eq!(w.server.contents("Elsewhere").len(), 1);
    }
}
