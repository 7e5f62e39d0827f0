//! Keys on the screens pushed over the mailbox: message, reply preview, payables,
//! dashboard. No I/O here.

use super::mailbox::mail_action;
use crate::payables::Status;
use crate::send::Decision;
use crate::tui::effect::Effect;
use crate::tui::keymap::Action;
use crate::tui::state::*;
use crate::tui::strings;

pub(super) fn screen_key(app: &mut App, action: Action) -> Vec<Effect> {
    let page = app.list_rows().max(1) as u16;
    let Some(top) = app.stack.last_mut() else {
        return Vec::new();
    };
    match top {
        Screen::Message(m) => {
            match action {
                a if scroll(&mut m.scroll, a, page) => {}
                Action::Bottom => m.scroll = u16::MAX,
                Action::Back => {
                    app.stack.pop();
                    return Vec::new();
                }
                Action::Thread => {
                    let id = m.id;
                    return super::mailbox::open_thread(app, id);
                }
                a => {
                    let id = m.id;
                    return mail_action(app, a, Some(id));
                }
            }
            // Scrolling stops at the end of the message, so k works at once after G.
            if m.opened.is_some() {
                m.scroll = m.scroll.min(m.max_scroll);
            }
            Vec::new()
        }
        Screen::Reply(r) => {
            match action {
                // Past the end of a short reply there is nothing to scroll to.
                Action::Down => {
                    r.scroll = (r.scroll + 1).min(r.preview.body.lines().count() as u16)
                }
                Action::Up => r.scroll = r.scroll.saturating_sub(1),
                Action::PageDown => {
                    r.scroll = r
                        .scroll
                        .saturating_add(page)
                        .min(r.preview.body.lines().count() as u16)
                }
                Action::PageUp => r.scroll = r.scroll.saturating_sub(page),
                Action::Top => r.scroll = 0,
                Action::Back => {
                    let draft = r.preview.draft_id;
                    app.stack.pop();
                    app.status.note = Some("reply discarded, nothing was sent".into());
                    return vec![Effect::DropReply(draft)];
                }
                Action::Send if r.sending => {}
                Action::Send => {
                    if let Some(reason) = &r.preview.blocked {
                        app.status.error = Some(format!("not sent: {reason}"));
                        return Vec::new();
                    }
                    if let (Some(who), false) = (&r.preview.held_by, r.preview.take_over) {
                        // Another clerk is answering it: the first `y` only asks.
                        r.preview.take_over = true;
                        app.status.error = Some(format!("{who} — {}", strings::CONFIRM_TAKE_OVER));
                        return Vec::new();
                    }
                    r.sending = true;
                    // A second `y` after "already answered" is the confirmation.
                    r.preview.again = r.preview.answered_elsewhere.is_some();
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
                    let Some(row) = p.current().cloned() else {
                        app.status.error = Some(strings::NO_PAYABLE.into());
                        return Vec::new();
                    };
                    if action == Action::MarkPaid {
                        super::payables::mark_paid(app, &row);
                    } else {
                        super::payables::schedule(app, &row);
                    }
                    return Vec::new();
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
        Screen::Thread(t) => {
            let n = t.entries.as_ref().map_or(0, Vec::len);
            let last = n.saturating_sub(1);
            match action {
                Action::Down => t.selected = (t.selected + 1).min(last),
                Action::Up => t.selected = t.selected.saturating_sub(1),
                Action::Top => t.selected = 0,
                Action::Bottom => t.selected = last,
                Action::PageDown => t.scroll = t.scroll.saturating_add(page),
                Action::PageUp => t.scroll = t.scroll.saturating_sub(page),
                Action::Back | Action::Thread => {
                    app.stack.pop();
                    return Vec::new();
                }
                a => {
                    let message = t
                        .entries
                        .as_ref()
                        .and_then(|e| e.get(t.selected))
                        .map(|e| e.message);
                    return match (a, message) {
                        (_, None) => Vec::new(),
                        (Action::Open, Some(None)) => {
                            app.status.note = Some(strings::NOT_IN_THREAD.into());
                            Vec::new()
                        }
                        (Action::Open, Some(Some(id))) => open_message(app, id),
                        (a, Some(id)) => mail_action(app, a, id),
                    };
                }
            }
            if matches!(
                action,
                Action::Down | Action::Up | Action::Top | Action::Bottom
            ) {
                t.scroll = 0;
            }
            Vec::new()
        }
        Screen::Batch(_) => super::batch::key(app, action),
        Screen::Sent(v) => {
            match action {
                a if scroll(&mut v.scroll, a, page) => {}
                Action::Back => {
                    app.stack.pop();
                }
                Action::Resolve => match &v.opened {
                    Some(o) if o.unsettled => {
                        // The service looks in Sent first; it asks only if that cannot tell.
                        let id = v.id;
                        app.status.busy = Some(strings::SETTLE_LOOKING);
                        return vec![Effect::Resolve {
                            id,
                            decision: Decision::Check,
                        }];
                    }
                    Some(_) => app.status.note = Some(strings::NOTHING_TO_SETTLE.into()),
                    None => {}
                },
                _ => {}
            }
            Vec::new()
        }
        Screen::Dashboard(d) => {
            let targets = d
                .data
                .as_ref()
                .map(|data| crate::tui::views::dashboard::targets(data, app.today))
                .unwrap_or_default();
            let last = targets.len().saturating_sub(1);
            match action {
                Action::Back => {
                    app.stack.pop();
                }
                Action::Down => d.selected = (d.selected + 1).min(last),
                Action::Up => d.selected = d.selected.saturating_sub(1),
                Action::PageDown => d.selected = (d.selected + page as usize).min(last),
                Action::PageUp => d.selected = d.selected.saturating_sub(page as usize),
                Action::Top => d.selected = 0,
                Action::Bottom => d.selected = last,
                Action::Open => match targets.get(d.selected) {
                    Some(DashTarget::Bucket { currency, bucket }) => {
                        let items = d
                            .data
                            .as_ref()
                            .and_then(|data| {
                                data.aging
                                    .iter()
                                    .find(|a| &a.currency == currency && a.bucket == *bucket)
                            })
                            .map(|a| a.items.clone())
                            .unwrap_or_default();
                        if let [only] = &items[..] {
                            return open_message(app, only.message);
                        }
                        app.overlay = Some(Overlay::Picker(Picker {
                            title: strings::PICK_CLAIM,
                            items: items
                                .iter()
                                .map(|c| (strings::claim_label(c, currency), c.message.to_string()))
                                .collect(),
                            selected: 0,
                            purpose: PickPurpose::OpenMessage,
                        }));
                    }
                    Some(DashTarget::Message(id)) => {
                        let id = *id;
                        return open_message(app, id);
                    }
                    Some(DashTarget::Payables(status)) => {
                        let status = *status;
                        app.stack.push(Screen::Payables(PayablesState {
                            loading: true,
                            status,
                            ..PayablesState::default()
                        }));
                        return vec![Effect::LoadPayables {
                            status,
                            vendor: None,
                        }];
                    }
                    None => {}
                },
                _ => {}
            }
            Vec::new()
        }
    }
}

/// The keys that scroll a text screen by a line, a page or to its top; false for any other.
pub(super) fn scroll(at: &mut u16, action: Action, page: u16) -> bool {
    match action {
        Action::Down => *at = at.saturating_add(1),
        Action::Up => *at = at.saturating_sub(1),
        Action::PageDown => *at = at.saturating_add(page),
        Action::PageUp => *at = at.saturating_sub(page),
        Action::Top => *at = 0,
        _ => return false,
    }
    true
}

/// Opens a message over the current screen.
pub(super) fn open_message(app: &mut App, id: i64) -> Vec<Effect> {
    app.stack.push(Screen::Message(MessageState {
        id,
        opened: None,
        scroll: 0,
        max_scroll: u16::MAX,
    }));
    vec![Effect::LoadMessage(id)]
}
