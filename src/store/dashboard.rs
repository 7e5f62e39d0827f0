//! The dashboard's figures: chasers waiting for an answer, chased amounts by days past due
//! (summed exactly, as `Decimal`, never as SQL `REAL`), claims by match status, and the
//! payables falling due. SQL aggregates and bounded reads only; no terminal code here.

use super::listing::decoded;
use super::{Store, StoreError};
use crate::payables::validate::MatchStatus;
use rusqlite::params;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Chased amounts of one aging bucket in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct AgingAmount {
    /// 0: 0–30 days past due (or not yet due), 1: 31–60, 2: 61–90, 3: over 90.
    pub bucket: usize,
    pub currency: String,
    /// The exact sum of the claims' amounts (summed here, never as SQL REAL).
    pub amount: Decimal,
    pub claims: u64,
}

/// The dashboard's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dashboard {
    /// Chasers without `\Answered`.
    pub waiting: u64,
    /// When the longest-waiting of them was sent.
    pub oldest_waiting: Option<String>,
    pub aging: Vec<AgingAmount>,
    /// Claims by match status, most first.
    pub claims: Vec<(MatchStatus, u64)>,
    /// Open payables falling due within [`DUE_WINDOW_DAYS`] (overdue ones too) and not yet
    /// scheduled: (currency, total, how many), by currency.
    pub falling_due: Vec<(String, rust_decimal::Decimal, u64)>,
}

/// How far ahead the dashboard looks for payables to pay or schedule.
pub const DUE_WINDOW_DAYS: u64 = 7;

impl Store {
    /// The dashboard's figures; `today` decides how far past due each claim is.
    pub fn dashboard(&self, today: chrono::NaiveDate) -> Result<Dashboard, StoreError> {
        let (waiting, oldest_waiting): (i64, Option<String>) = self.conn.query_row(
            "SELECT count(*), min(sent_at) FROM messages
             WHERE kind = 'chaser' AND instr(flags, '\\Answered') = 0",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        // One claim per vendor and set of invoices (a third reminder of the same invoice is
        // not a third debt), at its latest amount; claims we already paid are not owed.
        // The amounts come out as the decimal strings they are stored as and are added up
        // as `Decimal`: SQL's sum would be REAL, which loses cents (0.10 + 0.20).
        let mut stmt = self.conn.prepare_cached(
            "SELECT CASE WHEN age <= 30 THEN 0 WHEN age <= 60 THEN 1 WHEN age <= 90 THEN 2 ELSE 3 END AS bucket,
                    currency, amount
             FROM (SELECT coalesce(julianday(?1) - julianday(min(due_date)), 0) AS age,
                          currency, amount
                   FROM messages
                   WHERE kind = 'chaser' AND amount IS NOT NULL AND currency IS NOT NULL
                         AND coalesce(match_status, '') <> 'already_paid'
                   GROUP BY coalesce(vendor, from_addr), invoices, currency)
             ORDER BY bucket, currency",
        )?;
        let claims: Vec<(i64, String, String)> = stmt
            .query_map(params![today.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut aging: Vec<AgingAmount> = Vec::new();
        for (bucket, currency, amount) in claims {
            // Written by the sync from a parsed Decimal; anything else is not an amount.
            let Ok(amount) = Decimal::from_str(&amount) else {
                continue;
            };
            let bucket = bucket as usize;
            match aging.last_mut() {
                Some(a) if a.bucket == bucket && a.currency == currency => {
                    a.amount += amount;
                    a.claims += 1;
                }
                _ => aging.push(AgingAmount {
                    bucket,
                    currency,
                    amount,
                    claims: 1,
                }),
            }
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT match_status, count(*) FROM messages
             WHERE kind = 'chaser' AND match_status IS NOT NULL
             GROUP BY match_status ORDER BY count(*) DESC, match_status",
        )?;
        let claims = stmt
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
            aging,
            claims,
            falling_due,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::listing::tests::message;
    use super::*;

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
        assert_eq!((d.aging[0].bucket, d.aging[0].claims), (1, 1), "50 days");
        assert_eq!(
            (d.aging[1].bucket, d.aging[1].amount),
            (3, Decimal::new(550, 2)),
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
}
