//! The facts a reply is written from (the vendor's message, what we classified and matched,
//! our payables records, who we are) and the template variables made from them. Pure: values
//! in, values out.

use super::format::{self, Locale};
use crate::classify::lang::Lang;
use crate::classify::risk::Risk;
use crate::classify::Classification;
use crate::mail::Message;
use crate::payables::{Payable, Status};
use chrono::{Months, NaiveDate};
use minijinja::Value;
use rust_decimal::Decimal;
use serde::Serialize;

/// Who we are in replies (from the config).
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// Our address, with a display name: `Northwind Accounts <ap@northwind.test>`.
    pub from: String,
    pub company: String,
    pub signature: String,
    /// Where escalations go.
    pub approver: Option<String>,
    /// Our own language (`[company] language`): escalations and other internal mail are
    /// written in it. None is English.
    pub language: Option<Lang>,
    /// Per vendor, the language its replies are written in whatever its messages are in
    /// (`[reply.vendor_languages]`): keyed by the vendor's name, its mail domain or its
    /// address, compared without case.
    pub vendor_languages: Vec<(String, Lang)>,
}

/// What the user adds when asking for a reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    pub pay_on: Option<NaiveDate>,
    pub instalments: Option<u32>,
    pub note: Option<String>,
}

/// Everything a reply is written from.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub message: &'a Message,
    pub classification: &'a Classification,
    /// Our payables records for the invoices the message claims.
    pub records: &'a [Payable],
    pub identity: &'a Identity,
    pub asked: &'a Asked,
    pub today: NaiveDate,
}

#[derive(Debug, Serialize)]
struct Part {
    amount: String,
    date: String,
}

