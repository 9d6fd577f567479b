"""Plain text: detect the encoding (BOM, UTF-16 without one, UTF-8, else Windows-1252/Latin-1) and refuse binary
data."""

from __future__ import annotations

import codecs

from indexer.extract.base import Extracted, ExtractionError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Bytes that do not occur in text in any 8-bit encoding we accept: C0 controls but tab, LF, FF, CR, and ESC.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"
_MAX_CONTROL_SHARE = 0.01


def _utf16_without_bom(sample: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" for text in UTF-16 without a byte-order mark (as Windows tools write it), told by
    its zero bytes: the high byte of every Latin character, all on the odd positions (LE) or all on the even (BE).
    Binary data has zeros on both."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even, odd = sample[0 : pairs * 2 : 2].count(0), sample[1 : pairs * 2 : 2].count(0)
    if odd >= pairs * 0.3 and even <= pairs * 0.01:
        return "utf-16-le"
    if even >= pairs * 0.3 and odd <= pairs * 0.01:
        return "utf-16-be"
    return None


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``data`` names, if any."""
    return next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)


def decode_text(data: bytes) -> str:
    """Decode bytes of a text file.

    Raises:
        ExtractionError: the file is empty or looks binary.
    """
    if not data.strip():
        raise ExtractionError("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ExtractionError(f"not valid {encoding.upper()} despite its byte-order mark") from exc
    sample = data[:65536]
    if wide := _utf16_without_bom(sample):
        try:
            return data.decode(wide)
        except UnicodeDecodeError as exc:
            raise ExtractionError(f"binary data, not text (not valid {wide.upper()} either)") from exc
    controls = sum(sample.count(bytes([b])) for b in _CONTROL)
    if controls / len(sample) > _MAX_CONTROL_SHARE:
        raise ExtractionError("binary data, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def extract(data: bytes) -> Extracted:
    text = decode_text(data).replace("\r\n", "\n")
    if not text.strip():
        raise ExtractionError("empty file")
    return Extracted(text=text)
