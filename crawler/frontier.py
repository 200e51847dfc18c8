"""A crash-safe crawl frontier for resumable jobs (``JOBDIR``), so a killed crawl resumes where it was.

Scrapy's own ``JOBDIR`` persistence writes its disk queue's state and its ``requests.seen`` file on
a clean shutdown: after SIGKILL the queue is lost while the seen-file may already hold the pending
requests, so a resumed crawl either repeats everything or silently skips pages. Here the frontier
is one SQLite table in ``JOBDIR/frontier.sqlite`` (WAL; every change is committed, which survives a
killed process): one row per request fingerprint, *pending*, *active* (handed to the downloader)
or *done*. A request becomes done only when its response's items have all been through the item
pipelines (stored or spooled) and the requests it led to are in the frontier (``FrontierTracker``).
On resume, active rows go back to pending (they were in flight when the crawl died) and done ones
are never fetched again; the spider's start requests meet their own rows and are dropped.

A job that finishes (finish reason ``finished``) empties its frontier, so running the same job
again crawls afresh. ``JOBDIR/frontier.lock`` keeps two processes off one job.
"""

from __future__ import annotations

import fcntl
import logging
import pickle
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from weakref import WeakKeyDictionary

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.request import request_from_dict

from crawler.exceptions import ConfigError

__all__ = ["FP_KEY", "Frontier", "FrontierScheduler", "FrontierTracker"]

logger = logging.getLogger(__name__)

FP_KEY = "qltt_fingerprint"
PENDING, ACTIVE, DONE = 0, 1, 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, fp TEXT UNIQUE NOT NULL, url TEXT NOT NULL,
    priority INTEGER NOT NULL, state INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS requests_next ON requests (state, priority DESC, id);
"""
_frontiers: WeakKeyDictionary[Crawler, Frontier] = WeakKeyDictionary()


class Frontier:
    """The ``requests`` table; every method commits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + _SCHEMA)
        self._pending = self._count(PENDING)

    def requeue_active(self) -> int:
        """Requests in flight when the last process died go back to pending."""
        count = self.db.execute("UPDATE requests SET state=? WHERE state=?", (PENDING, ACTIVE)).rowcount
        self._pending = self._count(PENDING)
        return count

    def add(self, fp: str, url: str, priority: int, data: bytes, force: bool = False) -> bool:
        """Queue a request; False for a known fingerprint unless ``force`` (a retry) re-queues it."""
        inserted = self.db.execute(
            "INSERT OR IGNORE INTO requests (fp, url, priority, state, data) VALUES (?, ?, ?, ?, ?)",
            (fp, url, priority, PENDING, data)).rowcount
        if not inserted and force:
            inserted = self.db.execute("UPDATE requests SET state=?, data=?, priority=? WHERE fp=? AND state!=?",
                                       (PENDING, data, priority, fp, PENDING)).rowcount
        self._pending += inserted
        return bool(inserted)

    def pop(self) -> tuple[str, bytes] | None:
        """The next pending request (highest priority, oldest first), now marked active."""
        row = self.db.execute("SELECT id, fp, data FROM requests WHERE state=? ORDER BY priority DESC, id LIMIT 1",
                              (PENDING,)).fetchone()
        if row is None:
            return None
        self.db.execute("UPDATE requests SET state=? WHERE id=?", (ACTIVE, row[0]))
        self._pending -= 1
        return row[1], row[2]

    def done(self, fp: str) -> None:
        self.db.execute("UPDATE requests SET state=? WHERE fp=?", (DONE, fp))

    def __len__(self) -> int:
        return self._pending

    def urls(self, state: int) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT url FROM requests WHERE state=? ORDER BY id", (state,))]

    def clear(self) -> None:
        self.db.execute("DELETE FROM requests")
        self._pending = 0

    def close(self) -> None:
        self.db.close()

    def _count(self, state: int) -> int:
        return int(self.db.execute("SELECT count(*) FROM requests WHERE state=?", (state,)).fetchone()[0])


