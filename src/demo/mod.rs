//! The built-in demo: a realistic accounts-payable mailbox (40 messages: chasers at every
//! stage in five languages, statements, fraud attempts, ordinary mail; see data/MANIFEST.md)
//! and matching vendors and payables, loaded into a database in a temporary folder and an
//! in-process mail server. The messages go through the same sync, classification,
//! validation and filing as a real account's. No network, no config.

use crate::classify::Options;
use crate::config::Folders;
use crate::store::{Store, StoreError};
use crate::sync::engine::{sync_once, Report, Settings, SyncError};
use crate::sync::fake::FakeServer;
use crate::sync::server::{
    Capabilities, Fetched, FolderState, Identified, MailServer, ServerResult,
};
use chrono::NaiveDate;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// The day the demo's data is written for: due dates and ages are counted from it.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).expect("a valid date")
}

/// The demo company.
pub const COMPANY: &str = "Northwind Traders Ltd";
pub const MAILBOX: &str = "ap@northwind.test";

/// The messages, in delivery order.
pub const MESSAGES: &[(&str, &[u8])] = &[
    (
        "01-ironbridge-overdue.eml",
        include_bytes!("data/mailbox/01-ironbridge-overdue.eml"),
    ),
    (
        "02-hartmann-mahnung.eml",
        include_bytes!("data/mailbox/02-hartmann-mahnung.eml"),
    ),
    (
        "03-acme-overdue.eml",
        include_bytes!("data/mailbox/03-acme-overdue.eml"),
    ),
    (
        "04-hartmann-new-invoice.eml",
        include_bytes!("data/mailbox/04-hartmann-new-invoice.eml"),
    ),
    (
        "05-redwood-past-due.eml",
        include_bytes!("data/mailbox/05-redwood-past-due.eml"),
    ),
    (
        "06-latticecloud-payment-receipt.eml",
        include_bytes!("data/mailbox/06-latticecloud-payment-receipt.eml"),
    ),
    (
        "07-vandijk-betalingsherinnering.eml",
        include_bytes!("data/mailbox/07-vandijk-betalingsherinnering.eml"),
    ),
    (
        "08-rochefort-relance.eml",
        include_bytes!("data/mailbox/08-rochefort-relance.eml"),
    ),
    (
        "09-brennan-reminder.eml",
        include_bytes!("data/mailbox/09-brennan-reminder.eml"),
    ),
    (
        "10-harbourside-reminder.eml",
        include_bytes!("data/mailbox/10-harbourside-reminder.eml"),
    ),
    (
        "11-acme-statement.eml",
        include_bytes!("data/mailbox/11-acme-statement.eml"),
    ),
    (
        "12-brennan-statement.eml",
        include_bytes!("data/mailbox/12-brennan-statement.eml"),
    ),
    (
        "13-harbourside-thanks.eml",
        include_bytes!("data/mailbox/13-harbourside-thanks.eml"),
    ),
    (
        "14-mueller-mahnung-unknown.eml",
        include_bytes!("data/mailbox/14-mueller-mahnung-unknown.eml"),
    ),
    (
        "15-kestrel-statement-html.eml",
        include_bytes!("data/mailbox/15-kestrel-statement-html.eml"),
    ),
    (
        "16-rochefort-re-relance.eml",
        include_bytes!("data/mailbox/16-rochefort-re-relance.eml"),
    ),
    (
        "17-vantage-meeting-invite.eml",
        include_bytes!("data/mailbox/17-vantage-meeting-invite.eml"),
    ),
    (
        "18-brennan-re-any-update.eml",
        include_bytes!("data/mailbox/18-brennan-re-any-update.eml"),
    ),
    (
        "19-navarro-tarifas-2027.eml",
        include_bytes!("data/mailbox/19-navarro-tarifas-2027.eml"),
    ),
    (
        "20-ironbridge-final-notice.eml",
        include_bytes!("data/mailbox/20-ironbridge-final-notice.eml"),
    ),
    (
        "21-kestrel-credit-note.eml",
        include_bytes!("data/mailbox/21-kestrel-credit-note.eml"),
    ),
    (
        "22-acme-dispatch-notice.eml",
        include_bytes!("data/mailbox/22-acme-dispatch-notice.eml"),
    ),
    (
        "23-hartmann-letzte-mahnung.eml",
        include_bytes!("data/mailbox/23-hartmann-letzte-mahnung.eml"),
    ),
    (
        "24-navarro-recordatorio.eml",
        include_bytes!("data/mailbox/24-navarro-recordatorio.eml"),
    ),
    (
        "25-kestrel-auto-reply.eml",
        include_bytes!("data/mailbox/25-kestrel-auto-reply.eml"),
    ),
    (
        "26-latticecloud-reminder-unknown.eml",
        include_bytes!("data/mailbox/26-latticecloud-reminder-unknown.eml"),
    ),
    (
        "27-mueller-zahlungserinnerung.eml",
        include_bytes!("data/mailbox/27-mueller-zahlungserinnerung.eml"),
    ),
    (
        "28-redwood-final-notice.eml",
        include_bytes!("data/mailbox/28-redwood-final-notice.eml"),
    ),
    (
        "29-vantage-overdue-already-paid.eml",
        include_bytes!("data/mailbox/29-vantage-overdue-already-paid.eml"),
    ),
    (
        "30-harbourside-re-replyto-freemail.eml",
        include_bytes!("data/mailbox/30-harbourside-re-replyto-freemail.eml"),
    ),
    (
        "31-vandijk-new-bank-details.eml",
        include_bytes!("data/mailbox/31-vandijk-new-bank-details.eml"),
    ),
    (
        "32-rochefort-mise-en-demeure.eml",
        include_bytes!("data/mailbox/32-rochefort-mise-en-demeure.eml"),
    ),
    (
        "33-acme-friendly-reminder.eml",
        include_bytes!("data/mailbox/33-acme-friendly-reminder.eml"),
    ),
    (
        "34-ledgerpulse-newsletter.eml",
        include_bytes!("data/mailbox/34-ledgerpulse-newsletter.eml"),
    ),
    (
        "35-acme-lookalike-bank-change.eml",
        include_bytes!("data/mailbox/35-acme-lookalike-bank-change.eml"),
    ),
    (
        "36-navarro-segundo-aviso-paid.eml",
        include_bytes!("data/mailbox/36-navarro-segundo-aviso-paid.eml"),
    ),
    (
        "37-acme-new-invoice-pdf.eml",
        include_bytes!("data/mailbox/37-acme-new-invoice-pdf.eml"),
    ),
    (
        "38-internal-payment-run.eml",
        include_bytes!("data/mailbox/38-internal-payment-run.eml"),
    ),
    (
        "39-ironbridge-reminder.eml",
        include_bytes!("data/mailbox/39-ironbridge-reminder.eml"),
    ),
    (
        "40-rochefort-rappel-echeance.eml",
        include_bytes!("data/mailbox/40-rochefort-rappel-echeance.eml"),
    ),
];

