//! The shape of a message that the clerk's corrections are remembered by: the sender's
//! registrable domain (the whole address at a public mailbox provider) and the subject with
//! numbers, dates, amounts, invoice numbers and Re:/Fwd: prefixes removed; and the verdict a
//! correction gives. Pure functions, no I/O here.

use super::Stage;
use std::collections::HashSet;
use std::sync::LazyLock;

/// What the clerk said a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    NotChaser,
    Chaser(Stage),
}

impl Verdict {
    /// The name stored and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NotChaser => "not_chaser",
            Verdict::Chaser(s) => s.as_str(),
        }
    }

    pub fn parse(text: &str) -> Option<Verdict> {
        Some(match text {
            "not_chaser" => Verdict::NotChaser,
            "reminder" => Verdict::Chaser(Stage::Reminder),
            "overdue" => Verdict::Chaser(Stage::Overdue),
            "final" => Verdict::Chaser(Stage::Final),
            "statement" => Verdict::Chaser(Stage::Statement),
            _ => return None,
        })
    }

    /// The verdict in words, after "as": "not a chaser", "a final notice".
    pub fn words(self) -> &'static str {
        match self {
            Verdict::NotChaser => "not a chaser",
            Verdict::Chaser(Stage::Reminder) => "a reminder",
            Verdict::Chaser(Stage::Overdue) => "an overdue notice",
            Verdict::Chaser(Stage::Final) => "a final notice",
            Verdict::Chaser(Stage::Statement) => "a statement",
        }
    }

    /// The reason a corrected verdict carries, first among the reasons.
    pub fn reason(self, taught: u32) -> String {
        format!(
            "you filed {taught} message{} like this as {}",
            if taught == 1 { "" } else { "s" },
            self.words()
        )
    }
}

/// A message's shape: who sends it and what its subject says once the parts that change from
/// one message to the next are taken out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// The sender's registrable domain ("acme.co.uk"), or the whole address at a public
    /// mailbox provider, where the domain says nothing about who writes.
    pub sender: String,
    /// The subject's shape: lower case, one space between words, `#` for each run of
    /// numbers, dates and amounts ("payment reminder invoice # due #").
    pub subject: String,
}

impl Fingerprint {
    /// The shape of a message from `from` (an address) with `subject`; `None` without a
    /// sender domain, or when no word of the subject is left (a shape of numbers alone would
    /// stand for every message of the sender).
    pub fn new(from: &str, subject: &str) -> Option<Fingerprint> {
        let sender = sender_key(from)?;
        let subject = subject_shape(subject);
        subject
            .split(' ')
            .any(|w| w != "#" && !w.is_empty())
            .then_some(Fingerprint { sender, subject })
    }

    /// The fingerprint in words, for `duebox corrections list` and the record.
    pub fn words(&self) -> String {
        format!("from {}, subject like \"{}\"", self.sender, self.subject)
    }
}

/// Domains where anyone can have an address: the address, not the domain, is the sender.
#[rustfmt::skip]
const PUBLIC_PROVIDERS: &[&str] = &[
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.es", "yahoo.it", "ymail.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "gmx.de", "gmx.net", "gmx.com", "web.de",
    "t-online.de", "freenet.de", "proton.me", "protonmail.com", "mail.com", "zoho.com",
    "yandex.ru", "yandex.com", "mail.ru", "qq.com", "163.com", "126.com", "orange.fr",
    "free.fr", "laposte.net", "libero.it", "virgilio.it", "wp.pl", "o2.pl", "onet.pl",
    "seznam.cz", "centrum.cz", "telenet.be", "ziggo.nl",
];

/// The sender part of a fingerprint for an address; `None` when it has no domain.
pub fn sender_key(address: &str) -> Option<String> {
    let address = address.trim().trim_matches(['<', '>']).to_lowercase();
    let (local, domain) = address.rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.');
    if domain.is_empty() || local.is_empty() {
        return None;
    }
    let registrable = super::risk::registrable_domain(domain);
    Some(if PUBLIC_PROVIDERS.contains(&registrable.as_str()) {
        format!("{local}@{registrable}")
    } else {
        registrable
    })
}

