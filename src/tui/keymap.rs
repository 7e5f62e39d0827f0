//! Which key does what: the default vim-and-arrows bindings from `strings::ACTIONS`, and the
//! user's overrides from the config's `[keys]` table. A key may mean different things on
//! screens that never show together (`y` sends on the reply preview only), never two things
//! on one screen: overrides that would do that are refused with both names.

use super::strings::ACTIONS;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

/// Something a key can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    NextPane,
    Filter,
    Sort,
    Thread,
    Acknowledge,
    SetExpectations,
    Negotiate,
    ConfirmPayment,
    DisputeAmount,
    Escalate,
    Move,
    Undo,
    SaveAttachments,
    OpenAttachment,
    Mark,
    MarkRange,
    NotAChaser,
    ThisIs,
    Send,
    EditReply,
    Resolve,
    StatusFilter,
    MarkPaid,
    Schedule,
    Payables,
    Dashboard,
    Templates,
    SyncNow,
    Help,
    Quit,
}

/// Where an action applies. Nav and Global apply on every screen; the others on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Nav,
    Global,
    /// The message list and the message view.
    Mail,
    /// The reply preview.
    Reply,
    Payables,
    /// A reply of the outbox, opened from the Sent folder.
    Sent,
}

impl Scope {
    fn overlaps(self, other: Scope) -> bool {
        self == other
            || matches!(self, Scope::Nav | Scope::Global)
            || matches!(other, Scope::Nav | Scope::Global)
    }
}

/// Why the `[keys]` table cannot be used: a mistake in the config, named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error("'{0}' is not a key: write a character (\"a\", \"G\", \"/\"), a name (enter, esc, tab, space, up, down, left, right, pageup, pagedown, home, end, backspace, delete, F1–F24), optionally after ctrl- or alt-")]
    NotAKey(String),
    #[error("[keys] has no action '{name}'; the actions are: {known}")]
    NoSuchAction { name: String, known: String },
    #[error("[keys] {action}: {error}")]
    BadKey {
        action: &'static str,
        error: Box<KeymapError>,
    },
    #[error("[keys]: '{key}' would both {first} and {second}; give one of them another key")]
    Clash {
        key: String,
        first: &'static str,
        second: &'static str,
    },
}

/// A key with its modifiers, as written in the config ("a", "G", "ctrl-r", "F5", "enter").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    /// Reads a key as written in the config.
    pub fn parse(text: &str) -> Result<Key, KeymapError> {
        let mut rest = text.trim();
        let (mut ctrl, mut alt) = (false, false);
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && (lower.starts_with("ctrl-") || lower.starts_with("c-")) {
                ctrl = true;
                rest = &rest[rest.find('-').map_or(0, |i| i + 1)..];
            } else if rest.chars().count() > 1
                && (lower.starts_with("alt-") || lower.starts_with("m-"))
            {
                alt = true;
                rest = &rest[rest.find('-').map_or(0, |i| i + 1)..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" | "shift-tab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            f if f.len() > 1
                && f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=24).contains(&n)) =>
            {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if !c.is_control() => {
                        KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c })
                    }
                    _ => return Err(KeymapError::NotAKey(text.to_string())),
                }
            }
        };
        Ok(Key { code, ctrl, alt })
    }

    /// The key of a terminal event (Shift is part of the character already).
    pub fn of(event: &KeyEvent) -> Key {
        let code = match event.code {
            KeyCode::Char(c) if event.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        Key {
            code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
            alt: event.modifiers.contains(KeyModifiers::ALT),
        }
    }

    /// The key as the help shows it (and the config takes it).
    pub fn shown(&self) -> String {
        let base = match self.code {
            KeyCode::Enter => "enter".to_string(),
            KeyCode::Esc => "esc".into(),
            KeyCode::Tab => "tab".into(),
            KeyCode::BackTab => "backtab".into(),
            KeyCode::Char(' ') => "space".into(),
            KeyCode::Backspace => "backspace".into(),
            KeyCode::Delete => "delete".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "pageup".into(),
            KeyCode::PageDown => "pagedown".into(),
            KeyCode::Home => "home".into(),
            KeyCode::End => "end".into(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Char(c) => c.to_string(),
            _ => "?".into(),
        };
        format!(
            "{}{}{base}",
            if self.ctrl { "ctrl-" } else { "" },
            if self.alt { "alt-" } else { "" }
        )
    }
}

/// The bindings in force.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(Key, Action, Scope)>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::with_overrides(&BTreeMap::new()).expect("the default keys do not clash")
    }
}

