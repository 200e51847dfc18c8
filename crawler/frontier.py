"""A crash-safe crawl frontier for resumable jobs (``JOBDIR``), so a killed crawl resumes where it was.

Scrapy's own ``JOBDIR`` persistence writes its disk queue's state and its ``requests.seen`` file on
a clean shutdown: after SIGKILL the queue is lost while the seen-file may already hold the pending
requests, so a resumed crawl either repeats everything or silently skips pages. Here the frontier
is one SQLite table in ``JOBDIR/frontier.sqlite`` (WAL; every change is committed, which survives a
killed process): one row per request fingerprint, *pending*, *active* (handed to the downloader)
or *done*. A request becomes done only when its response's items have all been through the item
pipelines (stored or spooled) and the requests it led to are in the frontier (``FrontierTracker``).
A response is kept on its row as it arrives (``FrontierResponses``, a downloader middleware) until
the row is done. On resume, active rows go back to pending (they were in flight when the crawl
died): one whose response had arrived is answered from the row, not fetched again; done rows are
never fetched again, and the spider's start requests meet their own rows and are dropped. A request
that failed (network error after retries) stays active, so a resumed job gives it another chance.
A redirect is a new request: the one that led to it is done with it (``qltt_redirected_from``).

A job that finishes (finish reason ``finished``) empties its frontier, so running the same job
again crawls afresh. ``JOBDIR/frontier.lock`` keeps two processes off one job.
"""

from __future__ import annotations

import asyncio
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
from scrapy.utils.misc import load_object
from scrapy.utils.request import request_from_dict

from crawler.exceptions import ConfigError

__all__ = ["CHAIN_KEY", "FP_KEY", "Frontier", "FrontierResponses", "FrontierScheduler", "FrontierTracker"]

logger = logging.getLogger(__name__)

FP_KEY = "qltt_fingerprint"
CHAIN_KEY = "qltt_redirected_from"  # fingerprints of the requests a redirect replaced
KEPT_KEY = "qltt_kept_response"  # a resumed request's response, kept before the last process died
FROM_FRONTIER = "frontier"  # flag of a response answered from the frontier
PENDING, ACTIVE, DONE = 0, 1, 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, fp TEXT UNIQUE NOT NULL, url TEXT NOT NULL,
    priority INTEGER NOT NULL, state INTEGER NOT NULL, data BLOB NOT NULL, response BLOB);
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
        if not inserted and force:  # a retry: the response kept for the failed attempt is not its answer
            inserted = self.db.execute(
                "UPDATE requests SET state=?, data=?, priority=?, response=NULL WHERE fp=? AND state!=?",
                (PENDING, data, priority, fp, PENDING)).rowcount
        self._pending += inserted
        return bool(inserted)

    def pop(self) -> tuple[str, bytes, bytes | None] | None:
        """The next pending request (highest priority, oldest first), now marked active, with its kept response."""
        row = self.db.execute(
            "SELECT id, fp, data, response FROM requests WHERE state=? ORDER BY priority DESC, id LIMIT 1",
            (PENDING,)).fetchone()
        if row is None:
            return None
        self.db.execute("UPDATE requests SET state=? WHERE id=?", (ACTIVE, row[0]))
        self._pending -= 1
        return row[1], row[2], row[3]

    def keep_response(self, fp: str, response: bytes) -> None:
        self.db.execute("UPDATE requests SET response=? WHERE fp=? AND state=?", (response, fp, ACTIVE))

    def done(self, *fps: str) -> None:
        self.db.executemany("UPDATE requests SET state=?, response=NULL WHERE fp=?", [(DONE, fp) for fp in fps])

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
        if (prior := request.meta.get(FP_KEY)) and prior != fp:  # a redirect keeps the meta it replaces
            request.meta[CHAIN_KEY] = [*request.meta.get(CHAIN_KEY, ()), prior]
        request.meta[FP_KEY] = fp
        data = pickle.dumps(request.to_dict(spider=self.spider), protocol=pickle.HIGHEST_PROTOCOL)
        added = self.frontier.add(fp, request.url, request.priority, data, force=request.dont_filter)
        if not added:
            self.frontier.done(*request.meta.get(CHAIN_KEY, ()))  # redirected to a page already known
            self._stat("dropped")
        return added

    def next_request(self) -> Request | None:
        assert self.frontier is not None
        popped = self.frontier.pop()
        if popped is None:
            return None
        fp, data, response = popped
        request = request_from_dict(pickle.loads(data), spider=self.spider)
        request.meta[FP_KEY] = fp
        if response is not None:
            request.meta[KEPT_KEY] = response
        return request

    def _stat(self, what: str, count: int = 1) -> None:
        if self.crawler.stats is not None and count:
            self.crawler.stats.inc_value(f"qltt/frontier/{what}_count", count)


class FrontierResponses:
    """Downloader middleware (keep it next to the downloader, e.g. order 990): keeps each response of a job's
    request on its frontier row, and answers a resumed request from the row instead of fetching it again.
    Inert without a frontier. Stats: ``qltt/frontier/response_replayed_count``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierResponses:
        return cls(crawler)

    def process_request(self, request: Request) -> Response | None:
        kept = request.meta.pop(KEPT_KEY, None)
        if kept is None or _frontiers.get(self.crawler) is None:
            return None
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("qltt/frontier/response_replayed_count")
        fields = pickle.loads(kept)
        cls = load_object(fields.pop("cls"))
        return cls(request=request, flags=[*fields.pop("flags"), FROM_FRONTIER], **fields)

    def process_response(self, request: Request, response: Response) -> Response:
        frontier = _frontiers.get(self.crawler)
        fp = request.meta.get(FP_KEY)
        if frontier is not None and fp is not None and FROM_FRONTIER not in response.flags:
            fields = {"cls": f"{type(response).__module__}.{type(response).__qualname__}", "url": response.url,
                      "status": response.status, "headers": {k: list(v) for k, v in response.headers.items()},
                      "body": response.body, "flags": list(response.flags), "protocol": response.protocol}
            frontier.keep_response(fp, pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL))
        return response


@dataclass
class _Page:
    fps: tuple[str, ...]  # the request's fingerprint and those of the requests redirected to it
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
        return self.pages.setdefault(id(response), _Page((fp, *response.meta.get(CHAIN_KEY, ())), response))

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
            # request_scheduled fires just before the child is queued: mark the parent done after that.
            # (The reactor is asyncio's: TWISTED_REACTOR in crawler/settings.py.)
            asyncio.get_running_loop().call_soon(self._mark_done, page.fps)

    def _mark_done(self, fps: tuple[str, ...]) -> None:
        if frontier := _frontiers.get(self.crawler):
            frontier.done(*fps)
