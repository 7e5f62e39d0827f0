//! `payables import` on a generated 100,000-row export, the way the command does it (the
//! file read and checked, then stored in one transaction): a QuickBooks Online A/P Aging
//! Detail report (title rows, ageing buckets, subtotal lines, thousands separators, currency
//! signs), then the same rows again (all unchanged), then a file whose last row is bad
//! (refused, the database untouched), and a 100,000-row duebox CSV.
//! `cargo bench --bench import` (or `cargo test --release --bench import` to build it alone).

use duebox::payables::import::{self, Format, Options};
use duebox::store::Store;
use std::fmt::Write as _;
use std::time::Instant;

const ROWS: usize = 100_000;

fn qbo_export(rows: usize, bad_last: bool) -> String {
    let mut s = String::from(
        "Northwind Traders Ltd\nA/P Aging Detail\n\"As of November 20, 2026\"\n\n\"\",\"Date\",\"Transaction Type\",\"Num\",\"Vendor\",\"Due Date\",\"Past Due\",\"Amount\",\"Open Balance\"\n",
    );
    let buckets = [
        "Current",
        "1 - 30 days past due",
        "31 - 60 days past due",
        "61 - 90 days past due",
        "91 or more days past due",
    ];
    let per = rows / buckets.len();
    let mut n = 0;
    for bucket in buckets {
        let _ = writeln!(s, "\"{bucket}\"");
        for _ in 0..per {
            n += 1;
            let (m, d) = (n % 12 + 1, n % 27 + 1);
            let cents = (n * 7919) % 10_000_000;
            let amount = format!(
                "{},{:03}.{:02}",
                cents / 100_000,
                (cents / 100) % 1000,
                cents % 100
            );
            let date = if bad_last && n == rows {
                "13/45/2026".to_string()
            } else {
                format!("{m:02}/{d:02}/2026")
            };
            let _ = writeln!(
                s,
                "\"\",\"{date}\",\"Bill\",\"INV-{n:07}\",\"Vendor {:04} Ltd\",\"{m:02}/{d:02}/2027\",\"\",\"${amount}\",\"${amount}\"",
                n % 1000
            );
        }
        let _ = writeln!(
            s,
            "\"Total for {bucket}\",\"\",\"\",\"\",\"\",\"\",\"\",\"$1.00\",\"$1.00\""
        );
    }
    s.push_str("\"TOTAL\",\"\",\"\",\"\",\"\",\"\",\"\",\"$1.00\",\"$1.00\"\n");
    s
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let v = f();
    println!("{what:<52} {:>8.2} s", start.elapsed().as_secs_f64());
    v
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("bench.db")).unwrap();
    let opts = Options {
        currency: Some("USD".into()),
        mapping: None,
    };
    let file = qbo_export(ROWS, false);
    println!("{} rows, {} MB", ROWS, file.len() / 1_000_000);
    let whole = Instant::now();
    let imported = timed("read + check (QuickBooks A/P Aging Detail)", || {
        import::read(file.as_bytes(), None, &opts).unwrap()
    });
    assert_eq!(imported.format, Format::QboAging);
    assert_eq!(imported.payables.len(), ROWS);
    let r = timed("store (new database, one transaction)", || {
        store.import_file(&imported).unwrap()
    });
    assert_eq!(r.rows.added, ROWS);
    println!(
        "{:<52} {:>8.2} s",
        "payables import, all 100,000 rows",
        whole.elapsed().as_secs_f64()
    );
    let again = Instant::now();
    let imported = import::read(file.as_bytes(), None, &opts).unwrap();
    let r = store.import_file(&imported).unwrap();
    assert_eq!(r.rows.unchanged, ROWS);
    println!(
        "{:<52} {:>8.2} s",
        "the same file again (all unchanged)",
        again.elapsed().as_secs_f64()
    );
    let bad = qbo_export(ROWS, true);
    let refused = timed("a file with its last row bad (refused)", || {
        import::read(bad.as_bytes(), None, &opts)
    });
    assert!(refused.is_err());
    let mut csv = Vec::new();
    duebox::payables::write_csv(&imported.payables, &mut csv).unwrap();
    let own = timed("read + check (duebox CSV)", || {
        import::read(&csv, None, &opts).unwrap()
    });
    assert_eq!(own.format, Format::Duebox);
}
