//! The store's suite on both backends: every scenario runs once on a clerk's SQLite alone and
//! once on SQLite with a team PostgreSQL (tests/common/postgres.rs: one real server for this
//! binary, a fresh database per scenario). With the team database each scenario also checks
//! what a second clerk's Store (its own SQLite, the same PostgreSQL) sees after one refresh:
//! payables and their events, vendors' details, replies and their unique key, the record and
//! its CSV, corrections, chases and rechecks, the dashboard, and a newer schema refused.

#[path = "common/postgres.rs"]
mod postgres_server;

use chrono::NaiveDate;
use duebox::classify::fingerprint::{Fingerprint, Verdict};
use duebox::classify::{Kind, Stage};
use duebox::payables::validate::MatchStatus;
use duebox::payables::vendors::VendorRecord;
use duebox::payables::{Payable, Status};
use duebox::store::{
    CorrectionSource, Event, EventFilter, NewMessage, NewReply, OutboxState, Store, StoreError,
    TeamConfig,
};
use rust_decimal::Decimal;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq)]
enum BackendKind {
    /// One clerk's SQLite, no team database.
    Sqlite,
    /// Each clerk's own SQLite and one team PostgreSQL.
    Team,
}

/// Where a scenario's databases are.
struct Backend {
    dir: tempfile::TempDir,
    url: Option<String>,
}

impl Backend {
    fn new(kind: BackendKind) -> Backend {
        let url = (kind == BackendKind::Team).then(|| {
            let pg = postgres_server::shared();
            pg.url(&pg.create_database())
        });
        Backend {
            dir: tempfile::tempdir().unwrap(),
            url,
        }
    }

    fn local(&self, clerk: &str) -> PathBuf {
        self.dir.path().join(format!("{clerk}.db"))
    }

    /// A clerk's duebox, as `open_store` makes it.
    fn clerk(&self, name: &str) -> Store {
        let mut s = Store::open(&self.local(name)).unwrap();
        s.set_clerk(name).unwrap();
        if let Some(url) = &self.url {
            s.attach_team(&config(url)).unwrap();
        }
        s
    }

    /// The second clerk, opened before the first acts (team database only).
    fn second(&self) -> Option<Store> {
        self.url.as_ref().map(|_| self.clerk("Ben"))
    }
}

fn config(url: &str) -> TeamConfig {
    TeamConfig {
        url: url.to_string(),
        password: Some(postgres_server::PASSWORD.into()),
    }
}

/// Each named scenario runs once per backend: `NAME::sqlite` and `NAME::postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(&super::Backend::new(super::BackendKind::Sqlite));
            }
            #[test]
            fn postgres() {
                super::$name(&super::Backend::new(super::BackendKind::Team));
            }
        }
    )*};
}

on_both_backends!(
    payables_import_mark_paid_schedule_undo_and_their_events,
    vendors_details_addresses_and_a_bank_change,
    outbox_states_and_the_unique_reply_key,
    the_record_its_filters_and_its_csv,
    corrections_taught_retaught_and_forgotten,
    chases_and_the_checks_redone_after_a_payment,
    dashboard_figures,
    a_bank_statement_pays_and_a_rejection_reopens,
    a_database_from_a_newer_duebox_is_refused,
);

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn payable(vendor: &str, invoice: &str, cents: i64, due: NaiveDate) -> Payable {
    Payable {
        vendor: vendor.into(),
        vendor_email: format!("billing@{}.test", vendor.to_lowercase()),
        invoice_number: invoice.into(),
        amount: Decimal::new(cents, 2),
        currency: "EUR".into(),
        issue_date: day(10, 1),
        due_date: due,
        status: Status::Open,
        paid_on: None,
        reference: None,
        scheduled_on: None,
    }
}

