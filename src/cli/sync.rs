//! `duebox sync`: one pass with a progress bar (plain log lines when not on a terminal) and a
//! one-line summary; `--watch` keeps going: IDLE on INBOX (polling without it), reconnecting
//! with backoff, stopping cleanly on SIGTERM or Ctrl-C, logging to a file. The pass and the
//! loop are the sync session's (`crate::sync::session`); this file only shows them.

use super::Cli;
use crate::account;
use crate::config::Config;
use crate::imap::Imap;
use crate::send::OutboxError;
use crate::store::Store;
use crate::sync::engine::{Progress, Report};
use crate::sync::session::{self, AccountConnect, Flow, Note, SentCopy, Session, Stopper, Watch};
use crate::sync::warning::Warning;
use anyhow::Context;
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when the pass completed (problems with single messages are \
counted in the summary), 2 when it could not (configuration, login, network, database)."
)]
pub struct SyncArgs {
    /// Keep running: wait for new mail with IMAP IDLE (or poll every [sync] interval),
    /// reconnect after network trouble, stop on SIGTERM or Ctrl-C.
    #[arg(long)]
    pub watch: bool,

    /// Log file for --watch [default: $XDG_STATE_HOME/duebox/duebox.log].
    #[arg(long, value_name = "PATH")]
    pub log: Option<PathBuf>,
}

pub fn run(cli: &Cli, args: &SyncArgs) -> anyhow::Result<ExitCode> {
    let config = super::load_config(cli)?;
    let imap = super::imap_section(cli, &config, "")?;
    // The pass exchanges with the team database itself, after the mail (`pass_and_share`).
    let mut store = super::StoreOpener::new(cli, &config)?.open_lazily()?;
    if args.watch {
        return watch(&config, &imap, &mut store, args);
    }
    let account = account::from_config(&imap)?;
    let server =
        Imap::connect(&account).with_context(|| format!("cannot sync {}", imap.shown()))?;
    let mut session = Session::connected(
        Box::new(AccountConnect(imap.clone())),
        Box::new(server),
        SentCopy::from_config(&config),
    );
    let report = pass(
        &mut session,
        &mut store,
        &config,
        std::io::stderr().is_terminal(),
    )?;
    session.logout();
    println!("sync: {}", report.summary());
    for w in &report.warnings {
        eprintln!("duebox: {}", words(w));
    }
    Ok(ExitCode::SUCCESS)
}

/// One pass of the session, with a progress bar on a terminal and log lines otherwise.
fn pass(
    session: &mut Session,
    store: &mut Store,
    config: &Config,
    terminal: bool,
) -> anyhow::Result<Report> {
    let opts = super::classify_options(config, &[], chrono::Local::now().date_naive());
    let bar = terminal.then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:24} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    });
    let mut on_progress = |p: Progress| match (&bar, p) {
        (Some(bar), Progress::Folder { name, to_fetch }) => {
            bar.set_message(crate::mail::sanitize::one_line(&name));
            bar.set_length(to_fetch as u64);
            bar.set_position(0);
        }
        (Some(bar), Progress::Fetched(n)) => bar.inc(n as u64),
        (Some(bar), Progress::Filing(n)) => bar.set_message(format!("filing {n}")),
        (None, Progress::Folder { name, to_fetch }) if to_fetch > 0 => {
            tracing::info!("{name}: {to_fetch} new messages to fetch");
            eprintln!("sync: {name}: {to_fetch} new messages to fetch");
        }
        (None, Progress::Filing(n)) => eprintln!("sync: filing {n} messages"),
        (None, _) => {}
    };
    let (report, team) = session.pass_and_share(store, &config.folders, &opts, &mut on_progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Err(e) = team {
        tracing::warn!("{e}");
        eprintln!("duebox: {e}");
    }
    Ok(report?)
}

