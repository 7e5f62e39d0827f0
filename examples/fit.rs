//! Fits the classifier's weights (src/classify/weights.tsv) on the training messages, as
//! SpamAssassin's score generation does: multinomial logistic regression over the features of
//! src/classify/features.rs, full-batch Adam with L2, a fixed number of steps, no randomness,
//! so anyone re-running it gets the same table. Training data: the world corpus's train split
//! (tests/fixtures/world/labels.jsonl), the fixture corpus (tests/fixtures/corpus) and the
//! fraud fixtures (tests/fixtures/fraud); never tests/fixtures/heldout nor the dev split.
//! Run: `cargo run --example fit` (then `cargo test --lib classify::` and the corpus tests).

use chrono::NaiveDate;
use duebox::classify::features::{self, Ledger, NoLedger, NAMES};
use duebox::classify::score::{Class, CLASSES, N};
use duebox::classify::Options;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// L2 penalty per weight (on the mean loss); the prior (bias) is not penalised. One rule's
/// own wording is penalised more than the shared evidence (a signal in a zone, a structural
/// fact): the weight then rests on what carries over to wording the training never saw.
const L2: f64 = 0.002;
const L2_RULE: f64 = 0.02;
const STEPS: usize = 700;
const RATE: f64 = 0.05;
/// A feature seen in fewer training messages gets no weight: a rule fitted to one message
/// is the smell this project avoids.
const MIN_SUPPORT: usize = 2;

struct Example {
    name: String,
    features: Vec<usize>,
    class: Class,
    bank: bool,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The receiving company of the fixture corpus (tests/common/mod.rs).
fn northwind() -> Options {
    Options {
        own_domains: vec![
            "northwind-traders.com".into(),
            "northwind-traders.co.uk".into(),
        ],
        own_names: vec!["Northwind Traders".into()],
        today: NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid date"),
    }
}

/// The receiving company of the world corpus (tests/world_corpus.rs).
fn kestrel() -> Options {
    Options {
        own_domains: vec!["kestrel-group.com".into()],
        own_names: Vec::new(),
        today: NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid date"),
    }
}

#[path = "common/ledger.rs"]
mod ledger;
use ledger::CsvLedger;

/// The class of a labelled message: its stage when a chaser, else what its category or
/// file name says it is.
fn class_of(kind: &str, stage: Option<&str>, hint: &str) -> Class {
    if kind == "chaser" {
        return stage.and_then(Class::from_name).unwrap_or(Class::Reminder);
    }
    let h = hint.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    if has(&["own", "outbound"]) {
        Class::Own
    } else if has(&[
        "auto",
        "ooo",
        "out-of-office",
        "out_of_office",
        "bounce",
        "absence",
    ]) {
        Class::AutoReply
    } else if has(&[
        "receipt",
        "remittance",
        "paid",
        "settled",
        "zahlungseingang",
        "payment_confirmation",
        "payment-confirmation",
    ]) {
        Class::Receipt
    } else if has(&[
        "credit",
        "quote",
        "angebot",
        "pricelist",
        "offer",
        "document",
    ]) {
        Class::Document
    } else if has(&["new-invoice", "new_invoice", "newinvoice", "invoice"]) {
        Class::NewInvoice
    } else if has(&[
        "newsletter",
        "marketing",
        "webinar",
        "bulk",
        "product-update",
        "promo",
    ]) {
        Class::Bulk
    } else {
        Class::Other
    }
}

fn example(
    path: &Path,
    name: String,
    (class, bank): (Class, bool),
    opts: &Options,
    ledger: &dyn Ledger,
) -> Option<Example> {
    let raw = std::fs::read(path).ok()?;
    let msg = duebox::mail::parse(&raw).ok()?;
    let ev = features::read(&msg, opts, ledger);
    Some(Example {
        name,
        features: ev.active,
        class,
        bank,
    })
}

fn fixture_folder(dir: &Path, ledger: &dyn Ledger, out: &mut Vec<Example>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            n.starts_with("expected") && n.ends_with(".json")
        })
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable truth");
        let truth: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(&text).expect("valid truth");
        for (name, t) in truth {
            let kind = t["kind"].as_str().unwrap_or("other");
            let class = class_of(kind, t["stage"].as_str(), &name);
            let bank = t["risk"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x == "bank_change"));
            let path = dir.join(&name);
            if let Some(e) = example(&path, name.clone(), (class, bank), &northwind(), ledger) {
                out.push(e);
            }
        }
    }
}

