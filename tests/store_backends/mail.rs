//! The scenarios that join payables with messages: corrections and the next verdict, chases
//! and the checks redone after a payment, the dashboard, bank statements.

use super::*;
use duebox::classify::fingerprint::{Fingerprint, Verdict};
use duebox::classify::{Kind, Stage};
use duebox::payables::validate::MatchStatus;
use duebox::store::{CorrectionSource, NewMessage};

fn chaser_raw(n: u32) -> Vec<u8> {
    format!(
        "Message-ID: <c{n}@acme.co.uk>\r\nFrom: Acme AR <ar@acme.co.uk>\r\nTo: ap@northwind.test\r\n\
         Date: Mon, 2 Nov 2026 09:00:00 +0000\r\nSubject: Payment reminder: invoice INV-{n} is due\r\n\r\n\
         Dear customer, invoice INV-{n} for EUR 1,200.00 is now due. Please pay.\r\n"
    )
    .into_bytes()
}

fn options() -> duebox::classify::Options {
    duebox::classify::Options {
        own_domains: vec!["northwind.test".into()],
        own_names: vec!["Northwind".into()],
        today: day(11, 3),
    }
}

/// What this clerk's duebox decides for the message now: the classifier, then what the
/// clerks taught.
fn verdict(s: &Store, raw: &[u8]) -> (Kind, Option<Stage>) {
    let (msg, mut c) = duebox::classify::classify_bytes(raw, &options()).unwrap();
    let learnt = duebox::sync::learn::Learnt::load(s).unwrap();
    duebox::sync::learn::overrule(&learnt, &msg, &mut c);
    (c.kind, c.stage)
}

pub(super) fn corrections_taught_retaught_and_forgotten(t: &Backend) {
    let mut anna = t.clerk("Anna");
    let ben = t.second();
    let raw = chaser_raw(41);
    let untaught = verdict(&anna, &raw);
    assert_eq!(untaught.0, Kind::Chaser, "the rules call it a chaser");
    let fp = Fingerprint::new("ar@acme.co.uk", "Payment reminder: invoice INV-41 is due").unwrap();
    let c = anna
        .teach(
            &fp,
            Verdict::NotChaser,
            CorrectionSource::UiCommand,
            Some("<c41@acme.co.uk>"),
            "said",
        )
        .unwrap();
    assert_eq!(c.taught, 1);
    // The next message of the same shape (another invoice number) gets the clerk's verdict.
    let next_one = chaser_raw(42);
    assert_eq!(verdict(&anna, &next_one), (Kind::Other, None));
    if let Some(ben) = &ben {
        ben.refresh_team().unwrap();
        let learnt = ben.corrections().unwrap();
        assert_eq!(learnt.len(), 1);
        assert_eq!(
            (&learnt[0].fingerprint, learnt[0].verdict),
            (&fp, Verdict::NotChaser)
        );
        assert_eq!(
            verdict(ben, &next_one),
            (Kind::Other, None),
            "Ben's next verdict"
        );
    }
    // Taught again otherwise: the latest word stands, for the team too.
    anna.teach(
        &fp,
        Verdict::Chaser(Stage::Final),
        CorrectionSource::UiMove,
        Some("<c42@acme.co.uk>"),
        "moved",
    )
    .unwrap();
    assert_eq!(
        verdict(&anna, &next_one),
        (Kind::Chaser, Some(Stage::Final))
    );
    if let Some(ben) = &ben {
        ben.refresh_team().unwrap();
        assert_eq!(ben.corrections().unwrap().len(), 1);
        assert_eq!(verdict(ben, &next_one), (Kind::Chaser, Some(Stage::Final)));
    }
    let events = anna.events(&EventFilter::default()).unwrap();
    assert_eq!(kinds(&events), ["correction_learnt", "correction_learnt"]);
    // Forgotten: the rules decide again, for every clerk.
    let gone = anna.forget_corrections(None).unwrap();
    assert_eq!(gone.len(), 1);
    assert!(anna.corrections().unwrap().is_empty());
    assert_eq!(verdict(&anna, &next_one), untaught);
    if let Some(ben) = &ben {
        ben.refresh_team().unwrap();
        assert!(
            ben.corrections().unwrap().is_empty(),
            "forgotten for the team"
        );
        assert_eq!(verdict(ben, &next_one), untaught);
    }
}

fn store_chaser(s: &mut Store, n: u32, amount: &str) {
    let inbox = s.folder("INBOX").unwrap().id;
    s.store_message(
        inbox,
        &NewMessage {
            uid: n,
            message_id: Some(format!("<c{n}@acme.co.uk>")),
            sent_at: Some(format!("2026-11-{:02} 09:00:00", n % 28 + 1)),
            from_addr: Some("ar@acme.co.uk".into()),
            subject: Some(format!("Reminder INV-{n}")),
            kind: Some("chaser".into()),
            stage: Some("reminder".into()),
            vendor: Some("Acme".into()),
            invoices: Some(format!("[\"INV-{n}\"]")),
            amount: Some(amount.into()),
            currency: Some("EUR".into()),
            due_date: Some("2026-11-30".into()),
            match_status: Some("matched".into()),
            reasons: "[]".into(),
            ..NewMessage::default()
        },
    )
    .unwrap();
}

