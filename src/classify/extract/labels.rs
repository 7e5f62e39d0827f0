//! The words that label a chaser's claims in the 22 languages duebox reads: invoice-number
//! labels, amount labels (what is still owed, totals, what is excluded) and due-date labels.
//! Vocabulary only, as compiled patterns; the reading itself is in `extract`. No I/O here.
//!
//! Sources: the invoice and dunning strings of open-source invoicing and ERP software and
//! their translations (Dolibarr, ERPNext, Tryton, InvoicePlane, Crater, SolidInvoice), the
//! date and number conventions of CLDR, and national e-invoice conventions (NF-e, KSeF
//! "FV/2026/10/123", Portuguese "FT 2026/1234" series).

use regex::Regex;
use std::sync::LazyLock;

/// An invoice number as printed: letters, digits and the separators numbering schemes use.
pub const ID: &str = r"[A-Za-z0-9](?:[A-Za-z0-9/_.-]{0,40}[A-Za-z0-9])?";

/// Words that name an invoice (or its number) and come before the number: the stems take any
/// inflection ("fakturorna", "faktury", "laskun", "számláját", "računa", "faturanız") and any
/// glued marker ("Fakturanr", "Rechnungsnummer"). Runs on folded (lower-case) text.
const INVOICE_LABEL: &str = r"(?:
    invoice\p{L}*|inv|bills?
  | rechnung\p{L}*|rechnungs-nr|re-?nr|rg-?nr|beleg\p{L}*|beleg-?nr
  | factu\p{L}*|fattur\p{L}*|fatur\p{L}*|notas?\ fiscal|nfs?-e
  | faktur\p{L}*|faktúr\p{L}*|lasku\p{L}*|száml\p{L}*|račun\p{L}*
  | rg
)";

/// The same in Japanese and Chinese, which need no word edge.
const INVOICE_LABEL_CJK: &str = r"(?:
    請求書番号|請求番号|請求書|インボイス番号
  | 发票号码|发票号|发票编号|发票|發票號碼|發票號|發票|账单编号|账单号|帐单编号|账单
)";

/// Label words that name billing, not an invoice number: "Rechnungsanschrift 10115 Berlin",
/// "invoicing contact 555-1234", "Rechnungsdatum", "fatturazione", "laskutusosoite".
pub static NOT_A_NUMBER_LABEL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)adress|anschrift|empf|kontakt|contact|ing$|ción|zione|ering|tus|osoite|period|datum|date|dato|päivä|betrag|summe|stell|lauf|bel[oøö]p|összeg|iznos|znesek|tutar|importo|bedrag|montant").expect("valid regex")
});

/// "No.", "Nr", "n°", "číslo", "broj", "sorszáma"... between an invoice label and its number,
/// at most two of them ("Faktura VAT nr"). ASCII markers need a word edge after them.
const MARKER: &str = r"(?:
    (?:no|nr|nro|num|numero|number|nummer|numer|numarul|numarasi|n|ref|reference|id|broj|br|st|sz|serie|seria|vat)(?-u:\b)
  | n°|nº|n\.º|n\.°|№|č|čís|číslo|número|numéro|núm|numărul|numarası|száma|sorszáma|številka|št
)";

/// An invoice label, optional markers, then the number, which may carry a short series prefix
/// in capitals ("FT 2026/1234", "NF-e 001234"; checked against the original text).
pub static INVOICE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?x)
        (?:(?-u:\b)(?P<label>{INVOICE_LABEL})|{INVOICE_LABEL_CJK})
        \.?
        (?:[\s:.\#|]*{MARKER}\.?){{0,2}}
        [\s:：\#|（(「【]*
        (?P<pre>[a-z]{{1,4}}(?:-e)?\ )?
        (?P<id>{ID})
    "
    ))
    .expect("valid regex")
});

/// A number before its label, as Hungarian, Turkish, Japanese and Chinese write it ("a
/// 2026/123 számú számla", "ABC2026 numaralı fatura", "INV-1の請求書", "12345号发票").
pub static ID_BEFORE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?-u:\b)(?P<id>{ID})(?:\s*(?:sz\.\s*számla|számú|sorszámú|számla(?:\s|$)|számlá|numaralı|numarali|nolu|no'lu)|\s*の(?:請求書|ご請求)|\s*号(?:发票|的发票))"
    ))
    .expect("valid regex")
});

/// Words that every [`ID_BEFORE_RE`] match contains, to test for before running it.
pub static ID_BEFORE_WORDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("szám|numaral|nolu|no'lu|の|号").expect("valid regex"));