impl Keymap {
    /// The defaults, with some actions given other keys: `{"acknowledge": "A",
    /// "sync": "ctrl-r, F5"}` (several keys separated by commas; an override replaces the
    /// action's default keys). Unknown action names, unreadable keys and a key that would do
    /// two things on one screen are errors that say which.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Keymap, KeymapError> {
        for name in overrides.keys() {
            if !ACTIONS.iter().any(|a| a.name == name) {
                let names: Vec<&str> = ACTIONS.iter().map(|a| a.name).collect();
                return Err(KeymapError::NoSuchAction {
                    name: name.clone(),
                    known: names.join(", "),
                });
            }
        }
        let mut bindings = Vec::new();
        for a in ACTIONS {
            match overrides.get(a.name) {
                Some(keys) => {
                    for k in keys.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                        let key = Key::parse(k).map_err(|e| KeymapError::BadKey {
                            action: a.name,
                            error: Box::new(e),
                        })?;
                        bindings.push((key, a.action, a.scope));
                    }
                }
                None => {
                    for k in a.keys {
                        bindings.push((
                            Key::parse(k).expect("default keys parse"),
                            a.action,
                            a.scope,
                        ));
                    }
                }
            }
        }
        for (i, (key, action, scope)) in bindings.iter().enumerate() {
            for (other_key, other, other_scope) in &bindings[i + 1..] {
                if key == other_key && action != other && scope.overlaps(*other_scope) {
                    return Err(KeymapError::Clash {
                        key: key.shown(),
                        first: name_of(*action),
                        second: name_of(*other),
                    });
                }
            }
        }
        Ok(Keymap { bindings })
    }

    /// What the key does on a screen where `scopes` apply (Nav and Global always do).
    pub fn action(&self, event: &KeyEvent, scope: Scope) -> Option<Action> {
        let key = Key::of(event);
        self.bindings
            .iter()
            .find(|(k, _, s)| *k == key && (*s == scope || matches!(s, Scope::Nav | Scope::Global)))
            .map(|(_, a, _)| *a)
    }

    /// A screen's key hint ("?:help  a/e/n/c/d/x:reply"), with the keys in force; an
    /// action left without a key is left out.
    pub fn hint(&self, parts: &[super::strings::Hint]) -> String {
        parts
            .iter()
            .filter_map(|super::strings::Hint(actions, word)| {
                let keys: Vec<String> = actions
                    .iter()
                    .filter_map(|a| self.keys_of(*a).into_iter().next())
                    .collect();
                (!keys.is_empty()).then(|| format!("{}:{word}", keys.join("/")))
            })
            .collect::<Vec<_>>()
            .join("  ")
    }

    /// The keys of an action, as shown in the help ("j ↓").
    pub fn keys_of(&self, action: Action) -> Vec<String> {
        self.bindings
            .iter()
            .filter(|(_, a, _)| *a == action)
            .map(|(k, _, _)| k.shown())
            .collect()
    }
}

