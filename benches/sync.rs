//! Sync speed against a real Dovecot (started here on 127.0.0.1, as in the tests): fills a
//! mailbox with generated messages (2–50 KB, ~30% chasers), then times
//! (a) `duebox sync`'s first pass (fetch, classify, validate, store, file),
//! (b) a second pass with nothing new, and
//! (c) mbsync (Debian `isync`) copying the same mailbox into a Maildir,
//! and prints (a)/(c) and duebox's peak memory. Needs the release binary, dovecot and mbsync:
//! `cargo build --release && cargo bench --bench sync` (optionally `-- N` messages).

#[path = "corpus_gen.rs"]
mod corpus_gen;
#[path = "../tests/common/dovecot.rs"]
mod dovecot;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Runs a command under /usr/bin/time; returns (seconds, peak RSS in MB, stdout).
fn timed(cmd: &mut Command) -> (f64, f64, String) {
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let envs: Vec<_> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("RSS_KB=%M")
        .arg(&program)
        .args(&args)
        .envs(envs)
        .output()
        .expect("/usr/bin/time runs (apt-get install -y time)");
    let secs = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{program:?} failed: {stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let rss = stderr
        .lines()
        .find_map(|l| l.strip_prefix("RSS_KB="))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0;
    (secs, rss, String::from_utf8_lossy(&out.stdout).to_string())
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/duebox");
    assert!(
        binary.exists(),
        "build the release binary first: cargo build --release"
    );
    let d = dovecot::Dovecot::start();
    let corpus = corpus_gen::generate(n, 2026);
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    for raw in &corpus {
        d.deliver(d.user(), "INBOX", raw);
    }
    println!(
        "mailbox: {n} messages, {:.1} MB, Dovecot {} on 127.0.0.1",
        bytes as f64 / 1e6,
        d.version()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[company]\nname = \"Northwind Traders\"\ndomains = [\"northwind-traders.com\"]\n\
             [imap]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"tls\"\nlogin = \"{}\"\n\
             password_env = \"DUEBOX_BENCH_PASSWORD\"\nca_file = \"{}\"\n",
            d.tls_port(),
            d.user(),
            d.ca_file().display()
        ),
    )
    .expect("config");
    let db = dir.path().join("duebox.db");
    let duebox = || {
        let mut cmd = Command::new(&binary);
        cmd.arg("--config")
            .arg(&config)
            .arg("--db")
            .arg(&db)
            .arg("sync")
            .env("DUEBOX_BENCH_PASSWORD", dovecot::PASSWORD);
        cmd
    };
    // mbsync first, so both see the mailbox before duebox files anything out of INBOX.
    let maildir = dir.path().join("mbsync-maildir");
    std::fs::create_dir_all(&maildir).expect("maildir");
    let rc = dir.path().join("mbsyncrc");
    std::fs::write(
        &rc,
        format!(
            "IMAPAccount bench\nHost 127.0.0.1\nPort {}\nUser {}\nPass {}\nSSLType IMAPS\nCertificateFile {}\n\n\
             IMAPStore remote\nAccount bench\n\n\
             MaildirStore local\nPath {}/\nInbox {}/INBOX\n\n\
             Channel bench\nFar :remote:\nNear :local:\nPatterns INBOX\nCreate Near\nSync Pull\nSyncState *\n",
            d.tls_port(),
            d.user(),
            dovecot::PASSWORD,
            d.ca_file().display(),
            maildir.display(),
            maildir.display()
        ),
    )
    .expect("mbsyncrc");
    let (mbsync, _, _) = timed(
        Command::new("mbsync")
            .arg("-c")
            .arg(&rc)
            .arg("-q")
            .arg("bench"),
    );
    let (mbsync_again, _, _) = timed(
        Command::new("mbsync")
            .arg("-c")
            .arg(&rc)
            .arg("-q")
            .arg("bench"),
    );
    let (first, first_rss, first_out) = timed(&mut duebox());
    let (second, second_rss, second_out) = timed(&mut duebox());
    println!(
        "(a) duebox sync, first pass:  {first:.2} s, peak RSS {first_rss:.0} MB — {}",
        first_out.trim()
    );
    println!(
        "(b) duebox sync, nothing new: {second:.3} s, peak RSS {second_rss:.0} MB — {}",
        second_out.trim()
    );
    println!("(c) mbsync, first pass:       {mbsync:.2} s (no-change pass {mbsync_again:.3} s)");
    println!("(a)/(c) = {:.2}", first / mbsync);
}
