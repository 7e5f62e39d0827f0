//! Reply templates: the built-ins embedded from `templates/`, the user's own copies that
//! replace them, and checking a template before it is ever used (syntax, unknown variables,
//! required values). Reads files only when asked to look in a folder; renders values.

use crate::classify::lang::Lang;
use minijinja::{Environment, UndefinedBehavior, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use super::builtin::{BUILTIN, BUILTIN_LANGS, VARIABLES};

/// A template split into its header lines and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub subject: Option<String>,
    pub requires: Vec<String>,
    pub body: String,
    /// Lines before the body starts, so errors name the line in the file.
    body_line: usize,
    /// Where it came from: "built-in" or the file's path.
    pub origin: String,
    /// The language it is written in: amounts and dates are written as it writes them.
    /// A template without a language in its name (`NAME.txt`) is English.
    pub lang: Lang,
}

/// What is wrong with a template, with the line in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct TemplateError {
    pub origin: String,
    pub line: Option<usize>,
    pub message: String,
}

/// Why a template could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("there is no template named '{0}'; `duebox templates list` shows them")]
    Unknown(String),
    #[error("cannot read the template {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Template {
    /// Splits `text` (as in a file) into headers and body.
    pub fn parse(name: &str, origin: &str, text: &str) -> Result<Template, TemplateError> {
        let mut subject = None;
        let mut requires = Vec::new();
        let mut lines = text.split_inclusive('\n').enumerate().peekable();
        let mut body_line = 0;
        while let Some((i, line)) = lines.peek() {
            let trimmed = line.trim_end();
            if let Some(s) = strip_header(trimmed, "Subject:") {
                subject = Some(s.to_string());
            } else if let Some(r) = strip_header(trimmed, "Requires:") {
                requires.extend(
                    r.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                );
            } else {
                // A blank line after headers separates them from the body.
                if trimmed.is_empty() && *i > 0 {
                    body_line = *i + 1;
                    lines.next();
                }
                break;
            }
            body_line = *i + 1;
            lines.next();
        }
        let body: String = lines.map(|(_, l)| l).collect();
        let t = Template {
            name: name.to_string(),
            subject,
            requires,
            body,
            body_line,
            origin: origin.to_string(),
            lang: Lang::En,
        };
        t.check()?;
        Ok(t)
    }

    fn error(&self, line: Option<usize>, message: String) -> TemplateError {
        TemplateError {
            origin: self.origin.clone(),
            line,
            message,
        }
    }

    /// Checks the syntax, that every variable used is one duebox provides, and the
    /// `Requires:` names.
    pub fn check(&self) -> Result<(), TemplateError> {
        let env = environment();
        let mut used = BTreeSet::new();
        for (source, first_line) in self.parts() {
            let t = env.template_from_str(source).map_err(|e| {
                self.error(
                    e.line().map(|l| l + first_line - 1),
                    e.detail().unwrap_or("syntax error").to_string(),
                )
            })?;
            for name in t.undeclared_variables(false) {
                if !is_known(&name) {
                    let line = find_line(source, &name).map(|l| l + first_line - 1);
                    return Err(self.error(
                        line,
                        format!(
                            "unknown variable '{name}'; the variables are: {}",
                            known_names()
                        ),
                    ));
                }
                used.insert(name);
            }
        }
        if let Some(r) = self.requires.iter().find(|r| !is_known(r)) {
            return Err(self.error(
                None,
                format!(
                    "Requires: names unknown variable '{r}'; the variables are: {}",
                    known_names()
                ),
            ));
        }
        Ok(())
    }

    /// The variables the subject and body use (a template that did not check uses none).
    pub fn variables_used(&self) -> BTreeSet<String> {
        let env = environment();
        self.parts()
            .into_iter()
            .filter_map(|(source, _)| env.template_from_str(source).ok())
            .flat_map(|t| t.undeclared_variables(false))
            .collect()
    }

    /// The subject (its header line) and the body, each with the file line it starts on.
    fn parts(&self) -> Vec<(&str, usize)> {
        let mut parts = Vec::new();
        if let Some(s) = &self.subject {
            parts.push((s.as_str(), 1));
        }
        parts.push((self.body.as_str(), self.body_line + 1));
        parts
    }

    /// Renders the subject (None when the template has none) and the body.
    pub fn render(&self, vars: &Value) -> Result<(Option<String>, String), TemplateError> {
        for required in &self.requires {
            let v = vars.get_attr(required).unwrap_or_default();
            if v.is_undefined() || v.is_none() || (v.len() == Some(0)) {
                return Err(self.error(
                    None,
                    format!("the {} template needs {required}, which this message and our records do not give{}", self.name, hint(required)),
                ));
            }
        }
        let env = environment();
        let render = |source: &str, first_line: usize| {
            env.render_str(source, vars).map_err(|e| {
                self.error(
                    e.line().map(|l| l + first_line - 1),
                    e.detail().unwrap_or("cannot render").to_string(),
                )
            })
        };
        let subject = match &self.subject {
            Some(s) => Some(render(s, 1)?.trim().to_string()),
            None => None,
        };
        let body = render(&self.body, self.body_line + 1)?;
        Ok((subject, tidy(&body)))
    }
}

