//! Recognises invoice chasers and what they claim: kind, stage, invoices, amount, due date,
//! vendor, fraud warnings, and the reasons for each decision. Takes a parsed message and
//! options; returns values. No I/O here.

pub mod extract;
pub mod features;
pub mod fingerprint;
pub mod lang;
pub mod quote;
pub mod risk;
pub mod score;
pub mod signals;
pub mod table;
pub mod vendor;
pub mod zones;

use crate::dates::DayOrder;
use crate::mail::{self, MailError, Message};
use crate::money::Money;
use chrono::NaiveDate;
use features::{Evidence, Meaning};
pub use features::{InvoiceState, Ledger, NoLedger};
use lang::Lang;
use risk::Risk;
use score::Class;
use serde::Serialize;
use signals::Signal;

/// Chaser or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Chaser,
    Other,
}

/// How far along the chase is (definitions in the JSON contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Reminder,
    Overdue,
    Final,
    Statement,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Reminder => "reminder",
            Stage::Overdue => "overdue",
            Stage::Final => "final",
            Stage::Statement => "statement",
        }
    }
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Reminder,
        Stage::Overdue,
        Stage::Final,
        Stage::Statement,
    ];
}

/// A stage from its contract code ("overdue"), as the store keeps it.
impl std::str::FromStr for Stage {
    type Err = String;
    fn from_str(code: &str) -> Result<Stage, String> {
        crate::codes::from_code(&Stage::ALL, code, Stage::as_str, "a chase stage")
    }
}

/// What duebox knows about us, the receiving company.
#[derive(Debug, Clone)]
pub struct Options {
    /// Our own mail domains: chasers sent from them are ours, not a vendor's.
    pub own_domains: Vec<String>,
    /// Our company's names, so our signature in a quoted reply is not taken for the vendor.
    pub own_names: Vec<String>,
    /// Today, for dates written without a year when the message has no Date header.
    pub today: NaiveDate,
}

impl Options {
    /// Whether `domain` (or a subdomain of it) is one of ours.
    pub fn is_own_domain(&self, domain: &str) -> bool {
        let reg = risk::registrable_domain(domain);
        self.own_domains
            .iter()
            .any(|o| risk::registrable_domain(o) == reg)
    }
}

/// The verdict on one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub kind: Kind,
    pub stage: Option<Stage>,
    pub invoices: Vec<String>,
    pub amount: Option<Money>,
    pub due_date: Option<NaiveDate>,
    pub vendor: Option<String>,
    pub risk: Vec<Risk>,
    pub reasons: Vec<String>,
    /// The reasons that support a fraud warning, each also among `reasons` (which keeps
    /// the order the decision was made in).
    pub fraud_reasons: Vec<risk::FraudReason>,
    /// The language of the message's new text (replies answer in it); `None` when it is
    /// none of those duebox reads.
    pub lang: Option<Lang>,
}

/// Parses and classifies raw message bytes.
pub fn classify_bytes(raw: &[u8], opts: &Options) -> Result<(Message, Classification), MailError> {
    classify_bytes_with(raw, opts, &NoLedger)
}

/// Parses and classifies raw message bytes, with what the payables database knows.
pub fn classify_bytes_with(
    raw: &[u8],
    opts: &Options,
    ledger: &dyn Ledger,
) -> Result<(Message, Classification), MailError> {
    let msg = mail::parse(raw)?;
    let c = classify_with(&msg, opts, ledger);
    Ok((msg, c))
}

/// Classifies a parsed message.
pub fn classify(msg: &Message, opts: &Options) -> Classification {
    classify_with(msg, opts, &NoLedger)
}

/// A chaser is called one when its probability is at least this.
const CHASER_AT: f32 = 0.5;
/// Reasons listed per decision.
const MAX_REASONS: usize = 6;