/// Reply and forward prefixes in the languages duebox reads, and bracketed tags
/// ("[EXTERNAL]", "[#1234]"), any number of them at the start.
static PREFIX_RE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(concat!(
        r"(?i)^(?:\s*(?:(?:re|fwd?|aw|wg|sv|vs|vb|tr|rv|r|i|enc|res|antw|doorst|odp|pd|fs|vl|ynt|ilt|rif|ref|réf|rép|atb|odg|proslijeđeno)",
        r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]|回复\s*[:：]|答复\s*[:：]|转发\s*[:：]|返信\s*[:：]|転送\s*[:：]|\[[^\]]{0,40}\]|【[^】]{0,40}】))+"
    ))
    .expect("valid regex")
});

/// Month names and abbreviations: the date in "Statement for October 2026" changes monthly.
#[rustfmt::skip]
const MONTHS: &[&str] = &[
    // en
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
    // de
    "januar", "jänner", "februar", "märz", "mai", "juni", "juli", "oktober", "dezember", "okt",
    "dez",
    // fr
    "janvier", "février", "mars", "avril", "juin", "juillet", "août", "septembre", "octobre",
    "novembre", "décembre",
    // es, ca
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
    "setiembre", "octubre", "noviembre", "diciembre", "gener", "febrer", "març", "maig", "juny",
    "juliol", "agost", "setembre", "octubre", "novembre", "desembre",
    // it
    "gennaio", "febbraio", "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre",
    "dicembre",
    // pt
    "janeiro", "fevereiro", "março", "maio", "junho", "julho", "setembro", "outubro",
    "novembro", "dezembro",
    // nl
    "januari", "februari", "maart", "mei", "augustus",
    // sv, da, nb
    "mars", "augusti", "oktober", "marts", "desember",
    // pl
    "styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień",
    "wrzesień", "październik", "listopad", "grudzień",
    // fi
    "tammikuu", "helmikuu", "maaliskuu", "huhtikuu", "toukokuu", "kesäkuu", "heinäkuu",
    "elokuu", "syyskuu", "lokakuu", "marraskuu", "joulukuu",
    // cs
    "leden", "únor", "březen", "duben", "květen", "červen", "červenec", "srpen", "září",
    "říjen", "prosinec",
    // tr
    "ocak", "şubat", "mart", "nisan", "mayıs", "haziran", "temmuz", "ağustos", "eylül", "ekim",
    "kasım", "aralık",
];

/// Currency symbols and codes: part of an amount, which changes from one message to the next.
#[rustfmt::skip]
const CURRENCIES: &[&str] = &[
    "€", "$", "£", "¥", "元", "円", "₺", "₹", "kr", "kr.", "zł", "kč", "ft", "lei", "chf", "eur",
    "usd", "gbp", "sek", "nok", "dkk", "pln", "czk", "huf", "ron", "try", "jpy", "cny", "rmb",
    "cad", "aud",
];

static MONTH_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| MONTHS.iter().copied().collect());
static CURRENCY_SET: LazyLock<HashSet<&str>> =
    LazyLock::new(|| CURRENCIES.iter().copied().collect());

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

/// Characters that hold a number or an invoice number together ("2026-117", "1.234,56").
fn joins_number(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | '/' | '-' | '_' | ':' | '\'' | '’' | '#' | '№' | '\u{a0}' | '\u{202f}'
    )
}

