//! Sync speed against a real Dovecot (started here on 127.0.0.1, as in the tests), in one
//! invocation, for each mailbox size (default 10,000 and 100,000 generated messages, 2–50 KB,
//! ~30% chasers), runs interleaved round by round, in the order (r), (a), (b), (m):
//! (r) the raw limit: one `UID FETCH 1:* BODY.PEEK[]` over TLS by a minimal client,
//! (m) mbsync (Debian `isync`) into a fresh Maildir, `FSync no` and `FSync yes`,
//! (a) `duebox sync`'s first pass (fetch, classify, validate, store, file) and
//! (b) its no-change pass,
//! then prints medians, peak RSS, the ratios the issue sets (a/r, a/m, a at 100k / a at 10k)
//! and the load average. The mailbox is put back between rounds from a hard-linked pristine
//! copy (duebox files mail out of INBOX). Needs the release binary, dovecot and mbsync:
//! `cargo build --release && cargo bench --bench sync [-- SIZES… [--rounds N]]`; with
//! `DUEBOX_BENCH_PROFILE=PREFIX`, one more first pass and no-change pass per size run under
//! `perf record` (PREFIX-SIZE-first.data, PREFIX-SIZE-again.data).

#[path = "corpus_gen.rs"]
mod corpus_gen;
#[path = "../tests/common/dovecot.rs"]
mod dovecot;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Runs a command under /usr/bin/time; returns (seconds, peak RSS in MiB, stdout).
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

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The raw limit: log in over TLS, select INBOX, one `UID FETCH 1:* BODY.PEEK[]`, reading every
/// literal as bytes and nothing else; returns the bytes of mail received.
fn raw_fetch(d: &dovecot::Dovecot) -> usize {
    let config = duebox::imap::tls::client_config(Some(&d.ca_file())).expect("TLS config");
    let tcp = std::net::TcpStream::connect(("127.0.0.1", d.tls_port())).expect("connect");
    let mut s = duebox::imap::tls::handshake(config, "127.0.0.1", tcp).expect("TLS");
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut chunk = vec![0u8; 1 << 16];
    let mut at = 0;
    let mut body = 0;
    // Reads until the tagged line `tag`, skipping literals; returns the literal bytes seen.
    let mut until = |s: &mut duebox::imap::tls::Stream, tag: &[u8]| -> usize {
        let mut seen = 0;
        loop {
            while let Some(nl) = buf[at..].iter().position(|&b| b == b'\n') {
                let line = &buf[at..at + nl + 1];
                let trimmed = line.strip_suffix(b"\r\n").unwrap_or(line);
                if line.starts_with(tag) {
                    buf.drain(..at + nl + 1);
                    at = 0;
                    return seen;
                }
                let literal = trimmed
                    .strip_suffix(b"}")
                    .and_then(|t| t.iter().rposition(|&b| b == b'{').map(|o| &t[o + 1..]))
                    .and_then(|n| std::str::from_utf8(n).ok()?.parse::<usize>().ok());
                at += nl + 1;
                if let Some(n) = literal {
                    while buf.len() < at + n {
                        let k = s.read(&mut chunk).expect("read");
                        assert!(k > 0, "the server closed the connection");
                        buf.extend_from_slice(&chunk[..k]);
                    }
                    at += n;
                    seen += n;
                }
                if at > 1 << 20 {
                    buf.drain(..at);
                    at = 0;
                }
            }
            let k = s.read(&mut chunk).expect("read");
            assert!(k > 0, "the server closed the connection");
            buf.extend_from_slice(&chunk[..k]);
        }
    };
    until(&mut s, b"* OK");
    for (tag, command) in [
        ("a1", format!("LOGIN {} {}", d.user(), dovecot::PASSWORD)),
        ("a2", "SELECT INBOX".to_string()),
        ("a3", "UID FETCH 1:* BODY.PEEK[]".to_string()),
    ] {
        s.write_all(format!("{tag} {command}\r\n").as_bytes())
            .expect("write");
        let n = until(&mut s, format!("{tag} ").as_bytes());
        if tag == "a3" {
            body = n;
        }
    }
    let _ = s.write_all(b"a4 LOGOUT\r\n");
    body
}

