//! One sync pass: finish any move a crash interrupted, bring INBOX into the store
//! (UIDVALIDITY, expunges, flag changes, new mail in batches), classify and validate the new
//! mail, file it through the journal, then bring duebox's folders up to date.
//!
//! Crash safety: a move is journalled before it is made and finished after; the next pass
//! looks at both folders for the message's Message-ID and completes or abandons it, so a
//! message is never lost and never left twice. Each batch of fetched mail is stored in one
//! transaction, so an interrupted sync resumes after the last stored UID.
//!
//! Other clients: a message another client expunges or moves between our SEARCH and FETCH
//! is simply not there; it is skipped quietly (never stored as unparsable, never a reason to
//! stop the pass), and the next pass finds it where it went.

use super::compare::{differences, update_flags};
use super::filing;
use super::journal::{file_pending, recover_moves, Filing};
use super::learn::{self, Arrivals, Learnt};
use super::pipeline;
use super::refusals;
use super::server::{Fetched, FolderState, MailServer, ServerError, ServerResult};
use crate::classify::{self, Classification, Kind, Options};
use crate::config::Folders;
use crate::mail::Message;
use crate::payables::validate::{apply_records, PayablesIndex};
use crate::store::{Correction, NewMessage, Store, StoreError, Stored};
use std::collections::BTreeMap;

/// How many fetched messages are classified and stored together (one transaction).
const BATCH: usize = 500;
/// A batch closes early at this many bytes of mail, so a run of large messages cannot
/// swell memory: up to workers + 3 batches are in hand at once (being fetched, queued,
/// classified, stored), each holding its mail and what was read from it. A batch's
/// commit costs no sync, so small batches cost little.
const BATCH_BYTES: usize = 2 << 20;

/// What a pass needs besides the server and the store.
pub struct Settings<'a> {
    pub folders: &'a Folders,
    pub classify: &'a Options,
    pub index: &'a PayablesIndex,
}

/// What a pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub new: usize,
    /// Known messages found again under a new UID (moved by us, or a UIDVALIDITY change).
    pub relinked: usize,
    pub flag_changes: usize,
    pub expunged: usize,
    /// Messages filed, by folder.
    pub filed: BTreeMap<String, usize>,
    /// Of those, held for review as possible fraud.
    pub held: usize,
    pub labelled: usize,
    pub unparsable: usize,
    /// Interrupted moves completed or undone at the start.
    pub recovered: usize,
    /// Problems that did not stop the pass.
    pub warnings: super::warning::Warnings,
}

impl Report {
    /// One line for the end of `duebox sync`.
    pub fn summary(&self) -> String {
        let filed: usize = self.filed.values().sum();
        let per_folder: Vec<String> = self
            .filed
            .iter()
            .map(|(folder, n)| format!("{folder}: {n}"))
            .collect();
        let filed = if per_folder.is_empty() {
            format!("{filed} filed")
        } else {
            format!("{filed} filed ({})", per_folder.join(", "))
        };
        let mut parts = vec![format!("{} new", self.new), filed];
        parts.push(format!("{} held for review as possible fraud", self.held));
        if self.labelled > 0 {
            parts.push(format!("{} labelled in place", self.labelled));
        }
        if self.unparsable > 0 {
            parts.push(format!(
                "{} unparsable (kept, shown as such)",
                self.unparsable
            ));
        }
        if self.recovered > 0 {
            parts.push(format!("{} interrupted moves finished", self.recovered));
        }
        parts.push(format!("{} errors", self.warnings.len()));
        parts.join(", ")
    }
}

/// Progress, for a progress bar or log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Starting a folder with this many messages to fetch.
    Folder { name: String, to_fetch: usize },
    /// This many more fetched and stored.
    Fetched(usize),
    /// Filing this many messages.
    Filing(usize),
}

/// Why a pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    // Transparent: the server's words once, not again as the error's source.
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(super) const INBOX: &str = "INBOX";

