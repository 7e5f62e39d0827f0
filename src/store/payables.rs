//! Payables in the database: idempotent import keyed by vendor + normalised invoice number,
//! listing, marking paid, scheduling. Every write is one transaction.

use super::{Store, StoreError};
use crate::classify::extract::normalise_invoice;
use crate::classify::risk::registrable_domain;
use crate::payables::import::{Format, Imported};
use crate::payables::{Payable, Status};
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension, Transaction};
use rust_decimal::Decimal;
use std::str::FromStr;

/// What an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// What importing a file did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub rows: ImportReport,
    /// Vendors whose bank details changed: (vendor, what they were, what they are now).
    pub bank_changes: Vec<(String, String, String)>,
    /// The file's vendors no address is known for (chasers from them cannot be matched).
    pub without_address: Vec<String>,
}

/// Which payables to list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub status: Option<Status>,
    /// Part of the vendor's name, any case.
    pub vendor: Option<String>,
}

/// Why a change to one payable could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("no payable with invoice number '{0}'; check it with `duebox payables list`")]
    NotFound(String),
    #[error("{vendor} already has invoice '{invoice}'; change it with `duebox payables import`")]
    Exists { vendor: String, invoice: String },
    #[error("invoice number '{invoice}' exists for several vendors ({vendors}); add --vendor to say which")]
    Ambiguous { invoice: String, vendors: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ChangeError {
    fn from(e: rusqlite::Error) -> Self {
        ChangeError::Store(StoreError::Sql(e))
    }
}

fn day(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.to_string())
}

fn parse_day(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

/// The columns [`payable_row`] reads, in its order (`p` the payable, `v` its vendor).
pub(super) const PAYABLE_COLUMNS: &str = "v.name, (SELECT email FROM vendor_addresses a WHERE a.vendor_id = v.id ORDER BY rowid LIMIT 1),
                    p.invoice_number, p.amount, p.currency, p.issue_date, p.due_date, p.status, p.paid_on, p.reference, p.scheduled_on";

/// A payable decoded once from [`PAYABLE_COLUMNS`] starting at column `at`. The store wrote
/// every value from a typed `Payable`, so these parses only meet values it wrote.
pub(super) fn payable_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Payable> {
    let amount: String = r.get(at + 3)?;
    let status: String = r.get(at + 7)?;
    Ok(Payable {
        vendor: r.get(at)?,
        vendor_email: r.get::<_, Option<String>>(at + 1)?.unwrap_or_default(),
        invoice_number: r.get(at + 2)?,
        amount: Decimal::from_str(&amount).unwrap_or_default(),
        currency: r.get(at + 4)?,
        issue_date: parse_day(r.get(at + 5)?).unwrap_or_default(),
        due_date: parse_day(r.get(at + 6)?).unwrap_or_default(),
        status: status.parse().unwrap_or(Status::Open),
        paid_on: parse_day(r.get(at + 8)?),
        reference: r.get(at + 9)?,
        scheduled_on: parse_day(r.get(at + 10)?),
    })
}

/// A payable's columns as stored, to tell a re-import of the same row from a change.
#[derive(Debug, PartialEq, Eq)]
struct StoredRow {
    number: String,
    amount: Decimal,
    currency: String,
    issue: String,
    due: String,
    status: String,
    scheduled: Option<String>,
    paid: Option<String>,
    reference: Option<String>,
}

impl StoredRow {
    fn of(p: &Payable) -> StoredRow {
        StoredRow {
            number: p.invoice_number.clone(),
            amount: p.amount,
            currency: p.currency.clone(),
            issue: p.issue_date.to_string(),
            due: p.due_date.to_string(),
            status: p.status.as_str().to_string(),
            scheduled: day(p.scheduled_on),
            paid: day(p.paid_on),
            reference: p.reference.clone(),
        }
    }
}

pub(super) fn vendor_id(tx: &Transaction<'_>, p: &Payable) -> rusqlite::Result<i64> {
    tx.prepare_cached("INSERT OR IGNORE INTO vendors (name) VALUES (?1)")?
        .execute(params![p.vendor])?;
    let id: i64 = tx
        .prepare_cached("SELECT id FROM vendors WHERE name = ?1")?
        .query_row(params![p.vendor], |r| r.get(0))?;
    // Exports from accounting tools rarely carry the vendor's address: the vendor is then
    // matched by name, and its addresses come from `vendors import`.
    if !p.vendor_email.trim().is_empty() {
        add_address(tx, id, &p.vendor_email)?;
    }
    Ok(id)
}

/// Records an address a vendor writes from (with its registrable domain, which identifies
/// the vendor); true when it was new.
pub(super) fn add_address(
    tx: &Transaction<'_>,
    vendor_id: i64,
    email: &str,
) -> rusqlite::Result<bool> {
    let email = email.trim().to_ascii_lowercase();
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
    let added = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO vendor_addresses (vendor_id, email, domain) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![vendor_id, email, registrable_domain(domain)])?;
    Ok(added > 0)
}

