//! What the integration tests share: the company the fixture messages are written to.

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
