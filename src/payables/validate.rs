//! Checks what a chaser claims against our payables: is the invoice ours, is the amount
//! right, is it already paid or disputed, and does the sender belong to a known vendor. Works
//! on an in-memory index built once from the database, so checking a mailbox costs a hash
//! lookup per invoice. Pure: no database or network here.

use super::bank::{self, KnownBank};
use super::{Payable, Status};
use crate::classify::extract::normalise_invoice;
use crate::classify::risk::{registrable_domain, KnownDomains, Risk};
use crate::classify::{Classification, Kind, Options, Stage};
use crate::mail::Message;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// The verdict on a claim, named as in the JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchStatus {
    Matched,
    AmountMismatch,
    UnknownInvoice,
    Disputed,
    AlreadyPaid,
}

impl MatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchStatus::Matched => "matched",
            MatchStatus::AmountMismatch => "amount_mismatch",
            MatchStatus::UnknownInvoice => "unknown_invoice",
            MatchStatus::Disputed => "disputed",
            MatchStatus::AlreadyPaid => "already_paid",
        }
    }
}

impl MatchStatus {
    pub const ALL: [MatchStatus; 5] = [
        MatchStatus::Matched,
        MatchStatus::AmountMismatch,
        MatchStatus::UnknownInvoice,
        MatchStatus::Disputed,
        MatchStatus::AlreadyPaid,
    ];
}

/// A verdict from its contract code ("amount_mismatch"), as the store keeps it.
impl std::str::FromStr for MatchStatus {
    type Err = String;
    fn from_str(code: &str) -> Result<MatchStatus, String> {
        crate::codes::from_code(
            &MatchStatus::ALL,
            code,
            MatchStatus::as_str,
            "a match status",
        )
    }
}

/// One claimed invoice against our record of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMatch {
    pub invoice: String,
    pub status: MatchStatus,
    /// Our record, when we have one.
    pub record: Option<Payable>,
}

/// The whole claim against our records: the most pressing line decides the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub status: MatchStatus,
    /// The invoice the status is about (the first claimed one when all match).
    pub invoice: String,
    /// What we have on record: the invoice's amount, or the sum of a statement's invoices.
    pub expected: Option<(Decimal, String)>,
    pub paid_on: Option<NaiveDate>,
    pub reference: Option<String>,
    /// Every claimed invoice (one for a single chaser, several for a statement).
    pub lines: Vec<LineMatch>,
}

/// Our payables and vendor domains, indexed for checking many messages.
#[derive(Debug, Default)]
pub struct PayablesIndex {
    by_invoice: HashMap<String, Vec<Payable>>,
    vendor_of_domain: HashMap<String, String>,
    bank_of_vendor: HashMap<String, KnownBank>,
    /// The vendor domains, prepared once for look-alike checks.
    lookalikes: KnownDomains,
}

impl PayablesIndex {
    /// Indexes payables and the (vendor, domain) pairs vendors write from.
    pub fn new(payables: Vec<Payable>, vendor_domains: Vec<(String, String)>) -> PayablesIndex {
        let mut index = PayablesIndex::default();
        for (vendor, domain) in vendor_domains {
            index
                .vendor_of_domain
                .insert(registrable_domain(&domain), vendor);
        }
        for p in payables {
            index
                .by_invoice
                .entry(normalise_invoice(&p.invoice_number))
                .or_default()
                .push(p);
        }
        index.lookalikes = KnownDomains::new(index.vendor_of_domain.keys());
        index
    }

    /// Adds what we know of vendors' bank details, by vendor name.
    pub fn with_banks(mut self, banks: impl IntoIterator<Item = (String, KnownBank)>) -> Self {
        self.bank_of_vendor.extend(banks);
        self
    }

    /// The vendor's known bank details, if any.
    pub fn bank_of(&self, vendor: &str) -> Option<&KnownBank> {
        self.bank_of_vendor.get(vendor)
    }

    /// The known vendor a sender's domain belongs to.
    pub fn vendor_for_domain(&self, domain: &str) -> Option<&str> {
        self.vendor_of_domain
            .get(&registrable_domain(domain))
            .map(String::as_str)
    }

    /// Every registrable domain our vendors write from.
    pub fn known_domains(&self) -> impl Iterator<Item = &str> {
        self.vendor_of_domain.keys().map(String::as_str)
    }

    /// The sender's vendor's record of an invoice (no other vendor's).
    fn vendor_record(&self, domain: &str, invoice: &str) -> Option<&Payable> {
        let vendor = self.vendor_for_domain(domain)?;
        self.by_invoice
            .get(&normalise_invoice(invoice))?
            .iter()
            .find(|p| p.vendor == vendor)
    }

