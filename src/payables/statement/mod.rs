//! Bank statements that close the loop: ISO 20022 camt.053 statements and camt.054
//! notifications (outgoing payments matched to open payables by the invoice numbers in their
//! remittance information, else by amount and creditor), and pain.002 status reports
//! (payments the bank rejected). Pure: bytes in, typed entries and matches out; an entry
//! that cannot be read refuses the whole statement, named.

mod xml;

use super::bank::normalise_iban;
use super::Payable;
use crate::classify::extract::normalise_invoice;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

/// One outgoing or incoming transaction of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Unique within the statement's account: how a second import knows it.
    pub key: String,
    pub amount: Decimal,
    pub currency: String,
    pub end_to_end: Option<String>,
    pub creditor: Option<String>,
    pub creditor_iban: Option<String>,
    /// Ustrd lines and Strd document numbers / creditor references.
    pub remittance: Vec<String>,
}

/// A booked entry of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// How the entry is named to the user: its position and the bank's reference.
    pub label: String,
    pub booked_on: NaiveDate,
    pub debit: bool,
    /// The bank's reference for the entry (AcctSvcrRef), else the entry reference.
    pub bank_reference: Option<String>,
    pub transactions: Vec<Transaction>,
}

/// A camt.053 statement or camt.054 notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub id: String,
    pub account: Option<String>,
    /// Booked entries only (pending ones are not payments yet).
    pub entries: Vec<Entry>,
    /// Entries left out because they are not booked, or are reversals.
    pub not_booked: usize,
}

/// A payment the bank refused, from a pain.002.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub end_to_end: Option<String>,
    pub instruction: Option<String>,
    pub reason: String,
    pub amount: Option<(Decimal, String)>,
    pub creditor: Option<String>,
    pub remittance: Vec<String>,
}

/// What a file held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankFile {
    Statements(Vec<Statement>),
    Rejections(Vec<Rejection>),
}

/// Why a bank file was refused.
#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    #[error("the file is not ISO 20022 XML duebox reads: {0}")]
    Xml(String),
    #[error("the file is neither a camt.053 statement, a camt.054 notification nor a pain.002 status report (no BkToCstmrStmt, BkToCstmrDbtCdtNtfctn or CstmrPmtStsRpt)")]
    Unknown,
    #[error("{} malformed entr{}, nothing imported: {}", .0.len(), if .0.len() == 1 { "y" } else { "ies" }, .0.iter().map(|(e, why)| format!("{e}: {why}")).collect::<Vec<_>>().join("; "))]
    Entries(Vec<(String, String)>),
}

fn amount(a: Option<&xml::Amount>) -> Result<(Decimal, String), String> {
    let a = a.ok_or("no amount (Amt)")?;
    let text = a.value.as_deref().unwrap_or("").trim();
    let value = Decimal::from_str(text).map_err(|_| format!("amount '{text}' is not a decimal"))?;
    if value.is_sign_negative() {
        return Err(format!(
            "amount {value} is negative (the direction is CdtDbtInd)"
        ));
    }
    let currency = super::import::text::currency(a.currency.as_deref().unwrap_or(""))
        .map_err(|e| format!("Amt Ccy: {e}"))?;
    Ok((value, currency))
}

fn day(d: Option<&xml::DateChoice>) -> Result<NaiveDate, String> {
    let d = d.ok_or("no booking date (BookgDt)")?;
    let text = d
        .date
        .as_deref()
        .or(d.date_time.as_deref().and_then(|t| t.get(..10)))
        .unwrap_or("");
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("booking date '{text}' is not YYYY-MM-DD"))
}

fn remittance(r: Option<&xml::Remittance>) -> Vec<String> {
    let Some(r) = r else { return Vec::new() };
    let mut out: Vec<String> = r
        .unstructured
        .iter()
        .map(|u| u.trim().to_string())
        .collect();
    for s in &r.structured {
        out.extend(s.documents.iter().filter_map(|d| d.number.clone()));
        out.extend(s.creditor_ref.as_ref().and_then(|c| c.reference.clone()));
    }
    out.retain(|s| !s.is_empty());
    out
}

