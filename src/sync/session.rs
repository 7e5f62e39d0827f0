//! The sync session: how duebox keeps one mailbox connection — connect, back off after a
//! failure, wait for changes (IDLE, or polling without it) — and what one pass is: the sync
//! (`engine::sync_once`) and then the after-send catch-up (copies in Sent, `\Answered`, the
//! check of replies a crash left `sending`). `duebox sync [--watch]` and the UI's background
//! worker both run exactly this; neither front end writes its own loop. Never touches a
//! terminal and never decides words for a screen: it reports values and the error's words.

use super::engine::{sync_once, Progress, Report, Settings, SyncError};
use super::server::MailServer;
use super::warning::Warning;
use crate::store::{Store, StoreError};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The longest IDLE before it is re-issued: servers drop it after 30 minutes.
pub const IDLE_RENEW: Duration = Duration::from_secs(25 * 60);
/// How often a session that lost its sign-in looks for a new `duebox login`.
pub const LOGIN_POLL: Duration = Duration::from_secs(3);
/// The longest wait between reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Why the mailbox could not be reached: the connection's own words, and whether only a new
/// sign-in (`duebox login`) can help, which no retry cures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct ConnectFailure {
    pub detail: String,
    pub needs_login: bool,
}

impl From<String> for ConnectFailure {
    fn from(detail: String) -> ConnectFailure {
        ConnectFailure {
            detail,
            needs_login: false,
        }
    }
}

impl From<&str> for ConnectFailure {
    fn from(detail: &str) -> ConnectFailure {
        ConnectFailure::from(detail.to_string())
    }
}

/// How a session reaches its mail server (again, after a failure).
pub trait Connect: Send {
    fn connect(&mut self) -> Result<Box<dyn MailServer + Send>, ConnectFailure>;
    /// The server as the user knows it ("imap.example.com").
    fn describe(&self) -> String;
}

/// The account of `[imap]`, over the network.
pub struct AccountConnect(pub crate::config::Imap);

impl Connect for AccountConnect {
    fn connect(&mut self) -> Result<Box<dyn MailServer + Send>, ConnectFailure> {
        let account = crate::account::from_config(&self.0).map_err(|e| ConnectFailure {
            needs_login: e.needs_login(),
            detail: format!("{:#}", anyhow::Error::from(e)),
        })?;
        let server = crate::imap::Imap::connect(&account).map_err(|e| ConnectFailure {
            needs_login: e.needs_login(),
            detail: format!("{:#}", anyhow::Error::from(e)),
        })?;
        Ok(Box::new(server))
    }
    fn describe(&self) -> String {
        self.0.host.clone()
    }
}

/// Where a sent reply's copy goes (`[reply] sent_folder`, `save_sent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentCopy {
    pub folder: String,
    pub save: bool,
}

impl Default for SentCopy {
    fn default() -> SentCopy {
        let reply = crate::config::Reply::default();
        SentCopy {
            folder: reply.sent_folder,
            save: reply.save_sent,
        }
    }
}

impl SentCopy {
    pub fn from_config(config: &crate::config::Config) -> SentCopy {
        SentCopy {
            folder: config.reply.sent_folder.clone(),
            save: config.reply.save_sent,
        }
    }
}

/// Why a pass did not complete.
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error(transparent)]
    Connect(ConnectFailure),
    /// The payables index the pass checks claims against could not be read.
    #[error(transparent)]
    Payables(StoreError),
    #[error(transparent)]
    Sync(SyncError),
}

/// Doubling waits between attempts, from one second up to [`MAX_BACKOFF`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff(Duration);

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff(Duration::from_secs(1))
    }
}

impl Backoff {
    /// The wait before the next attempt; the one after is twice as long.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self.0;
        self.0 = (self.0 * 2).min(MAX_BACKOFF);
        wait
    }
    /// The wait the next failure would get, without using it.
    pub fn peek(&self) -> Duration {
        self.0
    }
    pub fn reset(&mut self) {
        *self = Backoff::default();
    }
}

/// One mailbox connection, made when needed and dropped when it fails.
pub struct Session {
    connect: Box<dyn Connect>,
    server: Option<Box<dyn MailServer + Send>>,
    pub backoff: Backoff,
    sent: SentCopy,
}

impl Session {
    pub fn new(connect: Box<dyn Connect>, sent: SentCopy) -> Session {
        Session {
            connect,
            server: None,
            backoff: Backoff::default(),
            sent,
        }
    }

    /// A session on a connection the caller already made (to report its failure its own way).
    pub fn connected(
        connect: Box<dyn Connect>,
        server: Box<dyn MailServer + Send>,
        sent: SentCopy,
    ) -> Session {
        Session {
            server: Some(server),
            ..Session::new(connect, sent)
        }
    }

    /// The server as the user knows it.
    pub fn describe(&self) -> String {
        self.connect.describe()
    }

    /// The connection, made now unless there is one.
    pub fn server(&mut self) -> Result<&mut (dyn MailServer + Send), ConnectFailure> {
        if self.server.is_none() {
            self.server = Some(self.connect.connect()?);
        }
        Ok(self.server.as_deref_mut().expect("connected"))
    }

