//! Splits a reply into the sender's new text and the quoted earlier messages, so a thread is
//! judged on what was just written. No I/O here.

use regex::Regex;
use std::sync::LazyLock;

/// A line that introduces quoted mail: "On ... wrote:", "-----Original Message-----", an
/// Outlook header block, in the languages duebox reads.
static ATTRIBUTION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*(?:
            -{2,}\s*(?:original\ message|ursprüngliche\ nachricht|message\ d'origine|mensaje\ original|oorspronkelijk\ bericht|forwarded\ message|weitergeleitete\ nachricht|message\ transféré|mensaje\ reenviado|doorgestuurd\ bericht)\s*-{2,}
          | (?:from|von|de|van)\s?:\s.+   # Outlook block, confirmed by a second header line below
          | (?:on|am|le|el|op)\s.{4,200}?(?:wrote|schrieb|a\ écrit|escribió|schreef)\s?.{0,80}:\s*$
        )",
    )
    .expect("valid regex")
});

static OUTLOOK_NEXT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:sent|date|gesendet|datum|envoyé|date|enviado|fecha|verzonden|to|an|à|para|aan)\s?:")
        .expect("valid regex")
});

/// A two-line attribution ("On Mon, 3 Nov 2026, Dana <ap@x>\nwrote:").
static WROTE_ALONE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:wrote|schrieb|a écrit|escribió|schreef)\s?:\s*$").expect("valid regex")
});
static ATTRIBUTION_START_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(?:on|am|le|el|op)\s").expect("valid regex"));

/// Whether a line starts with a word an attribution can start with: a cheap test that spares
/// the regexes on almost every line.
fn may_start_attribution(line: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with("--") {
        return true;
    }
    let word = t.split([' ', ':', '\t']).next().unwrap_or("");
    ["on", "am", "le", "el", "op", "from", "von", "de", "van"]
        .iter()
        .any(|w| word.eq_ignore_ascii_case(w))
}

/// The new text of a message and what it quotes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Split {
    pub new: String,
    pub quoted: String,
}

/// Splits `body` at the first attribution line; '>'-prefixed lines are always quoted.
pub fn split(body: &str) -> Split {
    let lines: Vec<&str> = body.lines().collect();
    let mut cut = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if line.len() > 400 || !may_start_attribution(line) {
            continue;
        }
        let next = lines.get(i + 1).copied().unwrap_or("");
        let is_attribution = if ATTRIBUTION_RE.is_match(line) {
            // "From: x" alone is common in ordinary text; an Outlook block has more headers.
            let lower = line.trim_start().to_lowercase();
            let outlook = ["from", "von", "de", "van"]
                .iter()
                .any(|p| lower.starts_with(p))
                && !lower.starts_with("on ")
                && !lower.starts_with("-");
            !outlook
                || lines[i + 1..]
                    .iter()
                    .take(4)
                    .any(|l| OUTLOOK_NEXT_RE.is_match(l))
        } else {
            ATTRIBUTION_START_RE.is_match(line) && WROTE_ALONE_RE.is_match(next)
        };
        if is_attribution {
            cut = i;
            break;
        }
    }
    let mut new = String::new();
    let mut quoted = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i == cut {
            continue; // The attribution itself ("On ... wrote:") is neither.
        }
        let target = if i >= cut || line.trim_start().starts_with('>') {
            &mut quoted
        } else {
            &mut new
        };
        let l = if i >= cut {
            line.trim_start().trim_start_matches('>').trim_start()
        } else {
            line.trim_start_matches('>')
        };
        target.push_str(l);
        target.push('\n');
    }
    Split { new, quoted }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_wrote_line() {
        let s = split("Still unpaid, please pay.\n\nOn Mon, 3 Nov 2026 at 10:00, Dana <ap@x.com> wrote:\n> We will pay soon.\n");
        assert_eq!(s.new.trim(), "Still unpaid, please pay.");
        assert_eq!(s.quoted.trim(), "We will pay soon.");
    }

    #[test]
    fn splits_outlook_blocks_in_other_languages() {
        let s = split("Merci, c'est réglé.\n\nDe : Transports Moreau <compta@moreau.fr>\nEnvoyé : lundi\nObjet : Relance\n\nFacture impayée");
        assert_eq!(s.new.trim(), "Merci, c'est réglé.");
        assert!(s.quoted.contains("Facture impayée"));
    }

    #[test]
    fn two_line_attribution_and_plain_mail() {
        let s = split(
            "Any update?\nOn Tue, 4 Nov 2026, Brennan AR <ar@b.com>\nwrote:\n> Invoice overdue",
        );
        assert_eq!(s.new.trim(), "Any update?");
        assert!(s.quoted.contains("Invoice overdue"));
        let s = split("From: our side we have no news.\nThanks");
        assert!(s.quoted.is_empty());
    }
}
