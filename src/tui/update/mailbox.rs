//! Keys on the mailbox (folders pane and message list) and the mail actions shared with the
//! message view: reply, move, undo. The list keeps a window of rows around the cursor and
//! asks for another only when the rows on screen are not loaded. No I/O here.

use crate::classify::fingerprint::Verdict;
use crate::store::search::{ListQuery, Sort};
use crate::tui::effect::Effect;
use crate::tui::keymap::Action;
use crate::tui::state::*;
use crate::tui::strings;
use chrono::{Days, NaiveDate};

pub(super) fn template_of(action: Action) -> Option<&'static str> {
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
pub(super) fn mail_action(app: &mut App, action: Action, message: Option<i64>) -> Vec<Effect> {
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
    if action == Action::SaveAttachments {
        app.overlay = Some(Overlay::Prompt(Prompt {
            label: strings::PROMPT_SAVE_TO,
            input: strings::SAVE_TO_DEFAULT.into(),
            purpose: PromptPurpose::SaveAttachments { message },
        }));
        return Vec::new();
    }
    if action == Action::OpenAttachment {
        return open_attachment(app, message);
    }
    if action == Action::NotAChaser {
        app.status.busy = Some(strings::CORRECTING);
        return vec![Effect::Correct {
            message,
            verdict: Verdict::NotChaser,
        }];
    }
    if action == Action::ThisIs {
        app.overlay = Some(Overlay::Picker(Picker {
            title: strings::PICK_VERDICT,
            items: strings::VERDICT_CHOICES
                .iter()
                .map(|(label, name)| (label.to_string(), name.to_string()))
                .collect(),
            selected: 0,
            purpose: PickPurpose::Verdict { message },
        }));
        return Vec::new();
    }
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
    // The templates that promise a payment date ask it (reply::rules: their `pay_on`).
    if matches!(action, Action::SetExpectations | Action::Negotiate) {
        // The default date is our scheduled payment date: known if the message is open,
        // else read first.
        if let Some(scheduled) = opened_schedule(app, message) {
            pay_date_prompt(app, message, template, scheduled);
            return Vec::new();
        }
        app.status.busy = Some(strings::LOADING);
        return vec![Effect::LoadPayDate(message, template)];
    }
    // An escalation asks the note for the approver (reply::rules: its `note`).
    if action == Action::Escalate {
        app.overlay = Some(Overlay::Prompt(Prompt {
            label: strings::PROMPT_NOTE,
            input: String::new(),
            purpose: PromptPurpose::ReplyNote { message, template },
        }));
        return Vec::new();
    }
    app.status.busy = Some(strings::PREPARING);
    vec![Effect::PrepareReply {
        message,
        template: template.to_string(),
        pay_on: None,
    }]
}

