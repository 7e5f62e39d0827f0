//! Marking rows (space, a range with V) and acknowledging the marked chasers in one go:
//! one combined preview, then one send per chaser through the reply worker, so each keeps
//! the send service's exactly-once rules. Fraud-flagged, unanswerable or already answered
//! rows are never in a batch; the preview says which were left out and why. No I/O here.

use crate::tui::effect::Effect;
use crate::tui::replies::NotSent;
use crate::tui::state::*;
use crate::tui::strings;

/// space: marks or unmarks the row under the cursor, then moves down.
pub(super) fn mark(app: &mut App) -> Vec<Effect> {
    let list = &mut app.mailbox.list;
    let Some(row) = list.selected_row().cloned() else {
        app.status.error = Some(strings::NO_MESSAGE.into());
        return Vec::new();
    };
    match list.marked.iter().position(|m| m.id == row.id) {
        Some(at) => {
            list.marked.remove(at);
        }
        None => list.marked.push(row),
    }
    list.selected = (list.selected + 1).min(list.len().saturating_sub(1));
    app.status.note = Some(strings::marked(list.marked.len()));
    let rows = app.list_rows();
    let list = &mut app.mailbox.list;
    super::mailbox::scroll_into_view(list, rows);
    super::mailbox::ensure_loaded(list, rows)
        .into_iter()
        .collect()
}

/// V: starts a range at the cursor; V again marks every row from there to the cursor.
pub(super) fn mark_range(app: &mut App) -> Vec<Effect> {
    let list = &mut app.mailbox.list;
    if list.selected_row().is_none() {
        app.status.error = Some(strings::NO_MESSAGE.into());
        return Vec::new();
    }
    match list.range_from.take() {
        None => {
            list.range_from = Some(list.selected);
            app.status.note = Some(strings::RANGE_STARTED.into());
        }
        Some(from) => {
            let (lo, hi) = (from.min(list.selected), from.max(list.selected));
            for at in lo..=hi {
                if let Some(r) = list.row(at).cloned() {
                    if !list.is_marked(r.id) {
                        list.marked.push(r);
                    }
                }
            }
            app.status.note = Some(strings::marked(list.marked.len()));
        }
    }
    Vec::new()
}

/// Why a marked row is not acknowledged with the others, if it is not.
fn left_out(r: &crate::store::Summary) -> Option<&'static str> {
    if !r.risk.is_empty() {
        Some(strings::BATCH_FRAUD)
    } else if !r.is_chaser() {
        Some(strings::BATCH_NOT_CHASER)
    } else if r.has_flag("\\Answered") {
        Some(strings::BATCH_ANSWERED)
    } else {
        None
    }
}

/// `a` with rows marked: the combined preview of acknowledging them.
pub(super) fn start(app: &mut App, template: &str) -> Vec<Effect> {
    let marked = std::mem::take(&mut app.mailbox.list.marked);
    let mut batch = BatchState {
        template: template.to_string(),
        ..BatchState::default()
    };
    for r in marked {
        match left_out(&r) {
            Some(why) => batch.left_out.push((r, why)),
            None => batch.items.push(BatchItem {
                summary: r,
                preview: None,
                outcome: None,
            }),
        }
    }
    let messages: Vec<i64> = batch.items.iter().map(|i| i.summary.id).collect();
    batch.preparing = !messages.is_empty();
    app.stack.push(Screen::Batch(batch));
    if messages.is_empty() {
        return Vec::new();
    }
    app.status.busy = Some(strings::PREPARING);
    vec![Effect::PrepareBatch {
        messages,
        template: template.to_string(),
    }]
}

/// The previews came.
pub(super) fn prepared(
    app: &mut App,
    results: Vec<(
        i64,
        Result<crate::tui::replies::ReplyPreview, crate::tui::error::UiError>,
    )>,
) {
    app.status.busy = None;
    let Some(Screen::Batch(b)) = app.top_mut() else {
        return;
    };
    b.preparing = false;
    for (message, result) in results {
        if let Some(item) = b.items.iter_mut().find(|i| i.summary.id == message) {
            item.preview = Some(result);
        }
    }
}

/// Keys on the combined preview.
pub(super) fn key(app: &mut App, action: crate::tui::keymap::Action) -> Vec<Effect> {
    use crate::tui::keymap::Action;
    let page = app.list_rows().max(1) as u16;
    let Some(Screen::Batch(b)) = app.stack.last_mut() else {
        return Vec::new();
    };
    match action {
        a if super::screens::scroll(&mut b.scroll, a, page) => {}
        Action::Back => {
            let sent = b.items.iter().any(|i| i.outcome.is_some());
            app.stack.pop();
            if !sent {
                app.status.note = Some(strings::BATCH_DISCARDED.into());
            }
        }
        Action::EditReply => app.status.error = Some(strings::BATCH_NO_EDIT.into()),
        Action::Send if b.sending || b.preparing => {}
        Action::Send => {
            let ready: Vec<_> = b
                .items
                .iter()
                .filter(|i| i.outcome.is_none())
                .filter_map(|i| i.ready().cloned())
                .collect();
            if ready.is_empty() {
                app.status.error = Some(strings::BATCH_NOTHING.into());
                return Vec::new();
            }
            b.sending = true;
            app.status.busy = Some(strings::SENDING);
            return ready.into_iter().map(Effect::SendReply).collect();
        }
        _ => {}
    }
    Vec::new()
}

/// One reply of the batch was sent, or not: true when it was the batch's.
pub(super) fn sent(app: &mut App, message: i64, result: &Result<String, NotSent>) -> bool {
    let Some(Screen::Batch(b)) = app.top_mut() else {
        return false;
    };
    let Some(item) = b.items.iter_mut().find(|i| i.summary.id == message) else {
        return false;
    };
    // In a batch there is no "send another anyway": that is decided one at a time.
    item.outcome = Some(match result {
        Ok(words) => BatchOutcome::Sent(words.clone()),
        Err(why) => BatchOutcome::NotSent(why.clone()),
    });
    let waiting = b
        .items
        .iter()
        .any(|i| i.ready().is_some() && i.outcome.is_none());
    if !waiting {
        b.sending = false;
        let done = b
            .items
            .iter()
            .filter(|i| i.outcome.as_ref().is_some_and(BatchOutcome::is_sent))
            .count();
        let failed = b
            .items
            .iter()
            .filter(|i| i.outcome.as_ref().is_some_and(|o| !o.is_sent()))
            .count();
        app.status.busy = None;
        app.status.note = Some(strings::batch_done(done, failed));
    }
    true
}