/// Classifies a parsed message, with what the payables database knows of its sender and the
/// invoices it cites (pure: the caller asks the database, see [`Ledger`]).
pub fn classify_with(msg: &Message, opts: &Options, ledger: &dyn Ledger) -> Classification {
    let ev = features::read(msg, opts, ledger);
    let table = &*score::TABLE;
    let scores = score::score(&ev, table);
    let reference = ev.reference;
    let mut reasons = Vec::new();
    let mut fraud_reasons = Vec::new();

    let sender_domain = msg.from.as_ref().and_then(mail::Address::domain);
    let own = sender_domain.as_deref().filter(|d| opts.is_own_domain(d));
    let stage_class = scores.best(Class::is_chaser);
    let other_class = scores.best(|c| !c.is_chaser());
    let p_chaser = scores.chaser();
    let mut kind = Kind::Other;
    if let Some(d) = own {
        // Definitional, not evidence: what we send is never a vendor's chaser.
        reasons.push(format!(
            "sent from our own domain {d}: not a vendor's chaser"
        ));
    } else if p_chaser >= CHASER_AT {
        kind = Kind::Chaser;
        for (line, risk) in explain(&ev, table, stage_class, other_class) {
            note(&mut reasons, &mut fraud_reasons, risk, line);
        }
        reasons.push(format!(
            "scored {} ({:.0}% chaser; next best: {}, {:.0}%)",
            stage_class.described(),
            100.0 * p_chaser,
            other_class.described(),
            100.0 * scores.prob(other_class)
        ));
    } else {
        let why = explain(&ev, table, other_class, stage_class);
        if why.is_empty() {
            reasons.push("no chaser wording found".to_string());
        }
        for (line, risk) in why {
            note(&mut reasons, &mut fraud_reasons, risk, line);
        }
        reasons.push(format!(
            "scored {} ({:.0}% chaser at most)",
            other_class.described(),
            100.0 * p_chaser
        ));
    }

    // Claims are read from chasers only: nothing else has a claim to validate.
    let (mut invoices, mut amount, mut due_date, mut stage) = (Vec::new(), None, None, None);
    let mut vendor_name = None;
    if kind == Kind::Chaser {
        vendor_name = vendor::vendor_name(msg.from.as_ref(), &ev.new_text, &opts.own_names);
        // The evidence read the claims of the subject and the body (the new text without its
        // footer) already; the footer, the quoted history and the attachment are read only
        // for what those lack, in that order, as far as `CLAIMS_HEAD` each.
        let footer = features::prefix(&ev.footer, features::CLAIMS_HEAD);
        let quoted = features::prefix(&ev.quoted, features::CLAIMS_HEAD);
        let attachment = features::prefix(&msg.attachment_text, features::CLAIMS_HEAD);
        invoices = ev.invoices.clone();
        if !footer.trim().is_empty() {
            for id in extract::invoices(footer) {
                push_unique(&mut invoices, id);
            }
        }
        if invoices.is_empty() {
            invoices = extract::invoices(quoted);
        }
        if invoices.is_empty() {
            invoices = extract::invoices(attachment);
        }
        let picked = match stage_class {
            Class::Final => Stage::Final,
            Class::Statement => Stage::Statement,
            Class::Overdue => Stage::Overdue,
            _ => Stage::Reminder,
        };
        // The same locale as the evidence was read in (same language, sender and new text).
        let locale = extract::Locale::for_lang(ev.claims_lang, sender_domain.as_deref());
        amount = ev
            .amount
            .clone()
            .or_else(|| extract::amount_in(&[footer, quoted, attachment], &locale));
        let found = ev.due_found.clone().or_else(|| {
            let rest =
                |texts: &[&str]| extract::due_candidates(texts, ev.order, reference, &locale);
            rest(&[footer])
                .or_else(|| {
                    ev.quoted_due_found
                        .clone()
                        .unwrap_or_else(|| rest(&[quoted]))
                })
                .or_else(|| rest(&[attachment]))
        });
        due_date = found.and_then(|c| c.pick(picked == Stage::Statement));
        // The subject is the letter's own title: a vendor who calls it overdue or a final
        // notice there is not sending a pre-due reminder, whatever the body's filler scores.
        let titled = subject_stage(&ev.hits);
        let picked = match (picked, titled) {
            (Stage::Reminder | Stage::Overdue, Some(Stage::Final))
            | (Stage::Reminder, Some(Stage::Overdue)) => {
                let titled = titled.unwrap_or(picked);
                reasons.push(match titled {
                    Stage::Final => "the subject calls it a final notice".to_string(),
                    _ => "the subject calls it overdue".to_string(),
                });
                titled
            }
            _ => picked,
        };
        stage = Some(match (picked, due_date) {
            (Stage::Reminder, Some(due)) if due < reference => {
                reasons.push(format!(
                    "due date {due} had passed when it was sent ({reference})"
                ));
                Stage::Overdue
            }
            (picked, _) => picked,
        });
    }

    let mut risks = Vec::new();
    // A vendor warning its customers about fake "new bank details" letters uses the same
    // words; the comparison with the known IBAN (with --db) still catches a fraudster who
    // borrows the reassurance.
    // Only the letter's own words reassure: a footer's standing "we will never change our
    // bank details by e-mail" is boilerplate that a fraudster's copy keeps too.
    if own.is_none() && scores.bank >= 0.5 && !ev.has(features::structural("bank_reassure")) {
        risks.push(Risk::BankChange);
        let evidence: Vec<String> = score::bank_contributions(&ev, table)
            .iter()
            .filter_map(|(f, _)| match ev.meaning(*f)? {
                Meaning::Wording(_, h) if h.signal == Signal::BankChange => {
                    Some(format!("\"{}\"", h.snippet))
                }
                _ => None,
            })
            .take(2)
            .collect();
        let line = if evidence.is_empty() {
            "FRAUD RISK: asks to pay to new bank details".to_string()
        } else {
            format!(
                "FRAUD RISK: asks to pay to new bank details ({})",
                evidence.join(", ")
            )
        };
        note(
            &mut reasons,
            &mut fraud_reasons,
            Some(Risk::BankChange),
            line,
        );
    }
    if let Some(why) = risk::reply_to_mismatch(msg) {
        risks.push(Risk::ReplyToMismatch);
        let line = format!("FRAUD RISK: {why}");
        note(
            &mut reasons,
            &mut fraud_reasons,
            Some(Risk::ReplyToMismatch),
            line,
        );
    }
    if let Some(why) = risk::auth_fail(msg) {
        risks.push(Risk::AuthFail);
        let line = format!("FRAUD RISK: {why}");
        note(&mut reasons, &mut fraud_reasons, Some(Risk::AuthFail), line);
    }
    let brand = sender_domain
        .as_deref()
        .filter(|d| !opts.is_own_domain(d))
        .and_then(risk::brand_lookalike);
    if let Some((brand, how)) = brand {
        risks.push(Risk::LookalikeDomain);
        let line =
            format!("FRAUD RISK: the sender's domain imitates {brand}, a well-known brand ({how})");
        note(
            &mut reasons,
            &mut fraud_reasons,
            Some(Risk::LookalikeDomain),
            line,
        );
    }
    risks.sort();

    Classification {
        kind,
        stage,
        invoices,
        amount,
        due_date,
        vendor: vendor_name,
        risk: risks,
        reasons,
        fraud_reasons,
        lang: ev.lang,
    }
}

