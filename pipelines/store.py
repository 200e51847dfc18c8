"""Idempotent upsert of listings and sellers; blocking PyMongo calls run off the reactor thread, and listings
arriving together are written together (``BATCH_SIZE``, ``BATCH_WAIT_S``).

When the database is unreachable or refuses a write, the item goes to the durable spool
(``storage.spool``) instead of being lost, and the pipeline keeps spooling without waiting on the
database again until ``QLTT_SPOOL_RETRY_S`` has passed; then it replays the spool and, if the
database took it, writes directly again. At the end of the crawl whatever is spooled is replayed
once more; what still cannot be written waits for the next ``qltt`` command or ``qltt spool replay``.
A ``GoneRecord`` marks its stored listing gone; it is not spooled (the next crawl notices the removal again).
A ``ShopCrawledRecord`` marks the shop's stored listings this crawl did not see ``missing``, at the end of
the crawl when every listing is written (and not at all after a crawl that had to spool).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from pymongo.database import Database
from pymongo.errors import PyMongoError
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

import storage
from crawler.exceptions import StorageError
from crawler.items import GoneRecord, ListingRecord, SellerRecord, ShopCrawledRecord
from storage.evidence import evidence_root
from storage.spool import Spool, for_directory

__all__ = ["StorePipeline", "database", "spool"]

logger = logging.getLogger(__name__)
# Listings are written in batches (one read and one bulk write each, instead of a round trip per listing,
# which cost more of the crawl's time than anything else in the pipeline): a batch goes when it holds
# BATCH_SIZE listings or its first listing has waited BATCH_WAIT_S, so a slow crawl still stores at once.
BATCH_SIZE = 64
BATCH_WAIT_S = 0.05
_databases: WeakKeyDictionary[Crawler, Database] = WeakKeyDictionary()  # per crawl: see ``database``


def database(crawler: Crawler) -> Database:
    """The crawl's database from its settings (one PyMongo client per process, cached by storage).

    A database that cannot be reached as the crawl starts does not stop the crawl: its components get the
    same (lazy) client, their writes fail and go to the spool like those of a database lost mid-crawl, and
    are replayed when it is back. It is asked once per crawl, not once per component.
    """
    db = _databases.get(crawler)
    if db is not None:
        return db
    settings = crawler.settings
    where = {"data_dir": settings.get("QLTT_DATA_DIR"), "db_name": settings.get("QLTT_DB_NAME")}
    try:
        db = storage.connect(settings.get("QLTT_MONGO_URI") or None, **where)
    except StorageError as exc:
        logger.warning("%s; the crawl goes on and its writes are spooled", exc)
        db = storage.connect(settings.get("QLTT_MONGO_URI") or None, **where, verify=False)
    _databases[crawler] = db
    return db


def spool(crawler: Crawler) -> Spool:
    """The crawl's spool, ``<QLTT_DATA_DIR>/spool`` (shared with the run recorder)."""
    data_dir = crawler.settings.get("QLTT_DATA_DIR") or "var"
    return for_directory(Path(data_dir) / "spool", evidence_root(crawler.settings.get("QLTT_EVIDENCE_DIR"), data_dir))


