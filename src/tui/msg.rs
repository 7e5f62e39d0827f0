//! Everything that can happen to the UI, as one typed message: a key, a resize, a result
//! the runner or a worker thread produced. `update` takes these one at a time.

use super::error::UiError;
use super::replies::{NotSent, ReplyPreview, SentReply};
use super::state::Opened;
use crate::payables::Payable;
use crate::store::{Dashboard, FolderCount, Page};
use crate::sync::learn::Corrected;
use crate::sync::user_move::UserMove;
use ratatui::crossterm::event::KeyEvent;

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    FoldersLoaded(Vec<FolderCount>),
    SentLoaded(Vec<SentReply>),
    PageLoaded {
        query: crate::store::search::ListQuery,
        page: Page,
    },
    /// How many chasers wait for an answer: the plain ones and the fraud-flagged ones.
    ToAnswerCounted {
        plain: usize,
        flagged: usize,
    },
    ThreadLoaded {
        id: i64,
        entries: Vec<crate::store::search::ThreadEntry>,
    },
    Opened(Box<Opened>),
    /// Our scheduled payment date for the claimed invoice of a message (for `e`).
    /// What saving attachments did, in words.
    AttachmentsSaved(Result<String, UiError>),
    PayDateDefault {
        message: i64,
        template: &'static str,
        scheduled: Option<chrono::NaiveDate>,
    },
    PayablesLoaded(Vec<Payable>),
    DashboardLoaded(Dashboard),
    Sync(SyncEvent),
    ReplyPrepared(Result<ReplyPreview, UiError>),
    ReplyEdited(Result<ReplyPreview, UiError>),
    /// The previews of a batch, per message.
    BatchPrepared(Vec<(i64, Result<ReplyPreview, UiError>)>),
    ReplySent {
        message: i64,
        result: Result<String, NotSent>,
    },
    Moved(Result<UserMove, UiError>),
    Undone(Result<UserMove, UiError>),
    /// What a move taught, in words, to add to the status line.
    Learnt(String),
    Corrected {
        message: i64,
        result: Result<Corrected, UiError>,
    },
    PayableChanged(Result<crate::actions::payables::Done, UiError>),
    PayableUndone(Result<crate::actions::payables::Done, UiError>),
    TemplateEdited(Result<String, UiError>),
    /// What opening an attachment did, in words.
    AttachmentOpened(Result<String, UiError>),
    SentOpened {
        id: i64,
        result: Result<Box<super::state::SentOpened>, String>,
    },
    /// What settling an outbox entry found or did.
    Settled {
        id: i64,
        result: Result<crate::send::Resolved, UiError>,
    },
    /// A read for the screen failed; words for the status line.
    LoadFailed(String),
    /// How far the open message can scroll at the current size (from the view's layout).
    ScrollLimit {
        message: i64,
        max: u16,
    },
}

/// What the sync worker reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncEvent {
    Started,
    Progress {
        done: usize,
        total: usize,
    },
    /// A pass completed; `at` is the local time of day, `summary` the engine's words.
    Finished {
        at: String,
        new: usize,
        summary: String,
        /// What the pass could not do (a folder refused, a copy in Sent still to save),
        /// worded by `strings::sync_warnings`.
        warnings: Vec<crate::sync::warning::Warning>,
    },
    /// A pass failed: `words` for the sync state ("cannot reach imap.example.com"), `detail`
    /// the whole error with what to do, and when the next try is.
    Failed {
        words: String,
        detail: String,
        retry_in_secs: Option<u64>,
    },
    /// The store changed outside a pass (a move, a flag): lists are worth reloading.
    MessagesChanged,
    /// The team database ([database] url) could not be used after a pass: what failed and
    /// what to do, said once per outage.
    TeamDown(String),
}
