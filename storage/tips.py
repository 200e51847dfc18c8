"""Citizens' tips: the reported URL, the note, who reported it, and what became of it.

A tip is kept even when refused (an unsafe URL) or when no spider can crawl it yet, so the hotline
desk can answer "what happened to my report" and the lead can see which sources people report most.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.database import Database

from storage.values import bson_safe, utcnow

__all__ = ["TIP_STATUSES", "TipRepo"]

TIP_STATUSES = ("received", "refused", "crawling", "done", "failed")
FINAL_STATUSES = ("refused", "done", "failed")


class TipRepo:
    """The ``tips`` collection; ids are ObjectId strings, so they sort by arrival."""

    def __init__(self, db: Database) -> None:
        self.coll = db["tips"]

    def add(self, url: str, note: str, reporter: str | None = None) -> str:
        """Record a tip as received and return its id."""
        tip_id = str(ObjectId())
        now = utcnow()
        self.coll.insert_one({
            "_id": tip_id,
            "url": url,
            "note": note,
            "reporter": reporter,
            "status": "received",
            "reason": None,
            "final_url": None,
            "source": None,
            "kind": None,
            "spider": None,
            "run_id": None,
            "listing_ids": [],
            "received_at": now,
            "updated_at": now,
            "finished_at": None,
        })
        return tip_id

    def update(self, tip_id: str, **fields: Any) -> None:
        """Set fields; a final ``status`` (refused, done, failed) also stamps ``finished_at``."""
        status = fields.get("status")
        if status is not None and status not in TIP_STATUSES:
            raise ValueError(f"status must be one of {TIP_STATUSES}: {status!r}")
        now = utcnow()
        changes = {**bson_safe(fields), "updated_at": now}
        if status in FINAL_STATUSES:
            changes["finished_at"] = now
        if self.coll.update_one({"_id": tip_id}, {"$set": changes}).matched_count != 1:
            raise KeyError(f"no tip {tip_id}")

    def get(self, tip_id: str) -> dict[str, Any] | None:
        return self.coll.find_one({"_id": tip_id})

    def recent(self, limit: int = 20, status: str | None = None) -> list[dict[str, Any]]:
        """The latest tips, newest first."""
        query = {"status": status} if status else {}
        return list(self.coll.find(query).sort("received_at", DESCENDING).limit(limit))
