//! The schema of both databases, as one list of numbered steps: step N brings the local
//! SQLite to `user_version` N and the team database (PostgreSQL, `[database] url`) to
//! `duebox_schema.version` N, each taking its own text of the step. A step is never edited
//! once released, only followed by another.

use rusqlite::Connection;

/// The part of step 11 both databases take, written once in SQL both speak: who wrote each
/// event and reply, and the unique index that lets one clerk hold a reply's key
/// (`team::reply_key`).
macro_rules! one_reply_step {
    () => {
        r"
    ALTER TABLE events ADD COLUMN clerk TEXT;
    ALTER TABLE outbox ADD COLUMN clerk TEXT;
    ALTER TABLE outbox ADD COLUMN reply_key TEXT;
    CREATE UNIQUE INDEX outbox_one_reply ON outbox(reply_key)
        WHERE state IN ('queued', 'sending', 'sent', 'unknown');
    "
    };
}

/// One numbered step: its SQLite text and, when it changes the shared tables, the team
/// database's (PostgreSQL) text in parts applied in order. Both databases record the step's
/// number, so a local database and a team database at N have the same schema.
pub(super) struct Step {
    pub(super) sqlite: &'static str,
    pub(super) postgres: &'static [&'static str],
}

/// A step of the local database alone (the team database records its number too).
const fn local(sqlite: &'static str) -> Step {
    Step {
        sqlite,
        postgres: &[],
    }
}

