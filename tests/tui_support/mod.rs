//! What the terminal-UI tests share: the demo mailbox driven headless (the same update,
//! runner and workers as `duebox demo`, drawn on a TestBackend), a reply service that
//! records what it "sent", and the redaction of wall-clock times for snapshots.
#![allow(dead_code)]

use chrono::NaiveDate;
use duebox::demo::{Demo, SharedServer};
use duebox::sync::server::MailServer;
use duebox::tui::error::UiError;
use duebox::tui::harness::Harness;
use duebox::tui::keymap::Keymap;
use duebox::tui::replies::{NotSent, ReplyPreview, ReplyService, SentReply};
use duebox::tui::runner::Runner;
use duebox::tui::state::{folder_entries, App, Focus, FolderKind, Screen, SyncStatus};
use duebox::tui::worker::{self, Connect, SyncSetup};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(10);

/// The demo's real reply layer (templates, outbox, the demo's never-sending transport),
/// recording what it sent for the test to read.
pub struct TestReplies {
    pub inner: duebox::tui::outbox_replies::OutboxReplies,
    pub sent: Arc<Mutex<Vec<SentReply>>>,
    /// The body of each reply sent, in order.
    pub bodies: Arc<Mutex<Vec<String>>>,
}

impl ReplyService for TestReplies {
    fn preview(
        &mut self,
        message: i64,
        template: &str,
        pay_on: Option<NaiveDate>,
    ) -> Result<ReplyPreview, UiError> {
        self.inner.preview(message, template, pay_on)
    }

    fn preview_asked(
        &mut self,
        message: i64,
        template: &str,
        asked: &duebox::reply::Asked,
    ) -> Result<ReplyPreview, UiError> {
        self.inner.preview_asked(message, template, asked)
    }

    fn send(&mut self, preview: &ReplyPreview) -> Result<String, NotSent> {
        let words = self.inner.send(preview)?;
        self.bodies.lock().unwrap().push(preview.body.clone());
        self.sent.lock().unwrap().push(SentReply {
            at: "2026-11-20 10:00:00".into(),
            to: preview.to.clone(),
            subject: preview.subject.clone(),
            status: duebox::tui::strings::SENT_DEMO_LABEL.into(),
            message: Some(preview.message),
            outbox_id: None,
        });
        Ok(words)
    }

    fn resolve(
        &mut self,
        outbox_id: i64,
        decision: duebox::send::Decision,
    ) -> Result<duebox::send::Resolved, UiError> {
        self.inner.resolve(outbox_id, decision)
    }

    fn outbox(&mut self) -> Result<Vec<SentReply>, UiError> {
        // Times redacted as everywhere in the snapshots.
        Ok(self
            .inner
            .outbox()?
            .into_iter()
            .map(|r| SentReply {
                at: "2026-11-20 10:00:00".into(),
                ..r
            })
            .collect())
    }
}

struct DemoConnect(SharedServer);

impl Connect for DemoConnect {
    fn connect(
        &mut self,
    ) -> Result<Box<dyn MailServer + Send>, duebox::sync::session::ConnectFailure> {
        Ok(Box::new(self.0.clone()))
    }
    fn describe(&self) -> String {
        "the demo mailbox".into()
    }
}

pub struct DemoUi {
    pub h: Harness,
    pub demo: Demo,
    pub sent: Arc<Mutex<Vec<SentReply>>>,
    pub bodies: Arc<Mutex<Vec<String>>>,
}

/// The demo in the UI at `width`×`height`, after the worker's first sync.
pub fn demo_ui(width: u16, height: u16) -> DemoUi {
    demo_ui_with(width, height, None)
}

/// The same with another way to the server (None: the demo's own), without waiting for the
/// first sync when one is given.
pub fn demo_ui_with(width: u16, height: u16, connect: Option<Box<dyn Connect>>) -> DemoUi {
    let demo = duebox::demo::load().expect("the demo loads");
    let (events, inbox) = std::sync::mpsc::channel();
    let wait = connect.is_none();
    let (sync, _) = worker::spawn_sync(
        connect.unwrap_or_else(|| Box::new(DemoConnect(demo.server.clone()))),
        demo.open_store().unwrap(),
        SyncSetup {
            folders: demo.folders.clone(),
            classify: duebox::demo::options(),
            fixed_today: true,
            interval: None,
            sent: Default::default(),
        },
        events.clone(),
    );
    let sent = Arc::new(Mutex::new(Vec::new()));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let replies = TestReplies {
        inner: duebox::demo::replies(&demo).unwrap(),
        sent: sent.clone(),
        bodies: bodies.clone(),
    };
    let (writes, _) = duebox::tui::writer::spawn_writer(demo.open_store().unwrap(), events.clone());
    let (reply, _) = worker::spawn_replies(Box::new(replies), events, sync.clone());
    let runner = Runner::new(
        demo.open_store().unwrap(),
        sync,
        reply,
        writes,
        duebox::demo::today(),
    );
    let app = App::new(
        Keymap::default(),
        duebox::demo::today(),
        true,
        "demo ap@northwind.test".into(),
        folder_entries(&demo.folders),
    );
    let mut h = Harness::new(app, runner, inbox, width, height);
    if !wait {
        return DemoUi {
            h,
            demo,
            sent,
            bodies,
        };
    }
    assert!(
        h.wait_until(WAIT, |a| matches!(a.status.sync, SyncStatus::Synced { .. })),
        "the first sync finishes"
    );
    h.settle(Duration::from_millis(100));
    // The wall clock would make every snapshot differ.
    h.app.status.sync = SyncStatus::Synced {
        at: "09:00".into(),
        new: 0,
    };
    h.draw();
    DemoUi {
        h,
        demo,
        sent,
        bodies,
    }
}

