//! Imports through the real binary on a temporary database: every preset's fixture (QuickBooks
//! Online, Xero, DATEV, a config mapping) read past its report furniture, idempotent on
//! re-import, a file with bad rows refused whole with the database untouched; bank statements
//! (camt.053/054) matched by invoice number, by amount and creditor, and not at all, a second
//! import changing nothing, a malformed entry refusing the statement; pain.002 rejections
//! reopening what they had paid; the "confirm payment" suggestion for a vendor still chasing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CONFIG: &str = r#"
[company]
name = "Northwind Traders"
domains = ["northwind.example"]
currency = "USD"

[import.mapping]
vendor = "Supplier"
invoice_number = "Inv No"
amount = "Outstanding"
issue_date = "Doc Date"
due_date = "Due Date"
currency = "Curr"
iban = "IBAN"
document_type = "Type"
decimal = ","
"#;

struct Db {
    dir: tempfile::TempDir,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), CONFIG).unwrap();
        Db { dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_duebox"))
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .arg("--db")
            .arg(self.dir.path().join("duebox.db"))
            .args(args)
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .output()
            .expect("the duebox binary runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "duebox {args:?}: {}", text(&out));
        text(&out)
    }

    fn export(&self) -> String {
        self.ok(&["payables", "export"])
    }

    fn write(&self, name: &str, body: &[u8]) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    }
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

fn fixture(name: &str) -> String {
    fixture_path(name).display().to_string()
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/imports")
        .join(name)
}

/// The exported row of an invoice.
fn row<'a>(export: &'a str, invoice: &str) -> &'a str {
    export
        .lines()
        .find(|l| l.contains(&format!(",{invoice},")))
        .unwrap_or_else(|| panic!("{invoice} not exported:\n{export}"))
}

/// Imports a fixture, checks the detected format and counts, and that importing it again
/// changes nothing.
fn import_twice(db: &Db, name: &str, format: &str, added: usize) -> String {
    let out = db.ok(&["payables", "import", &fixture(name)]);
    assert!(
        out.contains(&format!(
            "({format}): {added} added, 0 updated, 0 unchanged"
        )),
        "{out}"
    );
    let before = db.export();
    let again = db.ok(&["payables", "import", &fixture(name)]);
    assert!(
        again.contains(&format!("0 added, 0 updated, {added} unchanged")),
        "{again}"
    );
    assert_eq!(db.export(), before);
    out
}

#[test]
fn quickbooks_aging_detail_and_unpaid_bills() {
    let db = Db::new();
    let out = import_twice(&db, "qbo-ap-aging-detail.csv", "qbo-aging", 5);
    assert!(out.contains("no address known for 4 vendor(s)"), "{out}");
    let e = db.export();
    assert!(
        row(&e, "INV-00123").contains("1234.56,USD,2026-11-05,2026-12-05,open"),
        "{e}"
    );
    assert!(
        row(&e, "CM-0042").contains("-150.00,USD"),
        "the vendor credit: {e}"
    );
    assert!(
        row(&e, "BR-7781").starts_with("\"Brennan Logistics, Inc.\""),
        "{e}"
    );
    assert!(
        row(&e, "4411/B").contains(",1150.00,"),
        "the open balance, not the amount: {e}"
    );
    assert!(!e.contains("Total"), "{e}");
    // Unpaid Bills: the vendor is the group heading.
    import_twice(&db, "qbo-unpaid-bills.csv", "qbo-aging", 3);
    let e = db.export();
    assert!(
        row(&e, "GC-1188")
            .starts_with("Greenfield Catering,,GC-1188,3075.40,USD,2026-10-20,2026-11-19"),
        "{e}"
    );
    assert!(
        row(&e, "INV-00124").starts_with("Acme Office Supplies Ltd,"),
        "{e}"
    );
    // --currency wins over the home currency.
    let db = Db::new();
    db.ok(&[
        "payables",
        "import",
        "--currency",
        "CAD",
        &fixture("qbo-unpaid-bills.csv"),
    ]);
    assert!(row(&db.export(), "GC-1201").contains(",412.00,CAD,"));
}

