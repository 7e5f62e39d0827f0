//! Finds the matches of a pattern that always begins with one of a few words (the invoice
//! labels) by looking for those words first and running the pattern anchored only where one
//! stands: the same matches, in the same order, as the pattern's own search over the whole
//! text, without its automaton walking every byte. Matching only; never decides what a match
//! means.

use crate::classify::signals::prefix_literals;
use aho_corasick::{AhoCorasick, MatchKind};
use regex_automata::{meta, Anchored, Input};
use std::ops::Range;

/// A pattern and the literal words its matches begin with.
pub struct Starts {
    regex: meta::Regex,
    /// `None` when the pattern's beginnings cannot be listed: then it searches everywhere.
    literals: Option<AhoCorasick>,
    /// Whether every match that begins with an ASCII letter or digit begins at an ASCII word
    /// edge (the pattern's such beginnings all follow `(?-u:\b)`): then a literal found
    /// inside a word ("rg" of "charge") is passed over without running the pattern there.
    word_edge: bool,
}

impl Starts {
    /// Builds the matcher for `pattern` (which must compile).
    pub fn new(pattern: &str) -> Starts {
        let regex = meta::Regex::new(pattern).expect("pattern is valid");
        let literals = prefix_literals(pattern).and_then(|lits| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&lits)
                .ok()
        });
        Starts {
            regex,
            literals,
            word_edge: false,
        }
    }

    /// [`Starts::new`] for a pattern whose matches, when they begin with an ASCII letter or
    /// digit, begin at an ASCII word edge (`(?-u:\b)` before each such beginning).
    pub fn at_word_edges(pattern: &str) -> Starts {
        Starts {
            word_edge: true,
            ..Starts::new(pattern)
        }
    }

    /// Whether the beginnings were listed (the fast path is taken).
    #[cfg(test)]
    pub fn indexed(&self) -> bool {
        self.literals.is_some()
    }

    /// The matches of the pattern in `text`, leftmost-first and non-overlapping, as
    /// `Regex::find_iter` gives them.
    pub fn find_iter(&self, text: &str) -> Vec<Range<usize>> {
        let Some(literals) = &self.literals else {
            return self.regex.find_iter(text).map(|m| m.range()).collect();
        };
        let mut starts: Vec<usize> = literals
            .find_overlapping_iter(text)
            .map(|m| m.start())
            .collect();
        starts.sort_unstable();
        starts.dedup();
        // Every match begins where one of the literals does, so the leftmost match at or
        // after `end` is the anchored match at the first such place that has one (and the
        // look-behind of a word edge still sees the text before it).
        let mut out = Vec::new();
        let mut end = 0;
        let bytes = text.as_bytes();
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        for s in starts {
            if s < end {
                continue;
            }
            // No word edge between two word bytes: the pattern cannot match here.
            if self.word_edge && s > 0 && word(bytes[s]) && word(bytes[s - 1]) {
                continue;
            }
            let input = Input::new(text).span(s..text.len()).anchored(Anchored::Yes);
            if let Some(m) = self.regex.find(input) {
                end = m.end();
                out.push(m.range());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The invoice-label pattern's matches through the literals are its own search's.
    #[test]
    fn same_matches_as_the_patterns_own_search() {
        let re = &*super::super::labels::INVOICE_RE;
        let starts = Starts::at_word_edges(re.as_str());
        assert!(
            starts.indexed(),
            "the invoice labels' beginnings are listed"
        );
        for raw in [
            "Invoice INV-2026-0042 for 1.234,00 EUR, invoices A-1, A-2 and A-3 (bills 5)",
            "xinvoice 12; rechnungsnummer: re-2026/10 und re-nr. 77, rg 123, rgnr 5",
            "fattura n. 2026/123, fatura nº ft 2026/1234, nf-e 001234, notas fiscal 9",
            "請求書番号：INV-1の請求書、发票号码 12345，账单 A9",
            "faktura nr 12345 / lasku 777 / számla 2026/1 / račun br. 45-2026",
            "an invoice for you, inv, inv.",
            "charge, large, xinvoice 12, _rg 5, 9bill 3, é rg 7, billing rg-nr 8",
            "",
        ] {
            let text = crate::fold::fold(raw);
            let want: Vec<_> = re.find_iter(&text).map(|m| m.range()).collect();
            assert_eq!(starts.find_iter(&text), want, "{raw:?}");
        }
    }
}
