//! Drawing: one module per screen, each reading its state and nothing else. Views never
//! change state and never do I/O; every string that came from mail passes through
//! `text::clean` and is cut by display width.

pub mod batch;
pub mod dashboard;
pub mod folders;
pub mod help;
pub mod layout;
pub mod list;
pub mod message;
pub mod payables;
pub mod reply;
pub mod sent;
pub mod status;
pub mod style;
pub mod text;

use super::state::{App, Overlay, Screen};
use super::strings;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph};
use ratatui::Frame;
use style::Theme;

/// Draws the whole UI.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let theme = Theme { color: app.color };
    let area = frame.area();
    if area.width < 4 || area.height < 2 {
        // Too small for anything useful; draw nothing rather than garbage.
        return;
    }
    let (title, body, status_area) = layout::frame(area);
    draw_title(frame, title, app, theme);
    match app.top() {
        None => {
            let (folders_area, list_area) = layout::mailbox(body);
            folders::draw(frame, folders_area, &app.mailbox, theme);
            list::draw(frame, list_area, &app.mailbox, theme);
        }
        Some(Screen::Message(m)) => message::draw(frame, body, m, app.today, theme),
        Some(Screen::Reply(r)) => reply::draw(frame, body, r, app.demo, &app.keymap, theme),
        Some(Screen::Payables(p)) => payables::draw(frame, body, p, theme),
        Some(Screen::Dashboard(d)) => dashboard::draw(frame, body, d, app.today, theme),
        Some(Screen::Sent(s)) => sent::draw(frame, body, s, theme),
        Some(Screen::Batch(b)) => batch::draw(frame, body, b, theme),
    }
    status::draw(frame, status_area, app, theme);
    match &app.overlay {
        None => {}
        Some(Overlay::Help { scroll }) => help::draw(frame, body, &app.keymap, *scroll, theme),
        Some(Overlay::Picker(p)) => {
            let h = (p.items.len() as u16 + 2).min(body.height);
            let w = p
                .items
                .iter()
                .map(|(l, _)| text::width(l))
                .max()
                .unwrap_or(10)
                .max(text::width(p.title)) as u16
                + 4;
            let r = layout::centred(body, w, h);
            frame.render_widget(Clear, r);
            let items: Vec<ListItem<'_>> = p
                .items
                .iter()
                .map(|(label, _)| ListItem::new(label.as_str()))
                .collect();
            let mut state = ListState::default().with_selected(Some(p.selected));
            frame.render_stateful_widget(
                List::new(items)
                    .block(Block::default().borders(Borders::ALL).title(p.title))
                    .highlight_style(theme.selected()),
                r,
                &mut state,
            );
        }
        Some(Overlay::Confirm(c)) => {
            // The question takes the rows above the status line it needs.
            let line = Line::from(vec![
                Span::styled(text::clean(&c.question).into_owned(), theme.header()),
                Span::raw("  "),
                Span::styled(strings::CONFIRM_KEYS, theme.dim()),
            ]);
            let rows = (line.width() as u16)
                .div_ceil(status_area.width.max(1))
                .clamp(1, 4);
            let r = Rect {
                y: status_area.y.saturating_sub(rows),
                height: rows,
                ..status_area
            };
            frame.render_widget(Clear, r);
            frame.render_widget(
                Paragraph::new(line).wrap(ratatui::widgets::Wrap { trim: true }),
                r,
            );
        }
        Some(Overlay::Prompt(p)) => {
            // The prompt takes the row above the status line.
            let row = Rect {
                y: status_area.y.saturating_sub(1),
                height: 1,
                ..status_area
            };
            frame.render_widget(Clear, row);
            let line = Line::from(vec![
                Span::styled(p.label, theme.header()),
                Span::raw(p.input.as_str()),
                Span::styled("█", theme.dim()),
            ]);
            frame.render_widget(Paragraph::new(line), row);
        }
    }
}

fn draw_title(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let screen = match app.top() {
        None => "mailbox",
        Some(Screen::Message(_)) => "message",
        Some(Screen::Reply(_)) => "reply preview",
        Some(Screen::Payables(_)) => "payables",
        Some(Screen::Dashboard(_)) => "dashboard",
        Some(Screen::Sent(_)) => "sent reply",
        Some(Screen::Batch(_)) => "batch acknowledge",
    };
    let mut spans = vec![Span::raw(format!(
        " {} · {} · {}",
        strings::APP,
        text::clean(&app.account),
        screen
    ))];
    if app.demo {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(strings::DEMO_BANNER, theme.header()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.title()), area);
}
