"""Composes one message of the world corpus from a language's phrase file.

Each builder returns (parts for mime.build, label fields, source keys used). The wording
comes only from the phrase files (each phrase carries its public source); this module
decides structure: greeting, order of facts, tables, quoted history, footers, HTML, PDFs.
It must never invent claim wording of its own in any language but the structural glue
(numbers, tables, headers).
"""

import datetime as dt
from decimal import Decimal

import fmt

OUR = {
    "name": "Kestrel Industrial Group",
    "domain": "kestrel-group.com",
}


class Ctx:
    """Everything one message needs: the language data, the split, the seeded Random."""

    def __init__(self, L, split, rng, vendor, when, seq):
        self.L, self.split, self.rng, self.v, self.when, self.seq = L, split, rng, vendor, when, seq
        self.srcs = []
        self.picked = {}

    # -- phrase picking ---------------------------------------------------------------
    def pool(self, name):
        items = self.L["p"].get(name, [])
        mine = [x for x in items if x["split"] == self.split]
        return mine or [x for x in items if x["split"] == "any"] or items

    def has(self, name):
        return bool(self.L["p"].get(name))

    def p(self, pool_name, **kw):
        item = self.rng.choice(self.pool(pool_name))
        self.srcs.append(item["s"])
        return self.fill(item["t"], **kw)

    def w(self, key):
        item = self.L["w"][key]
        if item["s"] not in self.srcs:
            self.srcs.append(item["s"])
        return item["t"]

    def fill(self, text, **kw):
        for k, val in kw.items():
            text = text.replace("{" + k + "}", str(val))
        return text

    # -- formats ------------------------------------------------------------------------
    def money(self, n, cur=None):
        # One money format per message and currency, as one invoicing system would print it.
        cur = cur or self.v["cur"]
        forms = self.L["money"][cur]
        key = "money/" + cur
        if key not in self.picked:
            self.picked[key] = self.rng.choice(forms)
        return fmt.amount(n, self.picked[key])

    def date(self, d):
        # One date pattern per message (and per sender country: US senders write month first).
        pats = self.L["fmt"]["us_dates"] if self.v.get("us") else self.L["fmt"]["dates"]
        key = "date/" + ("us" if self.v.get("us") else "eu")
        if key not in self.picked:
            self.picked[key] = self.rng.choice(pats)
        return fmt.date(d, self.picked[key], self.L["fmt"]["months"])

    def round_amount(self, n):
        places = self.L["money"][self.v["cur"]][0].get("places", 2)
        return n.quantize(Decimal(1) if places == 0 else Decimal("0.01"))


# -- shared blocks ------------------------------------------------------------------------

def signature(c, person=None):
    v = c.v
    person = person or v["person"]
    lines = [person, v.get("role", ""), v["name"]]
    if c.rng.random() < 0.7:
        lines.append(v.get("phone", ""))
    if c.rng.random() < 0.5:
        lines.append("www." + v["domain"])
    return "\n".join(x for x in lines if x)


def footer(c, html=False):
    """The vendor's legal footer: office/registration, payment terms, disclaimer, env."""
    v = c.v
    bits = []
    office = v.get("office", "office")
    if c.has(office):
        bits.append(c.p(office, name=v["name"], city=v["city"], street=v["street"],
                        reg=v["reg"], vat=v["vat"], ceo=v.get("ceo", v["person"])))
    if c.has("terms") and c.rng.random() < 0.75:
        bits.append(c.p("terms"))
    if c.has("disclaimer") and c.rng.random() < 0.6:
        bits.append(c.p("disclaimer"))
    if c.has("env") and c.rng.random() < 0.35:
        bits.append(c.p("env"))
    c.rng.shuffle(bits) if c.rng.random() < 0.3 else None
    sep = c.rng.choice(["\n\n--\n", "\n\n" + "_" * 40 + "\n", "\n\n", "\n\n" + "-" * 60 + "\n"])
    return sep + "\n".join(bits)


def bank_lines(c, bank):
    """Bank details in the local way: IBAN/BIC, bankgiro, sort code, routing number."""
    kind = bank["kind"]
    if kind == "iban":
        iban = fmt.iban_spaced(bank["iban"]) if c.rng.random() < 0.7 else bank["iban"]
        return [f"{c.w('bank')}: {bank['bank']}", f"IBAN: {iban}", f"BIC: {bank['bic']}"]
    if kind == "bankgiro":
        return [f"Bankgiro: {bank['account']}"]
    if kind == "plusgiro":
        return [f"Plusgiro: {bank['account']}"]
    if kind == "jp":
        return [f"【お振込先】{bank['bank']} 普通 {bank['account']}", f"口座名義 {c.v['name']}"]
    if kind == "cn":
        return [f"户名：{c.v['name']}", f"开户行：{bank['bank']}", f"账号：{bank['account']}"]
    if kind == "agencia":
        return [f"{c.w('bank')}: {bank['bank']}", f"Agência: {bank['sort']}",
                f"Conta corrente: {bank['account']}"]
    if kind == "sortcode":
        return [f"{c.w('bank')}: {bank['bank']}", f"Sort code: {bank['sort']}",
                f"Account number: {bank['account']}"]
    return [f"{c.w('bank')}: {bank['bank']}", f"Routing number (ABA): {bank['routing']}",
            f"Account number: {bank['account']}"]


