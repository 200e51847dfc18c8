"""The local spool: lossless entries on disk, replayed in order and idempotently, nothing dropped silently."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import ServerSelectionTimeoutError

import storage
from crawler.exceptions import StorageError
from crawler.items import Capture, ListingRecord
from pipelines.store import StorePipeline
from storage import spool as spool_module
from storage.evidence import BlobStore, read_warc_response
from storage.spool import Spool, decode, encode, run_entry

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def _listing(n: int, price: int = 100_000) -> dict[str, Any]:
    return {"_id": f"tiki:7:{n}", "source": "tiki", "kind": "marketplace", "url": f"https://tiki.vn/p{n}",
            "title": f"Sữa bột {n}", "price": price, "currency": "VND", "seller_id": "tiki:7"}


SELLER = {"_id": "tiki:7", "source": "tiki", "shop_id": "7", "name": "Cửa hàng 7"}


def test_entries_come_back_equal_types_included() -> None:
    value = {"at": datetime(2026, 11, 20, 3, 0, 1, 123456, tzinfo=timezone(timedelta(hours=7))),
             "day": date(2026, 1, 2), "raw": b"\x00\xff", "amount": Decimal("1.10"), "list": [1, "hai", None],
             "nested": {"ok": True, "x": 1.5}}
    assert decode(json.loads(json.dumps(encode(value)))) == value


def test_replay_applies_in_order_once_and_clears_the_spool(tmp_path: Path, db: Database) -> None:
    spool = Spool(tmp_path / "spool")
    run_id = storage.RunRepo(db).start("tiki", {"query": ["sữa"]})
    spool.append("listing", at=NOW, doc=_listing(1, 100_000), seller=SELLER)
    spool.append("listing", at=NOW + timedelta(hours=1), doc=_listing(1, 90_000), seller=SELLER)
    spool.append("seller", at=NOW, doc={**SELLER, "name": "Cửa hàng Bảy"})
    spool.append(**run_entry(run_id, {"status": "finished", "counts": {"spooled": 3}},
                             [{"url": "http://tiki.vn/x", "reason": "HTTP 500", "kind": "http", "at": NOW}]))
    assert spool.replay(db).applied == 0, "a segment still being written waits"
    spool.rotate()
    assert spool.pending() == 4

    result = spool.replay(db)
    assert (result.applied, result.pending, result.rejected, result.stopped) == (4, 0, 0, False)
    listing = db.listings.find_one({"_id": "tiki:7:1"})
    assert listing["price"] == 90_000 and [p["price"] for p in listing["price_history"]] == [100_000, 90_000]
    assert db.sellers.find_one({"_id": "tiki:7"})["name"] == "Cửa hàng Bảy"
    run = db.runs.find_one({"_id": run_id})
    assert run["status"] == "finished" and run["error_count"] == 1 and run["counts"] == {"spooled": 3}
    assert not list((tmp_path / "spool").glob("segment-*"))

    # The same entries a second time (a crash between a write and its progress mark) change nothing.
    again = Spool(tmp_path / "spool")
    again.append("listing", at=NOW + timedelta(hours=1), doc=_listing(1, 90_000), seller=SELLER)
    again.append(**run_entry(run_id, {"status": "finished"}, []))
    entry = run_entry(run_id, {"status": "finished"}, [{"reason": "x", "at": NOW}])
    again.append(**entry)
    again.append(**entry)
    again.rotate()
    assert again.replay(db).applied == 4
    assert len(db.listings.find_one({"_id": "tiki:7:1"})["price_history"]) == 2
    assert db.runs.find_one({"_id": run_id})["error_count"] == 2, "one op_id, applied once"


def test_a_flagged_listing_gets_its_evidence_when_replayed(tmp_path: Path, db: Database) -> None:
    capture = Capture(url="https://tiki.vn/p1", status=200, headers={"Content-Type": "text/html; charset=utf-8"},
                      body="<h1>Đồng hồ Rolex super fake</h1>".encode(), fetched_at=NOW, screenshot=b"\x89PNG fake")
    spool = Spool(tmp_path / "spool", evidence_root=tmp_path / "evidence")
    spool.append("listing", at=NOW, doc={**_listing(1), "flag": True}, seller=SELLER, capture=asdict(capture))
    spool.rotate()
    assert spool.replay(db).applied == 1
    refs = db.listings.find_one({"_id": "tiki:7:1"})["evidence"]
    assert sorted(r["kind"] for r in refs) == ["screenshot", "warc"]
    store = BlobStore(tmp_path / "evidence")
    assert all(store.exists(r["sha256"]) for r in refs)
    assert read_warc_response(store.get(next(r["sha256"] for r in refs if r["kind"] == "warc")))[2] == capture.body


def test_an_interrupted_replay_resumes_where_it_stopped(tmp_path: Path, db: Database,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    spool = Spool(tmp_path / "spool")
    for n in range(5):
        spool.append("listing", at=NOW, doc=_listing(n))
    spool.rotate()
    applied: list[str] = []
    real_apply = spool_module.apply

    def flaky(database: Database, entry: dict[str, Any], history_max: int = 50, evidence: Path | None = None) -> None:
        if len(applied) == 3:
            raise StorageError("away") from ServerSelectionTimeoutError("no server")
        real_apply(database, entry, history_max, evidence)
        applied.append(entry["doc"]["_id"])

    monkeypatch.setattr(spool_module, "apply", flaky)
    result = spool.replay(db)
    assert (result.applied, result.pending, result.stopped) == (3, 2, True)
    offset = next((tmp_path / "spool").glob("*.offset")).read_bytes()
    assert offset.count(b"\n") == 1, "one progress mark, rewritten in place"
    monkeypatch.setattr(spool_module, "apply", real_apply)
    assert spool.replay(db).applied == 2
    assert db.listings.count_documents({}) == 5


def test_the_database_away_leaves_everything_pending(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.append("listing", at=NOW, doc=_listing(1))
    spool.rotate()
    with MongoClient("mongodb://127.0.0.1:9/", serverSelectionTimeoutMS=200) as client:
        result = spool.replay(client["nowhere"])
    assert result.stopped and result.applied == 0 and result.pending == 1 and result.rejected == 0


def test_what_the_database_refuses_or_a_torn_line_is_set_aside_not_dropped(tmp_path: Path, db: Database) -> None:
    spool = Spool(tmp_path / "spool")
    spool.append(**run_entry("no-such-run", {"status": "finished"}))
    spool.append("listing", at=NOW, doc=_listing(2))
    spool.rotate()
    segment = next((tmp_path / "spool").glob("segment-*.jsonl"))
    with segment.open("a") as fh:
        fh.write('{"op": "listing", "doc": {"_id": "tiki:7:3", "ti')  # killed while writing
    result = spool.replay(db)
    assert (result.applied, result.rejected, result.pending) == (1, 2, 0)
    rejected = [json.loads(line) for line in (tmp_path / "spool" / "rejected.jsonl").read_text().splitlines()]
    assert "no run no-such-run" in rejected[0]["error"] and "tiki:7:3" in rejected[1]["line"]
    assert db.listings.find_one({"_id": "tiki:7:2"}) is not None


def test_store_pipeline_spools_when_the_database_is_away(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")

    async def crawl(db: Database) -> None:
        pipeline = StorePipeline(db, spool=spool, retry_s=600)
        for n in range(3):
            record = ListingRecord(doc=_listing(n), seller=SELLER)
            assert await pipeline.process_item(record) is record
        await pipeline.close_spider()

    with MongoClient("mongodb://127.0.0.1:9/", serverSelectionTimeoutMS=200) as client:
        asyncio.run(crawl(client["nowhere"]))
    spool.rotate()
    entries = [json.loads(line) for path in (tmp_path / "spool").glob("segment-*.jsonl")
               for line in path.read_text().splitlines()]
    assert [e["doc"]["_id"] for e in entries] == ["tiki:7:0", "tiki:7:1", "tiki:7:2"]
    assert all(e["seller"]["_id"] == "tiki:7" for e in entries)


def test_a_crawl_replays_what_earlier_crawls_left(tmp_path: Path, db: Database) -> None:
    left = Spool(tmp_path / "spool")
    left.append("listing", at=NOW, doc=_listing(8), seller=SELLER)
    left.rotate()
    asyncio.run(StorePipeline(db, spool=Spool(tmp_path / "spool")).open_spider())
    assert db.listings.find_one({"_id": "tiki:7:8"}) is not None
    assert Spool(tmp_path / "spool").pending() == 0


def test_a_batch_is_spooled_with_one_disk_sync_and_replayed_whole(tmp_path: Path, db: Database,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    spool = Spool(tmp_path / "spool")
    spool.append("seller", at=NOW, doc=SELLER)  # the segment exists: what follows syncs only its file
    syncs: list[int] = []
    real_fsync = spool_module.os.fsync
    monkeypatch.setattr(spool_module.os, "fsync", lambda fd: (syncs.append(fd), real_fsync(fd))[1])
    spool.append_many([{"op": "listing", "doc": _listing(n), "seller": SELLER} for n in range(5)])
    assert len(syncs) == 1
    monkeypatch.undo()
    spool.rotate()
    lines = [json.loads(line) for path in (tmp_path / "spool").glob("segment-*.jsonl")
             for line in path.read_text().splitlines()]
    assert [e["doc"]["_id"] for e in lines[1:]] == [f"tiki:7:{n}" for n in range(5)], "in order"
    assert len({json.dumps(e["at"]) for e in lines[1:]}) == 1, "one time for the batch"
    assert spool.replay(db).applied == 6
    assert sorted(d["_id"] for d in db.listings.find()) == [f"tiki:7:{n}" for n in range(5)]


def test_store_pipeline_spools_a_batch_at_once(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")

    async def crawl(db: Database) -> None:
        pipeline = StorePipeline(db, spool=spool, retry_s=600)
        records = [ListingRecord(doc=_listing(n), seller=SELLER) for n in range(10)]
        assert await asyncio.gather(*(pipeline.process_item(r) for r in records)) == records
        await pipeline.close_spider()

    with MongoClient("mongodb://127.0.0.1:9/", serverSelectionTimeoutMS=200) as client:
        asyncio.run(crawl(client["nowhere"]))
    spool.rotate()
    entries = [json.loads(line) for path in sorted((tmp_path / "spool").glob("segment-*.jsonl"))
               for line in path.read_text().splitlines()]
    assert sorted(e["doc"]["_id"] for e in entries) == sorted(f"tiki:7:{n}" for n in range(10))
