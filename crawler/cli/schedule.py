"""``qltt schedule run | list | run-now JOB``: the nightly crawls of the schedule file."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer

from crawler import config
from crawler.cli.common import database, local_time, table
from crawler.cli.runs import describe_arguments
from crawler.exceptions import ConfigError
from crawler.schedule import AlreadyRunning, Job, JobContext, Schedule, job_store, load_schedule, next_run_times, serve
from crawler.schedule.job import run_locked
from storage.runs import RunRepo

__all__ = ["register"]

schedule_app = typer.Typer(
    help="Lịch thu thập định kỳ (tệp schedule.yaml, giờ Việt Nam).", no_args_is_help=True, add_completion=False
)

FILE_OPTION = typer.Option(None, "--file", "-f", help="Tệp lịch (mặc định: QLTT_SCHEDULE_FILE, schedule.yaml).")


def _schedule(file: Path | None) -> Schedule:
    try:
        return load_schedule(file or Path(config.get("QLTT_SCHEDULE_FILE")))
    except ConfigError as exc:
        typer.echo(f"Lỗi tệp lịch: {exc}", err=True)
        raise typer.Exit(2) from exc


def _context(schedule: Schedule) -> JobContext:
    return JobContext(
        schedule=schedule,
        runs=RunRepo(database()),
        data_dir=config.data_dir(),
        default_timeout=float(config.get("QLTT_JOB_TIMEOUT")),
    )


def _describe(job: Job) -> str:
    extra = {"queries_from": ",".join(job.queries_from)} if job.queries_from else {}
    return describe_arguments({**job.arguments, **extra}, width=60)


def _store() -> Any:
    return job_store(config.data_dir(), config.get("QLTT_MONGO_URI"), config.get("QLTT_DB_NAME"))


@schedule_app.command("list")
def list_jobs(file: Path | None = FILE_OPTION) -> None:
    """Liệt kê công việc trong lịch và thời điểm chạy tới (giờ Việt Nam)."""
    schedule = _schedule(file)
    upcoming = next_run_times(schedule, _store())
    rows = [
        (job.name, job.cron, job.spider, _describe(job),
         local_time(upcoming.get(job.name)) if job.enabled else "(tắt)")
        for job in schedule.jobs.values()
    ]
    typer.echo(table(["Công việc", "Cron", "Bộ thu thập", "Tham số", "Lần chạy tới"], rows))


@schedule_app.command("run")
def run(file: Path | None = FILE_OPTION) -> None:
    """Chạy bộ lập lịch ở tiền cảnh (Ctrl-C để dừng); lần chạy bị lỡ khi máy tắt được chạy bù một lần."""
    logging.basicConfig(level=config.get("QLTT_LOG_LEVEL"), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    schedule = _schedule(file)
    context = _context(schedule)
    enabled = [job.name for job in schedule.jobs.values() if job.enabled]
    typer.echo(f"Bộ lập lịch bắt đầu với {len(enabled)} công việc: {', '.join(enabled)}. Ctrl-C để dừng.")
    try:
        serve(context, _store(), float(config.get("QLTT_MISFIRE_GRACE_HOURS")))
    except AlreadyRunning as exc:
        typer.echo(f"Lỗi: đã có một bộ lập lịch khác đang chạy trên thư mục dữ liệu này — {exc}", err=True)
        raise typer.Exit(2) from exc


@schedule_app.command("run-now")
def run_now(
    job: str = typer.Argument(..., help="Tên công việc trong tệp lịch."), file: Path | None = FILE_OPTION
) -> None:
    """Chạy ngay một công việc của lịch (ở tiền cảnh), ghi thành một lượt chạy."""
    schedule = _schedule(file)
    try:
        schedule.job(job)
        run_id, status = run_locked(_context(schedule), job)
    except ConfigError as exc:
        typer.echo(f"Lỗi: {exc}", err=True)
        raise typer.Exit(2) from exc
    except AlreadyRunning as exc:
        typer.echo(f"Lỗi: công việc {job!r} đang chạy — {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Công việc {job}: lượt chạy {run_id}, trạng thái {status}. Xem: qltt runs")
    if status not in ("finished", "queued"):  # queued: QLTT_REDIS_URL is set, the workers crawl it
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")
