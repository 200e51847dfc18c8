"""Standalone shop websites: start URLs or domains, follow links within each site, read product pages.

The seller is the website itself (``web:<domain>``). Its home page, and the "Giới thiệu" / "Liên hệ"
page it links, are read first for the facts a selling website must publish (NĐ 52/2013/NĐ-CP as
amended by NĐ 85/2021/NĐ-CP); the site's seller and every listing then carry them as ``website`` facts,
so the matcher can raise ``website_compliance`` on the site's listings. A site crawled to the end
(every link followed, no page failed, the page budget not reached) yields a ``ShopCrawledItem``: its
stored listings this crawl did not see are no longer offered there.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from crawler.items import GoneItem, ListingItem, SellerItem, ShopCrawledItem
from spiders.base import GONE_STATUSES, QlttSpider, as_list, listing_meta
from spiders.pages.compliance import WebsiteCompliancePage, merge_facts
from spiders.pages.website import WebsiteProductPage, site_id

__all__ = ["WebsiteSpider"]

Output = ListingItem | SellerItem | GoneItem | ShopCrawledItem | scrapy.Request

_SKIP = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|css|js|pdf|zip|mp4|woff2?)$|/(?:cart|gio-hang|checkout|login|dang-nhap|"
    r"account|tai-khoan|wp-admin)\b",
    re.IGNORECASE,
)
INFO_PAGES_MAX = 2


@dataclass
class SiteCrawl:
    """One website's progress in this crawl: its budget, what is in flight, and its compliance facts."""

    host: str
    home: str
    then: list[str] = field(default_factory=list)  # start URLs fetched once the facts are known
    seen: set[str] = field(default_factory=set)
    pending: int = 0
    truncated: bool = False
    failed: bool = False
    seller: SellerItem | None = None  # as the home page shows it
    facts: list[dict[str, Any]] = field(default_factory=list)
    info_pending: int = 0
    home_links: list[str] = field(default_factory=list)

    @property
    def website(self) -> dict[str, Any] | None:
        return merge_facts(self.facts) if self.facts else None


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
        self.sites: dict[str, SiteCrawl] = {}
        self.started = datetime.now(UTC)  # listings of a complete site not seen since then are missing

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            parts = urlsplit(url)
            home = f"{parts.scheme}://{parts.netloc}/"
            site = self.sites.setdefault(site_id(url), SiteCrawl(site_id(url), home))
            if url != home:
                site.then.append(url)
        for site in self.sites.values():
            if (request := self.page_request(site, site.home, self.parse_home)) is not None:
                yield request

    def page_request(self, site: SiteCrawl, url: str, callback: Any) -> scrapy.Request | None:
        """A request for a page of ``site`` not requested yet, within the site's page budget."""
        key = canonicalize_url(url)
        if key in site.seen:
            return None
        if len(site.seen) >= self.max_pages:
            site.truncated = True
            return None
        site.seen.add(key)
        site.pending += 1
        path = urlsplit(url).path.rstrip("/") or "/"
        return scrapy.Request(url, callback=callback, errback=self.page_failed, cb_kwargs={"host": site.host},
                              meta=listing_meta("web", path, site.host))

    def parse_home(self, response: Response, host: str) -> Iterator[Output]:
        site = self.sites[host]
        page = WebsiteProductPage(response.url, response.body, self._declared(response))
        compliance = WebsiteCompliancePage(response.url, page.html)
        site.seller, site.home_links = page.seller(), page.links()
        site.facts.append(compliance.facts())
        if site.facts[0]["missing"]:
            for url in compliance.info_links()[:INFO_PAGES_MAX]:
                if (request := self.page_request(site, url, self.parse_info)) is not None:
                    site.info_pending += 1
                    yield request
        if not site.info_pending:
            yield from self.facts_known(site)
        yield from self.done(site)

    def parse_info(self, response: Response, host: str) -> Iterator[Output]:
        site = self.sites[host]
        page = WebsiteProductPage(response.url, response.body, self._declared(response))
        site.facts.append(WebsiteCompliancePage(response.url, page.html).facts())
        yield from self.info_done(site)
        yield from self.done(site)

    def info_done(self, site: SiteCrawl) -> Iterator[Output]:
        site.info_pending -= 1
        if not site.info_pending:
            yield from self.facts_known(site)

    def facts_known(self, site: SiteCrawl) -> Iterator[Output]:
        """The site's seller with its compliance facts; then its pages, now that listings can carry them."""
        if site.seller is not None:
            yield self.with_facts(site.seller, site)
        for url in [*site.then, *site.home_links]:
            yield from self.follow(site, url)

    def parse(self, response: Response, host: str, **kwargs: Any) -> Iterator[Output]:
        site = self.sites[host]
        page = WebsiteProductPage(response.url, response.body, self._declared(response))
        if page.product() or page.removed():
            for item in self.items_from(page, response):
                if isinstance(item, ListingItem) and item.seller is not None:
                    self.with_facts(item.seller, site)
                yield item
        for link in page.links():
            yield from self.follow(site, link)
        yield from self.done(site)

    def follow(self, site: SiteCrawl, url: str) -> Iterator[scrapy.Request]:
        if not _SKIP.search(urlsplit(url).path) and (request := self.page_request(site, url, self.parse)):
            yield request

    def page_failed(self, failure: Failure) -> Iterator[Output]:
        """A page that failed leaves the site incomplete, unless it was a listing's page answering 404/410."""
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        site = self.sites[request.cb_kwargs["host"]]
        status = getattr(getattr(failure.value, "response", None), "status", None)
        if status not in GONE_STATUSES or request.callback == self.parse_home:
            site.failed = True
        yield from self.on_error(failure)
        if request.callback == self.parse_home:
            yield from self.facts_known(site)  # no facts, but the start URLs are still worth reading
        elif request.callback == self.parse_info:
            yield from self.info_done(site)
        yield from self.done(site)

    def with_facts(self, seller: SellerItem, site: SiteCrawl) -> SellerItem:
        """The seller with the site's compliance facts, its e-mail and tax code kept as identity too."""
        facts = site.website
        if facts:
            seller.website = facts
            seller.phones += [facts["phone"]] if facts["phone"] and facts["phone"] not in seller.phones else []
            seller.emails += [facts["email"]] if facts["email"] else []
            seller.tax_codes += [facts["tax_code"]] if facts["tax_code"] else []
        return seller

    def done(self, site: SiteCrawl) -> Iterator[ShopCrawledItem]:
        """Count a page of ``site`` finished; the last one of a complete crawl says so."""
        site.pending -= 1
        if site.pending == 0 and not (site.truncated or site.failed):
            yield ShopCrawledItem("web", site.host, self.started)

    @staticmethod
    def _declared(response: Response) -> str | None:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        match = re.search(r"charset=([\w-]+)", content_type)
        return match.group(1) if match else None
