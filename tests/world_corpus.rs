//! Measures the classifier on the world corpus (tests/fixtures/world, labels.jsonl) the way it
//! is measured outside the project: the real binary, `duebox classify --json --db` on a
//! temporary database imported from the corpus's vendors.csv and payables.csv. Prints the
//! figures per language for the dev split (and one line for the train split) and fails when
//! a figure falls below its floor in tests/fixtures/world/floors.toml. It never tunes
//! anything and never writes into the fixtures.

use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Our own mail domain in the corpus (internal mail and our own outbound mail come from it).
const OWN_DOMAIN: &str = "kestrel-group.com";
/// Every message carries a Date header; this only matters for year-less dates without one.
const TODAY: &str = "2026-12-01";

#[derive(Debug, Deserialize)]
struct Label {
    path: String,
    split: String,
    language: String,
    kind: String,
    stage: Option<String>,
    invoices: Vec<String>,
    amount: Option<String>,
    currency: Option<String>,
    due_date: Option<String>,
    bank_change: bool,
}

#[derive(Debug, Deserialize)]
struct Verdict {
    path: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    stage: Option<String>,
    #[serde(default)]
    invoices: Vec<String>,
    #[serde(default)]
    amount: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    risk: Vec<String>,
    #[serde(default)]
    error: Option<String>,
}

fn world() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/world")
}

fn duebox(db: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_duebox"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("XDG_CONFIG_HOME", home)
        .env("HOME", home)
        .current_dir(world())
        .output()
        .expect("the duebox binary runs")
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

/// Invoice numbers compared as AP systems do: case, spaces, separators, a leading `#` and
/// leading zeros of each digit run do not matter (`INV-00123` is `inv 123`).
fn norm_invoice(s: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        let trimmed = digits.trim_start_matches('0');
        out.push_str(if trimmed.is_empty() && !digits.is_empty() {
            "0"
        } else {
            trimmed
        });
        digits.clear();
    };
    for ch in s.chars().flat_map(char::to_lowercase) {
        if ch.is_ascii_digit() {
            digits.push(ch);
        } else {
            flush(&mut digits, &mut out);
            if ch.is_alphanumeric() {
                out.push(ch);
            }
        }
    }
    flush(&mut digits, &mut out);
    out
}

fn same_invoices(got: &[String], want: &[String]) -> bool {
    let mut g: Vec<String> = got.iter().map(|s| norm_invoice(s)).collect();
    let mut w: Vec<String> = want.iter().map(|s| norm_invoice(s)).collect();
    g.sort();
    g.dedup();
    w.sort();
    w.dedup();
    g == w
}

fn same_amount(v: &Verdict, l: &Label) -> bool {
    let parse = |a: &Option<String>| a.as_deref().and_then(|s| s.parse::<Decimal>().ok());
    parse(&v.amount) == parse(&l.amount) && v.currency == l.currency
}

#[derive(Default, Clone, Copy)]
struct Rate {
    hits: usize,
    total: usize,
}