    /// Forgets a connection that failed, so the next use reconnects.
    pub fn drop_connection(&mut self) {
        self.server = None;
    }

    /// Says goodbye to the server, if connected.
    pub fn logout(&mut self) {
        if let Some(mut s) = self.server.take() {
            s.logout();
        }
    }

    /// One pass: the sync, then the after-send catch-up. A failure drops the connection
    /// (the next pass reconnects); a completed pass resets the backoff. What the catch-up
    /// could not do yet is among the report's warnings and is tried again next pass.
    pub fn pass(
        &mut self,
        store: &mut Store,
        settings: &Settings<'_>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report, PassError> {
        let sent = self.sent.clone();
        let server = self.server().map_err(PassError::Connect)?;
        let synced = sync_once(server, store, settings, progress);
        let mut report = match synced {
            Ok(r) => r,
            Err(e) => {
                self.drop_connection();
                return Err(PassError::Sync(e));
            }
        };
        let server = self.server.as_deref_mut().expect("connected");
        report.warnings.extend(catch_up(store, server, &sent));
        self.backoff.reset();
        Ok(report)
    }

    /// [`Session::pass_with`], then the exchange with the team database (`[database] url`):
    /// what was written here goes to the team and the other clerks' payables, corrections and
    /// vendors come back, the checks redone — so a payment another clerk recorded is in the
    /// checks after every pass of the UI's background sync and of `sync --watch`, not only
    /// when a command opens the database. After the mail, so a team database that is down
    /// never holds the mail up; its failure is the second half of the answer.
    pub fn pass_and_share(
        &mut self,
        store: &mut Store,
        folders: &crate::config::Folders,
        classify: &crate::classify::Options,
        progress: &mut dyn FnMut(Progress),
    ) -> (Result<Report, PassError>, Result<usize, StoreError>) {
        let pass = self.pass_with(store, folders, classify, progress);
        (pass, store.refresh_team())
    }

    /// Reads the payables index and runs [`Session::pass`] with it.
    pub fn pass_with(
        &mut self,
        store: &mut Store,
        folders: &crate::config::Folders,
        classify: &crate::classify::Options,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report, PassError> {
        let index = store.payables_index().map_err(PassError::Payables)?;
        let settings = Settings {
            folders,
            classify,
            index: &index,
        };
        self.pass(store, &settings, progress)
    }
}

/// The after-send catch-up on a connected mailbox: replies a crash left `queued` or
/// `sending` are settled (found in Sent, or listed as unknown), then every copy in Sent and
/// `\Answered` that failed before is tried again. Returns what is still left.
pub fn catch_up(store: &mut Store, server: &mut dyn MailServer, sent: &SentCopy) -> Vec<Warning> {
    let mut later = Vec::new();
    let mut after = crate::send::AfterSend {
        store,
        mailbox: Some(server),
        sent_folder: &sent.folder,
        save_sent: sent.save,
    };
    match after.recover() {
        Ok(unresolved) if !unresolved.is_empty() => later.push(Warning::Unresolved(unresolved)),
        Ok(_) => {}
        Err(e) => later.push(e.to_string().into()),
    }
    match after.finish_pending() {
        Ok(left) => later.extend(left.into_iter().map(Warning::Text)),
        Err(e) => later.push(e.to_string().into()),
    }
    later
}

/// Stops a watching session: a flag, and the socket to shut so a blocked IDLE wakes.
#[derive(Clone, Default)]
pub struct Stopper {
    stop: Arc<AtomicBool>,
    socket: Arc<Mutex<Option<TcpStream>>>,
}

impl Stopper {
    /// Stops on SIGTERM or SIGINT.
    pub fn on_signals(&self) -> std::io::Result<()> {
        let mut signals = signal_hook::iterator::Signals::new([
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGINT,
        ])?;
        let me = self.clone();
        std::thread::spawn(move || {
            if signals.forever().next().is_some() {
                me.stop();
            }
        });
        Ok(())
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake();
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn wake(&self) {
        if let Ok(guard) = self.socket.lock() {
            if let Some(s) = guard.as_ref() {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }

    fn watch_socket(&self, socket: Option<TcpStream>) {
        if let Ok(mut guard) = self.socket.lock() {
            *guard = socket;
        }
        // A stop that came between the check and now must still wake us.
        if self.stopped() {
            self.wake();
        }
    }

    /// Sleeps, waking early when stopped.
    pub fn sleep(&self, total: Duration) {
        let step = Duration::from_millis(200);
        let mut slept = Duration::ZERO;
        while slept < total && !self.stopped() {
            std::thread::sleep(step.min(total - slept));
            slept += step;
        }
    }
}

/// Why a round of a watch runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Just connected (at start, or again after a failure).
    Connected,
    /// IDLE said INBOX changed.
    Changed,
    /// IDLE was renewed, or the poll interval passed, with nothing said.
    Quiet,
}

/// What a round tells the watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// What happened to the connection, for the front end's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    CannotConnect {
        error: String,
        retry_in: Duration,
    },
    /// Said once per distinct error: only `duebox login` helps.
    WaitingForLogin {
        error: String,
    },
    SignedInAgain,
    Lost {
        error: String,
        retry_in: Duration,
    },
}

/// How a watch waits between rounds.
pub struct Watch<'a> {
    pub stop: &'a Stopper,
    /// Without IDLE, wait this long between rounds; `None` ends the watch on a server
    /// without IDLE (the caller polls some other way).
    pub poll: Option<Duration>,
}

