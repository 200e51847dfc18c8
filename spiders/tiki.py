"""Tiki: keyword search with paging, product detail, seller profile; plain HTTP JSON API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from crawler.items import GoneItem, ListingItem, SellerItem
from spiders.base import QlttSpider
from spiders.pages.tiki import TikiProductPage, TikiSearchPage, TikiSellerPage, parse_product_url

__all__ = ["TikiSpider"]


class TikiSpider(QlttSpider):
    """Reads ``QLTT_TIKI_BASE_URL`` and ``QLTT_TIKI_API_URL`` so it runs against tiki.vn or the sandbox."""

    name = "tiki"
    page_size = 40
    # Tiki answers bursts with 429: a few parallel requests, AutoThrottle, a small random delay.
    custom_settings = {
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 0.25,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 4,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen_sellers: set[str] = set()

    @property
    def base(self) -> str:
        return self.settings.get("QLTT_TIKI_BASE_URL").rstrip("/")

    @property
    def api(self) -> str:
        return self.settings.get("QLTT_TIKI_API_URL").rstrip("/")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for query in self.queries:
            yield self.search_request(query, 1)
        for url in self.urls:
            ref = parse_product_url(url)
            if ref is None:
                self.report(url, "không phải liên kết sản phẩm Tiki", "parse")
                continue
            yield self.product_request(*ref)
        for shop in self.shops:
            yield scrapy.Request(
                f"{self.api}/v2/seller/stores/{quote(shop)}/products?limit={self.page_size}&page=1",
                callback=self.parse_search,
                errback=self.on_error,
                cb_kwargs={"page": 1, "query": None, "shop": shop},
            )

    def search_request(self, query: str, page: int) -> scrapy.Request:
        url = (
            f"{self.base}/api/v2/products?limit={self.page_size}&include=advertisement&aggregations=2"
            f"&q={quote(query)}&page={page}"
        )
        return scrapy.Request(
            url, callback=self.parse_search, errback=self.on_error, cb_kwargs={"page": page, "query": query}
        )

    def product_request(self, product_id: str, spid: str | None) -> scrapy.Request:
        """Products go before the next search page: the queue holds one page of them, not the whole query's
        (at 100,000 listings that is the difference between ~40 queued requests and 100,000; bench/crawl.py)."""
        url = f"{self.base}/api/v2/products/{product_id}?platform=web" + (f"&spid={spid}" if spid else "")
        return scrapy.Request(url, callback=self.parse_product, errback=self.on_error, priority=1)

    def parse_search(
        self, response: Response, page: int, query: str | None, shop: str | None = None
    ) -> Iterator[scrapy.Request]:
        search = TikiSearchPage.from_response(response)
        refs = self.guarded(response, search.product_refs)
        if not refs:
            return
        for product_id, spid in refs:
            yield self.product_request(product_id, spid)
        next_page = search.next_page()
        if next_page and next_page <= self.max_pages:
            if query is not None:
                yield self.search_request(query, next_page)
            else:
                yield response.follow(
                    response.url.replace(f"page={page}", f"page={next_page}"),
                    callback=self.parse_search,
                    errback=self.on_error,
                    cb_kwargs={"page": next_page, "query": None, "shop": shop},
                )

    def parse_product(self, response: Response) -> Iterator[ListingItem | SellerItem | GoneItem | scrapy.Request]:
        items = self.items_from(TikiProductPage.from_response(response), response)
        yield from items
        for item in items:
            shop = item.shop_id if isinstance(item, ListingItem) else None
            if shop and shop not in self.seen_sellers:
                self.seen_sellers.add(shop)
                yield scrapy.Request(
                    f"{self.api}/product-detail/v2/widgets/seller?seller_id={shop}&platform=desktop&version=3",
                    callback=self.parse_seller,
                    errback=self.on_error,
                )

    def parse_seller(self, response: Response) -> Iterator[ListingItem | SellerItem | GoneItem]:
        page = TikiSellerPage(response.url, response.body, now=datetime.now(UTC))
        yield from self.items_from(page, response)
