"""ListingRepo: created / unchanged / updated semantics, histories, bulk equality, missing listings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import bson
import pytest
from pymongo.database import Database

import storage
from storage import ListingRepo, Outcome
from storage.listings import content_hash

T0 = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def listing(n: int = 1, **changes: Any) -> dict[str, Any]:
    doc = {
        "_id": f"tiki:10:{n}", "source": "tiki", "kind": "marketplace", "url": f"https://tiki.vn/p{n}.html",
        "title": f"Nước hoa Chanel Coco {n}", "description": "Hàng auth 100%", "price": 1_250_000,
        "original_price": 2_500_000, "currency": "VND", "brand": "Chanel", "category": "Nước hoa",
        "images": [f"https://salt.tikicdn.com/{n}.jpg"], "sold": 12, "rating": 4.5, "location": "Hà Nội",
        "seller_id": "tiki:10", "findings": [{"rule_id": "cf-chanel", "category": "counterfeit", "score": 80}],
        "risk": 80, "posted_at": datetime(2026, 10, 1, tzinfo=UTC),
    }
    return {**doc, **changes}


@pytest.fixture
def repo(db: Database) -> ListingRepo:
    return ListingRepo(db, price_history_max=3)


def test_new_listing_is_created_with_bookkeeping(repo: ListingRepo) -> None:
    assert repo.upsert(listing(), now=T0) is Outcome.CREATED
    stored = repo.get("tiki:10:1")
    assert stored is not None
    assert stored["first_seen"] == stored["last_seen"] == stored["updated_at"] == T0
    assert stored["price_history"] == [{"price": 1_250_000, "original_price": 2_500_000, "at": T0}]
    assert stored["seller_history"] == [{"seller_id": "tiki:10", "at": T0}]
    assert stored["review"] == {"status": "new"}
    assert stored["evidence"] == []
    assert stored["content_hash"] == content_hash(listing())
    assert stored["title"] == "Nước hoa Chanel Coco 1"


def test_unchanged_listing_only_moves_last_seen(repo: ListingRepo) -> None:
    repo.upsert(listing(), now=T0)
    before = repo.get("tiki:10:1")
    assert repo.upsert(listing(), now=T0 + DAY) is Outcome.UNCHANGED
    after = repo.get("tiki:10:1")
    assert before is not None and after is not None
    assert after["last_seen"] == T0 + DAY
    before.pop("last_seen"), after.pop("last_seen")
    assert bson.encode(after) == bson.encode(before)


def test_a_crawl_cannot_write_review_or_bookkeeping(repo: ListingRepo) -> None:
    forged = listing(review={"status": "dismissed"}, first_seen=T0 - DAY, price_history=[], content_hash="x")
    repo.upsert(forged, now=T0)
    stored = repo.get("tiki:10:1")
    assert stored is not None
    assert stored["review"] == {"status": "new"}
    assert stored["first_seen"] == T0 and len(stored["price_history"]) == 1
    assert repo.upsert(listing(), now=T0 + DAY) is Outcome.UNCHANGED


def test_changed_listing_is_updated_and_price_history_is_capped(repo: ListingRepo) -> None:
    repo.upsert(listing(), now=T0)
    for day, price in enumerate([1_100_000, 990_000, 890_000], start=1):
        assert repo.upsert(listing(price=price), now=T0 + day * DAY) is Outcome.UPDATED
    assert repo.upsert(listing(price=890_000, title="Nước hoa Chanel Coco (mới)"), now=T0 + 4 * DAY) \
        is Outcome.UPDATED
    stored = repo.get("tiki:10:1")
    assert stored is not None
    assert [p["price"] for p in stored["price_history"]] == [1_100_000, 990_000, 890_000]
    assert stored["price_history"][-1]["at"] == T0 + 3 * DAY  # a title change adds no price entry
    assert stored["title"] == "Nước hoa Chanel Coco (mới)"
    assert stored["first_seen"] == T0
    assert stored["updated_at"] == stored["last_seen"] == T0 + 4 * DAY
    assert stored["content_hash"] == content_hash(listing(price=890_000, title="Nước hoa Chanel Coco (mới)"))


def test_sold_and_rating_count_as_content(repo: ListingRepo) -> None:
    repo.upsert(listing(), now=T0)
    assert repo.upsert(listing(sold=13), now=T0 + DAY) is Outcome.UPDATED
    assert repo.upsert(listing(sold=13, rating=4.6), now=T0 + 2 * DAY) is Outcome.UPDATED


def test_none_and_absent_fields_hash_alike() -> None:
    doc = listing()
    doc.pop("brand")
    assert content_hash(doc) == content_hash(listing(brand=None))


def test_seller_change_is_recorded(repo: ListingRepo) -> None:
    repo.upsert(listing(), now=T0)
    repo.upsert(listing(seller_id="tiki:77"), now=T0 + DAY)
    repo.upsert(listing(seller_id="tiki:77", title="khác"), now=T0 + 2 * DAY)
    stored = repo.get("tiki:10:1")
    assert stored is not None
    assert stored["seller_id"] == "tiki:77"
    assert stored["seller_history"] == [{"seller_id": "tiki:10", "at": T0}, {"seller_id": "tiki:77", "at": T0 + DAY}]
    assert len(stored["price_history"]) == 1


def test_review_kept_and_evidence_accumulates(repo: ListingRepo, db: Database) -> None:
    first, second = {"sha256": "a" * 64, "kind": "warc"}, {"sha256": "b" * 64, "kind": "warc"}
    repo.upsert(listing(evidence=[first]), now=T0)
    review = {"status": "confirmed", "by": "thanh.tra", "at": T0, "note": "hàng giả"}
    db.listings.update_one({"_id": "tiki:10:1"}, {"$set": {"review": review}})
    assert repo.upsert(listing(evidence=[second]), now=T0 + DAY) is Outcome.UNCHANGED
    assert repo.upsert(listing(price=1, evidence=[first, second]), now=T0 + 2 * DAY) is Outcome.UPDATED
    stored = repo.get("tiki:10:1")
    assert stored is not None
    assert stored["review"] == review
    assert stored["evidence"] == [first, second]


def test_unchanged_listing_without_evidence_takes_its_first(repo: ListingRepo) -> None:
    ref = {"sha256": "c" * 64, "kind": "warc"}
    repo.upsert(listing(), now=T0)
    assert repo.upsert(listing(evidence=[ref]), now=T0 + DAY) is Outcome.UNCHANGED
    stored = repo.get("tiki:10:1")
    assert stored is not None and stored["evidence"] == [ref] and stored["last_seen"] == T0 + DAY


def test_a_listing_needs_id_and_source(repo: ListingRepo) -> None:
    with pytest.raises(ValueError):
        repo.upsert({"_id": "x"})


def _stream() -> list[dict[str, Any]]:
    """Several crawls' worth of sightings, with repeats, price and seller moves in one stream."""
    docs = [listing(n) for n in range(7)]
    docs += [listing(2), listing(3, price=999_000), listing(3, price=888_000), listing(4, seller_id="tiki:5")]
    docs += [listing(n, sold=99) for n in range(0, 7, 2)] + [listing(8)]
    return docs


