"""Every crawl is a ``runs`` record: arguments, trigger, start/end, status, counts, errors, stats, health.

A crawl run as a resumable job (``JOBDIR``, ``qltt crawl --job NAME``) records the job's name; when
it starts, an earlier run of the same job still marked ``running`` was killed without closing
(SIGKILL, power loss) and is marked ``interrupted``, and the new run links to the runs it resumes
(``resumed_from``; the old ones get ``resumed_by``). When the database is away, page errors are
kept in memory and the final update (status, counts, health, errors) goes to the spool, after the
listings the crawl spooled, and is replayed with them.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from pymongo.errors import PyMongoError
from scrapy import Spider, signals
from scrapy.crawler import Crawler

import storage
from crawler.exceptions import StorageError
from crawler.extensions.health import Thresholds, assess, page_errors, previous_counts
from crawler.signals import page_failed
from pipelines.store import database, spool
from storage.spool import Spool, apply, run_entry
from storage.values import utcnow

__all__ = ["RunRecorder"]

logger = logging.getLogger(__name__)

# Scrapy's finish reasons mapped to the run statuses qltt shows.
STATUS = {"finished": "finished", "shutdown": "interrupted", "cancelled": "interrupted",
          "closespider_timeout": "timeout"}
# What a write raises when the database is away (repositories raise StorageError or PyMongo's own).
DB_ERRORS = (StorageError, PyMongoError)


class RunRecorder:
    """Reads ``QLTT_RUN_TRIGGER`` (adhoc | schedule | tip | demo), ``QLTT_RUN_ID`` (a run made by the
    caller), ``JOBDIR`` (its folder name is the job) and the ``QLTT_HEALTH_*`` thresholds."""

    def __init__(self, crawler: Crawler, runs: storage.RunRepo, spool: Spool | None = None) -> None:
        self.crawler = crawler
        self.runs = runs
        self.spool = spool
        self.run_id: str | None = crawler.settings.get("QLTT_RUN_ID") or None
        self.trigger = crawler.settings.get("QLTT_RUN_TRIGGER", "adhoc")
        jobdir = crawler.settings.get("JOBDIR")
        self.job: str | None = Path(jobdir).name if jobdir else None
        self.resumed_from: list[str] = []
        self.unwritten_errors: list[dict[str, Any]] = []
        self.db_away = False  # after one failed write, errors wait for the final update

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        extension = cls(crawler, storage.RunRepo(database(crawler)), spool(crawler))
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.failed, signal=page_failed)
        crawler.signals.connect(extension.spider_error, signal=signals.spider_error)
        return extension

    def opened(self, spider: Spider) -> None:
        arguments: dict[str, Any] = getattr(spider, "arguments", {})
        if self.run_id is None:
            self.run_id = self._start(spider.name, arguments)
        if self.job and not self.db_away:
            self.resumed_from = self._link_job()
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("qltt/run_id", self.run_id)
        logger.info("run %s started: %s %s", self.run_id, spider.name, arguments)

    def _start(self, spider: str, arguments: dict[str, Any]) -> str:
        """Record the run as running; with the database away, spool the record (replayed before the run's
        listings and its ending, which follow it in the spool)."""
        run = self.runs.new(spider, arguments, trigger=self.trigger)
        try:
            return self.runs.insert(run)
        except DB_ERRORS as exc:
            if self.spool is None:
                raise
            logger.warning("run %s: database unavailable, run record spooled (%s)", run["_id"], exc)
            self.spool.append("run_start", run=run)
            self.db_away = True
            return str(run["_id"])

    def _link_job(self) -> list[str]:
        """Mark runs of this job left ``running`` as interrupted; link this run to the unfinished ones."""
        coll, now = self.runs.coll, utcnow()
        unfinished = {"job": self.job, "_id": {"$ne": self.run_id}, "resumed_by": None,
                      "status": {"$in": ["running", "interrupted"]}}
        earlier = [r["_id"] for r in coll.find(unfinished, {"_id": 1}).sort("started_at", 1)]
        coll.update_many({"_id": {"$in": earlier}, "status": "running"},
                         {"$set": {"status": "interrupted", "finished_at": now, "killed": True}})
        coll.update_many({"_id": {"$in": earlier}}, {"$set": {"resumed_by": self.run_id}})
        coll.update_one({"_id": self.run_id}, {"$set": {"job": self.job, "pid": os.getpid(), "resumed_from": earlier,
                                                         "resumed_by": None}})
        if earlier:
            logger.info("job %s: run %s resumes %s", self.job, self.run_id, earlier)
        return earlier

    def failed(self, url: str, reason: str, kind: str, status: int | None = None) -> None:
        if not self.run_id:
            return
        error = {"url": url, "reason": reason, "kind": kind, "status": status, "at": utcnow()}
        if self.db_away:
            self.unwritten_errors.append(error)
            return
        try:
            self.runs.add_error(self.run_id, error)
        except DB_ERRORS as exc:
            logger.warning("run %s: error not recorded yet, database unavailable (%s)", self.run_id, exc)
            self.db_away = True  # do not block the reactor on every later error
            self.unwritten_errors.append(error)  # written with the run's final update

    def spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        self.failed(response.url, failure.getErrorMessage(), "spider", response.status)

    def closed(self, spider: Spider, reason: str) -> None:
        if not self.run_id:
            return
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        health = self._health(spider, stats)
        fields = {"status": STATUS.get(reason, "failed"), "finished_at": utcnow(), "stats": stats,
                  "counts": _counts(stats), "health": health}
        # One update, the same one a replay would make, so a spooled ending is exactly this ending.
        entry = run_entry(self.run_id, fields, self.unwritten_errors)
        try:
            apply(self.runs.coll.database, entry)
        except DB_ERRORS as exc:
            if self.spool is None:
                raise
            logger.warning("run %s: database unavailable, final record spooled (%s)", self.run_id, exc)
            self.spool.append(**entry)
        logger.info("run %s %s: %s; health %s", self.run_id, reason, fields["counts"], health)

    def _health(self, spider: Spider, stats: dict[str, Any]) -> dict[str, Any]:
        thresholds = Thresholds.from_settings(self.crawler.settings.get)
        try:
            earlier = self.runs.recent(limit=50, spider=spider.name)
        except DB_ERRORS:
            earlier = []
        previous = previous_counts(earlier, getattr(spider, "arguments", {}), thresholds.history)
        # a worker takes what the shared queue gives it: its count says nothing about the source
        partial = bool(self.resumed_from) or self.trigger == "worker"
        return assess(spider.name, stats, previous, thresholds, partial=partial).to_doc()


def _counts(stats: dict[str, Any]) -> dict[str, Any]:
    return {
        "listings": sum(stats.get(f"qltt/store/listing_{o}_count", 0) for o in ("created", "updated", "unchanged")),
        "received": stats.get("qltt/store/listing_received_count", 0),
        "spooled": stats.get("qltt/store/spooled_count", 0),
        "created": stats.get("qltt/store/listing_created_count", 0),
        "updated": stats.get("qltt/store/listing_updated_count", 0),
        "unchanged": stats.get("qltt/store/listing_unchanged_count", 0),
        "sellers": stats.get("qltt/store/seller_upserted_count", 0),
        "flagged": stats.get("qltt/match/flagged_count", 0),
        "flagged_new": stats.get("qltt/store/flagged_new_count", 0),
        "pages": stats.get("response_received_count", 0),
        "errors": page_errors(stats),
    }
