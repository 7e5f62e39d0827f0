//! A deterministic generator of varied, realistic mail for benchmarks: 2–50 KB messages, about
//! 30% invoice chasers in five languages and 70% ordinary mail, as plain text, HTML only,
//! multipart/alternative and multipart/mixed with an attachment, in quoted-printable, base64,
//! 8-bit UTF-8 and ISO-8859-1. Standard library only.

/// splitmix64: small, fast, and good enough to vary text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const VENDORS: &[(&str, &str, usize)] = &[
    ("Acme Office Supplies Ltd", "acme-office.co.uk", 0),
    ("Brennan Logistics Inc.", "brennanlogistics.com", 0),
    ("Harbourside Catering Ltd", "harbourside-catering.co.uk", 0),
    ("Schäfer Verpackungen GmbH", "schaefer-verpackungen.de", 1),
    ("Müller Elektrotechnik GmbH", "mueller-elektro.de", 1),
    ("Transports Moreau SARL", "transports-moreau.fr", 2),
    ("Imprimerie Lefèvre & Fils", "imprimerie-lefevre.fr", 2),
    ("Imprenta Gráfica Ruiz S.L.", "graficaruiz.es", 3),
    ("Olivar del Sur S.A.", "olivardelsur.es", 3),
    (
        "Van der Berg Installatietechniek B.V.",
        "vdberg-installatie.nl",
        4,
    ),
    ("Bakker Transport B.V.", "bakkertransport.nl", 4),
];

/// The languages in the order of the tables below.
const LANGS: [duebox::classify::lang::Lang; 5] = {
    use duebox::classify::lang::Lang::*;
    [En, De, Fr, Es, Nl]
};

/// A month's name as the language writes it (duebox's own reply formatting).
fn month(lang: usize, m: usize) -> &'static str {
    duebox::reply::format::month_name(LANGS[lang], m as u32)
}

/// Reminder, overdue and final wording, then the statement title, per language.
const CHASE: [[&str; 4]; 5] = [
    [
        "Friendly payment reminder",
        "Overdue notice: payment not yet received",
        "FINAL NOTICE before referral to our collection agency",
        "Statement of account",
    ],
    [
        "Zahlungserinnerung",
        "1. Mahnung: Rechnung überfällig",
        "Letzte Mahnung vor Übergabe an ein Inkassobüro",
        "Kontoauszug / Offene Posten",
    ],
    [
        "Rappel de paiement",
        "Relance : facture impayée",
        "Mise en demeure avant recouvrement contentieux",
        "Relevé de compte",
    ],
    [
        "Recordatorio de pago",
        "Factura vencida: segundo aviso",
        "Último aviso antes de acciones legales",
        "Extracto de cuenta",
    ],
    [
        "Betalingsherinnering",
        "Aanmaning: achterstallige betaling",
        "Laatste aanmaning voor overdracht aan incassobureau",
        "Rekeningoverzicht openstaande posten",
    ],
];

const INVOICE_LABEL: [&str; 5] = [
    "Invoice No.",
    "Rechnung Nr.",
    "Facture n°",
    "Factura nº",
    "Factuur nr.",
];
const DUE_LABEL: [&str; 5] = [
    "due on",
    "fällig am",
    "échéance le",
    "vencimiento el",
    "vervaldatum",
];
const TOTAL_LABEL: [&str; 5] = [
    "Total due",
    "Gesamtbetrag",
    "Total dû",
    "Importe total",
    "Totaal openstaand",
];