/// One full pass.
pub fn sync_once(
    server: &mut dyn MailServer,
    store: &mut Store,
    settings: &Settings<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, SyncError> {
    let mut report = Report::default();
    store.begin_bulk()?;
    let outcome = run_pass(server, store, settings, progress, &mut report);
    // Checkpointed even after a failure: what was stored stays stored.
    let ended = store.end_bulk();
    outcome?;
    ended?;
    Ok(report)
}

fn run_pass(
    server: &mut dyn MailServer,
    store: &mut Store,
    settings: &Settings<'_>,
    progress: &mut dyn FnMut(Progress),
    report: &mut Report,
) -> Result<(), SyncError> {
    let caps = server.capabilities();
    // Folders the server would not create: their mail waits in INBOX, the pass goes on.
    let unavailable = refusals::prepare_folders(server, store, settings.folders, report)?;
    recover_moves(server, store, caps, report)?;
    let mut pass = Pass {
        learnt: Learnt::load(store)?,
        arrivals: Arrivals::default(),
    };
    let inbox = sync_folder(
        server, store, settings, INBOX, true, &mut pass, report, progress,
    )?;
    let filing = Filing {
        caps,
        looked: inbox,
        unavailable: &unavailable,
    };
    file_pending(server, store, settings, &filing, report, progress)?;
    if !settings.folders.label_only {
        for folder in settings.folders.all() {
            if unavailable.contains(folder) {
                continue;
            }
            sync_folder(
                server, store, settings, folder, false, &mut pass, report, progress,
            )?;
        }
    }
    pass.arrivals.learn(store, settings.folders)?;
    // A line of the log, not a decision: committed without a sync of its own (the next
    // synced commit, or the checkpoint after a large pass, makes it durable).
    store.in_bulk(|s| s.record_event("sync", "synced", None, None, None, &report.summary()))?;
    Ok(())
}

/// What one pass carries from folder to folder.
struct Pass {
    /// What the clerk taught, as it stood when the pass began.
    learnt: Learnt,
    /// Messages moved between folders by another mail client.
    arrivals: Arrivals,
}

/// A fetched message made ready to store.
struct Prepared {
    row: NewMessage,
    parsed: Option<(Message, Classification)>,
    /// The clerk's correction that decided its verdict.
    corrected: Option<Correction>,
}

/// What [`prepare`] does besides classifying.
#[derive(Clone, Copy)]
struct Preparing {
    /// Whether the message is to be filed (INBOX).
    file: bool,
    /// Whether its text is taken for the search index ([`Store::indexes_text`]).
    index_text: bool,
}

fn prepare(f: Fetched, settings: &Settings<'_>, learnt: &Learnt, how: Preparing) -> Prepared {
    let verdict = classify::classify_bytes_with(&f.raw, settings.classify, settings.index).map(
        |(msg, mut c)| {
            let corrected = learn::overrule(learnt, &msg, &mut c).cloned();
            (msg, c, corrected)
        },
    );
    let mut row = NewMessage {
        uid: f.uid,
        flags: f.flags.join(" "),
        size: f.size,
        truncated: f.truncated(),
        raw: f.raw,
        reasons: "[]".into(),
        ..NewMessage::default()
    };
    match verdict {
        Err(e) => {
            row.parse_error = Some(e.to_string());
            Prepared {
                row,
                parsed: None,
                corrected: None,
            }
        }
        Ok((mut msg, mut c, corrected)) => {
            let found = apply_records(settings.index, &mut c, &msg, settings.classify);
            // The search index needs the text: taken before the text is dropped.
            if how.index_text {
                row.search_text = crate::store::search::searchable_text(&msg);
            }
            // Read and judged: the text is not kept while the batch waits to be stored
            // (the raw message is, and the store reads the text from it when shown).
            msg.body = String::new();
            msg.attachment_text = String::new();
            row.message_id = msg.message_id.clone();
            row.sent_at = msg.date.map(crate::store::timestamp);
            row.from_addr = msg.from.as_ref().map(|a| a.email.clone());
            row.from_name = msg.from.as_ref().and_then(|a| a.name.clone());
            row.thread_root = crate::store::search::thread_root(&msg);
            row.subject = Some(msg.subject.clone());
            row.kind = Some(c.kind.as_str().into());
            row.stage = c.stage.map(|s| s.as_str().to_string());
            row.vendor = c.vendor.clone();
            row.invoices = serde_json::to_string(&c.invoices).ok();
            row.amount = c.amount.as_ref().map(|m| m.amount_string());
            row.currency = c.amount.as_ref().map(|m| m.currency.clone());
            row.due_date = c.due_date.map(|d| d.to_string());
            row.risk = c
                .risk
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            row.match_status = found.map(|m| m.status.as_str().to_string());
            row.reasons = serde_json::to_string(&c.reasons).unwrap_or_else(|_| "[]".into());
            row.fraud_reasons =
                serde_json::to_string(&c.fraud_reasons).unwrap_or_else(|_| "[]".into());
            if how.file {
                let vendors_known = settings.index.known_domains().next().is_some();
                row.destination =
                    filing::destination(&c, settings.folders, vendors_known).map(str::to_string);
            }
            Prepared {
                row,
                parsed: Some((msg, c)),
                corrected,
            }
        }
    }
}

/// Brings one folder into the store; returns its state as selected before anything was
/// read (UIDVALIDITY, and the mod-sequence filing claims messages against).
#[allow(clippy::too_many_arguments)]
fn sync_folder(
    server: &mut dyn MailServer,
    store: &mut Store,
    settings: &Settings<'_>,
    name: &str,
    file: bool,
    pass: &mut Pass,
    report: &mut Report,
    progress: &mut dyn FnMut(Progress),
) -> Result<FolderState, SyncError> {
    let state = server.select(name)?;
    let stored = store.folder(name)?;
    let folder = stored.id;
    if store.folder_server_name(name)?.is_none() {
        // Found under this name: kept (see refusals::prepare_folders).
        if let Some(server_name) = server.resolve_folder(name) {
            store.set_folder_server_name(name, &server_name)?;
        }
    }
    if stored.uid_validity != Some(state.uid_validity) {
        if stored.uid_validity.is_some() {
            store.record_event(
                "sync",
                "uidvalidity_changed",
                None,
                None,
                None,
                &format!("{name}: UIDVALIDITY changed; resyncing, keeping classifications"),
            )?;
        }
        store.forget_uids(folder)?;
    }
    let local = store.local_uids(folder)?;
    // Nothing arrived (UIDNEXT as the last complete sync found it) and, with as many
    // messages as we hold, nothing left either (every UID on the server is one we listed
    // then): the UID list would be ours, so it is not read.
    let unchanged = stored.uid_validity == Some(state.uid_validity)
        && state.uid_next.is_some()
        && stored.uid_next == state.uid_next
        && state.exists as usize == local.len();
    let mut on_server = if state.exists == 0 {
        Vec::new()
    } else if unchanged {
        local.clone()
    } else {
        server.all_uids()?
    };
    on_server.sort_unstable();
    // Both ascending: what left and what is new in one merge, without a set of the folder.
    let (gone, mut new) = differences(&local, &on_server);
    drop(on_server);
    if !gone.is_empty() {
        for mid in store.message_ids_of(folder, &gone)? {
            pass.arrivals.left(mid, name);
        }
        report.expunged += store.remove_uids(folder, &gone)?;
    }
    // The mod-sequence is kept as it was when flag changes could not be read this time.
    let mut modseq = state.highest_modseq;
    if !local.is_empty() {
        let since = stored
            .highest_modseq
            .filter(|_| server.capabilities().condstore && state.highest_modseq.is_some());
        // With CONDSTORE, an unchanged mod-sequence means no flag changed.
        if (since.is_none() || since != state.highest_modseq)
            && !update_flags(server, store, folder, &local, since, report)?
        {
            modseq = stored.highest_modseq;
        }
    }
    drop(local);
    if !new.is_empty() && store.has_unlinked(folder)? {
        new = relink_known(server, store, folder, &new, report)?;
    }
    progress(Progress::Folder {
        name: name.to_string(),
        to_fetch: new.len(),
    });
    pass.arrivals.begin(store, name)?;
    // Classification runs on worker threads while the fetch streams on and earlier batches
    // are stored: the three overlap, and results are stored in UID order.
    let how = Preparing {
        file,
        index_text: store.indexes_text(),
    };
    std::thread::scope(|scope| -> Result<(), SyncError> {
        let learnt = &pass.learnt;
        let arrivals = &mut pass.arrivals;
        let mut stage =
            pipeline::Ordered::start(scope, pipeline::workers(), |batch: Vec<Fetched>| {
                batch
                    .into_iter()
                    .map(|f| prepare(f, settings, learnt, how))
                    .collect::<Vec<Prepared>>()
            });
        let mut store_batch = |store: &mut Store,
                               report: &mut Report,
                               prepared: Vec<Prepared>|
         -> Result<(), SyncError> {
            store.in_bulk(|s| -> Result<_, StoreError> {
                for p in &prepared {
                    match s.store_message(folder, &p.row)? {
                        Stored::Relinked => report.relinked += 1,
                        Stored::Known => {}
                        Stored::New => {
                            report.new += 1;
                            record_new(s, name, p, settings, report)?;
                            arrivals.note(
                                s,
                                name,
                                p.row.message_id.as_deref(),
                                p.row.from_addr.as_deref(),
                                p.row.subject.as_deref(),
                            )?;
                        }
                    }
                }
                Ok(())
            })?;
            progress(Progress::Fetched(prepared.len()));
            drop(prepared);
            pipeline::give_back();
            Ok(())
        };
        // One streamed fetch over the new range: the server keeps sending while batches are
        // classified and stored; a batch closes at BATCH messages or BATCH_BYTES, and only
        // so many are in flight, so memory is bounded whatever the mailbox holds.
        let mut batch: Vec<Fetched> = Vec::new();
        let mut bytes = 0;
        let mut failed: Option<SyncError> = None;
        let mut send = |batch: Vec<Fetched>,
                        stage: &mut pipeline::Ordered<Vec<Fetched>, Vec<Prepared>>,
                        store: &mut Store,
                        report: &mut Report|
         -> Result<bool, SyncError> {
            if !stage.send(batch) {
                return Ok(false);
            }
            while stage.full() {
                match stage.take() {
                    Some(prepared) => store_batch(store, report, prepared)?,
                    None => return Ok(false),
                }
            }
            Ok(true)
        };
        // A list, not a set: a third of the memory, and only looked up after a vanish.
        let received: std::cell::RefCell<Vec<u32>> = Default::default();
        let mut take = |f: Fetched| -> bool {
            received.borrow_mut().push(f.uid);
            bytes += f.raw.len();
            batch.push(f);
            if batch.len() < BATCH && bytes < BATCH_BYTES {
                return true;
            }
            bytes = 0;
            match send(std::mem::take(&mut batch), &mut stage, store, report) {
                Ok(more) => more,
                Err(e) => {
                    failed = Some(e);
                    false
                }
            }
        };
        match server.fetch_each(&new, &mut take) {
            // Some vanished meanwhile: the rest asked for one by one, those gone left out.
            Err(e) if e.vanished => {
                received.borrow_mut().sort_unstable();
                let rest: Vec<u32> = new
                    .iter()
                    .copied()
                    .filter(|u| received.borrow().binary_search(u).is_err())
                    .collect();
                // In small groups: what one holds is in memory at once.
                'rest: for group in rest.chunks(100) {
                    for f in present(server, group, |s, u| s.fetch(u))? {
                        if !take(f) {
                            break 'rest;
                        }
                    }
                }
            }
            other => other?,
        }
        if let Some(e) = failed {
            return Err(e);
        }
        if !batch.is_empty() {
            send(batch, &mut stage, store, report)?;
        }
        stage.close();
        while let Some(prepared) = stage.take() {
            store_batch(store, report, prepared)?;
        }
        Ok(())
    })?;
    store.drop_unlinked(folder)?;
    if stored.uid_validity == Some(state.uid_validity) {
        // Only the mod-sequence moved on: the server can tell it again (a power cut that
        // loses it costs one more look at the flags), so no sync for it, as for fetched mail.
        store
            .in_bulk(|s| s.set_folder_state(folder, state.uid_validity, modseq, state.uid_next))?;
    } else {
        store.set_folder_state(folder, state.uid_validity, modseq, state.uid_next)?;
    }
    Ok(state)
}

