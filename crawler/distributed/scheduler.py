"""The worker's scheduler: scrapy-redis's, with a reliable queue, per-job spiders and duplicate filters, leases.

``qltt worker`` sets ``SCHEDULER`` to this class (``crawler.distributed.worker_settings``). Requests go to
the spider's shared queue in Redis; the worker takes them one at a time into its in-flight record.
A request is done when it leaves the engine's in-progress set: Scrapy removes it only after the
response went through the callback (or the failure through the errback), every item it gave came
out of the item pipelines and every request it gave was scheduled — or after a redirect was scheduled
in its place. Then its in-flight entry is deleted (checked before each pop, on every lease renewal and
when idle), so a worker that dies leaves behind exactly the requests it had not finished.
"""

from __future__ import annotations

import logging

from redis import Redis
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy_redis import connection
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from crawler.distributed.dupefilter import JobDupeFilter
from crawler.distributed.feed import JobFeed
from crawler.distributed.jobs import JobSpiders
from crawler.distributed.keys import JOB_KEY, Keys
from crawler.distributed.queue import ReliableQueue, Workers, worker_id
from crawler.frontier import FP_KEY

__all__ = ["WorkerScheduler"]

logger = logging.getLogger(__name__)


class WorkerScheduler(Scheduler):
    """Reads ``REDIS_URL`` (from ``QLTT_REDIS_URL``), ``QLTT_REDIS_LEASE_S`` and ``QLTT_WORKER_IDLE_CLOSE``.

    Stats: scrapy-redis's ``scheduler/{enqueued,dequeued}/redis``, ``qltt/worker/id`` and the feed's counts.
    """

    def __init__(self, crawler: Crawler, server: Redis, lease_s: float, idle_close: float) -> None:
        super().__init__(server, persist=True)
        self.crawler = crawler
        self.stats = crawler.stats
        self.lease_s = lease_s
        self.idle_close = idle_close
        self.worker = worker_id()
        self._taken: dict[str, Request] = {}  # fingerprint -> request this worker popped and has not finished
        self._beat: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerScheduler:
        settings = crawler.settings
        server = connection.from_settings(settings)
        server.ping()
        return cls(crawler, server, settings.getfloat("QLTT_REDIS_LEASE_S", 60.0),
                   settings.getfloat("QLTT_WORKER_IDLE_CLOSE", 0.0))

    def open(self, spider: Spider) -> None:
        self.spider = spider
        keys = Keys(spider.name)
        self.spiders = JobSpiders(self.crawler, self.server, keys)
        self.queue = ReliableQueue(self.server, spider, keys, self.worker, self.spiders.get)
        self.df = JobDupeFilter(self.server, self.crawler, keys, self.crawler.settings.getbool("DUPEFILTER_DEBUG"))
        self.workers = Workers(self.server, keys, self.worker, self.lease_s)
        self.feed = JobFeed(self.crawler, self.workers, self.settle, self.spiders, self.idle_close)
        self.workers.beat()
        self._beat = LoopingCall(self._renew)
        self._beat.start(self.lease_s / 3, now=False)
        if self.stats is not None:
            self.stats.set_value("qltt/worker/id", self.worker)
        logger.info("worker %s on %s: %d requests queued, lease %ss", self.worker, keys.prefix, len(self.queue),
                    self.lease_s)

    def close(self, reason: str) -> None:
        """A worker that finished has nothing in flight; one stopped early puts its unfinished requests back."""
        if self._beat is not None and self._beat.running:
            self._beat.stop()
        self.settle()
        requeued = self.workers.leave(requeue=reason != "finished")
        if requeued:
            logger.info("worker %s stopped (%s): %d unfinished requests back in the queue", self.worker, reason,
                        requeued)

    def enqueue_request(self, request: Request) -> bool:
        assert self.crawler.request_fingerprinter is not None
        request.meta[FP_KEY] = self.crawler.request_fingerprinter.fingerprint(request).hex()
        if job_id := self.spiders.job_of(request):
            request.meta[JOB_KEY] = job_id
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.queue.push(request)
        if self.stats is not None:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        self.settle()
        request = self.queue.pop()
        if request is not None:
            self._taken[request.meta[FP_KEY]] = request
            self.feed.busy()
            if self.stats is not None:
                self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def settle(self) -> None:
        """Delete the in-flight entries of the requests that left the engine (see the module docstring)."""
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        in_progress = slot.inprogress if slot is not None else set()
        done = [fp for fp, request in self._taken.items() if request not in in_progress]
        for fp in done:
            del self._taken[fp]
        self.queue.ack(*done)

    def _renew(self) -> None:
        try:
            self.workers.beat()
            self.settle()
        except Exception as exc:  # a Redis hiccup must not stop the heartbeat loop
            logger.warning("worker %s could not renew its lease: %s", self.worker, exc)
