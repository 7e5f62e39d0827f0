//! Replies end to end on the in-process fake mailbox and a recording SMTP transport (fast):
//! every built-in rendered with real data, the outbox's exactly-once rules, the copy in Sent,
//! \Answered, and recovery after a crash. tests/smtp_replies.rs does the same through a real
//! Postfix into a real Dovecot.

mod common;

use chrono::NaiveDate;
use common::corpus;
use duebox::config::Folders;
use duebox::reply::{Asked, Identity, Templates};
use duebox::send::{Decision, OutboxError, ReplyContext, Resolved, Sending};
use duebox::smtp::{SendError, Transport};
use duebox::store::{OutboxState, Store};
use duebox::sync::engine::{sync_once, Settings};
use duebox::sync::fake::FakeServer;

/// Records what it is given; fails as told.
#[derive(Default)]
struct Recorder {
    sent: Vec<(String, String, Vec<u8>)>,
    fail_with: Option<SendError>,
}

impl Transport for Recorder {
    fn send(&mut self, from: &str, to: &str, raw: &[u8]) -> Result<String, SendError> {
        if let Some(e) = self.fail_with.clone() {
            return Err(e);
        }
        self.sent.push((from.into(), to.into(), raw.to_vec()));
        Ok("250 2.0.0 Ok: queued".into())
    }
}

const MAIL: [&str; 4] = [
    "a-001-en-reminder-acme.eml",
    "a-003-en-final-acme.eml",
    "a-023-de-reminder-schaefer.eml",
    "b-029-fraud-bankchange-girard.eml",
];

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

struct World {
    server: FakeServer,
    store: Store,
    ctx: ReplyContext,
    transport: Recorder,
}

impl World {
    fn new() -> World {
        let (mut store, index, mut server) = common::seeded(&MAIL);
        let folders = Folders::default();
        let opts = common::northwind();
        sync_once(
            &mut server,
            &mut store,
            &Settings {
                folders: &folders,
                classify: &opts,
                index: &index,
            },
            &mut |_| {},
        )
        .unwrap();
        let ctx = ReplyContext {
            templates: Templates::builtin_only(),
            identity: Identity {
                from: "Northwind Accounts Payable <ap@northwind-traders.com>".into(),
                company: "Northwind Traders Ltd".into(),
                signature: "Jo Bloggs\nAccounts Payable, Northwind Traders Ltd".into(),
                approver: Some("Finance Director <fd@northwind-traders.com>".into()),
                ..Default::default()
            },
            classify: opts,
            index: store.payables_index().unwrap(),
        };
        World {
            server,
            store,
            ctx,
            transport: Recorder::default(),
        }
    }

    fn raw_of(&self, file: &str) -> Vec<u8> {
        let id = duebox::mail::parse(&corpus(file))
            .unwrap()
            .message_id
            .unwrap();
        self.store.find_message(&id).unwrap().expect("synced").raw
    }

    fn prepare(
        &self,
        file: &str,
        template: &str,
        asked: &Asked,
    ) -> Result<duebox::send::Prepared, OutboxError> {
        self.ctx
            .prepare(&self.raw_of(file), template, asked, today())
    }

    /// A reply that asks the clerk for nothing (no date, no note).
    fn prepare_plain(
        &self,
        file: &str,
        template: &str,
    ) -> Result<duebox::send::Prepared, OutboxError> {
        self.prepare(file, template, &Asked::default())
    }

    /// Acknowledges `file` over a transport that fails with `fault`; the transport works
    /// again afterwards.
    fn acknowledge_failing(&mut self, file: &str, fault: SendError) -> OutboxError {
        self.transport.fail_with = Some(fault);
        let p = self.prepare_plain(file, "acknowledge").unwrap();
        let e = self.sending(true).send(&p, false).unwrap_err();
        self.transport.fail_with = None;
        e
    }

    fn sending(&mut self, with_mailbox: bool) -> Sending<'_> {
        Sending {
            store: &mut self.store,
            transport: &mut self.transport,
            mailbox: if with_mailbox {
                Some(&mut self.server)
            } else {
                None
            },
            sent_folder: "Sent".into(),
            save_sent: true,
        }
    }

    fn flags_of(&self, file: &str) -> Vec<String> {
        let id = duebox::mail::parse(&corpus(file))
            .unwrap()
            .message_id
            .unwrap();
        for folder in ["INBOX"].into_iter().chain(Folders::default().all()) {
            for (_, flags, raw) in self.server.contents(folder) {
                if duebox::mail::parse(&raw).unwrap().message_id.as_deref() == Some(&id) {
                    return flags;
                }
            }
        }
        panic!("{file} is not on the server");
    }
}