/// Adds a reason, and when it supports a fraud warning, records which one.
fn note(
    reasons: &mut Vec<String>,
    fraud: &mut Vec<risk::FraudReason>,
    risk: Option<Risk>,
    line: String,
) {
    if let Some(risk) = risk {
        fraud.push(risk::FraudReason {
            risk,
            detail: line.clone(),
        });
    }
    reasons.push(line);
}

impl Classification {
    /// Adds a reason that supports the fraud warning `risk`.
    pub fn add_fraud_reason(&mut self, risk: Risk, detail: String) {
        note(
            &mut self.reasons,
            &mut self.fraud_reasons,
            Some(risk),
            detail,
        );
    }
}

/// The evidence that made `winner` beat `loser`, strongest first, one line per piece of
/// wording (a rule and the zone feature it also fired are one piece of evidence), each with
/// the fraud warning it is evidence of (bank-change wording, payment details given).
fn explain(
    ev: &Evidence,
    table: &score::Table,
    winner: Class,
    loser: Class,
) -> Vec<(String, Option<Risk>)> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (f, _) in score::contributions(ev, table, winner, loser) {
        let line = match ev.meaning(f) {
            Some(Meaning::Wording(zone, h)) => {
                let key = h.snippet.to_lowercase();
                if seen
                    .iter()
                    .any(|s| s.contains(&key) || key.contains(s.as_str()))
                {
                    continue;
                }
                seen.push(key);
                let place = zone.described();
                let risk = (h.signal == Signal::BankChange).then_some(Risk::BankChange);
                if place.is_empty() {
                    (format!("{}: \"{}\"", h.signal.label(), h.snippet), risk)
                } else {
                    (
                        format!("{} {place}: \"{}\"", h.signal.label(), h.snippet),
                        risk,
                    )
                }
            }
            Some(Meaning::Fact(words)) if words != "prior" => {
                // Payment details and bank wording are what a bank-change fraud rests on.
                let bank =
                    ["s:payment_details", "s:bank_wording"].contains(&features::NAMES[f].as_str());
                (words.to_string(), bank.then_some(Risk::BankChange))
            }
            _ => continue,
        };
        out.push(line);
        if out.len() >= MAX_REASONS {
            break;
        }
    }
    out
}

fn push_unique(list: &mut Vec<String>, id: String) {
    let n = extract::normalise_invoice(&id);
    if !list.iter().any(|x| extract::normalise_invoice(x) == n) {
        list.push(id);
    }
}

/// Whether 10/01/2026 means 10 January or October 1 (see [`extract::day_order`]).
pub(crate) fn day_order(
    lang: Lang,
    domain: Option<&str>,
    amount: Option<&Money>,
    body: &str,
) -> DayOrder {
    extract::day_order(lang.code(), domain, amount, body)
}

/// The strongest stage the subject's own unambiguous (strong) wording names, if any: a weak
/// word such as "relance" also opens a friendly "relance amiable".
fn subject_stage(hits: &[(features::Zone, signals::Hit)]) -> Option<Stage> {
    hits.iter()
        .filter(|(zone, hit)| *zone == features::Zone::Subject && hit.strong)
        .filter_map(|(_, hit)| match hit.signal {
            Signal::Final => Some(Stage::Final),
            Signal::Overdue => Some(Stage::Overdue),
            _ => None,
        })
        .max_by_key(|stage| match stage {
            Stage::Final => 2,
            _ => 1,
        })
}
