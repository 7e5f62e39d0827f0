//! The OAuth2 exchanges, over the `oauth2` crate with a blocking `ureq` client: the device
//! code flow (RFC 8628), the installed-app flow with a loopback redirect and PKCE (RFC 8252,
//! RFC 7636), and the refresh. What the user is shown goes through a callback; tokens never
//! reach an error message (a provider's answer is quoted only by its error code and words).

use super::providers::Settings;
use super::store::Tokens;
use super::Error;
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    DeviceAuthorizationUrl, DeviceCodeErrorResponseType, ErrorResponse, HttpRequest, HttpResponse,
    PkceCodeChallenge, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardDeviceAuthorizationResponse, SyncHttpClient, TokenResponse, TokenUrl,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// How long a sign-in in the browser is waited for.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(300);

/// ureq 2 turns every 4xx answer into an error; OAuth2 puts its answers (`invalid_grant`,
/// `authorization_pending`) in 400s, so they are handed back as responses here. Redirects are
/// not followed (the oauth2 crate's advice against SSRF).
struct Http(ureq::Agent);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct HttpError(String);

impl SyncHttpClient for Http {
    type Error = HttpError;

    fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let uri = request.uri().to_string();
        let mut req = self.0.request(request.method().as_str(), &uri);
        for (name, value) in request.headers() {
            let value = value
                .to_str()
                .map_err(|_| HttpError(format!("a bad {name} header")))?;
            req = req.set(name.as_str(), value);
        }
        let response = match req.send_bytes(request.body()) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            // The transport error names the host and what failed, never the body.
            Err(ureq::Error::Transport(t)) => return Err(HttpError(t.to_string())),
        };
        let mut builder = oauth2::http::Response::builder().status(response.status());
        if let Some(ct) = response.header("content-type") {
            builder = builder.header("content-type", ct);
        }
        let mut body = Vec::new();
        response
            .into_reader()
            .take(1 << 20)
            .read_to_end(&mut body)
            .map_err(|e| HttpError(format!("reading the answer: {e}")))?;
        builder
            .body(body)
            .map_err(|e| HttpError(format!("a bad answer: {e}")))
    }
}

fn http() -> Http {
    Http(
        ureq::AgentBuilder::new()
            .redirects(0)
            .timeout(Duration::from_secs(30))
            .build(),
    )
}

fn url_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Config(format!("[oauth2] {what} is not a URL: {e}"))
}

/// The provider's answer to a failed request, in words (never its raw body).
fn request_error<T: ErrorResponse + 'static>(
    s: &Settings,
    what: &str,
    e: RequestTokenError<HttpError, T>,
) -> Error {
    match e {
        RequestTokenError::ServerResponse(r) => Error::Provider {
            provider: s.provider_name(),
            what: what.to_string(),
            reason: crate::mail::sanitize::one_line(&r.to_string()),
        },
        RequestTokenError::Request(e) => Error::Network {
            url: s.token_url.clone(),
            reason: crate::mail::sanitize::one_line(&e.to_string()),
        },
        RequestTokenError::Parse(_, _) => Error::Provider {
            provider: s.provider_name(),
            what: what.to_string(),
            reason: "its answer was not the OAuth2 JSON expected".into(),
        },
        RequestTokenError::Other(m) => Error::Provider {
            provider: s.provider_name(),
            what: what.to_string(),
            reason: crate::mail::sanitize::one_line(&m),
        },
    }
}

fn tokens(t: &impl TokenResponse) -> Tokens {
    Tokens {
        access_token: t.access_token().secret().clone(),
        expires_at: t
            .expires_in()
            .map(|d| chrono::Utc::now().timestamp() + d.as_secs() as i64),
        refresh_token: t.refresh_token().map(|r| r.secret().clone()),
    }
}

macro_rules! client {
    ($s:expr) => {{
        let s: &Settings = $s;
        let mut c = BasicClient::new(ClientId::new(s.client_id.clone()))
            .set_token_uri(
                TokenUrl::new(s.token_url.clone()).map_err(|e| url_error("token_url", e))?,
            )
            // Installed apps are public clients: the id goes in the body, as RFC 8252 says.
            .set_auth_type(AuthType::RequestBody);
        if let Some(secret) = &s.client_secret {
            c = c.set_client_secret(ClientSecret::new(secret.clone()));
        }
        c
    }};
}

/// A fresh access token for a refresh token; `Revoked` when the provider will not honour it.
pub fn refresh(s: &Settings, refresh_token: &str) -> Result<Tokens, Error> {
    let client = client!(s);
    let rt = RefreshToken::new(refresh_token.to_string());
    match client.exchange_refresh_token(&rt).request(&http()) {
        Ok(t) => Ok(tokens(&t)),
        Err(RequestTokenError::ServerResponse(r))
            if *r.error() == BasicErrorResponseType::InvalidGrant =>
        {
            Err(Error::Revoked {
                provider: s.provider_name(),
                user: s.user.clone(),
            })
        }
        Err(e) => Err(request_error(s, "to renew the sign-in", e)),
    }
}

/// What the user must do to finish a device-code sign-in.
#[derive(Debug, Clone)]
pub struct DevicePrompt {
    pub url: String,
    pub code: String,
    /// The URL with the code in it, when the provider gives one.
    pub complete_url: Option<String>,
    pub expires_in: Duration,
}

