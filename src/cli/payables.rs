//! `duebox payables`: the payables database from the command line — CSV import and export in
//! the contract's format, listing, adding, marking paid and scheduling.

use super::Cli;
use crate::actions::payables::{Change, PayableAction};
use crate::payables::import::{self, Format};
use crate::payables::{Payable, Status};
use crate::store::payables::Filter;
use crate::store::Store;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use rust_decimal::Decimal;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct PayablesArgs {
    #[command(subcommand)]
    pub command: PayablesCommand,
}

#[derive(Debug, Subcommand)]
pub enum PayablesCommand {
    /// Import a payables CSV (creates the database if missing). Re-importing the same rows
    /// changes nothing; a file with any bad row is refused whole, with each bad line named.
    Import {
        /// The file: duebox's CSV, or an export from QuickBooks Online, Xero or DATEV (told
        /// from its header row), or any CSV through [import.mapping] in the config.
        file: PathBuf,
        /// The file's format, when its header row does not tell it.
        #[arg(long, value_parser = parse_format, value_name = "qbo-aging|xero-aged|xero-bills|datev|mapping|duebox")]
        format: Option<Format>,
        /// The currency of a file that names none [default: [company] currency].
        #[arg(long, value_name = "CODE")]
        currency: Option<String>,
    },
    /// List the open payables falling due (overdue ones too) that are not yet scheduled.
    Due {
        /// How far ahead: days, as 7d or 7.
        #[arg(long, default_value = "7d", value_parser = parse_days)]
        within: u32,
        /// The day to count from [default: today].
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
        today: Option<NaiveDate>,
    },
    /// Export the unanswered chasers with what they claim against our records, as CSV.
    ExportChasers { file: Option<PathBuf> },
    /// Export every payable as CSV (to FILE, or standard output).
    Export { file: Option<PathBuf> },
    /// List payables, by due date.
    List {
        /// Only this status: open, scheduled, paid or disputed.
        #[arg(long, value_parser = parse_status)]
        status: Option<Status>,
        /// Only vendors whose name contains this (any case).
        #[arg(long)]
        vendor: Option<String>,
    },
    /// Add one payable.
    Add {
        #[arg(long)]
        vendor: String,
        /// The address the vendor writes from.
        #[arg(long, value_name = "EMAIL")]
        email: String,
        #[arg(long)]
        invoice: String,
        /// Plain decimal with '.', e.g. 1234.50.
        #[arg(long, value_parser = parse_amount, allow_hyphen_values = true)]
        amount: Decimal,
        /// ISO 4217 code, e.g. EUR.
        #[arg(long)]
        currency: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
        issued: NaiveDate,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
        due: NaiveDate,
        /// It is a credit note: only then may the amount be negative.
        #[arg(long)]
        credit: bool,
    },
    /// Record that an invoice was paid.
    MarkPaid {
        invoice: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
        on: NaiveDate,
        /// The payment reference (bank transfer id), so replies can quote it.
        #[arg(long)]
        reference: Option<String>,
        /// The vendor, when several have this invoice number.
        #[arg(long)]
        vendor: Option<String>,
        /// Say yes to the questions asked first (the invoice is already paid, the date is
        /// long ago or before the invoice was issued).
        #[arg(long)]
        yes: bool,
    },
    /// Record the date an invoice will be paid.
    Schedule {
        invoice: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
        on: NaiveDate,
        /// The vendor, when several have this invoice number.
        #[arg(long)]
        vendor: Option<String>,
        /// Say yes to the question asked first (the date is in the past).
        #[arg(long)]
        yes: bool,
    },
}

pub(crate) fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date in the form YYYY-MM-DD (e.g. 2026-11-23)"))
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s)
}

pub(crate) fn parse_days(s: &str) -> Result<u32, String> {
    s.trim()
        .trim_end_matches('d')
        .parse()
        .map_err(|_| format!("'{s}' is not a number of days such as 7d"))
}

fn parse_status(s: &str) -> Result<Status, String> {
    s.parse()
}

fn parse_amount(s: &str) -> Result<Decimal, String> {
    s.parse()
        .map_err(|_| format!("'{s}' is not a plain decimal amount such as 1234.50"))
}

