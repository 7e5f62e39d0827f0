//! Money as printed in mail: finds amounts with their currency (symbols, ISO codes before or
//! after, local units such as kr, zł, Kč, Ft, TL, lei, kn, 元, 円) and reads them as
//! `rust_decimal`. Pure functions over text; never floats, never panics on any input.

use regex::Regex;
use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

/// An amount of money in one currency (ISO 4217 code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    pub amount: Decimal,
    pub currency: String,
}

impl Money {
    pub fn new(amount: Decimal, currency: &str) -> Self {
        Money {
            amount,
            currency: currency.to_string(),
        }
    }

    /// The amount as a plain decimal string with the currency's minor units ("1234.50", "120000").
    pub fn amount_string(&self) -> String {
        let mut a = self.amount;
        a.rescale(minor_units(&self.currency));
        a.to_string()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

/// Decimal places a currency is written with (ISO 4217 minor units, for the ones we meet).
pub fn minor_units(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "ISK" | "CLP" | "VND" | "HUF" => 0,
        _ => 2,
    }
}

/// ISO codes recognised when written out next to an amount.
const ISO_CODES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "JPY", "MXN", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN",
    "CZK", "HUF", "CNY", "INR", "BRL", "ZAR", "SGD", "HKD", "KRW", "TRY", "RON", "ISK", "CLP",
    "VND", "HRK", "BGN", "RSD", "TWD", "RMB",
];

/// What the text around an amount says about its currency where a symbol is shared: "kr" is
/// Swedish, Danish, Norwegian or Icelandic, "¥" is yen or yuan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CurrencyHint<'a> {
    /// ISO 639-1 code of the message's language, or "".
    pub lang: &'a str,
    /// Top-level domain of the sender ("se", "dk"), or "".
    pub tld: &'a str,
}

impl CurrencyHint<'_> {
    /// The krone or krona meant by "kr".
    fn krone(&self) -> &'static str {
        match (self.lang, self.tld) {
            ("da", _) | (_, "dk") => "DKK",
            ("nb" | "nn" | "no", _) | (_, "no") => "NOK",
            ("is", _) | (_, "is") => "ISK",
            _ => "SEK",
        }
    }

    /// The currency meant by "¥": the yuan in Chinese mail, the yen otherwise.
    fn yen(&self) -> &'static str {
        match (self.lang, self.tld) {
            ("zh", _) | (_, "cn") => "CNY",
            _ => "JPY",
        }
    }
}

/// Maps a currency symbol or code as printed to its ISO code.
pub fn currency_code(token: &str) -> Option<&'static str> {
    currency_code_with(token, CurrencyHint::default())
}

/// [`currency_code`], resolving shared symbols with what the message says about itself.
pub fn currency_code_with(token: &str, hint: CurrencyHint<'_>) -> Option<&'static str> {
    let t = token.trim().trim_end_matches(['.', ',', '-', '–', ':']);
    let code = match t {
        "€" | "euro" | "euros" | "Euro" | "Euros" => "EUR",
        "$" | "US$" | "U$S" => "USD",
        "£" => "GBP",
        "¥" | "￥" => hint.yen(),
        "円" => "JPY",
        "元" | "人民币" | "人民幣" | "RMB" => "CNY",
        "C$" | "CA$" => "CAD",
        "A$" | "AU$" => "AUD",
        "MX$" | "Mex$" => "MXN",
        "NT$" => "TWD",
        "HK$" => "HKD",
        "S$" => "SGD",
        "Fr" | "SFr" | "CHF" => "CHF",
        "zł" | "zl" | "Zł" | "PLN" => "PLN",
        "Kč" | "Kc" => "CZK",
        "Ft" | "HUF" => "HUF",
        "TL" | "₺" => "TRY",
        "lei" | "Lei" | "LEI" | "RON" => "RON",
        "kn" | "HRK" => "HRK",
        "kr" | "Kr" | "KR" | "kronor" | "kroner" => hint.krone(),
        "₹" => "INR",
        "R$" => "BRL",
        _ => {
            let upper = t.to_ascii_uppercase();
            return ISO_CODES.iter().copied().find(|c| *c == upper).map(|c| {
                if c == "RMB" {
                    "CNY"
                } else {
                    c
                }
            });
        }
    };
    Some(code)
}

/// Reads a number as printed in any of the usual conventions: "1,234.56", "1.234,56",
/// "1 234,56" (with ordinary, no-break, narrow or thin spaces), "1'234.50", "120,000", "980".
/// A single separator followed by exactly three digits is a thousands separator, since amounts
/// are almost never written with three decimals.
pub fn parse_number(text: &str) -> Option<Decimal> {
    let s = text.trim();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if s.is_empty() || s.len() > 40 {
        return None;
    }
    let mut digits = String::with_capacity(s.len());
    let mut seps: Vec<(usize, char)> = Vec::new(); // (position in digits, separator)
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '.' | ',' => seps.push((digits.len(), c)),
            '\'' | '’' | ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' => {
                seps.push((digits.len(), ' '))
            }
            _ => return None,
        }
    }
    if digits.is_empty() {
        return None;
    }
    // The decimal separator, if any, is the last '.' or ',' followed by one or two digits at the end.
    let decimal = match seps.last() {
        Some(&(pos, c))
            if (c == '.' || c == ',') && pos > 0 && matches!(digits.len() - pos, 1 | 2) =>
        {
            Some((pos, c))
        }
        _ => None,
    };
    let groups = &seps[..seps.len() - usize::from(decimal.is_some())];
    let int_end = decimal.map_or(digits.len(), |(p, _)| p);
    // Every thousands separator groups exactly three digits, all of one kind, and differs
    // from the decimal separator.
    let mut prev: Option<usize> = None;
    for &(p, kind) in groups {
        let first_ok = prev.is_some() || (1..=3).contains(&p);
        let step_ok = prev.is_none_or(|q| p == q + 3);
        if !first_ok || !step_ok || kind != groups[0].1 || decimal.is_some_and(|(_, d)| d == kind) {
            return None;
        }
        prev = Some(p);
    }
    if prev.is_some_and(|q| int_end != q + 3) {
        return None;
    }
    let decimal_at = decimal.map(|(p, _)| p);
    let mut plain = String::with_capacity(digits.len() + 2);
    if negative {
        plain.push('-');
    }
    plain.push_str(&digits[..int_end]);
    if let Some(d) = decimal_at {
        plain.push('.');
        plain.push_str(&digits[d..]);
    }
    Decimal::from_str(&plain).ok()
}