#[test]
fn xero_aged_payables_and_bills() {
    let db = Db::new();
    import_twice(&db, "xero-aged-payables-detail.csv", "xero-aged", 3);
    let e = db.export();
    assert!(
        row(&e, "INV-00125")
            .starts_with("Acme Office Supplies Ltd,,INV-00125,1000.00,GBP,2026-10-12,2026-11-11"),
        "{e}"
    );
    assert!(row(&e, "KP/2026/0412").contains(",4500.00,PLN,"), "{e}");
    let out = import_twice(&db, "xero-bills.csv", "xero-bills", 3);
    assert!(out.contains("1 paid bill(s) skipped"), "{out}");
    let e = db.export();
    // Two lines of one bill are one payable; its total is the bill's.
    assert!(
        row(&e, "INV-00126")
            .contains("billing@acme-office.co.uk,INV-00126,1440.00,GBP,2026-11-01,2026-12-01,open"),
        "{e}"
    );
    assert!(
        row(&e, "BL-5520").contains("2310.00,USD,2026-10-25,2026-11-24"),
        "{e}"
    );
    assert!(row(&e, "CN-0007").contains(",-120.00,GBP,"), "{e}");
    assert!(!e.contains("BL-5401"), "the paid bill: {e}");
}

#[test]
fn datev_buchungsstapel_open_items() {
    let db = Db::new();
    import_twice(&db, "datev-extf-buchungsstapel.csv", "datev", 5);
    let e = db.export();
    assert!(
        row(&e, "RE-2026-117").starts_with(
            "Schäfer Verpackungen GmbH,,RE-2026-117,1234.56,EUR,2026-10-01,2026-10-15,open"
        ),
        "{e}"
    );
    // Invoice less its part payment; the creditor named by its invoice's text.
    assert!(
        row(&e, "2026-4471")
            .starts_with("Müller & Söhne KG,,2026-4471,3950.00,EUR,2026-10-08,2026-11-07,open"),
        "{e}"
    );
    assert!(
        row(&e, "GS-0815").starts_with("Müller & Söhne KG,,GS-0815,-300.00,EUR"),
        "{e}"
    );
    assert!(
        row(&e, "W-3301").contains("440.00,EUR,2026-10-02,2026-11-02,paid,2026-10-29"),
        "{e}"
    );
    assert!(!e.contains("Umbuchung"), "not a creditor booking: {e}");
}

#[test]
fn mapping_from_the_config_with_bank_details() {
    let db = Db::new();
    import_twice(&db, "mapping-sage-aged-creditors.csv", "mapping", 3);
    let e = db.export();
    assert!(
        row(&e, "AL-2026-0093").contains("3480.00,EUR,2026-10-03,2026-11-02"),
        "{e}"
    );
    assert!(row(&e, "AL-AV-0012").contains("-240.00,EUR"), "{e}");
    assert!(row(&e, "VD 26-1150").contains("12750.50,EUR"), "{e}");
    // A changed IBAN between two imports is a warning and an event in the record.
    db.ok(&["vendors", "import", &db.write("v.csv", "vendor,email,iban,account_number,phone\nAtelier Lumière SAS,compta@atelier-lumiere.fr,FR1420041010050500013M02606,,\n".as_bytes())]);
    let changed = std::fs::read_to_string(fixture_path("mapping-sage-aged-creditors.csv"))
        .unwrap()
        .replace(
            "FR14 2004 1010 0505 0001 3M02 606",
            "DE89 3704 0044 0532 0130 00",
        );
    let out = db.ok(&[
        "payables",
        "import",
        &db.write("changed.csv", changed.as_bytes()),
    ]);
    assert!(out.contains("WARNING: Atelier Lumière SAS's bank details changed from IBAN FR1420041010050500013M02606 to IBAN DE89370400440532013000"), "{out}");
    let log = db.ok(&["log", "--vendor", "Atelier"]);
    assert!(
        log.contains("vendor_bank_changed") || log.contains("bank details changed"),
        "{log}"
    );
    assert!(
        !out.contains("no address known for 2"),
        "Atelier has an address now: {out}"
    );
}

