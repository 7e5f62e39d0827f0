//! Learning from the clerk's corrections: which moves say what about a message (into or out
//! of a chaser folder, in duebox or in another mail client), the clerk's explicit "not a
//! chaser" / "this is a final notice", and the one place where a learnt verdict overrules
//! the classifier, called by the sync pass and by `duebox classify --db` alike. A learnt
//! verdict never hides a fraud warning: the risks stay, and filing still holds such mail
//! for review.

use super::server::MailServer;
use super::user_move::{self, MoveError, UserMove};
use crate::classify::fingerprint::{sender_key, subject_shape, Fingerprint, Verdict};
use crate::classify::{Classification, Kind, Stage};
use crate::config::Folders;
use crate::mail::Message;
use crate::store::{Correction, CorrectionSource, Store, StoreError};
use std::collections::HashMap;

const INBOX: &str = "INBOX";

/// Every correction, by sender and then subject shape, read once per pass (or per
/// `classify` run): the subject is shaped only for a sender the clerk corrected.
#[derive(Debug, Default, Clone)]
pub struct Learnt {
    by_sender: HashMap<String, HashMap<String, Correction>>,
}

impl Learnt {
    pub fn load(store: &Store) -> Result<Learnt, StoreError> {
        let mut by_sender: HashMap<String, HashMap<String, Correction>> = HashMap::new();
        for c in store.corrections()? {
            by_sender
                .entry(c.fingerprint.sender.clone())
                .or_default()
                .insert(c.fingerprint.subject.clone(), c);
        }
        Ok(Learnt { by_sender })
    }

    pub fn is_empty(&self) -> bool {
        self.by_sender.is_empty()
    }
}

/// After `classify()`: a message whose shape the clerk corrected gets the clerk's verdict,
/// with the reason first among its reasons. Returns the correction used.
pub fn overrule<'a>(
    learnt: &'a Learnt,
    msg: &Message,
    c: &mut Classification,
) -> Option<&'a Correction> {
    if learnt.is_empty() {
        return None;
    }
    let sender = sender_key(&msg.from.as_ref()?.email)?;
    let correction = learnt
        .by_sender
        .get(&sender)?
        .get(&subject_shape(&msg.subject))?;
    match correction.verdict {
        Verdict::NotChaser => {
            c.kind = Kind::Other;
            c.stage = None;
        }
        Verdict::Chaser(stage) => {
            c.kind = Kind::Chaser;
            c.stage = Some(stage);
        }
    }
    c.reasons.insert(0, correction.reason());
    Some(correction)
}

/// The stage a folder files, if it is one of the four chaser folders.
fn stage_of(folders: &Folders, folder: &str) -> Option<Stage> {
    [
        (&folders.reminder, Stage::Reminder),
        (&folders.overdue, Stage::Overdue),
        (&folders.final_notice, Stage::Final),
        (&folders.statement, Stage::Statement),
    ]
    .into_iter()
    .find(|(name, _)| name.as_str() == folder)
    .map(|(_, s)| s)
}

/// The folder a stage is filed in.
fn folder_of(folders: &Folders, stage: Stage) -> &str {
    match stage {
        Stage::Reminder => &folders.reminder,
        Stage::Overdue => &folders.overdue,
        Stage::Final => &folders.final_notice,
        Stage::Statement => &folders.statement,
    }
}

/// What moving a message from `from` to `to` says about it: into a chaser folder, that it is
/// that stage; out of one into the Inbox, that it is not a chaser. Moves elsewhere (to the
/// archive, to or from review) say nothing about what the message is.
pub fn verdict_of_move(folders: &Folders, from: &str, to: &str) -> Option<Verdict> {
    match (stage_of(folders, from), stage_of(folders, to)) {
        (old, Some(new)) if old != Some(new) => Some(Verdict::Chaser(new)),
        (Some(_), None) if to == INBOX => Some(Verdict::NotChaser),
        _ => None,
    }
}

/// Learns from a message moved from `from` to `to`, when the move says something and the
/// message has a shape to recognise the next one by.
#[allow(clippy::too_many_arguments)]
pub fn learn_from_move(
    store: &mut Store,
    folders: &Folders,
    from: &str,
    to: &str,
    from_addr: Option<&str>,
    subject: Option<&str>,
    message_id: Option<&str>,
    source: CorrectionSource,
) -> Result<Option<Correction>, StoreError> {
    let Some(verdict) = verdict_of_move(folders, from, to) else {
        return Ok(None);
    };
    let Some(shape) = Fingerprint::new(from_addr.unwrap_or(""), subject.unwrap_or("")) else {
        return Ok(None);
    };
    let detail = format!("{}, {}: {from} → {to}", shape.words(), source.words());
    store
        .teach(&shape, verdict, source, message_id, &detail)
        .map(Some)
}