/// Sets up logging to a file for the background mode.
fn start_log(args: &SyncArgs) -> anyhow::Result<PathBuf> {
    let path = match &args.log {
        Some(p) => p.clone(),
        None => dirs::state_dir()
            .or_else(dirs::data_local_dir)
            .ok_or_else(|| anyhow::anyhow!("no place for the log: set HOME or pass --log PATH"))?
            .join("duebox")
            .join("duebox.log"),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the log folder {}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot open the log file {}", path.display()))?;
    let _ = tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DUEBOX_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    Ok(path)
}

/// The watcher to stop when its output is gone (`sync --watch 2>&1 | head -1`).
static STOP_WHEN_UNHEARD: std::sync::OnceLock<Stopper> = std::sync::OnceLock::new();

/// Logs and prints a line. The watcher keeps SIGPIPE ignored (see cli::run), so a closed
/// pipe is an error here, never a panic: the watch then stops cleanly, as after SIGTERM,
/// and exits 0, as `git` does when its reader is gone.
/// A pass's warning in the terminal's terms: the commands that settle it.
fn words(w: &Warning) -> String {
    match w {
        Warning::Text(text) => text.clone(),
        Warning::Unresolved(entries) => OutboxError::Unresolved(entries.clone()).to_string(),
    }
}

fn say(message: &str) {
    use std::io::Write;
    tracing::info!("{message}");
    if let Err(e) = writeln!(std::io::stderr().lock(), "duebox: {message}") {
        if let Some(stopper) = STOP_WHEN_UNHEARD.get() {
            tracing::info!("the output is closed ({e}): stopping");
            stopper.stop();
        }
    }
}

fn watch(
    config: &Config,
    imap: &crate::config::Imap,
    store: &mut Store,
    args: &SyncArgs,
) -> anyhow::Result<ExitCode> {
    let log = start_log(args)?;
    let stopper = Stopper::default();
    stopper
        .on_signals()
        .context("cannot install the signal handler")?;
    let _ = STOP_WHEN_UNHEARD.set(stopper.clone());
    say(&format!(
        "watching {} (log: {})",
        imap.shown(),
        log.display()
    ));
    let mut session = Session::new(
        Box::new(AccountConnect(imap.clone())),
        SentCopy::from_config(config),
    );
    session::watch(
        &mut session,
        &Watch {
            stop: &stopper,
            poll: Some(config.sync.interval),
        },
        &mut |session, _| {
            let report = pass(session, store, config, false)?;
            say(&format!("sync: {}", report.summary()));
            for w in &report.warnings {
                say(&words(w));
            }
            let server = session.server()?;
            digest_step(server, store, config, chrono::Local::now().date_naive());
            Ok(Flow::Continue)
        },
        &mut |note| {
            say(&match note {
                Note::CannotConnect { error, retry_in } => {
                    format!(
                        "cannot connect: {error}; retrying in {}s",
                        retry_in.as_secs()
                    )
                }
                Note::WaitingForLogin { error } => format!(
                    "cannot connect: {error}; waiting for the new sign-in (looking every {}s)",
                    session::LOGIN_POLL.as_secs()
                ),
                Note::SignedInAgain => "signed in again: resuming".to_string(),
                Note::Lost { error, retry_in } => format!(
                    "connection lost: {error}; reconnecting in {}s",
                    retry_in.as_secs()
                ),
            })
        },
    );
    say("stopped");
    Ok(ExitCode::SUCCESS)
}

/// The daily digest after a pass, when the config asks for it; a failure is logged and the
/// watcher goes on (the next pass tries again; the outbox keeps it to once a day).
pub(crate) fn digest_step(
    server: &mut dyn crate::sync::server::MailServer,
    store: &mut Store,
    config: &Config,
    today: chrono::NaiveDate,
) {
    let mut run = || -> anyhow::Result<Option<crate::digest::DigestOutcome>> {
        if !crate::digest::wanted(store, config, today)? {
            return Ok(None);
        }
        let account = crate::smtp::SmtpAccount::from_config(config, &super::reply::hello(config))?;
        let mut transport = account.connect()?;
        let mut sending = crate::send::Sending {
            store,
            transport: &mut transport,
            mailbox: Some(server),
            sent_folder: config.reply.sent_folder.clone(),
            save_sent: config.reply.save_sent,
        };
        Ok(Some(crate::digest::send(&mut sending, config, today)?))
    };
    match run() {
        Ok(Some(crate::digest::DigestOutcome::Sent { id, count })) => say(&format!(
            "digest: sent the payables due ({count}) as outbox #{id}"
        )),
        Ok(_) => {}
        Err(e) => say(&format!(
            "digest: not sent: {e:#}; it is tried again after the next sync"
        )),
    }
}
