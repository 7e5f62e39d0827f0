//! Who is chasing: the sender organisation's name, from the signature's company line, else
//! the From display name without its role words, else the sender's domain. No I/O here.

use crate::mail::Address;
use regex::Regex;
use std::sync::LazyLock;

/// A legal-form suffix marks a company name ("Acme Office Supplies Ltd", "Schäfer GmbH").
static COMPANY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?x)
        ^(?P<name>[^|·•\t]+?\s(?:
            Ltd\.?|Limited|LLC|L\.L\.C\.|LLP|Inc\.?|Corp\.?|Corporation|GmbH(?:\s&\sCo\.\sKG)?|AG|KG|OHG|e\.K\.|UG
          | SARL|S\.A\.R\.L\.|SAS|S\.A\.S\.|SASU|EURL|S\.\sde\sR\.L\.(?:\sde\sC\.V\.)?|S\.A\.\sde\sC\.V\.|S\.A\.U\.|S\.A\.|SA|S\.L\.U\.|S\.L\.|SL
          | B\.V\.|BV|N\.V\.|NV|VOF|plc|PLC|Co\.,?\sLtd\.?|K\.K\.|SRL|S\.r\.l\.|S\.p\.A\.|Oy|AB|ApS|A/S|AS|Pty\.?\sLtd\.?|BVBA|SPRL
        ))(?:$|[\s,|·•–-])")
    .expect("valid regex")
});

/// Any legal-form suffix at all, ASCII only: the quick test before [`COMPANY_RE`].
static SUFFIX_HINT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)\b(?:Ltd|Limited|LLC|L\.L\.C\.|LLP|Inc|Corp|GmbH|AG|KG|OHG|e\.K\.|UG|SARL|S\.A|SAS|SASU|EURL|SA|S\.L|SL|S\.\sde|B\.V\.|BV|N\.V\.|NV|VOF|plc|PLC|Co\.|K\.K\.|SRL|S\.r\.l\.|S\.p\.A\.|Oy|AB|ApS|A/S|AS|Pty|BVBA|SPRL)")
        .expect("valid regex")
});

/// Words that name a department or a role rather than the company.
static ROLE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:accounts?(?: receivable| payable| department| team)?|receivables|billing|invoicing|invoices?|credit control|collections?|finance|buchhaltung|debitorenbuchhaltung|rechnungswesen|forderungsmanagement|comptabilité|service (?:comptable|client|recouvrement)|recouvrement|facturación|contabilidad|cobros|administración|debiteuren(?:beheer)?|administratie|boekhouding|team|department|dept\.?|no-?reply|noreply|ar|a/r|via|mailer|notifications?)(?-u:\b)")
        .expect("valid regex")
});

/// The vendor's name as it names itself. `own_names` are our company's own names (our
/// signature in quoted replies must not be taken for the vendor's).
pub fn vendor_name(from: Option<&Address>, body: &str, own_names: &[String]) -> Option<String> {
    let display = from.and_then(|a| a.name.clone()).unwrap_or_default();
    let domain_word = from
        .and_then(Address::domain)
        .map(|d| registrable_label(&d))
        .unwrap_or_default();
    if let Some(name) = signature_company(body, &display, &domain_word, own_names) {
        return Some(name);
    }
    let cleaned = ROLE_RE.replace_all(&display, " ");
    let cleaned = cleaned
        .split(['|', '–', '—', '-', ':', '(', ')', ','])
        .map(str::trim)
        .find(|s| s.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "));
    if let Some(name) = cleaned {
        return Some(name);
    }
    (!domain_word.is_empty()).then(|| capitalise(&domain_word))
}

/// A company line near the end of the text, preferring one that shares a word with the display
/// name or the domain (so a quoted customer's name is not taken for the vendor's).
fn signature_company(
    body: &str,
    display: &str,
    domain_word: &str,
    own_names: &[String],
) -> Option<String> {
    let lines: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut fallback = None;
    for line in lines.iter().rev().take(25) {
        for segment in line.split(['|', '·', '•', '\t']) {
            let segment = segment.trim();
            // Most lines name no company; a cheap look for a legal form comes first.
            if !SUFFIX_HINT_RE.is_match(segment) {
                continue;
            }
            let Some(caps) = COMPANY_RE.captures(segment) else {
                continue;
            };
            let name = caps["name"].trim().trim_end_matches(',').to_string();
            if name.chars().count() > 70 {
                continue; // A sentence that happens to end in "Ltd", not a company line.
            }
            let lower = name.to_lowercase();
            if own_names
                .iter()
                .any(|own| !own.is_empty() && lower.contains(&own.to_lowercase()))
            {
                continue;
            }
            let words: Vec<String> = name
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() >= 3)
                .map(str::to_lowercase)
                .collect();
            let related = words.iter().any(|w| {
                display.to_lowercase().contains(w.as_str())
                    || (!domain_word.is_empty() && domain_word.contains(w.as_str()))
            });
            if related {
                return Some(name);
            }
            fallback.get_or_insert(name);
        }
    }
    fallback
}

/// "acme-office" for "billing.acme-office.co.uk".
fn registrable_label(domain: &str) -> String {
    let registrable = super::risk::registrable_domain(domain);
    registrable.split('.').next().unwrap_or("").to_string()
}

fn capitalise(word: &str) -> String {
    word.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or(String::new(), |f| {
                f.to_uppercase().collect::<String>() + c.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(name: &str, email: &str) -> Address {
        Address {
            name: Some(name.to_string()),
            email: email.to_string(),
        }
    }

    #[test]
    fn signature_company_line_wins() {
        let body = "Please pay.\n\nKind regards\nJane Doe\nAcme Office Supplies Ltd\n12 High Street, Leeds";
        assert_eq!(
            vendor_name(
                Some(&addr("Acme Accounts", "ar@acme-office.co.uk")),
                body,
                &[]
            )
            .as_deref(),
            Some("Acme Office Supplies Ltd")
        );
    }

    #[test]
    fn display_name_without_role_words_then_domain() {
        assert_eq!(
            vendor_name(
                Some(&addr(
                    "Brennan Logistics - Accounts Receivable",
                    "ar@brennan.com"
                )),
                "x",
                &[]
            )
            .as_deref(),
            Some("Brennan Logistics")
        );
        let from = Address {
            name: None,
            email: "billing@cloud-nest.io".into(),
        };
        assert_eq!(
            vendor_name(Some(&from), "x", &[]).as_deref(),
            Some("Cloud Nest")
        );
    }
}
