"""Scheduled crawls: the schedule file, APScheduler in the foreground, and crawls in child processes.

``qltt schedule run`` = ``load_schedule`` + ``runner.serve``; each firing calls ``job.run_job(name)``,
which crawls through ``crawl.crawl_in_subprocess`` (also used by citizens' tips) so every crawl ends
as a closed ``runs`` record.
"""

from __future__ import annotations

from crawler.schedule.crawl import CommandResult, CommandRunner, crawl_in_subprocess, run_command
from crawler.schedule.job import JobContext, run_job, run_locked
from crawler.schedule.lock import AlreadyRunning, FileLock
from crawler.schedule.model import Job, Schedule, load_schedule
from crawler.schedule.runner import build_scheduler, job_store, next_run_times, serve

__all__ = [
    "AlreadyRunning",
    "CommandResult",
    "CommandRunner",
    "FileLock",
    "Job",
    "JobContext",
    "Schedule",
    "build_scheduler",
    "crawl_in_subprocess",
    "job_store",
    "load_schedule",
    "next_run_times",
    "run_command",
    "run_job",
    "run_locked",
    "serve",
]
