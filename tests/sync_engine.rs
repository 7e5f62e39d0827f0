//! The sync engine against the in-process fake server (fast, exhaustive about crashes);
//! tests/sync_dovecot.rs runs the same engine against a real Dovecot.

mod common;

use duebox::config::Folders;
use duebox::payables::validate::PayablesIndex;
use duebox::store::Store;
use duebox::sync::engine::{sync_once, Report, Settings, SyncError};
use duebox::sync::fake::FakeServer;
use std::collections::BTreeMap;

const MAIL: [&str; 8] = [
    "a-001-en-reminder-acme.eml",
    "a-005-en-overdue-brennan.eml",
    "a-010-en-final-pemberton.eml",
    "a-017-en-statement-greenfield.eml",
    "b-030-fraud-lookalike-ruiz.eml",
    "a-031-en-neg-new-invoice-acme.eml",
    "a-039-en-neg-meeting-pemberton.eml",
    "a-043-en-neg-own-domain-reminder.eml",
];

struct World {
    server: FakeServer,
    store: Store,
    index: PayablesIndex,
    folders: Folders,
}

impl World {
    fn new() -> World {
        let (store, index, server) = common::seeded(&MAIL);
        World {
            server,
            store,
            index,
            folders: Folders::default(),
        }
    }

    fn sync(&mut self) -> Result<Report, SyncError> {
        let opts = common::northwind();
        let settings = Settings {
            folders: &self.folders,
            classify: &opts,
            index: &self.index,
        };
        sync_once(&mut self.server, &mut self.store, &settings, &mut |_| {})
    }

    /// Message-ID → the folders holding it on the server (one entry per copy).
    fn where_is(&self) -> BTreeMap<String, Vec<String>> {
        let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for folder in ["INBOX"].into_iter().chain(self.folders.all()) {
            for (_, _, raw) in self.server.contents(folder) {
                let id = duebox::mail::parse(&raw).unwrap().message_id.unwrap();
                found.entry(id).or_default().push(folder.to_string());
            }
        }
        found
    }
}

#[test]
fn first_pass_files_chasers_holds_fraud_and_leaves_the_rest() {
    let mut w = World::new();
    let report = w.sync().unwrap();
    assert_eq!(report.new, 8, "{report:?}");
    assert_eq!(report.held, 1, "{report:?}");
    assert_eq!(report.filed.values().sum::<usize>(), 5, "{report:?}");
    let inbox = w.server.contents("INBOX");
    assert_eq!(inbox.len(), 3, "ordinary mail stays");
    assert_eq!(w.server.contents("Chasers/Reminders").len(), 1);
    assert_eq!(w.server.contents("Chasers/Overdue").len(), 1);
    assert_eq!(w.server.contents("Chasers/Final notices").len(), 1);
    assert_eq!(w.server.contents("Chasers/Statements").len(), 1);
    let review = w.server.contents("Chasers/Review");
    assert_eq!(review.len(), 1);
    assert!(
        review[0].1.contains(&"$FraudRisk".to_string()),
        "{:?}",
        review[0].1
    );
    let overdue = &w.server.contents("Chasers/Overdue")[0];
    assert!(
        overdue.1.contains(&"$Overdue".to_string()),
        "{:?}",
        overdue.1
    );
    assert!(
        !overdue.1.contains(&"\\Seen".to_string()),
        "sync never marks mail read"
    );
    // The store follows the server: every message once, in its folder, with a UID.
    for (folder, n) in [("INBOX", 3), ("Chasers/Overdue", 1), ("Chasers/Review", 1)] {
        let ids = w.store.message_ids(folder).unwrap();
        assert_eq!(ids.len(), n, "{folder}: {ids:?}");
    }
    let again = w.sync().unwrap();
    assert_eq!(
        (again.new, again.filed.len(), again.relinked),
        (0, 0, 0),
        "{again:?}"
    );
}

