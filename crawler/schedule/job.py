"""The scheduled job function and what it needs at run time.

APScheduler persists a job as a reference to an importable function plus its arguments, so the job
function takes only the job's name; the schedule, the database and the command runner are installed
once per process (``install``) by ``qltt schedule run`` / ``run-now`` or a test.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler import config
from crawler.schedule.crawl import CommandRunner, crawl_in_subprocess, run_command
from crawler.schedule.lock import AlreadyRunning, FileLock
from crawler.schedule.model import Job, Schedule
from crawler.schedule.queries import queries_from
from storage.runs import RunRepo

__all__ = ["JobContext", "arguments_of", "install", "run_job", "run_locked"]

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    schedule: Schedule
    runs: RunRepo
    data_dir: Path
    default_timeout: float
    runner: CommandRunner = run_command
    # Set: jobs go to the shared queue of the distributed workers instead of a local crawl.
    redis_url: str = field(default_factory=lambda: str(config.get("QLTT_REDIS_URL")))

    def job_lock(self, name: str) -> FileLock:
        return FileLock(self.data_dir / "locks" / f"job-{name}.lock", f"công việc {name!r}")


_context: JobContext | None = None


def install(context: JobContext) -> None:
    """Make ``context`` the one the job function uses in this process."""
    global _context
    _context = context


def arguments_of(job: Job) -> dict[str, Any]:
    """The spider arguments of ``job``, with queries drawn from the rule sets now (so rule edits apply)."""
    arguments = dict(job.arguments)
    if job.queries_from:
        drawn = queries_from(job.queries_from, limit=job.max_queries)
        arguments["query"] = list(dict.fromkeys([*arguments.get("query", []), *drawn]))
    return arguments


def run_locked(context: JobContext, name: str) -> tuple[str, str]:
    """Run job ``name`` once; ``AlreadyRunning`` when the same job is running in any process.

    In distributed mode the job is queued for the workers, which record the runs: ("job:<id>", "queued").
    """
    job = context.schedule.job(name)
    with context.job_lock(name):
        if context.redis_url:
            from crawler.distributed import connect, enqueue

            job_id = enqueue(connect(context.redis_url), job.spider, arguments_of(job), source=f"schedule:{name}")
            return f"job:{job_id}", "queued"
        return crawl_in_subprocess(
            context.runs,
            job.spider,
            arguments_of(job),
            trigger="schedule",
            timeout=job.timeout or context.default_timeout,
            log_dir=context.data_dir / "logs" / "runs",
            runner=context.runner,
        )


def run_job(name: str) -> tuple[str, str] | None:
    """The APScheduler job function: (run id, status), or None when the job was already running."""
    if _context is None:
        raise RuntimeError("crawler.schedule.job.install() was not called in this process")
    try:
        run_id, status = run_locked(_context, name)
    except AlreadyRunning as exc:
        log.warning("job %s skipped: %s", name, exc)
        return None
    log.info("job %s: run %s %s", name, run_id, status)
    return run_id, status
