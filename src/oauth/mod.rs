//! Signing in with OAuth2 (`duebox login`) and keeping the sign-in alive: the providers'
//! defaults, the device-code and loopback flows, the token store, and the access token
//! handed to IMAP and SMTP — renewed before it expires and after a server refuses it.
//! Tokens never reach a log line, an error message or the database.

pub mod flows;
pub mod providers;
pub mod store;

use crate::config::OAuth2;
pub use providers::Settings;
use std::sync::{Arc, Mutex};
pub use store::{Place, TokenStore, Tokens};

/// An access token this close to its expiry is renewed before use: a sync pass or a send
/// must not start with a token that dies half-way.
pub const REFRESH_MARGIN_SECS: i64 = 300;

/// Why there is no usable token, in words that say what to do.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("not signed in to {provider} as {user}: sign in with `duebox login`")]
    NotSignedIn {
        provider: &'static str,
        user: String,
    },
    #[error("the sign-in to {provider} as {user} was revoked or has expired: sign in again with `duebox login`")]
    Revoked {
        provider: &'static str,
        user: String,
    },
    #[error("{provider} refused {what}: {reason}")]
    Provider {
        provider: &'static str,
        what: String,
        reason: String,
    },
    #[error("cannot reach the sign-in service {url}: {reason}; check the network")]
    Network { url: String, reason: String },
    #[error("the sign-in was declined at {0}; run `duebox login` again to retry")]
    Denied(&'static str),
    #[error("the code was not entered in time; run `duebox login` again for a new one")]
    CodeExpired,
    #[error("{0}")]
    Local(String),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Store(#[from] store::StoreError),
}

impl Error {
    /// Whether only a new `duebox login` can help (no retry will).
    pub fn needs_login(&self) -> bool {
        matches!(self, Error::NotSignedIn { .. } | Error::Revoked { .. })
    }
}

/// Whether an error anywhere in a chain is one only `duebox login` can cure.
pub fn needs_login(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(e) = cur {
        if e.downcast_ref::<Error>().is_some_and(Error::needs_login) {
            return true;
        }
        cur = e.source();
    }
    false
}

/// One account's sign-in: where its tokens are and how to renew them. Cloned freely; every
/// use reads the store again, so a `duebox login` in another terminal is picked up at once.
#[derive(Clone)]
pub struct Login {
    settings: Settings,
    store: TokenStore,
    /// Serialises renewals within a process (the UI's sync and send threads).
    lock: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Login({} as {})",
            self.settings.provider_name(),
            self.settings.user
        )
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Login {
    /// The sign-in described by `[oauth2]`, for the mailbox `login`.
    pub fn from_config(c: &OAuth2, login: &str) -> Result<Login, Error> {
        let settings = Settings::resolve(c, login).map_err(Error::Config)?;
        let store = TokenStore::new(c.token_store, &settings.store_key())?;
        Ok(Login {
            settings,
            store,
            lock: Arc::new(Mutex::new(())),
        })
    }

    /// A sign-in with its tokens in `store`.
    pub fn with_store(settings: Settings, store: TokenStore) -> Login {
        Login {
            settings,
            store,
            lock: Arc::new(Mutex::new(())),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Where the tokens are kept (or will be, after `duebox login`).
    pub fn place(&self) -> Place {
        self.store.place()
    }

    /// Whether tokens are stored, without renewing anything (`config check --offline`).
    pub fn is_signed_in(&self) -> Result<bool, Error> {
        Ok(self.store.load()?.is_some())
    }

    fn not_signed_in(&self) -> Error {
        Error::NotSignedIn {
            provider: self.settings.provider_name(),
            user: self.settings.user.clone(),
        }
    }

    /// Keeps the tokens of a new sign-in; returns where they went.
    pub fn save(&self, tokens: &Tokens) -> Result<Place, Error> {
        Ok(self.store.save(tokens)?)
    }

    /// An access token with at least [`REFRESH_MARGIN_SECS`] to live, renewed if needed.
    pub fn access_token(&self) -> Result<String, Error> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let tokens = self.store.load()?.ok_or_else(|| self.not_signed_in())?;
        let fresh = tokens
            .expires_at
            .is_none_or(|at| at - now() > REFRESH_MARGIN_SECS);
        if fresh {
            return Ok(tokens.access_token);
        }
        tracing::info!(
            "the access token for {} expires soon; renewing it",
            self.settings.user
        );
        self.renew(tokens)
    }

    /// A new access token after a server refused the last one (it may have been revoked
    /// early, or the clocks disagree).
    pub fn refresh(&self) -> Result<String, Error> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let tokens = self.store.load()?.ok_or_else(|| self.not_signed_in())?;
        tracing::info!(
            "the server refused the access token for {}; renewing it",
            self.settings.user
        );
        self.renew(tokens)
    }

    fn renew(&self, old: Tokens) -> Result<String, Error> {
        let Some(rt) = old.refresh_token.clone() else {
            return Err(Error::Revoked {
                provider: self.settings.provider_name(),
                user: self.settings.user.clone(),
            });
        };
        match flows::refresh(&self.settings, &rt) {
            Ok(mut new) => {
                let rotated = new.refresh_token.as_ref().is_some_and(|n| *n != rt);
                // Most providers keep the refresh token; a rotated one replaces it.
                new.refresh_token = new.refresh_token.or(Some(rt));
                self.store.save(&new)?;
                tracing::info!(
                    "renewed the access token for {}{}",
                    self.settings.user,
                    if rotated {
                        " (and stored the new refresh token)"
                    } else {
                        ""
                    }
                );
                Ok(new.access_token)
            }
            Err(e) => {
                if matches!(e, Error::Revoked { .. }) {
                    // Only the rejected sign-in is forgotten: a `duebox login` that ran
                    // meanwhile has stored another refresh token, which stays.
                    let current = self.store.load().ok().flatten();
                    if current.and_then(|t| t.refresh_token).as_deref() == Some(rt.as_str()) {
                        self.store.delete();
                    }
                }
                Err(e)
            }
        }
    }
}
