//! Moving mail through the journal: a move is journalled before it is made and finished
//! after, so the next pass can complete or abandon one a crash interrupted (never a message
//! lost, never one left twice); and filing the inbox's new chasers, one group per destination
//! (claimed with CONDSTORE, labelled, moved, and placed in the store from COPYUID).

use super::engine::{Progress, Report, Settings, SyncError, INBOX};
use super::filing;
use super::refusals;
use super::server::{Capabilities, FolderState, MailServer, ServerResult};
use crate::store::{Store, StoreError};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A crash on purpose, for the tests that kill the process at the worst moment:
/// `DUEBOX_FAILPOINT=after-copy` aborts right after a UID COPY, before anything else.
fn failpoint(name: &str) {
    if std::env::var("DUEBOX_FAILPOINT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
}

/// Completes or abandons every move a crash left open.
pub(super) fn recover_moves(
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
pub(super) struct Filing<'a> {
    pub caps: Capabilities,
    /// INBOX as this pass first selected it (before fetching): its UIDVALIDITY, and the
    /// mod-sequence messages are claimed against.
    pub looked: FolderState,
    /// Destinations the server would not create this pass.
    pub unavailable: &'a BTreeSet<String>,
}

/// How many waiting messages filing holds at once: the inbox's pending filings are read and
/// filed a page at a time (each page one claim and one move per destination, in UID-set
/// chunks), so filing a mailbox of any size takes bounded memory (some 10 MB a page). Pages are
/// large because each MOVE costs the server a look at the whole folder: 5,000 a page made
/// 14 pages of moves at 100,000 messages, and filing took Dovecot 36 s of CPU.
const FILING_PAGE: usize = 50_000;

/// Files the inbox messages that have a destination, through the journal.
pub(super) fn file_pending(
    server: &mut dyn MailServer,
    store: &mut Store,
    settings: &Settings<'_>,
    filing: &Filing<'_>,
    report: &mut Report,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), SyncError> {
    let inbox = store.folder(INBOX)?;
    let waiting = store.pending_filing_count(inbox.id)?;
    if waiting == 0 {
        return Ok(());
    }
    progress(Progress::Filing(waiting));
    let state = server.select(INBOX)?;
    let label_only = settings.folders.label_only;
    let caps = filing.caps;
    let mut keywords = state.keywords;
    if !keywords && (label_only || !(caps.moves || caps.uidplus)) {
        // Labelling is all that could be done, and the server keeps no keywords.
        report.warnings.push(format!(
            "the server keeps no custom keywords in INBOX (PERMANENTFLAGS has no \\*) and duebox may not move mail here ({}), so the {} messages it would file stay as they are, unlabelled; ask the mail administrator for keywords{}",
            if label_only { "label_only = true" } else { "no MOVE or UIDPLUS" },
            waiting,
            if label_only { ", or set [folders] label_only = false" } else { "" }
        ));
        return Ok(());
    }
    if !label_only && !caps.moves && !caps.uidplus {
        report.warnings.push(
            "the server has neither MOVE nor UIDPLUS, so duebox cannot move one message without risking other clients' deleted mail; it labels instead (set [folders] label_only = true to silence this)",
        );
    }
    // Pages follow the UID: a message left waiting (its folder unavailable, another
    // client's) is not read again in this pass.
    let mut after = 0;
    loop {
        let page = store.pending_filings(inbox.id, after, FILING_PAGE)?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.uid;
        let full = page.len() == FILING_PAGE;
        file_page(server, store, settings, filing, page, &mut keywords, report)?;
        super::pipeline::give_back();
        if !full {
            break;
        }
    }
    Ok(())
}

/// Files one page of the inbox's waiting messages, one group per destination. `keywords`
/// turns false once the server refuses them, for the pages after.
fn file_page(
    server: &mut dyn MailServer,
    store: &mut Store,
    settings: &Settings<'_>,
    filing: &Filing<'_>,
    pending: Vec<crate::store::Pending>,
    keywords: &mut bool,
    report: &mut Report,
) -> Result<(), SyncError> {
    let Filing {
        caps,
        looked,
        unavailable,
    } = *filing;
    let label_only = settings.folders.label_only;
    let can_move = !label_only && (caps.moves || caps.uidplus);
    // Messages grouped by destination, each group moved with one command.
    let mut groups: BTreeMap<String, Vec<ToFile>> = BTreeMap::new();
    for p in pending {
        let Some(mid) = p.message_id else {
            // Without a Message-ID a move could not be checked after a crash: label only.
            let risky = !p.risk.is_empty();
            let words = filing::keywords(p.stage.as_deref(), risky);
            if refusals::label(server, &[p.uid], &words, keywords, report) {
                report.labelled += 1;
            }
            store.clear_destination(p.id)?;
            continue;
        };
        if store.was_filed(&mid)? {
            // Filed once already and the user brought it back: their choice stands.
            store.clear_destination(p.id)?;
            continue;
        }
        let risky = p.destination == settings.folders.review;
        let words = filing::keywords(p.stage.as_deref(), risky);
        groups
            .entry(p.destination)
            .or_default()
            .push((p.id, p.uid, mid, words));
    }
    // With CONDSTORE the keywords are also the claim: they are added only to messages
    // nobody changed since this pass first looked at INBOX (before fetching them), so when
    // two clients file the same message at once only the first moves it (a second MOVE
    // from a stale view would copy it again).
    let claim_at = looked
        .highest_modseq
        .filter(|_| caps.condstore && can_move && *keywords);
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
                    match refusals::claim(server, &uids, &words, modseq, keywords, report)? {
                        Some(ok) => got.extend(ok),
                        // Keywords refused: no claim is possible, filed without them.
                        None => claimed = None,
                    }
                }
                _ => labelled &= refusals::label(server, &uids, &words, keywords, report),
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
        // The server's COPYUID places each message in the destination; without it (or
        // with a UIDVALIDITY the store does not hold) the folder's sync finds them by
        // Message-ID.
        let placed: HashMap<u32, u32> = match server.placed() {
            Some(p) if store.adopt_uid_validity(&destination, p.uid_validity)? => {
                p.uids.into_iter().collect()
            }
            _ => HashMap::new(),
        };
        report.relinked += items
            .iter()
            .filter(|(_, uid, _, _)| placed.contains_key(uid))
            .count();
        store.in_batch(|s| -> Result<_, StoreError> {
            let moved: Vec<(i64, &str, u32, Option<u32>)> = moves
                .iter()
                .zip(&items)
                .map(|(id, (_, uid, mid, _))| (*id, mid.as_str(), *uid, placed.get(uid).copied()))
                .collect();
            s.finish_moves(INBOX, &destination, &moved)?;
            for (_, _, mid, _) in &items {
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
