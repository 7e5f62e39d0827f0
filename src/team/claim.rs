//! The claim on a chaser, the one flow `duebox reply` and the UI both go through: before a
//! clerk's reply is shown, the chaser is claimed on the IMAP server, so that of several clerks
//! on one mailbox exactly one answers it; after sending or cancelling the claim is released.
//! Never sends mail and never decides about a reply: it says who holds a chaser, and the
//! front end asks the clerk.
//!
//! With CONDSTORE and keywords the claim is a compare-and-set: `UID STORE uid (UNCHANGEDSINCE
//! modseq) +FLAGS ($DueboxClaimed $DueboxBy_<clerk> $DueboxT<bit>...)` (marks.rs) against the
//! mod-sequence the last sync saw, sent with its SELECT in one round trip. `MODIFIED` means
//! someone changed the message since: its flags are read again and either someone holds it
//! (their name and time are told) or the claim is tried again against the new mod-sequence.
//! Without CONDSTORE or keywords the claim is a `UID MOVE` into "In progress/<clerk>": a move
//! of a message that is no longer there moves nothing, so only one clerk's move succeeds. Its
//! time is the INTERNALDATE of a marker the chaser's lock folder holds (who, since when), so a
//! claim left by a killed process goes stale there too.

use super::marks::{self, Clerk, Mark};
use crate::store::{Store, StoreError};
use crate::sync::server::{ServerError, ServerResult};
use chrono::{DateTime, Utc};

/// How flags are changed by a STORE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    Add,
    Remove,
    Replace,
}

/// What a SELECT said that a claim depends on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Opened {
    pub uid_validity: Option<u32>,
    /// PERMANENTFLAGS has `\*`: new keywords are kept.
    pub keywords: bool,
}

/// How a STORE went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// Done; the message's flags and mod-sequence after it.
    Done {
        flags: Vec<String>,
        modseq: Option<u64>,
    },
    /// Someone changed the message since the mod-sequence given (`[MODIFIED]`).
    Modified,
    /// No such message any more (moved or expunged by another client).
    Gone,
    /// The server refused the flags (a keyword it will not keep), in its words.
    Refused(String),
}

/// How a MOVE went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    /// Moved: its UID in the destination, as the server said (COPYUID); None when the server
    /// did not say, and whether it moved must be looked up (by Message-ID).
    To(Option<u32>),
    /// The message was not there: someone else moved it first.
    NotThere,
}

/// A message's flags and mod-sequence as the server has them now; None when it is gone.
pub type FlagsNow = Option<(Vec<String>, Option<u64>)>;

/// What a claim needs from the server. Folder names are the user's ("Chasers/Overdue").
pub trait ClaimServer {
    fn condstore(&self) -> bool;
    fn moves(&self) -> bool;
    /// SELECTs `folder` and STOREs `flags` on `uid` (conditionally with `unchanged_since`),
    /// in one round trip.
    fn select_and_store(
        &mut self,
        folder: &str,
        uid: u32,
        unchanged_since: Option<u64>,
        op: FlagOp,
        flags: &[String],
    ) -> ServerResult<(Opened, Stored)>;
    /// SELECTs `folder` and reads the flags and mod-sequence of `uid` there, one round trip;
    /// None when it is gone.
    fn select_and_fetch(&mut self, folder: &str, uid: u32) -> ServerResult<(Opened, FlagsNow)>;
    /// The flags and mod-sequence of `uid` in the selected folder; None when it is gone.
    fn flags_now(&mut self, uid: u32) -> ServerResult<FlagsNow>;
    /// SELECTs `from` (CREATEs `to` first when asked) and MOVEs `uid` to `to`, one round trip.
    fn select_and_move(
        &mut self,
        from: &str,
        uid: u32,
        to: &str,
        create: bool,
    ) -> ServerResult<Moved>;
    /// The first of `folders` holding a message with this Message-ID, and its UID there.
    fn find(&mut self, folders: &[String], message_id: &str)
        -> ServerResult<Option<(String, u32)>>;
    /// The folders one level under `parent`.
    fn children(&mut self, parent: &str) -> ServerResult<Vec<String>>;
    /// CREATEs `folder`: true when this call made it, false when it exists already.
    fn create_lock(&mut self, folder: &str) -> ServerResult<bool>;
    /// DELETEs `folder` (gone already is fine).
    fn delete_folder(&mut self, folder: &str) -> ServerResult<()>;
    /// APPENDs to the lock folder `lock` a small marker saying that `clerk` holds the chaser,
    /// with `at` as its INTERNALDATE: the time of a claim by move.
    fn mark_lock(&mut self, lock: &str, clerk: &str, at: DateTime<Utc>) -> ServerResult<()>;
    /// The newest marker's INTERNALDATE in the lock folder `lock`; None when it holds none
    /// (or is gone).
    fn lock_time(&mut self, lock: &str) -> ServerResult<Option<DateTime<Utc>>>;
}

