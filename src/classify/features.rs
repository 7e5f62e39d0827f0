//! The evidence a message gives, as the numbered features the fitted weights are indexed by:
//! which wording rule fired where (subject, body, footer, quoted history, attachment text),
//! and the structural facts no language owns (an invoice number with an amount and a date, a
//! due date already passed, a reminder ordinal, a reply chain, bulk and auto-reply headers,
//! attachment names, payment details, and what our payables say of the sender and the
//! invoice). The same code feeds classification and the fitting (examples/fit.rs), so the two
//! can never disagree. No I/O here.

use super::signals::{self, Hit, Signal, RULES};
use super::{extract, lang::Lang, quote, zones};
use crate::dates::DayOrder;
use crate::mail::Message;
use crate::money::Money;
use chrono::NaiveDate;
use regex::Regex;
use std::sync::LazyLock;

/// Where a piece of wording stands in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Zone {
    Subject,
    Body,
    Footer,
    Quoted,
    Attachment,
}

impl Zone {
    pub const ALL: [Zone; 5] = [
        Zone::Subject,
        Zone::Body,
        Zone::Footer,
        Zone::Quoted,
        Zone::Attachment,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Zone::Subject => "subject",
            Zone::Body => "body",
            Zone::Footer => "footer",
            Zone::Quoted => "quoted",
            Zone::Attachment => "attachment",
        }
    }

    /// How a reason names the place ("in the quoted history").
    pub fn described(self) -> &'static str {
        match self {
            Zone::Subject => "in the subject",
            Zone::Body => "",
            Zone::Footer => "in the footer",
            Zone::Quoted => "in the quoted history",
            Zone::Attachment => "in the attached PDF",
        }
    }
}

/// What our payables know of an invoice a message cites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceState {
    /// Open and not yet due.
    Open,
    /// Open and past its due date.
    Overdue,
    /// Paid (or scheduled).
    Paid,
}

/// What the caller's payables database knows, handed to the classifier as plain answers so
/// that it stays free of I/O. Without a database, [`NoLedger`] knows nothing.
pub trait Ledger {
    /// Whether the sender's domain belongs to a known vendor.
    fn knows_sender(&self, domain: &str) -> bool;
    /// What we hold for that vendor's invoice `number` (as printed), on `day`.
    fn invoice_state(&self, domain: &str, number: &str, day: NaiveDate) -> Option<InvoiceState>;
}

/// No payables database.
pub struct NoLedger;

impl Ledger for NoLedger {
    fn knows_sender(&self, _: &str) -> bool {
        false
    }
    fn invoice_state(&self, _: &str, _: &str, _: NaiveDate) -> Option<InvoiceState> {
        None
    }
}

/// The structural features, by name (the weight table's names are "s:" + these).
pub const STRUCTURAL: &[(&str, &str)] = &[
    ("bias", "prior"),
    ("invoice_no", "cites an invoice number"),
    ("invoice_no_subject", "an invoice number in the subject"),
    ("amount", "states an amount"),
    ("due_date", "states a due date"),
    ("due_passed", "the due date had passed when it was sent"),
    ("due_future", "the due date is still ahead"),
    (
        "quoted_due_passed",
        "the quoted earlier mail's due date had passed when this was sent",
    ),
    (
        "quoted_due_future",
        "the quoted earlier mail's due date is still ahead",
    ),
    ("claim_shape", "invoice number, amount and date together"),
    ("many_invoices", "lists several invoices"),
    ("table", "has a table"),
    ("ordinal", "a reminder ordinal (2nd, 2., II)"),
    (
        "prior_reminders",
        "refers to earlier reminders (\"despite our reminders\")",
    ),
    ("reply", "a reply (Re:)"),
    ("forward", "a forwarded message (Fwd:)"),
    ("quoted", "quotes earlier mail"),
    ("short_new", "short new text"),
    (
        "unreadable_body",
        "the body cannot be read: the subject is all it says",
    ),
    (
        "subject_only_chase",
        "the subject, all that can be read, asks for payment",
    ),
    ("question", "asks a question"),
    ("bulk", "bulk-mail headers"),
    ("auto_header", "automatic-reply headers"),
    ("bounce", "a delivery report"),
    ("own_domain", "sent from our own domain"),
    ("att_pdf", "a PDF attached"),
    ("att_invoice", "an attachment named as an invoice"),
    ("att_reminder", "an attachment named as a reminder"),
    ("att_statement", "an attachment named as a statement"),
    (
        "payment_details",
        "gives payment details (IBAN, account number)",
    ),
    ("bank_reassure", "says its bank details have not changed"),
    (
        "iban_foreign",
        "asks for payment to an IBAN of another country than the sender's",
    ),
    ("bank_wording", "wording about new bank details"),
    (
        "bank_wording_many",
        "several different phrases about new bank details",
    ),
    ("known_vendor", "a known vendor writes"),
    ("cites_overdue", "cites an invoice we have overdue"),
    ("cites_paid", "cites an invoice we have paid"),
    ("html", "written in HTML"),
];

