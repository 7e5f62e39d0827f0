//! The message view: a fraud banner that stays on top, the extracted claim, our record
//! beside it with the differences marked, the invoice's history, why duebox decided what it
//! did, and the body text. Everything but the banner scrolls.

use super::style::Theme;
use super::text::{clean, clean_block, money};
use crate::classify::Kind;
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
    let mut scroll = m.scroll;
    if o.detail.summary.is_alarm() {
        let banner = banner_lines(o, theme);
        let fit = banner_fit(&banner, area);
        let shown = scroll.min(fit.overflow);
        let mut block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.danger())
            .title(Span::styled(strings::FRAUD_TITLE, theme.banner()));
        if shown < fit.overflow {
            // Never a cut warning without a word that more follows.
            block = block.title_bottom(Span::styled(
                strings::fraud_more(fit.overflow - shown),
                theme.banner(),
            ));
        }
        let r = Rect {
            height: fit.height,
            ..area
        };
        frame.render_widget(
            Paragraph::new(banner)
                .wrap(Wrap { trim: true })
                .scroll((shown, 0))
                .block(block),
            r,
        );
        area = Rect {
            y: area.y + fit.height,
            height: area.height - fit.height,
            ..area
        };
        // The banner's rows scroll first; the message follows once it has shown them all.
        scroll = scroll.saturating_sub(fit.overflow);
    }
    let lines = body_lines(o, today, theme);
    let scroll = scroll.min(wrapped_height(&lines, area.width).saturating_sub(area.height));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// How the banner fits over the message: its rows on screen and the rows of warnings left
/// below them (scrolled into view before the message scrolls).
struct BannerFit {
    height: u16,
    overflow: u16,
}

/// The banner grows to show every warning, up to two thirds of the screen (the message
/// keeps a third, at least its first rows); what does not fit scrolls.
fn banner_fit(banner: &[Line<'_>], area: Rect) -> BannerFit {
    let needed = wrapped_height(banner, area.width.saturating_sub(2));
    let most = (area.height * 2 / 3).max(3).min(area.height);
    let height = (needed + 2).min(most);
    BannerFit {
        height,
        overflow: needed.saturating_sub(height.saturating_sub(2)),
    }
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
    let (banner, overflow) = if o.detail.summary.is_alarm() {
        let fit = banner_fit(&banner_lines(o, theme), body);
        (fit.height, fit.overflow)
    } else {
        (0, 0)
    };
    overflow
        + wrapped_height(&body_lines(o, today, theme), body.width)
            .saturating_sub(body.height.saturating_sub(banner))
}

fn banner_lines(o: &Opened, theme: Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut reasons: Vec<&crate::classify::risk::FraudReason> =
        o.detail.fraud_reasons.iter().collect();
    // The decisive warnings first (the bank details a payment would go to), each once.
    reasons.sort_by_key(|r| rank(r.risk));
    reasons.dedup_by(|a, b| a.detail == b.detail);
    let mut flags = o.detail.summary.risk.clone();
    flags.sort_by_key(|f| rank(*f));
    // A flag without the classifier's own words still gets its line.
    for flag in flags
        .iter()
        .filter(|f| !reasons.iter().any(|r| r.risk == **f))
    {
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

/// Which warnings the banner shows first: money sent elsewhere decides, a stranger least.
fn rank(flag: crate::classify::risk::Risk) -> u8 {
    use crate::classify::risk::Risk;
    match flag {
        Risk::BankChange => 0,
        Risk::LookalikeDomain => 1,
        Risk::ReplyToMismatch => 2,
        Risk::AuthFail => 3,
        Risk::UnknownSender => 4,
    }
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
    let mut out = Vec::new();
    if !s.risk.is_empty() && !s.is_alarm() {
        // A stranger that asks for no money: a note, not the fraud alarm.
        for flag in &s.risk {
            out.push(Line::styled(
                strings::quiet_note(strings::risk_words(*flag)),
                theme.warn(),
            ));
        }
    }
    out.push(field("From", clean(&o.from).into_owned(), theme));
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
    let kind = match (s.kind, s.stage) {
        (Some(Kind::Chaser), Some(stage)) => format!("{} chaser", stage.as_str()),
        (Some(Kind::Chaser), None) => "chaser".into(),
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
            // Under an alarm a match is no comfort: an impostor copies the real invoice.
            let (style, but) = if s.is_alarm() {
                (theme.danger(), strings::CHECK_UNDER_ALARM)
            } else {
                (theme.badge(Some(m)), "")
            };
            out.push(Line::from(vec![
                Span::styled(format!("{:<9}", "Check"), theme.header()),
                Span::styled(format!("{}{but}", strings::match_words(m)), style),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::risk::{FraudReason, Risk};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn screen(m: &MessageState, w: u16, h: u16) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        t.draw(|f| draw(f, f.area(), m, today, Theme { color: false }))
            .unwrap();
        let buf = t.backend().buffer();
        (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
            .collect()
    }

    /// A look-alike sender with many warnings, the decisive one (other bank details) last
    /// as the classifier wrote them.
    fn flagged() -> MessageState {
        let mut o = Opened::default();
        o.detail.summary.kind = Some(Kind::Chaser);
        o.detail.summary.risk = vec![Risk::BankChange, Risk::LookalikeDomain, Risk::UnknownSender];
        for i in 0..6 {
            o.detail.fraud_reasons.push(FraudReason {
                risk: Risk::UnknownSender,
                detail: format!(
                    "unknown sender reason number {i} that takes a whole line of the banner"
                ),
            });
        }
        o.detail.fraud_reasons.push(FraudReason {
            risk: Risk::BankChange,
            detail: "asks for payment to IBAN GB16 MYMB 2305 8011 2479 61".into(),
        });
        MessageState {
            id: 1,
            opened: Some(Box::new(o)),
            scroll: 0,
            max_scroll: u16::MAX,
        }
    }

    #[test]
    fn the_banner_puts_the_bank_warning_first_and_says_when_more_follow() {
        let mut m = flagged();
        let first = screen(&m, 60, 12);
        assert!(first.contains("IBAN GB16"), "{first}");
        assert!(first.contains("more row(s) of warnings"), "{first}");
        // Scrolling shows the rest of the banner, then the hint goes.
        m.scroll = 20;
        let end = screen(&m, 60, 12);
        assert!(end.contains("Call the vendor"), "{end}");
        assert!(!end.contains("more row(s)"), "{end}");
    }

    #[test]
    fn a_stranger_asking_for_nothing_is_a_note_not_an_alarm() {
        let mut m = flagged();
        let o = m.opened.as_mut().unwrap();
        o.detail.summary.kind = Some(Kind::Other);
        o.detail.summary.risk = vec![Risk::UnknownSender];
        o.detail.fraud_reasons.clear();
        let s = screen(&m, 80, 12);
        assert!(!s.contains("POSSIBLE FRAUD"), "{s}");
        assert!(
            s.contains("Note: the sender is not one of our vendors"),
            "{s}"
        );
    }
}
