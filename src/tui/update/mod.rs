//! `update`: one message in, the state changed, the effects to perform out. No I/O here, not
//! even the clock: everything the UI learns comes in as a `Msg`, everything it wants done
//! goes out as an `Effect`.

mod batch;
mod mailbox;
mod overlay;
mod payables;
mod screens;
mod undo;

use mailbox::{ensure_loaded, mailbox_key, pay_date_prompt, scroll_into_view, select_folder};
use overlay::overlay_key;
use screens::screen_key;

use super::effect::Effect;
use super::keymap::{Action, Scope};
use super::msg::{Msg, SyncEvent};
use super::replies::NotSent;
use super::state::*;
use super::strings;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What the UI asks for when it starts: the folder counts, the outbox, the inbox's first page.
pub fn init(app: &mut App) -> Vec<Effect> {
    // The list before the counts: the runner counts To answer from the list it just made.
    let mut effects = select_folder(app, 0);
    effects.extend([Effect::LoadFolders, Effect::LoadSent]);
    effects
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(k) if k.kind != KeyEventKind::Release => key(app, k),
        Msg::Key(_) => Vec::new(),
        Msg::Resize(w, h) => {
            app.size = (w, h);
            let rows = app.list_rows();
            let list = &mut app.mailbox.list;
            scroll_into_view(list, rows);
            ensure_loaded(list, rows).into_iter().collect()
        }
        Msg::FoldersLoaded(counts) => {
            for entry in &mut app.mailbox.folders.entries {
                if entry.kind == FolderKind::Mail {
                    entry.counts = counts
                        .iter()
                        .find(|c| c.name == entry.name)
                        .cloned()
                        .unwrap_or_else(|| crate::store::FolderCount {
                            name: entry.name.clone(),
                            ..Default::default()
                        });
                }
            }
            Vec::new()
        }
        Msg::SentLoaded(sent) => {
            if let Some(e) = app
                .mailbox
                .folders
                .entries
                .iter_mut()
                .find(|e| e.kind == FolderKind::Sent)
            {
                e.counts.total = sent.len() as u64;
            }
            let list = &mut app.mailbox.list;
            if list.kind == Some(FolderKind::Sent) {
                list.sent = sent;
                list.loading = false;
                list.selected = list.selected.min(list.len().saturating_sub(1));
            }
            Vec::new()
        }
        Msg::ToAnswerCounted { plain, flagged } => {
            for e in &mut app.mailbox.folders.entries {
                let n = match e.kind {
                    FolderKind::ToAnswer => plain,
                    FolderKind::Suspicious => flagged,
                    _ => continue,
                };
                e.counts.total = n as u64;
                e.counts.unanswered = n as u64;
            }
            Vec::new()
        }
        Msg::ThreadLoaded { id, entries } => {
            for s in app.stack.iter_mut() {
                if let Screen::Thread(t) = s {
                    if t.id == id {
                        // The cursor starts on the message it was opened from.
                        t.selected = entries
                            .iter()
                            .position(|e| e.message == Some(id))
                            .unwrap_or(0);
                        t.entries = Some(entries.clone());
                    }
                }
            }
            Vec::new()
        }
        Msg::PageLoaded { query, page } => {
            let rows = app.list_rows();
            let list = &mut app.mailbox.list;
            if list.query().as_ref() != Some(&query) {
                return Vec::new();
            }
            let was = list.selected_row().map(|r| r.id);
            list.page = page;
            list.loading = false;
            // Keep the cursor on the same message when new mail shifted the list.
            if let Some(i) = was.and_then(|id| list.page.rows.iter().position(|r| r.id == id)) {
                list.selected = list.page.offset + i;
            }
            list.selected = list.selected.min(list.len().saturating_sub(1));
            scroll_into_view(list, rows);
            // No new request from here: a page shorter than expected (mail moved away since
            // the list was counted) would otherwise be asked for again and again.
            Vec::new()
        }
        Msg::PayDateDefault {
            message,
            template,
            scheduled,
        } => {
            app.status.busy = None;
            pay_date_prompt(app, message, template, scheduled);
            Vec::new()
        }
        Msg::Opened(opened) => {
            let unread = !opened.detail.summary.has_flag("\\Seen");
            let id = opened.detail.summary.id;
            for screen in app.stack.iter_mut() {
                if let Screen::Message(m) = screen {
                    if m.id == opened.detail.summary.id {
                        m.opened = Some(opened.clone());
                    }
                }
            }
            // Opened is read, as in any mail client (sync fetches with PEEK, so only this
            // marks mail read).
            if unread {
                vec![Effect::MarkSeen(id)]
            } else {
                Vec::new()
            }
        }
        Msg::PayablesLoaded(rows) => {
            if let Some(Screen::Payables(p)) = app.top_mut() {
                p.rows = rows;
                p.loading = false;
                p.selected = p.selected.min(p.rows.len().saturating_sub(1));
            }
            Vec::new()
        }
        Msg::DashboardLoaded(d) => {
            if let Some(Screen::Dashboard(s)) = app.top_mut() {
                s.data = Some(d);
            }
            Vec::new()
        }
        Msg::Sync(event) => sync_event(app, event),
        Msg::ReplyPrepared(result) => {
            app.status.busy = None;
            match result {
                Ok(preview) => app.stack.push(Screen::Reply(ReplyState {
                    preview,
                    sending: false,
                    edited: false,
                    scroll: 0,
                })),
                Err(e) => app.status.error = Some(e.words(&app.keymap)),
            }
            Vec::new()
        }
        Msg::ReplyEdited(result) => {
            match result {
                Ok(preview) => {
                    if let Some(Screen::Reply(r)) = app.top_mut() {
                        r.preview = preview;
                        r.edited = true;
                    }
                }
                Err(e) => app.status.error = Some(e.words(&app.keymap)),
            }
            Vec::new()
        }
        Msg::ReplySent { message, result } if batch::sent(app, message, &result) => {
            if result.is_ok() {
                return reload(app);
            }
            Vec::new()
        }
        Msg::BatchPrepared(results) => {
            batch::prepared(app, results);
            Vec::new()
        }
        Msg::ReplySent { message, result } => {
            app.status.busy = None;
            match result {
                Ok(words) => {
                    if matches!(app.top(), Some(Screen::Reply(r)) if r.preview.message == message) {
                        app.stack.pop();
                    }
                    app.status.note = Some(words);
                    app.status.error = None;
                    reload(app)
                }
                Err(NotSent::AnsweredElsewhere(who)) => {
                    if let Some(Screen::Reply(r)) = app.top_mut() {
                        r.sending = false;
                        if r.preview.message == message {
                            r.preview.answered_elsewhere = Some(who.clone());
                        }
                    }
                    app.status.error = Some(format!(
                        "not sent: {} {who} — {}",
                        strings::ANSWERED_ELSEWHERE.to_lowercase(),
                        strings::CONFIRM_AGAIN
                    ));
                    Vec::new()
                }
                Err(NotSent::Error(e)) => {
                    if let Some(Screen::Reply(r)) = app.top_mut() {
                        r.sending = false;
                    }
                    app.status.error = Some(e.words(&app.keymap));
                    Vec::new()
                }
            }
        }
        Msg::Moved(result) | Msg::Undone(result) if result.is_err() => {
            app.status.busy = None;
            app.status.error = result.err().map(|e| e.words(&app.keymap));
            Vec::new()
        }
        Msg::Moved(Ok(done)) => {
            app.status.busy = None;
            app.status.note = Some(strings::moved_to(
                &app.folder_label(&done.to),
                &keys(app, Action::Undo),
            ));
            if matches!(app.top(), Some(Screen::Message(m)) if m.id == done.row) {
                app.stack.pop();
            }
            undo::push(app, Undo::Move(done));
            reload(app)
        }
        Msg::Moved(Err(_)) | Msg::Undone(Err(_)) => Vec::new(),
        Msg::Undone(Ok(back)) => {
            app.status.busy = None;
            undo::move_undone(app, &back);
            reload(app)
        }
        Msg::Learnt(words) => {
            app.status.note = Some(match app.status.note.take() {
                Some(note) => format!("{note}; {words}"),
                None => words,
            });
            Vec::new()
        }
        Msg::Corrected { message, result } => {
            app.status.busy = None;
            match result {
                Ok(done) => {
                    // The folder by the pane's name, as after a move.
                    let moved_to = done.moved_to.as_deref().map(|f| app.folder_label(f));
                    app.status.note = Some(strings::corrected_words(
                        done.verdict.words(),
                        done.learnt.as_ref().map(|c| c.reason()).as_deref(),
                        moved_to.as_deref(),
                        done.stays_offline,
                    ));
                    let open = matches!(app.top(), Some(Screen::Message(m)) if m.id == message);
                    let mut effects = reload(app);
                    if open && done.moved_to.is_some() {
                        app.stack.pop();
                    } else if open {
                        effects.push(Effect::LoadMessage(message));
                    }
                    effects
                }
                Err(e) => {
                    app.status.error = Some(e.words(&app.keymap));
                    reload(app)
                }
            }
        }
        Msg::ScrollLimit { message, max } => {
            for s in app.stack.iter_mut() {
                if let Screen::Message(m) = s {
                    if m.id == message {
                        m.max_scroll = max;
                    }
                }
            }
            Vec::new()
        }
        Msg::PayableChanged(result) => {
            app.status.busy = None;
            match result {
                Ok(done) => {
                    app.status.note = Some(format!(
                        "{} — {} undoes",
                        strings::payable_changed(&done.action),
                        keys(app, Action::Undo)
                    ));
                    undo::push(app, Undo::Payable(done));
                    payables_changed(app)
                }
                Err(e) => {
                    app.status.error = Some(e.words(&app.keymap));
                    Vec::new()
                }
            }
        }
        Msg::PayableUndone(result) => {
            app.status.busy = None;
            match result {
                Ok(done) => {
                    undo::payable_undone(app, &done);
                    payables_changed(app)
                }
                Err(e) => {
                    app.status.error = Some(e.words(&app.keymap));
                    Vec::new()
                }
            }
        }
        Msg::AttachmentsSaved(result) => {
            app.status.busy = None;
            match result {
                Ok(words) => app.status.note = Some(words),
                Err(e) => app.status.error = Some(e.words(&app.keymap)),
            }
            Vec::new()
        }
        Msg::TemplateEdited(result) => {
            match result {
                Ok(words) => app.status.note = Some(words),
                Err(e) => app.status.error = Some(e.words(&app.keymap)),
            }
            Vec::new()
        }
        Msg::AttachmentOpened(result) => {
            app.status.busy = None;
            match result {
                Ok(words) => app.status.note = Some(words),
                Err(e) => app.status.error = Some(e.words(&app.keymap)),
            }
            Vec::new()
        }
        Msg::SentOpened { id, result } => {
            match result {
                Ok(opened) => {
                    for s in app.stack.iter_mut() {
                        if let Screen::Sent(v) = s {
                            if v.id == id {
                                v.opened = Some(opened.clone());
                            }
                        }
                    }
                }
                Err(e) => {
                    if matches!(app.top(), Some(Screen::Sent(v)) if v.id == id) {
                        app.stack.pop();
                    }
                    app.status.error = Some(e);
                }
            }
            Vec::new()
        }
        Msg::Settled { id, result } => {
            app.status.busy = None;
            settled(app, id, result)
        }
        Msg::LoadFailed(e) => {
            app.status.busy = None;
            app.mailbox.list.loading = false;
            app.status.error = Some(e);
            Vec::new()
        }
    }
}

