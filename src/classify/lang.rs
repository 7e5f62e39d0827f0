//! Which language a message is written in, from its script and its most common words, for
//! the 22 languages duebox reads. Decides month names, day order and the language replies are
//! written in. No I/O here.

use serde::Serialize;
use std::collections::HashMap;
use std::sync::LazyLock;

/// A language duebox reads (ISO 639-1 codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    De,
    Fr,
    Es,
    Nl,
    It,
    Pt,
    Pl,
    Sv,
    Da,
    Nb,
    Fi,
    Cs,
    Sk,
    Hu,
    Ro,
    Hr,
    Sl,
    Tr,
    Ca,
    Ja,
    Zh,
}

/// Every language, in the order of the enum.
pub const ALL: [Lang; 22] = [
    Lang::En,
    Lang::De,
    Lang::Fr,
    Lang::Es,
    Lang::Nl,
    Lang::It,
    Lang::Pt,
    Lang::Pl,
    Lang::Sv,
    Lang::Da,
    Lang::Nb,
    Lang::Fi,
    Lang::Cs,
    Lang::Sk,
    Lang::Hu,
    Lang::Ro,
    Lang::Hr,
    Lang::Sl,
    Lang::Tr,
    Lang::Ca,
    Lang::Ja,
    Lang::Zh,
];

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Nl => "nl",
            Lang::It => "it",
            Lang::Pt => "pt",
            Lang::Pl => "pl",
            Lang::Sv => "sv",
            Lang::Da => "da",
            Lang::Nb => "nb",
            Lang::Fi => "fi",
            Lang::Cs => "cs",
            Lang::Sk => "sk",
            Lang::Hu => "hu",
            Lang::Ro => "ro",
            Lang::Hr => "hr",
            Lang::Sl => "sl",
            Lang::Tr => "tr",
            Lang::Ca => "ca",
            Lang::Ja => "ja",
            Lang::Zh => "zh",
        }
    }

    /// The language for an ISO 639-1 code ("no" is read as Bokmål).
    pub fn from_code(code: &str) -> Option<Lang> {
        let code = code.trim().to_ascii_lowercase();
        let code = match code.get(..2) {
            Some("no") => "nb",
            Some(c) => c,
            None => return None,
        };
        ALL.into_iter().find(|l| l.code() == code)
    }
}

/// Common words of each language's business mail: function words first, then the words of
/// invoicing. A word listed for two languages votes for both, so a function word is listed for
/// every language that writes it: "de" and "la" listed for Catalan alone made Spanish mail
/// Catalan, and "de" for Turkish alone made Portuguese mail Turkish.
const WORDS: &[(Lang, &str)] = &[
    (Lang::En, "the and your you please invoice payment of we is our this that for have has been with regards dear kind thank due are will be account amount"),
    (Lang::De, "und der die das sie ihre ihr wir bitte rechnung nicht zahlung mit freundlichen grüßen ist noch uns sehr geehrte geehrter betrag vom auf bis wurde haben damen herren"),
    (Lang::Fr, "le les vous votre vos nous facture est avec pour paiement règlement madame monsieur cordialement une sur dans au du des pas merci vouloir veuillez sommes de la et en à ne un ce qui au"),
    (Lang::Es, "el los las su sus usted factura pago por que para con estimado estimados saludos atentamente una hemos del nuestra nuestro importe le muy señores de la en y a no se es lo al del más este esta"),
    (Lang::Nl, "het een uw u wij factuur betaling van voor niet geachte heer mevrouw groet vriendelijke bedrag zijn deze nog ons onze wordt graag bij de en in op te is dat met"),
    (Lang::It, "il gli della delle di che la per con non vostro vostra fattura pagamento gentile cordiali saluti importo sono abbiamo vi ci questa nostro nostra e in a al è un una"),
    (Lang::Pt, "o os da das do dos que não para com seu sua fatura pagamento prezado prezados atenciosamente valor em uma nossa nosso obrigado cumprimentos de a e em no na um ao é se mais"),
    (Lang::Pl, "i w na z że nie się do jest dla faktura faktury płatności prosimy szanowni państwo pozdrawiam kwota kwoty nr oraz termin poważaniem"),
    (Lang::Sv, "och att det är som för på med inte vi ni er din faktura betalning hälsningar vänliga belopp har till vänligen kr förfallodag vår våra oss detta också eller ska"),
    (Lang::Da, "og at det er som for på med ikke vi i jer din faktura betaling hilsen venlig beløb har til venligst kr af jeres os vores efter nu bliver kære tak"),
    (Lang::Nb, "og at det er som for på med ikke vi dere din faktura betaling hilsen vennlig beløp har til vennligst kr av ikkje deres oss vår våre etter nå blir kjære takk hei"),
    (Lang::Fi, "ja on että ei olemme lasku laskun maksu maksun summa terveisin ystävällisin eräpäivä pyydämme teidän tämä kiitos yhteyttä se tai myös jos ole olla kanssa teille teitä laskua maksua hyvä asiakas viimeistään mennessä muistutus erääntynyt avoin hei tänään"),
    (Lang::Cs, "a je že na se v s k o faktura faktury platba platbu úhradu dobrý den pozdravem částka prosíme jsme vám vaší splatnosti"),
    (Lang::Sk, "a je že na sa v s k o faktúra faktúry platba platbu úhradu dobrý deň pozdravom suma prosíme sme vám vašej splatnosti"),
    (Lang::Hu, "a az és hogy nem is egy számla számlát fizetés összeg kérjük tisztelt üdvözlettel köszönjük önök ön szíveskedjen határidő"),
    (Lang::Ro, "şi în de la cu pe nu că un o factura factură plata plată suma vă rugăm stimate stimaţi mulţumim cu stimă din pentru"),
    (Lang::Hr, "i u na je da se za ne od račun računa uplata iznos molimo poštovani pozdrav hvala vaš vam kn eur dospijeća"),
    (Lang::Sl, "in v na je da se za ne od račun računa plačilo znesek prosimo spoštovani pozdrav hvala vaš vam lep zapadlosti"),
    (Lang::Tr, "ve bir bu için ile de da olarak fatura ödeme tutarı sayın saygılarımızla teşekkür ederiz lütfen tarihli tarafımıza"),
    (Lang::Ca, "el els les la que de per amb no la seva factura pagament benvolgut benvolguts salutacions import us hem nostra vostra i del als és aquesta"),
];

