//! The reply preview: exactly what would be sent, with the template's warnings, and why
//! one-key sending is refused when it is.

use super::style::Theme;
use super::text::{clean, clean_block};
use crate::tui::keymap::Keymap;
use crate::tui::state::ReplyState;
use crate::tui::strings;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    r: &ReplyState,
    demo: bool,
    keymap: &Keymap,
    theme: Theme,
) {
    let p = &r.preview;
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Template ", theme.header()),
            Span::raw(p.template.clone()),
            Span::styled(if r.edited { "  (edited)" } else { "" }, theme.warn()),
        ]),
        Line::from(vec![
            Span::styled("From     ", theme.header()),
            Span::raw(clean(&p.from).into_owned()),
        ]),
        Line::from(vec![
            Span::styled("To       ", theme.header()),
            Span::raw(clean(&p.to).into_owned()),
        ]),
        Line::from(vec![
            Span::styled("Subject  ", theme.header()),
            Span::raw(clean(&p.subject).into_owned()),
        ]),
    ];
    for w in &p.warnings {
        lines.push(Line::styled(format!("⚠ {}", clean(w)), theme.warn()));
    }
    if let Some(who) = &p.held_by {
        lines.push(Line::styled(
            format!(
                "{} — {}",
                clean(who),
                if p.take_over {
                    strings::CONFIRM_TAKE_OVER
                } else {
                    strings::HELD_ADVICE
                }
            ),
            theme.danger(),
        ));
    }
    if let Some(who) = &p.answered_elsewhere {
        lines.push(Line::styled(
            format!(
                "{} {} — {}",
                strings::ANSWERED_ELSEWHERE,
                clean(who),
                strings::CONFIRM_AGAIN
            ),
            theme.danger(),
        ));
    }
    if let Some(b) = &p.blocked {
        lines.push(Line::styled(
            format!("Sending with one key is refused: {}", clean(b)),
            theme.danger(),
        ));
    }
    lines.push(Line::styled(
        "─".repeat(usize::from(area.width.saturating_sub(2))),
        theme.dim(),
    ));
    for l in clean_block(&p.body).lines() {
        lines.push(Line::raw(l.to_string()));
    }
    let hint = if r.sending {
        strings::SENDING.to_string()
    } else if p.blocked.is_some() {
        format!(
            "{}  {}",
            strings::HINT_REPLY_BLOCKED_WHY,
            keymap.hint(strings::HINT_REPLY_BLOCKED)
        )
    } else if demo {
        format!(
            "{}  ({})",
            keymap.hint(strings::HINT_REPLY),
            strings::HINT_REPLY_DEMO
        )
    } else {
        keymap.hint(strings::HINT_REPLY)
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(
            " Reply preview — not sent yet ",
            theme.header(),
        ))
        .title_bottom(Span::styled(format!(" {hint} "), theme.header()));
    // Inside the border: two columns and two rows less.
    let scroll = r.scroll.min(
        super::message::wrapped_height(&lines, area.width.saturating_sub(2))
            .saturating_sub(area.height.saturating_sub(2)),
    );
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(block),
        area,
    );
}
