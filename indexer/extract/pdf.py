"""PDF with pypdf in lenient mode: the text of every page, and where each page starts in the whole text."""

from __future__ import annotations

import io
import logging

from indexer.extract.base import Extracted, ExtractionError

PAGE_SEPARATOR = "\n\n"


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