/// More numbers after the first: "invoices INV-1, INV-2 and INV-3", in any language.
pub static MORE_IDS_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^\s*(?:,|;|&|、|，|\+|(?-u:\b)(?:and|und|et|y|en|e|i|og|och|ja|a|és|si|ve|oraz|in|ir)(?-u:\b)|și|和|及|と)\s*(?:(?:no|nr|n)\.?\s*|#\s*|n[°º]\s*)?(?P<pre>[A-Za-z]{{1,4}}(?:-e)?\ )?(?P<id>{ID})"
    ))
    .expect("valid regex")
});

/// A table cell that holds only an invoice number.
pub static ID_ALONE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:[#№]|(?i:n[.°º]|nr\.?|no\.))?\s*(?P<pre>[A-Z]{{1,4}}(?:-e)?\ )?(?P<id>{ID})$"
    ))
    .expect("valid regex")
});

/// A column header that names invoices.
pub static INVOICE_HEADER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:invoice|inv|bill|rechnung\w*|re-nr|beleg\w*|factur\w*|factuur\w*|fattur\w*|fatur\w*|faktur\w*|faktúr\w*|lasku\w*|számla\w*|račun\w*|document\w*|doc|belge\w*)(?-u:\b)|請求書|請求番号|发票|發票|账单|^n[º°o]\.?(?:\s|$)|^(?:number|nummer|número|numéro|numero|numer|nr|reference|referencia|référence|riferimento|číslo|broj|številka|sorszám|numara)(?-u:\b)").expect("valid regex")
});

/// A header that names a number rather than a date or an amount (preferred among several
/// invoice columns: "Rechnungsdatum | Rechnungsnummer").
pub static NUMBER_HEADER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:no|nr|nro|num|number|nummer|numer|numero|número|numéro|ref|id)(?-u:\b)|n[º°]|№|#|číslo|broj|številka|szám|numara|番号|号码|號碼|编号|nummer|nr\.?$|inv$|invoice$").expect("valid regex")
});
pub static DATE_OR_AMOUNT_HEADER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)dat[eaou]|fecha|päivä|tarih|日|期|amount|betrag|montant|importe|importo|bedrag|valor|kwota|belopp|beløb|beløp|summa|määrä|částka|suma|összeg|sumă|iznos|znesek|tutar|金額|金额|total|due|fällig|échéance").expect("valid regex")
});

/// What is left to pay: beats a plain total ("Invoice total 1,000 / Balance due 400").
pub static REMAINING_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)remaining|balance (?:now )?(?:due|outstanding|owing|of)|outstanding balance|total (?:amount )?(?:due|outstanding|owing|overdue|open)|amount (?:now )?due|left to pay|still (?:owe|due|outstanding)|restbetrag|offene[rn]? (?:gesamt)?betrag|(?:noch )?offene summe|gesamt(?:betrag)? (?:offen|fällig)|reste à payer|reste dû|solde (?:dû|restant|à payer)|montant (?:restant|dû|total dû|impayé)|total (?:à payer|dû|restant|impayé)|saldo (?:pendiente|restante|deudor|vencido|dovuto|scaduto|residuo|da pagare|em aberto|em dívida|devedor|pendent|restant|de plată)|importe (?:total )?(?:pendiente|adeudado|vencido)|total (?:pendiente|adeudado|vencido)|openstaand(?:e)? (?:bedrag|saldo)|totaal openstaand|resterend(?:e)? bedrag|importo (?:residuo|dovuto|scaduto|da pagare|insoluto|ancora dovuto)|residuo|totale (?:dovuto|da pagare|scaduto|insoluto)|valor (?:total )?(?:em dívida|em aberto|pendente|em atraso|vencido|devido)|montante (?:total )?(?:em dívida|em falta|pendente|em atraso|devido)|total em (?:dívida|aberto|atraso)|pozostał[aoy]? (?:kwota )?do zapłaty|do zapłaty|kwota (?:do zapłaty|zaległości|zadłużenia)|pozostała kwota|kvar att betala|att betala|återstående belopp|utestående (?:belopp|saldo|beløb|beløp)|förfallet belopp|restbelopp|at betale|restbeløb|skyldigt beløb|å betale|restbeløp|forfalt beløp|forfaldent beløb|maksettavaa?|avoin (?:summa|saldo|määrä)|avoinna oleva|jäljellä|erääntynyt (?:summa|määrä|saldo)|k úhradě|zbývá (?:uhradit|doplatit|zaplatit)|dlužn[áé] částk[ay]|k úhrade|zostáva (?:uhradiť|doplatiť|zaplatiť)|dlžn[áé] sum[ay]|fizetendő|hátralék|tartozás|fennmaradó (?:összeg|tartozás)|rest de plată|de plată|sold(?:ul)? restant|suma restantă|total de plată|sumă datorată|za plaćanje|za platiti|preostal[io] iznos|dugovanje|ukupan dug|ukupno dugovanje|za plačilo|preostal[io] znesek|odprt[io] znesek|ödenecek|kalan (?:tutar|bakiye|borç)|vadesi geçmiş tutar|toplam borç|borç tutarı|import pendent|total pendent|import (?:total )?a pagar|total a pagar|total por pagar|ご請求(?:金額|額)|請求金額|お支払(?:い)?金額|未払(?:い)?(?:金額|残高)|残高|残額|应付(?:金额|款|总额)|未付(?:金额|款)|欠款(?:金额)?|待付金额|余额|尚欠").expect("valid regex")
});

