//! The message list: date, vendor, subject, invoice, amount, due date, validation badge and
//! fraud marker, in columns that keep their place whatever the text (each cell is drawn into
//! its own width, so a wide character or an emoji cannot push the next column). Narrow
//! terminals drop the less important columns first.

use super::style::Theme;
use super::text::{self, clean, fit};
use crate::store::Summary;
use crate::tui::replies::SentReply;
use crate::tui::state::{Focus, FolderKind, MailboxState};
use crate::tui::strings;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::Frame;

/// A column: header, width, whether right-aligned. Subject takes what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Marks,
    Date,
    Vendor,
    Subject,
    Invoice,
    Amount,
    Due,
    Badge,
}

impl Col {
    fn header(self) -> &'static str {
        match self {
            Col::Marks => "",
            Col::Date => "Date",
            Col::Vendor => "Vendor",
            Col::Subject => "Subject",
            Col::Invoice => "Invoice",
            Col::Amount => "Amount",
            Col::Due => "Due",
            Col::Badge => "Check",
        }
    }
}

/// The columns that fit in `width`, with their widths, left to right.
pub fn columns(width: u16) -> Vec<(Col, u16)> {
    let width = usize::from(width);
    let fixed = [
        (Col::Marks, 2usize, 0u8),
        (Col::Date, 6, 3),
        (Col::Vendor, 14, 2),
        (Col::Invoice, 12, 4),
        (Col::Amount, 12, 1),
        (Col::Due, 6, 5),
        (Col::Badge, 8, 0),
    ];
    let min_subject = 16;
    // Drop columns, least important (highest rank) first, until the subject has room.
    let mut keep: Vec<(Col, usize, u8)> = fixed.to_vec();
    let used = |k: &[(Col, usize, u8)]| k.iter().map(|(_, w, _)| w + 1).sum::<usize>();
    while used(&keep) + min_subject > width {
        let Some(worst) = keep
            .iter()
            .enumerate()
            .filter(|(_, c)| c.2 > 0)
            .max_by_key(|(_, c)| c.2)
            .map(|(i, _)| i)
        else {
            break;
        };
        keep.remove(worst);
    }
    let subject = width.saturating_sub(used(&keep)).max(1);
    let mut out: Vec<(Col, u16)> = Vec::new();
    for (c, w, _) in &keep {
        out.push((*c, *w as u16));
        if *c == Col::Vendor || (*c == Col::Date && !keep.iter().any(|k| k.0 == Col::Vendor)) {
            out.push((Col::Subject, subject as u16));
        }
    }
    if !out.iter().any(|(c, _)| *c == Col::Subject) {
        out.insert(1.min(out.len()), (Col::Subject, subject as u16));
    }
    out
}

