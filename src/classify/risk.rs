//! Fraud (business-email-compromise) warnings that need nothing but the message itself:
//! a request to pay to new bank details, a Reply-To at another domain, failed sender
//! authentication. The checks against known vendors live with the payables. No I/O here.

use crate::mail::Message;
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

/// A fraud warning, named as in the JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    BankChange,
    LookalikeDomain,
    ReplyToMismatch,
    UnknownSender,
    AuthFail,
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
}
