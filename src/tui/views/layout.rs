//! Where each part of the screen goes, as arithmetic on the terminal size, shared by the
//! views (to draw) and `update` (to page by a screenful). No drawing here.

use ratatui::layout::Rect;

/// The folders pane's width: narrower on small terminals so the list keeps its columns.
pub fn folders_width(width: u16) -> u16 {
    match width {
        0..=59 => 0,
        60..=119 => 17,
        _ => 24,
    }
}

/// The title row, the body, and the status row.
pub fn frame(area: Rect) -> (Rect, Rect, Rect) {
    let title = Rect {
        height: area.height.min(1),
        ..area
    };
    let status_y = area.y + area.height.saturating_sub(1);
    let status = Rect {
        y: status_y,
        height: u16::from(area.height >= 2),
        ..area
    };
    let body = Rect {
        y: area.y + title.height,
        height: area.height.saturating_sub(title.height + status.height),
        ..area
    };
    (title, body, status)
}

/// The folders pane and the list inside the body.
pub fn mailbox(body: Rect) -> (Rect, Rect) {
    let w = folders_width(body.width).min(body.width);
    (
        Rect { width: w, ..body },
        Rect {
            x: body.x + w,
            width: body.width - w,
            ..body
        },
    )
}

/// How many message rows the list shows at a terminal size (the list has a header row).
pub fn list_rows((width, height): (u16, u16)) -> usize {
    let (_, body, _) = frame(Rect::new(0, 0, width, height));
    usize::from(body.height.saturating_sub(1))
}

/// A box of at most `w`×`h` centred in `area`.
pub fn centred(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
