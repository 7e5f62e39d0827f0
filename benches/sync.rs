//! Sync speed against a real Dovecot (started here on 127.0.0.1, as in the tests), in one
//! invocation, for each mailbox size (default 10,000 and 100,000 generated messages, 2–50 KB,
//! ~30% chasers), runs interleaved round by round, in the order (r), (m), (a), (b), (s):
//! (r) the raw limit: one `UID FETCH 1:* BODY.PEEK[]` over TLS by a minimal client,
//! (m) mbsync (Debian `isync`) into a fresh Maildir, `FSync no` and `FSync yes`,
//! (a) `duebox sync`'s first pass (fetch, classify, validate, store, file),
//! (b) its no-change pass, and
//! (s) the first pass again without the body in the search index
//!     (`[sync] index_text = false`): what indexing the text costs (up to 20,000),
//! then prints, for each size as soon as it is done, medians, peak RSS and CPU time of each
//! pass (and Dovecot's CPU time during it, and the pass's phases by its log lines), the
//! ratios the issue sets (a/r, a/m, a/s, a at 100k / a at 10k) and the load average. A peer
//! that is missing or fails (mbsync) is reported and left out of the table, never the end of
//! the run. The mailbox is put back between rounds from a hard-linked pristine
//! copy (duebox files mail out of INBOX). Needs the release binary, dovecot and mbsync:
//! `cargo build --release && cargo bench --bench sync [-- SIZES… [--rounds N] [--no-peers]]`
//! (`--no-peers`: duebox alone, for its memory); with
//! `DUEBOX_BENCH_PROFILE=PREFIX`, one more first pass and no-change pass per size run under
//! `perf record` (PREFIX-SIZE-first.data, PREFIX-SIZE-again.data); with
//! `DUEBOX_BENCH_HEAPTRACK=PREFIX`, the same under `heaptrack` (where the peak memory is).

#[path = "corpus_gen.rs"]
mod corpus_gen;
#[path = "../tests/common/dovecot.rs"]
mod dovecot;
#[path = "sync_timing.rs"]
mod timing;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use timing::{phases, timed, tree_cpu, try_timed};

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The median, None when nothing was measured.
fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied()
}

/// A figure in seconds, or a dash for one not measured.
fn secs(v: Option<f64>, places: usize) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{v:.places$} s"))
}

/// A ratio of two figures, or a dash when either is missing.
fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "—".to_string(),
    }
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