#[test]
fn the_users_own_moves_are_respected() {
    let mut w = World::new();
    w.sync().unwrap();
    let (uid, _, _) = w.server.contents("Chasers/Overdue")[0].clone();
    w.server
        .move_as_other_client("Chasers/Overdue", uid, "INBOX");
    let report = w.sync().unwrap();
    assert_eq!(report.filed.values().sum::<usize>(), 0, "{report:?}");
    assert_eq!(w.server.contents("INBOX").len(), 4);
    assert_eq!(w.server.contents("Chasers/Overdue").len(), 0);
    let again = w.sync().unwrap();
    assert_eq!(again.filed.values().sum::<usize>(), 0);
}

#[test]
fn flags_and_expunges_from_other_clients_are_picked_up() {
    for condstore in [true, false] {
        let mut w = World::new();
        w.server.caps.condstore = condstore;
        w.sync().unwrap();
        let inbox = w.server.contents("INBOX");
        w.server
            .set_flags_as_other_client("INBOX", inbox[0].0, &["\\Seen", "\\Flagged"]);
        w.server.expunge_as_other_client("INBOX", inbox[1].0);
        let report = w.sync().unwrap();
        assert_eq!((report.flag_changes, report.expunged), (1, 1), "{report:?}");
        assert_eq!(w.store.message_ids("INBOX").unwrap().len(), 2);
    }
}

#[test]
fn a_new_uidvalidity_keeps_classifications() {
    let mut w = World::new();
    w.sync().unwrap();
    w.server.renumber("INBOX");
    w.server.renumber("Chasers/Overdue");
    let report = w.sync().unwrap();
    assert_eq!(report.new, 0, "{report:?}");
    assert_eq!(report.relinked, 4, "{report:?}");
    assert_eq!(w.store.message_ids("INBOX").unwrap().len(), 3);
    assert_eq!(w.store.message_ids("Chasers/Overdue").unwrap().len(), 1);
}

#[test]
fn without_move_it_copies_and_expunges_only_its_own_messages() {
    let mut w = World::new();
    w.server.caps.moves = false;
    // Another client's message marked \Deleted but not expunged must survive our moves.
    let theirs = w.server.contents("INBOX")[6].0;
    w.server
        .set_flags_as_other_client("INBOX", theirs, &["\\Deleted"]);
    let report = w.sync().unwrap();
    assert_eq!(report.filed.values().sum::<usize>(), 5, "{report:?}");
    assert!(w.server.contents("INBOX").iter().any(|m| m.0 == theirs));
    assert!(w.where_is().values().all(|places| places.len() == 1));

    let mut w = World::new();
    w.server.caps.moves = false;
    w.server.caps.uidplus = false;
    let report = w.sync().unwrap();
    assert_eq!(report.filed.len(), 0);
    assert_eq!(report.labelled, 5, "{report:?}");
    assert!(report.warnings[0]
        .text()
        .is_some_and(|t| t.contains("neither MOVE nor UIDPLUS")));
}

#[test]
fn a_crash_at_any_point_loses_nothing_and_doubles_nothing() {
    for moves in [true, false] {
        // Count the calls of a clean pass, then fail at each of them in turn.
        let mut clean = World::new();
        clean.server.caps.moves = moves;
        clean.sync().unwrap();
        let calls = clean.server.calls;
        let want = clean.where_is();
        for fail_at in 0..calls {
            let mut w = World::new();
            w.server.caps.moves = moves;
            w.server.fail_after = Some(fail_at);
            assert!(w.sync().is_err(), "call {fail_at} of {calls} should fail");
            w.server.fail_after = None;
            let report = w.sync().unwrap();
            let got = w.where_is();
            assert_eq!(
                got, want,
                "moves={moves}, crash at call {fail_at}: {report:?}"
            );
            let again = w.sync().unwrap();
            assert_eq!(
                again.new + again.filed.len() + again.recovered,
                0,
                "{again:?}"
            );
        }
    }
}

#[test]
fn unparsable_mail_is_kept_counted_and_never_moved() {
    let mut w = World::new();
    let mut bomb = b"From: x@y.example\nMessage-ID: <bomb@y.example>\nContent-Type: multipart/mixed; boundary=b\n\n".to_vec();
    for _ in 0..100 {
        bomb.extend_from_slice(b"--b\nContent-Type: multipart/mixed; boundary=b\n\n");
    }
    w.server.deliver("INBOX", &bomb);
    let report = w.sync().unwrap();
    assert_eq!(report.unparsable, 1, "{report:?}");
    assert_eq!(w.server.contents("INBOX").len(), 4);
    assert_eq!(w.store.message_ids("INBOX").unwrap().len(), 4);
    assert!(
        report.summary().contains("1 unparsable"),
        "{}",
        report.summary()
    );
}