impl Facts<'_> {
    /// The language a reply with `template` should be written in: our own for an
    /// escalation; else the vendor's setting; else the language of its message.
    pub fn reply_language(&self, template: &str) -> Option<Lang> {
        if super::draft::is_escalation(template) {
            return Some(self.identity.language.unwrap_or(Lang::En));
        }
        self.vendor_setting()
            .or(self.classification.lang.map(related_written))
    }

    /// The language set for this vendor in the config, if any.
    fn vendor_setting(&self) -> Option<Lang> {
        let from = self.message.from.as_ref();
        let email = from.map(|a| a.email.to_lowercase());
        let domain = from.and_then(|a| a.domain()).map(|d| d.to_lowercase());
        let registrable = domain
            .as_deref()
            .map(crate::classify::risk::registrable_domain);
        let names: Vec<String> = self
            .classification
            .vendor
            .iter()
            .chain(self.records.iter().map(|r| &r.vendor))
            .map(|n| n.to_lowercase())
            .collect();
        self.identity
            .vendor_languages
            .iter()
            .find(|(key, _)| {
                let key = key.trim().to_lowercase();
                let key = key.trim_start_matches('@');
                Some(key) == email.as_deref()
                    || Some(key) == domain.as_deref()
                    || registrable.as_deref() == Some(key)
                    || names.iter().any(|n| n == key)
            })
            .map(|(_, l)| *l)
    }

    /// How amounts and dates are written for this vendor, in its message's language.
    pub fn locale(&self) -> Locale {
        self.locale_in(self.classification.lang.unwrap_or(Lang::En))
    }

    /// How amounts and dates are written in a letter in `lang`; month first only for an
    /// English letter about dollars.
    pub fn locale_in(&self, lang: Lang) -> Locale {
        let usd = self
            .classification
            .amount
            .as_ref()
            .map(|m| m.currency == "USD")
            .or_else(|| self.records.first().map(|r| r.currency == "USD"))
            .unwrap_or(false);
        Locale {
            lang,
            us: usd && lang == Lang::En,
        }
    }

    /// The sum of our records, when they share one currency.
    pub fn recorded(&self) -> Option<(Decimal, String)> {
        let first = self.records.first()?;
        if self.records.iter().any(|r| r.currency != first.currency) {
            return None;
        }
        Some((
            self.records.iter().map(|r| r.amount).sum(),
            first.currency.clone(),
        ))
    }

    /// The date promised for payment: asked for, else our schedule while it is still ahead
    /// (a schedule that passed unpaid is no date to promise).
    pub fn pay_on(&self) -> Option<NaiveDate> {
        self.asked
            .pay_on
            .or_else(|| self.scheduled().filter(|d| *d >= self.today))
    }

    /// When our payables record schedules payment.
    pub fn scheduled(&self) -> Option<NaiveDate> {
        self.records.iter().find_map(|r| r.scheduled_on)
    }

    fn due_date(&self) -> Option<NaiveDate> {
        self.classification
            .due_date
            .or_else(|| self.records.iter().map(|r| r.due_date).min())
    }

    fn paid(&self) -> Option<&Payable> {
        self.records.iter().find(|r| r.status == Status::Paid)
    }

    /// The template variables, with amounts and dates as the vendor's language writes them.
    pub fn variables(&self) -> Value {
        self.variables_in(self.classification.lang.unwrap_or(Lang::En))
    }

    /// The template variables for a letter written in `lang`: amounts, dates, the stage and
    /// the warnings in that language, so no letter mixes two.
    pub fn variables_in(&self, lang: Lang) -> Value {
        let loc = self.locale_in(lang);
        let c = self.classification;
        let money = |a: Decimal, cur: &str| format::money(a, cur, loc);
        let date = |d: NaiveDate| format::date(d, loc);
        let claimed = c.amount.as_ref();
        let recorded = self.recorded();
        let difference = match (claimed, &recorded) {
            (Some(cl), Some((rec, cur))) if &cl.currency == cur && cl.amount != *rec => {
                Some(money(cl.amount - rec, cur))
            }
            _ => None,
        };
        let due = self.due_date();
        let days_overdue = due.map(|d| (self.today - d).num_days().max(0)).unwrap_or(0);
        let pay_on = self.pay_on();
        // Instalments of what we owe (our record), else of what is claimed.
        let total = recorded
            .clone()
            .or_else(|| claimed.map(|m| (m.amount, m.currency.clone())));
        let instalments: Vec<Part> = match (self.asked.instalments, pay_on, total) {
            (Some(n), Some(start), Some((amount, cur))) if n > 1 => split(amount, &cur, n, start)
                .into_iter()
                .map(|(a, d)| Part {
                    amount: money(a, &cur),
                    date: date(d),
                })
                .collect(),
            _ => Vec::new(),
        };
        let from = self.message.from.as_ref();
        let vendor = c
            .vendor
            .clone()
            .or_else(|| self.records.first().map(|r| r.vendor.clone()))
            .or_else(|| from.and_then(|a| a.domain()))
            .unwrap_or_else(|| "the vendor".into());
        let paid = self.paid();
        minijinja::context! {
            vendor => vendor,
            contact_name => from
                .and_then(|a| contact_name(a.name.as_deref()))
                .filter(|name| !names_the_company(name, &vendor)),
            vendor_email => from.map(|a| a.email.clone()),
            invoices => c.invoices.clone(),
            invoice => (!c.invoices.is_empty()).then(|| c.invoices.join(", ")),
            claimed_amount => claimed.map(|m| money(m.amount, &m.currency)),
            claimed_currency => claimed.map(|m| m.currency.clone()),
            recorded_amount => recorded.as_ref().map(|(a, cur)| money(*a, cur)),
            difference => difference,
            due_date => due.map(date),
            days_overdue => days_overdue,
            scheduled_date => self.scheduled().map(date),
            pay_on => pay_on.map(date),
            instalments => instalments,
            paid_date => paid.and_then(|p| p.paid_on).map(date),
            payment_reference => paid.and_then(|p| p.reference.clone()),
            stage => c.stage.map(|s| s.as_str()),
            stage_name => c.stage.map(|s| super::words::stage(s, lang)),
            subject => self.message.subject.clone(),
            received_date => self.message.date.map(|d| date(d.date_naive())),
            today => date(self.today),
            warnings => c.risk.iter().map(|r| super::words::risk(*r, lang)).collect::<Vec<_>>(),
            note => self.asked.note.clone(),
            approver => self.identity.approver.clone(),
            company => self.identity.company.clone(),
            signature => self.identity.signature.clone(),
            language => loc.lang.code(),
        }
    }
}

/// A language duebox has no built-in letters in, answered in one its writers read in
/// business: Catalan firms correspond in Spanish as a matter of course. (A user's own
/// `NAME.ca.txt` is not looked for then; set the vendor's language to `ca` for it.)
fn related_written(lang: Lang) -> Lang {
    match lang {
        Lang::Ca => Lang::Es,
        other => other,
    }
}