const FILLER: [&[&str]; 5] = [
    &[
        "We value our partnership and appreciate your prompt attention to this matter.",
        "If payment has already been made, please disregard this message and accept our thanks.",
        "Our accounts team is available Monday to Friday between 9am and 5pm on the number below.",
        "Please quote the invoice number as your payment reference so we can allocate it quickly.",
        "The quarterly review meeting has been moved to Thursday; the agenda is attached to the invite.",
        "Our warehouse will be closed over the bank holiday weekend and deliveries resume on Tuesday.",
        "The new product catalogue includes more than two hundred items and updated trade prices.",
    ],
    &[
        "Wir bedanken uns für die gute Zusammenarbeit und bitten um kurzfristige Erledigung.",
        "Sollten Sie die Zahlung bereits veranlasst haben, betrachten Sie dieses Schreiben bitte als gegenstandslos.",
        "Für Rückfragen steht Ihnen unsere Buchhaltung werktags von 8 bis 16 Uhr zur Verfügung.",
        "Bitte geben Sie bei der Überweisung die Rechnungsnummer als Verwendungszweck an.",
    ],
    &[
        "Nous vous remercions de votre confiance et restons à votre disposition.",
        "Si votre règlement a déjà été effectué, nous vous prions de ne pas tenir compte de ce courrier.",
        "Notre service comptable est joignable du lundi au vendredi de 9h à 17h.",
        "Merci d'indiquer le numéro de facture en référence de votre virement.",
    ],
    &[
        "Agradecemos de antemano su atención y quedamos a su disposición.",
        "Si ya ha realizado el pago, le rogamos que haga caso omiso de este mensaje.",
        "Nuestro departamento de administración atiende de lunes a viernes de 9 a 17 horas.",
        "Por favor, indique el número de factura como concepto de la transferencia.",
    ],
    &[
        "Wij danken u voor de prettige samenwerking en zien uw betaling graag tegemoet.",
        "Indien u inmiddels heeft betaald, kunt u deze herinnering als niet verzonden beschouwen.",
        "Onze administratie is op werkdagen bereikbaar tussen 9.00 en 17.00 uur.",
        "Vermeld bij uw betaling altijd het factuurnummer als kenmerk.",
    ],
];

const ORDINARY_SUBJECTS: &[&str] = &[
    "Your order has shipped",
    "Minutes of the supplier meeting",
    "Please find attached invoice for your recent order",
    "Thank you for your payment",
    "Newsletter: five tips for better cash flow",
    "Re: Delivery schedule for next week",
    "Price list update for 2027",
    "Invitation: webinar on warehouse automation",
];

struct Claim {
    lang: usize,
    stage: usize,
    invoices: Vec<String>,
    amount: String,
    due: String,
}

fn amount_text(rng: &mut Rng, lang: usize, latin1: bool) -> String {
    let cents = 5_000 + rng.below(2_500_000);
    let (int, frac) = (cents / 100, cents % 100);
    let grouped = |sep: &str| {
        let digits = int.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push_str(sep);
            }
            out.push(c);
        }
        out
    };
    match (lang, latin1) {
        (0, _) if rng.chance(50) => format!("${}.{frac:02}", grouped(",")),
        (0, true) => format!("GBP {}.{frac:02}", grouped(",")),
        (0, false) => format!("£{}.{frac:02}", grouped(",")),
        (2, false) => format!("{},{frac:02}\u{a0}€", grouped("\u{a0}")),
        (_, true) => format!("{},{frac:02} EUR", grouped(".")),
        _ => format!("{},{frac:02} €", grouped(".")),
    }
}

fn date_text(rng: &mut Rng, lang: usize) -> String {
    let (m, d) = (1 + rng.below(12), 1 + rng.below(28));
    match (lang, rng.below(3)) {
        (_, 0) => format!("2026-{m:02}-{d:02}"),
        (0, 1) => format!("{} {d}, 2026", month(0, m)),
        (_, 1) => format!("{d} {} 2026", month(lang, m)),
        (4, _) => format!("{d:02}-{m:02}-2026"),
        _ => format!("{d:02}.{m:02}.2026"),
    }
}

fn invoice_number(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!("INV-{:05}", rng.below(99_999)),
        1 => format!("RE-2026-{}", 100 + rng.below(900)),
        2 => format!("FA-2026-{:04}", rng.below(9_999)),
        _ => format!("2026/{:04}", rng.below(9_999)),
    }
}

