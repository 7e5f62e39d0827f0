//! The user's configuration file (TOML): who "we" are, the mail account, where chasers are
//! filed, the database, the sync interval. Reading and checking only; unknown keys and bad
//! values are errors, reported with their line. Secrets are never in the file: a command or
//! an environment variable gives them.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod oauth2;
mod team;
pub use oauth2::{OAuth2, OAuth2Flow, OAuth2Provider, TokenStoreKind};
pub use team::Team;

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub company: Company,
    #[serde(default)]
    pub database: Database,
    /// The mailbox: required by `sync` and the UI, not by `classify` or `payables`.
    pub imap: Option<Imap>,
    #[serde(default)]
    pub folders: Folders,
    #[serde(default)]
    pub sync: Sync,
    /// The outgoing server for replies: required to send, not to draft.
    pub smtp: Option<Smtp>,
    #[serde(default)]
    pub reply: Reply,
    /// How `payables import` reads files that are not a preset: `[import.mapping]`.
    #[serde(default)]
    pub import: Import,
    /// The daily digest of payables falling due, sent by `sync --watch` (opt-in).
    #[serde(default)]
    pub digest: Digest,
    /// How the UI shows things: `[ui]`.
    #[serde(default)]
    pub ui: Ui,
    /// Key bindings of the UI that replace the defaults: action name → keys ("a", "ctrl-r, F5").
    #[serde(default)]
    pub keys: std::collections::BTreeMap<String, String>,
    /// Signing in with OAuth2 (`duebox login`) instead of a password.
    pub oauth2: Option<OAuth2>,
    /// Several clerks on one mailbox: who this one is, and how long a claim lasts. Without
    /// it nothing is claimed (a single clerk has nobody to collide with).
    pub team: Option<Team>,
    /// Where `check` found the `[imap] security` value, for its error line.
    #[serde(skip)]
    security_line: Option<usize>,
}

/// How the IMAP connection is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (port 993).
    #[default]
    Tls,
    /// Plain connection upgraded with STARTTLS before login (port 143).
    Starttls,
    /// No encryption: allowed only to a loopback host, and only when written explicitly.
    Plain,
}

/// The IMAP account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Imap {
    /// A name for the account, shown in messages (default: login@host).
    pub name: Option<String>,
    pub host: String,
    /// Default: 993 for tls, 143 otherwise.
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Security,
    pub login: String,
    /// A shell command that prints the password (as mbsync's PassCmd).
    pub password_cmd: Option<String>,
    /// The name of an environment variable holding the password.
    pub password_env: Option<String>,
    /// A shell command that prints an OAuth2 access token (XOAUTH2, for Gmail/Outlook).
    pub oauth2_token_cmd: Option<String>,
    /// A PEM file of CA certificates to trust besides the system's (self-signed servers).
    pub ca_file: Option<PathBuf>,
    /// A copy of the top-level `[oauth2]` section, so the account alone knows how to sign in.
    #[serde(skip)]
    pub oauth2: Option<OAuth2>,
}

/// Where a secret comes from: exactly one of the three.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretKeys {
    pub password_cmd: Option<String>,
    pub password_env: Option<String>,
    pub oauth2_token_cmd: Option<String>,
}

impl SecretKeys {
    fn count(&self) -> usize {
        [
            &self.password_cmd,
            &self.password_env,
            &self.oauth2_token_cmd,
        ]
        .iter()
        .filter(|s| s.is_some())
        .count()
    }
}

impl Imap {
    pub fn secret_keys(&self) -> SecretKeys {
        SecretKeys {
            password_cmd: self.password_cmd.clone(),
            password_env: self.password_env.clone(),
            oauth2_token_cmd: self.oauth2_token_cmd.clone(),
        }
    }

    /// The account as shown to the user.
    pub fn shown(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{}@{}", self.login, self.host))
    }

    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Tls => 993,
            _ => 143,
        })
    }
}

