//! `duebox` with no command (the terminal UI on the configured account) and `duebox demo`
//! (the same UI on the built-in demo): wires the store connections, the workers and the
//! account's connection to `crate::tui`.

use super::Cli;
use crate::imap::{account, Imap};
use crate::sync::server::MailServer;
use crate::tui::keymap::Keymap;
use crate::tui::outbox_replies::OutboxReplies;
use crate::tui::runner::Runner;
use crate::tui::state::{folder_entries, App};
use crate::tui::worker::{self, Connect, SyncCmd, SyncSetup};
use std::process::ExitCode;
use std::sync::mpsc::{channel, Sender};
use std::time::Duration;

/// The user's copy of a template, made from the built-in on first edit.
fn template_path() -> crate::tui::runner::TemplatePath {
    Box::new(|name| {
        crate::reply::Templates::standard()
            .ensure_user_copy(name)
            .map_err(|e| e.to_string())
    })
}

/// NO_COLOR (any non-empty value) turns colours off.
fn colour_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

struct DemoConnect(crate::demo::SharedServer);

impl Connect for DemoConnect {
    fn connect(&mut self) -> Result<Box<dyn MailServer + Send>, String> {
        Ok(Box::new(self.0.clone()))
    }
    fn describe(&self) -> String {
        "the demo mailbox".into()
    }
}

/// `duebox demo`.
pub fn run_demo(_cli: &Cli) -> anyhow::Result<ExitCode> {
    let demo = crate::demo::load()?;
    let today = crate::demo::today();
    let (events, inbox) = channel();
    let (sync, _) = worker::spawn_sync(
        Box::new(DemoConnect(demo.server.clone())),
        demo.open_store()?,
        SyncSetup {
            folders: demo.folders.clone(),
            classify: crate::demo::options(),
            fixed_today: true,
            interval: None,
        },
        events.clone(),
    );
    let replies = crate::demo::replies(&demo)?;
    let (reply, _) = worker::spawn_replies(Box::new(replies), events, sync.clone());
    let mut runner = Runner::new(demo.open_store()?, sync, reply, today);
    runner.template_path = Some(template_path());
    let mut app = App::new(
        Keymap::default(),
        today,
        true,
        format!("demo {}", crate::demo::MAILBOX),
        folder_entries(&demo.folders),
    );
    app.color = colour_allowed();
    crate::tui::run(app, runner, inbox).map_err(anyhow::Error::msg)?;
    Ok(ExitCode::SUCCESS)
}

struct ImapConnect(crate::config::Imap);

impl Connect for ImapConnect {
    fn connect(&mut self) -> Result<Box<dyn MailServer + Send>, String> {
        let account = account::from_config(&self.0).map_err(|e| e.to_string())?;
        Ok(Box::new(
            Imap::connect(&account).map_err(|e| e.to_string())?,
        ))
    }
    fn describe(&self) -> String {
        self.0.host.clone()
    }
}

/// Waits in IDLE on a connection of its own and asks the sync worker for a pass whenever
/// INBOX changes, as `duebox sync --watch` does; reconnects with backoff. Ends when the
/// worker is gone (the UI quit) or the server has no IDLE (the worker's interval polls).
fn watch_inbox(imap: crate::config::Imap, sync: Sender<SyncCmd>) {
    std::thread::spawn(move || {
        let mut backoff = Duration::from_secs(1);
        loop {
            let connected = account::from_config(&imap)
                .map_err(|e| e.to_string())
                .and_then(|a| Imap::connect(&a).map_err(|e| e.to_string()));
            let mut server = match connected {
                Ok(s) => s,
                Err(_) => {
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(300));
                    continue;
                }
            };
            if !server.capabilities().idle {
                return;
            }
            backoff = Duration::from_secs(1);
            loop {
                let changed = server
                    .select("INBOX")
                    .and_then(|_| server.idle(Duration::from_secs(25 * 60)));
                match changed {
                    Ok(true) => {
                        if sync.send(SyncCmd::SyncNow).is_err() {
                            return;
                        }
                    }
                    Ok(false) => {}
                    Err(_) => break,
                }
            }
        }
    });
}

/// `duebox` with no command.
pub fn run_account(cli: &Cli) -> anyhow::Result<ExitCode> {
    let config = super::load_config(cli)?;
    let imap = config.imap.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "no [imap] section in the config file ({}): copy the [imap] part of config.example.toml and fill in your mailbox, or try `duebox demo`",
            super::config_path_shown(cli)
        )
    })?;
    let today = chrono::Local::now().date_naive();
    let (events, inbox) = channel();
    let (sync, _) = worker::spawn_sync(
        Box::new(ImapConnect(imap.clone())),
        super::open_store(cli, &config)?,
        SyncSetup {
            folders: config.folders.clone(),
            classify: super::classify_options(&config, &[], today),
            fixed_today: false,
            interval: Some(config.sync.interval),
        },
        events.clone(),
    );
    watch_inbox(imap.clone(), sync.clone());
    let store = super::open_store(cli, &config)?;
    let ctx = super::reply::context(&config, &store, today)?;
    // Without a working [smtp], replies can still be previewed; sending says what is missing.
    let transport =
        crate::send::smtp::SmtpAccount::from_config(&config, &super::reply::hello(&config))
            .map_err(|e| e.to_string())
            .and_then(|a| a.connect().map_err(|e| e.to_string()))
            .map(|t| Box::new(t) as Box<dyn crate::send::smtp::Transport>);
    let imap_for_replies = imap.clone();
    let replies = OutboxReplies::new(
        store,
        ctx,
        transport,
        Box::new(move || {
            let account = account::from_config(&imap_for_replies).ok()?;
            let server = Imap::connect(&account).ok()?;
            Some(Box::new(server) as Box<dyn MailServer + Send>)
        }),
        config.reply.sent_folder.clone(),
        config.reply.save_sent,
        today,
    );
    let (reply, _) = worker::spawn_replies(Box::new(replies), events, sync.clone());
    let mut runner = Runner::new(super::open_store(cli, &config)?, sync, reply, today);
    runner.template_path = Some(template_path());
    let mut app = App::new(
        Keymap::with_overrides(&config.keys).map_err(|e| {
            anyhow::anyhow!(
                "[keys] in the config file ({}): {e}",
                super::config_path_shown(cli)
            )
        })?,
        today,
        false,
        imap.shown(),
        folder_entries(&config.folders),
    );
    app.color = colour_allowed();
    crate::tui::run(app, runner, inbox).map_err(anyhow::Error::msg)?;
    Ok(ExitCode::SUCCESS)
}
