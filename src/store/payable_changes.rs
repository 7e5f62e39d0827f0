//! One payable read as it stands (for the rules a change must pass) and a change taken back
//! (undo): the status, dates and reference restored as they were, with its event and the
//! chasers' checks in the same commit. No terminal and no network here.

use super::payables::{payable_row, ChangeError, PAYABLE_COLUMNS};
use super::Store;
use crate::payables::Payable;
use rusqlite::params;

impl Store {
    /// The one payable with this invoice number (and vendor, if given), as stored now.
    pub fn payable(&self, invoice: &str, vendor: Option<&str>) -> Result<Payable, ChangeError> {
        let id = self.find_one(invoice, vendor)?;
        Ok(self.conn.query_row(
            &format!(
                "SELECT {PAYABLE_COLUMNS} FROM payables p JOIN vendors v ON v.id = p.vendor_id WHERE p.id = ?1"
            ),
            params![id],
            |r| payable_row(r, 0),
        )?)
    }

    /// Puts a payable's status, payment and schedule back as `before` had them.
    pub fn restore_payable(&mut self, before: &Payable) -> Result<(), ChangeError> {
        let id = self.find_one(&before.invoice_number, Some(&before.vendor))?;
        self.in_batch(|s| -> Result<(), ChangeError> {
            s.conn.execute(
                "UPDATE payables SET status = ?2, paid_on = ?3, reference = ?4, scheduled_on = ?5 WHERE id = ?1",
                params![
                    id,
                    before.status.as_str(),
                    before.paid_on.map(|d| d.to_string()),
                    before.reference,
                    before.scheduled_on.map(|d| d.to_string()),
                ],
            )?;
            s.payable_event(
                id,
                "payable_change_undone",
                &format!("back to {}", before.status.as_str()),
            )?;
            s.recheck_claims(&before.invoice_number)?;
            Ok(())
        })
    }
}
