//! `duebox payables` through the real binary on a temporary database: CSV import is
//! idempotent and all-or-nothing, export round-trips, changes are recorded, and a database
//! from a newer duebox is refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn duebox(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_duebox"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .expect("the duebox binary runs")
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/payables.csv")
}

fn export(db: &Path) -> String {
    let out = duebox(db, &["payables", "export"]);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn import_is_idempotent_and_reports_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new/duebox.db");
    let csv = fixture();
    let out = duebox(&db, &["payables", "import", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("4 added, 0 updated, 0 unchanged, 0 rejected"),
        "{}",
        text(&out)
    );
    let out = duebox(&db, &["payables", "import", csv.to_str().unwrap()]);
    assert!(
        text(&out).contains("0 added, 0 updated, 4 unchanged"),
        "{}",
        text(&out)
    );

    // The same invoice written differently (case, separators) is the same payable.
    let changed = dir.path().join("changed.csv");
    let body = std::fs::read_to_string(&csv)
        .unwrap()
        .replace("INV-00123,1234.56", "inv 00123,1300.00");
    std::fs::write(&changed, body).unwrap();
    let out = duebox(&db, &["payables", "import", changed.to_str().unwrap()]);
    assert!(
        text(&out).contains("0 added, 1 updated, 3 unchanged"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_failed_import_leaves_the_database_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("duebox.db");
    duebox(&db, &["payables", "import", fixture().to_str().unwrap()]);
    let before = export(&db);
    let bad = dir.path().join("bad.csv");
    let mut body = std::fs::read_to_string(fixture())
        .unwrap()
        .replace("4750.00", "4800.00");
    body.push_str(
        "New Vendor Ltd,ar@new-vendor.example,NV-1,99.00,GBP,2026-10-01,2026-11-01,open,,\n",
    );
    body.push_str(
        "Broken Ltd,ar@broken.example,BR-1,\"1,200.00\",GBP,2026-10-01,2026-11-01,open,,\n",
    );
    std::fs::write(&bad, body).unwrap();
    let out = duebox(&db, &["payables", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let msg = text(&out);
    assert!(
        msg.contains("line 7") && msg.contains("nothing was imported"),
        "{msg}"
    );
    assert_eq!(
        export(&db),
        before,
        "neither the good rows nor the change were imported"
    );
}

#[test]
fn export_round_trips_and_changes_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("duebox.db");
    duebox(&db, &["payables", "import", fixture().to_str().unwrap()]);
    let out = duebox(
        &db,
        &[
            "payables",
            "mark-paid",
            "inv-00123",
            "--on",
            "2026-11-20",
            "--reference",
            "BACS 7781",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = duebox(
        &db,
        &["payables", "schedule", "FA-2026-0311", "--on", "2026-12-01"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let csv = export(&db);
    assert!(
        csv.contains("INV-00123,1234.56,GBP,2026-09-01,2026-10-01,paid,2026-11-20,BACS 7781"),
        "{csv}"
    );
    assert!(
        csv.contains("FA-2026-0311,2150.00,EUR,2026-09-10,2026-10-10,scheduled,,,2026-12-01"),
        "{csv}"
    );

    let copy = dir.path().join("copy.db");
    let file = dir.path().join("export.csv");
    std::fs::write(&file, &csv).unwrap();
    duebox(&copy, &["payables", "import", file.to_str().unwrap()]);
    assert_eq!(export(&copy), csv);

    let paid = duebox(&db, &["payables", "list", "--status", "paid"]);
    let listed = text(&paid);
    assert!(
        listed.contains("INV-00123") && listed.contains("RE-2026-117"),
        "{listed}"
    );
    assert!(!listed.contains("FA-2026-0311"), "{listed}");
}

#[test]
fn unknown_invoices_and_duplicates_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("duebox.db");
    duebox(&db, &["payables", "import", fixture().to_str().unwrap()]);
    let out = duebox(
        &db,
        &["payables", "mark-paid", "NOPE-1", "--on", "2026-11-20"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("no payable with invoice number 'NOPE-1'"),
        "{}",
        text(&out)
    );
    let add = [
        "payables",
        "add",
        "--vendor",
        "Acme Office Supplies Ltd",
        "--email",
        "billing@acme-office.co.uk",
        "--invoice",
        "INV-00123",
        "--amount",
        "5.00",
        "--currency",
        "GBP",
        "--issued",
        "2026-09-01",
        "--due",
        "2026-10-01",
    ];
    let out = duebox(&db, &add);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("already has invoice"), "{}", text(&out));
}

#[test]
fn a_database_from_a_newer_duebox_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("future.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA user_version = 42;").unwrap();
    drop(conn);
    let out = duebox(&db, &["payables", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("newer duebox"), "{}", text(&out));
}

#[test]
fn classify_with_db_fills_match_and_fraud_flags() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("duebox.db");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let csv = corpus.join("payables.csv");
    duebox(&db, &["payables", "import", csv.to_str().unwrap()]);
    let paid = corpus.join("a-024-de-overdue-schaefer.eml");
    let fake = corpus.join("b-030-fraud-lookalike-ruiz.eml");
    let out = duebox(
        &db,
        &[
            "classify",
            "--json",
            paid.to_str().unwrap(),
            fake.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let m = &lines[0]["match"];
    assert_eq!(m["status"], "already_paid");
    assert_eq!(m["invoice"], "RE-2026-117");
    assert_eq!(m["expected_amount"], "1234.56");
    assert_eq!(m["expected_currency"], "EUR");
    assert_eq!(m["paid_on"], "2026-11-02");
    assert_eq!(lines[0]["risk"], serde_json::json!([]));
    let risk = lines[1]["risk"].as_array().unwrap();
    assert!(
        risk.contains(&"lookalike_domain".into()) && risk.contains(&"unknown_sender".into()),
        "{risk:?}"
    );

    // Without --db the same run leaves match null and adds no database flags.
    let out = Command::new(env!("CARGO_BIN_EXE_duebox"))
        .args(["classify", "--json", paid.to_str().unwrap()])
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .unwrap();
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(line["match"].is_null());
}
