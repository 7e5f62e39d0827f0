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
    ui.h.press("p");
    ui.h.press("/");
    ui.h.type_text("Redwood");
    ui.h.press("enter f");
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
    assert!(
        ui.h.wait_until(WAIT, |a| a
            .status
            .note
            .as_deref()
            .is_some_and(|n| n.contains("scheduled"))),
        "{}",
        ui.screen()
    );
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
    ui.h.press("p");
    ui.h.press("/");
    ui.h.type_text("Redwood");
    ui.h.press("enter f");
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
    ui.h.press("enter");
    assert!(
        ui.h.wait_until(WAIT, |a| a
            .status
            .note
            .as_deref()
            .is_some_and(|n| n.contains("marked paid"))),
        "{}",
        ui.screen()
    );
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
