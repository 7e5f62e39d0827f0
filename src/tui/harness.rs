//! The UI driven without a terminal: the same `update`, runner and workers, drawn on
//! ratatui's `TestBackend`. For the tests (snapshots, key sequences) and the benchmark.

use super::error::UiError;
use super::keymap::Key;
use super::msg::Msg;
use super::runner::{Runner, Suspend};
use super::state::App;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// Runs "the editor" in place, with no terminal to give away.
pub struct NoTerminal;

impl Suspend for NoTerminal {
    fn suspend(&mut self, run: &mut dyn FnMut() -> Result<(), UiError>) -> Result<(), UiError> {
        run()
    }
}

/// The key messages for keys written as the config writes them ("a", "enter", "P",
/// "ctrl-f"), separated by spaces; panics on a key the keymap cannot read (a test's typo).
pub fn key_msgs(keys: &str) -> Vec<Msg> {
    keys.split(' ')
        .filter(|k| !k.is_empty())
        .map(|k| {
            let key = Key::parse(k).unwrap_or_else(|e| panic!("{e}"));
            let mut mods = KeyModifiers::NONE;
            if key.ctrl {
                mods |= KeyModifiers::CONTROL;
            }
            if key.alt {
                mods |= KeyModifiers::ALT;
            }
            if matches!(key.code, KeyCode::Char(c) if c.is_ascii_uppercase()) {
                mods |= KeyModifiers::SHIFT;
            }
            Msg::Key(KeyEvent::new(key.code, mods))
        })
        .collect()
}

/// Presses keys on the pure `update` alone (no runner, workers or screen): the effects
/// it asks for, in order.
pub fn press(app: &mut App, keys: &str) -> Vec<super::effect::Effect> {
    let mut effects = Vec::new();
    for msg in key_msgs(keys) {
        effects.extend(super::update::update(app, msg));
    }
    effects
}

pub struct Harness {
    pub app: App,
    pub runner: Runner,
    pub events: Receiver<Msg>,
    pub terminal: Terminal<TestBackend>,
}

impl Harness {
    /// Starts the UI at `width`×`height` and draws the first frame.
    pub fn new(
        mut app: App,
        mut runner: Runner,
        events: Receiver<Msg>,
        width: u16,
        height: u16,
    ) -> Harness {
        app.size = (width, height);
        let mut first = Vec::new();
        for effect in super::update::init(&mut app) {
            first.extend(runner.perform(effect, &mut NoTerminal));
        }
        super::dispatch(&mut app, &mut runner, &mut NoTerminal, first);
        let terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
        let mut h = Harness {
            app,
            runner,
            events,
            terminal,
        };
        h.draw();
        h
    }

    pub fn dispatch(&mut self, msgs: Vec<Msg>) {
        super::dispatch(&mut self.app, &mut self.runner, &mut NoTerminal, msgs);
    }

    /// Presses keys written as the config writes them, separated by spaces: "j j enter a",
    /// "/ A c m e enter", "ctrl-c". Draws after each.
    pub fn press(&mut self, keys: &str) {
        for msg in key_msgs(keys) {
            self.dispatch(vec![msg]);
            self.draw();
        }
    }

    /// Types text into a prompt, character by character.
    pub fn type_text(&mut self, text: &str) {
        let keys: Vec<Msg> = text
            .chars()
            .map(|c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)))
            .collect();
        self.dispatch(keys);
        self.draw();
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.terminal.backend_mut().resize(width, height);
        self.dispatch(vec![Msg::Resize(width, height)]);
        self.draw();
    }

    pub fn draw(&mut self) {
        let app = &self.app;
        self.terminal
            .draw(|f| super::views::draw(f, app))
            .expect("drawing on a test terminal");
    }

    /// Takes the workers' messages until `done` holds (true) or `timeout` passes (false).
    pub fn wait_until(&mut self, timeout: Duration, done: impl Fn(&App) -> bool) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if done(&self.app) {
                self.draw();
                return true;
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.draw();
                return false;
            }
            if let Ok(m) = self
                .events
                .recv_timeout(left.min(Duration::from_millis(20)))
            {
                let mut batch = vec![m];
                batch.extend(self.events.try_iter());
                self.dispatch(batch);
            }
        }
    }

    /// Takes the workers' messages until none has come for `quiet`.
    pub fn settle(&mut self, quiet: Duration) {
        while let Ok(m) = self.events.recv_timeout(quiet) {
            let mut batch = vec![m];
            batch.extend(self.events.try_iter());
            self.dispatch(batch);
        }
        self.draw();
    }

    /// The screen as text, one line per row (styles left out).
    pub fn screen(&self) -> String {
        let buf = self.terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            let mut line = String::new();
            let mut skip = 0;
            for x in 0..buf.area.width {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let s = buf[(x, y)].symbol();
                line.push_str(s);
                skip = unicode_width::UnicodeWidthStr::width(s).saturating_sub(1);
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}
