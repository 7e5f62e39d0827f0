//! Reading exported files as their tools write them: the text encoding (UTF-8 with or without
//! a byte-order mark, else Windows-1252), the delimiter, amounts with thousands separators,
//! currency signs and parentheses, dates in the orders accounting tools print. Pure.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The file's bytes as text: UTF-8 (a BOM dropped), or Windows-1252 when they are not UTF-8
/// (what DATEV and Excel on Windows write).
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// The delimiter of a CSV text: `;`, tab or `,`, whichever splits the first lines most.
pub fn sniff_delimiter(text: &str) -> u8 {
    let head: Vec<&str> = text.lines().take(12).collect();
    let score = |d: char| head.iter().map(|l| l.matches(d).count()).max().unwrap_or(0);
    [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|&d| (score(d as char), d == b','))
        .unwrap_or(b',')
}

/// One record of a file, with the line it starts on (1-based).
#[derive(Debug, Clone)]
pub struct Line {
    pub number: u64,
    pub cells: Vec<String>,
}

impl Line {
    /// The cell at `i`, trimmed ("" past the end).
    pub fn cell(&self, i: usize) -> &str {
        self.cells.get(i).map_or("", |c| c.trim())
    }

    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }

    /// Non-empty cells.
    pub fn filled(&self) -> usize {
        self.cells.iter().filter(|c| !c.trim().is_empty()).count()
    }
}

/// Every record of a CSV text, ragged rows allowed (reports have title rows of one cell).
pub fn records(text: &str, delimiter: u8) -> Result<Vec<Line>, csv::Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record?;
        out.push(Line {
            number: record.position().map_or(0, |p| p.line()),
            cells: record.iter().map(str::to_string).collect(),
        });
    }
    Ok(out)
}

/// A header cell as compared: case, surrounding spaces, the `*` Xero puts on required
/// columns and a trailing currency in brackets ("Due (GBP)") do not matter.
pub fn header_key(cell: &str) -> String {
    let mut s = cell.trim().trim_start_matches('*').trim().to_lowercase();
    if let Some(open) = s.rfind(" (") {
        if s.ends_with(')') && s.len() - open == 6 {
            s.truncate(open);
        }
    }
    s
}

/// Finds the header row: the first of the first lines that holds every `required` column.
/// Returns its index in `lines` and the column of each name.
pub fn find_header(lines: &[Line], required: &[&str]) -> Option<usize> {
    lines.iter().take(30).position(|l| {
        let keys: Vec<String> = l.cells.iter().map(|c| header_key(c)).collect();
        required.iter().all(|r| keys.iter().any(|k| k == r))
    })
}

/// The columns of a header row by name.
#[derive(Debug, Clone)]
pub struct Columns {
    keys: Vec<String>,
}

impl Columns {
    pub fn of(header: &Line) -> Columns {
        Columns {
            keys: header.cells.iter().map(|c| header_key(c)).collect(),
        }
    }

    /// The column named any of `names`.
    pub fn find(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.keys.iter().position(|k| k == n))
    }

    pub fn names(&self) -> &[String] {
        &self.keys
    }
}

/// How a file writes the decimal point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalMark {
    /// `1,234.56`
    Point,
    /// `1.234,56` (German, DATEV)
    Comma,
}

