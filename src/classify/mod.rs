//! Recognises invoice chasers and what they claim: kind, stage, invoices, amount, due date,
//! vendor, fraud warnings, and the reasons for each decision. Takes a parsed message and
//! options; returns values. No I/O here.

pub mod extract;
pub mod fingerprint;
pub mod lang;
pub mod quote;
pub mod risk;
pub mod signals;
pub mod table;
pub mod vendor;

use crate::dates::DayOrder;
use crate::mail::{self, MailError, Message};
use crate::money::Money;
use chrono::NaiveDate;
use lang::Lang;
use risk::Risk;
use serde::Serialize;
use signals::{Hit, Signal};

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
    /// The language a chaser is written in (replies answer in it); `None` for other mail.
    pub lang: Option<Lang>,
}

/// Longest text read for wording and claims: chasers say what they want early, and a bound
/// keeps a 5 MB body from costing more than a normal one.
const MAX_TEXT: usize = 64 * 1024;

/// How much of a long new text is read for wording: a chaser says early what it is, and a
/// newsletter says so in its footer ("unsubscribe"); the middle of a long message adds little.
const WORDING_HEAD: usize = 4 * 1024;
const WORDING_TAIL: usize = 1024;

/// Parses and classifies raw message bytes.
pub fn classify_bytes(raw: &[u8], opts: &Options) -> Result<(Message, Classification), MailError> {
    let msg = mail::parse(raw)?;
    let c = classify(&msg, opts);
    Ok((msg, c))
}

