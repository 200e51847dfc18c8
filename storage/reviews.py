"""Review decisions: the listing's ``review`` field and an append-only ``reviews`` audit trail.

A decision only applies when the listing is still in the status the reviewer saw (a conditional
update), so two inspectors deciding the same listing at once cannot silently overwrite each
other; the loser gets ``ReviewConflict`` and sees the current state. The audit record is written
after the listing changed, so every record describes a change that happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.database import Database
from pymongo.errors import PyMongoError

from crawler.exceptions import StorageError
from storage.values import as_utc, utcnow

__all__ = ["DECISIONS", "STATUSES", "ReviewConflict", "ReviewRepo", "in_status", "status_of"]

STATUSES = ("new", "confirmed", "dismissed", "referred")
# Decision (what the inspector does) -> status (what the listing becomes).
DECISIONS = {"confirm": "confirmed", "dismiss": "dismissed", "refer": "referred"}
NOTE_MAX = 2000


class ReviewConflict(ValueError):
    """The listing is missing, or its status changed since the reviewer looked at it."""


def status_of(listing: dict[str, Any]) -> str:
    """A listing's review status; a listing never reviewed is ``new``."""
    return ((listing.get("review") or {}).get("status")) or "new"


class ReviewRepo:
    """The ``reviews`` collection (append-only) and the ``review`` field of ``listings``."""

    def __init__(self, db: Database) -> None:
        self.coll = db["reviews"]
        self.listings = db["listings"]

    def decide(self, listing_id: str, decision: str, by: str, note: str = "",
               now: datetime | None = None) -> dict[str, Any]:
        """Apply ``decision`` (confirm, dismiss, refer) to a listing and return the audit record.

        ``ValueError`` for an unknown decision or a dismissal without a reason;
        ``ReviewConflict`` when the listing is gone or changed status in between.
        """
        if decision not in DECISIONS:
            raise ValueError(f"quyết định không hợp lệ: {decision!r}")
        note = note.strip()[:NOTE_MAX]
        if decision == "dismiss" and not note:
            raise ValueError("bỏ qua cần ghi lý do")
        listing = self.listings.find_one({"_id": listing_id}, {"review": 1})
        if listing is None:
            raise ReviewConflict(f"không tìm thấy tin {listing_id}")
        before, after = status_of(listing), DECISIONS[decision]
        at = as_utc(now) if now else utcnow()
        review = {"status": after, "by": by, "at": at, "note": note}
        try:
            # ``_id`` and ``$or`` side by side match the wrong document on the embedded store; ``$and`` is exact.
            only_if_unchanged = {"$and": [{"_id": listing_id}, in_status(before)]}
            result = self.listings.update_one(only_if_unchanged, {"$set": {"review": review}})
            if result.matched_count != 1:
                raise ReviewConflict(f"tin {listing_id} vừa được người khác xử lý; hãy tải lại trang")
            record = {"_id": str(ObjectId()), "listing_id": listing_id, "decision": decision, "from": before,
                      "to": after, "by": by, "at": at, "note": note}
            self.coll.insert_one(record)
        except PyMongoError as exc:
            raise StorageError(f"review write failed: {exc}") from exc
        return record

    def history(self, listing_id: str) -> list[dict[str, Any]]:
        """Every decision on the listing, oldest first."""
        return list(self.coll.find({"listing_id": listing_id}).sort([("at", 1), ("_id", 1)]))


def in_status(status: str) -> dict[str, Any]:
    """A filter matching listings in ``status`` (``new`` also matches a listing without ``review``)."""
    if status == "new":
        return {"$or": [{"review.status": "new"}, {"review": {"$exists": False}}, {"review.status": None}]}
    return {"review.status": status}
