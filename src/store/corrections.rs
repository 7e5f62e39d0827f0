//! What the clerk taught: a verdict per message shape (a `Fingerprint`), the messages that
//! taught it, when it was last used; each change recorded as an event in the same
//! transaction. Decisions about when to learn belong to the sync layer, not here.

use super::{events, Store, StoreError};
use crate::classify::fingerprint::{Fingerprint, Verdict};
use crate::classify::Stage;
use rusqlite::{params, OptionalExtension, Row};

/// How the clerk made a correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectionSource {
    /// Moved the message into or out of a chaser folder in duebox (`m`).
    UiMove,
    /// Moved it in another mail client; the sync saw it.
    ClientMove,
    /// Said so in duebox ("not a chaser", "this is a final notice").
    UiCommand,
}

impl CorrectionSource {
    fn as_str(self) -> &'static str {
        match self {
            CorrectionSource::UiMove => "ui_move",
            CorrectionSource::ClientMove => "client_move",
            CorrectionSource::UiCommand => "ui_command",
        }
    }

    fn parse(text: &str) -> CorrectionSource {
        match text {
            "ui_move" => CorrectionSource::UiMove,
            "client_move" => CorrectionSource::ClientMove,
            _ => CorrectionSource::UiCommand,
        }
    }

    /// In words, for the list and the record.
    pub fn words(self) -> &'static str {
        match self {
            CorrectionSource::UiMove => "moved in duebox",
            CorrectionSource::ClientMove => "moved in another mail client",
            CorrectionSource::UiCommand => "said in duebox",
        }
    }
}

/// One thing the clerk taught.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub id: i64,
    pub fingerprint: Fingerprint,
    pub verdict: Verdict,
    /// How many messages taught it.
    pub taught: u32,
    /// How it was last taught.
    pub source: CorrectionSource,
    /// The Message-ID of the last message that taught it.
    pub example_message_id: Option<String>,
    /// `YYYY-MM-DD HH:MM:SS` UTC, first and last taught.
    pub created_at: String,
    pub taught_at: String,
    /// How many messages it decided since, and when it last did.
    pub used: u32,
    pub last_used_at: Option<String>,
}

impl Correction {
    /// The reason a message it decides is given, first among its reasons.
    pub fn reason(&self) -> String {
        self.verdict.reason(self.taught)
    }
}

const COLUMNS: &str = "c.id, c.sender, c.subject, c.verdict,
    (SELECT count(*) FROM correction_messages m WHERE m.correction_id = c.id),
    c.actor, c.example_message_id, c.created_at, c.taught_at, c.used, c.last_used_at";

fn correction(r: &Row<'_>) -> rusqlite::Result<Correction> {
    let verdict: String = r.get(3)?;
    Ok(Correction {
        id: r.get(0)?,
        fingerprint: Fingerprint {
            sender: r.get(1)?,
            subject: r.get(2)?,
        },
        // The CHECK constraint admits only verdicts `parse` reads.
        verdict: Verdict::parse(&verdict).unwrap_or(Verdict::NotChaser),
        taught: r.get::<_, i64>(4)?.max(1) as u32,
        source: CorrectionSource::parse(&r.get::<_, String>(5)?),
        example_message_id: r.get(6)?,
        created_at: r.get(7)?,
        taught_at: r.get(8)?,
        used: r.get::<_, i64>(9)? as u32,
        last_used_at: r.get(10)?,
    })
}

fn now() -> String {
    super::timestamp(chrono::Utc::now())
}