/// An amount as reports print it: currency signs and codes, thousands separators (`,` `.`
/// `'`, spaces), parentheses or a leading/trailing minus for negatives.
pub fn amount(text: &str, mark: DecimalMark) -> Result<Decimal, String> {
    let raw = text.trim();
    let mut negative = false;
    let mut s = raw;
    if s.starts_with('(') && s.ends_with(')') {
        negative = true;
        s = &s[1..s.len() - 1];
    }
    // A currency sign or code before or after the number ("$", "GBP 980", "1 234,50 €").
    let is_sign = |c: char| c.is_alphabetic() || "$€£¥₣₹".contains(c) || c.is_whitespace();
    let s = s.trim_matches(is_sign);
    let mut digits = String::with_capacity(s.len());
    let mut seen_digit = false;
    for c in s.chars() {
        match c {
            '0'..='9' => {
                seen_digit = true;
                digits.push(c)
            }
            '-' | '\u{2212}' => negative = true,
            '.' | ',' => digits.push(c),
            '\'' | ' ' | '\u{a0}' | '\u{202f}' | '+' => {}
            _ => return Err(format!("'{raw}' is not an amount")),
        }
    }
    if !seen_digit {
        return Err(format!("'{raw}' is not an amount"));
    }
    let (thousands, point) = match mark {
        DecimalMark::Point => (',', '.'),
        DecimalMark::Comma => ('.', ','),
    };
    if digits.matches(point).count() > 1 {
        return Err(format!("'{raw}' is not an amount"));
    }
    let (int, frac) = digits.split_once(point).unwrap_or((&digits, ""));
    if frac.contains(thousands) {
        return Err(format!("'{raw}' is not an amount"));
    }
    // Thousands separators only between groups of three digits.
    let groups: Vec<&str> = int.split(thousands).collect();
    if groups.len() > 1
        && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3))
    {
        return Err(format!(
            "'{raw}' is not an amount (its separators do not group thousands)"
        ));
    }
    let plain = format!(
        "{}.{}",
        groups.concat(),
        if frac.is_empty() { "0" } else { frac }
    );
    let value = Decimal::from_str(&plain).map_err(|_| format!("'{raw}' is not an amount"))?;
    Ok(if negative { -value } else { value })
}

/// Whether `code` is an ISO 4217 currency code (upper-cased first).
pub fn currency(code: &str) -> Result<String, String> {
    let code = code.trim().to_ascii_uppercase();
    if iso_currency::Currency::from_code(&code).is_some() {
        Ok(code)
    } else {
        Err(format!(
            "currency '{code}' is not an ISO 4217 code (e.g. EUR, GBP, USD)"
        ))
    }
}

/// Which part comes first in a slashed date (`03/04/2026`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOrder {
    DayFirst,
    MonthFirst,
}

/// Settles the order of slashed dates for a whole file: a first part above 12 proves day
/// first, a second above 12 month first; otherwise the tool's usual order.
pub fn settle_order<'a>(
    dates: impl Iterator<Item = &'a str>,
    usual: DayOrder,
) -> Result<DayOrder, String> {
    let (mut day_first, mut month_first) = (None, None);
    for d in dates {
        let parts: Vec<&str> = d.trim().split(['/', '.', '-']).collect();
        if parts.len() != 3 || parts[0].len() == 4 {
            continue;
        }
        let (a, b) = (
            parts[0].parse::<u32>().unwrap_or(0),
            parts[1].parse::<u32>().unwrap_or(0),
        );
        if a > 12 {
            day_first.get_or_insert(d.trim().to_string());
        }
        if b > 12 {
            month_first.get_or_insert(d.trim().to_string());
        }
    }
    match (day_first, month_first) {
        (Some(a), Some(b)) => Err(format!(
            "the file mixes day-first ({a}) and month-first ({b}) dates; export it again with one date format"
        )),
        (Some(_), None) => Ok(DayOrder::DayFirst),
        (None, Some(_)) => Ok(DayOrder::MonthFirst),
        (None, None) => Ok(usual),
    }
}

/// A date as accounting tools print it: ISO, slashed or dotted in `order`, `12 Oct 2026`,
/// `Oct 12, 2026`, `12-Oct-26`.
pub fn date(text: &str, order: DayOrder) -> Result<NaiveDate, String> {
    let t = text.trim();
    // The common shapes first, without trying every format (100,000-row exports).
    if let Some(d) = numeric_date(t, order) {
        return Ok(d);
    }
    let slashed = match order {
        DayOrder::DayFirst => ["%d/%m/%Y", "%d.%m.%Y", "%d/%m/%y", "%d.%m.%y"],
        DayOrder::MonthFirst => ["%m/%d/%Y", "%m.%d.%Y", "%m/%d/%y", "%m.%d.%y"],
    };
    let named = [
        "%Y-%m-%d",
        "%d %b %Y",
        "%d %B %Y",
        "%b %d, %Y",
        "%B %d, %Y",
        "%d-%b-%Y",
        "%d-%b-%y",
    ];
    for f in named.iter().chain(slashed.iter()) {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Ok(d);
        }
    }
    Err(format!("'{t}' is not a date"))
}