fn pay_on(d: &str) -> Asked {
    Asked {
        pay_on: Some(d.parse().unwrap()),
        ..Default::default()
    }
}

#[test]
fn every_builtin_reads_well_with_real_data() {
    let w = World::new();
    let ack = w
        .prepare_plain("a-001-en-reminder-acme.eml", "acknowledge")
        .unwrap()
        .draft;
    assert_eq!(
        ack.subject,
        "Re: Friendly reminder: invoice INV-00123 due 1 October 2026"
    );
    assert!(
        ack.body.contains("invoice INV-00123 (£1,234.56)"),
        "{}",
        ack.body
    );
    assert!(
        ack.body
            .ends_with("Jo Bloggs\nAccounts Payable, Northwind Traders Ltd\n"),
        "{}",
        ack.body
    );
    assert!(ack.to.contains("billing@acme-office.co.uk"), "{}", ack.to);

    let set = w
        .prepare(
            "a-001-en-reminder-acme.eml",
            "set_expectations",
            &pay_on("2026-12-04"),
        )
        .unwrap()
        .draft;
    assert!(set.body.contains("Invoice INV-00123 for £1,234.56 is approved and scheduled for payment on 4 December 2026."), "{}", set.body);
    let e = w
        .prepare_plain("a-001-en-reminder-acme.eml", "set_expectations")
        .unwrap_err();
    assert!(e.to_string().contains("--pay-on"), "{e}");

    let neg = w
        .prepare(
            "a-001-en-reminder-acme.eml",
            "negotiate",
            &Asked {
                instalments: Some(2),
                ..pay_on("2026-12-15")
            },
        )
        .unwrap()
        .draft;
    assert!(
        neg.body
            .contains("  - £617.28 on 15 December 2026\n  - £617.28 on 15 January 2027"),
        "{}",
        neg.body
    );

    let dispute = w
        .prepare_plain("a-003-en-final-acme.eml", "dispute_amount")
        .unwrap()
        .draft;
    assert!(
        dispute.body.contains("Your message:  £1,316.74"),
        "{}",
        dispute.body
    );
    assert!(
        dispute.body.contains("Our records:   £1,234.56"),
        "{}",
        dispute.body
    );
    assert!(
        dispute.body.contains("Difference:    £82.18"),
        "{}",
        dispute.body
    );
    let e = w
        .prepare_plain("a-001-en-reminder-acme.eml", "dispute_amount")
        .unwrap_err();
    assert!(e.to_string().contains("nothing to dispute"), "{e}");

    // German vendor: the German letter, amounts and dates as German writes them.
    let paid = w
        .prepare_plain("a-023-de-reminder-schaefer.eml", "confirm_payment")
        .unwrap()
        .draft;
    assert!(paid.body.contains("1.234,56\u{a0}€"), "{}", paid.body);
    assert!(
        paid.body
            .contains("wurde am 2. November 2026 unter der Referenz SEPA 2026-11-02/4411 bezahlt"),
        "{}",
        paid.body
    );

    let esc = w
        .prepare(
            "b-029-fraud-bankchange-girard.eml",
            "escalate",
            &Asked {
                note: Some("Looks like fraud.".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .draft;
    assert!(esc.to.contains("fd@northwind-traders.com"));
    assert!(esc.subject.starts_with("Escalation: "), "{}", esc.subject);
    assert!(esc.body.contains("Warnings:"), "{}", esc.body);
    assert!(
        esc.body.contains("---------- Forwarded message ----------"),
        "{}",
        esc.body
    );
    assert!(esc.blocked.is_none());
}

#[test]
fn a_reply_is_sent_once_saved_in_sent_and_flags_the_original() {
    let mut w = World::new();
    let p = w
        .prepare_plain("a-001-en-reminder-acme.eml", "acknowledge")
        .unwrap();
    let sent = w.sending(true).send(&p, false).unwrap();
    assert!(sent.later.is_empty(), "{:?}", sent.later);
    assert_eq!(w.transport.sent.len(), 1);
    // A sent reply is not sent again; the refusal carries the state, typed.
    let state = |e: OutboxError| match e {
        OutboxError::NotRetryable { state, .. } => Some(state),
        _ => None,
    };
    let e = w.sending(true).retry(sent.id, false).unwrap_err();
    assert!(
        e.to_string().contains("is sent; only a failed reply"),
        "{e}"
    );
    assert_eq!(state(e), Some(OutboxState::Sent));
    let e = w
        .sending(true)
        .resolve(sent.id, Decision::Check)
        .unwrap_err();
    assert_eq!(state(e), Some(OutboxState::Sent));
    let (from, to, raw) = &w.transport.sent[0];
    assert_eq!(from, "ap@northwind-traders.com");
    assert_eq!(to, "billing@acme-office.co.uk");
    let text = String::from_utf8_lossy(raw);
    assert!(
        text.contains("In-Reply-To: <20260924081205.3F2A1C@acme-office.co.uk>"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Message-ID: {}", p.draft.message_id)),
        "{text}"
    );
    // The copy in Sent is the same bytes, marked read; the original is answered.
    let copies = w.server.contents("Sent");
    assert_eq!(copies.len(), 1);
    assert_eq!(&copies[0].2, raw);
    assert!(copies[0].1.contains(&"\\Seen".to_string()));
    assert!(w
        .flags_of("a-001-en-reminder-acme.eml")
        .contains(&"\\Answered".to_string()));
    // The same answer twice is refused; --again sends another.
    let p2 = w
        .prepare_plain("a-001-en-reminder-acme.eml", "acknowledge")
        .unwrap();
    let e = w.sending(true).send(&p2, false).unwrap_err();
    assert!(matches!(e, OutboxError::AlreadyAnswered { .. }), "{e}");
    assert_eq!(w.transport.sent.len(), 1);
    w.sending(true).send(&p2, true).unwrap();
    assert_eq!(w.transport.sent.len(), 2);
    let kinds: Vec<String> = w
        .store
        .events(&Default::default())
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "reply_sent").count(), 2);
}

#[test]
fn a_fraud_flagged_message_cannot_be_answered_only_escalated() {
    let mut w = World::new();
    let p = w
        .prepare_plain("b-029-fraud-bankchange-girard.eml", "acknowledge")
        .unwrap();
    assert!(p.draft.blocked.is_some());
    let e = w.sending(true).send(&p, false).unwrap_err();
    assert!(matches!(e, OutboxError::Blocked(_)), "{e}");
    assert!(e.to_string().contains("phone"), "{e}");
    assert!(w.transport.sent.is_empty());
    assert!(w.store.outbox(&[]).unwrap().is_empty(), "nothing queued");
    let esc = w
        .prepare_plain("b-029-fraud-bankchange-girard.eml", "escalate")
        .unwrap();
    w.sending(true).send(&esc, false).unwrap();
    assert_eq!(w.transport.sent[0].1, "fd@northwind-traders.com");
    // An escalation does not answer the vendor.
    assert!(!w
        .flags_of("b-029-fraud-bankchange-girard.eml")
        .contains(&"\\Answered".to_string()));
    let kinds: Vec<String> = w
        .store
        .events(&Default::default())
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"escalated".to_string()), "{kinds:?}");
}