impl Store {
    /// Every correction, most recently taught first.
    pub fn corrections(&self) -> Result<Vec<Correction>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM corrections c ORDER BY c.taught_at DESC, c.id DESC"
        ))?;
        let rows = stmt.query_map([], correction)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One correction by its number.
    pub fn correction(&self, id: i64) -> Result<Option<Correction>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM corrections c WHERE c.id = ?1"),
                params![id],
                correction,
            )
            .optional()?)
    }

    /// Remembers that the message `message_id` of shape `fp` is `verdict`. The same verdict
    /// again adds the message to those that taught it (a message counts once); another
    /// verdict replaces the old one, since the clerk's latest word stands. Recorded as an
    /// event with `detail` (where the correction came from) in the same transaction.
    pub fn teach(
        &mut self,
        fp: &Fingerprint,
        verdict: Verdict,
        source: CorrectionSource,
        message_id: Option<&str>,
        detail: &str,
    ) -> Result<Correction, StoreError> {
        let tx = self.conn.savepoint()?;
        let at = now();
        let existing: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, verdict FROM corrections WHERE sender = ?1 AND subject = ?2",
                params![fp.sender, fp.subject],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let id = match existing {
            Some((id, old)) => {
                if old != verdict.as_str() {
                    tx.execute(
                        "DELETE FROM correction_messages WHERE correction_id = ?1",
                        params![id],
                    )?;
                    tx.execute(
                        "UPDATE corrections SET verdict = ?2, created_at = ?3, used = 0, last_used_at = NULL WHERE id = ?1",
                        params![id, verdict.as_str(), at],
                    )?;
                }
                tx.execute(
                    "UPDATE corrections SET actor = ?2, example_message_id = coalesce(?3, example_message_id), taught_at = ?4 WHERE id = ?1",
                    params![id, source.as_str(), message_id, at],
                )?;
                id
            }
            None => {
                tx.execute(
                    "INSERT INTO corrections (sender, subject, verdict, actor, example_message_id, created_at, taught_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                    params![fp.sender, fp.subject, verdict.as_str(), source.as_str(), message_id, at],
                )?;
                tx.last_insert_rowid()
            }
        };
        if let Some(mid) = message_id {
            tx.execute(
                "INSERT OR IGNORE INTO correction_messages (correction_id, message_id) VALUES (?1, ?2)",
                params![id, mid],
            )?;
        }
        let c = tx.query_row(
            &format!("SELECT {COLUMNS} FROM corrections c WHERE c.id = ?1"),
            params![id],
            correction,
        )?;
        events::insert(
            &tx,
            "user",
            "correction_learnt",
            message_id,
            None,
            None,
            &format!(
                "#{}: {} ({detail}); {} {} taught it",
                c.id,
                c.verdict.words(),
                c.taught,
                if c.taught == 1 {
                    "message has"
                } else {
                    "messages have"
                }
            ),
        )?;
        tx.commit()?;
        // The team learns it too (a batch's commit pushes it, inside one).
        self.push_team();
        Ok(c)
    }

    /// Takes back what the message `message_id` taught (its move was undone): a correction
    /// no message teaches any more is forgotten. Returns the corrections changed.
    pub fn unteach(&mut self, message_id: &str) -> Result<usize, StoreError> {
        let tx = self.conn.savepoint()?;
        let ids: Vec<i64> = tx
            .prepare("SELECT correction_id FROM correction_messages WHERE message_id = ?1")?
            .query_map(params![message_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in &ids {
            // The message's own verdict, as it was before it taught this.
            tx.execute(
                "UPDATE messages SET (kind, stage, reasons) = (
                     SELECT prior_kind, prior_stage, prior_reasons FROM correction_messages
                     WHERE correction_id = ?1 AND message_id = ?2)
                 WHERE message_id = ?2 AND EXISTS (
                     SELECT 1 FROM correction_messages WHERE correction_id = ?1
                     AND message_id = ?2 AND prior_reasons IS NOT NULL)",
                params![id, message_id],
            )?;
            tx.execute(
                "DELETE FROM correction_messages WHERE correction_id = ?1 AND message_id = ?2",
                params![id, message_id],
            )?;
            let gone = tx.execute(
                "DELETE FROM corrections WHERE id = ?1
                 AND NOT EXISTS (SELECT 1 FROM correction_messages WHERE correction_id = ?1)",
                params![id],
            )? > 0;
            events::insert(
                &tx,
                "user",
                "correction_withdrawn",
                Some(message_id),
                None,
                None,
                &format!(
                    "#{id}: the move that taught it was undone{}",
                    if gone { "; forgotten" } else { "" }
                ),
            )?;
        }
        tx.commit()?;
        self.push_team();
        Ok(ids.len())
    }

    /// Forgets one correction (`Some`) or all of them (`None`); returns those forgotten.
    pub fn forget_corrections(&mut self, id: Option<i64>) -> Result<Vec<Correction>, StoreError> {
        let tx = self.conn.savepoint()?;
        let gone: Vec<Correction> = tx
            .prepare(&format!(
                "SELECT {COLUMNS} FROM corrections c WHERE ?1 IS NULL OR c.id = ?1 ORDER BY c.id"
            ))?
            .query_map(params![id], correction)?
            .collect::<Result<_, _>>()?;
        for c in &gone {
            tx.execute("DELETE FROM corrections WHERE id = ?1", params![c.id])?;
            events::insert(
                &tx,
                "user",
                "correction_forgotten",
                c.example_message_id.as_deref(),
                None,
                None,
                &format!(
                    "#{}: {} {}; messages like it are classified by the rules again",
                    c.id,
                    c.fingerprint.words(),
                    c.verdict.words()
                ),
            )?;
        }
        tx.commit()?;
        self.push_team();
        Ok(gone)
    }

    /// Counts a message the correction decided, with the event that says so.
    pub fn note_correction_used(
        &mut self,
        c: &Correction,
        message_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.savepoint()?;
        tx.execute(
            "UPDATE corrections SET used = used + 1, last_used_at = ?2 WHERE id = ?1",
            params![c.id, now()],
        )?;
        events::insert(
            &tx,
            "classifier",
            "correction_applied",
            message_id,
            None,
            None,
            &format!("#{}: {}", c.id, c.reason()),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Gives a stored message the clerk's verdict, with its reason first among the reasons
    /// (its own verdict is kept with the correction it taught, for an undo); it is not filed
    /// anywhere by this.
    pub fn set_message_verdict(
        &mut self,
        row: i64,
        verdict: Verdict,
        reason: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.savepoint()?;
        type Prior = (Option<String>, Option<String>, Option<String>, String);
        let prior: Option<Prior> = tx
            .query_row(
                "SELECT message_id, kind, stage, reasons FROM messages WHERE id = ?1",
                params![row],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((message_id, old_kind, old_stage, reasons)) = prior else {
            return Ok(());
        };
        tx.execute(
            "UPDATE correction_messages SET prior_kind = ?2, prior_stage = ?3, prior_reasons = ?4
             WHERE message_id = ?1 AND prior_reasons IS NULL",
            params![message_id, old_kind, old_stage, reasons],
        )?;
        let mut list: Vec<String> = serde_json::from_str(&reasons).unwrap_or_default();
        // An earlier correction's reason gives way to this one.
        list.retain(|r| !r.starts_with("you filed "));
        list.insert(0, reason.to_string());
        let (kind, stage): (&str, Option<Stage>) = match verdict {
            Verdict::NotChaser => ("other", None),
            Verdict::Chaser(s) => ("chaser", Some(s)),
        };
        tx.execute(
            "UPDATE messages SET kind = ?2, stage = ?3, reasons = ?4, destination = NULL WHERE id = ?1",
            params![
                row,
                kind,
                stage.map(Stage::as_str),
                serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// What learning from a stored message needs: its sender, subject, Message-ID, warnings.
    pub fn message_shape_of(&self, row: i64) -> Result<Option<MessageShape>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT from_addr, subject, message_id, risk FROM messages WHERE id = ?1",
                params![row],
                |r| {
                    Ok(MessageShape {
                        from_addr: r.get(0)?,
                        subject: r.get(1)?,
                        message_id: r.get(2)?,
                        risky: r
                            .get::<_, String>(3)?
                            .split_whitespace()
                            .any(|w| w != "unknown_sender"),
                    })
                },
            )
            .optional()?)
    }

    /// Whether duebox itself journalled a move of the message from `source` to `destination`
    /// that it did not see through (a finished one leaves no second copy to be found).
    pub fn journalled_move(
        &self,
        message_id: &str,
        source: &str,
        destination: &str,
    ) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM moves WHERE message_id = ?1 AND source = ?2 AND destination = ?3 AND state <> 'done' LIMIT 1",
            )?
            .query_row(params![message_id, source, destination], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Whether any folder but this one holds a message under a UID.
    pub fn holds_outside(&self, folder: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM messages m JOIN folders f ON f.id = m.folder_id
                 WHERE f.name <> ?1 AND m.uid IS NOT NULL LIMIT 1",
            )?
            .query_row(params![folder], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Another folder that holds the message under a UID (the first stored), if any.
    pub fn held_elsewhere(
        &self,
        message_id: &str,
        folder: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT f.name FROM messages m JOIN folders f ON f.id = m.folder_id
                 WHERE m.message_id = ?1 AND f.name <> ?2 AND m.uid IS NOT NULL
                 ORDER BY m.id LIMIT 1",
            )?
            .query_row(params![message_id, folder], |r| r.get(0))
            .optional()?)
    }

    /// The Message-IDs of some UIDs of a folder (before they are forgotten as gone).
    pub fn message_ids_of(&self, folder_id: i64, uids: &[u32]) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT message_id FROM messages WHERE folder_id = ?1 AND uid = ?2 AND message_id IS NOT NULL",
        )?;
        let mut out = Vec::new();
        for uid in uids {
            if let Some(mid) = stmt
                .query_row(params![folder_id, uid], |r| r.get(0))
                .optional()?
            {
                out.push(mid);
            }
        }
        Ok(out)
    }
}

