"""``qltt runs``: the latest crawls, scheduled, ad hoc or from tips, with what each found, how it ended and
its health (``crawler.extensions.health``): the reasons of a degraded or broken run, and which runs a
resumed job continued."""

from __future__ import annotations

from typing import Any

import typer

from crawler.cli.common import database, local_time, table
from crawler.extensions.health import STATUS_LABELS as HEALTH_VI
from storage.runs import RunRepo

__all__ = ["describe_arguments", "notes", "register"]

STATUS_VI = {
    "running": "đang chạy",
    "finished": "xong",
    "failed": "lỗi",
    "timeout": "quá giờ",
    "interrupted": "bị dừng",
}
TRIGGER_VI = {"schedule": "lịch", "adhoc": "theo yêu cầu", "tip": "tin báo", "demo": "demo",
              "worker": "máy thu thập"}
HEADERS = ["Lượt chạy", "Kích hoạt", "Bộ thu thập", "Tham số", "Bắt đầu", "Kết thúc", "Trạng thái",
           "Sức khỏe", "Trang", "Tin", "Mới", "Gắn cờ mới", "Lỗi"]


def describe_arguments(args: dict[str, Any], width: int = 40) -> str:
    """Spider arguments on one line (``query=a|b max_pages=2``), cut to ``width``."""
    parts = [f"{k}={'|'.join(map(str, v)) if isinstance(v, list) else v}" for k, v in args.items()
             if v not in (None, [])]
    text = " ".join(parts)
    return text if len(text) <= width else text[: width - 3] + "..."


def _row(run: dict[str, Any]) -> list[Any]:
    counts = run.get("counts") or {}
    status = run.get("status", "")
    return [
        run["_id"],
        TRIGGER_VI.get(run.get("trigger", ""), run.get("trigger")),
        run.get("spider"),
        describe_arguments(run.get("args") or {}),
        local_time(run.get("started_at")),
        local_time(run.get("finished_at")),
        STATUS_VI.get(status, status),
        HEALTH_VI.get((run.get("health") or {}).get("status", ""), "—"),
        counts.get("pages", 0),
        counts.get("listings", 0),
        counts.get("created", 0),
        counts.get("flagged_new", 0),
        run.get("error_count", 0),
    ]


def runs(
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Số lượt chạy gần nhất cần hiện."),
    spider: str | None = typer.Option(None, "--spider", help="Chỉ các lượt của một bộ thu thập."),
) -> None:
    """Các lượt thu thập gần nhất: kích hoạt, tham số, giờ bắt đầu/kết thúc (giờ VN), trạng thái, số tin, lỗi."""
    found = RunRepo(database()).recent(limit=limit, spider=spider)
    if not found:
        typer.echo("Chưa có lượt chạy nào.")
        return
    typer.echo(table(HEADERS, [_row(run) for run in found]))
    for run in found:
        for note in notes(run):
            typer.echo(f"  {run['_id']}{note}")


def notes(run: dict[str, Any]) -> list[str]:
    """Lines (after the run id) a reader needs beyond the row: why it failed, its health, a kill and a resumption."""
    found = []
    errors = run.get("errors") or []
    if run.get("status") in ("failed", "timeout") and errors:
        found.append(f" ({STATUS_VI.get(run['status'])}): {errors[-1].get('reason') or ''}")
    health = run.get("health") or {}
    if health.get("status") in ("degraded", "broken"):
        found += [f" ({HEALTH_VI[health['status']]}): {reason}" for reason in health.get("reasons") or []]
    if run.get("killed"):
        found.append(": tiến trình bị dừng đột ngột (kill, mất điện), không kịp đóng lượt chạy")
    if run.get("resumed_from"):
        found.append(f": tiếp tục công việc {run.get('job')} từ lượt {', '.join(run['resumed_from'])}")
    if run.get("resumed_by"):
        found.append(f": được tiếp tục bởi lượt {run['resumed_by']}")
    return found


def register(app: typer.Typer) -> None:
    app.command("runs")(runs)