/// Keeps the session connected and runs `round` at each connection and after each wait
/// (IDLE on INBOX, or the poll interval), until stopped or a round says stop. A failed
/// round or wait drops the connection and reconnects with backoff.
pub fn watch(
    session: &mut Session,
    how: &Watch<'_>,
    round: &mut dyn FnMut(&mut Session, Wake) -> anyhow::Result<Flow>,
    note: &mut dyn FnMut(Note),
) {
    let mut told_to_sign_in: Option<String> = None;
    while !how.stop.stopped() {
        let interrupter = match session.server() {
            Ok(s) => s.interrupter(),
            Err(e) if e.needs_login => {
                if told_to_sign_in.as_ref() != Some(&e.detail) {
                    note(Note::WaitingForLogin {
                        error: e.detail.clone(),
                    });
                    told_to_sign_in = Some(e.detail);
                }
                how.stop.sleep(LOGIN_POLL);
                continue;
            }
            Err(e) => {
                let retry_in = session.backoff.next_wait();
                note(Note::CannotConnect {
                    error: e.detail,
                    retry_in,
                });
                how.stop.sleep(retry_in);
                continue;
            }
        };
        if told_to_sign_in.take().is_some() {
            note(Note::SignedInAgain);
        }
        how.stop.watch_socket(interrupter);
        let outcome = rounds(session, how, round);
        how.stop.watch_socket(None);
        match outcome {
            Ok(Flow::Stop) => {
                session.logout();
                return;
            }
            Ok(Flow::Continue) => session.logout(),
            Err(e) if how.stop.stopped() => tracing::debug!("stopped during: {e:#}"),
            Err(e) => {
                session.drop_connection();
                let retry_in = session.backoff.next_wait();
                note(Note::Lost {
                    error: format!("{e:#}"),
                    retry_in,
                });
                how.stop.sleep(retry_in);
            }
        }
    }
}

/// The rounds on one connection: `Ok(Continue)` when stopped, `Ok(Stop)` when a round or a
/// server without IDLE (and no poll) ends the watch.
fn rounds(
    session: &mut Session,
    how: &Watch<'_>,
    round: &mut dyn FnMut(&mut Session, Wake) -> anyhow::Result<Flow>,
) -> anyhow::Result<Flow> {
    let mut wake = Wake::Connected;
    while !how.stop.stopped() {
        if round(session, wake)? == Flow::Stop {
            return Ok(Flow::Stop);
        }
        session.backoff.reset();
        if how.stop.stopped() {
            break;
        }
        let server = session.server()?;
        wake = if server.capabilities().idle {
            server.select("INBOX")?;
            if server.idle(IDLE_RENEW)? {
                Wake::Changed
            } else {
                Wake::Quiet
            }
        } else if let Some(poll) = how.poll {
            how.stop.sleep(poll);
            Wake::Quiet
        } else {
            return Ok(Flow::Stop);
        };
    }
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_limit_and_resets() {
        let mut b = Backoff::default();
        let waits: Vec<u64> = (0..11).map(|_| b.next_wait().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        b.reset();
        assert_eq!(b.next_wait(), Duration::from_secs(1));
    }

    struct Refused(Arc<Mutex<usize>>);

    impl Connect for Refused {
        fn connect(&mut self) -> Result<Box<dyn MailServer + Send>, ConnectFailure> {
            *self.0.lock().unwrap() += 1;
            Err("connection refused".into())
        }
        fn describe(&self) -> String {
            "imap.example.com".into()
        }
    }

    #[test]
    fn a_watch_that_cannot_connect_backs_off_and_stops_when_told() {
        let tries = Arc::new(Mutex::new(0));
        let mut session = Session::new(Box::new(Refused(tries.clone())), SentCopy::default());
        let stop = Stopper::default();
        let mut notes = Vec::new();
        let stopper = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1500));
            stopper.stop();
        });
        watch(
            &mut session,
            &Watch {
                stop: &stop,
                poll: None,
            },
            &mut |_, _| Ok(Flow::Continue),
            &mut |n| notes.push(n),
        );
        // 1 s, then 2 s: stopped during the second wait.
        assert_eq!(*tries.lock().unwrap(), 2);
        assert_eq!(
            notes[0],
            Note::CannotConnect {
                error: "connection refused".into(),
                retry_in: Duration::from_secs(1)
            }
        );
        assert!(
            matches!(&notes[1], Note::CannotConnect { retry_in, .. } if *retry_in == Duration::from_secs(2))
        );
    }
}
