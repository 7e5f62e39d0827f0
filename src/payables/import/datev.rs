//! DATEV's EXTF Buchungsstapel (format category 21): Windows-1252, `;`-separated, German
//! decimals, a first line describing the batch (its period, account length, currency), the
//! column names on the second. Open items are told from the bookings on creditor accounts
//! (Kreditoren: personal accounts one digit longer than the general ledger's, starting 7–9):
//! per creditor and Belegfeld 1, the invoice (Haben on the creditor) less its payments (Soll);
//! a Soll with no invoice is a credit note. Belegdatum is `TTMM` in the batch's year.
//! Pure.

use super::text::{self, Columns, DecimalMark, Line};
use super::{Imported, Options, Row, Rows};
use crate::classify::extract::normalise_invoice;
use crate::payables::{CsvError, Status};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// The batch's header line: what the bookings are read against.
struct Batch {
    from: NaiveDate,
    account_digits: usize,
    currency: Option<String>,
}

fn batch(line: &Line) -> Result<Batch, CsvError> {
    let bad = |why: String| CsvError::Format(format!("line 1 (the EXTF header): {why}"));
    if line.cell(2) != "21" && !line.cell(3).eq_ignore_ascii_case("Buchungsstapel") {
        return Err(bad(format!(
            "this EXTF file is '{}' (category {}), not a Buchungsstapel; export the Buchungsstapel",
            line.cell(3),
            line.cell(2)
        )));
    }
    let day = |i: usize| NaiveDate::parse_from_str(line.cell(i), "%Y%m%d").ok();
    let from = day(14).or_else(|| day(12)).ok_or_else(|| {
        bad(format!(
            "no period start (field 15 'Datum vom' is '{}'); export the batch again from DATEV",
            line.cell(14)
        ))
    })?;
    Ok(Batch {
        from,
        account_digits: line.cell(13).parse().unwrap_or(4),
        currency: Some(line.cell(21).to_string()).filter(|c| !c.is_empty()),
    })
}

impl Batch {
    fn is_creditor(&self, account: &str) -> bool {
        account.len() == self.account_digits + 1
            && account.chars().all(|c| c.is_ascii_digit())
            && matches!(account.as_bytes()[0], b'7'..=b'9')
    }

    /// Belegdatum `TTMM` (or `TTMMJJJJ`) in the batch's year; a day before the period's
    /// start belongs to the next year (a batch that spans New Year).
    fn date(&self, cell: &str) -> Result<NaiveDate, String> {
        let digits = format!("{:0>4}", cell.trim());
        if digits.len() == 8 {
            return NaiveDate::parse_from_str(&digits, "%d%m%Y")
                .map_err(|_| format!("'{cell}' is not a date TTMMJJJJ"));
        }
        let (d, m) = (digits[..2].parse::<u32>(), digits[2..4].parse::<u32>());
        let (Ok(d), Ok(m)) = (d, m) else {
            return Err(format!("'{cell}' is not a date TTMM"));
        };
        let this = NaiveDate::from_ymd_opt(self.from.year(), m, d)
            .ok_or_else(|| format!("'{cell}' is not a date TTMM"))?;
        Ok(if this < self.from {
            NaiveDate::from_ymd_opt(self.from.year() + 1, m, d).unwrap_or(this)
        } else {
            this
        })
    }
}

/// A due date as DATEV writes it: Fälligkeit `TTMMJJJJ`, or Belegfeld 2 `TTMMJJ` (OPOS).
fn due_date(cell: &str) -> Option<NaiveDate> {
    let c = cell.trim();
    match c.len() {
        8 => NaiveDate::parse_from_str(c, "%d%m%Y").ok(),
        6 => NaiveDate::parse_from_str(c, "%d%m%y").ok(),
        _ => None,
    }
}

/// The bookings of one open item so far.
struct Item {
    line: u64,
    creditor: String,
    invoice: String,
    vendor: Option<String>,
    currency: Option<String>,
    issued: Option<NaiveDate>,
    due: Option<NaiveDate>,
    charged: Decimal,
    settled: Decimal,
    last_settled: Option<NaiveDate>,
    error: Option<String>,
}

