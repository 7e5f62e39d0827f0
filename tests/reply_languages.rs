//! Replies in the vendor's language through the path the CLI and the UI share
//! (`ReplyContext::prepare`, then `Sending::send` into a recording SMTP transport): a German
//! chaser gets the German letter, every built-in reads in every language with real data, a
//! vendor's configured language wins, escalations are in our own language, and the reply
//! rules refuse what a clerk must not send.

mod common;

use chrono::NaiveDate;
use common::corpus;
use duebox::classify::lang::Lang;
use duebox::payables::read_csv;
use duebox::reply::{Asked, Identity, Needed, Refusal, ReplyError, Templates};
use duebox::send::{OutboxError, Prepared, ReplyContext, Sending};
use duebox::smtp::{SendError, Transport};
use duebox::store::Store;

#[derive(Default)]
struct Recorder {
    sent: Vec<Vec<u8>>,
}

impl Transport for Recorder {
    fn send(&mut self, _from: &str, _to: &str, raw: &[u8]) -> Result<String, SendError> {
        self.sent.push(raw.to_vec());
        Ok("250 2.0.0 Ok: queued".into())
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn identity() -> Identity {
    Identity {
        from: "Northwind Accounts Payable <ap@northwind-traders.com>".into(),
        company: "Northwind Traders Ltd".into(),
        signature: "Jo Bloggs\nAccounts Payable, Northwind Traders Ltd".into(),
        approver: Some("Finance Director <fd@northwind-traders.com>".into()),
        ..Default::default()
    }
}

fn world(identity: Identity) -> (Store, ReplyContext) {
    let mut store = Store::in_memory().unwrap();
    store
        .import_payables(&read_csv(corpus("payables.csv").as_slice()).unwrap())
        .unwrap();
    let ctx = ReplyContext {
        templates: Templates::builtin_only(),
        identity,
        classify: common::northwind(),
        index: store.payables_index().unwrap(),
    };
    (store, ctx)
}

fn prepare(
    ctx: &ReplyContext,
    file: &str,
    template: &str,
    asked: &Asked,
) -> Result<Prepared, OutboxError> {
    ctx.prepare(&corpus(file), template, asked, today())
}

fn pay_on(d: &str) -> Asked {
    Asked {
        pay_on: Some(d.parse().unwrap()),
        ..Default::default()
    }
}

fn refusal(e: OutboxError) -> Refusal {
    match e {
        OutboxError::Reply(ReplyError::Refused(r)) => r,
        other => panic!("expected a refusal, got: {other}"),
    }
}

#[test]
fn a_german_chaser_is_answered_with_the_german_template() {
    let (mut store, ctx) = world(identity());
    let p = prepare(
        &ctx,
        "a-026-de-overdue-mueller.eml",
        "set_expectations",
        &pay_on("2026-12-04"),
    )
    .unwrap();
    let body = &p.draft.body;
    assert!(
        body.starts_with("Sehr geehrte Damen und Herren,\n\nvielen Dank für Ihre Geduld."),
        "{body}"
    );
    assert!(
        body.contains("Die Rechnung 26-0815 über 3.480,00\u{a0}€ ist freigegeben und wird am 4. Dezember 2026 zur Zahlung angewiesen."),
        "{body}"
    );
    assert!(
        body.contains("Mit freundlichen Grüßen\nJo Bloggs"),
        "{body}"
    );
    for english in ["Dear", "Thank you", "scheduled", "December", "Kind regards"] {
        assert!(!body.contains(english), "English '{english}' in: {body}");
    }

    let mut transport = Recorder::default();
    let mut sending = Sending {
        store: &mut store,
        transport: &mut transport,
        mailbox: None,
        sent_folder: "Sent".into(),
        save_sent: true,
    };
    sending.send(&p, false).unwrap();
    assert_eq!(transport.sent.len(), 1);
    let sent = duebox::mail::parse(&transport.sent[0]).unwrap();
    assert!(
        sent.body
            .contains("wird am 4. Dezember 2026 zur Zahlung angewiesen"),
        "{}",
        sent.body
    );
    assert!(sent.subject.starts_with("Re: "), "{}", sent.subject);
}

#[test]
fn every_builtin_reads_in_every_language_with_real_data() {
    // Chasers in each language the corpus has, and an English one answered in Italian and
    // Portuguese by the vendor's setting (the corpus has no chasers in those).
    let mut id = identity();
    id.vendor_languages = vec![
        ("Acme Office Supplies Ltd".into(), Lang::It),
        ("brennanlogistics.com".into(), Lang::Pt),
    ];
    let (_store, ctx) = world(id);
    let cases = [
        (
            "a-026-de-overdue-mueller.eml",
            "de",
            "Mit freundlichen Grüßen",
        ),
        ("b-004-fr-reminder-lefevre.eml", "fr", "Cordialement,"),
        ("b-010-es-overdue-ruiz.eml", "es", "Un cordial saludo,"),
        (
            "b-018-nl-overdue-vdberg.eml",
            "nl",
            "Met vriendelijke groet,",
        ),
        ("a-002-en-overdue-acme.eml", "it", "Cordiali saluti,"),
        (
            "a-005-en-overdue-brennan.eml",
            "pt",
            "Com os melhores cumprimentos,",
        ),
    ];
    for (file, lang, closing) in cases {
        for template in ["acknowledge", "set_expectations", "negotiate"] {
            let asked = Asked {
                instalments: (template == "negotiate").then_some(3),
                ..pay_on("2026-12-15")
            };
            let d = prepare(&ctx, file, template, &asked)
                .unwrap_or_else(|e| panic!("{file} {template}: {e}"))
                .draft;
            assert!(
                d.body.contains(closing),
                "{file} {template} ({lang}):\n{}",
                d.body
            );
            for leftover in ["{{", "{%", "none", "None", "Dear ", "Kind regards"] {
                assert!(
                    !d.body.contains(leftover),
                    "'{leftover}' in {file} {template}:\n{}",
                    d.body
                );
            }
            if template != "acknowledge" {
                let month = duebox::reply::format::month_name(Lang::from_code(lang).unwrap(), 12);
                assert!(
                    d.body.contains(month),
                    "{file} {template}: no '{month}':\n{}",
                    d.body
                );
            }
        }
    }
}

#[test]
fn a_vendors_configured_language_wins_over_its_messages() {
    let mut id = identity();
    id.vendor_languages = vec![("mueller-soehne-elektro.de".into(), Lang::En)];
    let (_store, ctx) = world(id);
    let d = prepare(
        &ctx,
        "a-026-de-overdue-mueller.eml",
        "set_expectations",
        &pay_on("2026-12-04"),
    )
    .unwrap()
    .draft;
    assert!(
        d.body.contains("Invoice 26-0815 for €3,480.00 is approved and scheduled for payment on 4 December 2026."),
        "{}",
        d.body
    );
}

#[test]
fn escalations_are_written_in_our_own_language() {
    let mut id = identity();
    id.language = Some(Lang::De);
    let (_store, ctx) = world(id);
    // A French fraud attempt, escalated by a German AP team: German words, German dates.
    let d = prepare(
        &ctx,
        "b-029-fraud-bankchange-girard.eml",
        "escalate",
        &Asked {
            note: Some("Bitte telefonisch prüfen.".into()),
            ..Default::default()
        },
    )
    .unwrap()
    .draft;
    assert!(d.subject.starts_with("Eskalation: "), "{}", d.subject);
    assert!(
        d.body.contains("ich benötige Ihre Entscheidung"),
        "{}",
        d.body
    );
    assert!(d.body.contains("Warnungen:"), "{}", d.body);
    assert!(d.body.contains("Bankverbindung"), "{}", d.body);
    assert!(d.body.contains("Tage überfällig"), "{}", d.body);
    assert!(d.to.contains("fd@northwind-traders.com"));
    // Without a language of our own, escalations stay English whatever the vendor wrote.
    let (_store, ctx) = world(identity());
    let d = prepare(
        &ctx,
        "a-026-de-overdue-mueller.eml",
        "escalate",
        &Asked::default(),
    )
    .unwrap()
    .draft;
    assert!(d.body.starts_with("Hello,"), "{}", d.body);
    assert!(
        d.body.contains("Stage:          overdue notice"),
        "{}",
        d.body
    );
}

#[test]
fn a_paid_invoice_gets_no_promise_to_pay_and_the_payment_is_confirmed_in_german() {
    let (_store, ctx) = world(identity());
    // Schäfer's RE-2026-117 was paid on 2 November.
    for template in ["set_expectations", "negotiate"] {
        let e = prepare(
            &ctx,
            "a-024-de-overdue-schaefer.eml",
            template,
            &pay_on("2026-12-04"),
        )
        .unwrap_err();
        let r = refusal(e);
        assert!(
            matches!(&r, Refusal::AlreadyPaid { invoice, .. } if invoice == "RE-2026-117"),
            "{r:?}"
        );
        assert!(r.to_string().contains("confirm_payment"), "{r}");
        assert!(r.to_string().contains("c in the UI"), "{r}");
    }
    let d = prepare(
        &ctx,
        "a-024-de-overdue-schaefer.eml",
        "confirm_payment",
        &Asked::default(),
    )
    .unwrap()
    .draft;
    assert!(
        d.body.contains("die Rechnung RE-2026-117 über 1.234,56\u{a0}€ wurde am 2. November 2026 unter der Referenz SEPA 2026-11-02/4411 bezahlt."),
        "{}",
        d.body
    );
}

#[test]
fn promises_dated_in_the_past_and_missing_values_are_refused() {
    let (_store, ctx) = world(identity());
    let r = refusal(
        prepare(
            &ctx,
            "a-001-en-reminder-acme.eml",
            "set_expectations",
            &pay_on("2026-11-20"),
        )
        .unwrap_err(),
    );
    assert_eq!(
        r,
        Refusal::PastDate {
            date: "2026-11-20".parse().unwrap(),
            today: today()
        }
    );
    assert!(r.to_string().contains("in the past"), "{r}");
    // Today itself is a date one can promise.
    prepare(
        &ctx,
        "a-001-en-reminder-acme.eml",
        "set_expectations",
        &pay_on("2026-11-23"),
    )
    .unwrap();
    let r = refusal(
        prepare(
            &ctx,
            "a-001-en-reminder-acme.eml",
            "negotiate",
            &Asked::default(),
        )
        .unwrap_err(),
    );
    assert!(
        matches!(
            r,
            Refusal::Missing {
                needed: Needed::PayDate,
                ..
            }
        ),
        "{r:?}"
    );
    assert!(r.to_string().contains("--pay-on"), "{r}");
    // A disputed invoice gets the dispute, not a payment date.
    let r = refusal(
        prepare(
            &ctx,
            "b-002-fr-overdue-moreau.eml",
            "set_expectations",
            &pay_on("2026-12-04"),
        )
        .unwrap_err(),
    );
    assert!(matches!(r, Refusal::Disputed { .. }), "{r:?}");
}

#[test]
fn each_template_says_what_it_asks_for() {
    let (_store, ctx) = world(identity());
    let asks = |file: &str, template: &str| {
        let (message, classification) =
            duebox::classify::classify_bytes(&corpus(file), &ctx.classify).unwrap();
        let records = [];
        let asked = Asked::default();
        let facts = duebox::reply::Facts {
            message: &message,
            classification: &classification,
            records: &records,
            identity: &ctx.identity,
            asked: &asked,
            today: today(),
        };
        duebox::reply::asks(&ctx.templates, template, &facts)
            .unwrap()
            .into_iter()
            .map(|a| (a.needed, a.required))
            .collect::<Vec<_>>()
    };
    let file = "a-001-en-reminder-acme.eml";
    assert_eq!(asks(file, "set_expectations"), [(Needed::PayDate, true)]);
    assert_eq!(
        asks(file, "negotiate"),
        [
            (Needed::PayDate, true),
            (Needed::Instalments, false),
            (Needed::Note, false)
        ]
    );
    assert_eq!(asks(file, "escalate"), [(Needed::Note, false)]);
    assert_eq!(asks(file, "acknowledge"), []);
    assert_eq!(
        asks("a-026-de-overdue-mueller.eml", "dispute_amount"),
        [(Needed::PayDate, false), (Needed::Note, false)]
    );
}

#[test]
fn the_dispute_of_an_overdue_invoice_promises_no_due_date() {
    let (_store, ctx) = world(identity());
    // Acme's final notice claims more than we owe; INV-00123 was due on 1 October.
    let d = prepare(
        &ctx,
        "a-003-en-final-acme.eml",
        "dispute_amount",
        &Asked::default(),
    )
    .unwrap()
    .draft;
    assert!(!d.body.contains("due date"), "{}", d.body);
    assert!(
        d.body
            .contains("We will pay the undisputed amount in our next payment run"),
        "{}",
        d.body
    );
}
