//! Prints the claim figures (invoice numbers, amount + currency, due date) per language on
//! the world corpus (tests/fixtures/world), for extraction work: every labelled chaser of a
//! split is classified as `classify --db` would (its vendors and payables as the ledger), and
//! a claim counts as read only when the chaser was recognised and the claim is right.
//! Run: `cargo run --example claims` (dev split) or `cargo run --example claims -- train|all`.
//! Reads only; the figures that gate a change are tests/world_corpus.rs's.

#[path = "common/ledger.rs"]
mod ledger;

use chrono::NaiveDate;
use duebox::classify::extract::normalise_invoice;
use duebox::classify::{classify_with, Kind, Options};
use ledger::CsvLedger;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Default)]
struct Row {
    chasers: usize,
    found: usize,
    invoices: usize,
    amount: usize,
    due: usize,
}

fn same_invoices(got: &[String], want: &[serde_json::Value]) -> bool {
    let mut g: Vec<String> = got.iter().map(|s| normalise_invoice(s)).collect();
    let mut w: Vec<String> = want
        .iter()
        .filter_map(|v| v.as_str())
        .map(normalise_invoice)
        .collect();
    g.sort();
    g.dedup();
    w.sort();
    w.dedup();
    g == w
}

fn main() {
    let split = std::env::args().nth(1).unwrap_or_else(|| "dev".to_string());
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/world");
    let ledger = CsvLedger::read(&dir.join("payables.csv"));
    let opts = Options {
        own_domains: vec!["kestrel-group.com".into()],
        own_names: Vec::new(),
        today: NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid date"),
    };
    let text = std::fs::read_to_string(dir.join("labels.jsonl")).expect("labels.jsonl");
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let l: serde_json::Value = serde_json::from_str(line).expect("valid label line");
        if l["kind"] != "chaser" || (split != "all" && l["split"].as_str() != Some(&split)) {
            continue;
        }
        let path = dir.join(l["path"].as_str().expect("a path"));
        let raw = std::fs::read(&path).expect("readable message");
        let Ok(msg) = duebox::mail::parse(&raw) else {
            continue;
        };
        let c = classify_with(&msg, &opts, &ledger);
        let lang = l["language"].as_str().unwrap_or("?").to_string();
        let row = rows.entry(lang).or_default();
        row.chasers += 1;
        if c.kind != Kind::Chaser {
            continue;
        }
        row.found += 1;
        let want: Vec<serde_json::Value> = l["invoices"].as_array().cloned().unwrap_or_default();
        row.invoices += usize::from(same_invoices(&c.invoices, &want));
        let want_amount = l["amount"].as_str().and_then(|a| a.parse::<Decimal>().ok());
        let got_amount = c.amount.as_ref().map(|m| m.amount);
        let got_currency = c.amount.as_ref().map(|m| m.currency.to_string());
        row.amount += usize::from(
            got_amount == want_amount && got_currency.as_deref() == l["currency"].as_str(),
        );
        let got_due = c.due_date.map(|d| d.to_string());
        row.due += usize::from(got_due.as_deref() == l["due_date"].as_str());
    }
    println!("claims on the world corpus, {split} split (share of ALL labelled chasers; a chaser not recognised counts as unread):");
    println!(
        "{:<6} {:>7} {:>6} {:>6} {:>6} {:>6}",
        "lang", "chasers", "found", "inv", "amount", "due"
    );
    let mut total = Row::default();
    let pct = |a: usize, n: usize| if n == 0 { 1.0 } else { a as f64 / n as f64 };
    for (lang, r) in &rows {
        println!(
            "{lang:<6} {:>7} {:>6.3} {:>6.3} {:>6.3} {:>6.3}",
            r.chasers,
            pct(r.found, r.chasers),
            pct(r.invoices, r.chasers),
            pct(r.amount, r.chasers),
            pct(r.due, r.chasers)
        );
        total.chasers += r.chasers;
        total.found += r.found;
        total.invoices += r.invoices;
        total.amount += r.amount;
        total.due += r.due;
    }
    println!(
        "{:<6} {:>7} {:>6.3} {:>6.3} {:>6.3} {:>6.3}",
        "ALL",
        total.chasers,
        pct(total.found, total.chasers),
        pct(total.invoices, total.chasers),
        pct(total.amount, total.chasers),
        pct(total.due, total.chasers)
    );
}