class FrontierScheduler:
    """``SCHEDULER`` for jobs; needs ``JOBDIR``. Stats: ``qltt/frontier/{requeued,dropped}_count``."""

    def __init__(self, crawler: Crawler, jobdir: Path) -> None:
        self.crawler = crawler
        self.jobdir = jobdir
        self.frontier: Frontier | None = None
        self.spider: Spider | None = None
        self._lock: IO[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise ConfigError("FrontierScheduler needs JOBDIR (qltt crawl --job NAME)")
        return cls(crawler, Path(jobdir))

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.jobdir.mkdir(parents=True, exist_ok=True)
        self._lock = (self.jobdir / "frontier.lock").open("a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"job {self.jobdir.name} is already running in another process") from None
        self.frontier = Frontier(self.jobdir / "frontier.sqlite")
        requeued = self.frontier.requeue_active()
        _frontiers[self.crawler] = self.frontier
        self._stat("requeued", requeued)
        if len(self.frontier):
            logger.info("job %s resumed: %d requests pending (%d were in flight)", self.jobdir.name,
                        len(self.frontier), requeued)

    def close(self, reason: str) -> None:
        assert self.frontier is not None and self._lock is not None
        if reason == "finished":
            self.frontier.clear()  # the job is complete: the next run of it starts afresh
        self.frontier.close()
        _frontiers.pop(self.crawler, None)
        self._lock.close()

    def has_pending_requests(self) -> bool:
        return bool(self.frontier and len(self.frontier))

    def enqueue_request(self, request: Request) -> bool:
        assert self.frontier is not None and self.crawler.request_fingerprinter is not None
        fp = self.crawler.request_fingerprinter.fingerprint(request).hex()
        request.meta[FP_KEY] = fp
        data = pickle.dumps(request.to_dict(spider=self.spider), protocol=pickle.HIGHEST_PROTOCOL)
        added = self.frontier.add(fp, request.url, request.priority, data, force=request.dont_filter)
        if not added:
            self._stat("dropped")
        return added

    def next_request(self) -> Request | None:
        assert self.frontier is not None
        popped = self.frontier.pop()
        if popped is None:
            return None
        fp, data = popped
        request = request_from_dict(pickle.loads(data), spider=self.spider)
        request.meta[FP_KEY] = fp
        return request

    def _stat(self, what: str, count: int = 1) -> None:
        if self.crawler.stats is not None and count:
            self.crawler.stats.inc_value(f"qltt/frontier/{what}_count", count)


@dataclass
class _Page:
    fp: str
    response: Response
    outstanding: int = 0
    exhausted: bool = False


class FrontierTracker(BaseSpiderMiddleware):
    """Spider middleware (keep it outermost, e.g. order 1): marks a request done once all it produced is
    through — its items past the pipelines, its requests in the frontier. Inert without a frontier."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.pages: dict[int, _Page] = {}
        self.requests: dict[int, tuple[_Page, Request]] = {}
        for handler, signal in ((self._item_settled, signals.item_scraped), (self._item_settled, signals.item_dropped),
                                (self._item_settled, signals.item_error),
                                (self._request_scheduled, signals.request_scheduled)):
            crawler.signals.connect(handler, signal=signal)

    def process_spider_output(self, response: Response | None, result: Any, spider: Spider | None = None) -> Any:
        try:
            yield from super().process_spider_output(response, result)
        finally:
            self._exhausted(response)

    async def process_spider_output_async(self, response: Response | None, result: Any,
                                          spider: Spider | None = None) -> Any:
        try:
            async for o in super().process_spider_output_async(response, result):
                yield o
        finally:
            self._exhausted(response)

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if page := self._page(response):
            page.outstanding += 1
            self.requests[id(request)] = (page, request)
        return request

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        if page := self._page(response):
            page.outstanding += 1
        return item

    def _page(self, response: Response | None) -> _Page | None:
        if response is None or _frontiers.get(self.crawler) is None:
            return None
        fp = response.meta.get(FP_KEY) if response.request is not None else None
        if fp is None:
            return None
        return self.pages.setdefault(id(response), _Page(fp, response))

    def _exhausted(self, response: Response | None) -> None:
        if page := self._page(response):
            page.exhausted = True
            self._settle(page, 0)

    def _item_settled(self, item: Any, response: Response | None = None, **kwargs: Any) -> None:
        if response is not None and (page := self.pages.get(id(response))):
            self._settle(page, 1)

    def _request_scheduled(self, request: Request, **kwargs: Any) -> None:
        if entry := self.requests.pop(id(request), None):
            self._settle(entry[0], 1)

    def _settle(self, page: _Page, finished: int) -> None:
        page.outstanding -= finished
        if page.exhausted and page.outstanding <= 0:
            self.pages.pop(id(page.response), None)
            from twisted.internet import reactor  # the running one; importing it earlier would install one

            # request_scheduled fires just before the child is queued: mark the parent done after that.
            reactor.callLater(0, self._mark_done, page.fp)

    def _mark_done(self, fp: str) -> None:
        if frontier := _frontiers.get(self.crawler):
            frontier.done(fp)
