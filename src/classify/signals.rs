//! The wording that marks a chaser, its stage, or a look-alike that is not one (a receipt, a new
//! invoice, a newsletter...), in English, German, French, Spanish and Dutch. Each rule carries a
//! weight and a label, so every decision can say which words led to it. No I/O here.

use regex::{Regex, RegexSet, RegexSetBuilder};
use std::sync::LazyLock;

/// What a piece of wording is evidence of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Courtesy or just-due reminder.
    Reminder,
    /// Past-due notice.
    Overdue,
    /// Final notice, collections, legal action, suspension.
    Final,
    /// Statement of account, open items.
    Statement,
    /// Asks for payment without saying which stage ("please arrange payment").
    Claim,
    /// Thanks for or confirms a payment.
    Receipt,
    /// Issues a new invoice.
    NewInvoice,
    /// Shipping or delivery notice.
    Shipping,
    /// Newsletter, marketing, webinar.
    Marketing,
    /// Credit note or quotation.
    OtherDocument,
    /// Asks to pay to new or changed bank details.
    BankChange,
}

impl Signal {
    pub fn is_chase(self) -> bool {
        matches!(
            self,
            Signal::Reminder | Signal::Overdue | Signal::Final | Signal::Statement | Signal::Claim
        )
    }

    pub fn is_negative(self) -> bool {
        matches!(
            self,
            Signal::Receipt
                | Signal::NewInvoice
                | Signal::Shipping
                | Signal::Marketing
                | Signal::OtherDocument
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            Signal::Reminder => "reminder wording",
            Signal::Overdue => "overdue wording",
            Signal::Final => "final-notice wording",
            Signal::Statement => "statement wording",
            Signal::Claim => "asks for payment",
            Signal::Receipt => "payment-receipt wording",
            Signal::NewInvoice => "new-invoice wording",
            Signal::Shipping => "shipping-notice wording",
            Signal::Marketing => "newsletter/marketing wording",
            Signal::OtherDocument => "credit-note/quotation wording",
            Signal::BankChange => "asks to pay to new bank details",
        }
    }
}

struct Rule {
    signal: Signal,
    weight: i32,
    /// A match right after a negation ("not", "no hemos", "pas") does not count.
    negatable: bool,
    pattern: &'static str,
}

const fn rule(signal: Signal, weight: i32, pattern: &'static str) -> Rule {
    Rule {
        signal,
        weight,
        negatable: false,
        pattern,
    }
}

const fn negatable(signal: Signal, weight: i32, pattern: &'static str) -> Rule {
    Rule {
        signal,
        weight,
        negatable: true,
        pattern,
    }
}

use Signal::*;

