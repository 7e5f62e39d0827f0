//! Reading past what a report adds around its rows: title lines above the header, group
//! headings ("1 - 30 days past due", a vendor's name), subtotal and total lines, blank lines.
//! Pure.

use super::text::Line;

/// A line of a report's body.
pub enum Part<'a> {
    /// A heading above a group of rows (the vendor's name in reports grouped by vendor).
    Heading(String),
    /// A transaction row.
    Row(&'a Line),
}

/// The body of a report after its header row at `header`: blank and total lines dropped,
/// headings and rows in order.
pub fn body(lines: &[Line], header: usize) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    for line in &lines[header + 1..] {
        if line.is_blank() {
            continue;
        }
        let first = line
            .cells
            .iter()
            .map(|c| c.trim())
            .find(|c| !c.is_empty())
            .unwrap_or("");
        let lower = first.to_lowercase();
        if lower.starts_with("total") || lower == "grand total" || lower.starts_with("gesamt") {
            continue;
        }
        if line.filled() == 1 {
            out.push(Part::Heading(first.to_string()));
            continue;
        }
        out.push(Part::Row(line));
    }
    out
}

/// Whether a heading names an ageing bucket rather than a vendor ("Current", "1 - 30 days
/// past due", "Older", "91 and over").
pub fn is_ageing_bucket(heading: &str) -> bool {
    let h = heading.to_lowercase();
    h == "current"
        || h.starts_with("older")
        || h.contains("days past due")
        || h.contains(" and over")
        || h.contains("overdue")
        || (h.chars().next().is_some_and(|c| c.is_ascii_digit()) && h.contains("days"))
}
