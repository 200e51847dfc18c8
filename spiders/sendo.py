"""Sendo: keyword search with paging, product detail (the shop's phone is there) and shop catalogues, over the
plain-HTTP JSON APIs the site's own pages call.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import scrapy
from scrapy.http import Response

from crawler.items import GoneItem, ListingItem, SellerItem
from spiders.base import QlttSpider, listing_meta
from spiders.pages.sendo import SendoProductPage, SendoSearchPage, SendoShopPage

__all__ = ["SendoSpider", "url_key"]

_PRODUCT_PATH = re.compile(r"^/([\w-]+-(\d+))\.html$")
# The APIs answer the site's own pages; they expect to be called from www.sendo.vn.
HEADERS = {"Accept": "application/json", "Referer": "https://www.sendo.vn/", "Origin": "https://www.sendo.vn"}


def url_key(url: str) -> str | None:
    """``<slug>-<id>`` of a product URL (``https://www.sendo.vn/<slug>-<id>.html``), else None."""
    match = _PRODUCT_PATH.match(urlsplit(url).path)
    return match.group(1) if match else None


def shop_id(value: str) -> str | None:
    """The shop's ``seller_admin_id``: the argument itself, or the ``seller_admin_id=`` of a shop listing URL."""
    if value.isdigit():
        return value
    ids = parse_qs(urlsplit(value).query).get("seller_admin_id") or [""]
    return ids[0] if ids[0].isdigit() else None


class SendoSpider(QlttSpider):
    """Reads ``QLTT_SENDO_BASE_URL``: its domain holds the ``searchlist-api``, ``detail-api`` and ``shop-home`` hosts.

    ``shop`` is a shop's ``seller_admin_id`` (or a sendo.vn URL carrying it); ``url`` takes product URLs too.
    """

    name = "sendo"
    page_size = 60
    shop_page_size = 30
    # Sendo's edge answers a challenge page with 403: let it reach the page objects to be reported as a block.
    handle_httpstatus_list = [403]
    # Sendo answers plain clients but rate-limits bursts: a few parallel requests and a short randomised delay.
    custom_settings = {
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "DOWNLOAD_DELAY": 0.5,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 1.0,
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.track_id = str(uuid.uuid4())  # one per crawl, like one visit of the site

    def api(self, host: str) -> str:
        """``<scheme>://<host>.<domain>`` of one of Sendo's API hosts."""
        base = urlsplit(self.settings.get("QLTT_SENDO_BASE_URL"))
        domain = (base.hostname or "sendo.vn").removeprefix("www.")
        return f"{base.scheme}://{host}.{domain}"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for query in self.queries:
            yield self.search_request(query, 1)
        for url in self.urls:
            key, shop = url_key(url), shop_id(url)
            if key:
                yield self.detail_request(key)
            elif shop:
                yield self.shop_request(shop, 1)
            else:
                self.report(url, "không phải liên kết sản phẩm hoặc cửa hàng Sendo", "parse")
        for shop in self.shops:
            ident = shop_id(shop)
            if ident is None:
                self.report(shop, "cần mã cửa hàng Sendo (seller_admin_id)", "parse")
                continue
            yield self.shop_request(ident, 1)

    def search_request(self, query: str, page: int) -> scrapy.Request:
        url = (
            f"{self.api('searchlist-api')}/web/products?q={quote_plus(query)}&redirect=1&platform=web&page={page}"
            f"&size={self.page_size}&sortType=vasup_desc&search_type=&app_ver=2.43.0&track_id={self.track_id}"
        )
        return scrapy.Request(
            url, headers=HEADERS, callback=self.parse_search, errback=self.on_error,
            cb_kwargs={"page": page, "query": query},
        )

    def shop_request(self, shop: str, page: int) -> scrapy.Request:
        url = (
            f"{self.api('shop-home')}/api/v1/product/filter?limit={self.shop_page_size}&page={page}&platform=1"
            f"&seller_admin_id={shop}&sortType=vasup_desc"
        )
        return scrapy.Request(
            url, headers=HEADERS, callback=self.parse_shop, errback=self.on_error,
            cb_kwargs={"shop": shop, "page": page},
        )

    def detail_request(self, key: str, shop: str | None = None) -> scrapy.Request:
        """The product detail of ``<slug>-<id>``; a detail answering 404 marks the listing gone."""
        return scrapy.Request(
            f"{self.api('detail-api')}/full/{key}", headers=HEADERS, callback=self.parse_detail,
            errback=self.on_error, meta=listing_meta("sendo", key.rsplit("-", 1)[-1], shop),
        )

    def details(self, listings: list[ListingItem | SellerItem]) -> Iterator[scrapy.Request]:
        """The detail request of each listing of a search or shop page (the detail has the shop's facts)."""
        for listing in listings:
            if isinstance(listing, ListingItem) and (key := url_key(listing.url)):
                yield self.detail_request(key, listing.shop_id)

    def parse_search(self, response: Response, page: int, query: str) -> Iterator[scrapy.Request]:
        search = SendoSearchPage.from_response(response)
        listings = self.guarded(response, search.to_items)
        if not listings:  # blocked or unreadable (reported), or past the last page
            return
        yield from self.details(listings)
        next_page = search.next_page()
        if next_page and next_page <= self.max_pages:
            yield self.search_request(query, next_page)

    def parse_shop(self, response: Response, shop: str, page: int) -> Iterator[scrapy.Request]:
        catalogue = SendoShopPage.from_response(response)
        listings = self.guarded(response, catalogue.to_items)
        if not listings:
            return
        yield from self.details(listings)
        next_page = catalogue.next_page()
        if next_page and next_page <= self.max_pages:
            yield self.shop_request(shop, next_page)

    def parse_detail(self, response: Response) -> Iterator[ListingItem | SellerItem | GoneItem]:
        yield from self.items_from(SendoProductPage.from_response(response), response)
