"""The indexes every collection needs, created at connect; creating an existing index is a no-op.

Names are left to the server: nx-27017 names indexes itself and MongoDB refuses the same keys
under a second name, so explicit names would make the two disagree. No field holding an array is
indexed: nx-27017 0.8.1 then answers ``{"identity_keys": key}`` and ``{"findings.category": c}``
with nothing (a full scan answers them right, and these collections stay small enough to scan).
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database

__all__ = ["INDEXES", "ensure_indexes"]

INDEXES: dict[str, list[IndexModel]] = {
    "listings": [
        IndexModel([("source", ASCENDING), ("last_seen", DESCENDING)]),
        IndexModel([("seller_id", ASCENDING)]),
        IndexModel([("review.status", ASCENDING), ("risk", DESCENDING)]),
    ],
    "sellers": [
        IndexModel([("source", ASCENDING)]),
    ],
    "reviews": [
        IndexModel([("listing_id", ASCENDING), ("at", ASCENDING)]),
        IndexModel([("at", DESCENDING)]),
    ],
    "sessions": [
        IndexModel([("expires_at", ASCENDING)]),
    ],
    "tips": [
        IndexModel([("received_at", DESCENDING)]),
    ],
    "runs": [
        IndexModel([("started_at", DESCENDING)]),
        IndexModel([("spider", ASCENDING), ("started_at", DESCENDING)]),
    ],
}


def ensure_indexes(db: Database) -> None:
    """Create the declared indexes of every collection (idempotent)."""
    for name, models in INDEXES.items():
        db[name].create_indexes(models)
