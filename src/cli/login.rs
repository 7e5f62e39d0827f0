//! `duebox login`: signs in to the `[oauth2]` provider — Microsoft with a code entered on any
//! device, Google in a browser redirected to 127.0.0.1 — and keeps the tokens (keyring, else
//! a 0600 file). Prints the code or URL for the user; never a token.

use super::Cli;
use crate::config::OAuth2Flow;
use crate::oauth::{flows, Login};
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Do not try to start a browser (the URL to open is printed either way).
    #[arg(long)]
    pub no_browser: bool,
}

pub fn run(cli: &Cli, args: &LoginArgs) -> anyhow::Result<ExitCode> {
    let config = super::load_config(cli)?;
    let shown = super::config_path_shown(cli);
    let imap = config.imap.as_ref().ok_or_else(|| {
        anyhow::anyhow!("no [imap] section in the config file ({shown}): add your mailbox first (see config.example.toml)")
    })?;
    let oauth2 = config.oauth2.as_ref().ok_or_else(|| {
        anyhow::anyhow!("no [oauth2] section in the config file ({shown}): add one with provider = \"microsoft\" or \"google\" (see config.example.toml)")
    })?;
    let login = Login::from_config(oauth2, &imap.login)?;
    let s = login.settings();
    let provider = s.provider_name();
    let tokens = match s.flow {
        OAuth2Flow::Device => flows::device(s, &mut |p| {
            println!(
                "To sign in to {provider} as {}, open {} on any device and enter the code {} (within {} minutes).",
                s.user,
                p.url,
                p.code,
                p.expires_in.as_secs().div_ceil(60)
            );
            println!("Waiting for the sign-in ...");
        }),
        OAuth2Flow::Browser => flows::browser(s, !args.no_browser, &mut |url| {
            println!("To sign in to {provider} as {}, open this address in a browser on this machine:\n\n  {url}\n", s.user);
            println!("Waiting for the sign-in ...");
        }),
    }?;
    if tokens.refresh_token.is_none() {
        eprintln!("duebox: {provider} gave no refresh token, so this sign-in ends when the access token expires; for Microsoft, [oauth2] scopes must include \"offline_access\"");
    }
    let place = login.save(&tokens)?;
    println!(
        "Signed in to {provider} as {}; the tokens are kept in {place}.",
        s.user
    );
    if s.user != imap.login {
        println!("The mailbox is {} (shared with {}).", imap.login, s.user);
    }
    println!("Next: `duebox config check`, then `duebox sync`.");
    Ok(ExitCode::SUCCESS)
}