fn account_of(a: Option<&xml::AccountRef>) -> Option<String> {
    let id = a?.id.as_ref()?;
    id.iban
        .as_deref()
        .map(normalise_iban)
        .or_else(|| id.other.as_ref().and_then(|o| o.id.clone()))
}

fn entry(
    account: &str,
    position: usize,
    e: &xml::Entry,
) -> Result<Option<Entry>, (String, String)> {
    let bank_reference = e.bank_ref.clone().or_else(|| e.entry_ref.clone());
    let label = match &bank_reference {
        Some(r) => format!("entry {position} ({r})"),
        None => format!("entry {position}"),
    };
    let fail = |why: String| (label.clone(), why);
    let status = e
        .status
        .as_ref()
        .and_then(|s| s.code.clone().or_else(|| s.text.clone()))
        .unwrap_or_default();
    let (total, currency) = amount(e.amount.as_ref()).map_err(fail)?;
    let debit = match e.direction.as_deref().map(str::trim) {
        Some("DBIT") => true,
        Some("CRDT") => false,
        other => {
            return Err(fail(format!(
                "CdtDbtInd '{}' is neither DBIT nor CRDT",
                other.unwrap_or("")
            )))
        }
    };
    let booked_on = day(e.booked.as_ref()).map_err(fail)?;
    if status.trim() != "BOOK" || e.reversal.as_deref() == Some("true") {
        return Ok(None);
    }
    let base = format!(
        "{account}|{}",
        bank_reference
            .clone()
            .unwrap_or_else(|| format!("{booked_on}|{total}{currency}|{position}"))
    );
    let txs: Vec<&xml::Transaction> = e.details.iter().flat_map(|d| &d.transactions).collect();
    let mut transactions = Vec::new();
    for (i, tx) in txs.iter().enumerate() {
        let tx_amount = tx.amount.as_ref().or_else(|| {
            tx.amount_details.as_ref().and_then(|d| {
                d.transaction
                    .as_ref()
                    .or(d.instructed.as_ref())
                    .and_then(|b| b.amount.as_ref())
            })
        });
        let (value, ccy) = match tx_amount {
            Some(a) => amount(Some(a)).map_err(|e| fail(format!("transaction {}: {e}", i + 1)))?,
            None if txs.len() == 1 => (total, currency.clone()),
            None => return Err(fail(format!("transaction {} has no amount", i + 1))),
        };
        let parties = tx.parties.as_ref();
        transactions.push(Transaction {
            key: if txs.len() == 1 {
                base.clone()
            } else {
                format!("{base}#{}", i + 1)
            },
            amount: value,
            currency: ccy,
            end_to_end: tx
                .refs
                .as_ref()
                .and_then(|r| r.end_to_end.clone())
                .filter(|e| e != "NOTPROVIDED"),
            creditor: parties
                .and_then(|p| p.creditor.as_ref())
                .and_then(|c| c.name().map(str::to_string)),
            creditor_iban: account_of(parties.and_then(|p| p.creditor_account.as_ref())),
            remittance: remittance(tx.remittance.as_ref()),
        });
    }
    if transactions.is_empty() {
        transactions.push(Transaction {
            key: base,
            amount: total,
            currency,
            end_to_end: None,
            creditor: None,
            creditor_iban: None,
            remittance: Vec::new(),
        });
    }
    Ok(Some(Entry {
        label,
        booked_on,
        debit,
        bank_reference,
        transactions,
    }))
}

