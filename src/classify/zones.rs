//! Reads a message's new text as parts of different weight: the body that says what the
//! message is for, and the footer (the signature and the boilerplate below or around it:
//! disclaimers, registered office, payment terms, environment notices). Wording in the footer
//! is evidence of little: "interest may be charged on overdue amounts" under a receipt does
//! not make it a chaser. No I/O here.

use regex::Regex;
use regex_automata::meta;
use std::borrow::Cow;
use std::sync::LazyLock;

/// The new text, split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Zones {
    pub body: String,
    pub footer: String,
}

/// A closing line that starts the signature, in the languages duebox reads: the whole line
/// is the closing, perhaps followed by a name ("Best regards, Dana").
static CLOSING_RE: LazyLock<meta::Regex> = LazyLock::new(|| {
    unprefiltered(concat!(
        r"^\s*(?:",
        r"kind regards|best regards|warm regards|regards|best wishes|many thanks|thanks(?: again| and regards)?|thank you|sincerely|yours (?:sincerely|faithfully|truly)|cheers|respectfully",
        r"|mit freundlichen grüßen|mit freundlichen grüssen|freundliche grüße|freundliche grüsse|viele grüße|beste grüße|mfg|(?:liebe |herzliche )?grüße|gruß",
        r"|(?:bien )?cordialement|(?:meilleures |sincères )?salutations(?: distinguées)?|bien à vous|veuillez agréer.*",
        r"|(?:un )?saludos?(?: cordiales)?|atentamente|cordialmente|reciba un cordial saludo",
        r"|met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|groeten|hoogachtend|mvg",
        r"|cordiali saluti|distinti saluti|saluti|un cordiale saluto",
        r"|atenciosamente|(?:com os melhores )?cumprimentos|abraços",
        r"|z poważaniem|pozdrawiam|pozdrawiamy|z wyrazami szacunku",
        r"|med vänliga hälsningar|vänliga hälsningar|hälsningar|mvh|med venlig hilsen|venlig hilsen|de bedste hilsner|med vennlig hilsen|vennlig hilsen",
        r"|ystävällisin terveisin|terveisin|parhain terveisin",
        r"|s pozdravem|s přátelským pozdravem|s pozdravom|s úctou",
        r"|üdvözlettel|tisztelettel|köszönettel",
        r"|cu stimă|cu respect|cu deosebită consideraţie|cu deosebită consideraţie|toate cele bune",
        r"|srdačan pozdrav|lijep pozdrav|s poštovanjem|lep pozdrav|s spoštovanjem|lp",
        r"|saygılarımızla|saygılarımla|iyi çalışmalar",
        r"|salutacions|cordialment|atentament",
        r"|よろしくお願い(?:いたします|致します|します|申し上げます)。?|敬具|此致|敬礼|顺祝商祺|祝好|顺颂商祺",
        r")\s*[,.!。]?(?:\s*[\p{L}.'-]+){0,3}\s*$"
    ))
    .expect("valid regex")
});

/// Legal and company boilerplate: never what a message is for, wherever it stands.
static LEGAL_RE: LazyLock<meta::Regex> = LazyLock::new(|| {
    unprefiltered(concat!(
        r"confidential|intended (?:solely )?for the (?:named |intended )?(?:recipient|addressee)|if you (?:have )?received this (?:e-?mail|message) in error|disclaimer",
        r"|registered (?:office|in england|address|number)|company (?:no|number|registration)|vat (?:reg|no|number|id)|think before you print|consider the environment|please don't print|privacy (?:policy|notice)",
        r"|geschäftsführ|amtsgericht|registergericht|(?-u:\b)hrb\s*\d|ust-?id|sitz der gesellschaft|handelsregister|vertraulich",
        r"|siège social|capital (?:social )?de|(?-u:\b)rcs(?-u:\b)|(?-u:\b)siret|(?-u:\b)siren|tva intracom",
        r"|registro mercantil|(?-u:\b)c\.?i\.?f\.?[: ]|(?-u:\b)nif[: ]|(?-u:\b)kvk|(?-u:\b)btw[- ]?(?:nr|nummer)|partita iva|p\.\s?iva|codice fiscale|(?-u:\b)cnpj|(?-u:\b)nipc",
        r"|(?-u:\b)nip[: ]|(?-u:\b)regon|(?-u:\b)krs[: ]|(?-u:\b)ičo|(?-u:\b)dič|org\.?\s?nr|organisationsnummer|(?-u:\b)cvr|y-tunnus|adószám|cégjegyzék|(?-u:\b)cui[: ]|(?-u:\b)oib[: ]|matična|davčna|vergi (?:no|dairesi)|mersis",
        r"|this (?:e-?mail|message) (?:and any attachments|is intended|may contain)|diese e-?mail (?:enthält|kann)|ce (?:message|courriel) (?:et|est|peut)|este (?:mensaje|correo) (?:y|es|puede)|dit bericht is",
    ))
    .expect("valid regex")
});

