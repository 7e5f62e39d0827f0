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

use super::filing;
use super::learn::{self, Arrivals, Learnt};
use super::refusals;
use super::server::{Capabilities, Fetched, FolderState, MailServer, ServerError, ServerResult};
use crate::classify::{self, Classification, Kind, Options};
use crate::config::Folders;
use crate::mail::Message;
use crate::payables::validate::{apply_records, PayablesIndex};
use crate::store::{Correction, NewMessage, Store, StoreError, Stored};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// How many messages one UID FETCH asks for.
const BATCH: usize = 200;

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
    pub warnings: Vec<String>,
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

const INBOX: &str = "INBOX";

/// A crash on purpose, for the tests that kill the process at the worst moment:
/// `DUEBOX_FAILPOINT=after-copy` aborts right after a UID COPY, before anything else.
fn failpoint(name: &str) {
    if std::env::var("DUEBOX_FAILPOINT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
}

/// One full pass.
pub fn sync_once(
    server: &mut dyn MailServer,
    store: &mut Store,
    settings: &Settings<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, SyncError> {
    let mut report = Report::default();
    let caps = server.capabilities();
    // Folders the server would not create: their mail waits in INBOX, the pass goes on.
    let unavailable = refusals::prepare_folders(server, store, settings.folders, &mut report)?;
    recover_moves(server, store, caps, &mut report)?;
    let mut pass = Pass {
        learnt: Learnt::load(store)?,
        arrivals: Arrivals::default(),
    };
    let inbox = sync_folder(
        server,
        store,
        settings,
        INBOX,
        true,
        &mut pass,
        &mut report,
        progress,
    )?;
    let filing = Filing {
        caps,
        looked: inbox,
        unavailable: &unavailable,
    };
    file_pending(server, store, settings, &filing, &mut report, progress)?;
    if !settings.folders.label_only {
        for folder in settings.folders.all() {
            if unavailable.contains(folder) {
                continue;
            }
            sync_folder(
                server,
                store,
                settings,
                folder,
                false,
                &mut pass,
                &mut report,
                progress,
            )?;
        }
    }
    pass.arrivals.learn(store, settings.folders)?;
    store.record_event("sync", "synced", None, None, None, &report.summary())?;
    Ok(report)
}

/// Completes or abandons every move a crash left open.
fn recover_moves(
    server: &mut dyn MailServer,
    store: &mut Store,
    caps: Capabilities,
    report: &mut Report,
) -> Result<(), SyncError> {
    for m in store.open_moves()? {
        let source = server.select(&m.source)?;
        let found = server.search_message_id(&m.message_id)?;
        let in_source: Option<u32> = if source.uid_validity == m.source_uid_validity {
            found.contains(&m.source_uid).then_some(m.source_uid)
        } else {
            found.first().copied()
        };
        let in_destination = server.folder_exists(&m.destination)? && {
            server.select(&m.destination)?;
            !server.search_message_id(&m.message_id)?.is_empty()
        };
        let done = match (in_source, in_destination) {
            (Some(uid), true) if caps.uidplus => {
                // Copied, not yet removed: remove the original, exactly that one.
                server.select(&m.source)?;
                server.delete(&[uid])?;
                true
            }
            (Some(_), true) => {
                report.warnings.push(format!(
                    "message {} is in both {} and {}: the server lacks UIDPLUS, so duebox leaves the original for you to delete",
                    m.message_id, m.source, m.destination
                ));
                false
            }
            (Some(_), false) => false,
            (None, true) => true,
            (None, false) => false,
        };
        store.finish_move(m.id, done)?;
        store.record_event(
            "sync",
            "move_recovered",
            Some(&m.message_id),
            None,
            None,
            &format!(
                "interrupted move {} → {} ({}): {}",
                m.source,
                m.destination,
                m.state,
                if done {
                    "completed"
                } else {
                    "undone; the message stays"
                }
            ),
        )?;
        report.recovered += 1;
    }
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

fn prepare(f: Fetched, settings: &Settings<'_>, learnt: &Learnt, file: bool) -> Prepared {
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
        Ok((msg, mut c, corrected)) => {
            let found = apply_records(settings.index, &mut c, &msg, settings.classify);
            row.message_id = msg.message_id.clone();
            row.sent_at = msg.date.map(crate::store::timestamp);
            row.from_addr = msg.from.as_ref().map(|a| a.email.clone());
            row.subject = Some(msg.subject.clone());
            row.kind = Some(
                if c.kind == Kind::Chaser {
                    "chaser"
                } else {
                    "other"
                }
                .into(),
            );
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
            if file {
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
    let on_server = if state.exists == 0 {
        Vec::new()
    } else {
        server.all_uids()?
    };
    let on_server_set: HashSet<u32> = on_server.iter().copied().collect();
    let gone: Vec<u32> = local
        .iter()
        .copied()
        .filter(|u| !on_server_set.contains(u))
        .collect();
    if !gone.is_empty() {
        for mid in store.message_ids_of(folder, &gone)? {
            pass.arrivals.left(mid, name);
        }
        report.expunged += store.remove_uids(folder, &gone)?;
    }
    // The mod-sequence is kept as it was when flag changes could not be read this time.
    let mut modseq = state.highest_modseq;
    if let Some(&max_local) = local.last() {
        let since = stored
            .highest_modseq
            .filter(|_| server.capabilities().condstore && state.highest_modseq.is_some());
        // With CONDSTORE, an unchanged mod-sequence means no flag changed.
        if since.is_none() || since != state.highest_modseq {
            let changes = match server.flags(&format!("1:{max_local}"), since) {
                Err(e) if e.vanished => {
                    modseq = stored.highest_modseq;
                    Vec::new()
                }
                other => other?,
            };
            let known: HashMap<u32, String> = store.local_flags(folder)?.into_iter().collect();
            store.in_batch(|s| -> Result<_, StoreError> {
                for (uid, flags) in changes {
                    let flags = flags.join(" ");
                    if known.get(&uid).is_some_and(|old| *old != flags) {
                        s.set_flags(folder, uid, &flags)?;
                        report.flag_changes += 1;
                    }
                }
                Ok(())
            })?;
        }
    }
    let local_set: HashSet<u32> = local.iter().copied().collect();
    let mut new: Vec<u32> = on_server
        .into_iter()
        .filter(|u| !local_set.contains(u))
        .collect();
    if !new.is_empty() && store.has_unlinked(folder)? {
        new = relink_known(server, store, folder, &new, report)?;
    }
    progress(Progress::Folder {
        name: name.to_string(),
        to_fetch: new.len(),
    });
    pass.arrivals.begin(store, name)?;
    // Classification runs on a second thread while the next batch is fetched and the
    // previous one stored: the three overlap on a two-core machine.
    std::thread::scope(|scope| -> Result<(), SyncError> {
        let (to_classify, fetched) = std::sync::mpsc::sync_channel::<Vec<Fetched>>(1);
        let (to_store, classified) = std::sync::mpsc::sync_channel::<Vec<Prepared>>(1);
        let learnt = &pass.learnt;
        let arrivals = &mut pass.arrivals;
        scope.spawn(move || {
            for batch in fetched {
                let prepared = batch
                    .into_iter()
                    .map(|f| prepare(f, settings, learnt, file))
                    .collect();
                if to_store.send(prepared).is_err() {
                    break;
                }
            }
        });
        let mut store_next = |store: &mut Store, report: &mut Report| -> Result<(), SyncError> {
            let Ok(prepared) = classified.recv() else {
                return Ok(());
            };
            store.in_batch(|s| -> Result<_, StoreError> {
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
            Ok(())
        };
        let mut in_flight = 0;
        for chunk in new.chunks(BATCH) {
            let batch = present(server, chunk, |s, u| s.fetch(u))?;
            if to_classify.send(batch).is_err() {
                break;
            }
            in_flight += 1;
            if in_flight > 1 {
                store_next(store, report)?;
                in_flight -= 1;
            }
        }
        drop(to_classify);
        for _ in 0..in_flight {
            store_next(store, report)?;
        }
        Ok(())
    })?;
    store.drop_unlinked(folder)?;
    store.set_folder_state(folder, state.uid_validity, modseq)?;
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
        store.in_batch(|s| -> Result<_, StoreError> {
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

/// Whether a command on messages went through; messages that vanished meanwhile are no
/// error (another client took them; the next pass sees where).
fn quietly(result: ServerResult<()>) -> Result<bool, SyncError> {
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.vanished => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A message about to be filed: store row, UID, Message-ID, keywords.
type ToFile = (i64, u32, String, Vec<&'static str>);

/// What filing needs to know about this pass.
struct Filing<'a> {
    caps: Capabilities,
    /// INBOX as this pass first selected it (before fetching): its UIDVALIDITY, and the
    /// mod-sequence messages are claimed against.
    looked: FolderState,
    /// Destinations the server would not create this pass.
    unavailable: &'a BTreeSet<String>,
}

/// Files the inbox messages that have a destination, through the journal.
fn file_pending(
    server: &mut dyn MailServer,
    store: &mut Store,
    settings: &Settings<'_>,
    filing: &Filing<'_>,
    report: &mut Report,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), SyncError> {
    let Filing {
        caps,
        looked,
        unavailable,
    } = *filing;
    let inbox = store.folder(INBOX)?;
    let pending = store.pending_filings(inbox.id)?;
    if pending.is_empty() {
        return Ok(());
    }
    progress(Progress::Filing(pending.len()));
    let state = server.select(INBOX)?;
    let label_only = settings.folders.label_only;
    let mut keywords = state.keywords;
    if !keywords && (label_only || !(caps.moves || caps.uidplus)) {
        // Labelling is all that could be done, and the server keeps no keywords.
        report.warnings.push(format!(
            "the server keeps no custom keywords in INBOX (PERMANENTFLAGS has no \\*) and duebox may not move mail here ({}), so the {} messages it would file stay as they are, unlabelled; ask the mail administrator for keywords{}",
            if label_only { "label_only = true" } else { "no MOVE or UIDPLUS" },
            pending.len(),
            if label_only { ", or set [folders] label_only = false" } else { "" }
        ));
        return Ok(());
    }
    if !label_only && !caps.moves && !caps.uidplus {
        report.warnings.push(
            "the server has neither MOVE nor UIDPLUS, so duebox cannot move one message without risking other clients' deleted mail; it labels instead (set [folders] label_only = true to silence this)".into(),
        );
    }
    let can_move = !label_only && (caps.moves || caps.uidplus);
    // Messages grouped by destination, each group moved with one command.
    let mut groups: BTreeMap<String, Vec<ToFile>> = BTreeMap::new();
    for p in &pending {
        let Some(mid) = p.message_id.as_deref() else {
            // Without a Message-ID a move could not be checked after a crash: label only.
            let risky = !p.risk.is_empty();
            let words = filing::keywords(p.stage.as_deref(), risky);
            if refusals::label(server, &[p.uid], &words, &mut keywords, report) {
                report.labelled += 1;
            }
            store.clear_destination(p.id)?;
            continue;
        };
        if store.was_filed(mid)? {
            // Filed once already and the user brought it back: their choice stands.
            store.clear_destination(p.id)?;
            continue;
        }
        let risky = p.destination == settings.folders.review;
        groups.entry(p.destination.clone()).or_default().push((
            p.id,
            p.uid,
            mid.to_string(),
            filing::keywords(p.stage.as_deref(), risky),
        ));
    }
    // With CONDSTORE the keywords are also the claim: they are added only to messages
    // nobody changed since this pass first looked at INBOX (before fetching them), so when
    // two clients file the same message at once only the first moves it (a second MOVE
    // from a stale view would copy it again).
    let claim_at = looked
        .highest_modseq
        .filter(|_| caps.condstore && can_move && keywords);
    for (destination, mut items) in groups {
        if can_move && unavailable.contains(&destination) {
            // Said once already (the folder could not be made); they wait for it.
            continue;
        }
        let mut labelled = true;
        let mut by_words: BTreeMap<Vec<&str>, Vec<u32>> = BTreeMap::new();
        for (_, uid, _, words) in &items {
            by_words.entry(words.clone()).or_default().push(*uid);
        }
        let mut claimed: Option<HashSet<u32>> = claim_at.map(|_| HashSet::new());
        for (words, uids) in by_words {
            match (claim_at, claimed.as_mut()) {
                (Some(modseq), Some(got)) => {
                    // Messages that pass the test are answered even when they carry the
                    // words already (an interrupted earlier pass); those changed since are not.
                    match refusals::claim(server, &uids, &words, modseq, &mut keywords, report)? {
                        Some(ok) => got.extend(ok),
                        // Keywords refused: no claim is possible, filed without them.
                        None => claimed = None,
                    }
                }
                _ => labelled &= refusals::label(server, &uids, &words, &mut keywords, report),
            }
        }
        if let Some(claimed) = claimed {
            // The rest were taken by another client since our SELECT.
            items.retain(|(_, uid, _, _)| claimed.contains(uid));
            if items.is_empty() {
                continue;
            }
        }
        let uids: Vec<u32> = items.iter().map(|(_, uid, _, _)| *uid).collect();
        if !can_move {
            if !labelled {
                // Nothing was stored: they stay pending, and the warning above says why.
                continue;
            }
            store.in_batch(|s| -> Result<_, StoreError> {
                for (id, _, mid, _) in &items {
                    s.record_labelled(*id, mid, &format!("labelled for {destination}"))?;
                }
                Ok(())
            })?;
            report.labelled += items.len();
            continue;
        }
        let moves: Vec<i64> = store.in_batch(|s| -> Result<_, StoreError> {
            items
                .iter()
                .map(|(_, uid, mid, _)| {
                    s.plan_move(mid, INBOX, *uid, looked.uid_validity, &destination)
                })
                .collect()
        })?;
        // Vanished meanwhile: the moves stay open in the journal, and the next pass looks
        // in both folders and completes or abandons each.
        if caps.moves {
            if !quietly(server.move_to(&uids, &destination))? {
                continue;
            }
        } else {
            if !quietly(server.copy_to(&uids, &destination))? {
                continue;
            }
            failpoint("after-copy");
            store.in_batch(|s| -> Result<_, StoreError> {
                for id in &moves {
                    s.move_copied(*id)?;
                }
                Ok(())
            })?;
            if !quietly(server.delete(&uids))? {
                continue;
            }
        }
        store.in_batch(|s| -> Result<_, StoreError> {
            for (id, (_, _, mid, _)) in moves.iter().zip(&items) {
                s.finish_move(*id, true)?;
                s.record_event(
                    "sync",
                    "filed",
                    Some(mid),
                    None,
                    None,
                    &format!("moved to {destination}"),
                )?;
            }
            Ok(())
        })?;
        if destination == settings.folders.review {
            report.held += items.len();
        }
        *report.filed.entry(destination).or_default() += items.len();
    }
    Ok(())
}
