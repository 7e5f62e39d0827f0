//! The pure `update` for the lists: where the UI starts, the search that stays on across
//! folders, the sort cycle, the conversation view, an answered chaser leaving To answer.
//! No store or terminal: the state each key leaves and the effects it asks for.

use chrono::NaiveDate;
use duebox::classify::Stage;
use duebox::store::search::{ListQuery, Sort, Source, ThreadEntry};
use duebox::store::{Page, Summary};
use duebox::tui::effect::Effect;
use duebox::tui::keymap::Keymap;
use duebox::tui::msg::Msg;
use duebox::tui::replies::NotSent;
use duebox::tui::state::{folder_entries, App, FolderKind, Overlay, Screen};
use duebox::tui::update::{init, update};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn app() -> App {
    let mut app = App::new(
        Keymap::default(),
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        false,
        "test".into(),
        folder_entries(&Default::default()),
    );
    update(&mut app, Msg::Resize(100, 30));
    app
}

use duebox::tui::harness::press;

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        update(
            app,
            Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        );
    }
}

fn queries(effects: &[Effect]) -> Vec<ListQuery> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::LoadPage { query, .. } => Some(query.clone()),
            _ => None,
        })
        .collect()
}

fn to_answer(search: Option<&str>, sort: Option<Sort>) -> ListQuery {
    ListQuery {
        source: Source::ToAnswer {
            flagged: false,
            archive: "Archive".into(),
        },
        search: search.map(str::to_string),
        sort,
    }
}

fn chaser(id: i64) -> Summary {
    Summary {
        id,
        subject: format!("Final notice INV-{id}"),
        kind: Some(duebox::classify::Kind::Chaser),
        stage: Some(Stage::Final),
        invoices: vec![format!("INV-{id}")],
        ..Summary::default()
    }
}

/// The first page of To answer arrives with these rows.
fn loaded(app: &mut App, rows: Vec<Summary>) {
    let query = app.mailbox.list.query().unwrap();
    update(
        app,
        Msg::PageLoaded {
            query,
            page: Page {
                offset: 0,
                total: rows.len(),
                rows,
            },
        },
    );
}

#[test]
fn the_ui_starts_on_to_answer() {
    let mut app = app();
    let effects = init(&mut app);
    assert_eq!(app.mailbox.list.kind, Some(FolderKind::ToAnswer));
    assert_eq!(queries(&effects), vec![to_answer(None, None)]);
    assert_eq!(to_answer(None, None).sort(), Sort::Urgency);
    assert!(effects.contains(&Effect::LoadFolders), "with the counts");
}

#[test]
fn the_search_stays_on_across_folders_until_cleared() {
    let mut app = app();
    init(&mut app);
    press(&mut app, "/");
    assert!(matches!(app.overlay, Some(Overlay::Prompt(_))));
    typed(&mut app, "INV-42");
    let effects = press(&mut app, "enter");
    assert_eq!(queries(&effects), vec![to_answer(Some("INV-42"), None)]);
    // The folders pane, down to Suspicious, Inbox: the search goes along.
    let effects = press(&mut app, "tab j j");
    let q = queries(&effects);
    assert_eq!(q.len(), 2, "{q:?}");
    assert_eq!(q[1].source, Source::Folder("INBOX".into()));
    assert_eq!(q[1].search.as_deref(), Some("INV-42"));
    // The last entry searches every folder.
    let effects = press(&mut app, "G");
    assert_eq!(queries(&effects)[0].source, Source::All);
    assert_eq!(queries(&effects)[0].search.as_deref(), Some("INV-42"));
    // An empty search clears it.
    press(&mut app, "enter / ctrl-u");
    for _ in 0..6 {
        press(&mut app, "backspace");
    }
    let effects = press(&mut app, "enter");
    assert_eq!(queries(&effects)[0].search, None);
    assert_eq!(app.mailbox.list.filter, None);
}

