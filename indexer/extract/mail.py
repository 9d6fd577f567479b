"""E-mail messages (.eml) with the standard library's email package: the headers a reader looks at (Subject, From,
To, Cc, Date, and the names of its attachments) above the body (an HTML-only body through the HTML extractor). Each
attachment DocSense reads is a document of its own (``Extracted.members``), read by its own extractor, with its own
pages: a hit in it says ``mail.eml \u203a report.pdf, page 3``. The title is the subject.

The parser is the compat32 one with the headers decoded here (RFC 2047 words, folded lines): email.policy.default's
header objects cost 6 ms a message, three quarters of the time, and a mailbox holds thousands (bench/mail_speed.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.header
import email.policy
import email.utils
import os
from email.message import Message
from typing import TYPE_CHECKING

from indexer.extract.base import Extracted, ExtractionError, Member, TextBuilder, flattened

if TYPE_CHECKING:
    from indexer.extract.ocr import OcrSettings

HEADERS = ("Subject", "From", "To", "Cc", "Date")
MAX_DEPTH = 3  # a message attached to a message attached to ...: how deep attachments are followed


def _header(message: Message, name: str) -> str:
    """A header's text: its encoded words decoded (in their charset, Latin-1 when that is unknown), raw 8-bit
    bytes (UTF-8 written straight into the header, as many mailers do) read as UTF-8, folds joined."""
    raw = message.get(name)
    if raw is None:
        return ""
    try:
        parts = email.header.decode_header(raw)  # a str, or a Header when the header holds 8-bit bytes
    except (ValueError, IndexError, TypeError, LookupError):
        return " ".join(str(raw).split())
    words = []
    for value, charset in parts:
        if isinstance(value, bytes):
            if charset in (None, "unknown-8bit"):
                value = _utf8_or_latin1(value)
                if "=?" in value and charset == "unknown-8bit":  # encoded words among the raw bytes
                    value = _decoded_words(value)
            else:
                try:
                    value = value.decode(charset)
                except (LookupError, UnicodeDecodeError):
                    value = value.decode("latin-1")
        words.append(value)
    return " ".join("".join(words).split())


def _utf8_or_latin1(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _decoded_words(text: str) -> str:
    message = Message()
    message["X"] = text
    return _header(message, "X")


def _text(part: Message, warnings: list[str]) -> str:
    """A text part's text in its charset; an unknown charset, or bytes that are not in it, read as UTF-8 or Latin-1
    rather than lost. A part that claims base64 and is not is read as it stands."""
    payload = part.get_payload(decode=True)
    if any("Base64" in type(defect).__name__ for defect in part.defects) or not isinstance(payload, bytes):
        raw = part.get_payload(decode=False)
        payload = raw.encode("latin-1", "replace") if isinstance(raw, str) else payload
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "us-ascii"
    for encoding in (charset, "utf-8"):
        try:
            return payload.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    warnings.append(f"a part in the charset {charset!r} was read as Latin-1")
    return payload.decode("latin-1")


def _attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or (bool(part.get_filename()) and disposition != "inline")


def _parts(message: Message) -> tuple[Message | None, list[Message]]:
    """The body (the first text/plain part that is no attachment, else the first text/html) and the attachments
    (an attached message is one, not its parts)."""
    plain = html = None
    attachments: list[Message] = []
    stack = [message]
    while stack:
        part = stack.pop(0)
        kind = part.get_content_type()
        if part is not message and (kind == "message/rfc822" or _attachment(part)):
            attachments.append(part)
        elif part.is_multipart():
            payload = part.get_payload()
            stack[0:0] = [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
        elif kind == "text/plain" and plain is None:
            plain = part
        elif kind == "text/html" and html is None:
            html = part
    return plain or html, attachments


def extract(data: bytes, depth: int = 0, ocr: OcrSettings | None = None) -> Extracted:
    from indexer.extract import CONTAINERS, kind_of
    from indexer.extract import extract as extract_any
    from indexer.extract import html as html_extractor

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    fields = {name: _header(message, name) for name in HEADERS}
    if not any(fields.values()) and not message.get("Message-ID"):
        raise ExtractionError("not an e-mail message: it has no Subject, From, To or Date header")
    out = TextBuilder()
    body, attachments = _parts(message)
    # an inline image or a signature without a name is no attachment a reader would look for
    attachments = [p for p in attachments if p.get_content_type() == "message/rfc822" or _header_filename(p)]
    names = _names(attachments)
    head = [f"{name}: {value}" for name, value in fields.items() if value]
    if names:
        head.append("Attachments: " + ", ".join(names))
    out.paragraph("\n".join(head))
    if body is not None:
        text = _text(body, out.warnings)
        if body.get_content_type() == "text/html":
            try:
                text = html_extractor.extract(text.encode("utf-8")).text
            except ExtractionError:
                text = ""
        out.paragraph(text.replace("\r\n", "\n"))
    members: list[Member] = []
    for part, name in zip(attachments, names, strict=True):
        kind: str | None
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            kind = "eml"
            payload = (
                inner[0].as_bytes() if isinstance(inner, list) and inner and isinstance(inner[0], Message) else None
            )
        else:
            kind = kind_of(name)
            decoded = part.get_payload(decode=True)
            payload = decoded if isinstance(decoded, bytes) else None
        if kind is None:
            out.warnings.append(f"attachment {name}: a type DocSense does not read")
            continue
        if kind in CONTAINERS:
            out.warnings.append(f"attachment {name}: an archive or a mailbox attached to a mail is not opened")
            continue
        if depth >= MAX_DEPTH or not isinstance(payload, bytes) or not payload:
            out.warnings.append(f"attachment {name}: not read (nested too deep, or empty)")
            continue
        try:
            attached = extract(payload, depth + 1, ocr) if kind == "eml" else extract_any(kind, payload, ocr=ocr)
        except ExtractionError as exc:
            out.warnings.append(f"attachment {name}: {exc}")
            continue
        members += flattened(name, kind, attached)
    recipients = ", ".join(v for v in (fields["To"], fields["Cc"]) if v) or None
    built = out.build(fields["Subject"] or None, author=fields["From"] or None, date=_date(fields["Date"]),
                      recipients=recipients)  # fmt: skip
    built.members = members
    return built


def _names(attachments: list[Message]) -> list[str]:
    """Each attachment's name, unique within its message: its file name without folders (a name is a place below
    the message's path), "message.eml" for an attached message without one; a second "a.pdf" is "a (2).pdf"."""
    names: list[str] = []
    for part in attachments:
        name = _header_filename(part).replace("\\", "/").rsplit("/", 1)[-1].strip()
        if not name:
            name = "message.eml"  # (only an attached message may have no name: see extract)
        stem, suffix = os.path.splitext(name)
        number = 1
        while name in names:
            number += 1
            name = f"{stem} ({number}){suffix}"
        names.append(name)
    return names


def _date(value: str) -> float | None:
    """A Date header in seconds since 1970; None if it cannot be read (a date without a zone is taken as UTC)."""
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def _header_filename(part: Message) -> str:
    """An attachment's name (RFC 2231 parameters and the RFC 2047 words some mailers put there decoded)."""
    name = part.get_filename() or ""
    if "=?" in name:
        with contextlib.suppress(ValueError, LookupError, UnicodeDecodeError):
            name = str(email.header.make_header(email.header.decode_header(name)))
    return " ".join(name.split())