/// A step both databases take.
const fn shared(sqlite: &'static str, postgres: &'static [&'static str]) -> Step {
    Step { sqlite, postgres }
}

pub(super) const STEPS: &[Step] = &[
    // 1: vendors, the addresses they write from, their payables.
    local(
        r"
    CREATE TABLE vendors (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        iban TEXT,
        account_number TEXT,
        phone TEXT
    );
    CREATE TABLE vendor_addresses (
        vendor_id INTEGER NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        email TEXT NOT NULL COLLATE NOCASE,
        domain TEXT NOT NULL COLLATE NOCASE,
        UNIQUE (vendor_id, email)
    );
    CREATE INDEX vendor_addresses_domain ON vendor_addresses(domain);
    CREATE TABLE payables (
        id INTEGER PRIMARY KEY,
        vendor_id INTEGER NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        invoice_number TEXT NOT NULL,
        invoice_key TEXT NOT NULL,
        amount TEXT NOT NULL,
        currency TEXT NOT NULL,
        issue_date TEXT,
        due_date TEXT,
        status TEXT NOT NULL CHECK (status IN ('open', 'scheduled', 'paid', 'disputed')),
        scheduled_on TEXT,
        paid_on TEXT,
        reference TEXT,
        UNIQUE (vendor_id, invoice_key)
    );
    CREATE INDEX payables_invoice_key ON payables(invoice_key);
    ",
    ),
    // 2: every chase of a vendor's invoice we have seen, so a repeat shows its history.
    local(
        r"
    CREATE TABLE chases (
        message_id TEXT NOT NULL,
        vendor_id INTEGER NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        invoice_key TEXT NOT NULL,
        invoice TEXT NOT NULL,
        chased_at TEXT NOT NULL,
        stage TEXT NOT NULL,
        UNIQUE (message_id, vendor_id, invoice_key)
    );
    CREATE INDEX chases_invoice ON chases(vendor_id, invoice_key, chased_at);
    ",
    ),
    // 3: the message store, the move journal, the record of what duebox filed, events.
    local(
        r"
    CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        uid_validity INTEGER,
        highest_modseq INTEGER,
        synced_at TEXT
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        folder_id INTEGER NOT NULL REFERENCES folders(id),
        -- NULL while the message is known to be in this folder under a UID not yet seen
        -- (just moved here, or the folder's UIDVALIDITY changed).
        uid INTEGER,
        message_id TEXT,
        flags TEXT NOT NULL DEFAULT '',
        size INTEGER NOT NULL DEFAULT 0,
        truncated INTEGER NOT NULL DEFAULT 0,
        sent_at TEXT,
        from_addr TEXT,
        subject TEXT,
        parse_error TEXT,
        kind TEXT,
        stage TEXT,
        vendor TEXT,
        invoices TEXT,
        amount TEXT,
        currency TEXT,
        due_date TEXT,
        risk TEXT NOT NULL DEFAULT '',
        match_status TEXT,
        reasons TEXT NOT NULL DEFAULT '[]',
        -- Where duebox decided this message goes (NULL: stays).
        destination TEXT,
        synced_at TEXT NOT NULL,
        UNIQUE (folder_id, uid)
    );
    CREATE INDEX messages_message_id ON messages(message_id, folder_id);
    CREATE INDEX messages_folder_sent ON messages(folder_id, sent_at);
    -- The raw text apart, so that listing and scanning messages reads small rows.
    CREATE TABLE bodies (
        message INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        raw BLOB NOT NULL
    );
    CREATE TABLE filings (
        message_id TEXT PRIMARY KEY,
        destination TEXT NOT NULL,
        filed_at TEXT NOT NULL
    );
    CREATE TABLE moves (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL,
        source TEXT NOT NULL,
        source_uid INTEGER NOT NULL,
        source_uid_validity INTEGER NOT NULL,
        destination TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('planned', 'copied', 'done', 'abandoned')),
        created_at TEXT NOT NULL,
        finished_at TEXT
    );
    CREATE INDEX moves_open ON moves(state);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        message_id TEXT,
        vendor TEXT,
        invoice TEXT,
        detail TEXT NOT NULL
    );
    CREATE INDEX events_at ON events(at);
    ",
    ),
    // 4: replies: the outbox that makes sending exactly-once; events findable by invoice and
    // message without a scan, and folder counts read from an index alone (the UI with
    // 100,000 messages stored).
    local(
        r"
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        -- Ours, with angle brackets: how the reply is found in Sent after a crash.
        message_id TEXT NOT NULL UNIQUE,
        -- The Message-ID of the message answered.
        answers TEXT,
        template TEXT NOT NULL,
        escalation INTEGER NOT NULL DEFAULT 0,
        vendor TEXT,
        invoice TEXT,
        invoice_key TEXT,
        envelope_from TEXT NOT NULL,
        envelope_to TEXT NOT NULL,
        subject TEXT NOT NULL,
        -- The exact bytes handed to SMTP and saved in Sent.
        raw BLOB NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'discarded')),
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        sent_at TEXT,
        -- After sending: the copy in Sent and \Answered on the original (1 = done or not wanted).
        saved_to_sent INTEGER NOT NULL DEFAULT 0,
        flagged_answered INTEGER NOT NULL DEFAULT 0,
        -- The demo's outbox: never sent anywhere.
        demo INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX outbox_state ON outbox(state);
    CREATE INDEX outbox_answers ON outbox(answers);
    ALTER TABLE events ADD COLUMN invoice_key TEXT;
    CREATE INDEX events_invoice ON events(invoice_key);
    CREATE INDEX events_message ON events(message_id);
    CREATE INDEX messages_counts ON messages(folder_id, kind, flags);
    ",
    ),
    // 5: what the clerk taught by correcting verdicts: a verdict per message shape (sender and
    // subject without its numbers), and the messages that taught it.
    local(
        r"
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY,
        sender TEXT NOT NULL,
        subject TEXT NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('not_chaser', 'reminder', 'overdue', 'final', 'statement')),
        actor TEXT NOT NULL,
        example_message_id TEXT,
        created_at TEXT NOT NULL,
        taught_at TEXT NOT NULL,
        used INTEGER NOT NULL DEFAULT 0,
        last_used_at TEXT,
        UNIQUE (sender, subject)
    );
    CREATE TABLE correction_messages (
        correction_id INTEGER NOT NULL REFERENCES corrections(id) ON DELETE CASCADE,
        message_id TEXT NOT NULL,
        -- The message's own verdict before the correction gave it the clerk's (restored
        -- when the move that taught it is undone).
        prior_kind TEXT,
        prior_stage TEXT,
        prior_reasons TEXT,
        PRIMARY KEY (correction_id, message_id)
    );
    CREATE INDEX correction_messages_message ON correction_messages(message_id);
    ",
    ),
    // 6: the server's own name for each folder (namespace prefix, separator, modified UTF-7),
    // learnt at the first sync and kept, so a folder stays where it was found. NULL: not yet
    // learnt (databases from before this step), learnt when the next pass finds the folder.
    local(
        r"
    ALTER TABLE folders ADD COLUMN server_name TEXT;
    ",
    ),
    // 7: every bank transaction imported (so a statement imported twice changes
    // nothing) and the payable it paid; found again by end-to-end id when a pain.002 says
    // the bank rejected it.
    local(
        r"
    CREATE TABLE bank_transactions (
        tx_key TEXT PRIMARY KEY,
        statement TEXT NOT NULL,
        booked_on TEXT NOT NULL,
        amount TEXT NOT NULL,
        currency TEXT NOT NULL,
        bank_reference TEXT,
        end_to_end TEXT,
        creditor TEXT,
        payable_id INTEGER REFERENCES payables(id) ON DELETE SET NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('paid', 'unmatched', 'incoming', 'rejected')),
        imported_at TEXT NOT NULL
    );
    CREATE INDEX bank_transactions_e2e ON bank_transactions(end_to_end);
    ",
    ),
    // 8: a reply's outcome can be "unknown" (the server's answer after the message never
    // came); SQLite cannot change a CHECK, so the table is rebuilt with its rows.
    local(
        r"
    CREATE TABLE outbox_new (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        answers TEXT,
        template TEXT NOT NULL,
        escalation INTEGER NOT NULL DEFAULT 0,
        vendor TEXT,
        invoice TEXT,
        invoice_key TEXT,
        envelope_from TEXT NOT NULL,
        envelope_to TEXT NOT NULL,
        subject TEXT NOT NULL,
        raw BLOB NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'unknown', 'discarded')),
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        sent_at TEXT,
        saved_to_sent INTEGER NOT NULL DEFAULT 0,
        flagged_answered INTEGER NOT NULL DEFAULT 0,
        demo INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO outbox_new SELECT id, message_id, answers, template, escalation, vendor, invoice,
        invoice_key, envelope_from, envelope_to, subject, raw, state, error, created_at,
        updated_at, sent_at, saved_to_sent, flagged_answered, demo FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_new RENAME TO outbox;
    CREATE INDEX outbox_state ON outbox(state);
    CREATE INDEX outbox_answers ON outbox(answers);
    ",
    ),
    // The reasons behind each fraud warning, typed where they are written (JSON list of
    // {risk, detail}); rows stored before have none and show the warnings' names.
    local(
        r"
    ALTER TABLE messages ADD COLUMN fraud_reasons TEXT NOT NULL DEFAULT '[]';
    ",
    ),
    // The lists: the sender's display name (the Vendor column shows a name, not an address),
    // the keys that put chases of one invoice and one References chain together (threads),
    // the unanswered chasers by due date ("To answer"), and a full-text index of subject,
    // body, vendor, invoices, amount and sender (search across folders). The index keeps no
    // copy of the text (contentless); rows leave it with their message.
    local(
        r"
    ALTER TABLE messages ADD COLUMN from_name TEXT;
    ALTER TABLE messages ADD COLUMN invoice_key TEXT;
    ALTER TABLE messages ADD COLUMN thread_root TEXT;
    CREATE INDEX messages_invoice_chases ON messages(invoice_key, sent_at, kind);
    CREATE INDEX messages_thread_root ON messages(thread_root);
    -- A chase followed by a later chase of the same invoice is superseded: the later one is
    -- the one to answer. Kept by triggers, whoever writes the rows.
    ALTER TABLE messages ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;
    CREATE TRIGGER messages_chases_reordered AFTER UPDATE OF invoice_key, kind, sent_at ON messages
    WHEN new.invoice_key IS NOT NULL OR old.invoice_key IS NOT NULL BEGIN
        UPDATE messages SET superseded = EXISTS (SELECT 1 FROM messages t
            WHERE t.invoice_key = messages.invoice_key AND t.kind = 'chaser'
              AND (t.sent_at > messages.sent_at OR (t.sent_at = messages.sent_at AND t.id > messages.id)))
        WHERE invoice_key IN (new.invoice_key, old.invoice_key);
    END;
    CREATE TRIGGER messages_chase_gone AFTER DELETE ON messages
    WHEN old.invoice_key IS NOT NULL BEGIN
        UPDATE messages SET superseded = EXISTS (SELECT 1 FROM messages t
            WHERE t.invoice_key = messages.invoice_key AND t.kind = 'chaser'
              AND (t.sent_at > messages.sent_at OR (t.sent_at = messages.sent_at AND t.id > messages.id)))
        WHERE invoice_key = old.invoice_key;
    END;
    CREATE INDEX messages_waiting ON messages(risk, stage, due_date, amount, sent_at, message_id,
        folder_id) WHERE kind = 'chaser' AND instr(flags, '\Answered') = 0 AND superseded = 0;
    CREATE INDEX messages_sent ON messages(sent_at);
    CREATE VIRTUAL TABLE message_search USING fts5(
        subject, body, vendor, invoices, amount, sender,
        content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_leave_search AFTER DELETE ON messages BEGIN
        DELETE FROM message_search WHERE rowid = old.id;
    END;
    ",
    ),
    // A team: the clerk behind every event and reply, and one reply per key (the same
    // template answering the same message) held at a time — the same step as the team
    // database's. Locally: what is not yet pushed to the team database (`[database] url`;
    // unused without one) and this database's id in the team's record.
    shared(
        concat!(
            one_reply_step!(),
            r"
    ALTER TABLE events ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX events_unshared ON events(id) WHERE shared = 0;
    ALTER TABLE outbox ADD COLUMN team_pushed INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE local_identity (origin TEXT NOT NULL);
    CREATE TABLE team_pending_payables (payable_id INTEGER PRIMARY KEY);
    CREATE TABLE team_cursor (name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
    "
        ),
        TEAM_11,
    ),
    // The team shares what the clerks taught and what they know of vendors: locally, which
    // corrections and vendors changed here and are not yet pushed (TEMP triggers fill them
    // on a connection attached to a team; unused without one).
    shared(
        r"
    -- n: bumped by every change, so a push clears only the changes it read (another
    -- connection to this file may change the row while the push is under way).
    CREATE TABLE team_pending_corrections (
        sender TEXT NOT NULL,
        subject TEXT NOT NULL,
        n INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (sender, subject)
    );
    -- details = 1: this clerk changed the bank details or phone (0: only an address added,
    -- which must not overwrite what another clerk recorded).
    CREATE TABLE team_pending_vendors (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        details INTEGER NOT NULL DEFAULT 0,
        n INTEGER NOT NULL DEFAULT 0
    );
    ALTER TABLE team_pending_payables ADD COLUMN n INTEGER NOT NULL DEFAULT 0;
    ",
        &[r"
    -- One correction per message shape; a forgotten one stays as a row (forgotten = TRUE)
    -- so that every clerk forgets it; `seq` numbers every change, as for payables.
    CREATE SEQUENCE corrections_seq;
    CREATE TABLE corrections (
        sender TEXT NOT NULL,
        subject TEXT NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('not_chaser', 'reminder', 'overdue', 'final', 'statement')),
        source TEXT NOT NULL,
        example_message_id TEXT,
        created_at TEXT NOT NULL,
        taught_at TEXT NOT NULL,
        forgotten BOOLEAN NOT NULL DEFAULT FALSE,
        seq BIGINT NOT NULL,
        clerk TEXT,
        origin TEXT NOT NULL,
        PRIMARY KEY (sender, subject)
    );
    CREATE INDEX corrections_seq_order ON corrections(seq);
    -- Vendors by name (any case) with their bank details, phone and the addresses they
    -- write from (addresses are only ever added).
    CREATE SEQUENCE vendors_seq;
    CREATE TABLE vendors (
        name_key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        iban TEXT,
        account_number TEXT,
        phone TEXT,
        emails TEXT[] NOT NULL DEFAULT '{}',
        seq BIGINT NOT NULL,
        clerk TEXT,
        origin TEXT NOT NULL
    );
    CREATE INDEX vendors_seq_order ON vendors(seq);
    "],
    ),
    // A pass with nothing new made cheap: the messages waiting to be filed are counted and
    // paged in an index that holds only those (not by reading every row of the inbox), and
    // a folder's UID list is read only when its UIDNEXT or count changed.
    // The search index merges its segments less often: by default (a merge once a level
    // holds 4 segments) every word of a large first pass is rewritten once per level, and
    // the levels grow with the mailbox (storing the second 10,000 messages cost 42% more
    // than the first); merging at 16 halves the rewrites. A search reads a few more
    // segments.
    local(
        r"
    CREATE INDEX messages_to_file ON messages(folder_id, uid) WHERE destination IS NOT NULL;
    -- UIDNEXT as the last complete sync found it: with the same UIDVALIDITY, UIDNEXT and
    -- count, nothing arrived and nothing left, and the UID list need not be read again.
    ALTER TABLE folders ADD COLUMN uid_next INTEGER;
    INSERT INTO message_search (message_search, rank) VALUES ('automerge', 16);
    INSERT INTO message_search (message_search, rank) VALUES ('crisismerge', 32);
    ",
    ),
];

/// Step 11's text for the team database (PostgreSQL): the shared tables as the local steps
/// left them, in PostgreSQL's types (the local steps' SQLite-only parts — COLLATE NOCASE, a
/// table rebuilt for a CHECK — cannot be replayed there). Released as the team database's
/// own steps 1 to 3 before the numbering was one: a team database still numbered that way
/// at version N has taken the first N parts (`team::schema` upgrades it).
pub(super) const TEAM_11: &[&str] = &[
    // The record and the outbox (without the bytes, which stay with the clerk who sends).
    r"
    CREATE TABLE events (
        id BIGSERIAL PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        message_id TEXT,
        vendor TEXT,
        invoice TEXT,
        invoice_key TEXT,
        detail TEXT NOT NULL,
        -- Which clerk's database wrote it and its id there: a push repeated adds nothing.
        origin TEXT NOT NULL,
        origin_id BIGINT NOT NULL,
        UNIQUE (origin, origin_id)
    );
    CREATE INDEX events_at ON events(at);
    CREATE INDEX events_invoice ON events(invoice_key);
    CREATE INDEX events_message ON events(message_id);
    CREATE TABLE outbox (
        id BIGSERIAL PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        answers TEXT,
        template TEXT NOT NULL,
        escalation BOOLEAN NOT NULL DEFAULT FALSE,
        vendor TEXT,
        invoice TEXT,
        invoice_key TEXT,
        envelope_to TEXT NOT NULL,
        subject TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'unknown', 'discarded')),
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        sent_at TEXT,
        origin TEXT NOT NULL
    );
    CREATE INDEX outbox_answers ON outbox(answers);
    ",
    // The same as the local step's first part (the clerk, one reply per key).
    one_reply_step!(),
    // Payables, one per vendor (any case) and invoice; `seq` numbers every change, so a
    // clerk pulls what changed since the last number it saw (src/store/team_payables.rs).
    r"
    CREATE SEQUENCE payables_seq;
    CREATE TABLE payables (
        vendor TEXT NOT NULL,
        vendor_key TEXT NOT NULL,
        vendor_email TEXT,
        invoice_number TEXT NOT NULL,
        invoice_key TEXT NOT NULL,
        amount TEXT NOT NULL,
        currency TEXT NOT NULL,
        issue_date TEXT,
        due_date TEXT,
        status TEXT NOT NULL CHECK (status IN ('open', 'scheduled', 'paid', 'disputed')),
        paid_on TEXT,
        reference TEXT,
        scheduled_on TEXT,
        seq BIGINT NOT NULL,
        clerk TEXT,
        origin TEXT NOT NULL,
        PRIMARY KEY (vendor_key, invoice_key)
    );
    CREATE INDEX payables_seq_order ON payables(seq);
    ",
];

