"""scrapy-redis's duplicate filter, one set per job: a page is fetched once per job, and again by the next job.

With scrapy-redis's single ``<spider>:dupefilter`` and ``SCHEDULER_PERSIST=True`` (needed so that the first
worker to stop does not wipe the shared queue), tonight's crawl would drop every page last night's crawl
fetched. Here the set is ``qltt:<spider>:seen:<job>`` and expires with the job (``JOB_TTL_S``), so each
job dedups like a local crawl does. Fingerprints are the crawler's (``REQUEST_FINGERPRINTER_*``).
"""

from __future__ import annotations

from redis import Redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy_redis.dupefilter import RFPDupeFilter

from crawler.distributed.jobs import JOB_TTL_S
from crawler.distributed.keys import JOB_KEY, Keys

__all__ = ["JobDupeFilter"]


class JobDupeFilter(RFPDupeFilter):
    def __init__(self, server: Redis, crawler: Crawler, keys: Keys, debug: bool = False) -> None:
        super().__init__(server, keys.seen("-"), debug)
        self.crawler = crawler
        self.keys = keys

    def request_seen(self, request: Request) -> bool:
        key = self.keys.seen(request.meta.get(JOB_KEY) or "-")
        with self.server.pipeline() as pipe:
            pipe.sadd(key, self.request_fingerprint(request))
            pipe.expire(key, JOB_TTL_S)
            added, _ = pipe.execute()
        return int(added) == 0

    def request_fingerprint(self, request: Request) -> str:
        assert self.crawler.request_fingerprinter is not None
        return self.crawler.request_fingerprinter.fingerprint(request).hex()