#[test]
fn a_refused_send_keeps_the_draft_and_says_why_and_can_be_retried() {
    let mut w = World::new();
    let e = w.acknowledge_failing(
        "a-001-en-reminder-acme.eml",
        SendError::Connect {
            server: "127.0.0.1:1".into(),
            reason: "connection refused".into(),
        },
    );
    let OutboxError::Failed { id, .. } = e else {
        panic!("{e}")
    };
    assert!(
        e.to_string().contains("cannot reach the SMTP server"),
        "{e}"
    );
    let entry = w.store.outbox_entry(id).unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Failed);
    assert!(entry.error.unwrap().contains("connection refused"));
    assert!(w.server.contents("Sent").is_empty());
    w.sending(true).retry(id, false).unwrap();
    assert_eq!(w.transport.sent.len(), 1);
    assert_eq!(
        w.transport.sent[0].2, entry.raw,
        "the kept draft is what goes out"
    );
}

#[test]
fn after_a_crash_in_sending_duebox_looks_in_sent_and_otherwise_asks() {
    let mut w = World::new();
    // The connection breaks after the message's text: nobody knows whether the server has it.
    let e = w.acknowledge_failing(
        "a-001-en-reminder-acme.eml",
        SendError::Unknown {
            server: "x".into(),
            reason: "network error: reset".into(),
        },
    );
    let OutboxError::Unknown { id, .. } = e else {
        panic!("{e}")
    };
    assert_eq!(
        w.store.outbox_entry(id).unwrap().unwrap().state,
        OutboxState::Unknown
    );
    // Retry refuses it: it may have arrived.
    let e = w.sending(true).retry(id, false).unwrap_err();
    assert!(matches!(e, OutboxError::OutcomeUnknown { .. }), "{e}");
    // Resolve looks in Sent (not there) and asks.
    let r = w.sending(true).resolve(id, Decision::Check).unwrap();
    assert!(matches!(r, Resolved::Inconclusive { .. }), "{r:?}");
    assert!(w.transport.sent.is_empty());
    // Any next send asks first, and sends nothing.
    let p2 = w
        .prepare_plain("a-003-en-final-acme.eml", "acknowledge")
        .unwrap();
    let e = w.sending(true).send(&p2, false).unwrap_err();
    assert!(matches!(e, OutboxError::Unresolved(_)), "{e}");
    assert!(e.to_string().contains("duebox outbox resolve"), "{e}");
    assert!(w.transport.sent.is_empty());
    // Without a mailbox it cannot look, so it asks too.
    let e = w.sending(false).send(&p2, false).unwrap_err();
    assert!(matches!(e, OutboxError::Unresolved(_)), "{e}");
    // The user says it arrived.
    w.sending(true).resolve(id, Decision::Arrived).unwrap();
    assert_eq!(
        w.store.outbox_entry(id).unwrap().unwrap().state,
        OutboxState::Sent
    );
    w.sending(true).send(&p2, false).unwrap();
    assert_eq!(w.transport.sent.len(), 1);
}

