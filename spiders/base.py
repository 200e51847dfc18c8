"""What every qltt spider shares: the common arguments, evidence capture and failure reporting.

Arguments (``scrapy crawl X -a query=...`` or ``qltt crawl X --query ...``): ``query`` and ``url``
(repeatable; on the scrapy command line separate several with ``|``), ``shop``, ``max_pages``, ``since``.

A request for one listing's own page carries ``listing_meta(...)``; when that page answers 404/410 or
says the listing was removed (``ListingRemoved``), the spider yields a ``GoneItem`` instead of an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.exceptions import BlockedPage, ListingRemoved, PageError
from crawler.items import Capture, GoneItem, ListingItem, SellerItem
from crawler.signals import page_failed
from spiders.pages.base import Page

__all__ = ["QlttSpider", "as_list", "listing_meta"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
LISTING_META = "qltt_listing"
GONE_STATUSES = (404, 410)


def as_list(value: str | Iterable[str] | None) -> list[str]:
    """Spider arguments arrive as a list (qltt crawl) or a ``|``-separated string (scrapy crawl -a)."""
    if value is None:
        return []
    values = value.split("|") if isinstance(value, str) else list(value)
    return [v.strip() for v in values if v and v.strip()]


def listing_meta(source: str, item_id: str, shop_id: str | None = None) -> dict[str, Any]:
    """Request meta naming the listing a page shows, so a removed listing can be marked gone."""
    return {LISTING_META: {"source": source, "item_id": item_id, "shop_id": shop_id}}


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
        except ListingRemoved:
            raise  # items_from turns it into a GoneItem
        except BlockedPage as exc:
            self.report(response.url, exc.reason, "blocked", response.status)
        except PageError as exc:
            self.report(response.url, str(exc), "parse", response.status)
        return None

    def items_from(self, page: Page, response: Response) -> list[ListingItem | SellerItem | GoneItem]:
        """The page's items with the exchange attached as evidence, the ``GoneItem`` of a removed
        listing, or [] after reporting the failure."""
        try:
            items: list[ListingItem | SellerItem | GoneItem] = list(self.guarded(response, page.to_items) or [])
        except ListingRemoved as exc:
            return [*self.gone(response.url, response.meta, str(exc), response.status)]
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

    def gone(self, url: str, meta: Mapping[str, Any], reason: str, status: int | None) -> list[GoneItem]:
        """The ``GoneItem`` of the listing a request was for; a page not known as a listing is reported."""
        ref = meta.get(LISTING_META)
        if not ref:
            self.report(url, reason, "parse" if status == 200 else "http", status)
            return []
        logger.info("listing gone (%s): %s — %s", status, url, reason)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("qltt/page/gone_count")
        return [GoneItem(ref["source"], ref["item_id"], url, reason, ref.get("shop_id"))]

    def on_error(self, failure: Failure) -> list[GoneItem]:
        """Errback of every request: an HTTP error after retries, or a network failure.

        A listing's page answering 404/410 is not a failure: the listing was removed (``gone``).
        """
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            response = failure.value.response
            if response.status in GONE_STATUSES and request.meta.get(LISTING_META):
                return self.gone(request.url, request.meta, f"HTTP {response.status}", response.status)
            self.report(request.url, f"HTTP {response.status}", "http", response.status)
        else:
            self.report(request.url, failure.getErrorMessage() or repr(failure.value), "network")
        return []