/// What a sync pass sees of other mail clients' moves: messages that left a folder, and
/// messages that turned up in one while we held them in another.
#[derive(Debug, Default)]
pub struct Arrivals {
    /// Message-ID → the folder it left in this pass.
    departed: HashMap<String, String>,
    arrived: Vec<Arrival>,
    /// Whether another folder than the one being synced holds any message: when none does
    /// (a first sync), no new message needs looking up.
    others_held: bool,
}

#[derive(Debug)]
struct Arrival {
    message_id: String,
    from: String,
    to: String,
    from_addr: Option<String>,
    subject: Option<String>,
}

impl Arrivals {
    /// Before a folder's new mail is stored.
    pub fn begin(&mut self, store: &Store, folder: &str) -> Result<(), StoreError> {
        self.others_held = store.holds_outside(folder)?;
        Ok(())
    }

    /// The message left `folder` (expunged there, or moved away).
    pub fn left(&mut self, message_id: String, folder: &str) {
        self.departed.insert(message_id, folder.to_string());
    }

    /// A message new in `folder`: if we hold it, or held it earlier in this pass, in another
    /// folder, another client moved (or copied) it here. A message the clerk put in the
    /// Inbox stays there, even if duebox never filed it before.
    pub fn note(
        &mut self,
        store: &mut Store,
        folder: &str,
        message_id: Option<&str>,
        from_addr: Option<&str>,
        subject: Option<&str>,
    ) -> Result<(), StoreError> {
        let Some(mid) = message_id else {
            return Ok(());
        };
        let from = match self.departed.get(mid) {
            Some(f) => Some(f.clone()),
            None if self.others_held => store.held_elsewhere(mid, folder)?,
            None => None,
        };
        // A move duebox journalled (one a crash left in both folders, say) is not the clerk's.
        let Some(from) = from.filter(|f| !store.journalled_move(mid, f, folder).unwrap_or(true))
        else {
            return Ok(());
        };
        if folder == INBOX {
            if let Some(row) = store.message_in_folder(INBOX, mid)? {
                store.clear_destination(row)?;
            }
        }
        self.arrived.push(Arrival {
            message_id: mid.to_string(),
            from,
            to: folder.to_string(),
            from_addr: from_addr.map(str::to_string),
            subject: subject.map(str::to_string),
        });
        Ok(())
    }

    /// At the end of a pass: learns from each arrival whose message left the folder it came
    /// from. A message arriving in the Inbox is known to have left a chaser folder only once
    /// that folder is synced, later in the pass; a copy, or a resent duplicate with the same
    /// Message-ID, teaches nothing.
    pub fn learn(&self, store: &mut Store, folders: &Folders) -> Result<(), StoreError> {
        for a in &self.arrived {
            if self.departed.get(&a.message_id) != Some(&a.from) {
                continue;
            }
            let row = store.message_in_folder(&a.to, &a.message_id)?;
            learn_and_mark(
                store,
                folders,
                row,
                &a.from,
                &a.to,
                a.from_addr.as_deref(),
                a.subject.as_deref(),
                &a.message_id,
                CorrectionSource::ClientMove,
            )?;
        }
        Ok(())
    }
}

/// The UI's `m`: moves the message and learns from the move; returns the move and what it
/// taught.
pub fn move_message(
    server: &mut dyn MailServer,
    store: &mut Store,
    folders: &Folders,
    row: i64,
    to: &str,
) -> Result<(UserMove, Option<Correction>), MoveError> {
    let done = user_move::move_message(server, store, row, to)?;
    let learnt = learn_from_user_move(store, folders, &done, CorrectionSource::UiMove)?;
    Ok((done, learnt))
}

fn learn_from_user_move(
    store: &mut Store,
    folders: &Folders,
    done: &UserMove,
    source: CorrectionSource,
) -> Result<Option<Correction>, StoreError> {
    let Some(shape) = store.message_shape_of(done.row)? else {
        return Ok(None);
    };
    learn_and_mark(
        store,
        folders,
        Some(done.row),
        &done.from,
        &done.to,
        shape.from_addr.as_deref(),
        shape.subject.as_deref(),
        &done.message_id,
        source,
    )
}

