"""Spreadsheets (XLSX, XLSM, XLSB, XLS, ODS) with python-calamine: a page is a sheet, headed by its name; each row
is a line of its non-empty cells, tab-separated."""

from __future__ import annotations

import datetime as dt
import io

from indexer.extract.base import Extracted, ExtractionError, TextBuilder


def _cell(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return " ".join(str(value).split())


def extract(data: bytes) -> Extracted:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError) as exc:
        raise ExtractionError(f"damaged spreadsheet: {exc}") from exc
    out = TextBuilder()
    for name in workbook.sheet_names:
        try:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=True)
        except (CalamineError, ValueError) as exc:
            out.warnings.append(f"sheet {name!r} could not be read ({exc})")
            continue
        out.page(name)
        lines = ["\t".join(c for c in map(_cell, row) if c) for row in rows]
        out.paragraph("\n".join(line for line in lines if line))
    return out.build(paged=True)
