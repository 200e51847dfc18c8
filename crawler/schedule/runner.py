"""APScheduler 3 over the schedule file: a persistent job store, one catch-up run after downtime, no overlap.

Job defaults: ``coalesce=True`` and ``max_instances=1`` so a machine that was off for three nights runs
the job once, not three times, and never twice at once; ``misfire_grace_time`` of
``QLTT_MISFIRE_GRACE_HOURS`` (APScheduler's default of 1 s would silently skip a missed night).
Jobs are written with ``replace_existing`` but keep the next run time already stored when their cron
is unchanged, so a restart neither loses a missed run nor reschedules the others.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job as StoredJob
from apscheduler.jobstores.base import BaseJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from crawler import config
from crawler.cli.common import LOCAL_TZ
from crawler.schedule.job import JobContext, install, run_job
from crawler.schedule.lock import FileLock
from crawler.schedule.model import Job, Schedule

__all__ = ["build_scheduler", "job_store", "next_run_times", "serve"]

log = logging.getLogger(__name__)

STORE_COLLECTION = "schedule_jobs"


def job_store(data_dir: Path, mongo_uri: str = "", db_name: str = "qltt") -> BaseJobStore:
    """MongoDB when qltt stores its data in a real MongoDB, else SQLite at ``<data_dir>/schedule.sqlite``.

    The embedded nx-27017 store cannot hold APScheduler's pickled jobs (it refuses bytes in ``$set``),
    so a URI that answers ``buildInfo`` without a MongoDB version gets the SQLite store too.
    """
    if mongo_uri:
        from apscheduler.jobstores.mongodb import MongoDBJobStore
        from pymongo import MongoClient

        client: MongoClient = MongoClient(mongo_uri, serverSelectionTimeoutMS=int(config.get("QLTT_MONGO_TIMEOUT_MS")))
        if "version" in client.server_info():
            return MongoDBJobStore(database=db_name, collection=STORE_COLLECTION, client=client)
        client.close()
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    data_dir.mkdir(parents=True, exist_ok=True)
    return SQLAlchemyJobStore(url=f"sqlite:///{data_dir / 'schedule.sqlite'}")


def serve(context: JobContext, store: BaseJobStore, grace_hours: float) -> None:
    """Run the scheduler in the foreground until Ctrl-C.

    ``AlreadyRunning`` when another scheduler holds ``<data_dir>/schedule.lock``: two schedulers on one
    data folder would both fire every job.
    """
    with FileLock(context.data_dir / "schedule.lock", "bộ lập lịch (qltt schedule run)"):
        install(context)
        scheduler = build_scheduler(context.schedule, store, grace_hours)
        try:
            scheduler.start()
        except KeyboardInterrupt:
            log.info("scheduler stopped by the user")
            scheduler.shutdown(wait=False)


def build_scheduler(
    schedule: Schedule,
    store: BaseJobStore,
    grace_hours: float,
    scheduler_cls: type[BaseScheduler] = BlockingScheduler,
) -> BaseScheduler:
    """A scheduler (not started) holding the enabled jobs of ``schedule``; stale stored jobs are removed."""
    scheduler = scheduler_cls(
        timezone=LOCAL_TZ,
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(grace_hours * 3600)},
    )
    stored = _stored_jobs(scheduler, store)
    wanted = {job.name: job for job in schedule.jobs.values() if job.enabled}
    for job_id in set(stored) - set(wanted):
        log.info("removing job %s: no longer in %s", job_id, schedule.path)
        store.remove_job(job_id)
    for job in wanted.values():
        _add(scheduler, job, stored.get(job.name))
    return scheduler


def _add(scheduler: BaseScheduler, job: Job, previous: StoredJob | None) -> None:
    trigger = job.trigger
    keep = (
        previous is not None
        and previous.next_run_time is not None
        and repr(previous.trigger) == repr(trigger)
        and tuple(previous.args) == (job.name,)
    )
    extra = {"next_run_time": previous.next_run_time} if keep and previous else {}
    scheduler.add_job(run_job, trigger, args=[job.name], id=job.name, name=job.name, replace_existing=True, **extra)


def _stored_jobs(scheduler: BaseScheduler, store: BaseJobStore) -> dict[str, StoredJob]:
    """The jobs already in the store; starting a store twice is harmless (it only creates what is missing)."""
    store.start(scheduler, "default")
    return {job.id: job for job in store.get_all_jobs()}


def next_run_times(schedule: Schedule, store: BaseJobStore, now: datetime | None = None) -> dict[str, datetime | None]:
    """Each enabled job's next run: as stored by the scheduler, else the next time its cron gives."""
    now = now or datetime.now(LOCAL_TZ)
    stored = _stored_jobs(BackgroundScheduler(timezone=LOCAL_TZ), store)
    out: dict[str, datetime | None] = {}
    for job in (job for job in schedule.jobs.values() if job.enabled):
        previous = stored.get(job.name)
        if previous is not None and repr(previous.trigger) == repr(job.trigger):
            out[job.name] = previous.next_run_time
        else:
            out[job.name] = job.trigger.get_next_fire_time(None, now)
    return out

