//! Reads a message's new text as parts of different weight: the body that says what the
//! message is for, and the footer (the signature and the boilerplate below or around it:
//! disclaimers, registered office, payment terms, environment notices). Wording in the footer
//! is evidence of little: "interest may be charged on overdue amounts" under a receipt does
//! not make it a chaser. No I/O here.

use regex::Regex;
use std::sync::LazyLock;

/// The new text, split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Zones {
    pub body: String,
    pub footer: String,
}

/// A closing line that starts the signature, in the languages duebox reads: the whole line
/// is the closing, perhaps followed by a name ("Best regards, Dana").
static CLOSING_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^\s*(?:",
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
static LEGAL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)confidential|intended (?:solely )?for the (?:named |intended )?(?:recipient|addressee)|if you (?:have )?received this (?:e-?mail|message) in error|disclaimer",
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
static TERMS_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)interest (?:may|will|shall) be (?:charged|applied|added) (?:on|to) (?:all )?(?:overdue|late)|payment terms?:? (?:are )?(?:\d+|net)|(?:terms|conditions) of (?:sale|business|payment)|terms and conditions|all invoices are (?:payable|due)",
        r"|late payment (?:interest|charges?) (?:may|will)|(?:our|unsere|nos) (?:general|allgemeinen|conditions)",
        r"|zahlungsbedingungen|agb|verzugszinsen werden|conditions générales|pénalités de retard (?:seront|sont)|condiciones generales|algemene voorwaarden|condizioni generali|termos e condições|ogólne warunki|allmänna villkor|betalingsbetingelser|maksuehdot|obchodní podmínky|általános szerződési|condiţii generale|opći uvjeti|splošni pogoji|genel koşullar",
        r"|unsubscribe|abmelden|se désinscrire|darse de baja|afmelden|disiscriviti|you are receiving this|sie erhalten diese",
    ))
    .expect("valid regex")
});

/// A rule of dashes or underscores: what HTML footers are often set apart by.
static SEPARATOR_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:[-_=*~]\s?){5,}\s*$").expect("valid regex"));

/// Splits `new_text` into body and footer.
pub fn split(new_text: &str) -> Zones {
    let lines: Vec<&str> = new_text.lines().collect();
    let n = lines.len();
    // The signature starts at "-- ", at a closing line, or at a separator rule in the second
    // half; the first line is never a signature (a one-line "Thanks!" message is all body).
    let signature = (1..n).find(|&i| {
        let l = lines[i];
        l == "-- "
            || l.trim() == "--"
            || (l.len() <= 80 && CLOSING_RE.is_match(l))
            || (i * 2 >= n && SEPARATOR_RE.is_match(l))
    });
    let body_end = signature.unwrap_or(n);
    // Paragraphs of the body, so a legal block or a standing payment-terms notice above the
    // signature moves to the footer as a whole.
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
    // A paragraph is a piece of the text (lines joined by the '\n' they were split at), so
    // wording the whole text lacks no paragraph has: one search spares one per paragraph.
    let whole = !new_text.contains('\r');
    let may_legal = !whole || LEGAL_RE.is_match(new_text);
    let may_terms = !whole || TERMS_RE.is_match(new_text);
    for (k, &(s, e)) in paragraphs.iter().enumerate() {
        let text = lines[s..e].join("\n");
        // The first paragraph says what the message is for; after it, legal text is always
        // boilerplate and standing terms are when they come last.
        let trailing = k + 2 >= count && k > 0;
        let boiler = k > 0
            && ((may_legal && LEGAL_RE.is_match(&text))
                || (trailing && may_terms && TERMS_RE.is_match(&text)));
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

    #[test]
    fn a_one_line_message_is_all_body() {
        let z = split("Thanks!\n");
        assert_eq!(z.body.trim(), "Thanks!");
        assert!(z.footer.is_empty());
    }
}
