"""One extractor per format; ``extract(kind, data)`` picks it, ``SUFFIX_TYPES`` says which files are of which kind.

A kind is what `--type` filters by (engine.types.DOC_TYPES lists them): one per extractor, or per family of formats
one extractor reads (xlsx: XLSX, XLSM, XLSB and XLS; code: source code and data files read as plain text).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from indexer.extract.base import Extracted, ExtractionError

if TYPE_CHECKING:
    from indexer.extract.ocr import OcrSettings

_KINDS: dict[str, tuple[str, ...]] = {
    "pdf": (".pdf",),
    "html": (".html", ".htm", ".xhtml"),
    "md": (".md", ".markdown"),
    "txt": (".txt", ".text"),
    "rst": (".rst",),
    "org": (".org",),
    "tex": (".tex", ".ltx", ".latex"),
    "docx": (".docx", ".docm"),
    "odt": (".odt",),
    "odp": (".odp",),
    "pptx": (".pptx", ".pptm"),
    "xlsx": (".xlsx", ".xlsm", ".xlsb", ".xls"),
    "ods": (".ods",),
    "epub": (".epub",),
    "rtf": (".rtf",),
    "eml": (".eml",),
    "code": (
        ".py", ".pyi", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".java", ".js", ".mjs", ".ts", ".tsx",
        ".jsx", ".go", ".rs", ".rb", ".php", ".pl", ".pm", ".sh", ".bash", ".zsh", ".fish", ".lua", ".r", ".jl",
        ".swift", ".kt", ".scala", ".cs", ".sql", ".el", ".lisp", ".clj", ".hs", ".ml", ".vim", ".ps1", ".bat",
        ".cmake", ".mk", ".bib", ".sty", ".cls", ".dtx", ".ins", ".toml", ".ini", ".cfg", ".conf", ".yaml", ".yml",
        ".json", ".xml", ".csv", ".tsv", ".log", ".diff", ".patch", ".properties",
    ),
    "man": (".man",),  # and any name ending in a manual section, ls.1 or ls.1.gz (kind_of)
}  # fmt: skip
_MAN_PAGE = re.compile(r"\.[1-9][a-z]{0,4}(\.gz)?$")
_NOT_MAN_PAGES = {".7z", ".3gp", ".3g2", ".3mf", ".3ds", ".4th", ".8bf", ".3dm"}  # suffixes that look like sections
# Files that hold documents (indexer/extract/containers.py): their messages or members are the documents.
CONTAINERS: dict[str, tuple[str, ...]] = {
    "mbox": (".mbox", ".mbx"),
    "zip": (".zip",),
    "tar": (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz"),
}
SUFFIX_TYPES = {
    suffix: kind for kinds in (_KINDS, CONTAINERS) for kind, suffixes in kinds.items() for suffix in suffixes
}
KINDS = tuple(_KINDS)


def kind_of(name: str) -> str | None:
    """The kind of a file by its name's suffix (".tar.gz" before ".gz"), or None for a type DocSense does not read."""
    lower = name.lower()
    base, last = os.path.splitext(lower)
    kind = SUFFIX_TYPES.get(os.path.splitext(base)[1] + last) or SUFFIX_TYPES.get(last)
    return kind or ("man" if _MAN_PAGE.search(lower) and last not in _NOT_MAN_PAGES else None)


def suffix_of(name: str) -> str:
    """The suffix a file of a type DocSense does not read is counted by (".dwg"; "" for none)."""
    return os.path.splitext(name)[1].lower()


def extract(
    kind: str,
    data: bytes,
    pdf_reader: str = "pdfium",
    ocr: OcrSettings | None = None,
    part: tuple[int, int] = (0, 1),
) -> Extracted:
    """Extract the text of a file of type ``kind`` (one of KINDS, or CONTAINERS) from its bytes; ``ocr`` reads the
    pages of PDFs that have no text layer; ``part`` (i, n): of a mailbox or an archive, the members the i-th of n
    workers reads.

    Raises:
        ExtractionError: the file cannot be indexed; the message is the reason.
    """
    if kind == "pdf":
        from indexer.extract import pdf

        return pdf.extract(data, pdf_reader, ocr)
    if kind == "html":
        from indexer.extract import html

        return html.extract(data)
    if kind == "md":
        from indexer.extract import markdown

        return markdown.extract(data)
    if kind == "txt":
        from indexer.extract import text

        return text.extract(data)
    if kind in ("rst", "org", "code"):
        from indexer.extract import plain

        return plain.extract(data, kind)
    if kind == "tex":
        from indexer.extract import latex

        return latex.extract(data)
    if kind == "docx":
        from indexer.extract import word

        return word.extract(data)
    if kind in ("odt", "odp"):
        from indexer.extract import odf

        return odf.extract(data)
    if kind == "pptx":
        from indexer.extract import slides

        return slides.extract(data)
    if kind in ("xlsx", "ods"):
        from indexer.extract import sheet

        return sheet.extract(data)
    if kind == "epub":
        from indexer.extract import epub

        return epub.extract(data)
    if kind == "rtf":
        from indexer.extract import rtf

        return rtf.extract(data)
    if kind == "eml":
        from indexer.extract import mail

        return mail.extract(data, ocr=ocr)
    if kind == "man":
        from indexer.extract import man

        return man.extract(data)
    if kind == "mbox":
        from indexer.extract import containers

        return containers.extract_mbox(data, ocr, part)
    if kind in ("zip", "tar"):
        from indexer.extract import containers

        return containers.extract_archive(data, ocr, part=part)
    raise ExtractionError(f"unsupported file type {kind!r}")


__all__ = ["CONTAINERS", "KINDS", "SUFFIX_TYPES", "Extracted", "ExtractionError", "extract", "kind_of", "suffix_of"]
