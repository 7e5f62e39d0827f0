//! What `update` asks the outside world to do: the runner performs these (bounded database
//! reads on the UI thread; network, sending and writes on the workers) and answers with
//! messages.

use super::replies::ReplyPreview;
use crate::classify::fingerprint::Verdict;
use crate::payables::Status;
use crate::sync::user_move::UserMove;
use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    LoadFolders,
    LoadSent,
    LoadPage {
        folder: String,
        filter: Option<String>,
        offset: usize,
        limit: usize,
        /// The list's length when it is known to be unchanged (scrolling): not counted again.
        total: Option<usize>,
    },
    LoadMessage(i64),
    /// The user read the message: flag it `\Seen`.
    MarkSeen(i64),
    /// Our scheduled payment date for the message's invoice, for the `e` prompt.
    /// Our scheduled date for a message, the default of the date a reply template asks.
    LoadPayDate(i64, &'static str),
    /// Save a message's attachments into a folder (`~` is the home folder); never over a file.
    SaveAttachments {
        message: i64,
        dir: String,
    },
    LoadPayables {
        status: Option<Status>,
        vendor: Option<String>,
    },
    LoadDashboard,
    PrepareReply {
        message: i64,
        template: String,
        pay_on: Option<NaiveDate>,
    },
    SendReply(ReplyPreview),
    /// The preview with this draft id was dropped unsent (its claim is released).
    DropReply(u64),
    EditReply(ReplyPreview),
    Move {
        message: i64,
        to: String,
    },
    UndoMove(UserMove),
    /// The clerk's correction of a message's verdict.
    Correct {
        message: i64,
        verdict: Verdict,
    },
    SyncNow,
    EditTemplate(String),
    MarkPaid {
        vendor: String,
        invoice: String,
        on: NaiveDate,
    },
    Schedule {
        vendor: String,
        invoice: String,
        on: NaiveDate,
    },
    Quit,
}