/// This clerk and the team's rules (`[team]`).
#[derive(Debug, Clone)]
pub struct Team {
    pub clerk: Clerk,
    pub claim_minutes: u32,
}

impl Team {
    pub fn from_config(t: &crate::config::Team) -> Team {
        Team {
            clerk: Clerk::new(&t.clerk),
            claim_minutes: t.claim_minutes,
        }
    }
}

/// A claim this clerk holds, to be released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// `messages.id` of the chaser.
    pub row: i64,
    pub message_id: Option<String>,
    pub place: Place,
}

impl Claim {
    /// Whether the server's flags, as the claim saw them, say the chaser was answered
    /// (`\Answered`): someone (a colleague who just released it, another mail client) may
    /// have replied, so the look before sending is worth making before anything else.
    pub fn answered_on_server(&self) -> bool {
        matches!(&self.place, Place::Keywords { flags, .. }
            if flags.iter().any(|f| f.eq_ignore_ascii_case("\\Answered")))
    }
}

/// Where the claim is on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// Keywords on the message in `folder`.
    Keywords {
        folder: String,
        uid: u32,
        /// The message's flags and mod-sequence after the claim.
        flags: Vec<String>,
        modseq: Option<u64>,
    },
    /// Moved from `from` into this clerk's folder `to`, under `uid` there if known, while
    /// this clerk holds the chaser's lock folder `lock`.
    Moved {
        from: String,
        to: String,
        uid: Option<u32>,
        lock: String,
    },
}

/// Why a chaser could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// Another clerk holds it, and the claim is not stale.
    #[error("{}", .0.words_in(&chrono::Local))]
    Held(Mark),
    #[error("the chaser is no longer in '{0}' on the server (another client moved or deleted it)")]
    Gone(String),
    #[error("this message has no place on the server yet (it was never synced there)")]
    NotSynced,
    #[error("the folder '{0}' was reset on the server (a new UIDVALIDITY) since the last sync")]
    Reset(String),
    #[error("claims need CONDSTORE and keywords, or MOVE, and this server offers none of them")]
    Unsupported,
    #[error("the server answered every claim with a change; the message keeps changing")]
    Busy,
    /// The move fallback's lock is taken and the chaser is in nobody's folder: a clerk is
    /// just starting or finishing with it, or one stopped in between.
    #[error("another clerk is just starting or finishing a reply to this chaser")]
    Locked,
    #[error("cannot claim the chaser: {0}")]
    Server(#[from] ServerError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which front end an error's advice is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    Cli,
    Ui,
}

impl ClaimError {
    /// What the clerk can do about it, in the front end's terms.
    pub fn advice(&self, front: Front) -> &'static str {
        match (self, front) {
            (ClaimError::Held(_), Front::Cli) => "nothing was sent; leave it to them, or pass --take-over to answer it anyway (recorded in the log with both names)",
            (ClaimError::Held(_), Front::Ui) => "press y twice to answer it anyway (recorded in the log with both names), esc to leave it to them",
            (ClaimError::Gone(_) | ClaimError::NotSynced | ClaimError::Reset(_), Front::Cli) => "run `duebox sync`, then try again",
            (ClaimError::Gone(_) | ClaimError::NotSynced | ClaimError::Reset(_), Front::Ui) => "sync (s), then open it again",
            (ClaimError::Locked, Front::Cli) => "try again in a moment; if it stays so, pass --take-over",
            (ClaimError::Locked, Front::Ui) => "open it again in a moment; if it stays so, press y twice to answer it anyway",
            (ClaimError::Unsupported, _) => "remove [team] from the config to answer without claims, and agree with the team who answers what",
            (ClaimError::Busy | ClaimError::Server(_), Front::Cli) => "check the connection and try again (`duebox config check` tests it)",
            (ClaimError::Busy | ClaimError::Server(_), Front::Ui) => "try again in a moment; the status line shows the connection",
            (ClaimError::Store(_), _) => "the local database could not be read; check the disk and try again",
        }
    }

    /// The error and its advice in one sentence.
    pub fn words(&self, front: Front) -> String {
        format!("{self}: {}", self.advice(front))
    }
}