/// The folder a message is in, when the screen knows it.
pub(super) fn current_folder_of(app: &App, message: i64) -> Option<String> {
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
pub(super) fn opened_schedule(app: &App, message: i64) -> Option<Option<NaiveDate>> {
    app.stack.iter().find_map(|s| match s {
        Screen::Message(m) if m.id == message => m
            .opened
            .as_ref()
            .map(|o| o.detail.records.iter().find_map(|r| r.scheduled_on)),
        _ => None,
    })
}

/// Asks the payment date for a reply: our scheduled date while it is ahead, else a week
/// from today.
pub(super) fn pay_date_prompt(
    app: &mut App,
    message: i64,
    template: &'static str,
    scheduled: Option<NaiveDate>,
) {
    let default = scheduled.filter(|d| *d >= app.today).unwrap_or_else(|| {
        app.today
            .checked_add_days(Days::new(7))
            .unwrap_or(app.today)
    });
    app.overlay = Some(Overlay::Prompt(Prompt {
        label: strings::PROMPT_PAY_ON,
        input: default.to_string(),
        purpose: PromptPurpose::ReplyDate { message, template },
    }));
}

pub(super) fn mailbox_key(app: &mut App, action: Action) -> Vec<Effect> {
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
            a if template_of(a).is_some()
                || matches!(
                    a,
                    Action::Move
                        | Action::NotAChaser
                        | Action::ThisIs
                        | Action::SaveAttachments
                        | Action::OpenAttachment
                ) =>
            {
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
        // Esc first drops the marks, as in aerc and meli.
        Action::Back if !list.marked.is_empty() || list.range_from.is_some() => {
            list.marked.clear();
            list.range_from = None;
            app.status.note = Some(strings::marked(0));
            Vec::new()
        }
        Action::Back | Action::NextPane => {
            app.mailbox.focus = Focus::Folders;
            Vec::new()
        }
        Action::Mark => super::batch::mark(app),
        Action::MarkRange => super::batch::mark_range(app),
        Action::Acknowledge if !list.marked.is_empty() => super::batch::start(
            app,
            template_of(Action::Acknowledge).unwrap_or("acknowledge"),
        ),
        Action::Open if list.kind == Some(FolderKind::Sent) => match list.sent.get(list.selected) {
            Some(s) => match s.outbox_id {
                Some(id) => {
                    app.stack.push(Screen::Sent(SentState {
                        id,
                        opened: None,
                        scroll: 0,
                    }));
                    vec![Effect::OpenSent { id }]
                }
                None => {
                    app.status.error = Some(strings::SENT_NOT_KEPT.into());
                    Vec::new()
                }
            },
            None => Vec::new(),
        },
        Action::Open => match list.selected_row() {
            Some(row) => {
                let id = row.id;
                super::screens::open_message(app, id)
            }
            None => Vec::new(),
        },
        Action::Sort => {
            if !list.kind.is_some_and(FolderKind::is_stored) {
                return Vec::new();
            }
            // The list's own order first (newest first; To answer: most urgent), then date,
            // days late, amount, vendor, and round again.
            let Some(natural) = list.query().map(|q| ListQuery { sort: None, ..q }.sort()) else {
                return Vec::new();
            };
            let order: Vec<Sort> = std::iter::once(natural)
                .chain(Sort::CYCLE.into_iter().filter(|s| *s != natural))
                .collect();
            let now = list.sort.unwrap_or(natural);
            let at = order.iter().position(|s| *s == now).unwrap_or(0);
            let next = order[(at + 1) % order.len()];
            list.sort = (next != natural).then_some(next);
            restart_list(list)
        }
        Action::Thread => match list.selected_row().map(|r| r.id) {
            Some(id) => open_thread(app, id),
            None => Vec::new(),
        },
        Action::Filter => {
            if list.kind.is_some_and(FolderKind::is_stored) {
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
pub(super) fn select_folder(app: &mut App, to: usize) -> Vec<Effect> {
    let folders = &mut app.mailbox.folders;
    folders.selected = to.min(folders.entries.len().saturating_sub(1));
    let Some(entry) = folders.current().cloned() else {
        return Vec::new();
    };
    // The search and the order stay on until cleared.
    let (filter, sort) = (app.mailbox.list.filter.take(), app.mailbox.list.sort);
    app.mailbox.list = ListState {
        folder: entry.name.clone(),
        kind: Some(entry.kind),
        filter,
        sort,
        ..ListState::default()
    };
    match entry.kind {
        FolderKind::Sent => {
            app.mailbox.list.loading = true;
            vec![Effect::LoadSent]
        }
        _ => restart_list(&mut app.mailbox.list),
    }
}

/// The list from its first row (the query changed): the cursor back on top.
pub(super) fn restart_list(list: &mut ListState) -> Vec<Effect> {
    list.selected = 0;
    list.top = 0;
    reload_list(list, 0)
}

/// The list read again from `offset`, counted again (the store changed): the cursor stays
/// on its message when the message is still there.
pub(super) fn reload_list(list: &mut ListState, offset: usize) -> Vec<Effect> {
    let Some(query) = list.query() else {
        return Vec::new();
    };
    list.loading = true;
    vec![Effect::LoadPage {
        query,
        offset,
        limit: WINDOW,
        total: None,
    }]
}

/// Opens the conversation of a message.
pub(super) fn open_thread(app: &mut App, id: i64) -> Vec<Effect> {
    app.stack.push(Screen::Thread(ThreadState {
        id,
        ..ThreadState::default()
    }));
    vec![Effect::LoadThread(id)]
}

/// Moves `top` so the cursor is on screen.
pub(super) fn scroll_into_view(list: &mut ListState, rows: usize) {
    let rows = rows.max(1);
    if list.selected < list.top {
        list.top = list.selected;
    } else if list.selected >= list.top + rows {
        list.top = list.selected + 1 - rows;
    }
    list.top = list.top.min(list.len().saturating_sub(rows));
}

/// A page request when the rows on screen are not all loaded: a window around the cursor.
pub(super) fn ensure_loaded(list: &mut ListState, rows: usize) -> Option<Effect> {
    if list.loading {
        return None;
    }
    let query = list.query()?;
    let want_from = list.top;
    let want_to = (list.top + rows).min(list.len());
    let have_from = list.page.offset;
    let have_to = have_from + list.page.rows.len();
    if want_from >= have_from && want_to <= have_to {
        return None;
    }
    list.loading = true;
    Some(Effect::LoadPage {
        query,
        offset: list.selected.saturating_sub(WINDOW / 2),
        limit: WINDOW,
        total: Some(list.page.total),
    })
}

/// `o`: the only attachment at once; with several, a picker of them when the message is
/// open (its attachments are known), else the runner says how many there are.
fn open_attachment(app: &mut App, message: i64) -> Vec<Effect> {
    let known = app.stack.iter().find_map(|s| match s {
        Screen::Message(m) if m.id == message => m.opened.as_ref().map(|o| o.attachments.clone()),
        _ => None,
    });
    match known {
        Some(list) if list.is_empty() => {
            app.status.error = Some(strings::NO_ATTACHMENTS.into());
            Vec::new()
        }
        Some(list) if list.len() > 1 => {
            app.overlay = Some(Overlay::Picker(Picker {
                title: strings::PICK_ATTACHMENT,
                items: list
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        (
                            crate::tui::views::text::clean(&a.name).into_owned(),
                            (i + 1).to_string(),
                        )
                    })
                    .collect(),
                selected: 0,
                purpose: PickPurpose::OpenAttachment { message },
            }));
            Vec::new()
        }
        _ => {
            app.status.busy = Some(strings::OPENING);
            vec![Effect::OpenAttachment {
                message,
                which: None,
            }]
        }
    }
}