/// The outgoing (SMTP) server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    /// Default: 465 for tls, 587 for starttls.
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Security,
    /// Default: the [imap] login.
    pub login: Option<String>,
    /// As in [imap]; none of the three: the [imap] account's secret is used.
    pub password_cmd: Option<String>,
    pub password_env: Option<String>,
    pub oauth2_token_cmd: Option<String>,
    pub ca_file: Option<PathBuf>,
    /// Seconds each answer of the server is waited for (default 30).
    pub timeout: Option<u64>,
}

impl Smtp {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout.unwrap_or(30).max(1))
    }

    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Tls => 465,
            Security::Starttls => 587,
            Security::Plain => 25,
        })
    }

    pub fn secret_keys(&self) -> SecretKeys {
        SecretKeys {
            password_cmd: self.password_cmd.clone(),
            password_env: self.password_env.clone(),
            oauth2_token_cmd: self.oauth2_token_cmd.clone(),
        }
    }
}

/// How replies are written and kept.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Reply {
    /// Our address, as `Name <address>`: replies come from it.
    pub from: Option<String>,
    /// The lines under every reply.
    pub signature: String,
    /// Who escalations go to.
    pub approver: Option<String>,
    /// The IMAP folder a copy of every reply is saved in.
    pub sent_folder: String,
    /// false for servers that keep sent mail themselves (Gmail, Outlook).
    pub save_sent: bool,
    /// Per vendor (its name, mail domain or address), the language its replies are
    /// written in, whatever language its messages are in.
    pub vendor_language: std::collections::BTreeMap<String, String>,
}

impl Default for Reply {
    fn default() -> Self {
        Reply {
            from: None,
            signature: String::new(),
            approver: None,
            sent_folder: "Sent".into(),
            save_sent: true,
            vendor_language: Default::default(),
        }
    }
}

/// The folders duebox files into, with `/` between levels (translated to the server's own
/// separator).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Folders {
    pub reminder: String,
    pub overdue: String,
    #[serde(rename = "final")]
    pub final_notice: String,
    pub statement: String,
    /// Fraud-flagged mail waits here for a human.
    pub review: String,
    /// Only label (IMAP keywords), never move.
    pub label_only: bool,
}

impl Default for Folders {
    fn default() -> Self {
        Folders {
            reminder: "Chasers/Reminders".into(),
            overdue: "Chasers/Overdue".into(),
            final_notice: "Chasers/Final notices".into(),
            statement: "Chasers/Statements".into(),
            review: "Chasers/Review".into(),
            label_only: false,
        }
    }
}

impl Folders {
    /// Every folder duebox files into.
    pub fn all(&self) -> [&str; 5] {
        [
            &self.reminder,
            &self.overdue,
            &self.final_notice,
            &self.statement,
            &self.review,
        ]
    }
}

/// Background sync.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sync {
    /// How often to poll when the server has no IDLE: seconds, or "90s", "5m", "1h".
    #[serde(deserialize_with = "duration")]
    pub interval: Duration,
    /// Whether new mail's body and attachment text go into the search index (false: search
    /// by subject, sender, vendor, invoices and amount only; a smaller database).
    pub index_text: bool,
}

impl Default for Sync {
    fn default() -> Self {
        Sync {
            interval: Duration::from_secs(300),
            index_text: true,
        }
    }
}

fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Seconds(u64),
        Text(String),
    }
    let seconds = match Raw::deserialize(d)? {
        Raw::Seconds(s) => Some(s),
        Raw::Text(t) => {
            let t = t.trim();
            let (number, unit) =
                t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
            let n: Option<u64> = number.parse().ok();
            match unit.trim() {
                "" | "s" => n,
                "m" | "min" => n.map(|n| n * 60),
                "h" => n.map(|n| n * 3600),
                _ => None,
            }
        }
    };
    match seconds {
        Some(s) if s >= 10 => Ok(Duration::from_secs(s)),
        Some(_) => Err(serde::de::Error::custom(
            "the interval must be at least 10 seconds",
        )),
        None => Err(serde::de::Error::custom(
            "the interval must be seconds or a text such as \"90s\", \"5m\" or \"1h\"",
        )),
    }
}

