//! Measures the classifier over the fixture corpus (tests/fixtures/corpus, truth in
//! expected-*.json): precision and recall of chaser detection and exact-match rates of the
//! invoice numbers, amount with currency and due date, each of which must be at least 0.95.
//! Every miss is printed, so a rule change shows what it fixed and what it broke.

use chrono::NaiveDate;
use duebox::classify::{classify_bytes, Classification, Kind, Options};
use duebox::classify::extract::normalise_invoice;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct Truth {
    kind: String,
    stage: Option<String>,
    invoices: Vec<String>,
    amount: Option<String>,
    currency: Option<String>,
    due_date: Option<String>,
    vendor: Option<String>,
    #[serde(default)]
    risk: Vec<String>,
}

fn corpus_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/corpus"))
}

fn load_truth() -> BTreeMap<String, Truth> {
    let mut all = BTreeMap::new();
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("expected") && name.ends_with(".json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let part: BTreeMap<String, Truth> = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{name} is not valid: {e}"));
            all.extend(part);
        }
    }
    all
}

/// The company the fixtures are written to.
pub fn northwind() -> Options {
    Options {
        own_domains: vec!["northwind-traders.com".into(), "northwind-traders.co.uk".into()],
        own_names: vec!["Northwind Traders".into()],
        today: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    }
}

struct Rate {
    name: &'static str,
    hits: usize,
    total: usize,
}

impl Rate {
    fn new(name: &'static str) -> Self {
        Rate { name, hits: 0, total: 0 }
    }
    fn add(&mut self, ok: bool) {
        self.total += 1;
        self.hits += usize::from(ok);
    }
    fn value(&self) -> f64 {
        if self.total == 0 { 1.0 } else { self.hits as f64 / self.total as f64 }
    }
}

fn same_invoices(got: &[String], want: &[String]) -> bool {
    let mut g: Vec<String> = got.iter().map(|s| normalise_invoice(s)).collect();
    let mut w: Vec<String> = want.iter().map(|s| normalise_invoice(s)).collect();
    g.sort();
    w.sort();
    g == w
}

fn same_amount(c: &Classification, t: &Truth) -> bool {
    let got = c.amount.as_ref().map(|m| (m.amount, m.currency.clone()));
    let want = t
        .amount
        .as_ref()
        .map(|a| (a.parse::<Decimal>().unwrap(), t.currency.clone().unwrap_or_default()));
    got == want
}

#[test]
fn classifier_meets_its_figures_on_the_fixture_corpus() {
    let truth = load_truth();
    assert!(truth.len() >= 80, "the corpus must have at least 80 messages, has {}", truth.len());
    let opts = northwind();
    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    let mut invoices = Rate::new("invoice numbers");
    let mut amounts = Rate::new("amount + currency");
    let mut dues = Rate::new("due date");
    let mut stages = Rate::new("stage");
    let mut vendors = Rate::new("vendor");
    let mut risks = Rate::new("risk flags (message-only)");
    let mut misses = Vec::new();
    for (name, t) in &truth {
        let raw = std::fs::read(corpus_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, c) = classify_bytes(&raw, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want_chaser = t.kind == "chaser";
        let got_chaser = c.kind == Kind::Chaser;
        match (want_chaser, got_chaser) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fneg += 1,
            (false, false) => {}
        }
        let mut miss = |what: &str, got: String, want: String| {
            misses.push(format!("{name}: {what}: got {got}, want {want}\n    reasons: {}", c.reasons.join(" | ")));
        };
        if want_chaser != got_chaser {
            miss("kind", format!("{:?}", c.kind), t.kind.clone());
        }
        let got_risk: Vec<&str> = c.risk.iter().map(|r| r.as_str()).collect();
        let mut want_risk: Vec<&str> = t.risk.iter().map(String::as_str).collect();
        want_risk.sort();
        let mut got_sorted = got_risk.clone();
        got_sorted.sort();
        risks.add(got_sorted == want_risk);
        if got_sorted != want_risk {
            miss("risk", format!("{got_sorted:?}"), format!("{want_risk:?}"));
        }
        if !want_chaser {
            continue;
        }
        let ok = same_invoices(&c.invoices, &t.invoices);
        invoices.add(ok);
        if !ok {
            miss("invoices", format!("{:?}", c.invoices), format!("{:?}", t.invoices));
        }
        let ok = same_amount(&c, t);
        amounts.add(ok);
        if !ok {
            miss("amount", format!("{:?}", c.amount.as_ref().map(|m| m.to_string())), format!("{:?} {:?}", t.amount, t.currency));
        }
        let got_due = c.due_date.map(|d| d.to_string());
        dues.add(got_due == t.due_date);
        if got_due != t.due_date {
            miss("due date", format!("{got_due:?}"), format!("{:?}", t.due_date));
        }
        let got_stage = c.stage.map(|s| s.as_str().to_string());
        stages.add(got_stage == t.stage);
        if got_chaser && got_stage != t.stage {
            miss("stage", format!("{got_stage:?}"), format!("{:?}", t.stage));
        }
        let ok = c.vendor.as_deref().map(str::to_lowercase) == t.vendor.as_deref().map(str::to_lowercase);
        vendors.add(ok);
        if !ok {
            miss("vendor", format!("{:?}", c.vendor), format!("{:?}", t.vendor));
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    for m in &misses {
        println!("MISS {m}");
    }
    println!("\ncorpus: {} messages, {} chasers, {} others", truth.len(), tp + fneg, truth.len() - tp - fneg);
    println!("chaser detection: precision {precision:.3}, recall {recall:.3}");
    for r in [&invoices, &amounts, &dues, &stages, &vendors, &risks] {
        println!("{:<26} {:.3} ({}/{})", r.name, r.value(), r.hits, r.total);
    }
    let required = [("precision", precision), ("recall", recall), ("invoice numbers", invoices.value()), ("amount + currency", amounts.value()), ("due date", dues.value())];
    for (name, value) in required {
        assert!(value >= 0.95, "{name} is {value:.3}, below 0.95 (misses printed above)");
    }
    assert!(stages.value() >= 0.90, "stage accuracy is {:.3}, below 0.90", stages.value());
}
