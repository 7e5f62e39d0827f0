//! Reading a message: any bytes in, a [`Message`] with decoded, terminal-safe headers, the
//! readable text, the attachment list and the thread headers out, or a [`MailError`] that says
//! why not. Built on mailparse; no I/O and no terminal code here.

pub mod attachments;
pub mod html;
pub mod pdf;
pub mod sanitize;

use chrono::{DateTime, Utc};
use mailparse::{MailHeaderMap, ParsedMail};
use std::borrow::Cow;
use std::sync::LazyLock;

/// A mailbox address with its display name, both decoded and made safe to show.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    pub name: Option<String>,
    pub email: String,
}

impl Address {
    /// The domain part, lower case ("acme.com" for "Billing <AR@Acme.com>").
    pub fn domain(&self) -> Option<String> {
        let (_, domain) = self.email.rsplit_once('@')?;
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        (!domain.is_empty()).then_some(domain)
    }
}

/// An attachment as listed to the user; its bytes stay in the raw message until asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    /// Size of the encoded part in bytes.
    pub size: usize,
}

/// Where the readable text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodySource {
    Plain,
    Html,
    Empty,
}

/// A parsed message: everything classification and display need.
#[derive(Debug, Clone)]
pub struct Message {
    pub from: Option<Address>,
    pub reply_to: Option<Address>,
    pub to: Vec<Address>,
    pub subject: String,
    pub date: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// Every Authentication-Results header, as written by the receiving servers.
    pub authentication_results: Vec<String>,
    pub content_language: Option<String>,
    /// The header that marks this as bulk or list mail (List-Unsubscribe, List-Id,
    /// Precedence: bulk), if any: newsletters have one, a vendor's chaser almost never does.
    pub bulk_header: Option<String>,
    /// The header that marks this as an automatic reply (Auto-Submitted, X-Autoreply,
    /// Precedence: auto_reply...), if any: an out-of-office answer is never a chaser.
    pub auto_reply: Option<String>,
    /// A delivery status report (multipart/report, or from the mailer daemon): a bounce.
    pub is_report: bool,
    /// The text of the first PDF attachments, bounded (see [`pdf`]); empty when none.
    pub attachment_text: String,
    /// The readable text, terminal-safe, with "\n" line ends.
    pub body: String,
    pub body_source: BodySource,
    pub attachments: Vec<Attachment>,
}

/// Why a message could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MailError {
    #[error("the message is empty (0 bytes); check that the file is the whole message")]
    Empty,
    #[error("the message has no header block; it does not look like an email (RFC 5322)")]
    NoHeaders,
    #[error("the message nests {0} multipart sections, more than the {MAX_MULTIPARTS} duebox reads; it was left as is, open it in another client if you trust it")]
    TooDeep(usize),
    #[error("the message's structure cannot be parsed: {0}")]
    Unparsable(String),
}

/// Real mail nests a handful of multiparts; thousands only come from hostile mail, and the
/// MIME parser recurses once per level.
pub const MAX_MULTIPARTS: usize = 64;

static ANGLE_ID_RE: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"<([^<>\s]+)>").expect("valid regex"));
static BARE_EMAIL_RE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").expect("valid regex")
});

/// How many times "multipart/" (any case) occurs, counting up to one past the limit. Looks at
/// each '/' (found with SIMD memchr) rather than running a case-insensitive search over the
/// whole message, attachments included.
fn count_multiparts(raw: &[u8]) -> usize {
    const WORD: &[u8] = b"multipart";
    memchr::memchr_iter(b'/', raw)
        .filter(|&i| i >= WORD.len() && raw[i - WORD.len()..i].eq_ignore_ascii_case(WORD))
        .take(MAX_MULTIPARTS + 1)
        .count()
}

