//! Scores a message's evidence against every class the way SpamAssassin scores mail: each
//! feature carries a weight per class, fitted by examples/fit.rs on the training corpus and
//! embedded from weights.tsv (never hand-set); a softmax over the sums gives each class's
//! probability. A second, two-class head scores "asks to pay to new bank details". No I/O.

use super::features::{Evidence, NAMES};
use std::collections::HashMap;
use std::sync::LazyLock;

/// What a message can be: a chaser at one of four stages, or one of the look-alikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Reminder,
    Overdue,
    Final,
    Statement,
    NewInvoice,
    Receipt,
    /// Credit note or quotation.
    Document,
    /// Newsletter, marketing, bulk mail.
    Bulk,
    /// Out-of-office reply, bounce.
    AutoReply,
    /// Our own outbound mail.
    Own,
    /// Anything else (shipping notices, conversation, internal mail).
    Other,
}

pub const CLASSES: [Class; 11] = [
    Class::Reminder,
    Class::Overdue,
    Class::Final,
    Class::Statement,
    Class::NewInvoice,
    Class::Receipt,
    Class::Document,
    Class::Bulk,
    Class::AutoReply,
    Class::Own,
    Class::Other,
];
pub const N: usize = CLASSES.len();

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Reminder => "reminder",
            Class::Overdue => "overdue",
            Class::Final => "final",
            Class::Statement => "statement",
            Class::NewInvoice => "new_invoice",
            Class::Receipt => "receipt",
            Class::Document => "document",
            Class::Bulk => "bulk",
            Class::AutoReply => "auto_reply",
            Class::Own => "own",
            Class::Other => "other",
        }
    }

    /// How a reason names the class.
    pub fn described(self) -> &'static str {
        match self {
            Class::Reminder => "a reminder",
            Class::Overdue => "an overdue notice",
            Class::Final => "a final notice",
            Class::Statement => "a statement of account",
            Class::NewInvoice => "a new invoice",
            Class::Receipt => "a payment receipt or remittance",
            Class::Document => "a credit note or quote",
            Class::Bulk => "a newsletter or bulk mail",
            Class::AutoReply => "an automatic reply",
            Class::Own => "our own mail",
            Class::Other => "ordinary mail",
        }
    }

    pub fn from_name(name: &str) -> Option<Class> {
        CLASSES.into_iter().find(|c| c.name() == name)
    }

    pub fn is_chaser(self) -> bool {
        matches!(
            self,
            Class::Reminder | Class::Overdue | Class::Final | Class::Statement
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The fitted weights: per feature, one weight per class and one for the bank-change head.
#[derive(Debug, Clone)]
pub struct Table {
    pub class: Vec<[f32; N]>,
    pub bank: Vec<f32>,
}

/// The weight table the binary embeds (written by `cargo run --example fit`).
pub const EMBEDDED: &str = include_str!("weights.tsv");

impl Table {
    /// Reads a table in the fit's format; features it names that no longer exist are
    /// ignored, features it lacks weigh nothing (the `weights_match_the_rules` test keeps
    /// the embedded table current).
    pub fn parse(text: &str) -> Table {
        let index: HashMap<&str, usize> = NAMES
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let mut table = Table {
            class: vec![[0.0; N]; NAMES.len()],
            bank: vec![0.0; NAMES.len()],
        };
        let mut columns: Vec<Option<usize>> = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut cells = line.split('\t');
            let name = cells.next().unwrap_or("");
            if name == "feature" {
                columns = cells
                    .map(|c| {
                        if c == "bank_change" {
                            Some(N)
                        } else {
                            Class::from_name(c).map(Class::index)
                        }
                    })
                    .collect();
                continue;
            }
            let Some(&f) = index.get(name) else {
                continue;
            };
            for (cell, col) in cells.zip(&columns) {
                let Ok(w) = cell.trim().parse::<f32>() else {
                    continue;
                };
                match col {
                    Some(c) if *c < N => table.class[f][*c] = w,
                    Some(_) => table.bank[f] = w,
                    None => {}
                }
            }
        }
        table
    }

    /// The features the table gives any weight to.
    pub fn known(&self, f: usize) -> bool {
        self.class[f].iter().any(|w| *w != 0.0) || self.bank[f] != 0.0
    }
}

pub static TABLE: LazyLock<Table> = LazyLock::new(|| Table::parse(EMBEDDED));

/// A message's scores.
#[derive(Debug, Clone)]
pub struct Scores {
    pub sums: [f32; N],
    pub probs: [f32; N],
    /// Probability that it asks to pay to new bank details.
    pub bank: f32,
}

impl Scores {
    /// The probability that it is a chaser (of any stage).
    pub fn chaser(&self) -> f32 {
        CLASSES
            .iter()
            .filter(|c| c.is_chaser())
            .map(|c| self.probs[c.index()])
            .sum()
    }

    /// The most likely class among those `pred` allows.
    pub fn best(&self, pred: impl Fn(Class) -> bool) -> Class {
        CLASSES
            .into_iter()
            .filter(|c| pred(*c))
            .max_by(|a, b| self.sums[a.index()].total_cmp(&self.sums[b.index()]))
            .unwrap_or(Class::Other)
    }

    pub fn prob(&self, c: Class) -> f32 {
        self.probs[c.index()]
    }
}

/// Scores `ev` with `table`.
pub fn score(ev: &Evidence, table: &Table) -> Scores {
    let mut sums = [0.0f32; N];
    let mut bank = 0.0f32;
    for &f in &ev.active {
        for (s, w) in sums.iter_mut().zip(&table.class[f]) {
            *s += w;
        }
        bank += table.bank[f];
    }
    Scores {
        probs: softmax(&sums),
        sums,
        bank: 1.0 / (1.0 + (-bank).exp()),
    }
}

pub fn softmax(sums: &[f32; N]) -> [f32; N] {
    let max = sums.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut out = [0.0f32; N];
    let mut total = 0.0;
    for (o, s) in out.iter_mut().zip(sums) {
        *o = (s - max).exp();
        total += *o;
    }
    for o in &mut out {
        *o /= total;
    }
    out
}

/// How much each active feature pushed `for_class` over `against`, strongest first (only
/// those that pushed it at all).
pub fn contributions(
    ev: &Evidence,
    table: &Table,
    for_class: Class,
    against: Class,
) -> Vec<(usize, f32)> {
    let mut out: Vec<(usize, f32)> = ev
        .active
        .iter()
        .map(|&f| {
            let w = &table.class[f];
            (f, w[for_class.index()] - w[against.index()])
        })
        .filter(|(_, d)| *d > 0.05)
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// How much each active feature pushed the bank-change head, strongest first.
pub fn bank_contributions(ev: &Evidence, table: &Table) -> Vec<(usize, f32)> {
    let mut out: Vec<(usize, f32)> = ev
        .active
        .iter()
        .map(|&f| (f, table.bank[f]))
        .filter(|(_, d)| *d > 0.05)
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule added, removed or moved renames features: the embedded table must be refitted
    /// (`cargo run --example fit`), or weights would silently land on the wrong evidence.
    #[test]
    fn weights_match_the_rules() {
        let mut stale = Vec::new();
        for line in EMBEDDED.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split('\t').next().unwrap_or("");
            if name != "feature" && !NAMES.iter().any(|n| n == name) {
                stale.push(name.to_string());
            }
        }
        assert!(
            stale.is_empty(),
            "weights.tsv names unknown features {stale:?}: refit"
        );
        assert!(EMBEDDED.lines().count() > 100, "the table has been fitted");
    }

    #[test]
    fn softmax_sums_to_one() {
        let p = softmax(&[1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(p[2] > p[1] && p[1] > p[0]);
    }
}