#[test]
fn a_reply_found_in_sent_after_a_crash_is_recorded_as_sent_not_sent_again() {
    let mut w = World::new();
    let p = w
        .prepare_plain("a-001-en-reminder-acme.eml", "acknowledge")
        .unwrap();
    // As if duebox died after SMTP took it and a server-side copy landed in Sent.
    let raw = p.draft.to_bytes(std::time::SystemTime::now()).unwrap();
    let id = w
        .store
        .queue_reply(&duebox::store::NewReply {
            message_id: p.draft.message_id.clone(),
            answers: p.answers.clone(),
            template: "acknowledge".into(),
            envelope_from: "ap@northwind-traders.com".into(),
            envelope_to: "billing@acme-office.co.uk".into(),
            subject: p.draft.subject.clone(),
            raw: raw.clone(),
            ..Default::default()
        })
        .unwrap();
    w.store
        .set_outbox_state(id, OutboxState::Sending, "handed over")
        .unwrap();
    w.server.deliver("Sent", &raw);
    let unresolved = w.sending(true).recover().unwrap();
    assert!(unresolved.is_empty());
    let e = w.store.outbox_entry(id).unwrap().unwrap();
    assert_eq!(e.state, OutboxState::Sent);
    assert!(w.transport.sent.is_empty());
    assert_eq!(w.server.contents("Sent").len(), 1, "no second copy in Sent");
    assert!(w
        .flags_of("a-001-en-reminder-acme.eml")
        .contains(&"\\Answered".to_string()));
}

#[test]
fn without_the_mailbox_the_copy_and_flag_wait_for_later() {
    let mut w = World::new();
    let p = w
        .prepare_plain("a-001-en-reminder-acme.eml", "acknowledge")
        .unwrap();
    let sent = w.sending(false).send(&p, false).unwrap();
    assert!(!sent.later.is_empty());
    assert_eq!(w.store.unfinished_after_send().unwrap().len(), 1);
    let mut after = duebox::send::AfterSend {
        store: &mut w.store,
        mailbox: Some(&mut w.server),
        sent_folder: "Sent",
        save_sent: true,
    };
    assert!(after.finish_pending().unwrap().is_empty());
    assert!(w.store.unfinished_after_send().unwrap().is_empty());
    assert_eq!(w.server.contents("Sent").len(), 1);
}

