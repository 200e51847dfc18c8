"""Markdown summaries: headings, key figures, tables; scraped text escaped so it stays text."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from crawler.exports.tables import Table

__all__ = ["md_escape", "md_table"]


def md_escape(value: Any) -> str:
    """A value safe inside a Markdown table cell: HTML escaped (viewers render raw HTML), pipes and
    Markdown punctuation backslashed, new lines as ``<br>``."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "<br>".join(md_escape(v) for v in value)
    text = html.escape(str(value), quote=False)
    for char in "\\`*_[]|#":
        text = text.replace(char, "\\" + char)
    return text.replace("\r", "").replace("\n", "<br>")


def md_table(table: Table, heading_level: int = 2) -> str:
    """``table`` as a heading and a pipe table (or a note when it is empty)."""
    lines = [f"{'#' * heading_level} {md_escape(table.title)}", ""]
    if not table.rows:
        return "\n".join([*lines, "_Không có dữ liệu._", ""])
    lines.append(_row(table.headers))
    lines.append("|" + "|".join("---" for _ in table.headers) + "|")
    lines.extend(_row(row) for row in table.rows)
    return "\n".join([*lines, ""])


def _row(cells: Sequence[Any] | Iterable[Any]) -> str:
    return "| " + " | ".join(md_escape(c) for c in cells) + " |"
