//! `update`: one message in, the state changed, the effects to perform out. No I/O here, not
//! even the clock: everything the UI learns comes in as a `Msg`, everything it wants done
//! goes out as an `Effect`.

use super::effect::Effect;
use super::keymap::{Action, Scope};
use super::msg::{Msg, SyncEvent};
use super::state::*;
use super::strings;
use crate::payables::Status;
use chrono::{Days, NaiveDate};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What the UI asks for when it starts: the folder counts, the outbox, the inbox's first page.
pub fn init(app: &mut App) -> Vec<Effect> {
    let mut effects = vec![Effect::LoadFolders, Effect::LoadSent];
    effects.extend(select_folder(app, 0));
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
        Msg::PageLoaded {
            folder,
            filter,
            page,
        } => {
            let rows = app.list_rows();
            let list = &mut app.mailbox.list;
            if list.folder != folder || list.filter != filter || list.kind == Some(FolderKind::Sent)
            {
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
        Msg::PayDateDefault { message, scheduled } => {
            app.status.busy = None;
            pay_date_prompt(app, message, scheduled);
            Vec::new()
        }
        Msg::Opened(opened) => {
            for screen in app.stack.iter_mut() {
                if let Screen::Message(m) = screen {
                    if m.id == opened.detail.summary.id {
                        m.opened = Some(opened.clone());
                    }
                }
            }
            Vec::new()
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
                Err(e) => app.status.error = Some(e),
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
                Err(e) => app.status.error = Some(e),
            }
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
                Err(e) => {
                    if let Some(Screen::Reply(r)) = app.top_mut() {
                        r.sending = false;
                    }
                    app.status.error = Some(e);
                    Vec::new()
                }
            }
        }
        Msg::Moved(result) | Msg::Undone(result) if result.is_err() => {
            app.status.busy = None;
            app.status.error = result.err();
            Vec::new()
        }
        Msg::Moved(Ok(done)) => {
            app.status.busy = None;
            app.status.note = Some(format!(
                "moved to {} — {} undoes",
                done.to,
                keys(app, Action::Undo)
            ));
            if matches!(app.top(), Some(Screen::Message(m)) if m.id == done.row) {
                app.stack.pop();
            }
            app.last_move = Some(done);
            reload(app)
        }
        Msg::Moved(Err(_)) | Msg::Undone(Err(_)) => Vec::new(),
        Msg::Undone(Ok(done)) => {
            app.status.busy = None;
            app.status.note = Some(format!("moved back to {}", done.to));
            app.last_move = None;
            reload(app)
        }
        Msg::PayableChanged(result) => {
            app.status.busy = None;
            match result {
                Ok(words) => {
                    app.status.note = Some(words);
                    if let Some(Screen::Payables(p)) = app.top() {
                        return vec![Effect::LoadPayables {
                            status: p.status,
                            vendor: p.vendor.clone(),
                        }];
                    }
                }
                Err(e) => app.status.error = Some(e),
            }
            Vec::new()
        }
        Msg::TemplateEdited(result) => {
            match result {
                Ok(words) => app.status.note = Some(words),
                Err(e) => app.status.error = Some(e),
            }
            Vec::new()
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
        } => {
            app.status.sync = SyncStatus::Synced { at, new };
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
    }
}

/// Reloads what the store may have changed under the screens: counts, the list, the
/// outbox, an open dashboard.
fn reload(app: &mut App) -> Vec<Effect> {
    let mut effects = vec![Effect::LoadFolders, Effect::LoadSent];
    let list = &app.mailbox.list;
    if list.kind == Some(FolderKind::Mail) {
        effects.push(Effect::LoadPage {
            folder: list.folder.clone(),
            filter: list.filter.clone(),
            offset: list.page.offset,
            limit: WINDOW,
            total: None,
        });
    }
    if let Some(Screen::Dashboard(_)) = app.top() {
        effects.push(Effect::LoadDashboard);
    }
    effects
}

fn scope_of(app: &App) -> Scope {
    match app.top() {
        None | Some(Screen::Message(_)) => Scope::Mail,
        Some(Screen::Reply(_)) => Scope::Reply,
        Some(Screen::Payables(_)) => Scope::Payables,
        Some(Screen::Dashboard(_)) => Scope::Global,
    }
}