pub(super) fn chases_and_the_checks_redone_after_a_payment(t: &Backend) {
    let mut anna = t.clerk("Anna");
    let mut ben = t.second();
    anna.import_payables(&[payable("Acme", "INV-5", 120_000, day(11, 30))])
        .unwrap();
    let at = |d: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, 11, d)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
            .and_utc()
    };
    let invoices = ["INV-5".to_string()];
    assert!(anna
        .record_chase("Acme", "<c5a@acme.co.uk>", at(2), "reminder", &invoices)
        .unwrap()
        .is_empty());
    let prior = anna
        .record_chase("Acme", "<c5b@acme.co.uk>", at(9), "overdue", &invoices)
        .unwrap();
    assert_eq!(prior.len(), 1);
    assert_eq!(
        (prior[0].stage.as_str(), prior[0].message_id.as_str()),
        ("reminder", "<c5a@acme.co.uk>")
    );
    // The same chase again adds nothing; an unknown vendor's is not recorded.
    anna.record_chase("Acme", "<c5b@acme.co.uk>", at(9), "overdue", &invoices)
        .unwrap();
    assert!(anna
        .record_chase("Nobody", "<x@n.test>", at(9), "overdue", &invoices)
        .unwrap()
        .is_empty());
    store_chaser(&mut anna, 5, "1200.00");
    if let Some(ben) = &mut ben {
        ben.refresh_team().unwrap();
        store_chaser(ben, 5, "1200.00");
    }
    anna.mark_paid("INV-5", None, day(11, 20), Some("TRF-5"))
        .unwrap();
    let status = |s: &Store| s.page("INBOX", None, 0, 10).unwrap().rows[0].match_status;
    assert_eq!(status(&anna), Some(MatchStatus::AlreadyPaid));
    if let Some(ben) = &ben {
        assert!(ben.refresh_team().unwrap() >= 1);
        assert_eq!(
            status(ben),
            Some(MatchStatus::AlreadyPaid),
            "Ben's check redone"
        );
    }
    anna.clear_chases().unwrap();
    assert!(anna
        .record_chase("Acme", "<c5c@acme.co.uk>", at(12), "final", &invoices)
        .unwrap()
        .is_empty());
}

pub(super) fn dashboard_figures(t: &Backend) {
    let mut anna = t.clerk("Anna");
    let mut ben = t.second();
    let today = day(11, 25);
    anna.import_payables(&[
        payable("Acme", "INV-10", 100_010, day(11, 20)),
        payable("Acme", "INV-11", 20_005, day(11, 28)),
        payable("Brennan", "B-1", 99_999, day(12, 30)),
    ])
    .unwrap();
    anna.schedule("INV-11", None, day(11, 27)).unwrap();
    let own = |s: &mut Store| {
        store_chaser(s, 10, "1000.10");
        store_chaser(s, 11, "200.05");
    };
    own(&mut anna);
    let d = anna.dashboard(today).unwrap();
    assert_eq!(d.waiting, 2);
    assert_eq!(
        d.falling_due,
        [("EUR".to_string(), Decimal::new(100_010, 2), 1)],
        "open, due within the window, not scheduled"
    );
    assert_eq!(d.outstanding[0].0, "EUR");
    assert_eq!(d.outstanding[0].2, 2);
    if let Some(ben) = &mut ben {
        own(ben);
        ben.refresh_team().unwrap();
        let b = ben.dashboard(today).unwrap();
        assert_eq!(
            b.falling_due, d.falling_due,
            "Ben's figures from the team's payables"
        );
        assert_eq!(b.outstanding, d.outstanding);
        assert_eq!(b.claims, d.claims);
        assert_eq!(b.aging, d.aging);
    }
}

pub(super) fn a_bank_statement_pays_and_a_rejection_reopens(t: &Backend) {
    use duebox::payables::statement::{Entry, Rejection, Statement, Transaction};
    let mut anna = t.clerk("Anna");
    let ben = t.second();
    anna.import_payables(&[
        payable("Acme", "INV-20", 120_000, day(11, 30)),
        payable("Acme", "INV-21", 30_000, day(11, 30)),
    ])
    .unwrap();
    let statement = Statement {
        id: "STMT-1".into(),
        account: Some("DE02120300000000202051".into()),
        entries: vec![Entry {
            label: "entry 1".into(),
            booked_on: day(11, 24),
            debit: true,
            bank_reference: Some("BANKREF-1".into()),
            transactions: vec![Transaction {
                key: "TX-1".into(),
                amount: Decimal::new(120_000, 2),
                currency: "EUR".into(),
                end_to_end: Some("E2E-20".into()),
                creditor: Some("Acme".into()),
                creditor_iban: None,
                remittance: vec!["Invoice INV-20".into()],
            }],
        }],
        not_booked: 0,
    };
    let r = anna
        .import_statements(std::slice::from_ref(&statement))
        .unwrap();
    assert_eq!(r.paid.len(), 1, "{r:?}");
    let again = anna.import_statements(&[statement]).unwrap();
    assert_eq!((again.paid.len(), again.known), (0, 1), "imported once");
    let paid = |s: &Store| s.payable("INV-20", None).unwrap().status;
    assert_eq!(paid(&anna), Status::Paid);
    if let Some(ben) = &ben {
        ben.refresh_team().unwrap();
        assert_eq!(paid(ben), Status::Paid, "Ben after one refresh");
    }
    let rejected = anna
        .apply_rejections(&[Rejection {
            end_to_end: Some("E2E-20".into()),
            instruction: None,
            reason: "AC04 closed account".into(),
            amount: None,
            creditor: None,
            remittance: Vec::new(),
        }])
        .unwrap();
    assert_eq!(rejected.reopened.len(), 1, "{rejected:?}");
    assert_eq!(paid(&anna), Status::Open);
    assert_eq!(anna.payable("INV-21", None).unwrap().status, Status::Open);
    if let Some(ben) = &ben {
        ben.refresh_team().unwrap();
        assert_eq!(paid(ben), Status::Open, "reopened for Ben too");
        let kinds: Vec<String> = ben
            .events(&EventFilter {
                invoice: Some("INV-20".into()),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert!(kinds.iter().any(|k| k == "payment_rejected"), "{kinds:?}");
    }
}