fn kinds(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

fn payables_import_mark_paid_schedule_undo_and_their_events(t: &Backend) {
    let mut anna = t.clerk("Anna");
    let ben = t.second();
    let rows = [
        payable("Acme", "INV-1", 120_000, day(11, 30)),
        payable("Acme", "INV-2", 5_050, day(12, 15)),
        payable("Brennan", "58812", 475_000, day(11, 20)),
    ];
    let r = anna.import_payables(&rows).unwrap();
    assert_eq!((r.added, r.updated, r.unchanged), (3, 0, 0));
    let r = anna.import_payables(&rows).unwrap();
    assert_eq!((r.added, r.updated, r.unchanged), (0, 0, 3), "idempotent");
    anna.mark_paid("INV-1", None, day(11, 25), Some("TRF-1"))
        .unwrap();
    anna.schedule("58812", Some("Brennan"), day(11, 28))
        .unwrap();
    let before = anna.payable("INV-2", None).unwrap();
    anna.mark_paid("INV-2", None, day(11, 26), None).unwrap();
    anna.restore_payable(&before).unwrap();

    let check = |s: &Store, who: &str| {
        let p = s.payable("inv 1", Some("acme")).unwrap();
        assert_eq!(
            (p.status, p.paid_on, p.reference.as_deref(), p.amount),
            (
                Status::Paid,
                Some(day(11, 25)),
                Some("TRF-1"),
                Decimal::new(120_000, 2)
            ),
            "{who}"
        );
        let p = s.payable("58812", None).unwrap();
        assert_eq!(
            (p.status, p.scheduled_on),
            (Status::Scheduled, Some(day(11, 28))),
            "{who}"
        );
        let p = s.payable("INV-2", None).unwrap();
        assert_eq!((p.status, p.paid_on), (Status::Open, None), "{who}: undone");
        let events = s
            .events(&EventFilter {
                vendor: Some("acme".into()),
                ..Default::default()
            })
            .unwrap();
        let changes: Vec<_> = events
            .iter()
            .filter(|e| e.kind.starts_with("payable_"))
            .map(|e| (e.kind.as_str(), e.clerk.as_deref()))
            .collect();
        assert_eq!(
            changes,
            [
                ("payable_added", Some("Anna")),
                ("payable_added", Some("Anna")),
                ("payable_paid", Some("Anna")),
                ("payable_paid", Some("Anna")),
                ("payable_change_undone", Some("Anna"))
            ],
            "{who}: one event per change, with the clerk"
        );
    };
    check(&anna, "Anna");
    if let Some(ben) = ben {
        assert!(ben.refresh_team().unwrap() >= 3);
        check(&ben, "Ben after one refresh");
    }
}

fn vendor(email: &str, iban: Option<&str>, phone: Option<&str>) -> VendorRecord {
    VendorRecord {
        vendor: "Acme Ltd".into(),
        email: email.into(),
        iban: iban.map(str::to_string),
        account_number: None,
        phone: phone.map(str::to_string),
    }
}

const OLD_IBAN: &str = "GB29NWBK60161331926819";
const NEW_IBAN: &str = "DE89370400440532013000";

fn vendors_details_addresses_and_a_bank_change(t: &Backend) {
    let mut anna = t.clerk("Anna");
    let mut ben = t.second();
    let r = anna
        .import_vendors(&[
            vendor("ar@acme.co.uk", Some(OLD_IBAN), Some("+44 20 7946 0000")),
            vendor(
                "billing@mail.acme.co.uk",
                Some(OLD_IBAN),
                Some("+44 20 7946 0000"),
            ),
        ])
        .unwrap();
    assert_eq!((r.added, r.updated), (2, 0));
    if let Some(ben) = &ben {
        ben.refresh_team().unwrap();
        let banks = ben.vendor_banks().unwrap();
        assert_eq!(banks.len(), 1, "Ben knows Anna's vendor");
        assert_eq!(banks[0].1.iban.as_deref(), Some(OLD_IBAN));
    }
    // Anna records the vendor's new, verified account: the change is an event.
    let r = anna
        .import_vendors(&[vendor(
            "ar@acme.co.uk",
            Some(NEW_IBAN),
            Some("+44 20 7946 0000"),
        )])
        .unwrap();
    assert_eq!((r.added, r.updated, r.unchanged), (0, 1, 0));
    if let Some(ben) = &mut ben {
        // Before his next refresh, Ben (who still has the old account) only learns a new
        // address of the vendor: his push must not put the old account back.
        ben.import_payables(&[Payable {
            vendor_email: "payments@acme.co.uk".into(),
            ..payable("Acme Ltd", "A-1", 100, day(12, 1))
        }])
        .unwrap();
        anna.refresh_team().unwrap();
    }
    let check = |s: &Store, who: &str, emails: &[&str]| {
        let banks = s.vendor_banks().unwrap();
        assert_eq!(banks.len(), 1, "{who}");
        assert_eq!(banks[0].0, "Acme Ltd", "{who}");
        assert_eq!(banks[0].1.iban.as_deref(), Some(NEW_IBAN), "{who}");
        let list = s.list_vendors().unwrap();
        let listed: Vec<&str> = list.iter().map(|v| v.email.as_str()).collect();
        assert_eq!(listed, emails, "{who}");
        assert!(list
            .iter()
            .all(|v| v.phone.as_deref() == Some("+44 20 7946 0000")));
        let index = s.payables_index().unwrap();
        assert_eq!(
            index.vendor_for_domain("mail.acme.co.uk"),
            Some("Acme Ltd"),
            "{who}"
        );
        let changed: Vec<_> = s
            .events(&EventFilter::default())
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "vendor_bank_changed")
            .collect();
        assert_eq!(changed.len(), 1, "{who}");
        assert!(
            changed[0].detail.contains(NEW_IBAN),
            "{}",
            changed[0].detail
        );
    };
    match &ben {
        None => check(&anna, "Anna", &["ar@acme.co.uk", "billing@mail.acme.co.uk"]),
        Some(ben) => {
            let all = [
                "ar@acme.co.uk",
                "billing@mail.acme.co.uk",
                "payments@acme.co.uk",
            ];
            check(&anna, "Anna", &all);
            ben.refresh_team().unwrap();
            check(ben, "Ben after one refresh", &all);
        }
    }
}

