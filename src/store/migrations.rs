//! The schema, as numbered steps. Step N brings the database to `user_version` N; a step is
//! never edited once released, only followed by another.

use rusqlite::Connection;

const STEPS: &[&str] = &[
    // 1: vendors, the addresses they write from, their payables.
    r"
    CREATE TABLE vendors (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        iban TEXT,
        account_number TEXT,
        phone TEXT
    );
    CREATE TABLE vendor_addresses (
        vendor_id INTEGER NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        email TEXT NOT NULL COLLATE NOCASE,
        domain TEXT NOT NULL COLLATE NOCASE,
        UNIQUE (vendor_id, email)
    );
    CREATE INDEX vendor_addresses_domain ON vendor_addresses(domain);
    CREATE TABLE payables (
        id INTEGER PRIMARY KEY,
        vendor_id INTEGER NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        invoice_number TEXT NOT NULL,
        invoice_key TEXT NOT NULL,
        amount TEXT NOT NULL,
        currency TEXT NOT NULL,
        issue_date TEXT,
        due_date TEXT,
        status TEXT NOT NULL CHECK (status IN ('open', 'scheduled', 'paid', 'disputed')),
        scheduled_on TEXT,
        paid_on TEXT,
        reference TEXT,
        UNIQUE (vendor_id, invoice_key)
    );
    CREATE INDEX payables_invoice_key ON payables(invoice_key);
    ",
];

/// The schema version this build writes.
pub fn latest() -> i64 {
    STEPS.len() as i64
}

/// Applies every step after `from`, each in its own transaction with its version number.
pub fn apply(conn: &mut Connection, from: i64) -> rusqlite::Result<()> {
    for (i, step) in STEPS
        .iter()
        .enumerate()
        .skip(usize::try_from(from).unwrap_or(0))
    {
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
