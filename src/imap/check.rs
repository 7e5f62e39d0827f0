//! What `duebox config check` asks a logged-in server: its namespace, whether each duebox
//! folder exists or can be made (a probe folder created and deleted, `\Noinferiors`), whether
//! custom keywords are kept (a probe keyword stored and removed), and which capabilities
//! duebox uses or works around. It must leave the mailbox as it found it.

use super::folders::SpecialUse;
use super::Imap;
use crate::config::Folders;
use crate::sync::server::MailServer;
use std::collections::BTreeMap;

/// How a finding bears on using duebox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Works as configured.
    Ok,
    /// Works, in a lesser way (a fallback), said so.
    Note,
    /// Will not work as configured; the text says what to do.
    Problem,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub text: String,
}

fn ok(text: String) -> Finding {
    Finding {
        level: Level::Ok,
        text,
    }
}

fn note(text: String) -> Finding {
    Finding {
        level: Level::Note,
        text,
    }
}

fn problem(text: String) -> Finding {
    Finding {
        level: Level::Problem,
        text,
    }
}

/// The keyword tried on a message and removed again: as long as duebox's longest.
const PROBE_KEYWORD: &str = "$DueboxProbe";

/// Checks the server against the configured folders and Sent folder.
pub fn check(server: &mut Imap, folders: &Folders, sent_folder: &str) -> Vec<Finding> {
    let mut out = capabilities(server, folders);
    let map = server.folder_map().clone();
    let listed = match server.list_all() {
        Ok(listed) => listed,
        Err(e) => {
            out.push(problem(format!("cannot list the folders: {e}")));
            return out;
        }
    };
    out.push(ok(format!(
        "personal namespace: prefix \"{}\", separator \"{}\"; {} folders listed",
        map.personal.prefix,
        map.delimiter(),
        listed.len()
    )));
    let exists = |name: &str| listed.iter().any(|(n, _)| n == name);
    let attributes = |name: &str| -> Vec<String> {
        listed
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a.clone())
            .unwrap_or_default()
    };
    let sent = map.server_name(sent_folder);
    let marked = map.special.get(&SpecialUse::Sent) == Some(&sent);
    out.push(match (exists(&sent), marked) {
        (true, true) => ok(format!(
            "sent folder: \"{sent}\" (the server marks it \\Sent)"
        )),
        (true, false) => ok(format!("sent folder: \"{sent}\"")),
        (false, _) => note(format!(
            "sent folder: \"{sent}\" does not exist; it is created with the first reply's copy"
        )),
    });
    if !folders.label_only {
        let mut probed: BTreeMap<String, Result<(), String>> = BTreeMap::new();
        for folder in folders.all() {
            let name = map.server_name(folder);
            if exists(&name) {
                out.push(ok(format!("folder {folder}: exists (as \"{name}\")")));
                continue;
            }
            out.push(can_create(
                server,
                folder,
                &name,
                map.delimiter(),
                &exists,
                &attributes,
                &mut probed,
            ));
        }
    }
    out.push(keywords(server, folders.label_only));
    out
}

/// Whether a missing folder can be made: a parent marked `\Noinferiors` says no; else a probe
/// folder beside the first missing level is created and deleted.
fn can_create(
    server: &mut Imap,
    folder: &str,
    name: &str,
    delimiter: &str,
    exists: &dyn Fn(&str) -> bool,
    attributes: &dyn Fn(&str) -> Vec<String>,
    probed: &mut BTreeMap<String, Result<(), String>>,
) -> Finding {
    let levels: Vec<&str> = name.split(delimiter).collect();
    // The deepest existing ancestor, and the first level under it that is missing.
    let mut first_missing = levels.len() - 1;
    for depth in (1..levels.len()).rev() {
        let ancestor = levels[..depth].join(delimiter);
        if exists(&ancestor) {
            if attributes(&ancestor)
                .iter()
                .any(|a| a.eq_ignore_ascii_case("\\Noinferiors"))
            {
                return problem(format!(
                    "folder {folder}: cannot be created as \"{name}\": \"{ancestor}\" may not have subfolders (\\Noinferiors); name another folder in [folders]"
                ));
            }
            break;
        }
        first_missing = depth - 1;
    }
    let mut probe_levels: Vec<String> = levels[..first_missing]
        .iter()
        .map(|s| s.to_string())
        .collect();
    probe_levels.push(format!("duebox-check-{}", std::process::id()));
    let probe = probe_levels.join(delimiter);
    let verdict = probed
        .entry(probe.clone())
        .or_insert_with(|| server.probe_create(&probe).map_err(|e| e.to_string()))
        .clone();
    match verdict {
        Ok(()) => ok(format!(
            "folder {folder}: will be created as \"{name}\" at the first sync (a test folder \"{probe}\" was created and deleted)"
        )),
        Err(e) => problem(format!(
            "folder {folder}: the server refused to create folders there (\"{probe}\"): {e}; create \"{name}\" with another mail client or ask the mail administrator, or name another folder in [folders]"
        )),
    }
}

