//! The lists beyond one folder's newest-first page: "To answer" (unanswered chasers, most
//! urgent first), all folders, sort keys, the full-text search (SQLite FTS5 over subject,
//! body, vendor, invoices, amount and sender) and threads (chases of one invoice or one
//! References chain, with our replies). Kept in step with the message inserts here. Every
//! query is bounded by a page or a thread; nothing here reads a whole store into memory.

use super::listing::{summary, SUMMARY_COLUMNS};
use super::{NewMessage, Page, Store, StoreError};
use crate::classify::extract::normalise_invoice;
use rusqlite::types::ToSql;
use rusqlite::{params, Connection, OptionalExtension};

/// Which messages a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// One folder of the mailbox, by name.
    Folder(String),
    /// Every folder.
    All,
    /// Chasers not answered (no `\Answered`, no reply of ours queued, sent or unknown),
    /// outside the archive; `flagged` picks the fraud-flagged ones, which are never mixed in.
    /// One row per invoice: its latest chase (the earlier ones are in its thread, and
    /// answering the latest answers them).
    ToAnswer { flagged: bool, archive: String },
}

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sort {
    /// Newest first.
    Date,
    /// Most days past due first (then due soonest); no due date last.
    DaysLate,
    /// Largest amount first.
    Amount,
    /// Vendor A–Z.
    Vendor,
    /// Final notices, then most days past due, then largest amount ("To answer").
    Urgency,
}

impl Sort {
    /// The keys the user cycles through, in order.
    pub const CYCLE: [Sort; 4] = [Sort::Date, Sort::DaysLate, Sort::Amount, Sort::Vendor];

    pub fn words(self) -> &'static str {
        match self {
            Sort::Date => "date",
            Sort::DaysLate => "days late",
            Sort::Amount => "amount",
            Sort::Vendor => "vendor",
            Sort::Urgency => "most urgent",
        }
    }

    /// An amount string ordered by value without leaving exact decimals: negatives last,
    /// then by the length of the integer part, then digit by digit.
    const AMOUNT_DESC: &'static str = "m.amount IS NULL, m.amount LIKE '-%',
        length(CASE WHEN instr(m.amount, '.') > 0 THEN substr(m.amount, 1, instr(m.amount, '.') - 1)
               ELSE m.amount END) DESC, m.amount DESC";

    fn order_by(self) -> String {
        let a = Sort::AMOUNT_DESC;
        match self {
            Sort::Date => "m.sent_at DESC, m.id DESC".into(),
            Sort::DaysLate => "m.due_date IS NULL, m.due_date ASC, m.sent_at DESC, m.id DESC".into(),
            Sort::Amount => format!("{a}, m.sent_at DESC, m.id DESC"),
            Sort::Vendor => "coalesce(m.vendor, m.from_name, m.from_addr) IS NULL,
                coalesce(m.vendor, m.from_name, m.from_addr) COLLATE NOCASE ASC, m.sent_at DESC, m.id DESC"
                .into(),
            Sort::Urgency => format!(
                "m.stage = 'final' DESC, m.due_date IS NULL, m.due_date ASC, {a}, m.id DESC"
            ),
        }
    }
}

/// A list: its messages, the search that narrows them, its order (None: the source's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub source: Source,
    pub search: Option<String>,
    pub sort: Option<Sort>,
}

impl ListQuery {
    pub fn folder(name: &str) -> ListQuery {
        ListQuery {
            source: Source::Folder(name.to_string()),
            search: None,
            sort: None,
        }
    }

    /// The order in force: the chosen one, else most urgent for "To answer", newest first
    /// elsewhere.
    pub fn sort(&self) -> Sort {
        self.sort.unwrap_or(match self.source {
            Source::ToAnswer { .. } => Sort::Urgency,
            _ => Sort::Date,
        })
    }
}

/// A list made once, in its order: the ids of its messages (a few bytes each, so 100,000
/// of them stay small), for scrolling without ordering it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub query: ListQuery,
    pub ids: Vec<i64>,
}

/// One entry of a conversation: a message we received, or a reply of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadEntry {
    /// `YYYY-MM-DD HH:MM:SS` UTC.
    pub at: Option<String>,
    pub who: String,
    pub subject: String,
    /// The message's row (None for a reply of ours) and folder.
    pub message: Option<i64>,
    pub folder: Option<String>,
    /// A reply's outbox state ("sent", "unknown", …); None for received mail.
    pub state: Option<String>,
    pub answered: bool,
    /// The readable text, terminal-safe.
    pub text: String,
}

