//! `duebox login` end to end, through the binary, against a real Dovecot (`passdb oauth2`,
//! tokens validated by introspection) and a real Postfix (SMTP AUTH through Dovecot), with the
//! identity provider played by tests/common/idp.rs: the device-code sign-in (the test
//! approves the code as the user would), the browser sign-in with PKCE (the test follows the
//! URL and the redirect as a browser would) for a shared mailbox, IMAP and SMTP with the
//! token, renewal before expiry and after a refusal, a rotated refresh token kept, a revoked
//! sign-in reported while `sync --watch` runs and recovered by a new login, the token file's
//! mode, and no token in any log, output or the database.

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;
#[path = "common/idp.rs"]
mod idp;
#[path = "common/postfix.rs"]
mod postfix;

use dovecot::Dovecot;
use idp::Idp;
use postfix::Postfix;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Generous: the suite shares two cores with everything else.
const WAIT: Duration = Duration::from_secs(60);

/// One Dovecot + Postfix + identity provider for the tests of this binary; each test has
/// its own mailbox and user, and the provider's settings are per user.
struct World {
    idp: Idp,
    servers: Mutex<(Dovecot, Postfix)>,
    imap_port: u16,
    smtp_port: u16,
    imap_ca: PathBuf,
    smtp_ca: PathBuf,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let idp = Idp::start();
        let mut opts = postfix::dovecot_options().with_oauth2(&idp.url("/introspect"), &[]);
        for u in [
            "oa1@example.test",
            "oa3@example.test",
            "shared@example.test",
        ] {
            opts = opts.with_user(u);
        }
        let dovecot = Dovecot::start_with(opts);
        let postfix = Postfix::start(&dovecot);
        World {
            imap_port: dovecot.tls_port(),
            smtp_port: postfix.port(),
            imap_ca: dovecot.ca_file(),
            smtp_ca: postfix.ca_file(),
            idp,
            servers: Mutex::new((dovecot, postfix)),
        }
    })
}

impl World {
    fn dovecot_log(&self) -> String {
        self.servers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .log()
    }

    fn postfix_log(&self) -> String {
        self.servers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .log()
    }

    fn deliver(&self, user: &str, name: &str) {
        let servers = self.servers.lock().unwrap_or_else(|p| p.into_inner());
        servers.0.deliver(user, "INBOX", &common::corpus(name));
    }
}

/// One user's duebox: its own HOME, config and token folder.
struct User {
    home: tempfile::TempDir,
    /// Everything duebox printed, for the token check.
    printed: Mutex<String>,
}

