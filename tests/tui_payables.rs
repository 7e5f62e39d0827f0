//! The payables screen through the terminal UI on the demo mailbox, with the real update,
//! runner and worker threads: marking paid and scheduling change the payable, and each change
//! is on the record exactly once.

mod tui_support;

use duebox::tui::state::Screen;
use std::time::Duration;
use tui_support::{demo_ui, WAIT};

#[test]
fn payables_mark_paid_and_schedule() {
    let mut ui = demo_ui(100, 30);
    ui.open_payables_of("Redwood");
    let rows = match ui.h.app.top() {
        Some(Screen::Payables(p)) => p.rows.clone(),
        _ => panic!("payables"),
    };
    assert!(rows
        .iter()
        .all(|r| r.vendor.contains("Redwood") && r.status == duebox::payables::Status::Open));
    let invoice = rows[0].invoice_number.clone();
    ui.h.press("S");
    assert!(
        ui.screen()
            .contains("Schedule for (YYYY-MM-DD): 2026-11-27"),
        "{}",
        ui.screen()
    );
    ui.h.press("enter");
    ui.wait_note("scheduled");
    let store = ui.demo.open_store().unwrap();
    let p = store
        .list_payables(&Default::default())
        .unwrap()
        .into_iter()
        .find(|p| p.invoice_number == invoice)
        .unwrap();
    assert_eq!(p.status, duebox::payables::Status::Scheduled);
}

#[test]
fn one_mark_paid_in_the_ui_records_one_event() {
    let mut ui = demo_ui(100, 30);
    ui.open_payables_of("Redwood");
    let (vendor, invoice) = match ui.h.app.top() {
        Some(Screen::Payables(p)) => (p.rows[0].vendor.clone(), p.rows[0].invoice_number.clone()),
        _ => panic!("payables"),
    };
    let events = |ui: &tui_support::DemoUi| {
        ui.demo
            .open_store()
            .unwrap()
            .events(&duebox::store::EventFilter {
                invoice: Some(invoice.clone()),
                vendor: Some(vendor.clone()),
                since: None,
            })
            .unwrap()
    };
    let before = events(&ui).len();
    ui.h.press("P");
    // The date, then the payment's reference (none).
    ui.h.press("enter enter");
    ui.wait_note("marked paid");
    ui.h.settle(Duration::from_millis(200));
    let after = events(&ui);
    assert_eq!(
        after.len(),
        before + 1,
        "one payment, one event: {:?}",
        &after[before..]
    );
    assert_eq!(after[before].kind, "payable_paid");
}

#[test]
fn after_p_the_chaser_is_no_longer_matched_and_u_takes_it_back() {
    use duebox::payables::validate::MatchStatus;
    let mut ui = demo_ui(120, 36);
    ui.open_folder("Overdue");
    let row =
        ui.h.app
            .mailbox
            .list
            .page
            .rows
            .iter()
            .find(|r| r.match_status == Some(MatchStatus::Matched) && r.invoices.len() == 1)
            .expect("a matched chaser in Overdue")
            .clone();
    let record = ui
        .demo
        .open_store()
        .unwrap()
        .payable(&row.invoices[0], None)
        .unwrap();
    ui.h.press("p /");
    ui.h.type_text(&record.vendor);
    ui.h.press("enter");
    let at = match ui.h.app.top() {
        Some(Screen::Payables(p)) => p
            .rows
            .iter()
            .position(|p| p.invoice_number == record.invoice_number)
            .expect("the chaser's payable is listed"),
        _ => panic!("payables"),
    };
    for _ in 0..at {
        ui.h.press("j");
    }
    ui.h.press("P enter");
    ui.h.type_text("BACS-42");
    ui.h.press("enter");
    ui.wait_note("marked paid");
    // The reference asked for is on the row.
    assert!(
        ui.h.wait_until(WAIT, |a| matches!(a.top(), Some(Screen::Payables(p))
            if p.rows.iter().any(|r| r.reference.as_deref() == Some("BACS-42")))),
        "{}",
        ui.screen()
    );
    assert!(ui.screen().contains("reference BACS-42"), "{}", ui.screen());
    ui.h.press("esc");
    let check = |a: &duebox::tui::state::App| {
        a.mailbox
            .list
            .page
            .rows
            .iter()
            .find(|r| r.id == row.id)
            .and_then(|r| r.match_status)
    };
    assert!(
        ui.h.wait_until(WAIT, |a| check(a) == Some(MatchStatus::AlreadyPaid)),
        "the chaser's check follows the payment at once:\n{}",
        ui.screen()
    );
    ui.h.press("u");
    assert!(
        ui.h.wait_until(WAIT, |a| check(a) == Some(MatchStatus::Matched)),
        "{}",
        ui.screen()
    );
    assert!(ui.screen().contains("is open again"), "{}", ui.screen());
    let p = ui
        .demo
        .open_store()
        .unwrap()
        .payable(&record.invoice_number, Some(&record.vendor))
        .unwrap();
    assert_eq!(
        (p.status, p.paid_on, p.reference),
        (record.status, None, None)
    );
}