@pytest.fixture
def twin(db: Database) -> Iterator[Database]:
    name = f"{db.name}_twin"
    try:
        yield db.client[name]
    finally:
        db.client.drop_database(name)


def test_bulk_upsert_equals_one_by_one(db: Database, twin: Database) -> None:
    bulk = ListingRepo(db, price_history_max=3, batch_size=3)
    single = ListingRepo(twin, price_history_max=3)
    bulk_counts = bulk.bulk_upsert(_stream(), now=T0)
    single_counts = dict.fromkeys(Outcome, 0)
    for doc in _stream():
        single_counts[single.upsert(doc, now=T0)] += 1
    assert bulk_counts == single_counts == {Outcome.CREATED: 8, Outcome.UPDATED: 7, Outcome.UNCHANGED: 1}
    by_id = sorted(bulk.find(), key=lambda d: d["_id"])
    assert by_id == sorted(single.find(), key=lambda d: d["_id"])
    assert [p["price"] for p in bulk.get("tiki:10:3")["price_history"]] == [1_250_000, 999_000, 888_000]
    assert bulk.bulk_upsert([listing(1), listing(5), listing(8)], now=T0 + DAY)[Outcome.UNCHANGED] == 3


def test_bulk_upsert_recovers_from_a_concurrent_insert(repo: ListingRepo, db: Database) -> None:
    class BlindFind:
        """The collection as a racing process sees it: the first read misses a listing just inserted."""

        def __init__(self) -> None:
            self.blind = True

        def __getattr__(self, name: str) -> Any:
            if name == "find" and self.blind:
                self.blind = False
                return lambda *a, **k: iter(())
            return getattr(db.listings, name)

    ListingRepo(db).upsert(listing(1), now=T0)
    repo.coll = BlindFind()  # type: ignore[assignment]
    counts = repo.bulk_upsert([listing(1, price=5), listing(2)], now=T0 + DAY)
    assert counts == {Outcome.CREATED: 1, Outcome.UPDATED: 1, Outcome.UNCHANGED: 0}
    stored = db.listings.find_one({"_id": "tiki:10:1"})
    assert stored["price"] == 5 and stored["first_seen"] == T0


