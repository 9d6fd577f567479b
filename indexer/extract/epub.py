"""EPUB with the standard library (ebooklib is AGPL): META-INF/container.xml names the package (OPF), whose spine
gives the reading order of its XHTML chapters; each is read by the HTML extractor and is a page. Sections are the
chapters' headings; the title is the package's dc:title."""

from __future__ import annotations

import io
import posixpath
import xml.etree.ElementTree as ET
import zipfile
from urllib.parse import unquote

from indexer.extract import html
from indexer.extract.base import Extracted, ExtractionError

_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_OPF = "{http://www.idpf.org/2007/opf}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CHAPTER_TYPES = {"application/xhtml+xml", "text/html", "application/xml"}


def _package(book: zipfile.ZipFile) -> tuple[str, ET.Element]:
    try:
        container = ET.fromstring(book.read("META-INF/container.xml"))
    except KeyError as exc:
        raise ExtractionError("damaged EPUB: it has no META-INF/container.xml") from exc
    rootfile = container.find(f"{_CONTAINER}rootfiles/{_CONTAINER}rootfile")
    path = rootfile.get("full-path") if rootfile is not None else None
    if not path:
        raise ExtractionError("damaged EPUB: its container names no package file")
    try:
        return path, ET.fromstring(book.read(path))
    except KeyError as exc:
        raise ExtractionError(f"damaged EPUB: its package file {path} is missing") from exc


def extract(data: bytes) -> Extracted:
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ExtractionError(f"damaged EPUB: not a complete zip archive ({exc})") from exc
    with book:
        try:
            opf_path, opf = _package(book)
        except ET.ParseError as exc:
            raise ExtractionError(f"damaged EPUB: its XML does not parse ({exc})") from exc
        base = posixpath.dirname(opf_path)
        manifest = {
            item.get("id"): (item.get("href") or "", item.get("media-type") or "") for item in opf.iter(f"{_OPF}item")
        }
        spine = [ref.get("idref") for ref in opf.iter(f"{_OPF}itemref") if ref.get("linear") != "no"]
        if not spine:
            raise ExtractionError("damaged EPUB: it has no spine (the reading order of its chapters)")
        parts: list[str] = []
        page_starts: list[int] = []
        sections: list[tuple[int, str]] = []
        warnings: list[str] = []
        length = 0
        for idref in spine:
            href, media = manifest.get(idref, ("", ""))
            if not href or media not in _CHAPTER_TYPES:
                continue
            name = posixpath.normpath(posixpath.join(base, unquote(href.split("#")[0])))
            try:
                chapter = html.extract(book.read(name))
            except KeyError:
                warnings.append(f"chapter {name} is missing from the book")
                continue
            except ExtractionError:
                continue  # a cover or a page with no text
            if length:
                parts.append("\n\n")
                length += 2
            page_starts.append(length)
            sections += [(length + offset, path) for offset, path in chapter.sections]
            parts.append(chapter.text)
            length += len(chapter.text)
    text = "".join(parts)
    if not text.strip():
        raise ExtractionError("no text in this e-book")
    found = opf.find(f".//{_DC}title")
    title = " ".join(found.text.split()) if found is not None and found.text else None
    return Extracted(text=text, page_starts=page_starts, sections=sections, title=title or None, warnings=warnings)
