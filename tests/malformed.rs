//! Every message of the malformed-MIME set (tests/fixtures/malformed, described in its
//! README) goes through parse + classify without a panic, and whatever comes out is safe to
//! show on a terminal. The realistic-but-broken chasers are still recognised.

mod common;

use duebox::classify::{classify_bytes, Kind};
use duebox::mail::sanitize::is_clean;
use std::path::Path;

#[test]
fn malformed_messages_never_panic_and_render_safely() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/malformed"
    ));
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 40,
        "the malformed set has {} messages",
        files.len()
    );
    let opts = common::northwind();
    let (mut parsed, mut refused) = (0, 0);
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read(path).unwrap();
        let outcome = std::panic::catch_unwind(|| classify_bytes(&raw, &opts));
        let Ok(result) = outcome else {
            panic!("{name}: parse + classify panicked");
        };
        match result {
            Err(e) => {
                refused += 1;
                let msg = e.to_string();
                assert!(msg.len() > 20, "{name}: error too terse to help: {msg}");
            }
            Ok((msg, c)) => {
                parsed += 1;
                let mut shown: Vec<&str> = vec![&msg.subject];
                shown.extend(msg.from.as_ref().and_then(|a| a.name.as_deref()));
                shown.extend(msg.attachments.iter().map(|a| a.name.as_str()));
                shown.extend(c.vendor.as_deref());
                shown.extend(c.invoices.iter().map(String::as_str));
                shown.extend(c.reasons.iter().map(String::as_str));
                for text in shown {
                    assert!(
                        is_clean(text),
                        "{name}: unsafe text would reach the terminal: {text:?}"
                    );
                }
                assert!(is_clean(&msg.body), "{name}: unsafe body text");
            }
        }
    }
    println!(
        "malformed set: {} messages, {parsed} parsed, {refused} refused with an error",
        files.len()
    );
}

#[test]
fn broken_but_real_chasers_are_still_recognised() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/malformed"
    ));
    for name in [
        "68-chaser-overdue-truncated-boundary.eml",
        "69-chaser-mahnung-wrong-charset.eml",
        "70-chaser-relance-broken-attachment.eml",
        "71-chaser-recordatorio-statement-mangled.eml",
    ] {
        let raw = std::fs::read(dir.join(name)).unwrap();
        let (_, c) =
            classify_bytes(&raw, &common::northwind()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(c.kind, Kind::Chaser, "{name}: {:?}", c.reasons);
    }
}