fn mbsync(d: &dovecot::Dovecot, dir: &Path, fsync: bool) -> f64 {
    let maildir = dir.join("mbsync-maildir");
    let _ = std::fs::remove_dir_all(&maildir);
    std::fs::create_dir_all(&maildir).expect("maildir");
    let rc = dir.join("mbsyncrc");
    std::fs::write(
        &rc,
        format!(
            "FSync {}\n\nIMAPAccount bench\nHost 127.0.0.1\nPort {}\nUser {}\nPass {}\nSSLType IMAPS\nCertificateFile {}\n\n\
             IMAPStore remote\nAccount bench\n\n\
             MaildirStore local\nPath {}/\nInbox {}/INBOX\n\n\
             Channel bench\nFar :remote:\nNear :local:\nPatterns INBOX\nCreate Near\nSync Pull\nSyncState *\n",
            if fsync { "yes" } else { "no" },
            d.tls_port(),
            d.user(),
            dovecot::PASSWORD,
            d.ca_file().display(),
            maildir.display(),
            maildir.display()
        ),
    )
    .expect("mbsyncrc");
    let (secs, _, _) = timed(
        Command::new("mbsync")
            .arg("-c")
            .arg(&rc)
            .arg("-q")
            .arg("bench"),
    );
    // Set aside, deleted with the temp dir after the figures are printed: unlinking 100,000
    // files takes minutes on a busy disk, and would only make the run longer.
    static DONE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = DONE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    std::fs::rename(&maildir, dir.join(format!("mbsync-done-{n}"))).expect("set aside");
    secs
}

/// The maildir as it was delivered, hard-linked (Dovecot renames and unlinks, never rewrites).
fn restore(d: &mut dovecot::Dovecot, pristine: &Path) {
    d.stop();
    let maildir = d.maildir(d.user());
    std::fs::remove_dir_all(&maildir).expect("remove maildir");
    let ok = Command::new("cp")
        .arg("-al")
        .arg(pristine)
        .arg(&maildir)
        .status()
        .expect("cp");
    assert!(ok.success());
    d.restart();
}

struct Figures {
    n: usize,
    mb: f64,
    raw: Vec<f64>,
    mbsync_no: Vec<f64>,
    mbsync_yes: Vec<f64>,
    first: Vec<f64>,
    again: Vec<f64>,
    rss: f64,
    summary: String,
    /// The server and the temp dir, dropped (mailboxes deleted) after the figures are printed.
    _keep: Option<(dovecot::Dovecot, tempfile::TempDir)>,
}

