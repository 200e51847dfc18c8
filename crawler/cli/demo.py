"""``qltt demo``: start the sandbox, crawl every spider against it, store, and summarise in Vietnamese."""

from __future__ import annotations

from collections import Counter
from typing import Any

import typer
from pymongo.database import Database

from crawler import config
from crawler.cli.common import database, run_spiders, table
from crawler.console.format import CATEGORY_LABELS
from storage import count

__all__ = ["register", "summary"]

def summary(db: Database, where: str) -> str:
    """The Vietnamese summary of what is stored: totals, flagged by category and by source."""
    listings, sellers = db["listings"], db["sellers"]
    flagged = count(listings, {"flag": True})
    by_category: Counter[str] = Counter()
    by_source: Counter[str] = Counter()
    flagged_by_source: Counter[str] = Counter()
    for doc in listings.find({}, {"source": 1, "categories": 1, "flag": 1}):
        by_source[doc["source"]] += 1
        if doc.get("flag"):
            flagged_by_source[doc["source"]] += 1
            by_category.update(doc.get("categories") or [])
    lines = [
        "KẾT QUẢ THU THẬP (DEMO TRÊN SANDBOX)",
        f"Tin đăng: {count(listings)}   Người bán: {count(sellers)}   "
        f"Bị gắn cờ: {flagged}",
        "",
        table(["Nguồn", "Tin đăng", "Gắn cờ"], [(s, n, flagged_by_source[s]) for s, n in sorted(by_source.items())]),
        "",
        table(["Loại vi phạm", "Số tin"], [(CATEGORY_LABELS.get(c, c), n) for c, n in by_category.most_common()]),
        "",
        f"Dữ liệu lưu tại: {where}",
        "Xem tin bị gắn cờ: qltt listings --flagged",
    ]
    return "\n".join(lines)


def demo(verbose: bool = typer.Option(False, "--verbose", "-v", help="Hiện nhật ký thu thập chi tiết.")) -> None:
    """Chạy thử: khởi động sandbox, thu thập mọi nguồn, lưu và in bảng tổng hợp."""
    from crawler.sandbox import Sandbox
    from crawler.sandbox.demo import demo_jobs, sandbox_settings

    db = database()
    with Sandbox() as sandbox:
        overrides: dict[str, Any] = sandbox_settings(sandbox) | {"QLTT_RUN_TRIGGER": "demo"}
        overrides["LOG_LEVEL"] = "INFO" if verbose else "WARNING"
        typer.echo(f"Sandbox: {sandbox.proxy_url} ({len(sandbox.hosts)} trang nguồn). Đang thu thập...")
        run_spiders(demo_jobs(sandbox), overrides)
    where = config.get("QLTT_MONGO_URI") or f"{config.data_dir()} (kho nhúng nx-27017)"
    typer.echo(summary(db, where))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