/// The FTS5 query for what the user typed: each word a quoted phrase (so `INV-2024-07`
/// matches as typed, and no character is FTS syntax), all of them required, the last one a
/// prefix (results while typing). An amount written with separators ("1.250,00") is looked
/// up as stored ("1250.00"). None when nothing searchable is left.
pub fn fts_query(typed: &str) -> Option<String> {
    let words: Vec<String> = typed
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| {
            let amount = w.contains([',', '.', '\''])
                && w.chars().next().is_some_and(|c| c.is_ascii_digit());
            match crate::money::parse_number(w).filter(|_| amount) {
                Some(n) => n.to_string(),
                None => w.to_string(),
            }
        })
        .collect();
    let last = words.len().checked_sub(1)?;
    Some(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let quoted = format!("\"{}\"", w.replace('"', "\"\""));
                if i == last {
                    format!("{quoted}*")
                } else {
                    quoted
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Where a message's thread starts: the first of its References, else what it replies to,
/// else itself.
pub fn thread_root(msg: &crate::mail::Message) -> Option<String> {
    msg.references
        .first()
        .or(msg.in_reply_to.as_ref())
        .or(msg.message_id.as_ref())
        .cloned()
}

/// What of a message's text is searched: the body and the attachments' text, bounded so a
/// huge message cannot bloat the index.
pub fn searchable_text(msg: &crate::mail::Message) -> String {
    const MAX: usize = 32 * 1024;
    let mut text = String::with_capacity(msg.body.len() + msg.attachment_text.len() + 1);
    text.push_str(&msg.body);
    text.push('\n');
    text.push_str(&msg.attachment_text);
    if text.len() > MAX {
        let mut cut = MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

/// The key that puts chases of one invoice from one sender together: the vendor (else the
/// sender's domain) and the first claimed invoice, compared as invoices are everywhere.
fn invoice_key(vendor: Option<&str>, from: Option<&str>, invoices: Option<&str>) -> Option<String> {
    let first = invoices
        .and_then(|j| serde_json::from_str::<Vec<String>>(j).ok())?
        .into_iter()
        .next()?;
    let who = vendor.map(str::to_lowercase).or_else(|| {
        from.and_then(|f| f.rsplit_once('@'))
            .map(|(_, d)| d.to_lowercase())
    })?;
    Some(format!("{who}|{}", normalise_invoice(&first)))
}

/// Gives a just-inserted message its thread keys and its entry in the search index.
pub(super) fn index_new(conn: &Connection, id: i64, m: &NewMessage) -> rusqlite::Result<()> {
    let key = invoice_key(
        m.vendor.as_deref(),
        m.from_addr.as_deref(),
        m.invoices.as_deref(),
    );
    index_row(
        conn,
        id,
        &Indexed {
            from_name: m.from_name.as_deref(),
            thread_root: m.thread_root.as_deref(),
            invoice_key: key.as_deref(),
            subject: m.subject.as_deref(),
            body: &m.search_text,
            vendor: m.vendor.as_deref(),
            invoices: m.invoices.as_deref(),
            amount: m.amount.as_deref(),
            from_addr: m.from_addr.as_deref(),
        },
    )
}

struct Indexed<'a> {
    from_name: Option<&'a str>,
    thread_root: Option<&'a str>,
    invoice_key: Option<&'a str>,
    subject: Option<&'a str>,
    body: &'a str,
    vendor: Option<&'a str>,
    invoices: Option<&'a str>,
    amount: Option<&'a str>,
    from_addr: Option<&'a str>,
}

fn index_row(conn: &Connection, id: i64, x: &Indexed<'_>) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE messages SET from_name = ?2, thread_root = ?3, invoice_key = ?4 WHERE id = ?1",
    )?
    .execute(params![id, x.from_name, x.thread_root, x.invoice_key])?;
    let sender = format!(
        "{} {}",
        x.from_name.unwrap_or_default(),
        x.from_addr.unwrap_or_default()
    );
    conn.prepare_cached(
        "INSERT OR REPLACE INTO message_search (rowid, subject, body, vendor, invoices, amount, sender)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id, x.subject, x.body, x.vendor, x.invoices, x.amount, sender
    ])?;
    Ok(())
}

/// The schema step's work on messages stored before it: names, keys and index entries read
/// from each stored message (a message that does not parse is indexed by its stored fields).
pub(super) fn backfill(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare(
        "SELECT m.id, m.subject, m.vendor, m.invoices, m.amount, m.from_addr, coalesce(b.raw, x'')
         FROM messages m LEFT JOIN bodies b ON b.message = m.id",
    )?;
    type Row = (
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Vec<u8>,
    );
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })?;
    for row in rows {
        let (id, subject, vendor, invoices, amount, from_addr, raw): Row = row?;
        let parsed = crate::mail::parse(&raw).ok();
        let from_name = parsed.as_ref().and_then(|p| p.from.as_ref()?.name.clone());
        let root = parsed.as_ref().and_then(thread_root);
        let body = parsed.as_ref().map(searchable_text).unwrap_or_default();
        let key = invoice_key(vendor.as_deref(), from_addr.as_deref(), invoices.as_deref());
        index_row(
            tx,
            id,
            &Indexed {
                from_name: from_name.as_deref(),
                thread_root: root.as_deref(),
                invoice_key: key.as_deref(),
                subject: subject.as_deref(),
                body: &body,
                vendor: vendor.as_deref(),
                invoices: invoices.as_deref(),
                amount: amount.as_deref(),
                from_addr: from_addr.as_deref(),
            },
        )?;
    }
    Ok(())
}