#[test]
fn a_chaser_answered_by_another_client_is_not_answered_again_without_again() {
    let mut w = World::new();
    let file = "a-001-en-reminder-acme.eml";
    let chaser = duebox::mail::parse(&corpus(file))
        .unwrap()
        .message_id
        .unwrap();
    // Another mail client answered: \Answered on the chaser and its reply in Sent.
    let (folder, uid) = w.store.locations(&chaser).unwrap()[0].clone();
    w.server
        .set_flags_as_other_client(&folder, uid.unwrap(), &["\\Seen", "\\Answered"]);
    w.server.deliver(
        "Sent",
        format!(
            "From: Jo Bloggs <jo@northwind-traders.com>\r\nTo: billing@acme-office.co.uk\r\nDate: Mon, 23 Nov 2026 09:15:00 +0000\r\nMessage-ID: <thunderbird-1@northwind-traders.com>\r\nIn-Reply-To: <{chaser}>\r\nSubject: Re: invoice\r\n\r\nPaid on Friday.\r\n"
        )
        .as_bytes(),
    );
    let p = w.prepare(file, "acknowledge", &Asked::default()).unwrap();
    let e = w.sending(true).send(&p, false).unwrap_err();
    let OutboxError::AnsweredElsewhere(found) = &e else {
        panic!("{e}")
    };
    assert_eq!(
        found.who.as_deref(),
        Some("Jo Bloggs <jo@northwind-traders.com>")
    );
    assert_eq!(found.when.as_deref(), Some("2026-11-23 09:15:00"));
    assert!(e.to_string().contains("--again"), "{e}");
    assert!(w.transport.sent.is_empty());
    // With --again it goes, and the log says both decisions.
    w.sending(true).send(&p, true).unwrap();
    assert_eq!(w.transport.sent.len(), 1);
    let kinds: Vec<String> = w
        .store
        .events(&Default::default())
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.contains(&"answered_elsewhere_not_sent".to_string()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"answered_elsewhere_sent_anyway".to_string()),
        "{kinds:?}"
    );
    // Our own \Answered does not count as "elsewhere": a second template is fine.
    let p2 = w.prepare(
        file,
        "set_expectations",
        &Asked {
            pay_on: NaiveDate::from_ymd_opt(2026, 12, 4),
            ..Asked::default()
        },
    );
    assert!(p2.is_ok());
}

#[test]
fn only_the_flag_says_answered_still_stops_the_send() {
    let mut w = World::new();
    let file = "a-023-de-reminder-schaefer.eml";
    let chaser = duebox::mail::parse(&corpus(file))
        .unwrap()
        .message_id
        .unwrap();
    let (folder, uid) = w.store.locations(&chaser).unwrap()[0].clone();
    w.server
        .set_flags_as_other_client(&folder, uid.unwrap(), &["\\Answered"]);
    let p = w.prepare(file, "acknowledge", &Asked::default()).unwrap();
    let e = w.sending(true).send(&p, false).unwrap_err();
    let OutboxError::AnsweredElsewhere(found) = &e else {
        panic!("{e}")
    };
    assert!(
        found.copy.is_none() && e.to_string().contains("Answered"),
        "{e}"
    );
    assert!(w.transport.sent.is_empty());
}

#[test]
fn a_refusal_is_failed_and_an_unknown_outcome_is_found_in_sent_by_resolve() {
    let mut w = World::new();
    let e = w.acknowledge_failing(
        "a-003-en-final-acme.eml",
        SendError::Rejected {
            server: "x".into(),
            reason: "554 5.7.1 no".into(),
        },
    );
    let OutboxError::Failed { id, .. } = e else {
        panic!("{e}")
    };
    assert_eq!(
        w.store.outbox_entry(id).unwrap().unwrap().state,
        OutboxState::Failed
    );
    // An unknown one whose copy is in Sent (a server that saves what it takes): resolve
    // records it as sent without asking, and no second copy is made.
    w.transport.fail_with = Some(SendError::Unknown {
        server: "x".into(),
        reason: "timed out".into(),
    });
    let e = w.sending(true).retry(id, false).unwrap_err();
    assert!(matches!(e, OutboxError::Unknown { .. }), "{e}");
    let entry = w.store.outbox_entry(id).unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Unknown);
    w.server.deliver("Sent", &entry.raw);
    w.transport.fail_with = None;
    let r = w.sending(true).resolve(id, Decision::Check).unwrap();
    assert!(matches!(r, Resolved::FoundInSent), "{r:?}");
    assert_eq!(
        w.store.outbox_entry(id).unwrap().unwrap().state,
        OutboxState::Sent
    );
    assert_eq!(w.server.contents("Sent").len(), 1);
    assert!(w.transport.sent.is_empty());
}

#[test]
fn with_no_vendors_known_an_unknown_sender_alone_does_not_block_a_reply() {
    let mut w = World::new();
    w.ctx.index = Store::in_memory().unwrap().payables_index().unwrap();
    let p = w
        .prepare_plain("a-001-en-reminder-acme.eml", "acknowledge")
        .unwrap();
    assert!(p.draft.blocked.is_none(), "{:?}", p.draft.blocked);
    // A real fraud sign still blocks.
    let p = w
        .prepare_plain("b-029-fraud-bankchange-girard.eml", "acknowledge")
        .unwrap();
    assert!(p.draft.blocked.is_some());
}
