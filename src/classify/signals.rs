//! The wording that marks a chaser, its stage, or a look-alike that is not one (a receipt, a new
//! invoice, a newsletter...), in 22 languages: the rules live in rules/*.txt, one per line,
//! and carry no weight of their own (the weights are fitted, see score.rs). Each hit keeps
//! the words that fired it, so every decision can say which words led to it. No I/O here.

use regex::{Regex, RegexSet, RegexSetBuilder};
use std::sync::LazyLock;

/// What a piece of wording is evidence of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Courtesy or just-due reminder.
    Reminder,
    /// Past-due notice.
    Overdue,
    /// Final notice, collections, legal action, suspension.
    Final,
    /// Statement of account, open items.
    Statement,
    /// Asks for payment without saying which stage ("please arrange payment").
    Claim,
    /// Thanks for or confirms a payment.
    Receipt,
    /// Issues a new invoice.
    NewInvoice,
    /// Shipping or delivery notice.
    Shipping,
    /// Newsletter, marketing, webinar.
    Marketing,
    /// Credit note or quotation.
    OtherDocument,
    /// Asks to pay to new or changed bank details.
    BankChange,
    /// An out-of-office reply or a bounce.
    AutoReply,
    /// Asks for news on something earlier ("any update on the below?").
    FollowUp,
    /// A fee or interest added for paying late.
    Fee,
    /// What is left after a part payment.
    PartPayment,
}

impl Signal {
    pub fn is_chase(self) -> bool {
        matches!(
            self,
            Signal::Reminder | Signal::Overdue | Signal::Final | Signal::Statement | Signal::Claim
        )
    }

    pub fn is_negative(self) -> bool {
        matches!(
            self,
            Signal::Receipt
                | Signal::NewInvoice
                | Signal::Shipping
                | Signal::Marketing
                | Signal::OtherDocument
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            Signal::Reminder => "reminder wording",
            Signal::Overdue => "overdue wording",
            Signal::Final => "final-notice wording",
            Signal::Statement => "statement wording",
            Signal::Claim => "asks for payment",
            Signal::Receipt => "payment-receipt wording",
            Signal::NewInvoice => "new-invoice wording",
            Signal::Shipping => "shipping-notice wording",
            Signal::Marketing => "newsletter/marketing wording",
            Signal::OtherDocument => "credit-note/quotation wording",
            Signal::BankChange => "asks to pay to new bank details",
            Signal::AutoReply => "automatic-reply wording",
            Signal::FollowUp => "follow-up wording",
            Signal::Fee => "late-fee wording",
            Signal::PartPayment => "part-payment wording",
        }
    }

    /// Every signal, in a fixed order (feature names are built from it).
    pub const ALL: [Signal; 15] = [
        Signal::Reminder,
        Signal::Overdue,
        Signal::Final,
        Signal::Statement,
        Signal::Claim,
        Signal::Receipt,
        Signal::NewInvoice,
        Signal::Shipping,
        Signal::Marketing,
        Signal::OtherDocument,
        Signal::BankChange,
        Signal::AutoReply,
        Signal::FollowUp,
        Signal::Fee,
        Signal::PartPayment,
    ];

    /// The name used in rules/*.txt and in the weight table.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Reminder => "reminder",
            Signal::Overdue => "overdue",
            Signal::Final => "final",
            Signal::Statement => "statement",
            Signal::Claim => "claim",
            Signal::Receipt => "receipt",
            Signal::NewInvoice => "newinvoice",
            Signal::Shipping => "shipping",
            Signal::Marketing => "marketing",
            Signal::OtherDocument => "document",
            Signal::BankChange => "bank",
            Signal::AutoReply => "autoreply",
            Signal::FollowUp => "followup",
            Signal::Fee => "fee",
            Signal::PartPayment => "partpay",
        }
    }

    fn from_name(name: &str) -> Option<Signal> {
        Signal::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// One wording rule, read from rules/*.txt.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable name in the weight table: language, signal and its place among that
    /// language's rules for the signal ("de.overdue.2").
    pub id: String,
    pub signal: Signal,
    /// A strong rule names the thing outright; a weak one is a hint ("reminder" alone).
    pub strong: bool,
    /// A match right after a negation ("not", "no hemos", "pas") does not count.
    negatable: bool,
    pattern: String,
    /// Whether a match must start at a word's start. Languages that write compounds
    /// (German "Zahlungserinnerung", Swedish "betalningspåminnelse") match inside words;
    /// the others do not, so Romanian "datori" is not found in Spanish "recordatorio".
    word_start: bool,
}

