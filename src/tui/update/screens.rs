//! Keys on the screens pushed over the mailbox: message, reply preview, payables,
//! dashboard. No I/O here.

use super::mailbox::mail_action;
use crate::payables::Status;
use crate::tui::effect::Effect;
use crate::tui::keymap::Action;
use crate::tui::state::*;
use crate::tui::strings;
use chrono::Days;

pub(super) fn screen_key(app: &mut App, action: Action) -> Vec<Effect> {
    let page = app.list_rows().max(1) as u16;
    let today = app.today;
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
