"""One builder per message family of the world corpus (chasers and hard negatives).

A builder takes a Ctx and returns a dict with the MIME parts (for mime.build) and the label
fields. Claim wording always comes from the language's templates and phrase pools; the
builder only chooses dates, amounts, layout, quoting and headers.
"""

import datetime as dt
from decimal import Decimal
from email.utils import formataddr

import fmt
from compose import (OUR, bank_lines, dated, facts_text, footer, quote_block, signature,
                     table_html, table_text, to_html)

STAGE_DAYS = {  # due date relative to the message date
    "pre": (3, 12), "today": (0, 0), "neutral": (-2, 9), "overdue": (-40, -8),
    "overdue2": (-70, -25), "fee": (-35, -12), "final": (-120, -40), "legal": (-150, -45),
    "partial": (-45, -10), "attached": (-50, -10), "attached_final": (-120, -40),
}
STAGE_OF = {
    "pre": "reminder", "today": "reminder", "neutral": "reminder", "overdue": "overdue",
    "overdue2": "overdue", "fee": "overdue", "final": "final", "legal": "final",
    "partial": "overdue", "statement": "statement", "attached": "overdue",
    "attached_final": "final",
}


def new_invoice_no(c):
    return c.v_inv()


def template(c, fam):
    """A wording template of `fam` in this message's split (None when there is none)."""
    items = [t for t in c.L["t"] if t["fam"] == fam and t["split"] == c.split]
    if not items:
        return None
    t = c.rng.choice(items)
    c.srcs.append(t["s"])
    c.template_ids.append(t["id"])
    return t


def claim(c, fam):
    lo, hi = STAGE_DAYS.get(fam, (-30, -5))
    due = dated(c.when, c.rng.randint(lo, hi))
    idate = due - dt.timedelta(days=c.rng.choice([14, 30, 30, 30, 45, 60]))
    amt = c.round_amount(Decimal(c.rng.randint(9000, 2400000)) / 100)
    if c.v["cur"] in ("JPY", "HUF"):
        amt = c.round_amount(Decimal(c.rng.randint(40, 9000)) * (100 if c.v["cur"] == "JPY" else 250))
    if c.v["cur"] in ("CZK", "SEK", "NOK", "DKK"):
        amt = c.round_amount(Decimal(c.rng.randint(2000, 400000)) * 1)
    return {"inv": c.v_inv(), "idate": idate, "due": due, "amt": amt}


def base(c, subject, text, label, html=None, extra_headers=None):
    v = c.v
    return {
        "from": formataddr((c.from_name(), c.from_addr())),
        "to": c.L["ap"], "subject": subject, "text": text, "html": html,
        "headers": extra_headers or [], "label": label,
    }


def fill_claim(c, body, cl, **more):
    kw = {
        "inv": cl["inv"], "amount": c.money(cl["amt"]), "due": c.date(cl["due"]),
        "idate": c.date(cl["idate"]), "vendor": c.v["name"], "us": c.L["us"],
        "days": (c.when.date() - cl["due"]).days, "contact": c.L.get("contact", ""),
        "link": f"https://{c.v.get('portal', 'pay.' + c.v['domain'])}/i/{abs(hash_str(cl['inv'])) % 10**8:08d}",
    }
    kw.update(more)
    return c.fill(body, **kw)


def hash_str(s):
    h = 0
    for ch in s:
        h = (h * 131 + ord(ch)) % (2**61 - 1)
    return h


def wrap(c, core, greet=True, sig=True, foot=True):
    parts = []
    core = core.strip()
    if greet and c.has("greet") and c.rng.random() < 0.92:
        parts.append(c.p("greet", contact=c.L.get("contact", "")))
    elif core[:1].islower():
        core = core[:1].upper() + core[1:]
    parts.append(core)
    if sig:
        close = c.p("close") if c.has("close") else ""
        parts.append((close + "\n" if close else "") + signature(c))
    text = "\n\n".join(parts)
    if foot:
        text += footer(c)
    return text


