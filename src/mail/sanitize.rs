//! Makes decoded text safe to show on a terminal: escape sequences, control characters and
//! bidi overrides are removed, so a hostile subject can never clear the screen, retitle the
//! window, plant a hyperlink or visually rewrite "PAID" as "DUE". No I/O here.

/// Returns `text` with terminal control sequences and control characters removed.
/// Newlines and tabs are kept; a carriage return is dropped (a lone one would let later text
/// overwrite earlier text on the same line).
pub fn for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape_sequence(&mut chars),
            // C1 CSI and OSC introducers: their parameters are swallowed as with ESC [ and ESC ].
            '\u{9b}' => skip_until_final(&mut chars),
            '\u{9d}' => skip_until_string_end(&mut chars),
            '\n' | '\t' => out.push(c),
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether `text` needs no cleaning (the common case, checked before allocating).
pub fn is_clean(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c == '\r' || c == '\u{1b}' || is_unsafe(c))
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

fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        // Bidi embeddings, overrides and isolates: they reorder what the user reads.
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        // Line and paragraph separators break a terminal line layout.
        | '\u{2028}' | '\u{2029}'
    )
}

fn skip_escape_sequence(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_until_final(chars);
        }
        Some(']') | Some('P') | Some('_') | Some('^') | Some('X') => {
            chars.next();
            skip_until_string_end(chars);
        }
        // Two-character escapes (ESC 7, ESC c, ESC ( B ...): drop the next character too.
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

/// CSI: parameters and intermediates, then one final byte in 0x40..=0x7e.
fn skip_until_final(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            return;
        }
    }
}

/// OSC/DCS/APC/PM/SOS strings end at BEL, ST (ESC \) or C1 ST.
fn skip_until_string_end(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
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
