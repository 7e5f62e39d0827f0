//! The few words duebox puts into a letter itself (a chaser's stage, a fraud warning) in
//! each language it writes letters in. Pure tables; no I/O.

use crate::classify::lang::Lang;
use crate::classify::risk::Risk;
use crate::classify::Stage;

/// A chaser's stage as the language names it ("Mahnung", "relance").
pub fn stage(stage: Stage, lang: Lang) -> &'static str {
    use Stage::*;
    match (lang, stage) {
        (Lang::De, Reminder) => "Zahlungserinnerung",
        (Lang::De, Overdue) => "Mahnung",
        (Lang::De, Final) => "letzte Mahnung",
        (Lang::De, Statement) => "Kontoauszug (offene Posten)",
        (Lang::Fr, Reminder) => "rappel",
        (Lang::Fr, Overdue) => "relance pour retard",
        (Lang::Fr, Final) => "dernière relance",
        (Lang::Fr, Statement) => "relevé de compte",
        (Lang::Es, Reminder) => "recordatorio",
        (Lang::Es, Overdue) => "reclamación por impago",
        (Lang::Es, Final) => "último aviso",
        (Lang::Es, Statement) => "extracto de cuenta",
        (Lang::Nl, Reminder) => "herinnering",
        (Lang::Nl, Overdue) => "aanmaning",
        (Lang::Nl, Final) => "laatste aanmaning",
        (Lang::Nl, Statement) => "rekeningoverzicht",
        (Lang::It, Reminder) => "promemoria",
        (Lang::It, Overdue) => "sollecito",
        (Lang::It, Final) => "ultimo sollecito",
        (Lang::It, Statement) => "estratto conto",
        (Lang::Pt, Reminder) => "lembrete",
        (Lang::Pt, Overdue) => "aviso de atraso",
        (Lang::Pt, Final) => "último aviso",
        (Lang::Pt, Statement) => "extrato de conta",
        (_, Reminder) => "reminder",
        (_, Overdue) => "overdue notice",
        (_, Final) => "final notice",
        (_, Statement) => "statement of account",
    }
}

/// A fraud warning in words, for escalations written in `lang`.
pub fn risk(r: Risk, lang: Lang) -> &'static str {
    use Risk::*;
    match (lang, r) {
        (Lang::De, BankChange) => "verlangt Zahlung auf eine Bankverbindung, die nicht die bekannte des Lieferanten ist",
        (Lang::De, LookalikeDomain) => "von einer Domain gesendet, die die eines bekannten Lieferanten nachahmt",
        (Lang::De, ReplyToMismatch) => "die Antwortadresse (Reply-To) liegt in einer anderen Domain als der Absender",
        (Lang::De, UnknownSender) => "kein Lieferant in unseren Unterlagen schreibt von dieser Adresse",
        (Lang::De, AuthFail) => "der Server des Absenders hat die SPF/DKIM/DMARC-Prüfung nicht bestanden",
        (Lang::Fr, BankChange) => "demande un paiement sur des coordonnées bancaires qui ne sont pas celles connues du fournisseur",
        (Lang::Fr, LookalikeDomain) => "envoyé depuis un domaine qui imite celui d'un fournisseur connu",
        (Lang::Fr, ReplyToMismatch) => "l'adresse de réponse (Reply-To) est dans un autre domaine que l'expéditeur",
        (Lang::Fr, UnknownSender) => "aucun fournisseur de nos fichiers n'écrit depuis cette adresse",
        (Lang::Fr, AuthFail) => "le serveur de l'expéditeur a échoué aux contrôles SPF/DKIM/DMARC",
        (Lang::Es, BankChange) => "pide el pago a unos datos bancarios que no son los conocidos del proveedor",
        (Lang::Es, LookalikeDomain) => "enviado desde un dominio que imita el de un proveedor conocido",
        (Lang::Es, ReplyToMismatch) => "la dirección de respuesta (Reply-To) está en otro dominio que el remitente",
        (Lang::Es, UnknownSender) => "ningún proveedor de nuestros registros escribe desde esta dirección",
        (Lang::Es, AuthFail) => "el servidor del remitente no superó las comprobaciones SPF/DKIM/DMARC",
        (Lang::Nl, BankChange) => "vraagt betaling op bankgegevens die niet de bekende van de leverancier zijn",
        (Lang::Nl, LookalikeDomain) => "verzonden vanaf een domein dat dat van een bekende leverancier nabootst",
        (Lang::Nl, ReplyToMismatch) => "het antwoordadres (Reply-To) ligt in een ander domein dan de afzender",
        (Lang::Nl, UnknownSender) => "geen leverancier in onze administratie schrijft vanaf dit adres",
        (Lang::Nl, AuthFail) => "de server van de afzender zakte voor de SPF/DKIM/DMARC-controle",
        (Lang::It, BankChange) => "chiede il pagamento su coordinate bancarie diverse da quelle note del fornitore",
        (Lang::It, LookalikeDomain) => "inviato da un dominio che imita quello di un fornitore noto",
        (Lang::It, ReplyToMismatch) => "l'indirizzo di risposta (Reply-To) è in un dominio diverso da quello del mittente",
        (Lang::It, UnknownSender) => "nessun fornitore nelle nostre registrazioni scrive da questo indirizzo",
        (Lang::It, AuthFail) => "il server del mittente non ha superato i controlli SPF/DKIM/DMARC",
        (Lang::Pt, BankChange) => "pede o pagamento para dados bancários que não são os conhecidos do fornecedor",
        (Lang::Pt, LookalikeDomain) => "enviado de um domínio que imita o de um fornecedor conhecido",
        (Lang::Pt, ReplyToMismatch) => "o endereço de resposta (Reply-To) está noutro domínio que o do remetente",
        (Lang::Pt, UnknownSender) => "nenhum fornecedor dos nossos registos escreve deste endereço",
        (Lang::Pt, AuthFail) => "o servidor do remetente falhou as verificações SPF/DKIM/DMARC",
        (_, r) => super::context::risk_words(r),
    }
}
