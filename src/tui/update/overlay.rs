//! Keys while an overlay is open: the help, a picker (folder to move to, template to
//! edit), a one-line prompt (filter, dates), a yes/no question. No I/O here.

use crate::actions::payables::Change;
use crate::classify::fingerprint::Verdict;
use crate::send::Decision;
use crate::tui::effect::Effect;
use crate::tui::keymap::{Action, Scope};
use crate::tui::state::*;
use crate::tui::strings;
use chrono::NaiveDate;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub(super) fn overlay_key(app: &mut App, overlay: Overlay, k: KeyEvent) -> Vec<Effect> {
    match overlay {
        Overlay::Help { scroll } => {
            let scroll = match app.keymap.action(&k, Scope::Nav) {
                Some(Action::Down) => scroll.saturating_add(1),
                Some(Action::Up) => scroll.saturating_sub(1),
                Some(Action::PageDown) => scroll.saturating_add(10),
                Some(Action::PageUp) => scroll.saturating_sub(10),
                _ => return Vec::new(),
            };
            let lines = (strings::ACTIONS.len() + strings::HELP_SECTIONS + 2) as u16;
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
        Overlay::Confirm(c) => match k.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => match c.then {
                Then::Effects(effects) => {
                    if !effects.is_empty() {
                        app.status.busy = Some(strings::SAVING_PAYABLE);
                    }
                    effects
                }
                Then::Prompt(p) => {
                    app.overlay = Some(Overlay::Prompt(p));
                    Vec::new()
                }
            },
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                app.status.note = Some(strings::NOTHING_CHANGED.into());
                Vec::new()
            }
            // Any other key leaves the question open: only y or n answers it.
            _ => {
                app.overlay = Some(Overlay::Confirm(c));
                Vec::new()
            }
        },
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

pub(super) fn picked(app: &mut App, p: Picker) -> Vec<Effect> {
    let Some((_, value)) = p.items.get(p.selected).cloned() else {
        return Vec::new();
    };
    match p.purpose {
        PickPurpose::MoveTo { message } => {
            app.status.busy = Some(strings::MOVING);
            vec![Effect::Move { message, to: value }]
        }
        PickPurpose::Verdict { message } => match Verdict::parse(&value) {
            Some(verdict) => {
                app.status.busy = Some(strings::CORRECTING);
                vec![Effect::Correct { message, verdict }]
            }
            None => Vec::new(),
        },
        PickPurpose::Settle { id } => {
            let decision = match value.as_str() {
                strings::SETTLE_VALUE_ARRIVED => Decision::Arrived,
                strings::SETTLE_VALUE_RESEND => Decision::Resend { again: false },
                strings::SETTLE_VALUE_RESEND_ANYWAY => Decision::Resend { again: true },
                _ => {
                    let key = app.keymap.keys_of(Action::Resolve).into_iter().next();
                    app.status.note = Some(strings::settle_later(key.as_deref().unwrap_or("?")));
                    return Vec::new();
                }
            };
            app.status.busy = Some(strings::SETTLE_SAVING);
            vec![Effect::Resolve { id, decision }]
        }
        PickPurpose::Template => vec![Effect::EditTemplate(value)],
        PickPurpose::OpenMessage => match value.parse() {
            Ok(id) => super::screens::open_message(app, id),
            Err(_) => Vec::new(),
        },
        PickPurpose::OpenAttachment { message } => {
            app.status.busy = Some(strings::OPENING);
            vec![Effect::OpenAttachment {
                message,
                which: value.parse().ok(),
            }]
        }
    }
}

pub(super) fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

pub(super) fn submitted(app: &mut App, p: Prompt) -> Vec<Effect> {
    let input = p.input.trim().to_string();
    let day = || parse_day(&input);
    let effects = match &p.purpose {
        PromptPurpose::Filter => {
            let list = &mut app.mailbox.list;
            list.filter = Some(input).filter(|f| !f.is_empty());
            list.selected = 0;
            list.top = 0;
            return super::mailbox::restart_list(list);
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
        PromptPurpose::ReplyDate { message, template } => match day() {
            // A promise dated in the past is refused here, where it can be corrected.
            Some(on) if on < app.today => {
                app.status.error = Some(strings::PAST_PAY_DATE.into());
                app.overlay = Some(Overlay::Prompt(p));
                return Vec::new();
            }
            other => other.map(|on| {
                app.status.busy = Some(strings::PREPARING);
                vec![Effect::PrepareReply {
                    message: *message,
                    template: template.to_string(),
                    pay_on: Some(on),
                }]
            }),
        },
        PromptPurpose::ReplyNote { message, template } => {
            app.status.busy = Some(strings::PREPARING);
            return vec![Effect::PrepareReplyAsked {
                message: *message,
                template: template.to_string(),
                asked: crate::reply::Asked {
                    note: Some(input).filter(|n| !n.is_empty()),
                    ..Default::default()
                },
            }];
        }
        PromptPurpose::SaveAttachments { message } => {
            if input.is_empty() {
                return Vec::new();
            }
            app.status.busy = Some(strings::SAVING);
            return vec![Effect::SaveAttachments {
                message: *message,
                dir: input,
            }];
        }
        PromptPurpose::MarkPaid {
            vendor,
            invoice,
            confirmed,
        } => match day() {
            Some(on) => {
                if let Err(e) = super::payables::paid_date(app, vendor, invoice, on, *confirmed) {
                    app.status.error = Some(e);
                    app.overlay = Some(Overlay::Prompt(p));
                }
                return Vec::new();
            }
            None => None,
        },
        PromptPurpose::PaidReference {
            vendor,
            invoice,
            on,
            confirmed,
        } => {
            let change = Change::Paid {
                on: *on,
                reference: Some(input).filter(|r| !r.is_empty()),
            };
            return super::payables::finish(app, vendor, invoice, change, *confirmed);
        }
        PromptPurpose::Schedule { vendor, invoice } => match day() {
            Some(on) => {
                let change = Change::Scheduled { on };
                return super::payables::finish(app, vendor, invoice, change, false);
            }
            None => None,
        },
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
