//! The background threads: the sync worker owns the sync session (`crate::sync::session`:
//! the mail server connection, its backoff, the pass) and its own database connection
//! (SQLite WAL lets the UI read meanwhile); it runs a pass at start, on `s`, every interval
//! and when the account's IDLE watcher says so, and makes the user's moves, undos and flags.
//! The reply worker owns the reply layer. Both answer the UI with `Msg`s over a channel;
//! neither ever touches the terminal. Payable changes go to `super::writer` instead, so
//! they never wait on the network.

use super::error::{Cause, UiError};
use super::keymap::Action;
use super::msg::{Msg, SyncEvent};
use super::replies::{ReplyPreview, ReplyService};
use super::strings;
use crate::classify::fingerprint::Verdict;
use crate::classify::Options;
use crate::config::Folders;
use crate::store::Store;
use crate::sync::engine::Progress;
use crate::sync::learn::{self, CorrectError};
use crate::sync::server::MailServer;
use crate::sync::session::{PassError, SentCopy, Session};
use crate::sync::user_move::{MoveError, UserMove};
use chrono::NaiveDate;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the sync worker is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncCmd {
    SyncNow,
    Move {
        message: i64,
        to: String,
    },
    Undo(UserMove),
    /// The clerk's "not a chaser" / "this is a …" on a message.
    Correct {
        message: i64,
        verdict: Verdict,
    },
    /// Adds a system flag to a message (`\Answered` after a reply went out, `\Seen` when
    /// it was opened), on the server and in the store.
    Flag {
        message: i64,
        flag: &'static str,
    },
    Shutdown,
}

/// What the reply worker is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyCmd {
    Prepare {
        message: i64,
        template: String,
        pay_on: Option<NaiveDate>,
    },
    Send(Box<ReplyPreview>),
    /// A preview with everything the user was asked (an escalation's note).
    PrepareAsked {
        message: i64,
        template: String,
        asked: crate::reply::Asked,
    },
    /// Previews of one template for several messages, answered together.
    PrepareBatch {
        messages: Vec<i64>,
        template: String,
    },
    /// The preview with this draft id was dropped unsent.
    Drop(u64),
    /// Settle an outbox entry whose outcome is unknown.
    Resolve {
        id: i64,
        decision: crate::send::Decision,
    },
    LoadSent,
    Shutdown,
}

pub use crate::sync::session::Connect;

/// What a sync pass needs besides the server and the store.
pub struct SyncSetup {
    pub folders: Folders,
    pub classify: Options,
    /// Keep `classify.today` (the demo's fixed day) rather than taking the date of each pass.
    pub fixed_today: bool,
    /// Sync this often besides on demand (None: at start and on demand only).
    pub interval: Option<Duration>,
    /// Where the pass's after-send catch-up saves copies of sent replies.
    pub sent: SentCopy,
}

pub fn spawn_sync(
    connect: Box<dyn Connect>,
    store: Store,
    setup: SyncSetup,
    events: Sender<Msg>,
) -> (Sender<SyncCmd>, JoinHandle<()>) {
    let (tx, rx) = channel();
    let handle = std::thread::Builder::new()
        .name("duebox-sync".into())
        .spawn(move || {
            SyncWorker {
                session: Session::new(connect, setup.sent.clone()),
                store,
                setup,
                events,
                team_down_said: false,
            }
            .run(rx)
        })
        .expect("the sync thread starts");
    (tx, handle)
}

struct SyncWorker {
    session: Session,
    store: Store,
    setup: SyncSetup,
    events: Sender<Msg>,
    /// The team database is down and the status line has said so (once per outage).
    team_down_said: bool,
}

impl SyncWorker {
    fn send(&self, msg: Msg) {
        // The UI has gone: nothing to tell; the loop ends at the next receive.
        let _ = self.events.send(msg);
    }

