"""Soak: memory of a long browser crawl. Renders N JavaScript pages of a generated sandbox site in chromium through
scrapy-playwright, set up as every browser spider is (``crawler.playwright``: house launch options, contexts
recycled after ``QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT`` pages, their pages closed first).

Usage: ``python bench/soak.py [--pages 2000] [--every 100] [--per-context N]``. Prints figures; never asserts.

Memory is the whole process tree: this Python process plus every chromium process under it, read from /proc
every ``--every`` pages. RSS sums count pages shared between chromium processes more than once; PSS (from
``smaps_rollup``) shares them out, so both are shown. The figure that matters is the last one against the one
after the first 200 pages (the browser and its first contexts warmed up): a leak grows it with every page; the
target is within 20 %.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")

import scrapy  # noqa: E402
from scrapy.crawler import CrawlerProcess  # noqa: E402
from scrapy.http import Response  # noqa: E402
from scrapy.settings import BaseSettings  # noqa: E402
from scrapy.utils.project import get_project_settings  # noqa: E402

from crawler.playwright import use_playwright  # noqa: E402
from crawler.sandbox.corpus import by_source  # noqa: E402
from crawler.sandbox.server import Reply, Request, Sandbox  # noqa: E402

HOST = "soak.test"
MiB = 1 << 20
WARM = 200


class SoakSite:
    """``/p/<n>``: a product page whose listing, reviews and related items are built by its script."""

    hosts: tuple[str, ...] = (HOST,)

    def __init__(self) -> None:
        self.rows = by_source("web") + by_source("tiki")

    def handle(self, request: Request) -> Reply | None:
        if not request.path.startswith("/p/"):
            return None
        n = int(request.path[3:])
        row = self.rows[n % len(self.rows)]
        data = {"n": n, "title": row["title"], "price": row.get("price") or 0,
                "description": (row.get("description") or "") * 4}
        script = (
            "const d = JSON.parse(document.getElementById('data').textContent);"
            "document.querySelector('h1').textContent = d.title + ' #' + d.n;"
            "document.querySelector('.price').textContent = d.price.toLocaleString('vi-VN') + ' ₫';"
            "document.querySelector('.desc').textContent = d.description;"
            "const ul = document.querySelector('ul');"
            "for (let i = 0; i < 200; i++) { const li = document.createElement('li');"
            " li.textContent = 'Đánh giá ' + i + ': ' + d.title; ul.appendChild(li); }"
            "const blob = new Array(20000).fill(d.n).join(',');"  # some garbage for the page's heap
            "document.body.dataset.size = blob.length;"
        )
        return Reply.html(
            "<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>Sản phẩm</title></head><body>"
            "<h1></h1><p class='price'></p><p class='desc'></p><ul></ul>"
            f"<script type='application/json' id='data'>{json.dumps(data, ensure_ascii=False)}</script>"
            f"<script>{script}</script></body></html>"
        )


@dataclass
class Sample:
    pages: int
    rss: int
    pss: int
    processes: int
    at: float


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes; (0, 0) when it is gone."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return 0, 0
    values = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in rollup[1:] if line.endswith("kB")}
    return values.get("Rss", 0), values.get("Pss", 0)


def tree_memory(root: int) -> tuple[int, int, int]:
    """(RSS sum, PSS sum, process count) of ``root`` and all its descendants."""
    tree, todo, seen = _children(), [root], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo.extend(tree.get(pid, []))
    rss = pss = 0
    for pid in seen:
        one_rss, one_pss = _memory(pid)
        rss, pss = rss + one_rss, pss + one_pss
    return rss, pss, len(seen)


class SoakSpider(scrapy.Spider):
    name = "soak"

    def __init__(self, pages: int = 2000, every: int = 100, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pages, self.every = int(pages), int(every)
        self.rendered = self.handled = 0
        self.samples: list[Sample] = []
        self.started = time.monotonic()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        use_playwright(settings)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.sample()
        for n in range(self.pages):
            yield scrapy.Request(f"http://{HOST}/p/{n}", meta={"playwright": True}, callback=self.parse,
                                 errback=self.failed)

    def parse(self, response: Response) -> None:
        if response.css("h1::text").get("").endswith(f"#{response.url.rsplit('/', 1)[1]}"):
            self.rendered += 1
        self.step()

    def failed(self, failure: Any) -> None:
        self.logger.warning("render failed: %s", failure.getErrorMessage())
        self.step()

    def step(self) -> None:
        self.handled += 1
        if self.handled % self.every == 0 or self.handled == WARM:
            self.sample(self.handled)

    def sample(self, pages: int = 0) -> None:
        rss, pss, processes = tree_memory(os.getpid())
        self.samples.append(Sample(pages, rss, pss, processes, time.monotonic() - self.started))
        print(f"{pages:5d} pages  RSS {rss / MiB:7.1f} MiB  PSS {pss / MiB:7.1f} MiB  {processes:2d} processes"
              f"  {time.monotonic() - self.started:6.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--per-context", type=int, default=None,
                        help="QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT (default: the setting's)")
    args = parser.parse_args()
    with Sandbox([SoakSite()]) as sandbox:
        settings = get_project_settings()
        overrides: dict[str, Any] = {"QLTT_PROXY": sandbox.proxy_url, "ITEM_PIPELINES": {}, "EXTENSIONS": {},
                                     "LOG_LEVEL": "WARNING", "CONCURRENT_REQUESTS": 8, "CLOSESPIDER_TIMEOUT": 0}
        if args.per_context:
            overrides["QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT"] = args.per_context
        settings.setdict(overrides, priority="cmdline")
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(SoakSpider)
        process.crawl(crawler, pages=args.pages, every=args.every)
        process.start()
    spider = crawler.spider
    assert isinstance(spider, SoakSpider) and crawler.stats is not None
    stats = crawler.stats.get_stats()
    warm = next((s for s in spider.samples if s.pages >= WARM), spider.samples[-1])
    end = spider.samples[-1]
    peak = max(spider.samples, key=lambda s: s.rss)
    elapsed = end.at - warm.at
    print()
    print(f"pages rendered: {spider.rendered} of {args.pages} ({stats.get('playwright/page_count', 0)} browser pages,"
          f" {stats.get('qltt/playwright/context_recycled_count', 0)} contexts recycled after"
          f" {settings.getint('QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT')} pages each,"
          f" {stats.get('qltt/playwright/page_crashed_count', 0)} failed renders)")
    print(f"RSS after {warm.pages} pages: {warm.rss / MiB:.1f} MiB (PSS {warm.pss / MiB:.1f} MiB)")
    print(f"RSS at the end ({end.pages} pages): {end.rss / MiB:.1f} MiB (PSS {end.pss / MiB:.1f} MiB)")
    print(f"ratio end / after {warm.pages}: RSS {end.rss / warm.rss:.2f}, PSS {end.pss / warm.pss:.2f}"
          f" (target ≤ 1.20); peak RSS {peak.rss / MiB:.1f} MiB at {peak.pages} pages")
    # One sample can fall while renderer processes come and go; the last five smooth that out.
    last = spider.samples[-5:]
    rss, pss = statistics.median(s.rss for s in last), statistics.median(s.pss for s in last)
    print(f"median of the last {len(last)} samples: RSS {rss / MiB:.1f} MiB ({rss / warm.rss:.2f}),"
          f" PSS {pss / MiB:.1f} MiB ({pss / warm.pss:.2f})")
    if elapsed > 0:
        print(f"throughput after warm-up: {(end.pages - warm.pages) / elapsed:.1f} pages/s")


if __name__ == "__main__":
    main()
