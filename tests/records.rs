//! Chasers checked against our payables (tests/fixtures/corpus/payables.csv, written for the
//! corpus: reminders' base amounts, one invoice paid, one disputed, one missing): every match
//! status comes out where it should, the database-backed fraud flags fire on the look-alike
//! and never on a legitimate chaser.

mod common;

use duebox::classify::risk::Risk;
use duebox::classify::{classify_bytes, Kind};
use duebox::payables::read_csv;
use duebox::payables::validate::{apply_records, Match, MatchStatus, PayablesIndex};
use duebox::store::Store;
use std::path::Path;

use common::corpus;

fn index() -> PayablesIndex {
    let csv = corpus("payables.csv");
    let mut store = Store::in_memory().unwrap();
    store
        .import_payables(&read_csv(csv.as_slice()).unwrap())
        .unwrap();
    store.payables_index().unwrap()
}

fn check(index: &PayablesIndex, name: &str) -> (duebox::classify::Classification, Option<Match>) {
    let opts = common::northwind();
    let (msg, mut c) = classify_bytes(&corpus(name), &opts).unwrap();
    let m = apply_records(index, &mut c, &msg, &opts);
    (c, m)
}

#[test]
fn every_match_status_where_it_belongs() {
    let index = index();
    let cases = [
        ("a-001-en-reminder-acme.eml", MatchStatus::Matched),
        ("a-017-en-statement-greenfield.eml", MatchStatus::Matched),
        (
            "a-006-en-statement-brennan.eml",
            MatchStatus::AmountMismatch,
        ),
        ("a-003-en-final-acme.eml", MatchStatus::AmountMismatch),
        ("a-008-en-final-cloudnest.eml", MatchStatus::UnknownInvoice),
        ("a-024-de-overdue-schaefer.eml", MatchStatus::AlreadyPaid),
        ("b-001-fr-reminder-moreau.eml", MatchStatus::Disputed),
    ];
    for (name, want) in cases {
        let (c, m) = check(&index, name);
        let m = m.unwrap_or_else(|| panic!("{name}: no match; {:?}", c.reasons));
        assert_eq!(m.status, want, "{name}: {:?}", c.reasons);
    }
    let (_, m) = check(&index, "a-003-en-final-acme.eml");
    assert_eq!(
        m.unwrap().expected,
        Some(("1234.56".parse().unwrap(), "GBP".to_string()))
    );
    let (c, m) = check(&index, "a-024-de-overdue-schaefer.eml");
    let m = m.unwrap();
    assert_eq!(
        m.paid_on.map(|d| d.to_string()).as_deref(),
        Some("2026-11-02")
    );
    assert_eq!(m.reference.as_deref(), Some("SEPA 2026-11-02/4411"));
    assert!(
        c.reasons
            .iter()
            .any(|r| r.contains("already paid on 2026-11-02")),
        "{:?}",
        c.reasons
    );
}

#[test]
fn database_flags_fire_on_fraud_and_never_on_legitimate_chasers() {
    let index = index();
    let (c, _) = check(&index, "b-030-fraud-lookalike-ruiz.eml");
    assert!(c.risk.contains(&Risk::LookalikeDomain), "{:?}", c.reasons);
    assert!(c.risk.contains(&Risk::UnknownSender), "{:?}", c.reasons);
    assert!(
        c.reasons
            .iter()
            .any(|r| r.contains("imitates graficaruiz.es")),
        "{:?}",
        c.reasons
    );

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let mut legitimate = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if !name.ends_with(".eml") || name.contains("fraud") {
            continue;
        }
        let (c, _) = check(&index, &name);
        if c.kind == Kind::Chaser {
            legitimate += 1;
            let db_flags: Vec<_> = c
                .risk
                .iter()
                .filter(|r| matches!(r, Risk::LookalikeDomain | Risk::UnknownSender))
                .collect();
            assert!(db_flags.is_empty(), "{name}: {db_flags:?} {:?}", c.reasons);
        }
    }
    assert!(legitimate >= 50, "{legitimate} legitimate chasers checked");
}

