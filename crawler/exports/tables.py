"""The one shape every writer takes: a titled table of display-ready values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Table"]


@dataclass
class Table:
    """A sheet of the workbook, a section of the Markdown/HTML page, or the whole of a CSV.

    ``title`` names the sheet (cut to Excel's 31 characters by the XLSX writer); ``link_columns``
    are the indexes of columns holding URLs (one per line), made hyperlinks where the format can;
    ``widths`` are column widths in characters for XLSX (missing ones are guessed from the content).
    """

    title: str
    headers: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)
    link_columns: frozenset[int] = frozenset()
    widths: Sequence[int] = ()