/// A query's named parameters.
type Args = Vec<(&'static str, Box<dyn ToSql>)>;

/// The states of a reply of ours that answer a chaser (or may have: unknown).
const ANSWERING: &str = "('queued', 'sending', 'sent', 'unknown')";

impl Store {
    /// Whether the body's and attachments' text of messages stored from now on goes into the
    /// search index (`[sync] index_text`, on unless set otherwise): without it search finds
    /// messages by subject, sender, vendor, invoices and amount only.
    pub fn set_index_text(&mut self, on: bool) {
        self.index_text = on;
    }

    /// See [`Store::set_index_text`].
    pub fn indexes_text(&self) -> bool {
        self.index_text
    }

    /// A chaser waiting for an answer (`:archive` is the archive's name): not answered,
    /// outside the archive, no reply of ours that answers it, and the latest chase of its
    /// invoice (`superseded`, kept by the schema's triggers).
    fn waiting() -> String {
        format!(
            "m.kind = 'chaser' AND instr(m.flags, '\\Answered') = 0 AND m.superseded = 0
             AND m.folder_id IS NOT (SELECT id FROM folders WHERE name = :archive)
             AND (m.message_id IS NULL OR NOT EXISTS (SELECT 1 FROM outbox o
                  WHERE o.answers = m.message_id AND o.state IN {ANSWERING}))"
        )
    }

    /// The WHERE clause and parameters of a list.
    fn list_where(q: &ListQuery) -> Option<(String, Args)> {
        let mut clauses: Vec<String> = Vec::new();
        let mut args: Args = Vec::new();
        match &q.source {
            Source::Folder(name) => {
                clauses.push("m.folder_id = (SELECT id FROM folders WHERE name = :folder)".into());
                args.push((":folder", Box::new(name.clone())));
            }
            Source::All => {}
            Source::ToAnswer { flagged, archive } => {
                clauses.push(format!(
                    "{} AND m.risk {} ''",
                    Self::waiting(),
                    if *flagged { "!=" } else { "=" }
                ));
                args.push((":archive", Box::new(archive.clone())));
            }
        }
        if let Some(search) = q.search.as_deref().filter(|s| !s.trim().is_empty()) {
            // Typed text with nothing searchable in it matches nothing.
            let fts = fts_query(search)?;
            clauses.push(
                "m.id IN (SELECT rowid FROM message_search WHERE message_search MATCH :q)".into(),
            );
            args.push((":q", Box::new(fts)));
        }
        let clause = if clauses.is_empty() {
            "1".to_string()
        } else {
            clauses.join(" AND ")
        };
        Some((clause, args))
    }

    /// `limit` rows of a list from position `offset`; `total` when the list's length is
    /// known (scrolling) so it is not counted again. A list other than a folder newest first
    /// is ordered whole each time: callers that scroll keep its [`Listed`] instead.
    pub fn list_page(
        &self,
        q: &ListQuery,
        offset: usize,
        limit: usize,
        total: Option<usize>,
    ) -> Result<Page, StoreError> {
        if Self::by_folder_index(q) {
            if let Source::Folder(name) = &q.source {
                return self.folder_page(name, offset, limit, total);
            }
        }
        let listed = self.listed(q)?;
        self.page_of(&listed, offset, limit)
    }

    /// A folder newest first, unsearched: the (folder, date) index answers from either end.
    pub fn by_folder_index(q: &ListQuery) -> bool {
        matches!(q.source, Source::Folder(_))
            && q.search.as_deref().is_none_or(|s| s.trim().is_empty())
            && q.sort() == Sort::Date
    }

    /// A list in its order, as message ids: one pass that filters and sorts small rows (the
    /// summaries of a page are read for its rows alone, see [`Store::page_of`]).
    pub fn listed(&self, q: &ListQuery) -> Result<Listed, StoreError> {
        let Some((clause, args)) = Self::list_where(q) else {
            return Ok(Listed {
                query: q.clone(),
                ids: Vec::new(),
            });
        };
        let v: Vec<(&str, &dyn ToSql)> = args.iter().map(|(n, b)| (*n, b.as_ref())).collect();
        let ids = self
            .conn
            .prepare_cached(&format!(
                "SELECT m.id FROM messages m WHERE {clause} ORDER BY {}",
                q.sort().order_by()
            ))?
            .query_map(&*v, |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(Listed {
            query: q.clone(),
            ids,
        })
    }

    /// The rows of a listed list from `offset`, in its order.
    pub fn page_of(
        &self,
        listed: &Listed,
        offset: usize,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let total = listed.ids.len();
        let offset = offset.min(total.saturating_sub(1));
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages m WHERE m.id = ?1"
        ))?;
        let mut rows = Vec::with_capacity(limit.min(total));
        for id in listed.ids.iter().skip(offset).take(limit) {
            // A message gone since the list was made is left out, not an error.
            if let Some(row) = stmt.query_row(params![id], summary).optional()? {
                rows.push(row);
            }
        }
        Ok(Page {
            offset,
            total,
            rows,
        })
    }

    /// How many chasers wait for an answer, the fraud-flagged ones or the others (the
    /// waiting chasers' index holds every column the rule reads).
    pub fn to_answer_count(&self, archive: &str, flagged: bool) -> Result<usize, StoreError> {
        let archive = archive.to_string();
        let v: Vec<(&str, &dyn ToSql)> = vec![(":archive", &archive)];
        let n: i64 = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM messages m WHERE {} AND m.risk {} ''",
                Self::waiting(),
                if flagged { "!=" } else { "=" }
            ))?
            .query_row(&*v, |r| r.get(0))?;
        Ok(n as usize)
    }

    /// How many messages a list has.
    pub fn list_count(&self, q: &ListQuery) -> Result<usize, StoreError> {
        let Some((clause, args)) = Self::list_where(q) else {
            return Ok(0);
        };
        let v: Vec<(&str, &dyn ToSql)> = args.iter().map(|(n, b)| (*n, b.as_ref())).collect();
        let n: i64 = self
            .conn
            .prepare_cached(&format!("SELECT count(*) FROM messages m WHERE {clause}"))?
            .query_row(&*v, |r| r.get(0))?;
        Ok(n as usize)
    }

    /// A message's conversation: the messages of its invoice (same vendor) or of its
    /// References chain, and our replies to any of them, oldest first.
    pub fn thread(&self, id: i64) -> Result<Vec<ThreadEntry>, StoreError> {
        let keys: Option<(Option<String>, Option<String>)> = self
            .conn
            .prepare_cached("SELECT invoice_key, thread_root FROM messages WHERE id = ?1")?
            .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((invoice_key, root)) = keys else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.id, m.sent_at, coalesce(m.from_name, m.vendor, m.from_addr, ''),
                    coalesce(m.subject, ''), f.name, m.flags, m.message_id, coalesce(b.raw, x'')
             FROM messages m JOIN folders f ON f.id = m.folder_id
             LEFT JOIN bodies b ON b.message = m.id
             WHERE m.id IN (SELECT id FROM messages WHERE invoice_key = ?1
                            UNION SELECT id FROM messages WHERE thread_root = ?2
                            UNION SELECT ?3)
             ORDER BY m.sent_at, m.id LIMIT 200",
        )?;
        let mut ids: Vec<String> = Vec::new();
        let mut out: Vec<ThreadEntry> = Vec::new();
        let rows = stmt.query_map(params![invoice_key, root, id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Vec<u8>>(7)?,
            ))
        })?;
        for row in rows {
            let (mid, at, who, subject, folder, flags, message_id, raw) = row?;
            ids.extend(message_id);
            out.push(ThreadEntry {
                at,
                who,
                subject,
                message: Some(mid),
                folder: Some(folder),
                state: None,
                answered: flags.split_whitespace().any(|f| f == "\\Answered"),
                text: crate::mail::parse(&raw).map(|m| m.body).unwrap_or_default(),
            });
        }
        let mut replies = self.conn.prepare_cached(
            "SELECT coalesce(sent_at, created_at), envelope_to, subject, state, raw FROM outbox
             WHERE answers = ?1 AND state != 'discarded' ORDER BY created_at",
        )?;
        for answers in &ids {
            let rows = replies.query_map(params![answers], |r| {
                Ok(ThreadEntry {
                    at: r.get(0)?,
                    who: format!("us → {}", r.get::<_, String>(1)?),
                    subject: r.get(2)?,
                    message: None,
                    folder: None,
                    state: Some(r.get(3)?),
                    answered: false,
                    text: crate::mail::parse(&r.get::<_, Vec<u8>>(4)?)
                        .map(|m| m.body)
                        .unwrap_or_default(),
                })
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        out.sort_by(|a, b| a.at.cmp(&b.at));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::listing::tests::message;

    #[test]
    fn typed_text_becomes_a_safe_fts_query() {
        assert_eq!(fts_query("INV-2024"), Some("\"INV-2024\"*".into()));
        assert_eq!(
            fts_query("acme \"x"),
            Some("\"acme\" \"\"\"x\"*".into()),
            "quotes doubled"
        );
        assert_eq!(
            fts_query("1.250,00 EUR"),
            Some("\"1250.00\" \"EUR\"*".into())
        );
        assert_eq!(fts_query("  % * "), None);
    }

    proptest::proptest! {
        /// Whatever is typed, the search is a valid FTS5 query (never a syntax error
        /// shown as a database failure), and a typed word finds the text it came from.
        #[test]
        fn any_typed_text_is_a_valid_query(typed in "\\PC{0,40}", word in "[A-Za-z0-9]{1,8}") {
            let conn = Connection::open_in_memory().unwrap();
            conn.execute_batch(
                "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'unicode61 remove_diacritics 2');",
            )
            .unwrap();
            conn.execute("INSERT INTO t (rowid, x) VALUES (1, ?1)", params![format!("{typed} {word}")])
                .unwrap();
            if let Some(q) = fts_query(&typed) {
                let n: rusqlite::Result<i64> =
                    conn.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", params![q], |r| r.get(0));
                proptest::prop_assert!(n.is_ok(), "{q}: {n:?}");
            }
            let q = fts_query(&word).unwrap();
            let n: i64 = conn
                .query_row("SELECT count(*) FROM t WHERE t MATCH ?1", params![q], |r| r.get(0))
                .unwrap();
            proptest::prop_assert_eq!(n, 1);
        }
    }

    fn store_with(n: u32) -> Store {
        let mut store = Store::in_memory().unwrap();
        let inbox = store.folder("INBOX").unwrap().id;
        let fin = store.folder("Final").unwrap().id;
        let archive = store.folder("Archive").unwrap().id;
        for uid in 1..=n {
            let mut m = message(uid, uid, &format!("Reminder {uid}"));
            m.due_date = Some(format!("2026-10-{:02}", 30 - uid));
            m.amount = Some(format!("{}.00", uid * 7 % 11 * 100));
            m.search_text = format!("Dear customer, please pay order ORD-{uid}.");
            m.from_name = Some(format!("Vendor {uid}"));
            let folder = match uid {
                3 => fin,
                4 => archive,
                _ => inbox,
            };
            if uid == 3 {
                m.stage = Some("final".into());
            }
            if uid == 5 {
                m.risk = "bank_change".into();
            }
            if uid == 6 {
                m.flags = "\\Answered".into();
            }
            store.store_message(folder, &m).unwrap();
        }
        store
    }

    fn ids(p: &Page) -> Vec<i64> {
        p.rows.iter().map(|r| r.id).collect()
    }

    #[test]
    fn to_answer_is_urgent_first_without_answered_archived_or_flagged() {
        let store = store_with(8);
        let q = |flagged| ListQuery {
            source: Source::ToAnswer {
                flagged,
                archive: "Archive".into(),
            },
            search: None,
            sort: None,
        };
        let page = store.list_page(&q(false), 0, 50, None).unwrap();
        // 3 is final; then the oldest due date first (8 is due 22 Oct, 1 on 29 Oct).
        assert_eq!(ids(&page), vec![3, 8, 7, 2, 1]);
        assert_eq!(page.rows[0].folder.as_deref(), Some("Final"));
        assert_eq!(
            ids(&store.list_page(&q(true), 0, 50, None).unwrap()),
            vec![5]
        );
        assert_eq!(store.list_count(&q(false)).unwrap(), 5);
        assert_eq!(store.to_answer_count("Archive", false).unwrap(), 5);
        assert_eq!(store.to_answer_count("Archive", true).unwrap(), 1);
    }

    #[test]
    fn sort_keys_and_search_across_folders() {
        let store = store_with(8);
        let all = |sort, search: Option<&str>| ListQuery {
            source: Source::All,
            search: search.map(str::to_string),
            sort: Some(sort),
        };
        // Amounts: uid*7%11*100 → 1:700 2:300 3:1000 4:600 5:200 6:900 7:500 8:100.
        let by_amount = store
            .list_page(&all(Sort::Amount, None), 0, 50, None)
            .unwrap();
        assert_eq!(
            ids(&by_amount),
            vec![3, 6, 1, 4, 7, 2, 5, 8],
            "1000 before 900"
        );
        let by_date = store.list_page(&all(Sort::Date, None), 0, 3, None).unwrap();
        assert_eq!((ids(&by_date), by_date.total), (vec![8, 7, 6], 8));
        let late = store
            .list_page(&all(Sort::DaysLate, None), 0, 2, None)
            .unwrap();
        assert_eq!(ids(&late), vec![8, 7]);
        let found = store
            .list_page(&all(Sort::Date, Some("inv-3")), 0, 50, None)
            .unwrap();
        assert_eq!(
            ids(&found),
            vec![3],
            "the invoice in Final, found from anywhere"
        );
        let body = store
            .list_page(&all(Sort::Date, Some("ord-7")), 0, 50, None)
            .unwrap();
        assert_eq!(ids(&body), vec![7], "body text");
        let amount = store
            .list_page(&all(Sort::Date, Some("1,000.00")), 0, 50, None)
            .unwrap();
        assert_eq!(ids(&amount), vec![3], "an amount as written");
        let in_folder = ListQuery {
            source: Source::Folder("INBOX".into()),
            search: Some("inv-3".into()),
            sort: None,
        };
        assert_eq!(store.list_count(&in_folder).unwrap(), 0, "not in the inbox");
        assert_eq!(store.list_count(&all(Sort::Date, Some("%"))).unwrap(), 0);
    }

    #[test]
    fn a_thread_holds_the_chases_of_one_invoice() {
        let mut store = Store::in_memory().unwrap();
        let inbox = store.folder("INBOX").unwrap().id;
        let fin = store.folder("Final").unwrap().id;
        let mut first = message(1, 1, "Reminder INV-9");
        first.invoices = Some("[\"INV-9\"]".into());
        let mut second = message(2, 5, "Final notice INV-009");
        second.invoices = Some("[\"INV-009\"]".into());
        let other = message(3, 6, "Something else");
        store.store_message(inbox, &first).unwrap();
        store.store_message(fin, &second).unwrap();
        store.store_message(inbox, &other).unwrap();
        let thread = store.thread(1).unwrap();
        assert_eq!(
            thread.iter().map(|e| e.message).collect::<Vec<_>>(),
            vec![Some(1), Some(2)]
        );
        let page = store
            .list_page(&ListQuery::folder("INBOX"), 0, 10, None)
            .unwrap();
        let counts: Vec<_> = page.rows.iter().map(|r| (r.id, r.thread)).collect();
        assert_eq!(counts, vec![(3, 1), (1, 2)]);
        let to_answer = ListQuery {
            source: Source::ToAnswer {
                flagged: false,
                archive: "Archive".into(),
            },
            search: None,
            sort: Some(Sort::Date),
        };
        let rows = store.list_page(&to_answer, 0, 10, None).unwrap();
        assert_eq!(
            ids(&rows),
            vec![3, 2],
            "one row per invoice: its latest chase"
        );
        store
            .conn
            .execute("DELETE FROM messages WHERE id = 2", [])
            .unwrap();
        let rows = store.list_page(&to_answer, 0, 10, None).unwrap();
        assert_eq!(
            ids(&rows),
            vec![3, 1],
            "the latest gone, the earlier chase waits again"
        );
    }
}
