//! Reads tables in a message's text (HTML tables rendered as "a | b | c" rows, or plain-text
//! columns separated by tabs or runs of spaces), so the columns of a statement of account can
//! be told apart. No I/O here.

/// One table: the header's cells and the rows beneath it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table<'a> {
    pub header: Vec<&'a str>,
    pub rows: Vec<Vec<&'a str>>,
}

impl<'a> Table<'a> {
    /// Index of the first header cell for which `pred` holds.
    pub fn column(&self, pred: impl Fn(&str) -> bool) -> Option<usize> {
        self.header.iter().position(|h| pred(h))
    }

    /// The cells of column `i`, one per row that has it.
    pub fn cells(&self, i: usize) -> impl Iterator<Item = &'a str> + '_ {
        self.rows.iter().filter_map(move |r| r.get(i).copied())
    }
}

/// Splits a line into cells; `None` when it is not a table row (fewer than two cells).
pub fn cells(line: &str) -> Option<Vec<&str>> {
    let line = line.trim();
    let parts: Vec<&str> = if line.contains(" | ") || line.starts_with('|') {
        line.trim_matches('|').split('|').map(str::trim).collect()
    } else if line.contains('\t') {
        line.split('\t')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect()
    } else if line.contains("  ") {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect()
    } else {
        return None;
    };
    (parts.len() >= 2).then_some(parts)
}

/// Finds tables whose header row satisfies `is_header`; each runs until the first line that
/// is not a row.
pub fn find<'a>(text: &'a str, is_header: impl Fn(&[&str]) -> bool) -> Vec<Table<'a>> {
    Rows::new(text).find(is_header)
}

/// A text's lines, each split into cells once, for the several readers of its tables (the
/// invoice numbers, the amount, the due date each look for their own columns).
#[derive(Debug, Clone, Default)]
pub struct Rows<'a> {
    /// Every line, with its cells when it is a row.
    lines: Vec<(&'a str, Option<Vec<&'a str>>)>,
}

impl<'a> Rows<'a> {
    pub fn new(text: &'a str) -> Rows<'a> {
        Rows {
            lines: text.lines().map(|l| (l, cells(l))).collect(),
        }
    }

    /// [`find`] over these lines.
    pub fn find(&self, is_header: impl Fn(&[&str]) -> bool) -> Vec<Table<'a>> {
        let mut tables = Vec::new();
        let mut lines = self.lines.iter().peekable();
        while let Some((_, header)) = lines.next() {
            let Some(header) = header else { continue };
            if !is_header(header) {
                continue;
            }
            let mut rows = Vec::new();
            while let Some((next, row)) = lines.peek() {
                // Separator lines of plain-text tables ("-----", "=====") are skipped.
                if !next.trim().is_empty()
                    && next
                        .trim()
                        .chars()
                        .all(|c| matches!(c, '-' | '=' | '+' | '|' | ' '))
                {
                    lines.next();
                    continue;
                }
                match row {
                    Some(row) => {
                        rows.push(row.clone());
                        lines.next();
                    }
                    None => break,
                }
            }
            tables.push(Table {
                header: header.clone(),
                rows,
            });
        }
        tables
    }

    /// How many lines are rows of at least `n` cells.
    pub fn count_with(&self, n: usize) -> usize {
        self.lines
            .iter()
            .filter(|(_, c)| c.as_ref().is_some_and(|c| c.len() >= n))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_and_plain_tables() {
        let text = "Hello\nInvoice | Due | Amount\nINV-1 | 01.10.2026 | € 5,00\nINV-2 | 02.10.2026 | € 6,00\n\nInvoice     Due date      Amount\n----------------------------\nA-1         2026-10-01    $5.00\n";
        let tables = find(text, |h| h.iter().any(|c| c.starts_with("Invoice")));
        assert_eq!(tables.len(), 2);
        assert_eq!(tables[0].rows.len(), 2);
        assert_eq!(
            tables[0].cells(0).collect::<Vec<_>>(),
            vec!["INV-1", "INV-2"]
        );
        assert_eq!(tables[1].column(|h| h.contains("Due")), Some(1));
        assert_eq!(tables[1].cells(1).collect::<Vec<_>>(), vec!["2026-10-01"]);
    }
}
