//! Where a message comes from, for the few readings of its claims that depend on it: the
//! language claims are read in (refined from the text's letters where the detector's
//! languages lack it), the sender's top-level domain, and whether 10/01/2026 is day-first.
//! No I/O here.

use crate::dates::DayOrder;
use crate::money::{CurrencyHint, Money};
use regex::Regex;
use std::sync::LazyLock;

/// What a message says about where it comes from, for the few readings that depend on it:
/// "kr" (which krone), "¥" (yen or yuan), "listopad" (October in Croatian, November in Polish).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Locale<'a> {
    /// ISO 639-1 code of the message's language ("" when unknown).
    pub lang: &'a str,
    /// The sender's top-level domain, lower case ("" when unknown).
    pub tld: &'a str,
}

impl<'a> Locale<'a> {
    /// The locale of a message: its detected language, refined from the text where the
    /// detector's languages do not include the one written (the letters and words of the
    /// Nordic and Slavic languages are distinctive), and the sender's top-level domain.
    pub fn new(lang: &'a str, domain: Option<&'a str>, text: &str) -> Self {
        let tld = domain.and_then(|d| d.rsplit('.').next()).unwrap_or("");
        Locale {
            lang: refine_lang(lang, text),
            tld,
        }
    }

    /// A locale whose language is already refined (as [`Locale::new`] returned it).
    pub fn for_lang(lang: &'a str, domain: Option<&'a str>) -> Self {
        let tld = domain.and_then(|d| d.rsplit('.').next()).unwrap_or("");
        Locale { lang, tld }
    }

    pub(super) fn currency_hint(&self) -> CurrencyHint<'a> {
        CurrencyHint {
            lang: self.lang,
            tld: self.tld,
        }
    }
}

/// Languages whose money and month names need no refining.
const REFINED: &[&str] = &[
    "sv", "da", "nb", "nn", "no", "is", "fi", "pl", "cs", "sk", "hr", "sl", "hu", "ro", "tr", "ja",
    "zh", "it", "pt", "ca",
];

/// The letters [`refine_lang`] looks for, in the groups it asks about (indexed by the
/// constants below).
const TELLING: [&[char]; 7] = [
    &['ł', 'ą', 'ę', 'ś', 'ź', 'ż', 'Ł'],
    &['đ', 'Đ'],
    &['ř', 'ů', 'Ř'],
    &['æ', 'ø', 'Æ', 'Ø'],
    &['ä', 'ö'],
    &['円', 'の', 'を', 'ご'],
    &['元', '的', '发', '请'],
];
const POLISH: usize = 0;
const CROATIAN: usize = 1;
const CZECH: usize = 2;
const NORDIC: usize = 3;
const SWEDISH: usize = 4;
const JAPANESE: usize = 5;
const CHINESE: usize = 6;

/// The language claims are read in: `lang`, or the one the text's letters and words show
/// where the detector's languages do not include it.
pub fn refine_lang<'a>(lang: &'a str, text: &str) -> &'a str {
    if REFINED.contains(&lang) {
        return lang;
    }
    // One pass over the sample notes which of the telling letters it has (a search per group
    // of letters cost more than the rest of reading the claims).
    let (mut seen, mut end) = (0u32, text.len());
    for (n, (i, c)) in text.char_indices().enumerate() {
        if n == 2000 {
            end = i;
            break;
        }
        if !c.is_ascii() {
            if let Some(k) = TELLING.iter().position(|group| group.contains(&c)) {
                seen |= 1 << k;
            }
        }
    }
    let sample = &text[..end];
    let has = |group: usize| seen & (1 << group) != 0;
    // Folded once, when a word is first looked for (the words are all Latin letters, which
    // folding lowers as `to_lowercase` does, at a fraction of its cost).
    let lower = std::cell::OnceCell::new();
    let word = |w: &str| lower.get_or_init(|| crate::fold::fold(sample)).contains(w);
    if has(POLISH) {
        "pl"
    } else if has(CROATIAN) || word("račun") || word("dospijeć") {
        "hr"
    } else if has(CZECH) {
        "cs"
    } else if has(NORDIC) {
        let norwegian = [
            "beløp",
            "forfall",
            "vennlig",
            "purring",
            "påminnelse",
            "tenk ",
            "innen",
        ];
        if norwegian.iter().any(|w| word(w)) {
            "nb"
        } else {
            "da"
        }
    } else if has(SWEDISH) && (word("förfall") || word("belopp") || word(" och ")) {
        "sv"
    } else if has(JAPANESE) {
        "ja"
    } else if has(CHINESE) {
        "zh"
    } else {
        // The detector's own language, or an unknown one: either way "" reads the defaults.
        lang
    }
}