/// An amount found in text, with where it stands (byte offsets into the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundMoney {
    pub money: Money,
    pub start: usize,
    pub end: usize,
}

/// A currency as printed: symbols, then letter units with word edges (an ASCII edge is checked
/// where the unit ends in an ASCII letter, so "kr" is not read in "krone" but "zł" is in "złotych").
const CURRENCY: &str = r"(?:US\$|U\$S|MX\$|Mex\$|C\$|CA\$|A\$|AU\$|R\$|NT\$|HK\$|S\$|[€$£¥￥₹₺元円]|人民币|人民幣|(?-u:\b)(?:EUR|USD|GBP|CHF|JPY|MXN|CAD|AUD|NZD|SEK|NOK|DKK|PLN|CZK|HUF|CNY|INR|BRL|ZAR|SGD|HKD|KRW|TRY|RON|ISK|CLP|VND|HRK|BGN|RSD|TWD|RMB|SFr|Fr|kr|Kr|KR|kronor|kroner|kn|Ft|TL|lei|Lei|LEI|zl|euros?|Euros?)(?-u:\b)\.?|(?-u:\b)(?:zł|Zł|Kč)\.?)";
/// A number: grouped thousands (comma, dot, apostrophe, ordinary/no-break/thin space) with an
/// optional decimal part, or plain digits; ",-" / ".–" / ":-" stand for no minor units.
const NUMBER: &str =
    r"(?:\d{1,3}(?:[,.'’ \x{a0}\x{202f}\x{2009}]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)";
const NO_MINOR: &str = r"(?:[,.:][-–]{1,2})?";

static MONEY_RE: LazyLock<Regex> = LazyLock::new(|| {
    let gap = r"[ \x{a0}\x{202f}\x{2009}]?";
    Regex::new(&format!(
        r"(?P<c1>{CURRENCY}){gap}(?P<n1>-?{NUMBER}){NO_MINOR}(?:[^\d.,'’]|[.,'’](?:\D|$)|$)|(?P<n2>-?(?-u:\b){NUMBER}){NO_MINOR}{gap}(?P<c2>{CURRENCY})|(?P<n3>(?-u:\b){NUMBER}):-"
    ))
    .expect("money regex is valid")
});

/// Finds every amount with a currency in `text`, in order. Numbers without a currency are
/// ignored: in chasers the amount owed is written with its currency.
pub fn find_amounts(text: &str) -> Vec<FoundMoney> {
    find_amounts_with(text, CurrencyHint::default())
}