/// Classifies a parsed message.
pub fn classify(msg: &Message, opts: &Options) -> Classification {
    let split = quote::split(prefix(&msg.body, MAX_TEXT));
    let subject = msg.subject.as_str();
    let new_text = split.new.as_str();
    let quoted = split.quoted.as_str();
    let reference = msg.date.map_or(opts.today, |d| d.date_naive());
    let mut reasons = Vec::new();

    let subject_hits = signals::scan(subject);
    let new_hits = signals::scan(&wording(new_text));
    let bulk_hit = msg.bulk_header.as_ref().map(|h| Hit {
        signal: Signal::Marketing,
        weight: 3,
        snippet: h.clone(),
    });
    let current: Vec<&Hit> = subject_hits
        .iter()
        .chain(&new_hits)
        .chain(&bulk_hit)
        .collect();
    // Bulk mail that reads like marketing is a newsletter however much it talks about overdue
    // invoices (invoicing-software ads do little else).
    let newsletter = bulk_hit.is_some() && new_hits.iter().any(|h| h.signal == Signal::Marketing);

    let sender_domain = msg.from.as_ref().and_then(mail::Address::domain);
    let own = sender_domain.as_deref().filter(|d| opts.is_own_domain(d));

    let chase = score(&current, Signal::is_chase);
    let negative = score(&current, Signal::is_negative);
    // The quoted text is read only for a reply that would otherwise be no chaser.
    let follow_up =
        own.is_none() && !newsletter && negative == 0 && chase < 3 && is_follow_up(new_text);
    let quoted_hits = if follow_up {
        signals::scan(quoted)
    } else {
        Vec::new()
    };
    let mut stage_hits: Vec<&Hit> = current.clone();
    let mut kind = Kind::Other;
    if let Some(d) = own {
        reasons.push(format!(
            "sent from our own domain {d}: not a vendor's chaser"
        ));
    } else if newsletter {
        reasons.push("bulk mail with newsletter/marketing wording: not a chaser".to_string());
    } else if chase >= 3 && chase > negative {
        kind = Kind::Chaser;
        reasons.extend(describe(&current, Signal::is_chase));
        if negative > 0 {
            reasons.push(format!(
                "outweighs {}",
                describe(&current, Signal::is_negative).join(", ")
            ));
        }
    } else if follow_up {
        let quoted_refs: Vec<&Hit> = quoted_hits.iter().collect();
        if score(&quoted_refs, Signal::is_chase) >= 3
            && score(&quoted_refs, Signal::is_negative) == 0
        {
            kind = Kind::Chaser;
            reasons.push("follows up on the chaser it quotes".to_string());
            reasons.extend(describe(&quoted_refs, Signal::is_chase));
            stage_hits.extend(quoted_refs.iter().copied());
        }
    }
    if kind == Kind::Other && own.is_none() && !newsletter {
        if negative > 0 {
            reasons.extend(describe(&current, Signal::is_negative));
        }
        if chase > 0 {
            reasons.push(format!(
                "weak chaser wording only: {}",
                describe(&current, Signal::is_chase).join(", ")
            ));
        } else if negative == 0 {
            reasons.push("no chaser wording found".to_string());
        }
    }

    // Claims are read from chasers only: nothing else has a claim to validate, and skipping
    // them keeps the 70% of mail that is not a chaser cheap.
    let (mut invoices, mut amount, mut due_date, mut stage) = (Vec::new(), None, None, None);
    let (mut language, mut vendor_name) = (None, None);
    if kind == Kind::Chaser {
        let lang = lang::detect(&format!("{subject}\n{}", prefix(new_text, 2048)));
        language = Some(lang);
        vendor_name = vendor::vendor_name(msg.from.as_ref(), new_text, &opts.own_names);
        invoices = extract::invoices(subject);
        for id in extract::invoices(new_text) {
            push_unique(&mut invoices, id);
        }
        if invoices.is_empty() {
            invoices = extract::invoices(quoted);
        }
        let picked = pick_stage(&stage_hits, invoices.len());
        let texts = [new_text, subject, quoted];
        amount = extract::amount(&texts);
        let order = day_order(lang, sender_domain.as_deref(), amount.as_ref(), &msg.body);
        due_date = extract::due_date(&texts, order, reference, picked == Stage::Statement);
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
    let bank_hit = current
        .iter()
        .find(|h| h.signal == Signal::BankChange)
        .filter(|_| !risk::reassures_about_bank(new_text));
    if let Some(hit) = bank_hit {
        risks.push(Risk::BankChange);
        reasons.push(format!(
            "FRAUD RISK: asks to pay to new bank details (\"{}\")",
            hit.snippet
        ));
    }
    if let Some(why) = risk::reply_to_mismatch(msg) {
        risks.push(Risk::ReplyToMismatch);
        reasons.push(format!("FRAUD RISK: {why}"));
    }
    if let Some(why) = risk::auth_fail(msg) {
        risks.push(Risk::AuthFail);
        reasons.push(format!("FRAUD RISK: {why}"));
    }
    let brand = sender_domain
        .as_deref()
        .filter(|d| !opts.is_own_domain(d))
        .and_then(risk::brand_lookalike);
    if let Some((brand, how)) = brand {
        risks.push(Risk::LookalikeDomain);
        reasons.push(format!(
            "FRAUD RISK: the sender's domain imitates {brand}, a well-known brand ({how})"
        ));
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
        lang: language,
    }
}

fn push_unique(list: &mut Vec<String>, id: String) {
    let n = extract::normalise_invoice(&id);
    if !list.iter().any(|x| extract::normalise_invoice(x) == n) {
        list.push(id);
    }
}

/// The head and the tail of a long text, or all of a short one.
fn wording(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= WORDING_HEAD + WORDING_TAIL {
        return text.into();
    }
    let mut tail_start = text.len() - WORDING_TAIL;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    format!("{}\n{}", prefix(text, WORDING_HEAD), &text[tail_start..]).into()
}

fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn score(hits: &[&Hit], pred: fn(Signal) -> bool) -> i32 {
    hits.iter()
        .filter(|h| pred(h.signal))
        .map(|h| h.weight)
        .sum()
}

/// One reason per distinct piece of wording: "reminder" is not repeated next to "friendly
/// reminder", nor "Overdue" next to "overdue".
fn describe(hits: &[&Hit], pred: fn(Signal) -> bool) -> Vec<String> {
    let chosen: Vec<&Hit> = hits.iter().copied().filter(|h| pred(h.signal)).collect();
    let mut seen: Vec<(Signal, String)> = Vec::new();
    let mut out = Vec::new();
    for h in &chosen {
        let lower = h.snippet.to_lowercase();
        let covered = chosen.iter().any(|o| {
            o.signal == h.signal
                && o.snippet.len() > h.snippet.len()
                && o.snippet.to_lowercase().contains(&lower)
        });
        if covered || seen.contains(&(h.signal, lower.clone())) {
            continue;
        }
        seen.push((h.signal, lower));
        out.push(format!("{}: \"{}\"", h.signal.label(), h.snippet));
    }
    out
}

/// A short reply that asks for news ("Any update on the below?") is a chase when what it
/// quotes is one.
fn is_follow_up(new_text: &str) -> bool {
    let t = new_text.to_lowercase();
    t.contains('?')
        || [
            "please",
            "kindly",
            "bitte",
            "merci de",
            "por favor",
            "graag",
            "gelieve",
            "update",
        ]
        .iter()
        .any(|w| t.contains(w))
}

fn pick_stage(hits: &[&Hit], invoice_count: usize) -> Stage {
    let sum = |s: Signal| -> i32 {
        hits.iter()
            .filter(|h| h.signal == s)
            .map(|h| h.weight)
            .sum()
    };
    if sum(Signal::Final) >= 3 {
        Stage::Final
    } else if sum(Signal::Statement) >= 3 || (sum(Signal::Statement) >= 1 && invoice_count >= 3) {
        Stage::Statement
    } else if sum(Signal::Overdue) >= 3 && sum(Signal::Overdue) >= sum(Signal::Reminder) {
        Stage::Overdue
    } else {
        Stage::Reminder
    }
}

/// Whether 10/01/2026 means 10 January or October 1: the language first, then where the
/// sender is, then the currency, then any unambiguous date in the text.
fn day_order(lang: Lang, domain: Option<&str>, amount: Option<&Money>, body: &str) -> DayOrder {
    if lang != Lang::En {
        return DayOrder::DayFirst;
    }
    if let Some(order) = revealed_order(body) {
        return order;
    }
    let tld = domain.and_then(|d| d.rsplit('.').next()).unwrap_or("");
    match tld {
        "us" => DayOrder::MonthFirst,
        "com" | "net" | "org" | "io" | "co" | "biz" | "" => {
            if amount.is_none_or(|m| m.currency == "USD") {
                DayOrder::MonthFirst
            } else {
                DayOrder::DayFirst
            }
        }
        _ => DayOrder::DayFirst,
    }
}

/// A slash date with a part above 12 shows which convention the writer uses.
fn revealed_order(body: &str) -> Option<DayOrder> {
    use regex::Regex;
    use std::sync::LazyLock;
    static SLASH_RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?-u:\b)(\d{1,2})/(\d{1,2})/\d{2,4}(?-u:\b)").expect("valid regex")
    });
    for c in SLASH_RE.captures_iter(prefix(body, MAX_TEXT)) {
        let a: u32 = c[1].parse().ok()?;
        let b: u32 = c[2].parse().ok()?;
        if a > 12 && b <= 12 {
            return Some(DayOrder::DayFirst);
        }
        if b > 12 && a <= 12 {
            return Some(DayOrder::MonthFirst);
        }
    }
    None
}
