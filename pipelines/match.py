"""Match each listing against the rule sets and watchlists; attach explained findings and risk."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

import rules
from crawler.config import split_paths
from crawler.items import ListingRecord

__all__ = ["MatchPipeline", "rules_view"]


def rules_view(record: ListingRecord) -> dict[str, Any]:
    """The listing as the engine reads it: the document with its seller embedded."""
    seller = record.seller or {}
    return record.doc | {
        "seller": {
            "id": seller.get("_id"),
            "name": seller.get("name"),
            # unknown stays unknown: a brand's list of official stores may then vouch for the seller
            "official": official if isinstance(official := seller.get("official"), bool) else None,
            "phones": seller.get("phones") or [],
            "location": seller.get("location"),
            "tax_codes": seller.get("tax_codes") or [],
            "emails": seller.get("emails") or [],
            "website": seller.get("website"),
        }
    }


class MatchPipeline:
    """Reads ``QLTT_RULES_DIR`` (extra rule sets) and ``QLTT_WATCHLISTS`` (extra CSVs, ':'-separated)."""

    def __init__(self, engine: rules.Engine, stats: StatsCollector | None = None) -> None:
        self.engine = engine
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MatchPipeline:
        engine = rules.load(extra_dirs=split_paths(crawler.settings.get("QLTT_RULES_DIR")),
                            watchlists=split_paths(crawler.settings.get("QLTT_WATCHLISTS")))
        return cls(engine, crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ListingRecord):
            return item
        assessment = self.engine.assess(rules_view(item))
        item.doc.update(
            findings=[f.to_dict() for f in assessment.findings],
            flag=assessment.flag,
            categories=assessment.categories,
            brand_canonical=assessment.brand,
            risk=assessment.risk,
        )
        if item.seller is not None:
            hits = sorted({f["rule_id"] for f in item.doc["findings"] if f["category"] == "watchlist"})
            if hits:
                item.seller["watchlist_hits"] = hits
        if self.stats is not None and assessment.flag:
            self.stats.inc_value("qltt/match/flagged_count")
            for category in assessment.categories:
                self.stats.inc_value(f"qltt/match/{category}_count")
        return item
