//! The commands a claim on a chaser needs (team::claim), over this IMAP connection: SELECT and a
//! conditional UID STORE sent together (pipelined: one round trip), the flags and mod-sequence
//! of one message, SELECT + UID MOVE into a clerk's folder (the fallback without CONDSTORE or
//! keywords), and where a Message-ID is among a few folders. Only these commands are sent;
//! the `imap` crate's tag counter stays in step (the first command goes through it, the others
//! carry tags of their own).

use super::{one_line, quoted, Imap};
use crate::sync::server::{ServerError, ServerResult};
use crate::team::claim::{ClaimServer, FlagOp, FlagsNow, Moved, Opened, Stored};
use imap_proto::{AttributeValue, Response, ResponseCode};
use std::sync::atomic::{AtomicU64, Ordering};

/// Tags of the pipelined commands after the first: unique per process.
static NEXT_TAG: AtomicU64 = AtomicU64::new(1);

/// How a pipelined command ended.
struct Completion {
    ok: bool,
    /// The words after OK / NO / BAD, one line.
    text: String,
    code: Option<ResponseCode<'static>>,
}

impl Imap {
    /// Sends `commands` in one write and reads until each has completed; every untagged
    /// response goes to `each` with the index of the command it came during.
    fn pipeline(
        &mut self,
        commands: &[String],
        each: &mut dyn FnMut(usize, Response<'_>),
    ) -> ServerResult<Vec<Completion>> {
        let tags: Vec<String> = (1..commands.len())
            .map(|_| format!("dbx{}", NEXT_TAG.fetch_add(1, Ordering::Relaxed)))
            .collect();
        let mut line = commands[0].clone();
        for (tag, command) in tags.iter().zip(&commands[1..]) {
            line.push_str(&format!("\r\n{tag} {command}"));
        }
        self.session
            .run_command(&line)
            .map_err(|e| ServerError::new(format!("IMAP error: {}", one_line(&e))))?;
        let mut done: Vec<Option<Completion>> = commands.iter().map(|_| None).collect();
        while done.iter().any(Option::is_none) {
            let bytes = self
                .wire
                .next_response()
                .map_err(|e| ServerError::new(format!("IMAP connection failed: {e}")))?;
            let current = done.iter().position(Option::is_none).unwrap_or(0);
            if bytes.starts_with(b"* ") || bytes.starts_with(b"+ ") {
                if bytes.len() > 6 && bytes[2..6].eq_ignore_ascii_case(b"BYE ") {
                    return Err(ServerError::new(format!(
                        "the server closed the connection: {}",
                        one_line_bytes(&bytes)
                    )));
                }
                if let Ok((_, r)) = imap_proto::parser::parse_response(&bytes) {
                    each(current, r);
                }
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            let (tag, rest) = text.split_once(' ').unwrap_or((&text, ""));
            let index = tags
                .iter()
                .position(|t| t == tag)
                .map(|i| i + 1)
                .unwrap_or(0);
            let (status, words) = rest.split_once(' ').unwrap_or((rest, ""));
            let code = match imap_proto::parser::parse_response(&bytes) {
                Ok((_, Response::Done { code, .. })) => code.map(ResponseCode::into_owned),
                _ => None,
            };
            done[index] = Some(Completion {
                ok: status.eq_ignore_ascii_case("OK"),
                text: crate::mail::sanitize::one_line(words),
                code,
            });
        }
        Ok(done.into_iter().flatten().collect())
    }
}

impl Imap {
    /// What a FETCH of a message's flags asks for.
    fn flag_items(&self) -> &'static str {
        if self.caps.condstore {
            "(UID FLAGS MODSEQ)"
        } else {
            "(UID FLAGS)"
        }
    }
}

fn one_line_bytes(b: &[u8]) -> String {
    crate::mail::sanitize::one_line(&String::from_utf8_lossy(b))
}

/// What a SELECT said about the folder.
fn note_select(opened: &mut Opened, r: &Response<'_>) {
    if let Response::Data {
        code: Some(code), ..
    } = r
    {
        match code {
            ResponseCode::UidValidity(v) => opened.uid_validity = Some(*v),
            ResponseCode::PermanentFlags(flags) => {
                opened.keywords = flags.iter().any(|f| f == "\\*");
            }
            _ => {}
        }
    }
}

/// The UID, flags and mod-sequence in a FETCH response.
fn fetched(r: Response<'_>) -> Option<(u32, Vec<String>, Option<u64>)> {
    let Response::Fetch(_, attributes) = r else {
        return None;
    };
    let (mut uid, mut flags, mut modseq) = (None, Vec::new(), None);
    for a in attributes {
        match a {
            AttributeValue::Uid(u) => uid = Some(u),
            AttributeValue::Flags(f) => {
                flags = f
                    .iter()
                    .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
                    .map(|f| f.to_string())
                    .collect()
            }
            AttributeValue::ModSeq(m) => modseq = Some(m),
            _ => {}
        }
    }
    Some((uid?, flags, modseq))
}

fn refused(what: &str, c: &Completion) -> ServerError {
    ServerError::refused(format!("the server refused {what}: {}", c.text))
}

impl ClaimServer for Imap {
    fn condstore(&self) -> bool {
        self.caps.condstore
    }