pub static TOTAL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)total|gesamt|(?-u:\b)summe(?-u:\b)|endbetrag|totaal|(?-u:\b)solde(?-u:\b)|saldo(?-u:\b)|gesamtsaldo|importe total|montant total|totale|razem|(?-u:\b)suma(?-u:\b)|łącznie|(?-u:\b)summa(?-u:\b)|totalt|i alt(?-u:\b)|yhteensä|celkem|celkom|összesen|végösszeg|ukupno|skupaj|toplam|合計|合计|总计|總計|総額|总额|bakiye|kokonais|(?-u:\b)spolu(?-u:\b)|skupno|sammanlagt|totalsumma|totalbel[oø]b|samlet|(?-u:\b)totaal|globale|complessiv|ogółem|łączna|összesen|celková|celkov").expect("valid regex")
});

pub static DUE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)amount (?:due|owed|outstanding|overdue|payable)|(?-u:\b)balance(?-u:\b)|outstanding|owed|owing|overdue|past due|(?-u:\b)due(?-u:\b)|offen|ausstehend|zu zahlen|fällig|rückstand|montant dû|en souffrance|impayé|dû|(?-u:\b)due?s?(?-u:\b)|pendiente|adeudad|vencid|openstaand|verschuldigd|te betalen|achterstallig|scadut|dovut|insolut|in sospeso|em dívida|em aberto|em atraso|pendente|zaległ|niezapłac|nieuregulowan|obetal|förfallen|ubetalt|forfalden|forfalt|(?-u:\b)avoin|erääntyn|maksamat|neuhrazen|po splatnosti|neuhraden|lejárt|esedékes|kiegyenlítetlen|restant|neachitat|scadent|neplaćen|dospjel|neplačan|zapadl|ödenmemiş|vadesi geçmiş|gecikmiş|pendent|vençut|impagat|未払|未入金|期限切れ|逾期|未付|欠款").expect("valid regex")
});

pub static GENERIC_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)amount|(?-u:\b)sum(?-u:\b)|betrag|montant|importe|bedrag|importo|(?-u:\b)valor|montante|kwot|belopp|beløb|beløp|määrä|částk|čiastk|összeg|sumă|iznos|znesek|tutar|(?-u:\b)import(?-u:\b)|金額|金额|in höhe von|w wysokości|ve výši|v hodnote|v sume|în valoare de|în sumă de|u iznosu|v višini|v znesku|tutarında|i størrelse|på beløbet|no valor de|pari a").expect("valid regex")
});

/// Prepositions that introduce an amount ("of", "über", "de"): a label only when no other is.
pub static CONNECTOR_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:of|for|de|von|van|por|pour|per|over|di|da|na|på|om|za|pe|ve|din|od|do|iz|ab|über)(?-u:\b)|über").expect("valid regex")
});

/// The invoice's own amount ("invoice total", "totale fattura", "factuurbedrag"): generic,
/// since a part payment or a fee makes what is owed differ from it.
pub static INVOICE_TOTAL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)invoice (?:total|amount|value)|total (?:of |on )?(?:the |this |your )?invoice|(?:total|totale|totaal|montant|importe|valor|valore|importo|montante) (?:de |da |del |della |van |of |de la |do |dla )?(?:la |the |de )?(?:factur|fattur|fatur|factuur|invoice|rechnung)\p{L}*|rechnungs(?:betrag|summe)|factuurbedrag|fakturabel[oø]p|fakturabeløb|fakturasumma|laskun (?:summa|loppusumma|määrä)|částka faktury|suma faktury|wartość faktury|kwota faktury|számla (?:összege|végösszege)|valoarea facturii|iznos računa|znesek računa|fatura tutarı|請求書金額|发票金额").expect("valid regex")
});

