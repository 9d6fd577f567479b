"""PPTX (PowerPoint 2007 and later) with python-pptx: a page is a slide, headed by its title; every text frame and
table on it in reading order (top to bottom, left to right), then its speaker notes."""

from __future__ import annotations

import io
import zipfile

from indexer.extract.base import Extracted, ExtractionError, TextBuilder


def _texts(shapes) -> list[str]:  # type: ignore[no-untyped-def]
    found: list[str] = []
    ordered = sorted(shapes, key=lambda s: ((s.top or 0), (s.left or 0)))
    for shape in ordered:
        if shape.shape_type is not None and int(shape.shape_type) == 6:  # a group: its shapes, in their order
            found += _texts(shape.shapes)
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            found += [p.text for p in shape.text_frame.paragraphs]
        elif getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                found.append(" | ".join(" ".join(c.text.split()) for c in row.cells if c.text.strip()))
    return found


def extract(data: bytes) -> Extracted:
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    try:
        deck = Presentation(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ExtractionError(f"damaged PPTX: not a complete zip archive ({exc})") from exc
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise ExtractionError(f"damaged PPTX: a part is missing or unreadable ({exc})") from exc
    out = TextBuilder()
    for number, slide in enumerate(deck.slides, start=1):
        title_shape = slide.shapes.title
        title = " ".join((title_shape.text if title_shape is not None else "").split())
        out.page(title or f"Slide {number}")
        shapes = [s for s in slide.shapes if title_shape is None or s.shape_id != title_shape.shape_id]
        for text in _texts(shapes):
            out.paragraph(text)
        if slide.has_notes_slide and (notes := slide.notes_slide.notes_text_frame) is not None and notes.text.strip():
            out.heading(2, "Notes")
            out.paragraph(notes.text)
    name = (deck.core_properties.title or "").strip()
    return out.build(name or None, paged=True)