    /// Our record of an invoice, by [`claimed_record`].
    fn record(&self, invoice: &str, vendor: Option<&str>) -> Option<&Payable> {
        let candidates = self.by_invoice.get(&normalise_invoice(invoice))?;
        claimed_record(candidates, |p| Some(p.vendor.as_str()) == vendor)
    }

    /// Checks a chaser's claim. `None` for mail that is not a chaser or names no invoice.
    pub fn check(&self, c: &Classification, sender_domain: Option<&str>) -> Option<Match> {
        if c.kind != Kind::Chaser || c.invoices.is_empty() {
            return None;
        }
        let vendor = sender_domain.and_then(|d| self.vendor_for_domain(d));
        let claimed = c.amount.as_ref();
        let single = c.invoices.len() == 1 && c.stage != Some(Stage::Statement);
        let lines: Vec<LineMatch> = c
            .invoices
            .iter()
            .map(|invoice| {
                let record = self.record(invoice, vendor).cloned();
                let status = match &record {
                    None => MatchStatus::UnknownInvoice,
                    Some(p) if p.status == Status::Paid => MatchStatus::AlreadyPaid,
                    Some(p) if p.status == Status::Disputed => MatchStatus::Disputed,
                    Some(p)
                        if single
                            && claimed.is_some_and(|m| {
                                m.amount != p.amount || m.currency != p.currency
                            }) =>
                    {
                        MatchStatus::AmountMismatch
                    }
                    Some(_) => MatchStatus::Matched,
                };
                LineMatch {
                    invoice: invoice.clone(),
                    status,
                    record,
                }
            })
            .collect();
        let expected = expected_total(&lines);
        let mut status = lines
            .iter()
            .map(|l| l.status)
            .max()
            .unwrap_or(MatchStatus::Matched);
        // A statement's total is checked against the sum of what we owe on the invoices it lists.
        if status == MatchStatus::Matched && !single {
            let records: Vec<&Payable> = lines.iter().filter_map(|l| l.record.as_ref()).collect();
            if let Some(m) = claimed {
                if compare(m.amount, &m.currency, records).difference != Difference::Equal {
                    status = MatchStatus::AmountMismatch;
                }
            }
        }
        let focus = lines
            .iter()
            .find(|l| l.status == status)
            .unwrap_or(&lines[0]);
        let record = focus.record.as_ref();
        Some(Match {
            status,
            invoice: focus.invoice.clone(),
            expected: if single {
                record.map(|p| (p.amount, p.currency.clone()))
            } else {
                expected
            },
            paid_on: record.and_then(|p| p.paid_on),
            reference: record.and_then(|p| p.reference.clone()),
            lines,
        })
    }
}

/// What the classifier may ask of our records: whether a sender is a known vendor, and the
/// state of an invoice it cites (so a known vendor citing an overdue invoice is recognised
/// in any language).
impl crate::classify::Ledger for PayablesIndex {
    fn knows_sender(&self, domain: &str) -> bool {
        self.vendor_for_domain(domain).is_some()
    }

    fn invoice_state(
        &self,
        domain: &str,
        number: &str,
        day: NaiveDate,
    ) -> Option<crate::classify::InvoiceState> {
        use crate::classify::InvoiceState;
        let p = self.vendor_record(domain, number)?;
        Some(match p.status {
            Status::Paid | Status::Scheduled => InvoiceState::Paid,
            _ if p.due_date < day => InvoiceState::Overdue,
            _ => InvoiceState::Open,
        })
    }
}

/// "The" payable a claim of an invoice is about, among ours with that number: one of the
/// sender's vendors' when the sender has one (another vendor's invoice of the same number is
/// not the one claimed), else any vendor's; the first by vendor name among those, so the
/// answer never depends on the order records were loaded in. The one rule for the check,
/// the list's badge and the message's "Our records".
pub fn claimed_record<'a>(
    candidates: impl IntoIterator<Item = &'a Payable>,
    senders: impl Fn(&Payable) -> bool,
) -> Option<&'a Payable> {
    let all: Vec<&Payable> = candidates.into_iter().collect();
    let theirs = all.iter().any(|p| senders(p));
    all.into_iter()
        .filter(|p| !theirs || senders(p))
        .min_by(|a, b| a.vendor.cmp(&b.vendor))
}

/// How a claimed amount differs from what we have on record for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Difference {
    Equal,
    /// Claims more than recorded, by this much.
    More(Decimal),
    /// Claims less than recorded, by this much.
    Less(Decimal),
    /// Some record is in another currency than the claim: no sum to compare with.
    OtherCurrency,
}

