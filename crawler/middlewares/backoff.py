"""Retries that wait: Scrapy's RetryMiddleware, but each retry of a 429/5xx or a network failure comes after a
pause — the ``Retry-After`` the server named, else ``base · 2^n`` with jitter — instead of at once.

Hammering a site that just said "too many requests" is what gets a crawler blocked; a ``Retry-After`` longer
than ``QLTT_RETRY_BACKOFF_MAX`` is not waited for (the request gives up and is reported) so one throttled
page cannot hold a crawl for an hour.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.response import response_status_message

__all__ = ["BackoffRetryMiddleware", "retry_after"]

logger = logging.getLogger(__name__)


def retry_after(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date); None when absent or invalid."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


class BackoffRetryMiddleware(RetryMiddleware):
    """Reads Scrapy's ``RETRY_*`` settings and ``QLTT_RETRY_BACKOFF_BASE`` / ``QLTT_RETRY_BACKOFF_MAX`` (seconds).

    Stats: ``qltt/backoff/wait_count`` and ``qltt/backoff/waited_s`` (total), and
    ``qltt/backoff/retry_after_too_long_count`` for requests given up on a Retry-After beyond the maximum.
    """

    def __init__(
        self, settings: BaseSettings, base: float, cap: float, jitter: Callable[[], float] = random.random
    ) -> None:
        super().__init__(settings)
        self.base = base
        self.cap = cap
        self.jitter = jitter

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        settings = crawler.settings
        middleware = cls(
            settings, settings.getfloat("QLTT_RETRY_BACKOFF_BASE"), settings.getfloat("QLTT_RETRY_BACKOFF_MAX")
        )
        middleware.crawler = crawler
        return middleware

    def backoff(self, attempt: int) -> float:
        """``base · 2^(attempt-1)``, plus up to half again of jitter so throttled clients do not retry in step."""
        return min(self.base * 2 ** (attempt - 1) * (1 + self.jitter() / 2), self.cap)

    def delay(self, attempt: int, header: bytes | str | None = None) -> float | None:
        """Seconds to wait before retry number ``attempt`` (1, 2, ...); None when Retry-After asks for too long."""
        asked = retry_after(header)
        if asked is None:
            return self.backoff(attempt)
        return asked if asked <= self.cap else None

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        attempt = request.meta.get("retry_times", 0) + 1
        wait = self.delay(attempt, response.headers.get(b"Retry-After"))
        if wait is None:
            logger.warning("not retrying %s: Retry-After %s exceeds %.0f s", request.url,
                           response.headers.get(b"Retry-After"), self.cap)
            self._inc("retry_after_too_long_count")
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await self._wait(wait, request)
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await self._wait(self.backoff(retry.meta["retry_times"]), request)
        return retry

    async def _wait(self, seconds: float, request: Request) -> None:
        logger.debug("waiting %.1f s before retrying %s", seconds, request.url)
        self._inc("wait_count")
        self._inc("waited_s", seconds)
        if seconds > 0:
            await asyncio.sleep(seconds)

    def _inc(self, key: str, value: Any = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"qltt/backoff/{key}", value)