/// A fraud warning in words, for escalations.
pub fn risk_words(r: Risk) -> &'static str {
    match r {
        Risk::BankChange => "asks for payment to bank details that are not the vendor's known ones",
        Risk::LookalikeDomain => "sent from a domain that imitates a known vendor's",
        Risk::ReplyToMismatch => "its Reply-To goes to a different domain than the sender's",
        Risk::UnknownSender => "no vendor in our records writes from this address",
        Risk::AuthFail => "the sender's server failed SPF/DKIM/DMARC checks",
    }
}

/// `n` instalments of `total`, a month apart from `start`; the last takes the rounding.
fn split(total: Decimal, currency: &str, n: u32, start: NaiveDate) -> Vec<(Decimal, NaiveDate)> {
    let mut part = total / Decimal::from(n);
    part = part.round_dp(crate::money::minor_units(currency));
    (0..n)
        .map(|k| {
            let amount = if k + 1 == n {
                total - part * Decimal::from(n - 1)
            } else {
                part
            };
            let date = start.checked_add_months(Months::new(k)).unwrap_or(start);
            (amount, date)
        })
        .collect()
}

/// Whether a display name repeats the vendor's name ("Brennan Logistics AR"): a
/// department's sign-off, not a person.
fn names_the_company(name: &str, vendor: &str) -> bool {
    let vendor = vendor.to_lowercase();
    let vendor_words: Vec<&str> = vendor
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
        .collect();
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w.len() > 2 && vendor_words.contains(&w))
}

/// A display name that is a person's ("Jane Smith"), not a company's or a department's.
pub fn contact_name(display: Option<&str>) -> Option<String> {
    let name = display?.trim().trim_matches('"').trim();
    let words: Vec<&str> = name.split_whitespace().collect();
    if !(2..=3).contains(&words.len()) {
        return None;
    }
    const NOT_A_PERSON: &[&str] = &[
        "ltd",
        "limited",
        "inc",
        "llc",
        "gmbh",
        "ag",
        "sa",
        "sarl",
        "sas",
        "bv",
        "nv",
        "plc",
        "co",
        "corp",
        "accounts",
        "account",
        "billing",
        "invoices",
        "invoicing",
        "finance",
        "credit",
        "control",
        "team",
        "department",
        "receivable",
        "receivables",
        "collections",
        "buchhaltung",
        "comptabilité",
        "service",
        "facturación",
        "administratie",
        "noreply",
        "no-reply",
        "support",
        "office",
        "sales",
        "the",
        "and",
        "&",
    ];
    let person = words.iter().all(|w| {
        let lower = w
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        // All capitals ("AR", "GMBH") are acronyms, not names.
        let acronym = w.chars().filter(|c| c.is_alphabetic()).count() > 1
            && w.chars().all(|c| !c.is_lowercase());
        if acronym {
            return false;
        }
        w.chars().next().is_some_and(char::is_uppercase)
            && w.chars().all(|c| c.is_alphabetic() || "-'.".contains(c))
            && !NOT_A_PERSON.contains(&lower.as_str())
    });
    person.then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn people_not_departments() {
        assert_eq!(
            contact_name(Some("Jane Smith")).as_deref(),
            Some("Jane Smith")
        );
        assert_eq!(
            contact_name(Some("\"Anne-Marie O'Neil\"")).as_deref(),
            Some("Anne-Marie O'Neil")
        );
        assert_eq!(contact_name(Some("Acme Billing")), None);
        assert_eq!(contact_name(Some("Acme Office Supplies Ltd")), None);
        assert_eq!(contact_name(Some("accounts")), None);
        assert_eq!(contact_name(Some("Brennan Logistics AR")), None);
        assert!(names_the_company(
            "Brennan Logistics",
            "Brennan Logistics Inc."
        ));
        assert!(!names_the_company("Jane Smith", "Brennan Logistics Inc."));
        assert_eq!(contact_name(None), None);
    }

    #[test]
    fn instalments_add_up_to_the_total() {
        let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let parts = split(Decimal::from_str("100.00").unwrap(), "GBP", 3, start);
        assert_eq!(parts.len(), 3);
        assert_eq!(
            parts.iter().map(|p| p.0).sum::<Decimal>(),
            Decimal::from_str("100.00").unwrap()
        );
        assert_eq!(parts[0].0, Decimal::from_str("33.33").unwrap());
        assert_eq!(parts[2].0, Decimal::from_str("33.34").unwrap());
        assert_eq!(parts[1].1, NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
    }
}