/// Parses raw message bytes. Never panics; on input it cannot read it returns a [`MailError`].
pub fn parse(raw: &[u8]) -> Result<Message, MailError> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(MailError::Empty);
    }
    let multiparts = count_multiparts(raw);
    if multiparts > MAX_MULTIPARTS {
        return Err(MailError::TooDeep(multiparts));
    }
    let parsed = mailparse::parse_mail(raw).map_err(|e| MailError::Unparsable(e.to_string()))?;
    if parsed.headers.is_empty() {
        return Err(MailError::NoHeaders);
    }
    let h = &parsed.headers;
    let header = |name: &str| h.get_first_value(name).map(|v| sanitize::one_line(&v));
    let subject = header("Subject").unwrap_or_default();
    let date = h
        .get_first_value("Date")
        .and_then(|d| mailparse::dateparse(&d).ok())
        .and_then(|ts| DateTime::from_timestamp(ts, 0));
    let first_id = |name: &str| header(name).and_then(|v| message_ids(&v).into_iter().next());
    let (body, body_source, attachments, attachment_text) = readable_text(&parsed);
    let from = address_header(&parsed, "From").into_iter().next();
    let sender = from
        .as_ref()
        .map(|a| a.email.to_ascii_lowercase())
        .unwrap_or_default();
    let is_report = parsed
        .ctype
        .mimetype
        .eq_ignore_ascii_case("multipart/report")
        || sender.starts_with("mailer-daemon@")
        || sender.starts_with("postmaster@");
    Ok(Message {
        from,
        reply_to: address_header(&parsed, "Reply-To").into_iter().next(),
        to: address_header(&parsed, "To"),
        subject,
        date,
        message_id: first_id("Message-ID"),
        in_reply_to: first_id("In-Reply-To"),
        references: header("References")
            .map(|v| message_ids(&v))
            .unwrap_or_default(),
        authentication_results: h
            .get_all_values("Authentication-Results")
            .iter()
            .map(|v| sanitize::one_line(v))
            .collect(),
        content_language: header("Content-Language"),
        bulk_header: bulk_header(h),
        auto_reply: auto_reply_header(h),
        is_report,
        body,
        body_source,
        attachments,
        attachment_text,
    })
}

