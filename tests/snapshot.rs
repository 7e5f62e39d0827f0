//! The classifier's verdict on every fixture message, as a snapshot (tests/snapshots/): a rule
//! change shows as a reviewable diff of exactly the messages whose verdict it changes.
//! After an intended change: `cargo insta review` (or INSTA_UPDATE=always cargo test).

mod common;

use duebox::classify::classify_bytes;
use std::fmt::Write;
use std::path::Path;

fn verdicts(folder: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    let opts = common::northwind();
    let mut out = String::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read(&path).unwrap();
        match classify_bytes(&raw, &opts) {
            Err(e) => writeln!(out, "{name}: error: {e}").unwrap(),
            Ok((_, c)) => {
                let stage = c.stage.map_or("-", |s| s.as_str());
                let amount = c.amount.as_ref().map_or("-".to_string(), |m| m.to_string());
                let due = c.due_date.map_or("-".to_string(), |d| d.to_string());
                let risk: Vec<&str> = c.risk.iter().map(|r| r.as_str()).collect();
                writeln!(
                    out,
                    "{name}: {:?} {stage} [{}] {amount} due {due} vendor {:?} risk {risk:?}",
                    c.kind,
                    c.invoices.join(", "),
                    c.vendor.as_deref().unwrap_or("-"),
                )
                .unwrap();
                for reason in &c.reasons {
                    writeln!(out, "    {reason}").unwrap();
                }
            }
        }
    }
    out
}

#[test]
fn corpus_verdicts() {
    insta::assert_snapshot!(verdicts("corpus"));
}

#[test]
fn malformed_verdicts() {
    insta::assert_snapshot!(verdicts("malformed"));
}