/// A stored message as learning sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageShape {
    pub from_addr: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    /// It carries a fraud warning other than `unknown_sender` (which the clerk answers by
    /// saying what the message is).
    pub risky: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(subject: &str) -> Fingerprint {
        Fingerprint::new("ar@acme.com", subject).unwrap()
    }

    #[test]
    fn teach_counts_messages_once_and_the_latest_verdict_stands() {
        let mut s = Store::in_memory().unwrap();
        let shape = fp("Payment reminder 1");
        let c = s
            .teach(
                &shape,
                Verdict::NotChaser,
                CorrectionSource::UiMove,
                Some("<a@x>"),
                "t",
            )
            .unwrap();
        assert_eq!((c.taught, c.verdict), (1, Verdict::NotChaser));
        s.teach(
            &shape,
            Verdict::NotChaser,
            CorrectionSource::UiMove,
            Some("<a@x>"),
            "t",
        )
        .unwrap();
        let c = s
            .teach(
                &shape,
                Verdict::NotChaser,
                CorrectionSource::ClientMove,
                Some("<b@x>"),
                "t",
            )
            .unwrap();
        assert_eq!(c.taught, 2);
        assert_eq!(c.source, CorrectionSource::ClientMove);
        assert_eq!(c.reason(), "you filed 2 messages like this as not a chaser");
        let c = s
            .teach(
                &fp("Payment reminder 2"),
                Verdict::Chaser(Stage::Final),
                CorrectionSource::UiCommand,
                Some("<c@x>"),
                "t",
            )
            .unwrap();
        assert_eq!((c.taught, c.verdict), (1, Verdict::Chaser(Stage::Final)));
        assert_eq!(
            s.corrections().unwrap().len(),
            1,
            "one shape, one correction"
        );
        let kinds: Vec<String> = s
            .events(&Default::default())
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| *k == "correction_learnt").count(),
            4
        );
    }

    #[test]
    fn unteach_and_forget() {
        let mut s = Store::in_memory().unwrap();
        let a = s
            .teach(
                &fp("Reminder"),
                Verdict::NotChaser,
                CorrectionSource::UiMove,
                Some("<a@x>"),
                "t",
            )
            .unwrap();
        s.teach(
            &fp("Reminder"),
            Verdict::NotChaser,
            CorrectionSource::UiMove,
            Some("<b@x>"),
            "t",
        )
        .unwrap();
        assert_eq!(s.unteach("<b@x>").unwrap(), 1);
        assert_eq!(s.correction(a.id).unwrap().unwrap().taught, 1);
        s.unteach("<a@x>").unwrap();
        assert!(
            s.corrections().unwrap().is_empty(),
            "nothing teaches it any more"
        );
        let b = s
            .teach(
                &fp("Statement"),
                Verdict::Chaser(Stage::Statement),
                CorrectionSource::UiMove,
                Some("<c@x>"),
                "t",
            )
            .unwrap();
        s.teach(
            &fp("Hello"),
            Verdict::NotChaser,
            CorrectionSource::UiMove,
            Some("<d@x>"),
            "t",
        )
        .unwrap();
        s.note_correction_used(&b, Some("<e@x>")).unwrap();
        let used = s.correction(b.id).unwrap().unwrap();
        assert_eq!(used.used, 1);
        assert!(used.last_used_at.is_some());
        assert_eq!(s.forget_corrections(Some(b.id)).unwrap().len(), 1);
        assert_eq!(s.corrections().unwrap().len(), 1);
        assert!(s.forget_corrections(Some(b.id)).unwrap().is_empty());
        assert_eq!(s.forget_corrections(None).unwrap().len(), 1);
        assert!(s.corrections().unwrap().is_empty());
    }
}
