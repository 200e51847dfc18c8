"""Full-page screenshots of plain-HTTP pages, rendered in Debian's chromium through Playwright.

Used by the evidence pipeline when ``QLTT_SCREENSHOTS=1`` for pages no browser rendered during the
crawl. One browser per crawl, started on the first screenshot and closed with the spider; every page
gets a fresh context (no cookies or storage carried between sources) and goes through ``QLTT_PROXY``.
"""

from __future__ import annotations

import logging
from typing import Any

from playwright.async_api import Browser, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from crawler.chromium import CHROMIUM, LAUNCH_ARGS

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "PageRenderer"]

logger = logging.getLogger(__name__)



class PageRenderer:
    """``await render(url)`` gives PNG bytes or None (logged) when the page cannot be rendered."""

    def __init__(self, proxy: str = "", timeout_ms: int = 30_000, max_bytes: int | None = None,
                 executable: str = CHROMIUM) -> None:
        self.proxy = proxy
        self.timeout_ms = timeout_ms
        self.max_bytes = max_bytes
        self.executable = executable
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    async def render(self, url: str) -> bytes | None:
        try:
            browser = await self._ensure_browser()
            context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
            try:
                page = await context.new_page()
                await page.goto(url, wait_until="load", timeout=self.timeout_ms)
                png = await page.screenshot(full_page=True, type="png", timeout=self.timeout_ms)
            finally:
                await context.close()
        except PlaywrightError as exc:
            logger.warning("screenshot of %s failed: %s", url, exc)
            return None
        if self.max_bytes is not None and len(png) > self.max_bytes:
            logger.warning("screenshot of %s dropped: %d bytes is over the limit", url, len(png))
            return None
        return png

    async def close(self) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()
        self._browser = self._playwright = None

    async def _ensure_browser(self) -> Browser:
        if self._browser is None:
            self._playwright = await async_playwright().start()
            options: dict[str, Any] = {"executable_path": self.executable, "headless": True, "args": LAUNCH_ARGS}
            if self.proxy:
                options["proxy"] = {"server": self.proxy}
            self._browser = await self._playwright.chromium.launch(**options)
        return self._browser