pub fn read(bytes: &[u8], _opts: &Options, _out: &mut Imported) -> Result<Rows, CsvError> {
    let text = text::decode(bytes);
    let lines = text::records(&text, b';')?;
    let (Some(head), Some(names)) = (lines.first(), lines.get(1)) else {
        return Err(CsvError::Format(
            "a DATEV file needs the EXTF header line and the column names".into(),
        ));
    };
    let batch = batch(head)?;
    let cols = Columns::of(names);
    let need = |n: &str| {
        cols.find(&[n])
            .ok_or_else(|| CsvError::Format(format!("line 2: the DATEV column '{n}' is missing")))
    };
    let amount = need("umsatz (ohne soll/haben-kz)")?;
    let side = need("soll/haben-kennzeichen")?;
    let konto = need("konto")?;
    let gegen = need("gegenkonto (ohne bu-schlüssel)")?;
    let belegdatum = need("belegdatum")?;
    let beleg1 = need("belegfeld 1")?;
    let beleg2 = cols.find(&["belegfeld 2"]);
    let text_col = cols.find(&["buchungstext"]);
    let wkz = cols.find(&["wkz umsatz"]);
    let faellig = cols.find(&["fälligkeit"]);
    let mut items: Vec<Item> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    // A creditor's name is the booking text of its first invoice: payment and credit-note
    // texts ("Teilzahlung ...", "... Gutschrift") do not name it as well.
    let mut names: HashMap<String, String> = HashMap::new();
    let mut rows = Rows::new();
    for line in lines[2..].iter().filter(|l| !l.is_blank()) {
        let (k, g) = (line.cell(konto), line.cell(gegen));
        let (creditor, creditor_is_konto) = if batch.is_creditor(k) {
            (k, true)
        } else if batch.is_creditor(g) {
            (g, false)
        } else {
            continue; // not a booking on a creditor: nothing owed to a vendor
        };
        let parsed = (|| -> Result<(Decimal, bool, NaiveDate), String> {
            let value = text::amount(line.cell(amount), DecimalMark::Comma)
                .map_err(|e| format!("Umsatz {e}"))?;
            if value.is_sign_negative() {
                return Err(format!(
                    "Umsatz {value} is negative; DATEV gives the sign in Soll/Haben-Kennzeichen"
                ));
            }
            let haben = match line.cell(side).to_ascii_uppercase().as_str() {
                "H" => true,
                "S" => false,
                other => {
                    return Err(format!(
                        "Soll/Haben-Kennzeichen '{other}' is neither S nor H"
                    ))
                }
            };
            // Haben on the creditor raises what we owe; on the other account it lowers it.
            let charges = haben == creditor_is_konto;
            let day = batch
                .date(line.cell(belegdatum))
                .map_err(|e| format!("Belegdatum {e}"))?;
            Ok((value, charges, day))
        })();
        let number = line.cell(beleg1).to_string();
        if number.is_empty() {
            rows.push((
                line.number,
                Err("Belegfeld 1 (the invoice number) is empty".into()),
            ));
            continue;
        }
        let key = (creditor.to_string(), normalise_invoice(&number));
        let i = *index.entry(key).or_insert_with(|| {
            items.push(Item {
                line: line.number,
                creditor: creditor.to_string(),
                invoice: number.clone(),
                vendor: None,
                currency: None,
                issued: None,
                due: None,
                charged: Decimal::ZERO,
                settled: Decimal::ZERO,
                last_settled: None,
                error: None,
            });
            items.len() - 1
        });
        let item = &mut items[i];
        match parsed {
            Err(e) => {
                rows.push((line.number, Err(e)));
            }
            Ok((value, true, day)) => {
                if let Some(t) = text_col.map(|c| line.cell(c)).filter(|t| !t.is_empty()) {
                    names
                        .entry(creditor.to_string())
                        .or_insert_with(|| t.to_string());
                }
                item.charged += value;
                item.line = line.number;
                item.issued.get_or_insert(day);
                item.vendor = item.vendor.take().or_else(|| {
                    text_col
                        .map(|c| line.cell(c).to_string())
                        .filter(|t| !t.is_empty())
                });
                item.currency = wkz
                    .map(|c| line.cell(c).to_string())
                    .filter(|c| !c.is_empty());
                let due = faellig
                    .map(|c| line.cell(c))
                    .filter(|c| !c.is_empty())
                    .map(|c| due_date(c).ok_or(format!("Fälligkeit '{c}' is not a date TTMMJJJJ")))
                    .transpose();
                match due {
                    Ok(d) => {
                        item.due = d.or_else(|| beleg2.and_then(|c| due_date(line.cell(c))));
                    }
                    Err(e) => item.error = Some(e),
                }
            }
            Ok((value, false, day)) => {
                item.settled += value;
                item.last_settled = Some(item.last_settled.map_or(day, |d| d.max(day)));
                if item.issued.is_none() {
                    item.vendor = text_col
                        .map(|c| line.cell(c).to_string())
                        .filter(|t| !t.is_empty());
                    item.currency = wkz
                        .map(|c| line.cell(c).to_string())
                        .filter(|c| !c.is_empty());
                    item.line = line.number;
                }
            }
        }
    }
    for item in items {
        let row = (|| -> Result<Row, String> {
            if let Some(e) = item.error {
                return Err(e);
            }
            let credit = item.charged.is_zero();
            let net = item.charged - item.settled;
            if !credit && net.is_sign_negative() {
                return Err(format!(
                    "{} on creditor {} is paid {} more than invoiced",
                    item.invoice, item.creditor, -net
                ));
            }
            let issued = item.issued.or(item.last_settled).unwrap_or(batch.from);
            let due = if credit { Some(issued) } else { item.due };
            let due = due.ok_or(format!(
                "{} has no due date: fill Fälligkeit (TTMMJJJJ) or Belegfeld 2 (TTMMJJ)",
                item.invoice
            ))?;
            let paid = !credit && net.is_zero();
            Ok(Row {
                vendor: names
                    .get(&item.creditor)
                    .cloned()
                    .or(item.vendor)
                    .unwrap_or_else(|| format!("Kreditor {}", item.creditor)),
                invoice: item.invoice,
                amount: if paid { item.charged } else { net },
                credit,
                currency: item.currency.or_else(|| batch.currency.clone()),
                issued,
                due,
                status: Some(if paid { Status::Paid } else { Status::Open }),
                paid_on: if paid { item.last_settled } else { None },
                ..Row::default()
            })
        })();
        rows.push((item.line, row));
    }
    rows.sort_by_key(|(line, _)| *line);
    Ok(rows)
}
