//! `duebox corrections`: what duebox learnt from the clerk's corrections (moves into and out
//! of the chaser folders, "not a chaser" and "this is a …" in the UI), and forgetting it.
//! Front end only: the store keeps the corrections, the sync layer applies them.

use super::Cli;
use crate::store::Correction;
use clap::{Args, Subcommand};
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct CorrectionsArgs {
    #[command(subcommand)]
    pub command: CorrectionsCommand,
}

#[derive(Debug, Subcommand)]
pub enum CorrectionsCommand {
    /// List what was learnt: the message shape, the verdict, how many messages taught it,
    /// when it was last used.
    List,
    /// Forget a correction (by its number in the list), or all of them with --all: the next
    /// message of that shape is classified by the rules again.
    Forget {
        /// The correction's number, as `corrections list` shows it.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        /// Forget every correction.
        #[arg(long)]
        all: bool,
    },
}

pub fn run(cli: &Cli, args: &CorrectionsArgs) -> anyhow::Result<ExitCode> {
    let config = super::load_config(cli)?;
    let mut store = super::open_store(cli, &config)?;
    let mut out = std::io::stdout().lock();
    let written = match &args.command {
        CorrectionsCommand::List => list(&mut out, &store.corrections()?),
        CorrectionsCommand::Forget { id, all } => {
            let gone = store.forget_corrections(if *all { None } else { *id })?;
            if gone.is_empty() {
                if let Some(id) = id {
                    eprintln!(
                        "duebox: there is no correction #{id}; `duebox corrections list` shows their numbers"
                    );
                    return Ok(ExitCode::from(1));
                }
            }
            forgotten(&mut out, &gone)
        }
    };
    match written {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // The reader went away (`| head`): nothing more to say.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e.into()),
    }
}

fn list(out: &mut impl Write, all: &[Correction]) -> std::io::Result<()> {
    if all.is_empty() {
        writeln!(
            out,
            "nothing learnt yet: move a message into or out of a chaser folder, or press N (not a chaser) or C (this is a …) on it in the UI"
        )?;
        return Ok(());
    }
    for c in all {
        let used = match &c.last_used_at {
            Some(at) => format!(
                "used {} time{}, last {at}",
                c.used,
                if c.used == 1 { "" } else { "s" }
            ),
            None => "not used yet".to_string(),
        };
        writeln!(
            out,
            "#{}  {}\n     {}; taught by {} message{} ({}, last {}); {used}",
            c.id,
            c.fingerprint.words(),
            c.verdict.words(),
            c.taught,
            if c.taught == 1 { "" } else { "s" },
            c.source.words(),
            c.taught_at,
        )?;
    }
    Ok(())
}

fn forgotten(out: &mut impl Write, gone: &[Correction]) -> std::io::Result<()> {
    if gone.is_empty() {
        return writeln!(out, "nothing to forget: no corrections were learnt");
    }
    for c in gone {
        writeln!(
            out,
            "forgot #{}: {} as {}; the next message like it is classified by the rules again",
            c.id,
            c.fingerprint.words(),
            c.verdict.words()
        )?;
    }
    Ok(())
}
