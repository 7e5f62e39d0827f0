//! `duebox attachments`: a message's attachments listed (name, type, size), saved into a
//! folder under safe names, opened in the viewer for their type, a PDF's text printed.
//! The message is a file or a stored message (its number or Message-ID).

use super::Cli;
use crate::files::{self, SaveError};
use crate::mail::attachments::{self, human_size, Part};
use crate::mail::sanitize::{for_terminal, one_line};
use clap::{Args, Subcommand};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct AttachmentsArgs {
    #[command(subcommand)]
    pub command: AttachmentsCommand,
}

#[derive(Debug, Subcommand)]
pub enum AttachmentsCommand {
    /// List them: number, name, type, size.
    List {
        /// A message file, or a stored message's number or Message-ID.
        message: String,
    },
    /// Save one (by its number in the list) or all into a folder, under safe names.
    Save {
        message: String,
        /// Its number in `attachments list`, or "all".
        which: String,
        /// The folder to save into [default: the current folder].
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
        /// Replace a file of the same name without asking.
        #[arg(long)]
        replace: bool,
    },
    /// Open one in the viewer for its type (mailcap, else the system's opener).
    Open { message: String, which: usize },
    /// Print the text of a PDF attachment.
    Text { message: String, which: usize },
}

/// The message's bytes, and whether the store kept only its start.
fn raw(cli: &Cli, message: &str) -> anyhow::Result<(Vec<u8>, bool)> {
    let path = Path::new(message);
    if path.is_file() {
        return Ok((
            std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {message}: {e}"))?,
            false,
        ));
    }
    let config = super::load_config(cli)?;
    let store = super::open_store(cli, &config)?;
    let stored = store.find_message(message)?.ok_or_else(|| {
        anyhow::anyhow!(
            "'{}' is neither a file nor a message in the database; give its number or Message-ID (`duebox log` lists them)",
            one_line(message)
        )
    })?;
    let truncated = store.detail(stored.id)?.is_some_and(|d| d.truncated);
    Ok((stored.raw, truncated))
}

fn pick(parts: &[Part], which: usize) -> anyhow::Result<&Part> {
    which
        .checked_sub(1)
        .and_then(|i| parts.get(i))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "there is no attachment {which}; the message has {} (`duebox attachments list` numbers them from 1)",
                parts.len()
            )
        })
}

pub fn run(cli: &Cli, args: &AttachmentsArgs) -> anyhow::Result<ExitCode> {
    let message = match &args.command {
        AttachmentsCommand::List { message }
        | AttachmentsCommand::Save { message, .. }
        | AttachmentsCommand::Open { message, .. }
        | AttachmentsCommand::Text { message, .. } => message,
    };
    let (raw, truncated) = raw(cli, message)?;
    let parts = attachments::parts(&raw)?;
    // A message stored only up to the size limit has its later parts cut short.
    let cut = |p: &Part| truncated && std::ptr::eq(p, parts.last().unwrap_or(p));
    let incomplete = "the message is stored only up to the size limit, so this attachment is incomplete; open it in your mail client";
    match &args.command {
        AttachmentsCommand::List { .. } => {
            if parts.is_empty() {
                println!("no attachments");
            }
            for (i, p) in parts.iter().enumerate() {
                println!(
                    "{:>2}  {}  {}  {}{}",
                    i + 1,
                    for_terminal(&p.attachment.name),
                    p.attachment.content_type,
                    human_size(p.attachment.size),
                    if cut(p) {
                        "  (incomplete: over the size limit)"
                    } else {
                        ""
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AttachmentsCommand::Text { which, .. } => {
            let p = pick(&parts, *which)?;
            if !p.is_pdf() {
                anyhow::bail!(
                    "attachment {which} is {}, not a PDF; save or open it instead",
                    p.attachment.content_type
                );
            }
            match p.pdf_text() {
                Some(t) => {
                    print!("{t}");
                    Ok(ExitCode::SUCCESS)
                }
                None => anyhow::bail!("attachment {which} has no text duebox can read (scanned, encrypted or over {} MB); open it instead", crate::mail::pdf::MAX_PDF_BYTES / 1_048_576),
            }
        }
        AttachmentsCommand::Open { which, .. } => {
            let p = pick(&parts, *which)?;
            if cut(p) {
                anyhow::bail!("{incomplete}");
            }
            let ran = files::open(p).map_err(anyhow::Error::msg)?;
            eprintln!("duebox: opened with: {ran}");
            Ok(ExitCode::SUCCESS)
        }
        AttachmentsCommand::Save {
            which, to, replace, ..
        } => {
            let dir = to.clone().unwrap_or_else(|| PathBuf::from("."));
            let chosen: Vec<&Part> = if which == "all" {
                parts.iter().collect()
            } else {
                let n = which.parse().map_err(|_| {
                    anyhow::anyhow!(
                        "'{}' is not an attachment number or \"all\"",
                        one_line(which)
                    )
                })?;
                vec![pick(&parts, n)?]
            };
            let mut code = ExitCode::SUCCESS;
            for p in chosen {
                if cut(p) {
                    eprintln!("duebox: {}: {incomplete}", p.file_name());
                    code = ExitCode::from(1);
                    continue;
                }
                match files::save(&dir, p, *replace) {
                    Ok(path) => println!("saved {}", path.display()),
                    Err(SaveError::Exists(path)) if ask_replace(&path)? => {
                        let path = files::save(&dir, p, true)?;
                        println!("saved {} (replaced)", path.display());
                    }
                    Err(e) => {
                        eprintln!("duebox: {e}");
                        code = ExitCode::from(1);
                    }
                }
            }
            Ok(code)
        }
    }
}

/// "Replace it? [y/N]" on the terminal; no answer (or no terminal) is no.
fn ask_replace(path: &Path) -> anyhow::Result<bool> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("{} exists. Replace it? [y/N] ", path.display());
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim().eq_ignore_ascii_case("y") || answer.trim().eq_ignore_ascii_case("yes"))
}
