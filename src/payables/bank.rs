//! Bank details: finding the IBANs and account numbers a message asks us to pay into, and
//! comparing them with what we know of the vendor. A fraudster who took over a vendor's
//! mailbox often just prints a different IBAN without saying anything changed, so the
//! comparison matters as much as the wording. Pure: text in, values out.

use regex::Regex;
use std::sync::LazyLock;

/// Where a payment would go, normalised: IBAN upper-case without spaces; an account
/// number as its digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PaymentDetail {
    Iban(String),
    Account(String),
}

impl std::fmt::Display for PaymentDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PaymentDetail::Iban(iban) => {
                // Printed in groups of four, as on a bank statement.
                let groups: Vec<String> = iban
                    .as_bytes()
                    .chunks(4)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect();
                write!(f, "IBAN {}", groups.join(" "))
            }
            PaymentDetail::Account(number) => write!(f, "account number {number}"),
        }
    }
}

/// What we know of a vendor's bank: either may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownBank {
    pub iban: Option<String>,
    pub account_number: Option<String>,
}

impl KnownBank {
    /// From the stored columns, normalised; `None` when nothing is known.
    pub fn new(iban: Option<&str>, account_number: Option<&str>) -> Option<KnownBank> {
        let iban = iban.map(normalise_iban).filter(|s| !s.is_empty());
        let account_number = account_number.map(digits).filter(|s| !s.is_empty());
        (iban.is_some() || account_number.is_some()).then_some(KnownBank {
            iban,
            account_number,
        })
    }

    /// Whether a payment detail is this vendor's. A UK IBAN carries the sort code and
    /// account number, so an account number known alone still recognises its IBAN.
    pub fn owns(&self, detail: &PaymentDetail) -> bool {
        match detail {
            PaymentDetail::Iban(iban) => {
                self.iban.as_deref() == Some(iban.as_str())
                    || self
                        .account_number
                        .as_deref()
                        .is_some_and(|a| a.len() >= 6 && iban.ends_with(a))
            }
            PaymentDetail::Account(number) => {
                self.account_number.as_deref() == Some(number.as_str())
                    || self
                        .iban
                        .as_deref()
                        .is_some_and(|i| number.len() >= 6 && i.ends_with(number.as_str()))
            }
        }
    }

    /// Our record, for a reason line ("IBAN …4321").
    pub fn describe(&self) -> String {
        match (&self.iban, &self.account_number) {
            (Some(iban), _) => format!("IBAN ending {}", tail(iban)),
            (None, Some(acc)) => format!("account number ending {}", tail(acc)),
            (None, None) => "nothing".to_string(),
        }
    }
}

fn tail(s: &str) -> &str {
    &s[s.len().saturating_sub(4)..]
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// An IBAN without spaces or separators, upper-case.
pub fn normalise_iban(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// ISO 13616: country code, two check digits, and a mod-97 remainder of 1. The check keeps
/// reference numbers that merely look like IBANs out.
pub fn iban_is_valid(iban: &str) -> bool {
    let b = iban.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let mut rest = 0u32;
    for &c in b[4..].iter().chain(&b[..4]) {
        let value = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c.to_ascii_uppercase() - b'A') + 10
        };
        rest = if value >= 10 {
            (rest * 100 + value) % 97
        } else {
            (rest * 10 + value) % 97
        };
    }
    rest == 1
}

static IBAN_RE: LazyLock<Regex> = LazyLock::new(|| {
    // Two letters, two digits, then groups that may be separated by single spaces.
    Regex::new(r"(?i)(?-u:\b)[a-z]{2}[0-9]{2}(?:[ \u{a0}]?[a-z0-9]){11,30}(?-u:\b)")
        .expect("valid regex")
});

static ACCOUNT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:account\s*(?:number|no\.?|#)|acct\.?\s*(?:number|no\.?|#)?|kontonummer|konto-?nr\.?|num[ée]ro de compte|n[úu]mero de cuenta|rekeningnummer)\s*[:#]?\s*([0-9][0-9 \-]{4,20}[0-9])",
    )
    .expect("valid regex")
});

/// Every IBAN (with a valid check) and labelled account number in a text, in order, once.
pub fn find_payment_details(text: &str) -> Vec<PaymentDetail> {
    let mut found: Vec<PaymentDetail> = Vec::new();
    let mut push = |d: PaymentDetail| {
        if !found.contains(&d) {
            found.push(d);
        }
    };
    for m in IBAN_RE.find_iter(text) {
        // A greedy match can run into the next word ("DE89 3704 ... 00 BIC"): shorten it
        // group by group until the check digits agree.
        let mut candidate = normalise_iban(m.as_str());
        while candidate.len() >= 15 && !iban_is_valid(&candidate) {
            candidate.pop();
        }
        if iban_is_valid(&candidate) {
            push(PaymentDetail::Iban(candidate));
        }
    }
    for c in ACCOUNT_RE.captures_iter(text) {
        let number = digits(&c[1]);
        if (6..=17).contains(&number.len()) {
            push(PaymentDetail::Account(number));
        }
    }
    found
}

/// The payment details in a message that are not the vendor's known ones.
pub fn unfamiliar<'a>(found: &'a [PaymentDetail], known: &KnownBank) -> Vec<&'a PaymentDetail> {
    found.iter().filter(|d| !known.owns(d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_are_found_checked_and_normalised() {
        let text = "Bitte überweisen Sie auf IBAN: DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX.\n\
                    Ref DE12 3456 7890 1234 5678 90 is not one. GB29NWBK60161331926819 too.";
        assert_eq!(
            find_payment_details(text),
            vec![
                PaymentDetail::Iban("DE89370400440532013000".into()),
                PaymentDetail::Iban("GB29NWBK60161331926819".into()),
            ]
        );
        assert!(iban_is_valid("FR1420041010050500013M02606"));
        assert!(!iban_is_valid("FR1420041010050500013M02607"));
    }

    #[test]
    fn account_numbers_need_a_label() {
        let text = "Invoice 12345678 of 2026.\nAccount number: 4411 2290 33\nRouting 021000021";
        assert_eq!(
            find_payment_details(text),
            vec![PaymentDetail::Account("4411229033".into())]
        );
    }

    #[test]
    fn known_details_are_recognised_in_either_form() {
        let known = KnownBank::new(Some("gb29 nwbk 6016 1331 9268 19"), None).unwrap();
        assert!(known.owns(&PaymentDetail::Iban("GB29NWBK60161331926819".into())));
        assert!(known.owns(&PaymentDetail::Account("31926819".into())));
        assert!(!known.owns(&PaymentDetail::Iban("DE89370400440532013000".into())));
        let us = KnownBank::new(None, Some("4411-2290-33")).unwrap();
        assert!(us.owns(&PaymentDetail::Account("4411229033".into())));
        assert!(!us.owns(&PaymentDetail::Account("9911229033".into())));
        assert_eq!(KnownBank::new(Some(" "), None), None);
    }
}
