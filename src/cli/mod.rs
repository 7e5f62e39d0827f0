//! The command line: argument parsing (clap) and dispatch to one module per command.
//! Front end only: it reads files and prints; decisions live in the domain modules.

mod attachments;
mod bank;
mod classify;
mod config_cmd;
mod corrections;
mod csv_files;
mod init;
mod log;
mod login;
mod payables;
mod reply;
mod sync;
mod team;
mod templates;
mod ui;
mod vendors;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// duebox: the accounts-payable inbox assistant.
#[derive(Debug, Parser)]
#[command(name = "duebox", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file [default: $XDG_CONFIG_HOME/duebox/config.toml].
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Database file [default: [database] path in the config, else
    /// $XDG_DATA_HOME/duebox/duebox.db].
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Without a command: the terminal UI on the configured mailbox.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Recognise invoice chasers in message files and show what they claim.
    Classify(classify::ClassifyArgs),
    /// Keep the payables database: import/export CSV, list, add, mark paid, schedule.
    Payables(payables::PayablesArgs),
    /// Keep vendors' known addresses and bank details: import/export CSV, list.
    Vendors(vendors::VendorsArgs),
    /// Import bank statements (camt.053/054) and status reports (pain.002): payments matched to payables.
    Bank(bank::BankArgs),
    /// Sync the mailbox: fetch, classify, validate and file new mail (--watch keeps going).
    Sync(sync::SyncArgs),
    /// Check the config file and the mailbox login.
    Config(config_cmd::ConfigArgs),
    /// A message's attachments: list, save (safe names, never over a file), open, a PDF's text.
    Attachments(attachments::AttachmentsArgs),
    /// Write a first config file by answering questions (mailbox, provider, company, folders), then check it.
    Init(init::InitArgs),
    /// Sign in to Microsoft 365 / Outlook.com or Google ([oauth2] in the config).
    Login(login::LoginArgs),
    /// Answer a stored message with a template: rendered, sent once over SMTP, recorded.
    Reply(reply::ReplyArgs),
    /// The replies sent and waiting: list, show, retry a failed one, resolve an interrupted one.
    Outbox(reply::OutboxArgs),
    /// The reply templates: list, show, edit, render.
    Templates(templates::TemplatesArgs),
    /// The record of every message, decision and reply (by vendor, invoice, date; CSV).
    Log(log::LogArgs),
    /// What duebox learnt from your corrections: list, forget.
    Corrections(corrections::CorrectionsArgs),
    /// The terminal UI on a built-in demo mailbox (no server, no config; nothing is sent).
    Demo,
}

