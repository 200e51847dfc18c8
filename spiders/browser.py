"""What browser-driven spiders share: render a page in chromium, keep the site's own API answers it fetched.

``BrowserSpider.render(url, callback, watch)`` asks scrapy-playwright for the page (``crawler.playwright``
switches the download handler on for the spider). A ``Watch`` says which API answers (path prefixes) to keep
and when the page is done: once the answers in ``wait_for`` arrived, or as soon as the JavaScript condition
``ready_js`` holds (the page's data is in the DOM, or it turned out to be a block page) — whichever comes
first, bounded by ``timeout_s``. The callback gets the rendered HTML as the response and
``api_answer(response, path)``, the last kept answer under ``path`` as a Scrapy response, which page objects
read like any other response; ``rendered_items`` attaches the page's screenshot to the evidence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import scrapy
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page as BrowserPage
from playwright.async_api import Response as BrowserResponse
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy_playwright.page import PageMethod

from crawler.items import GoneItem, ListingItem, SellerItem
from crawler.playwright import use_playwright
from spiders.base import QlttSpider
from spiders.pages.base import Page

__all__ = ["Answer", "BrowserSpider", "Watch", "api_answer", "watch_of"]

logger = logging.getLogger(__name__)

WATCH_META = "qltt_watch"
CONTEXT_KWARGS = {
    "locale": "vi-VN",
    "timezone_id": "Asia/Ho_Chi_Minh",
    "viewport": {"width": 1280, "height": 900},
    "service_workers": "block",
}
# Headers the browser transport adds or that describe the old encoding of a body we hold decoded.
_DROP_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


@dataclass
class Answer:
    """One API exchange the page made, as the browser saw it."""

    url: str
    status: int
    method: str
    request_headers: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def response(self, meta: dict[str, Any] | None = None) -> TextResponse:
        """The exchange as a Scrapy response, so page objects and evidence capture take it as it is; ``meta``
        is the rendered page's (what the page was requested for, e.g. the listing it shows)."""
        request = scrapy.Request(self.url, method=self.method, headers=self.request_headers, meta=meta)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _DROP_HEADERS}
        return TextResponse(self.url, status=self.status, headers=headers, body=self.body, request=request,
                            encoding="utf-8")


@dataclass
class Watch:
    """What to keep from a rendered page and when it is done (see the module docstring)."""

    api_paths: tuple[str, ...] = ()
    wait_for: tuple[str, ...] = ()
    ready_js: str = "false"
    timeout_s: float = 15.0
    screenshot: bool = True
    answers: list[Answer] = field(default_factory=list)
    png: bytes | None = None

    def keeps(self, url: str) -> str | None:
        path = urlsplit(url).path
        return next((prefix for prefix in self.api_paths if path.startswith(prefix)), None)

    async def on_response(self, response: BrowserResponse) -> None:
        """Page ``response`` handler: read the body of a kept API answer while the page is alive."""
        if not self.keeps(response.url):
            return
        try:
            body = await response.body()
            request_headers = await response.request.all_headers()
            headers = await response.all_headers()
        except PlaywrightError as exc:  # the page went away first
            logger.debug("API answer %s not read: %s", response.url, exc)
            return
        self.answers.append(Answer(response.url, response.status, response.request.method,
                                   request_headers, headers, body))

    def arrived(self) -> bool:
        kept = {self.keeps(answer.url) for answer in self.answers}
        return bool(self.wait_for) and all(path in kept for path in self.wait_for)

    def last(self, path: str) -> Answer | None:
        """The last kept answer under ``path``, or None when the page made none."""
        found = [a for a in self.answers if urlsplit(a.url).path.startswith(path)]
        return found[-1] if found else None


async def settle(page: BrowserPage, watch: Watch) -> None:
    """Page method run after navigation: wait until the page is done, then take its screenshot."""
    waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(page.wait_for_function(watch.ready_js, polling=100,
                                                                                       timeout=0))]
    if watch.wait_for:
        waiters.append(asyncio.ensure_future(_arrival(watch)))
    done, pending = await asyncio.wait(waiters, timeout=watch.timeout_s, return_when=asyncio.FIRST_COMPLETED)
    for waiter in pending:
        waiter.cancel()
    for waiter in done:
        if waiter.exception() is not None:  # e.g. the page navigated away while the condition was polled
            logger.debug("waiting on %s: %s", page.url, waiter.exception())
    if not done:
        logger.info("page %s not ready after %.0f s", page.url, watch.timeout_s)
    if watch.screenshot and not page.is_closed():
        try:
            watch.png = await page.screenshot(type="png", timeout=10_000)
        except PlaywrightError as exc:
            logger.info("no screenshot of %s: %s", page.url, exc)


async def fresh_watch(page: BrowserPage, request: scrapy.Request) -> None:
    """Page init callback: a retried render starts without the answers of the attempt before."""
    watch = request.meta.get(WATCH_META)
    if isinstance(watch, Watch):
        watch.answers.clear()
        watch.png = None


async def _arrival(watch: Watch) -> None:
    while not watch.arrived():
        await asyncio.sleep(0.05)


def watch_of(response: Response) -> Watch:
    """The ``Watch`` a rendered response was made with."""
    watch = response.meta.get(WATCH_META)
    assert isinstance(watch, Watch), "not a response of BrowserSpider.render"
    return watch


def api_answer(response: Response, path: str) -> TextResponse | None:
    """The rendered page's last API answer under ``path`` as a Scrapy response (with the page's meta)."""
    answer = watch_of(response).last(path)
    return answer.response(response.meta) if answer else None


class BrowserSpider(QlttSpider):
    """A spider whose pages are rendered in chromium (``crawler.playwright`` settings, with ``QLTT_PROXY``).

    ``base_setting`` names the setting with the site's base URL (``QLTT_SHOPEE_BASE_URL``): every request is
    built on it, so only its scheme gets the browser's download handler.
    """

    base_setting = ""

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        use_playwright(settings, schemes=(urlsplit(settings.get(cls.base_setting) or "https:").scheme or "https",))

    @property
    def base(self) -> str:
        return str(self.settings.get(self.base_setting)).rstrip("/")

    def render(self, url: str, callback: Callable[..., Any], watch: Watch, **kwargs: Any) -> scrapy.Request:
        """A request for ``url`` rendered in the browser, handed to ``callback`` with ``watch`` filled."""
        meta = {
            **kwargs.pop("meta", {}),
            "playwright": True,
            "playwright_context_kwargs": CONTEXT_KWARGS,
            "playwright_page_init_callback": "spiders.browser.fresh_watch",
            "playwright_page_event_handlers": {"response": watch.on_response},
            "playwright_page_methods": [PageMethod(settle, watch)],
            WATCH_META: watch,
        }
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, **kwargs)

    def rendered_items(self, page: Page, response: Response, watch: Watch) -> list[ListingItem | SellerItem | GoneItem]:
        """``items_from`` for a page read from a rendered response or one of its API answers, with the
        rendered page's screenshot added to the evidence."""
        items = self.items_from(page, response)
        for item in items:
            if isinstance(item, ListingItem) and item.capture is not None and watch.png is not None:
                item.capture.screenshot = watch.png
        return items