/// Standing payment terms and newsletter-style footers: boilerplate when they close a message.
static TERMS_RE: LazyLock<meta::Regex> = LazyLock::new(|| {
    unprefiltered(concat!(
        r"interest (?:may|will|shall) be (?:charged|applied|added) (?:on|to) (?:all )?(?:overdue|late)|payment terms?:? (?:are )?(?:\d+|net)|(?:terms|conditions) of (?:sale|business|payment)|terms and conditions|all invoices are (?:payable|due)",
        r"|late payment (?:interest|charges?) (?:may|will)|(?:our|unsere|nos) (?:general|allgemeinen|conditions)",
        r"|zahlungsbedingungen|agb|verzugszinsen werden|conditions générales|pénalités de retard (?:seront|sont)|condiciones generales|algemene voorwaarden|condizioni generali|termos e condições|ogólne warunki|allmänna villkor|betalingsbetingelser|maksuehdot|obchodní podmínky|általános szerződési|condiţii generale|opći uvjeti|splošni pogoji|genel koşullar",
        r"|unsubscribe|abmelden|se désinscrire|darse de baja|afmelden|disiscriviti|you are receiving this|sie erhalten diese",
    ))
    .expect("valid regex")
});

/// A wording regex run as a lazy DFA alone: its literal prefilter (short words such as "agb",
/// "lp", "mvg" among a hundred) fired so often in running text that it cost more than it saved.
pub(super) fn unprefiltered(pattern: &str) -> Result<meta::Regex, Box<meta::BuildError>> {
    meta::Regex::builder()
        .configure(meta::Config::new().auto_prefilter(false))
        .build(pattern)
        .map_err(Box::new)
}

/// A rule of dashes or underscores: what HTML footers are often set apart by.
static SEPARATOR_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:[-_=*~]\s?){5,}\s*$").expect("valid regex"));

