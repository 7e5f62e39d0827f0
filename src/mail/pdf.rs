//! The text of a PDF attachment, for a statement or a reminder whose mail only says "see
//! attached". Bounded: files above a size cap are not read, only the first pages are, the
//! text is cut short, and a parser panic on hostile input is caught and read as "no text".
//! Built on lopdf; no I/O here, and never a panic out of this module.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Larger PDFs are not read: a chaser's PDF is a page or two, and parsing cost grows with
/// the file (a 5 MB file must not cost more than a few hundred milliseconds).
pub const MAX_PDF_BYTES: usize = 2 * 1024 * 1024;
/// Pages read from the start: a reminder or statement says what it is on page one.
pub const MAX_PAGES: u32 = 3;
/// Text kept per PDF.
pub const MAX_TEXT: usize = 16 * 1024;

/// The text of the first pages of `bytes`, or `None` when it is not a readable PDF, too big,
/// encrypted, or holds no text.
pub fn text(bytes: &[u8]) -> Option<String> {
    if bytes.len() > MAX_PDF_BYTES || !bytes.starts_with(b"%PDF-") || too_deep(bytes) {
        return None;
    }
    // lopdf is not written for hostile input; a panic there is a file we cannot read.
    let result = catch_unwind(AssertUnwindSafe(|| extract(bytes)));
    result.ok().flatten()
}

/// Real PDFs nest arrays and dictionaries a few levels; the parser recurses once per level,
/// and a stack overflow aborts the process (no unwind to catch), so deep nesting is refused
/// before parsing. Stream contents (compressed binary) are skipped; brackets in strings are
/// counted, which can only refuse a file, never let a deep one through.
const MAX_DEPTH: i64 = 64;

fn too_deep(bytes: &[u8]) -> bool {
    let finder = memchr::memmem::Finder::new(b"endstream");
    let mut depth: i64 = 0;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"stream") && !bytes[..i].ends_with(b"end") {
            match finder.find(rest) {
                Some(at) => {
                    i += at + b"endstream".len();
                    continue;
                }
                None => return false,
            }
        }
        match rest {
            [b'<', b'<', ..] => {
                depth += 1;
                i += 2;
            }
            [b'>', b'>', ..] => {
                depth -= 1;
                i += 2;
            }
            [b'[', ..] => {
                depth += 1;
                i += 1;
            }
            [b']', ..] => {
                depth -= 1;
                i += 1;
            }
            _ => i += 1,
        }
        if depth > MAX_DEPTH {
            return true;
        }
    }
    false
}

fn extract(bytes: &[u8]) -> Option<String> {
    let doc = lopdf::Document::load_mem(bytes).ok()?;
    if doc.is_encrypted() {
        return None;
    }
    let pages: Vec<u32> = doc
        .get_pages()
        .keys()
        .copied()
        .take(MAX_PAGES as usize)
        .collect();
    if pages.is_empty() {
        return None;
    }
    let mut out = String::new();
    for page in pages {
        let Ok(t) = doc.extract_text(&[page]) else {
            continue;
        };
        out.push_str(&t);
        out.push('\n');
        if out.len() >= MAX_TEXT {
            break;
        }
    }
    let out = super::sanitize::for_terminal(&out);
    let mut end = out.len().min(MAX_TEXT);
    while !out.is_char_boundary(end) {
        end -= 1;
    }
    let text = out[..end].to_string();
    (!text.trim().is_empty()).then_some(text)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal one-page PDF showing `line` (with a correct cross-reference table).
    pub(crate) fn pdf_with_text(line: &str) -> Vec<u8> {
        let content = format!("BT /F1 12 Tf 72 720 Td ({line}) Tj ET");
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
                .to_string(),
        ];
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for off in offsets {
            out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }

    #[test]
    fn reads_the_text_of_a_simple_pdf() {
        let pdf = pdf_with_text("Statement of account - open items");
        let t = text(&pdf).expect("text");
        assert!(t.contains("Statement of account"), "{t:?}");
    }

    #[test]
    fn hostile_or_oversized_input_gives_no_text() {
        assert_eq!(text(b""), None);
        assert_eq!(
            text(b"%PDF-1.7\n1 0 obj << /Length 99999999 >> stream\n"),
            None
        );
        let mut big = b"%PDF-1.4\n".to_vec();
        big.resize(MAX_PDF_BYTES + 1, b' ');
        assert_eq!(text(&big), None);
        let mut truncated = pdf_with_text("Final notice");
        truncated.truncate(truncated.len() / 2);
        let _ = text(&truncated);
        let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let mut g = b"%PDF-1.4\n".to_vec();
        g.extend(garbage);
        let _ = text(&g);
        // Deep nesting would overflow the parser's stack, which no unwind catches.
        let mut deep = b"%PDF-1.4\n1 0 obj\n".to_vec();
        deep.extend(std::iter::repeat_n(b'[', 200_000));
        assert_eq!(text(&deep), None);
        let mut dicts = b"%PDF-1.4\n1 0 obj\n".to_vec();
        dicts.extend(std::iter::repeat_n(b"<<", 100_000).flatten());
        assert_eq!(text(&dicts), None);
    }
}
