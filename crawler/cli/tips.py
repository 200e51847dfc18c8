"""``qltt tip add URL --note ... [--reporter ...]`` and ``qltt tip list``: citizens' reports of a listing or shop."""

from __future__ import annotations

import typer

from crawler import config
from crawler.cli.common import database, local_time, table
from storage.tips import TIP_STATUSES, TipRepo

__all__ = ["register"]

tip_app = typer.Typer(help="Tin báo của người dân về tin đăng, cửa hàng, bài viết.", no_args_is_help=True,
                      add_completion=False)

STATUS_VI = {
    "received": "đã nhận",
    "refused": "từ chối",
    "crawling": "đang thu thập",
    "done": "đã thu thập",
    "failed": "chưa thu thập được",
}


@tip_app.command("add")
def add(
    url: str = typer.Argument(..., help="Liên kết được báo (http/https)."),
    note: str = typer.Option(..., "--note", help="Nội dung tin báo: vì sao nghi vấn."),
    reporter: str | None = typer.Option(None, "--reporter", help="Người báo (tên, số điện thoại hoặc kênh)."),
) -> None:
    """Nhận một tin báo: kiểm tra liên kết, nhận diện nguồn và thu thập ngay."""
    from crawler.tips import build_desk

    tip = build_desk(database(), config.data_dir()).submit(url, note, reporter)
    status = tip["status"]
    if status == "refused":
        typer.echo(f"Từ chối tin báo {tip['_id']}: {tip['reason']}", err=True)
        raise typer.Exit(2)
    if status != "done":
        typer.echo(f"Tin báo {tip['_id']} đã lưu nhưng {STATUS_VI[status]}: {tip['reason']}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"Tin báo {tip['_id']}: nguồn {tip['source']} ({tip['kind']}), lượt chạy {tip['run_id']}, "
        f"{len(tip['listing_ids'])} tin đăng: {', '.join(tip['listing_ids'][:5])}"
    )


@tip_app.command("list")
def list_tips(
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Số tin báo gần nhất."),
    status: str | None = typer.Option(None, "--status", help=f"Lọc theo trạng thái: {', '.join(TIP_STATUSES)}."),
) -> None:
    """Các tin báo gần nhất, trạng thái xử lý và tin đăng thu được."""
    if status is not None and status not in TIP_STATUSES:
        typer.echo(f"Lỗi: --status phải là một trong {', '.join(TIP_STATUSES)}.", err=True)
        raise typer.Exit(2)
    tips = TipRepo(database()).recent(limit=limit, status=status)
    if not tips:
        typer.echo("Chưa có tin báo nào.")
        return
    rows = [
        (t["_id"], local_time(t.get("received_at")), STATUS_VI.get(t["status"], t["status"]), t.get("source") or "",
         t.get("reporter") or "", len(t.get("listing_ids") or []), _short(t["url"], 50), _short(t.get("reason"), 50))
        for t in tips
    ]
    headers = ["Tin báo", "Nhận lúc", "Trạng thái", "Nguồn", "Người báo", "Tin đăng", "Liên kết", "Ghi chú xử lý"]
    typer.echo(table(headers, rows))


def _short(text: str | None, width: int) -> str:
    text = text or ""
    return text if len(text) <= width else text[: width - 3] + "..."


def register(app: typer.Typer) -> None:
    app.add_typer(tip_app, name="tip")
