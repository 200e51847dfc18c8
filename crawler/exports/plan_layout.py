"""How the plan is laid out: Vietnamese columns, a summary sheet, one sheet per province, JSON records."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from crawler.console.format import CATEGORY_LABELS
from crawler.exports.plan import PlanRow
from crawler.exports.tables import Table

__all__ = ["COLUMNS", "SUMMARY_TITLE", "plan_records", "plan_tables"]

SUMMARY_TITLE = "Tổng hợp"
# (header, width, PlanRow attribute or a function of the row); URL columns are made hyperlinks.
COLUMNS: list[tuple[str, int, Any]] = [
    ("Thứ tự", 8, None),
    ("Điểm ưu tiên", 12, "priority"),
    ("Đối tượng (người bán)", 32, "name"),
    ("Mã đối tượng", 26, "trader_id"),
    ("Tỉnh/Thành phố", 20, "province"),
    ("Nền tảng", 16, "platforms"),
    ("Tài khoản liên kết", 28, "accounts"),
    ("Khóa định danh", 32, "identity_keys"),
    ("Nhóm vi phạm", 26, lambda r: [CATEGORY_LABELS.get(c, c) for c in r.categories]),
    ("Số tin vi phạm", 10, "listing_count"),
    ("Số tin đã xác nhận/chuyển", 12, "reviewed_count"),
    ("Rủi ro cao nhất", 10, "max_risk"),
    ("Rủi ro trung bình", 10, "mean_risk"),
    ("Điểm mức độ", 10, "severity_points"),
    ("Đã bán", 10, "sold"),
    ("Danh sách theo dõi", 24, "watchlist_hits"),
    ("Tin đăng mẫu (URL)", 50, "example_urls"),
    ("Tiêu đề tin mẫu", 50, "example_titles"),
    ("Trang người bán (URL)", 40, "account_urls"),
    ("Mã băm chứng cứ (SHA-256)", 66, "evidence"),
]
LINK_COLUMNS = frozenset(i for i, (header, _, _) in enumerate(COLUMNS) if "(URL)" in header)


def plan_tables(rows: list[PlanRow]) -> list[Table]:
    """The summary table (every trader, in priority order) then one table per province, by name."""
    tables = [_table(SUMMARY_TITLE, rows)]
    for province in sorted({r.province for r in rows}):
        tables.append(_table(province, [r for r in rows if r.province == province], rank_of=rows))
    return tables


def plan_records(rows: list[PlanRow]) -> list[dict[str, Any]]:
    """The plan as JSON-ready records, with the rank in front."""
    return [{"rank": rank, **asdict(row)} for rank, row in enumerate(rows, start=1)]


def _table(title: str, rows: list[PlanRow], rank_of: list[PlanRow] | None = None) -> Table:
    """A table of ``rows``; the rank shown is the row's place in the whole plan (``rank_of``)."""
    ranks = {id(r): i for i, r in enumerate(rank_of or rows, start=1)}
    return Table(
        title=title,
        headers=[header for header, _, _ in COLUMNS],
        rows=[[ranks[id(row)], *(_value(row, source) for _, _, source in COLUMNS[1:])] for row in rows],
        link_columns=LINK_COLUMNS,
        widths=[width for _, width, _ in COLUMNS],
    )


def _value(row: PlanRow, source: Any) -> Any:
    return source(row) if callable(source) else getattr(row, source)