/// Each listed word with the languages it votes for, as a bit set over [`ALL`] (one lookup, no
/// list to walk).
static VOTES: LazyLock<HashMap<&'static str, u32>> = LazyLock::new(|| {
    let mut votes: HashMap<&'static str, u32> = HashMap::new();
    for (lang, words) in WORDS {
        for w in words.split_whitespace() {
            *votes.entry(w).or_default() |= 1 << *lang as u32;
        }
    }
    votes
});

/// The longest listed word, in bytes: a longer word of the text cannot be one of them.
static LONGEST: LazyLock<usize> =
    LazyLock::new(|| VOTES.keys().map(|w| w.len()).max().unwrap_or(0));

/// Letters that only some of the languages write: each seen one is a strong vote.
fn letter_votes(c: char) -> &'static [Lang] {
    match c {
        'ß' => &[Lang::De],
        'ł' | 'ś' | 'ź' | 'ż' | 'ę' | 'ą' | 'ń' => &[Lang::Pl],
        'ř' | 'ů' | 'ě' => &[Lang::Cs],
        'ľ' | 'ĺ' | 'ŕ' => &[Lang::Sk],
        'ő' | 'ű' => &[Lang::Hu],
        // Folded text writes Romanian ș/ț as ş/ţ (see fold.rs).
        'ă' | 'ţ' => &[Lang::Ro],
        'ş' => &[Lang::Ro, Lang::Tr],
        'ğ' | 'ı' => &[Lang::Tr],
        'đ' => &[Lang::Hr],
        'å' => &[Lang::Sv, Lang::Da, Lang::Nb],
        'ø' | 'æ' => &[Lang::Da, Lang::Nb],
        'ã' | 'õ' => &[Lang::Pt],
        'ñ' => &[Lang::Es],
        'ŀ' => &[Lang::Ca],
        _ => &[],
    }
}

/// Detects the language of `text` (only the start is read: that is enough and keeps it
/// cheap); `None` when nothing in it is recognisably any of them.
pub fn detect(text: &str) -> Option<Lang> {
    let sample = match text.char_indices().nth(1200) {
        Some((i, _)) => &text[..i],
        None => text,
    };
    // Japanese writes kana; Chinese writes Han characters without them.
    let ascii = sample.is_ascii();
    let (mut kana, mut han) = (0usize, 0usize);
    if !ascii {
        for c in sample.chars() {
            match c {
                '\u{3040}'..='\u{30ff}' => kana += 1,
                '\u{4e00}'..='\u{9fff}' => han += 1,
                _ => {}
            }
        }
    }
    if kana >= 2 {
        return Some(Lang::Ja);
    }
    if han >= 4 {
        return Some(Lang::Zh);
    }
    let lower = crate::fold::fold(sample);
    let mut counts = [0usize; 22];
    if !ascii {
        for c in lower.chars().filter(|c| !c.is_ascii()) {
            for l in letter_votes(c) {
                counts[*l as usize] += 2;
            }
        }
    }
    let longest = *LONGEST;
    for word in lower.split(|c: char| !c.is_alphabetic()) {
        if word.is_empty() || word.len() > longest {
            continue;
        }
        if let Some(&langs) = VOTES.get(word) {
            let mut rest = langs;
            while rest != 0 {
                counts[rest.trailing_zeros() as usize] += 1;
                rest &= rest - 1;
            }
        }
    }
    let best = (0..22).max_by_key(|&i| (counts[i], usize::from(i == 0)))?;
    (counts[best] >= 2).then_some(ALL[best])
}