pub fn run(cli: &Cli, args: &PayablesArgs) -> anyhow::Result<ExitCode> {
    let config = super::load_config(cli)?;
    let mut store = super::open_store(cli, &config)?;
    match &args.command {
        PayablesCommand::Import {
            file,
            format,
            currency,
        } => {
            let opts = import::Options {
                currency: currency.clone().or(config.company.currency.clone()),
                mapping: config.import.mapping.clone(),
            };
            return super::csv_files::import_file(file, *format, &opts, &mut store);
        }
        PayablesCommand::Export { file } => {
            let rows = store.list_payables(&Filter::default())?;
            super::csv_files::export(file.as_deref(), rows.len(), "payables", |out| {
                crate::payables::write_csv(&rows, out)
            })?;
        }
        PayablesCommand::Due { within, today } => {
            let today = today.unwrap_or_else(|| chrono::Local::now().date_naive());
            let due = store.due_payables(today + chrono::Days::new(u64::from(*within)))?;
            let mut out = std::io::stdout().lock();
            for p in &due {
                let when = crate::payables::due_words(p.due_date, today);
                writeln!(
                    out,
                    "{}  {:<28} {:<20} {:>12} {}  {when}",
                    p.due_date, p.vendor, p.invoice_number, p.amount, p.currency
                )?;
            }
            if due.is_empty() {
                writeln!(
                    out,
                    "nothing falls due within {within} days that is not scheduled"
                )?;
            } else {
                writeln!(
                    out,
                    "{} payable(s) to pay or schedule (`duebox payables schedule INVOICE --on DATE`)",
                    due.len()
                )?;
            }
        }
        PayablesCommand::ExportChasers { file } => {
            let rows = store.open_chasers()?;
            super::csv_files::export(file.as_deref(), rows.len(), "open chasers", |out| {
                super::csv_files::write_chasers(&rows, out)
            })?;
        }
        PayablesCommand::List { status, vendor } => {
            let rows = store.list_payables(&Filter {
                status: *status,
                vendor: vendor.clone(),
            })?;
            let mut out = std::io::stdout().lock();
            for p in &rows {
                let when = match p.status {
                    Status::Paid => format!(
                        "paid {}",
                        p.paid_on.map(|d| d.to_string()).unwrap_or_default()
                    ),
                    Status::Scheduled => format!(
                        "pay on {}",
                        p.scheduled_on.map(|d| d.to_string()).unwrap_or_default()
                    ),
                    other => other.as_str().to_string(),
                };
                writeln!(
                    out,
                    "{}  {:<28} {:<20} {:>12} {}  {}",
                    p.due_date, p.vendor, p.invoice_number, p.amount, p.currency, when
                )?;
            }
            if rows.is_empty() {
                writeln!(
                    out,
                    "no payables match; import some with `duebox payables import FILE.csv`"
                )?;
            }
        }
        PayablesCommand::Add {
            vendor,
            email,
            invoice,
            amount,
            currency,
            issued,
            due,
            credit,
        } => {
            let currency =
                crate::payables::import::check_payable(currency, *amount, *credit, *issued, *due)
                    .map_err(|e| anyhow::anyhow!("nothing added: {e}"))?;
            let p = Payable {
                vendor: vendor.clone(),
                vendor_email: email.clone(),
                invoice_number: invoice.clone(),
                amount: *amount,
                currency,
                issue_date: *issued,
                due_date: *due,
                status: Status::Open,
                paid_on: None,
                reference: None,
                scheduled_on: None,
            };
            store.add_payable(&p)?;
            println!("added {invoice} from {vendor}");
        }
        PayablesCommand::MarkPaid {
            invoice,
            on,
            reference,
            vendor,
            yes,
        } => {
            let mut action = PayableAction::mark_paid(invoice, vendor.as_deref(), *on);
            action.change = Change::Paid {
                on: *on,
                reference: reference.clone(),
            };
            change(&mut store, &action, *yes)?;
            println!("{invoice} marked paid on {on}");
        }
        PayablesCommand::Schedule {
            invoice,
            on,
            vendor,
            yes,
        } => {
            let action = PayableAction::schedule(invoice, vendor.as_deref(), *on);
            change(&mut store, &action, *yes)?;
            println!("{invoice} scheduled for payment on {on}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One payable change through the actions service: its questions asked on the terminal
/// (or answered by `--yes`), its refusals said as they are.
fn change(store: &mut Store, action: &PayableAction, yes: bool) -> anyhow::Result<()> {
    use crate::actions::payables::{apply, ActionError};
    use std::io::IsTerminal;
    let today = chrono::Local::now().date_naive();
    match apply(store, action, today, yes) {
        Ok(_) => Ok(()),
        Err(ActionError::NeedsConfirmation(asks)) => {
            if !std::io::stdin().is_terminal() {
                anyhow::bail!(
                    "{}: nothing changed; add --yes to confirm",
                    asks.iter()
                        .map(|a| a.question())
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
            for ask in &asks {
                eprint!("{} [y/N] ", ask.question());
                let mut answer = String::new();
                std::io::stdin().read_line(&mut answer)?;
                if !answer.trim().eq_ignore_ascii_case("y") {
                    anyhow::bail!("nothing changed");
                }
            }
            apply(store, action, today, true)?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
