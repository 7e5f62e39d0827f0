//! What the integration tests share: the company the fixture messages are written to, and
//! the labelled corpus's files, and a store and fake mailbox seeded with them.
#![allow(dead_code)]

use chrono::NaiveDate;
use duebox::classify::Options;

/// Northwind Traders, the receiving company of every fixture, on a fixed "today".
pub fn northwind() -> Options {
    Options {
        own_domains: vec![
            "northwind-traders.com".into(),
            "northwind-traders.co.uk".into(),
        ],
        own_names: vec!["Northwind Traders".into()],
        today: NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid date"),
    }
}

/// A file of the labelled corpus (tests/fixtures/corpus), as bytes.
pub fn corpus(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/corpus")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A store holding the corpus's payables (and their index), and a fake mailbox with `mail`
/// (corpus files) in its INBOX: where the tests that sync before they act start.
pub fn seeded(
    mail: &[&str],
) -> (
    duebox::store::Store,
    duebox::payables::validate::PayablesIndex,
    duebox::sync::fake::FakeServer,
) {
    let mut store = duebox::store::Store::in_memory().unwrap();
    store
        .import_payables(&duebox::payables::read_csv(corpus("payables.csv").as_slice()).unwrap())
        .unwrap();
    let index = store.payables_index().unwrap();
    let mut server = duebox::sync::fake::FakeServer::new();
    for name in mail {
        server.deliver("INBOX", &corpus(name));
    }
    (store, index, server)
}