/// Learns from a move (by the UI or another client) and, when the moved message is in the
/// store (`row`), marks it with what was learnt: it now reads as the clerk said.
#[allow(clippy::too_many_arguments)]
fn learn_and_mark(
    store: &mut Store,
    folders: &Folders,
    row: Option<i64>,
    from: &str,
    to: &str,
    from_addr: Option<&str>,
    subject: Option<&str>,
    message_id: &str,
    source: CorrectionSource,
) -> Result<Option<Correction>, StoreError> {
    let learnt = learn_from_move(
        store,
        folders,
        from,
        to,
        from_addr,
        subject,
        Some(message_id),
        source,
    )?;
    if let (Some(c), Some(row)) = (&learnt, row) {
        store.set_message_verdict(row, c.verdict, &c.reason())?;
    }
    Ok(learnt)
}

/// The UI's `u`: moves the message back and takes back what the move taught.
pub fn undo_move(
    server: &mut dyn MailServer,
    store: &mut Store,
    done: &UserMove,
) -> Result<UserMove, MoveError> {
    let back = user_move::undo_move(server, store, done)?;
    store.unteach(&done.message_id)?;
    Ok(back)
}

/// What an explicit correction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrected {
    pub verdict: Verdict,
    /// What was learnt; `None` when the message has nothing to recognise the next one by
    /// (no sender domain, or a subject of numbers alone).
    pub learnt: Option<Correction>,
    /// Where the message was moved, to sit where its new verdict files it.
    pub moved_to: Option<String>,
    /// It should have moved, but there was no connection: it stays where it is.
    pub stays_offline: bool,
}