fn claim(rng: &mut Rng, lang: usize, latin1: bool) -> (Claim, Vec<String>) {
    let stage = rng.below(4);
    let count = if stage == 3 { 3 + rng.below(6) } else { 1 };
    let invoices: Vec<String> = (0..count).map(|_| invoice_number(rng)).collect();
    let amount = amount_text(rng, lang, latin1);
    let due = date_text(rng, lang);
    let mut lines = vec![CHASE[lang][stage].to_string(), String::new()];
    if stage == 3 {
        for inv in &invoices {
            let line_amount = amount_text(rng, lang, latin1);
            lines.push(format!("{inv} | {} | {line_amount}", date_text(rng, lang)));
        }
        lines.push(format!("{} | | {amount}", TOTAL_LABEL[lang]));
    } else {
        lines.push(format!(
            "{} {}, {amount}, {} {due}.",
            INVOICE_LABEL[lang], invoices[0], DUE_LABEL[lang]
        ));
        lines.push(format!("{}: {amount}", TOTAL_LABEL[lang]));
    }
    (
        Claim {
            lang,
            stage,
            invoices,
            amount,
            due,
        },
        lines,
    )
}

fn pad(rng: &mut Rng, lines: &mut Vec<String>, lang: usize, target: usize) {
    let mut size: usize = lines.iter().map(|l| l.len() + 2).sum();
    while size < target {
        let para: Vec<&str> = (0..3 + rng.below(4))
            .map(|_| rng.pick(FILLER[lang]))
            .collect();
        let para = para.join(" ");
        size += para.len() + 4;
        lines.push(String::new());
        lines.push(para);
        if rng.chance(15) {
            lines.push(String::new());
            lines.push(format!(
                "> On Mon, 2 Nov 2026, someone wrote: {}",
                rng.pick(FILLER[lang])
            ));
        }
    }
}

fn to_html(lines: &[String]) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{font-family:Arial}td{padding:4px;border:1px solid #ccc}</style></head><body><div style=\"max-width:640px;margin:0 auto\"><div class=\"content\">\n",
    );
    let mut in_table = false;
    for line in lines {
        let escaped = line
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        if line.contains(" | ") {
            if !in_table {
                html.push_str("<table cellspacing=\"0\">\n");
                in_table = true;
            }
            let cells: Vec<String> = escaped
                .split(" | ")
                .map(|c| format!("<td style=\"text-align:left\">{c}</td>"))
                .collect();
            html.push_str(&format!("<tr>{}</tr>\n", cells.concat()));
            continue;
        }
        if in_table {
            html.push_str("</table>\n");
            in_table = false;
        }
        if !line.is_empty() {
            html.push_str(&format!("<p style=\"margin:0 0 12px 0\">{escaped} <a href=\"https://example.com/x\">&rsaquo;</a></p>\n"));
        }
    }
    if in_table {
        html.push_str("</table>\n");
    }
    html.push_str("</div></div></body></html>\n");
    html
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 4 / 3 + data.len() / 57 * 2 + 4);
    for (i, chunk) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for j in 0..4 {
            if j <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * j)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn quoted_printable(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 11 / 10);
    let mut col = 0;
    for &b in data {
        let piece = match b {
            b'\n' => {
                out.push_str("\r\n");
                col = 0;
                continue;
            }
            b'\r' => continue,
            b'=' => "=3D".to_string(),
            33..=126 | b' ' => (b as char).to_string(),
            _ => format!("={b:02X}"),
        };
        if col + piece.len() > 75 {
            out.push_str("=\r\n");
            col = 0;
        }
        col += piece.len();
        out.push_str(&piece);
    }
    out
}

/// Encodes text as a part body: (bytes, charset, transfer encoding).
fn encode(rng: &mut Rng, text: &str, latin1: bool) -> (String, &'static str, &'static str) {
    let bytes: Vec<u8> = if latin1 {
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect()
    } else {
        text.as_bytes().to_vec()
    };
    let charset = if latin1 { "iso-8859-1" } else { "utf-8" };
    match rng.below(10) {
        0..=2 => (quoted_printable(&bytes), charset, "quoted-printable"),
        3 => (base64(&bytes), charset, "base64"),
        _ => (
            String::from_utf8_lossy(&bytes).replace('\n', "\r\n"),
            charset,
            "8bit",
        ),
    }
}

fn part(rng: &mut Rng, mime: &str, text: &str, latin1: bool) -> String {
    let (body, charset, cte) = encode(rng, text, latin1);
    format!("Content-Type: {mime}; charset={charset}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n{body}\r\n")
}

/// Generates `n` varied, realistic RFC 5322 messages, deterministic for a given seed.
#[allow(dead_code)]
pub fn generate(n: usize, seed: u64) -> Vec<Vec<u8>> {
    messages(n, seed).collect()
}

