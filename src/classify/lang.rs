//! Which of the supported languages a message is written in, from its most common words.
//! Decides month names, day order and which phrasing to expect. No I/O here.

use serde::Serialize;

/// A language duebox reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    De,
    Fr,
    Es,
    Nl,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Nl => "nl",
        }
    }
}

/// Function words that almost never occur in the other languages' mail.
fn vote(word: &str) -> Option<Lang> {
    Some(match word {
        "the" | "and" | "your" | "you" | "please" | "invoice" | "payment" | "of" | "we" | "is"
        | "our" | "this" | "that" | "for" | "have" | "has" | "been" | "with" | "regards" => {
            Lang::En
        }
        "und" | "der" | "die" | "das" | "sie" | "ihre" | "ihr" | "wir" | "bitte" | "rechnung"
        | "nicht" | "zahlung" | "mit" | "freundlichen" | "grüßen" | "ist" | "noch" | "uns"
        | "sehr" | "geehrte" | "geehrter" | "betrag" | "vom" | "auf" | "bis" => Lang::De,
        "le" | "les" | "vous" | "votre" | "vos" | "nous" | "facture" | "est" | "avec" | "pour"
        | "paiement" | "règlement" | "madame" | "monsieur" | "cordialement" | "une" | "sur"
        | "dans" | "au" | "du" | "des" | "pas" | "merci" => Lang::Fr,
        "el" | "los" | "las" | "su" | "sus" | "usted" | "factura" | "pago" | "por" | "que"
        | "para" | "con" | "estimado" | "estimados" | "saludos" | "atentamente" | "una"
        | "hemos" | "del" | "nuestra" | "nuestro" | "importe" => Lang::Es,
        "het" | "een" | "uw" | "u" | "wij" | "factuur" | "betaling" | "van" | "voor" | "niet"
        | "geachte" | "heer" | "mevrouw" | "groet" | "vriendelijke" | "bedrag" | "zijn"
        | "deze" | "nog" | "ons" | "onze" | "wordt" => Lang::Nl,
        _ => return None,
    })
}

/// Detects the language of `text` (only the start is read: that is enough and keeps it cheap).
pub fn detect(text: &str) -> Lang {
    let sample = match text.char_indices().nth(800) {
        Some((i, _)) => &text[..i],
        None => text,
    };
    let lower = crate::fold::fold(sample);
    let mut counts = [0usize; 5];
    for word in lower.split(|c: char| !c.is_alphabetic()) {
        if let Some(lang) = vote(word) {
            counts[lang as usize] += 1;
        }
    }
    let langs = [Lang::En, Lang::De, Lang::Fr, Lang::Es, Lang::Nl];
    let best = (0..5)
        .max_by_key(|&i| (counts[i], usize::from(i == 0)))
        .unwrap_or(0);
    langs[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_language() {
        assert_eq!(
            detect("Please note that your invoice is overdue. Kind regards"),
            Lang::En
        );
        assert_eq!(
            detect("Sehr geehrte Damen und Herren, die Rechnung ist noch offen."),
            Lang::De
        );
        assert_eq!(
            detect("Madame, Monsieur, votre facture n'est pas réglée. Cordialement"),
            Lang::Fr
        );
        assert_eq!(
            detect("Estimados señores, su factura está pendiente de pago. Saludos"),
            Lang::Es
        );
        assert_eq!(
            detect("Geachte heer, uw factuur is nog niet betaald. Met vriendelijke groet"),
            Lang::Nl
        );
        assert_eq!(detect(""), Lang::En);
    }
}
