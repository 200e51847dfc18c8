"""``qltt spool``: the writes kept on disk during a database outage, and their replay.

Every ``qltt`` command first replays a waiting spool (``replay_at_start``), so the listings of a
crawl that met an outage reach the database as soon as anything runs again; ``qltt spool replay``
does it on demand and says what is left.
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from crawler import config
from storage.spool import ReplayResult, Spool

__all__ = ["register", "replay_at_start", "spool_dir"]

log = logging.getLogger(__name__)

app = typer.Typer(help="Hàng đợi ghi cục bộ khi cơ sở dữ liệu không truy cập được.", no_args_is_help=True)


def spool_dir() -> Path:
    return Path(config.get("QLTT_DATA_DIR")).expanduser() / "spool"


def _replay() -> ReplayResult | None:
    """Replay into the configured database; None when it cannot be reached."""
    import storage
    from crawler.exceptions import StorageError

    try:
        db = storage.connect_from_config()
    except StorageError as exc:
        log.warning("spool not replayed, database unreachable: %s", exc)
        return None
    from storage.evidence import root_from_config

    return Spool(spool_dir(), root_from_config()).replay(db, int(config.get("QLTT_PRICE_HISTORY_MAX")))


def _describe(result: ReplayResult) -> str:
    text = f"Đã ghi {result.applied} mục vào cơ sở dữ liệu, còn chờ {result.pending}"
    if result.rejected:
        text += f", {result.rejected} mục bị từ chối (xem {spool_dir() / 'rejected.jsonl'})"
    return text + "."


def replay_at_start() -> None:
    """Replay a waiting spool before any command; cheap (no database) when there is none."""
    if not any(spool_dir().glob("segment-*.jsonl")):
        return
    result = _replay()
    if result is None:
        typer.echo("Cảnh báo: còn dữ liệu chờ ghi trong hàng đợi cục bộ, cơ sở dữ liệu chưa truy cập được.", err=True)
    elif result.applied or result.rejected:
        typer.echo(f"Hàng đợi cục bộ: {_describe(result)}", err=True)


@app.command("replay")
def replay() -> None:
    """Ghi lại vào cơ sở dữ liệu các mục đã lưu tạm khi cơ sở dữ liệu gián đoạn (theo thứ tự, không trùng lặp)."""
    result = _replay()
    if result is None:
        typer.echo("Lỗi: không kết nối được cơ sở dữ liệu; dữ liệu vẫn được giữ trong hàng đợi.", err=True)
        raise typer.Exit(2)
    typer.echo(_describe(result))
    if result.pending or result.rejected:
        raise typer.Exit(1)


@app.command("status")
def status() -> None:
    """Số mục đang chờ ghi trong hàng đợi cục bộ."""
    typer.echo(f"Còn chờ ghi: {Spool(spool_dir()).pending()} mục ({spool_dir()}).")


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="spool")
