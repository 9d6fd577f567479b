"""OpenDocument text and presentations (ODT, ODP), read from their content.xml with the standard library: text:h
headings (with their outline level) give the sections, paragraphs, lists and tables come in document order; in a
presentation a page is a slide, headed by its title frame, then its notes. The title is meta.xml's dc:title.
(Spreadsheets, ODS, are read as sheets: indexer/extract/sheet.py.)"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

from indexer.extract.base import Extracted, ExtractionError, TextBuilder

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


_H, _P, _LIST, _TABLE, _ROW, _CELL = map(_q, ["text:h", "text:p", "text:list", "table:table", "table:table-row",
                                              "table:table-cell"])  # fmt: skip
_SPACE, _TAB, _BREAK, _NOTE = map(_q, ["text:s", "text:tab", "text:line-break", "text:note"])
_PAGE, _NOTES, _CLASS = _q("draw:page"), _q("presentation:notes"), _q("presentation:class")
_SKIP = {_q("text:tracked-changes"), _q("text:sequence-decls"), _q("office:forms"), _q("table:table-header-rows")}


def _inline(element: ET.Element) -> str:
    """The text of a paragraph or heading: spans flattened, text:s/tab/line-break as spaces, tabs and newlines."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == _SPACE:
            parts.append(" " * int(child.get(_q("text:c"), "1") or 1))
        elif child.tag == _TAB:
            parts.append("\t")
        elif child.tag == _BREAK:
            parts.append("\n")
        elif child.tag != _NOTE:  # footnotes would break the sentence they sit in
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _blocks(element: ET.Element, out: TextBuilder) -> None:
    for child in element:
        if child.tag == _H:
            out.heading(int(child.get(_q("text:outline-level"), "1") or 1), _inline(child))
        elif child.tag == _P:
            out.paragraph(_inline(child))
        elif child.tag == _TABLE:
            for row in child.iter(_ROW):
                cells = [" ".join(" ".join(_inline(p) for p in cell.iter(_P)).split()) for cell in row.iter(_CELL)]
                out.paragraph(" | ".join(c for c in cells if c))
        elif child.tag == _NOTES:
            if "".join(_inline(p) for p in child.iter(_P)).strip():  # every slide has notes, most are empty
                out.heading(2, "Notes")
                _blocks(child, out)
        elif child.tag not in _SKIP:
            _blocks(child, out)  # lists, sections, frames, text boxes: their paragraphs in order


def _slide_title(page: ET.Element) -> tuple[str, ET.Element | None]:
    for frame in page.iter(_q("draw:frame")):
        if frame.get(_CLASS) == "title":
            return " ".join(" ".join(_inline(p) for p in frame.iter(_P)).split()), frame
    return "", None


def extract(data: bytes) -> Extracted:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as odf:
            content = ET.fromstring(odf.read("content.xml"))
            meta = ET.fromstring(odf.read("meta.xml")) if "meta.xml" in odf.namelist() else None
    except zipfile.BadZipFile as exc:
        raise ExtractionError(f"damaged OpenDocument file: not a complete zip archive ({exc})") from exc
    except KeyError as exc:
        raise ExtractionError("damaged OpenDocument file: it has no content.xml") from exc
    except ET.ParseError as exc:
        raise ExtractionError(f"damaged OpenDocument file: its XML does not parse ({exc})") from exc
    body = content.find("office:body", _NS)
    if body is None:
        raise ExtractionError("damaged OpenDocument file: content.xml has no body")
    out = TextBuilder()
    presentation = body.find("office:presentation", _NS)
    if presentation is not None:
        for number, page in enumerate(presentation.iter(_PAGE), start=1):
            title, frame = _slide_title(page)
            out.page(title or page.get(_q("draw:name")) or f"Slide {number}")
            for child in page:
                if child is not frame:
                    _blocks(_wrap(child), out)
    else:
        text = body.find("office:text", _NS)
        if text is None:
            raise ExtractionError("not an OpenDocument text or presentation (a spreadsheet or drawing?)")
        _blocks(text, out)
    found = meta.find(".//dc:title", _NS) if meta is not None else None
    name = " ".join(found.text.split()) if found is not None and found.text else ""
    return out.build(name or None, paged=presentation is not None)


def _wrap(element: ET.Element) -> ET.Element:
    wrapper = ET.Element("wrap")
    wrapper.append(element)
    return wrapper
