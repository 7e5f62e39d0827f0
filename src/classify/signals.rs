//! The wording that marks a chaser, its stage, or a look-alike that is not one (a receipt, a new
//! invoice, a newsletter...), in 22 languages: the rules live in rules/*.txt, one per line,
//! and carry no weight of their own (the weights are fitted, see score.rs). Each hit keeps
//! the words that fired it, so every decision can say which words led to it. No I/O here.

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use regex_automata::{meta, Anchored, Input};
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

// The rules are written in lower case and run on folded text (case-insensitive Unicode
// matching multiplies the states of a lazy DFA). They are not run as one RegexSet: its
// overlapping search over ~450 patterns spent most of its time building DFA states (every
// state holds every rule's start) and was half the cost of classifying. Instead one
// Aho-Corasick pass finds where any rule's literal prefix occurs, and only there does that
// rule run, anchored: the same matches as the rule's own unanchored search, found where they
// can be.
static MATCHER: LazyLock<Matcher> = LazyLock::new(|| Matcher::new(&RULES));

/// The rules' prefix literals in one automaton, and each rule as a regex run anchored at the
/// places its literals are found.
struct Matcher {
    literals: AhoCorasick,
    /// For each literal, the rules whose matches can begin with it.
    rules_of: Vec<Vec<usize>>,
    /// Rules with no usable literal prefix: searched the ordinary way, over the whole text.
    unindexed: Vec<usize>,
    each: Vec<meta::Regex>,
    /// For each rule, whether its matches begin at a word's start.
    word_start: Vec<bool>,
}

impl Matcher {
    fn new(rules: &[Rule]) -> Matcher {
        let mut index: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut rules_of: Vec<Vec<usize>> = Vec::new();
        let mut unindexed = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            match prefix_literals(&rule.pattern) {
                Some(lits) => {
                    for lit in lits {
                        let at = *index.entry(lit.clone()).or_insert_with(|| {
                            literals.push(lit);
                            rules_of.push(Vec::new());
                            literals.len() - 1
                        });
                        if rules_of[at].last() != Some(&i) {
                            rules_of[at].push(i);
                        }
                    }
                }
                None => unindexed.push(i),
            }
        }
        let each = rules
            .iter()
            .map(|r| meta::Regex::new(&r.source()).expect("signal rules are valid"))
            .collect();
        Matcher {
            // The default automaton (a contiguous NFA), measured against DFAs: one over every
            // literal took over 100 MB in every process that classifies, and one over their
            // first 9 bytes (18 MB) was slower than this one, its table too large for the
            // caches.
            literals: AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&literals)
                .expect("rule literals build an automaton"),
            rules_of,
            unindexed,
            each,
            word_start: rules.iter().map(|r| r.word_start).collect(),
        }
    }

    /// For every rule that may match `text`, in rule order, the positions its matches can
    /// start at (`None`: anywhere).
    fn candidates(&self, text: &str) -> Vec<(usize, Option<Vec<usize>>)> {
        // Offsets are packed in 32 bits below; the texts read are bounded far below that.
        let text = &text[..floor_char_boundary(text, text.len().min(u32::MAX as usize))];
        let bytes = text.as_bytes();
        // (rule, start) packed in one number, so that sorting them is sorting numbers: this
        // list was most of the cost of finding candidates.
        let mut found: Vec<u64> = Vec::new();
        for m in self.literals.find_overlapping_iter(text) {
            let at = m.start();
            // A word-start rule's match begins with the character before its word, which is
            // no letter or digit: after an ASCII one the rule cannot match here.
            let inside_word = at > 0 && bytes[at - 1].is_ascii_alphanumeric();
            for &rule in &self.rules_of[m.pattern().as_usize()] {
                if !(inside_word && self.word_start[rule]) {
                    found.push(((rule as u64) << 32) | at as u64);
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        let mut out: Vec<(usize, Option<Vec<usize>>)> = Vec::new();
        for packed in found {
            let (rule, at) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
            let start = if self.word_start[rule] && at > 0 {
                floor_char_boundary(text, at - 1)
            } else {
                at
            };
            match out.last_mut() {
                Some((r, Some(starts))) if *r == rule => {
                    if starts.last() != Some(&start) {
                        starts.push(start);
                    }
                }
                _ => out.push((rule, Some(vec![start]))),
            }
        }
        out.extend(self.unindexed.iter().map(|&r| (r, None)));
        out.sort_by_key(|(r, _)| *r);
        out
    }

    /// The matches of rule `rule` in `text`, as its unanchored search would find them one
    /// after the other, trying only `starts` (ascending) when given.
    fn matches<'a>(
        &'a self,
        rule: usize,
        text: &'a str,
        starts: Option<&'a [usize]>,
    ) -> Box<dyn Iterator<Item = std::ops::Range<usize>> + 'a> {
        let re = &self.each[rule];
        let Some(starts) = starts else {
            return Box::new(re.find_iter(text).map(|m| m.range()));
        };
        let mut end = 0;
        Box::new(starts.iter().filter_map(move |&s| {
            if s < end {
                return None;
            }
            let input = Input::new(text).span(s..text.len()).anchored(Anchored::Yes);
            let m = re.find(input)?;
            end = m.end();
            Some(m.range())
        }))
    }
}