impl User {
    fn new(config: &str) -> User {
        let home = tempfile::tempdir().unwrap();
        let config = config.replace("{home}", &home.path().display().to_string());
        std::fs::write(home.path().join("config.toml"), config).unwrap();
        User {
            home,
            printed: Mutex::new(String::new()),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_duebox"));
        let h = self.home.path();
        cmd.arg("--config")
            .arg(h.join("config.toml"))
            .args(args)
            .env("HOME", h)
            .env("XDG_CONFIG_HOME", h.join("config"))
            .env("XDG_DATA_HOME", h.join("data"))
            .env("XDG_STATE_HOME", h.join("state"))
            // No session bus: the keyring is out of reach and the 0600 file is used (and a
            // developer's own keyring is never touched).
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("XDG_RUNTIME_DIR")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().unwrap();
        let mut p = self.printed.lock().unwrap();
        p.push_str(&String::from_utf8_lossy(&out.stdout));
        p.push_str(&String::from_utf8_lossy(&out.stderr));
        out
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "duebox {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Our payables and vendors, so the corpus's chasers are from known senders.
    fn import_payables(&self) {
        self.ok(&[
            "payables",
            "import",
            &format!(
                "{}/tests/fixtures/corpus/payables.csv",
                env!("CARGO_MANIFEST_DIR")
            ),
        ]);
    }

    fn token_file(&self, key: &str) -> PathBuf {
        self.home
            .path()
            .join("data/duebox/tokens")
            .join(format!("{key}.json"))
    }

    fn stored(&self, key: &str) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.token_file(key)).unwrap()).unwrap()
    }

    /// Starts `duebox login` and reads its output line by line until `until` finds what the
    /// user must act on; returns that and the running process.
    fn start_login(
        &self,
        args: &[&str],
        until: impl Fn(&str) -> Option<String>,
    ) -> (String, Running) {
        let mut all = vec!["login"];
        all.extend_from_slice(args);
        let mut child = self
            .command(&all)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = String::new();
        let found = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("duebox login ended before asking: {seen}"))
                .unwrap();
            seen.push_str(&line);
            seen.push('\n');
            if let Some(f) = until(&line) {
                break f;
            }
        };
        // The rest of stdout is read while the user acts.
        let rest = std::thread::spawn(move || {
            lines
                .map_while(Result::ok)
                .map(|l| l + "\n")
                .collect::<String>()
        });
        self.printed.lock().unwrap().push_str(&seen);
        (found, Running { child, rest })
    }

    fn finish_login(&self, running: Running) -> String {
        let Running { mut child, rest } = running;
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "duebox login did not finish");
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        let out = rest.join().unwrap();
        self.printed.lock().unwrap().push_str(&(out + &err));
        assert!(status.success(), "duebox login failed: {err}");
        err
    }

    /// The device-code sign-in, the test approving the code as `user`.
    fn device_login(&self, idp: &Idp, user: &str) {
        let (code, child) = self.start_login(&[], |line| {
            let rest = line.split("enter the code ").nth(1)?;
            Some(rest.split_whitespace().next()?.to_string())
        });
        assert!(idp.approve(&code, user), "the code {code} was not issued");
        self.finish_login(child);
    }

    /// Fails if any token the provider issued appears in what duebox printed, in `logs`, or
    /// in the database.
    fn assert_no_token_in(&self, idp: &Idp, logs: &[(&str, String)]) {
        let printed = self.printed.lock().unwrap().clone();
        let db = std::fs::read(self.home.path().join("duebox.db")).unwrap_or_default();
        let db = String::from_utf8_lossy(&db).into_owned();
        let mut places = vec![("duebox's output", printed), ("the database", db)];
        places.extend(logs.iter().map(|(n, t)| (*n, t.clone())));
        let tokens = idp.issued();
        assert!(!tokens.is_empty());
        for (name, text) in &places {
            for t in &tokens {
                assert!(!text.contains(t.as_str()), "a token appears in {name}");
            }
        }
    }
}

/// A `duebox login` waiting for the user, and the rest of what it prints.
struct Running {
    child: Child,
    rest: std::thread::JoinHandle<String>,
}

fn config(w: &World, mailbox: &str, oauth2: &str) -> String {
    format!(
        "[company]\nname = \"Example\"\ndomains = [\"example.test\"]\n\n\
         [database]\npath = \"{{home}}/duebox.db\"\n\n\
         {servers}\
         [reply]\nfrom = \"Accounts Payable <{mailbox}>\"\nsignature = \"AP\"\n\n\
         [oauth2]\n{oauth2}{endpoints}",
        servers = postfix::server_sections(
            (w.imap_port, &w.imap_ca),
            (w.smtp_port, &w.smtp_ca),
            mailbox,
            "",
        ),
        endpoints = w.idp.endpoints(),
    )
}

