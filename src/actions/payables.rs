//! The user's actions on payables (mark paid, schedule, undo), as values, the rules they
//! must pass (refused, or asked first), and the one function that carries each out. The store makes the change and records its event (`payable_paid`,
//! `payable_scheduled`) in one commit; neither front end records a second one.

use crate::payables::{Payable, Status};
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

/// A payment dated further back than this is asked about: a typo in the year or the month
/// (2020 for 2026) is the usual cause, and a wrong paid date misleads every later reply.
pub const PAID_LONG_AGO_DAYS: i64 = 30;

/// Why a change is refused outright, whatever the user confirms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{invoice} is already paid{}: a paid invoice is not scheduled again; if the payment was wrong, mark it paid with the right date (P in the UI, `duebox payables mark-paid` on the command line)", paid_on.map(|d| format!(" (on {d})")).unwrap_or_default())]
    ScheduleWhenPaid {
        invoice: String,
        paid_on: Option<NaiveDate>,
    },
    #[error("{invoice} is disputed: settle the dispute before scheduling its payment (the dispute lives in the payables import)")]
    ScheduleWhenDisputed { invoice: String },
    #[error("{on} is in the future (today is {today}): a payment not made yet is scheduled (S in the UI, `duebox payables schedule` on the command line)")]
    PaidInTheFuture { on: NaiveDate, today: NaiveDate },
}

/// What needs the user's yes before the change is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    /// The invoice is paid already: changing the date rewrites the record of the payment.
    AlreadyPaid {
        invoice: String,
        paid_on: Option<NaiveDate>,
        on: NaiveDate,
    },
    /// A schedule date before today.
    PastSchedule {
        on: NaiveDate,
        today: NaiveDate,
    },
    /// A payment date long ago, or before the invoice was issued.
    PaidLongAgo {
        on: NaiveDate,
        days: i64,
    },
    PaidBeforeIssue {
        on: NaiveDate,
        issued: NaiveDate,
    },
}

impl Confirm {
    /// The question, in words both front ends show.
    pub fn question(&self) -> String {
        match self {
            Confirm::AlreadyPaid {
                invoice,
                paid_on,
                on,
            } => format!(
                "{invoice} is already paid{}; change the payment date to {on}?",
                paid_on.map(|d| format!(" on {d}")).unwrap_or_default()
            ),
            Confirm::PastSchedule { on, today } => {
                format!("{on} is in the past (today is {today}); schedule for it anyway?")
            }
            Confirm::PaidLongAgo { on, days } => {
                format!("{on} is {days} days ago; was it really paid then?")
            }
            Confirm::PaidBeforeIssue { on, issued } => {
                format!(
                    "{on} is before the invoice was issued ({issued}); was it really paid then?"
                )
            }
        }
    }
}

/// Why an action was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error("{}: not changed until confirmed", .0.iter().map(Confirm::question).collect::<Vec<_>>().join(" "))]
    NeedsConfirmation(Vec<Confirm>),
    #[error(transparent)]
    Change(#[from] ChangeError),
}

/// The rules a change to `record` must pass: refused, or the questions to confirm first
/// (none: go ahead). Pure, so the UI asks before it sends anything to the writer.
pub fn review(
    record: &Payable,
    change: &Change,
    today: NaiveDate,
) -> Result<Vec<Confirm>, Refused> {
    let invoice = record.invoice_number.clone();
    let mut asks = Vec::new();
    match change {
        Change::Paid { on, .. } => {
            if *on > today {
                return Err(Refused::PaidInTheFuture { on: *on, today });
            }
            if record.status == Status::Paid {
                asks.push(Confirm::AlreadyPaid {
                    invoice,
                    paid_on: record.paid_on,
                    on: *on,
                });
            }
            let days = (today - *on).num_days();
            if *on < record.issue_date {
                asks.push(Confirm::PaidBeforeIssue {
                    on: *on,
                    issued: record.issue_date,
                });
            } else if days > PAID_LONG_AGO_DAYS {
                asks.push(Confirm::PaidLongAgo { on: *on, days });
            }
        }
        Change::Scheduled { on } => {
            match record.status {
                Status::Paid => {
                    return Err(Refused::ScheduleWhenPaid {
                        invoice,
                        paid_on: record.paid_on,
                    })
                }
                Status::Disputed => return Err(Refused::ScheduleWhenDisputed { invoice }),
                Status::Open | Status::Scheduled => {}
            }
            if *on < today {
                asks.push(Confirm::PastSchedule { on: *on, today });
            }
        }
    }
    Ok(asks)
}

/// A change made: what undo needs to put the payable back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub action: PayableAction,
    /// The payable as it was before.
    pub before: Payable,
}

