//! Where a classified message goes, and the IMAP keywords that tell other mail clients what
//! duebox made of it. Pure decisions; the engine carries them out.

use crate::classify::risk::Risk;
use crate::classify::{Classification, Kind, Stage};
use crate::config::Folders;

/// Whether a fraud warning counts: `unknown_sender` only once the payables database knows
/// some vendors (with none, every sender is unknown). Filing and replies both ask this.
pub fn counts(risk: Risk, vendors_known: bool) -> bool {
    risk != Risk::UnknownSender || vendors_known
}

/// The folder a message is filed into, or `None` when it stays in the inbox. Fraud-flagged
/// chasers (and any message asking for new bank details or from a look-alike domain) go to
/// review, never to a normal chaser folder. `unknown_sender` counts only once the payables
/// database knows some vendors: with none, every sender is unknown.
pub fn destination<'a>(
    c: &Classification,
    folders: &'a Folders,
    vendors_known: bool,
) -> Option<&'a str> {
    let risky = c.risk.iter().any(|r| counts(*r, vendors_known));
    let alarming = c
        .risk
        .iter()
        .any(|r| matches!(r, Risk::BankChange | Risk::LookalikeDomain));
    if (c.kind == Kind::Chaser && risky) || alarming {
        return Some(&folders.review);
    }
    if c.kind != Kind::Chaser {
        return None;
    }
    Some(match c.stage? {
        Stage::Reminder => &folders.reminder,
        Stage::Overdue => &folders.overdue,
        Stage::Final => &folders.final_notice,
        Stage::Statement => &folders.statement,
    })
}

/// The keywords for a filed message: `$Chaser` and its stage, or `$FraudRisk`.
pub fn keywords(stage: Option<&str>, risky: bool) -> Vec<&'static str> {
    let mut words = vec!["$Chaser"];
    if risky {
        words.push("$FraudRisk");
    }
    words.push(match stage {
        Some("reminder") => "$Reminder",
        Some("overdue") => "$Overdue",
        Some("final") => "$FinalNotice",
        Some("statement") => "$Statement",
        _ => return words,
    });
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{classify_bytes, Options};

    fn classify(raw: &str) -> Classification {
        let opts = Options {
            own_domains: vec!["northwind-traders.com".into()],
            own_names: vec![],
            today: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        };
        classify_bytes(raw.as_bytes(), &opts).unwrap().1
    }

    #[test]
    fn chasers_by_stage_fraud_to_review_others_stay() {
        let folders = Folders::default();
        let overdue = classify("From: A <ar@acme.co.uk>\nSubject: Overdue invoice INV-1\n\nInvoice INV-1 is now overdue. Please pay the outstanding balance of GBP 100.00 immediately.\n");
        assert_eq!(
            destination(&overdue, &folders, true),
            Some("Chasers/Overdue")
        );
        let mut risky = overdue.clone();
        risky.risk.push(Risk::UnknownSender);
        assert_eq!(destination(&risky, &folders, true), Some("Chasers/Review"));
        assert_eq!(
            destination(&risky, &folders, false),
            Some("Chasers/Overdue")
        );
        let other = classify("From: A <news@acme.co.uk>\nSubject: Lunch\n\nSee you at noon.\n");
        assert_eq!(destination(&other, &folders, true), None);
        let mut bank = other.clone();
        bank.risk.push(Risk::BankChange);
        assert_eq!(destination(&bank, &folders, true), Some("Chasers/Review"));
        assert_eq!(keywords(Some("overdue"), false), ["$Chaser", "$Overdue"]);
        assert_eq!(keywords(None, true), ["$Chaser", "$FraudRisk"]);
    }
}