/// Feature names in index order: one per rule, then zone x signal (any, strong), then the
/// structural ones.
pub static NAMES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut names: Vec<String> = RULES.iter().map(|r| format!("w:{}", r.id)).collect();
    for z in Zone::ALL {
        for s in Signal::ALL {
            names.push(format!("z:{}:{}", z.name(), s.name()));
            names.push(format!("z:{}:{}+", z.name(), s.name()));
        }
    }
    names.extend(STRUCTURAL.iter().map(|(n, _)| format!("s:{n}")));
    names
});

fn zone_index(z: Zone, s: Signal, strong: bool) -> usize {
    let zi = Zone::ALL.iter().position(|x| *x == z).unwrap_or(0);
    let si = Signal::ALL.iter().position(|x| *x == s).unwrap_or(0);
    RULES.len() + (zi * Signal::ALL.len() + si) * 2 + usize::from(strong)
}

/// The index of a structural feature.
pub fn structural(name: &str) -> usize {
    let base = RULES.len() + Zone::ALL.len() * Signal::ALL.len() * 2;
    base + STRUCTURAL
        .iter()
        .position(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no structural feature {name}"))
}

/// Whether feature `f` may carry weight in the bank-change head: bank wording and the facts
/// around it, never the wording of stages (a bank-change request comes at any stage).
pub fn bank_relevant(f: usize) -> bool {
    let name = NAMES[f].as_str();
    name.contains(".bank.")
        || name.contains(":bank")
        || [
            "s:bias",
            "s:payment_details",
            "s:bank_reassure",
            "s:bank_wording",
            "s:bank_wording_many",
            "s:iban_foreign",
            "s:known_vendor",
            "s:reply",
            "s:forward",
            "s:quoted",
            "s:html",
            "s:own_domain",
            "s:bulk",
            "s:auto_header",
        ]
        .contains(&name)
}

/// What a feature stands for, in words, with the hit that fired it when it is wording.
pub enum Meaning<'a> {
    Wording(Zone, &'a Hit),
    Fact(&'static str),
}

/// Everything the classifier read from one message.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Active features (index into [`NAMES`]), each once.
    pub active: Vec<usize>,
    /// Every wording hit with its zone.
    pub hits: Vec<(Zone, Hit)>,
    pub new_text: String,
    pub quoted: String,
    pub body: String,
    pub footer: String,
    pub lang: Option<Lang>,
    pub reference: NaiveDate,
    pub invoices: Vec<String>,
    /// The invoice numbers of the subject alone (the first of `invoices`).
    pub subject_invoices: Vec<String>,
    pub amount: Option<Money>,
    pub due_date: Option<NaiveDate>,
    /// The dates `due_date` was picked from (the body's, else the subject's).
    pub due_found: Option<extract::DueCandidates>,
    /// The quoted history's, when they were read (the body and subject had none).
    pub quoted_due_found: Option<Option<extract::DueCandidates>>,
    pub order: DayOrder,
    /// The language the claims were read in (see [`extract::Locale`]), for reading them
    /// again from a chaser's other parts.
    pub claims_lang: &'static str,
}

impl Evidence {
    /// What active feature `f` stands for, for the reasons.
    pub fn meaning(&self, f: usize) -> Option<Meaning<'_>> {
        if f < RULES.len() {
            let (z, h) = self
                .hits
                .iter()
                .find(|(z, h)| h.rule == f && matches!(z, Zone::Subject | Zone::Body))?;
            return Some(Meaning::Wording(*z, h));
        }
        let zone_end = RULES.len() + Zone::ALL.len() * Signal::ALL.len() * 2;
        if f < zone_end {
            let k = (f - RULES.len()) / 2;
            let strong = (f - RULES.len()) % 2 == 1;
            let z = Zone::ALL[k / Signal::ALL.len()];
            let s = Signal::ALL[k % Signal::ALL.len()];
            let (z, h) = self
                .hits
                .iter()
                .find(|(hz, h)| *hz == z && h.signal == s && (h.strong || !strong))?;
            return Some(Meaning::Wording(*z, h));
        }
        STRUCTURAL
            .get(f - zone_end)
            .map(|(_, words)| Meaning::Fact(words))
    }

    pub fn has(&self, f: usize) -> bool {
        self.active.binary_search(&f).is_ok()
    }
}