/// Languages whose rules may match inside a compound word, and scripts without spaces.
const COMPOUNDING: [&str; 9] = ["de", "nl", "sv", "da", "nb", "fi", "hu", "ja", "zh"];

impl Rule {
    /// The regex source the rule runs as.
    fn source(&self) -> String {
        if self.word_start {
            format!(r"(?:^|[^\p{{L}}\p{{N}}])(?:{})", self.pattern)
        } else {
            self.pattern.clone()
        }
    }
}

const RULE_FILES: [&str; 4] = [
    include_str!("rules/west.txt"),
    include_str!("rules/north.txt"),
    include_str!("rules/east.txt"),
    include_str!("rules/cjk.txt"),
];

fn parse_rules() -> Vec<Rule> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut counts: std::collections::HashMap<(String, Signal), usize> = Default::default();
    for file in RULE_FILES {
        for line in file.lines() {
            let line = line.trim_end();
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.splitn(4, ' ');
            let (Some(lang), Some(sig), Some(strength), Some(pattern)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                panic!("rule line is not LANG SIGNAL STRENGTH PATTERN: {line}");
            };
            let signal =
                Signal::from_name(sig).unwrap_or_else(|| panic!("unknown signal {sig}: {line}"));
            let n = counts.entry((lang.to_string(), signal)).or_default();
            *n += 1;
            rules.push(Rule {
                id: format!("{lang}.{sig}.{n}"),
                signal,
                strong: strength != "-",
                negatable: strength == "!",
                // Romanian comma-below letters fold to their cedilla forms (see fold.rs).
                pattern: pattern.replace('ș', "ş").replace('ț', "ţ"),
                word_start: !COMPOUNDING.contains(&lang),
            });
        }
    }
    rules
}

/// Every wording rule, in file order.
pub static RULES: LazyLock<Vec<Rule>> = LazyLock::new(parse_rules);

/// A rule that fired, with the words that fired it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index into [`RULES`].
    pub rule: usize,
    pub signal: Signal,
    pub strong: bool,
    pub snippet: String,
}

// The rules are written in lower case and run on lower-cased text: case-insensitive Unicode
// matching multiplies the states of the set's lazy DFA, which then thrashes its cache and
// falls back to the much slower NFA simulation (measured: 130 messages/s instead of thousands).
static SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSetBuilder::new(RULES.iter().map(Rule::source))
        .size_limit(256 * 1024 * 1024)
        .dfa_size_limit(64 * 1024 * 1024)
        .build()
        .expect("signal rules are valid")
});

static EACH: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    RULES
        .iter()
        .map(|r| Regex::new(&r.source()).expect("signal rules are valid"))
        .collect()
});

static NEGATION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:(?-u:\b)not|(?-u:\b)no|n't|(?-u:\b)nicht|(?-u:\b)kein\w*|(?-u:\b)pas|(?-u:\b)geen|(?-u:\b)nog niet|(?-u:\b)aún no|(?-u:\b)todavía no|(?-u:\b)nie|(?-u:\b)never|(?-u:\b)noch nicht|(?-u:\b)non|(?-u:\b)não|(?-u:\b)ne|(?-u:\b)nem|(?-u:\b)inte|(?-u:\b)ikke|(?-u:\b)ei|(?-u:\b)nismo|(?-u:\b)henüz|未|没有|沒有)\W+(?:\w+\W+){0,2}$")
        .expect("valid regex")
});

/// How far along a chase a stage signal is; a weaker stage's words inside a stronger one's
/// ("Mahnung" in "Letzte Mahnung", "reminder" in "2nd reminder", "relance" in "dernière
/// relance") are part of the stronger wording, not evidence of their own.
fn stage_rank(s: Signal) -> Option<u8> {
    match s {
        Signal::Reminder => Some(0),
        Signal::Overdue => Some(1),
        Signal::Final => Some(2),
        _ => None,
    }
}

