"""The quick report on one listing: what it is, why it was flagged, the evidence, the seller, the decisions.

Meant for a referral or an urgent inspection: one Markdown and one HTML file an inspector can attach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymongo.database import Database

from crawler.cli.common import local_time
from crawler.console.format import CATEGORY_LABELS, SEVERITY_LABELS, STATUS_LABELS, vnd
from crawler.exports.htmlpage import html_page, html_table
from crawler.exports.markdown import md_escape, md_table
from crawler.exports.tables import Table
from storage.reviews import status_of

__all__ = ["QuickFiles", "quick_tables", "write_quick"]


@dataclass(frozen=True)
class QuickFiles:
    markdown: Path
    html: Path


def quick_tables(db: Database, listing_id: str) -> list[Table]:
    """The report's sections; ``LookupError`` when no such listing is stored."""
    listing = db["listings"].find_one({"_id": listing_id})
    if listing is None:
        raise LookupError(f"không tìm thấy tin {listing_id}")
    seller = db["sellers"].find_one({"_id": listing.get("seller_id")}) if listing.get("seller_id") else None
    keys = (seller or {}).get("identity_keys") or []
    linked = list(db["sellers"].find({"identity_keys": {"$in": keys}}).sort("_id", 1)) if keys else []
    history = list(db["reviews"].find({"listing_id": listing_id}).sort([("at", 1), ("_id", 1)]))
    return [
        _listing_table(listing),
        Table("Phát hiện", ["Quy tắc", "Nhóm", "Mức độ", "Điểm", "Căn cứ pháp lý", "Đoạn khớp"],
              [_finding_row(f) for f in listing.get("findings") or []]),
        Table("Chứng cứ", ["Loại", "SHA-256 tệp", "SHA-256 nội dung", "Thời điểm thu", "URL"],
              [[e.get("kind"), e.get("sha256"), e.get("payload_sha256"), _when(e.get("captured_at")), e.get("url")]
               for e in listing.get("evidence") or []], link_columns=frozenset({4})),
        _seller_table(seller),
        Table("Tài khoản liên kết", ["Mã", "Tên", "Nguồn", "Tỉnh/Thành phố", "URL"],
              [[s["_id"], s.get("name"), s.get("source"), s.get("location"), s.get("url")]
               for s in linked if s["_id"] != listing.get("seller_id")], link_columns=frozenset({4})),
        Table("Lịch sử xử lý", ["Thời điểm", "Người xử lý", "Từ", "Sang", "Ghi chú"],
              [[local_time(r.get("at")), r.get("by"), STATUS_LABELS.get(r.get("from"), r.get("from")),
                STATUS_LABELS.get(r.get("to"), r.get("to")), r.get("note")] for r in history]),
    ]


def write_quick(db: Database, listing_id: str, out_dir: Path) -> QuickFiles:
    """Write ``bao-cao-nhanh-<id>.md`` and ``.html`` into ``out_dir``."""
    tables = quick_tables(db, listing_id)
    title = f"Báo cáo nhanh tin đăng {listing_id}"
    stem = "bao-cao-nhanh-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in listing_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path, html_path = out_dir / f"{stem}.md", out_dir / f"{stem}.html"
    md_path.write_text("\n".join([f"# {md_escape(title)}", "", *(md_table(t) for t in tables)]), encoding="utf-8")
    html_path.write_text(html_page(title, [html_table(t) for t in tables]), encoding="utf-8")
    return QuickFiles(md_path, html_path)


def _listing_table(doc: dict[str, Any]) -> Table:
    rows: list[Sequence[Any]] = [
        ["Mã tin", doc["_id"]], ["Nguồn", doc.get("source")], ["URL", doc.get("url")], ["Tiêu đề", doc.get("title")],
        ["Thương hiệu", doc.get("brand_canonical") or doc.get("brand")], ["Giá", vnd(doc.get("price"))],
        ["Đã bán", doc.get("sold")], ["Tỉnh/Thành phố", doc.get("location")],
        ["Nhóm vi phạm", [CATEGORY_LABELS.get(c, c) for c in doc.get("categories") or []]],
        ["Rủi ro", doc.get("risk")], ["Trạng thái", STATUS_LABELS.get(status_of(doc), status_of(doc))],
        ["Thấy lần đầu", local_time(doc.get("first_seen"))], ["Thấy lần cuối", local_time(doc.get("last_seen"))],
    ]
    return Table("Tin đăng", ["Mục", "Giá trị"], rows, link_columns=frozenset({1}))


def _seller_table(seller: dict[str, Any] | None) -> Table:
    if seller is None:
        return Table("Người bán", ["Mục", "Giá trị"])
    rows: list[Sequence[Any]] = [
        ["Mã", seller["_id"]], ["Tên", seller.get("name")], ["Nguồn", seller.get("source")], ["URL", seller.get("url")],
        ["Tỉnh/Thành phố", seller.get("location")],
        ["Gian hàng chính hãng", "Có" if seller.get("official") else "Không"],
        ["Điện thoại", seller.get("phones")], ["Email", seller.get("emails")], ["Mã số thuế", seller.get("tax_codes")],
        ["Khóa định danh", seller.get("identity_keys")], ["Danh sách theo dõi", seller.get("watchlist_hits")],
    ]
    return Table("Người bán", ["Mục", "Giá trị"], rows, link_columns=frozenset({1}))


def _finding_row(finding: dict[str, Any]) -> list[Any]:
    severity = finding.get("severity")
    category = str(finding.get("category"))
    return [finding.get("rule_id"), CATEGORY_LABELS.get(category, category),
            SEVERITY_LABELS.get(str(severity), severity), finding.get("score"), finding.get("legal_basis"),
            [s.get("text") for s in finding.get("spans") or [] if s.get("text")]]


def _when(value: Any) -> Any:
    return local_time(value) if hasattr(value, "astimezone") else value