/// Where the local database is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// Overrides the default `$XDG_DATA_HOME/duebox/duebox.db`; `--db` overrides this.
    pub path: Option<PathBuf>,
    /// A team: `postgres://USER@HOST:PORT/DBNAME`, the database every clerk shares the
    /// record and the replies through (the local database stays the clerk's own cache).
    pub url: Option<String>,
    /// The team database's password: a command that prints it, an environment variable, or
    /// a file only its owner can read (0600). Or none: in the URL, or not needed.
    pub password_cmd: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
}

impl Database {
    fn check(&self) -> Result<(), String> {
        let secrets = [
            self.password_cmd.is_some(),
            self.password_env.is_some(),
            self.password_file.is_some(),
        ]
        .iter()
        .filter(|s| **s)
        .count();
        let Some(url) = &self.url else {
            return if secrets == 0 {
                Ok(())
            } else {
                Err("[database] has a password but no url; add url = \"postgres://USER@HOST:PORT/DBNAME\"".into())
            };
        };
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err("[database] url must start with postgres:// (a PostgreSQL database shared by the team), e.g. url = \"postgres://duebox@db.example.com:5432/duebox\"".into());
        }
        if secrets > 1 {
            return Err(
                "[database] takes at most one of password_cmd, password_env or password_file"
                    .into(),
            );
        }
        Ok(())
    }
}

/// Our own company: its name and the mail domains it sends from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub domains: Vec<String>,
    /// The home currency (ISO 4217): what imported files without a currency are in.
    pub currency: Option<String>,
    /// Our own language (ISO 639-1): escalations to the approver are written in it.
    pub language: Option<String>,
}

impl Company {
    /// Our own language, when set and known.
    pub fn lang(&self) -> Option<crate::classify::lang::Lang> {
        self.language
            .as_deref()
            .and_then(crate::classify::lang::Lang::from_code)
    }
}

impl Reply {
    /// The per-vendor languages, known codes only (the config check refuses the others).
    pub fn vendor_langs(&self) -> Vec<(String, crate::classify::lang::Lang)> {
        self.vendor_language
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), crate::classify::lang::Lang::from_code(v)?)))
            .collect()
    }
}

/// `[import]`: reading exports that are not one of the presets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Import {
    pub mapping: Option<crate::payables::import::Mapping>,
}

/// `[ui]`: the terminal UI's display settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ui {
    /// The time zone of dates on screen: "local" (the system's, `TZ`; the default), "utc",
    /// or a fixed offset such as "+01:00".
    pub time_zone: Option<String>,
}

/// `[digest]`: a daily mail listing the payables falling due and not yet scheduled.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Digest {
    pub enabled: bool,
    /// Who gets it (default: `[reply] approver`, else `[reply] from`).
    pub to: Option<String>,
    /// How far ahead it looks, in days.
    pub within_days: u32,
}

impl Default for Digest {
    fn default() -> Self {
        Digest {
            enabled: false,
            to: None,
            within_days: 7,
        }
    }
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}; check the path or pass --config")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the config file {path} is not valid: {message}; see config.example.toml for every key"
    )]
    Invalid { path: PathBuf, message: String },
}

/// Where the config file is by default: `$XDG_CONFIG_HOME/duebox/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("duebox").join("config.toml"))
}

