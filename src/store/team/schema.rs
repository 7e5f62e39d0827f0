//! The team database's schema: the steps of `migrations::STEPS` (one numbering for both
//! databases) applied at the first connection, under an advisory lock so two clerks starting
//! at once take them once; a database written by a newer duebox is refused untouched. Never
//! drops or rewrites shared data.

use crate::store::migrations::{STEPS, TEAM_11};
use crate::store::StoreError;
use postgres::{Client, Transaction};

impl super::Team {
    /// The shared schema's version (for `config check` and the tests).
    pub(in crate::store) fn schema_version(&mut self) -> Result<i64, StoreError> {
        let client = self.client()?;
        match client.query_one("SELECT version FROM duebox_schema", &[]) {
            Ok(r) => Ok(r.get(0)),
            Err(e) => Err(self.failed(e)),
        }
    }
}

pub(super) enum Migrate {
    Pg(postgres::Error),
    Store(StoreError),
}

impl From<postgres::Error> for Migrate {
    fn from(e: postgres::Error) -> Self {
        Migrate::Pg(e)
    }
}

/// The number of the step whose PostgreSQL text was released as the team database's own
/// steps 1 to 3 (before the numbering was one).
fn first_shared_step() -> i64 {
    STEPS
        .iter()
        .position(|s| s.postgres == TEAM_11)
        .expect("the team step is in STEPS") as i64
        + 1
}

/// Brings the shared schema up to date, each step in its own transaction with its number;
/// a database written by a newer duebox is refused untouched. Two clerks starting at once
/// are serialised by an advisory lock.
pub(super) fn migrate(client: &mut Client, shown: &str) -> Result<(), Migrate> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock(7470301)", &[])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS duebox_schema (version BIGINT NOT NULL)")?;
    // Numbered with the local steps: marked by the column `numbering`; without it, the
    // team database's own numbering of before (steps 1 to 3, all of them step 11's parts).
    let one_numbering: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
                            WHERE table_schema = current_schema()
                              AND table_name = 'duebox_schema' AND column_name = 'numbering')",
            &[],
        )?
        .get(0);
    let found: Option<i64> = tx
        .query_opt("SELECT version FROM duebox_schema", &[])?
        .map(|r| r.get(0));
    let supported = STEPS.len() as i64;
    let too_new = |found: i64| {
        Migrate::Store(StoreError::TeamTooNew {
            shown: shown.to_string(),
            found,
            supported,
        })
    };
    let mut version = match (found, one_numbering) {
        (None, _) => {
            tx.batch_execute(
                "ALTER TABLE duebox_schema ADD COLUMN IF NOT EXISTS numbering TEXT;
                 INSERT INTO duebox_schema (version, numbering) VALUES (0, 'local')",
            )?;
            0
        }
        (Some(v), true) if v > supported => return Err(too_new(v)),
        (Some(v), true) => v,
        (Some(v), false) if v > TEAM_11.len() as i64 => return Err(too_new(v)),
        (Some(v), false) => renumber(&mut tx, v)?,
    };
    for (i, step) in STEPS.iter().enumerate().skip(version as usize) {
        let mut step_tx = tx.transaction()?;
        for part in step.postgres {
            step_tx.batch_execute(part)?;
        }
        version = i as i64 + 1;
        step_tx.execute("UPDATE duebox_schema SET version = $1", &[&version])?;
        step_tx.commit()?;
    }
    tx.commit()?;
    Ok(())
}

/// A team database numbered the old way at `old` (0 to 3): the rest of step 11's parts
/// applied, then numbered as the local database is. Returns its version now.
fn renumber(tx: &mut Transaction<'_>, old: i64) -> Result<i64, postgres::Error> {
    let mut step_tx = tx.transaction()?;
    // At 0 nothing was taken: the steps are then applied as for a new database.
    let version = if old == 0 { 0 } else { first_shared_step() };
    if old > 0 {
        for part in TEAM_11.iter().skip(old as usize) {
            step_tx.batch_execute(part)?;
        }
    }
    // Old duebox builds read `version` alone: at this number they refuse this database as
    // newer than theirs, which it is.
    step_tx.batch_execute("ALTER TABLE duebox_schema ADD COLUMN numbering TEXT")?;
    step_tx.execute(
        "UPDATE duebox_schema SET version = $1, numbering = 'local'",
        &[&version],
    )?;
    step_tx.commit()?;
    Ok(version)
}
