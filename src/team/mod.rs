//! Several clerks on one mailbox: the marks a claim leaves on a chaser (marks.rs, pure) and
//! the claim service that takes and releases them through the IMAP server (claim.rs), so
//! that each chaser is answered by one clerk, and the release of a claim kept until an
//! unknown outcome is settled (settle.rs). No terminal code here.

pub mod claim;
pub mod marks;
mod settle;

pub use claim::{Claim, ClaimError, ClaimServer, Claims, Front, Team};
pub use marks::{Clerk, Mark};
