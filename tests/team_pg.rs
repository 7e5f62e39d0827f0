//! The team's shared state against a real PostgreSQL (tests/common/postgres.rs, one server per
//! binary): the store's outbox and record suite run on both backends — clerks sharing one
//! SQLite file (the default, one machine) and clerks each with their own local SQLite and one
//! PostgreSQL — so exactly-once holds across clerks by the database's unique index, and each
//! clerk's name is on the team's record. PostgreSQL only: the schema numbered there and a newer
//! one refused; the server stopped mid-way (a clear refusal, mail still readable, nothing lost
//! after it is back); the CLI's `log` showing the whole team with the password kept out.

#[path = "common/postgres.rs"]
mod postgres_server;

use duebox::payables::validate::MatchStatus;
use duebox::payables::{Payable, Status};
use duebox::store::{EventFilter, NewMessage, NewReply, OutboxState, Store, StoreError};
use postgres_server::Postgres;
use rust_decimal::Decimal;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug)]
enum Backend {
    /// Every clerk's duebox on one SQLite file (as one clerk with several windows has).
    Sqlite,
    /// Each clerk its own local SQLite, the shared state in one PostgreSQL database.
    Postgres,
}

/// A team: where its clerks' databases are.
struct Team {
    dir: tempfile::TempDir,
    backend: Backend,
    url: Option<String>,
}

impl Team {
    fn new(backend: Backend) -> Team {
        let url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let pg = postgres_server::shared();
                Some(pg.url(&pg.create_database()))
            }
        };
        Team {
            dir: tempfile::tempdir().unwrap(),
            backend,
            url,
        }
    }

    fn on(pg: &Postgres) -> Team {
        Team {
            dir: tempfile::tempdir().unwrap(),
            backend: Backend::Postgres,
            url: Some(pg.url(&pg.create_database())),
        }
    }

    fn local(&self, clerk: &str) -> PathBuf {
        match self.backend {
            Backend::Sqlite => self.dir.path().join("shared.db"),
            Backend::Postgres => self.dir.path().join(format!("{clerk}.db")),
        }
    }

    /// The duebox of one clerk, as `open_store` makes it.
    fn clerk(&self, name: &str) -> Store {
        postgres_server::clerk_store(&self.local(name), name, self.url.as_deref())
    }
}

use postgres_server::team_config;

/// Each named body runs once per backend: `NAME::sqlite` and `NAME::postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(&super::Team::new(super::Backend::Sqlite));
            }
            #[test]
            fn postgres() {
                super::$name(&super::Team::new(super::Backend::Postgres));
            }
        }
    )*};
}

on_both_backends!(
    two_clerks_reserving_one_reply_one_wins,
    a_failed_reply_frees_its_key_and_a_retry_is_refused_once_taken,
    outbox_states_move_and_are_recorded_with_the_clerk,
    the_record_is_the_whole_teams,
    five_clerks_race_for_twenty_replies,
    a_payment_one_clerk_records_is_in_the_others_next_check,
);

fn reply(n: usize, template: &str) -> NewReply {
    NewReply {
        message_id: format!("<r{n}-{template}-{}@northwind.test>", rand_tag()),
        answers: Some(format!("<c{n}@acme.test>")),
        template: template.into(),
        vendor: Some("Acme".into()),
        invoice: Some(format!("INV-{n}")),
        envelope_from: "ap@northwind.test".into(),
        envelope_to: "billing@acme.test".into(),
        subject: format!("Re: Invoice INV-{n}"),
        raw: b"raw".to_vec(),
        ..Default::default()
    }
}

/// Distinct Message-IDs for each attempt (two clerks' drafts never share one).
fn rand_tag() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

/// Queued and handed over in one commit, as `Sending::send` does.
fn send(s: &mut Store, r: &NewReply) -> Result<i64, StoreError> {
    s.in_batch(|s| {
        let id = s.queue_reply(r)?;
        s.set_outbox_state(id, OutboxState::Sending, "handed to the SMTP server")?;
        Ok(id)
    })
}