    fn moves(&self) -> bool {
        self.caps.moves
    }

    fn select_and_store(
        &mut self,
        folder: &str,
        uid: u32,
        unchanged_since: Option<u64>,
        op: FlagOp,
        flags: &[String],
    ) -> ServerResult<(Opened, Stored)> {
        let name = quoted(&self.server_name(folder));
        let condition = unchanged_since
            .map(|m| format!("(UNCHANGEDSINCE {m}) "))
            .unwrap_or_default();
        let op = match op {
            FlagOp::Add => "+FLAGS",
            FlagOp::Remove => "-FLAGS",
            FlagOp::Replace => "FLAGS",
        };
        let commands = [
            format!("SELECT {name}"),
            format!("UID STORE {uid} {condition}{op} ({})", flags.join(" ")),
        ];
        let mut opened = Opened::default();
        let mut after: Option<(Vec<String>, Option<u64>)> = None;
        let done = self.pipeline(&commands, &mut |i, r| {
            if i == 0 {
                note_select(&mut opened, &r);
            } else if let Some((u, f, m)) = fetched(r) {
                if u == uid {
                    after = Some((f, m));
                }
            }
        })?;
        if !done[0].ok {
            return Err(ServerError::new(format!(
                "cannot open the folder '{folder}': {}",
                done[0].text
            )));
        }
        let store = &done[1];
        if !store.ok {
            return Ok((opened, Stored::Refused(store.text.clone())));
        }
        if store.text.to_ascii_uppercase().contains("[MODIFIED") {
            return Ok((opened, Stored::Modified));
        }
        if after.is_none() {
            // OK without a FETCH: a server may leave out messages the STORE did not change,
            // and says nothing of a UID that no longer exists. Asked, in that rare case.
            after = self.flags_now(uid)?;
        }
        Ok((
            opened,
            match after {
                Some((flags, modseq)) => Stored::Done { flags, modseq },
                None => Stored::Gone,
            },
        ))
    }

    fn select_and_fetch(&mut self, folder: &str, uid: u32) -> ServerResult<(Opened, FlagsNow)> {
        let commands = [
            format!("SELECT {}", quoted(&self.server_name(folder))),
            format!("UID FETCH {uid} {}", self.flag_items()),
        ];
        let mut opened = Opened::default();
        let mut found = None;
        let done = self.pipeline(&commands, &mut |i, r| {
            if i == 0 {
                note_select(&mut opened, &r);
            } else if let Some((u, f, m)) = fetched(r) {
                if u == uid {
                    found = Some((f, m));
                }
            }
        })?;
        if !done[0].ok {
            return Err(ServerError::new(format!(
                "cannot open the folder '{folder}': {}",
                done[0].text
            )));
        }
        if !done[1].ok {
            return Err(refused("to read the message's flags", &done[1]));
        }
        Ok((opened, found))
    }

    fn flags_now(&mut self, uid: u32) -> ServerResult<FlagsNow> {
        let mut found = None;
        let done = self.pipeline(
            &[format!("UID FETCH {uid} {}", self.flag_items())],
            &mut |_, r| {
                if let Some((u, f, m)) = fetched(r) {
                    if u == uid {
                        found = Some((f, m));
                    }
                }
            },
        )?;
        if !done[0].ok {
            return Err(refused("to read the message's flags", &done[0]));
        }
        Ok(found)
    }

    fn select_and_move(
        &mut self,
        from: &str,
        uid: u32,
        to: &str,
        create: bool,
    ) -> ServerResult<Moved> {
        let target = quoted(&self.server_name(to));
        let mut commands = vec![format!("SELECT {}", quoted(&self.server_name(from)))];
        if create {
            // Refused when it exists already: that answer is ignored.
            commands.push(format!("CREATE {target}"));
        }
        commands.push(format!("UID MOVE {uid} {target}"));
        let last = commands.len() - 1;
        // Only COPYUID tells that this message moved: an EXPUNGE during the command may be
        // another client's move of it, which this session is told about just then.
        let mut placed = None;
        let done = self.pipeline(&commands, &mut |i, r| {
            if let (
                true,
                Response::Data {
                    code: Some(code), ..
                },
            ) = (i == last, &r)
            {
                placed = placed.or_else(|| copied_to(code, uid));
            }
        })?;
        if !done[0].ok {
            return Err(ServerError::new(format!(
                "cannot open the folder '{from}': {}",
                done[0].text
            )));
        }
        let mv = &done[last];
        if !mv.ok {
            return Err(refused(&format!("to move the message to '{to}'"), mv));
        }
        let placed = placed.or_else(|| mv.code.as_ref().and_then(|c| copied_to(c, uid)));
        Ok(match placed {
            Some(new) => Moved::To(Some(new)),
            // A server with UIDPLUS names what it moved: nothing, here.
            None if self.caps.uidplus => Moved::NotThere,
            // Without it nobody said: the caller looks (by Message-ID).
            None => Moved::To(None),
        })
    }

