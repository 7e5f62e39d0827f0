//! Splits a reply into the sender's new text and the quoted earlier messages, so a thread is
//! judged on what was just written. No I/O here.

use regex::Regex;
use std::sync::LazyLock;

/// A line that introduces quoted mail: "On ... wrote:", "-----Original Message-----", an
/// Outlook header block, in the languages duebox reads.
static ATTRIBUTION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*(?:
            -{2,}\s*(?:original\ message|ursprüngliche\ nachricht|message\ d'origine|mensaje\ original|oorspronkelijk\ bericht|forwarded\ message|weitergeleitete\ nachricht|message\ transféré|mensaje\ reenviado|doorgestuurd\ bericht|messaggio\ originale|messaggio\ inoltrato|mensagem\ original|mensagem\ encaminhada|wiadomość\ oryginalna|oryginalna\ wiadomość|ursprungligt\ meddelande|vidarebefordrat\ meddelande|oprindelig\ meddelelse|opprinnelig\ melding|alkuperäinen\ viesti|původní\ zpráva|pôvodná\ správa|eredeti\ üzenet|mesaj\ original|izvorna\ poruka|izvirno\ sporočilo|orijinal\ mesaj|missatge\ original)\s*-{2,}
          | (?:from|von|de|van|da|od|från|fra|lähettäjä|feladó|kimden|差出人|发件人|寄件者)\s?[:：]\s?.+   # Outlook block, confirmed by a second header line below
          | (?:on|am|le|el|op|il|em|w\ dniu|den|dne|în|u|dana|v|on\ \S+\ \S+)\s.{4,200}?(?:wrote|schrieb|a\ écrit|escribió|schreef|ha\ scritto|escreveu|napisał|napisała|skrev|kirjoitti|napsal|napsala|napísal|napísala|írta|a\ scris|je\ napisao|je\ napisala|je\ napisal|je\ napisala|yazdı|va\ escriure)\s?.{0,80}:\s*$
          | .{4,200}?(?:kirjoitti|írta|yazdı|のメッセージ|写道|寫道)\s?[:：]\s*$
        )",
    )
    .expect("valid regex")
});

static OUTLOOK_NEXT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:sent|date|gesendet|datum|envoyé|date|enviado|fecha|verzonden|to|an|à|para|aan|inviato|data|a|wysłano|do|skickat|till|sendt|til|lähetetty|vastaanottaja|odesláno|komu|odoslané|elküldve|címzett|trimis|către|poslano|prima|za|poslano|gönderildi|kime|tarih|enviat|per a|送信日時|宛先|发送时间|收件人|日期|件名|主题|subject|betreff|objet|asunto|onderwerp|oggetto|assunto|temat|ämne|emne|aihe|předmět|predmet|tárgy|subiect|zadeva|konu)\s?[:：]")
        .expect("valid regex")
});

/// A two-line attribution ("On Mon, 3 Nov 2026, Dana <ap@x>\nwrote:").
static WROTE_ALONE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:wrote|schrieb|a écrit|escribió|schreef|ha scritto|escreveu|napisał\(a\)|napisał|skrev|kirjoitti|napsal\(a\)|írta|a scris|je napisao|yazdı)\s?:\s*$").expect("valid regex")
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
    let word = t.split([' ', ':', '\t', '：']).next().unwrap_or("");
    if !word.is_ascii() || t.ends_with(':') || t.ends_with('：') {
        // Unusual scripts and "<name> kirjoitti:" lines: the regexes decide.
        return true;
    }
    [
        "on", "am", "le", "el", "op", "from", "von", "de", "van", "il", "em", "w", "den", "dne",
        "u", "dana", "v", "da", "od", "fra",
    ]
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
            let outlook = [
                "from",
                "von",
                "de",
                "van",
                "da",
                "od",
                "från",
                "fra",
                "lähettäjä",
                "feladó",
                "kimden",
                "差出人",
                "发件人",
                "寄件者",
            ]
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