/// The world corpus's train split (the dev split is never read here), classified as its
/// test does: with its payables and vendors as the database.
fn world(out: &mut Vec<Example>) {
    let dir = root().join("tests/fixtures/world");
    let ledger = CsvLedger::read(&dir.join("payables.csv"));
    let Ok(text) = std::fs::read_to_string(dir.join("labels.jsonl")) else {
        eprintln!("no tests/fixtures/world/labels.jsonl: fitting without the world corpus");
        return;
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("valid label line");
        if v["split"].as_str() != Some("train") {
            continue;
        }
        let file = ["file", "path", "name", "id"]
            .iter()
            .find_map(|k| v[*k].as_str())
            .expect("a label names its file");
        let kind = v["kind"].as_str().unwrap_or("other");
        let hint = v["category"].as_str().unwrap_or("");
        let class = class_of(kind, v["stage"].as_str(), hint);
        let bank = v["bank_change"].as_bool().unwrap_or(false);
        let path = dir.join(file);
        if let Some(e) = example(&path, file.to_string(), (class, bank), &kestrel(), &ledger) {
            out.push(e);
        }
    }
}

fn main() {
    let mut data = Vec::new();
    world(&mut data);
    let corpus = root().join("tests/fixtures/corpus");
    let ledger = CsvLedger::read(&corpus.join("payables.csv"));
    // Each fixture message twice: as classify sees it without a database and with one.
    fixture_folder(&corpus, &NoLedger, &mut data);
    fixture_folder(&corpus, &ledger, &mut data);
    fixture_folder(&root().join("tests/fixtures/fraud"), &NoLedger, &mut data);
    data.sort_by(|a, b| a.name.cmp(&b.name).then(a.features.cmp(&b.features)));
    let f_count = NAMES.len();
    let mut support = vec![0usize; f_count];
    for e in &data {
        for &f in &e.features {
            support[f] += 1;
        }
    }
    let bias = features::structural("bias");
    let usable: Vec<bool> = (0..f_count)
        .map(|f| f == bias || support[f] >= MIN_SUPPORT)
        .collect();
    for e in &mut data {
        e.features.retain(|f| usable[*f]);
    }
    let (w, b) = fit(&data, f_count, bias);
    let mut per_class = [0usize; N];
    for e in &data {
        per_class[e.class as usize] += 1;
    }
    let mut out = String::new();
    writeln!(
        out,
        "# Fitted by examples/fit.rs (cargo run --example fit); do not edit. {} messages: {}.",
        data.len(),
        CLASSES
            .iter()
            .map(|c| format!("{} {}", c.name(), per_class[*c as usize]))
            .collect::<Vec<_>>()
            .join(", ")
    )
    .unwrap();
    write!(out, "feature").unwrap();
    for c in CLASSES {
        write!(out, "\t{}", c.name()).unwrap();
    }
    writeln!(out, "\tbank_change").unwrap();
    for f in 0..f_count {
        if !usable[f] {
            continue;
        }
        let row: Vec<String> = w[f]
            .iter()
            .chain(std::iter::once(&b[f]))
            .map(|x| format!("{x:.3}"))
            .collect();
        if row.iter().all(|c| c == "0.000" || c == "-0.000") {
            continue;
        }
        writeln!(
            out,
            "{}\t{}",
            NAMES[f],
            row.join("\t").replace("-0.000", "0.000")
        )
        .unwrap();
    }
    let path = root().join("src/classify/weights.tsv");
    std::fs::write(&path, out).expect("write weights.tsv");
    // Training accuracy, as a sanity check (the honest figures are the dev split's).
    let table = duebox::classify::score::Table::parse(&std::fs::read_to_string(&path).unwrap());
    let mut right = 0;
    for e in &data {
        let mut sums = [0f32; N];
        for &f in &e.features {
            for (s, x) in sums.iter_mut().zip(&table.class[f]) {
                *s += x;
            }
        }
        let best = (0..N).max_by(|a, b| sums[*a].total_cmp(&sums[*b])).unwrap();
        right += usize::from(best == e.class as usize);
    }
    println!(
        "wrote {}: {} messages, {} features with weights, training accuracy {:.3}",
        path.display(),
        data.len(),
        usable.iter().filter(|u| **u).count(),
        right as f64 / data.len().max(1) as f64
    );
}