/// The subject with what changes between messages of one kind taken out: reply and forward
/// prefixes and tags, numbers, dates, amounts and currencies, invoice numbers (any word with
/// a digit) and punctuation; lower case, words separated by one space, `#` where numbers
/// were (one `#` for a run of them).
pub fn subject_shape(subject: &str) -> String {
    let rest = PREFIX_RE
        .find(subject)
        .map_or(subject, |m| &subject[m.end()..]);
    let lower = rest.to_lowercase();
    let mut words: Vec<String> = Vec::new();
    let push = |words: &mut Vec<String>, w: String| {
        if w == "#" && words.last().is_some_and(|l| l == "#") {
            return;
        }
        if !w.is_empty() {
            words.push(w);
        }
    };
    for token in lower.split(|c: char| c.is_whitespace()) {
        if token.chars().any(is_cjk) {
            for w in cjk_words(token) {
                push(&mut words, w);
            }
            continue;
        }
        let trimmed = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '#');
        let clean: String = trimmed
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '\'' | '’' | '&'))
            .collect();
        let clean = clean.trim_matches(|c: char| !c.is_alphanumeric());
        let numeric = token.chars().any(char::is_numeric)
            || (!trimmed.is_empty() && trimmed.chars().all(|c| c == '#'))
            || MONTH_SET.contains(clean)
            || CURRENCY_SET.contains(clean)
            || CURRENCY_SET.contains(token);
        push(
            &mut words,
            if numeric {
                "#".into()
            } else {
                clean.to_string()
            },
        );
    }
    words.join(" ")
}

/// A token of CJK text (no spaces between words): each run of digits, with the date units
/// after it (年 月 日 号) and the separators inside it, is one `#`; the rest stays.
fn cjk_words(token: &str) -> Vec<String> {
    let chars: Vec<char> = token.chars().collect();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_numeric() || (c.is_ascii_alphabetic() && run_has_digit(&chars[i..])) {
            if !text.is_empty() {
                out.push(std::mem::take(&mut text));
            }
            while i < chars.len()
                && (chars[i].is_numeric()
                    || chars[i].is_ascii_alphabetic()
                    || joins_number(chars[i])
                    || matches!(chars[i], '年' | '月' | '日' | '号' | '號' | '円' | '元'))
            {
                i += 1;
            }
            out.push("#".into());
            continue;
        }
        if c.is_alphanumeric() {
            text.push(c);
        } else if !text.is_empty() {
            out.push(std::mem::take(&mut text));
        }
        i += 1;
    }
    if !text.is_empty() {
        out.push(text);
    }
    out
}

