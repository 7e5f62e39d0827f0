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
        query: crate::store::search::ListQuery,
        offset: usize,
        limit: usize,
        /// The list's length when it is known to be unchanged (scrolling): not counted again.
        total: Option<usize>,
    },
    LoadMessage(i64),
    /// A message's conversation (its invoice's chases, its References chain, our replies).
    LoadThread(i64),
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
    /// A reply with everything the user was asked (the note of an escalation).
    PrepareReplyAsked {
        message: i64,
        template: String,
        asked: crate::reply::Asked,
    },
    /// Previews of one template for several messages (a batch acknowledge).
    PrepareBatch {
        messages: Vec<i64>,
        template: String,
    },
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
    /// A payable change through `actions::payables`; `confirmed`: the user said yes to
    /// its questions (the writer checks the rules again).
    MarkPaid {
        vendor: String,
        invoice: String,
        on: NaiveDate,
        reference: Option<String>,
        confirmed: bool,
    },
    Schedule {
        vendor: String,
        invoice: String,
        on: NaiveDate,
        confirmed: bool,
    },
    /// Take a payable change back.
    UndoPayable(crate::actions::payables::Done),
    /// Open an attachment (numbered from 1; None: the only one) in its viewer, the
    /// terminal handed over while it runs.
    OpenAttachment {
        message: i64,
        which: Option<usize>,
    },
    /// Read an outbox entry for the Sent view.
    OpenSent {
        id: i64,
    },
    /// Settle an outbox entry whose outcome is unknown, through the send service's
    /// `resolve` (the one `duebox outbox resolve` uses): look in Sent, or record the user's
    /// answer.
    Resolve {
        id: i64,
        decision: crate::send::Decision,
    },
    Quit,
}
