#!/usr/bin/env python3
"""Rebuilds tests/fixtures/world/ (the labelled multilingual corpus) from the phrase files.

    python3 scripts/corpus/generate.py

Deterministic: one seeded Random per language, no clock, no network; the same phrase files
give byte-identical output. It deletes and rewrites only tests/fixtures/world/*/ (the
message folders), labels.jsonl, vendors.csv, payables.csv and MANIFEST.md's generated part;
floors.toml is kept.
"""

import csv
import datetime as dt
import hashlib
import io
import json
import random
import shutil
import sys
import tomllib
import unicodedata
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import builders  # noqa: E402
import fmt  # noqa: E402
import manifest  # noqa: E402
import mime  # noqa: E402
from compose import OUR, Ctx  # noqa: E402

ROOT = HERE.parent.parent
OUT = ROOT / "tests" / "fixtures" / "world"
SEED = 20261202
BASE_COUNT = 70

# Family weights: (family, weight). Chasers about 58 %, hard negatives about 42 %.
CHASERS = [("pre", 7), ("today", 3), ("neutral", 7), ("overdue", 9), ("overdue2", 5),
           ("fee", 3), ("final", 6), ("legal", 3), ("statement", 6), ("partial", 3),
           ("short", 4), ("follow", 4), ("attached", 4)]
OTHERS = [("receipt", 7), ("new_invoice", 8), ("credit_note", 3), ("quote", 3), ("order", 3),
          ("shipping", 3), ("newsletter", 3), ("auto_reply", 3), ("bounce", 2),
          ("own_outbound", 2), ("own_chaser", 1.5), ("internal", 3), ("meeting", 1.5),
          ("antifraud", 1.5), ("bank_notice", 2)]
TEMPLATE_FAMS = {"pre", "today", "neutral", "overdue", "overdue2", "fee", "final", "legal",
                 "statement", "partial", "attached", "attached_final", "receipt", "new_invoice", "credit_note",
                 "quote", "order", "shipping", "newsletter", "own_outbound", "internal",
                 "meeting", "antifraud", "bank_notice"}
# "See attached" letters: the PDF carries an overdue notice or a final one.
ATTACHED = {"attached": "overdue", "attached_final": "final"}
TZ = {"en": 0, "ja": 9, "zh": 8, "tr": 3, "fi": 2, "ro": 2, "pt": 0}


def split_of(i, n):
    """The last ~30 % of a family's entries (at least one, when it has two) are dev."""
    if n < 2:
        return "train"
    ndev = max(1, round(n * 0.3))
    return "dev" if i >= n - ndev else "train"


def load_lang(path, common):
    L = tomllib.loads(path.read_text(encoding="utf-8"))
    L["src"] = {**common["src"], **L.get("src", {})}
    fams = {}
    for t in L.get("t", []):
        fams.setdefault(t["fam"], []).append(t)
        if isinstance(t["subj"], str):
            t["subj"] = [t["subj"]]
    for items in fams.values():
        for i, t in enumerate(items):
            t["split"] = split_of(i, len(items))
    for name, items in L.get("p", {}).items():
        for i, x in enumerate(items):
            x["split"] = split_of(i, len(items)) if len(items) >= 3 else "any"
    for key, val in L.get("w", {}).items():
        if isinstance(val, str):
            L["w"][key] = {"t": val, "s": L.get("w_src", "CLDR")}
    for k, forms in L["money"].items():
        L["money"][k] = forms if isinstance(forms, list) else [forms]
    return L


