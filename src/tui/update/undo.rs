//! `u`: the session's moves and payable changes taken back one at a time, the latest
//! first, in the folder pane's words. An entry leaves the stack only when its undo is done,
//! so a failed undo can be tried again. No I/O here.

use crate::tui::effect::Effect;
use crate::tui::state::*;
use crate::tui::strings;

/// Puts a step on the stack (the oldest fall off past [`UNDO_DEPTH`]).
pub(super) fn push(app: &mut App, step: Undo) {
    app.undo.push(step);
    if app.undo.len() > UNDO_DEPTH {
        app.undo.remove(0);
    }
}

/// Asks for the latest step to be taken back.
pub(super) fn undo(app: &mut App) -> Vec<Effect> {
    if app.status.busy == Some(strings::UNDOING) {
        app.status.busy = Some(strings::UNDOING);
        return Vec::new();
    }
    match app.undo.last().cloned() {
        Some(Undo::Move(m)) => {
            app.status.busy = Some(strings::UNDOING);
            vec![Effect::UndoMove(m)]
        }
        Some(Undo::Payable(done)) => {
            app.status.busy = Some(strings::UNDOING);
            vec![Effect::UndoPayable(done)]
        }
        None => {
            app.status.error = Some(strings::NO_UNDO.into());
            Vec::new()
        }
    }
}

/// A move taken back: off the stack, in words.
pub(super) fn move_undone(app: &mut App, back: &crate::sync::user_move::UserMove) {
    if let Some(at) = app
        .undo
        .iter()
        .rposition(|u| matches!(u, Undo::Move(m) if m.row == back.row))
    {
        app.undo.remove(at);
    }
    app.status.note = Some(strings::moved_back(
        &app.folder_label(&back.to),
        app.undo.len(),
    ));
}

/// A payable change taken back: off the stack, in words.
pub(super) fn payable_undone(app: &mut App, done: &crate::actions::payables::Done) {
    if let Some(at) = app
        .undo
        .iter()
        .rposition(|u| matches!(u, Undo::Payable(d) if d == done))
    {
        app.undo.remove(at);
    }
    app.status.note = Some(strings::payable_undone(done, app.undo.len()));
}
