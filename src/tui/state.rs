//! The UI's state as plain data, one struct per screen: what is shown and where the cursor
//! is. No I/O and no drawing here; `update` changes it, the views read it.

use super::keymap::Keymap;
use super::replies::{ReplyPreview, SentReply};
use crate::payables::{Payable, Status};
use crate::store::search::{ListQuery, Sort, Source, ThreadEntry};
use crate::store::{Dashboard, Detail, FolderCount, Page};
use crate::sync::user_move::UserMove;
use chrono::NaiveDate;

/// How many rows around the cursor the list keeps loaded.
pub const WINDOW: usize = 200;

/// The application: a stack of screens over the mailbox, an overlay, the status line.
pub struct App {
    /// `screens[0]` is always the mailbox.
    pub mailbox: MailboxState,
    pub stack: Vec<Screen>,
    pub overlay: Option<Overlay>,
    pub status: StatusLine,
    pub keymap: Keymap,
    pub today: NaiveDate,
    pub demo: bool,
    /// Colours on (off with NO_COLOR: the views use bold and reverse instead).
    pub color: bool,
    /// The account as shown in the title.
    pub account: String,
    /// Terminal size (columns, rows), for paging.
    pub size: (u16, u16),
    /// What `u` takes back, the latest last: moves and payable changes of this session.
    pub undo: Vec<Undo>,
    /// The time zone dates are shown in.
    pub zone: Zone,
    pub quit: bool,
}

/// The time zone of the dates on screen: the system's (`TZ`), UTC, or a fixed offset
/// (the config's `[ui] time_zone`: "local", "utc", "+01:00").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    #[default]
    Utc,
    Local,
    Fixed(chrono::FixedOffset),
}

impl Zone {
    /// Reads the config's value; None when it is none of the three forms.
    pub fn parse(text: &str) -> Option<Zone> {
        match text.trim().to_ascii_lowercase().as_str() {
            "local" | "" => Some(Zone::Local),
            "utc" | "z" => Some(Zone::Utc),
            other => {
                let (sign, rest) = match other.as_bytes().first()? {
                    b'+' => (1, &other[1..]),
                    b'-' => (-1, &other[1..]),
                    _ => return None,
                };
                let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
                let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
                chrono::FixedOffset::east_opt(sign * secs).map(Zone::Fixed)
            }
        }
    }

    /// A stored UTC `YYYY-MM-DD HH:MM:SS` in this zone.
    pub fn local(self, stored: &str) -> Option<chrono::NaiveDateTime> {
        let utc = chrono::NaiveDateTime::parse_from_str(stored.get(..19)?, "%Y-%m-%d %H:%M:%S")
            .ok()?
            .and_utc();
        Some(match self {
            Zone::Utc => utc.naive_utc(),
            Zone::Local => utc.with_timezone(&chrono::Local).naive_local(),
            Zone::Fixed(o) => utc.with_timezone(&o).naive_local(),
        })
    }
}

/// How many steps `u` can take back.
pub const UNDO_DEPTH: usize = 50;

/// One step `u` takes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    Move(UserMove),
    Payable(crate::actions::payables::Done),
}

/// A screen pushed over the mailbox.
#[derive(Debug)]
pub enum Screen {
    Message(MessageState),
    Reply(ReplyState),
    Payables(PayablesState),
    Dashboard(DashboardState),
    Thread(ThreadState),
    /// A reply from the outbox, as it was sent.
    Sent(SentState),
    /// One combined preview of acknowledgements to several chasers.
    Batch(BatchState),
}

/// Acknowledging several chasers at once: each is prepared and sent on its own (the send
/// service's exactly-once rules hold per reply); fraud-flagged ones are left out.
#[derive(Debug, Default)]
pub struct BatchState {
    pub template: String,
    pub items: Vec<BatchItem>,
    /// Marked rows left out, with why (a fraud warning, not a chaser).
    pub left_out: Vec<(crate::store::Summary, &'static str)>,
    /// Previews asked for and not yet come.
    pub preparing: bool,
    pub sending: bool,
    pub scroll: u16,
}

#[derive(Debug, Clone)]
pub struct BatchItem {
    pub summary: crate::store::Summary,
    /// The preview, or why none could be written.
    pub preview: Option<Result<ReplyPreview, super::error::UiError>>,
    /// What sending did, once it is known.
    pub outcome: Option<BatchOutcome>,
}

/// What sending one reply of a batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Sent; the send service's words.
    Sent(String),
    /// Not sent, and why, typed: answered elsewhere (decided one at a time, outside the
    /// batch) or an error with its cause.
    NotSent(super::replies::NotSent),
}

