//! The `duebox` binary as scripts use it: `classify --json` prints the contract's JSON Lines
//! in input order, reports unreadable files in-line and exits 1, reads stdin, and refuses bad
//! arguments with a clear message.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn duebox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_duebox"))
        .args(args)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .expect("the duebox binary runs")
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

const CONTRACT_KEYS: [&str; 12] = [
    "path", "kind", "stage", "invoices", "amount", "currency", "due_date", "vendor", "risk",
    "reasons", "language", "match",
];

#[test]
fn json_lines_follow_the_contract_in_input_order() {
    let a = fixture("corpus/a-024-de-overdue-schaefer.eml");
    let b = fixture("corpus/b-001-fr-reminder-moreau.eml");
    let out = duebox(&["classify", "--json", "--today", "2026-11-23", &a, &b]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["path"], a.as_str());
    assert_eq!(lines[1]["path"], b.as_str());
    let first_line = text.lines().next().unwrap();
    let positions: Vec<usize> = CONTRACT_KEYS
        .iter()
        .map(|k| {
            first_line
                .find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("no {k}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys in the contract's order: {first_line}"
    );
    assert_eq!(lines[0].as_object().unwrap().len(), CONTRACT_KEYS.len());
    assert_eq!(lines[0]["kind"], "chaser");
    assert_eq!(lines[0]["language"], "de");
    assert_eq!(lines[1]["language"], "fr");
    assert_eq!(lines[0]["stage"], "overdue");
    assert_eq!(lines[0]["invoices"], serde_json::json!(["RE-2026-117"]));
    assert_eq!(lines[0]["amount"], "1234.56");
    assert_eq!(lines[0]["currency"], "EUR");
    assert_eq!(lines[0]["due_date"], "2026-10-15");
    assert!(lines[0]["match"].is_null());
    assert!(!lines[0]["reasons"].as_array().unwrap().is_empty());
}

#[test]
fn other_mail_has_null_stage_and_unreadable_files_get_an_error_line() {
    let missing = fixture("corpus/does-not-exist.eml");
    let empty = fixture("malformed/01-empty.eml");
    let negative = fixture("corpus/a-035-en-neg-marketing-invoiceflow.eml");
    let out = duebox(&["classify", "--json", &missing, &negative, &empty]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0]["error"]
        .as_str()
        .unwrap()
        .contains("does-not-exist.eml"));
    assert_eq!(lines[1]["kind"], "other");
    assert!(lines[1]["stage"].is_null());
    assert!(lines[2]["error"].as_str().unwrap().contains("empty"));
}

#[test]
fn reads_a_message_from_stdin() {
    let raw = std::fs::read(fixture("corpus/a-024-de-overdue-schaefer.eml")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_duebox"))
        .args(["classify", "--json", "-"])
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&raw).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["path"], "-");
    assert_eq!(line["stage"], "overdue");
}

#[test]
fn own_domain_chasers_are_not_vendor_chasers() {
    let ours = fixture("corpus/a-043-en-neg-own-domain-reminder.eml");
    let without = duebox(&["classify", "--json", &ours]);
    let with = duebox(&[
        "classify",
        "--json",
        "--own-domain",
        "northwind-traders.com",
        &ours,
    ]);
    let without: serde_json::Value = serde_json::from_slice(&without.stdout).unwrap();
    let with: serde_json::Value = serde_json::from_slice(&with.stdout).unwrap();
    assert_eq!(
        without["kind"], "chaser",
        "without the option it reads like any chaser"
    );
    assert_eq!(with["kind"], "other");
}

#[test]
fn readable_summary_shows_claims_and_reasons() {
    let out = duebox(&["classify", &fixture("corpus/a-024-de-overdue-schaefer.eml")]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("chaser, overdue"), "{text}");
    assert!(text.contains("1234.56 EUR"), "{text}");
    assert!(text.contains("- overdue wording"), "{text}");
}

#[test]
fn bad_arguments_and_config_are_refused_clearly() {
    let out = duebox(&["classify", "--today", "23/11/2026", "x.eml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("YYYY-MM-DD"));
    let out = duebox(&["classify"]);
    assert_eq!(out.status.code(), Some(2));
    let bad = format!("{}/bad-config.toml", env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(&bad, "[company]\nnmae = \"typo\"\n").unwrap();
    let out = duebox(&[
        "--config",
        &bad,
        "classify",
        &fixture("corpus/a-024-de-overdue-schaefer.eml"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("nmae"), "{err}");
}

#[test]
fn help_explains_every_option() {
    let out = duebox(&["classify", "--help"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for option in [
        "--json",
        "--today",
        "--own-domain",
        "--config",
        "FILE",
        "Exit status",
    ] {
        assert!(text.contains(option), "help lacks {option}:\n{text}");
    }
}