fn keys(app: &App, action: Action) -> String {
    app.keymap
        .keys_of(action)
        .first()
        .cloned()
        .unwrap_or_default()
}

fn sync_event(app: &mut App, event: SyncEvent) -> Vec<Effect> {
    match event {
        SyncEvent::Started => {
            app.status.sync = SyncStatus::Syncing { done: 0, total: 0 };
            Vec::new()
        }
        SyncEvent::Progress { done, total } => {
            app.status.sync = SyncStatus::Syncing { done, total };
            Vec::new()
        }
        SyncEvent::Finished {
            at,
            new,
            summary: _,
            warnings,
        } => {
            app.status.sync = SyncStatus::Synced { at, new };
            // What the pass could not do, where the user looks: the status line.
            if !warnings.is_empty() {
                app.status.error = Some(strings::sync_warnings(&warnings));
            }
            reload(app)
        }
        SyncEvent::Failed {
            words,
            detail,
            retry_in_secs,
        } => {
            app.status.sync = SyncStatus::Offline {
                words,
                retry_in_secs,
            };
            app.status.error = Some(detail);
            Vec::new()
        }
        SyncEvent::MessagesChanged => reload(app),
        SyncEvent::TeamDown(words) => {
            app.status.error = Some(words);
            Vec::new()
        }
    }
}

