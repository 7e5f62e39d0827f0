//! Services for what a user does, one function per action, called by the CLI and the UI
//! alike so that a flow is written once. Each records its event once, in the same
//! transaction as the change. No terminal and no network here: front ends format the outcome.

pub mod payables;