# -- chasers ------------------------------------------------------------------------------

def chaser(c, fam):
    t = template(c, fam)
    if t is None:
        return None
    if fam == "statement":
        return statement(c, t)
    cl = claim(c, fam)
    body = t["body"]
    more = {}
    label_amt = cl["amt"]
    if fam == "fee" or "{fee}" in body:
        fee = c.round_amount(Decimal(c.rng.choice([5, 10, 15, 25, 40])))
        total = cl["amt"] + fee
        more.update(fee=c.money(fee), total=c.money(total))
        if "{total}" in body:
            label_amt = total
    if fam == "partial":
        paid = c.round_amount(cl["amt"] * Decimal(c.rng.choice(["0.25", "0.4", "0.5", "0.6"])))
        rest = cl["amt"] - paid
        more.update(paid=c.money(paid), rest=c.money(rest), total=c.money(cl["amt"]))
        label_amt = rest
    deadline = dated(c.when, c.rng.choice([5, 7, 8, 10, 14]))
    more["deadline"] = c.date(deadline)
    html_mode = c.rng.random()
    table_single = [{"inv": cl["inv"], "idate": cl["idate"], "due": cl["due"], "amt": cl["amt"]}]
    more["facts"] = facts_text(c, cl["inv"], cl["idate"], cl["amt"], cl["due"])
    more["table"] = table_text(c, table_single)
    core = fill_claim(c, body, cl, **more)
    has_due = any(k in body for k in ("{due}", "{facts}", "{table}"))
    due_label = cl["due"] if has_due else (deadline if "{deadline}" in body else None)
    stage = STAGE_OF[fam]
    if stage == "reminder" and cl["due"] < c.when.date() and has_due:
        stage = "overdue"
    c.items = table_single
    label = {"kind": "chaser", "category": "chaser", "stage": stage, "invoices": [cl["inv"]],
             "amount": label_amt, "currency": c.v["cur"], "due_date": due_label,
             "bank_change": False}
    if fam == "legal" and c.has("legal"):
        core += "\n\n" + c.p("legal", deadline=more["deadline"])
    subject = fill_claim(c, c.rng.choice(t["subj"]), cl, **more)
    bank = overlay_bank(c, label)
    if bank:
        core += "\n\n" + bank
    text = wrap(c, core)
    m = base(c, subject, text, label)
    if html_mode < 0.25 and fam not in ("attached", "attached_final"):
        # HTML-only: the claim sits in table cells, not in running text.
        more_html = dict(more)
        more_html["facts"] = "{TABLE}"
        more_html["table"] = "{TABLE}"
        core_h = fill_claim(c, body, cl, **more_html)
        if fam == "legal" and c.has("legal"):
            core_h += "\n\n" + c.p("legal", deadline=more["deadline"])
        if bank:
            core_h += "\n\n" + bank
        paras = [x for x in (c.p("greet", contact="") if c.has("greet") else "",) if x]
        paras += [seg for seg in core_h.replace("{TABLE}", "\n\n{TABLE}\n\n").split("\n\n") if seg.strip()]
        paras.append(signature(c))
        button = None
        if fam in ("neutral", "pre", "today") and "pay_now" in c.L["w"]:
            button = (c.w("pay_now"), fill_claim(c, "{link}", cl))
        m["html"] = to_html(c, paras, table_html(c, table_single), button, footer(c))
        m["text"] = None
    elif html_mode < 0.45:
        paras = [seg for seg in text.split("\n\n") if seg.strip()]
        m["html"] = to_html(c, paras)
    if fam in ("attached", "attached_final"):
        return attached(c, m, core, subject, label)
    return m


