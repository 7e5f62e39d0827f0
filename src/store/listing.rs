//! What the terminal UI reads: folder counts, one page of message summaries, one message
//! with our records and its history (the dashboard's figures are in `dashboard.rs`), where a message is (for a move);
//! and the one write its actions need, a message's flags. Every query is bounded (a page,
//! one message) or an SQL aggregate, so a store of 100,000 messages never comes into memory
//! whole. No terminal code here.

use super::{Store, StoreError};
use crate::classify::extract::normalise_invoice;
use crate::classify::risk::{FraudReason, Risk};
use crate::classify::{Kind, Stage};
use crate::payables::validate::{claimed_record, compare, Comparison, MatchStatus};
use rusqlite::{params, OptionalExtension, Row};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A folder's message counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderCount {
    pub name: String,
    pub total: u64,
    /// Without `\Seen`.
    pub unread: u64,
    /// Chasers without `\Answered`.
    pub unanswered: u64,
}

/// One row of the message list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// `messages.id`.
    pub id: i64,
    /// `YYYY-MM-DD HH:MM:SS` UTC.
    pub sent_at: Option<String>,
    pub from_addr: Option<String>,
    pub subject: String,
    pub vendor: Option<String>,
    pub invoices: Vec<String>,
    /// The claimed amount, decoded once here.
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub due_date: Option<String>,
    pub kind: Option<Kind>,
    pub stage: Option<Stage>,
    pub risk: Vec<Risk>,
    pub match_status: Option<MatchStatus>,
    pub flags: String,
    pub unparsable: bool,
    /// The sender's display name.
    pub from_name: Option<String>,
    /// The folder the message is in (lists across folders show it).
    pub folder: Option<String>,
    /// How many messages its thread has (same invoice or References chain), itself included.
    pub thread: usize,
}

impl Summary {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags
            .split_whitespace()
            .any(|f| f.eq_ignore_ascii_case(flag))
    }

    pub fn is_chaser(&self) -> bool {
        self.kind == Some(Kind::Chaser)
    }

    /// Who the message is from, as the lists show it: the company (the vendor record or the
    /// classifier's signature), else the sender's display name, the address only when
    /// there is no name.
    pub fn sender(&self) -> &str {
        self.vendor
            .as_deref()
            .or(self.from_name.as_deref().filter(|n| !n.trim().is_empty()))
            .or(self.from_addr.as_deref())
            .unwrap_or("")
    }

    /// Its warnings are an alarm, not a note (`risk::is_alarm`): it claims money when it is
    /// a chaser or names an amount or an invoice.
    pub fn is_alarm(&self) -> bool {
        let claims = self.is_chaser() || self.amount.is_some() || !self.invoices.is_empty();
        crate::classify::risk::is_alarm(&self.risk, claims)
    }
}

/// A window of a folder's list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// Position of `rows[0]` in the whole (filtered) list.
    pub offset: usize,
    /// How many messages the whole (filtered) list has.
    pub total: usize,
    pub rows: Vec<Summary>,
}

/// Our record of one claimed invoice: the payable itself, typed as everywhere else.
pub type Record = crate::payables::Payable;

/// One line of an invoice's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// `YYYY-MM-DD HH:MM:SS` UTC.
    pub at: String,
    pub what: String,
}

/// One message with everything the message view shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    pub summary: Summary,
    pub folder: String,
    pub message_id: Option<String>,
    pub reasons: Vec<String>,
    /// The reasons behind the fraud warnings (also among `reasons`).
    pub fraud_reasons: Vec<FraudReason>,
    pub parse_error: Option<String>,
    pub truncated: bool,
    pub raw: Vec<u8>,
    /// Our payables for the claimed invoices (of the vendor when it is known).
    pub records: Vec<Record>,
    /// The claimed amount against the sum of `records`, when it claims one and we have any.
    pub comparison: Option<Comparison>,
    /// Chases of the same invoices and what was done about them, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// The columns a list row needs, in the order [`summary`] reads them ([`SUMMARY_WIDTH`] of