def facts_text(c, inv, idate, amt, due, style=None):
    style = style if style is not None else c.rng.randrange(3)
    rows = [(c.w("invno"), inv)]
    if idate:
        rows.append((c.w("idate"), c.date(idate)))
    if due:
        rows.append((c.w("due"), c.date(due)))
    rows.append((c.w("amount"), c.money(amt)))
    if style == 1:
        rows = rows[:1] + rows[-1:] + rows[1:-1]
    if style == 2:
        return "\n".join(f"  {k}: {val}" for k, val in rows)
    width = max(len(k) for k, _ in rows) + 2
    return "\n".join(f"{k + ':':<{width}} {val}" for k, val in rows)


def table_text(c, items, with_due=True, total=None, col="open"):
    """A plain-text open-items table: invoice, date, due, amount."""
    head = [c.w("invno"), c.w("idate")] + ([c.w("due")] if with_due else []) + [c.w(col)]
    rows = []
    for it in items:
        r = [it["inv"], c.date(it["idate"])]
        if with_due:
            r.append(c.date(it["due"]))
        r.append(c.money(it["amt"]))
        rows.append(r)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(head)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(x.ljust(widths[i]) for i, x in enumerate(r)) for r in rows]
    if total is not None:
        out.append("  ".join("-" * w for w in widths))
        out.append(f"{c.w('total')}: {c.money(total)}")
    return "\n".join(out)


def table_html(c, items, with_due=True, total=None):
    head = [c.w("invno"), c.w("idate")] + ([c.w("due")] if with_due else []) + [c.w("open")]
    cells = "".join(f"<th style=\"text-align:left;padding:4px 8px\">{h}</th>" for h in head)
    rows = [f"<tr>{cells}</tr>"]
    for it in items:
        r = [it["inv"], c.date(it["idate"])] + ([c.date(it["due"])] if with_due else [])
        r.append(c.money(it["amt"]))
        rows.append("<tr>" + "".join(
            f"<td style=\"padding:4px 8px;border-top:1px solid #ddd\">{x}</td>" for x in r) + "</tr>")
    if total is not None:
        rows.append(f"<tr><td colspan=\"{len(head) - 1}\" style=\"padding:4px 8px\"><b>"
                    f"{c.w('total')}</b></td><td style=\"padding:4px 8px\"><b>{c.money(total)}"
                    "</b></td></tr>")
    return "<table cellspacing=\"0\" style=\"border-collapse:collapse;font-size:13px\">" + \
        "".join(rows) + "</table>"


def to_html(c, paragraphs, table=None, button=None, foot=""):
    """Turns text paragraphs into a vendor-style HTML mail (layout tables, inline CSS)."""
    def esc(s):
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    body = []
    for para in paragraphs:
        if para == "{TABLE}":
            body.append(table or "")
            continue
        rows = [ln.split(": ", 1) for ln in para.strip().split("\n")]
        if len(rows) >= 2 and all(len(r) == 2 and 1 < len(r[0].strip()) <= 40 for r in rows) \
                and c.rng.random() < 0.7:
            # Label/value blocks (bank details, invoice facts) as the two-column tables that
            # invoicing tools render; the values then sit only in table cells.
            cells = "".join(f"<tr><td style=\"padding:2px 12px 2px 0;color:#555\">{esc(k.strip())}</td>"
                            f"<td style=\"padding:2px 0\"><b>{esc(v.strip())}</b></td></tr>" for k, v in rows)
            body.append(f"<table cellpadding=\"0\" cellspacing=\"0\">{cells}</table>")
            continue
        body.append("<p style=\"margin:0 0 12px 0\">" + esc(para).replace("\n", "<br>") + "</p>")
    if button:
        label, url = button
        body.append(f"<p><a href=\"{url}\" style=\"background:#1a73e8;color:#fff;padding:10px 18px;"
                    f"text-decoration:none;border-radius:4px\">{esc(label)}</a></p>")
    foot_html = "<p style=\"color:#888;font-size:11px\">" + esc(foot.strip()).replace("\n", "<br>") + "</p>"
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"font-family:"
            "Arial,Helvetica,sans-serif;font-size:14px;color:#222\"><table width=\"100%\" "
            "cellpadding=\"0\" cellspacing=\"0\"><tr><td style=\"padding:16px\">"
            f"<div style=\"font-size:18px;font-weight:bold;margin-bottom:16px\">{esc(c.v['name'])}</div>"
            + "\n".join(body) + foot_html + "</td></tr></table></body></html>")


def quote_block(c, who, email, when, text, subject):
    """Quoted history in one of the common client styles (> lines or an Outlook header)."""
    F = c.L["fmt"]
    if c.rng.random() < 0.5:
        head = c.fill(F["quote"], date=c.date(when.date()) + when.strftime(" %H:%M"), name=who,
                      email=email)
        return head + "\n" + "\n".join("> " + ln if ln else ">" for ln in text.split("\n"))
    o = F["outlook"]
    head = [F["orig"], f"{o[0]} {who} <{email}>", f"{o[1]} {c.date(when.date())} {when:%H:%M}",
            f"{o[2]} {c.L['ap']}", f"{o[3]} {subject}"]
    return "\n".join(head) + "\n\n" + text


def dated(when, days):
    return when.date() + dt.timedelta(days=days)
