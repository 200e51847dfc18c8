"""The store pipeline writes listings in batches: what each listing would get alone, in far fewer round trips."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient, monitoring
from pymongo.database import Database
from scrapy.utils.test import get_crawler

from crawler.items import ListingRecord
from pipelines.store import BATCH_SIZE, StorePipeline

SELLER = {"_id": "tiki:7", "source": "tiki", "shop_id": "7", "name": "Cửa hàng 7"}


class _Commands(monitoring.CommandListener):
    """Counts write commands per (command, collection): what reached the database."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("insert", "update", "find"):
            self.seen[event.command_name, str(event.command[event.command_name])] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def watched(embedded_uri: str) -> Iterator[tuple[Database, _Commands]]:
    commands = _Commands()
    name = f"qltt_test_{uuid.uuid4().hex[:12]}"
    with MongoClient(embedded_uri, event_listeners=[commands], tz_aware=True) as client:
        try:
            yield client[name], commands
        finally:
            client.drop_database(name)


def _listing(n: int, price: int = 100_000) -> dict[str, Any]:
    return {"_id": f"tiki:7:{n}", "source": "tiki", "kind": "marketplace", "url": f"https://tiki.vn/p{n}",
            "title": f"Sữa bột {n}", "price": price, "currency": "VND", "seller_id": "tiki:7"}


def _crawl(pipeline: StorePipeline, docs: list[dict[str, Any]]) -> list[BaseException | None]:
    """Every listing through the pipeline at once, as Scrapy hands over the items of many responses."""

    async def run() -> list[BaseException | None]:
        records = [ListingRecord(doc=doc, seller=dict(SELLER)) for doc in docs]
        results = await asyncio.gather(*(pipeline.process_item(r) for r in records), return_exceptions=True)
        await pipeline.close_spider()
        return [r if isinstance(r, BaseException) else None for r in results]

    return asyncio.run(run())


def _counts(pipeline: StorePipeline) -> dict[str, int]:
    assert pipeline.stats is not None
    return {k.removeprefix("qltt/store/").removesuffix("_count"): v
            for k, v in pipeline.stats.get_stats().items() if k.startswith("qltt/store/listing_")}


def test_listings_arriving_together_share_round_trips(watched: tuple[Database, _Commands]) -> None:
    db, commands = watched
    n = BATCH_SIZE + 36
    pipeline = StorePipeline(db, stats=get_crawler().stats)
    assert _crawl(pipeline, [_listing(i) for i in range(n)]) == [None] * n
    assert db.listings.count_documents({}) == n
    assert _counts(pipeline) == {"listing_received": n, "listing_created": n}
    assert commands.seen["insert", "listings"] == 2  # one per batch, instead of one per listing
    assert commands.seen["update", "listings"] == 0
    assert commands.seen["update", "sellers"] == 1  # the same seller's sighting is written once

    commands.seen.clear()
    again = StorePipeline(db, stats=get_crawler().stats)
    docs = [_listing(i, price=90_000 if i == 5 else 100_000) for i in range(n)]
    assert _crawl(again, docs) == [None] * n
    assert _counts(again) == {"listing_received": n, "listing_unchanged": n - 1, "listing_updated": 1}
    assert commands.seen["insert", "listings"] == 0
    assert commands.seen["update", "listings"] == 2  # per batch: last_seen of the unchanged, and the change
    changed = db.listings.find_one({"_id": "tiki:7:5"})
    assert changed is not None and [p["price"] for p in changed["price_history"]] == [100_000, 90_000]


def test_a_malformed_listing_fails_alone(watched: tuple[Database, _Commands]) -> None:
    db, _ = watched
    docs = [_listing(0), {**_listing(1), "_id": ""}, _listing(2)]
    errors = _crawl(StorePipeline(db, stats=get_crawler().stats), docs)
    assert errors[0] is None and errors[2] is None
    assert isinstance(errors[1], ValueError) and "_id" in str(errors[1])
    assert sorted(d["_id"] for d in db.listings.find()) == ["tiki:7:0", "tiki:7:2"]


def test_a_lone_listing_is_not_kept_waiting_for_a_batch(watched: tuple[Database, _Commands]) -> None:
    db, _ = watched
    pipeline = StorePipeline(db)

    async def one() -> bool:
        await asyncio.wait_for(pipeline.process_item(ListingRecord(doc=_listing(1), seller=None)), timeout=5)
        return db.listings.find_one({"_id": "tiki:7:1"}) is not None

    assert asyncio.run(one())