fn cell(buf: &mut Buffer, x: u16, y: u16, w: u16, s: &str, right: bool, style: Style) {
    let w_us = usize::from(w);
    let s = fit(s, w_us);
    let pad = w_us.saturating_sub(text::width(&s));
    let shown = if right {
        format!("{}{s}", " ".repeat(pad))
    } else {
        format!("{s}{}", " ".repeat(pad))
    };
    buf.set_stringn(x, y, shown, w_us, style);
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, mailbox: &MailboxState, theme: Theme) {
    if area.width < 4 || area.height < 1 {
        return;
    }
    let list = &mailbox.list;
    let cols = columns(area.width);
    let buf = frame.buffer_mut();
    let mut x = area.x;
    for (c, w) in &cols {
        cell(
            buf,
            x,
            area.y,
            *w,
            c.header(),
            *c == Col::Amount,
            theme.header(),
        );
        x += w + 1;
    }
    let rows = usize::from(area.height - 1);
    let first_y = area.y + 1;
    if list.is_empty() {
        let words = if list.loading {
            strings::LOADING
        } else if list.filter.is_some() {
            strings::EMPTY_FILTER
        } else {
            strings::EMPTY_FOLDER
        };
        if area.height > 1 {
            buf.set_stringn(
                area.x + 1,
                first_y,
                words,
                usize::from(area.width - 1),
                theme.dim(),
            );
        }
        return;
    }
    for i in 0..rows {
        let at = list.top + i;
        if at >= list.len() {
            break;
        }
        let y = first_y + i as u16;
        let selected = at == list.selected;
        let row_style = if selected {
            if mailbox.focus == Focus::List {
                theme.selected()
            } else {
                theme.selected_idle()
            }
        } else {
            Style::new()
        };
        buf.set_stringn(
            area.x,
            y,
            " ".repeat(usize::from(area.width)),
            usize::from(area.width),
            row_style,
        );
        if list.kind == Some(FolderKind::Sent) {
            if let Some(s) = list.sent.get(at) {
                draw_sent(buf, area.x, y, &cols, s, row_style, theme);
            }
            continue;
        }
        match list.row(at) {
            Some(r) => {
                draw_row(buf, area.x, y, &cols, r, row_style, selected, theme);
                // A row marked for a batch (or in the range being marked with V): its first
                // cell, unless a fraud mark is there.
                let in_range = list.range_from.is_some_and(|from| {
                    (from.min(list.selected)..=from.max(list.selected)).contains(&at)
                });
                if (in_range || list.is_marked(r.id)) && r.risk.is_empty() {
                    buf.set_stringn(
                        area.x,
                        y,
                        strings::MARKED,
                        1,
                        row_style.patch(theme.header()),
                    );
                }
                if let Some(me) = &mailbox.clerk {
                    // Another clerk is answering it: marked where unread/answered is.
                    if crate::team::marks::held_by_other(r.flags.split_whitespace(), Some(me))
                        .is_some()
                    {
                        cell(
                            buf,
                            area.x + 1,
                            y,
                            1,
                            strings::CLAIMED_MARK,
                            false,
                            row_style.patch(theme.warn()),
                        );
                    }
                }
            }
            None => {
                buf.set_stringn(
                    area.x + 2,
                    y,
                    strings::LOADING,
                    usize::from(area.width - 2),
                    theme.dim(),
                );
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_row(
    buf: &mut Buffer,
    mut x: u16,
    y: u16,
    cols: &[(Col, u16)],
    r: &Summary,
    base: Style,
    selected: bool,
    theme: Theme,
) {
    let unread = !r.has_flag("\\Seen");
    let answered = r.has_flag("\\Answered");
    let text_style = if unread {
        base.patch(theme.unread())
    } else {
        base
    };
    for (c, w) in cols {
        match c {
            Col::Marks => {
                let fraud = !r.risk.is_empty();
                let mark = if fraud { strings::FRAUD_MARK } else { " " };
                cell(
                    buf,
                    x,
                    y,
                    1,
                    mark,
                    false,
                    if selected {
                        base
                    } else {
                        base.patch(theme.danger())
                    },
                );
                let second = if unread {
                    strings::UNREAD_MARK
                } else if answered {
                    "↩"
                } else {
                    " "
                };
                cell(buf, x + 1, y, 1, second, false, text_style);
            }
            Col::Date => cell(
                buf,
                x,
                y,
                *w,
                &text::short_date(r.sent_at.as_deref()),
                false,
                text_style,
            ),
            Col::Vendor => {
                let who = r.vendor.as_deref().or(r.from_addr.as_deref()).unwrap_or("");
                cell(buf, x, y, *w, &clean(who), false, text_style);
            }
            Col::Subject => {
                let subject = if r.unparsable {
                    "(unreadable message)"
                } else {
                    &r.subject
                };
                cell(buf, x, y, *w, &clean(subject), false, text_style);
            }
            Col::Invoice => {
                let inv = match r.invoices.len() {
                    0 => String::new(),
                    1 => r.invoices[0].clone(),
                    n => format!("{} +{}", r.invoices[0], n - 1),
                };
                cell(buf, x, y, *w, &clean(&inv), false, text_style);
            }
            Col::Amount => cell(
                buf,
                x,
                y,
                *w,
                &text::money(r.amount, r.currency.as_deref()),
                true,
                text_style,
            ),
            Col::Due => cell(
                buf,
                x,
                y,
                *w,
                &text::short_day(r.due_date.as_deref()),
                false,
                text_style,
            ),
            Col::Badge => {
                let (words, style) = theme.check_badge(r);
                let style = if selected { base } else { base.patch(style) };
                cell(buf, x, y, *w, words, false, style);
            }
        }
        x += w + 1;
    }
}

fn draw_sent(
    buf: &mut Buffer,
    x0: u16,
    y: u16,
    cols: &[(Col, u16)],
    s: &SentReply,
    base: Style,
    theme: Theme,
) {
    // The outbox has no claim columns: the subject takes their room, the status ends the row.
    let width = cols.iter().map(|(_, w)| w + 1).sum::<u16>();
    let col = |c: Col| cols.iter().find(|(k, _)| *k == c).map_or(0, |(_, w)| *w);
    let (date_w, to_w) = (col(Col::Date), col(Col::Vendor));
    let status = clean(&s.status).into_owned();
    let status_w = (text::width(&status) as u16).min(width / 3);
    let mut x = x0 + 3;
    if date_w > 0 {
        cell(
            buf,
            x,
            y,
            date_w,
            &text::short_date(Some(&s.at)),
            false,
            base,
        );
        x += date_w + 1;
    }
    if to_w > 0 {
        cell(buf, x, y, to_w, &clean(&s.to), false, base);
        x += to_w + 1;
    }
    let subject_w = (x0 + width).saturating_sub(x + status_w + 2);
    cell(buf, x, y, subject_w, &clean(&s.subject), false, base);
    let style = if s.status == strings::SENT_DEMO_LABEL {
        base.patch(theme.warn())
    } else {
        base
    };
    cell(buf, x + subject_w + 1, y, status_w, &status, false, style);
}