fn wait_until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn message_id(name: &str) -> String {
    duebox::mail::parse(&common::corpus(name))
        .unwrap()
        .message_id
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn device_code_sign_in_then_sync_and_reply_with_the_token() {
    let w = world();
    let me = "oa1@example.test";
    let u = User::new(&config(w, me, "provider = \"microsoft\"\n"));

    let before = u.run(&["config", "check", "--offline"]);
    let said = String::from_utf8_lossy(&before.stdout).into_owned()
        + &String::from_utf8_lossy(&before.stderr);
    assert_eq!(before.status.code(), Some(2), "{said}");
    assert!(
        said.contains(
            "sign-in: Microsoft as oa1@example.test (device-code flow), tokens kept in the file"
        ),
        "{said}"
    );
    assert!(
        said.contains(
            "not signed in to Microsoft as oa1@example.test: sign in with `duebox login`"
        ),
        "{said}"
    );

    u.device_login(&w.idp, me);
    let printed = u.printed.lock().unwrap().clone();
    assert!(
        printed.contains(&format!(
            "open {} on any device and enter the code",
            w.idp.url("/device")
        )),
        "{printed}"
    );
    assert!(
        printed.contains(
            "Signed in to Microsoft as oa1@example.test; the tokens are kept in the file"
        ),
        "{printed}"
    );
    // Microsoft's default scopes were asked for (IMAP, SMTP, and a refresh token).
    let asked = w.idp.requests();
    assert!(
        asked
            .iter()
            .any(|r| r.starts_with("devicecode client_id=duebox-test-client")
                && r.contains("https://outlook.office.com/IMAP.AccessAsUser.All")
                && r.contains("https://outlook.office.com/SMTP.Send")
                && r.contains("offline_access")),
        "{asked:?}"
    );

    let file = u.token_file("microsoft-oa1@example.test");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(
        u.stored("microsoft-oa1@example.test")["refresh_token"].as_str(),
        w.idp.active_refresh_token(me).as_deref()
    );

    let checked = u.ok(&["config", "check"]);
    assert!(
        checked.contains("login: OK") && checked.contains("smtp login: OK"),
        "{checked}"
    );

    let chaser = "a-001-en-reminder-acme.eml";
    w.deliver(me, chaser);
    u.import_payables();
    let synced = u.ok(&["sync"]);
    assert!(synced.contains("sync: 1 new"), "{synced}");
    let log = w.dovecot_log();
    // Dovecot offers both mechanisms: IMAP takes the standard one.
    assert!(
        log.contains("user=<oa1@example.test>, method=OAUTHBEARER"),
        "{log}"
    );

    u.ok(&["reply", &message_id(chaser), "--template", "acknowledge"]);
    // SMTP uses XOAUTH2 (lettre has no OAUTHBEARER), checked by Dovecot for Postfix.
    wait_until("Postfix's XOAUTH2 login", || {
        w.postfix_log()
            .contains("sasl_method=XOAUTH2, sasl_username=oa1@example.test")
    });
    u.assert_no_token_in(
        &w.idp,
        &[
            ("Dovecot's log", w.dovecot_log()),
            ("Postfix's log", w.postfix_log()),
        ],
    );
}

#[test]
fn browser_sign_in_with_pkce_for_a_shared_mailbox() {
    let w = world();
    let (clerk, shared) = ("clerk@example.test", "shared@example.test");
    // The clerk signs in; the mailbox is the team's shared one, which the clerk may use.
    w.idp.delegate(clerk, shared);
    w.idp.browser_signed_in_as(clerk);
    let u = User::new(&config(
        w,
        shared,
        &format!("provider = \"google\"\nuser = \"{clerk}\"\n"),
    ));
    let (url, child) = u.start_login(&["--no-browser"], |line| {
        line.trim_start()
            .starts_with("http://")
            .then(|| line.trim().to_string())
    });
    assert!(url.starts_with(&w.idp.url("/authorize?")), "{url}");
    // The browser is sent back to duebox's listener on 127.0.0.1 with a code and the state.
    let (status, location, _) = idp::get(&url);
    assert_eq!(status, 302);
    let back = location.expect("a redirect back to duebox");
    assert!(back.starts_with("http://127.0.0.1:"), "{back}");
    // A stray request (another tab, a favicon) does not end the wait.
    let port_part = back.split('?').next().unwrap();
    let (stray, _, _) = idp::get(&format!("{port_part}?code=forged&state=not-ours"));
    assert_eq!(stray, 404);
    let (status, _, page) = idp::get(&back);
    assert_eq!(status, 200);
    assert!(page.contains("duebox is signed in"), "{page}");
    u.finish_login(child);

    let asked = w.idp.requests();
    assert!(
        asked.iter().any(|r| r
            == &format!("authorize scope=https://mail.google.com/ login_hint={clerk} method=S256")),
        "{asked:?}"
    );
    assert!(
        asked
            .iter()
            .any(|r| r == "token grant_type=authorization_code"),
        "{asked:?}"
    );
    let file = u.token_file("google-clerk@example.test");
    assert_eq!(mode(&file), 0o600);

    w.deliver(shared, "a-002-en-overdue-acme.eml");
    let synced = u.ok(&["sync"]);
    assert!(synced.contains("sync: 1 new"), "{synced}");
    // The SASL user is the shared mailbox, not the clerk who signed in.
    assert!(w
        .dovecot_log()
        .contains("user=<shared@example.test>, method=OAUTHBEARER"));
    u.assert_no_token_in(&w.idp, &[("Dovecot's log", w.dovecot_log())]);
}

#[test]
fn tokens_are_renewed_before_expiry_and_after_a_refusal_and_rotation_is_kept() {
    let w = world();
    let me = "oa3@example.test";
    let key = "custom-oa3@example.test";
    let u = User::new(&config(w, me, "provider = \"custom\"\nflow = \"device\"\n"));
    // The first access token lives a minute: less than duebox's margin.
    w.idp.set_access_lifetime(me, 60);
    u.device_login(&w.idp, me);
    w.idp.set_access_lifetime(me, 3600);
    let chaser = "a-005-en-overdue-brennan.eml";
    w.deliver(me, chaser);
    u.import_payables();

    u.ok(&["sync"]);
    assert_eq!(w.idp.refreshes(me), 1, "renewed before expiry");
    u.ok(&["sync"]);
    assert_eq!(
        w.idp.refreshes(me),
        1,
        "a fresh token is reused, not renewed"
    );

    // The provider revokes the access token early and rotates refresh tokens: IMAP's
    // AUTHENTICATIONFAILED leads to one renewal, and the new refresh token is kept.
    let first_refresh = w.idp.active_refresh_token(me).unwrap();
    w.idp.set_rotation(me, true);
    w.idp.revoke_access(me);
    let refused = w.idp.rejected_introspections();
    u.ok(&["sync"]);
    assert!(w.idp.rejected_introspections() > refused);
    assert_eq!(w.idp.refreshes(me), 2);
    let rotated = w.idp.active_refresh_token(me).unwrap();
    assert_ne!(rotated, first_refresh);
    assert_eq!(
        u.stored(key)["refresh_token"].as_str(),
        Some(rotated.as_str())
    );
    assert_eq!(mode(&u.token_file(key)), 0o600);

    // A reply: its IMAP steps renew the token, SMTP takes the new one, sent once.
    w.idp.revoke_access(me);
    u.ok(&["reply", &message_id(chaser), "--template", "acknowledge"]);
    wait_until("the reply through Postfix", || {
        w.postfix_log()
            .contains("sasl_method=XOAUTH2, sasl_username=oa3@example.test")
    });
    let outbox = u.ok(&["outbox", "list"]);
    assert_eq!(outbox.matches("sent").count(), 1, "{outbox}");

    // SMTP alone refused the token (XOAUTH2's error challenge, then 535): renewed once with
    // the rotated refresh token, and the message goes out once.
    let text = std::fs::read_to_string(u.home.path().join("config.toml")).unwrap();
    let parsed = duebox::config::Config::parse(&text).unwrap();
    let settings = duebox::oauth::Settings::resolve(parsed.oauth2.as_ref().unwrap(), me).unwrap();
    let login = duebox::oauth::Login::with_store(
        settings,
        duebox::oauth::TokenStore::in_file(u.token_file(key)),
    );
    let account = duebox::smtp::SmtpAccount {
        server: duebox::account::Account {
            host: "127.0.0.1".into(),
            port: w.smtp_port,
            security: duebox::config::Security::Starttls,
            login: me.into(),
            secret: duebox::imap::Secret::OAuth2(Box::new(login)),
            ca_file: Some(w.smtp_ca.clone()),
        },
        hello: "example.test".into(),
        timeout: std::time::Duration::from_secs(30),
    };
    let mut smtp = account.connect().unwrap();
    w.idp.revoke_access(me);
    let before = w.idp.refreshes(me);
    let raw = b"From: oa3@example.test\r\nTo: someone@vendor.test\r\nSubject: renewed at SMTP\r\nMessage-ID: <smtp-renewal@example.test>\r\n\r\nHello.\r\n";
    use duebox::smtp::Transport as _;
    smtp.send(me, "someone@vendor.test", raw).unwrap();
    assert_eq!(w.idp.refreshes(me), before + 1);
    // The refused session (lettre hangs up at the error challenge, so Postfix counts a failed
    // AUTH) and the one message.
    wait_until("the message in Postfix", || {
        w.postfix_log()
            .contains("message-id=<smtp-renewal@example.test>")
    });
    let log = w.postfix_log();
    assert!(log.contains("auth=0/1"), "{log}");
    assert_eq!(
        log.matches("message-id=<smtp-renewal@example.test>")
            .count(),
        1
    );
    assert_eq!(
        u.stored(key)["refresh_token"].as_str(),
        w.idp.active_refresh_token(me).as_deref()
    );
    u.assert_no_token_in(
        &w.idp,
        &[
            ("Dovecot's log", w.dovecot_log()),
            ("Postfix's log", w.postfix_log()),
        ],
    );
}

#[test]
fn a_revoked_sign_in_is_reported_and_the_watcher_resumes_after_a_new_login() {
    // Its own servers: Dovecot is restarted to drop the watcher's connection, and offers
    // only XOAUTH2 (as Microsoft does).
    let idp = Idp::start();
    let me = "ap@example.test";
    let mut dovecot = Dovecot::start_with(
        dovecot::Options::new().with_oauth2(&idp.url("/introspect"), &["xoauth2"]),
    );
    let u = User::new(&format!(
        "[database]\npath = \"{{home}}/duebox.db\"\n\n\
         [imap]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"tls\"\nlogin = \"{me}\"\nca_file = \"{}\"\n\n\
         [oauth2]\nprovider = \"microsoft\"\n{}",
        dovecot.tls_port(),
        dovecot.ca_file().display(),
        idp.endpoints()
    ));
    u.device_login(&idp, me);
    let log = u.home.path().join("watch.log");
    let mut watcher = u
        .command(&["sync", "--watch", "--log", &log.display().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_until("the first pass", || read().contains("sync: 0 new"));
    assert!(dovecot
        .log()
        .contains("user=<ap@example.test>, method=XOAUTH2"));

    idp.revoke_all(me);
    dovecot.restart();
    wait_until("the lost sign-in in the log", || {
        read().contains("sign in again with `duebox login`")
    });
    assert!(
        watcher.try_wait().unwrap().is_none(),
        "the watcher keeps running"
    );
    // The CLI says the same.
    let once = u.run(&["sync"]);
    assert_eq!(once.status.code(), Some(2));
    let said = String::from_utf8_lossy(&once.stderr);
    assert!(said.contains("sign in with `duebox login`"), "{said}");

    // Mail that arrives while nobody is signed in is synced by the first pass after the login.
    dovecot.deliver(me, "INBOX", &common::corpus("a-001-en-reminder-acme.eml"));
    u.device_login(&idp, me);
    wait_until("the watcher to resume", || {
        read().contains("signed in again: resuming")
    });
    wait_until("the new message synced", || read().contains("sync: 1 new"));

    dovecot::signal(&[watcher.id()], "TERM");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(s) = watcher.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the watcher did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}\n{}", read());
    u.assert_no_token_in(
        &idp,
        &[("the watch log", read()), ("Dovecot's log", dovecot.log())],
    );
}
