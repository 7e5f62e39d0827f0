//! The message lists (a folder, "To answer", all folders, a search): marks, date, vendor,
//! subject, invoice, amount, days late, stage, check and folder, in columns that keep their
//! place whatever the text (each cell is drawn into its own width, so a wide character or an
//! emoji cannot push the next column). The columns that decide — vendor, invoice, amount,
//! days late, check — always stay; narrow terminals give up the folder, stage, date and
//! then the subject.

use super::style::Theme;
use super::text::{self, clean, fit};
use crate::store::Summary;
use crate::tui::replies::{Delivery, SentReply};
use crate::tui::state::{App, Focus, FolderKind, Zone};
use crate::tui::strings;
use chrono::NaiveDate;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::Frame;

/// A column. Subject takes what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Marks,
    Date,
    Vendor,
    Subject,
    Invoice,
    Amount,
    Late,
    Stage,
    Badge,
    Folder,
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
            Col::Late => "Late",
            Col::Stage => "Stage",
            Col::Badge => "Check",
            Col::Folder => "Folder",
        }
    }
}

/// How the list's rows look, for [`columns`]: whether they come from several folders,
/// whether a date on screen needs its year, and whether any row on screen claims something
/// (an invoice, an amount, a due date): without claims, the claim columns give their room
/// to the date and the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub across: bool,
    /// Ordered by urgency (To answer): the stage before the date and the folder.
    pub urgent: bool,
    pub years: bool,
    pub claims: bool,
}

impl Default for Shape {
    fn default() -> Shape {
        Shape {
            across: false,
            urgent: false,
            years: false,
            claims: true,
        }
    }
}

/// The narrowest subject worth showing; a narrower one gives its room to the vendor.
const MIN_SUBJECT: usize = 8;
/// The subject's room before an optional column is added.
const ROOMY_SUBJECT: usize = 18;