/// Longest text read for wording and claims: chasers say what they want early, and a bound
/// keeps a 5 MB body from costing more than a normal one.
pub const MAX_TEXT: usize = 64 * 1024;

/// How much of a text is read for its claims (invoice numbers, amount, due date), here and in
/// the chaser's verdict: a chaser states its claim in its first lines, and a statement's
/// table of some 130 rows still fits. What lies beyond is long padding, pasted documents or
/// history, which cost the most to read (every claim reader walks all of it) and add only
/// stray numbers. The same bound as the attachment's text and the quoted history's.
pub const CLAIMS_HEAD: usize = 8 * 1024;
/// And the end of the body: a long statement's table ends with the total due, below a
/// table longer than the head (the last rows and the closing words fit in 1 KB).
const CLAIMS_TAIL: usize = 1024;

/// And the end of the new text, for payment details and the sender's address (a signature,
/// a footer with the bank block).
const DETAILS_TAIL: usize = 2 * 1024;

/// How much of a long body is read for wording: a chaser says early what it is.
const WORDING_HEAD: usize = 4 * 1024;
const WORDING_TAIL: usize = 1024;

static REPLY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:re|aw|sv|vs|odp|ynt|antw|r|ref|rif|res|atb|vá|odg|回复|回覆|答复)\s?(?:\[\d+\])?\s?[:：]").expect("valid regex")
});
static FORWARD_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:(?:re|aw|sv)\s?:\s?)*(?:fwd?|wg|tr|rv|fw|doorst|i|enc|pd|vb|vl|továbbítás|přeposl|ilt|转发|轉寄|転送)\s?[:：]").expect("valid regex")
});
/// "2nd", "2.", "II", "zweite"... next to a reminder word: a later stage of the same chase.
static ORDINAL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[\s(\[])(?:[2-9]\s?(?:\.|nd|rd|th|e|ème|º|ª|°|:a|:e)|ii|iii|iv|second|third|zweite|dritte|deuxième|troisième|segund[oa]|tercer[oa]?|tweede|derde|secondo|terzo|drugie|druga|drugi|druhá|második|a doua|ikinci|andra|anden|andre|toinen|第二|第2|二回目)\s*\S{0,3}\s?(?:reminder|notice|mahnung|zahlungserinnerung|erinnerung|relance|rappel|aviso|recordatorio|herinnering|aanmaning|sollecito|lembrete|wezwanie|przypomnienie|upomínka|upomienka|felszólítás|emlékeztető|somaţie|opomena|opomin|ihtar|hatırlatma|påminnelse|rykker|purring|muistutus|督促|催款|提醒)").expect("valid regex")
});
/// "Despite our reminder of 10.09 and our second reminder": the earlier letters of the same
/// chase, which make this one a later stage, and whose ordinal is not this letter's own.
static PRIOR_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?:despite|in spite of|further to|after (?:our|several|repeated)|trotz|ungeachtet|malgré|en dépit de|suite à|a pesar de|pese a|ondanks|nonostante|malgrado|apesar d[aeo]s?|mimo|pomimo|navzdory|napriek|în ciuda|in ciuda|unatoč|usprkos|kljub|trots|på trods af|til tross for|malgrat)",
        r"(?:[^.!?\n]|\.[0-9]){0,100}(?:reminder|notice|letter|mahnung|erinnerung|schreiben|relance|rappel|courrier|recordatorio|aviso|requerimiento|herinnering|aanmaning|sollecit|lembrete|avis|aviso|wezwa|przypomn|upomín|upomien|somaţi|notific|opomen|opomin|påminnelse|rykker|purring|recordatori)",
        r"|(?:emlékeztet|felszólít|hatırlatma|ihtar|muistutu|督促|催告|提醒|催款)[^.!?\n]{0,40}?(?:ellenére|rağmen|huolimatta|にもかかわらず|尽管|仍未|仍然)",
    ))
    .expect("valid regex")
});
static PAYMENT_DETAILS_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)[a-z]{2}\d{2}(?:[ ]?[a-z0-9]{4}){3,7}|sort[- ]?code|routing (?:number|no|#)|(?-u:\b)aba(?-u:\b)|bankgiro|plusgiro|(?-u:\b)(?:swift|bic)(?-u:\b)|(?:account|acct|konto|compte|cuenta|conto|rekening|konta|účtu|számlaszám|contul?|račun)\s?(?:no|nr|number|nummer|n°|número|numero|#)?\.?[\s:：|]{0,4}\d[\d -]{5,}").expect("valid regex")
});
static ATT_INVOICE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)invoice|inv[-_ ]?\d|rechnung|facture|factura|factuur|fattura|fatura|faktur|lasku|számla|račun|fatur|請求書|发票|發票|(?-u:\b)re[-_ ]?\d|(?-u:\b)ft[-_ ]?\d").expect("valid regex")
});
static ATT_REMINDER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)reminder|dunning|overdue|mahnung|erinnerung|relance|rappel|recordatorio|herinnering|aanmaning|sollecito|lembrete|wezwanie|upomin|påminnelse|rykker|purring|muistutus|felszólítás|somat|opomen|ihtar|督促|催款").expect("valid regex")
});
static ATT_STATEMENT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)statement|kontoauszug|offene.?posten|relev[ée]|extracto|estado.?de.?cuenta|overzicht|estratto|extrato|wyci[aą]g|kontoutdrag|kontoudtog|tiliote|v[ýy]pis|kivonat|extras|izvod|izpisek|ekstre|対帳|对账|對帳|明細").expect("valid regex")
});

