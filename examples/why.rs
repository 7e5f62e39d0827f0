//! Prints the active features of messages and their weights: for looking at a verdict.
use duebox::classify::features::{self, NAMES};
use duebox::classify::score::{Table, CLASSES, EMBEDDED};
fn main() {
    let t = Table::parse(EMBEDDED);
    let opts = duebox::classify::Options {
        own_domains: vec!["northwind-traders.com".into()],
        own_names: vec![],
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    };
    for p in std::env::args().skip(1) {
        let raw = std::fs::read(&p).unwrap();
        let msg = duebox::mail::parse(&raw).unwrap();
        let ev = features::read(&msg, &opts, &features::NoLedger);
        println!(
            "== {p} lang {:?}\nbody: {:?}",
            ev.lang,
            features::prefix(&ev.body, 300)
        );
        for (z, h) in &ev.hits {
            println!("  hit {:?} {} {:?}", z, h.signal.name(), h.snippet);
        }
        for f in &ev.active {
            let w: Vec<String> = CLASSES
                .iter()
                .zip(t.class[*f].iter())
                .filter(|(_, w)| w.abs() > 0.1)
                .map(|(c, w)| format!("{}={:.2}", c.name(), w))
                .collect();
            println!("  {} {} bank={:.2}", NAMES[*f], w.join(" "), t.bank[*f]);
        }
        let c = duebox::classify::classify(&msg, &opts);
        println!("  => {:?} {:?} {:?}", c.kind, c.stage, c.reasons);
    }
}
