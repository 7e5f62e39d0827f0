//! Property tests: money and dates round-trip through every printed format duebox reads, and
//! no string or byte sequence makes the parsers panic.

use chrono::{Datelike, NaiveDate};
use duebox::classify::extract;
use duebox::dates::{self, DayOrder};
use duebox::mail;
use duebox::money::{self, CurrencyHint, Money};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Groups the integer part of `cents / 100` with `sep` every three digits.
fn grouped(int: u64, sep: &str) -> String {
    let digits = int.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// The amount written in each convention: (text, decimal separator used).
fn conventions(cents: u64) -> Vec<String> {
    let (int, frac) = (cents / 100, cents % 100);
    vec![
        format!("{}.{frac:02}", grouped(int, ",")),
        format!("{},{frac:02}", grouped(int, ".")),
        format!("{},{frac:02}", grouped(int, " ")),
        format!("{},{frac:02}", grouped(int, "\u{a0}")),
        format!("{},{frac:02}", grouped(int, "\u{202f}")),
        format!("{}.{frac:02}", grouped(int, "'")),
        format!("{int}.{frac:02}"),
        format!("{int},{frac:02}"),
    ]
}

fn month_names(lang: &str) -> [&'static str; 12] {
    match lang {
        "en" => [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        "de" => [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        "fr" => [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        "es" => [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
        _ => [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ],
    }
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (1995i32..2090, 1u32..=12, 1u32..=31)
        .prop_filter_map("a real date", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
}

proptest! {
    #[test]
    fn amounts_round_trip_in_every_convention(cents in 0u64..10_000_000_000_000) {
        let want = Decimal::new(i64::try_from(cents).unwrap(), 2);
        for text in conventions(cents) {
            prop_assert_eq!(money::parse_number(&text), Some(want), "{}", text);
        }
    }

    #[test]
    fn amounts_with_currency_are_found_before_or_after(cents in 1u64..10_000_000_000, code in prop::sample::select(vec!["EUR", "USD", "GBP", "CHF", "MXN"])) {
        let want = Money::new(Decimal::new(i64::try_from(cents).unwrap(), 2), code);
        for number in conventions(cents) {
            for text in [format!("Total due: {code} {number}."), format!("Total due: {number} {code}, thanks")] {
                let found = money::find_amounts(&text);
                prop_assert_eq!(found.len(), 1, "{}", text);
                prop_assert_eq!(&found[0].money, &want, "{}", text);
            }
        }
    }

    #[test]
    fn symbols_map_to_their_currency(cents in 1u64..1_000_000_000) {
        let amount = Decimal::new(i64::try_from(cents).unwrap(), 2);
        let text = format!("{}.{:02}", grouped(cents / 100, ","), cents % 100);
        for (symbol, code) in [("$", "USD"), ("£", "GBP"), ("€", "EUR")] {
            let found = money::find_amounts(&format!("pay {symbol}{text} now"));
            prop_assert_eq!(found.first().map(|f| &f.money), Some(&Money::new(amount, code)));
        }
    }

    #[test]
    fn dates_round_trip_in_every_format(date in any_date()) {
        let (y, m, d) = (date.year(), date.month(), date.day());
        let reference = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let en = month_names("en")[m as usize - 1];
        let day_first = [
            format!("{y}-{m:02}-{d:02}"),
            format!("{d:02}.{m:02}.{y}"),
            format!("{d}. {} {y}", month_names("de")[m as usize - 1]),
            format!("{d} {} {y}", month_names("fr")[m as usize - 1]),
            format!("{d} de {} de {y}", month_names("es")[m as usize - 1]),
            format!("{d} {} {y}", month_names("nl")[m as usize - 1]),
            format!("{d} {en} {y}"),
            format!("{d} {} {y}", &en[..3]),
            format!("{en} {d}, {y}"),
            format!("{d:02}/{m:02}/{y}"),
            format!("{d:02}-{m:02}-{y}"),
        ];
        for text in day_first {
            prop_assert_eq!(dates::parse_date(&text, DayOrder::DayFirst, reference), Some(date), "{}", text);
        }
        let us = format!("{m:02}/{d:02}/{y}");
        prop_assert_eq!(dates::parse_date(&us, DayOrder::MonthFirst, reference), Some(date), "{}", us);
    }

    #[test]
    fn money_and_date_parsers_never_panic(s in any::<String>()) {
        let _ = money::parse_number(&s);
        let _ = money::find_amounts(&s);
        let _ = dates::find_dates(&s, DayOrder::DayFirst, NaiveDate::MIN);
        let _ = dates::find_dates(&s, DayOrder::MonthFirst, NaiveDate::MAX);
    }

    #[test]
    fn html_renderer_never_panics(s in "(<[a-z/!]{0,4}[^>]{0,8}>?|&[#a-z0-9]{0,6};?|[^<&]{0,10}){0,60}") {
        let text = mail::html::to_text(&s);
        prop_assert!(!text.contains("<script"));
    }

    #[test]
    fn message_parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = mail::parse(&bytes);
    }

    #[test]
    fn mutated_real_messages_never_panic(seed in prop::collection::vec((0usize..4096, any::<u8>()), 1..40)) {
        let mut raw = include_bytes!("fixtures/corpus/a-001-en-reminder-acme.eml").to_vec();
        for (pos, byte) in seed {
            let i = pos % raw.len();
            raw[i] = byte;
        }
        let opts = duebox::classify::Options { own_domains: vec![], own_names: vec![], today: NaiveDate::MIN };
        let _ = duebox::classify::classify_bytes(&raw, &opts);
    }
}

/// How each language writes a date with its month name, and the month names in the form a
/// date takes (genitive, partitive), as CLDR's "long" date formats print them.
fn long_dates(lang: &str, y: i32, m: u32, d: u32) -> String {
    let i = m as usize - 1;
    let pick = |names: [&'static str; 12]| names[i];
    match lang {
        "it" => format!(
            "{d} {} {y}",
            pick([
                "gennaio",
                "febbraio",
                "marzo",
                "aprile",
                "maggio",
                "giugno",
                "luglio",
                "agosto",
                "settembre",
                "ottobre",
                "novembre",
                "dicembre"
            ])
        ),
        "pt" => format!(
            "{d} de {} de {y}",
            pick([
                "janeiro",
                "fevereiro",
                "março",
                "abril",
                "maio",
                "junho",
                "julho",
                "agosto",
                "setembro",
                "outubro",
                "novembro",
                "dezembro"
            ])
        ),
        "ca" => {
            let name = pick([
                "gener", "febrer", "març", "abril", "maig", "juny", "juliol", "agost", "setembre",
                "octubre", "novembre", "desembre",
            ]);
            let de = if name.starts_with(['a', 'o']) {
                "d'".to_string()
            } else {
                "de ".to_string()
            };
            format!("{d} {de}{name} de {y}")
        }
        "pl" => format!(
            "{d} {} {y}",
            pick([
                "stycznia",
                "lutego",
                "marca",
                "kwietnia",
                "maja",
                "czerwca",
                "lipca",
                "sierpnia",
                "września",
                "października",
                "listopada",
                "grudnia"
            ])
        ),
        "cs" => format!(
            "{d}. {} {y}",
            pick([
                "ledna",
                "února",
                "března",
                "dubna",
                "května",
                "června",
                "července",
                "srpna",
                "září",
                "října",
                "listopadu",
                "prosince"
            ])
        ),
        "sk" => format!(
            "{d}. {} {y}",
            pick([
                "januára",
                "februára",
                "marca",
                "apríla",
                "mája",
                "júna",
                "júla",
                "augusta",
                "septembra",
                "októbra",
                "novembra",
                "decembra"
            ])
        ),
        "sl" => format!(
            "{d}. {} {y}",
            pick([
                "januarja",
                "februarja",
                "marca",
                "aprila",
                "maja",
                "junija",
                "julija",
                "avgusta",
                "septembra",
                "oktobra",
                "novembra",
                "decembra"
            ])
        ),
        "hr" => format!(
            "{d}. {} {y}.",
            pick([
                "siječnja",
                "veljače",
                "ožujka",
                "travnja",
                "svibnja",
                "lipnja",
                "srpnja",
                "kolovoza",
                "rujna",
                "listopada",
                "studenoga",
                "prosinca"
            ])
        ),
        "hu" => format!(
            "{y}. {} {d}.",
            pick([
                "január",
                "február",
                "március",
                "április",
                "május",
                "június",
                "július",
                "augusztus",
                "szeptember",
                "október",
                "november",
                "december"
            ])
        ),
        "ro" => format!(
            "{d} {} {y}",
            pick([
                "ianuarie",
                "februarie",
                "martie",
                "aprilie",
                "mai",
                "iunie",
                "iulie",
                "august",
                "septembrie",
                "octombrie",
                "noiembrie",
                "decembrie"
            ])
        ),
        "fi" => format!(
            "{d}. {} {y}",
            pick([
                "tammikuuta",
                "helmikuuta",
                "maaliskuuta",
                "huhtikuuta",
                "toukokuuta",
                "kesäkuuta",
                "heinäkuuta",
                "elokuuta",
                "syyskuuta",
                "lokakuuta",
                "marraskuuta",
                "joulukuuta"
            ])
        ),
        "sv" => format!(
            "{d} {} {y}",
            pick([
                "januari",
                "februari",
                "mars",
                "april",
                "maj",
                "juni",
                "juli",
                "augusti",
                "september",
                "oktober",
                "november",
                "december"
            ])
        ),
        "da" => format!(
            "{d}. {} {y}",
            pick([
                "januar",
                "februar",
                "marts",
                "april",
                "maj",
                "juni",
                "juli",
                "august",
                "september",
                "oktober",
                "november",
                "december"
            ])
        ),
        "nb" => format!(
            "{d}. {} {y}",
            pick([
                "januar",
                "februar",
                "mars",
                "april",
                "mai",
                "juni",
                "juli",
                "august",
                "september",
                "oktober",
                "november",
                "desember"
            ])
        ),
        "tr" => format!(
            "{d} {} {y}",
            pick([
                "Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül",
                "Ekim", "Kasım", "Aralık"
            ])
        ),
        _ => format!("{y}年{m}月{d}日"),
    }
}

const LANGS: &[&str] = &[
    "it", "pt", "ca", "pl", "cs", "sk", "sl", "hr", "hu", "ro", "fi", "sv", "da", "nb", "tr", "ja",
];

proptest! {
    #[test]
    fn long_dates_round_trip_in_every_language(date in any_date()) {
        let reference = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        for lang in LANGS {
            let text = long_dates(lang, date.year(), date.month(), date.day());
            prop_assert_eq!(dates::parse_date_in(&text, DayOrder::DayFirst, reference, lang), Some(date), "{}", text);
            // Capitalised at the start of a line, as a table cell prints it.
            let mut chars = text.chars();
            let capital: String = chars.next().into_iter().flat_map(char::to_uppercase).chain(chars).collect();
            prop_assert_eq!(dates::parse_date_in(&capital, DayOrder::DayFirst, reference, lang), Some(date), "{}", capital);
        }
        let (y, m, d) = (date.year(), date.month(), date.day());
        for text in [format!("{y}.{m:02}.{d:02}."), format!("{y}/{m:02}/{d:02}"), format!("{d}. {m}. {y}")] {
            prop_assert_eq!(dates::parse_date(&text, DayOrder::MonthFirst, reference), Some(date), "{}", text);
        }
    }

    #[test]
    fn local_units_round_trip(cents in 1u64..10_000_000_000) {
        let want = Decimal::new(i64::try_from(cents).unwrap(), 2);
        let (int, frac) = (cents / 100, cents % 100);
        let spaced = format!("{},{frac:02}", grouped(int, "\u{a0}"));
        let dotted = format!("{},{frac:02}", grouped(int, "."));
        for (text, code, lang) in [
            (format!("{spaced} kr"), "SEK", "sv"),
            (format!("{dotted} kr."), "DKK", "da"),
            (format!("kr {spaced}"), "NOK", "nb"),
            (format!("{spaced} zł"), "PLN", "pl"),
            (format!("{spaced} Kč"), "CZK", "cs"),
            (format!("{spaced} Ft"), "HUF", "hu"),
            (format!("{dotted} TL"), "TRY", "tr"),
            (format!("₺{dotted}"), "TRY", "tr"),
            (format!("{dotted} lei"), "RON", "ro"),
            (format!("{dotted} kn"), "HRK", "hr"),
            (format!("{}.{frac:02}元", grouped(int, ",")), "CNY", "zh"),
            (format!("¥{}.{frac:02}", grouped(int, ",")), "CNY", "zh"),
        ] {
            let found = money::find_amounts_with(&text, CurrencyHint { lang, tld: "" });
            prop_assert_eq!(found.len(), 1, "{}", text);
            prop_assert_eq!(&found[0].money, &Money::new(want, code), "{}", text);
        }
        let yen = Decimal::from(int);
        let found = money::find_amounts(&format!("ご請求金額 {}円", grouped(int, ",")));
        prop_assert_eq!(found.first().map(|f| &f.money), Some(&Money::new(yen, "JPY")));
    }

    #[test]
    fn invoice_numbers_round_trip_after_any_label(
        n in 100u64..1_000_000_000,
        label in prop::sample::select(vec!["Fakturanr", "Numer faktury:", "fattura n.", "Číslo faktury:", "Számla sorszáma:", "Fatura No:", "factura núm.", "Laskun numero", "請求書番号：", "发票号码：", "Invoice #", "Rechnungsnummer"]),
        series in prop::sample::select(vec!["", "FT ", "FV/2026/", "INV-"]),
    ) {
        let id = format!("{series}{n}");
        let text = format!("Dobrý den, {label} {id} nije plaćen.");
        prop_assert_eq!(extract::invoices(&text), vec![id.clone()], "{}", text);
    }

    #[test]
    fn claim_readers_never_panic(s in any::<String>(), lang in prop::sample::select(vec!["", "hr", "pl", "zh", "da", "ja"])) {
        let _ = dates::find_dates_in(&s, DayOrder::DayFirst, NaiveDate::MIN, lang);
        let _ = money::find_amounts_with(&s, CurrencyHint { lang, tld: "no" });
        let _ = extract::invoices(&s);
        let locale = extract::Locale::new(lang, Some("x.se"), &s);
        let _ = extract::amount_in(&[&s], &locale);
        let _ = extract::due_date_in(&[&s], DayOrder::MonthFirst, NaiveDate::MAX, true, &locale);
        let _ = extract::day_order("en", Some(&s), None, &s);
    }
}

proptest! {
    /// Whatever name a message gives an attachment, the file duebox writes is one plain
    /// component inside the chosen folder: no separators, no leading dot, no control or
    /// bidi characters, never empty, bounded, and saving it lands in that folder.
    #[test]
    fn attachment_names_are_always_safe(
        name in prop_oneof![
            any::<String>(),
            "[./\\\\a-z\u{202e}\u{0}\r\n :*?]{0,40}",
            Just("../../etc/passwd".to_string()),
            Just("..".to_string()),
        ],
        ty in prop::sample::select(vec!["application/pdf", "application/octet-stream", "text/plain"]),
    ) {
        use duebox::mail::attachments::{safe_file_name, MAX_NAME_BYTES};
        let safe = safe_file_name(&name, ty);
        prop_assert!(!safe.is_empty());
        prop_assert!(safe.len() <= MAX_NAME_BYTES, "{}", safe);
        prop_assert!(!safe.contains('/') && !safe.contains('\\'), "{:?}", safe);
        prop_assert!(!safe.starts_with('.') && safe != "..", "{:?}", safe);
        prop_assert!(!safe.chars().any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)), "{:?}", safe);
        let dir = std::path::Path::new("/chosen/folder");
        let joined = dir.join(&safe);
        prop_assert_eq!(joined.parent(), Some(dir), "{:?}", safe);
        let mut components = std::path::Path::new(&safe).components();
        prop_assert!(matches!(components.next(), Some(std::path::Component::Normal(_))));
        prop_assert!(components.next().is_none());
    }
}
