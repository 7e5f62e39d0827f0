//! Importing and exporting CSV files, the same way for payables and vendors: a file with any
//! bad row is refused whole with each bad line named; an export goes to a file or stdout.

use crate::payables::{CsvError, RowError};
use crate::store::payables::ImportReport;
use crate::store::StoreError;
use anyhow::Context;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Reads `file` with `read` and stores the rows with `import`, printing what changed.
pub(super) fn import<T>(
    file: &Path,
    read: impl FnOnce(File) -> Result<Vec<T>, CsvError>,
    import: impl FnOnce(&[T]) -> Result<ImportReport, StoreError>,
) -> anyhow::Result<ExitCode> {
    let input = File::open(file)
        .with_context(|| format!("cannot read {}: check the path", file.display()))?;
    let rows = match read(input) {
        Ok(rows) => rows,
        Err(CsvError::Rows(bad)) => return Ok(report_bad_rows(file, &bad)),
        Err(e) => return Err(e).with_context(|| format!("cannot import {}", file.display())),
    };
    let report = import(&rows)?;
    println!(
        "imported {}: {} added, {} updated, {} unchanged, 0 rejected",
        file.display(),
        report.added,
        report.updated,
        report.unchanged
    );
    Ok(ExitCode::SUCCESS)
}

/// Tells which rows of a refused CSV are wrong; the exit status for it.
fn report_bad_rows(file: &Path, bad: &[RowError]) -> ExitCode {
    eprintln!(
        "duebox: {} has {} bad row(s); nothing was imported:",
        file.display(),
        bad.len()
    );
    for r in bad {
        eprintln!("  line {}: {}", r.line, r.reason);
    }
    eprintln!("Fix those lines and import again.");
    ExitCode::from(1)
}

/// Writes CSV with `write` to `file` (saying how many `what` went there) or to stdout.
pub(super) fn export(
    file: Option<&Path>,
    count: usize,
    what: &str,
    write: impl FnOnce(&mut dyn Write) -> Result<(), csv::Error>,
) -> anyhow::Result<()> {
    match file {
        Some(path) => {
            let mut out = File::create(path)
                .with_context(|| format!("cannot write {}: check the folder", path.display()))?;
            write(&mut out)?;
            eprintln!("exported {count} {what} to {}", path.display());
        }
        None => write(&mut std::io::stdout().lock())?,
    }
    Ok(())
}

/// Reads an import file in any format and stores it, printing what changed, which vendors
/// have no address yet and every changed bank detail.
pub(super) fn import_file(
    file: &Path,
    format: Option<crate::payables::import::Format>,
    opts: &crate::payables::import::Options,
    store: &mut crate::store::Store,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file)
        .with_context(|| format!("cannot read {}: check the path", file.display()))?;
    let imported = match crate::payables::import::read(&bytes, format, opts) {
        Ok(i) => i,
        Err(CsvError::Rows(bad)) => return Ok(report_bad_rows(file, &bad)),
        Err(e) => return Err(e).with_context(|| format!("cannot import {}", file.display())),
    };
    let report = store.import_file(&imported)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "imported {} ({}): {} added, {} updated, {} unchanged, 0 rejected",
        file.display(),
        imported.format.name(),
        report.rows.added,
        report.rows.updated,
        report.rows.unchanged
    )?;
    for note in &imported.notes {
        writeln!(out, "  {note}")?;
    }
    for (vendor, before, after) in &report.bank_changes {
        writeln!(
        out,
            "  WARNING: {vendor}'s bank details changed from {before} to {after}; confirm with the vendor by phone before paying"
        )?;
    }
    if !report.without_address.is_empty() {
        writeln!(
            out,
            "  no address known for {} vendor(s), so their chasers cannot be matched yet: {}",
            report.without_address.len(),
            report.without_address.join(", ")
        )?;
        writeln!(out, "  add them with `duebox vendors import FILE.csv` (vendor,email,iban,account_number,phone)")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The open chasers as CSV for the accounting team.
pub(super) fn write_chasers(
    rows: &[crate::store::exports::ChaserLine],
    out: &mut dyn Write,
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "received",
        "vendor",
        "from",
        "subject",
        "message_id",
        "stage",
        "invoices",
        "claimed_amount",
        "claimed_currency",
        "recorded_amount",
        "recorded_currency",
        "difference",
        "match",
        "payable_status",
    ])?;
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    for r in rows {
        let difference = match (&r.claimed, &r.recorded) {
            (Some((c, cc)), Some((rec, rc))) if cc == rc => (c - rec).to_string(),
            _ => String::new(),
        };
        w.write_record([
            s(&r.received),
            s(&r.vendor),
            s(&r.from),
            s(&r.subject),
            s(&r.message_id),
            s(&r.stage),
            r.invoices.join(" "),
            r.claimed
                .as_ref()
                .map(|c| c.0.to_string())
                .unwrap_or_default(),
            r.claimed.as_ref().map(|c| c.1.clone()).unwrap_or_default(),
            r.recorded
                .as_ref()
                .map(|c| c.0.to_string())
                .unwrap_or_default(),
            r.recorded.as_ref().map(|c| c.1.clone()).unwrap_or_default(),
            difference,
            s(&r.match_status),
            r.payable_status
                .iter()
                .map(|st| st.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ])?;
    }
    w.flush()?;
    Ok(())
}
