//! What a server refuses, degraded to the next best thing with one warning and never an
//! aborted pass: a folder it will not create (its mail waits in INBOX), keywords it will not
//! store (mail is filed without them). Also the folder names earlier passes settled on.

use super::engine::{Report, SyncError};
use super::server::MailServer;
use crate::config::Folders;
use crate::store::Store;
use std::collections::BTreeSet;

/// Gives the server the names earlier passes found the folders under (so a folder stays the
/// same folder even if the server's namespace is read differently later), then makes sure each
/// duebox folder exists. Returns the folders the server would not create, each said once.
pub fn prepare_folders(
    server: &mut dyn MailServer,
    store: &mut Store,
    folders: &Folders,
    report: &mut Report,
) -> Result<BTreeSet<String>, SyncError> {
    for folder in std::iter::once("INBOX").chain(folders.all()) {
        if let Some(name) = store.folder_server_name(folder)? {
            server.pin_folder(folder, &name);
        }
    }
    let mut unavailable = BTreeSet::new();
    if folders.label_only {
        return Ok(unavailable);
    }
    for folder in folders.all() {
        if let Err(e) = server.ensure_folder(folder) {
            report.warnings.push(format!(
                "{e}; mail for it waits in INBOX until the folder exists (create it with another mail client, or name another folder in [folders])"
            ));
            unavailable.insert(folder.to_string());
        }
    }
    Ok(unavailable)
}

/// Stores keywords unless the server has refused them already this pass; a refusal is one
/// warning and filing goes on without them. True when the keywords were stored.
pub fn label(
    server: &mut dyn MailServer,
    uids: &[u32],
    words: &[&str],
    keywords: &mut bool,
    report: &mut Report,
) -> bool {
    if !*keywords {
        return false;
    }
    match server.add_flags(uids, words) {
        Ok(()) => true,
        // Some vanished meanwhile (another client took them): no refusal; the rest go on and
        // the next pass sees where the others went.
        Err(e) if e.vanished => true,
        Err(e) => {
            report.warnings.push(format!(
                "the server refused duebox's keywords ({}): {e}; messages are filed without them this pass",
                words.join(" ")
            ));
            *keywords = false;
            false
        }
    }
}

/// Stores keywords as a claim (a conditional STORE against `modseq`) and returns the messages
/// this client claimed; None when the server refused the keywords (one warning, filing goes
/// on without them and without a claim). Vanished messages are simply not claimed.
pub fn claim(
    server: &mut dyn MailServer,
    uids: &[u32],
    words: &[&str],
    modseq: u64,
    keywords: &mut bool,
    report: &mut Report,
) -> Result<Option<Vec<u32>>, SyncError> {
    if !*keywords {
        return Ok(None);
    }
    match server.claim(uids, words, modseq) {
        Ok(got) => Ok(Some(got)),
        Err(e) if e.vanished => Ok(Some(Vec::new())),
        Err(e) => {
            report.warnings.push(format!(
                "the server refused duebox's keywords ({}): {e}; messages are filed without them this pass",
                words.join(" ")
            ));
            *keywords = false;
            Ok(None)
        }
    }
}