class World(Ctx):
    """Ctx plus the per-vendor state the builders ask for (numbers, bank, sender)."""

    def __init__(self, L, split, rng, vendor, when, seq, state):
        super().__init__(L, split, rng, vendor, when, seq)
        self.state = state
        self.template_ids = []
        self.fraud = None
        self.items = []

    def v_inv(self):
        pat = self.v.get("inv", "INV-{yyyy}-{n5}")
        n = self.state.setdefault(("inv", self.v["domain"]), self.rng.randint(100, 9000))
        n += self.rng.randint(1, 40)
        self.state[("inv", self.v["domain"])] = n
        out = (pat.replace("{yyyy}", str(self.when.year)).replace("{yy}", str(self.when.year)[2:])
               .replace("{mm}", f"{self.when.month:02d}").replace("{n3}", f"{n % 1000:03d}")
               .replace("{n4}", f"{n:04d}").replace("{n5}", f"{n:05d}")
               .replace("{n6}", f"{n:06d}").replace("{n7}", f"{n:07d}").replace("{n9}", f"{n:09d}").replace("{n8}", f"{n + 24100000:08d}")
               .replace("{n}", str(n)))
        return out

    def v_doc(self, fam):
        return f"{fam[:2].upper()}-{self.when.year}-{self.rng.randint(100, 9999):04d}"

    def from_addr(self):
        v = self.v
        if self.fraud == "blunt":
            return f"{v['local']}@{lookalike(v['domain'], self.seq)}"
        return f"{v['local']}@{v['domain']}"

    def from_name(self):
        return self.v["person"] + (f" | {self.v['name']}" if self.rng.random() < 0.4 else "")

    def known_bank(self):
        return self.state["bank"][self.v["domain"]]

    def new_bank(self):
        r = random.Random(f"new/{self.seq}/{self.v['domain']}")
        kind = self.known_bank()["kind"]
        cc = r.choice([self.v["cc"], self.v["cc"], "GB", "PT", "HU", "LT" if False else "PL"])
        return make_bank(kind, cc if kind == "iban" else self.v["cc"], r)

    def colleague_name(self):
        return self.rng.choice(self.L["colleagues"])

    def colleague(self):
        """A colleague at our own company: (display name, address)."""
        names = self.L["colleagues"]
        i = self.rng.randrange(len(names))
        name = names[i]
        locals_ = self.L.get("colleague_locals")
        if locals_:
            local = locals_[i]
        else:
            first = name.split()[0].lower().translate(str.maketrans("ıłøæđ", "iload"))
            local = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
        return name, f"{local}@{OUR['domain']}"


def lookalike(domain, seq):
    for suffix in ("co.uk", "com.tr", "com.br", "co.jp", "com.cn"):
        if domain.endswith("." + suffix):
            name, tld = domain[: -len(suffix) - 1], suffix
            break
    else:
        name, _, tld = domain.rpartition(".")
    swapped = name.replace("o", "0", 1) if "o" in name else name.replace("i", "l", 1) \
        if "i" in name else name + name[-1]
    ways = [name[:-1] + "." + tld, name + "-" + ("pay" if seq % 2 else "billing") + "." + tld,
            name + "." + ("com" if tld != "com" else "co"), swapped + "." + tld,
            name + "s." + tld]
    return ways[seq % len(ways)]