impl Rate {
    fn add(&mut self, ok: bool) {
        self.total += 1;
        self.hits += usize::from(ok);
    }
    fn value(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.hits as f64 / self.total as f64
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Figures {
    tp: usize,
    fp: usize,
    fneg: usize,
    stage: Rate,
    invoices: Rate,
    amount: Rate,
    due: Rate,
    bank_recall: Rate,
    bank_false: Rate,
}

impl Figures {
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fneg)
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn get(&self, key: &str) -> Option<f64> {
        Some(match key {
            "precision" => self.precision(),
            "recall" => self.recall(),
            "f1" => self.f1(),
            "stage" => self.stage.value(),
            "invoices" => self.invoices.value(),
            "amount" => self.amount.value(),
            "due" => self.due.value(),
            "bank_recall" => self.bank_recall.value(),
            "bank_false" => {
                if self.bank_false.total == 0 {
                    0.0
                } else {
                    self.bank_false.value()
                }
            }
            _ => return None,
        })
    }
    fn row(&self, name: &str, n: usize) -> String {
        format!(
            "{name:<8} {n:>5} {:>4} {:>4} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3}",
            self.tp + self.fneg,
            self.bank_recall.total,
            self.precision(),
            self.recall(),
            self.f1(),
            self.stage.value(),
            self.invoices.value(),
            self.amount.value(),
            self.due.value(),
            self.bank_recall.value(),
            self.get("bank_false").unwrap_or(0.0),
        )
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

fn score(f: &mut Figures, l: &Label, v: &Verdict) {
    let want = l.kind == "chaser";
    let got = v.kind.as_deref() == Some("chaser");
    match (want, got) {
        (true, true) => f.tp += 1,
        (false, true) => f.fp += 1,
        (true, false) => f.fneg += 1,
        (false, false) => {}
    }
    let flagged = v.risk.iter().any(|r| r == "bank_change");
    if l.bank_change {
        f.bank_recall.add(flagged);
    } else {
        f.bank_false.add(flagged);
    }
    if want && got {
        f.stage.add(v.stage == l.stage);
        f.invoices.add(same_invoices(&v.invoices, &l.invoices));
        f.amount.add(same_amount(v, l));
        f.due.add(v.due_date == l.due_date);
    }
}

fn load_labels() -> Vec<Label> {
    let text = std::fs::read_to_string(world().join("labels.jsonl")).expect("labels.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad label line {l}: {e}")))
        .collect()
}

/// Runs the binary over `labels` on the database in `dir`; verdicts by path.
fn classify(dir: &Path, labels: &[&Label]) -> BTreeMap<String, Verdict> {
    let db = dir.join("duebox.db");
    let mut out = BTreeMap::new();
    for chunk in labels.chunks(400) {
        let mut args = vec![
            "classify",
            "--json",
            "--today",
            TODAY,
            "--own-domain",
            OWN_DOMAIN,
        ];
        args.extend(chunk.iter().map(|l| l.path.as_str()));
        let run = duebox(&db, dir, &args);
        let stdout = String::from_utf8_lossy(&run.stdout);
        for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
            let v: Verdict = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a verdict line ({e}): {line}"));
            if let Some(err) = &v.error {
                panic!("{} could not be read: {err}", v.path);
            }
            out.insert(v.path.clone(), v);
        }
        assert!(
            run.status.success(),
            "classify failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    out
}

fn import(dir: &Path) {
    let db = dir.join("duebox.db");
    for (what, file) in [("vendors", "vendors.csv"), ("payables", "payables.csv")] {
        let path = world().join(file);
        let out = duebox(&db, dir, &[what, "import", path.to_str().unwrap()]);
        assert!(out.status.success(), "{what} import failed: {}", text(&out));
    }
}

type Floors = BTreeMap<String, BTreeMap<String, f64>>;

fn load_floors() -> Floors {
    let text = std::fs::read_to_string(world().join("floors.toml")).expect("floors.toml");
    let value: toml::Table = toml::from_str(&text).expect("floors.toml is valid TOML");
    let mut floors = Floors::new();
    for (section, table) in value {
        let Some(table) = table.as_table() else {
            continue;
        };
        if section == "lang" {
            for (lang, t) in table {
                let entry = floors.entry(lang.clone()).or_default();
                for (k, v) in t.as_table().into_iter().flatten() {
                    entry.insert(k.clone(), v.as_float().expect("floors are numbers"));
                }
            }
        } else {
            let entry = floors.entry(section.clone()).or_default();
            for (k, v) in table {
                entry.insert(k.clone(), v.as_float().expect("floors are numbers"));
            }
        }
    }
    floors
}

/// Checks one row against its floors; `bank_false` is a ceiling, every other key a floor.
fn check(
    name: &str,
    f: &Figures,
    floors: Option<&BTreeMap<String, f64>>,
    failures: &mut Vec<String>,
) {
    for (key, limit) in floors.into_iter().flatten() {
        let Some(value) = f.get(key) else {
            failures.push(format!("floors.toml: unknown figure {key} for {name}"));
            continue;
        };
        let bad = if key == "bank_false" {
            value > *limit + 1e-9
        } else {
            value + 1e-9 < *limit
        };
        if bad {
            failures.push(format!("{name}: {key} = {value:.3}, floor {limit:.3}"));
        }
    }
}

#[test]
fn world_corpus_dev_split_meets_its_floors() {
    let labels = load_labels();
    assert!(
        labels.len() >= 300,
        "the world corpus has only {} messages",
        labels.len()
    );
    let dir = tempfile::tempdir().unwrap();
    import(dir.path());
    // Dev first: its figures are what counts. Train then goes through the same database
    // (the chase history of dev messages does not change any verdict's kind or claim).
    let dev: Vec<&Label> = labels.iter().filter(|l| l.split == "dev").collect();
    let train: Vec<&Label> = labels.iter().filter(|l| l.split == "train").collect();
    let got_dev = classify(dir.path(), &dev);
    let got_train = classify(dir.path(), &train);

    let mut by_lang: BTreeMap<&str, (Figures, usize)> = BTreeMap::new();
    let mut all = Figures::default();
    let mut misses = Vec::new();
    let (mut bank_misses, mut stage_misses) = (Vec::new(), Vec::new());
    for l in &dev {
        let v = got_dev
            .get(&l.path)
            .unwrap_or_else(|| panic!("no verdict for {}", l.path));
        let entry = by_lang.entry(l.language.as_str()).or_default();
        score(&mut entry.0, l, v);
        entry.1 += 1;
        score(&mut all, l, v);
        let want = l.kind == "chaser";
        let got = v.kind.as_deref() == Some("chaser");
        if want != got {
            misses.push(format!("{}: kind {:?}, want {}", l.path, v.kind, l.kind));
        }
        let flagged = v.risk.iter().any(|r| r == "bank_change");
        if flagged != l.bank_change {
            bank_misses.push(format!(
                "{}: bank_change {flagged}, want {}",
                l.path, l.bank_change
            ));
        }
        if want && got && v.stage != l.stage {
            stage_misses.push(format!(
                "{}: stage {:?}, want {:?}",
                l.path, v.stage, l.stage
            ));
        }
    }
    let mut train_fig = Figures::default();
    for l in &train {
        let v = got_train
            .get(&l.path)
            .unwrap_or_else(|| panic!("no verdict for {}", l.path));
        score(&mut train_fig, l, v);
    }

    println!(
        "\nworld corpus, dev split ({} messages; train {}):",
        dev.len(),
        train.len()
    );
    println!(
        "{:<8} {:>5} {:>4} {:>4} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6}",
        "lang",
        "n",
        "chs",
        "bank",
        "prec",
        "recall",
        "F1",
        "stage",
        "inv",
        "amount",
        "due",
        "bank_r",
        "bank_f"
    );
    for (lang, (f, n)) in &by_lang {
        println!("{}", f.row(lang, *n));
    }
    println!("{}", all.row("ALL dev", dev.len()));
    println!(
        "{}  (train split, for comparison only)",
        train_fig.row("train", train.len())
    );
    println!(
        "(chs: true chasers; bank: bank-change messages; stage, inv, amount and due are \
         measured on the chasers found; bank_f is the false-alarm rate on all other messages)"
    );
    println!("\nkind misses on dev ({}):", misses.len());
    for m in misses.iter().take(40) {
        println!("  {m}");
    }
    println!("bank-change misses on dev ({}):", bank_misses.len());
    for m in bank_misses.iter().take(40) {
        println!("  {m}");
    }
    println!("stage misses on dev ({}):", stage_misses.len());
    for m in stage_misses.iter().take(40) {
        println!("  {m}");
    }

    let floors = load_floors();
    let mut failures = Vec::new();
    check("overall", &all, floors.get("overall"), &mut failures);
    for (lang, (f, _)) in &by_lang {
        check(lang, f, floors.get(*lang), &mut failures);
    }
    assert!(
        failures.is_empty(),
        "figures below their floors in floors.toml:\n  {}",
        failures.join("\n  ")
    );
}

#[test]
fn invoice_numbers_compare_as_ap_systems_do() {
    assert_eq!(norm_invoice("INV-00123"), norm_invoice("inv 123"));
    assert_eq!(norm_invoice("FT 2026/1234"), norm_invoice("ft2026-1234"));
    assert_ne!(
        norm_invoice("FV/2026/10/123"),
        norm_invoice("FV/2026/10/124")
    );
    assert_ne!(norm_invoice("NF-e 001234"), norm_invoice("001234"));
}
