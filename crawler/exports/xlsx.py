"""XLSX through openpyxl: one sheet per table, bold frozen header, widths, filters and URL hyperlinks.

Every text cell is neutralised (``cells``) and stored with data type ``s`` so no scraped value is
ever a formula; characters XML cannot hold are dropped and text is cut to Excel's cell limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from crawler.exports.cells import cell_value, neutralise
from crawler.exports.tables import Table

__all__ = ["sheet_title", "write_xlsx"]

EXCEL_CELL_MAX = 32_767
SHEET_TITLE_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def write_xlsx(tables: Iterable[Table], path: Path) -> Path:
    """Write ``tables`` as the sheets of one workbook at ``path`` (parents created)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables:
        title = sheet_title(table.title, used)
        used.add(title.lower())
        _fill(workbook.create_sheet(title), table)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def sheet_title(title: str, used: set[str]) -> str:
    """A valid, unique (case-insensitive) sheet title: no ``[]:*?/\\``, at most 31 characters."""
    base = _SHEET_FORBIDDEN.sub(" ", title).strip(" '") or "Sheet"
    candidate, n = base[:SHEET_TITLE_MAX], 1
    while candidate.lower() in used:
        n += 1
        suffix = f" ({n})"
        candidate = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
    return candidate


def _fill(sheet: Worksheet, table: Table) -> None:
    sheet.append([_text(h) for h in table.headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(table.rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            _put(cell, value)
            if c - 1 in table.link_columns:
                _link(cell, value)
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.headers))}{len(table.rows) + 1}"
    for c, width in enumerate(_widths(table), start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width


def _put(cell: Any, value: Any) -> None:
    value = cell_value(value)
    if isinstance(value, str):
        cell.value = neutralise(_text(value))  # again: a dropped control character may uncover a '='
        cell.data_type = "s"
        if "\n" in value:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    else:
        cell.value = value


def _link(cell: Any, value: Any) -> None:
    """The cell's first http(s) URL becomes its hyperlink (a cell holds one)."""
    urls = value if isinstance(value, list | tuple) else [value]
    first = next((u for u in urls if isinstance(u, str) and u.startswith(("http://", "https://"))), None)
    if first:
        cell.hyperlink = first
        cell.font = Font(color="0563C1", underline="single")


def _text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:EXCEL_CELL_MAX]


def _widths(table: Table) -> list[int]:
    """Given widths, else the longest line of the header and the first rows, within 8..60."""
    widths = []
    for c, header in enumerate(table.headers):
        if c < len(table.widths):
            widths.append(table.widths[c])
            continue
        lines = [str(header)] + [line for row in table.rows[:200] for line in str(cell_value(row[c])).split("\n")]
        widths.append(min(max(8, *(len(line) + 2 for line in lines)), 60))
    return widths