/// Every rule that fires on `text`, each once, with the first words it matched.
pub fn scan(original: &str) -> Vec<Hit> {
    // Rules run on the folded text; folding keeps byte offsets, so snippets quote the original.
    let folded = crate::fold::fold(original);
    let text = folded.as_str();
    let matched: Vec<usize> = SET.matches(text).iter().collect();
    // A word-start rule's match begins with the character before the word.
    let word = |m: &regex::Match<'_>| {
        let lead = m.as_str().len()
            - m.as_str()
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .len();
        (m.start() + lead, m.end())
    };
    let valid = |rule: &Rule, begin: usize| {
        !rule.negatable || {
            let start = floor_char_boundary(text, begin.saturating_sub(30));
            !NEGATION_RE.is_match(&text[start..begin])
        }
    };
    // Spans of strong stage wording, with their rank.
    let mut stage_spans: Vec<(u8, usize, usize)> = Vec::new();
    for &i in &matched {
        let rule = &RULES[i];
        let Some(rank) = stage_rank(rule.signal).filter(|r| *r > 0 && rule.strong) else {
            continue;
        };
        for m in EACH[i].find_iter(text) {
            let (b, e) = word(&m);
            if valid(rule, b) {
                stage_spans.push((rank, b, e));
            }
        }
    }
    let mut hits = Vec::new();
    for i in matched {
        let rule = &RULES[i];
        let rank = stage_rank(rule.signal);
        let inside_stronger = |b: usize, e: usize| {
            rank.is_some_and(|r| {
                stage_spans
                    .iter()
                    .any(|(sr, sb, se)| *sr > r && *sb <= b && e <= *se)
            })
        };
        let first_valid = EACH[i].find_iter(text).find(|m| {
            let (b, e) = word(m);
            valid(rule, b) && !inside_stronger(b, e)
        });
        if let Some(m) = first_valid {
            let snippet: String = original[m.range()]
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .chars()
                .take(60)
                .collect();
            hits.push(Hit {
                rule: i,
                signal: rule.signal,
                strong: rule.strong,
                snippet: snippet.split_whitespace().collect::<Vec<_>>().join(" "),
            });
        }
    }
    hits
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use Signal::*;

    fn signals(text: &str) -> Vec<Signal> {
        scan(text).into_iter().map(|h| h.signal).collect()
    }

    #[test]
    fn rules_are_lower_case_because_the_text_is() {
        let escapes = Regex::new(r"\\[A-Za-z]|\(\?-u:").unwrap();
        for r in RULES.iter() {
            let letters = escapes.replace_all(&r.pattern, "");
            assert_eq!(letters, letters.to_lowercase(), "{}", r.pattern);
        }
    }

    #[test]
    fn every_rule_compiles() {
        assert_eq!(EACH.len(), RULES.len());
        assert_eq!(SET.len(), RULES.len());
    }

    #[test]
    fn negated_receipt_does_not_count() {
        assert!(signals("Gracias por su pago.").contains(&Receipt));
        assert!(!signals("No hemos recibido su pago.").contains(&Receipt));
        assert!(signals("No hemos recibido su pago.").contains(&Overdue));
        assert!(!signals("we have not received your payment").contains(&Receipt));
    }

    #[test]
    fn stages_in_each_language() {
        assert!(signals("FINAL NOTICE before referral to a collection agency").contains(&Final));
        assert!(signals("2. Mahnung: Rechnung überfällig").contains(&Overdue));
        assert!(signals("Relevé de compte au 31/10").contains(&Statement));
        assert!(signals("Recordatorio de pago").contains(&Reminder));
        assert!(signals("Laatste aanmaning").contains(&Final));
    }

    #[test]
    fn a_weaker_stage_inside_a_stronger_one_is_not_its_own_evidence() {
        let s = signals("Letzte Mahnung");
        assert!(s.contains(&Final) && !s.contains(&Overdue), "{s:?}");
        assert!(!signals("Dernière relance").contains(&Overdue));
        // Elsewhere in the text the weaker word still counts.
        let s = signals("Letzte Mahnung. Unsere Mahnung vom 10.09. blieb unbeantwortet.");
        assert!(s.contains(&Final) && s.contains(&Overdue));
    }
}
