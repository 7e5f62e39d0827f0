//! Several clerks on one mailbox, against the real Dovecot and Postfix: two and then five
//! `duebox` processes (each its own database and [team] clerk, one account) all answer the same
//! 20 chasers at once, and each chaser gets exactly one reply (counted by In-Reply-To in the
//! vendors' mailbox) while the others are told who has it; a claim left by a killed process
//! holds until it is stale and is then taken over, or is taken over at once with --take-over
//! (both recorded with both names); on a Dovecot with CONDSTORE hidden the claim is a move into
//! "In progress/<clerk>" and still gives one reply each; and a claim costs one round trip
//! (counted by a proxy that sees every turn of the conversation, not timed).

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;
#[path = "common/postfix.rs"]
mod postfix;

mod team_support;

use dovecot::{Dovecot, PASSWORD};
use duebox::store::Store;
use postfix::Postfix;
use std::time::{Duration, Instant};
use team_support::*;

fn race_on(user: &str, clerks: &[&str]) {
    let w = world();
    let chasers = {
        let servers = w.servers();
        deliver_chasers(&servers.0, user, user.split('@').next().unwrap(), 20)
    };
    let installs: Vec<Install> = clerks
        .iter()
        .enumerate()
        .map(|(n, clerk)| w.install(&format!("{user}-{n}"), user, clerk))
        .collect();
    for i in &installs {
        i.ok(&["sync"]);
    }
    let start = Instant::now();
    let told = race(&installs, &chasers);
    let servers = w.servers();
    let per_chaser = replies_delivered(&servers.0, &servers.1, &chasers);
    let doubles: usize = per_chaser.iter().map(|n| n.saturating_sub(1)).sum();
    println!(
        "{} clerks, {} chasers, {} attempts in {:.1?}: sent {}, told who has it {}, told it was answered already {}, told to wait a moment {}, other {}; replies per chaser {:?}; double replies {doubles}",
        clerks.len(),
        chasers.len(),
        clerks.len() * chasers.len(),
        start.elapsed(),
        told.sent,
        told.held,
        told.answered,
        told.busy,
        told.other.len(),
        per_chaser,
    );
    assert!(
        told.other.is_empty(),
        "unexpected answers: {:#?}",
        told.other
    );
    assert_eq!(per_chaser, vec![1; chasers.len()], "one reply per chaser");
    assert_eq!(told.sent, chasers.len());
}

#[test]
fn two_clerks_answer_twenty_chasers_at_once_and_each_gets_one_reply() {
    race_on("race2@example.test", &["Maria", "Jo"]);
}

#[test]
fn five_clerks_answer_twenty_chasers_at_once_and_each_gets_one_reply() {
    race_on(
        "race5@example.test",
        &["Maria", "Jo", "Amélie Dubois", "Sam (AP)", "Kim"],
    );
}

