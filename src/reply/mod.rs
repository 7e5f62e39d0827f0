//! Replies to chasers: templates, the variables they are rendered with, and the addressed
//! draft. Pure domain: no network, no terminal; the outbox in `store` and the senders in
//! `smtp` and `outbox` do the rest.

pub mod context;
pub mod draft;
pub mod format;
pub mod templates;

pub use context::{Asked, Facts, Identity};
pub use draft::{Draft, DraftError};
pub use templates::{Template, TemplateError, Templates};

/// Why a reply could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error(transparent)]
    Lookup(#[from] templates::LookupError),
    #[error("{0}")]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Draft(#[from] DraftError),
}

/// Renders `template` for the facts and addresses the result.
pub fn write(templates: &Templates, name: &str, facts: &Facts<'_>) -> Result<Draft, ReplyError> {
    let lang = facts.classification.lang.map(|l| l.code());
    let template = templates.get(name, lang)??;
    let (subject, body) = template.render(&facts.variables())?;
    Ok(draft::build(facts, name, subject, body)?)
}
