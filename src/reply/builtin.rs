//! The built-in reply templates (embedded from `templates/`, in English and six more
//! languages) and the variables every template may use. Tables only.

use crate::classify::lang::Lang;

/// The built-in templates, in the order they are listed.
pub const BUILTIN: [(&str, &str, &str); 6] = [
    (
        "acknowledge",
        "received, being checked",
        include_str!("../../templates/acknowledge.txt"),
    ),
    (
        "set_expectations",
        "we will pay invoice X of amount Y on date Z",
        include_str!("../../templates/set_expectations.txt"),
    ),
    (
        "negotiate",
        "propose a new date or instalments",
        include_str!("../../templates/negotiate.txt"),
    ),
    (
        "confirm_payment",
        "paid on date D with reference R; please confirm receipt",
        include_str!("../../templates/confirm_payment.txt"),
    ),
    (
        "dispute_amount",
        "the amount differs from our records: here is what we have",
        include_str!("../../templates/dispute_amount.txt"),
    ),
    (
        "escalate",
        "forward to the approver with a note",
        include_str!("../../templates/escalate.txt"),
    ),
];

/// The built-in templates written in a language (`NAME.de.txt`), for each built-in name.
macro_rules! in_languages {
    ($($name:literal),*) => {
        &[$(
            ($name, Lang::De, include_str!(concat!("../../templates/", $name, ".de.txt"))),
            ($name, Lang::Fr, include_str!(concat!("../../templates/", $name, ".fr.txt"))),
            ($name, Lang::Es, include_str!(concat!("../../templates/", $name, ".es.txt"))),
            ($name, Lang::Nl, include_str!(concat!("../../templates/", $name, ".nl.txt"))),
            ($name, Lang::It, include_str!(concat!("../../templates/", $name, ".it.txt"))),
            ($name, Lang::Pt, include_str!(concat!("../../templates/", $name, ".pt.txt"))),
        )*]
    };
}

/// The built-ins in the vendors' languages; the English ones are [`BUILTIN`].
pub const BUILTIN_LANGS: &[(&str, Lang, &str)] = in_languages!(
    "acknowledge",
    "set_expectations",
    "negotiate",
    "confirm_payment",
    "dispute_amount",
    "escalate"
);

/// Every variable a template may use, with what it holds (shown by `templates show`).
pub const VARIABLES: &[(&str, &str)] = &[
    ("vendor", "the vendor's name"),
    (
        "contact_name",
        "the person who wrote, when the message names one",
    ),
    ("vendor_email", "the address the reply goes to"),
    ("invoices", "the invoice numbers claimed (a list)"),
    ("invoice", "the invoice numbers joined with commas"),
    (
        "claimed_amount",
        "the amount the vendor asks for, formatted (\"£1,234.56\")",
    ),
    ("claimed_currency", "its ISO currency code (\"GBP\")"),
    (
        "recorded_amount",
        "what our payables record says for those invoices, formatted",
    ),
    (
        "difference",
        "claimed minus recorded, formatted, when both are known and differ",
    ),
    (
        "due_date",
        "the due date (the vendor's, else ours), written out",
    ),
    (
        "days_overdue",
        "days past the due date today (0 when not overdue)",
    ),
    (
        "scheduled_date",
        "when our payables record schedules payment",
    ),
    (
        "pay_on",
        "the payment date promised: --pay-on, else the scheduled date",
    ),
    (
        "instalments",
        "a list of {amount, date} when --instalments N is given",
    ),
    ("paid_date", "when we paid, from the payables record"),
    (
        "payment_reference",
        "the payment's reference, from the payables record",
    ),
    ("stage", "reminder, overdue, final or statement"),
    (
        "stage_name",
        "the stage in the template's language (\"Mahnung\", \"final notice\")",
    ),
    ("subject", "the original message's subject"),
    ("received_date", "when the original was sent"),
    ("today", "today's date, written out"),
    ("warnings", "fraud warnings on the message (a list)"),
    (
        "note",
        "the --note text (escalate, negotiate, dispute_amount)",
    ),
    ("approver", "who escalations go to ([reply] approver)"),
    ("company", "our company ([company] name)"),
    ("signature", "our signature ([reply] signature)"),
    (
        "language",
        "the template's language code (en, de, fr, es, nl, it, pt, ...)",
    ),
];