/// How many times a claim is tried again after `MODIFIED` before giving up: each try means
/// the message changed between our read and our STORE, which a busy mailbox does now and then.
const TRIES: usize = 5;

/// Claims and releases for one clerk; remembers what the server turned out to allow.
#[derive(Debug)]
pub struct Claims {
    pub team: Team,
    /// The server kept no keywords (or has no CONDSTORE): claims are moves from now on.
    by_move: bool,
    /// This clerk's "In progress" folder was made (or found) in this session.
    folder_made: bool,
}

/// What the store knows about the chaser.
struct Basis {
    folder: String,
    uid: u32,
    message_id: Option<String>,
    flags: Vec<String>,
    uid_validity: Option<u32>,
    modseq: Option<u64>,
    vendor: Option<String>,
    invoice: Option<String>,
}

impl Claims {
    pub fn new(team: Team) -> Claims {
        Claims {
            team,
            by_move: false,
            folder_made: false,
        }
    }

    fn basis(store: &mut Store, row: i64) -> Result<Basis, ClaimError> {
        let place = store.message_place(row)?.ok_or(ClaimError::NotSynced)?;
        let uid = place.uid.ok_or(ClaimError::NotSynced)?;
        let folder = store.folder(&place.folder)?;
        Ok(Basis {
            uid,
            message_id: place.message_id,
            flags: place.flags.split_whitespace().map(str::to_string).collect(),
            uid_validity: place.uid_validity,
            modseq: folder.highest_modseq,
            vendor: place.vendor,
            invoice: place.invoice,
            folder: place.folder,
        })
    }

