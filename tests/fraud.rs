//! Fraud warnings over tests/fixtures/fraud: 60-odd messages (BEC attempts and legitimate
//! mail from the same vendors) written independently of the rules, with the vendors' known
//! bank details and payables. Every flag must be found in ≥ 95% of the messages that carry
//! it, and legitimate mail must carry none. `cargo test --test fraud -- --nocapture` prints
//! per-flag precision and recall.

mod common;

use duebox::classify::classify_bytes;
use duebox::classify::risk::Risk;
use duebox::payables::read_csv;
use duebox::payables::validate::apply_records;
use duebox::payables::vendors::read_vendors_csv;
use duebox::store::Store;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fraud")
}

/// Every message's expected and found flags.
fn verdicts() -> Vec<(String, BTreeSet<String>, BTreeSet<String>)> {
    let mut store = Store::in_memory().unwrap();
    let vendors = std::fs::read(dir().join("vendors.csv")).unwrap();
    store
        .import_vendors(&read_vendors_csv(vendors.as_slice()).unwrap())
        .unwrap();
    let payables = std::fs::read(dir().join("payables.csv")).unwrap();
    store
        .import_payables(&read_csv(payables.as_slice()).unwrap())
        .unwrap();
    let index = store.payables_index().unwrap();
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir().join("expected.json")).unwrap()).unwrap();
    let opts = common::northwind();
    let mut out = Vec::new();
    for (name, want) in expected.as_object().unwrap() {
        let raw = std::fs::read(dir().join(name)).unwrap();
        let (msg, mut c) = classify_bytes(&raw, &opts).unwrap();
        apply_records(&index, &mut c, &msg, &opts);
        let found: BTreeSet<String> = c.risk.iter().map(|r| r.as_str().to_string()).collect();
        let want: BTreeSet<String> = want["risk"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect();
        if found != want {
            eprintln!(
                "{name}: expected {want:?}, found {found:?}\n  {:?}",
                c.reasons
            );
        }
        out.push((name.clone(), want, found));
    }
    out
}

#[test]
fn every_flag_is_found_and_legitimate_mail_is_left_alone() {
    let verdicts = verdicts();
    assert!(verdicts.len() >= 60, "{} messages", verdicts.len());
    let flags = [
        Risk::BankChange,
        Risk::LookalikeDomain,
        Risk::ReplyToMismatch,
        Risk::UnknownSender,
        Risk::AuthFail,
    ];
    let mut figures = BTreeMap::new();
    for flag in flags {
        let flag = flag.as_str();
        let (mut tp, mut fp_, mut fn_) = (0, 0, 0);
        for (_, want, found) in &verdicts {
            match (want.contains(flag), found.contains(flag)) {
                (true, true) => tp += 1,
                (false, true) => fp_ += 1,
                (true, false) => fn_ += 1,
                (false, false) => {}
            }
        }
        let recall = tp as f64 / (tp + fn_) as f64;
        let precision = tp as f64 / (tp + fp_).max(1) as f64;
        println!(
            "{flag:18} carried by {:2}: recall {recall:.3}, precision {precision:.3}",
            tp + fn_
        );
        assert!(tp + fn_ >= 20, "{flag}: only {} examples", tp + fn_);
        figures.insert(flag, (recall, precision));
    }
    let legitimate: Vec<_> = verdicts
        .iter()
        .filter(|(_, want, _)| want.is_empty())
        .collect();
    let flagged: Vec<_> = legitimate
        .iter()
        .filter(|(_, _, found)| !found.is_empty())
        .map(|(name, _, found)| format!("{name}: {found:?}"))
        .collect();
    println!(
        "legitimate: {} messages, {} flagged",
        legitimate.len(),
        flagged.len()
    );
    for (flag, (recall, _)) in &figures {
        assert!(*recall >= 0.95, "{flag}: recall {recall:.3}");
    }
    assert!(legitimate.len() >= 15);
    assert!(flagged.is_empty(), "legitimate mail flagged: {flagged:#?}");
}