#[test]
fn refused_keywords_and_folders_degrade_with_one_warning_and_never_abort() {
    // Keywords refused at STORE: everything is filed, without them, with one warning.
    let mut w = World::new();
    w.server.refuse_keywords = true;
    let report = w.sync().unwrap();
    assert_eq!(report.filed.values().sum::<usize>(), 5, "{report:?}");
    let keyword_warnings = report
        .warnings
        .iter()
        .filter(|m| {
            m.text()
                .is_some_and(|t| t.contains("refused duebox's keywords"))
        })
        .count();
    assert_eq!(keyword_warnings, 1, "{report:?}");
    assert!(w.where_is().values().all(|f| f.len() == 1));
    // A folder the server will not create: the pass goes on, its mail waits in INBOX and is
    // filed once the folder can be made.
    let mut w = World::new();
    w.server.refuse_create = vec!["Chasers/Overdue".into()];
    let report = w.sync().unwrap();
    assert_eq!(report.filed.get("Chasers/Overdue"), None, "{report:?}");
    assert_eq!(report.filed.values().sum::<usize>(), 4, "{report:?}");
    assert!(report.warnings.iter().any(|m| m
        .text()
        .is_some_and(|t| t.contains("Chasers/Overdue") && t.contains("waits in INBOX"))));
    w.server.refuse_create.clear();
    let report = w.sync().unwrap();
    assert_eq!(report.filed.get("Chasers/Overdue"), Some(&1), "{report:?}");
    assert!(w.where_is().values().all(|f| f.len() == 1));
}

#[test]
fn label_only_without_keyword_permission_says_so_and_claims_nothing() {
    for (no_keywords, refuse_keywords) in [(true, false), (false, true)] {
        let mut w = World::new();
        w.folders.label_only = true;
        w.server.no_keywords = no_keywords;
        w.server.refuse_keywords = refuse_keywords;
        let report = w.sync().unwrap();
        assert_eq!(report.labelled, 0, "{report:?}");
        assert_eq!(report.warnings.len(), 1, "{report:?}");
        assert!(w.where_is().values().all(|f| f == &["INBOX".to_string()]));
        // Given the permission, the next pass labels them.
        w.server.no_keywords = false;
        w.server.refuse_keywords = false;
        let report = w.sync().unwrap();
        assert_eq!(report.labelled, 5, "{report:?}");
    }
}

#[test]
fn a_server_error_reads_once_through_the_whole_chain() {
    use duebox::sync::server::ServerError;
    let e = anyhow::Error::from(SyncError::Server(ServerError::new(
        "cannot open the folder 'INBOX': No Response: gone",
    )));
    assert_eq!(
        format!("{e:#}").matches("No Response: gone").count(),
        1,
        "{e:#}"
    );
    let e = anyhow::Error::from(duebox::sync::user_move::MoveError::Server(
        ServerError::new("No Response: gone"),
    ));
    assert_eq!(
        format!("{e:#}").matches("No Response: gone").count(),
        1,
        "{e:#}"
    );
}

#[test]
fn without_index_text_search_finds_mail_by_its_fields_only() {
    use duebox::store::search::{ListQuery, Source};
    let find = |store: &Store, words: &str| {
        store
            .list_count(&ListQuery {
                source: Source::All,
                search: Some(words.to_string()),
                sort: None,
            })
            .unwrap()
    };
    let mut indexed = World::new();
    indexed.sync().unwrap();
    // In the body of the meeting invitation only, and in its subject.
    assert_eq!(find(&indexed.store, "Trafford"), 1);
    assert_eq!(find(&indexed.store, "Lease renewal"), 1);
    let mut unindexed = World::new();
    unindexed.store.set_index_text(false);
    unindexed.sync().unwrap();
    assert_eq!(find(&unindexed.store, "Trafford"), 0);
    assert_eq!(find(&unindexed.store, "Lease renewal"), 1);
}