fn key(app: &mut App, k: KeyEvent) -> Vec<Effect> {
    if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
        app.quit = true;
        return vec![Effect::Quit];
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

fn template_of(action: Action) -> Option<&'static str> {
    Some(match action {
        Action::Acknowledge => "acknowledge",
        Action::SetExpectations => "set_expectations",
        Action::Negotiate => "negotiate",
        Action::ConfirmPayment => "confirm_payment",
        Action::DisputeAmount => "dispute_amount",
        Action::Escalate => "escalate",
        _ => return None,
    })
}

/// Reply, move and undo: the same on the list and in the message view.
fn mail_action(app: &mut App, action: Action, message: Option<i64>) -> Vec<Effect> {
    if action == Action::Undo {
        return match app.last_move.clone() {
            Some(m) => {
                app.status.busy = Some(strings::MOVING);
                vec![Effect::UndoMove(m)]
            }
            None => {
                app.status.error = Some(strings::NO_UNDO.into());
                Vec::new()
            }
        };
    }
    let Some(message) = message else {
        app.status.error = Some(
            if app.mailbox.list.kind == Some(FolderKind::Sent) {
                strings::NOT_FOR_SENT
            } else {
                strings::NO_MESSAGE
            }
            .into(),
        );
        return Vec::new();
    };
    if action == Action::Move {
        let here = current_folder_of(app, message);
        let items = app
            .mailbox
            .folders
            .entries
            .iter()
            .filter(|e| e.kind == FolderKind::Mail && Some(&e.name) != here.as_ref())
            .map(|e| (e.label.clone(), e.name.clone()))
            .collect();
        app.overlay = Some(Overlay::Picker(Picker {
            title: strings::PICK_FOLDER,
            items,
            selected: 0,
            purpose: PickPurpose::MoveTo { message },
        }));
        return Vec::new();
    }
    let Some(template) = template_of(action) else {
        return Vec::new();
    };
    if action == Action::SetExpectations {
        // The default date is our scheduled payment date: known if the message is open,
        // else read first.
        if let Some(scheduled) = opened_schedule(app, message) {
            pay_date_prompt(app, message, scheduled);
            return Vec::new();
        }
        app.status.busy = Some(strings::LOADING);
        return vec![Effect::LoadPayDate(message)];
    }
    app.status.busy = Some(strings::PREPARING);
    vec![Effect::PrepareReply {
        message,
        template: template.to_string(),
        pay_on: None,
    }]
}

/// The folder a message is in, when the screen knows it.
fn current_folder_of(app: &App, message: i64) -> Option<String> {
    for s in &app.stack {
        if let Screen::Message(m) = s {
            if m.id == message {
                if let Some(o) = &m.opened {
                    return Some(o.detail.folder.clone());
                }
            }
        }
    }
    Some(app.mailbox.list.folder.clone()).filter(|_| {
        app.mailbox
            .list
            .selected_row()
            .is_some_and(|r| r.id == message)
    })
}

/// Our scheduled payment date for an open message: Some(None) when it is open and has
/// none, None when the message is not open.
fn opened_schedule(app: &App, message: i64) -> Option<Option<NaiveDate>> {
    app.stack.iter().find_map(|s| match s {
        Screen::Message(m) if m.id == message => m.opened.as_ref().map(|o| {
            o.detail.records.iter().find_map(|r| {
                r.scheduled_on
                    .as_deref()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            })
        }),
        _ => None,
    })
}

/// Asks the date for "set expectations": our scheduled date, else a week from today.
fn pay_date_prompt(app: &mut App, message: i64, scheduled: Option<NaiveDate>) {
    let default = scheduled.unwrap_or_else(|| {
        app.today
            .checked_add_days(Days::new(7))
            .unwrap_or(app.today)
    });
    app.overlay = Some(Overlay::Prompt(Prompt {
        label: strings::PROMPT_PAY_ON,
        input: default.to_string(),
        purpose: PromptPurpose::ReplyDate { message },
    }));
}