/// them). The thread size is two index lookups per row (a page, never the whole list).
pub(super) const SUMMARY_COLUMNS: &str =
    "m.id, m.sent_at, m.from_addr, m.subject, m.vendor, m.invoices, m.amount, m.currency,
     m.due_date, m.kind, m.stage, m.risk, m.match_status, m.flags, m.parse_error IS NOT NULL,
     m.from_name, (SELECT name FROM folders WHERE id = m.folder_id),
     (SELECT count(*) FROM (SELECT id FROM messages WHERE invoice_key = m.invoice_key
                            UNION SELECT id FROM messages WHERE thread_root = m.thread_root))";
const SUMMARY_WIDTH: usize = 18;

/// A stored code decoded into its type; a code this version does not know is an error of
/// the database (written by a newer duebox or by hand), never a silent default.
pub(super) fn decoded<T: FromStr<Err = String>>(column: usize, code: &str) -> rusqlite::Result<T> {
    T::from_str(code).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, e.into())
    })
}

fn decoded_opt<T: FromStr<Err = String>>(
    r: &Row<'_>,
    column: usize,
) -> rusqlite::Result<Option<T>> {
    r.get::<_, Option<String>>(column)?
        .map(|code| decoded(column, &code))
        .transpose()
}

fn amount_opt(r: &Row<'_>, column: usize) -> rusqlite::Result<Option<Decimal>> {
    r.get::<_, Option<String>>(column)?
        .map(|a| {
            Decimal::from_str(&a).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    column,
                    rusqlite::types::Type::Text,
                    e.into(),
                )
            })
        })
        .transpose()
}

pub(super) fn summary(r: &Row<'_>) -> rusqlite::Result<Summary> {
    let invoices: Option<String> = r.get(5)?;
    let risk: String = r.get(11)?;
    let risk = risk
        .split_whitespace()
        .map(|code| decoded(11, code))
        .collect::<rusqlite::Result<Vec<Risk>>>()?;
    Ok(Summary {
        id: r.get(0)?,
        sent_at: r.get(1)?,
        from_addr: r.get(2)?,
        subject: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        vendor: r.get(4)?,
        invoices: invoices
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        amount: amount_opt(r, 6)?,
        currency: r.get(7)?,
        due_date: r.get(8)?,
        kind: decoded_opt(r, 9)?,
        stage: decoded_opt(r, 10)?,
        risk,
        match_status: decoded_opt(r, 12)?,
        flags: r.get(13)?,
        unparsable: r.get(14)?,
        from_name: r.get(15)?,
        folder: r.get(16)?,
        thread: r.get::<_, i64>(17)?.max(1) as usize,
    })
}