/// Never the amount requested: subtotals, tax, what was paid, credits, discounts, fees and
/// interest on their own, a company's registered capital.
pub static EXCLUDED_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)sub-?total|zwischensumme|sous-total|subtotale|imponibile|(?-u:\b)netto(?-u:\b)|suma netto|delsumma|subtotaal|välisumma|mezisoučet|medzisúčet|részösszeg|međuzbroj|vmesna vsota|ara toplam|小計|小计|(?-u:\b)vat(?-u:\b)|(?-u:\b)tax(?-u:\b)|mwst|ust\.|(?-u:\b)tva(?-u:\b)|(?-u:\b)iva(?-u:\b)|(?-u:\b)btw(?-u:\b)|(?-u:\b)moms(?-u:\b)|(?-u:\b)mva(?-u:\b)|(?-u:\b)alv(?-u:\b)|(?-u:\b)dph(?-u:\b)|(?-u:\b)áfa|(?-u:\b)pdv(?-u:\b)|(?-u:\b)ddv(?-u:\b)|(?-u:\b)kdv(?-u:\b)|消費税|税额|增值税|already paid|(?-u:\b)paid(?-u:\b)|received|bezahlt|erhalten|gezahlt|payé|reçu|pagado|recibido|betaald|ontvangen|pagat[oi]|ricevut|recebid|já pago|valor pago|zapłacon|wpłacon|otrzyman|(?-u:\b)betalt|betalat|inbetalt|modtaget|mottatt|maksettu|vastaanotettu|zaplacen|uhrazen|přijat|zaplaten|uhraden|fizetve|befizetett|kifizetett|plătit|achitat|încasat|plaćen|uplaćen|primljen|plačan|prejet|ödenen|ödendi|alınan|tahsil edil|rebut|支払済|入金済|已付|已收|已支付|credit|gutschrift|(?-u:\b)avoir(?-u:\b)|abono|nota di credito|nota de crédito|korekt|(?-u:\b)kredit|jóváírás|storno|discount|skonto|rabatt|descuento|korting|sconto|desconto|(?-u:\b)rabat|alennus|sleva|zľava|kedvezmény|reducere|popust|indirim|descompte|割引|折扣|fee(?-u:\b)|gebühr|frais|(?-u:\b)kosten|spese|commissione|(?-u:\b)taxa|opłat|avgift|gebyr|muistutusmaksu|viivästysmaksu|perintäkulu|poplat|(?-u:\b)díj|comision|taxă|naknad|troškov|stroški|ücret|masraf|despeses|recàrrec|手数料|手续费|partial|part[- ]payment|partiel|teilzahlung|deelbetaling|parziale|parcial|częściow|delbetal|delvis|osamaksu|částečn|čiastočn|részlet|parțial|djelomičn|delno|kısmi|indemnité|interest|zinsen|intérêts|intereses|(?-u:\b)rente(?-u:\b)|interessi|juros|odsetk|ränta|(?-u:\b)korko|viivästyskorko|úrok|kamat|dobând|penalit|obresti|(?-u:\b)faiz|interessos|延滞金|遅延損害金|利息|罚息|滞纳金").expect("valid regex")
});

/// A company's registered capital, in a footer: never the amount, whatever label precedes it.
pub static CAPITAL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)capital|(?-u:\b)cap\.\s?soc|kapita[lł]|kapitál|stammkapital|grundkapital|alaptőke|sermaye|osakepääoma|aktiekapital|aksjekapital|selskabskapital|資本金|注册资本|registered capital").expect("valid regex")
});

/// Words that include tax in a total rather than name it ("Total incl. VAT", "inkl. MwSt.").
pub static INCLUDES_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:incl|inkl|inc|including|inclusive|einschl|incluido|incluida|inclus|incluso|inclusa|incluídos?|s|z|ve|dahil|met|med|sis|vč|vrát|včetně|vrátane|cu|uklj|vklj)\.?(?:\s*[\p{L}-]+){0,2}\s*$|含|込").expect("valid regex")
});

