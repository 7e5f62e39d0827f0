//! `P` and `S` on the payables screen: the rules of `actions::payables::review` applied
//! before anything is written — a paid row asks before its date changes, a paid or disputed
//! row is not scheduled, an unlikely date asks — then the date, the reference, and one
//! effect for the writer (which checks the same rules again). No I/O here.

use crate::actions::payables::{review, Change, Confirm as Ask};
use crate::payables::{Payable, Status};
use crate::tui::effect::Effect;
use crate::tui::state::*;
use crate::tui::strings;
use chrono::{Days, NaiveDate};

/// `P` on the selected row.
pub(super) fn mark_paid(app: &mut App, row: &Payable) {
    let (vendor, invoice) = (row.vendor.clone(), row.invoice_number.clone());
    let date = |confirmed| Prompt {
        label: strings::PROMPT_PAID_ON,
        input: app.today.to_string(),
        purpose: PromptPurpose::MarkPaid {
            vendor: vendor.clone(),
            invoice: invoice.clone(),
            confirmed,
        },
    };
    app.overlay = Some(if row.status == Status::Paid {
        Overlay::Confirm(Confirm {
            question: strings::change_paid_date(&invoice, row.paid_on),
            then: Then::Prompt(date(true)),
        })
    } else {
        Overlay::Prompt(date(false))
    });
}

/// `S` on the selected row: refused at once for a paid or disputed one.
pub(super) fn schedule(app: &mut App, row: &Payable) {
    let on = row
        .scheduled_on
        .filter(|d| *d >= app.today)
        .unwrap_or_else(|| {
            app.today
                .checked_add_days(Days::new(7))
                .unwrap_or(app.today)
        });
    if let Err(refused) = review(row, &Change::Scheduled { on }, app.today) {
        app.status.error = Some(refused.to_string());
        return;
    }
    app.overlay = Some(Overlay::Prompt(Prompt {
        label: strings::PROMPT_SCHEDULE,
        input: on.to_string(),
        purpose: PromptPurpose::Schedule {
            vendor: row.vendor.clone(),
            invoice: row.invoice_number.clone(),
        },
    }));
}

/// The payable a prompt is about, as the screen last loaded it.
fn record<'a>(app: &'a App, vendor: &str, invoice: &str) -> Option<&'a Payable> {
    app.stack.iter().rev().find_map(|s| match s {
        Screen::Payables(p) => p
            .rows
            .iter()
            .find(|r| r.vendor == vendor && r.invoice_number == invoice),
        _ => None,
    })
}

/// The paid date given: next, the payment's reference (the recorded one offered).
pub(super) fn paid_date(
    app: &mut App,
    vendor: &str,
    invoice: &str,
    on: NaiveDate,
    confirmed: bool,
) -> Result<(), String> {
    let Some(row) = record(app, vendor, invoice) else {
        return Err(strings::NO_PAYABLE.into());
    };
    let change = Change::Paid {
        on,
        reference: None,
    };
    // Refused dates stay in the prompt to be corrected.
    review(row, &change, app.today).map_err(|e| e.to_string())?;
    app.overlay = Some(Overlay::Prompt(Prompt {
        label: strings::PROMPT_REFERENCE,
        input: row.reference.clone().unwrap_or_default(),
        purpose: PromptPurpose::PaidReference {
            vendor: vendor.to_string(),
            invoice: invoice.to_string(),
            on,
            confirmed,
        },
    }));
    Ok(())
}

/// The last answer of `P` or `S`: the effect, or first the questions still open.
pub(super) fn finish(
    app: &mut App,
    vendor: &str,
    invoice: &str,
    change: Change,
    already_confirmed: bool,
) -> Vec<Effect> {
    let Some(row) = record(app, vendor, invoice) else {
        app.status.error = Some(strings::NO_PAYABLE.into());
        return Vec::new();
    };
    let asks = match review(row, &change, app.today) {
        Ok(asks) => asks,
        Err(refused) => {
            app.status.error = Some(refused.to_string());
            return Vec::new();
        }
    };
    let open: Vec<&Ask> = asks
        .iter()
        .filter(|a| !(already_confirmed && matches!(a, Ask::AlreadyPaid { .. })))
        .collect();
    let effect = |confirmed| match &change {
        Change::Paid { on, reference } => Effect::MarkPaid {
            vendor: vendor.to_string(),
            invoice: invoice.to_string(),
            on: *on,
            reference: reference.clone(),
            confirmed,
        },
        Change::Scheduled { on } => Effect::Schedule {
            vendor: vendor.to_string(),
            invoice: invoice.to_string(),
            on: *on,
            confirmed,
        },
    };
    if open.is_empty() {
        app.status.busy = Some(strings::SAVING_PAYABLE);
        return vec![effect(already_confirmed)];
    }
    let question = open
        .iter()
        .map(|a| a.question())
        .collect::<Vec<_>>()
        .join(" ");
    app.overlay = Some(Overlay::Confirm(Confirm {
        question,
        then: Then::Effects(vec![effect(true)]),
    }));
    Vec::new()
}
