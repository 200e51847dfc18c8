"""Report periods in Vietnamese local time: ``2026`` (year), ``2026-H1`` / ``2026-H2`` (half),
``2026-Q3`` (quarter), ``2026-11`` (month). ``2026-H1`` is 1 Jan 00:00 to 1 Jul 00:00 in
Asia/Ho_Chi_Minh (end exclusive), which is 31 Dec 17:00 UTC to 30 Jun 17:00 UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from crawler.cli.common import LOCAL_TZ

__all__ = ["Period", "month_key", "parse_period"]

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<half>H[12])|(?P<quarter>Q[1-4])|(?P<month>\d{2})))?$", re.I)


@dataclass(frozen=True)
class Period:
    """``[start, end)`` as aware local datetimes; PyMongo compares them in UTC."""

    label: str
    start: datetime
    end: datetime

    def months(self) -> list[str]:
        """``YYYY-MM`` of every month in the period, in order."""
        keys, year, month = [], self.start.year, self.start.month
        while datetime(year, month, 1, tzinfo=LOCAL_TZ) < self.end:
            keys.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return keys

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= _aware(moment) < self.end


def parse_period(text: str) -> Period:
    """The period ``text`` names; ``ValueError`` (Vietnamese message) for anything else."""
    match = _PATTERN.match(text.strip())
    if not match:
        raise ValueError(f"kỳ báo cáo không hợp lệ: {text!r} (ví dụ 2026, 2026-H1, 2026-Q3, 2026-11)")
    year = int(match["year"])
    if match["half"]:
        first, count = (1 if match["half"].upper() == "H1" else 7), 6
    elif match["quarter"]:
        first, count = 3 * int(match["quarter"][1]) - 2, 3
    elif match["month"]:
        first, count = int(match["month"]), 1
        if not 1 <= first <= 12:
            raise ValueError(f"tháng không hợp lệ: {text!r}")
    else:
        first, count = 1, 12
    last = first + count  # the month after the period, possibly 13
    end = datetime(year + (last - 1) // 12, (last - 1) % 12 + 1, 1, tzinfo=LOCAL_TZ)
    return Period(text.strip().upper(), datetime(year, first, 1, tzinfo=LOCAL_TZ), end)


def month_key(moment: datetime) -> str:
    """``YYYY-MM`` of a stored (UTC) time, in local time."""
    local = _aware(moment).astimezone(LOCAL_TZ)
    return f"{local.year:04d}-{local.month:02d}"


def _aware(moment: datetime) -> datetime:
    """Stored times come back naive from PyMongo (UTC); make them comparable."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
