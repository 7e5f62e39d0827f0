//! `duebox classify`: reads message files (or stdin) and prints each verdict, as a readable
//! summary or as the JSON Lines of the contract.

use super::Cli;
use crate::classify::{self, Classification, Kind, Options};
use crate::money::Money;
use crate::payables::validate::{self, Match, PayablesIndex};
use crate::store::{PriorChase, Store};
use crate::sync::learn::{self, Learnt};
use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use serde::Serialize;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when every file was read, 1 when any could not be \
read or parsed (it still gets its line, with an \"error\"), 2 on bad arguments."
)]
pub struct ClassifyArgs {
    /// Message files (.eml, RFC 5322); `-` reads one message from standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Print one JSON object per file (JSON Lines), as documented in the contract.
    #[arg(long)]
    pub json: bool,

    /// The date to read year-less dates against when a message has no Date header
    /// [default: today].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub today: Option<NaiveDate>,

    /// One of our own mail domains (repeatable); adds to [company] domains in the config.
    /// Chasers sent from our own domains are ours, not a vendor's.
    #[arg(long = "own-domain", value_name = "DOMAIN")]
    pub own_domains: Vec<String>,
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date in the form YYYY-MM-DD (e.g. 2026-11-23)"))
}

/// One line of `--json` output: the contract's fields, in the contract's order.
#[derive(Serialize)]
struct JsonVerdict<'a> {
    path: &'a str,
    kind: Kind,
    stage: Option<&'static str>,
    invoices: &'a [String],
    amount: Option<String>,
    currency: Option<&'a str>,
    due_date: Option<String>,
    vendor: Option<&'a str>,
    risk: Vec<&'static str>,
    reasons: &'a [String],
    /// ISO 639-1 code of the message's new text (an addition the contract lists).
    language: Option<&'static str>,
    #[serde(rename = "match")]
    matched: Option<JsonMatch>,
}

/// The contract's `match` object; `paid_on`, `reference` and `lines` are additions.
#[derive(Serialize)]
struct JsonMatch {
    status: &'static str,
    invoice: String,
    expected_amount: Option<String>,
    expected_currency: Option<String>,
    paid_on: Option<String>,
    reference: Option<String>,
    lines: Vec<JsonLine>,
    /// Earlier chases of the same invoices by the same vendor, oldest first.
    chased_before: Vec<JsonChase>,
}

#[derive(Serialize)]
struct JsonChase {
    invoice: String,
    date: String,
    stage: String,
    message_id: String,
}

#[derive(Serialize)]
struct JsonLine {
    invoice: String,
    status: &'static str,
}