impl BatchOutcome {
    pub fn is_sent(&self) -> bool {
        matches!(self, BatchOutcome::Sent(_))
    }
}

impl BatchItem {
    /// Ready to send with the batch: a preview that is not blocked.
    pub fn ready(&self) -> Option<&ReplyPreview> {
        match &self.preview {
            Some(Ok(p)) if p.blocked.is_none() => Some(p),
            _ => None,
        }
    }
}

/// A reply of the outbox opened: exactly what was sent, and how its delivery stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentOpened {
    pub from: String,
    pub to: String,
    pub subject: String,
    /// When it was sent (or queued), `YYYY-MM-DD HH:MM:SS` UTC.
    pub at: String,
    /// The delivery state in words (as the Sent list shows it).
    pub status: String,
    /// Its outcome is unknown (it may have reached the vendor): the key that settles it
    /// applies.
    pub unsettled: bool,
    /// A copy is in the mailbox's Sent folder; the chaser is flagged answered.
    pub saved_to_sent: bool,
    pub flagged_answered: bool,
    /// The template it came from.
    pub template: String,
    /// The text as sent, terminal-safe.
    pub body: String,
}

#[derive(Debug)]
pub struct SentState {
    pub id: i64,
    pub opened: Option<Box<SentOpened>>,
    pub scroll: u16,
}

/// A conversation: the chases of one invoice or References chain and our replies.
#[derive(Debug, Default)]
pub struct ThreadState {
    /// The message it was opened from.
    pub id: i64,
    pub entries: Option<Vec<ThreadEntry>>,
    pub selected: usize,
    pub scroll: u16,
}

/// Which pane of the mailbox has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Folders,
    List,
}

#[derive(Debug)]
pub struct MailboxState {
    pub folders: FoldersState,
    pub list: ListState,
    pub focus: Focus,
    /// This clerk, with [team]: the list marks chasers other clerks are answering.
    pub clerk: Option<crate::team::Clerk>,
}

/// What a folder of the pane is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderKind {
    /// A folder of the mailbox (and the store).
    Mail,
    /// The reply outbox.
    Sent,
    /// Every chaser not answered, most urgent first, across folders.
    ToAnswer,
    /// The same for the fraud-flagged ones, apart.
    Suspicious,
    /// Every folder (with a search: the search across folders).
    All,
}

