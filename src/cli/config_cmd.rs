//! `duebox config check`: reads the config file (unknown keys and bad values named with their
//! line), then tries the mailbox step by step and says exactly which step failed, and what the
//! server will refuse (folders, keywords) before the first sync meets it.

use super::Cli;
use crate::account;
use crate::imap::check::{self, Level};
use crate::imap::Imap;
use crate::sync::server::MailServer;
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check the config file, then log in to the mailbox and report what the server can do.
    Check {
        /// Only check the file; do not connect.
        #[arg(long)]
        offline: bool,
    },
}

pub fn run(cli: &Cli, args: &ConfigArgs) -> anyhow::Result<ExitCode> {
    let ConfigCommand::Check { offline } = args.command;
    let shown = super::config_path_shown(cli);
    // Without a file everything is a default, and "OK" would hide that nothing is set up.
    let path = cli.config.clone().or_else(crate::config::default_path);
    if !path.as_deref().is_some_and(std::path::Path::exists) {
        eprintln!(
            "duebox: there is no config file at {shown}. Write one with `duebox init` (it asks for the mailbox, the company and the folders, then checks them), or copy config.example.toml from duebox's sources there: it documents every key"
        );
        return Ok(ExitCode::from(2));
    }
    let config = super::load_config(cli)?;
    println!("config file {shown}: OK");
    let Some(imap) = &config.imap else {
        println!("no [imap] section: classify and payables work; sync and the inbox need one (see config.example.toml)");
        return Ok(ExitCode::SUCCESS);
    };
    if let Some(o) = &imap.oauth2 {
        if !report_sign_in(o, &imap.login) {
            return Ok(ExitCode::from(2));
        }
    }
    if offline {
        return Ok(ExitCode::SUCCESS);
    }
    let account = match account::from_config(imap) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("duebox: secret: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    println!(
        "connecting to {}:{} ({:?}) as {} ...",
        imap.host,
        imap.port(),
        imap.security,
        imap.login
    );
    let mut server = match Imap::connect(&account) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("duebox: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    println!("login: OK");
    let caps = server.capabilities();
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!(
        "server: MOVE {}, UIDPLUS {}, CONDSTORE {}, IDLE {}",
        yes(caps.moves),
        yes(caps.uidplus),
        yes(caps.condstore),
        yes(caps.idle)
    );
    let mut code = ExitCode::SUCCESS;
    match server.select("INBOX") {
        Ok(state) => println!("INBOX: {} messages", state.exists),
        Err(e) => {
            eprintln!("duebox: cannot open INBOX: {e}");
            code = ExitCode::from(2);
        }
    }
    for finding in check::check(&mut server, &config.folders, &config.reply.sent_folder) {
        match finding.level {
            Level::Ok => println!("{}", finding.text),
            Level::Note => println!("note: {}", finding.text),
            Level::Problem => {
                eprintln!("duebox: {}", finding.text);
                code = ExitCode::from(2);
            }
        }
    }
    if !caps.idle {
        println!(
            "sync --watch polls every {} s ([sync] interval)",
            config.sync.interval.as_secs()
        );
    }
    server.logout();
    if !check_smtp(&config) {
        code = ExitCode::from(2);
    }
    Ok(code)
}

/// Connects and logs in to the [smtp] server, if there is one; false when that fails.
fn check_smtp(config: &crate::config::Config) -> bool {
    let Some(smtp) = &config.smtp else {
        println!("no [smtp] section: replies can be drafted, not sent");
        return true;
    };
    let hello = super::reply::hello(config);
    println!(
        "connecting to SMTP {}:{} ({:?}) ...",
        smtp.host,
        smtp.port(),
        smtp.security
    );
    let checked = crate::smtp::SmtpAccount::from_config(config, &hello)
        .map_err(|e| e.to_string())
        .and_then(|a| a.connect().map_err(|e| e.to_string()))
        .and_then(|t| t.check().map_err(|e| e.to_string()));
    match checked {
        Ok(()) => {
            println!("smtp login: OK");
            if config.reply.from.is_none() {
                eprintln!("duebox: [reply] from is not set: replies cannot be sent until it is");
                return false;
            }
            true
        }
        Err(e) => {
            eprintln!("duebox: {e}");
            false
        }
    }
}

/// Says who signs in where and where the tokens are kept; false when not signed in.
fn report_sign_in(o: &crate::config::OAuth2, login: &str) -> bool {
    let checked = crate::oauth::Login::from_config(o, login)
        .and_then(|l| l.is_signed_in().map(|signed| (l, signed)));
    match checked {
        Ok((l, signed)) => {
            let s = l.settings();
            println!(
                "sign-in: {} as {} ({} flow), tokens kept in {}",
                s.provider_name(),
                s.user,
                match s.flow {
                    crate::config::OAuth2Flow::Device => "device-code",
                    crate::config::OAuth2Flow::Browser => "browser",
                },
                l.place()
            );
            if !signed {
                eprintln!(
                    "duebox: not signed in to {} as {}: sign in with `duebox login`",
                    s.provider_name(),
                    s.user
                );
            }
            signed
        }
        Err(e) => {
            eprintln!("duebox: sign-in: {e}");
            false
        }
    }
}