fn mailbox_key(app: &mut App, action: Action) -> Vec<Effect> {
    let rows = app.list_rows();
    if app.mailbox.focus == Focus::Folders {
        let n = app.mailbox.folders.entries.len();
        let at = app.mailbox.folders.selected;
        let to = match action {
            Action::Down => (at + 1).min(n.saturating_sub(1)),
            Action::Up => at.saturating_sub(1),
            Action::Top | Action::PageUp => 0,
            Action::Bottom | Action::PageDown => n.saturating_sub(1),
            Action::Open | Action::NextPane => {
                app.mailbox.focus = Focus::List;
                return Vec::new();
            }
            Action::Filter => {
                app.mailbox.focus = Focus::List;
                return mailbox_key(app, action);
            }
            a if template_of(a).is_some() || matches!(a, Action::Move | Action::Undo) => {
                let id = app.mailbox.list.selected_row().map(|r| r.id);
                return mail_action(app, a, id);
            }
            _ => return Vec::new(),
        };
        if to == at {
            return Vec::new();
        }
        return select_folder(app, to);
    }
    let list = &mut app.mailbox.list;
    let len = list.len();
    let target = match action {
        Action::Down => Some(list.selected + 1),
        Action::Up => Some(list.selected.saturating_sub(1)),
        Action::PageDown => {
            list.top = (list.top + rows).min(len.saturating_sub(rows));
            Some(list.selected + rows)
        }
        Action::PageUp => {
            list.top = list.top.saturating_sub(rows);
            Some(list.selected.saturating_sub(rows))
        }
        Action::Top => Some(0),
        Action::Bottom => Some(len.saturating_sub(1)),
        _ => None,
    };
    if let Some(to) = target {
        list.selected = to.min(len.saturating_sub(1));
        scroll_into_view(list, rows);
        return ensure_loaded(list, rows).into_iter().collect();
    }
    match action {
        Action::Back | Action::NextPane => {
            app.mailbox.focus = Focus::Folders;
            Vec::new()
        }
        Action::Open => match list.selected_row() {
            Some(row) => {
                let id = row.id;
                app.stack.push(Screen::Message(MessageState {
                    id,
                    opened: None,
                    scroll: 0,
                }));
                vec![Effect::LoadMessage(id)]
            }
            None => Vec::new(),
        },
        Action::Filter => {
            if list.kind == Some(FolderKind::Mail) {
                app.overlay = Some(Overlay::Prompt(Prompt {
                    label: strings::PROMPT_FILTER,
                    input: list.filter.clone().unwrap_or_default(),
                    purpose: PromptPurpose::Filter,
                }));
            }
            Vec::new()
        }
        a => {
            let id = list.selected_row().map(|r| r.id);
            mail_action(app, a, id)
        }
    }
}

/// Shows another folder of the pane.
fn select_folder(app: &mut App, to: usize) -> Vec<Effect> {
    let folders = &mut app.mailbox.folders;
    folders.selected = to.min(folders.entries.len().saturating_sub(1));
    let Some(entry) = folders.current().cloned() else {
        return Vec::new();
    };
    app.mailbox.list = ListState {
        folder: entry.name.clone(),
        kind: Some(entry.kind),
        loading: true,
        ..ListState::default()
    };
    match entry.kind {
        FolderKind::Sent => vec![Effect::LoadSent],
        FolderKind::Mail => vec![Effect::LoadPage {
            folder: entry.name,
            filter: None,
            offset: 0,
            limit: WINDOW,
            total: None,
        }],
    }
}

/// Moves `top` so the cursor is on screen.
fn scroll_into_view(list: &mut ListState, rows: usize) {
    let rows = rows.max(1);
    if list.selected < list.top {
        list.top = list.selected;
    } else if list.selected >= list.top + rows {
        list.top = list.selected + 1 - rows;
    }
    list.top = list.top.min(list.len().saturating_sub(rows));
}

/// A page request when the rows on screen are not all loaded: a window around the cursor.
fn ensure_loaded(list: &mut ListState, rows: usize) -> Option<Effect> {
    if list.kind != Some(FolderKind::Mail) || list.loading {
        return None;
    }
    let want_from = list.top;
    let want_to = (list.top + rows).min(list.len());
    let have_from = list.page.offset;
    let have_to = have_from + list.page.rows.len();
    if want_from >= have_from && want_to <= have_to {
        return None;
    }
    list.loading = true;
    Some(Effect::LoadPage {
        folder: list.folder.clone(),
        filter: list.filter.clone(),
        offset: list.selected.saturating_sub(WINDOW / 2),
        limit: WINDOW,
        total: Some(list.page.total),
    })
}

