"""What the CLI commands share: running spiders in this process, the database, tables, local time."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import typer
from pymongo.database import Database

__all__ = ["LOCAL_TZ", "database", "local_time", "run_spiders", "table"]

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def run_spiders(jobs: Sequence[tuple[str, dict[str, Any]]], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Crawl each (spider, arguments) job in one reactor; returns each spider's final stats.

    The project settings are found through ``SCRAPY_SETTINGS_MODULE`` so ``qltt`` works from any folder.
    """
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(overrides or {}, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = []
    for spider, arguments in jobs:
        crawler = process.create_crawler(spider)
        crawlers.append(crawler)
        process.crawl(crawler, **arguments)
    process.start()
    return {c.spidercls.name: c.stats.get_stats() if c.stats else {} for c in crawlers}


def database() -> Database:
    """The configured database; a clear message instead of a traceback when it is unreachable."""
    import storage
    from crawler.exceptions import StorageError

    try:
        return storage.connect_from_config()
    except StorageError as exc:
        typer.echo(f"Lỗi: không kết nối được cơ sở dữ liệu — {exc}", err=True)
        raise typer.Exit(2) from exc


def local_time(value: datetime | None) -> str:
    """A stored UTC time as Vietnamese local time (Asia/Ho_Chi_Minh)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain-text table with columns padded to their widest cell."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