const PAYABLES: &str = include_str!("data/payables.csv");
const VENDORS: &str = include_str!("data/vendors.csv");

/// When the payables the data marks as scheduled are to be paid (the payment runs its
/// manifest names; the CSV contract has no column for it).
const PAYMENT_RUNS: &[(&str, &str, &str)] = &[
    ("Vantage Telecom Ltd", "VT-89311", "2026-11-24"),
    ("Brennan Logistics Inc.", "58907", "2026-11-27"),
    ("Harbourside Catering Ltd", "HC-2026-0344", "2026-11-27"),
    (
        "Ironbridge Security Services Ltd",
        "IBS/26/0902",
        "2026-11-27",
    ),
];

/// Who "we" are in the demo, on its fixed day.
pub fn options() -> Options {
    Options {
        own_domains: vec!["northwind.test".into()],
        own_names: vec![COMPANY.into()],
        today: today(),
    }
}

/// Why the demo could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot make a temporary folder for the demo: {0}; check that $TMPDIR is writable")]
    TempDir(std::io::Error),
    #[error("the demo's built-in data is broken: {0}; this is a bug in duebox, please report it")]
    Data(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the demo's first sync failed: {0}")]
    Sync(#[from] SyncError),
}

/// A mail server shared between the demo's sync worker and whoever looks at it (tests).
#[derive(Clone, Default)]
pub struct SharedServer(pub Arc<Mutex<FakeServer>>);

impl SharedServer {
    pub fn lock(&self) -> MutexGuard<'_, FakeServer> {
        // A panic elsewhere while holding the lock leaves the fake usable for looking at.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl MailServer for SharedServer {
    fn capabilities(&self) -> Capabilities {
        self.lock().capabilities()
    }
    fn ensure_folder(&mut self, folder: &str) -> ServerResult<()> {
        self.lock().ensure_folder(folder)
    }
    fn folder_exists(&mut self, folder: &str) -> ServerResult<bool> {
        self.lock().folder_exists(folder)
    }
    fn select(&mut self, folder: &str) -> ServerResult<FolderState> {
        self.lock().select(folder)
    }
    fn all_uids(&mut self) -> ServerResult<Vec<u32>> {
        self.lock().all_uids()
    }
    fn flags(
        &mut self,
        uids: &str,
        changed_since: Option<u64>,
    ) -> ServerResult<Vec<(u32, Vec<String>)>> {
        self.lock().flags(uids, changed_since)
    }
    fn fetch(&mut self, uids: &[u32]) -> ServerResult<Vec<Fetched>> {
        self.lock().fetch(uids)
    }
    fn fetch_message_ids(&mut self, uids: &[u32]) -> ServerResult<Vec<Identified>> {
        self.lock().fetch_message_ids(uids)
    }
    fn search_message_id(&mut self, message_id: &str) -> ServerResult<Vec<u32>> {
        self.lock().search_message_id(message_id)
    }
    fn search_answers(
        &mut self,
        message_id: &str,
        or_message_id: Option<&str>,
        except: &[String],
    ) -> ServerResult<Vec<u32>> {
        self.lock()
            .search_answers(message_id, or_message_id, except)
    }
    fn add_flags(&mut self, uids: &[u32], flags: &[&str]) -> ServerResult<()> {
        self.lock().add_flags(uids, flags)
    }
    fn claim(&mut self, uids: &[u32], flags: &[&str], modseq: u64) -> ServerResult<Vec<u32>> {
        self.lock().claim(uids, flags, modseq)
    }
    fn move_to(&mut self, uids: &[u32], folder: &str) -> ServerResult<()> {
        self.lock().move_to(uids, folder)
    }
    fn copy_to(&mut self, uids: &[u32], folder: &str) -> ServerResult<()> {
        self.lock().copy_to(uids, folder)
    }
    fn delete(&mut self, uids: &[u32]) -> ServerResult<()> {
        self.lock().delete(uids)
    }
    fn append(&mut self, folder: &str, flags: &[&str], raw: &[u8]) -> ServerResult<()> {
        self.lock().append(folder, flags, raw)
    }
}

/// The demo's "SMTP server": keeps nothing, sends nothing. Replies are still written to the
/// outbox (marked as the demo's) and shown in Sent as not sent.
pub struct DemoTransport;

impl crate::smtp::Transport for DemoTransport {
    fn send(
        &mut self,
        _from: &str,
        _to: &str,
        _raw: &[u8],
    ) -> Result<String, crate::smtp::SendError> {
        Ok("filed in the demo outbox; not sent".into())
    }
    fn delivers(&self) -> bool {
        false
    }
}

/// The demo's templates: the built-ins, and copies edited in the demo, kept in its temp dir
/// (never the user's own folder: the demo writes nothing outside its temp dir).
pub fn templates(demo: &Demo) -> crate::reply::Templates {
    crate::reply::Templates {
        user_dir: Some(demo.dir.path().join("templates")),
    }
}

/// The demo's reply layer: the real templates and outbox, with [`DemoTransport`] for SMTP.
pub fn replies(demo: &Demo) -> Result<crate::tui::outbox_replies::OutboxReplies, StoreError> {
    let store = demo.open_store()?;
    let ctx = crate::send::ReplyContext {
        templates: templates(demo),
        identity: crate::reply::Identity {
            from: format!("Northwind Accounts Payable <{MAILBOX}>"),
            company: COMPANY.into(),
            signature: format!("Accounts Payable\n{COMPANY}"),
            approver: Some("Finance Director <finance@northwind.test>".into()),
            ..Default::default()
        },
        classify: options(),
        index: store.payables_index()?,
    };
    let server = demo.server.clone();
    Ok(crate::tui::outbox_replies::OutboxReplies::new(
        store,
        ctx,
        Ok(Box::new(DemoTransport)),
        Box::new(move || Some(Box::new(server.clone()) as Box<dyn MailServer + Send>)),
        "Sent".into(),
        false,
        today(),
    ))
}

/// The demo, loaded and synced once.
pub struct Demo {
    /// Holds the database; removed when the demo is dropped.
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub server: SharedServer,
    pub folders: Folders,
    pub report: Report,
}

impl Demo {
    /// Another connection to the demo's database (the UI and each worker have their own).
    pub fn open_store(&self) -> Result<Store, StoreError> {
        Store::open(&self.db)
    }
}

/// Sets the demo up: database, vendors, payables, the mailbox delivered and synced.
pub fn load() -> Result<Demo, DemoError> {
    let dir = tempfile::Builder::new()
        .prefix("duebox-demo-")
        .tempdir()
        .map_err(DemoError::TempDir)?;
    let db = dir.path().join("demo.db");
    let mut store = Store::open(&db)?;
    let vendors = crate::payables::vendors::read_vendors_csv(VENDORS.as_bytes())
        .map_err(|e| DemoError::Data(e.to_string()))?;
    let payables = crate::payables::read_csv(PAYABLES.as_bytes())
        .map_err(|e| DemoError::Data(e.to_string()))?;
    store.import_payables(&payables)?;
    store.import_vendors(&vendors)?;
    for (vendor, invoice, on) in PAYMENT_RUNS {
        let on = NaiveDate::parse_from_str(on, "%Y-%m-%d")
            .map_err(|e| DemoError::Data(e.to_string()))?;
        store
            .schedule(invoice, Some(vendor), on)
            .map_err(|e| DemoError::Data(e.to_string()))?;
    }
    let mut fake = FakeServer::new();
    // What an AP clerk has already looked at: everything older than a few days.
    let seen_before = today() - chrono::Days::new(4);
    for (_, raw) in MESSAGES {
        let uid = fake.deliver("INBOX", raw);
        let old = crate::mail::parse(raw)
            .ok()
            .and_then(|m| m.date)
            .is_some_and(|d| d.date_naive() < seen_before);
        if old {
            fake.set_flags_as_other_client("INBOX", uid, &["\\Seen"]);
        }
    }
    let server = SharedServer(Arc::new(Mutex::new(fake)));
    let folders = Folders::default();
    let index = store.payables_index()?;
    let opts = options();
    let settings = Settings {
        folders: &folders,
        classify: &opts,
        index: &index,
    };
    let report = sync_once(&mut server.clone(), &mut store, &settings, &mut |_| {})?;
    Ok(Demo {
        dir,
        db,
        server,
        folders,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_data_folder_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/demo/data/mailbox");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = MESSAGES.iter().map(|(n, _)| *n).collect();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn loads_files_and_flags_through_the_real_sync() {
        let demo = load().unwrap();
        assert_eq!(demo.report.new, MESSAGES.len(), "{:?}", demo.report);
        assert!(
            demo.report.held >= 3,
            "the fraud attempts wait for review: {:?}",
            demo.report
        );
        let store = demo.open_store().unwrap();
        let counts = store.folder_counts().unwrap();
        let in_folder = |name: &str| {
            counts
                .iter()
                .find(|c| c.name == name)
                .map_or(0, |c| c.total)
        };
        assert!(in_folder("Chasers/Overdue") > 0 && in_folder("Chasers/Reminders") > 0);
        assert!(in_folder("Chasers/Final notices") > 0 && in_folder("Chasers/Statements") > 0);
        assert_eq!(
            counts.iter().map(|c| c.total).sum::<u64>(),
            MESSAGES.len() as u64
        );
    }
}
