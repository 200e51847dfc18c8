"""Standalone shop websites: start URLs or domains, follow links within each site, read product pages.

The seller is the website itself (``web:<domain>``); its home page is also read for the facts a selling
website must publish.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from crawler.items import ListingItem, SellerItem
from spiders.base import QlttSpider, as_list
from spiders.pages.website import WebsiteProductPage, site_id

__all__ = ["WebsiteSpider"]

_SKIP = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|css|js|pdf|zip|mp4|woff2?)$|/(?:cart|gio-hang|checkout|login|dang-nhap|"
    r"account|tai-khoan|wp-admin)\b",
    re.IGNORECASE,
)


class WebsiteSpider(QlttSpider):
    """``url`` gives start pages; ``domain`` (repeatable) starts at ``https://<domain>/``.

    ``max_pages`` bounds the pages fetched per site (default 200).
    """

    name = "website"
    default_max_pages = 200
    custom_settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": 4, "DEPTH_LIMIT": 6}

    def __init__(self, *args: Any, domain: str | list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.urls += [f"https://{d.strip('/')}/" for d in as_list(domain)]
        self.pages_per_site: Counter[str] = Counter()

    @property
    def arguments(self) -> dict[str, Any]:
        return super().arguments

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            request = self.page_request(url)
            if request is not None:
                yield request
            home = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}/"
            if home != url and (request := self.page_request(home)) is not None:
                yield request

    def page_request(self, url: str) -> scrapy.Request | None:
        site = site_id(url)
        if self.pages_per_site[site] >= self.max_pages:
            return None
        self.pages_per_site[site] += 1
        return scrapy.Request(url, callback=self.parse, errback=self.on_error)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[ListingItem | SellerItem | scrapy.Request]:
        page = WebsiteProductPage(response.url, response.body, self._declared(response))
        if urlsplit(response.url).path in ("", "/"):
            yield page.seller()
        elif page.product():
            yield from self.items_from(page, response)
        for link in dict.fromkeys(page.links()):
            if not _SKIP.search(urlsplit(link).path) and (request := self.page_request(link)) is not None:
                yield request

    @staticmethod
    def _declared(response: Response) -> str | None:
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        match = re.search(r"charset=([\w-]+)", content_type)
        return match.group(1) if match else None