/// Splits `new_text` into body and footer.
///
/// The wording regexes above are written in lower case and run on the text's case fold
/// (`crate::fold`, same byte offsets): a case-insensitive alternation of that size made a lazy
/// DFA many times larger and slower, and this split ran over every byte of the new text.
pub fn split(new_text: &str) -> Zones {
    let folded = crate::fold::fold(new_text);
    // Each line as a byte range of `new_text` (without its "\n" or "\r\n", as `str::lines`
    // gives it), so paragraphs are slices of the text rather than lines joined anew.
    let mut lines: Vec<(usize, usize)> = Vec::with_capacity(new_text.len() / 40 + 1);
    let mut at = 0;
    for l in new_text.lines() {
        let start = at;
        let end = start + l.len();
        at = memchr::memchr(b'\n', &new_text.as_bytes()[end..])
            .map_or(new_text.len(), |i| end + i + 1);
        lines.push((start, end));
    }
    let line = |i: usize| &new_text[lines[i].0..lines[i].1];
    let folded_line = |i: usize| &folded[lines[i].0..lines[i].1];
    let n = lines.len();
    // The signature starts at "-- ", at a closing line, or at a separator rule in the second
    // half; the first line is never a signature (a one-line "Thanks!" message is all body).
    let signature = (1..n).find(|&i| {
        let l = folded_line(i);
        l == "-- "
            || l.trim() == "--"
            || (l.len() <= 80 && may_close(l) && CLOSING_RE.is_match(l))
            || (i * 2 >= n && SEPARATOR_RE.is_match(l))
    });
    let body_end = signature.unwrap_or(n);
    // Paragraphs of the body, so a legal block or a standing payment-terms notice above the
    // signature moves to the footer as a whole.
    let mut paragraphs: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for i in 0..body_end {
        match (line(i).trim().is_empty(), start) {
            (true, Some(s)) => {
                paragraphs.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        paragraphs.push((s, body_end));
    }
    // Without a "\r" the lines of a paragraph joined by "\n" are exactly its slice of the text.
    let sliced = !new_text.contains('\r');
    // Where legal wording starts, found in one pass over the body: no match can span the blank
    // line between two paragraphs, so a paragraph holds legal wording exactly when a match of
    // the whole starts inside it.
    let body_bytes = lines.get(body_end.wrapping_sub(1)).map_or(0, |l| l.1);
    let legal_at: Vec<std::ops::Range<usize>> = if sliced {
        LEGAL_RE
            .find_iter(&folded[..body_bytes])
            .map(|m| m.range())
            .collect()
    } else {
        Vec::new()
    };
    let mut zones = Zones {
        body: String::with_capacity(body_bytes + 2 * paragraphs.len()),
        footer: String::new(),
    };
    let count = paragraphs.len();
    for (k, &(s, e)) in paragraphs.iter().enumerate() {
        let text = paragraph(new_text, &lines, sliced, (s, e));
        let lower = paragraph(&folded, &lines, sliced, (s, e));
        // The first paragraph says what the message is for; after it, legal text is always
        // boilerplate and standing terms are when they come last.
        let trailing = k + 2 >= count && k > 0;
        let legal = if sliced {
            let (from, to) = (lines[s].0, lines[e - 1].1);
            let inside = |m: &std::ops::Range<usize>| from <= m.start && m.end <= to;
            // A match running over a paragraph's edge ("HRB" above a blank line, the number
            // below it) says nothing of either: those paragraphs are read on their own.
            let across = |m: &std::ops::Range<usize>| {
                m.start < to && m.end > to || m.start < from && m.end > from
            };
            legal_at.iter().any(inside)
                || (legal_at.iter().any(across) && LEGAL_RE.is_match(lower.as_ref()))
        } else {
            LEGAL_RE.is_match(lower.as_ref())
        };
        let boiler = k > 0 && (legal || (trailing && TERMS_RE.is_match(lower.as_ref())));
        let target = if boiler {
            &mut zones.footer
        } else {
            &mut zones.body
        };
        target.push_str(&text);
        target.push_str("\n\n");
    }
    if body_end < n {
        if sliced {
            zones.footer.push_str(&new_text[lines[body_end].0..]);
            if !zones.footer.ends_with('\n') {
                zones.footer.push('\n');
            }
        } else {
            for i in body_end..n {
                zones.footer.push_str(line(i));
                zones.footer.push('\n');
            }
        }
    }
    zones
}

/// Lines `s..e` of `text` (or of its fold: same offsets) as one paragraph: its slice of the
/// text when the lines end in "\n" alone (`sliced`), else the lines joined by "\n".
fn paragraph<'t>(
    text: &'t str,
    lines: &[(usize, usize)],
    sliced: bool,
    (s, e): (usize, usize),
) -> Cow<'t, str> {
    if sliced {
        Cow::Borrowed(&text[lines[s].0..lines[e - 1].1])
    } else {
        let each: Vec<&str> = (s..e).map(|i| &text[lines[i].0..lines[i].1]).collect();
        Cow::Owned(each.join("\n"))
    }
}

