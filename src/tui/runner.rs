//! Performs `update`'s effects: bounded reads of the local database right here on the UI
//! thread (one page of rows, one message, the payables, SQL aggregates: milliseconds), the
//! editor with the terminal suspended, and everything that may wait (network, sending) and
//! every write handed to the workers, whose answers come back as `Msg`s. Never writes to
//! the database itself: a keypress must not wait behind a sync's transaction.

use super::effect::Effect;
use super::error::UiError;
use super::msg::Msg;
use super::replies::ReplyPreview;
use super::state::Opened;
use super::strings;
use super::worker::{ReplyCmd, SyncCmd};
use super::writer::{Shown, WriteCmd};
use crate::actions::payables::{Change, PayableAction};
use crate::store::{payables::Filter, OutboxState, Store};
use chrono::NaiveDate;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

/// Hands the terminal over to another program (the editor) and takes it back.
pub trait Suspend {
    fn suspend(&mut self, run: &mut dyn FnMut() -> Result<(), UiError>) -> Result<(), UiError>;
}

/// Where a template's editable copy is, by name (given by the reply layer).
pub type TemplatePath = Box<dyn Fn(&str) -> Result<PathBuf, UiError>>;

pub struct Runner {
    store: Store,
    sync: Sender<SyncCmd>,
    replies: Sender<ReplyCmd>,
    writes: Sender<WriteCmd>,
    today: NaiveDate,
    /// The editor command; None: $VISUAL, else $EDITOR, else vi.
    pub editor: Option<String>,
    pub template_path: Option<TemplatePath>,
    /// Asked, with the terminal handed over, when an edited template does not check:
    /// edit again? (the terminal's own question by default; tests answer for the user).
    pub ask_again: fn(&crate::reply::TemplateError) -> bool,
    /// The last list ordered (To answer, a search, a sort), for scrolling it.
    listed: Option<crate::store::search::Listed>,
    /// The query of a list just made, until the counts that follow it have used it.
    listed_fresh: Option<crate::store::search::ListQuery>,
    /// The mailcap files for `o`; None: `$MAILCAPS`, else ~/.mailcap and /etc/mailcap.
    pub mailcaps: Option<Vec<PathBuf>>,
    /// This clerk, with [team]: the message view says who else is answering a chaser.
    pub clerk: Option<crate::team::Clerk>,
}

impl Runner {
    pub fn new(
        store: Store,
        sync: Sender<SyncCmd>,
        replies: Sender<ReplyCmd>,
        writes: Sender<WriteCmd>,
        today: NaiveDate,
    ) -> Runner {
        Runner {
            store,
            sync,
            replies,
            writes,
            today,
            editor: None,
            template_path: None,
            ask_again: crate::editor::ask_again,
            listed: None,
            listed_fresh: None,
            mailcaps: None,
            clerk: None,
        }
    }

    /// "Maria is answering this (since about 10:40)" when another clerk holds the message, in
    /// local time (the view only draws it).
    fn claimed_by(&self, o: &Opened) -> Option<String> {
        let me = self.clerk.as_ref()?;
        crate::team::marks::held_by_other(
            o.detail.summary.flags.split_whitespace(),
            Some(me),
            chrono::Utc::now(),
        )
        .map(|m| m.words_in(&chrono::Local))
    }

    fn to_sync(&self, cmd: SyncCmd) -> Vec<Msg> {
        match self.sync.send(cmd) {
            Ok(()) => Vec::new(),
            Err(_) => vec![Msg::LoadFailed(strings::worker_gone("sync"))],
        }
    }

    fn to_writer(&self, cmd: WriteCmd) -> Vec<Msg> {
        match self.writes.send(cmd) {
            Ok(()) => Vec::new(),
            Err(_) => vec![Msg::LoadFailed(strings::worker_gone("database"))],
        }
    }

    fn to_replies(&self, cmd: ReplyCmd) -> Vec<Msg> {
        match self.replies.send(cmd) {
            Ok(()) => Vec::new(),
            Err(_) => vec![Msg::LoadFailed(strings::worker_gone("reply"))],
        }
    }

