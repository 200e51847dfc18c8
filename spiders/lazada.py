"""Lazada: keyword search with paging, product pages and stores, over plain HTTP.

Page 1 of a search is the HTML page embedding ``window.pageData``; later pages and a store's "All products"
tab are the same JSON asked for with ``ajax=true``, as the site's own script does. The slider-captcha
"punish" answer is recognised by the page objects and reported as a block.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote_plus, urlsplit

import scrapy
from scrapy.http import Response

from crawler.items import GoneItem, ListingItem, SellerItem
from spiders.base import QlttSpider, listing_meta
from spiders.pages.lazada import LazadaProductPage, LazadaSearchPage, LazadaStorePage

__all__ = ["LazadaSpider", "store_slug"]

_PRODUCT_PATH = re.compile(r"^/products/[^/]*-i(\d+)(?:-s\d+)?\.html$")
_STORE_PATH = re.compile(r"^/(?:shop/)?([\w-]+)/?$")
_SLUG = re.compile(r"[\w-]+")
XHR = {"Accept": "application/json, text/plain, */*", "X-Requested-With": "XMLHttpRequest"}
D = TypeVar("D")


def store_slug(value: str) -> str | None:
    """The store of a ``shop`` argument or URL: a slug, ``/shop/<slug>/`` or the ``/<slug>/?from=wangpu`` tab."""
    if "/" not in value:
        return value if _SLUG.fullmatch(value) else None
    parts = urlsplit(value if "//" in value else f"//{value}")
    match = _STORE_PATH.match(parts.path)
    is_tab = parse_qs(parts.query).get("from") == ["wangpu"]
    if match and (parts.path.startswith("/shop/") or is_tab) and match.group(1) not in {"catalog", "products"}:
        return match.group(1)
    return None


def filled(item: D, fallback: D) -> D:
    """``item`` with its empty fields taken from ``fallback`` (dicts merged, nested dataclasses filled too)."""
    for field in dataclasses.fields(item):  # type: ignore[arg-type]
        mine, theirs = getattr(item, field.name), getattr(fallback, field.name)
        if dataclasses.is_dataclass(mine) and dataclasses.is_dataclass(theirs):
            setattr(item, field.name, filled(mine, theirs))
        elif isinstance(mine, dict) and isinstance(theirs, dict):
            setattr(item, field.name, theirs | mine)
        elif mine is None or mine == []:
            setattr(item, field.name, theirs)
    return item


class LazadaSpider(QlttSpider):
    """Reads ``QLTT_LAZADA_BASE_URL`` so it runs against www.lazada.vn or the sandbox.

    ``shop`` is a store slug (the ``<slug>`` of ``https://www.lazada.vn/shop/<slug>/``) or that URL; ``url``
    takes product pages (``…-i<itemId>-s<skuId>.html``) and store URLs.
    """

    name = "lazada"
    # Alibaba's anti-bot answers bursts with the slider captcha: at most two requests at a time, a randomised
    # ~2 s delay between them, and AutoThrottle backing off further whenever Lazada slows down.
    custom_settings = {
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "DOWNLOAD_DELAY": 2.0,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 3.0,
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen_stores: set[str] = set()

    @property
    def base(self) -> str:
        return self.settings.get("QLTT_LAZADA_BASE_URL").rstrip("/")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for query in self.queries:
            yield self.search_request(query, 1)
        for url in self.urls:
            request = self.request_for(url)
            if request is None:
                self.report(url, "không phải liên kết sản phẩm hoặc cửa hàng Lazada", "parse")
                continue
            yield request
        for shop in self.shops:
            slug = store_slug(shop)
            if slug is None:
                self.report(shop, "không đọc được tên cửa hàng Lazada", "parse")
                continue
            yield self.store_request(slug, 1, catalogue=True)

    def request_for(self, url: str) -> scrapy.Request | None:
        """The request a pasted URL stands for: a product page, or page 1 of a store's catalogue."""
        slug = store_slug(url)
        return self.store_request(slug, 1, catalogue=True) if slug else self.product_request(url)

    def search_request(self, query: str, page: int) -> scrapy.Request:
        if page == 1:  # what a browser loads: the HTML page with window.pageData
            url, headers = f"{self.base}/catalog/?q={quote_plus(query)}&page=1", {}
        else:  # what the page's script asks for when paging
            url, headers = f"{self.base}/catalog/?ajax=true&page={page}&q={quote_plus(query)}", XHR
        return scrapy.Request(
            url, headers=headers, callback=self.parse_search, errback=self.on_error,
            cb_kwargs={"page": page, "query": query},
        )

    def store_request(self, slug: str, page: int, *, catalogue: bool) -> scrapy.Request:
        """A page of the store's "All products" tab; ``catalogue`` follows its products, else only its seller."""
        url = (
            f"{self.base}/{slug}/?ajax=true&from=wangpu&lang=vi&langFlag=vi&page={page}&pageTypeId=2&q=All-Products"
        )
        return scrapy.Request(
            url, headers=XHR, callback=self.parse_store, errback=self.on_error,
            cb_kwargs={"slug": slug, "page": page, "catalogue": catalogue},
        )

    def product_request(self, url: str, card: ListingItem | None = None) -> scrapy.Request | None:
        """The product page of a listing URL (None when it is not one); a page answering 404 marks it gone."""
        path = urlsplit(url).path
        match = _PRODUCT_PATH.match(path)
        if match is None:
            return None
        return scrapy.Request(
            f"{self.base}{path}", callback=self.parse_product, errback=self.on_error, cb_kwargs={"card": card},
            meta=listing_meta("lazada", match.group(1), card.shop_id if card else None),
        )

    def products(self, cards: list[ListingItem | SellerItem]) -> Iterator[scrapy.Request]:
        """The product page of each card of a listing page; the card goes along for what only it shows."""
        for card in cards:
            request = self.product_request(card.url, card) if isinstance(card, ListingItem) else None
            if request is not None:
                yield request

    def parse_search(self, response: Response, page: int, query: str) -> Iterator[scrapy.Request]:
        search = LazadaSearchPage.from_response(response)
        cards = self.guarded(response, search.to_items)
        if not cards:  # blocked or unreadable (reported), or no (more) results
            return
        yield from self.products(cards)
        next_page = search.next_page()
        if next_page and next_page <= self.max_pages:
            yield self.search_request(query, next_page)

    def parse_store(
        self, response: Response, slug: str, page: int, catalogue: bool
    ) -> Iterator[SellerItem | scrapy.Request]:
        store = LazadaStorePage.from_response(response)
        cards = self.guarded(response, store.to_items)
        if not cards:
            return
        seller = store.seller()
        if page == 1 and seller is not None:
            self.seen_stores.add(slug)
            yield seller
        if not catalogue:
            return
        yield from self.products(cards)
        next_page = store.next_page()
        if next_page and next_page <= self.max_pages:
            yield self.store_request(slug, next_page, catalogue=True)

    def parse_product(
        self, response: Response, card: ListingItem | None = None
    ) -> Iterator[ListingItem | SellerItem | GoneItem | scrapy.Request]:
        items = self.items_from(LazadaProductPage.from_response(response), response)
        for item in items:
            if not isinstance(item, ListingItem):
                yield item
                continue
            yield filled(item, card) if card else item
            slug = store_slug(item.seller.url) if item.seller and item.seller.url else None
            if slug and slug not in self.seen_stores:  # the store page tells its size, location, LazMall flag
                self.seen_stores.add(slug)
                yield self.store_request(slug, 1, catalogue=False)