const RULES: &[Rule] = &[
    // --- reminder -------------------------------------------------------------------------
    rule(
        Reminder,
        3,
        r"payment reminder|reminder of payment|(?:friendly|courtesy|gentle|kind|quick) (?:payment )?reminder|reminder: invoice|invoice reminder",
    ),
    rule(Reminder, 1, r"(?-u:\b)reminder(?-u:\b)"),
    rule(
        Reminder,
        2,
        r"(?:is|are|will be|falls?|becomes?|comes?) due (?:on|soon|today|tomorrow|next|in|by|shortly|this|for payment)|due (?:next|this) (?:week|month)|due (?:date )?(?:is )?(?:approaching|coming up)|upcoming (?:payment|due date)|approaching (?:its|the) due date|due in \d+ days",
    ),
    rule(Reminder, 3, r"zahlungserinnerung|freundliche erinnerung"),
    rule(Reminder, 1, r"(?-u:\b)erinnerung(?-u:\b)"),
    rule(
        Reminder,
        2,
        r"wird (?:am [0-9a-zäöü. ]{1,20})?fällig|bald fällig|demnächst fällig|in kürze fällig",
    ),
    rule(
        Reminder,
        3,
        r"rappel (?:de |d')?(?:paiement|règlement|facture|échéance)|relance amiable|petit rappel|rappel amical|aimable rappel",
    ),
    rule(Reminder, 1, r"(?-u:\b)rappel(?-u:\b)"),
    rule(Overdue, 1, r"(?-u:\b)relance(?-u:\b)"),
    rule(
        Reminder,
        2,
        r"arrive(?:ra)? (?:prochainement |bientôt )?à (?:son )?échéance|échéance (?:approche|prochaine)|prochaine échéance",
    ),
    rule(
        Reminder,
        3,
        r"recordatorio (?:de pago|amistoso|de vencimiento)|aviso de vencimiento",
    ),
    rule(Reminder, 1, r"(?-u:\b)recordatorio(?-u:\b)"),
    rule(
        Reminder,
        2,
        r"vence (?:el|pronto|mañana|hoy|en)|próximo vencimiento|vencerá|está por vencer",
    ),
    rule(
        Reminder,
        3,
        r"betalingsherinnering|vriendelijke herinnering|herinnering betaling",
    ),
    rule(Reminder, 1, r"(?-u:\b)herinnering(?-u:\b)"),
    rule(
        Reminder,
        2,
        r"vervalt (?:op|binnenkort|morgen|vandaag)|bijna verlopen|verloopt binnenkort",
    ),
    // --- overdue --------------------------------------------------------------------------
    rule(Overdue, 4, r"overdue|past[- ]due"),
    rule(
        Overdue,
        3,
        r"(?:has|have) not (?:yet )?been (?:paid|settled|received)|(?:not|yet to) (?:yet )?(?:have )?receive[d]? (?:your |the |any )?payment|no payment (?:has been|was|has yet been) received|still (?:unpaid|outstanding|open|not (?:been )?paid)|remains? (?:unpaid|outstanding|open)|(?-u:\b)unpaid(?-u:\b)|not been settled",
    ),
    rule(
        Overdue,
        3,
        r"(?-u:\b)(?:1st|2nd|3rd|first|second|third) (?:payment )?(?:reminder|notice)",
    ),
    rule(
        Overdue,
        2,
        r"days? (?:past|overdue|late|in arrears)|payment is late|late payment|behind (?:on|with) (?:payment|your account)|in arrears|(?-u:\b)arrears(?-u:\b)",
    ),
    rule(
        Overdue,
        1,
        r"outstanding (?:balance|amount|invoice|payment)",
    ),
    rule(
        Overdue,
        3,
        r"mahnung|überfällig|ueberfaellig|zahlungsverzug|in verzug|noch (?:nicht|keinen?) (?:bezahlt|beglichen|eingegangen|zahlungseingang)|keinen zahlungseingang|noch (?:immer )?offen|offene(?:r|n)? (?:betrag|rechnung|posten|forderung)|nicht (?:fristgerecht|rechtzeitig)|zahlungsrückstand|(?-u:\b)unbezahlt|nicht beglichen|noch nicht ausgeglichen",
    ),
    rule(
        Overdue,
        3,
        r"impayée?s?|en retard|retard de paiement|non (?:réglée?s?|payée?s?|honorée?s?|soldée?s?)|reste (?:due|impayée)|toujours (?:pas|en attente)|(?:deuxième|2e|2ème|seconde|troisième|3e) (?:relance|rappel)|échue?s?(?-u:\b)|arriéré|pas (?:encore )?reçu (?:votre|le|de) (?:paiement|règlement|virement)|date d'échéance (?:est )?(?:dépassée|passée)|échéance (?:est )?dépassée",
    ),
    rule(
        Overdue,
        3,
        r"vencid[ao]s?|impagad[ao]s?|pendientes? de pago|atrasad[ao]s?|retraso en el pago|(?:segundo|tercer) (?:aviso|recordatorio)|no (?:hemos )?recibido (?:el |su |ningún )?pago|sigue pendiente|siguen pendientes|aún no (?:ha sido|se ha|hemos)|en mora|morosidad|deuda pendiente|sin pagar",
    ),
    rule(
        Overdue,
        3,
        r"achterstallig|aanmaning|openstaand(?:e)? (?:bedrag|factu|post|saldo)|nog (?:niet|geen) (?:betaald|voldaan|ontvangen|betaling)|(?:tweede|derde|2e|3e) herinnering|betalingsachterstand|(?-u:\b)onbetaald|(?-u:\b)vervallen(?-u:\b)|verlopen betaaltermijn|betaaltermijn (?:is )?(?:verstreken|overschreden)",
    ),
    // --- final ----------------------------------------------------------------------------
    rule(
        Final,
        3,
        r"final (?:notice|reminder|demand|warning|request)|last (?:reminder|notice|warning|chance)|collection(?:s)? agency|debt collect|debt recovery|collections? (?:department|proceedings|process|partner)|legal (?:action|proceedings|steps|recovery)|county court|small claims|letter before (?:action|claim)|suspen(?:d|sion of) (?:your )?(?:service|account|deliver|supply|supplies)|(?:service|account|supply) (?:will be |may be )?(?:suspended|interrupted|terminated|disconnected|put on hold)|(?:stop|halt|suspend) (?:all )?(?:further )?(?:deliveries|supplies|shipments)|late payment of commercial debts|statutory (?:interest|compensation)|without further (?:notice|warning)|referred to|pre-action",
    ),
    rule(
        Final,
        2,
        r"late (?:payment )?(?:fee|charge|penalt)s?|further action|escalat",
    ),
    rule(
        Final,
        3,
        r"letzte mahnung|letztmalig|inkasso|rechtliche schritte|gerichtlich|mahnverfahren|mahnbescheid|rechtsanwalt|liefersperre|lieferstopp|(?:sperrung|sperren) (?:ihres|des) (?:kontos|zugangs|kundenkontos)|ohne weitere ankündigung|verzugszinsen|mahngebühr|übergabe an",
    ),
    rule(
        Final,
        3,
        r"mise en demeure|dernier (?:rappel|avis|délai)|dernière relance|(?:procédure|société|cabinet|agence|service) de recouvrement|recouvrement (?:contentieux|judiciaire|forcé)|contentieux|huissier|poursuites|procédure judiciaire|action en justice|injonction de payer|suspension (?:de|du|des) (?:service|compte|livraisons?)|sans autre (?:avis|préavis)",
    ),
    rule(
        Final,
        1,
        r"pénalités de retard|indemnité forfaitaire|recouvrement",
    ),
    rule(
        Final,
        3,
        r"último aviso|ultimo aviso|requerimiento (?:formal )?(?:de pago)?|vía judicial|acciones (?:legales|judiciales)|reclamación judicial|agencia de (?:cobro|recobro)|empresa de recobro|(?-u:\b)recobro(?-u:\b)|gestión de cobro|suspensión del (?:servicio|suministro)|burofax|intereses de demora",
    ),
    rule(
        Final,
        3,
        r"laatste (?:aanmaning|herinnering|waarschuwing|kans)|incassobureau|incassokosten|incassotraject|uit handen (?:te )?ge|ingebrekestelling|gerechtelijke|deurwaarder|juridische stappen|rechtsmaatregelen|opschort|wettelijke (?:handels)?rente|sommatie",
    ),
    // --- statement ------------------------------------------------------------------------
    rule(
        Statement,
        3,
        r"statement of (?:your )?account|account statement|customer statement|monthly statement|open items|outstanding items|aged (?:debt|balance)|list of (?:open|outstanding) invoices",
    ),
    rule(Statement, 1, r"(?-u:\b)statement(?-u:\b)"),
    rule(
        Statement,
        3,
        r"kontoauszug|kontoübersicht|offene[- ]posten|saldenbestätigung|saldenliste|postenliste",
    ),
    rule(
        Statement,
        3,
        r"relevé de compte|relevé (?:des|de vos) factures|état de (?:votre )?compte|situation de (?:votre )?compte|relevé client|relevé des (?:sommes|montants)",
    ),
    rule(
        Statement,
        3,
        r"extracto de cuenta|estado de cuenta|relación de facturas|resumen de cuenta|facturas pendientes",
    ),
    rule(
        Statement,
        3,
        r"rekeningoverzicht|openstaande posten|saldo-?overzicht|debiteurenoverzicht|overzicht (?:van (?:uw |de )?)?openstaande",
    ),
    // --- asking for payment ---------------------------------------------------------------
    rule(
        Claim,
        2,
        r"please (?:arrange|make|remit|process|send|settle|ensure) (?:the |your |full )?(?:payment|remittance|settlement)|kindly (?:pay|remit|settle|arrange)|please (?:pay|settle)|settle (?:the|this|your) (?:invoice|account|balance|amount)|(?:amount|balance) (?:due|owed|owing|outstanding)|when (?:can we|will you|may we) expect (?:payment|the payment|to receive)|update on (?:the )?(?:payment|status of)|payment status|arrange (?:immediate |prompt )?payment",
    ),
    rule(
        Claim,
        2,
        r"bitte (?:überweisen|begleichen|zahlen)|(?:begleichen|überweisen) sie|zu begleichen|bitten (?:wir )?sie(?:,| um| den| die)|zahlung bis",
    ),
    rule(
        Claim,
        2,
        r"merci de (?:bien vouloir )?(?:régler|procéder|nous faire parvenir)|(?:vous )?remercions de (?:bien vouloir )?(?:régler|procéder)|procéder au (?:règlement|paiement)|montant dû|solde dû|reste à payer|somme due",
    ),
    rule(
        Claim,
        2,
        r"(?:le |les )?rogamos (?:que )?(?:proceda|procedan|realice|abone|efect)|proceda al pago|realice el pago|importe pendiente|saldo pendiente|importe adeudado|importe (?:total )?debido",
    ),
    rule(
        Claim,
        2,
        r"verzoeken (?:wij )?u (?:vriendelijk )?(?:het|dit|om)|gelieve (?:het|dit|te|deze)|over te maken|te voldoen|openstaand saldo|verschuldigde bedrag",
    ),
    // --- not a chaser ---------------------------------------------------------------------
    negatable(
        Receipt,
        4,
        r"thanks? (?:you )?(?:very much )?for (?:your |the )?(?:prompt |recent )?(?:payment|remittance)|payment (?:has been |was )?(?:received|processed|confirmed)|(?:we )?(?:have )?received your (?:payment|remittance|transfer)|paid in full|(?:account|invoice|balance) (?:is )?(?:now )?(?:fully )?(?:settled|paid|clear)(?-u:\b)|remittance advice|payment confirmation|receipt for your payment|all settled|fully settled|matter is (?:now )?(?:closed|settled|resolved)",
    ),
    negatable(
        Receipt,
        4,
        r"zahlungseingang(?:s)?(?:bestätigung| bestätigt| verbucht)|bestätigen (?:wir )?(?:den|ihren) (?:zahlungs)?eingang|(?:vielen )?dank für ihre (?:zahlung|überweisung)|zahlung (?:ist )?(?:eingegangen|erhalten)|betrag (?:ist |wurde )?(?:eingegangen|verbucht)|(?:rechnung|konto) (?:ist )?(?:vollständig )?ausgeglichen|zahlungsavis|zahlungsbestätigung|vorgang ist (?:damit )?erledigt",
    ),
    negatable(
        Receipt,
        4,
        r"accusons réception de votre (?:paiement|règlement|virement)|merci (?:pour|de) votre (?:paiement|règlement|virement)|(?:paiement|règlement|virement) (?:a bien été )?reçu|bien reçu votre (?:paiement|règlement|virement)|(?:facture|compte) (?:est )?(?:désormais |maintenant )?(?:soldée?|réglée?|à jour)|avis de (?:paiement|virement)|dossier (?:est )?(?:clos|clôturé)|c'est réglé",
    ),
    negatable(
        Receipt,
        4,
        r"hemos recibido (?:su|el) (?:pago|transferencia|abono)|gracias por su pago|pago recibido|confirmamos (?:la )?recepción (?:de|del) (?:su )?pago|factura (?:ha sido |está )?(?:pagada|saldada|abonada)|queda saldad|cuenta (?:está )?al día|asunto (?:queda )?cerrado",
    ),
    negatable(
        Receipt,
        4,
        r"bedankt voor uw betaling|dank voor uw betaling|betaling (?:is )?(?:in goede orde )?ontvangen|wij hebben uw betaling|(?:factuur|saldo|rekening) is (?:volledig )?voldaan|betalingsbevestiging|is (?:hiermee )?afgehandeld",
    ),
    rule(
        NewInvoice,
        3,
        r"please find (?:attached|enclosed) (?:our |your |the )?(?:new |latest |monthly )?invoice|attached (?:is|please find|you will find) (?:our |your |the )?(?:new )?invoice|(?:new|your) invoice (?:is )?(?:attached|available|ready)|invoice for (?:your|the) (?:recent )?(?:order|purchase|services|subscription)|here is your invoice|(?:has|have) been invoiced|we have issued",
    ),
    rule(
        NewInvoice,
        3,
        r"anbei (?:erhalten sie |senden wir ihnen )?(?:unsere |die |ihre )?(?:neue |aktuelle )?rechnung|im anhang (?:finden sie|erhalten sie) (?:unsere |die |ihre )?rechnung|ihre rechnung (?:vom|für|ist da)|übersenden (?:wir )?ihnen (?:unsere |die )?rechnung",
    ),
    rule(
        NewInvoice,
        3,
        r"(?:veuillez )?trouver ci-joint (?:notre |la |votre )?facture|ci-joint (?:notre |la |votre )?(?:nouvelle )?facture|votre facture (?:est disponible|du mois)|nouvelle facture|vous (?:trouverez|adressons) (?:ci-joint )?(?:notre |la |votre )?facture",
    ),
    rule(
        NewInvoice,
        3,
        r"adjuntamos (?:la |su |nuestra )?factura|(?:le )?enviamos (?:la |su |nuestra )?factura|su factura (?:está disponible|del mes)|nueva factura|le remitimos (?:la )?factura",
    ),
    rule(
        NewInvoice,
        3,
        r"hierbij ontvangt u (?:de |onze |uw )?factuur|in de bijlage (?:vindt u|treft u) (?:de |onze |uw )?factuur|uw factuur (?:staat klaar|is beschikbaar)|nieuwe factuur|bijgaand (?:de |onze )?factuur",
    ),
    rule(
        Shipping,
        3,
        r"has (?:been )?shipped|out for delivery|tracking (?:number|code|link)|track your (?:order|package|parcel|shipment)|delivery (?:notification|confirmation)|(?:order|parcel|package|shipment) (?:is on its way|has been dispatched|was delivered|has been delivered)|estimated delivery",
    ),
    rule(
        Shipping,
        3,
        r"ihre sendung|sendungsverfolgung|sendungsnummer|versandbestätigung|ihr paket|zugestellt|votre colis|(?:a été |est )expédiée?|suivi de (?:votre )?(?:colis|commande|livraison)|numéro de suivi|su pedido (?:ha sido )?enviado|número de seguimiento|seguimiento de (?:su )?(?:pedido|envío)|uw pakket|uw bestelling is (?:verzonden|onderweg)|track (?:&|en) trace|wordt (?:vandaag )?bezorgd",
    ),
    rule(
        Marketing,
        2,
        r"unsubscribe|newsletter|webinar|free trial|sign up|book a demo|% off|limited[- ]time|view (?:this email )?in (?:your )?browser|register now|save your seat|early bird",
    ),
    rule(
        Marketing,
        2,
        r"abmelden|austragen|jetzt anmelden|kostenlos testen|se désinscrire|se désabonner|désinscription|inscrivez-vous|essai gratuit|darse de baja|cancelar (?:la )?suscripción|inscríbase|prueba gratuita|afmelden|uitschrijven|nieuwsbrief|schrijf je in|gratis proberen",
    ),
    rule(
        OtherDocument,
        3,
        r"credit note|credit memo|gutschrift|note de crédit|(?-u:\b)avoir n|nota de crédito|creditnota|creditfactuur",
    ),
    rule(
        OtherDocument,
        2,
        r"(?:our|your|the) (?:quotation|quote) (?:for|no|#)|please find (?:attached )?(?:our |the )?quot(?:e|ation)(?-u:\b)|(?-u:\b)angebot (?:nr|für|vom)|(?-u:\b)devis (?:n°|pour)|(?-u:\b)presupuesto (?:n|para)|(?-u:\b)offerte (?:nr|voor)",
    ),
    // --- fraud ----------------------------------------------------------------------------
    rule(
        BankChange,
        3,
        r"(?:new|changed?|updated?|different|alternative) (?:bank(?:ing)? (?:details|account|information|info)|account (?:details|number)|remittance details|payment details|iban)|changed (?:our )?(?:bank|banking|bank account|account)|(?:bank|banking|account) (?:details|information) (?:have|has) (?:been )?(?:changed|updated)|switched banks|moved (?:our )?(?:bank|account)|do not (?:use|pay (?:into|to)) (?:the|our) (?:old|previous)|(?:old|previous) (?:account|bank details) (?:is|are|has been) (?:closed|no longer)",
    ),
    rule(
        BankChange,
        3,
        r"neue(?:n|r)? bankverbindung|bankverbindung (?:hat sich )?geändert|geänderte (?:bank|konto)verbindung|neue(?:s|n)? (?:bank)?konto|kontoverbindung (?:hat sich )?geändert|alte(?:s)? konto (?:ist )?(?:nicht mehr|geschlossen)",
    ),
    rule(
        BankChange,
        3,
        r"(?:nouvelles?|changement (?:de|des)) coordonnées bancaires|coordonnées bancaires ont (?:changé|été modifiées)|nouveau (?:compte|rib|iban)|changé de (?:banque|compte|domiciliation)|(?:changement de|nouvelle) domiciliation|nouvelles coordonnées (?:de paiement|à utiliser)|ancien compte",
    ),
    rule(
        BankChange,
        3,
        r"(?:nuevos?|cambio de) (?:datos bancarios|cuenta bancaria|número de cuenta|iban)|hemos cambiado de (?:banco|cuenta|entidad)|nueva cuenta|cuenta anterior|(?:la )?cuenta que (?:usamos|utilizamos) ahora|(?:nuestra )?cuenta actual para (?:cobros|pagos)",
    ),
    rule(
        BankChange,
        3,
        r"nieuwe? (?:bankgegevens|rekeningnummer|bankrekening|iban)|gewijzigde (?:bankgegevens|rekening)|(?:bankgegevens|rekeningnummer) (?:zijn|is) gewijzigd|oude rekening",
    ),
];