/// Recomputes every payable's comparable invoice number.
fn rekey_invoices(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT id, invoice_number FROM payables")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, number) in rows {
        tx.execute(
            "UPDATE payables SET invoice_key = ?2 WHERE id = ?1",
            rusqlite::params![id, crate::classify::extract::normalise_invoice(&number)],
        )?;
    }
    Ok(())
}

/// The schema version this build writes.
fn key_events(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT id, invoice FROM events WHERE invoice IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, invoice) in rows {
        tx.execute(
            "UPDATE events SET invoice_key = ?2 WHERE id = ?1",
            rusqlite::params![id, crate::classify::extract::normalise_invoice(&invoice)],
        )?;
    }
    Ok(())
}

pub fn latest() -> i64 {
    STEPS.len() as i64
}

/// Applies every step after `from`, each in its own transaction with its version number.
pub fn apply(conn: &mut Connection, from: i64) -> rusqlite::Result<()> {
    apply_until(conn, from, latest())
}

/// Applies the steps after `from` up to and including `to`.
fn apply_until(conn: &mut Connection, from: i64, to: i64) -> rusqlite::Result<()> {
    for (i, step) in STEPS
        .iter()
        .enumerate()
        .take(usize::try_from(to).unwrap_or(0))
        .skip(usize::try_from(from).unwrap_or(0))
    {
        let tx = conn.transaction()?;
        tx.execute_batch(step.sqlite)?;
        if i + 1 == 2 {
            // Invoice numbers are compared without leading zeros since schema 2.
            rekey_invoices(&tx)?;
        }
        if i + 1 == 4 {
            // Events are found by invoice the same way since schema 4.
            key_events(&tx)?;
        }
        if step.sqlite.contains("CREATE VIRTUAL TABLE message_search") {
            // Messages stored before the lists' step get their names, keys and index entry
            // (found by its text, so renumbering the steps on a merge cannot skip it).
            super::search::backfill(&tx)?;
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
