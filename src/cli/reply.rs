//! `duebox reply` and `duebox outbox`: answering a stored message with a template from the
//! command line (scripts, the background mode), and the outbox after a failure or a crash.

use super::Cli;
use crate::account;
use crate::config::Config;
use crate::imap::Imap;
use crate::reply::{Asked, Identity, Templates};
use crate::send::{Decision, OutboxError, Prepared, ReplyContext, Resolved, Sending};
use crate::smtp::SmtpAccount;
use crate::store::{OutboxState, Store};
use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use std::process::ExitCode;

/// What a reply is asked with, shared by `reply` and `templates render`.
#[derive(Debug, Args, Clone)]
pub struct AskArgs {
    /// The payment date to promise (set_expectations, negotiate) [default: the scheduled date].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = super::payables::parse_day)]
    pub pay_on: Option<NaiveDate>,
    /// Propose this many monthly instalments from --pay-on (negotiate).
    #[arg(long, value_name = "N")]
    pub instalments: Option<u32>,
    /// A note for the reply (escalate, negotiate, dispute_amount).
    #[arg(long)]
    pub note: Option<String>,
    /// The date to count days overdue from [default: today].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = super::payables::parse_day)]
    pub today: Option<NaiveDate>,
}

impl AskArgs {
    pub fn asked(&self) -> Asked {
        Asked {
            pay_on: self.pay_on,
            instalments: self.instalments,
            note: self.note.clone(),
        }
    }

    pub fn today(&self) -> NaiveDate {
        self.today
            .unwrap_or_else(|| chrono::Local::now().date_naive())
    }
}

#[derive(Debug, Args)]
pub struct ReplyArgs {
    /// The message: its number in the database (`duebox log` shows Message-IDs) or its Message-ID.
    pub message: String,
    /// acknowledge, set_expectations, negotiate, confirm_payment, dispute_amount, escalate, or your own.
    #[arg(long, short)]
    pub template: String,
    #[command(flatten)]
    pub ask: AskArgs,
    /// Show the reply, send nothing; the exit status is 1 when sending it would be refused.
    #[arg(long)]
    pub dry_run: bool,
    /// Send even though this message was already answered (with this template here, or by
    /// anyone: \Answered on the server, a reply to it in Sent).
    #[arg(long)]
    pub again: bool,
    /// With [team]: answer it even though another clerk is answering it (their claim is
    /// taken over, and the log records both names).
    #[arg(long)]
    pub take_over: bool,
}

#[derive(Debug, Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    pub command: Option<OutboxCommand>,
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List the replies, newest first (the default).
    List,
    /// Show one reply as it was (or will be) sent.
    Show { id: i64 },
    /// Send a failed reply again (the same message, the same Message-ID); one whose outcome
    /// is unknown is refused (see resolve).
    Retry {
        id: i64,
        /// Even if the message was answered elsewhere meanwhile.
        #[arg(long)]
        again: bool,
    },
    /// Decide about a reply whose outcome is unknown: without --sent or --resend, looks for
    /// it in Sent and records it as sent if it is there, else says what it found and asks.
    Resolve {
        id: i64,
        /// It arrived: record it as sent.
        #[arg(long, conflicts_with = "resend")]
        sent: bool,
        /// It did not arrive: send it again.
        #[arg(long)]
        resend: bool,
        /// With --resend: even if the message was answered elsewhere meanwhile.
        #[arg(long, requires = "resend")]
        again: bool,
    },
    /// Give up a failed or unresolved reply (kept in the record as discarded).
    Discard { id: i64 },
}

/// Who we are in replies, from the config.
pub(crate) fn identity(config: &Config) -> Identity {
    let company = config.company.name.clone();
    let signature = if !config.reply.signature.trim().is_empty() {
        config.reply.signature.trim_end().to_string()
    } else if company.is_empty() {
        "Accounts Payable".to_string()
    } else {
        format!("Accounts Payable\n{company}")
    };
    Identity {
        from: config.reply.from.clone().unwrap_or_default(),
        company,
        signature,
        approver: config.reply.approver.clone(),
        language: config.company.lang(),
        vendor_languages: config.reply.vendor_langs(),
    }
}

