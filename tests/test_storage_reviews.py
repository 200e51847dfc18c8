"""Review decisions touch exactly the listing decided, and refuse a stale decision."""

from __future__ import annotations

import pytest
from pymongo.database import Database

from storage.reviews import ReviewConflict, ReviewRepo


def test_decision_changes_only_its_listing(db: Database) -> None:
    db["listings"].insert_many([{"_id": f"tiki:1:{n}", "title": f"tin {n}"} for n in range(5)])
    repo = ReviewRepo(db)
    repo.decide("tiki:1:3", "confirm", by="lan")
    statuses = {d["_id"]: (d.get("review") or {}).get("status") for d in db["listings"].find()}
    assert statuses == {"tiki:1:0": None, "tiki:1:1": None, "tiki:1:2": None, "tiki:1:3": "confirmed",
                        "tiki:1:4": None}
    assert [r["listing_id"] for r in repo.history("tiki:1:3")] == ["tiki:1:3"]


def test_a_second_decision_on_a_stale_view_is_refused(db: Database) -> None:
    db["listings"].insert_one({"_id": "tiki:1:9", "title": "tin"})
    repo = ReviewRepo(db)
    repo.decide("tiki:1:9", "dismiss", by="lan", note="hàng chính hãng")
    repo.decide("tiki:1:9", "refer", by="minh")  # decided from the dismissed state: allowed
    with pytest.raises(ReviewConflict):
        repo.decide("tiki:1:404", "confirm", by="lan")
    assert [(r["from"], r["to"]) for r in repo.history("tiki:1:9")] == [("new", "dismissed"),
                                                                        ("dismissed", "referred")]
