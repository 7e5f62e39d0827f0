//! `duebox templates`: list, show, edit (in $VISUAL/$EDITOR, checked on save) and render the
//! reply templates.

use super::reply::{context, print_draft, AskArgs};
use super::Cli;
use crate::reply::templates::{Templates, VARIABLES};
use clap::{Args, Subcommand};
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct TemplatesArgs {
    #[command(subcommand)]
    pub command: TemplatesCommand,
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List the templates, and which ones you have changed.
    List,
    /// Print a template and the variables it can use.
    Show { name: String },
    /// Edit your copy of a template (made from the built-in) in $VISUAL / $EDITOR; it is
    /// checked when you save, and you can edit again until it is right.
    Edit { name: String },
    /// Render a template as a reply to a message file, or a stored message (number or Message-ID).
    Render {
        name: String,
        #[arg(long, value_name = "FILE_OR_ID")]
        message: String,
        #[command(flatten)]
        ask: AskArgs,
    },
}

pub fn run(cli: &Cli, args: &TemplatesArgs) -> anyhow::Result<ExitCode> {
    let templates = Templates::standard();
    match &args.command {
        TemplatesCommand::List => {
            for t in templates.list() {
                let changed = t
                    .user_file
                    .map(|p| format!("  (yours: {})", p.display()))
                    .unwrap_or_default();
                println!("{:<18} {}{changed}", t.name, t.purpose);
            }
            Ok(ExitCode::SUCCESS)
        }
        TemplatesCommand::Show { name } => {
            let t = templates.get(name, None)??;
            println!("# {} ({})", t.name, t.origin);
            if let Some(s) = &t.subject {
                println!("Subject: {s}");
            }
            if !t.requires.is_empty() {
                println!("Requires: {}", t.requires.join(", "));
            }
            println!();
            print!("{}", t.body);
            println!("\n# Variables:");
            for (v, what) in VARIABLES {
                println!("#   {v:<18} {what}");
            }
            Ok(ExitCode::SUCCESS)
        }
        TemplatesCommand::Edit { name } => edit(&templates, name),
        TemplatesCommand::Render { name, message, ask } => {
            let config = super::load_config(cli)?;
            let path = Path::new(message);
            let raw = if path.is_file() {
                std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {message}: {e}"))?
            } else {
                let store = super::open_store(cli, &config)?;
                store
                    .find_message(message)?
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "'{}' is neither a file nor a message in the database",
                            crate::mail::sanitize::one_line(message)
                        )
                    })?
                    .raw
            };
            // Rendering needs no mailbox: without a database, claims are checked against none.
            let store = match super::open_store(cli, &config) {
                Ok(s) => s,
                Err(_) => crate::store::Store::in_memory()?,
            };
            let mut ctx = context(&config, &store, ask.today())?;
            if ctx.identity.from.is_empty() {
                ctx.identity.from = "Accounts Payable <ap@example.invalid>".into();
                eprintln!(
                    "note: [reply] from is not set in the config; shown with a placeholder sender"
                );
            }
            match ctx.prepare(&raw, name, &ask.asked(), ask.today()) {
                Ok(p) => {
                    print_draft(&p);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("duebox: {e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

fn edit(templates: &Templates, name: &str) -> anyhow::Result<ExitCode> {
    let editor = crate::editor::configured();
    let path = templates.ensure_user_copy(name)?;
    let outcome = crate::editor::edit_template(
        &path,
        name,
        &mut |path| crate::editor::edit(&editor, path),
        &mut crate::editor::ask_again,
    )
    .map_err(anyhow::Error::msg)?;
    match outcome {
        crate::editor::TemplateEdit::Saved(path) => {
            println!("{name}: saved and checked ({})", path.display());
            Ok(ExitCode::SUCCESS)
        }
        crate::editor::TemplateEdit::Restored { rejected, .. } => {
            eprintln!(
                "duebox: kept the previous version of {name}; your edit is saved as {}",
                rejected.display()
            );
            Ok(ExitCode::from(1))
        }
    }
}