/// Reads a camt.053, camt.054 or pain.002 file.
pub fn parse(bytes: &[u8]) -> Result<BankFile, StatementError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| StatementError::Xml("the file is not UTF-8 text".into()))?;
    let doc: xml::Document =
        quick_xml::de::from_str(text).map_err(|e| StatementError::Xml(e.to_string()))?;
    if let Some(status) = doc.status {
        return Ok(BankFile::Rejections(rejections(&status)));
    }
    let report = doc
        .statement
        .or(doc.notification)
        .ok_or(StatementError::Unknown)?;
    let mut out = Vec::new();
    let mut bad = Vec::new();
    let mut position = 0;
    for s in report.statements.iter().chain(&report.notifications) {
        let account = account_of(s.account.as_ref()).unwrap_or_default();
        let mut statement = Statement {
            id: s.id.clone().unwrap_or_default(),
            account: Some(account.clone()).filter(|a| !a.is_empty()),
            entries: Vec::new(),
            not_booked: 0,
        };
        for e in &s.entries {
            position += 1;
            match entry(&account, position, e) {
                Ok(Some(e)) => statement.entries.push(e),
                Ok(None) => statement.not_booked += 1,
                Err(b) => bad.push(b),
            }
        }
        out.push(statement);
    }
    if !bad.is_empty() {
        return Err(StatementError::Entries(bad));
    }
    Ok(BankFile::Statements(out))
}

fn rejections(report: &xml::StatusReport) -> Vec<Rejection> {
    let mut out = Vec::new();
    for p in &report.payments {
        for t in &p.transactions {
            let status = t.status.as_deref().or(p.status.as_deref()).unwrap_or("");
            if status.trim() != "RJCT" {
                continue;
            }
            let reason = t
                .reasons
                .iter()
                .map(|r| {
                    let code = r
                        .reason
                        .as_ref()
                        .and_then(|c| c.code.clone())
                        .unwrap_or_default();
                    let info = r.info.join(" ");
                    format!("{code} {info}").trim().to_string()
                })
                .filter(|r| !r.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            let original = t.original.as_ref();
            out.push(Rejection {
                end_to_end: t.end_to_end.clone(),
                instruction: t.instruction.clone(),
                reason: if reason.is_empty() {
                    "no reason given".into()
                } else {
                    reason
                },
                amount: original
                    .and_then(|o| o.amount.as_ref())
                    .and_then(|a| amount(a.instructed.as_ref()).ok()),
                creditor: original
                    .and_then(|o| o.creditor.as_ref())
                    .and_then(|c| c.name().map(str::to_string)),
                remittance: remittance(original.and_then(|o| o.remittance.as_ref())),
            });
        }
    }
    out
}

/// How a payment was matched to a payable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    InvoiceNumber,
    AmountAndCreditor,
}

/// What a payment is, against our open payables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It pays these payables (indexes into the open list).
    Pays(Vec<usize>, MatchedBy),
    /// It could not be matched, and why.
    Unmatched(String),
}

/// Names compared as a person would: case, punctuation and legal forms do not matter.
/// Banks often write names in capitals without diacritics ("BUEROBEDARF KOEHLER").
fn name_key(name: &str) -> String {
    const NOISE: [&str; 19] = [
        "ltd", "limited", "gmbh", "ag", "inc", "llc", "sa", "sas", "sarl", "bv", "nv", "plc", "co",
        "kg", "ek", "und", "and", "et", "the",
    ];
    let mut plain = String::with_capacity(name.len());
    for c in name.to_lowercase().chars() {
        match c {
            'ä' | 'æ' => plain.push_str("ae"),
            'ö' | 'ø' | 'œ' => plain.push_str("oe"),
            'ü' => plain.push_str("ue"),
            'ß' => plain.push_str("ss"),
            'à' | 'á' | 'â' | 'ã' | 'å' => plain.push('a'),
            'è' | 'é' | 'ê' | 'ë' => plain.push('e'),
            'ì' | 'í' | 'î' | 'ï' => plain.push('i'),
            'ò' | 'ó' | 'ô' | 'õ' => plain.push('o'),
            'ù' | 'ú' | 'û' => plain.push('u'),
            'ç' => plain.push('c'),
            'ñ' => plain.push('n'),
            '.' => {}
            c => plain.push(c),
        }
    }
    plain
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1 && !NOISE.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of a remittance text, each line apart.
fn remittance_words(lines: &[String]) -> Vec<Vec<&str>> {
    lines
        .iter()
        .map(|line| {
            line.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '+' | '(' | ')'))
                .map(|w| w.trim_matches(|c: char| c == '.' || c == ':' || c == '/'))
                .filter(|w| !w.is_empty())
                .collect()
        })
        .collect()
}

