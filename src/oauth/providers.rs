//! The identity providers duebox knows, and how `[oauth2]` overrides their defaults: the
//! endpoints, scopes, client id and the sign-in flow. Values only; no network here.

use crate::config::{OAuth2, OAuth2Flow, OAuth2Provider};

/// duebox has no application registered with Microsoft or Google of its own; the defaults are
/// Mozilla Thunderbird's public (installed-app) registrations, which both providers list for
/// IMAP and SMTP and which many open-source mail tools use. An organisation that registers its
/// own app sets `client_id` (and for Google `client_secret`).
pub const MICROSOFT_CLIENT_ID: &str = "9e5f94bc-e8a4-4e73-b8be-63364c29d753";
pub const GOOGLE_CLIENT_ID: &str =
    "406964657835-aq8lmia8j95dhl1a2bvharmfk3t1hgqj.apps.googleusercontent.com";
/// Google's installed-app "secret" is not confidential (it ships inside every copy).
pub const GOOGLE_CLIENT_SECRET: &str = "kSmqreRr0qwBWJgbf5Y-PjSU";

/// IMAP and SMTP for Exchange Online, and `offline_access` for a refresh token.
pub const MICROSOFT_SCOPES: [&str; 3] = [
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
    "offline_access",
];
/// Gmail's only scope that allows IMAP and SMTP.
pub const GOOGLE_SCOPES: [&str; 1] = ["https://mail.google.com/"];

/// A provider's client id, secret, authorization, token and device URLs, scopes and flow.
type Defaults<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<String>,
    Option<String>,
    Option<String>,
    Vec<&'a str>,
    OAuth2Flow,
);

/// Everything needed to talk to one provider, defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub provider: OAuth2Provider,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub auth_url: Option<String>,
    pub token_url: String,
    pub device_url: Option<String>,
    pub scopes: Vec<String>,
    pub flow: OAuth2Flow,
    /// The person who signs in (login hint, and the name the tokens are kept under).
    pub user: String,
}

impl Settings {
    /// `[oauth2]` with the provider's defaults; `login` is the [imap] login.
    pub fn resolve(c: &OAuth2, login: &str) -> Result<Settings, String> {
        let tenant = c.tenant.as_deref().unwrap_or("common");
        let ms =
            |end: &str| format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/{end}");
        let (client_id, secret, auth, token, device, scopes, flow): Defaults = match c.provider {
            OAuth2Provider::Microsoft => (
                Some(MICROSOFT_CLIENT_ID),
                None,
                Some(ms("authorize")),
                Some(ms("token")),
                Some(ms("devicecode")),
                MICROSOFT_SCOPES.to_vec(),
                OAuth2Flow::Device,
            ),
            OAuth2Provider::Google => (
                Some(GOOGLE_CLIENT_ID),
                // Google's own secret goes only with Google's own client id.
                c.client_id.is_none().then_some(GOOGLE_CLIENT_SECRET),
                Some("https://accounts.google.com/o/oauth2/v2/auth".into()),
                Some("https://oauth2.googleapis.com/token".into()),
                None,
                GOOGLE_SCOPES.to_vec(),
                OAuth2Flow::Browser,
            ),
            OAuth2Provider::Custom => (
                None,
                None,
                None,
                None,
                None,
                Vec::new(),
                if c.device_url.is_some() {
                    OAuth2Flow::Device
                } else {
                    OAuth2Flow::Browser
                },
            ),
        };
        let client_id = c
            .client_id
            .clone()
            .or(client_id.map(str::to_string))
            .ok_or("[oauth2] provider = \"custom\" needs client_id")?;
        let token_url = c
            .token_url
            .clone()
            .or(token)
            .ok_or("[oauth2] provider = \"custom\" needs token_url")?;
        let settings = Settings {
            provider: c.provider,
            client_id,
            client_secret: c.client_secret.clone().or(secret.map(str::to_string)),
            auth_url: c.auth_url.clone().or(auth),
            token_url,
            device_url: c.device_url.clone().or(device),
            scopes: c
                .scopes
                .clone()
                .unwrap_or_else(|| scopes.iter().map(|s| s.to_string()).collect()),
            flow: c.flow.unwrap_or(flow),
            user: c.user.clone().unwrap_or_else(|| login.to_string()),
        };
        match settings.flow {
            OAuth2Flow::Device if settings.device_url.is_none() => {
                Err("[oauth2] flow = \"device\" needs device_url".into())
            }
            OAuth2Flow::Browser if settings.auth_url.is_none() => {
                Err("[oauth2] flow = \"browser\" needs auth_url".into())
            }
            _ => Ok(settings),
        }
    }

    /// The provider's name as shown to the user.
    pub fn provider_name(&self) -> &'static str {
        match self.provider {
            OAuth2Provider::Microsoft => "Microsoft",
            OAuth2Provider::Google => "Google",
            OAuth2Provider::Custom => "the identity provider",
        }
    }

    /// The name the tokens are kept under: one sign-in per provider and person.
    pub fn store_key(&self) -> String {
        let provider = match self.provider {
            OAuth2Provider::Microsoft => "microsoft",
            OAuth2Provider::Google => "google",
            OAuth2Provider::Custom => "custom",
        };
        let user: String = self
            .user
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "@.-_".contains(c) {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("{provider}-{user}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_per_provider_and_overrides() {
        let ms = Settings::resolve(&OAuth2::default(), "ap@northwind.example").unwrap();
        assert_eq!(ms.flow, OAuth2Flow::Device);
        assert!(ms.token_url.contains("/common/oauth2/v2.0/token"));
        assert!(ms.scopes.iter().any(|s| s == "offline_access"));
        assert_eq!(ms.store_key(), "microsoft-ap@northwind.example");
        let g = OAuth2 {
            provider: OAuth2Provider::Google,
            client_id: Some("ours.apps.googleusercontent.com".into()),
            user: Some("Dana Clerk@x".into()),
            ..OAuth2::default()
        };
        let g = Settings::resolve(&g, "ap@x").unwrap();
        assert_eq!(
            (g.flow, g.client_secret.as_deref()),
            (OAuth2Flow::Browser, None)
        );
        assert_eq!(g.store_key(), "google-dana_clerk@x");
        let custom = OAuth2 {
            provider: OAuth2Provider::Custom,
            ..OAuth2::default()
        };
        assert!(Settings::resolve(&custom, "ap")
            .unwrap_err()
            .contains("client_id"));
    }
}
