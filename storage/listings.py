"""Listings: idempotent upserts keyed by canonical id, where an unchanged listing only bumps ``last_seen``.

What counts as a change: every field the crawl supplies except the repository's bookkeeping
(``first_seen``, ``last_seen``, ``updated_at``, ``content_hash``, ``price_history``,
``seller_history``, ``missing_since``, ``status``, ``gone_at``, ``status_history``) and the fields owned by
people or by the evidence store
(``review``, ``evidence``). That includes ``sold`` and ``rating``: they move daily on marketplaces
and a moved counter is a real (if minor) change of what the public sees, so it is recorded rather
than hidden. Fields whose value is ``None`` are left out of the hash, so a missing field and an
explicit ``None`` are the same content. A crawl never writes ``review``; ``evidence`` refs it
brings are added to the stored ones (never replacing them), and an unchanged listing takes them
only when it has none yet.

A listing is ``status: "active"`` when stored. ``mark_gone`` makes it ``"gone"`` (with ``gone_at``) when
its source says it was removed, ``mark_missing`` ``"missing"`` (with ``missing_since``) when a full crawl
of its shop no longer shows it; any later sighting makes it active again. Each such move is appended to
``status_history``, so what a listing went through stays on record.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pymongo import InsertOne, UpdateMany, UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from crawler.exceptions import StorageError
from storage.values import as_utc, bson_safe, utcnow

__all__ = ["ListingRepo", "Outcome", "content_hash"]

BOOKKEEPING = frozenset(
    {"_id", "first_seen", "last_seen", "updated_at", "content_hash", "price_history", "seller_history",
     "missing_since", "status", "gone_at", "status_history"}
)
OWNED_ELSEWHERE = frozenset({"review", "evidence"})
_NOT_CONTENT = BOOKKEEPING | OWNED_ELSEWHERE
_CRAWL_MAY_NOT_WRITE = (BOOKKEEPING - {"_id"}) | {"review"}
# What planning a write needs from the stored version; the rest is not read back.
_PLAN_FIELDS = {"content_hash": 1, "price": 1, "original_price": 1, "seller_id": 1, "evidence": 1, "status": 1,
                "missing_since": 1}
_DUPLICATE_KEY = 11000


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def content_hash(doc: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the listing's content fields (see the module docstring)."""
    content = {k: v for k, v in doc.items() if k not in _NOT_CONTENT and v is not None}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_jsonable)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ListingRepo:
    """The ``listings`` collection; ``price_history_max`` caps both price and seller histories."""

    def __init__(self, db: Database, price_history_max: int = 50, batch_size: int = 1000) -> None:
        self.coll = db["listings"]
        self.history_max = price_history_max
        self.batch_size = batch_size

    def upsert(self, doc: Mapping[str, Any], now: datetime | None = None) -> Outcome:
        """Store one normalised listing; says whether it was new, changed or the same as stored.

        One round trip when the listing is new or unchanged, the store pipeline's common cases: an
        upsert keyed on ``_id`` *and* the content hash either moves ``last_seen`` of the same content
        or inserts the new listing; a stored listing with other content (or gone) refuses the insert
        with a duplicate key, and only then is it read and planned like a batch of one.
        """
        now = as_utc(now) if now else utcnow()
        prepared = _prepare(doc)
        if prepared.get("evidence"):
            return self._upsert_planned(prepared, now)
        digest = content_hash(prepared)
        fresh = self._new(prepared, [], digest, now)
        same = {"_id": prepared["_id"], "content_hash": digest, "status": {"$ne": "gone"}}
        update = {"$set": {"last_seen": now},
                  "$setOnInsert": {k: v for k, v in fresh.items() if k not in ("_id", "content_hash", "last_seen")}}
        try:
            result = self.coll.update_one(same, update, upsert=True)
        except DuplicateKeyError:
            return self._upsert_planned(prepared, now)
        except PyMongoError as exc:
            raise StorageError(f"listing {prepared['_id']} not written: {exc}") from exc
        return Outcome.CREATED if result.upserted_id is not None else Outcome.UNCHANGED

    def _upsert_planned(self, prepared: dict[str, Any], now: datetime) -> Outcome:
        return self._write_batch([prepared], now)[0]

    def bulk_upsert(self, docs: Iterable[Mapping[str, Any]], now: datetime | None = None) -> dict[Outcome, int]:
        """Store many listings (``upsert_many``) and count the outcomes."""
        counts: Counter[Outcome] = Counter(dict.fromkeys(Outcome, 0))
        counts.update(self.upsert_many(docs, now))
        return dict(counts)

    def upsert_many(self, docs: Iterable[Mapping[str, Any]], now: datetime | None = None) -> list[Outcome]:
        """Store many listings, saying for each (in order) what ``upsert`` would have: per batch one read of
        the stored versions and one ``bulk_write``.

        A listing repeated in ``docs`` starts a new batch, so the result equals upserting one by one. Raises
        ``ValueError`` before writing anything when a listing lacks ``_id`` or ``source``.
        """
        now = as_utc(now) if now else utcnow()
        outcomes: list[Outcome] = []
        for batch in _unique_batches([_prepare(d) for d in docs], self.batch_size):
            outcomes += self._write_batch(batch, now)
        return outcomes

    def get(self, listing_id: str) -> dict[str, Any] | None:
        return self.coll.find_one({"_id": listing_id})

    def find(
        self,
        filter: Mapping[str, Any] | None = None,
        *,
        limit: int = 0,
        sort: list[tuple[str, int]] | None = None,
    ) -> list[dict[str, Any]]:
        cursor = self.coll.find(dict(filter or {}), limit=limit)
        return list(cursor.sort(sort) if sort else cursor)

    def mark_missing(self, source: str, seen_ids: set[str], since: datetime,
                     seller_id: str | None = None) -> dict[str, int]:
        """After a full crawl of ``source`` (or of one seller's shop) started at ``since``: flag what it did not see.

        A listing in scope, not gone, not in ``seen_ids`` and not seen since ``since`` becomes
        ``status: "missing"`` with ``missing_since = since``; a flagged listing in ``seen_ids`` is active
        again (as is any flagged listing stored again, see ``upsert``). Both moves go to ``status_history``.
        """
        since = as_utc(since)
        scope = {"source": source} | ({"seller_id": seller_id} if seller_id else {})
        absent = self._ids({**scope, "missing_since": {"$exists": False}, "status": {"$ne": "gone"},
                            "last_seen": {"$lt": since}})
        back = self._ids({**scope, "missing_since": {"$exists": True}})
        absent, back = absent - seen_ids, back & seen_ids
        self._update_ids(absent, {"$set": {"missing_since": since, "status": "missing"},
                                  "$push": {"status_history": self._capped({"status": "missing", "at": since})}})
        self._update_ids(back, {"$set": {"status": "active"}, "$unset": {"missing_since": ""},
                                "$push": {"status_history": self._capped({"status": "active", "at": since})}})
        return {"missing": len(absent), "back": len(back)}

    def mark_gone(self, listing_id: str, reason: str, now: datetime | None = None) -> bool:
        """The source says the listing was removed (its page answers 404, "sản phẩm không tồn tại").

        Sets ``status: "gone"`` and ``gone_at`` and appends to ``status_history``; content and
        ``last_seen`` stay as last seen. Returns False when no such listing is stored or it is gone already.
        """
        now = as_utc(now) if now else utcnow()
        entry = {"status": "gone", "at": now, "reason": reason[:500]}
        update = {"$set": {"status": "gone", "gone_at": now}, "$unset": {"missing_since": ""},
                  "$push": {"status_history": self._capped(entry)}}
        try:
            result = self.coll.update_one({"$and": [{"_id": listing_id}, {"status": {"$ne": "gone"}}]}, update)
        except PyMongoError as exc:
            raise StorageError(f"listing {listing_id} not marked gone: {exc}") from exc
        return result.modified_count == 1

    def add_evidence(self, listing_id: str, refs: Iterable[Mapping[str, Any]]) -> bool:
        """Add evidence refs (``storage.evidence``) to a stored listing; a ref already there is not repeated.

        Returns False when no such listing is stored. Neither content nor ``last_seen`` moves.
        """
        refs = [bson_safe(dict(r)) for r in refs]
        try:
            result = self.coll.update_one({"_id": listing_id}, {"$addToSet": {"evidence": {"$each": refs}}})
        except PyMongoError as exc:
            raise StorageError(f"evidence refs of {listing_id} not written: {exc}") from exc
        return result.matched_count == 1

    def _write_batch(self, docs: list[dict[str, Any]], now: datetime) -> list[Outcome]:
        """One read of the stored versions, one ``bulk_write``; unchanged listings share one update."""
        try:
            found = self.coll.find({"_id": {"$in": [d["_id"] for d in docs]}}, _PLAN_FIELDS)
            stored = {d["_id"]: d for d in found}
            plans = [self._plan(doc, stored.get(doc["_id"]), now) for doc in docs]
            ops: list[Any] = [op for _, op in plans if op is not None]
            unchanged = [doc["_id"] for doc, (_, op) in zip(docs, plans, strict=True) if op is None]
            if unchanged:
                ops.append(UpdateMany({"_id": {"$in": unchanged}}, {"$set": {"last_seen": now}}))
            self.coll.bulk_write(ops, ordered=False)
        except BulkWriteError as exc:
            return self._recover(exc, docs, plans, now)
        except PyMongoError as exc:
            raise StorageError(f"listings write failed: {exc}") from exc
        return [outcome for outcome, _ in plans]

    def _recover(self, exc: BulkWriteError, docs: list[dict[str, Any]], plans: list[tuple[Outcome, Any]],
                 now: datetime) -> list[Outcome]:
        """Another process inserted some of these listings first: plan those again against its version."""
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != _DUPLICATE_KEY for e in errors):
            raise StorageError(f"listings write refused: {errors[:3]}") from exc
        # Only inserts can collide, and ops start with one op per planned write, in the order of docs.
        written = [i for i, (_, op) in enumerate(plans) if op is not None]
        failed = {written[e["index"]] for e in errors}
        outcomes = [outcome for outcome, _ in plans]
        for i in sorted(failed):
            outcomes[i] = self._write_batch([docs[i]], now)[0]
        return outcomes

    def _plan(self, doc: dict[str, Any], stored: dict[str, Any] | None,
              now: datetime) -> tuple[Outcome, InsertOne | UpdateOne | None]:
        """What to write for ``doc``; ``None`` means only ``last_seen`` moves (done in bulk)."""
        evidence = doc.get("evidence") or []
        doc = {k: v for k, v in doc.items() if k != "evidence"}
        digest = content_hash(doc)
        if stored is None:
            return Outcome.CREATED, InsertOne(self._new(doc, evidence, digest, now))
        if stored.get("content_hash") != digest:
            update = self._change(doc, stored, evidence, digest, now)
            return Outcome.UPDATED, UpdateOne({"_id": doc["_id"]}, self._revived(update, stored, now))
        sets: dict[str, Any] = {"last_seen": now}
        if evidence and not stored.get("evidence"):
            sets["evidence"] = evidence
        update = self._revived({"$set": sets}, stored, now)
        if update == {"$set": {"last_seen": now}}:
            return Outcome.UNCHANGED, None
        return Outcome.UNCHANGED, UpdateOne({"_id": doc["_id"]}, update)

    def _new(self, doc: dict[str, Any], evidence: list[Any], digest: str, now: datetime) -> dict[str, Any]:
        seller_id = doc.get("seller_id")
        return {
            **doc,
            "first_seen": now,
            "last_seen": now,
            "updated_at": now,
            "content_hash": digest,
            "price_history": [_price_entry(doc, now)],
            "seller_history": [{"seller_id": seller_id, "at": now}] if seller_id is not None else [],
            "review": {"status": "new"},
            "evidence": evidence,
            "status": "active",
        }

    def _change(self, doc: dict[str, Any], stored: dict[str, Any], evidence: list[Any], digest: str,
                now: datetime) -> dict[str, Any]:
        """Every supplied field is set (unchanged ones are no-ops); histories grow when their field moved."""
        fields = {k: v for k, v in doc.items() if k != "_id"}
        update: dict[str, Any] = {"$set": {**fields, "content_hash": digest, "last_seen": now, "updated_at": now}}
        push = {}
        if any(f in doc and doc[f] != stored.get(f) for f in ("price", "original_price")):
            push["price_history"] = self._capped(_price_entry({**stored, **doc}, now))
        if "seller_id" in doc and doc["seller_id"] != stored.get("seller_id"):
            push["seller_history"] = self._capped({"seller_id": doc["seller_id"], "at": now})
        if push:
            update["$push"] = push
        if evidence:
            update["$addToSet"] = {"evidence": {"$each": evidence}}
        return update

    def _revived(self, update: dict[str, Any], stored: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """``update`` plus, for a listing stored as gone or missing, its return to ``active`` (kept in its history)."""
        if stored.get("status") not in ("gone", "missing") and "missing_since" not in stored:
            return update
        update["$set"]["status"] = "active"
        update["$unset"] = {"gone_at": "", "missing_since": ""}
        update.setdefault("$push", {})["status_history"] = self._capped({"status": "active", "at": now})
        return update

    def _capped(self, entry: dict[str, Any]) -> dict[str, Any]:
        return {"$each": [entry], "$slice": -self.history_max}

    def _ids(self, filter: dict[str, Any]) -> set[str]:
        return {d["_id"] for d in self.coll.find(filter, {"_id": 1})}

    def _update_ids(self, ids: set[str], update: dict[str, Any]) -> None:
        ordered = sorted(ids)
        for start in range(0, len(ordered), self.batch_size):
            self.coll.update_many({"_id": {"$in": ordered[start:start + self.batch_size]}}, update)


def _prepare(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A BSON-safe copy without the fields a crawl may not write."""
    if not doc.get("_id") or not doc.get("source"):
        raise ValueError(f"a listing needs _id and source: {dict(doc).get('_id')!r}")
    return {k: v for k, v in bson_safe(doc).items() if k not in _CRAWL_MAY_NOT_WRITE}


def _unique_batches(docs: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    ids: set[str] = set()
    for doc in docs:
        if len(batch) >= size or doc["_id"] in ids:
            yield batch
            batch, ids = [], set()
        batch.append(doc)
        ids.add(doc["_id"])
    if batch:
        yield batch


def _price_entry(doc: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    return {"price": doc.get("price"), "original_price": doc.get("original_price"), "at": now}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    return str(value)