fn screen_key(app: &mut App, action: Action) -> Vec<Effect> {
    let page = app.list_rows().max(1) as u16;
    let today = app.today;
    let size = app.size;
    let Some(top) = app.stack.last_mut() else {
        return Vec::new();
    };
    match top {
        Screen::Message(m) => {
            match action {
                Action::Down => m.scroll = m.scroll.saturating_add(1),
                Action::Up => m.scroll = m.scroll.saturating_sub(1),
                Action::PageDown => m.scroll = m.scroll.saturating_add(page),
                Action::PageUp => m.scroll = m.scroll.saturating_sub(page),
                Action::Top => m.scroll = 0,
                Action::Bottom => m.scroll = u16::MAX,
                Action::Back => {
                    app.stack.pop();
                    return Vec::new();
                }
                a => {
                    let id = m.id;
                    return mail_action(app, a, Some(id));
                }
            }
            // Scrolling stops at the end of the message, so k works at once after G.
            if let Some(o) = &m.opened {
                m.scroll = m
                    .scroll
                    .min(super::views::message::max_scroll(o, today, size));
            }
            Vec::new()
        }
        Screen::Reply(r) => {
            match action {
                Action::Down => r.scroll = r.scroll.saturating_add(1),
                Action::Up => r.scroll = r.scroll.saturating_sub(1),
                Action::PageDown => r.scroll = r.scroll.saturating_add(page),
                Action::PageUp => r.scroll = r.scroll.saturating_sub(page),
                Action::Top => r.scroll = 0,
                Action::Back => {
                    app.stack.pop();
                    app.status.note = Some("reply discarded, nothing was sent".into());
                }
                Action::Send if r.sending => {}
                Action::Send => {
                    if let Some(reason) = &r.preview.blocked {
                        app.status.error = Some(format!("not sent: {reason}"));
                        return Vec::new();
                    }
                    r.sending = true;
                    app.status.busy = Some(strings::SENDING);
                    return vec![Effect::SendReply(r.preview.clone())];
                }
                Action::EditReply => return vec![Effect::EditReply(r.preview.clone())],
                _ => {}
            }
            Vec::new()
        }
        Screen::Payables(p) => {
            let n = p.rows.len();
            match action {
                Action::Down => p.selected = (p.selected + 1).min(n.saturating_sub(1)),
                Action::Up => p.selected = p.selected.saturating_sub(1),
                Action::PageDown => {
                    p.selected = (p.selected + page as usize).min(n.saturating_sub(1))
                }
                Action::PageUp => p.selected = p.selected.saturating_sub(page as usize),
                Action::Top => p.selected = 0,
                Action::Bottom => p.selected = n.saturating_sub(1),
                Action::Back => {
                    app.stack.pop();
                    return Vec::new();
                }
                Action::StatusFilter => {
                    p.status = match p.status {
                        None => Some(Status::Open),
                        Some(Status::Open) => Some(Status::Scheduled),
                        Some(Status::Scheduled) => Some(Status::Paid),
                        Some(Status::Paid) => Some(Status::Disputed),
                        Some(Status::Disputed) => None,
                    };
                    p.selected = 0;
                    return vec![Effect::LoadPayables {
                        status: p.status,
                        vendor: p.vendor.clone(),
                    }];
                }
                Action::Filter => {
                    app.overlay = Some(Overlay::Prompt(Prompt {
                        label: strings::PROMPT_VENDOR,
                        input: p.vendor.clone().unwrap_or_default(),
                        purpose: PromptPurpose::PayablesVendor,
                    }));
                }
                Action::MarkPaid | Action::Schedule => {
                    let Some(row) = p.current() else {
                        app.status.error = Some(strings::NO_PAYABLE.into());
                        return Vec::new();
                    };
                    let (vendor, invoice) = (row.vendor.clone(), row.invoice_number.clone());
                    app.overlay = Some(Overlay::Prompt(if action == Action::MarkPaid {
                        Prompt {
                            label: strings::PROMPT_PAID_ON,
                            input: today.to_string(),
                            purpose: PromptPurpose::MarkPaid { vendor, invoice },
                        }
                    } else {
                        let on = row.scheduled_on.unwrap_or_else(|| {
                            today.checked_add_days(Days::new(7)).unwrap_or(today)
                        });
                        Prompt {
                            label: strings::PROMPT_SCHEDULE,
                            input: on.to_string(),
                            purpose: PromptPurpose::Schedule { vendor, invoice },
                        }
                    }));
                }
                _ => {}
            }
            let rows = page as usize;
            if p.selected < p.top {
                p.top = p.selected;
            } else if p.selected >= p.top + rows {
                p.top = p.selected + 1 - rows;
            }
            Vec::new()
        }
        Screen::Dashboard(_) => {
            if action == Action::Back {
                app.stack.pop();
            }
            Vec::new()
        }
    }
}

