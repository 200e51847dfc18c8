"""Cells safe to open in a spreadsheet: scraped text never becomes a formula.

A seller can title a listing ``=HYPERLINK("http://evil","Bấm vào đây")``; Excel or LibreOffice
would run it when an inspector opens the export. Following the OWASP CSV-injection guidance, a
text value starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
apostrophe, so it is shown (and stored) as text. Numbers, dates and booleans are left as they are.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORMULA_STARTS", "cell_value", "neutralise"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` with an apostrophe in front when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cell_value(value: Any) -> Any:
    """What a writer puts in a cell: lists joined by new lines, ``None`` empty, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        value = "\n".join(str(v) for v in value)
    elif not isinstance(value, str | int | float):
        value = str(value)
    return neutralise(value)