impl Store {
    /// Every folder with its counts, in name order.
    pub fn folder_counts(&self) -> Result<Vec<FolderCount>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT f.name, count(m.id),
                    coalesce(sum(m.id IS NOT NULL AND instr(m.flags, '\\Seen') = 0), 0),
                    coalesce(sum(m.kind = 'chaser' AND instr(m.flags, '\\Answered') = 0), 0)
             FROM folders f LEFT JOIN messages m ON m.folder_id = f.id
             GROUP BY f.id ORDER BY f.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(FolderCount {
                name: r.get(0)?,
                total: r.get::<_, i64>(1)? as u64,
                unread: r.get::<_, i64>(2)? as u64,
                unanswered: r.get::<_, i64>(3)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn folder_id(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM folders WHERE name = ?1")?
            .query_row(params![name], |r| r.get(0))
            .optional()?)
    }

    /// `limit` messages of a folder from position `offset`, newest first, narrowed by the
    /// search (subject, body, vendor, invoices, amount, sender) when given.
    pub fn page(
        &self,
        folder: &str,
        filter: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Page, StoreError> {
        self.page_known(folder, filter, offset, limit, None)
    }

    /// [`Store::page`] for a list whose length is known (scrolling through it): counting
    /// 100,000 rows again for every page would cost more than reading the page.
    pub fn page_known(
        &self,
        folder: &str,
        filter: Option<&str>,
        offset: usize,
        limit: usize,
        total: Option<usize>,
    ) -> Result<Page, StoreError> {
        let q = super::search::ListQuery {
            search: filter.map(str::to_string),
            ..super::search::ListQuery::folder(folder)
        };
        self.list_page(&q, offset, limit, total)
    }

    /// A folder's page newest first, unfiltered: counting and skipping rows read the
    /// (folder_id, sent_at) index alone, never the rows.
    pub(super) fn folder_page(
        &self,
        folder: &str,
        offset: usize,
        limit: usize,
        total: Option<usize>,
    ) -> Result<Page, StoreError> {
        let Some(folder_id) = self.folder_id(folder)? else {
            return Ok(Page::default());
        };
        let total = match total {
            Some(t) => t,
            None => {
                let n: i64 = self
                    .conn
                    .prepare_cached("SELECT count(*) FROM messages m WHERE m.folder_id = ?1")?
                    .query_row(params![folder_id], |r| r.get(0))?;
                n as usize
            }
        };
        let offset = offset.min(total.saturating_sub(1));
        let limit = limit.min(total - offset.min(total));
        // SQLite steps over OFFSET rows one by one: a window in the older half is read from
        // the oldest end instead, so going to the bottom costs what going to the top does.
        let from_end = offset > total / 2;
        let (order, skip) = if from_end {
            ("ASC", total - offset - limit)
        } else {
            ("DESC", offset)
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages m WHERE m.folder_id = ?1
             ORDER BY m.sent_at {order}, m.id {order} LIMIT ?2 OFFSET ?3"
        ))?;
        let mut rows: Vec<Summary> = stmt
            .query_map(params![folder_id, limit as i64, skip as i64], summary)?
            .collect::<Result<_, _>>()?;
        if from_end {
            rows.reverse();
        }
        Ok(Page {
            offset,
            total,
            rows,
        })
    }

    /// One message with its raw text, our records of its invoices and their history.
    pub fn detail(&self, id: i64) -> Result<Option<Detail>, StoreError> {
        let found = self
            .conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS}, f.name, m.message_id, m.reasons, m.parse_error, m.truncated,
                        coalesce(b.raw, x''), m.fraud_reasons
                 FROM messages m JOIN folders f ON f.id = m.folder_id
                 LEFT JOIN bodies b ON b.message = m.id WHERE m.id = ?1"
            ))?
            .query_row(params![id], |r| {
                let at = |k: usize| SUMMARY_WIDTH + k;
                let reasons: String = r.get(at(2))?;
                Ok(Detail {
                    summary: summary(r)?,
                    folder: r.get(at(0))?,
                    message_id: r.get(at(1))?,
                    reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                    fraud_reasons: serde_json::from_str(&r.get::<_, String>(at(6))?)
                        .unwrap_or_default(),
                    parse_error: r.get(at(3))?,
                    truncated: r.get(at(4))?,
                    raw: r.get(at(5))?,
                    records: Vec::new(),
                    comparison: None,
                    history: Vec::new(),
                })
            })
            .optional()?;
        let Some(mut detail) = found else {
            return Ok(None);
        };
        let vendor_ids = self.sender_vendors(detail.summary.from_addr.as_deref())?;
        for invoice in &detail.summary.invoices {
            self.records_of(invoice, &vendor_ids, &mut detail.records)?;
        }
        let s = &detail.summary;
        detail.comparison = s.amount.filter(|_| !detail.records.is_empty()).map(|a| {
            compare(
                a,
                s.currency.as_deref().unwrap_or_default(),
                &detail.records,
            )
        });
        detail.history = self.history(&detail, &vendor_ids)?;
        Ok(Some(detail))
    }

    /// The vendors that write from the sender's domain (none for a stranger).
    fn sender_vendors(&self, from: Option<&str>) -> Result<Vec<i64>, StoreError> {
        let Some(domain) = from.and_then(|f| f.rsplit_once('@')).map(|(_, d)| d) else {
            return Ok(Vec::new());
        };
        let domain = crate::classify::risk::registrable_domain(domain);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT vendor_id FROM vendor_addresses WHERE domain = ?1")?;
        let rows = stmt.query_map(params![domain], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Our payable the claim of this invoice is about, by the check's own rule
    /// ([`claimed_record`]), so the pane shows the record the list's badge was decided on.
    fn records_of(
        &self,
        invoice: &str,
        vendor_ids: &[i64],
        out: &mut Vec<Record>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT p.vendor_id, {}
             FROM payables p JOIN vendors v ON v.id = p.vendor_id WHERE p.invoice_key = ?1
             ORDER BY v.name",
            super::payables::PAYABLE_COLUMNS
        ))?;
        let rows: Vec<(i64, Record)> = stmt
            .query_map(params![normalise_invoice(invoice)], |r| {
                Ok((r.get(0)?, super::payables::payable_row(r, 1)?))
            })?
            .collect::<Result<_, _>>()?;
        let senders: Vec<&Record> = rows
            .iter()
            .filter(|(v, _)| vendor_ids.contains(v))
            .map(|(_, r)| r)
            .collect();
        let picked = claimed_record(rows.iter().map(|(_, r)| r), |p| {
            senders.iter().any(|s| std::ptr::eq(*s, p))
        });
        if let Some(record) = picked.filter(|r| !out.contains(r)) {
            out.push(record.clone());
        }
        Ok(())
    }

    /// Earlier and later chases of the message's invoices (from the sender's vendors) and
    /// the events recorded for the message or its invoices, oldest first.
    fn history(
        &self,
        detail: &Detail,
        vendor_ids: &[i64],
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut out = Vec::new();
        let mut chases = self.conn.prepare_cached(
            "SELECT chased_at, stage, invoice, message_id FROM chases
             WHERE vendor_id = ?1 AND invoice_key = ?2 ORDER BY chased_at",
        )?;
        for vendor in vendor_ids {
            for invoice in &detail.summary.invoices {
                let rows = chases.query_map(params![vendor, normalise_invoice(invoice)], |r| {
                    let message: String = r.get(3)?;
                    let this = detail.message_id.as_deref() == Some(message.as_str());
                    Ok(HistoryEntry {
                        at: r.get(0)?,
                        what: format!(
                            "{} chased ({}){}",
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(1)?,
                            if this { " — this message" } else { "" }
                        ),
                    })
                })?;
                for row in rows {
                    out.push(row?);
                }
            }
        }
        // What people and duebox did: filing, moves, replies, payments (sync bookkeeping and
        // the classifier's reasons are shown elsewhere).
        let mut events = self.conn.prepare_cached(
            "SELECT at, actor, kind, detail FROM events
             WHERE (message_id = ?1 OR invoice_key = ?2) AND kind NOT IN ('synced', 'classified')
             ORDER BY at, id LIMIT 50",
        )?;
        let mut seen = std::collections::HashSet::new();
        for invoice in detail
            .summary
            .invoices
            .iter()
            .map(|i| Some(i.as_str()))
            .chain(std::iter::once(None))
        {
            let key = invoice.map(normalise_invoice);
            let rows = events.query_map(params![detail.message_id, key], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            for row in rows {
                let (at, actor, kind, what) = row?;
                if seen.insert((at.clone(), kind.clone(), what.clone())) {
                    out.push(HistoryEntry {
                        at,
                        what: format!("{} ({actor}): {what}", kind.replace('_', " ")),
                    });
                }
            }
        }
        out.sort_by(|a, b| a.at.cmp(&b.at));
        Ok(out)
    }

    /// A message's place: folder name, UID (if linked), Message-ID, flags, and its folder's
    /// UIDVALIDITY, for a user's move.
    pub fn message_place(&self, id: i64) -> Result<Option<MessagePlace>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT f.name, m.uid, m.message_id, m.flags, f.uid_validity, m.vendor, m.invoices
                 FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.id = ?1",
            )?
            .query_row(params![id], |r| {
                let invoices: Option<String> = r.get(6)?;
                Ok(MessagePlace {
                    folder: r.get(0)?,
                    uid: r.get(1)?,
                    message_id: r.get(2)?,
                    flags: r.get(3)?,
                    uid_validity: r.get(4)?,
                    vendor: r.get(5)?,
                    invoice: invoices
                        .and_then(|s| serde_json::from_str::<Vec<String>>(&s).ok())
                        .and_then(|v| v.into_iter().next()),
                })
            })
            .optional()?)
    }

    /// The row of a message by Message-ID in a folder (after a move: the same message there).
    pub fn message_in_folder(
        &self,
        folder: &str,
        message_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT m.id FROM messages m JOIN folders f ON f.id = m.folder_id
                 WHERE f.name = ?1 AND m.message_id = ?2 LIMIT 1",
            )?
            .query_row(params![folder, message_id], |r| r.get(0))
            .optional()?)
    }

    /// Sets a message's flags by row (after the server accepted them).
    pub fn set_flags_of(&mut self, id: i64, flags: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE messages SET flags = ?2 WHERE id = ?1",
            params![id, flags],
        )?;
        Ok(())
    }
}