class StorePipeline:
    """Reads ``QLTT_MONGO_URI``, ``QLTT_DATA_DIR``, ``QLTT_DB_NAME``, ``QLTT_PRICE_HISTORY_MAX``,
    ``QLTT_SPOOL_RETRY_S`` and ``QLTT_HEALTH_REQUIRED_FIELDS`` (counted as ``empty_<field>`` stats)."""

    def __init__(self, db: Database, price_history_max: int = 50, stats: StatsCollector | None = None,
                 spool: Spool | None = None, retry_s: float = 30.0,
                 required_fields: tuple[str, ...] = ()) -> None:
        self.db = db
        self.history_max = price_history_max
        self.listings = storage.ListingRepo(db, price_history_max=price_history_max)
        self.sellers = storage.SellerRepo(db)
        self.stats = stats
        self.spool = spool
        self.retry_s = retry_s
        self.required_fields = required_fields
        self._failed_at: float | None = None  # monotonic time of the last failed write, None when healthy
        self._spooled = False
        self._replay_lock = threading.Lock()
        self._shops_crawled: list[ShopCrawledRecord] = []
        # writes run in worker threads, and Scrapy's stats ``inc_value`` is a read-then-write: unguarded,
        # two threads counting at once lose one (1 of 100,000 listings went uncounted)
        self._stats_lock = threading.Lock()
        self._batch: list[tuple[ListingRecord, asyncio.Future[None]]] = []
        self._batch_timer: asyncio.TimerHandle | None = None
        self._writing: set[asyncio.Task[None]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        required = tuple(f.strip() for f in settings.get("QLTT_HEALTH_REQUIRED_FIELDS", "").split(",") if f.strip())
        return cls(database(crawler), settings.getint("QLTT_PRICE_HISTORY_MAX"), crawler.stats, spool(crawler),
                   settings.getfloat("QLTT_SPOOL_RETRY_S", 30.0), required)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ShopCrawledRecord):
            self._shops_crawled.append(item)
            return item
        if isinstance(item, ListingRecord):
            self._check_fields(item.doc)
            await self._batched(item)
        else:
            await asyncio.to_thread(self._store_or_spool, [item])
        return item

    async def _batched(self, item: ListingRecord) -> None:
        """Wait until the batch holding ``item`` is written (or spooled); a listing of its own that cannot be
        written (no ``_id``) raises here, as it would alone."""
        done = asyncio.get_running_loop().create_future()
        self._batch.append((item, done))
        if len(self._batch) >= BATCH_SIZE:
            self._flush()
        elif self._batch_timer is None:
            self._batch_timer = asyncio.get_running_loop().call_later(BATCH_WAIT_S, self._flush)
        await done

    def _flush(self) -> None:
        if self._batch_timer is not None:
            self._batch_timer.cancel()
            self._batch_timer = None
        batch, self._batch = self._batch, []
        if batch:
            task = asyncio.ensure_future(self._write(batch))
            self._writing.add(task)
            task.add_done_callback(self._writing.discard)

    async def _write(self, batch: list[tuple[ListingRecord, asyncio.Future[None]]]) -> None:
        try:
            errors = await asyncio.to_thread(self._store_or_spool, [item for item, _ in batch])
        except Exception as exc:  # handed to every waiting item, where Scrapy logs it
            errors = [exc] * len(batch)
        for (_, done), error in zip(batch, errors, strict=True):
            if not done.done():
                done.set_result(None) if error is None else done.set_exception(error)

    async def open_spider(self) -> None:
        """Replay what earlier crawls left in the spool (a scheduled ``scrapy crawl`` runs no ``qltt`` command)."""
        if self.spool is not None and self.spool.pending():
            await asyncio.to_thread(self._replay)

    async def close_spider(self) -> None:
        """Replay what this crawl spooled, now that no more items come; then mark unseen listings missing."""
        self._flush()
        if self._writing:
            await asyncio.gather(*self._writing, return_exceptions=True)
        if self.spool is not None and self._spooled:
            await asyncio.to_thread(self._replay)
        if self._shops_crawled:
            await asyncio.to_thread(self._mark_missing)

    def _mark_missing(self) -> None:
        """Listings of a fully crawled shop that this crawl did not store are no longer offered there."""
        if self._spooled:
            logger.warning("not marking unseen listings missing: this crawl's writes went to the spool")
            return
        for shop in self._shops_crawled:
            try:
                marked = self.listings.mark_missing(shop.source, set(), shop.since, seller_id=shop.seller_id)
            except (StorageError, PyMongoError) as exc:
                logger.warning("unseen listings of %s not marked missing: %s", shop.seller_id, exc)
                return
            if marked["missing"]:
                logger.info("%d listings of %s no longer offered", marked["missing"], shop.seller_id)
                self._count("listing_missing", marked["missing"])

    def _store_or_spool(self, items: list[Any]) -> list[Exception | None]:
        """Store ``items`` (or spool them); per item, the error that is its own (a listing without ``_id``)."""
        if self.spool is None:
            return self._store(items)
        if self._failed_at is not None and not self._recovered():
            self._to_spool(items, "database still unavailable")
            return [None] * len(items)
        try:
            return self._store(items)
        except (StorageError, PyMongoError) as exc:
            self._failed_at = time.monotonic()
            self._to_spool(items, str(exc))
            return [None] * len(items)

    def _store(self, items: list[Any]) -> list[Exception | None]:
        listings = [item for item in items if isinstance(item, ListingRecord)]
        if len(listings) > 1:
            try:
                outcomes = self.listings.upsert_many([item.doc for item in listings])
            except ValueError:
                pass  # one of them is malformed: store each alone, so only that one fails
            else:
                for item, outcome in zip(listings, outcomes, strict=True):
                    self._stored(item, outcome)
                return [None] * len(items)
        errors: list[Exception | None] = []
        for item in items:
            try:
                self._store_one(item)
            except ValueError as exc:
                errors.append(exc)
            else:
                errors.append(None)
        return errors

    def _stored(self, item: ListingRecord, outcome: storage.Outcome) -> None:
        """Bookkeeping after a listing is written: its seller's sighting, and the counts."""
        if item.seller is not None:
            self.sellers.upsert(item.seller)
        self._count(f"listing_{outcome.value}")
        if outcome is storage.Outcome.CREATED and item.doc.get("flag"):
            self._count("flagged_new")

    def _store_one(self, item: Any) -> None:
        if isinstance(item, SellerRecord):
            self.sellers.upsert(item.doc)
            self._count("seller_upserted")
        elif isinstance(item, ListingRecord):
            self._stored(item, self.listings.upsert(item.doc))
        elif isinstance(item, GoneRecord) and self.listings.mark_gone(item.listing_id, item.reason):
            logger.info("listing gone: %s (%s)", item.listing_id, item.reason)
            self._count("listing_gone")

    def _to_spool(self, items: list[Any], reason: str) -> None:
        """Keep the writes on disk (one sync for the batch); items neither stored nor spooled are logged and
        counted as lost."""
        assert self.spool is not None
        entries: list[dict[str, Any]] = []
        kept: list[ListingRecord | SellerRecord] = []
        for item in items:
            if isinstance(item, ListingRecord):
                # A flagged listing's evidence is kept when it is replayed (the listing must exist first).
                capture = asdict(item.capture) if item.capture is not None and item.doc.get("flag") else None
                entries.append({"op": "listing", "doc": item.doc, "seller": item.seller, "capture": capture})
            elif isinstance(item, SellerRecord):
                entries.append({"op": "seller", "doc": item.doc})
            else:
                continue
            kept.append(item)
        if not entries:
            return
        try:
            self.spool.append_many(entries)
        except OSError as exc:
            for item in kept:
                logger.error("item LOST, neither stored (%s) nor spooled (%s): %s", reason, exc, _item_id(item))
            self._count("lost", len(kept))
            return
        for item in kept:
            if isinstance(item, ListingRecord):
                item.capture = None
        self._spooled = True
        logger.warning("spooled %s: %s", ", ".join(_item_id(item) for item in kept[:3])
                       + (f" and {len(kept) - 3} more" if len(kept) > 3 else ""), reason)
        self._count("spooled", len(kept))

    def _recovered(self) -> bool:
        """After ``retry_s``, replay the spool; True when the database took it (write directly again)."""
        assert self._failed_at is not None
        if time.monotonic() - self._failed_at < self.retry_s:
            return False
        with self._replay_lock:
            if self._failed_at is None:
                return True
            stopped = self._replay()
            self._failed_at = time.monotonic() if stopped else None
            return not stopped

    def _replay(self) -> bool:
        """Close our segment and replay everything replayable; True when the database went away again."""
        assert self.spool is not None
        self.spool.rotate()
        result = self.spool.replay(self.db, self.history_max)
        if self.stats is not None:
            self.stats.inc_value("qltt/spool/replayed_count", result.applied)
            self.stats.inc_value("qltt/spool/rejected_count", result.rejected)
            self.stats.set_value("qltt/spool/pending_count", result.pending)
        if result.pending:
            logger.warning("%d spooled writes wait for the database (qltt spool replay)", result.pending)
        return result.stopped

    def _check_fields(self, doc: dict[str, Any]) -> None:
        """Count listings and their empty required fields: the sign of a parser that silently broke."""
        self._count("listing_received")
        for name in self.required_fields:
            if doc.get(name) in (None, "", [], {}):
                self._count(f"empty_{name}")

    def _count(self, what: str, n: int = 1) -> None:
        if self.stats is not None:
            with self._stats_lock:
                self.stats.inc_value(f"qltt/store/{what}_count", n)


def _item_id(item: Any) -> str:
    doc = getattr(item, "doc", None) or {}
    return str(doc.get("_id", type(item).__name__))