/// What to do when a required value is missing.
fn hint(variable: &str) -> &'static str {
    match variable {
        "pay_on" => ": give the payment date (--pay-on DATE), or schedule the payable",
        "paid_date" => ": the invoice is not paid in our records; mark it paid first (P in the UI's payables, `duebox payables mark-paid` on the command line)",
        "recorded_amount" => ": the claimed invoice is not in the payables database",
        "difference" => ": the amount claimed matches our records (or the message names none), so there is nothing to dispute",
        "approver" => ": set [reply] approver in the config",
        "note" => ": pass --note TEXT",
        _ => "",
    }
}

fn strip_header<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let head = line.get(..name.len())?;
    head.eq_ignore_ascii_case(name)
        .then(|| line[name.len()..].trim())
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // A misspelt variable must be an error, not an empty gap in a letter to a vendor.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env
}

fn is_known(name: &str) -> bool {
    VARIABLES.iter().any(|(v, _)| *v == name)
}

fn known_names() -> String {
    VARIABLES
        .iter()
        .map(|(v, _)| *v)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first line (1-based) of `source` that uses `name` as a word.
fn find_line(source: &str, name: &str) -> Option<usize> {
    source
        .lines()
        .position(|line| {
            line.match_indices(name).any(|(i, _)| {
                let before = line[..i].chars().next_back();
                let after = line[i + name.len()..].chars().next();
                let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                !word(before) && !word(after)
            })
        })
        .map(|i| i + 1)
}

/// Removes trailing spaces and runs of more than one blank line that conditionals leave.
fn tidy(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut blank = 0;
    for line in body.trim_start_matches('\n').lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Where templates come from: the built-ins, and a folder of the user's own copies.
#[derive(Debug, Clone)]
pub struct Templates {
    pub user_dir: Option<PathBuf>,
}

/// One entry of `templates list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub purpose: String,
    /// The user's file replacing the built-in, if any.
    pub user_file: Option<PathBuf>,
}

impl Templates {
    /// Templates from the built-ins and `$XDG_CONFIG_HOME/duebox/templates`.
    pub fn standard() -> Templates {
        Templates {
            user_dir: dirs::config_dir().map(|d| d.join("duebox").join("templates")),
        }
    }

    pub fn builtin_only() -> Templates {
        Templates { user_dir: None }
    }

    /// The user's copy of a template (whether or not it exists yet).
    pub fn user_path(&self, name: &str) -> Option<PathBuf> {
        self.user_dir
            .as_ref()
            .map(|d| d.join(format!("{name}.txt")))
    }

    pub fn builtin_text(name: &str) -> Option<&'static str> {
        BUILTIN
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, t)| *t)
    }

    /// Every template: the built-ins, then the user's own new ones.
    pub fn list(&self) -> Vec<Listed> {
        let mut out: Vec<Listed> = BUILTIN
            .iter()
            .map(|(name, purpose, _)| Listed {
                name: name.to_string(),
                purpose: purpose.to_string(),
                user_file: self.user_path(name).filter(|p| p.is_file()),
            })
            .collect();
        if let Some(dir) = &self.user_dir {
            let mut extra: Vec<Listed> = std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| {
                    let path = e.path();
                    let stem = path
                        .file_name()?
                        .to_str()?
                        .strip_suffix(".txt")?
                        .to_string();
                    // NAME.de.txt are language variants of NAME, not templates of their own.
                    let known = stem.contains('.') || BUILTIN.iter().any(|(n, _, _)| *n == stem);
                    (!known).then_some(Listed {
                        name: stem,
                        purpose: "your own template".into(),
                        user_file: Some(path),
                    })
                })
                .collect();
            extra.sort_by(|a, b| a.name.cmp(&b.name));
            out.extend(extra);
        }
        out
    }

    /// The built-in text of `name` in `lang` (English is the plain built-in).
    pub fn builtin_text_in(name: &str, lang: Lang) -> Option<&'static str> {
        if lang == Lang::En {
            return Templates::builtin_text(name);
        }
        BUILTIN_LANGS
            .iter()
            .find(|(n, l, _)| *n == name && *l == lang)
            .map(|(_, _, t)| *t)
    }

    /// The template to use for a reply in `lang`: the user's copy in that language, the
    /// built-in in that language, the user's copy, the built-in (English). A language
    /// variant comes first because a vendor who writes German must not get English because
    /// the English wording was customised. `name` may carry a language (`acknowledge.de`),
    /// which then is the only one looked for.
    pub fn get(
        &self,
        name: &str,
        lang: Option<&str>,
    ) -> Result<Result<Template, TemplateError>, LookupError> {
        if !valid_name(name) {
            return Err(LookupError::Unknown(name.to_string()));
        }
        let (base, fixed) = split_lang(name);
        let wanted = fixed.or_else(|| lang.and_then(Lang::from_code));
        let parsed = |origin: &str, text: &str, lang: Lang| {
            Template::parse(base, origin, text).map(|mut t| {
                t.lang = lang;
                t
            })
        };
        let mut candidates: Vec<(Option<PathBuf>, Lang)> = Vec::new();
        if let Some(l) = wanted.filter(|l| *l != Lang::En) {
            let file = self
                .user_dir
                .as_ref()
                .map(|d| d.join(format!("{base}.{}.txt", l.code())));
            candidates.push((file, l));
            candidates.push((None, l));
        }
        if fixed.is_none() || fixed == Some(Lang::En) {
            let file = self
                .user_dir
                .as_ref()
                .map(|d| d.join(format!("{base}.txt")));
            candidates.push((file, Lang::En));
            candidates.push((None, Lang::En));
        }
        for (file, l) in candidates {
            match file {
                Some(path) => match std::fs::read_to_string(&path) {
                    Ok(text) => return Ok(parsed(&path.display().to_string(), &text, l)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(source) => return Err(LookupError::Read { path, source }),
                },
                None => {
                    if let Some(text) = Templates::builtin_text_in(base, l) {
                        let origin = if l == Lang::En {
                            "built-in".to_string()
                        } else {
                            format!("built-in ({})", l.code())
                        };
                        return Ok(parsed(&origin, text, l));
                    }
                }
            }
        }
        Err(LookupError::Unknown(name.to_string()))
    }

    /// Creates the user's copy from the built-in unless it exists; returns its path.
    pub fn ensure_user_copy(&self, name: &str) -> Result<PathBuf, LookupError> {
        let path = self
            .user_path(name)
            .filter(|_| valid_name(name))
            .ok_or_else(|| LookupError::Unknown(name.to_string()))?;
        if !path.exists() {
            let (base, lang) = split_lang(name);
            let text = Templates::builtin_text_in(base, lang.unwrap_or(Lang::En)).unwrap_or("Subject: Re: {{ subject }}\n\nDear {{ contact_name or vendor }},\n\n\nKind regards,\n{{ signature }}\n");
            let write = || -> std::io::Result<()> {
                std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
                std::fs::write(&path, text)
            };
            write().map_err(|source| LookupError::Read {
                path: path.clone(),
                source,
            })?;
        }
        Ok(path)
    }
}

