//! What a sync pass could not do, as a kind and its data, so that each front end words it in
//! its own terms (the CLI names commands, the UI names what it shows). Never words it here.

use crate::store::OutboxEntry;

/// A problem that did not stop the pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// Already in words that name only the server, its folders and the config, so they read
    /// the same in every front end.
    Text(String),
    /// Replies whose outcome is unknown and that the Sent folder does not show (the after-send
    /// catch-up): duebox sends nothing until the user settles each.
    Unresolved(Vec<OutboxEntry>),
}

impl Warning {
    /// The words of a `Text` warning (None for the kinds each front end words itself).
    pub fn text(&self) -> Option<&str> {
        match self {
            Warning::Text(text) => Some(text),
            Warning::Unresolved(_) => None,
        }
    }
}

impl From<String> for Warning {
    fn from(text: String) -> Warning {
        Warning::Text(text)
    }
}

impl From<&str> for Warning {
    fn from(text: &str) -> Warning {
        Warning::Text(text.into())
    }
}

/// A pass's warnings, in the order they happened; read as a slice.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Warnings(Vec<Warning>);

impl Warnings {
    pub fn push(&mut self, w: impl Into<Warning>) {
        self.0.push(w.into());
    }
}

impl std::ops::Deref for Warnings {
    type Target = [Warning];
    fn deref(&self) -> &[Warning] {
        &self.0
    }
}

impl Extend<Warning> for Warnings {
    fn extend<I: IntoIterator<Item = Warning>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl<'a> IntoIterator for &'a Warnings {
    type Item = &'a Warning;
    type IntoIter = std::slice::Iter<'a, Warning>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