/// A claimed amount against the sum of our records for it (one record for a single
/// invoice, several for a statement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub claimed: Decimal,
    pub currency: String,
    pub recorded: Decimal,
    pub difference: Difference,
}

/// Compares a claim with our records of it.
pub fn compare<'a>(
    claimed: Decimal,
    currency: &str,
    records: impl IntoIterator<Item = &'a Payable>,
) -> Comparison {
    let mut recorded = Decimal::ZERO;
    let mut same_currency = true;
    for r in records {
        recorded += r.amount;
        same_currency &= r.currency == currency;
    }
    let difference = if !same_currency {
        Difference::OtherCurrency
    } else if claimed == recorded {
        Difference::Equal
    } else if claimed > recorded {
        Difference::More(claimed - recorded)
    } else {
        Difference::Less(recorded - claimed)
    };
    Comparison {
        claimed,
        currency: currency.to_string(),
        recorded,
        difference,
    }
}

/// Checks a classified message against our records: fills in the fraud warnings that need
/// them (`unknown_sender`, `lookalike_domain`, and `bank_change` when the message gives
/// payment details that are not the vendor's known ones) with their reasons, and returns the
/// claim's match. Mail from our own domains is never an unknown sender.
pub fn apply_records(
    index: &PayablesIndex,
    c: &mut Classification,
    msg: &Message,
    opts: &Options,
) -> Option<Match> {
    let domain = msg.from.as_ref().and_then(|a| a.domain());
    let sender_domain = domain.as_deref();
    let own = sender_domain.is_some_and(|d| opts.is_own_domain(d));
    // The vendor whose bank details apply: the sender's own, or the one it imitates.
    let mut vendor = sender_domain.and_then(|d| index.vendor_for_domain(d));
    if let Some(domain) = sender_domain.filter(|_| !own && vendor.is_none()) {
        if let Some((imitated, how)) = index.lookalikes.imitated_by(domain) {
            vendor = index.vendor_for_domain(&imitated);
            if !c.risk.contains(&Risk::LookalikeDomain) {
                c.risk.push(Risk::LookalikeDomain);
            }
            c.add_fraud_reason(
                Risk::LookalikeDomain,
                format!(
                "FRAUD RISK: the sender's domain {domain} imitates {imitated}, a known vendor's ({how})"
            ));
        }
        c.risk.push(Risk::UnknownSender);
        let claim = if c.invoices.is_empty() {
            ""
        } else {
            " yet claims an invoice"
        };
        c.add_fraud_reason(
            Risk::UnknownSender,
            format!(
                "unknown sender: no vendor in the payables database writes from {}{claim}",
                registrable_domain(domain)
            ),
        );
    }
    if let Some((vendor, known)) = vendor.and_then(|v| Some((v, index.bank_of(v)?))) {
        let found = bank::find_payment_details(&msg.body);
        if let Some(other) = bank::unfamiliar(&found, known).first() {
            if !c.risk.contains(&Risk::BankChange) {
                c.risk.push(Risk::BankChange);
            }
            c.add_fraud_reason(
                Risk::BankChange,
                format!(
                "FRAUD RISK: asks for payment to {other}, but {vendor}'s known bank details are {}",
                known.describe()
            ),
            );
        }
    }
    c.risk.sort();
    let found = index.check(c, sender_domain);
    if let Some(m) = &found {
        c.reasons.push(match m.status {
            MatchStatus::Matched => format!("matches our record of {}", m.invoice),
            MatchStatus::AmountMismatch => format!(
                "claims a different amount than our record{}",
                m.expected
                    .as_ref()
                    .map(|(a, cur)| format!(" ({a} {cur})"))
                    .unwrap_or_default()
            ),
            MatchStatus::UnknownInvoice => format!("invoice {} is not in our payables", m.invoice),
            MatchStatus::AlreadyPaid => format!(
                "{} is already paid{}{}",
                m.invoice,
                m.paid_on.map(|d| format!(" on {d}")).unwrap_or_default(),
                m.reference
                    .as_deref()
                    .map(|r| format!(", reference {r}"))
                    .unwrap_or_default()
            ),
            MatchStatus::Disputed => format!("{} is disputed in our records", m.invoice),
        });
    }
    found
}

/// The sum of the recorded amounts, when every line is known and in one currency.
fn expected_total(lines: &[LineMatch]) -> Option<(Decimal, String)> {
    let records: Vec<&Payable> = lines.iter().filter_map(|l| l.record.as_ref()).collect();
    if records.len() != lines.len() {
        return None;
    }
    let currency = records.first()?.currency.clone();
    if records.iter().any(|p| p.currency != currency) {
        return None;
    }
    Some((records.iter().map(|p| p.amount).sum(), currency))
}
