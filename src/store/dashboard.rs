//! The dashboard's figures: chasers waiting for an answer, what is chased by days past due
//! ("not yet due" apart; each invoice counted once, a statement by its open items; summed
//! exactly, as `Decimal`, never as SQL `REAL`), the total outstanding per currency, claims by
//! match status, and the payables falling due. Each figure keeps the message it leads to.
//! Bounded reads only; no terminal code here.

use super::listing::decoded;
use super::{Store, StoreError};
use crate::classify::extract::normalise_invoice;
use crate::payables::validate::MatchStatus;
use crate::payables::{Payable, Status};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

/// How far past its due date a claim is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bucket {
    /// Due today or later: chased early, not late.
    NotYetDue,
    Days1To30,
    Days31To60,
    Days61To90,
    Over90,
    /// The chaser names no due date.
    NoDueDate,
}

impl Bucket {
    pub const ALL: [Bucket; 6] = [
        Bucket::NotYetDue,
        Bucket::Days1To30,
        Bucket::Days31To60,
        Bucket::Days61To90,
        Bucket::Over90,
        Bucket::NoDueDate,
    ];

    fn of(due: Option<NaiveDate>, today: NaiveDate) -> Bucket {
        let Some(due) = due else {
            return Bucket::NoDueDate;
        };
        match (today - due).num_days() {
            ..=0 => Bucket::NotYetDue,
            1..=30 => Bucket::Days1To30,
            31..=60 => Bucket::Days31To60,
            61..=90 => Bucket::Days61To90,
            _ => Bucket::Over90,
        }
    }
}

/// Chased amounts of one aging bucket in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct AgingAmount {
    pub bucket: Bucket,
    pub currency: String,
    /// The exact sum of the claims' amounts (summed here, never as SQL REAL).
    pub amount: Decimal,
    pub claims: u64,
    /// The chaser of the longest-overdue claim in it (the statement, for its items).
    pub oldest: Option<i64>,
    /// Its claims, the longest overdue first (what Enter on the bucket lists).
    pub items: Vec<ClaimRef>,
}

/// One claim of a bucket: the chaser it leads to and what it claims.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRef {
    pub message: i64,
    pub vendor: String,
    /// The invoice numbers, as the chaser (or our record, for a statement's item) gives them.
    pub invoices: Vec<String>,
    pub amount: Decimal,
    pub due: Option<NaiveDate>,
}

/// The dashboard's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dashboard {
    /// Chasers without `\Answered`.
    pub waiting: u64,
    /// When the longest-waiting of them was sent.
    pub oldest_waiting: Option<String>,
    /// That chaser.
    pub oldest_waiting_id: Option<i64>,
    /// By currency, then bucket.
    pub aging: Vec<AgingAmount>,
    /// Everything chased and not paid, per currency: (currency, total, claims).
    pub outstanding: Vec<(String, Decimal, u64)>,
    /// Claims by match status, most first.
    pub claims: Vec<(MatchStatus, u64)>,
    /// Open payables falling due within [`DUE_WINDOW_DAYS`] (overdue ones too) and not yet
    /// scheduled: (currency, total, how many), by currency.
    pub falling_due: Vec<(String, rust_decimal::Decimal, u64)>,
}

/// How far ahead the dashboard looks for payables to pay or schedule.
pub const DUE_WINDOW_DAYS: u64 = 7;

/// One debt as the dashboard counts it.
struct Claim {
    who: String,
    invoices: Vec<String>,
    amount: Decimal,
    currency: String,
    due: Option<NaiveDate>,
    /// The chaser it leads to, and when that was sent (the latest claim's amount counts).
    message: i64,
    sent_at: Option<String>,
}

/// A chaser as the dashboard reads it.
struct Chased {
    id: i64,
    who: String,
    statement: bool,
    invoices: Vec<String>,
    amount: Option<Decimal>,
    currency: Option<String>,
    due: Option<NaiveDate>,
    sent_at: Option<String>,
}

fn day(s: Option<String>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s?.get(..10)?, "%Y-%m-%d").ok()
}