/// A rule that fired, with the words that fired it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub signal: Signal,
    pub weight: i32,
    pub snippet: String,
}

// The rules are written in lower case and run on lower-cased text: case-insensitive Unicode
// matching multiplies the states of the set's lazy DFA, which then thrashes its cache and
// falls back to the much slower NFA simulation (measured: 130 messages/s instead of thousands).
static SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSetBuilder::new(RULES.iter().map(|r| r.pattern))
        .dfa_size_limit(64 * 1024 * 1024)
        .build()
        .expect("signal rules are valid")
});

static EACH: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    RULES
        .iter()
        .map(|r| Regex::new(r.pattern).expect("signal rules are valid"))
        .collect()
});

static NEGATION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:(?-u:\b)not|(?-u:\b)no|n't|(?-u:\b)nicht|(?-u:\b)kein\w*|(?-u:\b)pas|(?-u:\b)geen|(?-u:\b)nog niet|(?-u:\b)aún no|(?-u:\b)todavía no|(?-u:\b)nie|(?-u:\b)never|(?-u:\b)noch nicht)\W+(?:\w+\W+){0,2}$")
        .expect("valid regex")
});

/// Every rule that fires on `text`, each once, with the first words it matched.
pub fn scan(original: &str) -> Vec<Hit> {
    // Rules run on the folded text; folding keeps byte offsets, so snippets quote the original.
    let folded = crate::fold::fold(original);
    let text = folded.as_str();
    let mut hits = Vec::new();
    for i in SET.matches(text).iter() {
        let rule = &RULES[i];
        let re = &EACH[i];
        let first_valid = re.find_iter(text).find(|m| {
            !rule.negatable || {
                let start = floor_char_boundary(text, m.start().saturating_sub(30));
                !NEGATION_RE.is_match(&text[start..m.start()])
            }
        });
        if let Some(m) = first_valid {
            let snippet: String = original[m.range()].chars().take(60).collect();
            hits.push(Hit {
                signal: rule.signal,
                weight: rule.weight,
                snippet: snippet.split_whitespace().collect::<Vec<_>>().join(" "),
            });
        }
    }
    hits
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals(text: &str) -> Vec<Signal> {
        scan(text).into_iter().map(|h| h.signal).collect()
    }

    #[test]
    fn rules_are_lower_case_because_the_text_is() {
        let escapes = Regex::new(r"\\[A-Za-z]|\(\?-u:").unwrap();
        for r in RULES {
            let letters = escapes.replace_all(r.pattern, "");
            assert_eq!(letters, letters.to_lowercase(), "{}", r.pattern);
        }
    }

    #[test]
    fn every_rule_compiles() {
        assert_eq!(EACH.len(), RULES.len());
        assert_eq!(SET.len(), RULES.len());
    }

    #[test]
    fn negated_receipt_does_not_count() {
        assert!(signals("Gracias por su pago.").contains(&Receipt));
        assert!(!signals("No hemos recibido su pago.").contains(&Receipt));
        assert!(signals("No hemos recibido su pago.").contains(&Overdue));
        assert!(!signals("we have not received your payment").contains(&Receipt));
    }

    #[test]
    fn stages_in_each_language() {
        assert!(signals("FINAL NOTICE before referral to a collection agency").contains(&Final));
        assert!(signals("2. Mahnung: Rechnung überfällig").contains(&Overdue));
        assert!(signals("Relevé de compte au 31/10").contains(&Statement));
        assert!(signals("Recordatorio de pago").contains(&Reminder));
        assert!(signals("Laatste aanmaning").contains(&Final));
    }
}
