//! Amounts and dates written the way the vendor's language writes them ("£1,234.56",
//! "1.234,56 €", "1 octobre 2026"). Pure functions; no I/O.

use crate::classify::lang::Lang;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// How a reply writes numbers and dates: the vendor's language, and for English whether the
/// vendor is American (month first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale {
    pub lang: Lang,
    pub us: bool,
}

impl Locale {
    pub const EN_GB: Locale = Locale {
        lang: Lang::En,
        us: false,
    };
}

/// Groups the integer digits with `sep` every three digits.
fn group(digits: &str, sep: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * sep.len());
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

fn symbol(currency: &str) -> Option<&'static str> {
    match currency {
        "GBP" => Some("£"),
        "EUR" => Some("€"),
        "USD" => Some("$"),
        "JPY" => Some("¥"),
        _ => None,
    }
}

/// An amount with its currency, as the locale writes it.
pub fn money(amount: Decimal, currency: &str, locale: Locale) -> String {
    let mut a = amount.abs();
    a.rescale(crate::money::minor_units(currency));
    let text = a.to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if amount.is_sign_negative() && !amount.is_zero() {
        "-"
    } else {
        ""
    };
    // A no-break space keeps "1 234,56 €" on one line.
    const NBSP: &str = "\u{a0}";
    let (thousands, decimal) = match locale.lang {
        Lang::En => (",", "."),
        Lang::Fr => (NBSP, ","),
        Lang::De | Lang::Es | Lang::Nl | Lang::It | Lang::Pt => (".", ","),
        // The built-in letters are in the seven languages above; others get the English
        // forms, as they get the English templates.
        _ => (",", "."),
    };
    let number = if frac.is_empty() {
        format!("{sign}{}", group(int, thousands))
    } else {
        format!("{sign}{}{decimal}{frac}", group(int, thousands))
    };
    let english = locale.lang == Lang::En || !written_in(locale.lang);
    match (locale.lang, symbol(currency)) {
        (_, Some(s)) if english => format!("{sign}{s}{}", number.trim_start_matches('-')),
        (_, None) if english => format!("{currency} {number}"),
        // Brazil writes its real before the number: "R$ 1.234,56".
        (Lang::Pt, _) if currency == "BRL" => format!("R${NBSP}{number}"),
        (Lang::Nl, Some(s)) => format!("{s}{NBSP}{number}"),
        (Lang::Nl, None) => format!("{currency}{NBSP}{number}"),
        (_, Some(s)) => format!("{number}{NBSP}{s}"),
        (_, None) => format!("{number}{NBSP}{currency}"),
    }
}

/// The languages whose numbers, dates and built-in letters duebox writes; any other is
/// written as English.
pub const WRITTEN: [Lang; 7] = [
    Lang::En,
    Lang::De,
    Lang::Fr,
    Lang::Es,
    Lang::Nl,
    Lang::It,
    Lang::Pt,
];

/// Whether duebox writes letters in `lang` (see [`WRITTEN`]).
pub fn written_in(lang: Lang) -> bool {
    WRITTEN.contains(&lang)
}

const MONTHS: [[&str; 12]; 7] = [
    [
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
    [
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
    [
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
    [
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
    [
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
    [
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
        "dicembre",
    ],
    [
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
        "dezembro",
    ],
];

/// A month's name (1 = January) as the language writes it in a letter.
pub fn month_name(lang: Lang, month: u32) -> &'static str {
    let row = match lang {
        Lang::En => 0,
        Lang::De => 1,
        Lang::Fr => 2,
        Lang::Es => 3,
        Lang::Nl => 4,
        Lang::It => 5,
        Lang::Pt => 6,
        _ => 0,
    };
    MONTHS[row][(month.clamp(1, 12) - 1) as usize]
}

/// A date written out, as the locale writes it in a letter.
pub fn date(d: NaiveDate, locale: Locale) -> String {
    let month = month_name(locale.lang, d.month());
    let (day, year) = (d.day(), d.year());
    match locale.lang {
        Lang::En if locale.us => format!("{month} {day}, {year}"),
        Lang::En | Lang::Nl => format!("{day} {month} {year}"),
        Lang::De => format!("{day}. {month} {year}"),
        Lang::Fr if day == 1 => format!("1er {month} {year}"),
        Lang::Fr => format!("{day} {month} {year}"),
        Lang::Es | Lang::Pt => format!("{day} de {month} de {year}"),
        // Italian writes the first of the month as an ordinal: "1º ottobre".
        Lang::It if day == 1 => format!("1º {month} {year}"),
        Lang::It => format!("{day} {month} {year}"),
        _ if locale.us => format!("{month} {day}, {year}"),
        _ => format!("{day} {month} {year}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn loc(lang: Lang) -> Locale {
        Locale { lang, us: false }
    }

    #[test]
    fn amounts_per_language() {
        let a = Decimal::from_str("1234.5").unwrap();
        assert_eq!(money(a, "GBP", Locale::EN_GB), "£1,234.50");
        assert_eq!(money(a, "CHF", Locale::EN_GB), "CHF 1,234.50");
        assert_eq!(money(a, "EUR", loc(Lang::De)), "1.234,50\u{a0}€");
        assert_eq!(money(a, "EUR", loc(Lang::Fr)), "1\u{a0}234,50\u{a0}€");
        assert_eq!(money(a, "EUR", loc(Lang::Nl)), "€\u{a0}1.234,50");
        assert_eq!(money(a, "EUR", loc(Lang::Es)), "1.234,50\u{a0}€");
        assert_eq!(money(a, "EUR", loc(Lang::It)), "1.234,50\u{a0}€");
        assert_eq!(money(a, "EUR", loc(Lang::Pt)), "1.234,50\u{a0}€");
        assert_eq!(money(a, "BRL", loc(Lang::Pt)), "R$\u{a0}1.234,50");
        assert_eq!(money(a, "GBP", loc(Lang::It)), "1.234,50\u{a0}£");
        let big = Decimal::from_str("1234567").unwrap();
        assert_eq!(money(big, "JPY", Locale::EN_GB), "¥1,234,567");
        assert_eq!(
            money(Decimal::from_str("-12.3").unwrap(), "USD", Locale::EN_GB),
            "-$12.30"
        );
        assert_eq!(
            money(Decimal::from_str("999").unwrap(), "USD", Locale::EN_GB),
            "$999.00"
        );
    }

    #[test]
    fn dates_per_language() {
        let d = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        assert_eq!(date(d, Locale::EN_GB), "1 October 2026");
        assert_eq!(
            date(
                d,
                Locale {
                    lang: Lang::En,
                    us: true
                }
            ),
            "October 1, 2026"
        );
        assert_eq!(date(d, loc(Lang::De)), "1. Oktober 2026");
        assert_eq!(date(d, loc(Lang::Fr)), "1er octobre 2026");
        assert_eq!(date(d, loc(Lang::Es)), "1 de octubre de 2026");
        assert_eq!(date(d, loc(Lang::Nl)), "1 oktober 2026");
        assert_eq!(date(d, loc(Lang::It)), "1º ottobre 2026");
        assert_eq!(date(d, loc(Lang::Pt)), "1 de outubro de 2026");
        let d = NaiveDate::from_ymd_opt(2026, 3, 27).unwrap();
        assert_eq!(date(d, loc(Lang::It)), "27 marzo 2026");
        assert_eq!(date(d, loc(Lang::Pt)), "27 de março de 2026");
    }
}
