//! The real terminal: raw mode and the alternate screen on entry, and the terminal given
//! back as it was on every way out (normal exit, error, panic), so a crash never leaves the
//! user's shell in raw mode. Also hands the terminal to $EDITOR and takes it back.

use super::error::UiError;
use super::runner::Suspend;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::{cursor, execute, terminal};
use std::io::{stdout, Stdout};
use std::sync::Once;

pub type Backend = CrosstermBackend<Stdout>;

/// The terminal while the UI owns it; dropping it restores the terminal.
pub struct Term {
    pub inner: ratatui::Terminal<Backend>,
}

fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(stdout(), terminal::LeaveAlternateScreen, cursor::Show);
}

fn take_over() -> std::io::Result<()> {
    terminal::enable_raw_mode()?;
    execute!(stdout(), terminal::EnterAlternateScreen, cursor::Hide)
}

static HOOK: Once = Once::new();

impl Term {
    pub fn enter() -> std::io::Result<Term> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                // Restore first, so the panic message lands on a usable screen.
                restore();
                previous(info);
            }));
        });
        if let Err(e) = take_over() {
            restore();
            return Err(e);
        }
        match ratatui::Terminal::new(CrosstermBackend::new(stdout())) {
            Ok(inner) => Ok(Term { inner }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        restore();
    }
}

impl Suspend for Term {
    fn suspend(&mut self, run: &mut dyn FnMut() -> Result<(), UiError>) -> Result<(), UiError> {
        restore();
        let outcome = run();
        take_over()
            .map_err(|e| UiError::new("cannot take the terminal back after the editor", e))?;
        // The editor drew over everything: redraw the whole screen, not a diff.
        let _ = self.inner.clear();
        outcome
    }
}
