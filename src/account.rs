//! A mail server account — host, port, security, login and secret — shared by the IMAP and
//! SMTP adapters, with the secret fetched from a command, the environment or the `duebox login`
//! sign-in of `[oauth2]`. The secret is never logged nor shown in an error.

use crate::config;
use crate::config::Security;
use std::path::PathBuf;

/// The login secret, never printed.
#[derive(Clone)]
pub enum Secret {
    Password(String),
    /// An OAuth2 access token from `oauth2_token_cmd`, sent with OAUTHBEARER or XOAUTH2.
    Bearer(String),
    /// A `duebox login` sign-in: its access token is renewed before expiry and after a refusal.
    OAuth2(Box<crate::oauth::Login>),
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Password(_) => f.write_str("Password(<hidden>)"),
            Secret::Bearer(_) => f.write_str("Bearer(<hidden>)"),
            Secret::OAuth2(login) => write!(f, "{login:?}"),
        }
    }
}

/// Everything needed to reach and log in to the mailbox.
#[derive(Debug, Clone)]
pub struct Account {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub login: String,
    pub secret: Secret,
    pub ca_file: Option<PathBuf>,
}

/// Why the secret could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the command in [{section}] {key} could not be started: {reason}")]
    Start {
        section: &'static str,
        key: &'static str,
        reason: String,
    },
    #[error(
        "the command in [{section}] {key} failed ({status}){stderr}; run it yourself to see why"
    )]
    Failed {
        section: &'static str,
        key: &'static str,
        status: String,
        stderr: String,
    },
    #[error(
        "the command in [{section}] {key} printed nothing; it must print the secret on its first line"
    )]
    Empty {
        section: &'static str,
        key: &'static str,
    },
    #[error("the environment variable {var} named by [{section}] password_env is not set (or not UTF-8)")]
    Env { section: &'static str, var: String },
    #[error("[{0}] needs password_cmd, password_env or oauth2_token_cmd, or an [oauth2] section")]
    Missing(&'static str),
    #[error(transparent)]
    OAuth(#[from] crate::oauth::Error),
}

impl SecretError {
    /// Whether only a new `duebox login` can help.
    pub fn needs_login(&self) -> bool {
        matches!(self, SecretError::OAuth(e) if e.needs_login())
    }
}

/// Runs a shell command and takes the first line it prints (as mbsync's PassCmd does).
fn run(section: &'static str, key: &'static str, command: &str) -> Result<String, SecretError> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| SecretError::Start {
            section,
            key,
            reason: e.to_string(),
        })?;
    if !out.status.success() {
        // The first line of stderr only: a password manager's complaint, never stdout.
        let stderr = String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .map(|l| format!(": {}", crate::mail::sanitize::one_line(l)))
            .unwrap_or_default();
        return Err(SecretError::Failed {
            section,
            key,
            status: out.status.to_string(),
            stderr,
        });
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let secret = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if secret.is_empty() {
        return Err(SecretError::Empty { section, key });
    }
    Ok(secret.to_string())
}

/// The secret named by a config section's password_cmd / password_env / oauth2_token_cmd.
pub fn secret(section: &'static str, keys: &config::SecretKeys) -> Result<Secret, SecretError> {
    if let Some(cmd) = &keys.oauth2_token_cmd {
        Ok(Secret::Bearer(run(section, "oauth2_token_cmd", cmd)?))
    } else if let Some(cmd) = &keys.password_cmd {
        Ok(Secret::Password(run(section, "password_cmd", cmd)?))
    } else if let Some(var) = &keys.password_env {
        Ok(Secret::Password(std::env::var(var).map_err(|_| {
            SecretError::Env {
                section,
                var: var.clone(),
            }
        })?))
    } else {
        Err(SecretError::Missing(section))
    }
}

/// The team database's password from `[database]` password_cmd, password_env or
/// password_file (which only its owner may read); None when none is set.
pub fn database_password(db: &config::Database) -> anyhow::Result<Option<String>> {
    if let Some(file) = &db.password_file {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(file).map_err(|e| {
            anyhow::anyhow!(
                "[database] password_file {}: {e}; check the path",
                file.display()
            )
        })?;
        if meta.permissions().mode() & 0o077 != 0 {
            anyhow::bail!(
                "[database] password_file {} can be read by others; make it yours alone: chmod 600 {}",
                file.display(),
                file.display()
            );
        }
        let text = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("[database] password_file {}: {e}", file.display()))?;
        let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
        if line.is_empty() {
            anyhow::bail!(
                "[database] password_file {} is empty; its first line must be the password",
                file.display()
            );
        }
        return Ok(Some(line.to_string()));
    }
    if db.password_cmd.is_none() && db.password_env.is_none() {
        return Ok(None);
    }
    let keys = config::SecretKeys {
        password_cmd: db.password_cmd.clone(),
        password_env: db.password_env.clone(),
        oauth2_token_cmd: None,
    };
    match secret("database", &keys)? {
        Secret::Password(p) => Ok(Some(p)),
        _ => Ok(None),
    }
}

/// The sign-in of `[oauth2]` for the mailbox `login`: its token is fetched at each login.
pub fn oauth2(c: &config::OAuth2, login: &str) -> Result<Secret, SecretError> {
    Ok(Secret::OAuth2(Box::new(crate::oauth::Login::from_config(
        c, login,
    )?)))
}

/// The account described by `[imap]`, with its secret.
pub fn from_config(imap: &config::Imap) -> Result<Account, SecretError> {
    let secret = match &imap.oauth2 {
        Some(o) if imap.secret_keys() == config::SecretKeys::default() => oauth2(o, &imap.login)?,
        _ => secret("imap", &imap.secret_keys())?,
    };
    Ok(Account {
        host: imap.host.clone(),
        port: imap.port(),
        security: imap.security,
        login: imap.login.clone(),
        secret,
        ca_file: imap.ca_file.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imap(cmd: Option<&str>, env: Option<&str>) -> config::Imap {
        config::Imap {
            name: None,
            host: "127.0.0.1".into(),
            port: None,
            security: config::Security::Tls,
            login: "ap".into(),
            password_cmd: cmd.map(str::to_string),
            password_env: env.map(str::to_string),
            oauth2_token_cmd: None,
            ca_file: None,
            oauth2: None,
        }
    }

    #[test]
    fn secrets_come_from_commands_or_the_environment_and_never_show() {
        let a = from_config(&imap(Some("printf 's3cret\\nignored'"), None)).unwrap();
        assert!(matches!(&a.secret, Secret::Password(p) if p == "s3cret"));
        assert!(!format!("{a:?}").contains("s3cret"));
        let e = from_config(&imap(Some("echo s3cret; echo oops >&2; exit 3"), None)).unwrap_err();
        let shown = e.to_string();
        assert!(
            shown.contains("oops") && !shown.contains("s3cret"),
            "{shown}"
        );
        let e = from_config(&imap(Some("true"), None)).unwrap_err();
        assert!(e.to_string().contains("printed nothing"));
        let e = from_config(&imap(None, Some("DUEBOX_TEST_SURELY_UNSET"))).unwrap_err();
        assert!(e.to_string().contains("DUEBOX_TEST_SURELY_UNSET"));
    }
}
