//! The folders pane: each folder with its unread and unanswered counts.

use super::style::Theme;
use super::text;
use crate::tui::state::{Focus, FolderKind, MailboxState};
use crate::tui::strings;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders};
use ratatui::Frame;

pub fn draw(frame: &mut Frame<'_>, area: Rect, mailbox: &MailboxState, theme: Theme) {
    if area.width < 4 {
        return;
    }
    let block = Block::default().borders(Borders::RIGHT);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let buf = frame.buffer_mut();
    let w = usize::from(inner.width);
    // Unread messages / chasers not yet answered, under a header level with the list's.
    let header = format!(
        "{:<width$}{}",
        "Folder",
        strings::COUNTS_HEADER,
        width = w.saturating_sub(strings::COUNTS_HEADER.len())
    );
    buf.set_stringn(inner.x, inner.y, header, w, theme.header());
    for (i, f) in mailbox
        .folders
        .entries
        .iter()
        .enumerate()
        .take(usize::from(inner.height.saturating_sub(1)))
    {
        let y = inner.y + 1 + i as u16;
        // "unread/unanswered" for mail, the outbox size for Sent.
        let counts = match f.kind {
            FolderKind::Sent if f.counts.total > 0 => f.counts.total.to_string(),
            FolderKind::Sent => String::new(),
            FolderKind::Mail if f.counts.unanswered > 0 => {
                format!("{}/{}", f.counts.unread, f.counts.unanswered)
            }
            FolderKind::Mail if f.counts.unread > 0 => f.counts.unread.to_string(),
            FolderKind::Mail => String::new(),
            // The chasers waiting, in the todo column.
            FolderKind::ToAnswer | FolderKind::Suspicious if f.counts.unanswered > 0 => {
                format!("/{}", f.counts.unanswered)
            }
            FolderKind::ToAnswer | FolderKind::Suspicious | FolderKind::All => String::new(),
        };
        let label_w = w.saturating_sub(text::width(&counts) + 1);
        let label = text::fit(&f.label, label_w);
        let line = format!("{label:<label_w$} {counts}");
        let style = if i == mailbox.folders.selected {
            if mailbox.focus == Focus::Folders {
                theme.selected()
            } else {
                theme.selected_idle()
            }
        } else if f.counts.unread > 0 {
            theme.unread()
        } else {
            Style::new()
        };
        buf.set_stringn(inner.x, y, format!("{line:<w$}"), w, style);
    }
}
