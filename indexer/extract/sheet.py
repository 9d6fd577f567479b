"""Spreadsheets (XLSX, XLSM, XLSB, XLS, ODS) with python-calamine: a page is a sheet, headed by its name; each row
is a line of its non-empty cells, tab-separated, and a section named by its first cell's reference ("Sheet1!B12"),
so that a hit says where it stands."""

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
            sheet = workbook.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=True)
            first_row, first_col = sheet.start if sheet.start else (0, 0)
        except (CalamineError, ValueError, TypeError) as exc:
            out.warnings.append(f"sheet {name!r} could not be read ({exc})")
            continue
        out.page(name)
        lines = []
        for number, row in enumerate(rows):
            cells = [(col, text) for col, text in enumerate(map(_cell, row)) if text]
            if cells:  # the row's first cell that holds something names it: Sheet1!B12
                ref = f"{name}!{column_name(first_col + cells[0][0])}{first_row + number + 1}"
                lines.append((ref, "\t".join(text for _col, text in cells)))
        out.lines(lines)
    return out.build(paged=True)


def column_name(index: int) -> str:
    """A spreadsheet's name for the 0-based column ``index``: A ... Z, AA ... AZ, BA ..."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name
