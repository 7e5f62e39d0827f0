//! `duebox sync`: one pass with a progress bar (plain log lines when not on a terminal) and a
//! one-line summary; `--watch` keeps going: IDLE on INBOX (polling without it), reconnecting
//! with backoff, stopping cleanly on SIGTERM or Ctrl-C, logging to a file.

use super::Cli;
use crate::config::Config;
use crate::imap::{account, Imap};
use crate::store::Store;
use crate::sync::engine::{sync_once, Progress, Report, Settings};
use crate::sync::server::MailServer;
use anyhow::Context;
use clap::Args;
use std::io::IsTerminal;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

/// How often the watcher looks for a new `duebox login` after the sign-in was lost.
const LOGIN_POLL: Duration = Duration::from_secs(3);

/// Whether the error is a lost sign-in, which no retry cures.
fn needs_login(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<crate::imap::ConnectError>()
            .is_some_and(crate::imap::ConnectError::needs_login)
            || c.downcast_ref::<account::SecretError>()
                .is_some_and(account::SecretError::needs_login)
            || c.downcast_ref::<crate::oauth::Error>()
                .is_some_and(crate::oauth::Error::needs_login)
    })
}

/// The longest IDLE before it is re-issued: servers drop it after 30 minutes.
const IDLE_RENEW: Duration = Duration::from_secs(25 * 60);

pub fn run(cli: &Cli, args: &SyncArgs) -> anyhow::Result<ExitCode> {
    let config = super::load_config(cli)?;
    let imap = config.imap.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "no [imap] section in the config file ({}): copy the [imap] part of config.example.toml and fill in your mailbox",
            super::config_path_shown(cli)
        )
    })?;
    let mut store = super::open_store(cli, &config)?;
    if args.watch {
        return watch(&config, &imap, &mut store, args);
    }
    let account = account::from_config(&imap)?;
    let mut server =
        Imap::connect(&account).with_context(|| format!("cannot sync {}", imap.shown()))?;
    let report = pass(
        &mut server,
        &mut store,
        &config,
        std::io::stderr().is_terminal(),
    )?;
    server.logout();
    println!("sync: {}", report.summary());
    for w in &report.warnings {
        eprintln!("duebox: {w}");
    }
    Ok(ExitCode::SUCCESS)
}