/// The literals every match of `pattern` begins with, when there is a finite set of them and
/// none is empty (an empty one would say nothing about where a match starts). The invoice
/// label scan (`extract/starts.rs`) finds its starts the same way.
pub(crate) fn prefix_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    // A rule that can match nothing at all would need the ordinary search's handling of
    // empty matches.
    if hir.properties().minimum_len().is_none_or(|n| n == 0) {
        return None;
    }
    let mut extractor = regex_syntax::hir::literal::Extractor::new();
    extractor
        .kind(regex_syntax::hir::literal::ExtractKind::Prefix)
        .limit_total(4096)
        .limit_class(30)
        .limit_literal_len(40);
    let seq = extractor.extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

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
    scan_folded(original, &crate::fold::fold(original))
}

/// [`scan`] of `original` whose case fold (`crate::fold::fold`) the caller made already, for
/// the other readers of the same text.
pub fn scan_folded(original: &str, folded: &str) -> Vec<Hit> {
    // Rules run on the folded text; folding keeps byte offsets, so snippets quote the original.
    let text = folded;
    let matcher = &*MATCHER;
    let candidates = matcher.candidates(text);
    // A word-start rule's match begins with the character before the word.
    let word = |m: &std::ops::Range<usize>| {
        let s = &text[m.clone()];
        let lead = s.len() - s.trim_start_matches(|c: char| !c.is_alphanumeric()).len();
        (m.start + lead, m.end)
    };
    let valid = |rule: &Rule, begin: usize| {
        !rule.negatable || {
            let start = floor_char_boundary(text, begin.saturating_sub(30));
            !NEGATION_RE.is_match(&text[start..begin])
        }
    };
    // Spans of strong stage wording, with their rank.
    let mut stage_spans: Vec<(u8, usize, usize)> = Vec::new();
    for (i, starts) in &candidates {
        let rule = &RULES[*i];
        let Some(rank) = stage_rank(rule.signal).filter(|r| *r > 0 && rule.strong) else {
            continue;
        };
        for m in matcher.matches(*i, text, starts.as_deref()) {
            let (b, e) = word(&m);
            if valid(rule, b) {
                stage_spans.push((rank, b, e));
            }
        }
    }
    let mut hits = Vec::new();
    for (i, starts) in &candidates {
        let i = *i;
        let rule = &RULES[i];
        let rank = stage_rank(rule.signal);
        let inside_stronger = |b: usize, e: usize| {
            rank.is_some_and(|r| {
                stage_spans
                    .iter()
                    .any(|(sr, sb, se)| *sr > r && *sb <= b && e <= *se)
            })
        };
        let first_valid = matcher.matches(i, text, starts.as_deref()).find(|m| {
            let (b, e) = word(m);
            valid(rule, b) && !inside_stronger(b, e)
        });
        if let Some(m) = first_valid {
            let snippet: String = original[m]
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
    fn every_rule_compiles_and_has_literals() {
        assert_eq!(MATCHER.each.len(), RULES.len());
        // Not required for correctness (such a rule is searched the slow way), but each one
        // costs a pass over every text.
        let unindexed: Vec<&str> = MATCHER
            .unindexed
            .iter()
            .map(|&i| RULES[i].id.as_str())
            .collect();
        assert!(
            unindexed.is_empty(),
            "rules without literal prefixes: {unindexed:?}"
        );
    }

    /// The anchored runs at the literals' places find exactly what each rule's own search
    /// over the whole text finds.
    #[test]
    fn indexed_matches_are_the_rules_own() {
        let texts = [
            "Zahlungserinnerung: Rechnung RE-1 ist überfällig. Letzte Mahnung!",
            "FINAL NOTICE: your account is past due; payment reminder reminder reminder",
            "no hemos recibido su pago, recordatorio de pago; ¿vencida? vencidas",
            "xpayment reminder, apayment; 2nd reminder (second notice) ämne påminnelse",
            "請求書のお支払期限が過ぎています。督促状 催款通知 提醒",
            "",
        ];
        let each: Vec<Regex> = RULES
            .iter()
            .map(|r| Regex::new(&r.source()).unwrap())
            .collect();
        for raw in texts {
            let text = crate::fold::fold(raw);
            let candidates = MATCHER.candidates(&text);
            for (i, re) in each.iter().enumerate() {
                let want: Vec<_> = re.find_iter(&text).map(|m| m.range()).collect();
                let got: Vec<_> = candidates
                    .iter()
                    .find(|(r, _)| *r == i)
                    .map(|(_, s)| MATCHER.matches(i, &text, s.as_deref()).collect())
                    .unwrap_or_default();
                assert_eq!(got, want, "rule {} on {raw:?}", RULES[i].id);
            }
        }
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
