"""E-mail messages (.eml) with the standard library's email package: the headers a reader looks at (Subject, From,
To, Cc, Date) above the body (an HTML-only body through the HTML extractor); then each attachment DocSense reads,
extracted with its own extractor, as a section of its own ("Attachment: report.pdf"). The title is the subject."""

from __future__ import annotations

import email
import email.errors
import email.policy
import os
from email.message import EmailMessage, MIMEPart
from typing import TYPE_CHECKING

from indexer.extract.base import Extracted, ExtractionError, TextBuilder

if TYPE_CHECKING:
    from indexer.extract.ocr import OcrSettings

HEADERS = ("Subject", "From", "To", "Cc", "Date")
MAX_DEPTH = 3  # a message attached to a message attached to ...: how deep attachments are followed


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot make sense of: its raw form
        value = message.get_all(name, failobj=[""])[0] if message.keys() else ""
    return " ".join(str(value or "").split())


_BAD_BASE64 = (
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64PaddingDefect,
    email.errors.InvalidBase64LengthDefect,
)


def _body(part: MIMEPart, warnings: list[str]) -> tuple[str, bool]:
    """A text part's text, and whether it is HTML. A part the email package cannot decode (an unknown charset, a
    transfer encoding that does not hold) is read as best it can be and said so, rather than lost."""
    html = part.get_content_type() == "text/html"
    try:
        return str(part.get_content()), html
    except (LookupError, ValueError, UnicodeError, KeyError, AssertionError):
        pass
    payload = part.get_payload(decode=True)
    if any(isinstance(defect, _BAD_BASE64) for defect in part.defects):
        raw = part.get_payload(decode=False)  # "base64" that is not: its own characters are the text
        payload = raw.encode("latin-1", "replace") if isinstance(raw, str) else payload
    if not isinstance(payload, bytes):
        return "", html
    charset = part.get_content_charset() or "utf-8"
    for encoding in (charset, "utf-8"):
        try:
            return payload.decode(encoding), html
        except (LookupError, UnicodeDecodeError):
            continue
    warnings.append(f"a part in the unknown charset {charset!r} was read as Latin-1")
    return payload.decode("latin-1"), html


def extract(data: bytes, depth: int = 0, ocr: OcrSettings | None = None) -> Extracted:
    from indexer.extract import SUFFIX_TYPES
    from indexer.extract import extract as extract_any
    from indexer.extract import html as html_extractor

    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    fields = {name: _header(message, name) for name in HEADERS}
    if not any(fields.values()) and not message.get("Message-ID"):
        raise ExtractionError("not an e-mail message: it has no Subject, From, To or Date header")
    out = TextBuilder()
    out.paragraph("\n".join(f"{name}: {value}" for name, value in fields.items() if value))
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, AttributeError):
        body = None
    if body is not None:
        text, is_html = _body(body, out.warnings)
        if is_html:
            try:
                text = html_extractor.extract(text.encode("utf-8")).text
            except ExtractionError:
                text = ""
        out.paragraph(text.replace("\r\n", "\n"))
    for part in message.iter_attachments():
        name = part.get_filename() or ""
        kind = SUFFIX_TYPES.get(os.path.splitext(name)[1].lower()) if name else None
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            kind, name = "eml", name or "attached message"
            payload = (
                inner[0].as_bytes() if isinstance(inner, list) and inner and hasattr(inner[0], "as_bytes") else None
            )
        else:
            payload = part.get_payload(decode=True)
        if not name:
            continue  # an inline image or signature without a name
        if kind is None:
            out.warnings.append(f"attachment {name}: a type DocSense does not read")
            continue
        if depth >= MAX_DEPTH or not isinstance(payload, bytes):
            out.warnings.append(f"attachment {name}: not read (nested too deep, or empty)")
            continue
        try:
            attached = extract(payload, depth + 1, ocr) if kind == "eml" else extract_any(kind, payload, ocr=ocr)
        except ExtractionError as exc:
            out.warnings.append(f"attachment {name}: {exc}")
            continue
        out.heading(1, f"Attachment: {name}")
        out.paragraph(attached.text)
    return out.build(fields["Subject"] or None)