/// One sync pass, with a progress bar on a terminal and log lines otherwise.
fn pass(
    server: &mut dyn MailServer,
    store: &mut Store,
    config: &Config,
    terminal: bool,
) -> anyhow::Result<Report> {
    let index = store.payables_index()?;
    let opts = super::classify_options(config, &[], chrono::Local::now().date_naive());
    let settings = Settings {
        folders: &config.folders,
        classify: &opts,
        index: &index,
    };
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
    let report = sync_once(server, store, &settings, &mut on_progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut report = report?;
    // Replies sent while the mailbox was away: their copy in Sent and \Answered, and the
    // check of any reply a crash left in `sending`.
    let mut after = crate::send::AfterSend {
        store,
        mailbox: Some(server),
        sent_folder: &config.reply.sent_folder,
        save_sent: config.reply.save_sent,
    };
    match after.recover() {
        Ok(unresolved) if !unresolved.is_empty() => report
            .warnings
            .push(crate::send::OutboxError::Unresolved(unresolved).to_string()),
        Ok(_) => {}
        Err(e) => report.warnings.push(e.to_string()),
    }
    match after.finish_pending() {
        Ok(later) => report.warnings.extend(later),
        Err(e) => report.warnings.push(e.to_string()),
    }
    Ok(report)
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

/// Stops the background loop: a flag, and the socket to shut so a blocked IDLE wakes.
#[derive(Clone, Default)]
struct Stopper {
    stop: Arc<AtomicBool>,
    socket: Arc<Mutex<Option<TcpStream>>>,
}

impl Stopper {
    fn install(&self) -> anyhow::Result<()> {
        let mut signals = signal_hook::iterator::Signals::new([
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGINT,
        ])
        .context("cannot install the signal handler")?;
        let me = self.clone();
        std::thread::spawn(move || {
            if signals.forever().next().is_some() {
                me.stop.store(true, Ordering::SeqCst);
                if let Ok(guard) = me.socket.lock() {
                    if let Some(s) = guard.as_ref() {
                        let _ = s.shutdown(std::net::Shutdown::Both);
                    }
                }
            }
        });
        Ok(())
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn watch_socket(&self, socket: Option<TcpStream>) {
        if let Ok(mut guard) = self.socket.lock() {
            *guard = socket;
        }
        // A signal that came between the check and now must still wake us.
        if self.stopped() {
            if let Ok(guard) = self.socket.lock() {
                if let Some(s) = guard.as_ref() {
                    let _ = s.shutdown(std::net::Shutdown::Both);
                }
            }
        }
    }

    /// Sleeps, waking early when stopped.
    fn sleep(&self, total: Duration) {
        let step = Duration::from_millis(200);
        let mut slept = Duration::ZERO;
        while slept < total && !self.stopped() {
            std::thread::sleep(step);
            slept += step;
        }
    }
}

fn say(message: &str) {
    tracing::info!("{message}");
    eprintln!("duebox: {message}");
}

fn watch(
    config: &Config,
    imap: &crate::config::Imap,
    store: &mut Store,
    args: &SyncArgs,
) -> anyhow::Result<ExitCode> {
    let log = start_log(args)?;
    let stopper = Stopper::default();
    stopper.install()?;
    say(&format!(
        "watching {} (log: {})",
        imap.shown(),
        log.display()
    ));
    let mut backoff = Duration::from_secs(1);
    let mut told_to_sign_in: Option<String> = None;
    while !stopper.stopped() {
        let connected = account::from_config(imap)
            .map_err(anyhow::Error::from)
            .and_then(|a| Imap::connect(&a).map_err(anyhow::Error::from));
        let mut server = match connected {
            Ok(s) => s,
            Err(e) if needs_login(&e) => {
                // Only `duebox login` helps: said once, then the token store is looked at
                // every few seconds (a local read; the provider is not asked again).
                let text = format!("{e:#}");
                if told_to_sign_in.as_ref() != Some(&text) {
                    say(&format!(
                        "cannot connect: {text}; waiting for the new sign-in (looking every {}s)",
                        LOGIN_POLL.as_secs()
                    ));
                    told_to_sign_in = Some(text);
                }
                stopper.sleep(LOGIN_POLL);
                continue;
            }
            Err(e) => {
                say(&format!(
                    "cannot connect: {e:#}; retrying in {}s",
                    backoff.as_secs()
                ));
                stopper.sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(300));
                continue;
            }
        };
        if told_to_sign_in.take().is_some() {
            say("signed in again: resuming");
        }
        stopper.watch_socket(server.interrupter().ok());
        let outcome = watch_connected(&mut server, store, config, &stopper, &mut backoff);
        stopper.watch_socket(None);
        match outcome {
            Ok(()) => server.logout(),
            Err(e) if stopper.stopped() => tracing::debug!("stopped during: {e:#}"),
            Err(e) => {
                say(&format!(
                    "connection lost: {e:#}; reconnecting in {}s",
                    backoff.as_secs()
                ));
                stopper.sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(300));
            }
        }
    }
    say("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Syncs, then waits for changes (IDLE or polling) and syncs again, until stopped or the
/// connection fails.
fn watch_connected(
    server: &mut Imap,
    store: &mut Store,
    config: &Config,
    stopper: &Stopper,
    backoff: &mut Duration,
) -> anyhow::Result<()> {
    while !stopper.stopped() {
        let report = pass(server, store, config, false)?;
        *backoff = Duration::from_secs(1);
        say(&format!("sync: {}", report.summary()));
        for w in &report.warnings {
            say(w);
        }
        digest_step(server, store, config, chrono::Local::now().date_naive());
        if stopper.stopped() {
            break;
        }
        if server.capabilities().idle {
            server.select("INBOX")?;
            server.idle(IDLE_RENEW)?;
        } else {
            stopper.sleep(config.sync.interval);
        }
    }
    Ok(())
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
        let account =
            crate::send::smtp::SmtpAccount::from_config(config, &super::reply::hello(config))?;
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