/// Whether 10/01/2026 means 10 January or October 1: the language first, then any
/// unambiguous slash date in the text, then where the sender is (its domain, a +1 phone
/// number or a US state and ZIP code against another country's), then the currency.
pub fn day_order(lang: &str, domain: Option<&str>, amount: Option<&Money>, body: &str) -> DayOrder {
    if lang != "en" {
        return DayOrder::DayFirst;
    }
    let tld = domain.and_then(|d| d.rsplit('.').next()).unwrap_or("");
    let generic = matches!(tld, "com" | "net" | "org" | "io" | "co" | "biz" | "us" | "");
    let clues = sender_clues(body);
    if let Some(order) = clues.revealed {
        return order;
    }
    if tld == "us" {
        return DayOrder::MonthFirst;
    }
    if !generic {
        return DayOrder::DayFirst;
    }
    let usd = amount.map(|m| m.currency == "USD");
    match (clues.us, clues.elsewhere, usd) {
        (true, false, Some(true) | None) => DayOrder::MonthFirst,
        (_, true, _) | (_, _, Some(false)) => DayOrder::DayFirst,
        _ => DayOrder::MonthFirst,
    }
}

/// The first `max` bytes of `text`, cut at a character boundary.
fn head(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[derive(Default)]
struct SenderClues {
    /// A slash date with a part above 12 shows which convention the writer uses.
    revealed: Option<DayOrder>,
    /// A +1 phone number or a US state and ZIP code.
    us: bool,
    /// A phone number with another country code, or a UK postcode.
    elsewhere: bool,
}

/// One pass over the body for everything that tells where a sender writes from.
fn sender_clues(body: &str) -> SenderClues {
    static CLUE_RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?-u:\b)(?P<a>\d{1,2})/(?P<b>\d{1,2})/\d{2,4}(?-u:\b)|(?P<us>\+1[ .\-(]{0,2}\d{3}[ .\-)]{0,2}\d{3}[ .\-]?\d{4}(?-u:\b)|\(\d{3}\) ?\d{3}-\d{4}(?-u:\b)|(?-u:\b)(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC) \d{5}(?:-\d{4})?(?-u:\b))|(?P<other>\+(?:44|353|61|64|27|91|49|33|34|31|32|39|41|43|45|46|47|48|351|358)[ .\-(]{0,2}\d|(?-u:\b)[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}(?-u:\b))")
            .expect("valid regex")
    });
    let mut clues = SenderClues::default();
    for c in CLUE_RE.captures_iter(head(body, 64 * 1024)) {
        // The first revealing date decides (see `day_order`): nothing after it matters.
        if clues.revealed.is_some() {
            break;
        }
        if c.name("us").is_some() {
            clues.us = true;
        } else if c.name("other").is_some() {
            clues.elsewhere = true;
        } else if clues.revealed.is_none() {
            let part = |n: &str| c.name(n).and_then(|m| m.as_str().parse::<u32>().ok());
            if let (Some(a), Some(b)) = (part("a"), part("b")) {
                if a > 12 && b <= 12 {
                    clues.revealed = Some(DayOrder::DayFirst);
                } else if b > 12 && a <= 12 {
                    clues.revealed = Some(DayOrder::MonthFirst);
                }
            }
        }
    }
    clues
}