/// Template names are file names: letters, digits, `_` and `-` only, with an optional
/// language code after a dot (`acknowledge.de`).
fn valid_name(name: &str) -> bool {
    let (base, lang) = split_lang(name);
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    plain(base) && (lang.is_some() || !name.contains('.'))
}

/// `acknowledge.de` → ("acknowledge", Some(German)); a name without a known language code
/// after its one dot is returned whole.
pub fn split_lang(name: &str) -> (&str, Option<Lang>) {
    match name.rsplit_once('.') {
        Some((base, code)) if code.len() == 2 && !base.contains('.') => match Lang::from_code(code)
        {
            Some(l) => (base, Some(l)),
            None => (name, None),
        },
        _ => (name, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_and_checks() {
        for (name, _, text) in BUILTIN {
            let t = Template::parse(name, "built-in", text).unwrap();
            assert!(t.subject.is_some(), "{name} has a subject");
        }
    }

    #[test]
    fn unknown_variable_is_named_with_its_line() {
        let text = "Subject: Re: {{ subject }}\n\nDear {{ vendor }},\n\nWe pay {{ amount_due }}.\n";
        let e = Template::parse("x", "x.txt", text).unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.message.contains("unknown variable 'amount_due'"), "{e}");
    }

    #[test]
    fn syntax_error_is_named_with_its_line() {
        let text = "Subject: Hi\n\nline one\n{% if vendor %}\nunclosed\n";
        let e = Template::parse("x", "x.txt", text).unwrap_err();
        assert!(e.line.is_some(), "{e}");
        assert!(e.line.unwrap() >= 4, "{e}");
    }

    #[test]
    fn without_headers_the_whole_text_is_the_body() {
        let t = Template::parse("x", "x", "Hello {{ vendor }}\n").unwrap();
        assert_eq!(t.subject, None);
        assert_eq!(t.body, "Hello {{ vendor }}\n");
    }

    #[test]
    fn required_values_must_be_present() {
        let t = Template::parse("x", "x", "Requires: pay_on\n\nOn {{ pay_on }}\n").unwrap();
        let vars = minijinja::context! { pay_on => Value::from(()) };
        let e = t.render(&vars).unwrap_err();
        assert!(e.message.contains("--pay-on"), "{e}");
        let vars = minijinja::context! { pay_on => "1 December 2026" };
        assert_eq!(t.render(&vars).unwrap().1, "On 1 December 2026\n");
    }

    #[test]
    fn every_builtin_is_in_every_written_language() {
        for (name, _, _) in BUILTIN {
            for lang in crate::reply::format::WRITTEN {
                let t = Templates::builtin_only()
                    .get(name, Some(lang.code()))
                    .unwrap()
                    .unwrap();
                assert_eq!(t.lang, lang, "{name} in {}", lang.code());
                assert_eq!(
                    t.requires,
                    Templates::builtin_only()
                        .get(name, None)
                        .unwrap()
                        .unwrap()
                        .requires,
                    "{name}.{} requires what the English one does",
                    lang.code()
                );
            }
        }
        // A language without built-in letters gets the English one.
        let t = Templates::builtin_only()
            .get("acknowledge", Some("pl"))
            .unwrap()
            .unwrap();
        assert_eq!(t.lang, Lang::En);
        let t = Templates::builtin_only()
            .get("acknowledge.fr", None)
            .unwrap()
            .unwrap();
        assert_eq!(t.lang, Lang::Fr);
        assert!(Templates::builtin_only()
            .get("acknowledge.xx", None)
            .is_err());
    }

    #[test]
    fn a_users_language_variant_wins_then_the_builtin_language() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("acknowledge.txt"), "Mine {{ vendor }}\n").unwrap();
        let t = Templates {
            user_dir: Some(dir.path().to_path_buf()),
        };
        assert_eq!(
            t.get("acknowledge", Some("de")).unwrap().unwrap().origin,
            "built-in (de)"
        );
        assert!(t
            .get("acknowledge", Some("en"))
            .unwrap()
            .unwrap()
            .origin
            .ends_with("acknowledge.txt"));
        std::fs::write(
            dir.path().join("acknowledge.de.txt"),
            "Meins {{ vendor }}\n",
        )
        .unwrap();
        let de = t.get("acknowledge", Some("de")).unwrap().unwrap();
        assert!(de.origin.ends_with("acknowledge.de.txt"), "{}", de.origin);
        assert_eq!(de.lang, Lang::De);
        let copy = t.ensure_user_copy("negotiate.it").unwrap();
        assert!(std::fs::read_to_string(copy)
            .unwrap()
            .contains("Cordiali saluti"));
    }

    #[test]
    fn names_cannot_escape_the_folder() {
        let t = Templates {
            user_dir: Some(PathBuf::from("/tmp/x")),
        };
        assert!(matches!(
            t.get("../etc/passwd", None),
            Err(LookupError::Unknown(_))
        ));
    }
}