/// Detects the language of `text`, falling back on a declared Content-Language.
pub fn detect_with_hint(text: &str, declared: Option<&str>) -> Option<Lang> {
    detect(text).or_else(|| declared.and_then(Lang::from_code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_language() {
        for (text, want) in [
            (
                "Please note that your invoice is overdue. Kind regards",
                Lang::En,
            ),
            (
                "Sehr geehrte Damen und Herren, die Rechnung ist noch offen.",
                Lang::De,
            ),
            (
                "Madame, Monsieur, votre facture n'est pas réglée. Cordialement",
                Lang::Fr,
            ),
            (
                "Estimados señores, su factura está pendiente de pago. Saludos",
                Lang::Es,
            ),
            (
                "Geachte heer, uw factuur is nog niet betaald. Met vriendelijke groet",
                Lang::Nl,
            ),
            (
                "Gentile cliente, la fattura risulta scaduta. Cordiali saluti",
                Lang::It,
            ),
            (
                "Prezado cliente, a fatura está em atraso. Atenciosamente",
                Lang::Pt,
            ),
            (
                "Szanowni Państwo, faktura nie została opłacona. Z poważaniem",
                Lang::Pl,
            ),
            (
                "Hej, fakturan är förfallen och inte betald. Vänliga hälsningar",
                Lang::Sv,
            ),
            (
                "Kære kunde, fakturaen er ikke betalt. Med venlig hilsen",
                Lang::Da,
            ),
            (
                "Hei, fakturaen er ikke betalt ennå. Med vennlig hilsen",
                Lang::Nb,
            ),
            (
                "Hyvä asiakas, lasku on maksamatta. Ystävällisin terveisin",
                Lang::Fi,
            ),
            ("Dobrý den, faktura je po splatnosti. S pozdravem", Lang::Cs),
            ("Dobrý deň, faktúra je po splatnosti. S pozdravom", Lang::Sk),
            (
                "Tisztelt Partnerünk, a számla lejárt. Üdvözlettel",
                Lang::Hu,
            ),
            (
                "Stimate client, factura nu a fost achitată. Cu stimă",
                Lang::Ro,
            ),
            ("Poštovani, račun nije plaćen. Srdačan pozdrav", Lang::Hr),
            ("Spoštovani, račun ni plačan. Lep pozdrav", Lang::Sl),
            (
                "Sayın müşterimiz, faturanız ödenmemiştir. Saygılarımızla",
                Lang::Tr,
            ),
            (
                "Benvolgut client, la factura està pendent de pagament. Salutacions",
                Lang::Ca,
            ),
            ("請求書のお支払いが確認できておりません。", Lang::Ja),
            ("您的发票已逾期，请尽快付款。", Lang::Zh),
        ] {
            assert_eq!(detect(text), Some(want), "{text}");
        }
        assert_eq!(detect(""), None);
        assert_eq!(detect("12345 -- ##"), None);
    }

    /// Spanish and Portuguese are full of "de" and "la": words Catalan and Turkish write too.
    #[test]
    fn shared_function_words_vote_for_every_language_that_writes_them() {
        for (text, want) in [
            (
                "Le informamos de que la factura de la empresa está pendiente de pago desde la fecha de vencimiento.",
                Lang::Es,
            ),
            (
                "Informamos que a fatura de novembro ainda não foi paga, de acordo com o contrato de prestação de serviços.",
                Lang::Pt,
            ),
            (
                "Nous vous rappelons que la facture de la société reste impayée à ce jour.",
                Lang::Fr,
            ),
            (
                "Us recordem que la factura del mes d'octubre i la de novembre estan pendents.",
                Lang::Ca,
            ),
        ] {
            assert_eq!(detect(text), Some(want), "{text}");
        }
    }
}
