//! duebox: recognises vendor invoice chasers in an accounts-payable mailbox and answers them.
//!
//! The domain modules (`mail`, `classify`, `money`, `dates`) take bytes and values and return
//! values: no terminal, network or database code lives in them, so they are testable alone.

pub mod account;
pub mod actions;
pub mod classify;
pub mod cli;
pub mod codes;
pub mod config;
pub mod dates;
pub mod demo;
pub mod digest;
pub mod editor;
pub mod files;
pub mod fold;
pub mod imap;
pub mod mail;
pub mod money;
pub mod oauth;
pub mod payables;
pub mod reply;
pub mod send;
pub mod smtp;
pub mod store;
pub mod sync;
pub mod team;
pub mod tui;