/// A closed pipe ends a printing command quietly (`duebox outbox | head -1`), as it ends
/// `git` or `cat`: the default action of SIGPIPE, which Rust's runtime sets to "ignore" and
/// so turns every later `println!` into a panic. Sockets are not affected (Rust writes to
/// them with MSG_NOSIGNAL).
fn quiet_on_closed_pipe() {
    // SAFETY: called once at start-up on the main thread before any other thread exists;
    // resetting a signal's disposition to its default has no other effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Runs the command line; the exit code is what the process returns.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    // The UI and the background sync keep the runtime's setting: they print nothing that
    // a pipe could take, and a long-running process must never die of a closed socket.
    let background = matches!(&cli.command, Some(Command::Sync(a)) if a.watch);
    if !background && !matches!(cli.command, None | Some(Command::Demo)) {
        quiet_on_closed_pipe();
    }
    let result = match &cli.command {
        None => ui::run_account(&cli),
        Some(Command::Demo) => ui::run_demo(&cli),
        Some(Command::Classify(args)) => classify::run(&cli, args),
        Some(Command::Payables(args)) => payables::run(&cli, args),
        Some(Command::Vendors(args)) => vendors::run(&cli, args),
        Some(Command::Bank(args)) => bank::run(&cli, args),
        Some(Command::Sync(args)) => sync::run(&cli, args),
        Some(Command::Config(args)) => config_cmd::run(&cli, args),
        Some(Command::Init(args)) => init::run(&cli, args),
        Some(Command::Attachments(args)) => attachments::run(&cli, args),
        Some(Command::Login(args)) => login::run(&cli, args),
        Some(Command::Reply(args)) => reply::run(&cli, args),
        Some(Command::Outbox(args)) => reply::run_outbox(&cli, args),
        Some(Command::Templates(args)) => templates::run(&cli, args),
        Some(Command::Log(args)) => log::run(&cli, args),
        Some(Command::Corrections(args)) => corrections::run(&cli, args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("duebox: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// How this invocation opens its database, worked out once: the path, the clerk's name and
/// the team database (a `password_cmd` runs once, not once per connection). The UI opens one
/// store per thread; they share what the last attempt to reach the team database found, so
/// an unreachable one costs one connect timeout and is reported once.
pub(crate) struct StoreOpener {
    path: std::path::PathBuf,
    clerk: Option<String>,
    team: Option<crate::store::TeamConfig>,
    reach: crate::store::TeamReach,
    exchanged: std::cell::Cell<bool>,
    /// `[sync] index_text`.
    index_text: bool,
}

impl StoreOpener {
    pub(crate) fn new(cli: &Cli, config: &crate::config::Config) -> anyhow::Result<StoreOpener> {
        let path = cli
            .db
            .clone()
            .or_else(|| config.database.path.clone())
            .or_else(crate::store::default_path)
            .ok_or_else(|| {
                anyhow::anyhow!("no place for the database: set HOME, or pass --db PATH")
            })?;
        let team = match &config.database.url {
            Some(url) => Some(crate::store::TeamConfig {
                url: url.clone(),
                password: crate::account::database_password(&config.database)?,
            }),
            None => None,
        };
        Ok(StoreOpener {
            path,
            // One name for this clerk on every event and reply: `[team] clerk`, else the OS user.
            clerk: config.team.as_ref().map(|t| t.clerk.clone()),
            team,
            reach: Default::default(),
            exchanged: std::cell::Cell::new(false),
            index_text: config.sync.index_text,
        })
    }

    /// A store for a command: the first one opened exchanges with the team database at once
    /// (this clerk's record pushed, the team's payables pulled for the checks); an
    /// unreachable server is said once on stderr and mail stays readable.
    pub(crate) fn open(&self) -> anyhow::Result<crate::store::Store> {
        let store = self.open_lazily()?;
        if self.team.is_some() && !self.exchanged.replace(true) {
            match store.refresh_team() {
                Ok(_) => {}
                Err(e @ crate::store::StoreError::TeamUnreachable { .. }) => {
                    eprintln!("duebox: {e}")
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(store)
    }

    /// A store that reaches the team database only when something first needs it (the UI's:
    /// its sync pass exchanges with the team and says in the UI when it cannot).
    pub(crate) fn open_lazily(&self) -> anyhow::Result<crate::store::Store> {
        let mut store = crate::store::Store::open(&self.path)?;
        store.set_index_text(self.index_text);
        if let Some(clerk) = &self.clerk {
            store.set_clerk(clerk)?;
        }
        if let Some(team) = &self.team {
            store.attach_team_lazily(team, &self.reach)?;
        }
        Ok(store)
    }
}

/// Opens the database once, for a command that needs one store.
pub(crate) fn open_store(
    cli: &Cli,
    config: &crate::config::Config,
) -> anyhow::Result<crate::store::Store> {
    StoreOpener::new(cli, config)?.open()
}

/// Who "we" are for the classifier: the config's company, plus domains given on the command
/// line.
pub(crate) fn classify_options(
    config: &crate::config::Config,
    extra_domains: &[String],
    today: chrono::NaiveDate,
) -> crate::classify::Options {
    let mut own_domains = config.company.domains.clone();
    own_domains.extend(extra_domains.iter().cloned());
    crate::classify::Options {
        own_domains,
        own_names: [config.company.name.clone()]
            .into_iter()
            .filter(|n| !n.is_empty())
            .collect(),
        today,
    }
}

/// The config file in use, for messages.
pub(crate) fn config_path_shown(cli: &Cli) -> String {
    cli.config
        .clone()
        .or_else(crate::config::default_path)
        .map_or("(none)".to_string(), |p| p.display().to_string())
}

/// Loads the config named by `--config` (which must exist) or the default one (which may not).
/// The `[imap]` section, or an error that says how to add one (`more`: what else the user
/// can do, such as "or try `duebox demo`").
pub(crate) fn imap_section(
    cli: &Cli,
    config: &crate::config::Config,
    more: &str,
) -> anyhow::Result<crate::config::Imap> {
    config.imap.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "no [imap] section in the config file ({}): copy the [imap] part of config.example.toml and fill in your mailbox{more}",
            config_path_shown(cli)
        )
    })
}

pub(crate) fn load_config(cli: &Cli) -> anyhow::Result<crate::config::Config> {
    let config = match &cli.config {
        Some(path) => crate::config::Config::load(path, true)?,
        None => match crate::config::default_path() {
            Some(path) => crate::config::Config::load(&path, false)?,
            None => crate::config::Config::default(),
        },
    };
    Ok(config)
}