#[test]
fn a_file_with_bad_rows_is_refused_whole_and_the_database_is_untouched() {
    let db = Db::new();
    db.ok(&["payables", "import", &fixture("qbo-unpaid-bills.csv")]);
    let before = db.export();
    let good = std::fs::read_to_string(fixture_path("xero-aged-payables-detail.csv")).unwrap();
    let bad = good
        .replace("\"1,000.00\",GBP", "\"1,000.00\",GPB")
        .replace(
            "30 Sep 2026,KP/2026/0412,30 Oct 2026",
            "30 Sep 2026,KP/2026/0412,30 Aug 2026",
        )
        .replace("\"1,230.00\",PLN\n", "\"-1,230.00\",PLN\n");
    let out = db.run(&["payables", "import", &db.write("bad.csv", bad.as_bytes())]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("line 8: currency 'GPB' is not an ISO 4217 code"),
        "{t}"
    );
    assert!(
        t.contains("line 11: the due date 2026-08-30 is before the issue date 2026-09-30"),
        "{t}"
    );
    assert!(
        t.contains(
            "line 12: amount -1230.00 is negative but the row is not marked as a credit note"
        ),
        "{t}"
    );
    assert_eq!(db.export(), before);
    // The same checks in duebox's own format.
    let out = db.run(&["payables", "import", &db.write("own.csv", b"vendor,vendor_email,invoice_number,amount,currency,issue_date,due_date,status,paid_on,reference\nA,a@a.example,1,10.00,GPB,2026-01-01,2026-02-01,open,,\nA,a@a.example,2,-10.00,EUR,2026-01-01,2026-02-01,open,,\nA,a@a.example,3,10.00,EUR,2026-03-01,2026-02-01,open,,\n")]);
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    assert!(
        t.contains("line 2: currency 'GPB'")
            && t.contains("line 3: amount -10.00 is negative")
            && t.contains("line 4: the due date"),
        "{t}"
    );
    assert_eq!(db.export(), before);
    // A file with no currency and no default says what to do.
    std::fs::write(db.dir.path().join("config.toml"), "").unwrap();
    let out = db.run(&[
        "payables",
        "import",
        &fixture("datev-extf-buchungsstapel.csv"),
    ]);
    assert!(
        out.status.success(),
        "DATEV names its currency: {}",
        text(&out)
    );
    let out = db.run(&["payables", "import", &fixture("qbo-ap-aging-detail.csv")]);
    assert!(
        text(&out).contains("pass --currency CODE"),
        "{}",
        text(&out)
    );
}

/// A database with the payables the statements pay.
fn seeded() -> Db {
    let db = Db::new();
    db.ok(&[
        "payables",
        "import",
        &fixture("datev-extf-buchungsstapel.csv"),
    ]);
    db.ok(&[
        "payables",
        "import",
        &fixture("mapping-sage-aged-creditors.csv"),
    ]);
    db
}

#[test]
fn a_statement_pays_by_invoice_number_by_amount_and_creditor_and_lists_the_rest() {
    let db = seeded();
    let out = db.ok(&["bank", "import", &fixture("camt053-statement.xml")]);
    assert!(
        out.contains("3 paid, 2 not matched, 1 incoming, 0 already imported"),
        "{out}"
    );
    assert!(
        out.contains("RE-2026-117") && out.contains("reference 2026111900041 (by invoice number)"),
        "{out}"
    );
    assert!(
        out.contains("B-99120") && out.contains("(by amount and creditor)"),
        "{out}"
    );
    assert!(
        out.contains("NOT MATCHED entry 3 (2026111900043): 3130.00 EUR to Atelier Lumiere SAS"),
        "a part payment: {out}"
    );
    assert!(
        out.contains("NOT MATCHED entry 4 (2026111900044): 77.70 EUR to Streamly Abo GmbH"),
        "{out}"
    );
    let e = db.export();
    assert!(
        row(&e, "RE-2026-117").contains(",paid,2026-11-19,2026111900041"),
        "{e}"
    );
    assert!(
        row(&e, "B-99120").contains(",paid,2026-11-19,2026111900042"),
        "{e}"
    );
    assert!(
        row(&e, "2026-4471").contains(",paid,2026-11-19,2026111900043"),
        "from Strd: {e}"
    );
    assert!(row(&e, "AL-2026-0093").contains(",open,"), "{e}");
    let log = db.ok(&["log", "--invoice", "RE-2026-117"]);
    assert_eq!(
        log.matches("paid on 2026-11-19").count(),
        1,
        "one event: {log}"
    );

    // The same statement again changes nothing.
    let again = db.ok(&["bank", "import", &fixture("camt053-statement.xml")]);
    assert!(
        again.contains("0 paid, 0 not matched, 0 incoming, 6 already imported"),
        "{again}"
    );
    assert_eq!(db.export(), e);
    assert_eq!(db.ok(&["log", "--invoice", "RE-2026-117"]), log);

    // A notification (camt.054, version .08 wrappers) pays by the number in Ustrd.
    let out = db.ok(&["bank", "import", &fixture("camt054-notification.xml")]);
    assert!(
        out.contains("1 paid") && out.contains("VD 26-1150"),
        "{out}"
    );

    // pain.002: the bank rejected the payment of RE-2026-117, which is open again.
    let out = db.ok(&["bank", "import", &fixture("pain002-rejected.xml")]);
    assert!(
        out.contains("FLAGGED Schäfer Verpackungen GmbH RE-2026-117") && out.contains("AC04"),
        "{out}"
    );
    assert!(
        out.contains("rejected NW-PAY-2026-1193 640.00 EUR to Greenfield Catering"),
        "{out}"
    );
    assert!(
        !out.contains("NW-PAY-2026-1188"),
        "an accepted payment is not a rejection: {out}"
    );
    assert!(
        row(&db.export(), "RE-2026-117").contains(",open,"),
        "{}",
        db.export()
    );
    let again = db.ok(&["bank", "import", &fixture("pain002-rejected.xml")]);
    assert!(again.contains("1 already applied"), "{again}");
    assert!(
        db.ok(&["log", "--invoice", "RE-2026-117"])
            .contains("payment_rejected")
            || db
                .ok(&["log", "--invoice", "RE-2026-117"])
                .contains("the bank rejected")
    );
}

