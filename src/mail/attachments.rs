//! A message's attachments with their decoded bytes (for saving and opening), and the one
//! rule that turns a name from a message into a safe file name: a single plain component,
//! no path separators, no leading dots, no control or bidi characters, no names Windows
//! reserves, bounded length. Pure: bytes in, values out; writing files is `crate::files`.

use super::{attachment_of, pdf, sanitize, Attachment, MailError};

/// One attachment with its decoded content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Listed as in [`super::Message::attachments`], but `size` is the decoded size.
    pub attachment: Attachment,
    pub bytes: Vec<u8>,
}

impl Part {
    /// Whether it is a PDF (by type or by name).
    pub fn is_pdf(&self) -> bool {
        self.attachment.content_type == "application/pdf"
            || self.attachment.name.to_ascii_lowercase().ends_with(".pdf")
    }

    /// A PDF's text (bounded, as recognition reads it), when it has any.
    pub fn pdf_text(&self) -> Option<String> {
        self.is_pdf()
            .then(|| pdf::text(&self.bytes))
            .flatten()
            .map(|t| sanitize::for_terminal(&t))
    }

    /// The name to save it under (see [`safe_file_name`]).
    pub fn file_name(&self) -> String {
        safe_file_name(&self.attachment.name, &self.attachment.content_type)
    }
}

/// Every attachment of a raw message, in the order the message view lists them.
pub fn parts(raw: &[u8]) -> Result<Vec<Part>, MailError> {
    // The same guards as reading a message (empty, no headers, nesting too deep) first.
    super::parse(raw)?;
    let parsed = mailparse::parse_mail(raw).map_err(|e| MailError::Unparsable(e.to_string()))?;
    let mut out = Vec::new();
    let mut stack = vec![&parsed];
    while let Some(part) = stack.pop() {
        if !part.subparts.is_empty() {
            stack.extend(part.subparts.iter().rev());
            continue;
        }
        let mime = part.ctype.mimetype.to_ascii_lowercase();
        if mime.starts_with("multipart/") {
            continue;
        }
        let (is_attachment, filename) = attachment_of(part, &mime);
        if !is_attachment {
            continue;
        }
        // An undecodable body is kept as it was sent rather than lost.
        let bytes = part
            .get_body_raw()
            .unwrap_or_else(|_| part.raw_bytes.to_vec());
        out.push(Part {
            attachment: Attachment {
                name: filename.unwrap_or_else(|| "(unnamed)".to_string()),
                content_type: sanitize::one_line(&mime),
                size: bytes.len(),
            },
            bytes,
        });
    }
    Ok(out)
}

/// Longest file name written, in bytes (most file systems allow 255).
pub const MAX_NAME_BYTES: usize = 200;

/// A file name from a message, made safe to create inside a chosen folder: only the last
/// path component is kept (`../../etc/passwd` → `passwd`), control, bidi and format
/// characters go, characters Windows forbids become `_`, leading dots and spaces go (no
/// hidden or dot files), trailing dots and spaces go, Windows device names (`CON`, `NUL`,
/// `COM1`…) get a `_` in front, and the length is bounded with the extension kept. An empty
/// result becomes `attachment` with an extension for its type.
pub fn safe_file_name(name: &str, content_type: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut clean: String = sanitize::one_line(last)
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .map(|c| if "<>:\"|?*".contains(c) { '_' } else { c })
        .collect();
    clean = clean
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .to_string();
    if clean.is_empty() || clean == "(unnamed)" {
        clean = format!("attachment{}", extension_for(content_type));
    }
    let stem = clean.split('.').next().unwrap_or("").to_ascii_uppercase();
    const DEVICES: [&str; 22] = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    if DEVICES.contains(&stem.trim()) {
        clean.insert(0, '_');
    }
    bound(&clean)
}

/// Zero-width, bidi and other format characters that make a name read as another.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}'
        | '\u{feff}' | '\u{00ad}' | '\u{061c}' | '\u{180e}')
}

/// Cuts a name to [`MAX_NAME_BYTES`] on a character boundary, keeping a short extension.
fn bound(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_string();
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.len() <= 10)
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let mut stem_end = MAX_NAME_BYTES - ext.len();
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    let stem = name[..stem_end].trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    format!("{stem}{ext}")
}

fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => ".pdf",
        "text/plain" => ".txt",
        "text/html" => ".html",
        "text/csv" => ".csv",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "application/zip" => ".zip",
        "application/xml" | "text/xml" => ".xml",
        _ => "",
    }
}

/// A size for people: `512 B`, `12 KB`, `1.4 MB`.
pub fn human_size(bytes: usize) -> String {
    match bytes {
        0..=1023 => format!("{bytes} B"),
        1024..=1_048_575 => format!("{} KB", bytes.div_ceil(1024)),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_messages_become_one_safe_component() {
        let n = |s: &str| safe_file_name(s, "application/pdf");
        assert_eq!(n("RE-2026-117.pdf"), "RE-2026-117.pdf");
        assert_eq!(n("../../etc/passwd"), "passwd");
        assert_eq!(n("C:\\Windows\\evil.exe"), "evil.exe");
        assert_eq!(n(".bashrc"), "bashrc");
        assert_eq!(n("..."), "attachment.pdf");
        assert_eq!(n(""), "attachment.pdf");
        assert_eq!(n("inv\u{202e}fdp.exe"), "invfdp.exe");
        assert_eq!(n("a\r\nb\u{7}.pdf"), "a b.pdf");
        assert_eq!(n("CON.pdf"), "_CON.pdf");
        assert_eq!(n("what?.pdf "), "what_.pdf");
        let long = format!("{}.pdf", "x".repeat(400));
        assert_eq!(n(&long).len(), MAX_NAME_BYTES);
        assert!(n(&long).ends_with(".pdf"));
        assert_eq!(human_size(2048), "2 KB");
    }

    #[test]
    fn parts_are_decoded_in_list_order() {
        let raw = b"From: a@b.test\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--X\r\nContent-Type: application/pdf; name=\"../x.pdf\"\r\nContent-Disposition: attachment; filename=\"../x.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--X\r\nContent-Type: text/csv; name=lines.csv\r\n\r\na,b\r\n--X--\r\n";
        let p = parts(raw).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].bytes, b"%PDF-1.4\n");
        assert_eq!(p[0].file_name(), "x.pdf");
        assert!(p[0].is_pdf());
        assert_eq!(p[1].attachment.name, "lines.csv");
        let listed = crate::mail::parse(raw).unwrap().attachments;
        let names: Vec<_> = listed.iter().map(|a| a.name.clone()).collect();
        assert_eq!(names, ["../x.pdf", "lines.csv"]);
    }
}
