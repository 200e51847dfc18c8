"""Jobs: a spider's arguments pushed to Redis, and, in every worker, one spider instance per job built from them.

A job is what ``qltt crawl`` would run locally (spider + query/url/shop/max_pages/since). The worker that
takes it runs that instance's own ``async def start()``, so the first requests are the ones a local crawl
makes; each request's callback is bound to its job's instance, and a request popped by another worker is
bound there to the same job's instance (built from the arguments kept in Redis). So ``max_pages``,
``since`` and every other argument hold per job, as in a local crawl. What a spider counts in memory
(Tiki's sellers already requested, pages per website) is counted per worker.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from scrapy import Request, Spider
from scrapy.crawler import Crawler

from crawler.distributed.keys import JOB_KEY, Keys

__all__ = ["JOB_TTL_S", "JobSpiders", "enqueue", "spider_class"]

logger = logging.getLogger(__name__)

JOB_TTL_S = 7 * 24 * 3600  # a job's arguments and duplicate filter outlive any crawl


def spider_class(name: str) -> type[Spider]:
    """The project's spider class called ``name``; ``KeyError`` when there is none."""
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")  # as run_spiders: from any folder
    return SpiderLoader.from_settings(get_project_settings()).load(name)  # type: ignore[no-any-return]


def enqueue(server: Redis, spider: str, arguments: dict[str, Any], source: str = "cli") -> str:
    """Queue a job for the workers of ``spider``; returns its id. The arguments must be JSON values."""
    job_id = uuid.uuid4().hex[:12]
    keys = Keys(spider)
    record = {"arguments": arguments, "source": source, "enqueued_at": datetime.now(UTC).isoformat()}
    with server.pipeline() as pipe:
        pipe.set(keys.job(job_id), json.dumps(record, ensure_ascii=False), ex=JOB_TTL_S)
        pipe.lpush(keys.jobs, job_id)
        pipe.execute()
    logger.info("job %s queued for %s: %s", job_id, spider, arguments)
    return job_id


class JobSpiders:
    """The spider instance of each job this worker has met; requests without a job use the crawler's spider."""

    def __init__(self, crawler: Crawler, server: Redis, keys: Keys) -> None:
        self.crawler = crawler
        self.server = server
        self.keys = keys
        self._spiders: dict[str, Spider] = {}
        self._jobs: dict[int, str] = {}  # id(spider instance) -> job id

    def get(self, job_id: str | None) -> Spider:
        """The job's spider, built on first use from the arguments the job was queued with."""
        assert self.crawler.spider is not None
        if job_id is None:
            return self.crawler.spider
        spider = self._spiders.get(job_id)
        if spider is None:
            spider = self._build(job_id)
        return spider

    def job_of(self, request: Request) -> str | None:
        """The job of a request: the one whose spider its callback belongs to, else the one it carries."""
        for method in (request.callback, request.errback):
            owner = getattr(method, "__self__", None)
            if owner is not None and id(owner) in self._jobs:
                return self._jobs[id(owner)]
        job_id = request.meta.get(JOB_KEY)
        return str(job_id) if job_id else None

    def _build(self, job_id: str) -> Spider:
        assert self.crawler.spider is not None
        raw = self.server.get(self.keys.job(job_id))
        if raw is None:
            logger.warning("job %s has no arguments in Redis (expired?): using the worker's spider", job_id)
            return self.crawler.spider
        arguments = json.loads(raw)["arguments"]
        spider = type(self.crawler.spider).from_crawler(self.crawler, **arguments)
        self._spiders[job_id] = spider
        self._jobs[id(spider)] = job_id
        return spider
