"""DOCX (Word 2007 and later) with python-docx: paragraphs and tables in document order; heading styles (and
outline levels) give the sections, the Title style or the core properties the title."""

from __future__ import annotations

import io
import re
import zipfile

from indexer.extract.base import Extracted, ExtractionError, TextBuilder

_HEADING = re.compile(r"^heading (\d)$", re.IGNORECASE)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _level(paragraph) -> int | None:  # type: ignore[no-untyped-def]
    """The heading level of a paragraph: its style's ("Heading 2", built-in names are English in every language
    Word speaks), or the outline level its style or the paragraph itself sets; None for body text."""
    style = paragraph.style
    while style is not None:
        if match := _HEADING.match(style.name or ""):
            return int(match.group(1))
        if (style.name or "").lower() == "title":
            return 1
        outline = style.element.find(f"{_W}pPr/{_W}outlineLvl")
        if outline is not None and (value := outline.get(f"{_W}val", "")).isdigit() and int(value) < 9:
            return int(value) + 1
        style = style.base_style
    outline = paragraph._p.find(f"{_W}pPr/{_W}outlineLvl")
    if outline is not None and (value := outline.get(f"{_W}val", "")).isdigit() and int(value) < 9:
        return int(value) + 1
    return None


def extract(data: bytes) -> Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ExtractionError(f"damaged DOCX: not a complete zip archive ({exc})") from exc
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise ExtractionError(f"damaged DOCX: a part is missing or unreadable ({exc})") from exc
    out = TextBuilder()
    title = (document.core_properties.title or "").strip() or None
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            level = _level(block)
            if level is not None:
                out.heading(level, block.text)
                if title is None and level == 1:
                    title = " ".join(block.text.split()) or None
            else:
                out.paragraph(block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                for cell in row.cells:  # a merged cell comes once per grid column it spans: keep it once
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):
                        cells.append(text)
                out.paragraph(" | ".join(cells))
    return out.build(title)