impl FolderKind {
    /// A list of stored messages (not the outbox).
    pub fn is_stored(self) -> bool {
        self != FolderKind::Sent
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderEntry {
    pub label: String,
    /// The mailbox folder's name ("Chasers/Overdue").
    pub name: String,
    pub kind: FolderKind,
    pub counts: FolderCount,
}

#[derive(Debug, Clone, Default)]
pub struct FoldersState {
    pub entries: Vec<FolderEntry>,
    pub selected: usize,
}

impl FoldersState {
    pub fn current(&self) -> Option<&FolderEntry> {
        self.entries.get(self.selected)
    }
}

/// The message list of one folder: a window of rows around the cursor.
#[derive(Debug, Clone, Default)]
pub struct ListState {
    pub folder: String,
    pub kind: Option<FolderKind>,
    /// The search narrowing the list; it stays when another folder is shown.
    pub filter: Option<String>,
    /// The order chosen (None: the list's own); it stays too.
    pub sort: Option<Sort>,
    pub page: Page,
    /// The cursor, as a position in the whole (filtered) list.
    pub selected: usize,
    /// The first row on screen.
    pub top: usize,
    /// A page was asked for and has not come yet.
    pub loading: bool,
    /// The outbox, when this is the Sent folder.
    pub sent: Vec<SentReply>,
    /// Rows marked for a batch acknowledge (space, V), as they were when marked.
    pub marked: Vec<crate::store::Summary>,
    /// Where a range being marked with V started.
    pub range_from: Option<usize>,
}

impl ListState {
    /// What the store is asked for this list (None for the outbox).
    pub fn query(&self) -> Option<ListQuery> {
        let source = match self.kind? {
            FolderKind::Sent => return None,
            FolderKind::Mail => Source::Folder(self.folder.clone()),
            FolderKind::All => Source::All,
            k @ (FolderKind::ToAnswer | FolderKind::Suspicious) => Source::ToAnswer {
                flagged: k == FolderKind::Suspicious,
                archive: ARCHIVE.to_string(),
            },
        };
        Some(ListQuery {
            source,
            search: self.filter.clone(),
            sort: self.sort,
        })
    }

    /// Whether rows come from several folders (the list shows each row's folder).
    pub fn across_folders(&self) -> bool {
        matches!(
            self.kind,
            Some(FolderKind::All | FolderKind::ToAnswer | FolderKind::Suspicious)
        )
    }

    /// The number of rows in the whole list.
    pub fn len(&self) -> usize {
        match self.kind {
            Some(FolderKind::Sent) => self.sent.len(),
            _ => self.page.total,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The row at a position of the whole list, if loaded.
    pub fn row(&self, at: usize) -> Option<&crate::store::Summary> {
        at.checked_sub(self.page.offset)
            .and_then(|i| self.page.rows.get(i))
    }

    pub fn is_marked(&self, id: i64) -> bool {
        self.marked.iter().any(|m| m.id == id)
    }

    pub fn selected_row(&self) -> Option<&crate::store::Summary> {
        if self.kind == Some(FolderKind::Sent) {
            return None;
        }
        self.row(self.selected)
    }
}

/// A message opened, with what the view shows of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opened {
    pub detail: Detail,
    /// Display forms of the headers and the readable body, terminal-safe.
    pub from: String,
    pub to: String,
    pub reply_to: Option<String>,
    pub body: String,
    /// The attachments (name, type, size) and the text of the PDFs among them.
    pub attachments: Vec<crate::mail::Attachment>,
    pub attachment_text: String,
    /// "Maria is answering this (since 10:42)": another clerk's claim ([team]).
    pub claimed_by: Option<String>,
}

#[derive(Debug)]
pub struct MessageState {
    pub id: i64,
    pub opened: Option<Box<Opened>>,
    pub scroll: u16,
    /// The largest useful scroll at the current size (the last row at the bottom), worked
    /// out by the view's layout and given by `Msg::ScrollLimit`.
    pub max_scroll: u16,
}

#[derive(Debug)]
pub struct ReplyState {
    pub preview: ReplyPreview,
    pub sending: bool,
    pub edited: bool,
    pub scroll: u16,
}

#[derive(Debug, Default)]
pub struct PayablesState {
    pub rows: Vec<Payable>,
    pub selected: usize,
    pub top: usize,
    pub status: Option<Status>,
    pub vendor: Option<String>,
    pub loading: bool,
}

impl PayablesState {
    pub fn current(&self) -> Option<&Payable> {
        self.rows.get(self.selected)
    }
}

#[derive(Debug, Default)]
pub struct DashboardState {
    pub data: Option<Dashboard>,
    /// Which of the rows that lead somewhere is selected (`views::dashboard::targets`).
    pub selected: usize,
}

/// Where Enter on a dashboard row leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DashTarget {
    /// That chaser, opened.
    Message(i64),
    /// The claims of a bucket, listed to pick one (opened at once when it is the only one).
    Bucket {
        currency: String,
        bucket: crate::store::Bucket,
    },
    /// The payables screen, with that status filter.
    Payables(Option<Status>),
}

/// Something drawn over the screens that takes the keys while open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help { scroll: u16 },
    Picker(Picker),
    Prompt(Prompt),
    Confirm(Confirm),
}

/// A yes/no question; `y` goes on with `then`, `n` or esc changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub question: String,
    pub then: Then,
}

/// What a yes leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Then {
    Effects(Vec<super::effect::Effect>),
    Prompt(Prompt),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub title: &'static str,
    pub items: Vec<(String, String)>,
    pub selected: usize,
    pub purpose: PickPurpose,
}