/// Whether custom keywords are kept: PERMANENTFLAGS, then a probe keyword stored on the
/// newest INBOX message and removed again.
fn keywords(server: &mut Imap, label_only: bool) -> Finding {
    let state = match server.select("INBOX") {
        Ok(s) => s,
        Err(e) => return problem(format!("cannot open INBOX: {e}")),
    };
    let without = |why: String| {
        if label_only {
            problem(format!(
                "keywords: {why}; with [folders] label_only = true duebox could do nothing; set label_only = false to file by moving"
            ))
        } else {
            note(format!(
                "keywords: {why}; chasers are filed without the $Chaser/$Overdue labels"
            ))
        }
    };
    if !state.keywords {
        return without(
            "the server does not keep custom keywords (PERMANENTFLAGS has no \\*)".into(),
        );
    }
    let newest = match server.all_uids() {
        Ok(uids) => uids.last().copied(),
        Err(e) => return problem(format!("cannot list INBOX: {e}")),
    };
    let Some(uid) = newest else {
        return ok("keywords: the server says it keeps them (not tried: INBOX is empty)".into());
    };
    match server.probe_keyword(uid, PROBE_KEYWORD) {
        Ok(()) => ok(format!(
            "keywords: kept (\"{PROBE_KEYWORD}\" stored on the newest INBOX message and removed)"
        )),
        Err(e) => without(format!(
            "the server refused to store the keyword \"{PROBE_KEYWORD}\" ({e}) although PERMANENTFLAGS allows keywords"
        )),
    }
}

/// Each capability duebox uses, or what it does instead.
fn capabilities(server: &Imap, folders: &Folders) -> Vec<Finding> {
    let caps = server.capabilities();
    let extras = server.extras();
    let mut out = Vec::new();
    out.push(match (caps.moves, caps.uidplus) {
        (true, _) => ok("MOVE: yes, filing uses UID MOVE".into()),
        (false, true) => note(
            "MOVE: no, filing uses UID COPY, then \\Deleted and UID EXPUNGE of exactly those messages (UIDPLUS)"
                .into(),
        ),
        (false, false) if folders.label_only => {
            note("MOVE and UIDPLUS: no; label_only = true only labels, which needs neither".into())
        }
        (false, false) => problem(
            "MOVE and UIDPLUS: no, so duebox cannot move single messages safely; set [folders] label_only = true"
                .into(),
        ),
    });
    out.push(if caps.condstore {
        ok("CONDSTORE: yes, only flags changed since the last sync are fetched".into())
    } else {
        note("CONDSTORE: no, every message's flags are fetched at each sync".into())
    });
    out.push(if caps.idle {
        ok("IDLE: yes, sync --watch waits for new mail with IDLE".into())
    } else {
        note("IDLE: no, sync --watch polls every [sync] interval".into())
    });
    out.push(if extras.namespace {
        ok("NAMESPACE: yes, folders go under the personal namespace".into())
    } else {
        note("NAMESPACE: no, folders go at the top level with the LIST separator".into())
    });
    out.push(match (extras.special_use, extras.xlist) {
        (true, _) => ok("SPECIAL-USE: yes, the Sent folder is found by its \\Sent mark".into()),
        (false, true) => ok("SPECIAL-USE: no, XLIST marks the Sent folder".into()),
        (false, false) => note(
            "SPECIAL-USE: no, the Sent folder is found by its name ([reply] sent_folder)".into(),
        ),
    });
    if extras.gmail {
        out.push(note(
            "Gmail: Gmail keeps its own copy of sent mail (duebox saves none), and a move is a label change"
                .into(),
        ));
    }
    out
}
