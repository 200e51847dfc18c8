"""``qltt export plan`` (the inspection plan) and ``qltt export report`` (periodic and quick reports)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from crawler.cli.common import LOCAL_TZ, database

__all__ = ["register"]

export_app = typer.Typer(help="Xuất kế hoạch kiểm tra và báo cáo định kỳ.", no_args_is_help=True)
FORMATS = ("xlsx", "csv", "json")
REPORT_DIR = Path("bao-cao")


@export_app.command("plan")
def plan(
    province: Annotated[str | None, typer.Option(help="Chỉ đối tượng có tài khoản/tin ở tỉnh này.")] = None,
    since: Annotated[str | None, typer.Option(help="Chỉ tin còn thấy từ ngày này (YYYY-MM-DD).")] = None,
    status: Annotated[list[str] | None, typer.Option(
        help="Trạng thái xử lý của tin: new, confirmed, referred, dismissed (lặp lại hoặc phẩy).")] = None,
    category: Annotated[str | None, typer.Option(help="Chỉ một nhóm vi phạm (counterfeit, banned, ...).")] = None,
    min_risk: Annotated[int, typer.Option(min=0, max=100, help="Rủi ro tối thiểu của mỗi tin (0-100).")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="Định dạng: xlsx, csv hoặc json.")] = "xlsx",
    output: Annotated[Path | None, typer.Option(help="Tệp kết quả (mặc định ke-hoach-kiem-tra-<ngày>.<đuôi>).")] = None,
) -> None:
    """Kế hoạch kiểm tra: mỗi dòng một đối tượng, xếp theo mức ưu tiên."""
    from crawler.exports.plan import DEFAULT_STATUSES, PlanFilter, build_plan
    from crawler.exports.plan_layout import plan_records, plan_tables
    from crawler.exports.writers import write_csv, write_json
    from crawler.exports.xlsx import write_xlsx

    if fmt not in FORMATS:
        _fail(f"định dạng không hỗ trợ: {fmt} (chọn {', '.join(FORMATS)})")
    statuses = tuple(s.strip() for value in status or [] for s in value.split(",") if s.strip()) or DEFAULT_STATUSES
    try:
        plan_filter = PlanFilter(province=province, since=_date(since), statuses=statuses, category=category,
                                 min_risk=min_risk)
    except ValueError as exc:
        _fail(str(exc))
    rows = build_plan(database(), plan_filter)
    path = output or Path(f"ke-hoach-kiem-tra-{datetime.now(LOCAL_TZ):%Y-%m-%d}.{fmt}")
    if fmt == "xlsx":
        write_xlsx(plan_tables(rows), path)
    elif fmt == "csv":
        write_csv(plan_tables(rows)[0], path)
    else:
        write_json(plan_records(rows), path)
    typer.echo(f"Đã xuất kế hoạch kiểm tra: {len(rows)} đối tượng → {path}")


@export_app.command("report")
def report(
    period: Annotated[str | None, typer.Option(help="Kỳ báo cáo: 2026, 2026-H1, 2026-Q3 hoặc 2026-11.")] = None,
    quick: Annotated[str | None, typer.Option(help="Báo cáo nhanh cho một tin (mã tin).")] = None,
    output_dir: Annotated[Path, typer.Option(help="Thư mục ghi báo cáo.")] = REPORT_DIR,
) -> None:
    """Báo cáo định kỳ (XLSX, Markdown, HTML kèm biểu đồ) hoặc báo cáo nhanh một tin."""
    if quick:
        from crawler.exports.quick import write_quick

        try:
            quick_files = write_quick(database(), quick, output_dir)
        except LookupError as exc:
            _fail(str(exc.args[0]))
        typer.echo(f"Đã xuất báo cáo nhanh: {quick_files.markdown}, {quick_files.html}")
        return
    if not period:
        _fail("cần --period (ví dụ 2026-H1) hoặc --quick MÃ_TIN")
    from crawler.exports.period import parse_period
    from crawler.exports.report import report_figures
    from crawler.exports.report_render import write_report

    try:
        parsed = parse_period(period)
    except ValueError as exc:
        _fail(str(exc))
    figures = report_figures(database(), parsed)
    files = write_report(figures, output_dir)
    typer.echo(f"Kỳ {parsed.label}: {figures.scanned} tin đã quét, {figures.flagged} vi phạm, "
               f"{figures.confirmed} xác nhận, {figures.referred} chuyển kiểm tra.")
    typer.echo(f"Đã xuất: {files.xlsx}, {files.markdown}, {files.html}, {files.chart}")


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"ngày không hợp lệ: {text!r} (dạng YYYY-MM-DD)")


def _fail(message: str) -> NoReturn:
    typer.echo(f"Lỗi: {message}", err=True)
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
