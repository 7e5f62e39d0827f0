//! The local steps applied to databases of each released schema: what they held is kept.

use super::*;

#[test]
fn folders_from_before_server_names_keep_their_state_and_learn_the_name_later() {
    let mut conn = Connection::open_in_memory().unwrap();
    apply_until(&mut conn, 0, 5).unwrap();
    conn.execute(
        "INSERT INTO folders (name, uid_validity) VALUES ('Chasers/Overdue', 7)",
        [],
    )
    .unwrap();
    apply(&mut conn, 5).unwrap();
    let row: (i64, Option<String>) = conn
        .query_row("SELECT uid_validity, server_name FROM folders", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(row, (7, None));
}

#[test]
fn schema_8_keeps_the_outbox_and_allows_unknown() {
    let mut conn = Connection::open_in_memory().unwrap();
    apply_until(&mut conn, 0, 7).unwrap();
    conn.execute_batch(
        "INSERT INTO outbox (message_id, template, envelope_from, envelope_to, subject, raw,
                             state, created_at, updated_at)
         VALUES ('<r@x>', 'acknowledge', 'a@x', 'b@y', 'Re: 1', X'00', 'sending', 't', 't');",
    )
    .unwrap();
    assert!(conn
        .execute("UPDATE outbox SET state = 'unknown'", [])
        .is_err());
    apply(&mut conn, 7).unwrap();
    conn.execute("UPDATE outbox SET state = 'unknown'", [])
        .unwrap();
    let (mid, state): (String, String) = conn
        .query_row("SELECT message_id, state FROM outbox", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((mid.as_str(), state.as_str()), ("<r@x>", "unknown"));
}

#[test]
fn the_lists_step_names_keys_and_indexes_the_messages_stored_before_it() {
    let step = STEPS
        .iter()
        .position(|s| s.sqlite.contains("CREATE VIRTUAL TABLE message_search"))
        .unwrap() as i64;
    let mut conn = Connection::open_in_memory().unwrap();
    apply_until(&mut conn, 0, step).unwrap();
    let raw = "Message-ID: <b@x>\r\nReferences: <a@x>\r\nFrom: Brennan AR <ar@brennan.test>\r\nSubject: Re: Invoice 58812\r\n\r\nStill waiting for payment of the pallets.\r\n";
    conn.execute_batch(&format!(
        "INSERT INTO folders (id, name) VALUES (1, 'INBOX');
         INSERT INTO messages (id, folder_id, uid, message_id, from_addr, subject, kind, vendor,
                               invoices, amount, synced_at)
         VALUES (5, 1, 1, '<b@x>', 'ar@brennan.test', 'Re: Invoice 58812', 'chaser',
                 'Brennan', '[\"58812\"]', '4750.00', 't');
         INSERT INTO bodies (message, raw) VALUES (5, CAST('{raw}' AS BLOB));"
    ))
    .unwrap();
    apply(&mut conn, step).unwrap();
    let row: (Option<String>, Option<String>, Option<String>) = conn
        .query_row(
            "SELECT from_name, thread_root, invoice_key FROM messages WHERE id = 5",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        row,
        (
            Some("Brennan AR".into()),
            Some("a@x".into()),
            Some("brennan|58812".into())
        )
    );
    let found: i64 = conn
        .query_row(
            "SELECT rowid FROM message_search WHERE message_search MATCH '\"pallets\"'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(found, 5, "the body is searchable");
    conn.execute("DELETE FROM messages WHERE id = 5", [])
        .unwrap();
    let left: i64 = conn
        .query_row("SELECT count(*) FROM message_search", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0, "a deleted message leaves the index");
}

#[test]
fn a_database_from_the_team_step_keeps_its_corrections_and_vendors_when_they_become_shared() {
    let team_step = STEPS.iter().position(|s| s.postgres == TEAM_11).unwrap() as i64 + 1;
    let mut conn = Connection::open_in_memory().unwrap();
    apply_until(&mut conn, 0, team_step).unwrap();
    conn.execute_batch(
        "INSERT INTO vendors (id, name, iban) VALUES (1, 'Acme', 'DE89370400440532013000');
         INSERT INTO corrections (sender, subject, verdict, actor, created_at, taught_at)
         VALUES ('acme.test', 'payment reminder #', 'not_chaser', 'ui_command', 't', 't');",
    )
    .unwrap();
    apply(&mut conn, team_step).unwrap();
    let kept: (String, String) = conn
        .query_row(
            "SELECT v.iban, c.verdict FROM vendors v, corrections c",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(kept, ("DE89370400440532013000".into(), "not_chaser".into()));
    let pending: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM team_pending_corrections)
                  + (SELECT count(*) FROM team_pending_vendors)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pending, 0, "pending only once a team is joined");
}

#[test]
fn schema_2_compares_invoices_without_leading_zeros() {
    let mut conn = Connection::open_in_memory().unwrap();
    apply_until(&mut conn, 0, 1).unwrap();
    conn.execute_batch(
        "INSERT INTO vendors (id, name) VALUES (1, 'Acme');
         INSERT INTO payables (vendor_id, invoice_number, invoice_key, amount, currency, status)
         VALUES (1, 'INV-00123', 'INV00123', '10', 'GBP', 'open');",
    )
    .unwrap();
    apply(&mut conn, 1).unwrap();
    let key: String = conn
        .query_row("SELECT invoice_key FROM payables", [], |r| r.get(0))
        .unwrap();
    assert_eq!(key, "INV123");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, latest());
}
