//! Makes decoded text safe to show on a terminal: escape sequences, control characters and
//! bidi overrides are removed, so a hostile subject can never clear the screen, retitle the
//! window, plant a hyperlink or visually rewrite "PAID" as "DUE". No I/O here.

/// Returns `text` with terminal control sequences and control characters removed.
/// Newlines and tabs are kept; a carriage return is dropped (a lone one would let later text
/// overwrite earlier text on the same line, and CRLF becomes LF). Clean runs are copied whole,
/// so the cost on ordinary text is a byte scan and a copy.
pub fn for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = first_unsafe(rest.as_bytes()) {
        out.push_str(&rest[..at]);
        let mut chars = rest[at..].chars();
        rest = match chars.next() {
            Some('\u{1b}') => skip_escape_sequence(chars.as_str()),
            // C1 CSI and OSC introducers: their parameters are swallowed as with ESC [ and ESC ].
            Some('\u{9b}') => skip_until_final(chars.as_str()),
            Some('\u{9d}') => skip_until_string_end(chars.as_str()),
            _ => chars.as_str(),
        };
    }
    out.push_str(rest);
    out
}

/// Whether `text` needs no cleaning (the common case, checked before allocating).
pub fn is_clean(text: &str) -> bool {
    first_unsafe(text.as_bytes()).is_none()
}

/// Where the first character [`for_terminal`] removes starts, looking at UTF-8 bytes: a C0
/// control but newline and tab, DEL, a C1 control (0xC2 0x80..=0x9F), one of the
/// U+2028..=U+202E and U+2066..=U+2069 marks (0xE2 0x80/0x81 ...), or an invisible joiner that
/// is no separator (U+2060, U+FEFF): glued to a word ("\u{feff}Rappel") it hides the word from
/// every rule while showing nothing.
fn first_unsafe(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < b.len() {
        // Eight bytes at a time while they are all printable ASCII (0x20..=0x7E): the common case.
        if let Some(chunk) = b.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            let below_space = w.wrapping_sub(0x2020_2020_2020_2020) & !w;
            let del_or_high = w.wrapping_add(0x0101_0101_0101_0101) | w;
            if (below_space | del_or_high) & 0x8080_8080_8080_8080 == 0 {
                i += 8;
                continue;
            }
        }
        let unsafe_here = match b[i] {
            b'\n' | b'\t' => false,
            0..=0x1f | 0x7f => true,
            0xc2 => matches!(b.get(i + 1), Some(0x80..=0x9f)),
            0xe2 => matches!(
                (b.get(i + 1), b.get(i + 2)),
                (Some(0x80), Some(0xa8..=0xae)) | (Some(0x81), Some(0xa0 | 0xa6..=0xa9))
            ),
            // U+FEFF, a byte-order mark left at the start of decoded UTF-16 or UTF-8 text.
            0xef => matches!((b.get(i + 1), b.get(i + 2)), (Some(0xbb), Some(0xbf))),
            _ => false,
        };
        if unsafe_here {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Same as [`for_terminal`] but on one line: newlines and tabs become spaces (for headers).
pub fn one_line(text: &str) -> String {
    let cleaned = for_terminal(text);
    let mut out = String::with_capacity(cleaned.len());
    let mut last_space = false;
    for c in cleaned.chars() {
        let c = if c == '\n' || c == '\t' { ' ' } else { c };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        out.push(c);
    }
    out.trim().to_string()
}

/// What follows an escape sequence whose ESC was just read.
fn skip_escape_sequence(s: &str) -> &str {
    let mut chars = s.chars();
    match chars.next() {
        Some('[') => skip_until_final(chars.as_str()),
        Some(']' | 'P' | '_' | '^' | 'X') => skip_until_string_end(chars.as_str()),
        // Two-character escapes (ESC 7, ESC c, ESC ( B ...): drop the next character too.
        Some(_) => chars.as_str(),
        None => "",
    }
}

/// CSI: parameters and intermediates (0x20..=0x3f), then one final byte in 0x40..=0x7e.
fn skip_until_final(s: &str) -> &str {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if !('\u{20}'..='\u{3f}').contains(&c) {
            // The final byte ends the sequence; anything else ends it too and is dropped with it.
            return chars.as_str();
        }
    }
    ""
}

/// OSC/DCS/APC/PM/SOS strings end at BEL, ST (ESC \) or C1 ST.
fn skip_until_string_end(s: &str) -> &str {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return chars.as_str(),
            '\u{1b}' => {
                let after = chars.as_str();
                return after.strip_prefix('\\').unwrap_or(after);
            }
            _ => {}
        }
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_escape_sequences() {
        assert_eq!(for_terminal("a\u{1b}[2Jb"), "ab");
        assert_eq!(for_terminal("a\u{1b}]0;evil title\u{7}b"), "ab");
        assert_eq!(
            for_terminal("\u{1b}]8;;http://evil.example\u{1b}\\click\u{1b}]8;;\u{1b}\\"),
            "click"
        );
        assert_eq!(for_terminal("x\u{9b}31my"), "xy");
    }

    #[test]
    fn carriage_return_cannot_overwrite() {
        assert_eq!(for_terminal("PAID\rDUE"), "PAIDDUE");
        assert_eq!(for_terminal("a\r\nb"), "a\nb");
    }

    #[test]
    fn bidi_overrides_and_controls_go_newlines_stay() {
        assert_eq!(
            for_terminal("inv\u{202e}fdp.exe\u{8}\u{0}\n\tok"),
            "invfdp.exe\n\tok"
        );
        assert!(!is_clean("a\u{202e}b"));
        assert_eq!(for_terminal("\u{feff}Rappel\u{2060}"), "Rappel");
        assert!(is_clean("Zahlungserinnerung – Rechnung Nr. 5 € 😀"));
    }

    #[test]
    fn one_line_folds_whitespace() {
        assert_eq!(
            one_line("  Re:\n\t Overdue   invoice \u{1b}[31m"),
            "Re: Overdue invoice"
        );
    }
}
