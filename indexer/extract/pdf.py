"""PDF: the text of every page, and where each page starts in the whole text.

pdfium (pypdfium2) reads the text by default: on the 8,002 pages of texlive-latex-base-doc it is 15.6x faster than
pypdf at the same text quality (docs/BENCHMARKS.md), and it is the engine the window's QtPdf draws pages with, so
the text indexed is the text the preview finds on the page. pypdf, in lenient mode, is the fallback for files pdfium
will not open (it repairs some damaged cross-reference tables that pdfium refuses); its reason is the one recorded
when neither can read the file.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from indexer.extract.base import Extracted, ExtractionError

if TYPE_CHECKING:
    from indexer.extract.ocr import OcrSettings

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


def _extracted(pages: list[str], title: str | None, warnings: list[str]) -> Extracted:
    """The pages' texts joined, with where each page starts; ExtractionError when no page has any text."""
    parts: list[str] = []
    page_starts: list[int] = []
    offset = 0
    for page_text in pages:
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
        raise ExtractionError("no text layer, and OCR found none (a scanned PDF, with OCR off or unreadable?)")
    unread = {int(w.split(":")[0].split()[1]) for w in warnings if w.startswith("page ")}
    empty = [n for n, page_text in enumerate(pages, start=1) if not page_text.strip() and n not in unread]
    if empty:
        pages_named = _page_list(empty)
        warnings = [*warnings, f"{pages_named} without text (blank, or scanned: their words are not searchable)"]
    return Extracted(text=text, page_starts=page_starts, title=title, warnings=warnings)


def _page_list(numbers: list[int]) -> str:
    """'page 3', 'pages 2, 5, 9', 'pages 2-7' (runs joined), at most 8 runs then a count."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    shown = [f"{a}" if a == b else f"{a}-{b}" for a, b in runs[:8]]
    more = f" and {len(runs) - 8} more runs" if len(runs) > 8 else ""
    return ("page " if len(numbers) == 1 else "pages ") + ", ".join(shown) + more


def _pdfium_text(raw: str) -> str:
    """pdfium's page text made plain: CRLF line ends become newlines, and a word hyphenated at a line end, which
    pdfium gives as "free\ufffedom" (U+FFFE for the hyphen), is joined again, so that "freedom" is found."""
    return raw.replace("\ufffe\r\n", "").replace("\ufffe", "").replace("\r\n", "\n")


def _read_scans(doc: Any, pages: list[str], ocr: OcrSettings) -> list[int]:
    """Read the pages without a text layer with OCR (rendered at 300 dpi); returns the numbers of those that gave
    text."""
    from indexer.extract.ocr import page_image, read_image

    read: list[int] = []
    for number, page_text in enumerate(pages):
        if page_text.strip():
            continue
        text = read_image(page_image(doc, number), ocr).strip()
        if text:
            pages[number] = text
            read.append(number + 1)
    return read


def extract_pdfium(data: bytes, ocr: OcrSettings | None = None) -> Extracted:
    """Extract with pdfium (and with ``ocr``, read the pages without text). Raises ExtractionError for an encrypted
    file, PdfiumError for one it cannot open."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ExtractionError("encrypted, no password") from exc
        raise
    try:
        pages: list[str] = []
        warnings: list[str] = []
        for number in range(len(doc)):
            try:
                page = doc[number]
                textpage = page.get_textpage()
                pages.append(fix_spacing_accents(_pdfium_text(textpage.get_text_range())))
                textpage.close()
                page.close()
            except pdfium.PdfiumError as exc:
                pages.append("")
                warnings.append(f"page {number + 1}: {exc}")
        meta = doc.get_metadata_dict(skip_empty=True)
        title = (meta.get("Title") or "").strip() or None
        scanned = _read_scans(doc, pages, ocr) if ocr is not None and ocr.enabled and pages else []
    finally:
        doc.close()
    if not pages:
        raise ExtractionError("damaged PDF: no pages could be read")
    if scanned:
        warnings.append(f"{_page_list(scanned)} read by OCR (Tesseract, {ocr.languages if ocr else ''})")
    extracted = _extracted(pages, title, warnings)
    extracted.ocr_pages = len(scanned)
    extracted.author = " ".join((meta.get("Author") or "").split()) or None
    extracted.date = pdf_date(meta.get("CreationDate") or "")
    return extracted


_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+-])?(\d{2})?'?(\d{2})?")


def pdf_date(value: str) -> float | None:
    """A PDF date ("D:20200510123000+01'00'") in seconds since 1970; None if it is not one."""
    import datetime as dt

    m = _PDF_DATE.match(value.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, sign, zh, zm = m.groups()
    try:
        when = dt.datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                           int(second or 0), tzinfo=dt.UTC)  # fmt: skip
    except ValueError:
        return None
    offset = (int(zh or 0) * 60 + int(zm or 0)) * 60 * (-1 if sign == "-" else 1) if sign in ("+", "-") else 0
    return when.timestamp() - offset


def extract(data: bytes, reader: str = "pdfium", ocr: OcrSettings | None = None) -> Extracted:
    """pdfium first; pypdf for a file pdfium cannot open (``reader`` "pypdf", the pdf_reader setting, uses pypdf
    only). With ``ocr``, pages without a text layer are read by OCR (pdfium renders them)."""
    if b"%PDF-" not in data[:1024]:
        raise ExtractionError(_sniff(data))
    if reader != "pypdf":
        try:
            import pypdfium2
        except ImportError:  # pragma: no cover - it is a dependency; pypdf alone still works
            pass
        else:
            try:
                return extract_pdfium(data, ocr)
            except pypdfium2.PdfiumError:
                pass  # pypdf's lenient reader repairs some files pdfium refuses, and gives the reason if not
    return extract_pypdf(data)


def extract_pypdf(data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

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

    texts: list[str] = []
    warnings: list[str] = []
    for number in range(n_pages):
        try:
            page_text = pages[number].extract_text() or ""
        except Exception as exc:  # pypdf raises many types on broken content streams
            page_text = ""
            warnings.append(f"page {number + 1}: {type(exc).__name__}: {exc}")
        texts.append(fix_spacing_accents(page_text))
    title = None
    try:
        meta = reader.metadata
        title = str(meta.title).strip() if meta and meta.title else None
    except Exception:
        title = None
    return _extracted(texts, title, warnings)


try:
    from pypdf.errors import DependencyError as DependencyErrorType
except ImportError:  # pragma: no cover - older pypdf
    DependencyErrorType = RuntimeError  # type: ignore[misc,assignment]
