"""``qltt listings``: what is stored, flagged first, as a table or as JSON for other tools."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import typer

from crawler.cli.common import database, local_time, table

__all__ = ["register"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def listings(
    flagged: bool = typer.Option(False, "--flagged", help="Chỉ tin bị gắn cờ."),
    source: str | None = typer.Option(None, "--source", help="Chỉ một nguồn (tiki, shopee, web, ...)."),
    limit: int = typer.Option(50, "--limit", min=1, help="Số tin tối đa."),
    as_json: bool = typer.Option(False, "--json", help="In JSON (kèm các phát hiện) thay vì bảng."),
) -> None:
    """Liệt kê tin đăng đã lưu, rủi ro cao trước."""
    query: dict[str, Any] = {}
    if flagged:
        query["flag"] = True
    if source:
        query["source"] = source
    docs = list(database()["listings"].find(query).sort([("risk", -1), ("_id", 1)]).limit(limit))
    if as_json:
        typer.echo(json.dumps(docs, ensure_ascii=False, indent=2, default=_jsonable))
        return
    rows = [
        (d["_id"], d.get("price"), d.get("risk"), ",".join(d.get("categories") or []), (d.get("title") or "")[:60],
         local_time(d.get("last_seen")))
        for d in docs
    ]
    typer.echo(table(["Mã", "Giá (VND)", "Rủi ro", "Vi phạm", "Tiêu đề", "Lần cuối thấy"], rows))


def register(app: typer.Typer) -> None:
    app.command("listings")(listings)