/// Whether `line` can be a closing line at all: one short of words (a closing and a name, or
/// a single CJK phrase), or the French formula that runs on. Spares the closing regex on the
/// lines of running text.
fn may_close(line: &str) -> bool {
    line.split_whitespace().nth(8).is_none()
        || line
            .as_bytes()
            .windows(8)
            .any(|w| w.eq_ignore_ascii_case(b"veuillez"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_and_boilerplate_go_to_the_footer() {
        let z = split("Thank you for your payment of invoice 123.\n\nKind regards,\nDana\nAcme Ltd\n\nInterest may be charged on overdue amounts.\nRegistered office: 1 High St\n");
        assert!(z.body.contains("Thank you for your payment"));
        assert!(z.footer.contains("overdue amounts"));
        assert!(!z.body.contains("overdue"));
    }

    #[test]
    fn standing_terms_above_the_signature_are_footer_when_last() {
        let z = split("Please find attached invoice 55.\n\nPayment terms: 30 days. Interest will be charged on overdue invoices.\n");
        assert!(z.footer.contains("overdue"), "{z:?}");
        let z = split("Invoice 55 is overdue.\n\nPlease pay now.\n\nThanks\n");
        assert!(z.body.contains("overdue"));
        assert!(z.footer.contains("Thanks"));
    }

    /// The plain reading the one-pass split must agree with: lines joined per paragraph, each
    /// paragraph searched on its own (its case fold), every line of a short enough length
    /// tried as a closing.
    fn reference_split(new_text: &str) -> Zones {
        let lines: Vec<&str> = new_text.lines().collect();
        let lower = |text: &str| crate::fold::fold(text);
        let n = lines.len();
        let signature = (1..n).find(|&i| {
            let l = lines[i];
            l == "-- "
                || l.trim() == "--"
                || (l.len() <= 80 && CLOSING_RE.is_match(&lower(l)))
                || (i * 2 >= n && SEPARATOR_RE.is_match(l))
        });
        let body_end = signature.unwrap_or(n);
        let mut paragraphs: Vec<(usize, usize)> = Vec::new();
        let mut start = None;
        for (i, l) in lines[..body_end].iter().enumerate() {
            match (l.trim().is_empty(), start) {
                (true, Some(s)) => {
                    paragraphs.push((s, i));
                    start = None;
                }
                (false, None) => start = Some(i),
                _ => {}
            }
        }
        if let Some(s) = start {
            paragraphs.push((s, body_end));
        }
        let mut zones = Zones::default();
        let count = paragraphs.len();
        for (k, &(s, e)) in paragraphs.iter().enumerate() {
            let text = lines[s..e].join("\n");
            let trailing = k + 2 >= count && k > 0;
            let boiler = k > 0
                && (LEGAL_RE.is_match(&lower(&text))
                    || (trailing && TERMS_RE.is_match(&lower(&text))));
            let target = if boiler {
                &mut zones.footer
            } else {
                &mut zones.body
            };
            target.push_str(&text);
            target.push_str("\n\n");
        }
        for l in &lines[body_end..] {
            zones.footer.push_str(l);
            zones.footer.push('\n');
        }
        zones
    }

    #[test]
    fn one_pass_split_agrees_with_the_plain_reading() {
        let pieces = [
            "Invoice 55 is overdue, please pay the amount below within seven days of this letter.",
            "Please pay now.",
            "",
            "   ",
            "Kind regards,",
            "Best regards , Dana Maria Smith",
            "Best regards , Dana Maria Smith and some more words after it all",
            "Veuillez agréer, Madame, Monsieur, l'expression de nos salutations les plus distinguées.",
            "Registered office: 1 High St, London",
            "Amtsgericht München HRB",
            "12345",
            "Interest will be charged on overdue invoices.",
            "Payment terms: 30 days net.",
            "-- ",
            "----------",
            "p.",
            "iva 0123",
            "Mit freundlichen Grüßen\r",
            "Thanks!",
            "よろしくお願いいたします。",
        ];
        let mut seed = 7u64;
        for _ in 0..3000 {
            let mut text = String::new();
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (seed >> 33) % 12;
            for _ in 0..len {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
                text.push_str(if (seed >> 20) % 7 == 0 { "\r\n" } else { "\n" });
            }
            if (seed >> 40) % 5 == 0 {
                text.pop();
            }
            assert_eq!(split(&text), reference_split(&text), "{text:?}");
        }
    }

    #[test]
    fn a_one_line_message_is_all_body() {
        let z = split("Thanks!\n");
        assert_eq!(z.body.trim(), "Thanks!");
        assert!(z.footer.is_empty());
    }
}