fn two_clerks_reserving_one_reply_one_wins(t: &Team) {
    let mut anna = t.clerk("Anna");
    let mut ben = t.clerk("Ben");
    let id = send(&mut anna, &reply(1, "acknowledge")).unwrap();
    let err = send(&mut ben, &reply(1, "acknowledge")).unwrap_err();
    match &err {
        StoreError::ReplyTaken {
            clerk,
            template,
            state,
            ..
        } => {
            assert_eq!(
                (clerk.as_str(), template.as_str(), *state),
                ("Anna", "acknowledge", OutboxState::Sending)
            );
        }
        other => panic!("{other}"),
    }
    assert!(
        err.to_string().contains("Anna has already started sending"),
        "{err}"
    );
    anna.set_outbox_state(id, OutboxState::Sent, "250 OK")
        .unwrap();
    let err = send(&mut ben, &reply(1, "acknowledge")).unwrap_err();
    assert!(err.to_string().contains("Anna has already sent"), "{err}");
    // Another template, another message, or a reply sent again on purpose: not the same key.
    send(&mut ben, &reply(1, "confirm_payment")).unwrap();
    send(&mut ben, &reply(2, "acknowledge")).unwrap();
    send(
        &mut ben,
        &NewReply {
            repeat: true,
            ..reply(1, "acknowledge")
        },
    )
    .unwrap();
}

fn a_failed_reply_frees_its_key_and_a_retry_is_refused_once_taken(t: &Team) {
    let mut anna = t.clerk("Anna");
    let mut ben = t.clerk("Ben");
    let first = send(&mut anna, &reply(3, "acknowledge")).unwrap();
    anna.set_outbox_state(first, OutboxState::Failed, "550 refused")
        .unwrap();
    let bens = send(&mut ben, &reply(3, "acknowledge")).unwrap();
    let err = anna
        .set_outbox_state(first, OutboxState::Sending, "handed over again")
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::ReplyTaken { clerk, .. } if clerk == "Ben"),
        "{err}"
    );
    assert_eq!(
        anna.outbox_entry(first).unwrap().unwrap().state,
        OutboxState::Failed,
        "the refused retry left Anna's reply as it was"
    );
    ben.set_outbox_state(bens, OutboxState::Failed, "timeout before DATA")
        .unwrap();
    anna.set_outbox_state(first, OutboxState::Sending, "handed over again")
        .unwrap();
}

