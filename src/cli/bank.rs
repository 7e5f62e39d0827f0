//! `duebox bank import FILE.xml`: a bank's camt.053 statement or camt.054 notification marks
//! the payables it paid (and says what it could not match, and which vendors still chasing a
//! paid invoice should get "confirm payment"); a pain.002 status report reopens payments the
//! bank rejected. Front end only: parsing is in `payables::statement`, the rest in `store`.

use super::Cli;
use crate::payables::statement::{self, BankFile, MatchedBy, StatementError};
use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct BankArgs {
    #[command(subcommand)]
    pub command: BankCommand,
}

#[derive(Debug, Subcommand)]
pub enum BankCommand {
    /// Import a camt.053 / camt.054 / pain.002 file (ISO 20022 XML). Importing the same
    /// file again changes nothing; a file with a malformed entry is refused whole.
    Import { file: PathBuf },
}

pub fn run(cli: &Cli, args: &BankArgs) -> anyhow::Result<ExitCode> {
    let config = super::load_config(cli)?;
    let mut store = super::open_store(cli, &config)?;
    let BankCommand::Import { file } = &args.command;
    let bytes = std::fs::read(file)
        .with_context(|| format!("cannot read {}: check the path", file.display()))?;
    let parsed = match statement::parse(&bytes) {
        Ok(p) => p,
        Err(StatementError::Entries(bad)) => {
            eprintln!(
                "duebox: {} has {} malformed entr{}; nothing was imported:",
                file.display(),
                bad.len(),
                if bad.len() == 1 { "y" } else { "ies" }
            );
            for (entry, why) in &bad {
                eprintln!("  {entry}: {why}");
            }
            eprintln!("Ask the bank for the statement again, or fix those entries.");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot import {}", file.display())),
    };
    // Written with `?`, so a closed pipe ends the command with an error, not a panic.
    let mut out = std::io::stdout().lock();
    match parsed {
        BankFile::Statements(statements) => {
            let r = store.import_statements(&statements)?;
            writeln!(
                out,
                "imported {}: {} paid, {} not matched, {} incoming, {} already imported",
                file.display(),
                r.paid.len(),
                r.unmatched.len(),
                r.incoming,
                r.known
            )?;
            for p in &r.paid {
                let how = match p.by {
                    MatchedBy::InvoiceNumber => "invoice number",
                    MatchedBy::AmountAndCreditor => "amount and creditor",
                };
                writeln!(
                    out,
                    "  paid    {} {:<20} {:>12} {}  on {}, reference {} (by {how})",
                    p.vendor, p.invoice, p.amount, p.currency, p.booked_on, p.reference
                )?;
            }
            for u in &r.unmatched {
                writeln!(
                    out,
                    "  NOT MATCHED {}: {} {} to {} \"{}\": {}",
                    u.entry,
                    u.amount,
                    u.currency,
                    u.creditor.as_deref().unwrap_or("(no creditor)"),
                    u.remittance,
                    u.why
                )?;
            }
            if !r.unmatched.is_empty() {
                writeln!(
                out,
                    "  record those by hand: `duebox payables mark-paid INVOICE --on DATE --reference REF`"
                )?;
            }
            let paid: Vec<(String, String)> = r
                .paid
                .iter()
                .map(|p| (p.vendor.clone(), p.invoice.clone()))
                .collect();
            let confirm = store.confirmations_due(&paid)?;
            for c in &confirm {
                writeln!(
                out,
                    "  {} is still chasing {} (paid {}, reference {}): `duebox reply '{}' --template confirm_payment`",
                    c.vendor,
                    c.invoice,
                    c.paid_on.map(|d| d.to_string()).unwrap_or_default(),
                    c.reference.as_deref().unwrap_or(""),
                    c.message_id
                )?;
            }
        }
        BankFile::Rejections(rejected) => {
            let r = store.apply_rejections(&rejected)?;
            writeln!(
                out,
                "imported {}: {} rejected payment(s), {} already applied",
                file.display(),
                rejected.len(),
                r.known
            )?;
            for (vendor, invoice, reason) in &r.reopened {
                writeln!(
                out,
                    "  FLAGGED {vendor} {invoice}: it was marked paid from a payment the bank rejected ({reason}); it is open again"
                )?;
            }
            for o in &r.other {
                writeln!(
                    out,
                    "  rejected {} {} to {} \"{}\": {}",
                    o.end_to_end.as_deref().unwrap_or("(no end-to-end id)"),
                    o.amount
                        .as_ref()
                        .map(|(a, c)| format!("{a} {c}"))
                        .unwrap_or_default(),
                    o.creditor.as_deref().unwrap_or("(no creditor)"),
                    o.remittance.join(" / "),
                    o.reason
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
