//! The message view: a fraud banner that stays on top, the extracted claim, our record
//! beside it with the differences marked, the invoice's history, why duebox decided what it
//! did, and the body text. Everything but the banner scrolls.

use super::style::Theme;
use super::text::{clean, clean_block, money};
use crate::payables::validate::{Difference, MatchStatus};
use crate::payables::Status;
use crate::tui::state::{MessageState, Opened};
use crate::tui::strings;
use chrono::NaiveDate;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(frame: &mut Frame<'_>, area: Rect, m: &MessageState, today: NaiveDate, theme: Theme) {
    let Some(o) = &m.opened else {
        frame.render_widget(Paragraph::new(strings::LOADING).style(theme.dim()), area);
        return;
    };
    let mut area = area;
    let risk = &o.detail.summary.risk;
    if !risk.is_empty() {
        let banner = banner_lines(o, theme);
        let h = (banner.len() as u16 + 2)
            .min(area.height / 2)
            .max(3)
            .min(area.height);
        let r = Rect { height: h, ..area };
        frame.render_widget(
            Paragraph::new(banner).wrap(Wrap { trim: true }).block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.danger())
                    .title(Span::styled(strings::FRAUD_TITLE, theme.banner())),
            ),
            r,
        );
        area = Rect {
            y: area.y + h,
            height: area.height - h,
            ..area
        };
    }
    let lines = body_lines(o, today, theme);
    let scroll = m
        .scroll
        .min(wrapped_height(&lines, area.width).saturating_sub(area.height));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// How many rows `lines` take wrapped at `width` (a close estimate: words that do not fit
/// at a line's end can add a row, which only leaves a blank row at the bottom).
pub fn wrapped_height(lines: &[Line<'_>], width: u16) -> u16 {
    let w = usize::from(width.max(1));
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(w).max(1)).sum();
    rows.min(usize::from(u16::MAX)) as u16
}

/// The largest useful scroll of the message view at a terminal size: the last row of the
/// message at the bottom of the screen.
pub fn max_scroll(o: &Opened, today: NaiveDate, size: (u16, u16)) -> u16 {
    let theme = Theme { color: false };
    let (_, body, _) = super::layout::frame(Rect::new(0, 0, size.0, size.1));
    let banner = if o.detail.summary.risk.is_empty() {
        0
    } else {
        (banner_lines(o, theme).len() as u16 + 2)
            .min(body.height / 2)
            .max(3)
            .min(body.height)
    };
    wrapped_height(&body_lines(o, today, theme), body.width)
        .saturating_sub(body.height.saturating_sub(banner))
}

fn banner_lines(o: &Opened, theme: Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let reasons = &o.detail.fraud_reasons;
    for flag in o.detail.summary.risk.iter().filter(|_| reasons.is_empty()) {
        out.push(Line::from(vec![
            Span::styled("• ", theme.danger()),
            Span::raw(strings::risk_words(*flag)),
        ]));
    }
    // The classifier's own words for what it saw (bank details, domains, headers).
    for reason in reasons {
        out.push(Line::from(vec![
            Span::styled("• ", theme.danger()),
            Span::raw(clean(&reason.detail).into_owned()),
        ]));
    }
    out.push(Line::styled(strings::FRAUD_ADVICE, theme.header()));
    out
}

fn field(name: &str, value: impl Into<String>, theme: Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<9}"), theme.header()),
        Span::raw(value.into()),
    ])
}

fn heading(name: &str, theme: Theme) -> Line<'static> {
    Line::styled(format!("── {name} "), theme.header())
}

fn days_between(from: Option<&str>, to: NaiveDate) -> Option<i64> {
    let d = NaiveDate::parse_from_str(from?.get(..10)?, "%Y-%m-%d").ok()?;
    Some((to - d).num_days())
}

