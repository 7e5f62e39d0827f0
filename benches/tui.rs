//! The terminal UI over a store of 100,000 messages: time to the first frame (the UI opens on
//! "To answer": folder and To-answer counts, the first page of the most urgent, drawn), the
//! same for a folder, keypress-to-frame for scrolling (j, PageDown, G/g) in a folder and in
//! To answer, opening a message (Enter) and its conversation (T), the search across all
//! folders (FTS5), the sort, and peak memory. Must hold: first frame < 150 ms, keypress p99 <
//! 10 ms, search median < 100 ms, peak RSS < 200 MB.
//!
//! `cargo bench --bench tui`. The store is built by a child process first, so the memory
//! figure is the UI's alone.

use duebox::store::{NewMessage, Store};
use duebox::sync::server::MailServer;
use duebox::tui::harness::Harness;
use duebox::tui::keymap::Keymap;
use duebox::tui::outbox_replies::OutboxReplies;
use duebox::tui::runner::Runner;
use duebox::tui::state::{folder_entries, App};
use duebox::tui::worker::{self, Connect, SyncSetup};
use std::path::Path;
use std::time::{Duration, Instant};

const MESSAGES: usize = 100_000;
const BUILD: &str = "DUEBOX_BENCH_BUILD";

const VENDORS: [&str; 8] = [
    "Acme Office Supplies Ltd",
    "Brennan Logistics Inc.",
    "Hartmann Industrietechnik GmbH",
    "Transports Rochefort SAS",
    "Suministros Navarro S.L.",
    "Van Dijk Verpakkingen B.V.",
    "Kestrel Print & Design Ltd",
    "Redwood Industrial Supply Co.",
];
const STAGES: [(&str, &str); 4] = [
    ("reminder", "Chasers/Reminders"),
    ("overdue", "Chasers/Overdue"),
    ("final", "Chasers/Final notices"),
    ("statement", "Chasers/Statements"),
];
const STATUSES: [&str; 5] = [
    "matched",
    "matched",
    "amount_mismatch",
    "unknown_invoice",
    "already_paid",
];

fn build(path: &Path) {
    let mut store = Store::open(path).expect("store");
    let base = chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    store
        .in_batch(|s| -> Result<(), duebox::store::StoreError> {
            let inbox = s.folder("INBOX")?.id;
            let folders: Vec<i64> = STAGES.iter().map(|(_, f)| s.folder(f).map(|f| f.id)).collect::<Result<_, _>>()?;
            for i in 0..MESSAGES {
                let vendor = VENDORS[i % VENDORS.len()];
                let chaser = i % 10 < 3;
                let stage = STAGES[i % 4];
                let invoice = format!("INV-{:06}", i / 3);
                let sent = base - chrono::Duration::minutes(15 * i as i64);
                let subject = if chaser {
                    format!("{} notice: invoice {invoice} from {vendor}", stage.0)
                } else {
                    format!("Order {i} update from {vendor}")
                };
                let raw = format!(
                    "Message-ID: <bench{i}@example.com>\r\nFrom: Accounts <ar{}@vendor{}.example>\r\nTo: ap@northwind.test\r\nSubject: {subject}\r\nDate: {}\r\n\r\nDear customer,\r\n\r\nOur records show invoice {invoice} for EUR 1,234.56 is open. Please arrange payment.\r\n\r\nKind regards,\r\n{vendor}\r\n",
                    i % 97,
                    i % VENDORS.len(),
                    sent.to_rfc2822()
                );
                // One message in ten is filed into a stage folder, the rest stay in the inbox.
                let folder = if chaser && i % 10 == 0 { folders[i % 4] } else { inbox };
                let m = NewMessage {
                    uid: i as u32 + 1,
                    message_id: Some(format!("<bench{i}@example.com>")),
                    flags: if i > 200 { "\\Seen".into() } else { String::new() },
                    size: raw.len() as u32,
                    raw: raw.into_bytes(),
                    sent_at: Some(duebox::store::timestamp(sent)),
                    from_addr: Some(format!("ar{}@vendor{}.example", i % 97, i % VENDORS.len())),
                    subject: Some(subject),
                    kind: Some(if chaser { "chaser" } else { "other" }.into()),
                    stage: chaser.then(|| stage.0.to_string()),
                    vendor: Some(vendor.into()),
                    invoices: Some(format!("[\"{invoice}\"]")),
                    amount: chaser.then(|| "1234.56".into()),
                    currency: chaser.then(|| "EUR".into()),
                    due_date: chaser.then(|| (sent.date_naive() - chrono::Days::new(30)).to_string()),
                    match_status: chaser.then(|| STATUSES[i % STATUSES.len()].into()),
                    reasons: "[\"overdue wording: \\\"overdue\\\"\"]".into(),
                    from_name: Some("Accounts".into()),
                    search_text: format!("Dear customer, our records show invoice {invoice} for EUR 1,234.56 is open. Please arrange payment. Kind regards, {vendor}"),
                    ..NewMessage::default()
                };
                s.store_message(folder, &m)?;
                let mid = format!("<bench{i}@example.com>");
                s.record_event("sync", "synced", Some(&mid), None, None, "INBOX")?;
                if chaser {
                    s.record_event("classifier", "classified", Some(&mid), Some(vendor), Some(&invoice), "overdue wording")?;
                }
            }
            Ok(())
        })
        .expect("bench store");
}