/// After a payable changed: the payables screen, and the chasers whose check changed with
/// it (the list's badges, an open message's "Check").
fn payables_changed(app: &mut App) -> Vec<Effect> {
    let mut effects = reload(app);
    for s in &app.stack {
        match s {
            Screen::Payables(p) => effects.push(Effect::LoadPayables {
                status: p.status,
                vendor: p.vendor.clone(),
            }),
            Screen::Message(m) => effects.push(Effect::LoadMessage(m.id)),
            _ => {}
        }
    }
    effects
}

/// Reloads what the store may have changed under the screens: counts, the list, the
/// outbox, an open dashboard.
fn reload(app: &mut App) -> Vec<Effect> {
    let list = &mut app.mailbox.list;
    let offset = list.page.offset;
    let mut effects = mailbox::reload_list(list, offset);
    effects.extend([Effect::LoadFolders, Effect::LoadSent]);
    if let Some(Screen::Dashboard(_)) = app.top() {
        effects.push(Effect::LoadDashboard);
    }
    effects
}

/// What settling an outbox entry found: the question when Sent could not tell, else what
/// was recorded (and the opened item read again).
fn settled(
    app: &mut App,
    id: i64,
    result: Result<crate::send::Resolved, super::error::UiError>,
) -> Vec<Effect> {
    use crate::send::Resolved;
    match result {
        Ok(Resolved::Inconclusive { elsewhere, gaps }) => {
            let resend = match &elsewhere {
                Some(found) => (
                    strings::settle_resend_anyway(&found.words()),
                    strings::SETTLE_VALUE_RESEND_ANYWAY,
                ),
                None => (
                    strings::SETTLE_RESEND.to_string(),
                    strings::SETTLE_VALUE_RESEND,
                ),
            };
            // "Not known yet" first: Enter pressed by habit records nothing and sends nothing.
            let items = [
                (
                    strings::SETTLE_NOT_YET.to_string(),
                    strings::SETTLE_VALUE_NOT_YET,
                ),
                (
                    strings::SETTLE_ARRIVED.to_string(),
                    strings::SETTLE_VALUE_ARRIVED,
                ),
                resend,
            ];
            app.overlay = Some(Overlay::Picker(Picker {
                title: strings::SETTLE_TITLE,
                items: items
                    .into_iter()
                    .map(|(label, value)| (label, value.to_string()))
                    .collect(),
                selected: 0,
                purpose: PickPurpose::Settle { id },
            }));
            app.status.note = Some(strings::settle_gaps(&gaps));
            Vec::new()
        }
        Ok(done) => {
            app.status.note = Some(strings::settled(id, &done));
            reopen_sent(app, id)
        }
        Err(e) => {
            app.status.error = Some(e.words(&app.keymap));
            reopen_sent(app, id)
        }
    }
}

