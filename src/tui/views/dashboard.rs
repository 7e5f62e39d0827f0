//! The dashboard: chasers waiting for an answer and the oldest wait (answer promptly), what
//! is chased by how long past due as bars ("not yet due" apart) with the total outstanding
//! per currency, and how many claims matched our records. A selected row leads somewhere
//! (Enter): the oldest unanswered chaser, a bucket's claims to pick from, the payables due.

use super::style::Theme;
use crate::payables::validate::MatchStatus;
use crate::store::{Bucket, Dashboard};
use crate::tui::state::{DashTarget, DashboardState};
use crate::tui::strings;
use chrono::NaiveDate;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// The label of a bucket, as wide as the others.
fn bucket_label(b: Bucket) -> &'static str {
    match b {
        Bucket::NotYetDue => "not yet due",
        Bucket::Days1To30 => "1–30 days  ",
        Bucket::Days31To60 => "31–60 days ",
        Bucket::Days61To90 => "61–90 days ",
        Bucket::Over90 => "90+ days   ",
        Bucket::NoDueDate => "no due date",
    }
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, s: &DashboardState, today: NaiveDate, theme: Theme) {
    let Some(d) = &s.data else {
        frame.render_widget(Paragraph::new(strings::LOADING).style(theme.dim()), area);
        return;
    };
    let rows = lines(d, today, area.width, theme);
    // The selected row is marked and kept on screen; the rest scrolls with it.
    let mut at = None;
    let mut n = 0;
    let shown: Vec<Line<'static>> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (line, target))| match target {
            Some(_) if n == s.selected => {
                n += 1;
                at = Some(i);
                line.patch_style(theme.selected())
            }
            Some(_) => {
                n += 1;
                line
            }
            None => line,
        })
        .collect();
    let total = shown.len() as u16;
    let height = area.height.max(1);
    let scroll = at
        .map_or(0, |i| (i as u16 + 2).saturating_sub(height))
        .min(total.saturating_sub(height));
    frame.render_widget(Paragraph::new(shown).scroll((scroll, 0)), area);
}

/// Where Enter on each row leads, in the order of the rows.
pub fn targets(d: &Dashboard, today: NaiveDate) -> Vec<DashTarget> {
    lines(d, today, 80, Theme { color: false })
        .into_iter()
        .filter_map(|(_, t)| t)
        .collect()
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

fn lines(
    d: &Dashboard,
    today: NaiveDate,
    width: u16,
    theme: Theme,
) -> Vec<(Line<'static>, Option<DashTarget>)> {
    let mut out: Vec<(Line<'static>, Option<DashTarget>)> = Vec::new();
    let text = |out: &mut Vec<(Line<'static>, Option<DashTarget>)>, line: Line<'static>| {
        out.push((line, None))
    };
    text(
        &mut out,
        Line::styled(" Waiting for an answer", theme.header()),
    );
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
    out.push((
        Line::from(vec![
            Span::styled(format!("   {} chasers unanswered", d.waiting), style),
            Span::raw(oldest),
        ]),
        d.oldest_waiting_id.map(DashTarget::Message),
    ));
    text(&mut out, Line::raw(""));
    text(
        &mut out,
        Line::styled(" Chased and not paid, by days past due", theme.header()),
    );
    if d.outstanding.is_empty() {
        text(&mut out, Line::styled("   no chased amounts", theme.dim()));
    }
    // One bar chart per currency (amounts in different currencies do not add up), the
    // bars scaled to that currency's largest bucket.
    let bar_room = usize::from(width).saturating_sub(44).clamp(5, 40);
    for (cur, total, claims) in &d.outstanding {
        let max = d
            .aging
            .iter()
            .filter(|a| &a.currency == cur)
            .map(|a| a.amount)
            .fold(Decimal::ZERO, Decimal::max);
        text(
            &mut out,
            Line::from(vec![
                Span::styled(format!("   {cur}"), theme.header()),
                Span::raw(format!(
                    "  outstanding {} ({claims} claim(s))",
                    amount(*total)
                )),
            ]),
        );
        for b in Bucket::ALL {
            let found = d.aging.iter().find(|a| &a.currency == cur && a.bucket == b);
            if found.is_none() && b == Bucket::NoDueDate {
                continue;
            }
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
            let bar_style =
                if b >= Bucket::Days61To90 && b != Bucket::NoDueDate && v > Decimal::ZERO {
                    theme.danger()
                } else {
                    theme.bar()
                };
            out.push((
                Line::from(vec![
                    Span::raw(format!("   {} ", bucket_label(b))),
                    Span::styled(format!("{:<bar_room$}", "█".repeat(len)), bar_style),
                    Span::raw(format!(" {:>14} ({n})", amount(v))),
                ]),
                found.map(|_| DashTarget::Bucket {
                    currency: cur.clone(),
                    bucket: b,
                }),
            ));
        }
    }
    text(&mut out, Line::raw(""));
    text(
        &mut out,
        Line::styled(" Claims against our records", theme.header()),
    );
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
    text(
        &mut out,
        Line::from(vec![
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
        ]),
    );
    for (s, n) in d.claims.iter().filter(|(s, _)| *s != MatchStatus::Matched) {
        text(
            &mut out,
            Line::raw(format!("     {}: {n}", strings::match_words(*s))),
        );
    }
    text(&mut out, Line::raw(""));
    text(
        &mut out,
        Line::styled(
            format!(
                " To pay or schedule within {} days",
                crate::store::DUE_WINDOW_DAYS
            ),
            theme.header(),
        ),
    );
    if d.falling_due.is_empty() {
        text(&mut out, Line::styled("   nothing falls due", theme.good()));
    }
    for (currency, total, n) in &d.falling_due {
        out.push((
            Line::styled(
                format!("   {n} payable(s), {} {currency}", amount(*total)),
                theme.warn(),
            ),
            Some(DashTarget::Payables(Some(crate::payables::Status::Open))),
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
