"""A tiny browser crawl of a one-site sandbox, run in a subprocess by tests/test_playwright_plumbing.py.

``python -m tests.playwright_probe PAGES PER_CONTEXT`` renders PAGES JavaScript pages plus one page that
never answers in time, with ``QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT=PER_CONTEXT``, and prints one JSON object:
the crawl's stats, the contexts scrapy-playwright still held when the spider closed, and the rendered texts.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.project import get_project_settings

from crawler.playwright import use_playwright
from crawler.sandbox.server import Reply, Request, Sandbox

HOST = "probe.test"
PAGE = "<html><body><p id='out'></p><script>document.getElementById('out').textContent = 'rendered ' + {n};</script>"


class ProbeSite:
    hosts: tuple[str, ...] = (HOST,)

    def handle(self, request: Request) -> Reply | None:
        if request.path == "/slow":
            time.sleep(3)  # longer than the probe's navigation timeout
            return Reply.html("<p>late</p>")
        if request.path.startswith("/p/"):
            return Reply.html(PAGE.format(n=int(request.path[3:])))
        return None


class ProbeSpider(scrapy.Spider):
    name = "probe"

    def __init__(self, pages: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pages = int(pages)
        self.texts: list[str] = []

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        use_playwright(settings)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for n in range(self.pages):
            yield scrapy.Request(f"http://{HOST}/p/{n}", meta={"playwright": True}, callback=self.parse)
        yield scrapy.Request(f"http://{HOST}/slow", meta={"playwright": True}, callback=self.parse,
                             errback=lambda failure: None)

    def parse(self, response: Response) -> None:
        self.texts.append(response.css("#out::text").get() or "")

    def closed(self, reason: str) -> None:
        handler = self.crawler.engine.downloader.handlers._get_handler("http")  # type: ignore[union-attr]
        self.crawler.stats.set_value("probe/open_contexts", sorted(handler.context_wrappers))  # type: ignore
        self.crawler.stats.set_value("probe/texts", sorted(self.texts))  # type: ignore[union-attr]


def main(pages: int, per_context: int) -> dict[str, Any]:
    with Sandbox([ProbeSite()]) as sandbox:
        settings = get_project_settings()
        settings.setdict({
            "QLTT_PROXY": sandbox.proxy_url,
            "QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT": per_context,
            "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 1500,
            "ITEM_PIPELINES": {},
            "EXTENSIONS": {},
            "LOG_LEVEL": "WARNING",
            "CONCURRENT_REQUESTS": 4,
        }, priority="cmdline")
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(ProbeSpider)
        process.crawl(crawler, pages=pages)
        process.start()
    assert crawler.stats is not None
    return crawler.stats.get_stats()


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2])), default=str))
