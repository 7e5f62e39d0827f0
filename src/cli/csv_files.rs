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