/// Reads the evidence of one message.
pub fn read(msg: &Message, opts: &super::Options, ledger: &dyn Ledger) -> Evidence {
    let split = quote::split(prefix(&msg.body, MAX_TEXT));
    let z = zones::split(&split.new);
    let subject = msg.subject.as_str();
    let reference = msg.date.map_or(opts.today, |d| d.date_naive());
    let lang_sample = format!("{subject}\n{}", prefix(&z.body, 2048));
    let lang = lang::detect_with_hint(&lang_sample, msg.content_language.as_deref());

    // The texts read for both wording and claims are case-folded once, for every reader.
    let subject_text = extract::Prepared::new(subject);
    let body_head = head_and_tail(&z.body, CLAIMS_HEAD, CLAIMS_TAIL);
    let body_text = extract::Prepared::new(&body_head);
    let quoted_head = prefix(&split.quoted, CLAIMS_HEAD);
    let quoted_text = extract::Prepared::new(quoted_head);

    let mut hits: Vec<(Zone, Hit)> = Vec::new();
    let mut scan = |zone: Zone, text: &str, folded: Option<&str>| {
        if !text.trim().is_empty() {
            let found = match folded {
                Some(f) => scan_folded(text, f),
                None => signals::scan(&wording(text)),
            };
            hits.extend(found.into_iter().map(|h| (zone, h)));
        }
    };
    scan(Zone::Subject, subject, Some(subject_text.folded()));
    // A body with no readable word (broken encoding, only an attachment) says nothing: the
    // subject is then all the message says, and counts as its body too.
    let unreadable = !has_readable_word(&z.body);
    if unreadable {
        scan(Zone::Body, subject, Some(subject_text.folded()));
    }
    // A fold of a text's head serves for its wording when the head is the whole text.
    let covers = |text: &str, head: &str| text.len() == head.len();
    scan(
        Zone::Body,
        &z.body,
        covers(&z.body, &body_head).then(|| body_text.folded()),
    );
    scan(Zone::Footer, &z.footer, None);
    let quoted_whole = split.quoted.len() == quoted_head.len() && !split.quoted.trim().is_empty();
    scan(
        Zone::Quoted,
        &split.quoted,
        quoted_whole.then(|| quoted_text.folded()),
    );
    scan(
        Zone::Attachment,
        prefix(&msg.attachment_text, 8 * 1024),
        None,
    );

    let mut active: Vec<usize> = Vec::with_capacity(32);
    for (zone, h) in &hits {
        if matches!(zone, Zone::Subject | Zone::Body) {
            active.push(h.rule);
        }
        active.push(zone_index(*zone, h.signal, false));
        if h.strong {
            active.push(zone_index(*zone, h.signal, true));
        }
    }
    let mut fact = |name: &str, on: bool| {
        if on {
            active.push(structural(name));
        }
    };
    fact("bias", true);
    fact("unreadable_body", unreadable);
    fact(
        "subject_only_chase",
        unreadable
            && hits
                .iter()
                .any(|(z, h)| *z == Zone::Subject && h.signal.is_chase()),
    );

    // Claims, read as for a chaser: their shape is evidence in any language.
    let mut invoices = extract::invoices_of(&subject_text);
    let subject_invoices = invoices.clone();
    for id in extract::invoices_of(&body_text) {
        let n = extract::normalise_invoice(&id);
        if !invoices.iter().any(|x| extract::normalise_invoice(x) == n) {
            invoices.push(id);
        }
    }
    let sender_domain = msg.from.as_ref().and_then(crate::mail::Address::domain);
    let lang_code = lang.unwrap_or(Lang::En).code();
    let claims_lang = extract::refine_lang(lang_code, &split.new);
    let locale = extract::Locale::for_lang(claims_lang, sender_domain.as_deref());
    let amount = extract::amount_of(&[&body_text, &subject_text], &locale);
    // Where the sender writes from shows in its signature and its quoted earlier mail: the
    // whole body's head and tail.
    let order = super::day_order(
        lang.unwrap_or(Lang::En),
        sender_domain.as_deref(),
        amount.as_ref(),
        &head_and_tail(prefix(&msg.body, MAX_TEXT), CLAIMS_HEAD, DETAILS_TAIL),
    );
    let due_found =
        extract::due_candidates_of(&[&body_text, &subject_text], order, reference, &locale);
    let due_date = due_found.as_ref().and_then(|c| c.pick(false));
    fact("invoice_no", !invoices.is_empty());
    fact("invoice_no_subject", !subject_invoices.is_empty());
    fact("amount", amount.is_some());
    fact("due_date", due_date.is_some());
    fact("due_passed", due_date.is_some_and(|d| d < reference));
    fact("due_future", due_date.is_some_and(|d| d >= reference));
    // "Any news on the below?": a follow-up's claim is in the mail it quotes, and whether
    // that was due yet decides between a reminder and an overdue notice.
    let mut quoted_found = None;
    if due_date.is_none() && !split.quoted.trim().is_empty() {
        quoted_found = Some(extract::due_candidates_of(
            &[&quoted_text],
            order,
            reference,
            &locale,
        ));
        let quoted_due = quoted_found
            .as_ref()
            .and_then(Option::as_ref)
            .and_then(|c| c.pick(false));
        fact(
            "quoted_due_passed",
            quoted_due.is_some_and(|d| d < reference),
        );
        fact(
            "quoted_due_future",
            quoted_due.is_some_and(|d| d >= reference),
        );
    }
    fact(
        "claim_shape",
        !invoices.is_empty() && amount.is_some() && due_date.is_some(),
    );
    fact("many_invoices", invoices.len() >= 3);
    fact("table", body_text.rows().count_with(3) >= 2);
    let body_start = prefix(&z.body, 1024);
    let prior: Vec<std::ops::Range<usize>> =
        PRIOR_RE.find_iter(body_start).map(|m| m.range()).collect();
    fact(
        "ordinal",
        ORDINAL_RE.is_match(subject)
            || ORDINAL_RE
                .find_iter(body_start)
                .any(|m| !prior.iter().any(|p| p.contains(&m.start()))),
    );
    fact("prior_reminders", !prior.is_empty());
    fact("reply", REPLY_RE.is_match(subject));
    fact("forward", FORWARD_RE.is_match(subject));
    fact("quoted", split.quoted.trim().len() > 40);
    let new_len = split.new.trim().chars().count();
    fact("short_new", new_len < 300);
    fact(
        "question",
        z.body.contains('?') || z.body.contains('？') || z.body.contains('¿'),
    );
    fact("bulk", msg.bulk_header.is_some());
    fact("auto_header", msg.auto_reply.is_some());
    fact("bounce", msg.is_report);
    fact(
        "own_domain",
        sender_domain
            .as_deref()
            .is_some_and(|d| opts.is_own_domain(d)),
    );
    let att = |re: &Regex| msg.attachments.iter().any(|a| re.is_match(&a.name));
    fact(
        "att_pdf",
        msg.attachments
            .iter()
            .any(|a| a.content_type.contains("pdf") || a.name.to_lowercase().ends_with(".pdf")),
    );
    fact("att_invoice", att(&ATT_INVOICE_RE));
    fact("att_reminder", att(&ATT_REMINDER_RE));
    fact("att_statement", att(&ATT_STATEMENT_RE));
    // A "see attached" chaser gives its payment details in the PDF.
    let attachment = prefix(&msg.attachment_text, 8 * 1024);
    // Payment details stand in the body or below the signature: the new text's head and tail.
    let new_head = head_and_tail(&split.new, CLAIMS_HEAD, DETAILS_TAIL);
    let new_head = new_head.as_ref();
    fact(
        "payment_details",
        PAYMENT_DETAILS_RE.is_match(new_head) || PAYMENT_DETAILS_RE.is_match(attachment),
    );
    fact(
        "iban_foreign",
        sender_domain
            .as_deref()
            .is_some_and(|d| foreign_iban(d, new_head) || foreign_iban(d, attachment)),
    );
    fact(
        "bank_wording",
        hits.iter().any(|(z, h)| {
            h.signal == Signal::BankChange
                && h.strong
                && matches!(z, Zone::Subject | Zone::Body | Zone::Attachment)
        }),
    );
    let mut bank_rules: Vec<usize> = hits
        .iter()
        .filter(|(z, h)| {
            h.signal == Signal::BankChange
                && matches!(z, Zone::Subject | Zone::Body | Zone::Attachment)
        })
        .map(|(_, h)| h.rule)
        .collect();
    bank_rules.sort_unstable();
    bank_rules.dedup();
    fact("bank_wording_many", bank_rules.len() >= 2);
    fact(
        "bank_reassure",
        super::risk::reassures_about_bank_folded(body_text.folded()),
    );
    fact("html", msg.body_source == crate::mail::BodySource::Html);
    if let Some(domain) = sender_domain.as_deref() {
        if ledger.knows_sender(domain) {
            fact("known_vendor", true);
            let mut cited = invoices.clone();
            if cited.is_empty() {
                cited = extract::invoices(prefix(&split.quoted, CLAIMS_HEAD));
            }
            let states: Vec<InvoiceState> = cited
                .iter()
                .filter_map(|n| ledger.invoice_state(domain, n, reference))
                .collect();
            // An invoice we hold as open and not yet due says little: new invoices cite
            // those as much as polite reminders do.
            fact("cites_overdue", states.contains(&InvoiceState::Overdue));
            fact("cites_paid", states.contains(&InvoiceState::Paid));
        }
    }
    active.sort_unstable();
    active.dedup();
    Evidence {
        active,
        hits,
        new_text: split.new,
        quoted: split.quoted,
        body: z.body,
        footer: z.footer,
        lang,
        reference,
        invoices,
        subject_invoices,
        amount,
        due_date,
        due_found,
        quoted_due_found: quoted_found,
        order,
        claims_lang,
    }
}