    fn run(mut self, rx: Receiver<SyncCmd>) {
        let mut next_sync = Instant::now();
        loop {
            let wait = next_sync.saturating_duration_since(Instant::now());
            let cmd = match rx.recv_timeout(wait) {
                Ok(cmd) => cmd,
                Err(RecvTimeoutError::Timeout) => SyncCmd::SyncNow,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            match cmd {
                SyncCmd::Shutdown => return,
                SyncCmd::SyncNow => next_sync = self.pass(),
                SyncCmd::Move { message, to } => {
                    let folders = self.setup.folders.clone();
                    let mut taught = None;
                    let r = self.with_server(|s, store| {
                        let (done, learnt) = learn::move_message(s, store, &folders, message, &to)?;
                        taught = learnt;
                        Ok(done)
                    });
                    self.send(Msg::Moved(r));
                    if let Some(c) = taught {
                        self.send(Msg::Learnt(strings::learnt_from_move(c.verdict.words())));
                    }
                }
                SyncCmd::Undo(done) => {
                    let r = self.with_server(|s, store| learn::undo_move(s, store, &done));
                    self.send(Msg::Undone(r));
                }
                SyncCmd::Correct { message, verdict } => {
                    let result = self.correct(message, verdict);
                    self.send(Msg::Corrected { message, result });
                }
                SyncCmd::Flag { message, flag } => {
                    self.add_flag(message, flag);
                    self.send(Msg::Sync(SyncEvent::MessagesChanged));
                }
            }
        }
    }

    /// Runs a user's move on the server; a failure of the connection drops it, so the next
    /// command reconnects.
    fn with_server(
        &mut self,
        f: impl FnOnce(&mut dyn MailServer, &mut Store) -> Result<UserMove, MoveError>,
    ) -> Result<UserMove, UiError> {
        let described = self.session.describe();
        let server = match self.session.server() {
            Ok(s) => s,
            Err(e) => {
                return Err(UiError::new(strings::cannot_reach(&described), e)
                    .because(Cause::Connection)
                    .press(Action::SyncNow, "try to connect again"))
            }
        };
        let outcome = f(server, &mut self.store);
        // A server's NO leaves the connection as it was; a dropped one is made again.
        if let Err(MoveError::Server(e)) = &outcome {
            if !e.connection_sound() {
                self.session.drop_connection();
            }
        }
        outcome.map_err(|e| match &e {
            MoveError::Server(s) => UiError::server(strings::NOT_MOVED, s),
            _ => UiError::new(strings::NOT_MOVED, e),
        })
    }

    /// The clerk's correction: kept even when the server cannot be reached (the message then
    /// stays where it is).
    fn correct(&mut self, message: i64, verdict: Verdict) -> Result<learn::Corrected, UiError> {
        let server = self.session.server().ok().map(|s| s as &mut dyn MailServer);
        let r = learn::correct(
            server,
            &mut self.store,
            &self.setup.folders,
            message,
            verdict,
        );
        if let Err(CorrectError::Move(MoveError::Server(e))) = &r {
            if !e.connection_sound() {
                self.session.drop_connection();
            }
        }
        r.map_err(|e| UiError::new(strings::NOT_CORRECTED, e))
    }

    fn add_flag(&mut self, id: i64, flag: &'static str) {
        let Ok(Some(place)) = self.store.message_place(id) else {
            return;
        };
        if place.flags.split_whitespace().any(|f| f == flag) {
            return;
        }
        let flags = format!("{} {flag}", place.flags).trim().to_string();
        // The local flag first, so the counts change at once; the server's follows, and if
        // it cannot be reached now the flag is set again on the next reply or by hand.
        let _ = self.store.set_flags_of(id, &flags);
        if let (Some(uid), Ok(server)) = (place.uid, self.session.server()) {
            let done = server
                .select(&place.folder)
                .and_then(|_| server.add_flags(&[uid], &[flag]));
            if done.is_err_and(|e| !e.connection_sound()) {
                self.session.drop_connection();
            }
        }
    }

    /// One pass of the session (the same as `duebox sync`'s); returns when the next is due.
    fn pass(&mut self) -> Instant {
        self.send(Msg::Sync(SyncEvent::Started));
        if !self.setup.fixed_today {
            self.setup.classify.today = chrono::Local::now().date_naive();
        }
        let (mut done, mut total) = (0usize, 0usize);
        let events = self.events.clone();
        let mut progress = |p: Progress| match p {
            Progress::Folder { to_fetch, .. } => total += to_fetch,
            Progress::Fetched(n) => {
                done += n;
                let _ = events.send(Msg::Sync(SyncEvent::Progress { done, total }));
            }
            Progress::Filing(_) => {}
        };
        let (outcome, team) = self.session.pass_and_share(
            &mut self.store,
            &self.setup.folders,
            &self.setup.classify,
            &mut progress,
        );
        let described = self.session.describe();
        match outcome {
            Ok(report) => {
                self.send(Msg::Sync(SyncEvent::Finished {
                    at: chrono::Local::now().format("%H:%M").to_string(),
                    new: report.new,
                    summary: report.summary(),
                    warnings: report.warnings.to_vec(),
                }));
                match team {
                    Ok(_) => self.team_down_said = false,
                    Err(e) if !self.team_down_said => {
                        self.team_down_said = true;
                        self.send(Msg::Sync(SyncEvent::TeamDown(strings::team_down(&e))));
                    }
                    Err(_) => {}
                }
                Instant::now()
                    + self
                        .setup
                        .interval
                        .unwrap_or(Duration::from_secs(365 * 24 * 3600))
            }
            Err(PassError::Connect(e)) => self.failed(strings::cannot_reach(&described), e.detail),
            Err(PassError::Payables(e)) => {
                self.failed(strings::CANNOT_READ_PAYABLES.into(), e.to_string())
            }
            Err(e) => self.failed(strings::sync_failed(&described), e.to_string()),
        }
    }

    /// Reports a failed pass: short words for the sync state, the whole error for the
    /// status line's error.
    fn failed(&mut self, words: String, detail: String) -> Instant {
        let wait = self.session.backoff.next_wait();
        self.send(Msg::Sync(SyncEvent::Failed {
            words,
            detail,
            retry_in_secs: Some(wait.as_secs()),
        }));
        Instant::now() + wait
    }
}

pub fn spawn_replies(
    mut service: Box<dyn ReplyService>,
    events: Sender<Msg>,
    sync: Sender<SyncCmd>,
) -> (Sender<ReplyCmd>, JoinHandle<()>) {
    let (tx, rx) = channel::<ReplyCmd>();
    let handle = std::thread::Builder::new()
        .name("duebox-replies".into())
        .spawn(move || {
            for cmd in rx {
                let msg = match cmd {
                    ReplyCmd::Shutdown => return,
                    ReplyCmd::Prepare {
                        message,
                        template,
                        pay_on,
                    } => Msg::ReplyPrepared(service.preview(message, &template, pay_on)),
                    ReplyCmd::PrepareAsked {
                        message,
                        template,
                        asked,
                    } => Msg::ReplyPrepared(service.preview_asked(message, &template, &asked)),
                    ReplyCmd::PrepareBatch { messages, template } => Msg::BatchPrepared(
                        messages
                            .into_iter()
                            .map(|m| (m, service.preview(m, &template, None)))
                            .collect(),
                    ),
                    ReplyCmd::Send(preview) => {
                        let result = service.send(&preview);
                        if result.is_ok() {
                            let _ = sync.send(SyncCmd::Flag {
                                message: preview.message,
                                flag: "\\Answered",
                            });
                        }
                        let _ = events.send(Msg::ReplySent {
                            message: preview.message,
                            result,
                        });
                        match service.outbox() {
                            Ok(sent) => Msg::SentLoaded(sent),
                            Err(e) => Msg::LoadFailed(e.to_string()),
                        }
                    }
                    ReplyCmd::Drop(draft_id) => {
                        service.drop_draft(draft_id);
                        continue;
                    }
                    ReplyCmd::Resolve { id, decision } => {
                        let result = service.resolve(id, decision);
                        let _ = events.send(Msg::Settled { id, result });
                        match service.outbox() {
                            Ok(sent) => Msg::SentLoaded(sent),
                            Err(e) => Msg::LoadFailed(e.to_string()),
                        }
                    }
                    ReplyCmd::LoadSent => match service.outbox() {
                        Ok(sent) => Msg::SentLoaded(sent),
                        Err(e) => Msg::LoadFailed(e.to_string()),
                    },
                };
                if events.send(msg).is_err() {
                    return;
                }
            }
        })
        .expect("the reply thread starts");
    (tx, handle)
}