fn reply(n: usize, template: &str) -> NewReply {
    NewReply {
        message_id: format!("<r{n}-{template}-{}@northwind.test>", next()),
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

fn next() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

fn outbox_states_and_the_unique_reply_key(t: &Backend) {
    let mut anna = t.clerk("Anna");
    let mut ben = t.second();
    let id = anna.queue_reply(&reply(1, "acknowledge")).unwrap();
    anna.set_outbox_state(id, OutboxState::Sending, "handed to the SMTP server")
        .unwrap();
    // The same template answering the same chaser is refused while the first holds the key.
    let err = anna.queue_reply(&reply(1, "acknowledge")).unwrap_err();
    assert!(
        matches!(&err, StoreError::ReplyTaken { clerk, .. } if clerk == "Anna"),
        "{err}"
    );
    anna.set_outbox_state(id, OutboxState::Sent, "250 OK")
        .unwrap();
    let failed = anna.queue_reply(&reply(2, "acknowledge")).unwrap();
    anna.set_outbox_state(failed, OutboxState::Failed, "550 refused")
        .unwrap();
    // A failed reply frees its key; another template is another key.
    let retry = anna.queue_reply(&reply(2, "acknowledge")).unwrap();
    anna.queue_reply(&reply(1, "confirm_payment")).unwrap();
    let states: Vec<_> = anna
        .outbox(&[])
        .unwrap()
        .iter()
        .map(|e| (e.template.clone(), e.state))
        .collect();
    assert_eq!(states.len(), 4, "{states:?}");
    assert_eq!(
        anna.outbox_entry(id).unwrap().unwrap().state,
        OutboxState::Sent
    );
    assert_eq!(
        anna.outbox_entry(retry).unwrap().unwrap().state,
        OutboxState::Queued
    );
    let kinds_of = |s: &Store| -> Vec<String> {
        s.events(&EventFilter::default())
            .unwrap()
            .into_iter()
            .filter(|e| e.kind.starts_with("reply_"))
            .map(|e| e.kind)
            .collect()
    };
    let anna_kinds = kinds_of(&anna);
    assert!(!anna_kinds.is_empty(), "replies are recorded");
    if let Some(ben) = &mut ben {
        ben.refresh_team().unwrap();
        // Ben's own duebox refuses the reply Anna sent, and names her.
        let err = ben.queue_reply(&reply(1, "acknowledge")).unwrap_err();
        assert!(err.to_string().contains("Anna has already sent"), "{err}");
        let err = ben.queue_reply(&reply(2, "acknowledge")).unwrap_err();
        assert!(
            matches!(&err, StoreError::ReplyTaken { clerk, state: OutboxState::Queued, .. } if clerk == "Anna"),
            "{err}"
        );
        ben.queue_reply(&reply(3, "acknowledge")).unwrap();
        assert_eq!(
            kinds_of(ben).len(),
            anna_kinds.len() + 1,
            "the team's record"
        );
    }
}

fn the_record_its_filters_and_its_csv(t: &Backend) {
    let mut anna = t.clerk("Anna");
    let ben = t.second();
    anna.record_event("sync", "synced", Some("<a@x>"), None, None, "INBOX UID 1")
        .unwrap();
    anna.record_event(
        "user",
        "payable_paid",
        Some("<a@x>"),
        Some("Acme, \"Ltd\""),
        Some("INV-007"),
        "paid on 2026-11-20, reference TRF \"9\"",
    )
    .unwrap();
    anna.record_event(
        "user",
        "note",
        None,
        Some("Brennan"),
        Some("58812"),
        "line one\nline two",
    )
    .unwrap();
    let check = |s: &Store, who: &str| {
        let all = s.events(&EventFilter::default()).unwrap();
        assert_eq!(kinds(&all), ["synced", "payable_paid", "note"], "{who}");
        assert!(
            all.iter().all(|e| e.clerk.as_deref() == Some("Anna")),
            "{who}"
        );
        // By invoice (compared as payables are), with the events of its messages.
        let by_invoice = s
            .events(&EventFilter {
                invoice: Some("inv 7".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(kinds(&by_invoice), ["synced", "payable_paid"], "{who}");
        let by_vendor = s
            .events(&EventFilter {
                vendor: Some("brenn".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(kinds(&by_vendor), ["note"], "{who}");
        let later = s
            .events(&EventFilter {
                since: NaiveDate::from_ymd_opt(2100, 1, 1),
                ..Default::default()
            })
            .unwrap();
        assert!(later.is_empty(), "{who}");
        let mut csv = Vec::new();
        duebox::store::write_events_csv(&all, &mut csv).unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            header,
            [
                "at",
                "actor",
                "kind",
                "message_id",
                "vendor",
                "invoice",
                "detail",
                "clerk"
            ]
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3, "{who}");
        assert_eq!(&rows[1][4], "Acme, \"Ltd\"", "{who}: quoted back exactly");
        assert_eq!(&rows[1][6], "paid on 2026-11-20, reference TRF \"9\"");
        assert_eq!(&rows[2][6], "line one\nline two");
        assert_eq!(&rows[2][7], "Anna");
    };
    check(&anna, "Anna");
    if let Some(ben) = ben {
        ben.refresh_team().unwrap();
        check(&ben, "Ben after one refresh");
    }
}

fn chaser_raw(n: u32) -> Vec<u8> {
    format!(
        "Message-ID: <c{n}@acme.co.uk>\r\nFrom: Acme AR <ar@acme.co.uk>\r\nTo: ap@northwind.test\r\n\
         Date: Mon, 2 Nov 2026 09:00:00 +0000\r\nSubject: Payment reminder: invoice INV-{n} is due\r\n\r\n\
         Dear customer, invoice INV-{n} for EUR 1,200.00 is now due. Please pay.\r\n"
    )
    .into_bytes()
}

fn options() -> duebox::classify::Options {
    duebox::classify::Options {
        own_domains: vec!["northwind.test".into()],
        own_names: vec!["Northwind".into()],
        today: day(11, 3),
    }
}

/// What this clerk's duebox decides for the message now: the classifier, then what the
/// clerks taught.
fn verdict(s: &Store, raw: &[u8]) -> (Kind, Option<Stage>) {
    let (msg, mut c) = duebox::classify::classify_bytes(raw, &options()).unwrap();
    let learnt = duebox::sync::learn::Learnt::load(s).unwrap();
    duebox::sync::learn::overrule(&learnt, &msg, &mut c);
    (c.kind, c.stage)
}

fn corrections_taught_retaught_and_forgotten(t: &Backend) {
    let mut anna = t.clerk("Anna");
    let ben = t.second();
    let raw = chaser_raw(41);
    let untaught = verdict(&anna, &raw);
    assert_eq!(untaught.0, Kind::Chaser, "the rules call it a chaser");
    let fp = Fingerprint::new("ar@acme.co.uk", "Payment reminder: invoice INV-41 is due").unwrap();
    let c = anna
        .teach(
            &fp,
            Verdict::NotChaser,
            CorrectionSource::UiCommand,
            Some("<c41@acme.co.uk>"),
            "said",
        )
        .unwrap();
    assert_eq!(c.taught, 1);
    // The next message of the same shape (another invoice number) gets the clerk's verdict.
    let next_one = chaser_raw(42);
    assert_eq!(verdict(&anna, &next_one), (Kind::Other, None));
    if let Some(ben) = &ben {
        ben.refresh_team().unwrap();
        let learnt = ben.corrections().unwrap();
        assert_eq!(learnt.len(), 1);
        assert_eq!(
            (&learnt[0].fingerprint, learnt[0].verdict),
            (&fp, Verdict::NotChaser)
        );
        assert_eq!(
            verdict(ben, &next_one),
            (Kind::Other, None),
            "Ben's next verdict"
        );
    }
    // Taught again otherwise: the latest word stands, for the team too.
    anna.teach(
        &fp,
        Verdict::Chaser(Stage::Final),
        CorrectionSource::UiMove,
        Some("<c42@acme.co.uk>"),
        "moved",
    )
    .unwrap();
    assert_eq!(
        verdict(&anna, &next_one),
        (Kind::Chaser, Some(Stage::Final))
    );
    if let Some(ben) = &ben {
        ben.refresh_team().unwrap();
        assert_eq!(ben.corrections().unwrap().len(), 1);
        assert_eq!(verdict(ben, &next_one), (Kind::Chaser, Some(Stage::Final)));
    }
    let events = anna.events(&EventFilter::default()).unwrap();
    assert_eq!(kinds(&events), ["correction_learnt", "correction_learnt"]);
    // Forgotten: the rules decide again, for every clerk.
    let gone = anna.forget_corrections(None).unwrap();
    assert_eq!(gone.len(), 1);
    assert!(anna.corrections().unwrap().is_empty());
    assert_eq!(verdict(&anna, &next_one), untaught);
    if let Some(ben) = &ben {
        ben.refresh_team().unwrap();
        assert!(
            ben.corrections().unwrap().is_empty(),
            "forgotten for the team"
        );
        assert_eq!(verdict(ben, &next_one), untaught);
    }
}

fn store_chaser(s: &mut Store, n: u32, amount: &str) {
    let inbox = s.folder("INBOX").unwrap().id;
    s.store_message(
        inbox,
        &NewMessage {
            uid: n,
            message_id: Some(format!("<c{n}@acme.co.uk>")),
            sent_at: Some(format!("2026-11-{:02} 09:00:00", n % 28 + 1)),
            from_addr: Some("ar@acme.co.uk".into()),
            subject: Some(format!("Reminder INV-{n}")),
            kind: Some("chaser".into()),
            stage: Some("reminder".into()),
            vendor: Some("Acme".into()),
            invoices: Some(format!("[\"INV-{n}\"]")),
            amount: Some(amount.into()),
            currency: Some("EUR".into()),
            due_date: Some("2026-11-30".into()),
            match_status: Some("matched".into()),
            reasons: "[]".into(),
            ..NewMessage::default()
        },
    )
    .unwrap();
}

fn chases_and_the_checks_redone_after_a_payment(t: &Backend) {
    let mut anna = t.clerk("Anna");
    let mut ben = t.second();
    anna.import_payables(&[payable("Acme", "INV-5", 120_000, day(11, 30))])
        .unwrap();
    let at = |d: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, 11, d)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
            .and_utc()
    };
    let invoices = ["INV-5".to_string()];
    assert!(anna
        .record_chase("Acme", "<c5a@acme.co.uk>", at(2), "reminder", &invoices)
        .unwrap()
        .is_empty());
    let prior = anna
        .record_chase("Acme", "<c5b@acme.co.uk>", at(9), "overdue", &invoices)
        .unwrap();
    assert_eq!(prior.len(), 1);
    assert_eq!(
        (prior[0].stage.as_str(), prior[0].message_id.as_str()),
        ("reminder", "<c5a@acme.co.uk>")
    );
    // The same chase again adds nothing; an unknown vendor's is not recorded.
    anna.record_chase("Acme", "<c5b@acme.co.uk>", at(9), "overdue", &invoices)
        .unwrap();
    assert!(anna
        .record_chase("Nobody", "<x@n.test>", at(9), "overdue", &invoices)
        .unwrap()
        .is_empty());
    store_chaser(&mut anna, 5, "1200.00");
    if let Some(ben) = &mut ben {
        ben.refresh_team().unwrap();
        store_chaser(ben, 5, "1200.00");
    }
    anna.mark_paid("INV-5", None, day(11, 20), Some("TRF-5"))
        .unwrap();
    let status = |s: &Store| s.page("INBOX", None, 0, 10).unwrap().rows[0].match_status;
    assert_eq!(status(&anna), Some(MatchStatus::AlreadyPaid));
    if let Some(ben) = &ben {
        assert!(ben.refresh_team().unwrap() >= 1);
        assert_eq!(
            status(ben),
            Some(MatchStatus::AlreadyPaid),
            "Ben's check redone"
        );
    }
    anna.clear_chases().unwrap();
    assert!(anna
        .record_chase("Acme", "<c5c@acme.co.uk>", at(12), "final", &invoices)
        .unwrap()
        .is_empty());
}

fn dashboard_figures(t: &Backend) {
    let mut anna = t.clerk("Anna");
    let mut ben = t.second();
    let today = day(11, 25);
    anna.import_payables(&[
        payable("Acme", "INV-10", 100_010, day(11, 20)),
        payable("Acme", "INV-11", 20_005, day(11, 28)),
        payable("Brennan", "B-1", 99_999, day(12, 30)),
    ])
    .unwrap();
    anna.schedule("INV-11", None, day(11, 27)).unwrap();
    let own = |s: &mut Store| {
        store_chaser(s, 10, "1000.10");
        store_chaser(s, 11, "200.05");
    };
    own(&mut anna);
    let d = anna.dashboard(today).unwrap();
    assert_eq!(d.waiting, 2);
    assert_eq!(
        d.falling_due,
        [("EUR".to_string(), Decimal::new(100_010, 2), 1)],
        "open, due within the window, not scheduled"
    );
    assert_eq!(d.outstanding[0].0, "EUR");
    assert_eq!(d.outstanding[0].2, 2);
    if let Some(ben) = &mut ben {
        own(ben);
        ben.refresh_team().unwrap();
        let b = ben.dashboard(today).unwrap();
        assert_eq!(
            b.falling_due, d.falling_due,
            "Ben's figures from the team's payables"
        );
        assert_eq!(b.outstanding, d.outstanding);
        assert_eq!(b.claims, d.claims);
        assert_eq!(b.aging, d.aging);
    }
}

fn a_bank_statement_pays_and_a_rejection_reopens(t: &Backend) {
    use duebox::payables::statement::{Entry, Rejection, Statement, Transaction};
    let mut anna = t.clerk("Anna");
    let ben = t.second();
    anna.import_payables(&[
        payable("Acme", "INV-20", 120_000, day(11, 30)),
        payable("Acme", "INV-21", 30_000, day(11, 30)),
    ])
    .unwrap();
    let statement = Statement {
        id: "STMT-1".into(),
        account: Some("DE02120300000000202051".into()),
        entries: vec![Entry {
            label: "entry 1".into(),
            booked_on: day(11, 24),
            debit: true,
            bank_reference: Some("BANKREF-1".into()),
            transactions: vec![Transaction {
                key: "TX-1".into(),
                amount: Decimal::new(120_000, 2),
                currency: "EUR".into(),
                end_to_end: Some("E2E-20".into()),
                creditor: Some("Acme".into()),
                creditor_iban: None,
                remittance: vec!["Invoice INV-20".into()],
            }],
        }],
        not_booked: 0,
    };
    let r = anna
        .import_statements(std::slice::from_ref(&statement))
        .unwrap();
    assert_eq!(r.paid.len(), 1, "{r:?}");
    let again = anna.import_statements(&[statement]).unwrap();
    assert_eq!((again.paid.len(), again.known), (0, 1), "imported once");
    let paid = |s: &Store| s.payable("INV-20", None).unwrap().status;
    assert_eq!(paid(&anna), Status::Paid);
    if let Some(ben) = &ben {
        ben.refresh_team().unwrap();
        assert_eq!(paid(ben), Status::Paid, "Ben after one refresh");
    }
    let rejected = anna
        .apply_rejections(&[Rejection {
            end_to_end: Some("E2E-20".into()),
            instruction: None,
            reason: "AC04 closed account".into(),
            amount: None,
            creditor: None,
            remittance: Vec::new(),
        }])
        .unwrap();
    assert_eq!(rejected.reopened.len(), 1, "{rejected:?}");
    assert_eq!(paid(&anna), Status::Open);
    assert_eq!(anna.payable("INV-21", None).unwrap().status, Status::Open);
    if let Some(ben) = &ben {
        ben.refresh_team().unwrap();
        assert_eq!(paid(ben), Status::Open, "reopened for Ben too");
        let kinds: Vec<String> = ben
            .events(&EventFilter {
                invoice: Some("INV-20".into()),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert!(kinds.iter().any(|k| k == "payment_rejected"), "{kinds:?}");
    }
}

fn a_database_from_a_newer_duebox_is_refused(t: &Backend) {
    let anna = t.clerk("Anna");
    let version = anna.schema_version().unwrap();
    drop(anna);
    {
        let conn = rusqlite::Connection::open(t.local("Anna")).unwrap();
        conn.pragma_update(None, "user_version", version + 1)
            .unwrap();
    }
    let err = Store::open(&t.local("Anna")).err().expect("refused");
    assert!(
        matches!(err, StoreError::TooNew { found, supported, .. } if found == version + 1 && supported == version),
        "{err}"
    );
    if let Some(url) = &t.url {
        let ben = t.clerk("Ben");
        assert_eq!(
            ben.team_schema_version().unwrap().unwrap(),
            ben.schema_version().unwrap(),
            "one numbering: both databases at the same step"
        );
        drop(ben);
        let db = url.rsplit('/').next().unwrap();
        let pg = postgres_server::shared();
        pg.client(db)
            .batch_execute(&format!(
                "UPDATE duebox_schema SET version = {}",
                version + 1
            ))
            .unwrap();
        let mut cleo = Store::open(&t.local("Cleo")).unwrap();
        let err = cleo.attach_team(&config(url)).unwrap_err();
        assert!(
            matches!(err, StoreError::TeamTooNew { found, .. } if found == version + 1),
            "{err}"
        );
    }
}

/// Before one numbering: a clerk's SQLite at schema 11 and a team database numbered on its
/// own at 3 (its steps 1 to 3) — both upgraded, nothing lost, and what the clerk taught and
/// knew of vendors before joins the team's.
#[test]
fn databases_from_before_one_numbering_upgrade_and_share_what_they_held() {
    let t = Backend::new(BackendKind::Team);
    let url = t.url.clone().unwrap();
    let pg = postgres_server::shared();
    let db = url.rsplit('/').next().unwrap().to_string();
    let latest = {
        let mut anna = t.clerk("Anna");
        anna.import_payables(&[payable("Acme", "INV-1", 120_000, day(11, 30))])
            .unwrap();
        anna.schema_version().unwrap()
    };
    // What the release before wrote: no shared corrections or vendors in either database.
    pg.client(&db)
        .batch_execute(
            "DROP TABLE corrections; DROP SEQUENCE corrections_seq;
             DROP TABLE vendors; DROP SEQUENCE vendors_seq;
             ALTER TABLE duebox_schema DROP COLUMN numbering;
             UPDATE duebox_schema SET version = 3;",
        )
        .unwrap();
    {
        // Ben taught and recorded a vendor before the team shared them.
        let mut ben = Store::open(&t.local("Ben")).unwrap();
        ben.set_clerk("Ben").unwrap();
        let fp =
            Fingerprint::new("ar@acme.co.uk", "Payment reminder: invoice INV-41 is due").unwrap();
        ben.teach(
            &fp,
            Verdict::NotChaser,
            CorrectionSource::UiCommand,
            None,
            "said",
        )
        .unwrap();
        ben.import_vendors(&[vendor("ar@acme.co.uk", Some(NEW_IBAN), None)])
            .unwrap();
    }
    back_to_the_release_before(&t.local("Ben"), latest);
    back_to_the_release_before(&t.local("Anna"), latest);

    let ben = t.clerk("Ben");
    assert_eq!(ben.schema_version().unwrap(), latest, "local upgraded");
    assert_eq!(
        ben.team_schema_version().unwrap().unwrap(),
        latest,
        "team database renumbered and upgraded"
    );
    assert_eq!(ben.corrections().unwrap().len(), 1, "kept");
    assert_eq!(ben.payable("INV-1", None).unwrap().status, Status::Open);
    let numbering: String = pg
        .client(&db)
        .query_one("SELECT numbering FROM duebox_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(numbering, "local");
    drop(ben);
    let anna = t.clerk("Anna");
    assert_eq!(
        anna.corrections().unwrap().len(),
        1,
        "Ben's correction shared"
    );
    let banks = anna.vendor_banks().unwrap();
    assert_eq!(
        banks[0].1.iban.as_deref(),
        Some(NEW_IBAN),
        "Ben's vendor shared"
    );
    let events = anna.events(&EventFilter::default()).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "payable_added" && e.clerk.as_deref() == Some("Anna")),
        "the record kept"
    );
}

/// A local database as the release before one numbering left it: without the step that
/// shares corrections and vendors.
fn back_to_the_release_before(path: &std::path::Path, latest: i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(&format!(
        "DROP TABLE team_pending_corrections; DROP TABLE team_pending_vendors;
         DELETE FROM team_cursor WHERE name IN ('corrections', 'vendors');
         PRAGMA user_version = {};",
        latest - 1
    ))
    .unwrap();
}

/// A team database numbered the old way mid-way (its step 2 of 3) takes the rest.
#[test]
fn a_team_database_at_its_old_step_2_takes_the_rest() {
    let t = Backend::new(BackendKind::Team);
    let url = t.url.clone().unwrap();
    let db = url.rsplit('/').next().unwrap().to_string();
    let pg = postgres_server::shared();
    let latest = t.clerk("Anna").schema_version().unwrap();
    pg.client(&db)
        .batch_execute(
            "DROP TABLE corrections; DROP SEQUENCE corrections_seq;
             DROP TABLE vendors; DROP SEQUENCE vendors_seq;
             DROP TABLE payables; DROP SEQUENCE payables_seq;
             ALTER TABLE duebox_schema DROP COLUMN numbering;
             UPDATE duebox_schema SET version = 2;",
        )
        .unwrap();
    let mut ben = t.clerk("Ben");
    assert_eq!(ben.team_schema_version().unwrap().unwrap(), latest);
    ben.import_payables(&[payable("Acme", "INV-9", 100, day(12, 1))])
        .unwrap();
    let n: i64 = pg
        .client(&db)
        .query_one("SELECT count(*) FROM payables", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1, "payables shared again");
}
