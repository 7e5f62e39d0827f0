//! The daily digest through a real Postfix into a real Dovecot, driven through the `duebox`
//! binary: `sync --watch` started four times on one day (three restarts) sends exactly one
//! digest to the approver, listing exactly the open payables due within the window.

#[path = "common/dovecot.rs"]
mod dovecot;
#[path = "common/postfix.rs"]
mod postfix;

use dovecot::PASSWORD;
use postfix::Postfix;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const AP: &str = "ap@example.test";
const APPROVER: &str = "ap@northwind.test";

fn write_config(dir: &Path, d: &dovecot::Dovecot, p: &Postfix) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    let config = format!(
        "[company]\nname = \"Northwind Traders Ltd\"\ndomains = [\"example.test\"]\n\n\
         [database]\npath = \"{db}\"\n\n\
         [imap]\nhost = \"127.0.0.1\"\nport = {imap}\nsecurity = \"tls\"\nlogin = \"{AP}\"\npassword_env = \"DUEBOX_TEST_PASSWORD\"\nca_file = \"{ca}\"\n\n\
         [sync]\ninterval = 10\n\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {smtp}\nsecurity = \"starttls\"\nca_file = \"{smtp_ca}\"\n\n\
         [reply]\nfrom = \"Northwind Accounts Payable <{AP}>\"\napprover = \"Finance Director <{APPROVER}>\"\n\n\
         [digest]\nenabled = true\nwithin_days = 7\n",
        db = dir.join("duebox.db").display(),
        imap = d.tls_port(),
        ca = d.ca_file().display(),
        smtp = p.port(),
        smtp_ca = p.ca_file().display(),
    );
    std::fs::write(&path, config).unwrap();
    path
}

fn duebox(config: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_duebox"));
    cmd.arg("--config")
        .arg(config)
        .env("XDG_CONFIG_HOME", home.join("xdg"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("DUEBOX_TEST_PASSWORD", PASSWORD);
    cmd
}

/// Runs `sync --watch` until its first pass (and the digest step after it) is done, then
/// stops it with SIGTERM, as a restart or a shutdown would.
fn watch_once(config: &Path, home: &Path, wait_for_digest: bool) -> Vec<String> {
    let mut child = duebox(config, home)
        .args(["sync", "--watch"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let start = Instant::now();
    let needle = if wait_for_digest {
        "digest: sent"
    } else {
        "sync: "
    };
    while !seen.iter().any(|l: &String| l.contains(needle)) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no '{needle}': {seen:#?}"
        );
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.push(line);
        }
    }
    // The digest step runs right after the pass; give it the time a send takes.
    std::thread::sleep(Duration::from_millis(700));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    seen.extend(rx.try_iter());
    assert!(status.success(), "{status:?}: {seen:#?}");
    seen
}

#[test]
fn a_watcher_restarted_three_times_in_a_day_sends_one_digest_of_what_falls_due() {
    let (dovecot, postfix) = Postfix::start_pair();
    let home = tempfile::tempdir().unwrap();
    let config = write_config(home.path(), &dovecot, &postfix);
    let today = chrono::Local::now().date_naive();
    let day = |offset: i64| (today + chrono::Duration::days(offset)).to_string();
    let issued = day(-40);
    // In the window: overdue, due today, due in 6 days. Outside it or not to list: due in
    // 12 days, scheduled, paid, disputed, a credit note.
    let rows = [
        (
            "Acme Office Supplies Ltd",
            "billing@acme-office.co.uk",
            "INV-DUE-1",
            "1234.56",
            "GBP",
            day(-3),
            "open",
            "",
        ),
        (
            "Schäfer Verpackungen GmbH",
            "buchhaltung@schaefer-verpackungen.de",
            "RE-DUE-2",
            "880.00",
            "EUR",
            day(0),
            "open",
            "",
        ),
        (
            "Brennan Logistics Inc",
            "ar@brennan-logistics.com",
            "BL-DUE-3",
            "2310.00",
            "USD",
            day(6),
            "open",
            "",
        ),
        (
            "Brennan Logistics Inc",
            "ar@brennan-logistics.com",
            "BL-LATER-4",
            "99.00",
            "USD",
            day(12),
            "open",
            "",
        ),
        (
            "Acme Office Supplies Ltd",
            "billing@acme-office.co.uk",
            "INV-SCHED-5",
            "50.00",
            "GBP",
            day(2),
            "scheduled",
            "",
        ),
        (
            "Acme Office Supplies Ltd",
            "billing@acme-office.co.uk",
            "INV-PAID-6",
            "75.00",
            "GBP",
            day(1),
            "paid",
            &day(-1),
        ),
        (
            "Acme Office Supplies Ltd",
            "billing@acme-office.co.uk",
            "INV-DISP-7",
            "60.00",
            "GBP",
            day(1),
            "disputed",
            "",
        ),
    ];
    let mut csv = String::from(
        "vendor,vendor_email,invoice_number,amount,currency,issue_date,due_date,status,paid_on,reference\n",
    );
    for (vendor, email, invoice, amount, currency, due, status, paid) in &rows {
        csv.push_str(&format!(
            "{vendor},{email},{invoice},{amount},{currency},{issued},{due},{status},{paid},\n"
        ));
    }
    let file = home.path().join("payables.csv");
    std::fs::write(&file, csv).unwrap();
    let out = duebox(&config, home.path())
        .args(["payables", "import"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let first = watch_once(&config, home.path(), true);
    assert!(
        first
            .iter()
            .any(|l| l.contains("digest: sent the payables due (3)")),
        "{first:#?}"
    );
    for _ in 0..3 {
        let again = watch_once(&config, home.path(), false);
        assert!(
            !again.iter().any(|l| l.contains("digest: sent")),
            "{again:#?}"
        );
    }
    let delivered = postfix.wait_delivered(&dovecot, APPROVER, "INBOX", 1, Duration::from_secs(15));
    // Anything sent twice would have arrived by now.
    std::thread::sleep(Duration::from_secs(2));
    assert!(postfix.wait_queue_empty(Duration::from_secs(10)));
    let delivered_now =
        postfix.wait_delivered(&dovecot, APPROVER, "INBOX", 1, Duration::from_secs(1));
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered_now.len(), 1, "exactly one digest");
    let raw = std::fs::read(&delivered_now[0]).unwrap();
    let message = duebox::mail::parse(&raw).unwrap();
    let body = message.body.clone();
    assert_eq!(
        message.message_id.as_deref().unwrap(),
        format!("digest-{today}.duebox@example.test")
    );
    assert!(
        message.subject.contains("3 to pay or schedule"),
        "{}",
        message.subject
    );
    for listed in ["INV-DUE-1", "RE-DUE-2", "BL-DUE-3"] {
        assert!(body.contains(listed), "{listed} missing from:\n{body}");
    }
    for not_listed in ["BL-LATER-4", "INV-SCHED-5", "INV-PAID-6", "INV-DISP-7"] {
        assert!(
            !body.contains(not_listed),
            "{not_listed} listed in:\n{body}"
        );
    }
    assert!(
        body.contains("3 days overdue") && body.contains("due today"),
        "{body}"
    );
    // The outbox has the one digest, sent, and the record says so.
    let out = duebox(&config, home.path())
        .args(["outbox", "list"])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(list.matches("digest").count(), 1, "{list}");
}
