//! The combined preview of a batch acknowledge: what is left out and why (fraud warnings
//! first), then each reply as it will go out (to, subject, text), and once sent, what
//! happened to each. Only draws.

use super::style::Theme;
use super::text::{clean, clean_block};
use crate::tui::state::{BatchOutcome, BatchState};
use crate::tui::strings;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(frame: &mut Frame<'_>, area: Rect, b: &BatchState, theme: Theme) {
    let ready = b.items.iter().filter(|i| i.ready().is_some()).count();
    let mut lines = vec![Line::styled(
        strings::batch_title(ready, b.left_out.len()),
        theme.header(),
    )];
    if !b.left_out.is_empty() {
        lines.push(Line::styled("── Left out", theme.header()));
        for (r, why) in &b.left_out {
            let style = if r.risk.is_empty() {
                theme.warn()
            } else {
                theme.danger()
            };
            lines.push(Line::from(vec![
                Span::styled("• ", style),
                Span::raw(format!("{} — ", clean(&r.subject))),
                Span::styled(*why, style),
            ]));
        }
    }
    if b.preparing {
        lines.push(Line::styled(strings::PREPARING, theme.dim()));
    }
    for item in &b.items {
        lines.push(Line::raw(""));
        let head = format!(
            "── {} · {}",
            clean(item.summary.vendor.as_deref().unwrap_or("")),
            clean(&item.summary.subject)
        );
        lines.push(Line::styled(head, theme.header()));
        match &item.outcome {
            Some(BatchOutcome::Sent(words)) => {
                lines.push(Line::styled(clean(words).into_owned(), theme.good()))
            }
            Some(BatchOutcome::NotSent(why)) => lines.push(Line::styled(
                clean(&strings::batch_not_sent(why)).into_owned(),
                theme.danger(),
            )),
            None => {}
        }
        match &item.preview {
            None => {}
            Some(Err(e)) => lines.push(Line::styled(
                format!("no reply can be written: {}", clean(&e.to_string())),
                theme.danger(),
            )),
            Some(Ok(p)) => {
                if let Some(why) = &p.blocked {
                    lines.push(Line::styled(
                        format!("left out: {}", clean(why)),
                        theme.danger(),
                    ));
                }
                lines.push(Line::raw(format!("To: {}", clean(&p.to))));
                lines.push(Line::raw(format!("Subject: {}", clean(&p.subject))));
                for w in &p.warnings {
                    lines.push(Line::styled(clean(w).into_owned(), theme.warn()));
                }
                lines.extend(
                    clean_block(&p.body)
                        .lines()
                        .map(|l| Line::raw(format!("  {l}"))),
                );
            }
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((b.scroll, 0)),
        area,
    );
}