    /// Claims the chaser stored as `row`. `take_over`: the clerk said to answer it even though
    /// someone else holds it (recorded, with both names). A stale claim (older than
    /// `claim_minutes`) is taken over without asking, and recorded too.
    pub fn claim(
        &mut self,
        server: &mut dyn ClaimServer,
        store: &mut Store,
        row: i64,
        now: DateTime<Utc>,
        take_over: bool,
    ) -> Result<Claim, ClaimError> {
        let b = Self::basis(store, row)?;
        if self.by_move || !server.condstore() || b.modseq.is_none() {
            return self.claim_by_move(server, store, row, &b, now, take_over);
        }
        let me = &self.team.clerk;
        let mine = me.claim_keywords(now);
        // The flags as last seen, and whether they come from the server just now (the
        // store's may be a pass old).
        let (mut flags, mut modseq, mut fresh) = (b.flags.clone(), b.modseq, false);
        let mut overridden: Option<Mark> = None;
        for _ in 0..TRIES {
            let other = marks::held_by_other(flags.iter().map(String::as_str), Some(me), now);
            let claimed_before = !marks::claim_flags(flags.iter().map(String::as_str)).is_empty();
            if (other.is_some() || claimed_before) && !fresh {
                // Someone's (or an old claim of ours) as the last sync saw it: asked again,
                // since it may be gone by now, and a take-over replaces the flags read.
                match self.reread(server, &b)? {
                    Some((f, m)) => (flags, modseq, fresh) = (f, m, true),
                    None => return Err(ClaimError::Gone(b.folder.clone())),
                }
                continue;
            }
            if let Some(m) = &other {
                if !m.stale(now, self.team.claim_minutes) && !take_over {
                    return Err(ClaimError::Held(m.clone()));
                }
                overridden = Some(m.clone());
            }
            let (op, words) = if claimed_before {
                let old = marks::claim_flags(flags.iter().map(String::as_str));
                let mut all: Vec<String> = flags
                    .iter()
                    .filter(|f| !old.contains(f) && !f.starts_with("\\Recent"))
                    .cloned()
                    .collect();
                all.extend(mine.iter().cloned());
                (FlagOp::Replace, all)
            } else {
                (FlagOp::Add, mine.clone())
            };
            let (opened, stored) = server.select_and_store(&b.folder, b.uid, modseq, op, &words)?;
            if opened.uid_validity.is_some() && opened.uid_validity != b.uid_validity {
                if let Stored::Done { .. } = stored {
                    // The UID meant another message in the folder's new life: taken back.
                    let _ = server.select_and_store(&b.folder, b.uid, None, FlagOp::Remove, &mine);
                }
                return Err(ClaimError::Reset(b.folder.clone()));
            }
            match stored {
                Stored::Done {
                    flags: after,
                    modseq,
                } if opened.keywords => {
                    // The server's compare-and-set makes this impossible; checked all the same,
                    // because a claim on top of another's would mean two replies.
                    let beside =
                        marks::held_by_other(after.iter().map(String::as_str), Some(me), now)
                            .filter(|m| !m.stale(now, self.team.claim_minutes));
                    if let (Some(m), None) = (beside, &overridden) {
                        // Ours taken back as a release does: against the mod-sequence just
                        // seen, and never their $DueboxClaimed.
                        let ours = Claim {
                            row,
                            message_id: b.message_id.clone(),
                            place: Place::Keywords {
                                folder: b.folder.clone(),
                                uid: b.uid,
                                flags: after,
                                modseq,
                            },
                        };
                        let _ = self.release(server, &ours, false);
                        return Err(ClaimError::Held(m));
                    }
                    if let Some(m) = &overridden {
                        record_take_over(store, me, m, &b, now, self.team.claim_minutes)?;
                    }
                    failpoint();
                    return Ok(Claim {
                        row,
                        message_id: b.message_id.clone(),
                        place: Place::Keywords {
                            folder: b.folder.clone(),
                            uid: b.uid,
                            flags: after,
                            modseq,
                        },
                    });
                }
                // Kept for this session only (no `\*` in PERMANENTFLAGS), or refused: other
                // clients would never see the claim, so it is a move instead.
                Stored::Done { .. } | Stored::Refused(_) => {
                    if matches!(stored, Stored::Done { .. }) {
                        let _ =
                            server.select_and_store(&b.folder, b.uid, None, FlagOp::Remove, &mine);
                    }
                    tracing::info!("the server keeps no claim keywords; claims are moves now");
                    self.by_move = true;
                    return self.claim_by_move(server, store, row, &b, now, take_over);
                }
                Stored::Gone => return Err(ClaimError::Gone(b.folder.clone())),
                Stored::Modified => match server.flags_now(b.uid)? {
                    Some((f, m)) => (flags, modseq, fresh) = (f, m, true),
                    None => return Err(ClaimError::Gone(b.folder.clone())),
                },
            }
        }
        Err(ClaimError::Busy)
    }

    /// The message's flags on the server now (its folder selected on the way).
    fn reread(&self, server: &mut dyn ClaimServer, b: &Basis) -> Result<FlagsNow, ClaimError> {
        let (opened, now) = server.select_and_fetch(&b.folder, b.uid)?;
        if opened.uid_validity.is_some() && opened.uid_validity != b.uid_validity {
            return Err(ClaimError::Reset(b.folder.clone()));
        }
        Ok(now)
    }