fn body_lines(o: &Opened, today: NaiveDate, theme: Theme) -> Vec<Line<'static>> {
    let d = &o.detail;
    let s = &d.summary;
    let mut out = vec![field("From", clean(&o.from).into_owned(), theme)];
    if let Some(rt) = &o.reply_to {
        out.push(field("Reply-To", clean(rt).into_owned(), theme));
    }
    out.push(field("To", clean(&o.to).into_owned(), theme));
    if let Some(at) = &s.sent_at {
        out.push(field(
            "Date",
            format!("{} UTC", at.get(..16).unwrap_or(at)),
            theme,
        ));
    }
    out.push(field("Subject", clean(&s.subject).into_owned(), theme));
    let kind = match (s.kind.as_deref(), s.stage) {
        (Some("chaser"), Some(stage)) => format!("{} chaser", stage.as_str()),
        (Some("chaser"), None) => "chaser".into(),
        _ => "not a chaser".into(),
    };
    let mut folder = format!("{} · {kind}", clean(&d.folder));
    if let Some(v) = &s.vendor {
        folder.push_str(&format!(" · {}", clean(v)));
    }
    out.push(field("Folder", folder, theme));
    if let Some(who) = &o.claimed_by {
        out.push(Line::styled(clean(who).into_owned(), theme.warn()));
    }
    for (i, a) in o.attachments.iter().enumerate() {
        out.push(field(
            if i == 0 { "Attached" } else { "" },
            format!(
                "{} ({}, {})",
                clean(&a.name),
                clean(&a.content_type),
                crate::mail::attachments::human_size(a.size)
            ),
            theme,
        ));
    }
    if let Some(e) = &d.parse_error {
        out.push(Line::styled(
            format!("This message could not be read: {}", clean(e)),
            theme.danger(),
        ));
    }
    if s.is_chaser() || !s.invoices.is_empty() || s.amount.is_some() {
        let mut claim = Vec::new();
        if !s.invoices.is_empty() {
            claim.push(clean(&s.invoices.join(", ")).into_owned());
        }
        if s.amount.is_some() {
            claim.push(money(s.amount, s.currency.as_deref()));
        }
        if let Some(due) = &s.due_date {
            let late = days_between(Some(due), today)
                .filter(|d| *d > 0)
                .map(|d| format!(" ({d} days overdue)"))
                .unwrap_or_default();
            claim.push(format!("due {due}{late}"));
        }
        out.push(field("Claim", claim.join(" · "), theme));
        if let Some(m) = s.match_status {
            out.push(Line::from(vec![
                Span::styled(format!("{:<9}", "Check"), theme.header()),
                Span::styled(strings::match_words(m), theme.badge(Some(m))),
            ]));
        }
    }
    if !d.records.is_empty() || s.match_status == Some(MatchStatus::UnknownInvoice) {
        out.push(Line::raw(""));
        out.push(heading("Our records", theme));
        out.extend(comparison(o, theme));
    }
    if !d.history.is_empty() {
        out.push(Line::raw(""));
        out.push(heading("History", theme));
        for h in &d.history {
            out.push(Line::from(vec![
                Span::styled(format!("{} ", h.at.get(..16).unwrap_or(&h.at)), theme.dim()),
                Span::raw(clean(&h.what).into_owned()),
            ]));
        }
    }
    if !d.reasons.is_empty() {
        out.push(Line::raw(""));
        out.push(heading("Why", theme));
        for r in &d.reasons {
            out.push(Line::raw(format!("• {}", clean(r))));
        }
    }
    out.push(Line::raw(""));
    out.push(heading("Message", theme));
    if d.truncated {
        out.push(Line::styled(
            "(only the first 256 KB were fetched)",
            theme.dim(),
        ));
    }
    for line in clean_block(&o.body).lines() {
        out.push(Line::raw(line.to_string()));
    }
    // A reminder that only says "see the attached PDF" is read here.
    if !o.attachment_text.trim().is_empty() {
        out.push(Line::raw(""));
        out.push(heading("Text of the attached PDF", theme));
        for line in clean_block(&o.attachment_text).lines() {
            out.push(Line::raw(line.to_string()));
        }
    }
    out
}

/// Claimed against recorded, one line per record, and the difference in words.
fn comparison(o: &Opened, theme: Theme) -> Vec<Line<'static>> {
    let s = &o.detail.summary;
    let records = &o.detail.records;
    let mut out = Vec::new();
    if records.is_empty() {
        out.push(Line::styled(
            format!(
                "No payable for {} in our records.",
                clean(&s.invoices.join(", "))
            ),
            theme.danger(),
        ));
        return out;
    }
    let single = records.len() == 1;
    out.push(Line::styled(
        format!(
            "{:<12}{:>13}  {:>13}  {:<10}{:<11}{}",
            "Invoice", "Claimed", "Recorded", "Status", "Due", "Paid/planned"
        ),
        theme.header(),
    ));
    for r in records {
        let claim_text = if single {
            money(s.amount, s.currency.as_deref())
        } else {
            String::new()
        };
        // One record: its line is marked when the claim differs from it.
        let differs = single
            && o.detail
                .comparison
                .as_ref()
                .is_some_and(|c| c.difference != Difference::Equal);
        let when = r
            .paid_on
            .as_ref()
            .map(|p| format!("paid {p}"))
            .or_else(|| r.scheduled_on.map(|d| d.to_string()))
            .unwrap_or_else(|| "—".into());
        let status_style = match r.status {
            Status::Paid | Status::Disputed => theme.warn(),
            Status::Open | Status::Scheduled => ratatui::style::Style::new(),
        };
        out.push(Line::from(vec![
            Span::raw(format!(
                "{:<12}",
                super::text::fit(&clean(&r.invoice_number), 11)
            )),
            Span::styled(
                format!("{claim_text:>13}  "),
                if differs {
                    theme.danger()
                } else {
                    ratatui::style::Style::new()
                },
            ),
            Span::styled(
                format!("{:>13}  ", format!("{} {}", r.amount, r.currency)),
                if differs {
                    theme.danger()
                } else {
                    ratatui::style::Style::new()
                },
            ),
            Span::styled(format!("{:<10}", r.status.as_str()), status_style),
            Span::raw(format!("{:<11}", r.due_date.to_string())),
            Span::raw(when),
        ]));
    }
    if let Some(c) = &o.detail.comparison {
        let style = if c.difference == Difference::Equal {
            theme.good()
        } else {
            theme.danger()
        };
        out.push(Line::styled(strings::comparison_words(c, single), style));
    }
    out
}