/// The opened Sent item read again, when it is the one on top.
fn reopen_sent(app: &App, id: i64) -> Vec<Effect> {
    match app.top() {
        Some(Screen::Sent(v)) if v.id == id => vec![Effect::OpenSent { id }],
        _ => Vec::new(),
    }
}

fn scope_of(app: &App) -> Scope {
    match app.top() {
        None | Some(Screen::Message(_)) => Scope::Mail,
        Some(Screen::Reply(_)) | Some(Screen::Batch(_)) => Scope::Reply,
        Some(Screen::Payables(_)) => Scope::Payables,
        Some(Screen::Dashboard(_)) => Scope::Global,
        Some(Screen::Sent(_)) => Scope::Sent,
        Some(Screen::Thread(_)) => Scope::Mail,
    }
}

fn key(app: &mut App, k: KeyEvent) -> Vec<Effect> {
    if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
        app.quit = true;
        return vec![Effect::Quit];
    }
    // Esc then a key typed quickly reaches us as Alt+key: unless Alt+key is bound, it is
    // taken as the two keys the user typed.
    if k.modifiers.contains(KeyModifiers::ALT) && app.keymap.action(&k, scope_of(app)).is_none() {
        let mut effects = key(app, KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
        if !app.quit {
            effects.extend(key(
                app,
                KeyEvent::new(k.code, k.modifiers - KeyModifiers::ALT),
            ));
        }
        return effects;
    }
    if let Some(overlay) = app.overlay.take() {
        return overlay_key(app, overlay, k);
    }
    let Some(action) = app.keymap.action(&k, scope_of(app)) else {
        return Vec::new();
    };
    app.status.error = None;
    app.status.note = None;
    match action {
        Action::Help => {
            app.overlay = Some(Overlay::Help { scroll: 0 });
            Vec::new()
        }
        Action::Quit if app.stack.is_empty() => {
            app.quit = true;
            vec![Effect::Quit]
        }
        Action::Quit => {
            app.stack.pop();
            Vec::new()
        }
        Action::Payables => {
            if !matches!(app.top(), Some(Screen::Payables(_))) {
                app.stack.push(Screen::Payables(PayablesState {
                    loading: true,
                    ..PayablesState::default()
                }));
            }
            vec![Effect::LoadPayables {
                status: None,
                vendor: None,
            }]
        }
        Action::Dashboard => {
            if !matches!(app.top(), Some(Screen::Dashboard(_))) {
                app.stack.push(Screen::Dashboard(DashboardState::default()));
            }
            vec![Effect::LoadDashboard]
        }
        Action::SyncNow => vec![Effect::SyncNow],
        Action::Undo => undo::undo(app),
        Action::Templates => {
            app.overlay = Some(Overlay::Picker(Picker {
                title: strings::PICK_TEMPLATE,
                items: strings::TEMPLATES
                    .iter()
                    .map(|t| (t.to_string(), t.to_string()))
                    .collect(),
                selected: 0,
                purpose: PickPurpose::Template,
            }));
            Vec::new()
        }
        _ => match app.stack.len() {
            0 => mailbox_key(app, action),
            _ => screen_key(app, action),
        },
    }
}
