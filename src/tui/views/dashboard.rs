//! The dashboard: chasers waiting for an answer and the oldest wait (answer promptly), the
//! chased amounts by how long past due as bars, and how many claims matched our records.

use super::style::Theme;
use crate::payables::validate::MatchStatus;
use crate::store::Dashboard;
use crate::tui::state::DashboardState;
use crate::tui::strings;
use chrono::NaiveDate;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

const BUCKETS: [&str; 4] = ["0–30 days ", "31–60 days", "61–90 days", "90+ days  "];

pub fn draw(frame: &mut Frame<'_>, area: Rect, s: &DashboardState, today: NaiveDate, theme: Theme) {
    let Some(d) = &s.data else {
        frame.render_widget(Paragraph::new(strings::LOADING).style(theme.dim()), area);
        return;
    };
    frame.render_widget(Paragraph::new(lines(d, today, area.width, theme)), area);
}

/// Thousands separated with a thin comma, two decimals.
fn amount(v: Decimal) -> String {
    // Rounded to cents as money is shown, half away from zero.
    let cents = v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let whole = cents.trunc().abs().to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let fraction = (cents.fract().abs() * Decimal::ONE_HUNDRED).trunc();
    format!(
        "{}{grouped}.{:02}",
        if cents.is_sign_negative() && !cents.is_zero() {
            "-"
        } else {
            ""
        },
        fraction
    )
}

fn lines(d: &Dashboard, today: NaiveDate, width: u16, theme: Theme) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled(" Waiting for an answer", theme.header())];
    let oldest = d
        .oldest_waiting
        .as_deref()
        .and_then(|s| NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok())
        .map(|day| {
            let days = (today - day).num_days();
            format!(" · oldest since {day} ({days} days)")
        })
        .unwrap_or_default();
    let style = if d.waiting > 0 {
        theme.warn()
    } else {
        theme.good()
    };
    out.push(Line::from(vec![
        Span::styled(format!("   {} chasers unanswered", d.waiting), style),
        Span::raw(oldest),
    ]));
    out.push(Line::raw(""));
    out.push(Line::styled(
        " Chased amounts by days past due",
        theme.header(),
    ));
    let currencies: Vec<String> = {
        let mut c: Vec<String> = d.aging.iter().map(|a| a.currency.clone()).collect();
        c.sort();
        c.dedup();
        c
    };
    if currencies.is_empty() {
        out.push(Line::styled("   no chased amounts", theme.dim()));
    }
    // One bar chart per currency (amounts in different currencies do not add up), the
    // bars scaled to that currency's largest bucket.
    let bar_room = usize::from(width).saturating_sub(40).clamp(5, 40);
    for cur in currencies.iter().take(4) {
        let max = d
            .aging
            .iter()
            .filter(|a| &a.currency == cur)
            .map(|a| a.amount)
            .fold(Decimal::ZERO, Decimal::max);
        out.push(Line::styled(format!("   {cur}"), theme.header()));
        for (b, label) in BUCKETS.iter().enumerate() {
            let found = d.aging.iter().find(|a| &a.currency == cur && a.bucket == b);
            let (v, n) = found.map_or((Decimal::ZERO, 0), |a| (a.amount, a.claims));
            // Only the bar's length is a ratio; the figure beside it stays exact.
            let len = if max > Decimal::ZERO {
                ((v / max) * Decimal::from(bar_room))
                    .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
                    .to_usize()
                    .unwrap_or(0)
            } else {
                0
            };
            let len = if v > Decimal::ZERO { len.max(1) } else { 0 };
            let bar_style = if b >= 2 && v > Decimal::ZERO {
                theme.danger()
            } else {
                theme.bar()
            };
            out.push(Line::from(vec![
                Span::raw(format!("   {label} ")),
                Span::styled(format!("{:<bar_room$}", "█".repeat(len)), bar_style),
                Span::raw(format!(" {:>14} ({n})", amount(v))),
            ]));
        }
    }
    if currencies.len() > 4 {
        out.push(Line::styled(
            format!("   and {} more currencies", currencies.len() - 4),
            theme.dim(),
        ));
    }
    out.push(Line::raw(""));
    out.push(Line::styled(" Claims against our records", theme.header()));
    let matched: u64 = d
        .claims
        .iter()
        .filter(|(s, _)| *s == MatchStatus::Matched)
        .map(|(_, n)| n)
        .sum();
    let other: u64 = d
        .claims
        .iter()
        .filter(|(s, _)| *s != MatchStatus::Matched)
        .map(|(_, n)| n)
        .sum();
    out.push(Line::from(vec![
        Span::styled(format!("   {matched} matched"), theme.good()),
        Span::raw(" · "),
        Span::styled(
            format!("{other} mismatched"),
            if other > 0 {
                theme.danger()
            } else {
                theme.good()
            },
        ),
    ]));
    let detail: Vec<String> = d
        .claims
        .iter()
        .filter(|(s, _)| *s != MatchStatus::Matched)
        .map(|(s, n)| format!("{}: {n}", strings::match_words(*s)))
        .collect();
    if !detail.is_empty() {
        out.push(Line::raw(format!("   {}", detail.join(" · "))));
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        format!(
            " To pay or schedule within {} days",
            crate::store::DUE_WINDOW_DAYS
        ),
        theme.header(),
    ));
    if d.falling_due.is_empty() {
        out.push(Line::styled("   nothing falls due", theme.good()));
    }
    for (currency, total, n) in &d.falling_due {
        out.push(Line::styled(
            format!("   {n} payable(s), {total} {currency}"),
            theme.warn(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_shown_exactly_to_the_cent() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(amount(d("0.10") + d("0.20")), "0.30");
        assert_eq!(amount(d("90071992547409.94")), "90,071,992,547,409.94");
        assert_eq!(amount(d("1234.005")), "1,234.01");
        assert_eq!(amount(d("-5.5")), "-5.50");
        assert_eq!(amount(Decimal::ZERO), "0.00");
    }
}