#[test]
fn sort_cycles_through_its_keys_and_back_to_the_lists_own() {
    let mut app = app();
    init(&mut app);
    let mut seen = Vec::new();
    for _ in 0..5 {
        let effects = press(&mut app, "O");
        seen.push(queries(&effects)[0].sort);
    }
    assert_eq!(
        seen,
        vec![
            Some(Sort::Date),
            Some(Sort::DaysLate),
            Some(Sort::Amount),
            Some(Sort::Vendor),
            None
        ],
        "To answer: most urgent, then date, days late, amount, vendor, most urgent again"
    );
    // In a folder, newest first is its own order: the cycle starts at days late.
    press(&mut app, "tab j j");
    let effects = press(&mut app, "enter O");
    assert_eq!(queries(&effects)[0].sort, Some(Sort::DaysLate));
}

#[test]
fn the_conversation_opens_from_the_list_and_the_message() {
    let mut app = app();
    init(&mut app);
    loaded(&mut app, vec![chaser(7), chaser(8)]);
    let effects = press(&mut app, "T");
    assert_eq!(effects, vec![Effect::LoadThread(7)]);
    let entry = |message: Option<i64>, at: &str| ThreadEntry {
        at: Some(at.into()),
        who: "x".into(),
        subject: "s".into(),
        message,
        folder: message.map(|_| "INBOX".to_string()),
        state: message.is_none().then(|| "sent".to_string()),
        answered: false,
        text: String::new(),
    };
    update(
        &mut app,
        Msg::ThreadLoaded {
            id: 7,
            entries: vec![
                entry(Some(3), "2026-10-01 09:00:00"),
                entry(Some(7), "2026-11-01 09:00:00"),
                entry(None, "2026-11-02 09:00:00"),
            ],
        },
    );
    let Some(Screen::Thread(t)) = app.top() else {
        panic!("{:?}", app.top())
    };
    assert_eq!(
        t.selected, 1,
        "the cursor on the message it was opened from"
    );
    press(&mut app, "j");
    assert!(
        press(&mut app, "enter").is_empty(),
        "our reply opens nothing"
    );
    assert!(app.status.note.is_some());
    let effects = press(&mut app, "g enter");
    assert_eq!(effects, vec![Effect::LoadMessage(3)]);
    // From the message view, T opens the conversation of that message.
    assert_eq!(press(&mut app, "T"), vec![Effect::LoadThread(3)]);
    press(&mut app, "esc esc esc");
    assert!(app.top().is_none());
}

#[test]
fn an_answered_chaser_leaves_to_answer() {
    let mut app = app();
    init(&mut app);
    loaded(&mut app, vec![chaser(7), chaser(8)]);
    press(&mut app, "a");
    let effects = update(
        &mut app,
        Msg::ReplySent {
            message: 7,
            result: Ok::<_, NotSent>("reply sent".into()),
        },
    );
    // The list and its counts are read again; the store no longer lists it.
    assert_eq!(queries(&effects), vec![to_answer(None, None)]);
    assert!(effects.contains(&Effect::LoadFolders));
    loaded(&mut app, vec![chaser(8)]);
    assert_eq!(app.mailbox.list.len(), 1);
    assert_eq!(app.mailbox.list.selected_row().map(|r| r.id), Some(8));
    update(
        &mut app,
        Msg::ToAnswerCounted {
            plain: 1,
            flagged: 0,
        },
    );
    assert_eq!(app.mailbox.folders.entries[0].counts.unanswered, 1);
}

#[test]
fn new_mail_keeps_the_cursor_on_its_message() {
    let mut app = app();
    init(&mut app);
    loaded(&mut app, vec![chaser(7), chaser(8)]);
    press(&mut app, "j");
    let effects = update(
        &mut app,
        Msg::Sync(duebox::tui::msg::SyncEvent::MessagesChanged),
    );
    assert_eq!(queries(&effects), vec![to_answer(None, None)]);
    loaded(&mut app, vec![chaser(6), chaser(7), chaser(8)]);
    assert_eq!(app.mailbox.list.selected_row().map(|r| r.id), Some(8));
}