/// Where a message is, for moving it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePlace {
    pub folder: String,
    pub uid: Option<u32>,
    pub message_id: Option<String>,
    pub flags: String,
    pub uid_validity: Option<u32>,
    pub vendor: Option<String>,
    pub invoice: Option<String>,
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::NewMessage;

    pub(in crate::store) fn message(uid: u32, day: u32, subject: &str) -> NewMessage {
        NewMessage {
            uid,
            message_id: Some(format!("<m{uid}@x>")),
            sent_at: Some(format!("2026-11-{day:02} 09:00:00")),
            subject: Some(subject.into()),
            kind: Some("chaser".into()),
            vendor: Some("Acme".into()),
            invoices: Some(format!("[\"INV-{uid}\"]")),
            amount: Some("10.00".into()),
            currency: Some("EUR".into()),
            due_date: Some("2026-10-01".into()),
            reasons: "[]".into(),
            flags: if uid % 2 == 0 {
                "\\Seen".into()
            } else {
                String::new()
            },
            ..NewMessage::default()
        }
    }

    #[test]
    fn pages_from_both_ends_agree_and_filters_escape_wildcards() {
        let mut store = Store::in_memory().unwrap();
        let inbox = store.folder("INBOX").unwrap().id;
        for uid in 1..=25 {
            let subject = if uid == 7 { "100% overdue" } else { "Reminder" };
            store
                .store_message(inbox, &message(uid, uid, subject))
                .unwrap();
        }
        let top = store.page("INBOX", None, 0, 10).unwrap();
        assert_eq!((top.total, top.offset), (25, 0));
        assert_eq!(top.rows[0].id, 25, "newest first");
        let bottom = store.page("INBOX", None, 20, 10).unwrap();
        assert_eq!(bottom.rows.len(), 5);
        assert_eq!(
            bottom.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![5, 4, 3, 2, 1],
            "read from the oldest end, still newest first"
        );
        let middle = store.page("INBOX", None, 13, 3).unwrap();
        assert_eq!(
            middle.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![12, 11, 10]
        );
        let pct = store.page("INBOX", Some("100%"), 0, 10).unwrap();
        assert_eq!(pct.total, 1, "% is no syntax");
        let inv = store.page("INBOX", Some("inv-1"), 0, 50).unwrap();
        assert_eq!(inv.total, 11, "INV-1 and INV-10..19");
        let first = store.page("INBOX", Some("inv-1"), 0, 4).unwrap();
        assert_eq!(
            (first.total, first.rows.len()),
            (11, 4),
            "counted when more than a page"
        );
        assert_eq!(first.rows[0].id, 19);
        let counts = store.folder_counts().unwrap();
        assert_eq!(counts[0].total, 25);
        assert_eq!(counts[0].unread, 13);
        assert_eq!(counts[0].unanswered, 25);
        assert!(store.page("Nope", None, 0, 10).unwrap().rows.is_empty());
    }
}
