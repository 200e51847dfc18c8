"""The tip desk: check a reported URL, recognise its source, crawl it, and keep what happened on the tip.

Every step is recorded on the tip (``received`` → ``refused`` | ``crawling`` → ``done`` | ``failed``)
with a Vietnamese reason, so a refused or uncrawlable tip is an answer, not an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crawler.exceptions import UnsafeURLError
from crawler.tips.redirects import Fetcher, follow_redirects
from crawler.tips.sources import Target, recognise
from crawler.urlsafety import Resolver
from storage.listings import ListingRepo
from storage.runs import RunRepo
from storage.tips import TipRepo

__all__ = ["Crawl", "TipDesk"]

log = logging.getLogger(__name__)

# (spider, arguments) -> (run id, final run status)
Crawl = Callable[[str, dict[str, Any]], tuple[str, str]]

# listings.source differs from the tip's source name for standalone websites.
LISTING_SOURCE = {"website": "web"}
MAX_LISTING_IDS = 200


@dataclass
class TipDesk:
    tips: TipRepo
    runs: RunRepo
    listings: ListingRepo
    crawl: Crawl
    spiders: Collection[str]
    resolve: Resolver | None = None
    fetch: Fetcher | None = None

    def submit(self, url: str, note: str, reporter: str | None = None) -> dict[str, Any]:
        """Take a tip through every step; returns the stored tip (see its ``status`` and ``reason``)."""
        tip_id = self.tips.add(url.strip(), note, reporter)
        try:
            final = follow_redirects(url, resolve=self.resolve, fetch=self.fetch)
        except UnsafeURLError as exc:
            self.tips.update(tip_id, status="refused", reason=f"Liên kết không an toàn — {exc}")
            return self._get(tip_id)
        except OSError as exc:
            self.tips.update(tip_id, status="failed", reason=f"Không truy cập được liên kết để kiểm tra: {exc}")
            return self._get(tip_id)
        target = recognise(final)
        self.tips.update(tip_id, final_url=final, source=target.source, kind=target.kind, spider=target.spider)
        if target.spider not in self.spiders:
            reason = (f"Chưa có bộ thu thập cho nguồn {target.source} ({target.kind}); "
                      "tin báo đã được lưu để xử lý sau.")
            self.tips.update(tip_id, status="failed", reason=reason)
            return self._get(tip_id)
        self.tips.update(tip_id, status="crawling")
        run_id, status = self.crawl(target.spider, target.arguments)
        ids = self._listing_ids(target, final, run_id)
        ok = status == "finished"
        self.tips.update(
            tip_id,
            status="done" if ok else "failed",
            run_id=run_id,
            listing_ids=ids,
            reason=None if ok else f"Lượt thu thập {run_id} kết thúc với trạng thái {status}.",
        )
        return self._get(tip_id)

    def _get(self, tip_id: str) -> dict[str, Any]:
        tip = self.tips.get(tip_id)
        assert tip is not None
        return tip

    def _listing_ids(self, target: Target, final_url: str, run_id: str) -> list[str]:
        """Listings of the tip's source the run saw, narrowed to the reported item or website."""
        run = self.runs.get(run_id) or {}
        if not run.get("started_at"):
            return []
        source = LISTING_SOURCE.get(target.source, target.source)
        seen = self.listings.find({"source": source, "last_seen": {"$gte": run["started_at"]}})
        if target.item_id:
            seen = [d for d in seen if str(d["_id"]).rsplit(":", 1)[-1] == target.item_id]
        elif target.kind == "website":
            host = (urlsplit(final_url).hostname or "").lower()
            seen = [d for d in seen if d.get("seller_id") == f"web:{host}"]
        return sorted(str(d["_id"]) for d in seen)[:MAX_LISTING_IDS]