    /// The pane's "To answer" counts; the plain one is the length of To answer when it was
    /// just listed (the list comes before the counts in one batch of effects).
    fn count_to_answer(&mut self) -> Vec<Msg> {
        use crate::store::search::Source;
        let archive = super::state::ARCHIVE;
        let fresh = self.listed_fresh.take().filter(|l| {
            l.search.is_none()
                && l.source
                    == Source::ToAnswer {
                        flagged: false,
                        archive: archive.to_string(),
                    }
        });
        let counted = || -> Result<(usize, usize), crate::store::StoreError> {
            let plain = match (&fresh, &self.listed) {
                (Some(_), Some(listed)) => listed.ids.len(),
                _ => self.store.to_answer_count(archive, false)?,
            };
            Ok((plain, self.store.to_answer_count(archive, true)?))
        };
        match counted() {
            Ok((plain, flagged)) => vec![Msg::ToAnswerCounted { plain, flagged }],
            Err(e) => vec![Msg::LoadFailed(e.to_string())],
        }
    }

    /// A page of a list: a folder newest first from its index; any other list ordered once
    /// when it is (re)counted and kept, so scrolling it reads only the page's rows.
    fn list_page(
        &mut self,
        query: &crate::store::search::ListQuery,
        offset: usize,
        limit: usize,
        total: Option<usize>,
    ) -> Result<crate::store::Page, crate::store::StoreError> {
        if Store::by_folder_index(query) {
            return self.store.list_page(query, offset, limit, total);
        }
        let kept = self
            .listed
            .as_ref()
            .filter(|l| total.is_some() && l.query == *query);
        if kept.is_none() {
            self.listed = Some(self.store.listed(query)?);
            self.listed_fresh = Some(query.clone());
        }
        let listed = self.listed.as_ref().expect("just listed");
        self.store.page_of(listed, offset, limit)
    }