impl Config {
    /// Reads `path`; with `required == false` a missing file gives the defaults.
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Config::default())
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        Config::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses config text; the error names the line and what is wrong there.
    pub fn parse(text: &str) -> Result<Config, String> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| {
                text.as_bytes()[..s.start.min(text.len())]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1
            });
            let what = e.message().to_string();
            match line {
                Some(l) => format!("line {l}: {what}"),
                None => what,
            }
        })?;
        if let Some(imap) = &mut config.imap {
            imap.oauth2 = config.oauth2.clone();
        }
        config.security_line = text
            .lines()
            .position(|l| l.trim_start().starts_with("security"))
            .map(|i| i + 1);
        config.check()?;
        Ok(config)
    }

    /// The rules serde cannot express.
    fn check(&self) -> Result<(), String> {
        self.check_sending()?;
        self.database.check()?;
        if let Some(c) = &self.company.currency {
            crate::payables::import::text::currency(c).map_err(|e| format!("[company] {e}"))?;
        }
        let known =
            |code: &str| code.len() == 2 && crate::classify::lang::Lang::from_code(code).is_some();
        if let Some(l) = self.company.language.as_deref().filter(|l| !known(l)) {
            return Err(format!(
                "[company] language \"{l}\" is not a language duebox knows; use a two-letter code such as en, de, fr, es, nl, it, pt"
            ));
        }
        if let Some((vendor, l)) = self.reply.vendor_language.iter().find(|(_, l)| !known(l)) {
            return Err(format!(
                "[reply.vendor_language] \"{vendor}\" = \"{l}\": not a language duebox knows; use a two-letter code such as en, de, fr, es, nl, it, pt"
            ));
        }
        if let Some(m) = &self.import.mapping {
            m.check()?;
        }
        let Some(imap) = &self.imap else {
            return Ok(());
        };
        let at = |line: Option<usize>| line.map(|l| format!("line {l}: ")).unwrap_or_default();
        if imap.security == Security::Plain && !is_loopback(&imap.host) {
            return Err(format!(
                "{}security = \"plain\" would send the password unencrypted to {}; plain is allowed only to a loopback host (127.0.0.1, ::1, localhost). Use \"tls\" or \"starttls\"",
                at(self.security_line),
                imap.host
            ));
        }
        let secrets = imap.secret_keys().count();
        if self.oauth2.is_some() && secrets != 0 {
            return Err("[imap] has a password or token command and there is an [oauth2] section: keep one (with [oauth2], `duebox login` signs in and no command is needed)".into());
        }
        if secrets != 1 && self.oauth2.is_none() {
            return Err(format!(
                "[imap] needs exactly one of password_cmd, password_env or oauth2_token_cmd, or an [oauth2] section (found {secrets}); passwords are never written in the file"
            ));
        }
        if let Some(o) = &self.oauth2 {
            if o.provider == OAuth2Provider::Custom && o.token_url.is_none() {
                return Err(
                    "[oauth2] provider = \"custom\" needs token_url, and auth_url or device_url"
                        .into(),
                );
            }
        }
        for name in self.folders.all() {
            if name.trim().is_empty()
                || name.starts_with('/')
                || name.ends_with('/')
                || name.contains("//")
            {
                return Err(format!(
                    "[folders] name '{name}' is not a folder path such as \"Chasers/Overdue\""
                ));
            }
        }
        Ok(())
    }
}

impl Config {
    fn check_sending(&self) -> Result<(), String> {
        for (key, value) in [
            ("from", &self.reply.from),
            ("approver", &self.reply.approver),
        ] {
            if let Some(v) = value {
                if v.parse::<lettre::message::Mailbox>().is_err() {
                    return Err(format!(
                        "[reply] {key} = \"{v}\" is not a mail address such as \"Northwind Accounts <ap@northwind.example>\""
                    ));
                }
            }
        }
        let Some(smtp) = &self.smtp else {
            return Ok(());
        };
        if smtp.security == Security::Plain && !is_loopback(&smtp.host) {
            return Err(format!(
                "[smtp] security = \"plain\" would send the password unencrypted to {}; plain is allowed only to a loopback host. Use \"tls\" or \"starttls\"",
                smtp.host
            ));
        }
        let secrets = smtp.secret_keys().count();
        if secrets > 1 {
            return Err(format!(
                "[smtp] takes at most one of password_cmd, password_env or oauth2_token_cmd (found {secrets}); with none, the [imap] account's secret is used"
            ));
        }
        if secrets == 0 && self.imap.is_none() && self.oauth2.is_none() {
            return Err(
                "[smtp] needs password_cmd, password_env or oauth2_token_cmd (there is no [imap] account to borrow the secret from)".into(),
            );
        }
        if smtp.login.is_none() && self.imap.is_none() {
            return Err("[smtp] needs login (there is no [imap] login to use)".into());
        }
        Ok(())
    }
}

