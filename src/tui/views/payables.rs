//! The payables screen: our records, filtered by status and vendor, with the cursor on the
//! one that `P` marks paid or `S` schedules.

use super::style::Theme;
use super::text::{clean, fit, width};
use crate::tui::state::PayablesState;
use crate::tui::strings;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::Frame;

pub fn draw(frame: &mut Frame<'_>, area: Rect, p: &PayablesState, theme: Theme) {
    if area.height < 3 || area.width < 10 {
        return;
    }
    let buf = frame.buffer_mut();
    let w = usize::from(area.width);
    let filter = format!(
        " status: {} · vendor: {} · {} payables",
        p.status.map_or("all", |s| s.as_str()),
        p.vendor
            .as_deref()
            .map_or("all".to_string(), |v| clean(v).into_owned()),
        p.rows.len(),
    );
    buf.set_stringn(area.x, area.y, fit(&filter, w), w, theme.dim());
    // Vendor takes what the fixed columns leave.
    let fixed = 13 + 15 + 11 + 10 + 15;
    let vendor_w = w.saturating_sub(fixed).max(8);
    let header = format!(
        "{:<vendor_w$}{:<13}{:>14} {:<11}{:<10}{}",
        "Vendor", "Invoice", "Amount", "Due", "Status", "Paid/planned"
    );
    buf.set_stringn(area.x, area.y + 1, fit(&header, w), w, theme.header());
    let rows = usize::from(area.height - 2);
    if p.rows.is_empty() {
        let words = if p.loading {
            strings::LOADING
        } else {
            "no payables match"
        };
        buf.set_stringn(area.x + 1, area.y + 2, words, w - 1, theme.dim());
        return;
    }
    for (i, r) in p.rows.iter().enumerate().skip(p.top).take(rows) {
        let y = area.y + 2 + (i - p.top) as u16;
        let vendor = fit(&clean(&r.vendor), vendor_w.saturating_sub(1)).into_owned();
        let vendor = format!(
            "{vendor}{}",
            " ".repeat(vendor_w.saturating_sub(width(&vendor)))
        );
        let invoice = fit(&clean(&r.invoice_number), 12).into_owned();
        let invoice = format!("{invoice}{}", " ".repeat(13 - width(&invoice)));
        let when = r
            .paid_on
            .map(|d| format!("paid {d}"))
            .or_else(|| r.scheduled_on.map(|d| d.to_string()))
            .unwrap_or_default();
        let line = format!(
            "{vendor}{invoice}{:>14} {:<11}{:<10}{when}",
            format!("{} {}", r.amount, r.currency),
            r.due_date.to_string(),
            r.status.as_str()
        );
        let style = if i == p.selected {
            theme.selected()
        } else {
            match r.status {
                crate::payables::Status::Disputed => theme.warn(),
                crate::payables::Status::Paid => theme.dim(),
                _ => Style::new(),
            }
        };
        buf.set_stringn(
            area.x,
            y,
            format!("{line}{}", " ".repeat(w.saturating_sub(width(&line)))),
            w,
            style,
        );
    }
}