fn json_match(m: &Match, prior: &[PriorChase]) -> JsonMatch {
    JsonMatch {
        status: m.status.as_str(),
        invoice: m.invoice.clone(),
        expected_amount: m
            .expected
            .as_ref()
            .map(|(amount, currency)| Money::new(*amount, currency).amount_string()),
        expected_currency: m.expected.as_ref().map(|(_, c)| c.clone()),
        paid_on: m.paid_on.map(|d| d.to_string()),
        reference: m.reference.clone(),
        lines: m
            .lines
            .iter()
            .map(|l| JsonLine {
                invoice: l.invoice.clone(),
                status: l.status.as_str(),
            })
            .collect(),
        chased_before: prior
            .iter()
            .map(|p| JsonChase {
                invoice: p.invoice.clone(),
                date: p.chased_at.clone(),
                stage: p.stage.clone(),
                message_id: p.message_id.clone(),
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct JsonError<'a> {
    path: &'a str,
    error: String,
}

pub fn run(cli: &Cli, args: &ClassifyArgs) -> anyhow::Result<ExitCode> {
    let config = super::load_config(cli)?;
    let today = args
        .today
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let opts = super::classify_options(&config, &args.own_domains, today);
    // With --db, claims are checked against the payables, indexed once for all the files,
    // and every chase is recorded (in one transaction) so repeats show their history.
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let failed = match &cli.db {
        Some(_) => {
            let mut store = super::open_store(cli, &config)?;
            let index = store.payables_index()?;
            let learnt = Learnt::load(&store)?;
            store.in_batch(|store| {
                classify_files(args, &opts, Some((&index, &learnt, store)), &mut out)
            })?
        }
        None => classify_files(args, &opts, None, &mut out)?,
    };
    out.flush()?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One verdict: the classification, and with the database the claim's match and history.
type Verdict = (Classification, Option<Match>, Vec<PriorChase>);

/// Classifies every file and prints its verdict; true when any could not be read.
fn classify_files(
    args: &ClassifyArgs,
    opts: &Options,
    mut records: Option<(&PayablesIndex, &Learnt, &mut Store)>,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let mut failed = false;
    for path in &args.files {
        let shown = path.display().to_string();
        let verdict = read_input(path).and_then(|raw| -> anyhow::Result<Verdict> {
            let ledger: &dyn classify::Ledger = match &records {
                Some((index, _, _)) => *index,
                None => &classify::NoLedger,
            };
            let (msg, mut c) = classify::classify_bytes_with(&raw, opts, ledger)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let Some((index, learnt, store)) = records.as_mut() else {
                return Ok((c, None, Vec::new()));
            };
            learn::overrule(learnt, &msg, &mut c);
            let found = validate::apply_records(index, &mut c, &msg, opts);
            let prior = store.note_chase(index, &msg, &c)?;
            if !prior.is_empty() {
                let dates: Vec<String> = prior
                    .iter()
                    .map(|p| format!("{} ({})", &p.chased_at[..10], p.stage))
                    .collect();
                c.reasons
                    .push(format!("chased before: {}", dates.join(", ")));
            }
            Ok((c, found, prior))
        });
        match verdict {
            Ok((c, found, prior)) if args.json => {
                serde_json::to_writer(
                    &mut *out,
                    &json_verdict(&shown, &c, found.as_ref(), &prior),
                )?;
                writeln!(out)?;
            }
            Ok((c, found, _)) => write_summary(out, &shown, &c, found.as_ref())?,
            Err(e) => {
                failed = true;
                if args.json {
                    serde_json::to_writer(
                        &mut *out,
                        &JsonError {
                            path: &shown,
                            error: format!("{e:#}"),
                        },
                    )?;
                    writeln!(out)?;
                } else {
                    writeln!(out, "{shown}\n  error: {e:#}\n")?;
                }
            }
        }
    }
    Ok(failed)
}

fn read_input(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut raw = Vec::new();
        std::io::stdin()
            .read_to_end(&mut raw)
            .context("cannot read the message from standard input")?;
        return Ok(raw);
    }
    std::fs::read(path).with_context(|| {
        format!(
            "cannot read {}: check the path and its permissions",
            path.display()
        )
    })
}

fn json_verdict<'a>(
    path: &'a str,
    c: &'a Classification,
    found: Option<&Match>,
    prior: &[PriorChase],
) -> JsonVerdict<'a> {
    JsonVerdict {
        path,
        kind: c.kind,
        stage: c.stage.map(|s| s.as_str()),
        invoices: &c.invoices,
        amount: c.amount.as_ref().map(|m| m.amount_string()),
        currency: c.amount.as_ref().map(|m| m.currency.as_str()),
        due_date: c.due_date.map(|d| d.format("%Y-%m-%d").to_string()),
        vendor: c.vendor.as_deref(),
        risk: c.risk.iter().map(|r| r.as_str()).collect(),
        reasons: &c.reasons,
        language: c.lang.map(|l| l.code()),
        matched: found.map(|m| json_match(m, prior)),
    }
}

fn write_summary(
    out: &mut impl Write,
    path: &str,
    c: &Classification,
    found: Option<&Match>,
) -> std::io::Result<()> {
    let what = match (c.kind, c.stage) {
        (Kind::Chaser, Some(stage)) => format!("chaser, {}", stage.as_str()),
        _ => "not a chaser".to_string(),
    };
    writeln!(out, "{path}")?;
    writeln!(
        out,
        "  {what}{}",
        c.vendor
            .as_deref()
            .map(|v| format!(" from {v}"))
            .unwrap_or_default()
    )?;
    if c.kind == Kind::Chaser {
        let invoices = if c.invoices.is_empty() {
            "none found".to_string()
        } else {
            c.invoices.join(", ")
        };
        let amount = c
            .amount
            .as_ref()
            .map_or("none found".to_string(), |m| m.to_string());
        let due = c
            .due_date
            .map_or("none found".to_string(), |d| d.to_string());
        writeln!(
            out,
            "  invoices: {invoices}\n  amount:   {amount}\n  due:      {due}"
        )?;
    }
    if let Some(m) = found {
        writeln!(out, "  records:  {}", m.status.as_str().replace('_', " "))?;
    }
    if !c.risk.is_empty() {
        let flags: Vec<&str> = c.risk.iter().map(|r| r.as_str()).collect();
        writeln!(out, "  WARNING, possible fraud: {}", flags.join(", "))?;
    }
    for reason in &c.reasons {
        writeln!(out, "  - {reason}")?;
    }
    writeln!(out)
}
