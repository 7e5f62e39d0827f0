//! Fraud (business-email-compromise) warnings that need nothing but the message itself:
//! a request to pay to new bank details, a Reply-To at another domain, failed sender
//! authentication. The checks against known vendors live with the payables. No I/O here.

use crate::mail::Message;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// A fraud warning, named as in the JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    BankChange,
    LookalikeDomain,
    ReplyToMismatch,
    UnknownSender,
    AuthFail,
}

/// One reason behind a fraud warning: the warning it supports and the words shown for it.
/// Decided where the reason is written (the classifier, the payables check), so a view
/// never has to guess from the words which reasons are about fraud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FraudReason {
    pub risk: Risk,
    pub detail: String,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::BankChange => "bank_change",
            Risk::LookalikeDomain => "lookalike_domain",
            Risk::ReplyToMismatch => "reply_to_mismatch",
            Risk::UnknownSender => "unknown_sender",
            Risk::AuthFail => "auth_fail",
        }
    }
}

impl Risk {
    pub const ALL: [Risk; 5] = [
        Risk::BankChange,
        Risk::LookalikeDomain,
        Risk::ReplyToMismatch,
        Risk::UnknownSender,
        Risk::AuthFail,
    ];
}

/// A warning from its contract code ("bank_change"), as the store keeps it.
impl std::str::FromStr for Risk {
    type Err = String;
    fn from_str(code: &str) -> Result<Risk, String> {
        crate::codes::from_code(&Risk::ALL, code, Risk::as_str, "a fraud warning")
    }
}

/// The registrable domain ("acme.co.uk" for "mail.billing.acme.co.uk").
pub fn registrable_domain(domain: &str) -> String {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    psl::domain_str(&d).map_or(d.clone(), str::to_string)
}

/// A Reply-To whose registrable domain differs from the From's: answers would go elsewhere.
pub fn reply_to_mismatch(msg: &Message) -> Option<String> {
    let from = msg.from.as_ref()?.domain()?;
    let reply = msg.reply_to.as_ref()?.domain()?;
    let (f, r) = (registrable_domain(&from), registrable_domain(&reply));
    (f != r).then(|| format!("Reply-To goes to {r}, not to the sender's domain {f}"))
}

static AUTH_FAIL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(spf|dkim|dmarc)\s*=\s*fail(?-u:\b)").expect("valid regex")
});

static BANK_REASSURANCE_RE: LazyLock<regex_automata::meta::Regex> = LazyLock::new(|| {
    super::zones::unprefiltered(concat!(
        r"(?:bank|account|payment) details (?:are|remain|have) (?:unchanged|not changed|not been changed)",
        r"|(?:have|has) not changed|remain unchanged|will never (?:change|ask|send|request|contact)",
        r"|did not come from us|treat (?:it|them|this|such (?:e-?mails?|requests?)) as (?:suspicious|fraud)",
        r"|do not act on (?:it|them|this)",
        r"|(?:haben|hat) sich nicht geändert|(?:bleibt|bleiben) unverändert|(?:werden|würden) (?:ihnen )?(?:niemals|nie)",
        r"|n'ont pas changé|(?:reste|restent) inchangée?s?|ne vous (?:demanderons|enverrons) jamais",
        r"|no han cambiado|(?:siguen|continúan) siendo (?:los mismos|las mismas)|nunca (?:le|les) (?:pediremos|solicitaremos|enviaremos)|nunca cambiaremos",
        r"|(?:zijn|is) niet gewijzigd|(?:blijven|blijft) ongewijzigd|(?:zullen|vragen) (?:u )?nooit",
        r"|(?:is|zijn) ongewijzigd|nooit per e-mail",
        r"|restano invariat[ei]|non (?:comunicheremo|chiederemo) mai|coordinate (?:bancarie )?restano",
        r"|mantêm-se inalterados|(?:permanecem|continuam) (?:os mesmos|inalterados)|nunca (?:lhe )?(?:pediremos|solicitaremos)",
        r"|pozostaje bez zmian|nigdy nie (?:informujemy|prosimy|wysyłamy|zmieniamy)",
        r"|är oförändrade|ändrar aldrig|er uændrede|ændrer aldrig|er uendret|endrer aldri|ovat ennallaan|emme koskaan",
        r"|se nemění|nikdy nebudeme|sa nemení|nikdy nebudeme|számlaszám\w* változatlan|soha nem (?:kérünk|küldünk|változtat)",
        r"|rămân neschimbate|ramân neschimbate|nu se schimbă|ostaju nepromijenjeni|nikada nećemo|ostajajo nespremenjeni|nikoli ne bomo",
        r"|değişmemiştir|asla (?:istemeyiz|değiştirmeyiz)|no han canviat|mai no (?:us )?(?:demanarem|canviarem)",
        r"|変更はございません|変更はありません|保持不变|不会通过(?:电子)?邮件",
    ))
    .expect("valid regex")
});