/// Whether a host name is this machine.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_matches(['[', ']']);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_company_and_reports_unknown_keys_with_line() {
        let c =
            Config::parse("[company]\nname = \"Northwind\"\ndomains = [\"northwind.example\"]\n")
                .unwrap();
        assert_eq!(c.company.domains, vec!["northwind.example"]);
        let e = Config::parse("[company]\nname = \"x\"\ndomain = [\"typo\"]\n").unwrap_err();
        assert!(e.starts_with("line 3:"), "{e}");
        assert!(e.contains("domain"), "{e}");
    }

    const IMAP: &str =
        "[imap]\nhost = \"imap.example.com\"\nlogin = \"ap\"\npassword_cmd = \"pass show ap\"\n";

    #[test]
    fn reads_the_account_with_defaults() {
        let c = Config::parse(IMAP).unwrap();
        let imap = c.imap.unwrap();
        assert_eq!((imap.security, imap.port()), (Security::Tls, 993));
        assert_eq!(c.folders.overdue, "Chasers/Overdue");
        assert_eq!(c.sync.interval, Duration::from_secs(300));
        let c = Config::parse(&format!("{IMAP}[sync]\ninterval = \"2m\"\n")).unwrap();
        assert_eq!(c.sync.interval, Duration::from_secs(120));
    }

    #[test]
    fn a_team_needs_a_clerk_and_claims_last_at_least_a_minute() {
        assert!(Config::parse(IMAP).unwrap().team.is_none());
        let c = Config::parse(&format!("{IMAP}[team]\nclerk = \" Maria \"\n")).unwrap();
        let t = c.team.unwrap();
        assert_eq!((t.clerk.as_str(), t.claim_minutes), ("Maria", 30));
        for bad in [
            "clerk = \"  \"",
            "clerk = \"Jo\"\nclaim_minutes = 0",
            "claim_minutes = 5",
        ] {
            let e = Config::parse(&format!("{IMAP}[team]\n{bad}\n")).unwrap_err();
            assert!(e.contains("line"), "{e}");
        }
    }

    #[test]
    fn the_example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        let c = Config::load(&path, true).unwrap();
        assert!(c.imap.is_some());
        assert_eq!(c.folders.final_notice, "Chasers/Final notices");
    }

    #[test]
    fn bad_values_are_named_with_their_line() {
        let e = Config::parse(&format!("{IMAP}security = \"ssl\"\n")).unwrap_err();
        assert!(e.starts_with("line 5:") && e.contains("ssl"), "{e}");
        let e = Config::parse(&format!("{IMAP}security = \"plain\"\n")).unwrap_err();
        assert!(e.starts_with("line 5:") && e.contains("loopback"), "{e}");
        let ok = IMAP.replace("imap.example.com", "127.0.0.1");
        assert!(Config::parse(&format!("{ok}security = \"plain\"\n")).is_ok());
        let e = Config::parse(&format!("{IMAP}password_env = \"P\"\n")).unwrap_err();
        assert!(e.contains("exactly one"), "{e}");
        let e = Config::parse(&format!("{IMAP}[sync]\ninterval = \"soon\"\n")).unwrap_err();
        assert!(e.starts_with("line 6:"), "{e}");
        let e = Config::parse(&format!("{IMAP}[folders]\nreview = \"/x\"\n")).unwrap_err();
        assert!(e.contains("not a folder path"), "{e}");
    }
}