/// Each debt once: a chaser of one invoice (or one set of invoices) is one claim at its
/// latest amount; a statement counts by its open items, our records of the invoices it lists
/// that are not paid, unless a chaser of that invoice counts it already; a statement none of
/// whose invoices we know counts as one claim of its total.
fn claims(chased: Vec<Chased>, records: &[Payable]) -> Vec<Claim> {
    let mut by_invoice: HashMap<String, Vec<&Payable>> = HashMap::new();
    for p in records {
        by_invoice
            .entry(normalise_invoice(&p.invoice_number))
            .or_default()
            .push(p);
    }
    let mut out: HashMap<(String, String), Claim> = HashMap::new();
    let mut put = |key: (String, String), c: Claim, newer_wins: bool| match out.get_mut(&key) {
        Some(had) => {
            if newer_wins && c.sent_at > had.sent_at {
                // The first due date stated is the debt's; a later reminder may move it.
                let due = match (had.due, c.due) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                *had = Claim { due, ..c };
            }
        }
        None => {
            out.insert(key, c);
        }
    };
    let (statements, chasers): (Vec<Chased>, Vec<Chased>) =
        chased.into_iter().partition(|c| c.statement);
    for c in chasers {
        let (Some(amount), Some(currency)) = (c.amount, c.currency.clone()) else {
            continue;
        };
        let mut keys: Vec<String> = c.invoices.iter().map(|i| normalise_invoice(i)).collect();
        keys.sort();
        let claim = Claim {
            who: c.who.clone(),
            invoices: c.invoices.clone(),
            amount,
            currency,
            due: c.due,
            message: c.id,
            sent_at: c.sent_at,
        };
        put((c.who, keys.join(" ")), claim, true);
    }
    for s in statements {
        let items: Vec<(String, &Payable)> = s
            .invoices
            .iter()
            .filter_map(|i| {
                let key = normalise_invoice(i);
                let found = by_invoice.get(&key)?;
                let p = found
                    .iter()
                    .find(|p| p.vendor == s.who)
                    .or_else(|| found.first())?;
                Some((key, *p))
            })
            .collect();
        if items.is_empty() {
            if let (Some(amount), Some(currency)) = (s.amount, s.currency.clone()) {
                let mut keys: Vec<String> =
                    s.invoices.iter().map(|i| normalise_invoice(i)).collect();
                keys.sort();
                let claim = Claim {
                    who: s.who.clone(),
                    invoices: s.invoices.clone(),
                    amount,
                    currency,
                    due: s.due,
                    message: s.id,
                    sent_at: s.sent_at.clone(),
                };
                put((s.who.clone(), keys.join(" ")), claim, true);
            }
            continue;
        }
        for (key, p) in items.into_iter().filter(|(_, p)| p.status != Status::Paid) {
            let claim = Claim {
                who: s.who.clone(),
                invoices: vec![p.invoice_number.clone()],
                amount: p.amount,
                currency: p.currency.clone(),
                due: Some(p.due_date),
                message: s.id,
                sent_at: s.sent_at.clone(),
            };
            // A chaser of the invoice itself counts it already.
            put((s.who.clone(), key), claim, false);
        }
    }
    out.into_values().collect()
}