use super::lang;

/// Whether `text` asks for payment to an IBAN registered in another country than the one
/// the sender's domain names (".de" and a Hungarian IBAN): the first thing police and banks
/// tell AP clerks to look at. Says nothing for generic domains (.com, .eu).
fn foreign_iban(domain: &str, text: &str) -> bool {
    let Some(country) = domain_country(domain) else {
        return false;
    };
    crate::payables::bank::find_payment_details(text)
        .iter()
        .any(|d| match d {
            crate::payables::bank::PaymentDetail::Iban(iban) => {
                iban.get(..2).is_some_and(|cc| cc != country)
            }
            crate::payables::bank::PaymentDetail::Account(_) => false,
        })
}

/// The ISO 3166 country a domain's country-code TLD stands for ("uk" is GB).
fn domain_country(domain: &str) -> Option<String> {
    let tld = domain.trim_end_matches('.').rsplit('.').next()?;
    if tld.len() != 2 || !tld.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let cc = tld.to_ascii_uppercase();
    Some(match cc.as_str() {
        "UK" => "GB".to_string(),
        // Not countries' registries in practice: used by companies of anywhere.
        "EU" | "IO" | "CO" | "ME" | "TV" | "AI" | "CC" => return None,
        _ => cc,
    })
}

/// Whether the text has a word a person could read: not base64, not MIME boundaries.
fn has_readable_word(text: &str) -> bool {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .flat_map(str::split_whitespace)
        .filter(|w| !w.starts_with("--"))
        .any(|w| {
            let letters = w.chars().filter(|c| c.is_alphabetic()).count();
            let n = w.chars().count();
            (2..=30).contains(&n) && letters * 10 >= n * 6
        })
}

/// The wording rules' hits in `text`, whose case fold is `folded` (same length), on the same
/// sample of it as [`wording`] takes.
fn scan_folded(text: &str, folded: &str) -> Vec<Hit> {
    match wording(text) {
        std::borrow::Cow::Borrowed(_) => signals::scan_folded(text, folded),
        // Folding keeps every character's length, so the same cut fits the fold.
        std::borrow::Cow::Owned(sample) => signals::scan_folded(&sample, &wording(folded)),
    }
}

/// The sample of a long text read for wording.
fn wording(text: &str) -> std::borrow::Cow<'_, str> {
    head_and_tail(text, WORDING_HEAD, WORDING_TAIL)
}

/// The first `head` and the last `tail` bytes of a long text (cut at character boundaries),
/// or all of a short one.
fn head_and_tail(text: &str, head: usize, tail: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= head + tail {
        return text.into();
    }
    let mut tail_start = text.len() - tail;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    format!("{}\n{}", prefix(text, head), &text[tail_start..]).into()
}

/// At most `max` bytes of `text`, cut at a character boundary.
pub fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
