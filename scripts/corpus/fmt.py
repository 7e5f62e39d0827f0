"""Formatting helpers for the world corpus: amounts, dates, bank details and minimal PDFs.

Pure functions of their arguments (and of the seeded Random passed in), so the generator
stays byte-for-byte deterministic. Never reads the clock or the environment.
"""

import datetime as dt
import zlib
from decimal import Decimal

NBSP = "\u00a0"
NNBSP = "\u202f"


def group(n: Decimal, grp: str, dec: str, places: int = 2) -> str:
    """Formats a decimal with a thousands separator `grp` and decimal mark `dec`."""
    q = n.quantize(Decimal(1) if places == 0 else Decimal("0.01"))
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    parts = []
    while len(whole) > 3:
        parts.insert(0, whole[-3:])
        whole = whole[:-3]
    parts.insert(0, whole)
    out = grp.join(parts)
    if places:
        out += dec + frac
    return sign + out


def amount(n: Decimal, form: dict) -> str:
    """Renders `n` with one money form: {"p": "{n} €", "grp": ".", "dec": ",", "places": 2}."""
    places = form.get("places", 2)
    text = group(n, form.get("grp", ","), form.get("dec", "."), places)
    return form["p"].replace("{n}", text)


def date(d: dt.date, pattern: str, months: list[str]) -> str:
    """Renders a date with a pattern of {d} {dd} {m} {mm} {yyyy} {month} {Month}."""
    month = months[d.month - 1]
    return (
        pattern.replace("{dd}", f"{d.day:02d}")
        .replace("{d}", str(d.day))
        .replace("{mm}", f"{d.month:02d}")
        .replace("{m}", str(d.month))
        .replace("{yyyy}", str(d.year))
        .replace("{Month}", month[:1].upper() + month[1:])
        .replace("{month}", month)
    )


IBAN_LEN = {
    "DE": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "PT": 25, "PL": 28, "SE": 24,
    "DK": 18, "NO": 15, "FI": 18, "CZ": 24, "SK": 24, "HU": 28, "RO": 24, "HR": 21,
    "SI": 19, "TR": 26, "AD": 24, "GB": 22, "CH": 21, "AT": 20, "BE": 16, "IE": 22,
    "LU": 20,
}


def iban(cc: str, rng) -> str:
    """A syntactically valid IBAN (correct mod-97 check digits) for country `cc`."""
    n = IBAN_LEN[cc] - 4
    if cc in ("NL",):
        bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
        bban += "".join(rng.choice("0123456789") for _ in range(n - 4))
    elif cc in ("GB", "IE"):
        bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
        bban += "".join(rng.choice("0123456789") for _ in range(n - 4))
    elif cc in ("RO",):
        bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
        bban += "".join(rng.choice("0123456789") for _ in range(n - 4))
    else:
        bban = "".join(rng.choice("0123456789") for _ in range(n))
    digits = "".join(str(int(c, 36)) for c in bban + cc + "00")
    check = 98 - int(digits) % 97
    return f"{cc}{check:02d}{bban}"


def iban_spaced(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def pdf(lines: list[str], deflate: bool) -> bytes:
    """A minimal valid one-page PDF showing `lines` in Helvetica (WinAnsi text).

    Written object by object with a correct xref table, the way small invoicing tools do;
    with `deflate` the content stream is FlateDecode-compressed.
    """
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 11 Tf", "14 TL", "50 790 Td"]
    for line in lines:
        ops.append(f"({esc(line)}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("cp1252", errors="replace")
    extra = b""
    if deflate:
        stream = zlib.compress(stream, 9)
        extra = b" /Filter /FlateDecode"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + extra + b" >>\nstream\n" + stream
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def cp1252_safe(lines: list[str]) -> bool:
    try:
        for line in lines:
            line.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True