fn bulk_header(h: &[mailparse::MailHeader<'_>]) -> Option<String> {
    for name in ["List-Unsubscribe", "List-Id"] {
        if h.get_first_value(name).is_some() {
            return Some(format!("{name} header"));
        }
    }
    let precedence = h.get_first_value("Precedence")?.trim().to_ascii_lowercase();
    matches!(precedence.as_str(), "bulk" | "list" | "junk")
        .then(|| format!("Precedence: {precedence}"))
}

fn auto_reply_header(h: &[mailparse::MailHeader<'_>]) -> Option<String> {
    if let Some(v) = h.get_first_value("Auto-Submitted") {
        let v = v.trim().to_ascii_lowercase();
        if !v.is_empty() && v != "no" {
            return Some(format!("Auto-Submitted: {}", sanitize::one_line(&v)));
        }
    }
    // (X-Auto-Response-Suppress is set by Outlook on ordinary mail too: it says nothing.)
    for name in ["X-Autoreply", "X-Autorespond"] {
        if h.get_first_value(name).is_some() {
            return Some(format!("{name} header"));
        }
    }
    let precedence = h.get_first_value("Precedence")?.trim().to_ascii_lowercase();
    (precedence == "auto_reply").then(|| "Precedence: auto_reply".to_string())
}

/// Message-IDs in a header value: the `<...>` tokens, or the bare value if it has none.
fn message_ids(value: &str) -> Vec<String> {
    let ids: Vec<String> = ANGLE_ID_RE
        .captures_iter(value)
        .map(|c| c[1].to_string())
        .collect();
    if !ids.is_empty() {
        return ids;
    }
    value
        .split_whitespace()
        .next()
        .map(|v| vec![v.trim_matches(['<', '>']).to_string()])
        .unwrap_or_default()
}

fn address_header(parsed: &ParsedMail<'_>, name: &str) -> Vec<Address> {
    let Some(header) = parsed.headers.get_first_header(name) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Ok(list) = mailparse::addrparse_header(header) {
        for addr in list.iter() {
            match addr {
                mailparse::MailAddr::Single(info) => out.push(to_address(info)),
                mailparse::MailAddr::Group(group) => out.extend(group.addrs.iter().map(to_address)),
            }
        }
    }
    if out.is_empty() {
        // Broken address syntax: salvage whatever looks like an address rather than lose it.
        let value = header.get_value();
        if let Some(m) = BARE_EMAIL_RE.find(&value) {
            out.push(Address {
                name: None,
                email: sanitize::one_line(m.as_str()),
            });
        }
    }
    out
}

fn to_address(info: &mailparse::SingleInfo) -> Address {
    Address {
        name: info
            .display_name
            .as_deref()
            .map(sanitize::one_line)
            .filter(|n| !n.is_empty()),
        email: sanitize::one_line(&info.addr),
    }
}

/// Whether a leaf part is an attachment (not the readable text), and its file name as the
/// message gives it (one line, not yet safe as a file name). `mime` is its type in lower
/// case. The one rule for the attachment list and for saving attachments.
pub(crate) fn attachment_of(part: &ParsedMail<'_>, mime: &str) -> (bool, Option<String>) {
    let disposition = part.get_content_disposition();
    let filename = disposition
        .params
        .get("filename")
        .or_else(|| part.ctype.params.get("name"))
        .map(|n| sanitize::one_line(n));
    // A broken text type ("text/", "text/plain;;;") is still the text a person reads.
    let texty = mime == "text/plain"
        || mime == "text/html"
        || (mime.starts_with("text") && !mime.contains('/'))
        || mime == "text/"
        || (mime.starts_with("text/plain") && mime.len() > "text/plain".len());
    let is_attachment = disposition.disposition == mailparse::DispositionType::Attachment
        || filename.is_some()
        || !texty;
    (is_attachment, filename)
}

/// PDFs read per message, and the attachment text kept in all.
const MAX_PDFS: usize = 3;
const MAX_ATTACHMENT_TEXT: usize = 24 * 1024;

/// Chooses the text to read: inline text/plain parts, or the HTML parts rendered as text when
/// there is no real plain text. Lists everything else as attachments, and reads the text of
/// the first PDFs.
fn readable_text(parsed: &ParsedMail<'_>) -> (String, BodySource, Vec<Attachment>, String) {
    let mut attachment_text = String::new();
    let mut pdfs = 0;
    let mut plain_parts = Vec::new();
    let mut html_parts = Vec::new();
    let mut attachments = Vec::new();
    // Depth-first, in document order, without recursion.
    let mut stack: Vec<&ParsedMail<'_>> = vec![parsed];
    while let Some(part) = stack.pop() {
        if !part.subparts.is_empty() {
            stack.extend(part.subparts.iter().rev());
            continue;
        }
        let mime = part.ctype.mimetype.to_ascii_lowercase();
        if mime.starts_with("multipart/") {
            continue; // A multipart whose parts could not be found holds nothing readable.
        }
        let (is_attachment, filename) = attachment_of(part, &mime);
        if is_attachment {
            let is_pdf = mime == "application/pdf"
                || filename
                    .as_deref()
                    .is_some_and(|n| n.to_ascii_lowercase().ends_with(".pdf"));
            // Base64 is 4/3 of the bytes: a part this size cannot decode under the cap.
            if is_pdf
                && pdfs < MAX_PDFS
                && attachment_text.len() < MAX_ATTACHMENT_TEXT
                && part.raw_bytes.len() <= pdf::MAX_PDF_BYTES * 4 / 3 + 4096
            {
                pdfs += 1;
                if let Some(text) = part.get_body_raw().ok().and_then(|b| pdf::text(&b)) {
                    attachment_text.push_str(&text);
                    attachment_text.push('\n');
                }
            }
            attachments.push(Attachment {
                name: filename.unwrap_or_else(|| "(unnamed)".to_string()),
                content_type: sanitize::one_line(&mime),
                size: part.raw_bytes.len(),
            });
        } else if mime == "text/html" {
            html_parts.push(part);
        } else {
            plain_parts.push(part);
        }
    }
    // The HTML alternative is decoded only when there is no real plain text: a plain part that
    // only says "view this in HTML" does not count.
    let plain = decode_all(&plain_parts);
    let (text, source) =
        if plain.trim().len() >= 40 || (html_parts.is_empty() && !plain.trim().is_empty()) {
            (plain, BodySource::Plain)
        } else {
            let html = decode_all(&html_parts);
            if html.trim().is_empty() {
                let source = if plain.trim().is_empty() {
                    BodySource::Empty
                } else {
                    BodySource::Plain
                };
                (plain, source)
            } else {
                (html::to_text(&html), BodySource::Html)
            }
        };
    // Dropping control characters also turns CRLF into LF.
    let text = sanitize::for_terminal(&text);
    (text, source, attachments, attachment_text)
}

/// The decoded text of several parts, one after the other.
fn decode_all(parts: &[&ParsedMail<'_>]) -> String {
    let mut out = String::new();
    for part in parts {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&decode_text(part));
    }
    out
}

/// Decodes quoted-printable leniently, as mail clients do: "=XX" (either case) is a byte, "="
/// before a line end (trailing blanks allowed) is a soft break, any other "=" stays as written.
/// Runs between '=' are copied whole; this is several times faster than the quoted_printable
/// crate that mailparse uses (measured: QP decoding was a fifth of the cost of reading a mailbox).
fn decode_quoted_printable(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = memchr::memchr(b'=', rest) {
        out.extend_from_slice(&rest[..at]);
        let after = &rest[at + 1..];
        let blanks = after
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        rest = match (
            after.first().copied().and_then(hex),
            after.get(1).copied().and_then(hex),
        ) {
            (Some(hi), Some(lo)) => {
                out.push(hi << 4 | lo);
                &after[2..]
            }
            _ => match &after[blanks..] {
                [b'\r', b'\n', tail @ ..] | [b'\n', tail @ ..] => tail,
                [] => &[],
                _ => {
                    out.push(b'=');
                    after
                }
            },
        };
    }
    out.extend_from_slice(rest);
    out
}

/// The part's body exactly as written, for when its transfer encoding is broken.
/// The bytes of a base64 body that strict decoding refused, read as far as it is base64: its
/// leading lines of the base64 alphabet (padding and odd line widths allowed), up to the first
/// line that is not (a stray "====" line, the boundary of a multipart that is not one).
/// Showing the clerk a screen of base64 because of one bad line at the end loses the mail.
/// `None` unless those lines are most of the body: plain text declared base64 is read as the
/// text it is.
fn base64_prefix(encoded: &[u8]) -> Option<Vec<u8>> {
    use base64::engine::{
        general_purpose::GeneralPurposeConfig, DecodePaddingMode, GeneralPurpose,
    };
    use base64::Engine;
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    let mut clean: Vec<u8> = Vec::with_capacity(encoded.len());
    let mut taken = 0;
    for line in encoded.split(|b| *b == b'\n') {
        let line = line.trim_ascii();
        let data = line
            .strip_suffix(b"==")
            .or_else(|| line.strip_suffix(b"="))
            .unwrap_or(line);
        if data.is_empty() && line.is_empty() {
            continue;
        }
        if data.is_empty() || !data.iter().all(|b| is_b64(*b)) {
            break;
        }
        clean.extend_from_slice(data);
        taken += line.len();
        if data.len() != line.len() {
            break; // padding ends the data
        }
    }
    // A lone character left over after whole groups of four holds no byte.
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let all = encoded.iter().filter(|b| !b.is_ascii_whitespace()).count();
    if clean.is_empty() || taken * 2 < all {
        return None;
    }
    engine.decode(&clean).ok()
}

fn encoded_bytes<'a>(part: &'a ParsedMail<'a>) -> &'a [u8] {
    match part.get_body_encoded() {
        mailparse::body::Body::Base64(b) | mailparse::body::Body::QuotedPrintable(b) => b.get_raw(),
        mailparse::body::Body::SevenBit(b) | mailparse::body::Body::EightBit(b) => b.get_raw(),
        mailparse::body::Body::Binary(b) => b.get_raw(),
    }
}

/// Decodes a text part: transfer encoding first, then the charset. A missing or unknown charset
/// is read as UTF-8 when the bytes are valid UTF-8, else as Windows-1252, which is what
/// unlabelled 8-bit mail almost always is. Base64 with junk after it is read as far as it is
/// base64; other broken transfer encoding falls back to the raw bytes.
fn decode_text(part: &ParsedMail<'_>) -> String {
    let bytes = match part.get_body_encoded() {
        mailparse::body::Body::QuotedPrintable(body) => decode_quoted_printable(body.get_raw()),
        mailparse::body::Body::Base64(body) => part
            .get_body_raw()
            .ok()
            .or_else(|| base64_prefix(body.get_raw()))
            .unwrap_or_else(|| encoded_bytes(part).to_vec()),
        _ => part
            .get_body_raw()
            .unwrap_or_else(|_| encoded_bytes(part).to_vec()),
    };
    let label = part.ctype.charset.trim().to_ascii_lowercase();
    let declared = match label.as_str() {
        "" | "us-ascii" | "ascii" => None,
        other => charset::Charset::for_label(other.as_bytes()),
    };
    match declared {
        // The decoder hands back the input itself when it already is the text (UTF-8, or ASCII
        // in an ASCII-based charset): keep the decoded bytes rather than copy them again.
        Some(cs) => match cs.decode_without_bom_handling(&bytes).0 {
            Cow::Owned(text) => text,
            Cow::Borrowed(_) => String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        },
        None => match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => charset::Charset::for_label(b"windows-1252")
                .map(|cs| cs.decode_without_bom_handling(e.as_bytes()).0.into_owned())
                .unwrap_or_else(|| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_with_junk_after_it_is_read_as_far_as_it_goes() {
        let text = "Hi there,\r\n\r\nPlease find below your statement of account.\r\n";
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(text);
        // Wrapped at 50 (not a multiple of four), then a stray padding line and a boundary.
        let lines: Vec<String> = encoded
            .as_bytes()
            .chunks(50)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect();
        let raw = format!(
            "From: a@b.example\r\nSubject: Statement\r\nContent-Type: text/plain; charset=us-ascii\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n====\r\n--not-a-boundary--\r\n",
            lines.join("\r\n")
        );
        let m = parse(raw.as_bytes()).unwrap();
        assert!(m.body.contains("statement of account"), "{}", m.body);
        assert!(!m.body.contains("not-a-boundary"), "{}", m.body);
        // Nothing of base64 at all: nothing decoded, never a panic.
        assert_eq!(base64_prefix(b"====\r\n--x--"), None);
        assert_eq!(base64_prefix(b"aGk=\r\nQUFB").as_deref(), Some(&b"hi"[..]));
        // Plain text declared base64 is not base64 at all.
        assert_eq!(
            base64_prefix(b"Dear customer,\r\ninvoice 12 is due\r\n"),
            None
        );
    }

    #[test]
    fn headers_are_decoded_and_safe() {
        let raw = b"From: =?utf-8?Q?Sch=C3=A4fer_GmbH?= <Buchhaltung@Schaefer.de>\r\n\
Subject: =?utf-8?Q?Zahlungserinnerung_=E2=80=93_RE-2026-117?= \x1b[2J\r\n\
Message-ID: <abc@x>\r\nIn-Reply-To: <p@x>\r\nReferences: <o@x> <p@x>\r\n\r\nHallo\r\n";
        let m = parse(raw).unwrap();
        assert_eq!(m.subject, "Zahlungserinnerung – RE-2026-117");
        let from = m.from.unwrap();
        assert_eq!(from.name.as_deref(), Some("Schäfer GmbH"));
        assert_eq!(from.domain().as_deref(), Some("schaefer.de"));
        assert_eq!(m.message_id.as_deref(), Some("abc@x"));
        assert_eq!(m.in_reply_to.as_deref(), Some("p@x"));
        assert_eq!(m.references, vec!["o@x", "p@x"]);
        assert_eq!(m.body, "Hallo\n");
    }

    #[test]
    fn plain_preferred_html_rendered_otherwise_attachments_listed() {
        let raw = b"From: a@b.c\nContent-Type: multipart/mixed; boundary=X\n\n--X\n\
Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n\
<p>F=E4llig am <b>01.10.2026</b></p>\n--X\nContent-Type: application/pdf; name=\"RE-1.pdf\"\n\
Content-Transfer-Encoding: base64\n\nJVBERi0=\n--X--\n";
        let m = parse(raw).unwrap();
        assert_eq!(m.body_source, BodySource::Html);
        assert_eq!(m.body, "Fällig am 01.10.2026\n");
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].name, "RE-1.pdf");
        assert_eq!(m.attachments[0].content_type, "application/pdf");
    }

    #[test]
    fn quoted_printable_is_decoded_leniently() {
        let cases: [(&[u8], &[u8]); 6] = [
            (b"F=E4llig am 1.=\r\n10. =3D ok", b"F\xe4llig am 1.10. = ok"),
            (b"soft break =  \nnext", b"soft break next"),
            (b"lower =e2=82=ac case", b"lower \xe2\x82\xac case"),
            (b"broken =ZZ and =4", b"broken =ZZ and =4"),
            (b"ends with =", b"ends with "),
            (b"==41", b"=A"),
        ];
        for (encoded, want) in cases {
            assert_eq!(
                decode_quoted_printable(encoded),
                want,
                "{:?}",
                String::from_utf8_lossy(encoded)
            );
        }
    }

    #[test]
    fn unlabelled_eight_bit_is_read_as_windows_1252() {
        let m = parse(b"Subject: x\n\nBetrag: 100 \x80, f\xe4llig\n").unwrap();
        assert_eq!(m.body, "Betrag: 100 €, fällig\n");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(parse(b"").unwrap_err(), MailError::Empty);
        let deep = "Content-Type: multipart/mixed; boundary=a\n\n".repeat(200);
        assert!(matches!(parse(deep.as_bytes()), Err(MailError::TooDeep(_))));
    }
}
