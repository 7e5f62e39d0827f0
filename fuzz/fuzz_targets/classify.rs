//! Fuzzes the whole path a message takes: MIME parsing, decoding, HTML rendering,
//! classification and extraction. Any panic, hang or unsafe output is a bug.
//! Seed it with the fixtures: `cargo fuzz run classify ../tests/fixtures/malformed ../tests/fixtures/corpus`.
#![no_main]

use duebox::classify::{classify_bytes, Options};
use duebox::mail::sanitize::is_clean;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = Options {
        own_domains: vec!["northwind-traders.com".into()],
        own_names: vec!["Northwind Traders".into()],
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid date"),
    };
    if let Ok((msg, c)) = classify_bytes(data, &opts) {
        assert!(is_clean(&msg.subject), "unsafe subject: {:?}", msg.subject);
        assert!(is_clean(&msg.body), "unsafe body");
        for reason in &c.reasons {
            assert!(is_clean(reason), "unsafe reason: {reason:?}");
        }
    }
});
