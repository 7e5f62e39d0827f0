//! What the integration tests share: the company the fixture messages are written to, and
//! the labelled corpus's files.
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
