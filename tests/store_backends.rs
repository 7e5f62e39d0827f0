//! The store's suite on both backends: every scenario runs once on a clerk's SQLite alone and
//! once on SQLite with a team PostgreSQL (tests/common/postgres.rs: one real server for this
//! binary, a fresh database per scenario). With the team database each scenario also checks
//! what a second clerk's Store (its own SQLite, the same PostgreSQL) sees after one refresh:
//! payables and their events, vendors' details, replies and their unique key, the record and
//! its CSV, corrections, chases and rechecks, the dashboard, and a newer schema refused.

#[path = "common/postgres.rs"]
mod postgres_server;

#[path = "store_backends/mail.rs"]
mod mail;
#[path = "store_backends/schema.rs"]
mod schema;

use chrono::NaiveDate;
use duebox::payables::vendors::VendorRecord;
use duebox::payables::{Payable, Status};
use duebox::store::{Event, EventFilter, NewReply, OutboxState, Store, StoreError};
use mail::*;
use rust_decimal::Decimal;
use schema::*;
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
        postgres_server::clerk_store(&self.local(name), name, self.url.as_deref())
    }

    /// The second clerk, opened before the first acts (team database only).
    fn second(&self) -> Option<Store> {
        self.url.as_ref().map(|_| self.clerk("Ben"))
    }
}

use postgres_server::team_config as config;

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