/// Everything replies are written with.
pub(crate) fn context(
    config: &Config,
    store: &Store,
    today: NaiveDate,
) -> anyhow::Result<ReplyContext> {
    Ok(ReplyContext {
        templates: Templates::standard(),
        identity: identity(config),
        classify: super::classify_options(config, &[], today),
        index: store.payables_index()?,
    })
}

/// Prints a draft the way it will go out.
pub(crate) fn print_draft(p: &Prepared) {
    let d = &p.draft;
    println!("From: {}", d.from);
    println!("To: {}", d.to);
    println!("Subject: {}", d.subject);
    if let Some(id) = &d.in_reply_to {
        println!("In-Reply-To: {id}");
    }
    println!("Template: {}", d.template);
    println!();
    print!("{}", crate::mail::sanitize::for_terminal(&d.body));
    for w in &d.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(b) = &d.blocked {
        eprintln!("BLOCKED: {b}");
    }
}

/// The mailbox, when the config has one and it answers; otherwise why not (sending goes on).
fn mailbox(config: &Config) -> (Option<Imap>, Option<String>) {
    let Some(imap) = &config.imap else {
        return (
            None,
            Some("no [imap] in the config: the copy in Sent and \\Answered are skipped".into()),
        );
    };
    let connected = account::from_config(imap)
        .map_err(|e| e.to_string())
        .and_then(|a| Imap::connect(&a).map_err(|e| e.to_string()));
    match connected {
        Ok(s) => (Some(s), None),
        Err(e) => (None, Some(format!("cannot reach the mailbox ({e}); the copy in Sent and \\Answered wait for the next sync"))),
    }
}

/// Our mail domain, for the SMTP greeting.
pub(crate) fn hello(config: &Config) -> String {
    config
        .reply
        .from
        .as_deref()
        .and_then(|f| f.parse::<lettre::message::Mailbox>().ok())
        .map(|m| m.email.domain().to_string())
        .unwrap_or_else(|| "localhost".into())
}