#[test]
fn a_statement_with_a_malformed_entry_is_refused_with_the_entry_named() {
    let db = seeded();
    let before = db.export();
    let out = db.run(&["bank", "import", &fixture("camt053-malformed.xml")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("entry 2 (2026111900042): CdtDbtInd 'DEBIT' is neither DBIT nor CRDT"),
        "{t}"
    );
    assert!(
        t.contains("entry 4 (2026111900044): amount '77,70' is not a decimal"),
        "{t}"
    );
    assert!(t.contains("nothing was imported"), "{t}");
    assert_eq!(db.export(), before);
    // Nothing was recorded either: the good statement still pays everything it did.
    let out = db.ok(&["bank", "import", &fixture("camt053-statement.xml")]);
    assert!(out.contains("3 paid"), "{out}");
    let out = db.run(&[
        "bank",
        "import",
        &db.write("x.xml", b"<Document><Foo/></Document>"),
    ]);
    assert!(
        text(&out).contains("neither a camt.053 statement"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_vendor_still_chasing_a_paid_invoice_gets_confirm_payment_suggested() {
    let db = seeded();
    db.ok(&["vendors", "import", &db.write("v.csv", "vendor,email,iban,account_number,phone\nSchäfer Verpackungen GmbH,buchhaltung@schaefer-verpackungen.de,,,\n".as_bytes())]);
    let eml = "From: Schäfer Buchhaltung <buchhaltung@schaefer-verpackungen.de>\r\nTo: ap@northwind.example\r\nSubject: Zahlungserinnerung Rechnung RE-2026-117\r\nMessage-ID: <chase-117@schaefer-verpackungen.de>\r\nDate: Tue, 17 Nov 2026 09:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSehr geehrte Damen und Herren,\r\n\r\nleider konnten wir zu unserer Rechnung Nr. RE-2026-117 vom 01.10.2026 über 1.234,56 EUR noch keinen Zahlungseingang feststellen. Die Rechnung war am 15.10.2026 fällig. Wir bitten Sie, den Betrag umgehend zu überweisen.\r\n\r\nMit freundlichen Grüßen\r\nSchäfer Verpackungen GmbH\r\n";
    let path = db.write("chase.eml", eml.as_bytes());
    let out = db.ok(&[
        "classify",
        "--json",
        "--db",
        &db.dir.path().join("duebox.db").display().to_string(),
        &path,
    ]);
    assert!(out.contains("\"kind\":\"chaser\""), "{out}");
    let out = db.ok(&["bank", "import", &fixture("camt053-statement.xml")]);
    assert!(
        out.contains("Schäfer Verpackungen GmbH is still chasing RE-2026-117 (paid 2026-11-19, reference 2026111900041): `duebox reply 'chase-117@schaefer-verpackungen.de' --template confirm_payment`"),
        "{out}"
    );
}

#[test]
fn payables_due_lists_what_falls_due_and_is_not_scheduled() {
    let db = seeded();
    let out = db.ok(&["payables", "due", "--within", "5d", "--today", "2026-11-01"]);
    assert!(
        out.contains("RE-2026-117") && out.contains("17 days overdue"),
        "{out}"
    );
    assert!(
        out.contains("B-99120") && out.contains("due in 3 days"),
        "{out}"
    );
    assert!(
        out.contains("AL-2026-0093") && out.contains("due tomorrow"),
        "{out}"
    );
    assert!(!out.contains("2026-4471"), "due on 11-07, outside: {out}");
    assert!(!out.contains("W-3301"), "paid: {out}");
    assert!(
        !out.contains("GS-0815") && !out.contains("AL-AV-0012"),
        "credit notes: {out}"
    );
    db.ok(&[
        "payables",
        "schedule",
        "B-99120",
        "--on",
        "2026-11-03",
        "--yes",
    ]);
    let out = db.ok(&["payables", "due", "--within", "5", "--today", "2026-11-01"]);
    assert!(!out.contains("B-99120"), "scheduled: {out}");
}
