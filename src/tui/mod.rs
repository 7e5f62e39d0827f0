//! The terminal UI (ratatui + crossterm), Elm-style: `state` holds plain data per screen,
//! `update` turns a `Msg` into state changes and `Effect`s without any I/O, `views` draw from
//! the state, the `runner` performs effects, and the `worker` threads own the network, the
//! sending and the writes. `run` wires them to the real terminal; `harness` to a test one.

pub mod effect;
pub mod error;
pub mod harness;
pub mod keymap;
pub mod msg;
pub mod outbox_replies;
pub mod replies;
pub mod runner;
pub mod state;
pub mod strings;
pub mod strings_actions;
pub mod terminal;
pub mod update;
pub mod views;
pub mod worker;
pub mod writer;

use error::UiError;
use msg::Msg;
use ratatui::crossterm::event::{self, Event};
use runner::Runner;
use state::App;
use std::collections::VecDeque;
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// How long to wait for a key before looking at the workers' messages again.
const POLL: Duration = Duration::from_millis(25);

/// Feeds messages to `update` and their effects to the runner until both are quiet.
pub fn dispatch(
    app: &mut App,
    runner: &mut Runner,
    term: &mut dyn runner::Suspend,
    first: Vec<Msg>,
) {
    let mut queue: VecDeque<Msg> = first.into();
    while let Some(msg) = queue.pop_front() {
        let relayout = matches!(msg, Msg::Opened(_) | Msg::Resize(..));
        for effect in update::update(app, msg) {
            queue.extend(runner.perform(effect, term));
        }
        if relayout {
            queue.extend(scroll_limit(app));
        }
    }
}

/// The open message's scroll limit, from the view's layout: worked out here rather than in
/// `update`, which never calls into a view.
fn scroll_limit(app: &App) -> Option<Msg> {
    match app.top() {
        Some(state::Screen::Message(m)) => m.opened.as_ref().map(|o| Msg::ScrollLimit {
            message: m.id,
            max: views::message::max_scroll(o, app.today, app.size),
        }),
        _ => None,
    }
}

/// Runs the UI on the real terminal until the user quits. The terminal is restored however
/// this returns (and on panic).
pub fn run(mut app: App, mut runner: Runner, events: Receiver<Msg>) -> Result<(), UiError> {
    let term_error = |what: &'static str| move |e: std::io::Error| UiError::new(what, e);
    let mut term = terminal::Term::enter().map_err(|e| {
        UiError::new(
            "cannot set up the terminal",
            format!("{e}; run duebox in a terminal (not a pipe)"),
        )
    })?;
    let size = term
        .inner
        .size()
        .map_err(term_error("cannot read the terminal's size"))?;
    app.size = (size.width, size.height);
    let mut first = Vec::new();
    for effect in update::init(&mut app) {
        first.extend(runner.perform(effect, &mut term));
    }
    dispatch(&mut app, &mut runner, &mut term, first);
    loop {
        term.inner
            .draw(|f| views::draw(f, &app))
            .map_err(term_error("cannot draw on the terminal"))?;
        if app.quit {
            return Ok(());
        }
        // A panic on purpose, for the test that a crash gives the terminal back.
        if std::env::var("DUEBOX_FAILPOINT").is_ok_and(|v| v == "ui-panic") {
            panic!("failpoint ui-panic");
        }
        let mut batch = Vec::new();
        while batch.is_empty() {
            // Keys first and all that are waiting, so holding a key down costs one frame per
            // batch, not per repeat.
            while event::poll(if batch.is_empty() {
                POLL
            } else {
                Duration::ZERO
            })
            .map_err(term_error("cannot read the keyboard"))?
            {
                match event::read().map_err(term_error("cannot read the keyboard"))? {
                    Event::Key(k) => batch.push(Msg::Key(k)),
                    Event::Resize(w, h) => batch.push(Msg::Resize(w, h)),
                    _ => {}
                }
                if batch.len() > 64 {
                    break;
                }
            }
            batch.extend(events.try_iter());
        }
        dispatch(&mut app, &mut runner, &mut term, batch);
    }
}