fn bench(n: usize, rounds: usize, binary: &Path) -> Figures {
    let mut d = dovecot::Dovecot::start();
    let mut bytes = 0;
    for raw in corpus_gen::messages(n, 2026) {
        bytes += raw.len();
        d.deliver(d.user(), "INBOX", &raw);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let pristine: PathBuf = dir.path().join("pristine");
    d.stop();
    let ok = Command::new("cp")
        .arg("-al")
        .arg(d.maildir(d.user()))
        .arg(&pristine)
        .status()
        .expect("cp");
    assert!(ok.success());
    d.restart();
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
    let mut f = Figures {
        n,
        mb: bytes as f64 / 1e6,
        raw: Vec::new(),
        mbsync_no: Vec::new(),
        mbsync_yes: Vec::new(),
        first: Vec::new(),
        again: Vec::new(),
        rss: 0.0,
        summary: String::new(),
        _keep: None,
    };
    for round in 0..rounds {
        if round > 0 {
            restore(&mut d, &pristine);
        }
        // Untimed: Dovecot builds its index of the (restored) maildir here, for every peer.
        assert_eq!(raw_fetch(&d) > 0, n > 0);
        let start = Instant::now();
        let got = raw_fetch(&d);
        f.raw.push(start.elapsed().as_secs_f64());
        assert!(got >= bytes, "raw fetch got {got} of {bytes} bytes");
        let db = dir.path().join(format!("duebox-{round}.db"));
        let duebox = || {
            let mut cmd = Command::new(binary);
            cmd.arg("--config")
                .arg(&config)
                .arg("--db")
                .arg(&db)
                .arg("sync")
                .env("DUEBOX_BENCH_PASSWORD", dovecot::PASSWORD);
            cmd
        };
        let (first, rss, out) = timed(&mut duebox());
        assert!(
            out.contains(&format!("sync: {n} new")),
            "the first pass did not sync all {n}: {out}"
        );
        let (again, again_rss, again_out) = timed(&mut duebox());
        assert!(again_out.contains("sync: 0 new, 0 filed"), "{again_out}");
        f.first.push(first);
        f.again.push(again);
        f.rss = f.rss.max(rss).max(again_rss);
        f.summary = out.trim().to_string();
        let _ = std::fs::remove_file(&db);
        eprintln!(
            "  {n}: round {round}: duebox {first:.2} s + {again:.3} s, peak RSS {:.0} MiB (load {})",
            rss.max(again_rss),
            load()
        );
        f.mbsync_no.push(mbsync(&d, dir.path(), false));
        f.mbsync_yes.push(mbsync(&d, dir.path(), true));
        eprintln!(
            "  {n}: round {round}: raw {:.2} s, mbsync {:.2}/{:.2} s, duebox {first:.2} s + {again:.3} s, peak RSS {:.0} MiB (load {})",
            f.raw[round],
            f.mbsync_no[round],
            f.mbsync_yes[round],
            rss.max(again_rss),
            load()
        );
    }
    if let Ok(prefix) = std::env::var("DUEBOX_BENCH_PROFILE") {
        // One more first pass and its no-change pass, untimed, under `perf record`: where
        // the time goes.
        restore(&mut d, &pristine);
        assert!(raw_fetch(&d) > 0);
        let db = dir.path().join("duebox-profiled.db");
        for pass in ["first", "again"] {
            let data = format!("{prefix}-{n}-{pass}.data");
            let status = Command::new("perf")
                .args(["record", "-F", "499", "-g", "-o", &data, "--"])
                .arg(binary)
                .arg("--config")
                .arg(&config)
                .arg("--db")
                .arg(&db)
                .arg("sync")
                .env("DUEBOX_BENCH_PASSWORD", dovecot::PASSWORD)
                .status()
                .expect("perf runs (apt-get install linux-perf)");
            assert!(status.success());
            eprintln!("  profile of the {pass} pass at {n}: {data} (perf report -i {data})");
        }
        let _ = std::fs::remove_file(&db);
    }
    f._keep = Some((d, dir));
    f
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1)?.parse().ok());
    let mut sizes: Vec<usize> = args
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || args[i - 1] != "--rounds")
        .filter_map(|(_, a)| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = vec![10_000, 100_000];
    }
    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/duebox");
    assert!(
        binary.exists(),
        "build the release binary first: cargo build --release"
    );
    println!("load average at start: {}", load());
    let mut all = Vec::new();
    for &n in &sizes {
        // Large mailboxes once: a round at 100,000 takes minutes.
        let r = rounds.unwrap_or(if n > 20_000 { 1 } else { 3 });
        all.push(bench(n, r, &binary));
    }
    for f in &mut all {
        let (raw, no, yes) = (
            median(&mut f.raw),
            median(&mut f.mbsync_no),
            median(&mut f.mbsync_yes),
        );
        let (first, again) = (median(&mut f.first), median(&mut f.again));
        println!(
            "{} messages, {:.0} MB ({} rounds, medians):",
            f.n,
            f.mb,
            f.first.len()
        );
        println!("  (r) raw UID FETCH 1:*:        {raw:.2} s");
        println!("  (m) mbsync FSync no / yes:    {no:.2} s / {yes:.2} s");
        println!(
            "  (a) duebox first pass:        {first:.2} s, peak RSS {:.0} MiB ({:.0} MB) — {}",
            f.rss,
            f.rss * 1.048_576,
            f.summary
        );
        println!("  (b) duebox no-change pass:    {again:.3} s");
        println!(
            "  a/r = {:.2}   a/m(FSync no) = {:.2}   a/m(FSync yes) = {:.2}",
            first / raw,
            first / no,
            first / yes
        );
    }
    if let (Some(small), Some(large)) = (
        all.iter().find(|f| f.n == 10_000),
        all.iter().find(|f| f.n == 100_000),
    ) {
        println!(
            "first pass at 100k / at 10k = {:.2} (must be ≤ 11)",
            median(&mut large.first.clone()) / median(&mut small.first.clone())
        );
    }
    println!("load average at end: {}", load());
}