fn overlay_key(app: &mut App, overlay: Overlay, k: KeyEvent) -> Vec<Effect> {
    match overlay {
        Overlay::Help { scroll } => {
            let scroll = match app.keymap.action(&k, Scope::Nav) {
                Some(Action::Down) => scroll.saturating_add(1),
                Some(Action::Up) => scroll.saturating_sub(1),
                Some(Action::PageDown) => scroll.saturating_add(10),
                Some(Action::PageUp) => scroll.saturating_sub(10),
                _ => return Vec::new(),
            };
            let lines = (strings::ACTIONS.len() + 7) as u16;
            let scroll = scroll.min(lines.saturating_sub(app.size.1.saturating_sub(4)));
            app.overlay = Some(Overlay::Help { scroll });
            Vec::new()
        }
        Overlay::Picker(mut p) => {
            match k.code {
                KeyCode::Enter => return picked(app, p),
                KeyCode::Esc => return Vec::new(),
                _ => {}
            }
            match app.keymap.action(&k, Scope::Nav) {
                Some(Action::Down) => {
                    p.selected = (p.selected + 1).min(p.items.len().saturating_sub(1))
                }
                Some(Action::Up) => p.selected = p.selected.saturating_sub(1),
                Some(Action::Top) => p.selected = 0,
                Some(Action::Bottom) => p.selected = p.items.len().saturating_sub(1),
                Some(Action::Open) => return picked(app, p),
                Some(Action::Back) => return Vec::new(),
                _ => {}
            }
            app.overlay = Some(Overlay::Picker(p));
            Vec::new()
        }
        Overlay::Prompt(mut p) => {
            match k.code {
                KeyCode::Enter => return submitted(app, p),
                KeyCode::Esc => return Vec::new(),
                KeyCode::Backspace => {
                    p.input.pop();
                }
                KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    p.input.clear()
                }
                KeyCode::Char(c)
                    if !k.modifiers.contains(KeyModifiers::CONTROL) && !c.is_control() =>
                {
                    p.input.push(c)
                }
                _ => {}
            }
            app.overlay = Some(Overlay::Prompt(p));
            Vec::new()
        }
    }
}

fn picked(app: &mut App, p: Picker) -> Vec<Effect> {
    let Some((_, value)) = p.items.get(p.selected).cloned() else {
        return Vec::new();
    };
    match p.purpose {
        PickPurpose::MoveTo { message } => {
            app.status.busy = Some(strings::MOVING);
            vec![Effect::Move { message, to: value }]
        }
        PickPurpose::Template => vec![Effect::EditTemplate(value)],
    }
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

fn submitted(app: &mut App, p: Prompt) -> Vec<Effect> {
    let input = p.input.trim().to_string();
    let day = || parse_day(&input);
    let effects = match &p.purpose {
        PromptPurpose::Filter => {
            let list = &mut app.mailbox.list;
            list.filter = Some(input).filter(|f| !f.is_empty());
            list.selected = 0;
            list.top = 0;
            list.loading = true;
            return vec![Effect::LoadPage {
                folder: list.folder.clone(),
                filter: list.filter.clone(),
                offset: 0,
                limit: WINDOW,
                total: None,
            }];
        }
        PromptPurpose::PayablesVendor => {
            if let Some(Screen::Payables(s)) = app.top_mut() {
                s.vendor = Some(input).filter(|v| !v.is_empty());
                s.selected = 0;
                return vec![Effect::LoadPayables {
                    status: s.status,
                    vendor: s.vendor.clone(),
                }];
            }
            return Vec::new();
        }
        PromptPurpose::ReplyDate { message } => day().map(|on| {
            app.status.busy = Some(strings::PREPARING);
            vec![Effect::PrepareReply {
                message: *message,
                template: "set_expectations".into(),
                pay_on: Some(on),
            }]
        }),
        PromptPurpose::MarkPaid { vendor, invoice } => day().map(|on| {
            vec![Effect::MarkPaid {
                vendor: vendor.clone(),
                invoice: invoice.clone(),
                on,
            }]
        }),
        PromptPurpose::Schedule { vendor, invoice } => day().map(|on| {
            vec![Effect::Schedule {
                vendor: vendor.clone(),
                invoice: invoice.clone(),
                on,
            }]
        }),
    };
    match effects {
        Some(e) => e,
        None => {
            // A date that does not read stays in the prompt to be corrected.
            app.status.error = Some(strings::BAD_DATE.into());
            app.overlay = Some(Overlay::Prompt(p));
            Vec::new()
        }
    }
}