/// An action's config name.
pub fn name_of(action: Action) -> &'static str {
    ACTIONS
        .iter()
        .find(|a| a.action == action)
        .map_or("?", |a| a.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_show_the_keys_in_force() {
        use crate::tui::strings::{HINT_DASHBOARD, HINT_MAILBOX, HINT_PAYABLES, HINT_REPLY};
        let default = Keymap::default();
        assert_eq!(
            default.hint(HINT_MAILBOX),
            "?:help  a/e/n/c/d/x:reply  m:move  /:search  O:sort  q:quit"
        );
        assert_eq!(default.hint(HINT_REPLY), "y:send  E:edit  esc:cancel");
        assert_eq!(
            default.hint(HINT_PAYABLES),
            "f:status  /:vendor  P:paid  S:schedule  esc:back"
        );
        assert_eq!(
            default.hint(HINT_DASHBOARD),
            "j/k:select  enter:open  esc:back  s:sync"
        );
        assert_eq!(
            default.hint(crate::tui::strings::HINT_SENT_UNSETTLED),
            "r:settle  j/k:scroll  esc:back"
        );
        let mine = Keymap::with_overrides(&BTreeMap::from([
            ("acknowledge".to_string(), "A".to_string()),
            ("send".to_string(), "ctrl-s, y".to_string()),
            ("mark_paid".to_string(), "F6".to_string()),
        ]))
        .unwrap();
        assert_eq!(
            mine.hint(HINT_MAILBOX),
            "?:help  A/e/n/c/d/x:reply  m:move  /:search  O:sort  q:quit"
        );
        assert_eq!(mine.hint(HINT_REPLY), "ctrl-s:send  E:edit  esc:cancel");
        assert_eq!(
            mine.hint(HINT_PAYABLES),
            "f:status  /:vendor  F6:paid  S:schedule  esc:back"
        );
        let settle_on_f9 =
            Keymap::with_overrides(&BTreeMap::from([("resolve".to_string(), "F9".to_string())]))
                .unwrap();
        assert_eq!(
            settle_on_f9.hint(crate::tui::strings::HINT_SENT_UNSETTLED),
            "F9:settle  j/k:scroll  esc:back"
        );
    }

    fn press(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    #[test]
    fn defaults_and_overrides() {
        let k = Keymap::default();
        assert_eq!(
            k.action(&press(KeyCode::Char('j'), KeyModifiers::NONE), Scope::Mail),
            Some(Action::Down)
        );
        assert_eq!(
            k.action(&press(KeyCode::Char('G'), KeyModifiers::SHIFT), Scope::Mail),
            Some(Action::Bottom)
        );
        assert_eq!(
            k.action(&press(KeyCode::Char('y'), KeyModifiers::NONE), Scope::Mail),
            None
        );
        assert_eq!(
            k.action(&press(KeyCode::Char('y'), KeyModifiers::NONE), Scope::Reply),
            Some(Action::Send)
        );
        let mut o = BTreeMap::new();
        o.insert("sync".to_string(), "ctrl-r, F5".to_string());
        let k = Keymap::with_overrides(&o).unwrap();
        assert_eq!(
            k.action(
                &press(KeyCode::Char('r'), KeyModifiers::CONTROL),
                Scope::Mail
            ),
            Some(Action::SyncNow)
        );
        assert_eq!(
            k.action(&press(KeyCode::F(5), KeyModifiers::NONE), Scope::Payables),
            Some(Action::SyncNow)
        );
        assert_eq!(
            k.action(&press(KeyCode::Char('s'), KeyModifiers::NONE), Scope::Mail),
            None
        );
        assert_eq!(k.keys_of(Action::SyncNow), ["ctrl-r", "F5"]);
    }

    #[test]
    fn bad_overrides_say_what_is_wrong() {
        let one = |name: &str, key: &str| {
            let mut o = BTreeMap::new();
            o.insert(name.to_string(), key.to_string());
            Keymap::with_overrides(&o).unwrap_err()
        };
        assert!(matches!(
            one("acknowlege", "a"),
            KeymapError::NoSuchAction { name, .. } if name == "acknowlege"
        ));
        let bad = one("acknowledge", "ctrl-");
        assert!(matches!(
            &bad,
            KeymapError::BadKey { action: "acknowledge", error } if matches!(**error, KeymapError::NotAKey(_))
        ));
        assert!(bad.to_string().contains("not a key"), "{bad}");
        let clash = one("acknowledge", "d");
        assert!(matches!(clash, KeymapError::Clash { .. }));
        let clash = clash.to_string();
        assert!(
            clash.contains("acknowledge") && clash.contains("dispute_amount"),
            "{clash}"
        );
        // The same key on screens that never show together is fine.
        let mut o = BTreeMap::new();
        o.insert("send".to_string(), "a".to_string());
        assert!(Keymap::with_overrides(&o).is_ok());
    }
}
