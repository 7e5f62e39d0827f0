//! The rules a reply must pass before it is written, as values the CLI and the UI both
//! show: no payment promised for an invoice we paid or dispute, no promise dated in the
//! past, and what each template needs asked (a date, instalments, a note, a reference) with
//! its default. Pure: facts in, a verdict out.

use super::context::Facts;
use super::templates::Template;
use crate::payables::Status;
use chrono::NaiveDate;

/// A value a template needs from the person replying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed {
    /// The payment date promised (`pay_on`).
    PayDate,
    /// How many monthly instalments (`instalments`).
    Instalments,
    /// A note in the reply (`note`).
    Note,
    /// The payment's reference (`payment_reference`).
    Reference,
}

impl Needed {
    /// In words, for "the reply needs ...".
    pub fn words(self) -> &'static str {
        match self {
            Needed::PayDate => "the payment date",
            Needed::Instalments => "the number of instalments",
            Needed::Note => "a note",
            Needed::Reference => "the payment reference",
        }
    }

    /// How the command line gives it.
    pub fn flag(self) -> &'static str {
        match self {
            Needed::PayDate => "--pay-on DATE",
            Needed::Instalments => "--instalments N",
            Needed::Note => "--note TEXT",
            Needed::Reference => {
                "a reference on the payable (`duebox payables mark-paid --reference R`)"
            }
        }
    }

    fn of_variable(name: &str) -> Option<Needed> {
        match name {
            "pay_on" => Some(Needed::PayDate),
            "instalments" => Some(Needed::Instalments),
            "note" => Some(Needed::Note),
            "payment_reference" => Some(Needed::Reference),
            _ => None,
        }
    }
}

/// One value to ask for before a reply is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub needed: Needed,
    /// Without it the template refuses (`Requires:`); otherwise it may be left empty.
    pub required: bool,
    /// What to offer: our scheduled date (when still ahead), the recorded reference.
    pub default: Option<String>,
}

/// Why a reply is refused before it is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("invoice {invoice} is already paid{}: confirm the payment instead (c in the UI, --template confirm_payment on the command line); a {template} reply would promise to pay it again", paid_on.map(|d| format!(" (on {d})")).unwrap_or_default())]
    AlreadyPaid {
        template: String,
        invoice: String,
        paid_on: Option<NaiveDate>,
    },
    #[error("invoice {invoice} is disputed: answer with the dispute instead (d in the UI, --template dispute_amount on the command line), or settle the dispute in the payables first; a {template} reply would promise to pay what we dispute")]
    Disputed { template: String, invoice: String },
    #[error("{date} is in the past (today is {today}): a payment promise needs today or a later date; give another date")]
    PastDate { date: NaiveDate, today: NaiveDate },
    #[error("the {template} reply needs {}: give it at the prompt, or pass {}{}", needed.words(), needed.flag(), if *needed == Needed::PayDate { ", or schedule the payable" } else { "" })]
    Missing { template: String, needed: Needed },
}

/// What `template` asks for, in the order to ask it, with the defaults from our records.
pub fn asks(template: &Template, facts: &Facts<'_>) -> Vec<Ask> {
    let uses = template.variables_used();
    let mut out = Vec::new();
    for needed in [
        Needed::PayDate,
        Needed::Instalments,
        Needed::Note,
        Needed::Reference,
    ] {
        let var = match needed {
            Needed::PayDate => "pay_on",
            Needed::Instalments => "instalments",
            Needed::Note => "note",
            Needed::Reference => "payment_reference",
        };
        let required = template.requires.iter().any(|r| r == var);
        // The reference comes from our record; it is asked only when the template needs it.
        if !(required || needed != Needed::Reference && uses.contains(var)) {
            continue;
        }
        let default = match needed {
            Needed::PayDate => facts
                .scheduled()
                .filter(|d| *d >= facts.today)
                .map(|d| d.to_string()),
            Needed::Reference => facts.records.iter().find_map(|r| r.reference.clone()),
            _ => None,
        };
        out.push(Ask {
            needed,
            required,
            default,
        });
    }
    out
}

/// Checks a reply before it is rendered.
pub fn check(template: &Template, facts: &Facts<'_>) -> Result<(), Refusal> {
    let promises_payment = template.requires.iter().any(|r| r == "pay_on");
    if promises_payment {
        if let Some(p) = facts.records.iter().find(|r| r.status == Status::Paid) {
            return Err(Refusal::AlreadyPaid {
                template: template.name.clone(),
                invoice: p.invoice_number.clone(),
                paid_on: p.paid_on,
            });
        }
        if let Some(p) = facts.records.iter().find(|r| r.status == Status::Disputed) {
            return Err(Refusal::Disputed {
                template: template.name.clone(),
                invoice: p.invoice_number.clone(),
            });
        }
    }
    // A scheduled date that has passed is no promise (see `Facts::pay_on`); a date given
    // by the person replying is refused rather than silently replaced.
    if let Some(date) = facts.asked.pay_on.filter(|d| *d < facts.today) {
        return Err(Refusal::PastDate {
            date,
            today: facts.today,
        });
    }
    for r in &template.requires {
        let Some(needed) = Needed::of_variable(r) else {
            continue;
        };
        let missing = match needed {
            Needed::PayDate => facts.pay_on().is_none(),
            Needed::Instalments => facts.asked.instalments.is_none_or(|n| n < 2),
            Needed::Note => facts
                .asked
                .note
                .as_deref()
                .is_none_or(|n| n.trim().is_empty()),
            Needed::Reference => facts.records.iter().all(|r| r.reference.is_none()),
        };
        if missing {
            return Err(Refusal::Missing {
                template: template.name.clone(),
                needed,
            });
        }
    }
    Ok(())
}