/// The columns that fit in `width`, with their widths, left to right.
pub fn columns(width: u16, shape: Shape) -> Vec<(Col, u16)> {
    let width = usize::from(width);
    let mut keep: Vec<(Col, usize)> = if shape.claims {
        vec![
            (Col::Marks, 3),
            (Col::Vendor, 14),
            (Col::Invoice, 12),
            (Col::Amount, 12),
            (Col::Late, 10),
            (Col::Badge, 8),
        ]
    } else {
        vec![(Col::Marks, 3), (Col::Vendor, 18)]
    };
    let date = (Col::Date, if shape.years { 11 } else { 6 });
    let (stage, folder) = ((Col::Stage, 9), (Col::Folder, 11));
    let optional: Vec<(Col, usize)> = match (shape.claims, shape.urgent, shape.across) {
        (true, true, _) => vec![stage, date, folder],
        (true, false, true) => vec![folder, date, stage],
        (true, false, false) => vec![date, stage],
        (false, _, true) => vec![folder, date],
        (false, _, false) => vec![date],
    };
    let used = |k: &[(Col, usize)]| k.iter().map(|(_, w)| w + 1).sum::<usize>();
    for opt in optional {
        if used(&keep) + opt.1 + 1 + ROOMY_SUBJECT > width {
            break;
        }
        keep.push(opt);
    }
    let left = width.saturating_sub(used(&keep));
    let subject = (left >= MIN_SUBJECT).then_some(left);
    if subject.is_none() {
        // No room for a subject: the vendor takes what is left, or gives what is missing.
        let over = used(&keep).saturating_sub(width);
        if let Some(v) = keep.iter_mut().find(|(c, _)| *c == Col::Vendor) {
            v.1 = (v.1 + left).saturating_sub(over).max(6);
        }
    }
    let order = [
        Col::Marks,
        Col::Date,
        Col::Vendor,
        Col::Subject,
        Col::Invoice,
        Col::Amount,
        Col::Late,
        Col::Stage,
        Col::Badge,
        Col::Folder,
    ];
    order
        .iter()
        .filter_map(|c| match c {
            Col::Subject => subject.map(|w| (Col::Subject, w as u16)),
            c => keep
                .iter()
                .find(|(k, _)| k == c)
                .map(|(k, w)| (*k, *w as u16)),
        })
        .collect()
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

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    if area.width < 4 || area.height < 1 {
        return;
    }
    let mailbox = &app.mailbox;
    let list = &mailbox.list;
    let rows = usize::from(area.height - 1);
    let this_year = |stored: Option<&str>| {
        stored
            .and_then(|s| s.get(..4))
            .is_none_or(|y| y == app.today.format("%Y").to_string())
    };
    let years = (list.top..list.top + rows).any(|at| {
        list.row(at)
            .is_some_and(|r| !this_year(r.sent_at.as_deref()))
    });
    let claims = list.kind != Some(FolderKind::Sent)
        && (list.top..list.top + rows).any(|at| {
            list.row(at).is_some_and(|r| {
                !r.invoices.is_empty() || r.amount.is_some() || r.due_date.is_some()
            })
        });
    let shape = Shape {
        across: list.across_folders(),
        urgent: list
            .query()
            .is_some_and(|q| q.sort() == crate::store::search::Sort::Urgency),
        years,
        claims,
    };
    let cols = columns(area.width, shape);
    let buf = frame.buffer_mut();
    let mut x = area.x;
    for (c, w) in &cols {
        let right = matches!(c, Col::Amount | Col::Late);
        cell(buf, x, area.y, *w, c.header(), right, theme.header());
        x += w + 1;
    }
    let first_y = area.y + 1;
    if list.is_empty() {
        let words = if list.loading {
            strings::LOADING
        } else if list.filter.is_some() {
            strings::EMPTY_FILTER
        } else if list.kind == Some(FolderKind::ToAnswer) {
            strings::EMPTY_TO_ANSWER
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
    let ctx = RowContext {
        today: app.today,
        zone: app.zone,
        theme,
        folders: &mailbox.folders.entries,
    };
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
                draw_sent(buf, area.x, y, &cols, s, row_style, &ctx);
            }
            continue;
        }
        match list.row(at) {
            Some(r) => {
                draw_row(buf, area.x, y, &cols, r, row_style, selected, &ctx);
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
                    if crate::team::marks::is_held_by_other(r.flags.split_whitespace(), Some(me)) {
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

/// What every row is drawn against.
struct RowContext<'a> {
    today: NaiveDate,
    zone: Zone,
    theme: Theme,
    /// The pane's folders, for their labels ("Overdue" for "Chasers/Overdue").
    folders: &'a [crate::tui::state::FolderEntry],
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
    ctx: &RowContext<'_>,
) {
    let theme = ctx.theme;
    let unread = !r.has_flag("\\Seen");
    let answered = r.has_flag("\\Answered");
    let flagged = !r.risk.is_empty();
    let text_style = if unread {
        base.patch(theme.unread())
    } else {
        base
    };
    let accent = |style: Style| if selected { base } else { base.patch(style) };
    for (c, w) in cols {
        match c {
            Col::Marks => {
                let mark = if flagged { strings::FRAUD_MARK } else { " " };
                cell(buf, x, y, 1, mark, false, accent(theme.danger()));
                let second = if answered {
                    strings::ANSWERED_MARK
                } else if unread {
                    strings::UNREAD_MARK
                } else {
                    " "
                };
                cell(buf, x + 1, y, 1, second, false, text_style);
                cell(
                    buf,
                    x + 2,
                    y,
                    1,
                    &strings::thread_mark(r.thread),
                    false,
                    text_style,
                );
            }
            Col::Date => cell(
                buf,
                x,
                y,
                *w,
                &text::list_date(r.sent_at.as_deref(), ctx.today, ctx.zone),
                false,
                text_style,
            ),
            Col::Vendor => cell(buf, x, y, *w, &clean(r.sender()), false, text_style),
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
            Col::Late => {
                let late = text::days_late(r.due_date.as_deref(), ctx.today);
                let style = if late.overdue {
                    accent(theme.warn())
                } else {
                    text_style
                };
                cell(buf, x, y, *w, &late.words, true, style);
            }
            Col::Stage => {
                let stage = r.stage.map(|s| s.as_str()).unwrap_or_default();
                cell(buf, x, y, *w, stage, false, text_style);
            }
            Col::Badge => {
                // A flagged message never shows a reassuring check.
                let (words, style) = if flagged {
                    (strings::FLAGGED_BADGE, theme.danger())
                } else {
                    (strings::badge(r.match_status), theme.badge(r.match_status))
                };
                cell(buf, x, y, *w, words, false, accent(style));
            }
            Col::Folder => {
                let folder = r.folder.as_deref().unwrap_or_default();
                let label = ctx
                    .folders
                    .iter()
                    .find(|e| e.kind == FolderKind::Mail && e.name == folder)
                    .map_or(folder, |e| e.label.as_str());
                cell(buf, x, y, *w, &clean(label), false, text_style);
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
    ctx: &RowContext<'_>,
) {
    let theme = ctx.theme;
    // The outbox has no claim columns: the subject takes their room, the status ends the row.
    let width = cols.iter().map(|(_, w)| w + 1).sum::<u16>();
    let col = |c: Col| cols.iter().find(|(k, _)| *k == c).map_or(0, |(_, w)| *w);
    let (date_w, to_w) = (col(Col::Date), col(Col::Vendor));
    let status = clean(&strings::sent_row_status(&s.status)).into_owned();
    let status_w = (text::width(&status) as u16).min(width / 3);
    let mut x = x0 + 3;
    if date_w > 0 {
        cell(
            buf,
            x,
            y,
            date_w,
            &text::list_date(Some(&s.at), ctx.today, ctx.zone),
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
    let style = if s.status == Delivery::Demo {
        base.patch(theme.warn())
    } else {
        base
    };
    cell(buf, x + subject_w + 1, y, status_w, &status, false, style);
}