    /// The fallback: the chaser's lock folder created (with a marker saying who and since
    /// when), and the chaser moved into this clerk's "In progress" folder (where every client
    /// sees who has it). A lock whose marker is older than `claim_minutes` is stale: taken
    /// over without asking, and recorded.
    fn claim_by_move(
        &mut self,
        server: &mut dyn ClaimServer,
        store: &mut Store,
        row: i64,
        b: &Basis,
        now: DateTime<Utc>,
        take_over: bool,
    ) -> Result<Claim, ClaimError> {
        if !server.moves() {
            return Err(ClaimError::Unsupported);
        }
        let me = self.team.clerk.clone();
        let own = me.folder();
        let lock =
            marks::lock_folder(&b.message_id.clone().unwrap_or_else(|| {
                format!("{}/{}/{}", b.folder, b.uid_validity.unwrap_or(0), b.uid)
            }));
        let claim = |uid| Claim {
            row,
            message_id: b.message_id.clone(),
            place: Place::Moved {
                from: b.folder.clone(),
                to: own.clone(),
                uid,
                lock: lock.clone(),
            },
        };
        let minutes = self.team.claim_minutes;
        let mut locked = server.create_lock(&lock)?;
        if !locked {
            // Taken: since when, and whose folder is the chaser in?
            let since = server.lock_time(&lock)?;
            let stale = since.is_some_and(|t| now - t >= chrono::Duration::minutes(minutes.into()));
            match self.holder(server, b, &own)? {
                Some((folder, uid)) if folder == own => return Ok(claim(Some(uid))),
                Some((folder, uid)) => {
                    let holder = holder_mark(&folder, since);
                    if !take_over && !stale {
                        return Err(ClaimError::Held(holder));
                    }
                    return match server.select_and_move(&folder, uid, &own, !self.folder_made)? {
                        Moved::NotThere => Err(ClaimError::Locked),
                        Moved::To(new) => {
                            self.folder_made = true;
                            // The lock is ours now, from now on.
                            server.mark_lock(&lock, &me.name, now)?;
                            record_take_over(store, &me, &holder, b, now, minutes)?;
                            Ok(claim(new))
                        }
                    };
                }
                None if take_over || stale => {
                    // Left by a clerk who stopped in between: taken, on the clerk's word.
                    server.delete_folder(&lock)?;
                    locked = server.create_lock(&lock)?;
                    if !locked {
                        return Err(ClaimError::Locked);
                    }
                }
                None => return Err(ClaimError::Locked),
            }
        }
        // Before the move: a clerk stopped right after it leaves a claim with a time.
        server.mark_lock(&lock, &me.name, now)?;
        let moved = server.select_and_move(&b.folder, b.uid, &own, !self.folder_made)?;
        self.folder_made = true;
        let placed = match (moved, &b.message_id) {
            (Moved::To(Some(uid)), _) => Some(uid),
            // The server did not say: it moved if it is in our folder now.
            (Moved::To(None), Some(id)) => server
                .find(std::slice::from_ref(&own), id)?
                .map(|(_, uid)| uid),
            _ => None,
        };
        if let Some(uid) = placed {
            failpoint();
            return Ok(claim(Some(uid)));
        }
        // Not there although the lock was free: moved by someone without a lock (another
        // mail client), or in a clerk's folder from before; the lock is given back.
        server.delete_folder(&lock)?;
        match self.holder(server, b, &own)? {
            Some((folder, _)) if folder != own => Err(ClaimError::Held(holder_mark(&folder, None))),
            _ => Err(ClaimError::Gone(b.folder.clone())),
        }
    }

    /// The clerk's folder ("In progress/<clerk>") the chaser is in, and its UID there.
    fn holder(
        &self,
        server: &mut dyn ClaimServer,
        b: &Basis,
        own: &str,
    ) -> Result<Option<(String, u32)>, ClaimError> {
        let Some(id) = &b.message_id else {
            return Ok(None);
        };
        let mut folders: Vec<String> = server
            .children(marks::IN_PROGRESS)?
            .into_iter()
            .filter(|f| !f.starts_with(&format!("{}/{}", marks::IN_PROGRESS, marks::LOCK)))
            .collect();
        if !folders.iter().any(|f| f == own) {
            folders.push(own.to_string());
        }
        Ok(server.find(&folders, id)?)
    }