impl Store {
    /// Imports payables all at once: added, updated where a field changed, unchanged where
    /// the same row was imported before.
    pub fn import_payables(&mut self, rows: &[Payable]) -> Result<ImportReport, StoreError> {
        let tx = self.conn.transaction()?;
        let report = import_rows(&tx, rows, false)?;
        tx.commit()?;
        self.push_team();
        Ok(report)
    }

    /// Imports what a file holds in one transaction: its payables (from an accounting
    /// export, an open row never reopens what we recorded as paid, scheduled or disputed),
    /// its vendors' bank details (a change is an event in the record). Says which of the
    /// file's vendors have no address yet.
    pub fn import_file(&mut self, file: &Imported) -> Result<FileReport, StoreError> {
        let tx = self.conn.transaction()?;
        let merge = file.format != Format::Duebox;
        let rows = import_rows(&tx, &file.payables, merge)?;
        let bank_changes = super::vendors::record_banks(&tx, &file.banks)?;
        let mut without_address: Vec<String> = Vec::new();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT v.name FROM vendors v WHERE v.name = ?1
                 AND NOT EXISTS (SELECT 1 FROM vendor_addresses a WHERE a.vendor_id = v.id)",
            )?;
            let mut seen = std::collections::HashSet::new();
            for p in &file.payables {
                if seen.insert(p.vendor.to_lowercase()) {
                    if let Some(name) = stmt
                        .query_row(params![p.vendor], |r| r.get::<_, String>(0))
                        .optional()?
                    {
                        without_address.push(name);
                    }
                }
            }
        }
        tx.commit()?;
        self.push_team();
        Ok(FileReport {
            rows,
            bank_changes,
            without_address,
        })
    }

    /// Adds one payable; refuses one that exists already (same vendor and invoice number).
    pub fn add_payable(&mut self, p: &Payable) -> Result<(), ChangeError> {
        let key = normalise_invoice(&p.invoice_number);
        let exists: Option<i64> = self
            .conn
            .query_row(
                "SELECT p.id FROM payables p JOIN vendors v ON v.id = p.vendor_id WHERE v.name = ?1 AND p.invoice_key = ?2",
                params![p.vendor, key],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_some() {
            return Err(ChangeError::Exists {
                vendor: p.vendor.clone(),
                invoice: p.invoice_number.clone(),
            });
        }
        self.import_payables(std::slice::from_ref(p))?;
        Ok(())
    }

    /// Payables matching `filter`, by due date.
    pub fn list_payables(&self, filter: &Filter) -> Result<Vec<Payable>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {PAYABLE_COLUMNS}
             FROM payables p JOIN vendors v ON v.id = p.vendor_id
             WHERE (?1 IS NULL OR p.status = ?1) AND (?2 IS NULL OR v.name LIKE '%' || ?2 || '%')
             ORDER BY p.due_date, v.name, p.invoice_number"
        ))?;
        let rows = stmt.query_map(
            params![filter.status.map(Status::as_str), filter.vendor],
            |r| payable_row(r, 0),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every (vendor name, domain) pair vendors write from.
    pub fn vendor_domains(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT v.name, a.domain FROM vendor_addresses a JOIN vendors v ON v.id = a.vendor_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Payables and vendor domains, indexed for checking a whole mailbox.
    pub fn payables_index(&self) -> Result<crate::payables::validate::PayablesIndex, StoreError> {
        Ok(crate::payables::validate::PayablesIndex::new(
            self.list_payables(&Filter::default())?,
            self.vendor_domains()?,
        )
        .with_banks(self.vendor_banks()?))
    }

    /// The id of the one payable with this invoice number (and vendor, if given).
    pub(super) fn find_one(&self, invoice: &str, vendor: Option<&str>) -> Result<i64, ChangeError> {
        let mut stmt = self.conn.prepare(
            "SELECT p.id, v.name FROM payables p JOIN vendors v ON v.id = p.vendor_id
             WHERE p.invoice_key = ?1 AND (?2 IS NULL OR v.name LIKE '%' || ?2 || '%')",
        )?;
        let found: Vec<(i64, String)> = stmt
            .query_map(params![normalise_invoice(invoice), vendor], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        match found.as_slice() {
            [] => Err(ChangeError::NotFound(invoice.to_string())),
            [(id, _)] => Ok(*id),
            many => Err(ChangeError::Ambiguous {
                invoice: invoice.to_string(),
                vendors: many
                    .iter()
                    .map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    pub(super) fn payable_event(
        &self,
        id: i64,
        kind: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        let (vendor, invoice): (String, String) = self.conn.query_row(
            "SELECT v.name, p.invoice_number FROM payables p JOIN vendors v ON v.id = p.vendor_id WHERE p.id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        super::events::insert(
            &self.conn,
            "user",
            kind,
            None,
            Some(&vendor),
            Some(&invoice),
            detail,
        )?;
        Ok(())
    }

    /// Records that an invoice was paid on `on`, with the payment reference if known.
    pub fn mark_paid(
        &mut self,
        invoice: &str,
        vendor: Option<&str>,
        on: NaiveDate,
        reference: Option<&str>,
    ) -> Result<(), ChangeError> {
        let id = self.find_one(invoice, vendor)?;
        // The change and its event in one commit: the record never misses a change.
        self.in_batch(|s| -> Result<(), ChangeError> {
            s.conn.execute(
                "UPDATE payables SET status = 'paid', paid_on = ?2, reference = COALESCE(?3, reference) WHERE id = ?1",
                params![id, on.to_string(), reference],
            )?;
            let reference = reference
                .map(|r| format!(", reference {r}"))
                .unwrap_or_default();
            s.payable_event(id, "payable_paid", &format!("paid on {on}{reference}"))?;
            // The chasers of this invoice are checked again in the same commit.
            s.recheck_claims(invoice)?;
            Ok(())
        })
    }

    /// Records that an invoice will be paid on `on`.
    pub fn schedule(
        &mut self,
        invoice: &str,
        vendor: Option<&str>,
        on: NaiveDate,
    ) -> Result<(), ChangeError> {
        let id = self.find_one(invoice, vendor)?;
        self.in_batch(|s| -> Result<(), ChangeError> {
            s.conn.execute(
                "UPDATE payables SET status = 'scheduled', scheduled_on = ?2 WHERE id = ?1",
                params![id, on.to_string()],
            )?;
            s.payable_event(
                id,
                "payable_scheduled",
                &format!("payment scheduled for {on}"),
            )?;
            s.recheck_claims(invoice)?;
            Ok(())
        })
    }
}

/// The rows of an import, inside the caller's transaction.
/// With `merge`, an open row keeps the status, dates and reference we recorded (an
/// accounting export lags behind the bank and the clerk).
pub(super) fn import_rows(
    tx: &Transaction<'_>,
    rows: &[Payable],
    merge: bool,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    // A file has many rows per vendor: look each vendor up once.
    let mut vendors: std::collections::HashMap<(String, String), i64> = Default::default();
    for p in rows {
        let known = (p.vendor.clone(), p.vendor_email.to_lowercase());
        let vendor = match vendors.get(&known) {
            Some(&id) => id,
            None => {
                let id = vendor_id(tx, p)?;
                vendors.insert(known, id);
                id
            }
        };
        let key = normalise_invoice(&p.invoice_number);
        let mut values = StoredRow::of(p);
        let existing: Option<(i64, StoredRow)> = tx
            .prepare_cached(
                "SELECT id, invoice_number, amount, currency, issue_date, due_date, status, scheduled_on, paid_on, reference
                 FROM payables WHERE vendor_id = ?1 AND invoice_key = ?2",
            )?
            .query_row(
                params![vendor, key],
                |r| {
                    let amount: String = r.get(2)?;
                    Ok((r.get(0)?, StoredRow {
                        number: r.get(1)?,
                        amount: Decimal::from_str(&amount).unwrap_or_default(),
                        currency: r.get(3)?,
                        issue: r.get(4)?,
                        due: r.get(5)?,
                        status: r.get(6)?,
                        scheduled: r.get(7)?,
                        paid: r.get(8)?,
                        reference: r.get(9)?,
                    }))
                },
            )
            .optional()?;
        match existing {
            None => {
                tx.prepare_cached(
                    "INSERT INTO payables (vendor_id, invoice_number, invoice_key, amount, currency, issue_date, due_date, status, scheduled_on, paid_on, reference)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )?
                .execute(params![vendor, values.number, key, values.amount.to_string(), values.currency, values.issue, values.due, values.status, values.scheduled, values.paid, values.reference],
                )?;
                super::events::insert(
                    tx,
                    "user",
                    "payable_added",
                    None,
                    Some(&p.vendor),
                    Some(&p.invoice_number),
                    &format!(
                        "{} {} due {}, {}",
                        values.amount, values.currency, p.due_date, values.status
                    ),
                )?;
                report.added += 1;
            }
            Some((id, stored)) => {
                if merge && p.status == Status::Open {
                    values.status = stored.status.clone();
                    values.scheduled = stored.scheduled.clone();
                    values.paid = stored.paid.clone();
                    values.reference = stored.reference.clone().or(values.reference);
                }
                if stored == values {
                    report.unchanged += 1;
                } else {
                    tx.prepare_cached(
                        "UPDATE payables SET invoice_number = ?2, amount = ?3, currency = ?4, issue_date = ?5, due_date = ?6,
                         status = ?7, scheduled_on = ?8, paid_on = ?9, reference = ?10 WHERE id = ?1",
                    )?
                    .execute(params![id, values.number, values.amount.to_string(), values.currency, values.issue, values.due, values.status, values.scheduled, values.paid, values.reference],
                    )?;
                    super::events::insert(
                        tx,
                        "user",
                        "payable_changed",
                        None,
                        Some(&p.vendor),
                        Some(&p.invoice_number),
                        &format!(
                            "was {} {} {}; now {} {} {}",
                            stored.amount,
                            stored.currency,
                            stored.status,
                            values.amount,
                            values.currency,
                            values.status
                        ),
                    )?;
                    report.updated += 1;
                }
            }
        }
    }
    Ok(report)
}
