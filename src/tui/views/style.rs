//! The look: colours when the terminal may use them, and with NO_COLOR the same meaning
//! carried by bold, reverse and underline alone.

use crate::payables::validate::MatchStatus;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn pick(self, colored: Style, plain: Style) -> Style {
        if self.color {
            colored
        } else {
            plain
        }
    }

    pub fn title(self) -> Style {
        self.pick(
            Style::new().fg(Color::Black).bg(Color::Cyan),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    pub fn selected(self) -> Style {
        self.pick(
            Style::new().fg(Color::Black).bg(Color::LightBlue),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    /// The selection in a pane that does not have the keys.
    pub fn selected_idle(self) -> Style {
        self.pick(
            Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
            Style::new().add_modifier(Modifier::UNDERLINED),
        )
    }

    pub fn header(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn danger(self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn banner(self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )
    }

    pub fn warn(self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    pub fn good(self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }

    pub fn dim(self) -> Style {
        self.pick(Style::new().fg(Color::DarkGray), Style::new())
    }

    pub fn unread(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn bar(self) -> Style {
        self.pick(Style::new().fg(Color::Cyan), Style::new())
    }

    /// The style of a validation badge.
    pub fn badge(self, status: Option<MatchStatus>) -> Style {
        match status {
            Some(MatchStatus::Matched) => self.good(),
            Some(MatchStatus::AmountMismatch | MatchStatus::UnknownInvoice) => self.danger(),
            Some(MatchStatus::AlreadyPaid | MatchStatus::Disputed) => self.warn(),
            None => Style::new(),
        }
    }

    /// The check column of a list row: under a fraud alarm a red warning instead of the
    /// claim's check, and no flagged message ever in green.
    pub fn check_badge(self, r: &crate::store::Summary) -> (&'static str, Style) {
        if r.is_alarm() {
            return (crate::tui::strings::FRAUD_BADGE, self.danger());
        }
        let words = crate::tui::strings::badge(r.match_status);
        if !r.risk.is_empty() && r.match_status == Some(MatchStatus::Matched) {
            return (words, self.warn());
        }
        (words, self.badge(r.match_status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::risk::Risk;
    use crate::store::Summary;

    #[test]
    fn a_flagged_row_never_shows_a_green_check() {
        let theme = Theme { color: true };
        let mut r = Summary {
            kind: Some(crate::classify::Kind::Chaser),
            match_status: Some(MatchStatus::Matched),
            invoices: vec!["INV-1".into()],
            ..Summary::default()
        };
        assert_eq!(theme.check_badge(&r), ("matched", theme.good()));
        for flags in [vec![Risk::BankChange], vec![Risk::UnknownSender]] {
            r.risk = flags;
            let (words, style) = theme.check_badge(&r);
            assert_eq!((words, style), ("! fraud?", theme.danger()), "{:?}", r.risk);
        }
        // A stranger claiming nothing is no alarm, and still not green.
        r.kind = Some(crate::classify::Kind::Other);
        r.invoices.clear();
        assert_ne!(theme.check_badge(&r).1, theme.good());
    }
}