struct NoServer;

impl Connect for NoServer {
    fn connect(
        &mut self,
    ) -> Result<Box<dyn MailServer + Send>, duebox::sync::session::ConnectFailure> {
        Err("no server in the benchmark".into())
    }
    fn describe(&self) -> String {
        "bench".into()
    }
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

struct Figures(Vec<Duration>);

impl Figures {
    fn ms(&mut self, q: f64) -> f64 {
        self.0.sort();
        let i = ((self.0.len() as f64 - 1.0) * q).round() as usize;
        self.0[i].as_secs_f64() * 1000.0
    }
}

fn timed(h: &mut Harness, keys: &str, n: usize) -> Figures {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        h.press(keys);
        out.push(t.elapsed());
    }
    Figures(out)
}

fn main() {
    if let Some(path) = std::env::var_os(BUILD) {
        build(Path::new(&path));
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bench.db");
    let t = Instant::now();
    let built = std::process::Command::new(std::env::current_exe().unwrap())
        .env(BUILD, &db)
        .status()
        .expect("the builder runs");
    assert!(built.success(), "building the store failed");
    println!(
        "store of {MESSAGES} messages built in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let start = Instant::now();
    let (events, inbox) = std::sync::mpsc::channel();
    let (sync, _) = worker::spawn_sync(
        Box::new(NoServer),
        Store::open(&db).unwrap(),
        SyncSetup {
            folders: Default::default(),
            classify: duebox::demo::options(),
            fixed_today: true,
            interval: None,
            sent: Default::default(),
        },
        events.clone(),
    );
    let (reply, _) = worker::spawn_replies(
        {
            // The real reply layer, as the UI has it (never asked to send here).
            let store = Store::open(&db).unwrap();
            let ctx = duebox::send::ReplyContext {
                templates: duebox::reply::Templates::builtin_only(),
                identity: Default::default(),
                classify: duebox::demo::options(),
                index: store.payables_index().unwrap(),
            };
            Box::new(OutboxReplies::new(
                store,
                ctx,
                Ok(Box::new(duebox::demo::DemoTransport)),
                Box::new(|| None),
                "Sent".into(),
                false,
                today,
            ))
        },
        events.clone(),
        sync.clone(),
    );
    let (writes, _) = duebox::tui::writer::spawn_writer(Store::open(&db).unwrap(), events.clone());
    let runner = Runner::new(Store::open(&db).unwrap(), sync, reply, writes, today);
    let app = App::new(
        Keymap::default(),
        today,
        false,
        "bench".into(),
        folder_entries(&Default::default()),
    );
    let mut h = Harness::new(app, runner, inbox, 120, 40);
    let first = start.elapsed().as_secs_f64() * 1000.0;
    assert!(h.screen().contains("final notice"), "{}", h.screen());
    assert!(
        h.app.mailbox.list.kind == Some(duebox::tui::state::FolderKind::ToAnswer),
        "the UI opens on To answer"
    );
    h.settle(Duration::from_millis(50));

    // To answer: its keys, then the folder (Inbox, two rows down the pane).
    let mut ta_down = timed(&mut h, "j", 1000);
    let mut ta_page = timed(&mut h, "pagedown", 300);
    let mut ta_ends = timed(&mut h, "G", 25);
    ta_ends.0.extend(timed(&mut h, "g", 25).0);
    let mut thread = Figures(Vec::new());
    for _ in 0..100 {
        h.press("j");
        let t = Instant::now();
        h.press("T");
        thread.0.push(t.elapsed());
        assert!(h.screen().contains("Conversation"), "{}", h.screen());
        h.press("esc");
    }
    h.press("tab g j");
    let t = Instant::now();
    h.press("j");
    let folder_first = t.elapsed().as_secs_f64() * 1000.0;
    h.press("enter");
    assert_eq!(h.app.mailbox.list.folder, "INBOX");

    let mut down = timed(&mut h, "j", 3000);
    let mut page = timed(&mut h, "pagedown", 1000);
    let mut ends = timed(&mut h, "G", 50);
    ends.0.extend(timed(&mut h, "g", 50).0);
    let mut open = Figures(Vec::new());
    for _ in 0..200 {
        h.press("j");
        let t = Instant::now();
        h.press("enter");
        open.0.push(t.elapsed());
        h.press("esc");
    }
    h.press("g");
    let mut filter = Figures(Vec::new());
    for word in ["Brennan", "INV-0123", "no such text", "Order 9"] {
        h.press("/ ctrl-u");
        h.type_text(word);
        let t = Instant::now();
        h.press("enter");
        filter.0.push(t.elapsed());
    }
    let mut sort = Figures(Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        h.press("O");
        sort.0.push(t.elapsed());
    }
    // All folders, the last entry of the pane: the search across every folder.
    h.press("/ ctrl-u enter tab G enter");
    let mut search = Figures(Vec::new());
    for word in [
        "INV-012345",
        "Hartmann",
        "1,234.56",
        "arrange payment",
        "Order 77",
        "no such text",
        "Rochefort INV-00042",
    ] {
        h.press("/ ctrl-u");
        h.type_text(word);
        let t = Instant::now();
        h.press("enter");
        search.0.push(t.elapsed());
        assert!(
            word == "no such text" || !h.app.mailbox.list.is_empty(),
            "{word} finds mail"
        );
    }
    let mut counts = Figures(Vec::new());
    let store = Store::open(&db).unwrap();
    for _ in 0..10 {
        let t = Instant::now();
        store.folder_counts().unwrap();
        counts.0.push(t.elapsed());
    }
    let rss = peak_rss_mb();

    println!("first frame, To answer (open store, counts, first page, draw): {first:.1} ms");
    println!("first frame of a folder (Inbox, Enter on the pane):        {folder_first:.1} ms");
    let mut worst: f64 = 0.0;
    for (name, f) in [
        ("j (next line)", &mut down),
        ("PageDown", &mut page),
        ("G / g (bottom, top)", &mut ends),
        ("Enter (open message)", &mut open),
        ("To answer: j", &mut ta_down),
        ("To answer: PageDown", &mut ta_page),
        ("To answer: G / g", &mut ta_ends),
        ("T (open conversation)", &mut thread),
    ] {
        let (p50, p99, max) = (f.ms(0.5), f.ms(0.99), f.ms(1.0));
        worst = worst.max(p99);
        println!("keypress-to-frame {name:<22} median {p50:6.2} ms  p99 {p99:6.2} ms  max {max:6.2} ms  ({} presses)", f.0.len());
    }
    println!(
        "filter over 100,000 (Enter)            median {:6.1} ms  max {:6.1} ms",
        filter.ms(0.5),
        filter.ms(1.0)
    );
    let search_median = search.ms(0.5);
    println!(
        "search all folders (Enter)             median {search_median:6.1} ms  max {:6.1} ms",
        search.ms(1.0)
    );
    println!(
        "sort (O) over 100,000                  median {:6.1} ms  max {:6.1} ms",
        sort.ms(0.5),
        sort.ms(1.0)
    );
    println!(
        "folder counts (after every sync)       median {:6.1} ms",
        counts.ms(0.5)
    );
    println!("peak RSS: {rss:.1} MB");
    let ok = first < 150.0
        && folder_first < 150.0
        && worst < 10.0
        && search_median < 100.0
        && rss < 200.0;
    println!(
        "must hold (first frames < 150 ms, keypress p99 < 10 ms, search median < 100 ms, RSS < 200 MB): {}",
        if ok { "yes" } else { "NO" }
    );
    if !ok {
        std::process::exit(1);
    }
}