fn outbox_states_move_and_are_recorded_with_the_clerk(t: &Team) {
    let mut anna = t.clerk("Anna");
    let r = reply(4, "acknowledge");
    let id = anna.queue_reply(&r).unwrap();
    anna.set_outbox_state(id, OutboxState::Sending, "handed to SMTP")
        .unwrap();
    let e = anna
        .set_outbox_state(id, OutboxState::Sent, "250 OK")
        .unwrap();
    assert_eq!(e.state, OutboxState::Sent);
    assert!(e.sent_at.is_some());
    assert_eq!(anna.replies_to("<c4@acme.test>").unwrap().len(), 1);
    assert!(
        anna.queue_reply(&r).is_err(),
        "one Message-ID is queued once"
    );
    let ben = t.clerk("Ben");
    let seen: Vec<(String, Option<String>)> = ben
        .events(&EventFilter {
            invoice: Some("inv 4".into()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.clerk))
        .collect();
    let anna_ = Some("Anna".to_string());
    assert_eq!(
        seen,
        [
            ("reply_queued".to_string(), anna_.clone()),
            ("reply_sending".into(), anna_.clone()),
            ("reply_sent".into(), anna_),
        ],
        "Ben sees Anna's reply in the record"
    );
}

fn the_record_is_the_whole_teams(t: &Team) {
    let mut anna = t.clerk("Anna");
    let mut ben = t.clerk("Ben");
    anna.record_event("sync", "synced", Some("<a@x>"), None, None, "INBOX UID 1")
        .unwrap();
    anna.record_event(
        "classifier",
        "classified",
        Some("<a@x>"),
        Some("Acme Ltd"),
        Some("INV-00123"),
        "overdue",
    )
    .unwrap();
    ben.record_event(
        "user",
        "payable_paid",
        None,
        Some("Acme Ltd"),
        Some("INV-123"),
        "paid",
    )
    .unwrap();
    ben.record_event("sync", "synced", Some("<b@x>"), None, None, "INBOX UID 2")
        .unwrap();
    for reader in [&anna, &ben] {
        let by_invoice = reader
            .events(&EventFilter {
                invoice: Some("inv 123".into()),
                ..Default::default()
            })
            .unwrap();
        let got: Vec<(&str, Option<&str>)> = by_invoice
            .iter()
            .map(|e| (e.kind.as_str(), e.clerk.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("synced", Some("Anna")),
                ("classified", Some("Anna")),
                ("payable_paid", Some("Ben"))
            ]
        );
        let by_vendor = reader
            .events(&EventFilter {
                vendor: Some("acme".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(by_vendor.len(), 3);
        assert_eq!(reader.events(&EventFilter::default()).unwrap().len(), 4);
    }
}

fn five_clerks_race_for_twenty_replies(t: &Team) {
    let names = ["Anna", "Ben", "Chloé", "Dmitri", "Eve"];
    let barrier = std::sync::Barrier::new(names.len());
    let outcomes: Vec<(usize, usize, Vec<String>)> = std::thread::scope(|scope| {
        // Opened one after the other: the race is over the replies, not the first open.
        let stores: Vec<Store> = names.iter().map(|name| t.clerk(name)).collect();
        let handles: Vec<_> = stores
            .into_iter()
            .map(|mut s| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let (mut won, mut told) = (0, 0);
                    let mut other = Vec::new();
                    for n in 100..120 {
                        match send(&mut s, &reply(n, "acknowledge")) {
                            Ok(_) => won += 1,
                            Err(StoreError::ReplyTaken { .. }) => told += 1,
                            Err(e) => other.push(e.to_string()),
                        }
                    }
                    (won, told, other)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: usize = outcomes.iter().map(|o| o.0).sum();
    let told: usize = outcomes.iter().map(|o| o.1).sum();
    let other: Vec<&String> = outcomes.iter().flat_map(|o| &o.2).collect();
    println!(
        "{:?}: 5 clerks x 20 replies: reserved {won}, told who has it {told}, other {}; double replies {}",
        t.backend,
        other.len(),
        won.saturating_sub(20)
    );
    assert!(other.is_empty(), "{other:?}");
    assert_eq!((won, told), (20, 80));
}

fn a_payment_one_clerk_records_is_in_the_others_next_check(t: &Team) {
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 10, d).unwrap();
    let mut anna = t.clerk("Anna");
    anna.add_payable(&Payable {
        vendor: "Acme".into(),
        vendor_email: "billing@acme.test".into(),
        invoice_number: "INV-7".into(),
        amount: Decimal::new(475_050, 2),
        currency: "EUR".into(),
        issue_date: day(1),
        due_date: day(31),
        status: Status::Open,
        paid_on: None,
        reference: None,
        scheduled_on: None,
    })
    .unwrap();
    // Ben's duebox has the vendor's chaser, checked against what he knew: matched, open.
    let mut ben = t.clerk("Ben");
    let inbox = ben.folder("INBOX").unwrap().id;
    ben.store_message(
        inbox,
        &NewMessage {
            uid: 7,
            message_id: Some("<m7@acme.test>".into()),
            sent_at: Some("2026-11-02 09:00:00".into()),
            from_addr: Some("billing@acme.test".into()),
            subject: Some("Reminder INV-7".into()),
            kind: Some("chaser".into()),
            vendor: Some("Acme".into()),
            invoices: Some("[\"INV-7\"]".into()),
            amount: Some("4750.50".into()),
            currency: Some("EUR".into()),
            match_status: Some("matched".into()),
            reasons: "[]".into(),
            ..NewMessage::default()
        },
    )
    .unwrap();
    let seen = ben.payable("INV-7", None).unwrap();
    assert_eq!(
        (seen.status, seen.amount),
        (Status::Open, Decimal::new(475_050, 2))
    );
    assert_eq!(seen.vendor_email, "billing@acme.test");

    anna.mark_paid("INV-7", None, day(20), Some("TRF-991"))
        .unwrap();
    // Ben's next command (a new duebox process) or refresh sees it, and the chaser's check.
    drop(ben);
    let ben = t.clerk("Ben");
    let paid = ben.payable("INV-7", None).unwrap();
    assert_eq!(
        (paid.status, paid.paid_on, paid.reference.as_deref()),
        (Status::Paid, Some(day(20)), Some("TRF-991"))
    );
    let page = ben.page("INBOX", None, 0, 10).unwrap();
    assert_eq!(page.rows[0].match_status, Some(MatchStatus::AlreadyPaid));
    // Ben undoes it; Anna's refresh brings it back to open.
    let mut ben = ben;
    ben.restore_payable(&Payable {
        status: Status::Open,
        paid_on: None,
        ..paid.clone()
    })
    .unwrap();
    anna.refresh_team().unwrap();
    assert_eq!(anna.payable("INV-7", None).unwrap().status, Status::Open);
}

#[test]
fn the_team_schema_is_numbered_there_and_a_newer_one_is_refused() {
    let pg = postgres_server::shared();
    let db = pg.create_database();
    let t = Team {
        dir: tempfile::tempdir().unwrap(),
        backend: Backend::Postgres,
        url: Some(pg.url(&db)),
    };
    let anna = t.clerk("Anna");
    let version = anna.team_schema_version().unwrap().unwrap();
    assert!(version >= 2, "{version}");
    drop(anna);
    // A second clerk on the same database: nothing to apply, same version.
    assert_eq!(
        t.clerk("Ben").team_schema_version().unwrap().unwrap(),
        version
    );
    pg.client(&db)
        .batch_execute("UPDATE duebox_schema SET version = 999")
        .unwrap();
    let mut cleo = Store::open(&t.local("Cleo")).unwrap();
    let err = cleo.attach_team(&team_config(&pg.url(&db))).unwrap_err();
    assert!(
        matches!(err, StoreError::TeamTooNew { found: 999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("newer duebox"), "{err}");
    let still: i64 = pg
        .client(&db)
        .query_one("SELECT version FROM duebox_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(still, 999, "the team database was not touched");
}

#[test]
fn postgres_stopped_midway_refuses_replies_keeps_mail_readable_and_loses_nothing() {
    let mut pg = Postgres::start();
    let t = Team::on(&pg);
    let mut anna = t.clerk("Anna");
    let mut ben = t.clerk("Ben");
    let inbox = ben.folder("INBOX").unwrap().id;
    ben.store_message(
        inbox,
        &NewMessage {
            uid: 1,
            message_id: Some("<c9@acme.test>".into()),
            raw: b"Message-ID: <c9@acme.test>\r\nSubject: Invoice INV-9\r\n\r\nPlease pay.\r\n"
                .to_vec(),
            subject: Some("Invoice INV-9".into()),
            reasons: "[]".into(),
            ..NewMessage::default()
        },
    )
    .unwrap();
    send(&mut anna, &reply(8, "acknowledge")).unwrap();

    pg.stop();
    let err = send(&mut ben, &reply(9, "acknowledge")).unwrap_err();
    let text = err.to_string();
    println!("refused while the team database is down: {text}");
    assert!(matches!(err, StoreError::TeamUnreachable { .. }), "{text}");
    for words in [
        "cannot be reached",
        "replies are refused",
        "Mail can still be read",
    ] {
        assert!(text.contains(words), "{words:?} missing: {text}");
    }
    assert!(!text.contains(postgres_server::PASSWORD));
    assert!(ben.outbox(&[]).unwrap().is_empty(), "nothing half-queued");
    assert!(ben.team_down().is_some());
    // Mail is read from the local cache.
    let m = ben.find_message("<c9@acme.test>").unwrap().expect("stored");
    assert!(String::from_utf8_lossy(&m.raw).contains("Please pay."));
    // What Ben does meanwhile is kept here and shown in his own record.
    ben.record_event(
        "user",
        "payable_paid",
        None,
        Some("Acme"),
        Some("INV-9"),
        "paid while offline",
    )
    .unwrap();
    let own = ben.events(&EventFilter::default()).unwrap();
    assert!(own.iter().any(|e| e.detail == "paid while offline"));
    // Anna's reply, settled while the server is down, reaches the team when it is back.
    let anna_id = anna.outbox(&[OutboxState::Sending]).unwrap()[0].id;
    anna.set_outbox_state(anna_id, OutboxState::Sent, "250 OK")
        .unwrap();

    pg.start_again();
    // Ben's next command (or the UI's next write) after the pause reconnects and pushes.
    std::thread::sleep(std::time::Duration::from_secs(6));
    assert_eq!(ben.refresh_team().unwrap(), 0);
    assert!(ben.team_down().is_none());
    let team = anna.events(&EventFilter::default()).unwrap();
    assert!(
        team.iter()
            .any(|e| e.detail == "paid while offline" && e.clerk.as_deref() == Some("Ben")),
        "Ben's offline event reached the team: {team:?}"
    );
    assert!(anna.team_down().is_none());
    let err = send(&mut ben, &reply(8, "acknowledge")).unwrap_err();
    assert!(
        err.to_string().contains("Anna has already sent"),
        "Anna's offline 'sent' reached the team: {err}"
    );
    send(&mut ben, &reply(9, "acknowledge")).unwrap();
    let rows: i64 = pg
        .client(t.url.as_deref().unwrap().rsplit('/').next().unwrap())
        .query_one(
            "SELECT count(*) FROM events WHERE detail = 'paid while offline'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(rows, 1, "pushed once, not twice");
}

/// The CLI: two clerks' `duebox` with their own --db and one [database] url; the password
/// from the environment for one and from a 0600 file for the other; `log --csv` shows both
/// clerks' events with the clerk column; the password appears nowhere.
#[test]
fn the_cli_log_shows_the_whole_team_and_never_the_password() {
    let pg = postgres_server::shared();
    let url = pg.url(&pg.create_database());
    let dir = tempfile::tempdir().unwrap();
    let pwfile = dir.path().join("db-password");
    std::fs::write(&pwfile, format!("{}\n", postgres_server::PASSWORD)).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pwfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let write = |name: &str, secret: &str| {
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(
            &path,
            format!("[database]\nurl = \"{url}\"\n{secret}\n\n[team]\nclerk = \"{name}\"\n"),
        )
        .unwrap();
        path
    };
    let anna = write("Anna", "password_env = \"TEAM_DB_PW\"");
    let ben = write("Ben", &format!("password_file = \"{}\"", pwfile.display()));
    let csv = dir.path().join("payables.csv");
    std::fs::write(
        &csv,
        "vendor,vendor_email,invoice_number,amount,currency,issue_date,due_date,status,paid_on,reference\n\
         Acme Ltd,billing@acme.test,INV-77,120.00,EUR,2026-10-01,2026-10-31,open,,\n",
    )
    .unwrap();
    let run = |config: &PathBuf, db: &str, args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_duebox"))
            .arg("--config")
            .arg(config)
            .arg("--db")
            .arg(dir.path().join(db))
            .args(args)
            .env("TEAM_DB_PW", postgres_server::PASSWORD)
            .env("XDG_CONFIG_HOME", dir.path().join("xdg"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            !text.contains(postgres_server::PASSWORD),
            "the password was printed: {text}"
        );
        (out.status.success(), text)
    };
    let (ok, text) = run(
        &anna,
        "anna.db",
        &["payables", "import", csv.to_str().unwrap()],
    );
    assert!(ok, "{text}");
    let (ok, text) = run(&ben, "ben.db", &["log", "--csv"]);
    assert!(ok, "{text}");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("at,actor,kind,message_id,vendor,invoice,detail,clerk")
    );
    assert!(
        text.lines()
            .any(|l| l.contains("INV-77") && l.ends_with(",Anna")),
        "Anna's import is in Ben's log: {text}"
    );
    // A password file others can read is refused, with what to do.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pwfile, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let (ok, text) = run(&ben, "ben.db", &["log"]);
    assert!(!ok);
    assert!(text.contains("chmod 600"), "{text}");
}

/// A `Connect` for a session that is handed its (fake) server already connected.
struct AlreadyConnected;

impl duebox::sync::session::Connect for AlreadyConnected {
    fn connect(
        &mut self,
    ) -> Result<
        Box<dyn duebox::sync::server::MailServer + Send>,
        duebox::sync::session::ConnectFailure,
    > {
        Err("already connected".into())
    }
    fn describe(&self) -> String {
        "the fake mailbox".into()
    }
}

#[test]
fn a_running_sync_checks_against_a_payment_another_clerk_recorded_at_its_next_pass() {
    use duebox::sync::session::{SentCopy, Session};
    let t = Team::on(postgres_server::shared());
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 10, d).unwrap();
    let mut anna = t.clerk("Anna");
    anna.add_payable(&Payable {
        vendor: "Acme".into(),
        vendor_email: "billing@acme.test".into(),
        invoice_number: "INV-4471".into(),
        amount: Decimal::new(475_050, 2),
        currency: "EUR".into(),
        issue_date: day(1),
        due_date: day(31),
        status: Status::Open,
        paid_on: None,
        reference: None,
        scheduled_on: None,
    })
    .unwrap();
    // Ben's duebox runs on (the UI's background sync, `sync --watch`): one Store, one session.
    let mut ben = t.clerk("Ben");
    let mut server = duebox::sync::fake::FakeServer::new();
    server.deliver(
        "INBOX",
        b"From: Acme Billing <billing@acme.test>\r\nTo: ap@northwind.test\r\n\
Subject: Payment reminder: invoice INV-4471 is overdue\r\n\
Date: Mon, 02 Nov 2026 09:00:00 +0000\r\nMessage-ID: <rem-4471@acme.test>\r\n\r\n\
Dear customer,\r\n\r\nOur records show that invoice INV-4471 for EUR 4,750.50, due on \
31 October 2026, remains unpaid. Please arrange payment at your earliest convenience.\r\n\r\n\
Kind regards,\r\nAcme Billing\r\n",
    );
    let mut session = Session::connected(
        Box::new(AlreadyConnected),
        Box::new(server),
        SentCopy::default(),
    );
    let classify = duebox::classify::Options {
        own_domains: vec!["northwind.test".into()],
        own_names: vec!["Northwind Traders".into()],
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    };
    let folders = duebox::config::Folders::default();
    let status = |ben: &Store| {
        let rows: Vec<_> = [&folders.reminder, &folders.overdue, &folders.final_notice]
            .into_iter()
            .flat_map(|f| ben.page(f, None, 0, 10).unwrap().rows)
            .collect();
        assert_eq!(rows.len(), 1, "the reminder is filed as a chaser: {rows:?}");
        rows[0].match_status
    };
    let (pass, team) = session.pass_and_share(&mut ben, &folders, &classify, &mut |_| {});
    pass.unwrap();
    team.unwrap();
    assert_eq!(status(&ben), Some(MatchStatus::Matched));

    anna.mark_paid("INV-4471", None, day(20), Some("TRF-991"))
        .unwrap();
    // Nothing new in the mailbox: the next pass alone brings Anna's payment to Ben's checks.
    let (pass, team) = session.pass_and_share(&mut ben, &folders, &classify, &mut |_| {});
    assert_eq!(pass.unwrap().new, 0);
    team.unwrap();
    assert_eq!(status(&ben), Some(MatchStatus::AlreadyPaid));
}
