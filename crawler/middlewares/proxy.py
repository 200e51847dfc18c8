"""Send every request through ``QLTT_PROXY`` (a real proxy, or the sandbox in the demo and tests)."""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

__all__ = ["ProxyMiddleware"]


class ProxyMiddleware:
    """Reads ``QLTT_PROXY``; a request that already names a proxy in its meta keeps it."""

    def __init__(self, proxy: str) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProxyMiddleware:
        proxy = crawler.settings.get("QLTT_PROXY")
        if not proxy:
            raise NotConfigured("QLTT_PROXY is empty")
        return cls(proxy)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        request.meta.setdefault("proxy", self.proxy)