def make_bank(kind, cc, r):
    banks = {"DE": ["Commerzbank", "Deutsche Bank", "Sparkasse Bielefeld", "Volksbank Rosenheim"],
             "GB": ["Barclays Bank", "HSBC UK", "Lloyds Bank"], "PT": ["Millennium BCP", "Caixa Geral de Depósitos"],
             "HU": ["OTP Bank", "K&H Bank"], "PL": ["mBank S.A.", "PKO Bank Polski"],
             "FR": ["BNP Paribas", "Crédit Agricole", "Société Générale"], "BE": ["KBC Bank", "BNP Paribas Fortis"],
             "ES": ["CaixaBank", "BBVA", "Banco Sabadell"], "IT": ["Intesa Sanpaolo", "UniCredit", "Banco BPM"],
             "NL": ["ING Bank", "Rabobank", "ABN AMRO"], "SE": ["SEB", "Handelsbanken"], "DK": ["Danske Bank", "Jyske Bank"],
             "NO": ["DNB", "SpareBank 1"], "FI": ["Nordea", "OP Osuuspankki"], "CZ": ["Česká spořitelna", "Komerční banka"],
             "SK": ["Slovenská sporiteľňa", "VÚB banka"], "RO": ["Banca Transilvania", "BRD"], "HR": ["Zagrebačka banka", "PBZ"],
             "SI": ["NLB d.d.", "SKB banka"], "TR": ["Türkiye İş Bankası", "Garanti BBVA"], "CH": ["UBS", "Zürcher Kantonalbank"],
             "AT": ["Erste Bank"], "IE": ["AIB"], "LU": ["BGL BNP Paribas"], "AD": ["Andbank"]}
    if kind == "iban":
        return {"kind": "iban", "iban": fmt.iban(cc, r), "bank": r.choice(banks.get(cc, ["Bank"])),
                "bic": "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + cc + "XX"}
    if kind in ("bankgiro", "plusgiro"):
        acc = f"{r.randint(100, 9999)}-{r.randint(1000, 9999)}" if kind == "bankgiro" else \
            f"{r.randint(10000, 999999)}-{r.randint(1, 9)}"
        return {"kind": kind, "account": acc}
    if kind == "sortcode":
        return {"kind": kind, "bank": "Barclays Bank", "sort": f"{r.randint(20, 40)}-{r.randint(10, 99)}-{r.randint(10, 99)}",
                "account": f"{r.randint(10**7, 10**8 - 1)}"}
    if kind == "jp":
        return {"kind": kind, "bank": r.choice(["三菱UFJ銀行 丸の内支店", "三井住友銀行 大阪本店", "みずほ銀行 名古屋支店"]),
                "account": f"{r.randint(1000000, 9999999)}"}
    if kind == "cn":
        return {"kind": kind, "bank": r.choice(["中国工商银行上海分行", "招商银行深圳分行", "中国银行北京分行"]),
                "account": " ".join(f"{r.randint(1000, 9999)}" for _ in range(4)) + f" {r.randint(100, 999)}"}
    if kind == "agencia":
        return {"kind": kind, "bank": r.choice(["Itaú Unibanco", "Banco do Brasil", "Bradesco"]),
                "sort": f"{r.randint(1000, 9999)}", "account": f"{r.randint(10000, 99999)}-{r.randint(0, 9)}"}
    return {"kind": "routing", "bank": "JPMorgan Chase Bank", "routing": f"0{r.randint(21000000, 29999999)}",
            "account": f"{r.randint(10**9, 10**10 - 1)}"}


def pick(rng, weighted):
    total = sum(w for _, w in weighted)
    x = rng.random() * total
    for item, w in weighted:
        x -= w
        if x < 0:
            return item
    return weighted[-1][0]


def available(L, fam, split):
    if fam in TEMPLATE_FAMS:
        if fam in ATTACHED:
            return L["p"].get("attached") and any(
                t["fam"] == ATTACHED[fam] and t["split"] == split for t in L["t"])
        return any(t["fam"] == fam and t["split"] == split for t in L["t"])
    need = {"short": "short", "follow": "follow", "auto_reply": "ooo"}
    if fam in need:
        return bool(L["p"].get(need[fam]))
    return True


def build_one(L, fam, c):
    if fam in ("short", "follow"):
        return builders.human(c, fam)
    if fam == "auto_reply":
        return builders.auto_reply(c)
    if fam == "bounce":
        return builders.bounce(c)
    if fam == "own_chaser":
        return builders.own_chaser(c)
    if fam in dict(CHASERS):
        if fam in ATTACHED:
            t = [x for x in L["t"] if x["fam"] == ATTACHED[fam] and x["split"] == c.split]
            saved = list(L["t"])
            L["t"] = saved + [dict(x, fam=fam) for x in t]
            try:
                return builders.chaser(c, fam)
            finally:
                L["t"] = saved
        return builders.chaser(c, fam)
    return builders.other(c, fam)


def main():
    common = tomllib.loads((HERE / "phrases" / "_common.toml").read_text(encoding="utf-8"))
    langs = sorted(p for p in (HERE / "phrases").glob("*.toml") if not p.name.startswith("_"))
    if OUT.exists():
        for child in OUT.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
    OUT.mkdir(parents=True, exist_ok=True)
    labels, vendors_rows, payables_rows, used_sources = [], [], [], {}
    for path in langs:
        L = load_lang(path, common)
        lang = L["lang"]
        rng = random.Random(f"{SEED}/{lang}")
        state = {"bank": {}}
        for v in L["vendor"] + L.get("saas", []):
            v.setdefault("local", "accounts")
            r = random.Random(f"bank/{v['domain']}")
            kind = v.get("bank") or ("routing" if v.get("cc") == "US" else "iban")
            # Some vendors bank in another country than their domain says (a Swiss firm's
            # euro account in Germany): a foreign IBAN alone is not fraud.
            state["bank"][v["domain"]] = make_bank(kind, v.get("bank_cc", v.get("cc", "DE")), r)
        for v in L["vendor"]:
            if v.get("db", True):
                b = state["bank"][v["domain"]]
                vendors_rows.append([v["name"], f"{v['local']}@{v['domain']}", b.get("iban", ""),
                                     b.get("account", "") if b["kind"] != "iban" else "",
                                     v.get("phone", "")])
        count = round(BASE_COUNT * L.get("weight", 1.0))
        (OUT / lang).mkdir()
        n = 0
        attempts = 0
        while n < count and attempts < count * 20:
            attempts += 1
            split = "dev" if rng.random() < 0.33 else "train"
            kind_pool = CHASERS if rng.random() < 0.56 else OTHERS
            fams = [(f, w) for f, w in kind_pool if available(L, f, split)]
            if not fams:
                continue
            fam = pick(rng, fams)
            vendor = dict(rng.choice(L["vendor"]))
            day = dt.date(2026, 9, 1) + dt.timedelta(days=rng.randint(0, 87))
            if day.weekday() >= 5:
                day -= dt.timedelta(days=day.weekday() - 4)
            when = dt.datetime.combine(day, dt.time(rng.randint(7, 18), rng.randint(0, 59),
                                                    rng.randint(0, 59)))
            c = World(L, split, rng, vendor, when, n + 1, state)
            m = build_one(L, fam, c)
            if m is None:
                continue
            n += 1
            name = f"{lang}/{lang}-{n:04d}.eml"
            tz = dt.timezone(dt.timedelta(hours=TZ.get(lang, 1)))
            m["date"] = when.replace(tzinfo=tz)
            dom = m["from"].rsplit("@", 1)[1].rstrip(">")
            m["message_id"] = f"<{hashlib.sha1(name.encode()).hexdigest()[:16]}.{n}@{dom}>"
            if c.fraud == "blunt" and rng.random() < 0.5:
                m["headers"].append(("Reply-To", f"{vendor['person']} <{vendor['local']}.{lang}@"
                                                 f"{rng.choice(['gmail.com', 'outlook.com', 'proton.me'])}>"))
            raw = mime.build(m)
            lab = m["label"]
            # A few messages arrive with a body no reader can decode (subject-only evidence);
            # drawn from their own stream so the rest of the corpus does not move.
            mangled = fam != "bounce" and not lab["bank_change"] and \
                random.Random(f"mangle/{name}").random() < 0.04
            if mangled:
                raw = mime.mangle(raw)
            (OUT / name).write_bytes(raw)
            srcs = []
            for key in c.srcs:
                cite = L["src"].get(key, key)
                if cite not in srcs:
                    srcs.append(cite)
                used_sources[cite] = used_sources.get(cite, 0) + 1
            row = {"path": name, "split": split, "language": lang, "kind": lab["kind"],
                   "category": lab["category"], "stage": lab["stage"], "invoices": lab["invoices"],
                   "amount": None if lab["amount"] is None else f"{lab['amount']:f}",
                   "currency": lab["currency"],
                   "due_date": None if lab["due_date"] is None else lab["due_date"].isoformat(),
                   "bank_change": lab["bank_change"], "sources": srcs,
                   "template": c.template_ids[0] if c.template_ids else fam, "family": fam}
            row["mangled"] = mangled
            if mangled:
                # Only the subject can be read: the claims it does not state are not there.
                row["invoices"] = [i for i in row["invoices"] if i in m["subject"]]
                row["amount"] = row["currency"] = row["due_date"] = None
            labels.append(row)
            if lab["kind"] == "chaser" and vendor.get("db", True) and c.fraud != "blunt":
                payables_rows.extend(payables_for(rng, vendor, lab, c, when))
    labels.sort(key=lambda r: r["path"])
    with open(OUT / "labels.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for row in labels:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    write_csv(OUT / "vendors.csv", ["vendor", "email", "iban", "account_number", "phone"],
              dedupe(vendors_rows))
    write_csv(OUT / "payables.csv", ["vendor", "vendor_email", "invoice_number", "amount", "currency",
                                     "issue_date", "due_date", "status", "paid_on", "reference"],
              dedupe(payables_rows, key=lambda r: (r[0], r[2])))
    manifest.write(OUT, labels, used_sources)
    print(f"{len(labels)} messages written to {OUT.relative_to(ROOT)}")


def payables_for(rng, vendor, lab, c, when):
    rows = []
    for inv in lab["invoices"]:
        r = rng.random()
        if r < 0.08:
            continue  # an invoice we have no record of: unknown_invoice
        amt = {it["inv"]: it["amt"] for it in c.items}.get(inv)
        if amt is None:
            amt = Decimal(rng.randint(5000, 900000)) / 100
        if r < 0.16:
            amt = amt + Decimal(rng.choice([10, 50, 100, 250]))
        due = lab["due_date"] or (when.date() - dt.timedelta(days=20))
        issue = due - dt.timedelta(days=30)
        places = 0 if lab["currency"] in ("JPY", "HUF") else 2
        amount = f"{Decimal(amt).quantize(Decimal(1) if places == 0 else Decimal('0.01')):f}"
        rows.append([vendor["name"], f"{vendor['local']}@{vendor['domain']}", inv, amount,
                     lab["currency"] or vendor["cur"], issue.isoformat(), due.isoformat(), "open", "", ""])
    return rows


def dedupe(rows, key=lambda r: tuple(r)):
    seen, out = set(), []
    for r in rows:
        k = key(r)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


def write_csv(path, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


if __name__ == "__main__":
    main()
