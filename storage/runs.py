"""Runs: one document per crawl (spider, arguments, trigger, times, status, Scrapy stats, errors)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from storage.values import bson_safe, utcnow

__all__ = ["TRIGGERS", "RunRepo"]

TRIGGERS = ("schedule", "adhoc", "tip", "demo", "worker")
ERRORS_KEPT = 200


class RunRepo:
    """The ``runs`` collection. Errors are capped at ``errors_kept``; ``error_count`` keeps the total."""

    def __init__(self, db: Database, errors_kept: int = ERRORS_KEPT) -> None:
        self.coll = db["runs"]
        self.errors_kept = errors_kept

    def start(self, spider: str, args: Mapping[str, Any], trigger: str = "adhoc") -> str:
        """Record a crawl as running and return its id."""
        return self.insert(self.new(spider, args, trigger))

    def insert(self, run: Mapping[str, Any]) -> str:
        """Store a run record made by ``new`` (once: a record already stored is left as it is, so a spooled
        start can be replayed again); returns its id."""
        with contextlib.suppress(DuplicateKeyError):
            self.coll.insert_one(dict(run))
        return str(run["_id"])

    @staticmethod
    def new(spider: str, args: Mapping[str, Any], trigger: str = "adhoc") -> dict[str, Any]:
        """A run record of a crawl starting now, not stored yet."""
        if trigger not in TRIGGERS:
            raise ValueError(f"trigger must be one of {TRIGGERS}: {trigger!r}")
        return {
            "_id": str(ObjectId()),  # sorts by creation time
            "spider": spider,
            "args": bson_safe(dict(args)),
            "trigger": trigger,
            "status": "running",
            "started_at": utcnow(),
            "finished_at": None,
            "stats": {},
            "counts": {},
            "errors": [],
            "error_count": 0,
        }

    def finish(
        self,
        run_id: str,
        status: str,
        stats: Mapping[str, Any],
        errors: list[dict[str, Any]] | None = None,
        counts: Mapping[str, Any] | None = None,
    ) -> None:
        """Close a run with its final status (e.g. finished, failed, cancelled) and Scrapy's stats."""
        update: dict[str, Any] = {
            "$set": {"status": status, "finished_at": utcnow(), "stats": bson_safe(dict(stats)),
                     "counts": bson_safe(dict(counts or {}))},
        }
        if errors:
            update["$push"] = {"errors": self._capped([self._error(e) for e in errors])}
            update["$inc"] = {"error_count": len(errors)}
        self._update(run_id, update)

    def add_error(self, run_id: str, error: Mapping[str, Any]) -> None:
        """Append one error (url, message, ...) to a running crawl."""
        self._update(run_id, {"$push": {"errors": self._capped([self._error(error)])},
                              "$inc": {"error_count": 1}})

    def get(self, run_id: str) -> dict[str, Any] | None:
        return self.coll.find_one({"_id": run_id})

    def recent(self, limit: int = 20, spider: str | None = None) -> list[dict[str, Any]]:
        """The latest runs, newest first."""
        query = {"spider": spider} if spider else {}
        return list(self.coll.find(query).sort("started_at", DESCENDING).limit(limit))

    def _update(self, run_id: str, update: dict[str, Any]) -> None:
        if self.coll.update_one({"_id": run_id}, update).matched_count != 1:
            raise KeyError(f"no run {run_id}")

    def _capped(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {"$each": entries, "$slice": -self.errors_kept}

    @staticmethod
    def _error(error: Mapping[str, Any]) -> dict[str, Any]:
        return bson_safe({"at": utcnow(), **error})