def statement(c, t):
    n = c.rng.randint(2, 5)
    items = []
    for i in range(n):
        due = dated(c.when, c.rng.randint(-90, 10))
        items.append({"inv": c.v_inv(), "idate": due - dt.timedelta(days=30), "due": due,
                      "amt": c.round_amount(Decimal(c.rng.randint(5000, 900000)) / 100)})
    items.sort(key=lambda x: x["idate"])
    total = sum((x["amt"] for x in items), Decimal(0))
    c.items = items
    html_only = c.rng.random() < 0.3
    cl = {"inv": items[0]["inv"], "amt": total, "due": items[0]["due"], "idate": items[0]["idate"]}
    more = {"table": "{TABLE}" if html_only else table_text(c, items, total=total),
            "total": c.money(total), "count": n, "facts": "", "deadline": c.date(dated(c.when, 10)),
            "period": c.date(c.when.date().replace(day=1))}
    core = fill_claim(c, t["body"], cl, **more)
    if "{table}" not in t["body"]:
        core += "\n\n" + ("{TABLE}" if html_only else table_text(c, items, total=total))
    label = {"kind": "chaser", "category": "chaser", "stage": "statement",
             "invoices": [x["inv"] for x in items], "amount": total, "currency": c.v["cur"],
             "due_date": None, "bank_change": False}
    subject = fill_claim(c, c.rng.choice(t["subj"]), cl, **more)
    if html_only:
        paras = [seg for seg in core.replace("{TABLE}", "\n\n{TABLE}\n\n").split("\n\n") if seg.strip()]
        if c.has("greet"):
            paras.insert(0, c.p("greet", contact=""))
        paras.append(signature(c))
        m = base(c, subject, None, label)
        m["html"] = to_html(c, paras, table_html(c, items, total=total), None, footer(c))
        return m
    return base(c, subject, wrap(c, core), label)


def attached(c, m, core, subject, label):
    """"See attached": the mail says almost nothing; the claim is in a PDF."""
    lines = [c.v["name"], c.v["street"], c.v["city"], ""] + core.split("\n")
    if not fmt.cp1252_safe(lines) or not c.has("attached"):
        return m
    short = c.p("attached")
    m["text"] = wrap(c, short, greet=c.rng.random() < 0.5)
    m["html"] = None
    name = c.rng.choice(["reminder", "Mahnung", "document", "scan", "statement"]) + f"_{c.seq:04d}.pdf"
    m["attachments"] = [(name, "application/pdf", fmt.pdf(lines, deflate=c.rng.random() < 0.5))]
    return m


def overlay_bank(c, label):
    """Sometimes a chaser also changes (fraud) or merely repeats (legit) bank details."""
    r = c.rng.random()
    if r < 0.09 and c.has("bankb"):
        c.fraud = "blunt"
        label["bank_change"] = True
        return c.p("bankb") + "\n\n" + "\n".join(bank_lines(c, c.new_bank()))
    if r < 0.15 and c.has("banks"):
        c.fraud = "subtle"
        label["bank_change"] = True
        return c.p("banks") + "\n\n" + "\n".join(bank_lines(c, c.new_bank()))
    if r < 0.20 and c.has("bankok"):
        return c.p("bankok") + "\n" + "\n".join(bank_lines(c, c.known_bank()))
    if r < 0.45:
        return "\n".join(bank_lines(c, c.known_bank()))
    return ""


