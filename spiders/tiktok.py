"""TikTok Shop: keyword search with paging and product pages, rendered in chromium.

TikTok Shop is a JavaScript application behind a web firewall and a slider captcha (SOURCES.md §5): the
spider lets chromium pass the firewall's script challenge, waits until the page holds its router data
(``__MODERN_ROUTER_DATA__``) or turns out to be a captcha / region block / login wall, and hands the rendered
HTML to the page objects. A shop's catalogue has no page object yet: ``shop`` is reported, not crawled.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote, unquote, urlsplit

import scrapy
from scrapy.http import Response

from crawler.items import GoneItem, ListingItem, SellerItem
from spiders.base import listing_meta
from spiders.browser import BrowserSpider, Watch, watch_of
from spiders.pages.tiktok import TiktokProductPage, TiktokSearchPage, tiktok_url

__all__ = ["TiktokSpider"]

READY_JS = (
    "!!document.getElementById('__MODERN_ROUTER_DATA__')"
    " || !!document.querySelector('[id*=captcha],[class*=captcha],#loginContainer,#login-modal')"
    " || /not available in this country|không có sẵn ở quốc gia/i.test(document.body ? document.body.innerText : '')"
)
# /shop/vn/pdp/<slug>/<id>, /shop/pdp/<slug>/<id>, /view/product/<id>, /@<shop>/product/<id>
_PRODUCT_PATH = re.compile(r"^/shop/(?:vn/)?pdp/[^/]+/(\d{6,})/?$|^/(?:view|@[^/]+)/product/(\d{6,})/?$")


class TiktokSpider(BrowserSpider):
    """Reads ``QLTT_TIKTOK_BASE_URL`` (and ``QLTT_PROXY`` for the browser); ``url`` takes product URLs."""

    name = "tiktok"
    # TikTok answers bursts with its captcha: one or two pages at a time, with a delay, AutoThrottle on.
    base_setting = "QLTT_TIKTOK_BASE_URL"
    custom_settings = {
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "DOWNLOAD_DELAY": 1.0,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 2.0,
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    }

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for query in self.queries:
            yield self.search_request(query, 0, 0)
        for url in self.urls:
            request = self.url_request(url)
            if request is None:
                self.report(url, "không phải liên kết sản phẩm TikTok Shop", "parse")
                continue
            yield request
        for shop in self.shops:
            self.report(shop, "chưa hỗ trợ theo dõi cửa hàng TikTok Shop (--shop); dùng --url hoặc --query", "spider")

    def url_request(self, url: str) -> scrapy.Request | None:
        parts = urlsplit(url if "://" in url else f"https://{url}")
        host = parts.hostname or ""
        if not (host == "tiktok.com" or host.endswith(".tiktok.com") or host == urlsplit(self.base).hostname):
            return None
        path = unquote(parts.path)
        match = _PRODUCT_PATH.match(path)
        if not match:
            return None
        if match.group(1):  # a product page URL already: keep its slug
            return self.product_request(path, match.group(1))
        return self.product_request(urlsplit(tiktok_url(None, match.group(2))).path, match.group(2))

    def search_request(self, query: str, offset: int, page: int) -> scrapy.Request:
        url = f"{self.base}/shop/vn/s/{quote(query)}" + (f"?offset={offset}" if offset else "")
        return self.render(url, self.parse_search, Watch(ready_js=READY_JS, screenshot=False),
                           cb_kwargs={"query": query, "page": page})

    def product_request(self, path: str, product_id: str) -> scrapy.Request:
        return self.render(f"{self.base}{quote(path)}", self.parse_product, Watch(ready_js=READY_JS),
                           meta=listing_meta("tiktok", product_id))

    def parse_search(self, response: Response, query: str, page: int) -> Iterator[scrapy.Request]:
        search = TiktokSearchPage.from_response(response)
        cards = self.guarded(response, search.cards)
        if cards is None:
            return
        for card in cards:
            product_id = str(card["product_id"])
            yield self.product_request(urlsplit(tiktok_url(card.get("title"), product_id)).path, product_id)
        offset = search.next_page()
        if offset and page + 1 < self.max_pages:
            yield self.search_request(query, offset, page + 1)

    def parse_product(self, response: Response) -> Iterator[ListingItem | SellerItem | GoneItem]:
        yield from self.rendered_items(TiktokProductPage.from_response(response), response, watch_of(response))
