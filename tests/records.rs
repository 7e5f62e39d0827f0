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
