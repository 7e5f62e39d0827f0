//! The status line: the sync's state in words, the last error or what the last action did,
//! and the key hint for the screen.

use super::style::Theme;
use super::text::{clean, fit, width};
use crate::tui::state::{App, Screen, SyncStatus};
use crate::tui::strings;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// The sync in words: "synced 12:04 · 3 new", "syncing… 120/400", "offline: ...".
pub fn sync_words(s: &SyncStatus) -> String {
    match s {
        SyncStatus::NotYet => strings::SYNC_NEVER.to_string(),
        SyncStatus::Syncing { total: 0, .. } => "syncing…".to_string(),
        SyncStatus::Syncing { done, total } => format!("syncing… {done}/{total}"),
        SyncStatus::Synced { at, new: 0 } => format!("synced {at}"),
        SyncStatus::Synced { at, new } => format!("synced {at} · {new} new"),
        SyncStatus::Offline {
            words,
            retry_in_secs: Some(s),
        } => format!("offline: {words} (retrying in {s} s)"),
        SyncStatus::Offline {
            words,
            retry_in_secs: None,
        } => format!("offline: {words}"),
    }
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    if area.height == 0 {
        return;
    }
    let hint = app.keymap.hint(match app.top() {
        None => strings::HINT_MAILBOX,
        Some(Screen::Message(_)) => strings::HINT_MESSAGE,
        Some(Screen::Reply(_)) => strings::HINT_REPLY,
        Some(Screen::Payables(_)) => strings::HINT_PAYABLES,
        Some(Screen::Dashboard(_)) => strings::HINT_DASHBOARD,
        Some(Screen::Thread(_)) => strings::HINT_THREAD,
        // The key that settles a reply only where there is one to settle.
        Some(Screen::Sent(s)) if s.opened.as_ref().is_some_and(|o| o.unsettled) => {
            strings::HINT_SENT_UNSETTLED
        }
        Some(Screen::Sent(_)) => strings::HINT_SENT,
        Some(Screen::Batch(_)) => strings::HINT_BATCH,
    });
    let hint = hint.as_str();
    let w = usize::from(area.width);
    // Errors can carry a server's own words: cleaned like mail text.
    let sync = clean(&sync_words(&app.status.sync)).into_owned();
    let sync_style = match app.status.sync {
        SyncStatus::Offline { .. } => theme.danger(),
        _ => theme.dim(),
    };
    let (said, style) = match (&app.status.error, app.status.busy, &app.status.note) {
        (Some(e), _, _) => (clean(e).into_owned(), theme.danger()),
        (None, Some(b), _) => (b.to_string(), theme.warn()),
        (None, None, Some(n)) => (clean(n).into_owned(), theme.good()),
        _ => (String::new(), theme.dim()),
    };
    // The error is what matters most: the hint gives way first, then the sync state.
    let hint_w = if width(&said) + width(&sync) + width(hint) + 6 <= w {
        width(hint)
    } else {
        0
    };
    let sync = fit(&sync, w.saturating_sub(hint_w + 2).min(width(&sync))).into_owned();
    let said_w = w.saturating_sub(width(&sync) + hint_w + 4);
    let said = fit(&said, said_w).into_owned();
    let pad = w.saturating_sub(1 + width(&sync) + 3 + width(&said) + hint_w);
    let mut spans = vec![Span::raw(" "), Span::styled(sync, sync_style)];
    if !said.is_empty() {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(said, style));
    } else {
        spans.push(Span::raw("   "));
    }
    spans.push(Span::raw(" ".repeat(pad)));
    if hint_w > 0 {
        spans.push(Span::styled(hint, theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
