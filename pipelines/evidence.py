"""Keep the evidence of flagged listings: the exchange as a WARC blob, and a screenshot when there is one.

Runs after the store pipeline, so the listing it adds refs to exists. Blocking work (hashing, WARC
writing, files, PyMongo) runs in a thread; screenshots are rendered on the reactor's asyncio loop,
one at a time, so listings of one page share a single render. The capture is dropped from every
listing record here, flagged or not: bodies are large and nothing after this stage needs them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pymongo.errors import PyMongoError
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from crawler.exceptions import StorageError
from crawler.items import Capture, ListingRecord
from pipelines.screenshots import PageRenderer
from pipelines.store import database
from storage.evidence import BlobStore, EvidenceKeeper, evidence_root

__all__ = ["EvidencePipeline"]

logger = logging.getLogger(__name__)


class EvidencePipeline:
    """Reads ``QLTT_EVIDENCE_DIR``, ``QLTT_DATA_DIR``, ``QLTT_SCREENSHOTS``, ``QLTT_PROXY``, ``DOWNLOAD_MAXSIZE``."""

    def __init__(self, keeper: EvidenceKeeper, renderer: PageRenderer | None = None,
                 stats: StatsCollector | None = None) -> None:
        self.keeper = keeper
        self.renderer = renderer
        self.stats = stats
        self._render_lock = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EvidencePipeline:
        settings = crawler.settings
        max_body = settings.getint("DOWNLOAD_MAXSIZE") or None
        root = evidence_root(settings.get("QLTT_EVIDENCE_DIR"), settings.get("QLTT_DATA_DIR"))
        renderer = PageRenderer(settings.get("QLTT_PROXY") or "", max_bytes=max_body) \
            if settings.getbool("QLTT_SCREENSHOTS") else None
        return cls(EvidenceKeeper(database(crawler), BlobStore(root), max_body), renderer, crawler.stats)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ListingRecord):
            return item
        capture, item.capture = item.capture, None
        if capture is None or not item.doc.get("flag"):
            return item
        listing_id = item.doc["_id"]
        try:
            if await asyncio.to_thread(self.keeper.keep_warc, listing_id, capture):
                self._count("warc_kept")
            if capture.screenshot is not None or self.renderer is not None:
                await self._keep_screenshot(listing_id, capture)
        except (OSError, StorageError, PyMongoError) as exc:
            # The listing is stored already; a full disk or a lost database must not hide it.
            logger.error("evidence of %s not kept: %s", listing_id, exc)
            self._count("failed")
        return item

    async def close_spider(self) -> None:
        if self.renderer is not None:
            await self.renderer.close()

    async def _keep_screenshot(self, listing_id: str, capture: Capture) -> None:
        """The browser's own screenshot when the crawl had one, else a render of the captured URL."""
        async with self._render_lock:
            if await asyncio.to_thread(self.keeper.link, listing_id, "screenshot", capture):
                return
            png = capture.screenshot
            if png is None and self.renderer is not None:
                png = await self.renderer.render(capture.url)
            if png is None:
                self._count("screenshot_failed")
                return
            if self.keeper.max_body is not None and len(png) > self.keeper.max_body:
                self._count("screenshot_oversized")
                return
            if await asyncio.to_thread(self.keeper.keep_screenshot, listing_id, capture, png):
                self._count("screenshot_kept")

    def _count(self, what: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"qltt/evidence/{what}_count")
