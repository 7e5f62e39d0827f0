//! An OAuth2 identity provider stand-in for the tests (the one permitted stand-in: Microsoft's
//! and Google's sign-in services are not reachable from here): device authorization (RFC
//! 8628), authorization with PKCE S256 (RFC 7636), the token endpoint (device code,
//! authorization code, refresh with optional rotation) and token introspection (RFC 7662),
//! which the real Dovecot's `passdb oauth2` asks. A small HTTP/1.1 server on 127.0.0.1, one
//! thread per connection, `Connection: close`; the test drives it through methods
//! (approve a code, revoke, rotate, shorten lifetimes) and reads what it issued.
#![allow(dead_code)]

use base64::Engine as _;
use sha2::Digest as _;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The client id the stand-in expects (configured in duebox's [oauth2] by the tests).
pub const CLIENT_ID: &str = "duebox-test-client";

#[derive(Default)]
struct DeviceGrant {
    user_code: String,
    approved_by: Option<String>,
    denied: bool,
}

struct CodeGrant {
    user: String,
    challenge: String,
    redirect_uri: String,
}

struct Access {
    user: String,
    expires: Instant,
    active: bool,
}

#[derive(Default)]
struct State {
    counter: u64,
    devices: HashMap<String, DeviceGrant>,
    codes: HashMap<String, CodeGrant>,
    access: HashMap<String, Access>,
    /// refresh token → (user, active)
    refresh: HashMap<String, (String, bool)>,
    /// user → lifetime of their access tokens, seconds (default an hour).
    access_lifetime: HashMap<String, u64>,
    /// Users whose refreshes rotate the refresh token.
    rotate: std::collections::HashSet<String>,
    /// Who is signed in to the "browser" that follows the authorization URL.
    browser_user: Option<String>,
    /// user → the mailbox their tokens are introspected as (a shared mailbox they may use).
    delegated: HashMap<String, String>,
    issued: Vec<String>,
    refreshes: HashMap<String, usize>,
    rejected_introspections: usize,
    /// The scopes and extra parameters of each request, for the tests to check.
    requests: Vec<String>,
}

/// A running stand-in; stops accepting when dropped.
pub struct Idp {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Idp {
    pub fn start() -> Idp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the IdP stand-in");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if st.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let s = s.clone();
                std::thread::spawn(move || serve(stream, &s, port));
            }
        });
        Idp { port, state, stop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// The `[oauth2]` endpoint keys pointing here.
    pub fn endpoints(&self) -> String {
        format!(
            "client_id = \"{CLIENT_ID}\"\nauth_url = \"{}\"\ntoken_url = \"{}\"\ndevice_url = \"{}\"\n",
            self.url("/authorize"),
            self.url("/token"),
            self.url("/devicecode")
        )
    }

    /// The user approves the device code shown to them.
    pub fn approve(&self, user_code: &str, user: &str) -> bool {
        self.with(|s| {
            for g in s.devices.values_mut() {
                if g.user_code == user_code {
                    g.approved_by = Some(user.to_string());
                    return true;
                }
            }
            false
        })
    }

    /// Who the browser is signed in as when it follows an authorization URL.
    pub fn browser_signed_in_as(&self, user: &str) {
        self.with(|s| s.browser_user = Some(user.to_string()));
    }

    /// Lifetime of the access tokens issued to `user` from now on.
    pub fn set_access_lifetime(&self, user: &str, secs: u64) {
        self.with(|s| s.access_lifetime.insert(user.to_string(), secs));
    }

    /// Whether each of `user`'s refreshes issues a new refresh token (retiring the old one).
    pub fn set_rotation(&self, user: &str, rotate: bool) {
        self.with(|s| {
            if rotate {
                s.rotate.insert(user.to_string());
            } else {
                s.rotate.remove(user);
            }
        });
    }

    /// The user's access tokens stop working (refresh tokens still do).
    pub fn revoke_access(&self, user: &str) {
        self.with(|s| {
            for a in s.access.values_mut().filter(|a| a.user == user) {
                a.active = false;
            }
        });
    }

    /// Everything of the user's stops working: a password change, an admin's revocation.
    pub fn revoke_all(&self, user: &str) {
        self.revoke_access(user);
        self.with(|s| {
            for r in s.refresh.values_mut().filter(|r| r.0 == user) {
                r.1 = false;
            }
        });
    }

    /// The user's tokens are introspected as `mailbox` (Exchange's "full access" to a shared
    /// mailbox, as far as this server can tell).
    pub fn delegate(&self, user: &str, mailbox: &str) {
        self.with(|s| s.delegated.insert(user.to_string(), mailbox.to_string()));
    }

    /// The user's refresh token that works now.
    pub fn active_refresh_token(&self, user: &str) -> Option<String> {
        self.with(|s| {
            s.refresh
                .iter()
                .find(|(_, (u, active))| u == user && *active)
                .map(|(t, _)| t.clone())
        })
    }

    /// How many refreshes the user's client made.
    pub fn refreshes(&self, user: &str) -> usize {
        self.with(|s| s.refreshes.get(user).copied().unwrap_or(0))
    }

    /// How many introspections answered "not active".
    pub fn rejected_introspections(&self) -> usize {
        self.with(|s| s.rejected_introspections)
    }

    /// Every access and refresh token issued so far.
    pub fn issued(&self) -> Vec<String> {
        self.with(|s| s.issued.clone())
    }

    /// The requests' grant types, scopes and parameters, one line each.
    pub fn requests(&self) -> Vec<String> {
        self.with(|s| s.requests.clone())
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn random(s: &mut State, prefix: &str) -> String {
    s.counter += 1;
    let seed = format!("{prefix}{}{:?}", s.counter, Instant::now());
    let hash = sha2::Sha256::digest(seed.as_bytes());
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&hash[..18])
    )
}