pub static DUE_DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)due(?-u:\b)|payable (?:on|by)|expired? on|fällig\p{L}*|zahlungsziel|zahlbar (?:bis|am)|zahlungstermin|échéance|échu\p{L}*|(?-u:\b)venc\p{L}*|(?-u:\b)venç\p{L}*|verval\p{L}*|verviel|betaaltermijn|uiterste betaaldatum|scadenz\p{L}*|scadut\p{L}*|(?-u:\b)scade\p{L}*|termin płatności|termin zapłaty|(?-u:\b)termin(?-u:\b)|wymagaln\p{L}*|płatn\p{L}*|förfall\p{L}*|förföll|forfald\p{L}*|forfall\p{L}*|forfalt|betalingsfrist|eräpäiv\p{L}*|eräänty\p{L}*|erääntyi|splatn\p{L}*|lejár\p{L}*|határid\p{L}*|esedékes\p{L}*|scaden\p{L}*|dospije\p{L}*|dospi\p{L}*|dospj\p{L}*|dospel\p{L}*|rok\p{L}* plaćanja|valut\p{L}* plaćanja|rok\p{L}* plačila|zapad\p{L}*|(?-u:\b)vade\p{L}*|son ödeme tarihi|son tarih\p{L}*|vadeli|支払期限|支払期日|お支払期限|お支払い期限|支払い期限|期日|到期日|付款期限|到期|截止日期|付款截止|应付款日|应付日期|付款日期|到期日期|還款期限|付款到期").expect("valid regex")
});

pub static DEADLINE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:by|before|no later than|until|latest)(?-u:\b)|(?-u:\b)bis(?-u:\b)|spätestens|avant le|au plus tard|d'ici (?:le|au)|(?-u:\b)antes de|a más tardar|como máximo|(?-u:\b)vóór(?-u:\b)|(?-u:\b)uiterlijk(?-u:\b)|(?-u:\b)voor(?-u:\b)|entro (?:il|e non oltre)|(?-u:\b)entro(?-u:\b)|(?-u:\b)até|do dnia|najpóźniej do|(?-u:\b)senast(?-u:\b)|(?-u:\b)senest(?-u:\b)|(?-u:\b)innen(?-u:\b)|viimeistään|nejpozději|najneskôr|legkésőbb|până (?:la|pe|în)|pana la|najkasnije|najkasneje|en geç|abans del?|(?-u:\b)fins al?|nach ablauf|(?-u:\b)ablauf|(?-u:\b)do(?-u:\b)|à l'issue d|na afloop van").expect("valid regex")
});

pub static OTHER_DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)invoice date|(?-u:\b)dated(?-u:\b)|issued|date of (?:the )?invoice|rechnungsdatum|(?-u:\b)vom(?-u:\b)|date de (?:la )?facture|(?-u:\b)du(?-u:\b)|émise(?-u:\b)|fecha (?:de )?(?:la )?factura|de fecha|(?-u:\b)emitida|factuurdatum|(?-u:\b)sent(?-u:\b)|gesendet|envoyé|enviado|verzonden|wrote|schrieb|écrit|escribió|schreef|(?-u:\b)on\s+\w+day(?-u:\b)|(?-u:\b)am\s+\w+tag(?-u:\b)|data (?:della )?fattura|emess[ao] il|data (?:da )?(?:de )?emissão|emitida em|data wystawienia|data faktury|z dnia|fakturadatum|fakturadato|laskun päivä|päiväys|datum vystavení|dátum vystavenia|vystaven[áa]|kiállítás|kelt(?-u:\b)|data emiterii|emisă|datum izdavanja|datum računa|izdan|datum izdaje|fatura tarihi|düzenleme tarihi|data de la factura|emesa|請求日|発行日|開票日期|开票日期|发票日期|napisal|napisał|skrev|kirjoitti|napsal|írta|scrie|yazdı|escrigué|escribiu|ha scritto").expect("valid regex")
});

/// A due word right after an unlabelled date ("war am 01.10.2026 fällig", "31.10.2026 lejárt").
pub static DUE_AFTER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[ \t,.]{0,3}(?:\p{L}+\s+){0,2}(?:fällig|due(?-u:\b)|vervalt|vervallen|vencid|venci[óo]|échue?|scadut|lejárt|esedékes|dolmuş|doldu|geçmiş|vadeli(?-u:\b)|förföll|forfaldt|forfalt|erääntyi|に支払期限|が支払期限|到期)")
        .expect("valid regex")
});

/// A deadline word right after a date ("31.10.2026 mennessä", "2026年10月31日までに",
/// "2026. október 31-ig", "31.10.2026 tarihine kadar", "2026年10月31日前").
pub static DEADLINE_AFTER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:-ig|-éig|-áig)|^[ \t,]{0,3}(?:mennessä|tarihine kadar|kadar|までに|まで|之前|以前|前)")
        .expect("valid regex")
});

pub static DUE_HEADER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)due|fällig|échéance|venc|venç|verval|zahlungsziel|scadenz|termin|förfall|forfald|forfall|eräpäivä|splatnost|lejárat|határid|esedékes|scaden|dospije|dospijeć|rok plačila|zapadl|vade|son tarih|son ödeme|支払期限|期日|到期|应付款日|付款日期").expect("valid regex")
});