/// Runs `f` with a sender wired to SMTP and (when it answers) the mailbox.
fn with_sender<T>(
    config: &Config,
    store: &mut Store,
    f: impl FnOnce(&mut Sending<'_>) -> Result<T, OutboxError>,
) -> anyhow::Result<Result<T, OutboxError>> {
    let (mut imap, note) = mailbox(config);
    if let Some(n) = note {
        eprintln!("duebox: {n}");
    }
    let result = with_sender_on(config, store, &mut imap, f);
    if let Some(s) = imap {
        s.logout();
    }
    result
}

/// [`with_sender`] on a mailbox connection made already (the one a claim was taken on).
fn with_sender_on<T>(
    config: &Config,
    store: &mut Store,
    imap: &mut Option<Imap>,
    f: impl FnOnce(&mut Sending<'_>) -> Result<T, OutboxError>,
) -> anyhow::Result<Result<T, OutboxError>> {
    let account = SmtpAccount::from_config(config, &hello(config))?;
    let mut transport = account.connect()?;
    let mut sending = Sending {
        store,
        transport: &mut transport,
        mailbox: imap
            .as_mut()
            .map(|s| s as &mut dyn crate::sync::server::MailServer),
        sent_folder: config.reply.sent_folder.clone(),
        save_sent: config.reply.save_sent,
    };
    Ok(f(&mut sending))
}

fn report(result: Result<crate::send::Sent, OutboxError>, what: &str) -> ExitCode {
    match result {
        Ok(sent) => {
            println!("sent {what} (outbox #{}): {}", sent.id, sent.response);
            for l in sent.later {
                eprintln!("duebox: after sending: {l}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("duebox: {e}");
            ExitCode::from(1)
        }
    }
}

/// The mailbox for a dry run's look, when there is one (a dry run never needs SMTP).
fn dry_run_check(config: &Config, store: &mut Store, p: &Prepared, again: bool) -> ExitCode {
    let (mut imap, note) = mailbox(config);
    if let Some(n) = note {
        eprintln!("duebox: {n}");
    }
    let result = crate::send::preflight(
        store,
        imap.as_mut()
            .map(|s| s as &mut dyn crate::sync::server::MailServer),
        &config.reply.sent_folder,
        p,
        again,
        false,
    );
    if let Some(s) = imap {
        s.logout();
    }
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("duebox: would not be sent: {e}");
            ExitCode::from(1)
        }
    }
}

pub fn run(cli: &Cli, args: &ReplyArgs) -> anyhow::Result<ExitCode> {
    let config = super::load_config(cli)?;
    let mut store = super::open_store(cli, &config)?;
    let stored = store.find_message(&args.message)?.ok_or_else(|| {
        anyhow::anyhow!(
            "no message '{}' in the database; give its number or its Message-ID (`duebox log` lists them), and sync first",
            crate::mail::sanitize::one_line(&args.message)
        )
    })?;
    // With a team the chaser is claimed first: a clerk told that a colleague has it waits
    // for no reply to be written.
    if let (Some(team), false) = (&config.team, args.dry_run) {
        return answer_as_team(&config, team, &mut store, &stored, args);
    }
    let prepared = match write_reply(&config, &store, &stored, args)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    if args.dry_run {
        print_draft(&prepared);
        if let Some(held) = super::team::held_here(&config, &store, stored.id)? {
            eprintln!("duebox: would not be sent: {held}");
            return Ok(ExitCode::from(1));
        }
        return Ok(dry_run_check(&config, &mut store, &prepared, args.again));
    }
    let what = format!("{} to {}", prepared.draft.template, prepared.draft.to);
    let again = args.again;
    if args.take_over {
        eprintln!(
            "duebox: --take-over is for a team ([team] in the config); nothing is claimed here"
        );
    }
    let result = with_sender(&config, &mut store, |s| s.send(&prepared, again))?;
    Ok(report(result, &what))
}

/// The reply to a stored message, written; Err(exit status) when it cannot be (said why).
fn write_reply(
    config: &Config,
    store: &Store,
    stored: &crate::store::StoredMessage,
    args: &ReplyArgs,
) -> anyhow::Result<Result<Prepared, ExitCode>> {
    let ctx = context(config, store, args.ask.today())?;
    Ok(
        match ctx.prepare(
            &stored.raw,
            &args.template,
            &args.ask.asked(),
            args.ask.today(),
        ) {
            Ok(p) => Ok(p),
            Err(e) => {
                eprintln!("duebox: {e}");
                Err(ExitCode::from(1))
            }
        },
    )
}

/// `duebox reply` with [team]: the chaser claimed on the server, the reply written and sent
/// on the same connection, the claim released.
fn answer_as_team(
    config: &Config,
    team: &crate::config::Team,
    store: &mut Store,
    stored: &crate::store::StoredMessage,
    args: &ReplyArgs,
) -> anyhow::Result<ExitCode> {
    let again = args.again;
    let (imap, note) = mailbox(config);
    let Some(mut imap) = imap else {
        eprintln!(
            "duebox: not sent: with [team] a chaser is claimed on the server before it is answered, and {}; try again when the mailbox answers",
            note.unwrap_or_default()
        );
        return Ok(ExitCode::from(1));
    };
    let mut claims = crate::team::Claims::new(crate::team::Team::from_config(team));
    let claim = match claims.claim(
        &mut imap,
        store,
        stored.id,
        super::team::now(),
        args.take_over,
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("duebox: not sent: {}", e.words(crate::team::Front::Cli));
            imap.logout();
            return Ok(ExitCode::from(1));
        }
    };
    let prepared = match write_reply(config, store, stored, args) {
        Ok(Ok(p)) => p,
        refused => {
            let _ = claims.release(&mut imap, &claim, false);
            imap.logout();
            return refused.map(|r| r.err().unwrap_or(ExitCode::from(1)));
        }
    };
    let what = format!("{} to {}", prepared.draft.template, prepared.draft.to);
    if claim.answered_on_server() && !again {
        // Answered already, the flags say: the look before sending, made now, spares the
        // SMTP connection when it refuses (as it does when a colleague just answered it).
        let mailbox: &mut dyn crate::sync::server::MailServer = &mut imap;
        let looked = crate::send::preflight(
            store,
            Some(mailbox),
            &config.reply.sent_folder,
            &prepared,
            again,
            true,
        );
        if let Err(e) = looked {
            if let Err(r) = claims.release(&mut imap, &claim, false) {
                eprintln!("duebox: the claim on this chaser could not be released ({r}); it expires after {} minutes", team.claim_minutes);
            }
            imap.logout();
            return Ok(report(Err(e), &what));
        }
    }
    let mut imap = Some(imap);
    let result = with_sender_on(config, store, &mut imap, |s| s.send(&prepared, again));
    let mut imap = imap.expect("the mailbox stays");
    let answered = matches!(&result, Ok(Ok(_)));
    // Whether an unknown outcome reached the vendor nobody knows yet: the claim stays until
    // `outbox resolve` or its expiry, so that no colleague answers it meanwhile.
    let unknown = matches!(&result, Ok(Err(OutboxError::Unknown { .. })));
    if unknown {
        eprintln!(
            "duebox: your claim on this chaser stays for {} minutes, until the outcome is known",
            team.claim_minutes
        );
    } else if let Err(e) = claims.release(&mut imap, &claim, answered) {
        eprintln!(
            "duebox: the claim on this chaser could not be released ({e}); it expires after {} minutes",
            team.claim_minutes
        );
    }
    imap.logout();
    Ok(report(result?, &what))
}

/// With [team]: the claim `duebox reply` kept on the chaser while the outcome was unknown
/// is released now that it is settled or discarded (found on the server: this process did
/// not take it). `answered`: the reply reached the vendor.
fn release_settled(
    config: &Config,
    team: &crate::config::Team,
    store: &Store,
    id: i64,
    answered: bool,
) {
    let row = store
        .outbox_entry(id)
        .ok()
        .flatten()
        .and_then(|e| e.answers)
        .and_then(|a| store.find_message(&a).ok().flatten())
        .map(|m| m.id);
    let (Some(row), (Some(mut imap), _)) = (row, mailbox(config)) else {
        eprintln!(
            "duebox: the claim on the chaser could not be released (the mailbox or the chaser is not at hand); it expires after {} minutes",
            team.claim_minutes
        );
        return;
    };
    let mut claims = crate::team::Claims::new(crate::team::Team::from_config(team));
    if let Err(e) = claims.release_mine(&mut imap, store, row, answered) {
        eprintln!(
            "duebox: the claim on the chaser could not be released ({e}); it expires after {} minutes",
            team.claim_minutes
        );
    }
    imap.logout();
}

/// What `outbox resolve` says.
fn resolved(id: i64, result: Result<Resolved, OutboxError>) -> ExitCode {
    match result {
        Ok(Resolved::FoundInSent) => {
            println!(
                "outbox #{id} is in the Sent folder: recorded as sent; nothing was sent again"
            );
            ExitCode::SUCCESS
        }
        Ok(Resolved::Confirmed) => {
            println!("outbox #{id} recorded as sent");
            ExitCode::SUCCESS
        }
        Ok(Resolved::Resent(sent)) => report(Ok(sent), &format!("outbox #{id} again")),
        Ok(Resolved::Inconclusive { elsewhere, gaps }) => {
            println!("outbox #{id}: not in the Sent folder, so duebox cannot tell whether the vendor received it.");
            if let Some(found) = elsewhere {
                println!(
                    "The message it answers was answered {}; sending it again would answer twice.",
                    found.words()
                );
            }
            for g in gaps {
                println!("(could not look at {g})");
            }
            println!("Check with the vendor, then: `duebox outbox resolve {id} --sent` (it arrived), `duebox outbox resolve {id} --resend` (send it again) or `duebox outbox discard {id}`.");
            ExitCode::from(1)
        }
        Err(e) => report(Err(e), ""),
    }
}

pub fn run_outbox(cli: &Cli, args: &OutboxArgs) -> anyhow::Result<ExitCode> {
    let config = super::load_config(cli)?;
    let mut store = super::open_store(cli, &config)?;
    match args.command.as_ref().unwrap_or(&OutboxCommand::List) {
        OutboxCommand::List => {
            let entries = store.outbox(&[])?;
            if entries.is_empty() {
                println!("the outbox is empty");
            }
            for e in entries {
                let state = if e.demo {
                    format!("{} (demo, not sent)", e.state.as_str())
                } else {
                    e.state.as_str().to_string()
                };
                println!(
                    "#{:<4} {:<10} {:<16} {:<19} {} — {}{}",
                    e.id,
                    state,
                    e.template,
                    e.sent_at.as_deref().unwrap_or(&e.created_at),
                    e.envelope_to,
                    crate::mail::sanitize::one_line(&e.subject),
                    e.error.map(|x| format!(" [{x}]")).unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        OutboxCommand::Show { id } => {
            let e = store
                .outbox_entry(*id)?
                .ok_or(OutboxError::NoSuchEntry(*id))?;
            println!(
                "outbox #{} — {}{}",
                e.id,
                e.state.as_str(),
                e.error
                    .as_deref()
                    .map(|x| format!(": {x}"))
                    .unwrap_or_default()
            );
            match crate::mail::parse(&e.raw) {
                Ok(m) => {
                    let to: Vec<String> = m.to.iter().map(|a| a.email.clone()).collect();
                    println!("To: {}", to.join(", "));
                    println!("Subject: {}", crate::mail::sanitize::one_line(&m.subject));
                    println!("Message-ID: {}", e.message_id);
                    println!();
                    print!("{}", crate::mail::sanitize::for_terminal(&m.body));
                }
                Err(_) => print!(
                    "{}",
                    crate::mail::sanitize::for_terminal(&String::from_utf8_lossy(&e.raw))
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        OutboxCommand::Retry { id, again } => {
            let (id, again) = (*id, *again);
            let result = with_sender(&config, &mut store, |s| s.retry(id, again))?;
            Ok(report(result, &format!("outbox #{id}")))
        }
        OutboxCommand::Resolve {
            id,
            sent,
            resend,
            again,
        } => {
            let id = *id;
            let decision = match (*sent, *resend) {
                (true, _) => Decision::Arrived,
                (_, true) => Decision::Resend { again: *again },
                _ => Decision::Check,
            };
            let result = with_sender(&config, &mut store, |s| s.resolve(id, decision))?;
            let settled = matches!(
                &result,
                Ok(Resolved::FoundInSent | Resolved::Confirmed | Resolved::Resent(_))
            );
            if let (true, Some(team)) = (settled, &config.team) {
                release_settled(&config, team, &store, id, true);
            }
            Ok(resolved(id, result))
        }
        OutboxCommand::Discard { id } => {
            let e = store
                .outbox_entry(*id)?
                .ok_or(OutboxError::NoSuchEntry(*id))?;
            if e.state == OutboxState::Sent {
                anyhow::bail!("outbox #{id} was sent; it stays in the record");
            }
            store
                .set_outbox_state(*id, OutboxState::Discarded, "discarded by the user")
                .context("cannot discard")?;
            println!("outbox #{id} discarded");
            // An unknown outcome kept its claim; given up, the chaser is free for the team.
            if let (true, Some(team)) = (
                matches!(e.state, OutboxState::Sending | OutboxState::Unknown),
                &config.team,
            ) {
                release_settled(&config, team, &store, *id, false);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