fn issue(s: &mut State, user: &str, refresh: Option<String>) -> String {
    let access = random(s, "AT.");
    let lifetime = s.access_lifetime.get(user).copied().unwrap_or(3600);
    s.access.insert(
        access.clone(),
        Access {
            user: user.to_string(),
            expires: Instant::now() + Duration::from_secs(lifetime),
            active: true,
        },
    );
    s.issued.push(access.clone());
    let refresh = refresh.unwrap_or_else(|| {
        let r = random(s, "RT.");
        s.refresh.insert(r.clone(), (user.to_string(), true));
        s.issued.push(r.clone());
        r
    });
    serde_json::json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "refresh_token": refresh,
        "scope": "mail",
    })
    .to_string()
}

fn error(code: &str) -> (u16, String) {
    (
        400,
        serde_json::json!({"error": code, "error_description": format!("stand-in: {code}")})
            .to_string(),
    )
}

fn form(body: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// Reads one request: method, target, body.
fn read_request(stream: &TcpStream) -> Option<(String, String, String)> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some((method, target, String::from_utf8_lossy(&body).into_owned()))
}

fn serve(mut stream: TcpStream, state: &Mutex<State>, port: u16) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some((method, target, body)) = read_request(&stream) else {
        return;
    };
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut s = state.lock().unwrap();
    let (status, body, location) = match (method.as_str(), path) {
        ("POST", "/devicecode") => {
            let f = form(&body);
            s.requests.push(format!(
                "devicecode client_id={} scope={}",
                f.get("client_id").map_or("", |v| v),
                f.get("scope").map_or("", |v| v)
            ));
            if f.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
                let (c, b) = error("invalid_client");
                (c, b, None)
            } else {
                let device_code = random(&mut s, "DC.");
                let n = s.counter;
                let user_code = format!("QX{n:02}-{:04}", (n * 7919) % 10000);
                s.devices.insert(
                    device_code.clone(),
                    DeviceGrant {
                        user_code: user_code.clone(),
                        ..DeviceGrant::default()
                    },
                );
                let b = serde_json::json!({
                    "device_code": device_code,
                    "user_code": user_code,
                    "verification_uri": format!("http://127.0.0.1:{port}/device"),
                    "expires_in": 600,
                    "interval": 1,
                })
                .to_string();
                (200, b, None)
            }
        }
        ("POST", "/token") => {
            let (c, b) = token(&mut s, &form(&body));
            (c, b, None)
        }
        ("GET", "/authorize") => authorize(&mut s, &form(query)),
        ("POST", "/introspect") => {
            let f = form(&body);
            let t = f.get("token").cloned().unwrap_or_default();
            let answer = match s.access.get(&t) {
                Some(a) if a.active && a.expires > Instant::now() => {
                    let user = s.delegated.get(&a.user).unwrap_or(&a.user).clone();
                    serde_json::json!({"active": true, "username": user})
                }
                _ => {
                    s.rejected_introspections += 1;
                    serde_json::json!({"active": false})
                }
            };
            (200, answer.to_string(), None)
        }
        _ => (404, "{\"error\":\"not_found\"}".to_string(), None),
    };
    drop(s);
    let reason = match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let location = location
        .map(|l| format!("Location: {l}\r\n"))
        .unwrap_or_default();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\n{location}Content-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn token(s: &mut State, f: &HashMap<String, String>) -> (u16, String) {
    let grant = f.get("grant_type").cloned().unwrap_or_default();
    s.requests.push(format!("token grant_type={grant}"));
    if f.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return error("invalid_client");
    }
    match grant.as_str() {
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let code = f.get("device_code").cloned().unwrap_or_default();
            let Some(g) = s.devices.get(&code) else {
                return error("invalid_grant");
            };
            if g.denied {
                return error("access_denied");
            }
            match g.approved_by.clone() {
                None => error("authorization_pending"),
                Some(user) => {
                    s.devices.remove(&code);
                    (200, issue(s, &user, None))
                }
            }
        }
        "authorization_code" => {
            let code = f.get("code").cloned().unwrap_or_default();
            let Some(g) = s.codes.remove(&code) else {
                return error("invalid_grant");
            };
            let verifier = f.get("code_verifier").cloned().unwrap_or_default();
            let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(verifier.as_bytes()));
            if challenge != g.challenge || f.get("redirect_uri") != Some(&g.redirect_uri) {
                return error("invalid_grant");
            }
            (200, issue(s, &g.user, None))
        }
        "refresh_token" => {
            let rt = f.get("refresh_token").cloned().unwrap_or_default();
            match s.refresh.get(&rt).cloned() {
                Some((user, true)) => {
                    *s.refreshes.entry(user.clone()).or_default() += 1;
                    if s.rotate.contains(&user) {
                        s.refresh.insert(rt, (user.clone(), false));
                        (200, issue(s, &user, None))
                    } else {
                        (200, issue(s, &user, Some(rt)))
                    }
                }
                _ => error("invalid_grant"),
            }
        }
        _ => error("unsupported_grant_type"),
    }
}

