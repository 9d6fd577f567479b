"""One extractor per format; ``extract(kind, data)`` picks it."""

from __future__ import annotations

from indexer.extract.base import Extracted, ExtractionError

SUFFIX_TYPES = {
    ".pdf": "pdf",
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
}


def extract(kind: str, data: bytes, pdf_reader: str = "pdfium") -> Extracted:
    """Extract the text of a file of type ``kind`` (pdf, html, md, txt) from its bytes.

    Raises:
        ExtractionError: the file cannot be indexed; the message is the reason.
    """
    if kind == "pdf":
        from indexer.extract import pdf

        return pdf.extract(data, pdf_reader)
    if kind == "html":
        from indexer.extract import html

        return html.extract(data)
    if kind == "md":
        from indexer.extract import markdown

        return markdown.extract(data)
    if kind == "txt":
        from indexer.extract import text

        return text.extract(data)
    raise ExtractionError(f"unsupported file type {kind!r}")


__all__ = ["SUFFIX_TYPES", "Extracted", "ExtractionError", "extract"]
