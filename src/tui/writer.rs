//! The UI's database writer: a thread with its own store connection that makes the user's
//! changes to payables (through `crate::actions`) and puts on the record what the UI showed
//! (a fraud warning). It never waits on the mail server, so a payment recorded while a sync
//! runs is not held behind the network, and the UI thread never writes. It answers with
//! `Msg`s and never touches the terminal.

use super::msg::Msg;
use super::strings;
use crate::actions::payables::{self, Done, PayableAction};
use crate::store::Store;
use std::sync::mpsc::{channel, Sender};
use std::thread::JoinHandle;

/// An event the UI puts on the record as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub kind: &'static str,
    pub message_id: Option<String>,
    pub vendor: Option<String>,
    pub invoice: Option<String>,
    pub detail: String,
}

/// What the writer is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteCmd {
    /// A change to a payable; `confirmed`: the user said yes to its questions.
    Payable {
        action: PayableAction,
        today: chrono::NaiveDate,
        confirmed: bool,
    },
    /// A change to a payable taken back.
    UndoPayable(Done),
    Record(Shown),
    Shutdown,
}

pub fn spawn_writer(mut store: Store, events: Sender<Msg>) -> (Sender<WriteCmd>, JoinHandle<()>) {
    let (tx, rx) = channel::<WriteCmd>();
    let handle = std::thread::Builder::new()
        .name("duebox-writer".into())
        .spawn(move || {
            for cmd in rx {
                match cmd {
                    WriteCmd::Shutdown => return,
                    WriteCmd::Payable {
                        action,
                        today,
                        confirmed,
                    } => {
                        let result = payables::apply(&mut store, &action, today, confirmed)
                            .map_err(|e| super::error::payable_action(strings::NOT_CHANGED, &e));
                        if events.send(Msg::PayableChanged(result)).is_err() {
                            return;
                        }
                    }
                    WriteCmd::UndoPayable(done) => {
                        let result = payables::undo(&mut store, &done)
                            .map(|()| done)
                            .map_err(|e| super::error::payable_change(strings::NOT_UNDONE, &e));
                        if events.send(Msg::PayableUndone(result)).is_err() {
                            return;
                        }
                    }
                    WriteCmd::Record(e) => {
                        // The record of what was shown is kept when it can be; failing to
                        // write it must not keep the message from the user.
                        let _ = store.record_event(
                            "user",
                            e.kind,
                            e.message_id.as_deref(),
                            e.vendor.as_deref(),
                            e.invoice.as_deref(),
                            &e.detail,
                        );
                    }
                }
            }
        })
        .expect("the writer thread starts");
    (tx, handle)
}
