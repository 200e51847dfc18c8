"""Shopee: keyword search with paging, item detail and shop pages, rendered in chromium.

Shopee's ``/api/v4`` answers plain HTTP with 403 or ``{"error": 90309999}`` (SOURCES.md §1.5), so the spider
opens the site's own pages in a browser and keeps the API answers those pages fetch — search_items, pdp/get_pc,
shop/get_shop_detail, shop/search_items — for the page objects. A verification page or the 90309999 answer is
reported as ``blocked`` and gives no items.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import scrapy
from scrapy.http import Response, TextResponse

from crawler.items import GoneItem, ListingItem, SellerItem
from spiders.base import listing_meta
from spiders.browser import BrowserSpider, Watch, api_answer, watch_of
from spiders.pages.shopee import (
    ShopeeItemPage,
    ShopeeRenderedPage,
    ShopeeSearchPage,
    ShopeeShopPage,
    item_url,
)

__all__ = ["ShopeeSpider"]

SEARCH_API = "/api/v4/search/search_items"
ITEM_API = "/api/v4/pdp/get_pc"
SHOP_API = "/api/v4/shop/get_shop_detail"
SHOP_ITEMS_API = "/api/v4/shop/search_items"
# Done early when the page is a verification / login page or shows a captcha: no API call will come.
BLOCKED_JS = (
    "/^\\/(verify|buyer\\/login)/.test(location.pathname)"
    " || !!document.querySelector('[id*=captcha],[class*=captcha]')"
)
# A shop page stops after its detail call when the shop does not exist ("Shop không tồn tại").
SHOP_DONE_JS = BLOCKED_JS + " || /không tồn tại/i.test(document.body ? document.body.innerText : '')"
_ITEM_PATH = re.compile(r"-i\.(\d+)\.(\d+)/?$|^/product/(\d+)/(\d+)/?$")
_SHOP_PATH = re.compile(r"^/shop/(\d+)/?$|^/([A-Za-z0-9._]{3,40})/?$")
_NOT_SHOPS = {"search", "verify", "buyer", "cart", "user", "mall", "api", "daily_discover", "flash_sale"}

Item = ListingItem | SellerItem | GoneItem


class ShopeeSpider(BrowserSpider):
    """Reads ``QLTT_SHOPEE_BASE_URL`` (and ``QLTT_PROXY`` for the browser) so it runs against shopee.vn or the
    sandbox. ``shop`` takes a shop id or a username; ``url`` an item or shop URL."""

    name = "shopee"
    # Each page is a browser render with its own API calls, and Shopee blocks bursts with a verification page:
    # two pages at a time, a delay between them, AutoThrottle backing off when answers slow down.
    base_setting = "QLTT_SHOPEE_BASE_URL"
    custom_settings = {
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "DOWNLOAD_DELAY": 0.5,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 1.0,
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.5,
    }

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for query in self.queries:
            yield self.search_request(query, 0)
        for url in self.urls:
            request = self.url_request(url)
            if request is None:
                self.report(url, "không phải liên kết sản phẩm hoặc shop Shopee", "parse")
                continue
            yield request
        for shop in self.shops:
            yield self.shop_request(f"/shop/{shop}" if shop.isdigit() else f"/{quote(shop)}", 0)

    def url_request(self, url: str) -> scrapy.Request | None:
        """An item (``-i.<shop>.<item>``, ``/product/<shop>/<item>``) or shop (``/shop/<id>``, ``/<username>``)
        URL of shopee.vn, requested from the configured base."""
        parts = urlsplit(url if "://" in url else f"https://{url}")
        base_host = urlsplit(self.base).hostname
        if not parts.hostname or not (parts.hostname.endswith("shopee.vn") or parts.hostname == base_host):
            return None
        path = unquote(parts.path)
        if match := _ITEM_PATH.search(path):
            shop, item = match.group(1) or match.group(3), match.group(2) or match.group(4)
            return self.item_request(f"{self.base}{quote(path)}", shop, item)
        match = _SHOP_PATH.match(path)
        if match and match.group(2) not in _NOT_SHOPS:
            return self.shop_request(quote(path.rstrip("/")), 0)
        return None

    def search_request(self, query: str, page: int) -> scrapy.Request:
        url = f"{self.base}/search?keyword={quote(query)}" + (f"&page={page}" if page else "")
        watch = Watch(api_paths=(SEARCH_API,), wait_for=(SEARCH_API,), ready_js=BLOCKED_JS, screenshot=False)
        return self.render(url, self.parse_search, watch, cb_kwargs={"query": query, "page": page})

    def item_request(self, url: str, shop: str, item: str) -> scrapy.Request:
        watch = Watch(api_paths=(ITEM_API,), wait_for=(ITEM_API,), ready_js=BLOCKED_JS)
        return self.render(url, self.parse_item, watch, meta=listing_meta("shopee", item, shop))

    def shop_request(self, path: str, page: int) -> scrapy.Request:
        url = f"{self.base}{path}" + (f"?page={page}" if page else "")
        watch = Watch(api_paths=(SHOP_API, SHOP_ITEMS_API), wait_for=(SHOP_API, SHOP_ITEMS_API),
                      ready_js=SHOP_DONE_JS, screenshot=False)
        return self.render(url, self.parse_shop, watch, cb_kwargs={"path": path, "page": page})

    def parse_search(self, response: Response, query: str, page: int) -> Iterator[scrapy.Request]:
        answer = self.answer(response, SEARCH_API)
        if answer is None:
            return
        search = ShopeeSearchPage.from_response(answer)
        cards = self.guarded(answer, search.cards)
        if cards is None:  # the anti-bot answer, reported
            return
        yield from self.item_requests(cards)
        if search.next_page() is not None and page + 1 < self.max_pages:
            yield self.search_request(query, page + 1)

    def parse_shop(self, response: Response, path: str, page: int) -> Iterator[Item | scrapy.Request]:
        detail, listing = api_answer(response, SHOP_API), api_answer(response, SHOP_ITEMS_API)
        if detail is None and listing is None:
            self.guarded(response, ShopeeRenderedPage.from_response(response).to_items)
            return
        if detail is not None and page == 0:
            yield from self.items_from(ShopeeShopPage.from_response(detail), detail)
        if listing is None:
            return
        items = ShopeeSearchPage.from_response(listing)
        cards = self.guarded(listing, items.cards)
        if cards is not None:
            yield from self.item_requests(cards)
            if items.next_page() is not None and page + 1 < self.max_pages:
                yield self.shop_request(path, page + 1)

    def parse_item(self, response: Response) -> Iterator[Item]:
        answer = self.answer(response, ITEM_API)
        if answer is not None:
            yield from self.rendered_items(ShopeeItemPage.from_response(answer), answer, watch_of(response))

    def answer(self, response: Response, path: str) -> TextResponse | None:
        """The page's API answer under ``path``; without one the rendered page is reported (block or broken)."""
        answer = api_answer(response, path)
        if answer is None:
            self.guarded(response, ShopeeRenderedPage.from_response(response).to_items)
        return answer

    def item_requests(self, cards: list[dict[str, Any]]) -> Iterator[scrapy.Request]:
        """The item page of every card of a search or shop answer."""
        for card in cards:
            basic: dict[str, Any] = card.get("item_basic") or card
            shop, item = basic.get("shopid") or card.get("shopid"), basic.get("itemid") or card.get("itemid")
            if shop and item:
                path = urlsplit(item_url(basic.get("name"), shop, item)).path
                yield self.item_request(f"{self.base}{quote(path)}", str(shop), str(item))