/// mbsync's time, None (said why) when it is missing or fails.
fn mbsync(d: &dovecot::Dovecot, dir: &Path, fsync: bool) -> Option<f64> {
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
    let outcome = try_timed(
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
    let _ = std::fs::rename(&maildir, dir.join(format!("mbsync-done-{n}")));
    match outcome {
        Ok(run) => Some(run.secs),
        Err(e) => {
            eprintln!("  mbsync (FSync {fsync}) left out: {e}");
            None
        }
    }
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

#[derive(Default)]
struct Figures {
    n: usize,
    mb: f64,
    raw: Vec<f64>,
    mbsync_no: Vec<f64>,
    mbsync_yes: Vec<f64>,
    first: Vec<f64>,
    again: Vec<f64>,
    /// CPU seconds (user + system) of each first and no-change pass.
    cpu_first: Vec<f64>,
    cpu_again: Vec<f64>,
    /// First passes without the body in the search index.
    unindexed: Vec<f64>,
    /// Peak RSS (MiB) of the first pass, the no-change pass, the unindexed pass.
    rss_first: f64,
    rss_again: f64,
    rss_unindexed: f64,
    summary: String,
    load: String,
    /// The server and the temp dir, dropped (mailboxes deleted) after the figures are printed:
    /// unlinking 100,000 files takes minutes on a busy disk.
    _keep: Option<Bench>,
}

/// The largest mailbox the first pass is also run without the body in the search index.
const UNINDEXED_UP_TO: usize = 20_000;

/// What a run measures besides duebox.
#[derive(Clone, Copy)]
struct Plan {
    rounds: usize,
    /// Raw fetch and mbsync too (`--no-peers` leaves them out: duebox alone, for memory).
    peers: bool,
}

/// A mailbox of `n` messages on a Dovecot of its own, and duebox's config for it.
struct Bench {
    d: dovecot::Dovecot,
    dir: tempfile::TempDir,
    pristine: PathBuf,
    config: PathBuf,
    binary: PathBuf,
}

impl Bench {
    fn new(n: usize, binary: &Path) -> (Bench, usize) {
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
        let bench = Bench {
            d,
            dir,
            pristine,
            config,
            binary: binary.to_path_buf(),
        };
        (bench, bytes)
    }

    /// [`Bench::duebox`] with the body's text left out of the search index
    /// (`[sync] index_text = false`): what indexing the text costs.
    fn duebox_unindexed(&self, db: &Path) -> Command {
        let config = self.config.with_file_name("config-unindexed.toml");
        if !config.exists() {
            let text = std::fs::read_to_string(&self.config).expect("config");
            std::fs::write(&config, format!("{text}[sync]\nindex_text = false\n")).expect("config");
        }
        let mut cmd = Command::new(&self.binary);
        cmd.arg("--config")
            .arg(&config)
            .arg("--db")
            .arg(db)
            .arg("sync")
            .env("DUEBOX_BENCH_PASSWORD", dovecot::PASSWORD);
        cmd
    }

    /// CPU seconds the server has used so far.
    fn server_cpu(&self) -> f64 {
        self.d.pid().map_or(0.0, tree_cpu)
    }

    /// `duebox sync` on the mailbox with the database `db`.
    fn duebox(&self, db: &Path) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.arg("--config")
            .arg(&self.config)
            .arg("--db")
            .arg(db)
            .arg("sync")
            .env("DUEBOX_BENCH_PASSWORD", dovecot::PASSWORD);
        cmd
    }

    /// The mailbox as delivered (duebox files mail out of INBOX), with Dovecot's index of
    /// it built (untimed, for every peer alike).
    fn fresh(&mut self) {
        restore(&mut self.d, &self.pristine);
        assert!(raw_fetch(&self.d) > 0);
    }
}

fn bench(n: usize, plan: Plan, binary: &Path) -> Figures {
    let (mut b, bytes) = Bench::new(n, binary);
    let mut f = Figures {
        n,
        mb: bytes as f64 / 1e6,
        ..Figures::default()
    };
    for round in 0..plan.rounds {
        // Untimed: Dovecot builds its index of the (restored) maildir here, for every peer.
        if round == 0 {
            assert_eq!(raw_fetch(&b.d) > 0, n > 0);
        } else {
            b.fresh();
        }
        if plan.peers {
            let start = Instant::now();
            let got = raw_fetch(&b.d);
            f.raw.push(start.elapsed().as_secs_f64());
            assert!(got >= bytes, "raw fetch got {got} of {bytes} bytes");
            // Before duebox files mail out of INBOX: mbsync gets the whole mailbox too.
            f.mbsync_no.extend(mbsync(&b.d, b.dir.path(), false));
            f.mbsync_yes.extend(mbsync(&b.d, b.dir.path(), true));
        }
        let db = b.dir.path().join(format!("duebox-{round}.db"));
        let cpu = || b.server_cpu();
        let run = timed(&mut b.duebox(&db), &cpu);
        let server = run.server;
        assert!(
            run.stdout.contains(&format!("sync: {n} new")),
            "the first pass did not sync all {n}: {}",
            run.stdout
        );
        let again = timed(&mut b.duebox(&db), &cpu);
        let again_server = again.server;
        assert!(
            again.stdout.contains("sync: 0 new, 0 filed"),
            "{}",
            again.stdout
        );
        let _ = std::fs::remove_file(&db);
        f.first.push(run.secs);
        f.again.push(again.secs);
        f.cpu_first.push(run.cpu);
        f.cpu_again.push(again.cpu);
        f.rss_first = f.rss_first.max(run.rss);
        f.rss_again = f.rss_again.max(again.rss);
        f.summary = run.stdout.trim().to_string();
        eprintln!(
            "  {n}: round {round}: duebox first pass {:.2} s wall, {:.2} s CPU (Dovecot {server:.2} s CPU; {}); no-change pass {:.3} s wall, {:.3} s CPU (Dovecot {again_server:.3} s CPU)",
            run.secs,
            run.cpu,
            phases(&run),
            again.secs,
            again.cpu
        );
        let (first, rss, again_rss, again) = (run.secs, run.rss, again.rss, again.secs);
        // The same first pass without the body's text in the search index; up to 20,000
        // messages only (the cost is per message, and at 100,000 it would double a run of
        // many minutes).
        if n > UNINDEXED_UP_TO {
            f.load = load();
            eprintln!(
                "  {n}: round {round}: raw {}, mbsync {}/{}, duebox {first:.2} s + {again:.3} s, peak RSS {rss:.0}/{again_rss:.0} MiB (load {})",
                secs(f.raw.get(round).copied(), 2),
                secs(f.mbsync_no.get(round).copied(), 2),
                secs(f.mbsync_yes.get(round).copied(), 2),
                f.load
            );
            continue;
        }
        b.fresh();
        let db = b.dir.path().join(format!("duebox-unindexed-{round}.db"));
        let unindexed_run = timed(&mut b.duebox_unindexed(&db), &|| 0.0);
        assert!(
            unindexed_run.stdout.contains(&format!("sync: {n} new")),
            "{}",
            unindexed_run.stdout
        );
        let _ = std::fs::remove_file(&db);
        let (unindexed, unindexed_rss) = (unindexed_run.secs, unindexed_run.rss);
        f.unindexed.push(unindexed);
        f.rss_unindexed = f.rss_unindexed.max(unindexed_rss);
        f.load = load();
        eprintln!(
            "  {n}: round {round}: raw {}, mbsync {}/{}, duebox {first:.2} s + {again:.3} s (unindexed {unindexed:.2} s), peak RSS {rss:.0}/{again_rss:.0}/{unindexed_rss:.0} MiB (load {})",
            secs(f.raw.get(round).copied(), 2),
            secs(f.mbsync_no.get(round).copied(), 2),
            secs(f.mbsync_yes.get(round).copied(), 2),
            f.load
        );
    }
    for (var, tool) in [
        ("DUEBOX_BENCH_PROFILE", "perf"),
        ("DUEBOX_BENCH_HEAPTRACK", "heaptrack"),
    ] {
        let Ok(prefix) = std::env::var(var) else {
            continue;
        };
        // One more first pass and its no-change pass, untimed, under the tool: where the
        // time (perf) or the memory (heaptrack) goes.
        b.fresh();
        let db = b.dir.path().join("duebox-profiled.db");
        for pass in ["first", "again"] {
            let data = format!("{prefix}-{n}-{pass}");
            let mut cmd = match tool {
                "perf" => {
                    let mut c = Command::new("perf");
                    c.args([
                        "record",
                        "-F",
                        "499",
                        "-g",
                        "-o",
                        &format!("{data}.data"),
                        "--",
                    ]);
                    c
                }
                _ => {
                    let mut c = Command::new("heaptrack");
                    c.args(["-o", &data]);
                    c
                }
            };
            let inner = b.duebox(&db);
            cmd.arg(inner.get_program())
                .args(inner.get_args())
                .env("DUEBOX_BENCH_PASSWORD", dovecot::PASSWORD);
            match cmd.status() {
                Ok(s) if s.success() => eprintln!("  {tool} of the {pass} pass at {n}: {data}*"),
                other => eprintln!("  {tool} of the {pass} pass at {n} failed: {other:?}"),
            }
        }
        let _ = std::fs::remove_file(&db);
    }
    f._keep = Some(b);
    f
}

/// One size's table.
fn print(f: &Figures) {
    let (raw, no, yes) = (median(&f.raw), median(&f.mbsync_no), median(&f.mbsync_yes));
    let (first, again, unindexed) = (median(&f.first), median(&f.again), median(&f.unindexed));
    let mib = |m: f64| format!("{m:.0} MiB ({:.0} MB)", m * 1.048_576);
    println!(
        "{} messages, {:.0} MB ({} rounds, medians; load at the end {}):",
        f.n,
        f.mb,
        f.first.len(),
        f.load
    );
    println!("  (r) raw UID FETCH 1:*:        {}", secs(raw, 2));
    println!(
        "  (m) mbsync FSync no / yes:    {} / {}",
        secs(no, 2),
        secs(yes, 2)
    );
    println!(
        "  (a) duebox first pass:        {} ({} CPU), peak RSS {} — {}",
        secs(first, 2),
        secs(median(&f.cpu_first), 2),
        mib(f.rss_first),
        f.summary
    );
    println!(
        "  (b) duebox no-change pass:    {} ({} CPU), peak RSS {}",
        secs(again, 3),
        secs(median(&f.cpu_again), 3),
        mib(f.rss_again)
    );
    if f.unindexed.is_empty() {
        println!("  (s) first pass, body not indexed: not run at this size");
    } else {
        println!(
            "  (s) first pass, body not indexed: {}, peak RSS {}",
            secs(unindexed, 2),
            mib(f.rss_unindexed)
        );
    }
    println!(
        "  a/r = {}   a/m(FSync no) = {}   a/m(FSync yes) = {}   a/s = {}",
        ratio(first, raw),
        ratio(first, no),
        ratio(first, yes),
        ratio(first, unindexed)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1)?.parse().ok());
    let peers = !args.iter().any(|a| a == "--no-peers");
    let mut sizes: Vec<usize> = args
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || args[i - 1] != "--rounds")
        .filter_map(|(_, a)| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = vec![10_000, 100_000];
    }
    // Another build (a debug one under heaptrack, say) by DUEBOX_BENCH_BINARY.
    let binary = std::env::var_os("DUEBOX_BENCH_BINARY").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/duebox"),
        PathBuf::from,
    );
    assert!(
        binary.exists(),
        "build the release binary first: cargo build --release"
    );
    println!("load average at start: {}", load());
    let mut all = Vec::new();
    for &n in &sizes {
        // Large mailboxes once: a round at 100,000 takes minutes.
        let rounds = rounds.unwrap_or(if n > 20_000 { 1 } else { 3 });
        let mut f = bench(n, Plan { rounds, peers }, &binary);
        // Printed now: a later size that fails leaves this one's figures standing.
        print(&f);
        f._keep = None;
        all.push(f);
    }
    let peak = all
        .iter()
        .map(|f| {
            format!(
                "{}: {:.0}",
                f.n,
                f.rss_first.max(f.rss_again).max(f.rss_unindexed)
            )
        })
        .collect::<Vec<_>>();
    println!("peak RSS by size (MiB): {}", peak.join(", "));
    // Any two sizes: how the pass grows against the mailbox (linear: the ratio of the sizes).
    if let Some(small) = all.first() {
        for large in all.iter().skip(1) {
            println!(
                "first pass at {} / at {} = {} wall, {} CPU (sizes {:.1}×)",
                large.n,
                small.n,
                ratio(median(&large.first), median(&small.first)),
                ratio(median(&large.cpu_first), median(&small.cpu_first)),
                large.n as f64 / small.n.max(1) as f64
            );
        }
    }
    if let (Some(small), Some(large)) = (
        all.iter().find(|f| f.n == 10_000),
        all.iter().find(|f| f.n == 100_000),
    ) {
        println!(
            "first pass at 100k / at 10k = {} wall, {} CPU (must be ≤ 11)",
            ratio(median(&large.first), median(&small.first)),
            ratio(median(&large.cpu_first), median(&small.cpu_first))
        );
    }
    println!("load average at end: {}", load());
}
