//! A reply of the outbox, opened from the Sent folder: how its delivery stands first (sent,
//! queued, failed and why, unknown), then the headers and the text exactly as they went
//! out. Only draws; the runner read and cleaned the entry.

use super::style::Theme;
use super::text::{clean, clean_block};
use crate::store::OutboxState;
use crate::tui::replies::Delivery;
use crate::tui::state::SentState;
use crate::tui::strings;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(frame: &mut Frame<'_>, area: Rect, s: &SentState, theme: Theme) {
    let Some(o) = &s.opened else {
        frame.render_widget(Paragraph::new(strings::LOADING).style(theme.dim()), area);
        return;
    };
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<9}"), theme.header()),
            Span::raw(value),
        ])
    };
    let state_style = match &o.status {
        Delivery::Outbox {
            state: OutboxState::Sent,
            ..
        } => theme.good(),
        Delivery::Outbox {
            state: OutboxState::Failed | OutboxState::Unknown,
            ..
        } => theme.danger(),
        _ => theme.warn(),
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{:<9}", "Delivery"), theme.header()),
            Span::styled(
                clean(&strings::delivery(&o.status)).into_owned(),
                state_style,
            ),
        ]),
        field(
            "",
            strings::sent_copies(o.saved_to_sent, o.flagged_answered),
        ),
        field("From", clean(&o.from).into_owned()),
        field("To", clean(&o.to).into_owned()),
        field(
            "Date",
            format!("{} UTC", clean(o.at.get(..16).unwrap_or(&o.at))),
        ),
        field("Subject", clean(&o.subject).into_owned()),
        field("Template", clean(&o.template).into_owned()),
        Line::styled("── Text as sent ", theme.header()),
    ];
    lines.extend(
        clean_block(&o.body)
            .lines()
            .map(|l| Line::raw(l.to_string())),
    );
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((s.scroll, 0)),
        area,
    );
}
