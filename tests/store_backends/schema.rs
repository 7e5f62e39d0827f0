//! The schema on both backends: a database from a newer duebox refused, and databases from
//! before one numbering upgraded without losing what they held.

use super::*;
use duebox::classify::fingerprint::{Fingerprint, Verdict};
use duebox::store::CorrectionSource;

pub(super) fn a_database_from_a_newer_duebox_is_refused(t: &Backend) {
    let anna = t.clerk("Anna");
    let version = anna.schema_version().unwrap();
    drop(anna);
    {
        let conn = rusqlite::Connection::open(t.local("Anna")).unwrap();
        conn.pragma_update(None, "user_version", version + 1)
            .unwrap();
    }
    let err = Store::open(&t.local("Anna")).err().expect("refused");
    assert!(
        matches!(err, StoreError::TooNew { found, supported, .. } if found == version + 1 && supported == version),
        "{err}"
    );
    if let Some(url) = &t.url {
        let ben = t.clerk("Ben");
        assert_eq!(
            ben.team_schema_version().unwrap().unwrap(),
            ben.schema_version().unwrap(),
            "one numbering: both databases at the same step"
        );
        drop(ben);
        let db = url.rsplit('/').next().unwrap();
        let pg = postgres_server::shared();
        pg.client(db)
            .batch_execute(&format!(
                "UPDATE duebox_schema SET version = {}",
                version + 1
            ))
            .unwrap();
        let mut cleo = Store::open(&t.local("Cleo")).unwrap();
        let err = cleo.attach_team(&config(url)).unwrap_err();
        assert!(
            matches!(err, StoreError::TeamTooNew { found, .. } if found == version + 1),
            "{err}"
        );
    }
}

/// Before one numbering: a clerk's SQLite at schema 11 and a team database numbered on its
/// own at 3 (its steps 1 to 3) — both upgraded, nothing lost, and what the clerk taught and
/// knew of vendors before joins the team's.
#[test]
fn databases_from_before_one_numbering_upgrade_and_share_what_they_held() {
    let t = Backend::new(BackendKind::Team);
    let url = t.url.clone().unwrap();
    let pg = postgres_server::shared();
    let db = url.rsplit('/').next().unwrap().to_string();
    let latest = {
        let mut anna = t.clerk("Anna");
        anna.import_payables(&[payable("Acme", "INV-1", 120_000, day(11, 30))])
            .unwrap();
        anna.schema_version().unwrap()
    };
    // What the release before wrote: no shared corrections or vendors in either database.
    pg.client(&db)
        .batch_execute(
            "DROP TABLE corrections; DROP SEQUENCE corrections_seq;
             DROP TABLE vendors; DROP SEQUENCE vendors_seq;
             ALTER TABLE duebox_schema DROP COLUMN numbering;
             UPDATE duebox_schema SET version = 3;",
        )
        .unwrap();
    {
        // Ben taught and recorded a vendor before the team shared them.
        let mut ben = Store::open(&t.local("Ben")).unwrap();
        ben.set_clerk("Ben").unwrap();
        let fp =
            Fingerprint::new("ar@acme.co.uk", "Payment reminder: invoice INV-41 is due").unwrap();
        ben.teach(
            &fp,
            Verdict::NotChaser,
            CorrectionSource::UiCommand,
            None,
            "said",
        )
        .unwrap();
        ben.import_vendors(&[vendor("ar@acme.co.uk", Some(NEW_IBAN), None)])
            .unwrap();
    }
    back_to_the_release_before(&t.local("Ben"), latest);
    back_to_the_release_before(&t.local("Anna"), latest);

    let ben = t.clerk("Ben");
    assert_eq!(ben.schema_version().unwrap(), latest, "local upgraded");
    assert_eq!(
        ben.team_schema_version().unwrap().unwrap(),
        latest,
        "team database renumbered and upgraded"
    );
    assert_eq!(ben.corrections().unwrap().len(), 1, "kept");
    assert_eq!(ben.payable("INV-1", None).unwrap().status, Status::Open);
    let numbering: String = pg
        .client(&db)
        .query_one("SELECT numbering FROM duebox_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(numbering, "local");
    drop(ben);
    let anna = t.clerk("Anna");
    assert_eq!(
        anna.corrections().unwrap().len(),
        1,
        "Ben's correction shared"
    );
    let banks = anna.vendor_banks().unwrap();
    assert_eq!(
        banks[0].1.iban.as_deref(),
        Some(NEW_IBAN),
        "Ben's vendor shared"
    );
    let events = anna.events(&EventFilter::default()).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "payable_added" && e.clerk.as_deref() == Some("Anna")),
        "the record kept"
    );
}

/// The local schema of the release before one numbering.
const RELEASE_BEFORE: i64 = 11;

/// A local database as the release before one numbering left it: without step 12 (which
/// shares corrections and vendors) and the steps after it (each later step's changes are
/// undone here too, so that the upgrade takes them again).
fn back_to_the_release_before(path: &std::path::Path, latest: i64) {
    assert_eq!(latest, 13, "a new step: undo it below too");
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(&format!(
        "DROP TABLE team_pending_corrections; DROP TABLE team_pending_vendors;
         ALTER TABLE team_pending_payables DROP COLUMN n;
         DELETE FROM team_cursor WHERE name IN ('corrections', 'vendors');
         DROP INDEX messages_to_file;
         ALTER TABLE folders DROP COLUMN uid_next;
         PRAGMA user_version = {RELEASE_BEFORE};"
    ))
    .unwrap();
}

/// A team database numbered the old way mid-way (its step 2 of 3) takes the rest.
#[test]
fn a_team_database_at_its_old_step_2_takes_the_rest() {
    let t = Backend::new(BackendKind::Team);
    let url = t.url.clone().unwrap();
    let db = url.rsplit('/').next().unwrap().to_string();
    let pg = postgres_server::shared();
    let latest = t.clerk("Anna").schema_version().unwrap();
    pg.client(&db)
        .batch_execute(
            "DROP TABLE corrections; DROP SEQUENCE corrections_seq;
             DROP TABLE vendors; DROP SEQUENCE vendors_seq;
             DROP TABLE payables; DROP SEQUENCE payables_seq;
             ALTER TABLE duebox_schema DROP COLUMN numbering;
             UPDATE duebox_schema SET version = 2;",
        )
        .unwrap();
    let mut ben = t.clerk("Ben");
    assert_eq!(ben.team_schema_version().unwrap().unwrap(), latest);
    ben.import_payables(&[payable("Acme", "INV-9", 100, day(12, 1))])
        .unwrap();
    let n: i64 = pg
        .client(&db)
        .query_one("SELECT count(*) FROM payables", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1, "payables shared again");
}