def human(c, fam):
    """A short human chaser above quoted history ("any update?", "following up below")."""
    pool = "short" if fam == "short" else "follow"
    if not c.has(pool):
        return None
    qfam = "new_invoice" if fam == "short" else c.rng.choice(["overdue", "pre", "overdue2"])
    t = template(c, qfam)
    if t is None:
        return None
    cl = claim(c, "overdue" if qfam != "pre" else "pre")
    if qfam == "new_invoice":
        cl["due"] = dated(c.when, c.rng.randint(-30, -3))
        cl["idate"] = cl["due"] - dt.timedelta(days=30)
    more = {"facts": facts_text(c, cl["inv"], cl["idate"], cl["amt"], cl["due"]),
            "deadline": c.date(dated(c.when, 7)),
            "table": table_text(c, [cl], col="amount" if qfam == "new_invoice" else "open")}
    earlier = dt.datetime.combine(cl["idate"] if qfam == "new_invoice" else c.when.date()
                                  - dt.timedelta(days=c.rng.randint(7, 20)),
                                  dt.time(c.rng.randint(8, 17), c.rng.randint(0, 59)))
    old_text = wrap(c, fill_claim(c, t["body"], cl, **more), foot=c.rng.random() < 0.5)
    old_subj = fill_claim(c, c.rng.choice(t["subj"]), cl, **more)
    new = c.p(pool, inv=cl["inv"], amount=c.money(cl["amt"]), due=c.date(cl["due"]))
    person = c.v["person"]
    top = new + "\n\n" + person.split()[0] + "\n\n"
    text = top + quote_block(c, person, c.from_addr(), earlier, old_text, old_subj)
    stated_due = any(k in t["body"] for k in ("{due}", "{facts}", "{table}"))
    stated_amt = any(k in t["body"] for k in ("{amount}", "{facts}", "{table}"))
    c.items = [cl]
    stage = "overdue" if cl["due"] < c.when.date() else "reminder"
    label = {"kind": "chaser", "category": "chaser", "stage": stage, "invoices": [cl["inv"]],
             "amount": cl["amt"] if stated_amt else None,
             "currency": c.v["cur"] if stated_amt else None,
             "due_date": cl["due"] if stated_due else None, "bank_change": False}
    if label["amount"] is None:
        label["currency"] = None
    subj = c.L["fmt"]["re"] + old_subj
    if fam == "follow" and c.rng.random() < 0.3:
        # Re-sent as a forward of the earlier reminder (Fwd: chain).
        subj = c.L["fmt"]["fw"] + old_subj
    if fam == "short" and c.rng.random() < 0.3:
        subj = c.p(pool, inv=cl["inv"], amount="", due="").split("\n")[0][:70].strip()
    m = base(c, subj, text, label,
             extra_headers=[("In-Reply-To", f"<{hash_str(old_subj) % 10**9}@{c.v['domain']}>")])
    if c.has("banks") and c.rng.random() < 0.2:
        # A hijacked mailbox: the real thread, the real sender, new account "for this and
        # future payments".
        c.fraud = "hijack"
        label["bank_change"] = True
        m["text"] = new + "\n\n" + c.p("banks") + "\n\n" + "\n".join(bank_lines(c, c.new_bank())) + \
            "\n\n" + person.split()[0] + "\n\n" + quote_block(c, person, c.from_addr(), earlier,
                                                              old_text, old_subj)
    return m


# -- hard negatives -----------------------------------------------------------------------