#[test]
fn own_mail_is_never_an_unknown_sender() {
    let index = index();
    let (c, m) = check(&index, "a-043-en-neg-own-domain-reminder.eml");
    assert!(!c.risk.contains(&Risk::UnknownSender), "{:?}", c.reasons);
    assert!(m.is_none());
}

/// Two vendors with the same invoice number: the list's badge (the stored match status) and
/// the message's "Our records" pane name the same payable, for a stranger and for a known
/// vendor alike.
#[test]
fn the_badge_and_our_records_agree_when_two_vendors_share_an_invoice_number() {
    let csv = "vendor,vendor_email,invoice_number,amount,currency,issue_date,due_date,status,paid_on,reference\n\
        Zeta Supplies Ltd,ar@zeta-supplies.example,INV-7001,100.00,GBP,2026-08-01,2026-10-01,open,,\n\
        Alpha Parts Ltd,ar@alpha-parts.example,INV-7001,250.00,GBP,2026-08-01,2026-10-01,open,,\n";
    let mut store = Store::in_memory().unwrap();
    store
        .import_payables(&read_csv(csv.as_bytes()).unwrap())
        .unwrap();
    let index = store.payables_index().unwrap();
    let inbox = store.folder("INBOX").unwrap().id;
    let opts = common::northwind();
    for (uid, from, vendor) in [
        (1, "billing@unknown-sender.example", "Alpha Parts Ltd"),
        (2, "ar@zeta-supplies.example", "Zeta Supplies Ltd"),
    ] {
        let raw = format!(
            "From: Accounts <{from}>\r\nTo: ap@northwind.test\r\nSubject: Overdue invoice INV-7001\r\n\
             Date: Fri, 20 Nov 2026 09:00:00 +0000\r\nMessage-ID: <m{uid}@x>\r\n\r\n\
             Dear customer,\r\n\r\nour invoice INV-7001 for GBP 250.00 was due on 1 October 2026 and is \
             now overdue. Please arrange payment at your earliest convenience.\r\n\r\nRegards,\r\nAccounts\r\n"
        );
        let (msg, mut c) = classify_bytes(raw.as_bytes(), &opts).unwrap();
        assert_eq!(c.kind, Kind::Chaser, "{:?}", c.reasons);
        let m = apply_records(&index, &mut c, &msg, &opts).expect("a match");
        let decided_on = m.lines[0].record.clone().expect("a record");
        assert_eq!(decided_on.vendor, vendor, "{from}");
        let stored = store
            .store_message(
                inbox,
                &duebox::store::NewMessage {
                    uid,
                    message_id: msg.message_id.clone(),
                    from_addr: Some(from.into()),
                    subject: Some(msg.subject.clone()),
                    kind: Some("chaser".into()),
                    invoices: serde_json::to_string(&c.invoices).ok(),
                    amount: c.amount.as_ref().map(|a| a.amount_string()),
                    currency: c.amount.as_ref().map(|a| a.currency.clone()),
                    match_status: Some(m.status.as_str().into()),
                    reasons: "[]".into(),
                    ..duebox::store::NewMessage::default()
                },
            )
            .unwrap();
        assert_eq!(stored, duebox::store::Stored::New);
        let message_id = msg.message_id.clone().expect("a Message-ID");
        let id = store.message_row(&message_id).unwrap().expect("stored");
        let detail = store.detail(id).unwrap().unwrap();
        assert_eq!(detail.summary.match_status, Some(m.status), "{from}");
        assert_eq!(
            detail.records,
            vec![decided_on],
            "{from}: the pane's record"
        );
        let equal = detail
            .comparison
            .is_some_and(|c| c.difference == duebox::payables::validate::Difference::Equal);
        assert_eq!(equal, m.status == MatchStatus::Matched, "{from}");
    }
}