/// Multinomial logistic regression (classes) and binary logistic regression (bank change),
/// full-batch Adam.
fn fit(data: &[Example], f_count: usize, bias: usize) -> (Vec<[f64; N]>, Vec<f64>) {
    let n = data.len().max(1) as f64;
    let mut w = vec![[0f64; N]; f_count];
    let mut b = vec![0f64; f_count];
    let (mut m, mut v) = (vec![[0f64; N]; f_count], vec![[0f64; N]; f_count]);
    let (mut mb, mut vb) = (vec![0f64; f_count], vec![0f64; f_count]);
    let (beta1, beta2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    for step in 1..=STEPS {
        let mut g = vec![[0f64; N]; f_count];
        let mut gb = vec![0f64; f_count];
        for e in data {
            let mut sums = [0f64; N];
            let mut bank = 0f64;
            for &f in &e.features {
                for (s, x) in sums.iter_mut().zip(&w[f]) {
                    *s += x;
                }
                bank += b[f];
            }
            let max = sums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mut p = [0f64; N];
            let mut total = 0.0;
            for (pi, s) in p.iter_mut().zip(&sums) {
                *pi = (s - max).exp();
                total += *pi;
            }
            for (c, pi) in p.iter_mut().enumerate() {
                *pi /= total;
                if c == e.class as usize {
                    *pi -= 1.0;
                }
            }
            let pb = 1.0 / (1.0 + (-bank).exp()) - f64::from(u8::from(e.bank));
            for &f in &e.features {
                for (gc, pc) in g[f].iter_mut().zip(&p) {
                    *gc += pc / n;
                }
                gb[f] += pb / n;
            }
        }
        let t = step as i32;
        for f in 0..f_count {
            let reg = if f == bias {
                0.0
            } else if NAMES[f].starts_with("w:") {
                L2_RULE
            } else {
                L2
            };
            for c in 0..N {
                let grad = g[f][c] + reg * w[f][c];
                m[f][c] = beta1 * m[f][c] + (1.0 - beta1) * grad;
                v[f][c] = beta2 * v[f][c] + (1.0 - beta2) * grad * grad;
                let mh = m[f][c] / (1.0 - beta1.powi(t));
                let vh = v[f][c] / (1.0 - beta2.powi(t));
                w[f][c] -= RATE * mh / (vh.sqrt() + eps);
            }
            if !features::bank_relevant(f) {
                continue;
            }
            let grad = gb[f] + reg * b[f];
            mb[f] = beta1 * mb[f] + (1.0 - beta1) * grad;
            vb[f] = beta2 * vb[f] + (1.0 - beta2) * grad * grad;
            let mh = mb[f] / (1.0 - beta1.powi(t));
            let vh = vb[f] / (1.0 - beta2.powi(t));
            b[f] -= RATE * mh / (vh.sqrt() + eps);
        }
    }
    // Features never active have zero gradient throughout: their weights stay zero, and the
    // shift-invariance of the softmax is pinned by the penalty.
    (w, b)
}
