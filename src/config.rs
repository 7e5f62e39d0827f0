//! The user's configuration file (TOML): who "we" are. Later layers add the account, folders
//! and the database path. Reading only; unknown keys are errors, reported with their line.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub company: Company,
    #[serde(default)]
    pub database: Database,
}

/// Where the local database is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// Overrides the default `$XDG_DATA_HOME/duebox/duebox.db`; `--db` overrides this.
    pub path: Option<PathBuf>,
}

/// Our own company: its name and the mail domains it sends from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub domains: Vec<String>,
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
        toml::from_str(text).map_err(|e| {
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
        })
    }
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
}