/// Carries the action out after its rules: the change, its one event and the chasers'
/// checks, in one transaction. `confirmed`: the user said yes to [`review`]'s questions.
pub fn apply(
    store: &mut Store,
    action: &PayableAction,
    today: NaiveDate,
    confirmed: bool,
) -> Result<Done, ActionError> {
    let vendor = action.vendor.as_deref();
    let before = store.payable(&action.invoice, vendor)?;
    let asks = review(&before, &action.change, today)?;
    if !asks.is_empty() && !confirmed {
        return Err(ActionError::NeedsConfirmation(asks));
    }
    // The record found is the one changed, by its own vendor, even when none was given.
    let vendor = Some(before.vendor.as_str());
    match &action.change {
        Change::Paid { on, reference } => {
            store.mark_paid(&action.invoice, vendor, *on, reference.as_deref())?
        }
        Change::Scheduled { on } => store.schedule(&action.invoice, vendor, *on)?,
    }
    Ok(Done {
        action: action.clone(),
        before,
    })
}

/// Takes a change back: the payable as it was, with a `payable_change_undone` event.
pub fn undo(store: &mut Store, done: &Done) -> Result<(), ChangeError> {
    store.restore_payable(&done.before)
}

#[cfg(test)]
mod tests {
    use super::*;
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
            on,
            false,
        )
        .unwrap();
        apply(
            &mut store,
            &PayableAction::mark_paid("inv-1", None, on),
            on,
            false,
        )
        .unwrap();
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
        let e = apply(
            &mut store,
            &PayableAction::mark_paid("NOPE", None, on),
            on,
            false,
        )
        .unwrap_err();
        assert!(
            matches!(e, ActionError::Change(ChangeError::NotFound(_))),
            "{e}"
        );
        assert_eq!(store.events(&Default::default()).unwrap().len(), before);
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn status(store: &Store) -> (Status, Option<NaiveDate>, Option<NaiveDate>) {
        let p = store.payable("INV-1", None).unwrap();
        (p.status, p.paid_on, p.scheduled_on)
    }

    #[test]
    fn paying_a_paid_invoice_again_asks_and_changes_nothing_until_confirmed() {
        let mut store = store_with_one();
        let pay = |d| PayableAction::mark_paid("INV-1", None, day(d));
        apply(&mut store, &pay(10), day(20), false).unwrap();
        let e = apply(&mut store, &pay(15), day(20), false).unwrap_err();
        match &e {
            ActionError::NeedsConfirmation(asks) => assert_eq!(
                asks[0].question(),
                "INV-1 is already paid on 2026-11-10; change the payment date to 2026-11-15?"
            ),
            other => panic!("{other}"),
        }
        assert_eq!(status(&store).1, Some(day(10)));
        apply(&mut store, &pay(15), day(20), true).unwrap();
        assert_eq!(status(&store).1, Some(day(15)));
    }

    #[test]
    fn scheduling_a_paid_or_disputed_invoice_is_refused_with_the_reason() {
        let mut store = store_with_one();
        apply(
            &mut store,
            &PayableAction::mark_paid("INV-1", None, day(10)),
            day(20),
            false,
        )
        .unwrap();
        let e = apply(
            &mut store,
            &PayableAction::schedule("INV-1", None, day(25)),
            day(20),
            true,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("already paid (on 2026-11-10)"),
            "{e}"
        );
        assert_eq!(status(&store).0, Status::Paid, "still paid, not scheduled");
        let mut disputed = store.payable("INV-1", None).unwrap();
        disputed.status = Status::Disputed;
        let e = review(&disputed, &Change::Scheduled { on: day(25) }, day(20)).unwrap_err();
        assert!(e.to_string().contains("is disputed"), "{e}");
    }

    #[test]
    fn past_and_unlikely_dates_ask_and_future_payments_are_refused() {
        let record = store_with_one().payable("INV-1", None).unwrap();
        let asks = |c: Change| review(&record, &c, day(20));
        assert_eq!(
            asks(Change::Scheduled { on: day(19) }).unwrap(),
            [Confirm::PastSchedule {
                on: day(19),
                today: day(20)
            }]
        );
        assert_eq!(asks(Change::Scheduled { on: day(20) }).unwrap(), []);
        let paid = |on| Change::Paid {
            on,
            reference: None,
        };
        let in_2020 = NaiveDate::from_ymd_opt(2020, 11, 10).unwrap();
        assert!(matches!(
            asks(paid(in_2020)).unwrap()[..],
            [Confirm::PaidBeforeIssue { .. }]
        ));
        assert_eq!(asks(paid(day(19))).unwrap(), []);
        assert!(matches!(
            asks(paid(day(21))),
            Err(Refused::PaidInTheFuture { .. })
        ));
    }

    #[test]
    fn undo_puts_the_payable_back_with_one_event() {
        let mut store = store_with_one();
        let done = apply(
            &mut store,
            &PayableAction::mark_paid("INV-1", None, day(10)),
            day(20),
            false,
        )
        .unwrap();
        undo(&mut store, &done).unwrap();
        assert_eq!(status(&store), (Status::Open, None, None));
        let events = store.events(&Default::default()).unwrap();
        assert_eq!(events.last().unwrap().kind, "payable_change_undone");
    }
}
