//! `duebox vendors`: the vendors' known addresses and bank details, as CSV
//! (`vendor,email,iban,account_number,phone`). Payment details in a chaser that differ from
//! these raise a bank_change fraud warning.

use super::Cli;
use crate::payables::vendors::{read_vendors_csv, write_vendors_csv};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct VendorsArgs {
    #[command(subcommand)]
    pub command: VendorsCommand,
}

#[derive(Debug, Subcommand)]
pub enum VendorsCommand {
    /// Import vendors' addresses and bank details (creates the database if missing). The
    /// same rows again change nothing; a file with any bad row is refused whole.
    Import {
        /// The CSV file: vendor,email,iban,account_number,phone (iban, account_number and
        /// phone may be empty).
        file: PathBuf,
    },
    /// Export every vendor address with its details as CSV (to FILE, or standard output).
    Export { file: Option<PathBuf> },
    /// List vendors, their addresses and what we know of their bank.
    List,
}

pub fn run(cli: &Cli, args: &VendorsArgs) -> anyhow::Result<ExitCode> {
    let config = super::load_config(cli)?;
    let mut store = super::open_store(cli, &config)?;
    match &args.command {
        VendorsCommand::Import { file } => {
            return super::csv_files::import(file, read_vendors_csv, |rows| {
                store.import_vendors(rows)
            });
        }
        VendorsCommand::Export { file } => {
            let rows = store.list_vendors()?;
            super::csv_files::export(file.as_deref(), rows.len(), "vendor addresses", |out| {
                write_vendors_csv(&rows, out)
            })?;
        }
        VendorsCommand::List => {
            let rows = store.list_vendors()?;
            if rows.is_empty() {
                println!("no vendors yet: import payables or vendors first (duebox vendors import FILE.csv)");
            }
            for v in rows {
                let bank = match (&v.iban, &v.account_number) {
                    (Some(iban), _) => format!("IBAN {iban}"),
                    (None, Some(acc)) => format!("account {acc}"),
                    (None, None) => "no bank details".to_string(),
                };
                let phone = v
                    .phone
                    .as_deref()
                    .map(|p| format!("  {p}"))
                    .unwrap_or_default();
                println!(
                    "{}  <{}>  {bank}{phone}",
                    crate::mail::sanitize::one_line(&v.vendor),
                    v.email
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
