"""CSV (UTF-8 with BOM, so Excel detects the encoding of Vietnamese text) and JSON files."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from crawler.exports.cells import cell_value
from crawler.exports.tables import Table

__all__ = ["write_csv", "write_json"]


def write_csv(table: Table, path: Path) -> Path:
    """One table as CSV in ``utf-8-sig``; every cell neutralised against formula injection."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([cell_value(h) for h in table.headers])
        writer.writerows([cell_value(v) for v in row] for row in table.rows)
    return path


def write_json(data: Any, path: Path) -> Path:
    """``data`` as indented UTF-8 JSON; datetimes and dates in ISO 8601.

    JSON is for programs, so values are kept as they are (no apostrophes added).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=_jsonable) + "\n", encoding="utf-8")
    return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