/// Whether the ASCII word starting here holds a digit ("INV2026" inside CJK text).
fn run_has_digit(chars: &[char]) -> bool {
    chars
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || joins_number(**c))
        .any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_dates_amounts_and_prefixes_go() {
        let cases = [
            (
                "Payment reminder: invoice INV-2026-117 due 15/10/2026",
                "payment reminder invoice # due #",
            ),
            (
                "RE: Fwd: Payment reminder: invoice INV-2026-118 due 2026-11-01",
                "payment reminder invoice # due #",
            ),
            (
                "AW: WG: Mahnung Rechnung RE-2026-117 über 1.234,56 EUR",
                "mahnung rechnung # über #",
            ),
            (
                "[EXTERNAL] Statement of account – October 2026",
                "statement of account #",
            ),
            (
                "Statement of account – November 2026",
                "statement of account #",
            ),
            (
                "Final notice: £5,569.42 overdue (IBS/26/0744)",
                "final notice # overdue #",
            ),
            (
                "SV: Påminnelse faktura 12345 – 12 345,00 kr",
                "påminnelse faktura #",
            ),
            ("Re[2]: Invoice #4411 for $ 980.00", "invoice # for #"),
            ("2026年10月31日のご請求について", "# のご請求について"),
            ("回复：发票 INV2026001 付款提醒", "发票 # 付款提醒"),
            ("   Lunch   on Friday?  ", "lunch on friday"),
        ];
        for (subject, shape) in cases {
            assert_eq!(subject_shape(subject), shape, "{subject}");
        }
    }

    #[test]
    fn the_sender_is_the_registrable_domain_or_a_public_address() {
        assert_eq!(
            sender_key("AR@Billing.Acme.co.uk").as_deref(),
            Some("acme.co.uk")
        );
        assert_eq!(sender_key("<ar@acme.com>").as_deref(), Some("acme.com"));
        assert_eq!(
            sender_key("Jane.Doe@gmail.com").as_deref(),
            Some("jane.doe@gmail.com")
        );
        assert_eq!(sender_key("no-domain"), None);
        assert_eq!(sender_key("@acme.com"), None);
    }

    #[test]
    fn a_subject_of_numbers_alone_has_no_fingerprint() {
        assert!(Fingerprint::new("a@acme.com", "12345").is_none());
        assert!(Fingerprint::new("a@acme.com", "").is_none());
        assert!(Fingerprint::new("nobody", "Payment reminder").is_none());
        let f = Fingerprint::new("a@mail.acme.com", "Re: Reminder 12").unwrap();
        assert_eq!(f.words(), "from acme.com, subject like \"reminder #\"");
    }

    #[test]
    fn verdicts_round_trip_and_read_as_words() {
        for v in [
            Verdict::NotChaser,
            Verdict::Chaser(Stage::Reminder),
            Verdict::Chaser(Stage::Overdue),
            Verdict::Chaser(Stage::Final),
            Verdict::Chaser(Stage::Statement),
        ] {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
        assert_eq!(
            Verdict::NotChaser.reason(3),
            "you filed 3 messages like this as not a chaser"
        );
        assert_eq!(
            Verdict::Chaser(Stage::Final).reason(1),
            "you filed 1 message like this as a final notice"
        );
        assert_eq!(Verdict::parse("chaser"), None);
    }

    fn word() -> impl Strategy<Value = String> {
        "[a-zA-Zäöüéèßçñ]{2,12}".prop_filter("not a month or currency", |w| {
            let l = w.to_lowercase();
            !MONTHS.contains(&l.as_str()) && !CURRENCIES.contains(&l.as_str())
        })
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u64..10_000_000).prop_map(|n| n.to_string()),
            (1u32..28, 1u32..12, 2000u32..2100).prop_map(|(d, m, y)| format!("{d:02}.{m:02}.{y}")),
            (2000u32..2100, 1u32..12, 1u32..28).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
            (0u64..1_000_000, 0u32..100).prop_map(|(a, c)| format!("€{a},{c:02}")),
            (0u64..1_000_000, 0u32..100).prop_map(|(a, c)| format!("{a}.{c:02} EUR")),
            ("[A-Z]{2,4}", 0u32..100_000).prop_map(|(p, n)| format!("{p}-{n:05}")),
            (0u32..100_000).prop_map(|n| format!("#{n}")),
        ]
    }

    proptest! {
        #[test]
        fn shape_never_panics_and_is_stable(s in any::<String>()) {
            let shape = subject_shape(&s);
            prop_assert_eq!(subject_shape(&shape), shape.clone());
            prop_assert!(!shape.starts_with(' ') && !shape.ends_with(' ') && !shape.contains("  "));
        }

        #[test]
        fn numbers_and_prefixes_do_not_change_the_shape(
            words in proptest::collection::vec(word(), 1..6),
            at in 0usize..6,
            a in number(),
            b in number(),
            prefix in prop_oneof![Just(""), Just("Re: "), Just("RE: Fwd: "), Just("AW: "), Just("[EXT] "), Just("SV: VS: ")],
        ) {
            let at = at.min(words.len());
            let with = |n: &str| {
                let mut w = words.clone();
                w.insert(at, n.to_string());
                w.join(" ")
            };
            let plain = subject_shape(&with(&a));
            prop_assert_eq!(subject_shape(&format!("{prefix}{}", with(&b))), plain.clone());
            prop_assert!(plain.contains('#'));
        }
    }
}
