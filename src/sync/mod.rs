//! Sync: brings the server's INBOX and duebox's folders into the local store, classifies and
//! validates new mail, and files chasers into their folders through a crash-safe journal.
//! Works against the `MailServer` trait, so it runs the same over IMAP and over a fake.

mod compare;
pub mod engine;
pub mod fake;
pub mod filing;
mod journal;
pub mod learn;
pub mod pipeline;
pub mod probe;
pub mod refusals;
pub mod server;
pub mod session;
pub mod user_move;
pub mod warning;
