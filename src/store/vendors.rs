//! Vendors' known details in the database: sending addresses and bank details.

use super::payables::ImportReport;
use super::{Store, StoreError};
use crate::payables::bank::KnownBank;
use crate::payables::import::VendorBank;
use crate::payables::vendors::VendorRecord;
use rusqlite::{params, OptionalExtension, Transaction};

/// A vendor's stored bank details and phone.
type Details = (Option<String>, Option<String>, Option<String>);

/// Bank details as the record shows them.
fn describe(iban: &Option<String>, account: &Option<String>) -> String {
    match (iban, account) {
        (Some(i), Some(a)) => format!("IBAN {i}, account {a}"),
        (Some(i), None) => format!("IBAN {i}"),
        (None, Some(a)) => format!("account {a}"),
        (None, None) => "none".to_string(),
    }
}

fn bank_event(
    tx: &Transaction<'_>,
    vendor: &str,
    before: &str,
    after: &str,
) -> rusqlite::Result<()> {
    super::events::insert(
        tx,
        "user",
        "vendor_bank_changed",
        None,
        Some(vendor),
        None,
        &format!("bank details changed from {before} to {after}; confirm with the vendor by phone before paying"),
    )
}

/// Records vendors' bank details from an import; a change of known details is an event.
/// Returns (vendor, before, after) for each change.
pub(super) fn record_banks(
    tx: &Transaction<'_>,
    banks: &[VendorBank],
) -> Result<Vec<(String, String, String)>, StoreError> {
    let mut changes = Vec::new();
    for b in banks {
        let stored: Option<(i64, Option<String>, Option<String>)> = tx
            .prepare_cached("SELECT id, iban, account_number FROM vendors WHERE name = ?1")?
            .query_row(params![b.vendor], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((id, iban, account)) = stored else {
            continue;
        };
        let new_iban = b.iban.clone().or(iban.clone());
        let new_account = b.account_number.clone().or(account.clone());
        if (new_iban.clone(), new_account.clone()) == (iban.clone(), account.clone()) {
            continue;
        }
        if iban.is_some() || account.is_some() {
            let (before, after) = (describe(&iban, &account), describe(&new_iban, &new_account));
            bank_event(tx, &b.vendor, &before, &after)?;
            changes.push((b.vendor.clone(), before, after));
        }
        tx.prepare_cached("UPDATE vendors SET iban = ?2, account_number = ?3 WHERE id = ?1")?
            .execute(params![id, new_iban, new_account])?;
    }
    Ok(changes)
}

impl Store {
    /// Imports vendor records all at once: a new address is added, changed bank details or
    /// phone updated, the same row again left alone. A vendor's details are the last row's.
    pub fn import_vendors(&mut self, rows: &[VendorRecord]) -> Result<ImportReport, StoreError> {
        let tx = self.conn.transaction()?;
        let mut report = ImportReport::default();
        for v in rows {
            let existing: Option<(i64, Details)> = tx
                .query_row(
                    "SELECT id, iban, account_number, phone FROM vendors WHERE name = ?1",
                    params![v.vendor],
                    |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))),
                )
                .optional()?;
            let details: Details = (v.iban.clone(), v.account_number.clone(), v.phone.clone());
            let (id, changed) = match existing.clone() {
                Some((id, stored)) => (id, stored != details),
                None => {
                    tx.execute("INSERT INTO vendors (name) VALUES (?1)", params![v.vendor])?;
                    (tx.last_insert_rowid(), true)
                }
            };
            if changed {
                if let Some((_, stored)) = &existing {
                    let before = describe(&stored.0, &stored.1);
                    let after = describe(&details.0, &details.1);
                    if (stored.0.is_some() || stored.1.is_some()) && before != after {
                        bank_event(&tx, &v.vendor, &before, &after)?;
                    }
                }
                tx.execute(
                    "UPDATE vendors SET iban = ?2, account_number = ?3, phone = ?4 WHERE id = ?1",
                    params![id, details.0, details.1, details.2],
                )?;
            }
            let added = super::payables::add_address(&tx, id, &v.email)?;
            match (added, changed) {
                (true, _) => report.added += 1,
                (false, true) => report.updated += 1,
                (false, false) => report.unchanged += 1,
            }
        }
        tx.commit()?;
        self.push_team();
        Ok(report)
    }

    /// Every vendor address with the vendor's details, by vendor name.
    pub fn list_vendors(&self) -> Result<Vec<VendorRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT v.name, a.email, v.iban, v.account_number, v.phone
             FROM vendors v JOIN vendor_addresses a ON a.vendor_id = v.id
             ORDER BY v.name, a.email",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(VendorRecord {
                vendor: r.get(0)?,
                email: r.get(1)?,
                iban: r.get(2)?,
                account_number: r.get(3)?,
                phone: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The bank details we know, by vendor name.
    pub fn vendor_banks(&self) -> Result<Vec<(String, KnownBank)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT name, iban, account_number FROM vendors
             WHERE iban IS NOT NULL OR account_number IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        let mut banks = Vec::new();
        for row in rows {
            let (name, iban, acc) = row?;
            if let Some(known) = KnownBank::new(iban.as_deref(), acc.as_deref()) {
                banks.push((name, known));
            }
        }
        Ok(banks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(email: &str, iban: Option<&str>) -> VendorRecord {
        VendorRecord {
            vendor: "Acme Ltd".into(),
            email: email.into(),
            iban: iban.map(str::to_string),
            account_number: None,
            phone: None,
        }
    }

    #[test]
    fn import_is_idempotent_and_updates_details() {
        let mut store = Store::in_memory().unwrap();
        let rows = [
            record("ar@acme.co.uk", Some("GB29NWBK60161331926819")),
            record("billing@mail.acme.co.uk", Some("GB29NWBK60161331926819")),
        ];
        let r = store.import_vendors(&rows).unwrap();
        assert_eq!((r.added, r.updated, r.unchanged), (2, 0, 0));
        let r = store.import_vendors(&rows).unwrap();
        assert_eq!((r.added, r.updated, r.unchanged), (0, 0, 2));
        let r = store
            .import_vendors(&[record("ar@acme.co.uk", Some("DE89370400440532013000"))])
            .unwrap();
        assert_eq!((r.added, r.updated, r.unchanged), (0, 1, 0));
        assert_eq!(store.list_vendors().unwrap().len(), 2);
        let banks = store.vendor_banks().unwrap();
        assert_eq!(banks.len(), 1);
        assert_eq!(banks[0].1.iban.as_deref(), Some("DE89370400440532013000"));
        let index = store.payables_index().unwrap();
        assert_eq!(index.vendor_for_domain("mail.acme.co.uk"), Some("Acme Ltd"));
    }
}
