//! Classification throughput on one thread: generates a varied corpus (2–50 KB messages,
//! plain, HTML, multipart, attachments, five languages, ~30% chasers) and times parse +
//! classify over all of it; then the same with the payables database as `classify --db`
//! does it (as many payables as messages, claims checked, every chase recorded in an
//! on-disk SQLite store). Run: `cargo bench --bench classify` (optionally `-- N` messages).

#[path = "corpus_gen.rs"]
mod corpus_gen;

use chrono::NaiveDate;
use duebox::classify::{classify_bytes, Kind, Options};
use duebox::payables::validate::apply_records;
use duebox::payables::{Payable, Status};
use duebox::store::{Store, StoreError};
use rust_decimal::Decimal;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let corpus = corpus_gen::generate(n, 2026);
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    let opts = Options {
        own_domains: vec!["northwind-traders.com".into()],
        own_names: vec!["Northwind Traders".into()],
        today: NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid date"),
    };
    // Warm-up: compiles the lazily built regexes and fills caches, as a running sync would.
    for raw in corpus.iter().take(200) {
        let _ = classify_bytes(raw, &opts);
    }
    let mut runs = Vec::new();
    let (mut chasers, mut errors) = (0, 0);
    for _ in 0..3 {
        (chasers, errors) = (0, 0);
        let start = Instant::now();
        for raw in &corpus {
            match classify_bytes(raw, &opts) {
                Ok((_, c)) if c.kind == Kind::Chaser => chasers += 1,
                Ok(_) => {}
                Err(_) => errors += 1,
            }
        }
        runs.push(start.elapsed().as_secs_f64());
    }
    runs.sort_by(f64::total_cmp);
    let median = runs[runs.len() / 2];
    println!(
        "classify: {n} messages, {:.1} MB (mean {:.1} KB), one thread",
        bytes as f64 / 1e6,
        bytes as f64 / n as f64 / 1024.0
    );
    println!(
        "median of {} runs: {median:.3} s = {:.0} messages/s, {:.1} MB/s (best {:.0} messages/s)",
        runs.len(),
        n as f64 / median,
        bytes as f64 / 1e6 / median,
        n as f64 / runs[0]
    );
    println!(
        "chasers found: {chasers} ({:.1}%), unreadable: {errors}",
        100.0 * chasers as f64 / n as f64
    );
    let plain = n as f64 / median;

    // With the database: payables for the claims the corpus makes (so lookups hit), padded
    // with other invoices to as many payables as messages.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("bench.db")).expect("database");
    let payables = payables_for(&corpus, &opts, n);
    store.import_payables(&payables).expect("import");
    let index = store.payables_index().expect("index");
    let mut db_runs = Vec::new();
    let mut matched = 0;
    for _ in 0..3 {
        // A fresh chase history each run, so every run does the same writes.
        store.clear_chases().expect("clear");
        let start = Instant::now();
        matched = store
            .in_batch(|store| -> Result<_, StoreError> {
                let mut matched = 0;
                for raw in &corpus {
                    let Ok((msg, mut c)) = classify_bytes(raw, &opts) else {
                        continue;
                    };
                    if apply_records(&index, &mut c, &msg, &opts).is_some() {
                        matched += 1;
                    }
                    store.note_chase(&index, &msg, &c)?;
                }
                Ok(matched)
            })
            .expect("batch");
        db_runs.push(start.elapsed().as_secs_f64());
    }
    db_runs.sort_by(f64::total_cmp);
    let db_median = db_runs[db_runs.len() / 2];
    let with_db = n as f64 / db_median;
    println!(
        "with --db ({} payables, {matched} claims checked, chases recorded on disk): median {db_median:.3} s = {with_db:.0} messages/s, {:.1}% of the speed without",
        payables.len(),
        100.0 * with_db / plain
    );
}

/// Payables for every claim the corpus's chasers make, then unrelated ones up to `total`.
fn payables_for(corpus: &[Vec<u8>], opts: &Options, total: usize) -> Vec<Payable> {
    let day = NaiveDate::from_ymd_opt(2026, 10, 1).expect("valid date");
    let mut payables: Vec<Payable> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let payable =
        |vendor: &str, email: &str, invoice: String, amount: Decimal, currency: &str| Payable {
            vendor: vendor.to_string(),
            vendor_email: email.to_string(),
            invoice_number: invoice,
            amount,
            currency: currency.to_string(),
            issue_date: day,
            due_date: day,
            status: Status::Open,
            paid_on: None,
            reference: None,
            scheduled_on: None,
        };
    for raw in corpus {
        let Ok((msg, c)) = classify_bytes(raw, opts) else {
            continue;
        };
        let Some(from) = msg.from.as_ref() else {
            continue;
        };
        let vendor = from.name.clone().unwrap_or_else(|| from.email.clone());
        let (amount, currency) = c
            .amount
            .as_ref()
            .map_or((Decimal::ONE, "EUR".to_string()), |m| {
                (m.amount, m.currency.clone())
            });
        for invoice in &c.invoices {
            if seen.insert((
                vendor.clone(),
                duebox::classify::extract::normalise_invoice(invoice),
            )) {
                payables.push(payable(
                    &vendor,
                    &from.email,
                    invoice.clone(),
                    amount,
                    &currency,
                ));
            }
        }
    }
    let mut i = 0;
    while payables.len() < total {
        i += 1;
        payables.push(payable(
            &format!("Filler Vendor {}", i % 500),
            &format!("ar@filler{}.example", i % 500),
            format!("FILL-{i:06}"),
            Decimal::new(i as i64 * 100 + 99, 2),
            "EUR",
        ));
    }
    payables
}