impl DemoUi {
    /// Shows a folder of the pane by its label and gives the list the keys.
    pub fn open_folder(&mut self, label: &str) {
        let at = self
            .h
            .app
            .mailbox
            .folders
            .entries
            .iter()
            .position(|e| e.label == label)
            .unwrap_or_else(|| panic!("no folder {label}"));
        if self.h.app.mailbox.focus == Focus::List {
            self.h.press("tab");
        }
        self.h.press("g");
        for _ in 0..at {
            self.h.press("j");
        }
        let kind = self.h.app.mailbox.folders.entries[at].kind;
        if kind == FolderKind::Sent {
            self.h.settle(Duration::from_millis(100));
        }
        self.h.press("enter");
    }

    /// Narrows the list with `/` to `text`.
    /// Enter on the selected row: the message is opened (and read) before this returns.
    pub fn open_selected(&mut self) {
        self.h.press("enter");
        self.wait_opened();
    }

    /// Waits until the message on top is read and shown.
    pub fn wait_opened(&mut self) {
        assert!(
            self.h.wait_until(
                WAIT,
                |a| matches!(a.top(), Some(Screen::Message(m)) if m.opened.is_some())
            ),
            "{}",
            self.screen()
        );
    }

    /// Presses `keys` and waits for the reply preview they ask for.
    pub fn preview(&mut self, keys: &str) {
        self.h.press(keys);
        assert!(
            self.h
                .wait_until(WAIT, |a| matches!(a.top(), Some(Screen::Reply(_)))),
            "{}",
            self.screen()
        );
    }

    /// Waits until the status line's note says `part`.
    pub fn wait_note(&mut self, part: &str) {
        assert!(
            self.h.wait_until(WAIT, |a| a
                .status
                .note
                .as_deref()
                .is_some_and(|n| n.contains(part))),
            "{:?}\n{}",
            self.h.app.status,
            self.screen()
        );
    }

    /// Acknowledges the one Inbox chaser `filter` finds (filed in the demo outbox) and waits
    /// until the UI is back on the list.
    pub fn acknowledge_in_inbox(&mut self, filter: &str) {
        self.open_folder("Inbox");
        self.filter(filter);
        self.h.press("a");
        assert!(self.h.wait_until(WAIT, |a| a.top().is_some()));
        self.h.press("y");
        assert!(self.h.wait_until(WAIT, |a| a.top().is_none()));
        self.h.settle(Duration::from_millis(100));
    }

    /// The payables screen, its vendor filter set to `vendor` and its status to open.
    pub fn open_payables_of(&mut self, vendor: &str) {
        self.h.press("p /");
        self.h.type_text(vendor);
        self.h.press("enter f");
    }

    pub fn filter(&mut self, text: &str) {
        self.h.press("/ ctrl-u");
        self.h.type_text(text);
        self.h.press("enter");
    }

    /// The screen with wall-clock dates and times (events duebox records as they happen)
    /// replaced, so snapshots are the same every day.
    pub fn screen(&self) -> String {
        redact(&self.h.screen())
    }
}

/// A folder of the pane by its label (the pane's order is the UI's business).
pub fn entry<'a>(app: &'a App, label: &str) -> &'a duebox::tui::state::FolderEntry {
    app.mailbox
        .folders
        .entries
        .iter()
        .find(|e| e.label == label)
        .unwrap_or_else(|| panic!("no folder {label}"))
}

pub fn redact(screen: &str) -> String {
    let now = chrono::Utc::now();
    let mut out = screen.to_string();
    for day in [now, now - chrono::Duration::days(1)] {
        let re = regex::Regex::new(&format!(r"{} \d\d:\d\d", day.format("%Y-%m-%d"))).unwrap();
        out = re.replace_all(&out, "YYYY-MM-DD hh:mm").into_owned();
    }
    out
}