    pub fn perform(&mut self, effect: Effect, term: &mut dyn Suspend) -> Vec<Msg> {
        if !matches!(
            effect,
            Effect::LoadPage { .. } | Effect::LoadFolders | Effect::LoadSent
        ) {
            // Only the counts of the same batch may use the list just made.
            self.listed_fresh = None;
        }
        let read_failed = |e: crate::store::StoreError| vec![Msg::LoadFailed(e.to_string())];
        match effect {
            Effect::LoadFolders => match self.store.folder_counts() {
                Ok(c) => {
                    let mut out = vec![Msg::FoldersLoaded(c)];
                    out.extend(self.count_to_answer());
                    out
                }
                Err(e) => read_failed(e),
            },
            Effect::LoadThread(id) => self.store.thread(id).map_or_else(read_failed, |entries| {
                vec![Msg::ThreadLoaded { id, entries }]
            }),
            Effect::LoadSent => self.to_replies(ReplyCmd::LoadSent),
            Effect::LoadPage {
                query,
                offset,
                limit,
                total,
            } => match self.list_page(&query, offset, limit, total) {
                Ok(page) => vec![Msg::PageLoaded { query, page }],
                Err(e) => read_failed(e),
            },
            Effect::LoadMessage(id) => match self.store.detail(id) {
                Ok(Some(detail)) => {
                    if detail.summary.is_alarm() {
                        // The record shows that the warning was put in front of the user.
                        let _ = self.writes.send(WriteCmd::Record(Shown {
                            kind: "fraud_warning_shown",
                            message_id: detail.message_id.clone(),
                            vendor: detail.summary.vendor.clone(),
                            invoice: detail.summary.invoices.first().cloned(),
                            detail: detail
                                .summary
                                .risk
                                .iter()
                                .map(|r| r.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        }));
                    }
                    let mut o = opened(detail);
                    o.claimed_by = self.claimed_by(&o);
                    vec![Msg::Opened(Box::new(o))]
                }
                Ok(None) => vec![Msg::LoadFailed(strings::MESSAGE_GONE.into())],
                Err(e) => read_failed(e),
            },
            Effect::LoadPayDate(message, template) => match self.store.detail(message) {
                Ok(detail) => vec![Msg::PayDateDefault {
                    message,
                    template,
                    scheduled: detail.and_then(|d| d.records.iter().find_map(|r| r.scheduled_on)),
                }],
                Err(e) => read_failed(e),
            },
            Effect::LoadPayables { status, vendor } => {
                match self.store.list_payables(&Filter { status, vendor }) {
                    Ok(rows) => vec![Msg::PayablesLoaded(rows)],
                    Err(e) => read_failed(e),
                }
            }
            Effect::LoadDashboard => self
                .store
                .dashboard(self.today)
                .map_or_else(read_failed, |d| vec![Msg::DashboardLoaded(d)]),
            Effect::PrepareReply {
                message,
                template,
                pay_on,
            } => self.to_replies(ReplyCmd::Prepare {
                message,
                template,
                pay_on,
            }),
            Effect::SendReply(p) => self.to_replies(ReplyCmd::Send(Box::new(p))),
            Effect::PrepareReplyAsked {
                message,
                template,
                asked,
            } => self.to_replies(ReplyCmd::PrepareAsked {
                message,
                template,
                asked,
            }),
            Effect::PrepareBatch { messages, template } => {
                self.to_replies(ReplyCmd::PrepareBatch { messages, template })
            }
            Effect::DropReply(id) => self.to_replies(ReplyCmd::Drop(id)),
            Effect::Resolve { id, decision } => self.to_replies(ReplyCmd::Resolve { id, decision }),
            Effect::EditReply(p) => vec![Msg::ReplyEdited(self.edit_reply(p, term))],
            Effect::Move { message, to } => self.to_sync(SyncCmd::Move { message, to }),
            Effect::UndoMove(m) => self.to_sync(SyncCmd::Undo(m)),
            Effect::Correct { message, verdict } => {
                self.to_sync(SyncCmd::Correct { message, verdict })
            }
            Effect::MarkSeen(message) => self.to_sync(SyncCmd::Flag {
                message,
                flag: "\\Seen",
            }),
            Effect::SyncNow => self.to_sync(SyncCmd::SyncNow),
            Effect::MarkPaid {
                vendor,
                invoice,
                on,
                reference,
                confirmed,
            } => {
                let mut action = PayableAction::mark_paid(&invoice, Some(&vendor), on);
                action.change = Change::Paid { on, reference };
                self.to_writer(WriteCmd::Payable {
                    action,
                    today: self.today,
                    confirmed,
                })
            }
            Effect::Schedule {
                vendor,
                invoice,
                on,
                confirmed,
            } => self.to_writer(WriteCmd::Payable {
                action: PayableAction::schedule(&invoice, Some(&vendor), on),
                today: self.today,
                confirmed,
            }),
            Effect::UndoPayable(done) => self.to_writer(WriteCmd::UndoPayable(done)),
            Effect::SaveAttachments { message, dir } => {
                vec![Msg::AttachmentsSaved(self.save_attachments(message, &dir))]
            }
            Effect::OpenAttachment { message, which } => {
                vec![Msg::AttachmentOpened(
                    self.open_attachment(message, which, term),
                )]
            }
            Effect::OpenSent { id } => vec![Msg::SentOpened {
                id,
                result: self.sent_entry(id),
            }],
            Effect::EditTemplate(name) => {
                vec![Msg::TemplateEdited(self.edit_template(&name, term))]
            }
            Effect::Quit => {
                let _ = self.sync.send(SyncCmd::Shutdown);
                let _ = self.replies.send(ReplyCmd::Shutdown);
                let _ = self.writes.send(WriteCmd::Shutdown);
                Vec::new()
            }
        }
    }

    fn editor(&self) -> String {
        self.editor
            .clone()
            .unwrap_or_else(crate::editor::configured)
    }

    /// Runs the editor on a file with the terminal handed over.
    fn run_editor(&self, path: &Path, term: &mut dyn Suspend) -> Result<(), UiError> {
        let editor = self.editor();
        term.suspend(&mut || {
            crate::editor::edit(&editor, path)
                .map_err(|e| UiError::new(strings::REPLY_NOT_EDITED, e))
        })
    }

    fn edit_reply(
        &self,
        mut preview: ReplyPreview,
        term: &mut dyn Suspend,
    ) -> Result<ReplyPreview, UiError> {
        let local = |e: std::io::Error, what: String| {
            UiError::new(strings::REPLY_NOT_EDITED, format!("{what}: {e}"))
        };
        let dir = tempfile::tempdir()
            .map_err(|e| local(e, "cannot make a temporary file for the editor".into()))?;
        let path = dir.path().join("reply.txt");
        std::fs::write(&path, &preview.body)
            .map_err(|e| local(e, format!("cannot write {}", path.display())))?;
        self.run_editor(&path, term)?;
        preview.body = std::fs::read_to_string(&path).map_err(|e| {
            local(
                e,
                format!("cannot read the edited reply back from {}", path.display()),
            )
        })?;
        Ok(preview)
    }

    /// Saves every attachment of a stored message into `dir` under safe names; a file that
    /// exists is named and left alone (the UI never overwrites).
    fn save_attachments(&self, message: i64, dir: &str) -> Result<String, UiError> {
        let not_saved = strings::ATTACHMENTS_NOT_SAVED;
        let detail = self
            .store
            .detail(message)
            .map_err(|e| UiError::new(not_saved, e))?
            .ok_or_else(|| UiError::input(not_saved, strings::MESSAGE_GONE))?;
        let parts =
            crate::mail::attachments::parts(&detail.raw).map_err(|e| UiError::new(not_saved, e))?;
        if parts.is_empty() {
            return Err(UiError::input(not_saved, "this message has no attachments"));
        }
        let dir = match dir.strip_prefix("~") {
            Some(rest) => dirs::home_dir()
                .ok_or_else(|| {
                    UiError::input(
                        not_saved,
                        "there is no home folder to put ~ in; give the whole path at the prompt",
                    )
                })?
                .join(rest.trim_start_matches('/')),
            None => PathBuf::from(dir),
        };
        let (mut saved, mut skipped) = (Vec::new(), Vec::new());
        for (i, p) in parts.iter().enumerate() {
            if detail.truncated && i + 1 == parts.len() {
                skipped.push(format!(
                    "{} is incomplete (the message was stored only up to the size limit)",
                    p.file_name()
                ));
                continue;
            }
            match crate::files::save(&dir, p, false) {
                Ok(path) => saved.push(
                    path.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned(),
                ),
                Err(crate::files::SaveError::Exists(path)) => skipped.push(format!(
                    "{} exists and was not replaced (give another folder at the prompt)",
                    path.display()
                )),
                Err(e) => return Err(UiError::new(not_saved, e)),
            }
        }
        let mut words = format!(
            "saved {} in {}",
            if saved.is_empty() {
                "nothing".into()
            } else {
                saved.join(", ")
            },
            dir.display()
        );
        if !skipped.is_empty() {
            words.push_str(&format!("; {}", skipped.join("; ")));
        }
        if saved.is_empty() {
            Err(UiError::input(words, ""))
        } else {
            Ok(words)
        }
    }

    /// Opens one attachment of a stored message in its viewer (as `duebox attachments open`
    /// does), the terminal handed over while the viewer runs.
    fn open_attachment(
        &self,
        message: i64,
        which: Option<usize>,
        term: &mut dyn Suspend,
    ) -> Result<String, UiError> {
        let not_opened = strings::NOT_OPENED;
        let detail = self
            .store
            .detail(message)
            .map_err(|e| UiError::new(not_opened, e))?
            .ok_or_else(|| UiError::input(not_opened, strings::MESSAGE_GONE))?;
        let parts = crate::mail::attachments::parts(&detail.raw)
            .map_err(|e| UiError::new(not_opened, e))?;
        let n = match (which, parts.len()) {
            (_, 0) => return Err(UiError::input(not_opened, strings::NO_ATTACHMENTS)),
            (Some(n), _) => n,
            (None, 1) => 1,
            (None, many) => {
                return Err(UiError::input(
                    not_opened,
                    strings::several_attachments(many),
                ))
            }
        };
        let part = parts
            .get(n.wrapping_sub(1))
            .ok_or_else(|| UiError::input(not_opened, format!("there is no attachment {n}")))?;
        if detail.truncated && n == parts.len() {
            return Err(UiError::input(
                not_opened,
                format!(
                    "{} is incomplete (the message was stored only up to the size limit)",
                    part.file_name()
                ),
            ));
        }
        let mut ran = String::new();
        let mailcaps = self
            .mailcaps
            .clone()
            .unwrap_or_else(crate::files::mailcap_files);
        term.suspend(&mut || {
            ran = crate::files::open_with(part, &mailcaps)
                .map_err(|e| UiError::new(not_opened, e))?;
            Ok(())
        })?;
        Ok(format!("opened {} with: {ran}", part.file_name()))
    }

    /// An outbox entry as the Sent view shows it: what was sent, exactly.
    fn sent_entry(&self, id: i64) -> Result<Box<crate::tui::state::SentOpened>, String> {
        let e = self
            .store
            .outbox_entry(id)
            .map_err(|e| e.to_string())?
            .ok_or(strings::SENT_GONE)?;
        let parsed = crate::mail::parse(&e.raw).ok();
        Ok(Box::new(crate::tui::state::SentOpened {
            from: e.envelope_from.clone(),
            to: e.envelope_to.clone(),
            subject: e.subject.clone(),
            at: e.sent_at.clone().unwrap_or(e.created_at.clone()),
            // As the entry stands now (the list may be older: it was just settled).
            status: strings::delivery(&e),
            unsettled: !e.demo && e.state == OutboxState::Unknown,
            saved_to_sent: e.saved_to_sent,
            flagged_answered: e.flagged_answered,
            template: e.template.clone(),
            body: match parsed {
                Some(m) => m.body,
                None => String::from_utf8_lossy(&e.raw).into_owned(),
            },
        }))
    }

    fn edit_template(&self, name: &str, term: &mut dyn Suspend) -> Result<String, UiError> {
        let Some(path_of) = &self.template_path else {
            return Err(strings::NO_TEMPLATE_EDITING.into());
        };
        let path =
            path_of(name).map_err(|e| UiError::new(strings::template_not_edited(name), e))?;
        let editor = self.editor();
        let mut outcome = None;
        // Checked as `duebox templates edit` checks it, with the terminal handed over for the
        // editor and for "edit again?".
        term.suspend(&mut || {
            outcome = Some(crate::editor::edit_template(
                &path,
                name,
                &mut |path| {
                    crate::editor::edit(&editor, path)
                        .map_err(|e| format!("{e}; nothing was changed"))
                },
                &mut |e| (self.ask_again)(e),
            )?);
            Ok(())
        })
        .map_err(|e| UiError::new(strings::template_not_edited(name), e))?;
        match outcome {
            Some(crate::editor::TemplateEdit::Saved(path)) => Ok(format!(
                "template {name} saved and checked ({}); replies use it from now on",
                path.display()
            )),
            Some(crate::editor::TemplateEdit::Restored {
                error, rejected, ..
            }) => Err(UiError::new(
                strings::template_kept(name),
                format!("{error}; your edit is in {}", rejected.display()),
            )),
            None => Err(UiError::new(
                strings::template_not_edited(name),
                strings::EDITOR_DID_NOT_RUN,
            )),
        }
    }
}

/// A stored message made ready for the message view: headers and body parsed and made
/// terminal-safe.
pub fn opened(detail: crate::store::Detail) -> Opened {
    let parsed = crate::mail::parse(&detail.raw).ok();
    let show = |a: &crate::mail::Address| match &a.name {
        Some(n) if !n.is_empty() => format!("{n} <{}>", a.email),
        _ => a.email.clone(),
    };
    let (from, to, reply_to, body) = match &parsed {
        Some(m) => (
            m.from.as_ref().map(show).unwrap_or_default(),
            m.to.iter().map(show).collect::<Vec<_>>().join(", "),
            m.reply_to
                .as_ref()
                .filter(|r| Some(&r.email) != m.from.as_ref().map(|f| &f.email))
                .map(show),
            m.body.clone(),
        ),
        None => (
            detail.summary.from_addr.clone().unwrap_or_default(),
            String::new(),
            None,
            String::new(),
        ),
    };
    // Decoded, for their real sizes, and numbered as `duebox attachments` numbers them.
    let attachments = crate::mail::attachments::parts(&detail.raw)
        .map(|parts| parts.into_iter().map(|p| p.attachment).collect())
        .unwrap_or_default();
    let attachment_text = parsed.map(|m| m.attachment_text).unwrap_or_default();
    Opened {
        detail,
        from,
        to,
        reply_to,
        body,
        attachments,
        attachment_text,
        claimed_by: None,
    }
}
