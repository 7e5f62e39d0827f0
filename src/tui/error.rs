//! The error the UI's threads hand to `update`: what failed, in the UI's words (from the
//! strings module), and the cause as the lower layer gave it. Never built from a view.

use std::fmt;

/// A failure to tell the user: `summary` says what did not happen (and, where it helps,
/// which key to press), `detail` the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiError {
    pub summary: String,
    pub detail: String,
}

impl UiError {
    pub fn new(summary: impl Into<String>, detail: impl fmt::Display) -> UiError {
        UiError {
            summary: summary.into(),
            detail: detail.to_string(),
        }
    }
}

/// The status line's words: the summary, then the cause.
impl fmt::Display for UiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            f.write_str(&self.summary)
        } else {
            write!(f, "{}: {}", self.summary, self.detail)
        }
    }
}

/// A failure whose words already say it all.
impl From<&str> for UiError {
    fn from(summary: &str) -> UiError {
        UiError::new(summary, "")
    }
}

impl From<String> for UiError {
    fn from(summary: String) -> UiError {
        UiError::new(summary, "")
    }
}

#[cfg(test)]
mod tests {
    use super::UiError;

    #[test]
    fn the_status_line_gives_the_summary_then_the_cause() {
        assert_eq!(
            UiError::new("cannot reach imap.example.com", "connection refused").to_string(),
            "cannot reach imap.example.com: connection refused"
        );
        assert_eq!(UiError::from("no undo").to_string(), "no undo");
    }
}
