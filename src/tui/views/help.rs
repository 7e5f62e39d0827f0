//! The `?` overlay: every action with the keys in force (after the config's overrides).

use super::layout;
use super::style::Theme;
use crate::tui::keymap::{Keymap, Scope};
use crate::tui::strings::{self, ACTIONS};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

/// The overlay's sections, one per scope, in order.
const SECTIONS: [(Scope, &str); strings::HELP_SECTIONS] = [
    (Scope::Nav, "Moving"),
    (Scope::Mail, "Messages"),
    (Scope::Reply, "Reply preview"),
    (Scope::Payables, "Payables"),
    (Scope::Sent, "Sent reply"),
    (Scope::Global, "Everywhere"),
];

pub fn draw(frame: &mut Frame<'_>, area: Rect, keymap: &Keymap, scroll: u16, theme: Theme) {
    let mut lines = Vec::new();
    for (scope, title) in SECTIONS {
        lines.push(Line::styled(title, theme.header()));
        for a in ACTIONS.iter().filter(|a| a.scope == scope) {
            let keys = keymap.keys_of(a.action).join(" ");
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<16}"), theme.warn()),
                Span::raw(a.help),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(strings::HELP_FOOTER, theme.dim()));
    let r = layout::centred(area, 72, area.height);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines).scroll((scroll, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(strings::HELP_TITLE),
        ),
        r,
    );
}
