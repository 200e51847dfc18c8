"""Sellers: merged from every sighting, so what one crawl saw is never lost to the next.

Scalars are set only when the new sighting knows them; phones, e-mails, tax codes and identity
keys accumulate; ``website`` facts merge key by key. Identity keys (``phone:+84…``, ``tax:…``,
``email:…``, ``domain:…``) link the same operator across platforms.

A crawl sees the same seller with every one of its listings: a sighting identical to the one this
repository wrote less than ``resight_s`` earlier is not written again (it would only move ``last_seen``
by seconds), which saves a database round trip per listing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from pymongo.database import Database
from pymongo.errors import PyMongoError

from crawler.exceptions import StorageError
from storage.listings import Outcome
from storage.values import as_utc, bson_safe, utcnow

__all__ = ["SellerRepo", "identity_keys"]

LIST_FIELDS = ("phones", "emails", "tax_codes", "identity_keys")
_MANAGED = frozenset({"_id", "first_seen", "last_seen", "website", *LIST_FIELDS})
RESIGHT_S = 60.0


def identity_keys(doc: Mapping[str, Any]) -> list[str]:
    """The seller's identity keys: the given ones plus those its phones, e-mails, tax codes and domain imply."""
    keys = list(doc.get("identity_keys") or [])
    keys += [f"phone:{p}" for p in doc.get("phones") or []]
    keys += [f"email:{e.lower()}" for e in doc.get("emails") or []]
    keys += [f"tax:{t}" for t in doc.get("tax_codes") or []]
    seller_id = str(doc.get("_id") or "")
    if seller_id.startswith("web:"):
        keys.append(f"domain:{seller_id.removeprefix('web:')}")
    return list(dict.fromkeys(keys))


class SellerRepo:
    """The ``sellers`` collection."""

    def __init__(self, db: Database, resight_s: float = RESIGHT_S) -> None:
        self.coll = db["sellers"]
        self.resight = timedelta(seconds=resight_s)
        self._written: dict[str, tuple[dict[str, Any], datetime]] = {}  # id -> (sighting, when) last written

    def upsert(self, doc: Mapping[str, Any], now: datetime | None = None) -> Outcome:
        """Merge one sighting of a seller into the stored one (CREATED or UPDATED)."""
        if not doc.get("_id"):
            raise ValueError("a seller needs an _id")
        now = as_utc(now) if now else utcnow()
        sighting = bson_safe(doc)
        last = self._written.get(sighting["_id"])
        if last is not None and last[0] == sighting and timedelta(0) <= now - last[1] < self.resight:
            return Outcome.UPDATED
        try:
            result = self.coll.update_one({"_id": sighting["_id"]}, _merge(sighting, now), upsert=True)
        except PyMongoError as exc:
            raise StorageError(f"sellers write failed: {exc}") from exc
        self._written[sighting["_id"]] = (sighting, now)
        return Outcome.CREATED if result.upserted_id is not None else Outcome.UPDATED

    def get(self, seller_id: str) -> dict[str, Any] | None:
        return self.coll.find_one({"_id": seller_id})

    def by_identity_key(self, key: str, exclude: str | None = None) -> list[dict[str, Any]]:
        """Sellers sharing ``key`` (a phone, tax code, e-mail or domain), optionally without ``exclude``."""
        return [s for s in self.coll.find({"identity_keys": {"$in": [key]}}).sort("_id", 1) if s["_id"] != exclude]

    def linked(self, seller_id: str) -> list[dict[str, Any]]:
        """Other sellers sharing any identity key with ``seller_id``."""
        seller = self.get(seller_id)
        keys = (seller or {}).get("identity_keys") or []
        if not keys:
            return []
        found = self.coll.find({"identity_keys": {"$in": keys}}).sort("_id", 1)
        return [s for s in found if s["_id"] != seller_id]


def _merge(doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    setters: dict[str, Any] = {k: v for k, v in doc.items() if k not in _MANAGED and v is not None}
    setters["last_seen"] = now
    for key, value in (doc.get("website") or {}).items():
        if value is not None:
            setters[f"website.{key}"] = value
    lists = {f: doc.get(f) or [] for f in LIST_FIELDS}
    lists["identity_keys"] = identity_keys(doc)
    update: dict[str, Any] = {"$set": setters, "$setOnInsert": {"first_seen": now}}
    add = {f: {"$each": _unique(values)} for f, values in lists.items() if values}
    if add:
        update["$addToSet"] = add
    return update


def _unique(values: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(values))
