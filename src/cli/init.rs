//! `duebox init`: writes a first config file by asking (the mailbox address, the server
//! with presets for Microsoft 365, Gmail, Fastmail or any IMAP server, the company, the
//! folders), then runs `config check` on it. Reads its answers line by line, so a script
//! can pipe them in; never writes a password, and never overwrites a file without asking.

use super::Cli;
use crate::config::{Config, Folders};
use clap::Args;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Check only the written file afterwards; do not connect to the server.
    #[arg(long)]
    pub offline: bool,
}

/// The mail providers duebox knows the servers of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Microsoft,
    Google,
    Fastmail,
    Other,
}

impl Provider {
    const MENU: [(Provider, &'static str); 4] = [
        (Provider::Microsoft, "Microsoft 365 / Outlook.com"),
        (Provider::Google, "Gmail / Google Workspace"),
        (Provider::Fastmail, "Fastmail"),
        (Provider::Other, "another IMAP server"),
    ];

    /// A guess from the address's domain; `Other` when the domain says nothing.
    pub fn guess(address: &str) -> Provider {
        let domain = address.rsplit('@').next().unwrap_or("").to_lowercase();
        match domain.as_str() {
            "outlook.com" | "hotmail.com" | "live.com" | "msn.com" => Provider::Microsoft,
            "gmail.com" | "googlemail.com" => Provider::Google,
            "fastmail.com" | "fastmail.fm" | "fastmail.net" => Provider::Fastmail,
            d if d.ends_with(".onmicrosoft.com") => Provider::Microsoft,
            _ => Provider::Other,
        }
    }
}

/// Everything the questions gathered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    pub address: String,
    pub provider: Provider,
    /// For Fastmail and other servers.
    pub imap_host: String,
    pub imap_security: String,
    pub smtp_host: String,
    pub smtp_security: String,
    /// `cmd:...` or `env:NAME`: where the password comes from (no OAuth provider).
    pub secret: String,
    pub company: String,
    pub domains: Vec<String>,
    pub approver: Option<String>,
    pub folders: Folders,
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The config file for the answers: TOML that `Config::parse` reads.
pub fn render(a: &Answers) -> String {
    let mut out = String::from(
        "# Written by `duebox init`; every key is explained in config.example.toml.\n\n",
    );
    let domains: Vec<String> = a.domains.iter().map(|d| quoted(d)).collect();
    out.push_str(&format!(
        "[company]\nname = {}\ndomains = [{}]\n\n",
        quoted(&a.company),
        domains.join(", ")
    ));
    let (imap_host, imap_sec, smtp_host, smtp_sec, oauth) = match a.provider {
        Provider::Microsoft => (
            "outlook.office365.com",
            "tls",
            "smtp.office365.com",
            "starttls",
            Some("microsoft"),
        ),
        Provider::Google => (
            "imap.gmail.com",
            "tls",
            "smtp.gmail.com",
            "tls",
            Some("google"),
        ),
        Provider::Fastmail => ("imap.fastmail.com", "tls", "smtp.fastmail.com", "tls", None),
        Provider::Other => (
            a.imap_host.as_str(),
            a.imap_security.as_str(),
            a.smtp_host.as_str(),
            a.smtp_security.as_str(),
            None,
        ),
    };
    out.push_str(&format!(
        "[imap]\nhost = {}\nsecurity = {}\nlogin = {}\n",
        quoted(imap_host),
        quoted(imap_sec),
        quoted(&a.address)
    ));
    if oauth.is_none() {
        match a.secret.split_once(':') {
            Some(("env", name)) => out.push_str(&format!("password_env = {}\n", quoted(name))),
            Some((_, cmd)) => out.push_str(&format!("password_cmd = {}\n", quoted(cmd))),
            None => out.push_str(&format!("password_cmd = {}\n", quoted(&a.secret))),
        }
    }
    let f = &a.folders;
    out.push_str(&format!(
        "\n[folders]\nreminder = {}\noverdue = {}\nfinal = {}\nstatement = {}\nreview = {}\n",
        quoted(&f.reminder),
        quoted(&f.overdue),
        quoted(&f.final_notice),
        quoted(&f.statement),
        quoted(&f.review)
    ));
    out.push_str(&format!(
        "\n[smtp]\nhost = {}\nsecurity = {}\n",
        quoted(smtp_host),
        quoted(smtp_sec)
    ));
    let from = if a.company.is_empty() {
        a.address.clone()
    } else {
        format!("{} Accounts Payable <{}>", a.company, a.address)
    };
    out.push_str(&format!("\n[reply]\nfrom = {}\n", quoted(&from)));
    if let Some(approver) = &a.approver {
        out.push_str(&format!("approver = {}\n", quoted(approver)));
    }
    // Outlook keeps its own copy of what it sends; Gmail is recognised by the sync.
    if a.provider == Provider::Microsoft {
        out.push_str("save_sent = false\n");
    }
    if let Some(p) = oauth {
        out.push_str(&format!("\n[oauth2]\nprovider = {}\n", quoted(p)));
    }
    out
}

/// Asks one question; an empty answer takes `default`. The end of the input is an error
/// (a script that gave too few answers), never a loop.
fn ask(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    question: &str,
    default: Option<&str>,
    valid: &dyn Fn(&str) -> Result<(), String>,
) -> anyhow::Result<String> {
    loop {
        match default {
            Some(d) if !d.is_empty() => write!(out, "{question} [{d}]: ")?,
            _ => write!(out, "{question}: ")?,
        }
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            anyhow::bail!("the answers ended before \"{question}\"; run `duebox init` again and answer every question");
        }
        let answer = line.trim();
        let answer = if answer.is_empty() {
            default.unwrap_or("")
        } else {
            answer
        };
        match valid(answer) {
            Ok(()) => return Ok(answer.to_string()),
            Err(why) => writeln!(out, "  {why}")?,
        }
    }
}