/// The device-code flow: asks for a code, shows it, polls until the user has signed in.
pub fn device(s: &Settings, show: &mut dyn FnMut(&DevicePrompt)) -> Result<Tokens, Error> {
    let device_url = s
        .device_url
        .clone()
        .ok_or_else(|| Error::Config("[oauth2] needs device_url for the device flow".into()))?;
    let client = client!(s).set_device_authorization_url(
        DeviceAuthorizationUrl::new(device_url).map_err(|e| url_error("device_url", e))?,
    );
    let http = http();
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scopes(s.scopes.iter().cloned().map(Scope::new))
        .request(&http)
        .map_err(|e| request_error(s, "a sign-in code", e))?;
    show(&DevicePrompt {
        url: details.verification_uri().to_string(),
        code: details.user_code().secret().clone(),
        complete_url: details
            .verification_uri_complete()
            .map(|u| u.secret().clone()),
        expires_in: details.expires_in(),
    });
    match client
        .exchange_device_access_token(&details)
        .request(&http, std::thread::sleep, None)
    {
        Ok(t) => Ok(tokens(&t)),
        Err(RequestTokenError::ServerResponse(r)) => Err(match r.error() {
            DeviceCodeErrorResponseType::AccessDenied => Error::Denied(s.provider_name()),
            DeviceCodeErrorResponseType::ExpiredToken => Error::CodeExpired,
            _ => request_error(
                s,
                "the sign-in",
                RequestTokenError::<HttpError, _>::ServerResponse(r),
            ),
        }),
        Err(e) => Err(request_error(s, "the sign-in", e)),
    }
}

/// The installed-app flow: a redirect to 127.0.0.1 on a free port, with PKCE. `show` gets the
/// URL to open; `open` says whether to try `xdg-open` with it too.
pub fn browser(s: &Settings, open: bool, show: &mut dyn FnMut(&str)) -> Result<Tokens, Error> {
    let auth_url = s
        .auth_url
        .clone()
        .ok_or_else(|| Error::Config("[oauth2] needs auth_url for the browser flow".into()))?;
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::Local(format!("cannot listen on 127.0.0.1 for the redirect: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::Local(e.to_string()))?
        .port();
    let client = client!(s)
        .set_auth_uri(AuthUrl::new(auth_url).map_err(|e| url_error("auth_url", e))?)
        .set_redirect_uri(
            RedirectUrl::new(format!("http://127.0.0.1:{port}/"))
                .map_err(|e| url_error("redirect", e))?,
        );
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(s.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge)
        .add_extra_param("login_hint", s.user.clone());
    if s.provider == crate::config::OAuth2Provider::Google {
        // Without these Google gives no refresh token on a second sign-in.
        request = request
            .add_extra_param("access_type", "offline")
            .add_extra_param("prompt", "consent");
    }
    let (url, state) = request.url();
    show(url.as_str());
    if open {
        open_browser(url.as_str());
    }
    let code = wait_for_redirect(&listener, state.secret(), s.provider_name())?;
    client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request(&http())
        .map(|t| tokens(&t))
        .map_err(|e| request_error(s, "the sign-in", e))
}

/// Tries `xdg-open` when it is installed; the URL was printed anyway.
fn open_browser(url: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join("xdg-open").is_file()));
    if found {
        let _ = std::process::Command::new("xdg-open")
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
}

/// Serves the loopback redirect until the browser brings a code with our state.
fn wait_for_redirect(
    listener: &TcpListener,
    state: &str,
    provider: &'static str,
) -> Result<String, Error> {
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::Local(e.to_string()))?;
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    while Instant::now() < deadline {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            Err(e) => return Err(Error::Local(format!("the redirect listener: {e}"))),
        };
        if let Some(outcome) = answer_redirect(stream, state, provider) {
            return outcome;
        }
    }
    Err(Error::Local(format!(
        "nobody signed in within {} minutes; run `duebox login` again",
        BROWSER_TIMEOUT.as_secs() / 60
    )))
}

/// One request to the loopback listener: None when it was not the redirect (a favicon, a
/// stale tab with another state), else the code or why there is none.
fn answer_redirect(
    mut stream: TcpStream,
    state: &str,
    provider: &'static str,
) -> Option<Result<String, Error>> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut line = String::new();
    BufReader::new(&stream)
        .take(8192)
        .read_line(&mut line)
        .ok()?;
    let target = line.split_whitespace().nth(1)?;
    let url = oauth2::url::Url::parse(&format!("http://127.0.0.1{target}")).ok()?;
    let param = |k: &str| {
        url.query_pairs()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.into_owned())
    };
    let reply = |stream: &mut TcpStream, status: &str, text: &str| {
        let body = format!("<!doctype html><title>duebox</title><p>{text}</p>\n");
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    };
    if param("state").as_deref() != Some(state) {
        reply(
            &mut stream,
            "404 Not Found",
            "Not the sign-in duebox is waiting for.",
        );
        return None;
    }
    if let Some(code) = param("code") {
        reply(
            &mut stream,
            "200 OK",
            "duebox is signed in. You can close this tab and go back to the terminal.",
        );
        return Some(Ok(code));
    }
    let error = param("error").unwrap_or_else(|| "no code".into());
    reply(
        &mut stream,
        "200 OK",
        "The sign-in did not complete. Go back to the terminal.",
    );
    Some(Err(if error == "access_denied" {
        Error::Denied(provider)
    } else {
        Error::Provider {
            provider,
            what: "the sign-in".into(),
            reason: crate::mail::sanitize::one_line(&error),
        }
    }))
}
