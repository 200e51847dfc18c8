"""Distributed crawling on scrapy-redis: any number of ``qltt worker`` processes share one queue in Redis.

``qltt enqueue SPIDER --query ...`` (or the scheduler, when ``QLTT_REDIS_URL`` is set) queues a *job*;
an idle worker takes it and runs the spider's own ``start()`` with the job's arguments; every request
goes to the spider's shared queue and any worker may fetch it; all write to the same database. Each
worker is a run (trigger ``worker``). Layout of the Redis keys: ``crawler.distributed.keys``; the
reliable queue and leases: ``crawler.distributed.queue``; deployment: ``docs/DEPLOYMENT.md``.
"""

from __future__ import annotations

from typing import Any

from redis import Redis

from crawler.distributed.jobs import enqueue, spider_class

__all__ = ["connect", "enqueue", "spider_class", "worker_settings"]


def connect(url: str) -> Redis:
    """A Redis client with scrapy-redis's connection defaults (timeouts, retry on timeout)."""
    from scrapy_redis.connection import get_redis

    return get_redis(url=url)


def worker_settings(idle_close: float | None = None) -> dict[str, Any]:
    """Scrapy settings that turn a crawl into a worker on the shared queue (``REDIS_URL`` comes from settings).

    No ``CLOSESPIDER_TIMEOUT``: a worker runs until it is idle for ``idle_close`` seconds or is stopped.
    """
    settings: dict[str, Any] = {
        "SCHEDULER": "crawler.distributed.scheduler.WorkerScheduler",
        "SCHEDULER_PERSIST": True,  # scrapy-redis: never wipe the shared queue when one worker stops
        "QLTT_RUN_TRIGGER": "worker",
        "CLOSESPIDER_TIMEOUT": 0,
    }
    if idle_close is not None:
        settings["QLTT_WORKER_IDLE_CLOSE"] = idle_close
    return settings
