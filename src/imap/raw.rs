//! Commands whose responses duebox reads itself instead of through the `imap` crate: UID
//! FETCH of whole messages, streamed (each response handed on as soon as it is complete, the
//! crate would re-parse a half-received FETCH from its start on every line), and UID MOVE /
//! UID COPY, whose COPYUID (RFC 4315) the crate drops, and pipelines (several commands in one
//! write, read back by tag). Each complete response (literals read
//! as bytes by `wire::Handle`) is parsed exactly once. Never sends anything but the command.

use super::uidset;
use super::wire::{Handle, Wire};
use crate::sync::server::{Fetched, Placed, ServerError, ServerResult};
use imap_proto::{AttributeValue, Response, ResponseCode, Status, UidSetMember};

/// Where a COPY or MOVE put the messages: source UID → UID in the destination.
pub type CopyUids = Vec<(u32, u32)>;

fn io(e: std::io::Error) -> ServerError {
    ServerError::new(format!("IMAP connection failed: {e}"))
}

/// How a command ended.
pub enum Outcome {
    /// OK, with the completion's response code (a COPYUID on a tagged OK).
    Ok(Option<ResponseCode<'static>>),
    /// NO, with the server's words.
    No(String),
}

/// Sends `command` and hands every untagged response to `each` until the command completes.
pub fn run(
    session: &mut imap::Session<Wire>,
    wire: &Handle,
    command: &str,
    each: &mut dyn FnMut(Response<'_>),
) -> ServerResult<Outcome> {
    session
        .run_command(command)
        .map_err(|e| ServerError::new(format!("IMAP error: {e}")))?;
    loop {
        let bytes = wire.next_response().map_err(io)?;
        let words =
            |information: Option<&str>| crate::mail::sanitize::one_line(information.unwrap_or(""));
        match imap_proto::parser::parse_response(&bytes) {
            Ok((
                _,
                Response::Done {
                    status,
                    code,
                    information,
                    ..
                },
            )) => {
                return match status {
                    Status::Ok => Ok(Outcome::Ok(code.map(ResponseCode::into_owned))),
                    Status::No => Ok(Outcome::No(words(information.as_deref()))),
                    Status::Bad => Err(ServerError::bad(format!(
                        "IMAP error: BAD {}",
                        words(information.as_deref())
                    ))),
                    _ => Err(ServerError::new(format!(
                        "IMAP error: {status:?} {}",
                        words(information.as_deref())
                    ))),
                };
            }
            Ok((
                _,
                Response::Data {
                    status: Status::Bye,
                    information,
                    ..
                },
            )) => {
                return Err(ServerError::new(format!(
                    "the server closed the connection: {}",
                    words(information.as_deref())
                )));
            }
            Ok((_, response)) => each(response),
            Err(_) => tracing::debug!(
                "unreadable response skipped: {}",
                crate::mail::sanitize::one_line(&String::from_utf8_lossy(
                    &bytes[..bytes.len().min(200)]
                ))
            ),
        }
    }
}

/// [`run`] for a command on messages another client may expunge or move at any moment: a
/// `NO` (Dovecot's `[EXPUNGEISSUED]`, a refusal of part of a UID set) is answered with a NOOP,
/// which brings the expunges into our view, and one more try; a second `NO` is reported as
/// vanished messages, never as a broken connection.
pub fn on_messages(
    session: &mut imap::Session<Wire>,
    wire: &Handle,
    command: &str,
    each: &mut dyn FnMut(Response<'_>),
) -> ServerResult<Option<ResponseCode<'static>>> {
    if let Outcome::Ok(code) = run(session, wire, command, each)? {
        return Ok(code);
    }
    session
        .noop()
        .map_err(|e| ServerError::new(format!("IMAP error: {e}")))?;
    match run(session, wire, command, each)? {
        Outcome::Ok(code) => Ok(code),
        Outcome::No(words) => Err(ServerError::vanished(format!(
            "some messages no longer exist: {words}"
        ))),
    }
}

/// How one command of a pipeline ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    Ok,
    /// NO or BAD, with the server's words.
    Refused(String),
}

/// Tags of pipelined commands: apart from the `imap` crate's `aN`, never reused in a process.
static NEXT_TAG: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Sends `commands` in one write (pipelining, RFC 3501 §5.5: the server answers them in
/// order) and reads until every one has completed: one round trip. Each untagged response
/// goes to `each` with the index of the command the server was working on (the first not
/// yet completed); unsolicited ones (EXPUNGE, another client's flag change) come the same
/// way, for `each` to tell apart. A NO or BAD ends only its own command; a BYE or a broken
/// connection ends them all. Only for commands whose meaning does not hang on an earlier
/// one's success, and never with a literal (a command holding CR or LF is refused unsent).
pub fn pipeline(
    wire: &Handle,
    commands: &[String],
    each: &mut dyn FnMut(usize, Response<'_>),
) -> ServerResult<Vec<Ended>> {
    if let Some(c) = commands.iter().find(|c| c.contains(['\r', '\n'])) {
        return Err(ServerError::refused(format!(
            "not sent: a line break in the IMAP command '{}'",
            crate::mail::sanitize::one_line(c)
        )));
    }
    let first = NEXT_TAG.fetch_add(commands.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let tags: Vec<String> = (0..commands.len() as u64)
        .map(|i| format!("p{}", first + i))
        .collect();
    let mut out = Vec::new();
    for (tag, command) in tags.iter().zip(commands) {
        out.extend_from_slice(format!("{tag} {command}\r\n").as_bytes());
    }
    wire.send(&out).map_err(io)?;
    let mut ended: Vec<Option<Ended>> = vec![None; commands.len()];
    let words =
        |information: Option<&str>| crate::mail::sanitize::one_line(information.unwrap_or(""));
    while let Some(current) = ended.iter().position(Option::is_none) {
        let bytes = wire.next_response().map_err(io)?;
        match imap_proto::parser::parse_response(&bytes) {
            Ok((
                _,
                Response::Done {
                    tag,
                    status,
                    information,
                    ..
                },
            )) => match tags.iter().position(|t| *t == tag.0) {
                Some(i) => {
                    ended[i] = Some(match status {
                        Status::Ok => Ended::Ok,
                        _ => Ended::Refused(words(information.as_deref())),
                    })
                }
                None => tracing::debug!("a completion for no command of ours: {}", tag.0),
            },
            Ok((
                _,
                Response::Data {
                    status: Status::Bye,
                    information,
                    ..
                },
            )) => {
                return Err(ServerError::new(format!(
                    "the server closed the connection: {}",
                    words(information.as_deref())
                )));
            }
            Ok((_, response)) => each(current, response),
            Err(_) => {
                let line = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
                // A completion the parser cannot read (a response code it does not know)
                // still ends its command, by its tag: otherwise the wait would never end.
                let mut words_of = line.splitn(3, ' ');
                let (tag, status) = (words_of.next(), words_of.next());
                match tags.iter().position(|t| Some(t.as_str()) == tag) {
                    Some(i) => {
                        ended[i] = Some(match status {
                            Some(s) if s.eq_ignore_ascii_case("OK") => Ended::Ok,
                            _ => Ended::Refused(crate::mail::sanitize::one_line(
                                words_of.next().unwrap_or(""),
                            )),
                        })
                    }
                    None => tracing::debug!(
                        "unreadable response skipped: {}",
                        crate::mail::sanitize::one_line(&line)
                    ),
                }
            }
        }
    }
    Ok(ended.into_iter().flatten().collect())
}

/// A FETCH response as a fetched message; `None` without a UID (a flag change another
/// client caused, sent unasked) or without text.
pub fn fetched(attributes: Vec<AttributeValue<'_>>) -> Option<Fetched> {
    let mut out = Fetched {
        uid: 0,
        flags: Vec::new(),
        size: 0,
        raw: Vec::new(),
    };
    let mut body = false;
    for a in attributes {
        match a {
            AttributeValue::Uid(uid) => out.uid = uid,
            AttributeValue::Flags(flags) => {
                out.flags = flags
                    .iter()
                    .map(|f| imap::types::Flag::from(f.to_string()))
                    // \Recent belongs to one session, not to the message.
                    .filter(|f| *f != imap::types::Flag::Recent)
                    .map(|f| f.to_string())
                    .collect()
            }
            AttributeValue::Rfc822Size(size) => out.size = size,
            AttributeValue::BodySection { data, .. } | AttributeValue::Rfc822(data) => {
                out.raw = data.map(|d| d.into_owned()).unwrap_or_default();
                // No text: expunged by another client after our view was taken (Dovecot
                // still answers for it), not an empty message.
                body = !out.raw.is_empty();
            }
            _ => {}
        }
    }
    (out.uid != 0 && body).then_some(out)
}

/// The pairs a COPYUID names, source UID to destination UID, in the order RFC 4315 gives.
pub fn copy_uids(code: &ResponseCode<'_>) -> Option<CopyUids> {
    let ResponseCode::CopyUid(_, from, to) = code else {
        return None;
    };
    let expand = |set: &[UidSetMember]| -> Vec<u32> {
        set.iter()
            .flat_map(|m| match m {
                UidSetMember::Uid(u) => *u..=*u,
                UidSetMember::UidRange(r) => r.clone(),
            })
            .collect()
    };
    let (from, to) = (expand(from), expand(to));
    (from.len() == to.len()).then(|| from.into_iter().zip(to).collect())
}

/// [`uidset::each_set`] for commands to a server: the refusal a command too long for it gets
/// is a BAD.
pub fn each_set(
    uids: &[u32],
    fixed: usize,
    limit: &mut usize,
    send: impl FnMut(&str) -> ServerResult<()>,
) -> ServerResult<()> {
    uidset::each_set(uids, fixed, limit, |e: &ServerError| e.bad, send)
}

/// UID MOVE or UID COPY of `uids` to the quoted folder `name`, a command per chunk of the
/// set, with what COPYUID said (untagged before MOVE's expunges, or on the tagged OK). Only if
/// every chunk said it is anything returned: a half-told placement would leave messages
/// unlinked without a word.
pub fn transfer(
    session: &mut imap::Session<Wire>,
    wire: &Handle,
    verb: &str,
    uids: &[u32],
    name: &str,
    limit: &mut usize,
) -> ServerResult<Option<Placed>> {
    let mut placed = Some(Placed::default());
    let fixed = name.len() + verb.len() + 20;
    each_set(uids, fixed, limit, |set| {
        let mut told = None;
        let done = on_messages(
            session,
            wire,
            &format!("UID {verb} {set} {name}"),
            &mut |response| {
                if let Response::Data {
                    code: Some(code), ..
                } = &response
                {
                    told = told.take().or_else(|| placement(code));
                }
            },
        )?;
        let told = told.or_else(|| done.as_ref().and_then(placement));
        placed = match (placed.take(), told) {
            (Some(mut p), Some((validity, pairs)))
                if p.uids.is_empty() || p.uid_validity == validity =>
            {
                p.uid_validity = validity;
                p.uids.extend(pairs);
                Some(p)
            }
            _ => None,
        };
        Ok(())
    })?;
    Ok(placed.filter(|p| !p.uids.is_empty()))
}

fn placement(code: &ResponseCode<'_>) -> Option<(u32, CopyUids)> {
    match code {
        ResponseCode::CopyUid(validity, _, _) => copy_uids(code).map(|pairs| (*validity, pairs)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server on loopback that reads `lines` command lines and answers each by its tag.
    fn scripted(answers: Vec<Vec<&'static str>>) -> Handle {
        use std::io::{BufRead, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (socket, _) = listener.accept().unwrap();
            let mut reader = std::io::BufReader::new(socket.try_clone().unwrap());
            let mut out = socket;
            let mut tags = Vec::new();
            for _ in 0..answers.len() {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                tags.push(line.split(' ').next().unwrap().to_string());
            }
            // All commands are in before anything is answered: one round trip.
            for (tag, lines) in tags.iter().zip(&answers) {
                for l in lines {
                    let l = l.replace("TAG", tag);
                    out.write_all(format!("{l}\r\n").as_bytes()).unwrap();
                }
            }
        });
        let tcp = std::net::TcpStream::connect(addr).unwrap();
        Wire::new(super::super::tls::Stream::Plain(tcp)).handle()
    }

    #[test]
    fn a_pipeline_is_read_back_by_tag_with_unasked_responses_and_a_no_in_the_middle() {
        let wire = scripted(vec![
            vec!["* 2 EXISTS", "TAG OK [READ-ONLY] done"],
            vec![
                "* 1 FETCH (FLAGS (\\Seen))",
                "* SEARCH 4 9",
                "* 3 EXPUNGE",
                "TAG OK done",
            ],
            vec!["TAG NO [NONEXISTENT] no such folder"],
            // A response code the parser may not know still ends its command.
            vec!["TAG BAD [X-DUEBOX-UNKNOWN (1 2)] no mailbox selected"],
        ]);
        let commands: Vec<String> = [
            "EXAMINE x",
            "UID SEARCH ALL",
            "SELECT y",
            "UID FETCH 5 (FLAGS)",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect();
        let mut seen = Vec::new();
        let ended = pipeline(&wire, &commands, &mut |at, r| {
            seen.push((
                at,
                match r {
                    Response::MailboxData(imap_proto::MailboxDatum::Search(u)) => format!("{u:?}"),
                    Response::Fetch(..) => "fetch".into(),
                    Response::MailboxData(imap_proto::MailboxDatum::Exists(n)) => {
                        format!("exists {n}")
                    }
                    Response::Expunge(n) => format!("expunge {n}"),
                    other => format!("{other:?}"),
                },
            ))
        })
        .unwrap();
        assert_eq!(
            ended[..3],
            [
                Ended::Ok,
                Ended::Ok,
                Ended::Refused("[NONEXISTENT] no such folder".into()),
            ]
        );
        assert!(
            matches!(&ended[3], Ended::Refused(w) if w.contains("no mailbox selected")),
            "{ended:?}"
        );
        assert_eq!(
            seen,
            vec![
                (0, "exists 2".into()),
                (1, "fetch".into()),
                (1, "[4, 9]".into()),
                (1, "expunge 3".into()),
            ]
        );
        assert_eq!(wire.turns(), 1);
    }

    #[test]
    fn a_bye_ends_the_whole_pipeline_and_a_line_break_is_never_sent() {
        let wire = scripted(vec![vec!["* BYE shutting down"], vec![]]);
        let commands = vec!["NOOP".to_string(), "NOOP".to_string()];
        let e = pipeline(&wire, &commands, &mut |_, _| {}).expect_err("an error");
        assert!(!e.connection_sound(), "{e}");
        let injected = vec!["UID SEARCH HEADER Message-ID \"x\"\r\nA1 LOGOUT".to_string()];
        let e = pipeline(&wire, &injected, &mut |_, _| {}).expect_err("refused");
        assert!(e.to_string().contains("line break"), "{e}");
    }

    #[test]
    fn a_fetch_response_becomes_a_message_and_copyuid_pairs() {
        let r = b"* 3 FETCH (UID 17 RFC822.SIZE 5 FLAGS (\\Seen \\Recent $Chaser) BODY[]<0> {5}\r\nab\r\nc)\r\n";
        let Ok((_, Response::Fetch(_, attributes))) = imap_proto::parser::parse_response(r) else {
            panic!("parsed");
        };
        let f = fetched(attributes).expect("a message");
        assert_eq!(f.uid, 17);
        assert_eq!(f.size, 5);
        assert_eq!(f.raw, b"ab\r\nc");
        assert_eq!(f.flags, vec!["\\Seen", "$Chaser"]);
        let flags_only = b"* 3 FETCH (UID 17 FLAGS (\\Seen))\r\n";
        let Ok((_, Response::Fetch(_, attributes))) =
            imap_proto::parser::parse_response(flags_only)
        else {
            panic!("parsed");
        };
        assert!(fetched(attributes).is_none());
        let ok = b"* OK [COPYUID 9 4:6,10 31:34] Moved\r\n";
        let Ok((
            _,
            Response::Data {
                code: Some(code), ..
            },
        )) = imap_proto::parser::parse_response(ok)
        else {
            panic!("parsed");
        };
        assert_eq!(
            copy_uids(&code),
            Some(vec![(4, 31), (5, 32), (6, 33), (10, 34)])
        );
    }
}
