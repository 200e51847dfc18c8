"""``qltt worker SPIDER`` and ``qltt enqueue SPIDER ...``: crawling spread over processes and hosts through Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from crawler import config
from crawler.cli.common import run_spiders
from crawler.cli.crawl import spider_arguments

if TYPE_CHECKING:
    from redis import Redis

__all__ = ["register"]


def _redis() -> Redis:
    """The shared queue's Redis, or a clear message (not a traceback) when it is not set or not reachable."""
    from redis.exceptions import RedisError

    from crawler.distributed import connect

    url = str(config.get("QLTT_REDIS_URL"))
    if not url:
        typer.echo("Lỗi: chưa đặt QLTT_REDIS_URL (redis://máy:6379/0) — chế độ phân tán cần Redis.", err=True)
        raise typer.Exit(2)
    server = connect(url)
    try:
        server.ping()
    except (RedisError, ValueError) as exc:
        typer.echo(f"Lỗi: không kết nối được Redis của hàng đợi chung — {exc}", err=True)
        raise typer.Exit(2) from exc
    return server


def _spider_class(name: str) -> type:
    from crawler.distributed import spider_class

    try:
        return spider_class(name)
    except KeyError:
        typer.echo(f"Lỗi: không có bộ thu thập {name!r} (xem: scrapy list).", err=True)
        raise typer.Exit(2) from None


def worker(
    spider: str = typer.Argument(..., help="Tên bộ thu thập có hàng đợi chung cần làm, ví dụ tiki."),
    idle_close: float | None = typer.Option(
        None, "--idle-close", help="Tự dừng sau số giây không có việc (mặc định QLTT_WORKER_IDLE_CLOSE; 0 = chờ mãi)."
    ),
) -> None:
    """Chạy một máy thu thập: nhận việc từ hàng đợi chung trong Redis cho đến khi hết việc hoặc bị dừng."""
    from crawler.distributed import worker_settings

    _redis().close()
    _spider_class(spider)
    stats = run_spiders([(spider, {})], worker_settings(idle_close)).get(spider, {})
    typer.echo(
        f"Máy thu thập {stats.get('qltt/worker/id', '?')} (lượt chạy {stats.get('qltt/run_id', '?')}): "
        f"{stats.get('qltt/worker/jobs_count', 0)} công việc, {stats.get('response_received_count', 0)} trang, "
        f"{stats.get('qltt/store/listing_created_count', 0)} tin mới, "
        f"{stats.get('qltt/worker/recovered_count', 0)} yêu cầu nhận lại từ máy đã dừng, "
        f"kết thúc: {stats.get('finish_reason', '?')}."
    )


def enqueue(
    spider: str = typer.Argument(..., help="Tên bộ thu thập, ví dụ tiki."),
    query: list[str] = typer.Option([], "--query", "-q", help="Từ khóa tìm kiếm (lặp lại được)."),
    url: list[str] = typer.Option([], "--url", "-u", help="Liên kết tin đăng, cửa hàng hoặc bài viết (lặp lại được)."),
    shop: list[str] = typer.Option([], "--shop", help="Theo dõi toàn bộ sản phẩm của một cửa hàng (lặp lại được)."),
    max_pages: int | None = typer.Option(None, "--max-pages", help="Số trang kết quả tối đa."),
    since: str | None = typer.Option(None, "--since", help="Chỉ lấy bài đăng từ ngày (YYYY-MM-DD)."),
) -> None:
    """Xếp một công việc thu thập vào hàng đợi chung; các máy thu thập (qltt worker) sẽ làm."""
    from crawler.distributed import enqueue as push

    arguments = spider_arguments(query, url, shop, max_pages, since)
    server = _redis()
    try:
        _spider_class(spider)(**arguments)  # a bad argument fails here, not later in a worker
    except (TypeError, ValueError) as exc:
        typer.echo(f"Lỗi: tham số không hợp lệ cho {spider}: {exc}", err=True)
        raise typer.Exit(2) from exc
    job_id = push(server, spider, arguments)
    typer.echo(f"Đã xếp công việc {job_id} ({spider}) vào hàng đợi. Chạy máy thu thập: qltt worker {spider}")


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("enqueue")(enqueue)
