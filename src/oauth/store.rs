//! Where the tokens of a sign-in are kept: the system keyring (Secret Service) when one
//! answers, else a file of mode 0600 under the XDG data dir. Never the database, never a log.

use crate::config::TokenStoreKind;
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// The keyring service name every duebox entry is filed under.
const SERVICE: &str = "duebox";

/// What a sign-in leaves behind. Debug never shows the tokens.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: String,
    /// Seconds since the epoch; None when the provider did not say.
    pub expires_at: Option<i64>,
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Tokens(<hidden>, expires_at: {:?}, refresh: {})",
            self.expires_at,
            self.refresh_token.is_some()
        )
    }
}

/// Where the tokens are (or would be) kept, for `config check` and `login`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Keyring,
    File(PathBuf),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Keyring => write!(f, "the system keyring (service \"{SERVICE}\")"),
            Place::File(p) => write!(f, "the file {} (mode 0600)", p.display()),
        }
    }
}

/// Why the tokens could not be read or kept.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// One sign-in's entry.
#[derive(Debug, Clone)]
pub struct TokenStore {
    kind: TokenStoreKind,
    key: String,
    file: PathBuf,
}

/// Whether a Secret Service can be reached at all: without a session bus, asking would only
/// wait for a timeout (or try to start one).
fn keyring_reachable() -> bool {
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty())
        || std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| Path::new(&d).join("bus").exists())
}

impl TokenStore {
    pub fn new(kind: TokenStoreKind, key: &str) -> Result<TokenStore, StoreError> {
        let dir = dirs::data_dir().ok_or_else(|| {
            StoreError("no data folder for the token file: set HOME or XDG_DATA_HOME".into())
        })?;
        Ok(TokenStore {
            kind,
            key: key.to_string(),
            file: dir
                .join("duebox")
                .join("tokens")
                .join(format!("{key}.json")),
        })
    }

    /// A store that is only this file (tests, and tools that manage their own paths).
    pub fn in_file(file: PathBuf) -> TokenStore {
        TokenStore {
            kind: TokenStoreKind::File,
            key: String::new(),
            file,
        }
    }

    fn entry(&self) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(SERVICE, &self.key)
            .map_err(|e| StoreError(format!("the system keyring: {e}")))
    }

    fn use_keyring(&self) -> bool {
        match self.kind {
            TokenStoreKind::Keyring => true,
            TokenStoreKind::File => false,
            TokenStoreKind::Auto => keyring_reachable(),
        }
    }

    /// Where the tokens are now, or where the next sign-in will put them.
    pub fn place(&self) -> Place {
        if self.use_keyring() {
            let held = self
                .entry()
                .and_then(|e| e.get_password().map_err(|e| StoreError(e.to_string())));
            if held.is_ok() || self.kind == TokenStoreKind::Keyring || !self.file.exists() {
                return Place::Keyring;
            }
        }
        Place::File(self.file.clone())
    }

    pub fn load(&self) -> Result<Option<Tokens>, StoreError> {
        if self.use_keyring() {
            match self.entry()?.get_password() {
                Ok(text) => return parse(&text, "the system keyring").map(Some),
                Err(keyring::Error::NoEntry) => {}
                Err(e) if self.kind == TokenStoreKind::Keyring => {
                    return Err(StoreError(format!(
                        "cannot read the system keyring: {e}; unlock it, or set [oauth2] token_store = \"file\""
                    )))
                }
                Err(_) => {}
            }
        }
        match std::fs::read_to_string(&self.file) {
            Ok(text) => parse(&text, &self.file.display().to_string()).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError(format!(
                "cannot read the token file {}: {e}",
                self.file.display()
            ))),
        }
    }

    /// Keeps `tokens`, in the keyring when it takes them, else in the file.
    pub fn save(&self, tokens: &Tokens) -> Result<Place, StoreError> {
        let text = serde_json::to_string(tokens)
            .map_err(|e| StoreError(format!("cannot encode the tokens: {e}")))?;
        if self.use_keyring() {
            match self.entry()?.set_password(&text) {
                Ok(()) => {
                    // A stale copy in a file would be read if the keyring is locked later.
                    let _ = std::fs::remove_file(&self.file);
                    return Ok(Place::Keyring);
                }
                Err(e) if self.kind == TokenStoreKind::Keyring => {
                    return Err(StoreError(format!(
                        "the system keyring refused the tokens: {e}; unlock it, or set [oauth2] token_store = \"file\""
                    )))
                }
                Err(_) => {}
            }
        }
        write_private(&self.file, text.as_bytes())?;
        Ok(Place::File(self.file.clone()))
    }

    /// Forgets the sign-in (a revoked refresh token is of no further use).
    pub fn delete(&self) {
        if self.use_keyring() {
            if let Ok(e) = self.entry() {
                let _ = e.delete_credential();
            }
        }
        let _ = std::fs::remove_file(&self.file);
    }
}

fn parse(text: &str, place: &str) -> Result<Tokens, StoreError> {
    // serde's message could quote the text, which holds tokens: only the place is named.
    serde_json::from_str(text).map_err(|_| {
        StoreError(format!(
            "the tokens in {place} are unreadable; sign in again with `duebox login`"
        ))
    })
}

/// Writes a file only its owner can read, replacing the old one in one step.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let fail = |what: &str, e: std::io::Error| {
        StoreError(format!("cannot {what} {}: {e}", path.display()))
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| fail("create the folder of", e))?;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    let tmp = path.with_extension("json.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| fail("write the token file", e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| fail("write the token file", e))?;
    std::fs::rename(&tmp, path).map_err(|e| fail("write the token file", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_private_and_debug_hides_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore {
            kind: TokenStoreKind::File,
            key: "custom-a@b".into(),
            file: dir.path().join("t").join("custom-a@b.json"),
        };
        assert!(store.load().unwrap().is_none());
        let t = Tokens {
            access_token: "at-123".into(),
            expires_at: Some(5),
            refresh_token: Some("rt-456".into()),
        };
        assert!(matches!(store.save(&t).unwrap(), Place::File(_)));
        let mode = std::fs::metadata(&store.file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(store.load().unwrap(), Some(t.clone()));
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("at-123") && !shown.contains("rt-456"),
            "{shown}"
        );
        std::fs::write(&store.file, "{\"access_token\": \"at-123\"").unwrap();
        let e = store.load().unwrap_err().to_string();
        assert!(!e.contains("at-123") && e.contains("duebox login"), "{e}");
        store.delete();
        assert!(store.load().unwrap().is_none());
    }
}
