//! The lists of the clerk's day on the demo mailbox, key by key through the real runner,
//! store and workers: the UI opens on To answer, the most urgent chaser answered leaves it,
//! the search finds an invoice in another folder and stays on across folders, the
//! conversation view; with snapshots at 80×24 and 120×36 (tests/snapshots).

mod tui_support;

use duebox::tui::state::{FolderKind, Screen};
use tui_support::{demo_ui, DemoUi, WAIT};

fn wait_thread(ui: &mut DemoUi) {
    assert!(
        ui.h.wait_until(
            WAIT,
            |a| matches!(a.top(), Some(Screen::Thread(t)) if t.entries.is_some())
        ),
        "{}",
        ui.screen()
    );
}

#[test]
fn start_on_to_answer_answer_the_most_urgent_and_it_leaves() {
    let mut ui = demo_ui(100, 30);
    assert_eq!(ui.h.app.mailbox.list.kind, Some(FolderKind::ToAnswer));
    let first =
        ui.h.app
            .mailbox
            .list
            .selected_row()
            .expect("a chaser")
            .clone();
    assert_eq!(
        first.stage.map(|s| s.as_str()),
        Some("final"),
        "final notices first"
    );
    assert!(first.risk.is_empty(), "flagged chasers are apart");
    let waiting = ui.h.app.mailbox.list.len();
    // Every row is an unanswered, unflagged chaser; finals before the rest.
    let rows: Vec<_> = (0..waiting)
        .map(|i| ui.h.app.mailbox.list.row(i).unwrap().clone())
        .collect();
    assert!(rows
        .iter()
        .all(|r| r.is_chaser() && r.risk.is_empty() && !r.has_flag("\\Answered")));
    let finals = rows
        .iter()
        .take_while(|r| r.stage.map(|s| s.as_str()) == Some("final"))
        .count();
    assert!(rows[finals..]
        .iter()
        .all(|r| r.stage.map(|s| s.as_str()) != Some("final")));
    ui.h.press("enter");
    ui.wait_opened();
    ui.preview("a");
    ui.h.press("y");
    ui.wait_note("not sent");
    ui.h.press("esc");
    assert!(
        ui.h.wait_until(WAIT, |a| a.top().is_none()
            && a.mailbox.list.len() == waiting - 1
            && (0..waiting - 1).all(|i| a.mailbox.list.row(i).is_some_and(|r| r.id != first.id))),
        "answered, it leaves To answer (and the earlier chase of its invoice does not come back):\n{}",
        ui.screen()
    );
    assert_eq!(
        tui_support::entry(&ui.h.app, "To answer").counts.unanswered as usize,
        waiting - 1
    );
    // Its conversation shows our reply among the chases.
    ui.open_folder("All folders");
    ui.filter(&first.invoices[0]);
    let list = &ui.h.app.mailbox.list;
    let at = (0..list.len())
        .find(|i| list.row(*i).is_some_and(|r| r.id == first.id))
        .unwrap_or_else(|| panic!("the chaser is found:\n{}", ui.screen()));
    for _ in 0..at {
        ui.h.press("j");
    }
    ui.h.press("T");
    wait_thread(&mut ui);
    let Some(Screen::Thread(t)) = ui.h.app.top() else {
        unreachable!()
    };
    let entries = t.entries.clone().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.message.is_none() && e.state.is_some()),
        "{entries:?}"
    );
    assert!(
        entries.iter().filter(|e| e.message.is_some()).count() >= 2,
        "{entries:?}"
    );
}

#[test]
fn search_finds_an_invoice_in_another_folder_and_stays_on() {
    let mut ui = demo_ui(120, 36);
    ui.open_folder("Inbox");
    ui.filter("IBS/26/0902");
    assert!(ui.h.app.mailbox.list.is_empty(), "not in the Inbox");
    assert!(
        ui.screen().contains("search “IBS/26/0902”"),
        "shown:\n{}",
        ui.screen()
    );
    ui.open_folder("All folders");
    assert_eq!(
        ui.h.app.mailbox.list.filter.as_deref(),
        Some("IBS/26/0902"),
        "the search stays on in another list"
    );
    assert!(
        ui.h.wait_until(WAIT, |a| !a.mailbox.list.is_empty()),
        "{}",
        ui.screen()
    );
    let row = ui.h.app.mailbox.list.row(0).unwrap().clone();
    assert!(row.invoices.iter().any(|i| i == "IBS/26/0902"), "{row:?}");
    assert_ne!(row.folder.as_deref(), Some("INBOX"));
    assert!(ui.screen().contains("IBS/26/0902"), "{}", ui.screen());
    // The body and the amount are searched too; an empty search clears.
    ui.filter("1140.00");
    assert!(!ui.h.app.mailbox.list.is_empty(), "{}", ui.screen());
    ui.filter("");
    assert!(!ui.screen().contains("search “"), "{}", ui.screen());
}

#[test]
fn screens_of_the_lists_and_the_conversation() {
    for (w, h) in [(80, 24), (120, 36)] {
        let mut ui = demo_ui(w, h);
        ui.open_folder("⚠ Suspicious");
        insta::assert_snapshot!(format!("suspicious_{w}x{h}"), ui.screen());
        ui.open_folder("All folders");
        ui.filter("Rochefort");
        insta::assert_snapshot!(format!("search_all_{w}x{h}"), ui.screen());
        ui.h.press("O O");
        assert!(ui.screen().contains("by amount"), "{}", ui.screen());
        insta::assert_snapshot!(format!("search_by_amount_{w}x{h}"), ui.screen());
        ui.filter("");
        ui.open_folder("To answer");
        // The Brennan Logistics chase has three messages in its conversation.
        let at = (0..ui.h.app.mailbox.list.len())
            .find(|i| ui.h.app.mailbox.list.row(*i).is_some_and(|r| r.thread >= 3))
            .expect("a conversation of three");
        for _ in 0..at {
            ui.h.press("j");
        }
        ui.h.press("enter");
        ui.wait_opened();
        ui.h.press("T");
        wait_thread(&mut ui);
        insta::assert_snapshot!(format!("conversation_{w}x{h}"), ui.screen());
    }
}
