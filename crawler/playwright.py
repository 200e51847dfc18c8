"""Browser rendering for the spiders that need it: scrapy-playwright turned on in one place, contexts recycled.

API:

- ``playwright_settings(proxy="", schemes=("http", "https"))`` → the settings a browser spider merges into its
  own: scrapy-playwright's download handler for those schemes, Debian's chromium with the house launch
  arguments, and the proxy (``QLTT_PROXY``; the sandbox is an HTTP proxy) given to the browser at launch.
  ``use_playwright(settings, schemes)`` merges them into a crawler's settings, reading ``QLTT_PROXY`` from those
  settings; call it from a spider's ``update_settings`` classmethod (``spiders.browser.BrowserSpider`` does),
  because the demo and the CLI pass the proxy as a settings override that a class-level ``custom_settings``
  cannot see. Pages open at once are bounded by ``PLAYWRIGHT_MAX_CONTEXTS`` / ``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT``
  (``crawler/settings.py``). A request is rendered only with ``meta={"playwright": True}``.
- ``ContextRecycler``, a downloader middleware (in the project settings; inert unless the crawler's download
  handler is scrapy-playwright's): long crawls in one browser context grow its memory without bound, so it
  names each rendered request's context by generation (``meta["playwright_context"] = "qltt-<n>"``), moves
  new requests to a fresh context after ``QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT`` pages, and closes the old context
  once every page given to it is done — its pages first, then the context. A request that names its own
  context is left alone.

Stats: ``qltt/playwright/context_recycled_count`` (old contexts closed) and ``qltt/playwright/page_crashed_count``
(renders that failed in the browser: a crashed page, a navigation timeout, a closed target — not network
errors), which the crawl-health monitor (``crawler.extensions.health``) compares with ``playwright/page_count``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import load_object
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.chromium import CHROMIUM, LAUNCH_ARGS

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "ContextRecycler", "playwright_settings", "use_playwright"]

logger = logging.getLogger(__name__)

HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
CONTEXT_PREFIX = "qltt-"
GENERATION_KEY = "qltt_playwright_generation"
# How long a retired context waits for pages a callback still holds (playwright_include_page) before closing them.
HELD_PAGE_GRACE_MS = 60_000


def playwright_settings(proxy: str = "", schemes: tuple[str, ...] = ("http", "https")) -> dict[str, Any]:
    """The settings that render ``meta={"playwright": True}`` requests of ``schemes`` in headless chromium.

    Each scheme's handler starts its own Playwright driver, so a spider that only ever requests one scheme
    (its base URL's) names just that one.
    """
    launch: dict[str, Any] = {"executable_path": CHROMIUM, "headless": True, "args": list(LAUNCH_ARGS)}
    if proxy:
        launch["proxy"] = {"server": proxy}
    return {
        "DOWNLOAD_HANDLERS": dict.fromkeys(schemes, HANDLER),
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch,
    }


def use_playwright(settings: BaseSettings, schemes: tuple[str, ...] = ("http", "https"),
                   priority: str = "spider") -> None:
    """Merge :func:`playwright_settings` into a crawler's settings, with the proxy those settings name."""
    settings.setdict(playwright_settings(settings.get("QLTT_PROXY") or "", schemes), priority=priority)


def _is_playwright_handler(path: Any) -> bool:
    try:
        handler = load_object(path) if isinstance(path, str) else path
    except (ImportError, NameError, ValueError):
        return False
    return isinstance(handler, type) and issubclass(handler, ScrapyPlaywrightDownloadHandler)


class ContextRecycler:
    """Reads ``QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT`` and ``PLAYWRIGHT_MAX_CONTEXTS``.

    A new generation is opened only while fewer than ``PLAYWRIGHT_MAX_CONTEXTS`` of ours are alive: a request
    for a context beyond that limit would wait on scrapy-playwright's context semaphore while holding its
    context lock, which the old context's last requests need — so until the old one closes, the current
    context keeps taking pages past its quota instead.
    """

    def __init__(self, crawler: Crawler, pages_per_context: int, max_contexts: int | None) -> None:
        self.crawler = crawler
        self.pages_per_context = max(pages_per_context, 1)
        self.max_contexts = max_contexts
        self.stats: StatsCollector | None = crawler.stats
        self.generation = 0
        self.assigned: Counter[int] = Counter()
        self.pending: Counter[int] = Counter()
        self.alive: set[int] = {0}
        self.retired: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContextRecycler:
        settings = crawler.settings
        if not any(_is_playwright_handler(path) for path in settings.getwithbase("DOWNLOAD_HANDLERS").values()):
            raise NotConfigured  # a spider without a browser: nothing to recycle (no reason, so no warning logged)
        return cls(
            crawler,
            settings.getint("QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT", 100),
            settings.getint("PLAYWRIGHT_MAX_CONTEXTS") or None,
        )

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        meta = request.meta
        if not meta.get("playwright") or ("playwright_context" in meta and GENERATION_KEY not in meta):
            return
        generation = self._current()
        meta["playwright_context"] = f"{CONTEXT_PREFIX}{generation}"
        meta[GENERATION_KEY] = generation
        self.assigned[generation] += 1
        self.pending[generation] += 1

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        self._done(request)
        return response

    def process_exception(self, request: Request, exception: BaseException, spider: Spider | None = None) -> None:
        if GENERATION_KEY in request.meta and isinstance(exception, PlaywrightError) \
                and "net::ERR_" not in str(exception):
            logger.warning("browser render failed: %s — %s", request.url, str(exception).splitlines()[0])
            self._count("page_crashed")
        self._done(request)

    def _current(self) -> int:
        full = self.assigned[self.generation] >= self.pages_per_context
        if full and (self.max_contexts is None or len(self.alive) < self.max_contexts):
            old = self.generation
            self.retired.add(old)
            self.generation += 1
            self.alive.add(self.generation)
            self._maybe_close(old)
        return self.generation

    def _done(self, request: Request) -> None:
        """Forget a finished request's context so a retry is placed afresh, and close a drained old context."""
        generation = request.meta.pop(GENERATION_KEY, None)
        if generation is None:
            return
        request.meta.pop("playwright_context", None)
        self.pending[generation] -= 1
        self._maybe_close(generation)

    def _maybe_close(self, generation: int) -> None:
        if generation in self.retired and self.pending[generation] <= 0:
            self.retired.discard(generation)
            task = asyncio.ensure_future(self._close(generation))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _close(self, generation: int) -> None:
        name = f"{CONTEXT_PREFIX}{generation}"
        handler = self._handler()
        wrapper = handler.context_wrappers.get(name) if handler else None
        try:
            if wrapper is not None:
                await asyncio.gather(*(_close_page(page) for page in list(wrapper.context.pages)))
                await wrapper.context.close()
                self._count("context_recycled")
                logger.debug("browser context %s closed after %d pages", name, self.assigned[generation])
        except PlaywrightError as exc:
            logger.warning("closing browser context %s failed: %s", name, exc)
        finally:
            self.alive.discard(generation)

    def _handler(self) -> ScrapyPlaywrightDownloadHandler | None:
        engine = self.crawler.engine
        if engine is None:
            return None
        # Scrapy has no public lookup of a scheme's handler; _get_handler is the one its downloader uses.
        handler = engine.downloader.handlers._get_handler("http")
        return handler if isinstance(handler, ScrapyPlaywrightDownloadHandler) else None

    def _count(self, what: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"qltt/playwright/{what}_count")


async def _close_page(page: Page) -> None:
    """Wait for a page a callback still holds to be closed by it; close it if it outstays the grace period."""
    if page.is_closed():
        return
    try:
        await page.wait_for_event("close", timeout=HELD_PAGE_GRACE_MS)
    except PlaywrightError:
        if not page.is_closed():
            await page.close()
