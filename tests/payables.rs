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
            "--yes",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = duebox(
        &db,
        &[
            "payables",
            "schedule",
            "58812",
            "--on",
            "2026-12-01",
            "--yes",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    // A disputed invoice is not scheduled, whatever --yes says; the reason is given.
    let out = duebox(
        &db,
        &[
            "payables",
            "schedule",
            "FA-2026-0311",
            "--on",
            "2026-12-01",
            "--yes",
        ],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("is disputed"), "{}", text(&out));
    let csv = export(&db);
    assert!(
        csv.contains("INV-00123,1234.56,GBP,2026-09-01,2026-10-01,paid,2026-11-20,BACS 7781"),
        "{csv}"
    );
    assert!(
        csv.contains("58812,4750.00,USD,2026-09-01,2026-10-01,scheduled,,,2026-12-01"),
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

    // `add` checks what an import checks: ISO 4217, credits only negative, due ≥ issued.
    let with = |field: &str, value: &str, extra: &[&'static str]| {
        let mut args: Vec<&str> = add.to_vec();
        let at = args.iter().position(|a| *a == field).unwrap() + 1;
        args[at] = value;
        args[7] = "NEW-1";
        args.extend_from_slice(extra);
        duebox(&db, &args)
    };
    for (field, value, says) in [
        ("--currency", "GPB", "not an ISO 4217 code"),
        ("--amount", "-5", "not marked as a credit note"),
        ("--due", "2026-08-01", "before the issue date"),
    ] {
        let out = with(field, value, &[]);
        assert_eq!(out.status.code(), Some(2), "{field} {value}");
        assert!(text(&out).contains(says), "{field} {value}: {}", text(&out));
        assert!(text(&out).contains("nothing added"), "{}", text(&out));
    }
    let out = with("--amount", "-5", &["--credit"]);
    assert!(out.status.success(), "{}", text(&out));
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

#[test]
fn a_repeated_chaser_shows_the_earlier_chases_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("duebox.db");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let csv = corpus.join("payables.csv");
    duebox(&db, &["payables", "import", csv.to_str().unwrap()]);
    let reminder = corpus.join("a-001-en-reminder-acme.eml");
    let overdue = corpus.join("a-002-en-overdue-acme.eml");
    let run = |files: &[&Path]| -> Vec<serde_json::Value> {
        let mut args = vec!["classify", "--json"];
        args.extend(files.iter().map(|f| f.to_str().unwrap()));
        let out = duebox(&db, &args);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let first = run(&[&reminder]);
    assert_eq!(first[0]["match"]["chased_before"], serde_json::json!([]));
    let second = run(&[&overdue, &reminder]);
    let before = second[0]["match"]["chased_before"].as_array().unwrap();
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0]["stage"], "reminder");
    assert_eq!(before[0]["invoice"], "INV-00123");
    assert!(
        second[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().starts_with("chased before: ")),
        "{:?}",
        second[0]["reasons"]
    );
    // Seeing the reminder again adds nothing: it has no history of its own.
    assert_eq!(second[1]["match"]["chased_before"], serde_json::json!([]));
}

#[test]
fn vendors_import_is_all_or_nothing_and_feeds_bank_checks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("duebox.db");
    let good = dir.path().join("vendors.csv");
    std::fs::write(
        &good,
        "vendor,email,iban,account_number,phone\n\
         Acme Office Supplies Ltd,billing@acme-office.co.uk,GB29NWBK60161331926819,,+44 20 7946 0000\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "vendor,email,iban,account_number,phone\n\
         Other Ltd,ar@other.co.uk,,,\n\
         Broken Ltd,ar@broken.co.uk,GB29NWBK60161331926818,,\n",
    )
    .unwrap();
    let out = duebox(&db, &["vendors", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("line 3"), "{}", text(&out));
    let out = duebox(&db, &["vendors", "list"]);
    assert!(text(&out).contains("no vendors yet"), "{}", text(&out));

    let out = duebox(&db, &["vendors", "import", good.to_str().unwrap()]);
    assert!(text(&out).contains("1 added"), "{}", text(&out));
    let out = duebox(&db, &["vendors", "import", good.to_str().unwrap()]);
    assert!(text(&out).contains("1 unchanged"), "{}", text(&out));

    // A message from Acme's own domain that asks for payment to another IBAN, without a
    // word about a change: the comparison with the known IBAN catches it.
    let msg = dir.path().join("msg.eml");
    std::fs::write(
        &msg,
        "From: Acme Office Supplies <billing@acme-office.co.uk>\nTo: ap@northwind-traders.com\n\
         Subject: Invoice INV-00123 overdue\nDate: Tue, 03 Nov 2026 09:00:00 +0000\n\n\
         Dear customer,\n\nInvoice INV-00123 for GBP 1,234.56 is now overdue. Please pay today to\n\
         IBAN DE89 3704 0044 0532 0130 00.\n\nAcme Office Supplies Ltd\n",
    )
    .unwrap();
    let out = duebox(&db, &["classify", "--json", msg.to_str().unwrap()]);
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["risk"], serde_json::json!(["bank_change"]), "{line}");
    assert!(
        line["reasons"].to_string().contains("ending 6819"),
        "{line}"
    );
}