/// Asks for messages by UID; when some of them vanished meanwhile (another client expunged
/// or moved them), asks one by one and leaves out those that are gone.
fn present<T>(
    server: &mut dyn MailServer,
    uids: &[u32],
    ask: impl Fn(&mut dyn MailServer, &[u32]) -> ServerResult<Vec<T>>,
) -> Result<Vec<T>, SyncError> {
    match ask(server, uids) {
        Err(e) if e.vanished => {
            let mut found = Vec::new();
            for uid in uids {
                match ask(server, &[*uid]) {
                    Ok(got) => found.extend(got),
                    Err(e) if e.vanished => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(found)
        }
        other => Ok(other?),
    }
}

/// Recognises messages we already hold (moved here by us, or renumbered by a UIDVALIDITY
/// change) by their Message-ID alone, so they are not fetched and classified again; returns
/// the UIDs still to fetch whole.
fn relink_known(
    server: &mut dyn MailServer,
    store: &mut Store,
    folder: i64,
    uids: &[u32],
    report: &mut Report,
) -> Result<Vec<u32>, SyncError> {
    let mut rest = Vec::new();
    for chunk in uids.chunks(BATCH * 5) {
        let found = present(server, chunk, |s, u| s.fetch_message_ids(u))?;
        store.in_bulk(|s| -> Result<_, StoreError> {
            for m in found {
                let flags = m.flags.join(" ");
                match &m.message_id {
                    Some(mid) if s.relink(folder, m.uid, mid, &flags)? => report.relinked += 1,
                    _ => rest.push(m.uid),
                }
            }
            Ok(())
        })?;
    }
    Ok(rest)
}

/// The record of a newly stored message: synced, classified with reasons, chase history.
fn record_new(
    s: &mut Store,
    folder: &str,
    p: &Prepared,
    settings: &Settings<'_>,
    report: &mut Report,
) -> Result<(), StoreError> {
    let mid = p.row.message_id.as_deref();
    let subject = crate::mail::sanitize::one_line(p.row.subject.as_deref().unwrap_or(""));
    let Some((msg, c)) = &p.parsed else {
        report.unparsable += 1;
        s.record_event(
            "sync",
            "unparsable",
            mid,
            None,
            None,
            &format!(
                "{folder} UID {}: {}",
                p.row.uid,
                p.row.parse_error.as_deref().unwrap_or("")
            ),
        )?;
        return Ok(());
    };
    s.record_event(
        "sync",
        "synced",
        mid,
        None,
        None,
        &format!("{folder} UID {}: {subject}", p.row.uid),
    )?;
    if let Some(correction) = &p.corrected {
        s.note_correction_used(correction, mid)?;
    }
    if c.kind == Kind::Chaser || !c.risk.is_empty() {
        let invoice = c.invoices.first().map(String::as_str);
        s.record_event(
            "classifier",
            "classified",
            mid,
            c.vendor.as_deref(),
            invoice,
            &c.reasons.join("; "),
        )?;
        if !c.risk.is_empty() {
            let flags: Vec<&str> = c.risk.iter().map(|r| r.as_str()).collect();
            s.record_event(
                "classifier",
                "fraud_warning",
                mid,
                c.vendor.as_deref(),
                invoice,
                &flags.join(", "),
            )?;
        }
        s.note_chase(settings.index, msg, c)?;
    }
    Ok(())
}
