"""``qltt evidence``: prove the kept evidence is intact (every blob re-hashed against its name)."""

from __future__ import annotations

import typer

from crawler.cli.common import database

__all__ = ["register"]

evidence_app = typer.Typer(help="Bằng chứng đã lưu (WARC, ảnh chụp màn hình).", no_args_is_help=True)

_SHOWN_LISTINGS = 5


def _cited_by(listing_ids: list[str]) -> str:
    if not listing_ids:
        return "không tin đăng nào dẫn tới"
    more = len(listing_ids) - _SHOWN_LISTINGS
    shown = ", ".join(listing_ids[:_SHOWN_LISTINGS])
    return f"tin đăng: {shown}" + (f" và {more} tin khác" if more > 0 else "")


@evidence_app.command("verify")
def verify() -> None:
    """Băm lại mọi tệp bằng chứng; báo tệp bị thiếu hoặc bị sửa đổi (mã thoát 1 nếu có)."""
    from storage.evidence import BlobStore, root_from_config
    from storage.evidence import verify as verify_store

    root = root_from_config()
    report = verify_store(database(), BlobStore(root))
    for sha, listing_ids in report.missing.items():
        typer.echo(f"THIẾU     {sha}  ({_cited_by(listing_ids)})")
    for sha, listing_ids in report.altered.items():
        typer.echo(f"BỊ SỬA    {sha}  ({_cited_by(listing_ids)})")
    typer.echo(
        f"Đã kiểm tra {report.checked} tệp bằng chứng trong {root}: "
        f"{len(report.missing)} bị thiếu, {len(report.altered)} bị sửa đổi."
    )
    if not report.ok:
        typer.echo("Bằng chứng KHÔNG còn nguyên vẹn.", err=True)
        raise typer.Exit(1)
    typer.echo("Mọi bằng chứng còn nguyên vẹn.")


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")