/// Why an explicit correction could not be made (in full).
#[derive(Debug, thiserror::Error)]
pub enum CorrectError {
    #[error("that message is no longer in the local store; sync (s) and try again")]
    NotFound,
    #[error("the correction is saved, but moving the message failed: {0}")]
    Move(MoveError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The UI's "not a chaser" / "this is a <stage>": remembers the verdict for messages of this
/// shape, gives it to this message, and moves the message where that verdict files it when
/// it sits in the Inbox or a chaser folder (fraud-flagged mail stays where it is, and
/// nothing moves in label-only mode). `server` is `None` when there is no connection: the
/// correction is kept and the message stays.
pub fn correct(
    server: Option<&mut dyn MailServer>,
    store: &mut Store,
    folders: &Folders,
    row: i64,
    verdict: Verdict,
) -> Result<Corrected, CorrectError> {
    let shape = store.message_shape_of(row)?.ok_or(CorrectError::NotFound)?;
    let place = store.message_place(row)?.ok_or(CorrectError::NotFound)?;
    let fingerprint = Fingerprint::new(
        shape.from_addr.as_deref().unwrap_or(""),
        shape.subject.as_deref().unwrap_or(""),
    );
    let (learnt, reason) = match &fingerprint {
        Some(fp) => {
            let detail = format!("{}, {}", fp.words(), CorrectionSource::UiCommand.words());
            let c = store.teach(
                fp,
                verdict,
                CorrectionSource::UiCommand,
                shape.message_id.as_deref(),
                &detail,
            )?;
            let reason = c.reason();
            (Some(c), reason)
        }
        None => {
            store.record_event(
                "user",
                "corrected",
                shape.message_id.as_deref(),
                place.vendor.as_deref(),
                place.invoice.as_deref(),
                &format!(
                    "{} (this message only: nothing to recognise the next one by)",
                    verdict.words()
                ),
            )?;
            (None, format!("you said this is {}", verdict.words()))
        }
    };
    store.set_message_verdict(row, verdict, &reason)?;
    let here = place.folder.as_str();
    let movable =
        !folders.label_only && !shape.risky && (here == INBOX || stage_of(folders, here).is_some());
    let target = match verdict {
        Verdict::NotChaser => INBOX,
        Verdict::Chaser(stage) => folder_of(folders, stage),
    };
    let (mut moved_to, mut stays_offline) = (None, false);
    if movable && target != here {
        match server {
            Some(server) => {
                user_move::move_message(server, store, row, target).map_err(CorrectError::Move)?;
                moved_to = Some(target.to_string());
            }
            None => stays_offline = true,
        }
    }
    Ok(Corrected {
        verdict,
        learnt,
        moved_to,
        stays_offline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Options;
    use crate::payables::validate::PayablesIndex;
    use crate::sync::engine::{sync_once, Report, Settings};
    use crate::sync::fake::FakeServer;

    fn chaser(n: u32) -> Vec<u8> {
        format!(
            "Message-ID: <c{n}@acme.co.uk>\nFrom: Acme <ar@billing.acme.co.uk>\nSubject: Overdue invoice INV-{n} for GBP {n}.00\nDate: Tue, 3 Nov 2026 10:00:00 +0000\n\nInvoice INV-{n} is now overdue. Please pay the outstanding balance of GBP {n}.00 immediately.\n"
        )
        .into_bytes()
    }

    fn sync(server: &mut FakeServer, store: &mut Store) -> Report {
        let opts = Options {
            own_domains: vec![],
            own_names: vec![],
            today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        };
        let index = PayablesIndex::default();
        let folders = Folders::default();
        let settings = Settings {
            folders: &folders,
            classify: &opts,
            index: &index,
        };
        sync_once(server, store, &settings, &mut |_| {}).unwrap()
    }

    fn uid_of(server: &FakeServer, folder: &str, n: u32) -> Option<u32> {
        let id = format!("c{n}@acme.co.uk");
        server
            .contents(folder)
            .into_iter()
            .find(|(_, _, raw)| {
                crate::mail::parse(raw).unwrap().message_id.as_deref() == Some(id.as_str())
            })
            .map(|(uid, _, _)| uid)
    }

    #[test]
    fn another_clients_move_teaches_the_next_message_and_undo_untaches() {
        let (mut server, mut store) = (FakeServer::new(), Store::in_memory().unwrap());
        server.deliver("INBOX", &chaser(1));
        let r = sync(&mut server, &mut store);
        assert_eq!(r.filed.get("Chasers/Overdue"), Some(&1), "{r:?}");
        let uid = uid_of(&server, "Chasers/Overdue", 1).unwrap();
        server.move_as_other_client("Chasers/Overdue", uid, "INBOX");
        sync(&mut server, &mut store);
        assert!(
            uid_of(&server, "INBOX", 1).is_some(),
            "the clerk's choice stands"
        );
        let learnt = store.corrections().unwrap();
        assert_eq!(learnt.len(), 1);
        assert_eq!(learnt[0].verdict, Verdict::NotChaser);
        let first = store
            .message_in_folder("INBOX", "c1@acme.co.uk")
            .unwrap()
            .unwrap();
        let first = store.detail(first).unwrap().unwrap();
        assert!(
            !first.summary.is_chaser(),
            "the moved message reads as the clerk said"
        );
        assert_eq!(learnt[0].source, CorrectionSource::ClientMove);
        server.deliver("INBOX", &chaser(2));
        let r = sync(&mut server, &mut store);
        assert!(r.filed.is_empty(), "{r:?}");
        let row = store
            .message_in_folder("INBOX", "c2@acme.co.uk")
            .unwrap()
            .unwrap();
        let detail = store.detail(row).unwrap().unwrap();
        assert_eq!(
            detail.reasons[0],
            "you filed 1 message like this as not a chaser"
        );
        assert!(!detail.summary.is_chaser());
        assert_eq!(store.corrections().unwrap()[0].used, 1);

        // In duebox: into Final, which replaces the lesson; undo takes it back.
        let folders = Folders::default();
        let (done, taught) = move_message(
            &mut server,
            &mut store,
            &folders,
            row,
            "Chasers/Final notices",
        )
        .unwrap();
        assert_eq!(
            taught.map(|c| c.verdict),
            Some(Verdict::Chaser(Stage::Final))
        );
        let learnt = store.corrections().unwrap();
        assert_eq!(learnt[0].verdict, Verdict::Chaser(Stage::Final));
        assert_eq!(learnt[0].source, CorrectionSource::UiMove);
        let moved = store.detail(row).unwrap().unwrap();
        assert_eq!(moved.summary.stage, Some(crate::classify::Stage::Final));
        assert_eq!(
            moved.reasons[0],
            "you filed 1 message like this as a final notice"
        );
        undo_move(&mut server, &mut store, &done).unwrap();
        let back = store.detail(row).unwrap().unwrap();
        assert!(!back.summary.is_chaser(), "its own verdict again");
        assert_eq!(
            back.reasons[0],
            "you filed 1 message like this as not a chaser"
        );
        assert!(
            store.corrections().unwrap().is_empty(),
            "undo took the lesson back"
        );
        server.deliver("INBOX", &chaser(3));
        let r = sync(&mut server, &mut store);
        assert_eq!(
            r.filed.get("Chasers/Overdue"),
            Some(&1),
            "the rules decide again: {r:?}"
        );
    }

    #[test]
    fn a_copy_or_a_resent_duplicate_teaches_nothing() {
        let (mut server, mut store) = (FakeServer::new(), Store::in_memory().unwrap());
        server.deliver("INBOX", &chaser(1));
        sync(&mut server, &mut store);
        // The same message (same Message-ID) again in the Inbox; the filed one stays.
        server.deliver("INBOX", &chaser(1));
        sync(&mut server, &mut store);
        assert!(uid_of(&server, "Chasers/Overdue", 1).is_some());
        assert!(store.corrections().unwrap().is_empty());
    }

    #[test]
    fn an_explicit_correction_moves_the_message_and_keeps_fraud_where_it_is() {
        let (mut server, mut store) = (FakeServer::new(), Store::in_memory().unwrap());
        server.deliver("INBOX", &chaser(1));
        sync(&mut server, &mut store);
        let folders = Folders::default();
        let row = store
            .message_in_folder("Chasers/Overdue", "c1@acme.co.uk")
            .unwrap()
            .unwrap();
        let done = correct(
            Some(&mut server),
            &mut store,
            &folders,
            row,
            Verdict::NotChaser,
        )
        .unwrap();
        assert_eq!(done.moved_to.as_deref(), Some("INBOX"));
        assert!(uid_of(&server, "INBOX", 1).is_some());
        let detail = store.detail(row).unwrap().unwrap();
        assert_eq!(
            detail.reasons[0],
            "you filed 1 message like this as not a chaser"
        );
        // Without a connection the lesson is kept and the message stays.
        let done = correct(
            None,
            &mut store,
            &folders,
            row,
            Verdict::Chaser(Stage::Reminder),
        )
        .unwrap();
        assert!(done.stays_offline && done.moved_to.is_none());
        assert_eq!(
            store.corrections().unwrap()[0].verdict,
            Verdict::Chaser(Stage::Reminder)
        );
        let kinds: Vec<String> = store
            .events(&Default::default())
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .filter(|k| k.starts_with("correction"))
            .collect();
        assert_eq!(kinds, ["correction_learnt", "correction_learnt"]);
        // A fraud-flagged message's verdict is never overruled into a normal folder.
        let mut c = crate::classify::classify_bytes(
            &chaser(9),
            &Options {
                own_domains: vec![],
                own_names: vec![],
                today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            },
        )
        .unwrap();
        c.1.risk.push(crate::classify::risk::Risk::BankChange);
        let learnt = Learnt::load(&store).unwrap();
        assert!(overrule(&learnt, &c.0, &mut c.1).is_some());
        assert_eq!(
            crate::sync::filing::destination(&c.1, &folders, false),
            Some("Chasers/Review")
        );
    }

    #[test]
    fn which_moves_teach_what() {
        let f = Folders::default();
        assert_eq!(
            verdict_of_move(&f, "Chasers/Overdue", "INBOX"),
            Some(Verdict::NotChaser)
        );
        assert_eq!(
            verdict_of_move(&f, "INBOX", "Chasers/Final notices"),
            Some(Verdict::Chaser(Stage::Final))
        );
        assert_eq!(
            verdict_of_move(&f, "Chasers/Overdue", "Chasers/Statements"),
            Some(Verdict::Chaser(Stage::Statement))
        );
        assert_eq!(
            verdict_of_move(&f, "Chasers/Review", "Chasers/Overdue"),
            Some(Verdict::Chaser(Stage::Overdue))
        );
        assert_eq!(verdict_of_move(&f, "Chasers/Overdue", "Archive"), None);
        assert_eq!(verdict_of_move(&f, "Chasers/Review", "INBOX"), None);
        assert_eq!(verdict_of_move(&f, "INBOX", "Chasers/Review"), None);
        assert_eq!(verdict_of_move(&f, "INBOX", "Archive"), None);
    }
}
