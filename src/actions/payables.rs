//! The user's actions on payables (mark paid, schedule), as values, and the one function that
//! carries each out. The store makes the change and records its event (`payable_paid`,
//! `payable_scheduled`) in one commit; neither front end records a second one.

use crate::store::payables::ChangeError;
use crate::store::Store;
use chrono::NaiveDate;

/// What the user did to a payable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Paid {
        on: NaiveDate,
        /// The payment's reference, when the user gave one.
        reference: Option<String>,
    },
    Scheduled {
        on: NaiveDate,
    },
}

/// One action on the payable with this invoice number (of this vendor, when given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayableAction {
    pub invoice: String,
    pub vendor: Option<String>,
    pub change: Change,
}

impl PayableAction {
    pub fn mark_paid(invoice: &str, vendor: Option<&str>, on: NaiveDate) -> PayableAction {
        PayableAction {
            invoice: invoice.to_string(),
            vendor: vendor.map(str::to_string),
            change: Change::Paid {
                on,
                reference: None,
            },
        }
    }

    pub fn schedule(invoice: &str, vendor: Option<&str>, on: NaiveDate) -> PayableAction {
        PayableAction {
            invoice: invoice.to_string(),
            vendor: vendor.map(str::to_string),
            change: Change::Scheduled { on },
        }
    }
}

/// Carries the action out: the change and its one event, in one transaction.
pub fn apply(store: &mut Store, action: &PayableAction) -> Result<(), ChangeError> {
    let vendor = action.vendor.as_deref();
    match &action.change {
        Change::Paid { on, reference } => {
            store.mark_paid(&action.invoice, vendor, *on, reference.as_deref())
        }
        Change::Scheduled { on } => store.schedule(&action.invoice, vendor, *on),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payables::{Payable, Status};
    use rust_decimal::Decimal;

    fn store_with_one() -> Store {
        let mut store = Store::in_memory().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        store
            .add_payable(&Payable {
                vendor: "Acme".into(),
                vendor_email: "billing@acme.test".into(),
                invoice_number: "INV-1".into(),
                amount: Decimal::new(1050, 2),
                currency: "EUR".into(),
                issue_date: day,
                due_date: day,
                status: Status::Open,
                paid_on: None,
                reference: None,
                scheduled_on: None,
            })
            .unwrap();
        store
    }

    #[test]
    fn each_action_changes_the_payable_and_records_one_event() {
        let mut store = store_with_one();
        let on = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let events = |s: &Store| s.events(&Default::default()).unwrap();
        let before = events(&store).len();
        apply(
            &mut store,
            &PayableAction::schedule("INV-1", Some("Acme"), on),
        )
        .unwrap();
        apply(&mut store, &PayableAction::mark_paid("inv-1", None, on)).unwrap();
        let after = events(&store);
        let kinds: Vec<&str> = after[before..].iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["payable_scheduled", "payable_paid"]);
        let p = &store.list_payables(&Default::default()).unwrap()[0];
        assert_eq!((p.status, p.paid_on), (Status::Paid, Some(on)));
    }

    #[test]
    fn an_unknown_invoice_changes_nothing_and_records_nothing() {
        let mut store = store_with_one();
        let on = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let before = store.events(&Default::default()).unwrap().len();
        let e = apply(&mut store, &PayableAction::mark_paid("NOPE", None, on)).unwrap_err();
        assert!(matches!(e, ChangeError::NotFound(_)), "{e}");
        assert_eq!(store.events(&Default::default()).unwrap().len(), before);
    }
}
