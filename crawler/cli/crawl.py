"""``qltt crawl SPIDER``: an analyst's ad-hoc job, recorded as a run like any other."""

from __future__ import annotations

import re
from typing import Any

import typer

from crawler import config
from crawler.cli.common import run_spiders
from crawler.extensions.health import page_errors

__all__ = ["register", "spider_arguments"]


def crawl(
    spider: str = typer.Argument(..., help="Tên bộ thu thập (xem: scrapy list), ví dụ tiki, website."),
    query: list[str] = typer.Option([], "--query", "-q", help="Từ khóa tìm kiếm (lặp lại được)."),
    url: list[str] = typer.Option([], "--url", "-u", help="Liên kết tin đăng, cửa hàng hoặc bài viết (lặp lại được)."),
    shop: list[str] = typer.Option([], "--shop", help="Theo dõi toàn bộ sản phẩm của một cửa hàng (lặp lại được)."),
    max_pages: int | None = typer.Option(None, "--max-pages", help="Số trang kết quả tối đa."),
    since: str | None = typer.Option(None, "--since", help="Chỉ lấy bài đăng từ ngày (YYYY-MM-DD)."),
    job: str | None = typer.Option(
        None, "--job", help="Tên công việc: nếu bị dừng, chạy lại cùng lệnh để tiếp tục, không tải lại trang đã xong."
    ),
    trigger: str = typer.Option("adhoc", "--trigger", hidden=True),
) -> None:
    """Thu thập theo yêu cầu (ad hoc) với một bộ thu thập; kết quả được lưu và ghi thành một lượt chạy."""
    arguments = spider_arguments(query, url, shop, max_pages, since)
    overrides: dict[str, Any] = {"QLTT_RUN_TRIGGER": trigger}
    if job:
        overrides.update(job_settings(job))
    stats = run_spiders([(spider, arguments)], overrides).get(spider, {})
    typer.echo(
        f"Lượt chạy {stats.get('qltt/run_id', '?')}: {stats.get('response_received_count', 0)} trang, "
        f"{stats.get('qltt/store/listing_created_count', 0)} tin mới, "
        f"{stats.get('qltt/store/listing_updated_count', 0)} tin thay đổi, "
        f"{stats.get('qltt/match/flagged_count', 0)} tin bị gắn cờ, "
        f"{page_errors(stats)} lỗi, "
        f"kết thúc: {stats.get('finish_reason', '?')}."
    )
    if "finish_reason" not in stats:  # the crawl never opened (e.g. the database unreachable at start)
        typer.echo("Lỗi: bộ thu thập không chạy được — xem thông báo lỗi ở trên.", err=True)
        raise typer.Exit(1)


def spider_arguments(query: list[str], url: list[str], shop: list[str], max_pages: int | None,
                     since: str | None) -> dict[str, Any]:
    """The spider arguments given; exits with a message when no query, URL or shop says what to crawl."""
    arguments: dict[str, Any] = {"query": query, "url": url, "shop": shop, "max_pages": max_pages, "since": since}
    arguments = {k: v for k, v in arguments.items() if v}
    if not any(k in arguments for k in ("query", "url", "shop")):
        typer.echo("Lỗi: cần ít nhất một --query, --url hoặc --shop.", err=True)
        raise typer.Exit(2)
    return arguments


def job_settings(name: str) -> dict[str, Any]:
    """A resumable job: its crash-safe frontier lives in ``<QLTT_DATA_DIR>/jobs/NAME`` (see crawler.frontier)."""
    if not re.fullmatch(r"[\w.-]{1,80}", name) or name.startswith("."):
        typer.echo(f"Lỗi: tên công việc không hợp lệ: {name!r} (chỉ chữ, số, '.', '-', '_').", err=True)
        raise typer.Exit(2)
    return {"JOBDIR": str(config.data_dir() / "jobs" / name), "SCHEDULER": "crawler.frontier.FrontierScheduler"}


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl)