/// `2026-10-12`, `12/10/2026`, `12.10.26` read directly.
fn numeric_date(t: &str, order: DayOrder) -> Option<NaiveDate> {
    let sep = t.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let mut parts = t.split(sep);
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || ![a, b, c]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|x| x.is_ascii_digit()))
    {
        return None;
    }
    let n = |p: &str| p.parse::<u32>().ok();
    if a.len() == 4 && sep == '-' {
        return NaiveDate::from_ymd_opt(i32::try_from(n(a)?).ok()?, n(b)?, n(c)?);
    }
    let year = match c.len() {
        4 => i32::try_from(n(c)?).ok()?,
        2 => 2000 + i32::try_from(n(c)?).ok()?,
        _ => return None,
    };
    let (day, month) = match order {
        DayOrder::DayFirst => (n(a)?, n(b)?),
        DayOrder::MonthFirst => (n(b)?, n(a)?),
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn amounts_as_reports_print_them() {
        let p = DecimalMark::Point;
        assert_eq!(amount("$1,234.56", p).unwrap(), d("1234.56"));
        assert_eq!(amount("(1,200.00)", p).unwrap(), d("-1200.00"));
        assert_eq!(amount("-45.10", p).unwrap(), d("-45.10"));
        assert_eq!(amount("GBP 980", p).unwrap(), d("980"));
        assert_eq!(amount("1 234.50 €", p).unwrap(), d("1234.50"));
        assert_eq!(
            amount("1.234,56", DecimalMark::Comma).unwrap(),
            d("1234.56")
        );
        assert_eq!(amount("12,5", DecimalMark::Comma).unwrap(), d("12.5"));
        assert!(amount("12,34", p).is_err(), "not a thousands group");
        assert!(amount("1.2.3", p).is_err());
        assert!(amount("", p).is_err());
        assert!(amount("n/a", p).is_err());
    }

    #[test]
    fn dates_and_their_order() {
        assert_eq!(
            date("03/04/2026", DayOrder::DayFirst).unwrap(),
            NaiveDate::from_ymd_opt(2026, 4, 3).unwrap()
        );
        assert_eq!(
            date("03/04/2026", DayOrder::MonthFirst).unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 4).unwrap()
        );
        assert_eq!(
            date("12 Oct 2026", DayOrder::DayFirst).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 12).unwrap()
        );
        let order = settle_order(
            ["01/02/2026", "25/02/2026"].into_iter(),
            DayOrder::MonthFirst,
        );
        assert_eq!(order.unwrap(), DayOrder::DayFirst);
        assert!(
            settle_order(["25/02/2026", "02/25/2026"].into_iter(), DayOrder::DayFirst).is_err()
        );
    }

    #[test]
    fn currencies_are_iso_4217() {
        assert_eq!(currency("gbp").unwrap(), "GBP");
        assert!(currency("GPB").unwrap_err().contains("ISO 4217"));
    }

    #[test]
    fn windows_1252_and_bom() {
        assert_eq!(decode(b"\xEF\xBB\xBFa;b"), "a;b");
        assert_eq!(decode(b"Sch\xe4fer"), "Schäfer");
        assert_eq!(sniff_delimiter("a;b;c\n1;2;3\n"), b';');
        assert_eq!(header_key(" *ContactName "), "contactname");
        assert_eq!(header_key("Due (GBP)"), "due");
    }
}