/// What a picked item is for; items are (label, value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickPurpose {
    MoveTo {
        message: i64,
    },
    /// Whether the vendor got outbox entry `id`, whose outcome is unknown.
    Settle {
        id: i64,
    },
    /// "This is a …": the value is the verdict's name.
    Verdict {
        message: i64,
    },
    Template,
    /// A message to open; the value is its row id.
    OpenMessage,
    /// Which attachment `o` opens; the value is its number (1-based, as the CLI counts).
    OpenAttachment {
        message: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub label: &'static str,
    pub input: String,
    pub purpose: PromptPurpose,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptPurpose {
    Filter,
    PayablesVendor,
    /// The payment date for a reply that promises one (set_expectations, negotiate).
    ReplyDate {
        message: i64,
        template: &'static str,
    },
    /// The note of an escalation (may stay empty).
    ReplyNote {
        message: i64,
        template: &'static str,
    },
    /// The folder to save a message's attachments in.
    SaveAttachments {
        message: i64,
    },
    /// The payment date; `confirmed`: the user already said yes to changing a paid one.
    MarkPaid {
        vendor: String,
        invoice: String,
        confirmed: bool,
    },
    /// The payment's reference, after its date.
    PaidReference {
        vendor: String,
        invoice: String,
        on: NaiveDate,
        confirmed: bool,
    },
    Schedule {
        vendor: String,
        invoice: String,
    },
}

/// The sync as the status line tells it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SyncStatus {
    #[default]
    NotYet,
    Syncing {
        done: usize,
        total: usize,
    },
    Synced {
        at: String,
        new: usize,
    },
    Offline {
        words: String,
        retry_in_secs: Option<u64>,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusLine {
    pub sync: SyncStatus,
    /// What the last action did ("reply sent to ...").
    pub note: Option<String>,
    /// The last error, in words.
    pub error: Option<String>,
    /// Work in progress ("sending…").
    pub busy: Option<&'static str>,
}

impl App {
    pub fn new(
        keymap: Keymap,
        today: NaiveDate,
        demo: bool,
        account: String,
        folders: Vec<FolderEntry>,
    ) -> App {
        App {
            mailbox: MailboxState {
                folders: FoldersState {
                    entries: folders,
                    selected: 0,
                },
                list: ListState::default(),
                focus: Focus::List,
                clerk: None,
            },
            stack: Vec::new(),
            overlay: None,
            status: StatusLine::default(),
            keymap,
            today,
            demo,
            color: true,
            account,
            size: (80, 24),
            undo: Vec::new(),
            zone: Zone::Utc,
            quit: false,
        }
    }

    /// The latest move still on the undo stack.
    pub fn last_move(&self) -> Option<&UserMove> {
        self.undo.iter().rev().find_map(|u| match u {
            Undo::Move(m) => Some(m),
            Undo::Payable(_) => None,
        })
    }

    /// The folder pane's name for a mailbox folder ("Overdue" for "Chasers/Overdue"), so
    /// the status line says what the pane shows.
    pub fn folder_label(&self, name: &str) -> String {
        self.mailbox
            .folders
            .entries
            .iter()
            .find(|e| e.kind == FolderKind::Mail && e.name == name)
            .map_or_else(|| name.to_string(), |e| e.label.clone())
    }

    pub fn top(&self) -> Option<&Screen> {
        self.stack.last()
    }

    pub fn top_mut(&mut self) -> Option<&mut Screen> {
        self.stack.last_mut()
    }

    /// Rows of the message list on screen (the layout's arithmetic, shared with the view).
    pub fn list_rows(&self) -> usize {
        super::views::layout::list_rows(self.size)
    }
}

/// The folders of the pane, in order: the inbox, each stage, review, Sent, Archive.
pub fn folder_entries(folders: &crate::config::Folders) -> Vec<FolderEntry> {
    use super::strings::*;
    let mail = |label: &str, name: &str| FolderEntry {
        label: label.to_string(),
        name: name.to_string(),
        kind: FolderKind::Mail,
        counts: FolderCount {
            name: name.to_string(),
            ..FolderCount::default()
        },
    };
    let view = |label: &str, kind| FolderEntry {
        label: label.to_string(),
        name: label.to_string(),
        kind,
        counts: FolderCount::default(),
    };
    vec![
        view(FOLDER_TO_ANSWER, FolderKind::ToAnswer),
        view(FOLDER_SUSPICIOUS, FolderKind::Suspicious),
        mail(FOLDER_INBOX, "INBOX"),
        mail(FOLDER_REMINDERS, &folders.reminder),
        mail(FOLDER_OVERDUE, &folders.overdue),
        mail(FOLDER_FINAL, &folders.final_notice),
        mail(FOLDER_STATEMENTS, &folders.statement),
        mail(FOLDER_REVIEW, &folders.review),
        FolderEntry {
            label: FOLDER_SENT.to_string(),
            name: FOLDER_SENT.to_string(),
            kind: FolderKind::Sent,
            counts: FolderCount::default(),
        },
        mail(FOLDER_ARCHIVE, ARCHIVE),
        view(FOLDER_ALL, FolderKind::All),
    ]
}

/// The archive folder's name on the server.
pub const ARCHIVE: &str = "Archive";