/// Our open payables and what we know of their vendors, indexed for matching payments.
pub struct Matcher<'a> {
    open: &'a [Payable],
    by_invoice: HashMap<String, Vec<usize>>,
    /// Vendor name → known IBAN.
    ibans: HashMap<String, String>,
}

impl<'a> Matcher<'a> {
    pub fn new(open: &'a [Payable], ibans: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut by_invoice: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in open.iter().enumerate() {
            by_invoice
                .entry(normalise_invoice(&p.invoice_number))
                .or_default()
                .push(i);
        }
        Matcher {
            open,
            by_invoice,
            ibans: ibans.into_iter().collect(),
        }
    }

    fn creditor_is(&self, tx: &Transaction, p: &Payable) -> bool {
        let by_iban = tx
            .creditor_iban
            .as_ref()
            .is_some_and(|i| self.ibans.get(&p.vendor).is_some_and(|known| known == i));
        let by_name = tx.creditor.as_ref().is_some_and(|c| {
            let (a, b) = (name_key(c), name_key(&p.vendor));
            !a.is_empty() && (a == b || a.contains(&b) || b.contains(&a))
        });
        by_iban || by_name
    }

    /// Matches one outgoing payment. `taken` holds payables already paid by earlier
    /// payments of the same import.
    pub fn outcome(&self, tx: &Transaction, taken: &[usize]) -> Outcome {
        let mut named: Vec<usize> = Vec::new();
        let add = |hits: &Vec<usize>, named: &mut Vec<usize>| {
            // Several vendors may use one number: the creditor decides.
            let pick: Vec<usize> = if hits.len() > 1 {
                hits.iter()
                    .copied()
                    .filter(|&i| self.creditor_is(tx, &self.open[i]))
                    .collect()
            } else {
                hits.clone()
            };
            named.extend(pick.into_iter().filter(|i| !taken.contains(i)));
        };
        // Invoice numbers compared as payables compare them; two adjacent words read as one
        // number ("RE 2026/117", "Inv 123") win over either word alone.
        for words in remittance_words(&tx.remittance) {
            let mut used = vec![false; words.len()];
            for i in 0..words.len().saturating_sub(1) {
                let key = normalise_invoice(&format!("{}{}", words[i], words[i + 1]));
                if let Some(hits) = self.by_invoice.get(&key) {
                    add(hits, &mut named);
                    used[i] = true;
                    used[i + 1] = true;
                }
            }
            for (i, w) in words.iter().enumerate() {
                let key = normalise_invoice(w);
                if used[i] || key.len() < 2 {
                    continue;
                }
                if let Some(hits) = self.by_invoice.get(&key) {
                    add(hits, &mut named);
                }
            }
        }
        named.sort();
        named.dedup();
        if !named.is_empty() {
            let same_currency = named.iter().all(|&i| self.open[i].currency == tx.currency);
            let total: Decimal = named.iter().map(|&i| self.open[i].amount).sum();
            if same_currency && total == tx.amount {
                return Outcome::Pays(named, MatchedBy::InvoiceNumber);
            }
            let list = named
                .iter()
                .map(|&i| {
                    format!(
                        "{} ({} {})",
                        self.open[i].invoice_number, self.open[i].amount, self.open[i].currency
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            return Outcome::Unmatched(format!(
                "names {list} but pays {} {}; record a part payment by hand",
                tx.amount, tx.currency
            ));
        }
        let candidates: Vec<usize> = (0..self.open.len())
            .filter(|i| !taken.contains(i))
            .filter(|&i| {
                let p = &self.open[i];
                p.amount == tx.amount && p.currency == tx.currency && self.creditor_is(tx, p)
            })
            .collect();
        match candidates.as_slice() {
            [one] => Outcome::Pays(vec![*one], MatchedBy::AmountAndCreditor),
            [] => Outcome::Unmatched(
                "no open payable has its invoice number, or its amount and creditor".into(),
            ),
            many => Outcome::Unmatched(format!(
                "{} open payables of {} have this amount ({}); mark the right one paid by hand",
                many.len(),
                tx.creditor.as_deref().unwrap_or("this creditor"),
                many.iter()
                    .map(|&i| self.open[i].invoice_number.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payable(vendor: &str, invoice: &str, amount: &str) -> Payable {
        let day = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        Payable {
            vendor: vendor.into(),
            vendor_email: String::new(),
            invoice_number: invoice.into(),
            amount: amount.parse().unwrap(),
            currency: "EUR".into(),
            issue_date: day,
            due_date: day,
            status: super::super::Status::Open,
            paid_on: None,
            reference: None,
            scheduled_on: None,
        }
    }

    fn tx(
        amount: &str,
        creditor: Option<&str>,
        iban: Option<&str>,
        remittance: &[&str],
    ) -> Transaction {
        Transaction {
            key: "k".into(),
            amount: amount.parse().unwrap(),
            currency: "EUR".into(),
            end_to_end: None,
            creditor: creditor.map(str::to_string),
            creditor_iban: iban.map(str::to_string),
            remittance: remittance.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn names_as_banks_write_them() {
        assert_eq!(
            name_key("BUEROBEDARF KOEHLER"),
            name_key("Bürobedarf Köhler e.K.")
        );
        assert_eq!(
            name_key("Mueller und Soehne KG"),
            name_key("Müller & Söhne KG")
        );
        assert_eq!(
            name_key("VAN DIJK INSTALLATIE BV"),
            name_key("Van Dijk Installatie B.V.")
        );
        assert_ne!(name_key("Acme Ltd"), name_key("Acne Ltd"));
    }

    #[test]
    fn payments_match_by_number_then_by_amount_and_creditor() {
        let open = [
            payable("Acme Ltd", "INV-00123", "100.00"),
            payable("Acme Ltd", "INV-00124", "250.00"),
            payable("Brennan Inc", "123", "100.00"),
            payable("Brennan Inc", "B-9", "40.00"),
            payable("Brennan Inc", "B-10", "40.00"),
        ];
        let m = Matcher::new(
            &open,
            [("Acme Ltd".to_string(), "GB29NWBK60161331926819".to_string())],
        );
        // Numbers as payables compare them; two invoices in one payment.
        assert_eq!(
            m.outcome(&tx("350.00", None, None, &["Inv 123 and INV 124"]), &[]),
            Outcome::Pays(vec![0, 1], MatchedBy::InvoiceNumber)
        );
        // "123" is both Acme's INV-00123 (no: INV123) and Brennan's 123: the key decides.
        assert_eq!(
            m.outcome(
                &tx("100.00", Some("BRENNAN INC"), None, &["invoice 123"]),
                &[]
            ),
            Outcome::Pays(vec![2], MatchedBy::InvoiceNumber)
        );
        // No number: the amount and the creditor's IBAN.
        assert_eq!(
            m.outcome(
                &tx(
                    "250.00",
                    Some("ACME"),
                    Some("GB29NWBK60161331926819"),
                    &["thanks"]
                ),
                &[]
            ),
            Outcome::Pays(vec![1], MatchedBy::AmountAndCreditor)
        );
        // Two candidates of the same amount: not guessed.
        assert!(
            matches!(m.outcome(&tx("40.00", Some("Brennan"), None, &[]), &[]), Outcome::Unmatched(w) if w.contains("B-9, B-10"))
        );
        // Paid already in this import.
        assert!(matches!(
            m.outcome(&tx("100.00", Some("Brennan Inc"), None, &["123"]), &[2]),
            Outcome::Unmatched(_)
        ));
        // A number with the wrong amount is a part payment, left to the clerk.
        assert!(
            matches!(m.outcome(&tx("60.00", None, None, &["INV-00123"]), &[]), Outcome::Unmatched(w) if w.contains("part payment"))
        );
    }

    #[test]
    fn hostile_xml_is_an_error_not_a_panic() {
        for bad in [
            &b"<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy=\"EUR\">1</Amt>"[..],
            b"\xff\xfe",
            b"",
            b"<a>&bogus;</a>",
        ] {
            assert!(parse(bad).is_err());
        }
    }
}
