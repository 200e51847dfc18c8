"""SellerRepo merging and identity keys; RunRepo lifecycle with Scrapy-like stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pymongo.database import Database

from storage import Outcome, RunRepo, SellerRepo
from storage.sellers import identity_keys

T0 = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)


def test_seller_sightings_merge(db: Database) -> None:
    sellers = SellerRepo(db)
    first = {"_id": "web:shop.vn", "source": "web", "name": "Shop Hàng Hiệu", "phones": ["+84912345678"],
             "website": {"moit_badge": False}, "official": False}
    again = {"_id": "web:shop.vn", "source": "web", "name": None, "phones": ["+84912345678", "+84281234567"],
             "tax_codes": ["0101234567"], "website": {"owner_shown": True, "moit_badge": None}, "location": "Hà Nội"}
    assert sellers.upsert(first, now=T0) is Outcome.CREATED
    assert sellers.upsert(again, now=T0 + timedelta(days=1)) is Outcome.UPDATED
    stored = sellers.get("web:shop.vn")
    assert stored is not None
    assert stored["name"] == "Shop Hàng Hiệu" and stored["location"] == "Hà Nội" and stored["official"] is False
    assert stored["phones"] == ["+84912345678", "+84281234567"]
    assert stored["website"] == {"moit_badge": False, "owner_shown": True}
    assert stored["first_seen"] == T0 and stored["last_seen"] == T0 + timedelta(days=1)
    assert set(stored["identity_keys"]) == {"domain:shop.vn", "phone:+84912345678", "phone:+84281234567",
                                            "tax:0101234567"}



def test_a_repeated_sighting_is_written_again_only_when_it_says_more_or_later(db: Database) -> None:
    sellers = SellerRepo(db)
    seen = {"_id": "tiki:7", "source": "tiki", "name": "Shop Bảy"}
    sellers.upsert(seen, now=T0)
    sellers.upsert(dict(seen), now=T0 + timedelta(seconds=30))  # the same, seconds later: not written
    assert sellers.get("tiki:7")["last_seen"] == T0  # type: ignore[index]
    sellers.upsert({**seen, "location": "Hà Nội"}, now=T0 + timedelta(seconds=40))  # says more: written
    assert sellers.get("tiki:7")["location"] == "Hà Nội"  # type: ignore[index]
    sellers.upsert({**seen, "location": "Hà Nội"}, now=T0 + timedelta(minutes=5))  # later than RESIGHT_S
    assert sellers.get("tiki:7")["last_seen"] == T0 + timedelta(minutes=5)  # type: ignore[index]

def test_identity_keys_link_sellers_across_platforms(db: Database) -> None:
    sellers = SellerRepo(db)
    sellers.upsert({"_id": "tiki:42", "source": "tiki", "phones": ["+84912345678"]})
    sellers.upsert({"_id": "facebook:1000", "source": "facebook", "phones": ["+84912345678"],
                    "emails": ["Ban.Hang@Gmail.com"]})
    sellers.upsert({"_id": "web:shop.vn", "source": "web", "tax_codes": ["0101234567"],
                    "identity_keys": ["email:ban.hang@gmail.com"]})
    sellers.upsert({"_id": "tiki:43", "source": "tiki", "phones": ["+84900000000"]})
    assert [s["_id"] for s in sellers.by_identity_key("phone:+84912345678")] == ["facebook:1000", "tiki:42"]
    assert [s["_id"] for s in sellers.by_identity_key("phone:+84912345678", exclude="tiki:42")] == ["facebook:1000"]
    assert [s["_id"] for s in sellers.by_identity_key("domain:shop.vn")] == ["web:shop.vn"]
    assert [s["_id"] for s in sellers.linked("facebook:1000")] == ["tiki:42", "web:shop.vn"]
    assert sellers.linked("tiki:43") == [] and sellers.linked("nobody") == []


def test_identity_keys_are_derived_once_each() -> None:
    doc = {"_id": "web:a.vn", "phones": ["+84912345678", "+84912345678"], "identity_keys": ["phone:+84912345678"]}
    assert identity_keys(doc) == ["phone:+84912345678", "domain:a.vn"]


def test_run_lifecycle_with_scrapy_stats(db: Database) -> None:
    runs = RunRepo(db, errors_kept=3)
    run_id = runs.start("tiki", {"query": "nước hoa chanel", "max.pages": 2}, trigger="schedule")
    running = runs.get(run_id)
    assert running is not None and running["status"] == "running" and running["trigger"] == "schedule"
    assert running["args"] == {"query": "nước hoa chanel", "max_pages": 2}
    assert running["started_at"].tzinfo is not None
    for n in range(4):
        runs.add_error(run_id, {"url": f"https://tiki.vn/p{n}", "message": "HTTP 500"})
    started = datetime(2026, 11, 1, 18, 0, 0, 123456, tzinfo=UTC)
    stats = {"start_time": started, "finish_time": started + timedelta(minutes=3), "elapsed_time_seconds": 180.2,
             "downloader/response_status_count/200": 40, "item_scraped_count": 35, "qltt.store.created": 30,
             "$where": "x", "finish_reason": "finished"}
    runs.finish(run_id, "finished", stats, errors=[{"message": "last"}], counts={"created": 30, "unchanged": 5})
    done = runs.get(run_id)
    assert done is not None and done["status"] == "finished" and done["finished_at"] >= done["started_at"]
    assert done["stats"]["start_time"] == started.replace(microsecond=123000)
    assert done["stats"]["qltt_store_created"] == 30 and done["stats"]["where"] == "x"
    assert done["stats"]["downloader/response_status_count/200"] == 40
    assert done["counts"] == {"created": 30, "unchanged": 5}
    assert [e["message"] for e in done["errors"]] == ["HTTP 500", "HTTP 500", "last"]
    assert done["errors"][0]["url"] == "https://tiki.vn/p2"
    assert done["error_count"] == 5


def test_recent_runs_newest_first(db: Database) -> None:
    runs = RunRepo(db)
    ids = [runs.start(spider, {}) for spider in ("tiki", "web", "tiki")]
    assert [r["_id"] for r in runs.recent()] == ids[::-1]
    assert [r["_id"] for r in runs.recent(limit=1)] == ids[-1:]
    assert [r["_id"] for r in runs.recent(spider="tiki")] == [ids[2], ids[0]]


def test_run_misuse_is_refused(db: Database) -> None:
    runs = RunRepo(db)
    with pytest.raises(ValueError):
        runs.start("tiki", {}, trigger="cron")
    with pytest.raises(KeyError):
        runs.finish("000000000000000000000000", "finished", {})