def other(c, fam):
    t = template(c, fam)
    if t is None:
        return None
    cl = claim(c, "overdue")
    future = dated(c.when, c.rng.randint(10, 45))
    cl_future = dict(cl, due=future, idate=c.when.date())
    data = {
        "receipt": cl, "credit_note": cl, "new_invoice": cl_future, "quote": cl_future,
        "order": cl_future, "shipping": cl_future,
    }.get(fam, cl)
    more = {
        "facts": facts_text(c, data["inv"], data["idate"], data["amt"], data["due"]),
        "paydate": c.date(dated(c.when, -c.rng.randint(0, 4))),
        "doc": c.v_doc(fam), "track": f"{c.rng.randint(10**11, 10**12 - 1)}",
        "valid": c.date(future), "ddate": c.date(dated(c.when, c.rng.randint(2, 12))),
        "deadline": c.date(future), "quarter": f"Q{(c.when.month - 1) // 3 or 4}",
        "table": "", "period": c.date(c.when.date().replace(day=1)),
        "meet": c.date(dated(c.when, c.rng.randint(2, 9))),
    }
    if fam == "new_invoice":
        more["table"] = table_text(c, [data], col="amount")
    if fam == "own_outbound":
        more["paydate"] = c.date(dated(c.when, c.rng.randint(2, 12)))
    body = fill_claim(c, t["body"], data, **more)
    subject = fill_claim(c, c.rng.choice(t["subj"]), data, **more)
    cat = {"bank_notice": "other", "antifraud": "other", "meeting": "other"}.get(fam, fam)
    label = {"kind": "other", "category": cat, "stage": None, "invoices": [], "amount": None,
             "currency": None, "due_date": None, "bank_change": fam == "bank_notice"}
    headers = []
    sender = None
    if fam == "bank_notice":
        c.fraud = c.rng.choice(["blunt", "subtle"])
        body += "\n\n" + "\n".join(bank_lines(c, c.new_bank()))
    if fam == "antifraud":
        body += "\n\n" + "\n".join(bank_lines(c, c.known_bank()))
    if fam == "newsletter":
        c.v = c.L["saas"][c.seq % len(c.L["saas"])]
        headers = [("List-Unsubscribe", f"<https://news.{c.v['domain']}/u/{c.seq:06d}>"),
                   ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                   ("Precedence", "bulk"), ("X-Mailer", "Mailchimp Mailer - **CID" + f"{c.seq:08x}**")]
        sender = f"{c.v['name']} <news@{c.v['domain']}>"
    if fam in ("internal", "own_outbound"):
        # Written by a colleague at our company: our signature, no vendor footer.
        name, addr = c.colleague()
        sender = formataddr((name, addr))
        body = body.strip()
        if fam == "internal":
            text = body + "\n\n" + name.split()[0 if c.L["lang"] not in ("ja", "zh", "hu") else -1]
        else:
            body = body[:1].upper() + body[1:]
            text = (body + "\n\n" + (c.p("close") + "\n" if c.has("close") else "") + name + "\n"
                    + OUR["name"] + "\n" + c.L["us"] + " · " + "www." + OUR["domain"])
    else:
        text = wrap(c, body, greet=fam not in ("newsletter",))
    m = base(c, subject, text, label, extra_headers=headers)
    if sender:
        m["from"] = sender
    if fam == "own_outbound":
        m["to"] = f"{c.v['person']} <{c.v['local']}@{c.v['domain']}>"
    if fam == "newsletter" or (fam in ("new_invoice", "receipt") and c.rng.random() < 0.35):
        paras = [seg for seg in text.split("\n\n") if seg.strip()]
        m["html"] = to_html(c, paras)
        if fam == "newsletter":
            m["text"] = None
    if fam == "meeting":
        start = dt.datetime.combine(dated(c.when, c.rng.randint(2, 9)), dt.time(10, 0))
        m["calendar"] = (
            "BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n"
            "VERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
            f"DTSTART:{start:%Y%m%dT%H%M%S}\r\nDTEND:{start + dt.timedelta(hours=1):%Y%m%dT%H%M%S}\r\n"
            f"SUMMARY:{subject}\r\nUID:{c.seq:06d}-{c.v['domain']}\r\n"
            f"ORGANIZER:mailto:{c.from_addr()}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    return m


def auto_reply(c):
    if not c.has("ooo"):
        return None
    t = template(c, c.rng.choice(["overdue", "final", "overdue2"]))
    if t is None:
        return None
    cl = claim(c, "overdue")
    more = {"facts": facts_text(c, cl["inv"], cl["idate"], cl["amt"], cl["due"]),
            "deadline": c.date(dated(c.when, 7)), "table": "", "fee": "", "total": ""}
    back = dated(c.when, c.rng.randint(3, 14))
    text = c.p("ooo", back=c.date(back), person=c.v["person"]) + "\n\n" + signature(c)
    old_subj = fill_claim(c, c.rng.choice(t["subj"]), cl, **more)
    if c.rng.random() < 0.5:
        # Quotes the dunning letter the out-of-office contact had sent (our reply to it).
        old = wrap(c, fill_claim(c, t["body"], cl, **more), foot=False)
        earlier = c.when - dt.timedelta(minutes=1)
        text += "\n\n" + quote_block(c, c.v["person"], c.from_addr(), earlier, old, old_subj)
    label = {"kind": "other", "category": "auto_reply", "stage": None, "invoices": [],
             "amount": None, "currency": None, "due_date": None, "bank_change": False}
    subj = c.w("auto") + " " + c.L["fmt"]["re"] + old_subj
    return base(c, subj, text, label, extra_headers=[("Auto-Submitted", "auto-replied"),
                                                      ("X-Auto-Response-Suppress", "All")])


def bounce(c):
    t = template(c, c.rng.choice(["overdue", "final"]))
    if t is None:
        return None
    cl = claim(c, "overdue")
    more = {"facts": "", "deadline": "", "table": "", "fee": "", "total": ""}
    old_subj = c.L["fmt"]["re"] + fill_claim(c, c.rng.choice(t["subj"]), cl, **more)
    rcpt = f"{c.v['local']}@{c.v['domain']}"
    text = ("This is the mail system at host mx1.kestrel-group.com.\n\n"
            "I'm sorry to have to inform you that your message could not\n"
            "be delivered to one or more recipients. It's attached below.\n\n"
            "For further assistance, please send mail to postmaster.\n\n"
            "If you do so, please include this problem report. You can\n"
            "delete your own text from the attached returned message.\n\n"
            "                   The mail system\n\n"
            f"<{rcpt}>: host mx.{c.v['domain']}[192.0.2.25] said: 550 5.1.1\n"
            "    User unknown (in reply to RCPT TO command)\n")
    status = (f"Reporting-MTA: dns; mx1.kestrel-group.com\nArrival-Date: "
              f"{c.when:%a, %d %b %Y %H:%M:%S +0000}\n\nFinal-Recipient: rfc822; {rcpt}\n"
              "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n")
    orig = (f"From: {c.L['ap']}\nTo: {rcpt}\nSubject: {old_subj}\n"
            f"Message-ID: <{c.seq:06d}.reply@kestrel-group.com>\n").encode("utf-8")
    c.srcs.append("RFC3464")
    label = {"kind": "other", "category": "bounce", "stage": None, "invoices": [],
             "amount": None, "currency": None, "due_date": None, "bank_change": False}
    m = base(c, "Undelivered Mail Returned to Sender", text, label,
             extra_headers=[("Auto-Submitted", "auto-replied")])
    m["from"] = "Mail Delivery System <MAILER-DAEMON@mx1.kestrel-group.com>"
    m["report"] = (status, orig)
    return m


def own_chaser(c):
    """Our own receivables department chasing one of OUR customers: a chaser in wording,
    but sent from our domain, so not a vendor's chaser."""
    t = template(c, c.rng.choice(["overdue", "pre", "final"]))
    if t is None:
        return None
    cl = claim(c, "overdue")
    more = {"facts": facts_text(c, cl["inv"], cl["idate"], cl["amt"], cl["due"]),
            "deadline": c.date(dated(c.when, 7)), "table": "", "fee": "", "total": ""}
    body = fill_claim(c, t["body"], cl, **more).replace(c.v["name"], OUR["name"]).strip()
    body = body[:1].upper() + body[1:]
    subject = fill_claim(c, c.rng.choice(t["subj"]), cl, **more)
    label = {"kind": "other", "category": "own_outbound", "stage": None, "invoices": [],
             "amount": None, "currency": None, "due_date": None, "bank_change": False}
    person = c.colleague_name()
    text = body + "\n\n" + person + "\n" + OUR["name"] + "\n" + "www." + OUR["domain"]
    m = base(c, subject, text, label)
    m["from"] = f"{person} <receivables@{OUR['domain']}>"
    m["to"] = f"{c.v['person']} <{c.v['local']}@{c.v['domain']}>"
    m["cc"] = c.L["ap"]
    return m