/// [`find_amounts`], reading shared symbols ("kr", "¥") with `hint`.
pub fn find_amounts_with(text: &str, hint: CurrencyHint<'_>) -> Vec<FoundMoney> {
    let mut found = Vec::new();
    for caps in MONEY_RE.captures_iter(text) {
        let (cur, num) = if let (Some(c), Some(n)) = (caps.name("c1"), caps.name("n1")) {
            (c.as_str(), n)
        } else if let (Some(n), Some(c)) = (caps.name("n2"), caps.name("c2")) {
            (c.as_str(), n)
        } else if let Some(n) = caps.name("n3") {
            // "4 500:-" is how Swedish writes whole kronor.
            ("kr", n)
        } else {
            continue;
        };
        let Some(code) = currency_code_with(cur, hint) else {
            continue;
        };
        let Some(amount) = parse_number(num.as_str()) else {
            continue;
        };
        let whole = caps.get(0).expect("group 0 always exists");
        found.push(FoundMoney {
            money: Money::new(amount, code),
            start: whole.start(),
            end: whole.end().max(num.end()),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn numbers_in_every_convention() {
        for (text, want) in [
            ("1,234.56", "1234.56"),
            ("1.234,56", "1234.56"),
            ("1 234,56", "1234.56"),
            ("1\u{a0}234,56", "1234.56"),
            ("1\u{202f}234,56", "1234.56"),
            ("1'234.50", "1234.50"),
            ("1’234.50", "1234.50"),
            ("120,000", "120000"),
            ("980", "980"),
            ("980,5", "980.5"),
            ("12.345.678,90", "12345678.90"),
            ("0.99", "0.99"),
        ] {
            assert_eq!(parse_number(text), Some(dec(want)), "{text}");
        }
    }

    #[test]
    fn not_numbers() {
        for text in [
            "",
            "1,23,456",
            "12.34.56",
            "1.234,567.89",
            "abc",
            "1..2",
            ",5",
            "1,234.567,89",
        ] {
            assert_eq!(parse_number(text), None, "{text}");
        }
    }

    #[test]
    fn amounts_with_symbols_and_codes() {
        let cases = [
            ("Total due: $1,234.56 now", "1234.56", "USD"),
            ("Betrag 1.234,56 EUR offen", "1234.56", "EUR"),
            ("montant 1\u{202f}234,56\u{a0}€ TTC", "1234.56", "EUR"),
            ("CHF 1'234.50 open", "1234.50", "CHF"),
            ("just £980 please", "980", "GBP"),
            ("¥120,000 outstanding", "120000", "JPY"),
            ("MXN 12,500.00 pendiente", "12500.00", "MXN"),
            ("EUR 2.450,00", "2450.00", "EUR"),
            ("€ 980,00", "980.00", "EUR"),
            ("USD 980.00", "980.00", "USD"),
        ];
        for (text, amount, cur) in cases {
            let found = find_amounts(text);
            assert_eq!(found.len(), 1, "{text}: {found:?}");
            assert_eq!(found[0].money, Money::new(dec(amount), cur), "{text}");
        }
    }

    #[test]
    fn amount_string_uses_minor_units() {
        assert_eq!(Money::new(dec("980"), "GBP").amount_string(), "980.00");
        assert_eq!(Money::new(dec("120000"), "JPY").amount_string(), "120000");
        assert_eq!(Money::new(dec("1234.5"), "EUR").amount_string(), "1234.50");
    }

    #[test]
    fn numbers_without_currency_are_not_amounts() {
        assert!(find_amounts("Invoice 2026/0042 of 12 items, PO 4411").is_empty());
    }

    #[test]
    fn european_and_asian_local_units() {
        let cases = [
            ("att betala 12 345,00 kr", "12345.00", "SEK"),
            ("do zapłaty 1 234,56 zł", "1234.56", "PLN"),
            ("k úhradě 12\u{a0}345 Kč", "12345", "CZK"),
            ("12.345,- Kč", "12345", "CZK"),
            ("fizetendő 4 500 Ft", "4500", "HUF"),
            ("toplam 1.234,56 TL", "1234.56", "TRY"),
            ("toplam ₺1.234,56", "1234.56", "TRY"),
            ("de plată 1.234,56 lei", "1234.56", "RON"),
            ("RON 1.234,56", "1234.56", "RON"),
            ("ukupno 1.234,56 kn", "1234.56", "HRK"),
            ("€ 1.234,56", "1234.56", "EUR"),
            ("Fr. 1'234.50", "1234.50", "CHF"),
            ("合計 120,000円", "120000", "JPY"),
            ("金额 1,234.00元", "1234.00", "CNY"),
            ("人民币1,234.00元", "1234.00", "CNY"),
            ("RMB 1,234.00", "1234.00", "CNY"),
            ("totalt 4 500:-", "4500", "SEK"),
            ("1.500 euro", "1500", "EUR"),
            ("HRK 980,00", "980.00", "HRK"),
        ];
        for (text, amount, cur) in cases {
            let found = find_amounts(text);
            assert_eq!(found.len(), 1, "{text}: {found:?}");
            assert_eq!(found[0].money, Money::new(dec(amount), cur), "{text}");
        }
    }

    #[test]
    fn shared_symbols_follow_the_message() {
        let da = CurrencyHint {
            lang: "da",
            tld: "",
        };
        let no = CurrencyHint {
            lang: "",
            tld: "no",
        };
        let zh = CurrencyHint {
            lang: "zh",
            tld: "",
        };
        let first = |t: &str, h| find_amounts_with(t, h)[0].money.currency.clone();
        assert_eq!(first("1.234,50 kr.", da), "DKK");
        assert_eq!(first("kr 1 234,50", no), "NOK");
        assert_eq!(first("¥1,234.00", zh), "CNY");
        assert_eq!(first("¥120,000", CurrencyHint::default()), "JPY");
    }

    #[test]
    fn units_inside_words_and_numbers_inside_numbers_are_not_amounts() {
        assert!(find_amounts("3 krone coins, 12 Ftx, Art.100 TLC").is_empty());
        let found = find_amounts("Rechnung 2026 100 zł");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].money.amount, dec("100"));
    }
}