#[test]
fn a_killed_clerks_claim_holds_until_stale_or_taken_over_and_both_are_recorded() {
    let w = world();
    let user = "kill@example.test";
    let chasers = {
        let servers = w.servers();
        deliver_chasers(&servers.0, user, "kill", 2)
    };
    let make = |name: &str, clerk: &str| w.install(name, user, clerk);
    let (maria, jo) = (make("kill-maria", "Maria"), make("kill-jo", "Jo"));
    maria.ok(&["sync"]);
    jo.ok(&["sync"]);
    for c in &chasers {
        let killed = maria
            .command(&["reply", c, "--template", "acknowledge"])
            .env("DUEBOX_FAILPOINT", "after-claim")
            .output()
            .unwrap();
        assert!(!killed.status.success(), "the failpoint stops duebox");
    }
    // Jo's duebox sees Maria's claim in its next pass (the list's mark and the message view
    // read the same stored flags; a dry run says so without asking the server).
    jo.ok(&["sync"]);
    let dry = jo.run(&[
        "reply",
        &chasers[0],
        "--template",
        "acknowledge",
        "--dry-run",
    ]);
    let said = String::from_utf8_lossy(&dry.stderr);
    assert!(!dry.status.success());
    assert!(
        said.contains("Maria is answering this (since ")
            && said.contains("as the last sync saw it"),
        "{said}"
    );
    let out = jo.run(&["reply", &chasers[0], "--template", "acknowledge"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("Maria is answering this (since "), "{err}");
    assert!(err.contains("--take-over"), "says what to do: {err}");
    // Half an hour later (and the 5 minutes the claim's time is rounded to) the claim is
    // stale: Jo's duebox takes it over by itself.
    let later = (chrono::Utc::now() + chrono::Duration::minutes(36)).to_rfc3339();
    let out = jo
        .command(&["reply", &chasers[0], "--template", "acknowledge"])
        .env("DUEBOX_NOW", &later)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The other one at once, on Jo's word.
    jo.ok(&[
        "reply",
        &chasers[1],
        "--template",
        "acknowledge",
        "--take-over",
    ]);
    let servers = w.servers();
    assert_eq!(
        replies_delivered(&servers.0, &servers.1, &chasers),
        vec![1, 1]
    );
    let events = jo.events();
    let detail = |kind: &str| {
        events
            .iter()
            .find(|e| e.kind == kind)
            .map(|e| (e.actor.clone(), e.detail.clone()))
            .unwrap_or_else(|| panic!("no {kind} event"))
    };
    let (actor, d) = detail("claim_taken_over");
    assert_eq!(actor, "Jo");
    assert!(
        d.contains("Jo took over Maria's claim") && d.contains("older than 30 minutes"),
        "{d}"
    );
    let (actor, d) = detail("claim_overridden");
    assert_eq!(actor, "Jo");
    assert!(
        d.contains("Jo took over Maria's claim") && d.contains("anyway"),
        "{d}"
    );
    // Released after sending: nobody holds either chaser now.
    drop(servers);
    jo.ok(&["sync"]);
    let store = Store::open(&jo.dir.join("duebox.db")).unwrap();
    for c in &chasers {
        let row = store.find_message(c).unwrap().unwrap().id;
        let flags = store.message_place(row).unwrap().unwrap().flags;
        assert!(
            duebox::team::marks::marks(flags.split_whitespace(), chrono::Utc::now()).is_empty(),
            "{flags}"
        );
        assert!(flags.contains("\\Answered"), "{flags}");
    }
}

#[test]
fn a_claim_costs_one_round_trip_before_the_preview() {
    use duebox::config::Security;
    use duebox::imap::{Account, Imap, Secret};
    use duebox::team::{Claims, Clerk, Team};
    let w = world();
    let user = "rtt@example.test";
    let ids = {
        let servers = w.servers();
        deliver_chasers(&servers.0, user, "rtt", 2)
    };
    let proxy = Proxy::start(w.plain_port);
    let account = Account {
        host: "127.0.0.1".into(),
        port: proxy.port,
        security: Security::Plain,
        login: user.into(),
        secret: Secret::Password(PASSWORD.into()),
        ca_file: None,
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("rtt.db")).unwrap();
    let mut imap = Imap::connect(&account).expect("IMAP login through the proxy");
    let opts = common::northwind();
    let index = store.payables_index().unwrap();
    let folders = duebox::config::Folders::default();
    duebox::sync::engine::sync_once(
        &mut imap,
        &mut store,
        &duebox::sync::engine::Settings {
            folders: &folders,
            classify: &opts,
            index: &index,
        },
        &mut |_| {},
    )
    .unwrap();
    let mut claims = Claims::new(Team {
        clerk: Clerk::new("Maria"),
        claim_minutes: 30,
    });
    let row = |id: &str| store.find_message(id).unwrap().unwrap().id;
    let (first, second) = (row(&ids[0]), row(&ids[1]));
    let before = proxy.turns();
    let claim = claims
        .claim(&mut imap, &mut store, first, chrono::Utc::now(), false)
        .unwrap();
    let claim_turns = proxy.turns() - before;
    let before = proxy.turns();
    claims.release(&mut imap, &claim, false).unwrap();
    let release_turns = proxy.turns() - before;
    // Someone else touched the second chaser since the sync (read it: \Seen): the claim is
    // refused with MODIFIED, the flags read again, and the claim made against them.
    {
        let servers = w.servers();
        let uid = store.message_place(second).unwrap().unwrap().uid.unwrap();
        let folder = store.message_place(second).unwrap().unwrap().folder;
        let name = imap.server_name(&folder);
        servers.0.imap_raw_as(
            user,
            PASSWORD,
            &[
                &format!("SELECT \"{name}\""),
                &format!("UID STORE {uid} +FLAGS (\\Seen)"),
            ],
        );
    }
    let before = proxy.turns();
    let claim = claims
        .claim(&mut imap, &mut store, second, chrono::Utc::now(), false)
        .unwrap();
    let modified_turns = proxy.turns() - before;
    claims.release(&mut imap, &claim, false).unwrap();
    println!(
        "round trips: claim {claim_turns}, release {release_turns}, claim after someone changed the message {modified_turns}"
    );
    assert_eq!(claim_turns, 1, "a claim is one round trip");
    assert!(release_turns <= 2, "{release_turns}");
    assert_eq!(
        modified_turns, 3,
        "MODIFIED, the flags read again, the claim"
    );
}

#[test]
fn without_condstore_the_claim_is_a_move_and_each_chaser_still_gets_one_reply() {
    // Its own servers: CONDSTORE hidden, as on Exchange Online or Yahoo.
    let dovecot = Dovecot::start_with(postfix::dovecot_options().without_condstore());
    let postfix = Postfix::start(&dovecot);
    let home = tempfile::tempdir().unwrap();
    let user = dovecot.user().to_string();
    let chasers = deliver_chasers(&dovecot, &user, "move", 20);
    let installs: Vec<Install> = ["Maria", "Jo"]
        .iter()
        .map(|clerk| {
            Install::new(home.path(), clerk, |dir| {
                config(
                    dir,
                    &user,
                    clerk,
                    (dovecot.tls_port(), &dovecot.ca_file()),
                    (postfix.port(), &postfix.ca_file()),
                )
            })
        })
        .collect();
    for i in &installs {
        i.ok(&["sync"]);
    }
    let told = race(&installs, &chasers);
    let per_chaser = replies_delivered(&dovecot, &postfix, &chasers);
    // Once every clerk has synced, nobody answers them again (a few, to keep the test short).
    for i in &installs {
        i.ok(&["sync"]);
    }
    let again = race(&installs, &chasers[..3]);
    let after = replies_delivered(&dovecot, &postfix, &chasers);
    let doubles: usize = after.iter().map(|n| n.saturating_sub(1)).sum();
    println!(
        "move fallback, 2 clerks, 20 chasers: sent {}, told who has it {}, told it was answered already {}, told to sync first {}, told to wait a moment {}, other {}; after a sync: sent {}, answered already {}; double replies {doubles}",
        told.sent, told.held, told.answered, told.sync_first, told.busy, told.other.len(), again.sent, again.answered
    );
    assert!(told.other.is_empty(), "{:#?}", told.other);
    assert!(again.other.is_empty(), "{:#?}", again.other);
    assert_eq!(per_chaser, vec![1; chasers.len()], "{:#?}", told.log);
    assert_eq!(after, vec![1; chasers.len()], "{:#?}", again.log);
    assert_eq!((told.sent, again.sent), (chasers.len(), 0));
    // Every chaser is back where it was filed, answered; the clerks' folders are empty.
    let in_progress: usize = ["Maria", "Jo"]
        .iter()
        .map(|c| {
            let dir = dovecot.folder_dir(&user, &format!("In progress/{c}"));
            ["new", "cur"]
                .iter()
                .map(|s| {
                    std::fs::read_dir(dir.join(s))
                        .map(|d| d.count())
                        .unwrap_or(0)
                })
                .sum::<usize>()
        })
        .sum();
    assert_eq!(in_progress, 0, "nothing is left in the clerks' folders");
}

#[path = "tui_support/mod.rs"]
mod tui_support;

#[test]
fn the_ui_marks_chasers_another_clerk_is_answering_and_says_who_since_when() {
    use duebox::team::{marks, Clerk};
    let mut ui = tui_support::demo_ui(80, 24);
    let jo = Clerk::new("Jo");
    ui.h.app.mailbox.clerk = Some(jo.clone());
    ui.h.runner.clerk = Some(jo);
    // Maria's duebox claims the Ironbridge overdue notice (another client, to this one).
    // Twelve minutes ago, on a 5-minute step (the claim's time is stored to the step).
    let since = chrono::Utc::now() - chrono::Duration::minutes(12);
    let since = chrono::DateTime::from_timestamp(since.timestamp() / 300 * 300, 0).unwrap();
    let maria = Clerk::new("Maria").claim_keywords(since);
    let folder = "Chasers/Overdue";
    let (uid, flags) = {
        let server = ui.demo.server.lock();
        let found = server
            .contents(folder)
            .into_iter()
            .find(|(_, _, raw)| String::from_utf8_lossy(raw).contains("Ironbridge"))
            .expect("the Ironbridge notice is filed");
        (found.0, found.1)
    };
    let mut all: Vec<&str> = flags.iter().map(String::as_str).collect();
    all.extend(maria.iter().map(String::as_str));
    ui.demo
        .server
        .lock()
        .set_flags_as_other_client(folder, uid, &all);
    // One sync pass later the list marks it.
    ui.h.press("s");
    ui.open_folder("Overdue");
    assert!(
        ui.h.wait_until(WAIT, |a| a
            .mailbox
            .list
            .page
            .rows
            .iter()
            .any(|r| { marks::is_held_by_other(r.flags.split_whitespace(), None) })),
        "the pass brings Maria's claim: {}",
        ui.screen()
    );
    ui.h.settle(Duration::from_millis(100));
    ui.h.app.status.sync = duebox::tui::state::SyncStatus::Synced {
        at: "09:00".into(),
        new: 0,
    };
    ui.h.draw();
    let list = ui.screen();
    let marked: Vec<&str> = list
        .lines()
        .filter(|l| l.contains(duebox::tui::strings::CLAIMED_MARK))
        .collect();
    assert_eq!(marked.len(), 1, "one chaser is marked: {list}");
    assert!(marked[0].contains("Ironbridge"), "{list}");
    insta::assert_snapshot!("claimed_by_another_clerk_list_80x24", list);
    // Its message view says who and since when (in local time).
    ui.filter("Ironbridge");
    ui.h.press("enter");
    assert!(ui.h.wait_until(WAIT, |a| matches!(
        a.top(),
        Some(duebox::tui::state::Screen::Message(m)) if m.opened.is_some()
    )));
    let local = since
        .with_timezone(&chrono::Local)
        .format("%H:%M")
        .to_string();
    let screen = ui.screen();
    assert!(
        screen.contains(&format!("Maria is answering this (since about {local})")),
        "{screen}"
    );
}

/// The UI's reply layer on the real servers: the preview of a chaser Maria holds says so,
/// the send after the second `y` takes her claim over (recorded), and the claim is released.
#[test]
fn the_ui_reply_layer_claims_says_who_holds_it_and_takes_over_on_the_second_y() {
    use duebox::config::Security;
    use duebox::imap::{Account, Imap, Secret};
    use duebox::send::smtp::{SmtpAccount, Transport};
    use duebox::team::{Claims, Clerk, Team};
    use duebox::tui::outbox_replies::{OutboxReplies, TeamClaims};
    use duebox::tui::replies::ReplyService;
    let w = world();
    let user = "ui@example.test";
    let chasers = {
        let servers = w.servers();
        deliver_chasers(&servers.0, user, "ui", 2)
    };
    let maria = w.install("ui-maria", user, "Maria");
    maria.ok(&["sync"]);
    let killed = maria
        .command(&["reply", &chasers[0], "--template", "acknowledge"])
        .env("DUEBOX_FAILPOINT", "after-claim")
        .output()
        .unwrap();
    assert!(!killed.status.success());
    // Jo's UI: its own database, synced after Maria's claim.
    let jo = w.install("ui-jo", user, "Jo");
    jo.ok(&["sync"]);
    let account = Account {
        host: "127.0.0.1".into(),
        port: w.imap_port,
        security: Security::Tls,
        login: user.into(),
        secret: Secret::Password(PASSWORD.into()),
        ca_file: Some(w.imap_ca.clone()),
    };
    let store = Store::open(&jo.dir.join("duebox.db")).unwrap();
    let ctx = duebox::send::ReplyContext {
        templates: duebox::reply::Templates::builtin_only(),
        identity: duebox::reply::Identity {
            from: format!("Northwind AP <{user}>"),
            company: "Northwind Traders Ltd".into(),
            signature: "Jo\nAccounts Payable".into(),
            ..Default::default()
        },
        classify: common::northwind(),
        index: store.payables_index().unwrap(),
    };
    let smtp = SmtpAccount {
        server: Account {
            host: "127.0.0.1".into(),
            port: w.smtp_port,
            security: Security::Starttls,
            login: user.into(),
            secret: Secret::Password(PASSWORD.into()),
            ca_file: Some(w.smtp_ca.clone()),
        },
        hello: "example.test".into(),
        timeout: Duration::from_secs(30),
    };
    let transport = smtp.connect().map(|t| Box::new(t) as Box<dyn Transport>);
    let mailbox_account = account.clone();
    let claims_account = account.clone();
    let mut replies = OutboxReplies::new(
        store,
        ctx,
        transport.map_err(|e| duebox::tui::error::UiError::new("no SMTP", e)),
        Box::new(move || {
            Imap::connect(&mailbox_account)
                .ok()
                .map(|s| Box::new(s) as Box<dyn duebox::sync::server::MailServer + Send>)
        }),
        "Sent".into(),
        true,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    )
    .with_claims(TeamClaims::new(
        Claims::new(Team {
            clerk: Clerk::new("Jo"),
            claim_minutes: 30,
        }),
        Box::new(move || {
            Imap::connect(&claims_account)
                .map(|s| Box::new(s) as Box<dyn duebox::team::ClaimServer + Send>)
                .map_err(|e| e.to_string())
        }),
    ));
    let rows: Vec<i64> = {
        let store = Store::open(&jo.dir.join("duebox.db")).unwrap();
        chasers
            .iter()
            .map(|c| store.find_message(c).unwrap().unwrap().id)
            .collect()
    };
    // Maria's: the preview says so; the second y (take_over) sends it.
    let held = replies.preview(rows[0], "acknowledge", None).unwrap();
    let who = held.held_by.clone().expect("Maria holds it");
    assert!(who.starts_with("Maria is answering this (since "), "{who}");
    let sent = replies
        .send(&duebox::tui::replies::ReplyPreview {
            take_over: true,
            ..held
        })
        .unwrap();
    assert!(sent.starts_with("sent acknowledge"), "{sent}");
    // Nobody's: claimed, shown, dropped with esc (released), shown again and sent.
    let free = replies.preview(rows[1], "acknowledge", None).unwrap();
    assert_eq!(free.held_by, None);
    replies.drop_draft(free.draft_id);
    let free = replies.preview(rows[1], "acknowledge", None).unwrap();
    assert_eq!(free.held_by, None, "the dropped preview released its claim");
    replies.send(&free).unwrap();
    drop(replies);
    let servers = w.servers();
    assert_eq!(
        replies_delivered(&servers.0, &servers.1, &chasers),
        vec![1, 1]
    );
    drop(servers);
    let overridden = jo
        .events()
        .into_iter()
        .find(|e| e.kind == "claim_overridden")
        .expect("the take-over is in the record");
    assert!(
        overridden.detail.contains("Jo took over Maria's claim"),
        "{}",
        overridden.detail
    );
    jo.ok(&["sync"]);
    let store = Store::open(&jo.dir.join("duebox.db")).unwrap();
    for row in rows {
        let flags = store.message_place(row).unwrap().unwrap().flags;
        assert!(
            duebox::team::marks::marks(flags.split_whitespace(), chrono::Utc::now()).is_empty(),
            "released: {flags}"
        );
    }
}
