"""PDF with pypdf in lenient mode: the text of every page, and where each page starts in the whole text."""

from __future__ import annotations

import io
import logging
import re
import unicodedata

from indexer.extract.base import Extracted, ExtractionError

PAGE_SEPARATOR = "\n\n"
# TeX-made PDFs often draw an accent as its own glyph before the letter: "Schr¨oder". pypdf gives both characters;
# joining them gives "Schröder", which people search for.
_SPACING_ACCENTS = {"\u00a8": "\u0308", "\u00b4": "\u0301", "`": "\u0300", "\u02c6": "\u0302", "\u02dc": "\u0303",
                    "\u00b8": "\u0327", "\u02da": "\u030a", "\u02c7": "\u030c"}  # fmt: skip
_ACCENT_BEFORE_LETTER = re.compile("([\u00a8\u00b4`\u02c6\u02dc\u00b8\u02da\u02c7])([A-Za-z\u0131])")


def fix_spacing_accents(text: str) -> str:
    """Join a spacing accent and the letter after it into one accented letter."""
    if not _ACCENT_BEFORE_LETTER.search(text):
        return text

    def join(m: re.Match[str]) -> str:
        letter = "i" if m.group(2) == "\u0131" else m.group(2)
        return unicodedata.normalize("NFC", letter + _SPACING_ACCENTS[m.group(1)])

    return _ACCENT_BEFORE_LETTER.sub(join, text)


def _sniff(data: bytes) -> str:
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "not a PDF: the file is an HTML page"
    if not data.strip():
        return "empty file"
    return "not a PDF: no PDF header"


def extract(data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    if b"%PDF-" not in data[:1024]:
        raise ExtractionError(_sniff(data))
    # pypdf logs every repaired oddity of a broken file; the reason we record is enough.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (NotImplementedError, DependencyErrorType) as exc:
                raise ExtractionError(f"encrypted, cannot decrypt: {exc}") from exc
            if not opened:
                raise ExtractionError("encrypted, no password")
        pages = reader.pages
        n_pages = len(pages)
    except ExtractionError:
        raise
    except FileNotDecryptedError as exc:
        raise ExtractionError("encrypted, no password") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        if b"%%EOF" not in data[-2048:]:
            raise ExtractionError("damaged PDF: the file is cut off before its end (truncated download?)") from exc
        raise ExtractionError(f"damaged PDF: {exc}") from exc
    if n_pages == 0:
        raise ExtractionError("damaged PDF: no pages could be read")

    parts: list[str] = []
    page_starts: list[int] = []
    warnings: list[str] = []
    offset = 0
    for number in range(n_pages):
        try:
            page_text = pages[number].extract_text() or ""
        except Exception as exc:  # pypdf raises many types on broken content streams
            page_text = ""
            warnings.append(f"page {number + 1}: {type(exc).__name__}: {exc}")
        page_text = fix_spacing_accents(page_text)
        if parts:
            parts.append(PAGE_SEPARATOR)
            offset += len(PAGE_SEPARATOR)
        page_starts.append(offset)
        parts.append(page_text)
        offset += len(page_text)
    text = "".join(parts)
    if not text.strip():
        if warnings:
            raise ExtractionError(f"damaged PDF: no page could be read ({warnings[0]})")
        raise ExtractionError("no text layer (a scanned PDF?)")
    title = None
    try:
        meta = reader.metadata
        title = str(meta.title).strip() if meta and meta.title else None
    except Exception:
        title = None
    return Extracted(text=text, page_starts=page_starts, title=title, warnings=warnings)


try:
    from pypdf.errors import DependencyError as DependencyErrorType
except ImportError:  # pragma: no cover - older pypdf
    DependencyErrorType = RuntimeError  # type: ignore[misc,assignment]