    fn find(
        &mut self,
        folders: &[String],
        message_id: &str,
    ) -> ServerResult<Option<(String, u32)>> {
        if folders.is_empty() {
            return Ok(None);
        }
        let bare = message_id.trim().trim_matches(['<', '>']);
        let mut commands = Vec::new();
        for f in folders {
            commands.push(format!("EXAMINE {}", quoted(&self.server_name(f))));
            commands.push(format!("UID SEARCH HEADER Message-ID {}", quoted(bare)));
        }
        let mut hits: Vec<(usize, u32)> = Vec::new();
        self.pipeline(&commands, &mut |i, r| {
            if let Response::MailboxData(imap_proto::MailboxDatum::Search(uids)) = r {
                if i % 2 == 1 {
                    hits.extend(uids.iter().map(|u| (i / 2, *u)));
                }
            }
        })?;
        Ok(hits
            .into_iter()
            .next()
            .map(|(i, uid)| (folders[i].clone(), uid)))
    }

    fn create_lock(&mut self, folder: &str) -> ServerResult<bool> {
        let name = quoted(&self.server_name(folder));
        let done = self.pipeline(&[format!("CREATE {name}")], &mut |_, _| {})?;
        if done[0].ok {
            return Ok(true);
        }
        // [ALREADYEXISTS] (RFC 5530), or a server without the code: exists if it is listed.
        if done[0].text.to_ascii_uppercase().contains("ALREADYEXISTS")
            || crate::sync::server::MailServer::folder_exists(self, folder)?
        {
            return Ok(false);
        }
        Err(refused(
            &format!("to create the folder '{folder}'"),
            &done[0],
        ))
    }

    fn delete_folder(&mut self, folder: &str) -> ServerResult<()> {
        let name = quoted(&self.server_name(folder));
        let done = self.pipeline(&[format!("DELETE {name}")], &mut |_, _| {})?;
        if done[0].ok || !crate::sync::server::MailServer::folder_exists(self, folder)? {
            return Ok(());
        }
        Err(refused(
            &format!("to delete the folder '{folder}'"),
            &done[0],
        ))
    }

    fn mark_lock(
        &mut self,
        lock: &str,
        clerk: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> ServerResult<()> {
        let name = self.server_name(lock);
        let clerk = crate::mail::sanitize::one_line(clerk);
        let raw = format!(
            "From: duebox <duebox@invalid>\r\nSubject: {clerk} is answering this chaser\r\nDate: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nduebox's claim (the move fallback): {clerk} since {}. It goes when the reply is sent or cancelled.\r\n",
            at.to_rfc2822(),
            at.format("%Y-%m-%d %H:%M:%S UTC"),
        );
        self.session
            .append(&name, raw.as_bytes())
            .flag(imap::types::Flag::Seen)
            .internal_date(at.fixed_offset())
            .finish()
            .map_err(|e| {
                ServerError::new(format!(
                    "cannot mark the claim in '{lock}': {}",
                    one_line(&e)
                ))
            })?;
        Ok(())
    }

    fn lock_time(&mut self, lock: &str) -> ServerResult<Option<chrono::DateTime<chrono::Utc>>> {
        let commands = [
            format!("EXAMINE {}", quoted(&self.server_name(lock))),
            "UID FETCH 1:* (INTERNALDATE)".to_string(),
        ];
        let mut newest: Option<chrono::DateTime<chrono::Utc>> = None;
        let done = self.pipeline(&commands, &mut |i, r| {
            if let (1, Response::Fetch(_, attributes)) = (i, r) {
                for a in attributes {
                    if let AttributeValue::InternalDate(d) = a {
                        if let Ok(t) =
                            chrono::DateTime::parse_from_str(d.trim(), "%d-%b-%Y %H:%M:%S %z")
                        {
                            let t = t.with_timezone(&chrono::Utc);
                            newest = newest.max(Some(t));
                        }
                    }
                }
            }
        })?;
        // Gone (released meanwhile), or empty (its clerk stopped before marking it).
        if !done[0].ok || !done[1].ok {
            return Ok(None);
        }
        Ok(newest)
    }

    fn children(&mut self, parent: &str) -> ServerResult<Vec<String>> {
        let server = self.server_name(parent);
        let delimiter = self.folders.delimiter().to_string();
        let names = self
            .session
            .list(Some(""), Some(&quoted(&format!("{server}{delimiter}%"))))
            .map_err(super::protocol)?;
        Ok(names
            .iter()
            .filter_map(|n| {
                let leaf = n.name().strip_prefix(&format!("{server}{delimiter}"))?;
                let leaf = utf7_imap::decode_utf7_imap(leaf.to_string());
                Some(format!("{parent}/{leaf}"))
            })
            .collect())
    }
}

/// The new UID of `uid` in a COPYUID.
fn copied_to(code: &ResponseCode<'_>, uid: u32) -> Option<u32> {
    super::raw::copy_uids(code)?
        .into_iter()
        .find(|(from, _)| *from == uid)
        .map(|(_, to)| to)
}
