//! `duebox` with no command (the terminal UI on the configured account) and `duebox demo`
//! (the same UI on the built-in demo): wires the store connections, the workers and the
//! account's connection to `crate::tui`.

use super::Cli;
use crate::account;
use crate::imap::Imap;
use crate::sync::server::MailServer;
use crate::sync::session::{self, AccountConnect, ConnectFailure, Flow, SentCopy, Session, Wake};
use crate::tui::keymap::Keymap;
use crate::tui::outbox_replies::OutboxReplies;
use crate::tui::runner::Runner;
use crate::tui::state::{folder_entries, App};
use crate::tui::worker::{self, Connect, SyncCmd, SyncSetup};
use std::process::ExitCode;
use std::sync::mpsc::{channel, Sender};

/// The user's copy of a template, made from the built-in on first edit.
fn template_path() -> crate::tui::runner::TemplatePath {
    template_path_in(crate::reply::Templates::standard())
}

/// The copy of a template in `templates`' folder (the demo's own, in its temp dir).
fn template_path_in(templates: crate::reply::Templates) -> crate::tui::runner::TemplatePath {
    Box::new(move |name| {
        templates
            .ensure_user_copy(name)
            .map_err(|e| crate::tui::error::UiError::from(e.to_string()))
    })
}

/// NO_COLOR (any non-empty value) turns colours off.
fn colour_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

struct DemoConnect(crate::demo::SharedServer);

impl Connect for DemoConnect {
    fn connect(&mut self) -> Result<Box<dyn MailServer + Send>, ConnectFailure> {
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
            sent: SentCopy::default(),
        },
        events.clone(),
    );
    let (writes, _) = crate::tui::writer::spawn_writer(demo.open_store()?, events.clone());
    let replies = crate::demo::replies(&demo)?;
    let (reply, _) = worker::spawn_replies(Box::new(replies), events, sync.clone());
    let mut runner = Runner::new(demo.open_store()?, sync, reply, writes, today);
    // The demo writes nothing outside its temp dir: templates edited there stay there.
    runner.template_path = Some(template_path_in(crate::demo::templates(&demo)));
    let mut app = App::new(
        Keymap::default(),
        today,
        true,
        format!("demo {}", crate::demo::MAILBOX),
        folder_entries(&demo.folders),
    );
    app.color = colour_allowed();
    app.zone = crate::tui::state::Zone::Local;
    crate::tui::run(app, runner, inbox).map_err(anyhow::Error::msg)?;
    Ok(ExitCode::SUCCESS)
}

/// Waits in IDLE on a session of its own and asks the sync worker for a pass whenever
/// INBOX changes, as `duebox sync --watch` does (the same `session::watch`, reconnecting
/// with backoff). Ends when the worker is gone (the UI quit) or the server has no IDLE (the
/// worker's interval polls).
fn watch_inbox(imap: crate::config::Imap, sync: Sender<SyncCmd>) {
    std::thread::spawn(move || {
        let mut session = Session::new(Box::new(AccountConnect(imap)), SentCopy::default());
        let stop = session::Stopper::default();
        session::watch(
            &mut session,
            &session::Watch {
                stop: &stop,
                poll: None,
            },
            &mut |_, wake| {
                if wake == Wake::Changed && sync.send(SyncCmd::SyncNow).is_err() {
                    return Ok(Flow::Stop);
                }
                Ok(Flow::Continue)
            },
            &mut |_| {},
        );
    });
}

/// `duebox` with no command.
pub fn run_account(cli: &Cli) -> anyhow::Result<ExitCode> {
    let config = super::load_config(cli)?;
    let stores = super::StoreOpener::new(cli, &config)?;
    let imap = super::imap_section(cli, &config, ", or try `duebox demo`")?;
    let today = chrono::Local::now().date_naive();
    let (events, inbox) = channel();
    let (sync, _) = worker::spawn_sync(
        Box::new(AccountConnect(imap.clone())),
        stores.open_lazily()?,
        SyncSetup {
            folders: config.folders.clone(),
            classify: super::classify_options(&config, &[], today),
            fixed_today: false,
            interval: Some(config.sync.interval),
            sent: SentCopy::from_config(&config),
        },
        events.clone(),
    );
    let (writes, _) = crate::tui::writer::spawn_writer(stores.open_lazily()?, events.clone());
    watch_inbox(imap.clone(), sync.clone());
    let store = stores.open_lazily()?;
    let ctx = super::reply::context(&config, &store, today)?;
    // Without a working [smtp], replies can still be previewed; sending says what is missing.
    let transport = crate::smtp::SmtpAccount::from_config(&config, &super::reply::hello(&config))
        .map_err(|e| crate::tui::error::UiError::new("not sent", e))
        .and_then(|a| {
            a.connect()
                .map_err(|e| crate::tui::error::UiError::smtp("not sent", &e))
        })
        .map(|t| Box::new(t) as Box<dyn crate::smtp::Transport>);
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
    let clerk = config
        .team
        .as_ref()
        .map(|t| crate::team::Clerk::new(&t.clerk));
    let replies = match &config.team {
        Some(team) => {
            let imap_for_claims = imap.clone();
            replies.with_claims(crate::tui::outbox_replies::TeamClaims::new(
                crate::team::Claims::new(crate::team::Team::from_config(team)),
                Box::new(move || {
                    let account =
                        account::from_config(&imap_for_claims).map_err(|e| e.to_string())?;
                    let server = Imap::connect(&account).map_err(|e| e.to_string())?;
                    Ok(Box::new(server) as Box<dyn crate::team::ClaimServer + Send>)
                }),
            ))
        }
        None => replies,
    };
    let (reply, _) = worker::spawn_replies(Box::new(replies), events, sync.clone());
    let mut runner = Runner::new(stores.open_lazily()?, sync, reply, writes, today);
    runner.template_path = Some(template_path());
    runner.clerk = clerk.clone();
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
    let zone = config.ui.time_zone.as_deref().unwrap_or("local");
    app.zone = crate::tui::state::Zone::parse(zone).ok_or_else(|| {
        anyhow::anyhow!(
            "[ui] time_zone = \"{zone}\" in the config file ({}) is not a time zone: write \"local\" (the system's, TZ), \"utc\" or an offset such as \"+01:00\"",
            super::config_path_shown(cli)
        )
    })?;
    app.mailbox.clerk = clerk;
    crate::tui::run(app, runner, inbox).map_err(anyhow::Error::msg)?;
    Ok(ExitCode::SUCCESS)
}
