"""Facebook: public group and page feeds and single posts, read as m.facebook.com serves them (plain HTTP).

m.facebook.com still answers public feeds without a browser (SOURCES.md §6: facebook-scraper's method),
so no rendering is needed. Posts become ``social`` listings whose seller is the author (a page posts as
itself); phones and Zalo numbers written in the text are the seller's phones, and so its identity keys.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from crawler.items import GoneItem, ListingItem, SellerItem
from spiders.base import QlttSpider, listing_meta
from spiders.pages.facebook import FacebookGroupPage, FacebookPostPage, Target, parse_target

__all__ = ["FacebookSpider"]

Output = ListingItem | SellerItem | GoneItem | scrapy.Request


class FacebookSpider(QlttSpider):
    """Reads ``QLTT_FACEBOOK_BASE_URL`` (m.facebook.com, or the sandbox).

    ``url``: post permalinks, group or page links; ``shop``: a page or group id (or name); ``max_pages``:
    feed pages per group/page; ``since``: posts older than it are skipped and paging stops there.
    """

    name = "facebook"
    default_max_pages = 5
    # Facebook blocks an IP for a day after minutes of fast requests: one at a time, spaced out.
    custom_settings = {
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": 2.0,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 3.0,
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    }

    @property
    def arguments(self) -> dict[str, Any]:
        return super().arguments | {"since": self.since.isoformat() if self.since else None}

    @property
    def base(self) -> str:
        return self.settings.get("QLTT_FACEBOOK_BASE_URL").rstrip("/")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for ref in [*self.urls, *self.shops]:
            target = parse_target(ref)
            if target is None:
                self.report(ref, "không phải liên kết trang, nhóm hoặc bài viết Facebook", "parse")
            elif target.kind == "post":
                yield self.post_request(target)
            else:
                yield self.feed_request(self.base + target.path, 1)

    def post_request(self, target: Target) -> scrapy.Request:
        assert target.post_id is not None
        meta = listing_meta("facebook", target.post_id, target.feed)
        return scrapy.Request(self.base + target.path, callback=self.parse_post, errback=self.on_error, meta=meta)

    def feed_request(self, url: str, page: int) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_feed, errback=self.on_error, cb_kwargs={"page": page})

    def parse_feed(self, response: Response, page: int) -> Iterator[Output]:
        feed = FacebookGroupPage(response.url, response.body)
        posts = self.items_from(feed, response)
        yield from (post for post in posts if not self.too_old(post))
        if not posts or page >= self.max_pages or self.too_old(posts[-1]):
            return  # newest first: once the oldest post shown is before ``since``, the rest are too
        if next_page := feed.next_page():
            yield self.feed_request(self.rebase(next_page), page + 1)

    def parse_post(self, response: Response) -> Iterator[Output]:
        yield from self.items_from(FacebookPostPage(response.url, response.body), response)

    def too_old(self, item: object) -> bool:
        """A post published before ``since`` (a post without a time is kept)."""
        if self.since is None or not isinstance(item, ListingItem) or not item.posted_at:
            return False
        return datetime.fromisoformat(item.posted_at) < self.since

    def rebase(self, url: str) -> str:
        """A link the page wrote for m.facebook.com, on the configured base instead."""
        parts = urlsplit(url)
        return f"{self.base}{parts.path}" + (f"?{parts.query}" if parts.query else "")
