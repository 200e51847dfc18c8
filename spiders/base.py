"""What every qltt spider shares: the common arguments, evidence capture and failure reporting.

Arguments (``scrapy crawl X -a query=...`` or ``qltt crawl X --query ...``): ``query`` and ``url``
(repeatable; on the scrapy command line separate several with ``|``), ``shop``, ``max_pages``, ``since``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.exceptions import BlockedPage, PageError
from crawler.items import Capture, ListingItem, SellerItem
from crawler.signals import page_failed
from spiders.pages.base import Page

__all__ = ["QlttSpider", "as_list"]

logger = logging.getLogger(__name__)
T = TypeVar("T")


def as_list(value: str | Iterable[str] | None) -> list[str]:
    """Spider arguments arrive as a list (qltt crawl) or a ``|``-separated string (scrapy crawl -a)."""
    if value is None:
        return []
    values = value.split("|") if isinstance(value, str) else list(value)
    return [v.strip() for v in values if v and v.strip()]


class QlttSpider(scrapy.Spider):
    """Base spider: parses the shared arguments; subclasses navigate and hand responses to page objects."""

    default_max_pages = 3

    def __init__(
        self,
        query: str | list[str] | None = None,
        url: str | list[str] | None = None,
        shop: str | list[str] | None = None,
        max_pages: int | str | None = None,
        since: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.queries = as_list(query)
        self.urls = as_list(url)
        self.shops = as_list(shop)
        self.max_pages = int(max_pages) if max_pages else self.default_max_pages
        self.since = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None

    @property
    def arguments(self) -> dict[str, Any]:
        """The arguments as recorded on the run."""
        return {"query": self.queries, "url": self.urls, "shop": self.shops, "max_pages": self.max_pages}

    def guarded(self, response: Response, read: Callable[[], T]) -> T | None:
        """``read()`` of a page, or None after reporting a block page or a page that cannot be parsed."""
        try:
            return read()
        except BlockedPage as exc:
            self.report(response.url, exc.reason, "blocked", response.status)
        except PageError as exc:
            self.report(response.url, str(exc), "parse", response.status)
        return None

    def items_from(self, page: Page, response: Response) -> list[ListingItem | SellerItem]:
        """The page's items with the exchange attached as evidence, or [] after reporting the failure."""
        items = self.guarded(response, page.to_items) or []
        capture = self.capture(response)
        for item in items:
            if isinstance(item, ListingItem):
                item.capture = capture
        return items

    @staticmethod
    def capture(response: Response) -> Capture:
        request = response.request
        return Capture(
            url=response.url,
            status=response.status,
            request_headers={k.decode(): b", ".join(v).decode("latin-1") for k, v in request.headers.items()}
            if request
            else {},
            headers={k.decode(): b", ".join(v).decode("latin-1") for k, v in response.headers.items()},
            body=response.body,
            method=request.method if request else "GET",
            fetched_at=datetime.now(UTC),
        )

    def report(self, url: str, reason: str, kind: str, status: int | None = None) -> None:
        """Log a page that gave no items, count it, and tell the run recorder."""
        logger.warning("page failed (%s, %s): %s — %s", kind, status, url, reason)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"qltt/page/{kind}_count")
        self.crawler.signals.send_catch_log(page_failed, url=url, reason=reason, kind=kind, status=status)

    def on_error(self, failure: Failure) -> None:
        """Errback of every request: an HTTP error after retries, or a network failure."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            response = failure.value.response
            self.report(request.url, f"HTTP {response.status}", "http", response.status)
        else:
            self.report(request.url, failure.getErrorMessage() or repr(failure.value), "network")