    /// Gives the claim up: the keywords taken off (only ours, only while they are ours), or
    /// the message moved back where it was (with `\Answered` when `answered`). Whatever
    /// fails here only leaves a claim that expires by itself.
    pub fn release(
        &mut self,
        server: &mut dyn ClaimServer,
        claim: &Claim,
        answered: bool,
    ) -> Result<(), ClaimError> {
        match &claim.place {
            Place::Keywords {
                folder,
                uid,
                flags,
                modseq,
            } => {
                let me = &self.team.clerk;
                let (mut flags, mut modseq) = (flags.clone(), *modseq);
                for _ in 0..TRIES {
                    let ours: Vec<String> =
                        marks::marks(flags.iter().map(String::as_str), Utc::now())
                            .into_iter()
                            .filter(|m| me.owns(&m.keyword))
                            .map(|m| m.keyword)
                            .collect();
                    if ours.is_empty() {
                        // Taken over meanwhile: theirs now, nothing of ours to take off.
                        return Ok(());
                    }
                    let others = marks::marks(flags.iter().map(String::as_str), Utc::now()).len()
                        > ours.len();
                    let words: Vec<String> = marks::claim_flags(flags.iter().map(String::as_str))
                        .into_iter()
                        .filter(|f| !(others && f.eq_ignore_ascii_case(marks::CLAIMED)))
                        .filter(|f| {
                            ours.contains(f) || !f.to_ascii_uppercase().starts_with("$DUEBOXBY_")
                        })
                        .collect();
                    let (_, stored) =
                        server.select_and_store(folder, *uid, modseq, FlagOp::Remove, &words)?;
                    match stored {
                        Stored::Done { .. } | Stored::Gone | Stored::Refused(_) => return Ok(()),
                        Stored::Modified => match server.flags_now(*uid)? {
                            Some((f, m)) => (flags, modseq) = (f, m),
                            None => return Ok(()),
                        },
                    }
                }
                Err(ClaimError::Busy)
            }
            Place::Moved {
                from,
                to,
                uid,
                lock,
            } => {
                let uid = match (uid, &claim.message_id) {
                    (Some(u), _) => Some(*u),
                    (None, Some(id)) => server.find(std::slice::from_ref(to), id)?.map(|(_, u)| u),
                    (None, None) => None,
                };
                // Not in our folder: taken over by another clerk, whose lock it is now.
                let Some(uid) = uid else { return Ok(()) };
                let moved = server.select_and_move(to, uid, from, false)?;
                // The lock goes only once the chaser is back where everyone looks.
                server.delete_folder(lock)?;
                if let Moved::To(Some(back)) = moved {
                    if answered {
                        server.select_and_store(
                            from,
                            back,
                            None,
                            FlagOp::Add,
                            &["\\Answered".to_string()],
                        )?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// The holder of a chaser in the move fallback, from their folder's name and the lock's
/// marker.
fn holder_mark(folder: &str, since: Option<DateTime<Utc>>) -> Mark {
    Mark {
        clerk: folder
            .strip_prefix(&format!("{}/", marks::IN_PROGRESS))
            .unwrap_or(folder)
            .to_string(),
        keyword: folder.to_string(),
        since,
        approximate: false,
    }
}

/// The record of a claim taken from another clerk: by override, or because it was stale.
fn record_take_over(
    store: &mut Store,
    me: &Clerk,
    them: &Mark,
    b: &Basis,
    now: DateTime<Utc>,
    minutes: u32,
) -> Result<(), StoreError> {
    let since = them
        .since_words(&Utc, "%Y-%m-%d %H:%M UTC")
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    let (kind, why) = if them.stale(now, minutes) {
        (
            "claim_taken_over",
            format!("it was older than {minutes} minutes"),
        )
    } else {
        (
            "claim_overridden",
            "the clerk chose to answer it anyway".to_string(),
        )
    };
    store.record_event(
        &me.name,
        kind,
        b.message_id.as_deref(),
        b.vendor.as_deref(),
        b.invoice.as_deref(),
        &format!(
            "{} took over {}'s claim{since} on this chaser: {why}",
            me.name, them.clerk
        ),
    )
}

/// A crash on purpose right after a claim, for the test of a claim left by a killed
/// process: `DUEBOX_FAILPOINT=after-claim`.
fn failpoint() {
    if std::env::var("DUEBOX_FAILPOINT").is_ok_and(|v| v == "after-claim") {
        std::process::abort();
    }
}
