//! Classification throughput on one thread: generates a varied corpus (2–50 KB messages,
//! plain, HTML, multipart, attachments, five languages, ~30% chasers) and times parse +
//! classify over all of it. Run: `cargo bench --bench classify` (optionally `-- N` messages).

#[path = "corpus_gen.rs"]
mod corpus_gen;

use chrono::NaiveDate;
use duebox::classify::{classify_bytes, Kind, Options};
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
}