/// The browser's visit: the signed-in user consents at once, and is sent back to the
/// client's redirect URI with a code and the client's state.
fn authorize(s: &mut State, q: &HashMap<String, String>) -> (u16, String, Option<String>) {
    s.requests.push(format!(
        "authorize scope={} login_hint={} method={}",
        q.get("scope").map_or("", |v| v),
        q.get("login_hint").map_or("", |v| v),
        q.get("code_challenge_method").map_or("", |v| v),
    ));
    let ok = q.get("response_type").map(String::as_str) == Some("code")
        && q.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && q.get("code_challenge_method").map(String::as_str) == Some("S256");
    let (Some(redirect), Some(challenge), Some(user), true) = (
        q.get("redirect_uri"),
        q.get("code_challenge"),
        s.browser_user.clone(),
        ok,
    ) else {
        let (c, b) = error("invalid_request");
        return (c, b, None);
    };
    if !redirect.starts_with("http://127.0.0.1:") {
        let (c, b) = error("invalid_request");
        return (c, b, None);
    }
    let code = random(s, "AC.");
    s.codes.insert(
        code.clone(),
        CodeGrant {
            user,
            challenge: challenge.clone(),
            redirect_uri: redirect.clone(),
        },
    );
    let state = q.get("state").cloned().unwrap_or_default();
    let location = format!(
        "{redirect}?code={}&state={}",
        url::form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>(),
        url::form_urlencoded::byte_serialize(state.as_bytes()).collect::<String>()
    );
    (302, String::new(), Some(location))
}

/// A tiny HTTP GET, as a browser would do it (no redirects followed): status, Location, body.
pub fn get(url: &str) -> (u16, Option<String>, String) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(host).expect("connect for GET");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let location = text.lines().find_map(|l| {
        l.strip_prefix("Location: ")
            .or_else(|| l.strip_prefix("location: "))
            .map(str::to_string)
    });
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, location, body)
}
