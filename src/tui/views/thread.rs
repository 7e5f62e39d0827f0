//! The conversation: every chase of the invoice (or of the References chain) and our replies,
//! oldest first, one line each, and the text of the one under the cursor below them. Reads
//! its state only; mail text passes through `text::clean`.

use super::style::Theme;
use super::text::{self, clean, clean_block, fit};
use crate::tui::state::{App, ThreadState};
use crate::tui::strings;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(frame: &mut Frame<'_>, area: Rect, t: &ThreadState, app: &App, theme: Theme) {
    if area.width < 10 || area.height < 3 {
        return;
    }
    let Some(entries) = &t.entries else {
        frame.render_widget(Paragraph::new(strings::LOADING).style(theme.dim()), area);
        return;
    };
    let w = usize::from(area.width);
    // The entries take up to a third of the screen (at least 3 rows), the text the rest.
    let list_h = (entries.len() as u16 + 1)
        .min((area.height / 3).max(3))
        .min(area.height - 1);
    let header = format!(
        "{} — {} ({})",
        strings::THREAD_TITLE,
        entries.len(),
        strings::THREAD_LEGEND
    );
    let buf = frame.buffer_mut();
    buf.set_stringn(area.x, area.y, fit(&header, w), w, theme.header());
    let rows = usize::from(list_h - 1);
    let first = t.selected.saturating_sub(rows.saturating_sub(1));
    for (i, e) in entries.iter().enumerate().skip(first).take(rows) {
        let y = area.y + 1 + (i - first) as u16;
        let when = text::list_date(e.at.as_deref(), app.today, app.zone);
        let label = |f: &str| {
            app.mailbox
                .folders
                .entries
                .iter()
                .find(|x| x.name == f)
                .map_or(f.to_string(), |x| x.label.clone())
        };
        let place = match (&e.state, &e.folder) {
            (Some(state), _) => format!("reply {state}"),
            (None, Some(f)) if e.answered => format!("{} ↩", label(f)),
            (None, Some(f)) => label(f),
            _ => String::new(),
        };
        let line = format!(
            "{} {:<11} {:<24} {:<12} {}",
            if e.message.is_none() { "→" } else { " " },
            when,
            fit(&clean(&e.who), 24),
            fit(&clean(&place), 12),
            clean(&e.subject)
        );
        let style = if i == t.selected {
            theme.selected()
        } else if e.message.is_none() {
            theme.good()
        } else {
            Style::new()
        };
        buf.set_stringn(area.x, y, format!("{:<w$}", fit(&line, w)), w, style);
    }
    let text_area = Rect {
        y: area.y + list_h,
        height: area.height - list_h,
        ..area
    };
    let body = match entries.get(t.selected) {
        Some(e) if !e.text.trim().is_empty() => clean_block(&e.text),
        Some(_) => String::new(),
        None => strings::THREAD_EMPTY.to_string(),
    };
    let lines: Vec<Line<'_>> = body.lines().map(|l| Line::raw(l.to_string())).collect();
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::default().borders(Borders::TOP))
            .wrap(Wrap { trim: false })
            .scroll((t.scroll, 0)),
        text_area,
    );
}
