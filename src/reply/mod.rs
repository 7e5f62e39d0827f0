//! Replies to chasers: templates, the variables they are rendered with, and the addressed
//! draft. Pure domain: no network, no terminal; the outbox in `store` and the senders in
//! `smtp` and `outbox` do the rest.

pub mod builtin;
pub mod context;
pub mod draft;
pub mod format;
pub mod rules;
pub mod templates;
pub mod words;

pub use context::{Asked, Facts, Identity};
pub use draft::{Draft, DraftError};
pub use rules::{Ask, Needed, Refusal};
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
    #[error("{0}")]
    Refused(#[from] Refusal),
}

/// Renders `template` for the facts and addresses the result: in the vendor's language
/// (our own for an escalation) when a template exists in it, with amounts and dates as the
/// template's language writes them; refused when a rule in [`rules`] says so.
pub fn write(templates: &Templates, name: &str, facts: &Facts<'_>) -> Result<Draft, ReplyError> {
    let template = lookup(templates, name, facts)?;
    rules::check(&template, facts)?;
    let (subject, body) = template.render(&facts.variables_in(template.lang))?;
    // `acknowledge.de` is the acknowledge reply, whatever language was asked for.
    Ok(draft::build(facts, &template.name, subject, body)?)
}

/// The template a reply to these facts is written with.
pub fn lookup(
    templates: &Templates,
    name: &str,
    facts: &Facts<'_>,
) -> Result<Template, ReplyError> {
    let lang = facts
        .reply_language(templates::split_lang(name).0)
        .map(|l| l.code());
    Ok(templates.get(name, lang)??)
}

/// What a reply with `name` asks for before it is written (see [`rules::asks`]).
pub fn asks(templates: &Templates, name: &str, facts: &Facts<'_>) -> Result<Vec<Ask>, ReplyError> {
    Ok(rules::asks(&lookup(templates, name, facts)?, facts))
}
