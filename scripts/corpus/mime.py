"""Serialises one generated message to RFC 5322 bytes (text, HTML, PDF and DSN parts).

Deterministic: MIME boundaries are derived from the Message-ID, never random; the Date
header comes from the caller. Never touches the network or the clock.
"""

import base64
import hashlib
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime


def _boundaries(msg: EmailMessage, seed: str) -> None:
    n = 0
    for part in msg.walk():
        if part.is_multipart():
            n += 1
            tag = hashlib.sha1(f"{seed}/{n}".encode()).hexdigest()[:24]
            part.set_boundary(f"=_part_{n}_{tag}")


def build(m: dict) -> bytes:
    """`m`: from, to, subject, date (aware datetime), message_id, and body parts:
    text (str|None), html (str|None), attachments [(name, mime, bytes)], extra headers,
    report (for bounces: (status_text, original_bytes)), calendar (ics text)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = m["from"]
    msg["To"] = m["to"]
    if m.get("cc"):
        msg["Cc"] = m["cc"]
    msg["Subject"] = m["subject"]
    msg["Date"] = format_datetime(m["date"])
    msg["Message-ID"] = m["message_id"]
    for name, value in m.get("headers", []):
        msg[name] = value
    msg["MIME-Version"] = "1.0"
    text, html = m.get("text"), m.get("html")
    if text is not None and html is not None:
        msg.set_content(text, subtype="plain", charset="utf-8", cte=m.get("cte", "quoted-printable"))
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    elif html is not None:
        msg.set_content(html, subtype="html", charset="utf-8", cte="quoted-printable")
    else:
        msg.set_content(text or "", subtype="plain", charset="utf-8", cte=m.get("cte", "8bit"))
    if m.get("calendar"):
        msg.add_attachment(
            m["calendar"].encode("utf-8"), maintype="text", subtype="calendar",
            filename="invite.ics", params={"method": "REQUEST"},
        )
    for name, mime, data in m.get("attachments", []):
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    if m.get("report"):
        return _report(m, msg)
    _boundaries(msg, m["message_id"])
    return msg.as_bytes(policy=SMTP)


def _report(m: dict, msg: EmailMessage) -> bytes:
    """A multipart/report DSN written out by hand (the email package cannot serialise a
    message/delivery-status part built from text)."""
    status, original = m["report"]
    tag = hashlib.sha1(m["message_id"].encode()).hexdigest()[:24]
    b = f"=_dsn_{tag}"
    head = []
    for key in ("From", "To", "Subject", "Date", "Message-ID"):
        head.append(f"{key}: {msg[key]}")
    for name, value in m.get("headers", []):
        head.append(f"{name}: {value}")
    head += ["MIME-Version: 1.0",
             f'Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"']
    body = [
        "This is a MIME-encapsulated message.", "", f"--{b}",
        "Content-Description: Notification", "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit", "", m.get("text") or "", f"--{b}",
        "Content-Description: Delivery report", "Content-Type: message/delivery-status", "",
        status, f"--{b}", "Content-Description: Undelivered Message Headers",
        "Content-Type: text/rfc822-headers", "Content-Transfer-Encoding: 8bit", "",
        original.decode("utf-8"), f"--{b}--", "",
    ]
    return ("\r\n".join(head) + "\r\n\r\n" + "\r\n".join(body).replace("\n", "\r\n")
            .replace("\r\r\n", "\r\n")).encode("utf-8")


def mangle(raw: bytes) -> bytes:
    """The message as a broken mailer sends it: its body base64-encoded but declared as one
    HTML part, cut off with junk after the padding, so no reader can decode it and only the
    headers (the subject) still say what it is (real mail of this shape: see the malformed
    fixtures' README)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    keep, skipping = [], False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                keep.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower()
        skipping = name in (b"content-type", b"content-transfer-encoding", b"mime-version")
        if not skipping:
            keep.append(line)
    blob = base64.b64encode(body)
    lines = [blob[i:i + 50] for i in range(0, len(blob), 50)]
    keep += [b"MIME-Version: 1.0", b"Content-Type: text/html; charset=iso-8859-1",
             b"Content-Transfer-Encoding: base64"]
    return b"\r\n".join(keep) + b"\r\n\r\n" + b"\r\n".join(lines) + \
        b"\r\n====\r\n--not-a-boundary--\r\n"