fn any(_: &str) -> Result<(), String> {
    Ok(())
}

fn address(s: &str) -> Result<(), String> {
    match s.split_once('@') {
        Some((l, d)) if !l.is_empty() && d.contains('.') && !s.contains(char::is_whitespace) => {
            Ok(())
        }
        _ => Err("that is not a mail address (like ap@yourcompany.com)".into()),
    }
}

fn security(s: &str) -> Result<(), String> {
    match s {
        "tls" | "starttls" => Ok(()),
        _ => Err("answer tls or starttls".into()),
    }
}

/// Asks every question.
pub fn interview(input: &mut dyn BufRead, out: &mut dyn Write) -> anyhow::Result<Answers> {
    writeln!(
        out,
        "duebox init: a few questions for a first config (Enter takes the value in brackets)."
    )?;
    let addr = ask(
        input,
        out,
        "The accounts-payable mailbox's address",
        None,
        &address,
    )?;
    let domain = addr.rsplit('@').next().unwrap_or("").to_lowercase();
    let guess = Provider::guess(&addr);
    writeln!(out, "Mail provider:")?;
    for (i, (_, name)) in Provider::MENU.iter().enumerate() {
        writeln!(out, "  {}) {name}", i + 1)?;
    }
    let default = Provider::MENU
        .iter()
        .position(|(p, _)| *p == guess)
        .unwrap_or(3)
        + 1;
    let pick = ask(
        input,
        out,
        "Provider (1-4)",
        Some(&default.to_string()),
        &|s| match s.parse::<usize>() {
            Ok(1..=4) => Ok(()),
            _ => Err("answer 1, 2, 3 or 4".into()),
        },
    )?;
    let provider = Provider::MENU[pick.parse::<usize>().unwrap_or(4) - 1].0;
    let (mut imap_host, mut imap_security, mut smtp_host, mut smtp_security) =
        (String::new(), String::new(), String::new(), String::new());
    if provider == Provider::Other {
        imap_host = ask(
            input,
            out,
            "IMAP server",
            Some(&format!("imap.{domain}")),
            &any,
        )?;
        imap_security = ask(
            input,
            out,
            "IMAP security (tls, starttls)",
            Some("tls"),
            &security,
        )?;
        smtp_host = ask(
            input,
            out,
            "SMTP server",
            Some(&format!("smtp.{domain}")),
            &any,
        )?;
        smtp_security = ask(
            input,
            out,
            "SMTP security (tls, starttls)",
            Some("tls"),
            &security,
        )?;
    }
    let secret = match provider {
        Provider::Microsoft | Provider::Google => {
            writeln!(out, "  signing in: `duebox login` after this (no password is stored)")?;
            String::new()
        }
        _ => ask(
            input,
            out,
            "The password (an app password for Fastmail) comes from: a command that prints it, or env:VARIABLE",
            Some("env:DUEBOX_IMAP_PASSWORD"),
            &|s| {
                if s.is_empty() {
                    Err("give a command (like `pass show mail/ap`) or env:VARIABLE; the password itself is never written in the file".into())
                } else {
                    Ok(())
                }
            },
        )?,
    };
    let company = ask(
        input,
        out,
        "Your company's name (as in your signature)",
        None,
        &|s| {
            if s.is_empty() {
                Err("the name tells our own signature from the vendor's; give it".into())
            } else {
                Ok(())
            }
        },
    )?;
    let domains = ask(
        input,
        out,
        "Your company's mail domains, separated by commas",
        Some(&domain),
        &any,
    )?;
    let domains: Vec<String> = domains
        .split(',')
        .map(|d| d.trim().trim_start_matches('@').to_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    let approver = ask(
        input,
        out,
        "Who escalations go to (an address; empty for none)",
        Some(""),
        &|s| {
            if s.is_empty() {
                Ok(())
            } else {
                address(s.rsplit('<').next().unwrap_or(s).trim_end_matches('>'))
            }
        },
    )?;
    let mut folders = Folders::default();
    let keep = ask(
        input,
        out,
        &format!(
            "File chasers into {}, {}, {}, {} and fraud warnings into {}? (y, or n to name them)",
            folders.reminder,
            folders.overdue,
            folders.final_notice,
            folders.statement,
            folders.review
        ),
        Some("y"),
        &|s| match s.to_lowercase().as_str() {
            "y" | "yes" | "n" | "no" => Ok(()),
            _ => Err("answer y or n".into()),
        },
    )?;
    if keep.to_lowercase().starts_with('n') {
        let name = |s: &str| {
            if s.trim().is_empty() {
                Err("give a folder name".to_string())
            } else {
                Ok(())
            }
        };
        folders.reminder = ask(
            input,
            out,
            "Folder for reminders",
            Some(&folders.reminder.clone()),
            &name,
        )?;
        folders.overdue = ask(
            input,
            out,
            "Folder for overdue notices",
            Some(&folders.overdue.clone()),
            &name,
        )?;
        folders.final_notice = ask(
            input,
            out,
            "Folder for final notices",
            Some(&folders.final_notice.clone()),
            &name,
        )?;
        folders.statement = ask(
            input,
            out,
            "Folder for statements",
            Some(&folders.statement.clone()),
            &name,
        )?;
        folders.review = ask(
            input,
            out,
            "Folder for fraud warnings to review",
            Some(&folders.review.clone()),
            &name,
        )?;
    }
    Ok(Answers {
        address: addr,
        provider,
        imap_host,
        imap_security,
        smtp_host,
        smtp_security,
        secret,
        company,
        domains,
        approver: Some(approver).filter(|a| !a.is_empty()),
        folders,
    })
}

pub fn run(cli: &Cli, args: &InitArgs) -> anyhow::Result<ExitCode> {
    let path = cli
        .config
        .clone()
        .or_else(crate::config::default_path)
        .ok_or_else(|| {
            anyhow::anyhow!("there is no config folder on this system; pass --config PATH")
        })?;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout();
    if path.exists() {
        let answer = ask(
            &mut input,
            &mut out,
            &format!("{} exists. Replace it? (y/n)", path.display()),
            Some("n"),
            &any,
        )?;
        if !answer.to_lowercase().starts_with('y') {
            println!("nothing written; {} is unchanged", path.display());
            return Ok(ExitCode::SUCCESS);
        }
    }
    let answers = interview(&mut input, &mut out)?;
    let text = render(&answers);
    // What init writes must be what duebox reads.
    Config::parse(&text).map_err(|e| {
        anyhow::anyhow!("duebox wrote a config it cannot read ({e}); please report this")
    })?;
    write_new(&path, &text)?;
    println!("wrote {}", path.display());
    if matches!(answers.provider, Provider::Microsoft | Provider::Google) {
        println!("next: `duebox login` to sign in, then `duebox sync`");
    }
    let check = Cli {
        config: Some(path),
        db: cli.db.clone(),
        command: None,
    };
    super::config_cmd::run(
        &check,
        &super::config_cmd::ConfigArgs {
            command: super::config_cmd::ConfigCommand::Check {
                offline: args.offline,
            },
        },
    )
}

fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(lines: &str) -> Answers {
        let mut out = Vec::new();
        interview(&mut lines.as_bytes(), &mut out).unwrap()
    }

    #[test]
    fn every_preset_writes_a_config_duebox_reads() {
        for (pick, host) in [
            ("1", "outlook.office365.com"),
            ("2", "imap.gmail.com"),
            ("3", "imap.fastmail.com"),
        ] {
            let a = answers(&format!(
                "ap@northwind.test\n{pick}\n\nNorthwind Ltd\n\n\n\n"
            ));
            let c = Config::parse(&render(&a)).unwrap();
            assert_eq!(c.imap.as_ref().unwrap().host, host);
            assert_eq!(c.company.domains, ["northwind.test"]);
            assert_eq!(c.folders, Folders::default());
        }
    }

    #[test]
    fn another_server_asks_hosts_and_bad_answers_are_asked_again() {
        let a = answers("not an address\nap@acme.example\n7\n4\n\nstarttls\n\nsslv3\ntls\npass show ap\n\nAcme \"Ltd\"\nacme.example, @acme.co.uk\nfd@acme.example\nn\nAP/Reminders\n\n\n\nAP/Review\n");
        assert_eq!(a.provider, Provider::Other);
        assert_eq!(a.imap_host, "imap.acme.example");
        assert_eq!(a.imap_security, "starttls");
        assert_eq!(a.smtp_security, "tls");
        assert_eq!(a.domains, ["acme.example", "acme.co.uk"]);
        assert_eq!(a.folders.reminder, "AP/Reminders");
        assert_eq!(a.folders.overdue, Folders::default().overdue);
        let c = Config::parse(&render(&a)).unwrap();
        assert_eq!(c.company.name, "Acme \"Ltd\"");
        assert_eq!(
            c.imap.unwrap().password_cmd.as_deref(),
            Some("pass show ap")
        );
        assert_eq!(c.reply.approver.as_deref(), Some("fd@acme.example"));
    }

    #[test]
    fn too_few_answers_is_an_error_not_a_loop() {
        let mut out = Vec::new();
        let e = interview(&mut "ap@acme.example\n".as_bytes(), &mut out).unwrap_err();
        assert!(e.to_string().contains("answers ended"), "{e}");
    }

    #[test]
    fn the_provider_is_guessed_from_the_address() {
        assert_eq!(Provider::guess("x@gmail.com"), Provider::Google);
        assert_eq!(
            Provider::guess("x@contoso.onmicrosoft.com"),
            Provider::Microsoft
        );
        assert_eq!(Provider::guess("x@acme.example"), Provider::Other);
    }
}