impl Store {
    /// The dashboard's figures; `today` decides how far past due each claim is.
    pub fn dashboard(&self, today: NaiveDate) -> Result<Dashboard, StoreError> {
        let (waiting, oldest_waiting): (i64, Option<String>) = self.conn.query_row(
            "SELECT count(*), min(sent_at) FROM messages
             WHERE kind = 'chaser' AND instr(flags, '\\Answered') = 0",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let oldest_waiting_id: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM messages
                 WHERE kind = 'chaser' AND instr(flags, '\\Answered') = 0
                 ORDER BY sent_at IS NULL, sent_at, id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .ok();
        // Claims we already paid are not owed. The amounts come out as the decimal strings
        // they are stored as and are added up as `Decimal`: SQL's sum would be REAL, which
        // loses cents (0.10 + 0.20).
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, coalesce(vendor, from_addr, ''), stage, invoices, amount, currency,
                    due_date, sent_at
             FROM messages
             WHERE kind = 'chaser' AND coalesce(match_status, '') <> 'already_paid'",
        )?;
        let chased: Vec<Chased> = stmt
            .query_map([], |r| {
                let invoices: Option<String> = r.get(3)?;
                let amount: Option<String> = r.get(4)?;
                Ok(Chased {
                    id: r.get(0)?,
                    who: r.get(1)?,
                    statement: r.get::<_, Option<String>>(2)?.as_deref() == Some("statement"),
                    invoices: invoices
                        .and_then(|i| serde_json::from_str(&i).ok())
                        .unwrap_or_default(),
                    // Written by the sync from a parsed Decimal; anything else is no amount.
                    amount: amount.and_then(|a| Decimal::from_str(&a).ok()),
                    currency: r.get(5)?,
                    due: day(r.get(6)?),
                    sent_at: r.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let records = self.list_payables(&Default::default())?;
        let mut claims = claims(chased, &records);
        // The longest overdue first, so each bucket leads to its oldest claim.
        claims.sort_by_key(|c| (c.due, c.message));
        let mut aging: Vec<AgingAmount> = Vec::new();
        let mut outstanding: Vec<(String, Decimal, u64)> = Vec::new();
        for c in claims {
            let bucket = Bucket::of(c.due, today);
            let item = ClaimRef {
                message: c.message,
                vendor: c.who.clone(),
                invoices: c.invoices.clone(),
                amount: c.amount,
                due: c.due,
            };
            match aging
                .iter_mut()
                .find(|a| a.bucket == bucket && a.currency == c.currency)
            {
                Some(a) => {
                    a.amount += c.amount;
                    a.claims += 1;
                    a.items.push(item);
                }
                None => aging.push(AgingAmount {
                    bucket,
                    currency: c.currency.clone(),
                    amount: c.amount,
                    claims: 1,
                    oldest: Some(c.message),
                    items: vec![item],
                }),
            }
            match outstanding
                .iter_mut()
                .find(|(cur, _, _)| *cur == c.currency)
            {
                Some((_, total, n)) => {
                    *total += c.amount;
                    *n += 1;
                }
                None => outstanding.push((c.currency, c.amount, 1)),
            }
        }
        aging.sort_by(|a, b| (&a.currency, a.bucket).cmp(&(&b.currency, b.bucket)));
        outstanding.sort_by(|a, b| a.0.cmp(&b.0));
        let mut stmt = self.conn.prepare_cached(
            "SELECT match_status, count(*) FROM messages
             WHERE kind = 'chaser' AND match_status IS NOT NULL
             GROUP BY match_status ORDER BY count(*) DESC, match_status",
        )?;
        let by_status = stmt
            .query_map([], |r| {
                let code: String = r.get(0)?;
                Ok((decoded(0, &code)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<Result<_, _>>()?;
        let mut falling_due: Vec<(String, rust_decimal::Decimal, u64)> = Vec::new();
        for p in self.due_payables(today + chrono::Days::new(DUE_WINDOW_DAYS))? {
            match falling_due.iter_mut().find(|(c, _, _)| *c == p.currency) {
                Some((_, total, n)) => {
                    *total += p.amount;
                    *n += 1;
                }
                None => falling_due.push((p.currency.clone(), p.amount, 1)),
            }
        }
        falling_due.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Dashboard {
            waiting: waiting as u64,
            oldest_waiting,
            oldest_waiting_id,
            aging,
            outstanding,
            claims: by_status,
            falling_due,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::listing::tests::message;
    use super::*;
    use crate::payables::{Payable, Status};

    #[test]
    fn dashboard_counts_each_claim_once_by_age() {
        let mut store = Store::in_memory().unwrap();
        let inbox = store.folder("INBOX").unwrap().id;
        let mut a = message(1, 1, "first");
        a.invoices = Some("[\"A\"]".into());
        let mut a2 = message(2, 5, "second reminder of A");
        a2.invoices = Some("[\"A\"]".into());
        a2.flags = "\\Answered".into();
        let mut b = message(3, 6, "B");
        b.due_date = Some("2026-07-01".into());
        b.amount = Some("5.50".into());
        for m in [a, a2, b] {
            store.store_message(inbox, &m).unwrap();
        }
        let d = store
            .dashboard(chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap())
            .unwrap();
        assert_eq!(d.waiting, 2);
        assert_eq!(d.oldest_waiting.as_deref(), Some("2026-11-01 09:00:00"));
        assert_eq!(d.aging.len(), 2);
        assert_eq!(
            (d.aging[0].bucket, d.aging[0].claims),
            (Bucket::Days31To60, 1),
            "50 days"
        );
        assert_eq!(
            (d.aging[1].bucket, d.aging[1].amount),
            (Bucket::Over90, Decimal::new(550, 2)),
            "142 days"
        );
    }

    #[test]
    fn dashboard_sums_are_exact_decimals() {
        let mut store = Store::in_memory().unwrap();
        let inbox = store.folder("INBOX").unwrap().id;
        // Three claims whose sum f64 gets wrong (0.1 + 0.2 = 0.30000000000000004), and two
        // so large that f64 has no room for their cents.
        for (i, (amount, currency)) in [
            ("0.10", "EUR"),
            ("0.20", "EUR"),
            ("45035996273704.97", "USD"),
            ("45035996273704.97", "USD"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut m = message(10 + i as u32, 1, &format!("claim {i}"));
            m.invoices = Some(format!("[\"INV-{i}\"]"));
            m.amount = Some(amount.into());
            m.currency = Some(currency.into());
            store.store_message(inbox, &m).unwrap();
        }
        let d = store
            .dashboard(chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap())
            .unwrap();
        let shown: Vec<(String, String)> = d
            .aging
            .iter()
            .map(|a| (a.currency.clone(), a.amount.to_string()))
            .collect();
        assert_eq!(
            shown,
            [
                ("EUR".to_string(), "0.30".to_string()),
                ("USD".to_string(), "90071992547409.94".to_string())
            ]
        );
    }

    fn record(invoice: &str, amount: i64, due: &str, status: Status) -> Payable {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Payable {
            vendor: "Acme".into(),
            vendor_email: "billing@acme.test".into(),
            invoice_number: invoice.into(),
            amount: Decimal::new(amount, 2),
            currency: "EUR".into(),
            issue_date: day("2026-08-01"),
            due_date: day(due),
            status,
            paid_on: None,
            reference: None,
            scheduled_on: None,
        }
    }

    #[test]
    fn a_statement_counts_once_by_its_open_items_and_not_yet_due_is_apart() {
        let mut store = Store::in_memory().unwrap();
        for p in [
            record("S-1", 10000, "2026-10-01", Status::Open),
            record("S-2", 2500, "2026-12-01", Status::Open),
            record("S-3", 999, "2026-09-01", Status::Paid),
        ] {
            store.add_payable(&p).unwrap();
        }
        let inbox = store.folder("INBOX").unwrap().id;
        // A statement of S-1, S-2 and the paid S-3 claiming their total, and a reminder of
        // S-1 on its own: S-1 is one debt, S-3 none.
        let mut statement = message(1, 2, "Statement of account");
        statement.stage = Some("statement".into());
        statement.invoices = Some("[\"S-1\", \"S-2\", \"S-3\"]".into());
        statement.amount = Some("134.99".into());
        let mut reminder = message(2, 3, "Reminder S-1");
        reminder.invoices = Some("[\"s-1\"]".into());
        reminder.amount = Some("100.00".into());
        reminder.due_date = Some("2026-10-01".into());
        // Another currency, not due yet.
        let mut early = message(3, 4, "Upcoming");
        early.currency = Some("USD".into());
        early.due_date = Some("2026-11-30".into());
        for m in [statement, reminder, early] {
            store.store_message(inbox, &m).unwrap();
        }
        let d = store
            .dashboard(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap())
            .unwrap();
        let shown: Vec<(&str, Bucket, String, u64)> = d
            .aging
            .iter()
            .map(|a| {
                (
                    a.currency.as_str(),
                    a.bucket,
                    a.amount.to_string(),
                    a.claims,
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("EUR", Bucket::NotYetDue, "25.00".to_string(), 1),
                ("EUR", Bucket::Days31To60, "100.00".to_string(), 1),
                ("USD", Bucket::NotYetDue, "10.00".to_string(), 1),
            ]
        );
        let eur = &d.outstanding[0];
        assert_eq!(
            (eur.0.as_str(), eur.1, eur.2),
            ("EUR", Decimal::new(12500, 2), 2)
        );
        // The bucket leads to the chaser of its claim, the statement for its open item.
        let ids: Vec<Option<i64>> = d.aging.iter().map(|a| a.oldest).collect();
        let page = store.page("INBOX", None, 0, 10).unwrap();
        let id_of = |subject: &str| {
            page.rows
                .iter()
                .find(|r| r.subject == subject)
                .map(|r| r.id)
        };
        assert_eq!(ids[0], id_of("Statement of account"));
        assert_eq!(ids[1], id_of("Reminder S-1"));
        assert_eq!(d.oldest_waiting_id, id_of("Statement of account"));
    }
}
