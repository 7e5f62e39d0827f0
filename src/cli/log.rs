//! `duebox log`: the record of everything duebox saw and did, filtered by vendor, invoice or
//! date, printed or exported as CSV.

use super::Cli;
use crate::mail::sanitize::one_line;
use crate::store::EventFilter;
use chrono::NaiveDate;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only this vendor (a part of its name, any case).
    #[arg(long)]
    pub vendor: Option<String>,
    /// Only this invoice, and everything about the messages that claimed it.
    #[arg(long)]
    pub invoice: Option<String>,
    /// Only events on or after this date.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = super::payables::parse_day)]
    pub since: Option<NaiveDate>,
    /// CSV on standard output: at,actor,kind,message_id,vendor,invoice,detail,clerk.
    #[arg(long)]
    pub csv: bool,
}

pub fn run(cli: &Cli, args: &LogArgs) -> anyhow::Result<ExitCode> {
    let config = super::load_config(cli)?;
    let store = super::open_store(cli, &config)?;
    let events = store.events(&EventFilter {
        vendor: args.vendor.clone(),
        invoice: args.invoice.clone(),
        since: args.since,
    })?;
    if args.csv {
        crate::store::write_events_csv(&events, std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    if events.is_empty() {
        println!("no events match");
    }
    for e in &events {
        let about = [e.vendor.as_deref(), e.invoice.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        println!(
            "{}  {:<10} {:<10} {:<16} {}{}{}",
            e.at,
            one_line(e.clerk.as_deref().unwrap_or("-")),
            e.actor,
            e.kind,
            if about.is_empty() {
                String::new()
            } else {
                format!("[{}] ", one_line(&about))
            },
            one_line(&e.detail),
            e.message_id
                .as_deref()
                .map(|m| format!("  <{}>", one_line(m)))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