def test_mark_missing_flags_and_clears(repo: ListingRepo) -> None:
    repo.bulk_upsert([listing(1), listing(2), listing(3), listing(9, _id="shopee:1:9", source="shopee")], now=T0)
    repo.bulk_upsert([listing(1), listing(2)], now=T0 + DAY)
    assert repo.mark_missing("tiki", {"tiki:10:1", "tiki:10:2"}, since=T0 + DAY) == {"missing": 1, "back": 0}
    assert repo.get("tiki:10:3")["missing_since"] == T0 + DAY
    assert "missing_since" not in repo.get("shopee:1:9")
    assert "missing_since" not in repo.get("tiki:10:1")
    repo.bulk_upsert([listing(1), listing(3)], now=T0 + 2 * DAY)  # seen again: active at once
    back = repo.get("tiki:10:3")
    assert "missing_since" not in back and back["status"] == "active"
    assert [(e["status"], e["at"]) for e in back["status_history"]] == [("missing", T0 + DAY), ("active", T0 + 2 * DAY)]
    assert repo.mark_missing("tiki", {"tiki:10:1", "tiki:10:3"}, since=T0 + 2 * DAY) == {"missing": 1, "back": 0}
    assert repo.get("tiki:10:2")["missing_since"] == T0 + 2 * DAY
    assert [d["_id"] for d in repo.find({"missing_since": {"$exists": True}})] == ["tiki:10:2"]


def test_gone_listing_is_kept_and_comes_back_when_seen(repo: ListingRepo) -> None:
    repo.upsert(listing(1), now=T0)
    repo.upsert(listing(2), now=T0)
    assert repo.get("tiki:10:1")["status"] == "active"
    assert repo.mark_gone("tiki:10:1", "HTTP 404", now=T0 + DAY) is True
    assert repo.mark_gone("tiki:10:1", "HTTP 404", now=T0 + 2 * DAY) is False  # already gone: no new entry
    assert repo.mark_gone("tiki:10:404", "HTTP 404", now=T0 + DAY) is False
    gone = repo.get("tiki:10:1")
    assert gone["status"] == "gone" and gone["gone_at"] == T0 + DAY and gone["last_seen"] == T0
    assert gone["status_history"] == [{"status": "gone", "at": T0 + DAY, "reason": "HTTP 404"}]
    assert gone["title"] == listing(1)["title"], "a gone listing keeps what it showed"
    assert repo.upsert(listing(1), now=T0 + 3 * DAY) is Outcome.UNCHANGED
    back = repo.get("tiki:10:1")
    assert back["status"] == "active" and "gone_at" not in back and back["last_seen"] == T0 + 3 * DAY
    assert [e["status"] for e in back["status_history"]] == ["gone", "active"]
    repo.mark_gone("tiki:10:2", "sản phẩm không tồn tại", now=T0 + DAY)
    assert repo.upsert(listing(2, price=1), now=T0 + 2 * DAY) is Outcome.UPDATED
    changed = repo.get("tiki:10:2")
    assert changed["status"] == "active" and changed["price"] == 1 and len(changed["price_history"]) == 2
    assert repo.upsert(listing(2, price=1), now=T0 + 3 * DAY) is Outcome.UNCHANGED
    assert len(repo.get("tiki:10:2")["status_history"]) == 2


def test_mark_missing_of_one_shop_leaves_other_shops_and_gone_listings(repo: ListingRepo) -> None:
    repo.bulk_upsert([listing(1), listing(2), listing(3, seller_id="tiki:77", _id="tiki:77:3")], now=T0)
    repo.mark_gone("tiki:10:2", "HTTP 404", now=T0 + DAY)
    assert repo.mark_missing("tiki", set(), since=T0 + DAY, seller_id="tiki:10") == {"missing": 1, "back": 0}
    assert repo.get("tiki:10:1")["status"] == "missing" and repo.get("tiki:10:1")["missing_since"] == T0 + DAY
    assert repo.get("tiki:10:2")["status"] == "gone" and "missing_since" not in repo.get("tiki:10:2")
    assert repo.get("tiki:77:3")["status"] == "active"


def test_count_agrees_with_count_documents_on_queue_filters(repo: ListingRepo) -> None:
    """``storage.count`` (the console's page count) answers what ``count_documents`` would, filters included."""
    repo.bulk_upsert([listing(n, price=100_000 * n, flag=n % 3 == 0, risk=10 * n, source="tiki" if n < 6 else "sendo",
                              _id=f"{'tiki' if n < 6 else 'sendo'}:10:{n}") for n in range(1, 10)], now=T0)
    repo.mark_gone("tiki:10:3", "removed", now=T0 + DAY)
    queries: list[dict[str, Any]] = [
        {}, {"flag": True}, {"source": "sendo", "risk": {"$gte": 40}},
        {"$and": [{"flag": True}, {"$or": [{"title": {"$regex": "coco 9", "$options": "i"}}, {"status": "gone"}]}]},
        {"first_seen": {"$gte": T0}, "status": {"$ne": "gone"}}, {"review.status": {"$in": ["new"]}},
    ]
    counted = [storage.count(repo.coll, q) for q in queries]
    assert counted == [repo.coll.count_documents(q) for q in queries]
    assert counted[:3] == [9, 3, 4] and counted[3] == 2
