"""What an idle worker does: recover dead workers' requests, run the next queued job's ``start()``, or wait.

Scrapy signals ``spider_idle`` while the engine has nothing to do (the feed has it look again every
``POLL_S``). The feed keeps the worker open (``DontCloseSpider``) as long as there may be work — queued
jobs or requests, a job being expanded, requests in flight at another worker (they lead to more
requests, or come back if it dies) — and closes it after ``idle_close`` seconds without any (0 = never:
a worker waits for jobs).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro

from crawler.distributed.jobs import JobSpiders
from crawler.distributed.queue import Workers, text

__all__ = ["JobFeed"]

logger = logging.getLogger(__name__)

POLL_S = 1.0  # how often an idle worker looks at the shared queue


class JobFeed:
    """Stats: ``qltt/worker/{jobs,job_failed,recovered,recovered_jobs}_count``.

    ``settle()`` acknowledges this worker's finished requests (the scheduler's).
    """

    def __init__(self, crawler: Crawler, workers: Workers, settle: Callable[[], None], spiders: JobSpiders,
                 idle_close: float) -> None:
        self.crawler = crawler
        self.workers = workers
        self.settle = settle
        self.spiders = spiders
        self.idle_close = idle_close
        self._expanding: str | None = None
        self._idle_since: float | None = None
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    def busy(self) -> None:
        """This worker got work: the idle clock starts again when it runs out."""
        self._idle_since = None

    def spider_idle(self) -> None:
        self.settle()
        if self._keep_open():
            # Scrapy looks again in 5 s; sooner, so that work queued by others is taken up at once.
            slot = getattr(self.crawler.engine, "_slot", None)
            if slot is not None:
                slot.nextcall.schedule(POLL_S)
            raise DontCloseSpider

    def _keep_open(self) -> bool:
        """Is there work, or may some still come (see the module docstring)?"""
        if self._expanding is not None:
            return True
        requests, jobs = self.workers.reap()
        self._count("recovered", requests)
        self._count("recovered_jobs", jobs)
        if self._take_job() or requests or jobs or self.workers.busy_elsewhere():
            self.busy()
            return True
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if self.idle_close <= 0 or now - self._idle_since < self.idle_close:
            return True
        logger.info("no work for %.0f s: the worker closes", now - self._idle_since)
        return False

    def _take_job(self) -> bool:
        keys = self.workers.keys
        raw = self.workers.server.lmove(keys.jobs, keys.expanding(self.workers.worker), "RIGHT", "LEFT")
        if raw is None:
            return False
        self._expanding = text(raw)
        deferred_from_coro(self._expand(self._expanding))
        return True

    async def _expand(self, job_id: str) -> None:
        """Schedule the requests of the job's own ``start()``; a job that fails is logged, not retried."""
        assert self.crawler.engine is not None
        scheduled = 0
        try:
            spider = self.spiders.get(job_id)
            logger.info("job %s: starting %s %s", job_id, spider.name, getattr(spider, "arguments", {}))
            async for request in spider.start():
                if isinstance(request, Request):
                    self.crawler.engine.crawl(request)
                    scheduled += 1
            self._count("jobs")
            logger.info("job %s: %d start requests scheduled", job_id, scheduled)
        except Exception:
            logger.exception("job %s failed after %d start requests", job_id, scheduled)
            self._count("job_failed")
        finally:
            self.workers.server.lrem(self.workers.keys.expanding(self.workers.worker), 1, job_id)
            self._expanding = None

    def _count(self, what: str, value: int = 1) -> None:
        if value and self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"qltt/worker/{what}_count", value)
