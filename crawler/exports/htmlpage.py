"""A self-contained HTML page of tables; every value escaped, links only to http(s) URLs."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from crawler.exports.tables import Table

__all__ = ["html_page", "html_paragraph", "html_table"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #ddebf7; }
img { max-width: 100%; }
"""


def html_page(title: str, sections: Sequence[str]) -> str:
    """A whole page; ``sections`` are HTML fragments made by this module (already escaped)."""
    body = "\n".join(sections)
    return (f'<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f"<style>{_STYLE}</style>\n</head>\n<body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n")


def html_table(table: Table) -> str:
    """``table`` as a heading and an escaped table (or a note when it is empty)."""
    head = f"<h2>{html.escape(table.title)}</h2>"
    if not table.rows:
        return head + "\n<p><em>Không có dữ liệu.</em></p>"
    header = "".join(f"<th>{html.escape(str(h))}</th>" for h in table.headers)
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{_cell(v, c in table.link_columns)}</td>" for c, v in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    return f"{head}\n<table>\n<thead><tr>{header}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>"


def html_paragraph(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def _cell(value: Any, is_link: bool) -> str:
    values = value if isinstance(value, list | tuple) else [value]
    parts = []
    for v in values:
        text = "" if v is None else str(v)
        if is_link and text.startswith(("http://", "https://")):
            parts.append(f'<a href="{html.escape(text)}" rel="noopener noreferrer">{html.escape(text)}</a>')
        else:
            parts.append(html.escape(text).replace("\n", "<br>"))
    return "<br>".join(parts)