/// Whether a text, case-folded (`crate::fold`), reassures that bank details have NOT
/// changed, or warns about fraudsters who say they have: the vendor's own fraud notice, not a
/// request. The wording is written in lower case and matched as it is: a lazy DFA a fraction
/// of the size of the case-insensitive one.
pub fn reassures_about_bank_folded(folded: &str) -> bool {
    BANK_REASSURANCE_RE.is_match(folded)
}

/// SPF, DKIM or DMARC failures reported in Authentication-Results.
pub fn auth_fail(msg: &Message) -> Option<String> {
    let mut failed: Vec<String> = msg
        .authentication_results
        .iter()
        .flat_map(|h| {
            AUTH_FAIL_RE
                .captures_iter(h)
                .map(|c| c[1].to_ascii_lowercase())
        })
        .collect();
    failed.sort();
    failed.dedup();
    (!failed.is_empty()).then(|| format!("Authentication-Results: {} failed", failed.join(", ")))
}

/// Levenshtein distance, for look-alike domains ("acme-offlce" vs "acme-office").
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Characters that look alike in most fonts, folded to one; accents dropped, so that a
/// punycode domain's Unicode form compares with the plain one it imitates.
fn skeleton(label: &str) -> String {
    label
        .replace("rn", "m")
        .replace("vv", "w")
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .map(|c| match c {
            '0' | 'о' | 'ο' | 'ó' | 'ò' | 'ö' | 'ô' => 'o',
            '1' | 'l' | 'i' | 'I' | '|' | 'і' | 'ı' | 'í' | 'ï' | 'ӏ' => 'l',
            '5' => 's',
            '3' | 'е' | 'é' | 'è' | 'ë' | 'ê' => 'e',
            'а' | 'á' | 'à' | 'ä' | 'â' | 'ɑ' | 'α' => 'a',
            'р' | 'ρ' => 'p',
            'с' | 'ç' => 'c',
            'х' => 'x',
            'у' | 'ү' => 'y',
            'ԁ' => 'd',
            'ѕ' => 's',
            'ν' => 'v',
            'ü' | 'ú' | 'υ' => 'u',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

/// Well-known brands whose invoices and payment notices fraudsters imitate: a look-alike of
/// one is suspicious even without a payables database. Their country domains are genuine,
/// so a top-level-domain swap is not counted for them.
const BRANDS: &[&str] = &[
    "paypal.com",
    "docusign.com",
    "microsoft.com",
    "amazon.com",
    "google.com",
    "apple.com",
    "stripe.com",
    "intuit.com",
    "quickbooks.com",
    "dropbox.com",
    "adobe.com",
    "fedex.com",
    "salesforce.com",
    "linkedin.com",
    "revolut.com",
];

/// The label that names the organisation ("acme-office" in "acme-office.co.uk").
fn name_label(registrable: &str) -> &str {
    registrable.split('.').next().unwrap_or("")
}

/// A domain that look-alikes are checked against, with its comparable forms worked out
/// once (a mailbox is checked against the same known domains message after message).
#[derive(Debug, Clone)]
struct KnownDomain {
    domain: String,
    label: String,
    unhyphenated: String,
    skeleton: String,
    /// "acme.co.uk." and ".acme.co.uk.": the domain worn as part of a longer one.
    as_prefix: String,
    as_infix: String,
}

/// Known domains (vendors', or well-known brands') ready for look-alike checks.
#[derive(Debug, Clone, Default)]
pub struct KnownDomains {
    domains: Vec<KnownDomain>,
    /// Brands: their country domains are genuine (no top-level-domain rule), and short
    /// names get fewer edits.
    brands: bool,
}

impl KnownDomains {
    /// Vendors' registrable domains.
    pub fn new<S: AsRef<str>>(domains: impl IntoIterator<Item = S>) -> KnownDomains {
        KnownDomains::build(domains, false)
    }

    fn build<S: AsRef<str>>(domains: impl IntoIterator<Item = S>, brands: bool) -> KnownDomains {
        let domains = domains
            .into_iter()
            .map(|d| {
                let domain = d.as_ref().to_string();
                let label = name_label(&domain).to_string();
                KnownDomain {
                    unhyphenated: label.replace('-', ""),
                    skeleton: skeleton(&label),
                    as_prefix: format!("{domain}."),
                    as_infix: format!(".{domain}."),
                    label,
                    domain,
                }
            })
            .filter(|k| k.label.len() >= 4)
            .collect();
        KnownDomains { domains, brands }
    }

    /// The known domain a sender's domain imitates, with how: a small edit, a homoglyph
    /// skeleton, a hyphen or a top-level-domain swap, a punycode look-alike, or the known
    /// domain worn as a subdomain. `None` when the domain is known itself or resembles none.
    pub fn imitated_by(&self, sender_domain: &str) -> Option<(String, &'static str)> {
        let sender = Sender::new(sender_domain);
        if self.domains.iter().any(|k| k.domain == sender.registrable) {
            return None;
        }
        self.domains.iter().find_map(|k| {
            self.imitation(&sender, k)
                .map(|how| (k.domain.clone(), how))
        })
    }

    fn imitation(&self, sender: &Sender, known: &KnownDomain) -> Option<&'static str> {
        let label = sender.label.as_str();
        let allowed_edits = match (self.brands, known.label.chars().count()) {
            (false, _) => 2,
            (true, n) if n >= 9 => 2,
            (true, n) if n >= 6 => 1,
            (true, _) => 0,
        };
        if sender.full.starts_with(&known.as_prefix) || sender.full.contains(&known.as_infix) {
            Some("the vendor's domain used as a subdomain of another")
        } else if label == known.label {
            (!self.brands).then_some("same name under another top-level domain")
        } else if sender.skeleton == known.skeleton {
            Some(if sender.punycode {
                "international characters that look like the real name (punycode)"
            } else if sender.unhyphenated == known.unhyphenated {
                "a hyphen added or removed"
            } else {
                "characters that look alike"
            })
        } else if edit_distance(label, &known.label) <= allowed_edits {
            Some("one or two characters changed")
        } else if !self.brands
            && known.label.len() >= 6
            && (label
                .strip_prefix(known.label.as_str())
                .is_some_and(|rest| rest.starts_with('-'))
                || label
                    .strip_suffix(known.label.as_str())
                    .is_some_and(|rest| rest.ends_with('-')))
        {
            Some("the vendor's name with a word added")
        } else {
            None
        }
    }
}

/// A sender's domain in the forms the look-alike rules compare.
struct Sender {
    full: String,
    registrable: String,
    /// The name label, decoded from punycode when it was encoded.
    label: String,
    unhyphenated: String,
    skeleton: String,
    punycode: bool,
}

impl Sender {
    fn new(domain: &str) -> Sender {
        let full = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let registrable = registrable_domain(&full);
        let raw = name_label(&registrable);
        let punycode = raw.starts_with("xn--");
        let label = if punycode {
            idna::domain_to_unicode(raw).0.to_lowercase()
        } else {
            raw.to_string()
        };
        Sender {
            unhyphenated: label.replace('-', ""),
            skeleton: skeleton(&label),
            full,
            registrable,
            label,
            punycode,
        }
    }
}

/// The known domain a sender's domain imitates, with how (see [`KnownDomains::imitated_by`]).
/// For many messages against the same domains, build the `KnownDomains` once instead.
pub fn lookalike<'a>(
    sender_domain: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<(String, &'static str)> {
    KnownDomains::new(known).imitated_by(sender_domain)
}

static BRAND_DOMAINS: LazyLock<KnownDomains> =
    LazyLock::new(|| KnownDomains::build(BRANDS.iter().copied(), true));

/// The well-known brand a sender's domain imitates, with how.
pub fn brand_lookalike(sender_domain: &str) -> Option<(String, &'static str)> {
    BRAND_DOMAINS.imitated_by(sender_domain)
}

/// Whether warnings are an alarm (the red "possible fraud" banner) or only a note: changed
/// bank details, an imitated domain, replies diverted elsewhere and failed authentication
/// always are; an unknown sender is one only when it claims money (`claims_money`: a chaser,
/// an amount or an invoice). A newsletter from a stranger that asks for nothing is no fraud,
/// and alarming on it would teach clerks to ignore the alarm.
pub fn is_alarm(flags: &[Risk], claims_money: bool) -> bool {
    flags
        .iter()
        .any(|f| *f != Risk::UnknownSender || claims_money)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::parse;

    #[test]
    fn reply_to_and_auth() {
        let m = parse(b"From: A <ar@acme.co.uk>\nReply-To: <ar@acme-payments.com>\nAuthentication-Results: mx; spf=fail smtp.mailfrom=x; dkim=pass; dmarc=fail\n\nhi").unwrap();
        assert!(reply_to_mismatch(&m).unwrap().contains("acme-payments.com"));
        assert_eq!(
            auth_fail(&m).unwrap(),
            "Authentication-Results: dmarc, spf failed"
        );
        let m = parse(b"From: A <ar@billing.acme.co.uk>\nReply-To: <x@acme.co.uk>\nAuthentication-Results: mx; spf=pass\n\nhi").unwrap();
        assert_eq!(reply_to_mismatch(&m), None);
        assert_eq!(auth_fail(&m), None);
    }

    fn known() -> [&'static str; 3] {
        [
            "acme-office.co.uk",
            "graficaruiz.es",
            "transports-moreau.fr",
        ]
    }

    #[test]
    fn look_alike_domains_are_recognised() {
        let k = known();
        for sender in [
            "acme-offlce.co.uk",
            "acme-office.com",
            "grafica-ruiz.es",
            "transports-moreaus.fr",
            "acrne-office.co.uk",
            "mail.acme-0ffice.co.uk",
        ] {
            assert!(lookalike(sender, k).is_some(), "{sender}");
        }
        for sender in [
            "acme-office.co.uk",
            "billing.acme-office.co.uk",
            "brennanlogistics.com",
            "gmail.com",
        ] {
            assert!(lookalike(sender, k).is_none(), "{sender}");
        }
    }

    #[test]
    fn subdomain_wearing_and_punycode_and_brands() {
        let k = known();
        assert!(lookalike("acme-office.co.uk.pay-portal.com", k).is_some());
        assert!(lookalike("acme-office-payments.co.uk", k).is_some());
        // "graficaruíz.es" in punycode.
        let puny = idna::domain_to_ascii("graficaruíz.es").unwrap();
        assert!(puny.starts_with("xn--"));
        assert!(lookalike(&puny, k).is_some(), "{puny}");
        assert!(brand_lookalike("paypa1.com").is_some());
        assert!(brand_lookalike("docusiqn.com").is_some());
        assert!(brand_lookalike("paypal.de").is_none());
        assert!(brand_lookalike("paypal.com").is_none());
        assert!(brand_lookalike("applied.com").is_none());
        assert!(brand_lookalike("amazing.com").is_none());
        assert!(brand_lookalike("northwind-traders.com").is_none());
    }

    #[test]
    fn an_unknown_sender_is_an_alarm_only_when_it_claims_money() {
        assert!(!is_alarm(&[], true));
        assert!(!is_alarm(&[Risk::UnknownSender], false));
        assert!(is_alarm(&[Risk::UnknownSender], true));
        for f in [
            Risk::BankChange,
            Risk::LookalikeDomain,
            Risk::ReplyToMismatch,
            Risk::AuthFail,
        ] {
            assert!(is_alarm(&[Risk::UnknownSender, f], false), "{f:?}");
        }
    }
}