/// [`generate`] one message at a time, for mailboxes too large to hold in memory.
#[allow(dead_code)]
pub fn messages(n: usize, seed: u64) -> impl Iterator<Item = Vec<u8>> {
    let mut rng = Rng(seed);
    (0..n).map(move |i| message(&mut rng, i))
}

fn message(rng: &mut Rng, i: usize) -> Vec<u8> {
    let (vendor, domain, vendor_lang) = VENDORS[rng.below(VENDORS.len())];
    let is_chaser = rng.chance(30);
    let lang = if is_chaser { vendor_lang } else { 0 };
    let latin1 = rng.chance(10);
    // Squared uniform: many small messages, a tail up to 50 KB (mean about 18 KB).
    let u = rng.below(1000);
    let target = 2_048 + 48 * 1024 * u * u / 1_000_000;
    let (subject, mut lines) = if is_chaser {
        let (c, lines) = claim(rng, lang, latin1);
        let subject = match c.stage {
            3 => format!("{} – {}", CHASE[c.lang][3], vendor),
            _ => format!(
                "{}: {} {} ({}, {})",
                CHASE[c.lang][c.stage], INVOICE_LABEL[c.lang], c.invoices[0], c.amount, c.due
            ),
        };
        (subject, lines)
    } else {
        let subject = rng.pick(ORDINARY_SUBJECTS).to_string();
        (
            subject.clone(),
            vec![subject, String::new(), rng.pick(FILLER[0]).to_string()],
        )
    };
    lines.insert(0, "Dear Sir or Madam,".to_string());
    let structure = rng.below(100);
    let text_target = if structure >= 85 {
        target / 4
    } else {
        target / 2
    };
    pad(rng, &mut lines, lang, text_target);
    lines.push(String::new());
    lines.push(format!(
        "{vendor}\nAccounts Department\nTel. +44 20 7946 0{:03}",
        rng.below(999)
    ));
    let text = lines.join("\n");
    let subject_header = if rng.chance(30) {
        format!(
            "=?utf-8?B?{}?=",
            base64(subject.as_bytes()).replace("\r\n", "")
        )
    } else {
        subject
    };
    let mut head = format!(
        "From: {vendor} <accounts@{domain}>\r\nTo: Accounts Payable <ap@northwind-traders.com>\r\nSubject: {subject_header}\r\nDate: Mon, {} Nov 2026 09:{:02}:00 +0000\r\nMessage-ID: <bench-{i}-{}@{domain}>\r\nMIME-Version: 1.0\r\n",
        1 + rng.below(28),
        rng.below(60),
        rng.next() % 1_000_000,
    );
    if !is_chaser && rng.chance(30) {
        head.push_str(&format!(
            "List-Unsubscribe: <https://{domain}/unsubscribe>\r\n"
        ));
    }
    let boundary = format!("=_bench_{i}_{}", rng.next() % 1_000_000);
    let body = match structure {
        0..=34 => {
            let p = part(rng, "text/plain", &text, latin1);
            return format!("{head}{p}").into_bytes();
        }
        35..=59 => {
            let p = part(rng, "text/html", &to_html(&lines), latin1);
            return format!("{head}{p}").into_bytes();
        }
        60..=84 => {
            let plain = part(rng, "text/plain", &text, latin1);
            let html = part(rng, "text/html", &to_html(&lines), latin1);
            head.push_str(&format!(
                "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
            ));
            format!("--{boundary}\r\n{plain}--{boundary}\r\n{html}--{boundary}--\r\n")
        }
        _ => {
            let plain = part(rng, "text/plain", &text, latin1);
            let mut pdf = b"%PDF-1.4\n".to_vec();
            let filler = target.saturating_sub(text.len()) * 3 / 4;
            pdf.extend((0..filler).map(|_| (rng.next() & 0xff) as u8));
            head.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
            ));
            format!(
                "--{boundary}\r\n{plain}--{boundary}\r\nContent-Type: application/pdf; name=\"document-{i}.pdf\"\r\nContent-Disposition: attachment; filename=\"document-{i}.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--{boundary}--\r\n",
                base64(&pdf)
            )
        }
    };
    format!("{head}{body}").into_bytes()
}
