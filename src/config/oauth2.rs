//! `[oauth2]` of the configuration file: which provider signs the user in, with what app and
//! where the refresh token is kept. Reading only: the sign-in itself is src/oauth; never a
//! token here.

use serde::Deserialize;

/// `[oauth2]`: sign in with `duebox login`. Every endpoint, scope and the client id have a
/// default per provider (src/oauth/providers.rs); an organisation's own app overrides them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    pub provider: OAuth2Provider,
    /// Who signs in (default: the [imap] login). For a shared mailbox, [imap] login is the
    /// shared address and this is the person with access to it.
    pub user: Option<String>,
    pub client_id: Option<String>,
    /// Installed apps' "secret" (Google issues one; it is not confidential).
    pub client_secret: Option<String>,
    /// Microsoft: the directory ("common", "organizations", a tenant id or domain).
    pub tenant: Option<String>,
    pub auth_url: Option<String>,
    pub token_url: Option<String>,
    pub device_url: Option<String>,
    pub scopes: Option<Vec<String>>,
    /// "device" (a code to enter on any device) or "browser" (a redirect to 127.0.0.1).
    pub flow: Option<OAuth2Flow>,
    /// Where the refresh token is kept.
    #[serde(default)]
    pub token_store: TokenStoreKind,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OAuth2Provider {
    #[default]
    Microsoft,
    Google,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OAuth2Flow {
    Device,
    Browser,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenStoreKind {
    /// The system keyring when one answers, else a 0600 file.
    #[default]
    Auto,
    Keyring,
    File,
}
