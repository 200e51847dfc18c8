"""The evidence pipeline on stored listings: WARC blobs and refs for flagged ones, no duplicates on re-crawl."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo.database import Database

from crawler.items import Capture, ListingRecord, SellerRecord
from crawler.sandbox import Sandbox
from crawler.sandbox.demo import sandbox_settings
from crawler.sandbox.websites import WebsitesSite
from pipelines.evidence import EvidencePipeline
from pipelines.screenshots import CHROMIUM, PageRenderer
from storage import ListingRepo
from storage.evidence import BlobStore, EvidenceKeeper, read_warc_response

LISTING_ID = "tiki:196765:299280481"
BODY = json.dumps({"id": 299280481, "name": "Đồng Hồ Nữ Daniel Wellington"}, ensure_ascii=False).encode()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _doc(listing_id: str = LISTING_ID, flag: bool = True) -> dict[str, Any]:
    return {"_id": listing_id, "source": "tiki", "kind": "marketplace", "url": "https://tiki.vn/p299280481.html",
            "title": "Đồng Hồ Nữ Daniel Wellington", "price": 350_000, "flag": flag}


def _capture(body: bytes = BODY, when: datetime | None = None, **changes: Any) -> Capture:
    return Capture(url="http://tiki.vn/api/v2/products/299280481", status=200,
                   headers={"Content-Type": "application/json"}, body=body,
                   fetched_at=when or datetime(2026, 11, 23, 3, 0, tzinfo=UTC), **changes)


def _pipeline(db: Database, root: Path, renderer: PageRenderer | None = None,
              max_body: int | None = 1 << 20) -> EvidencePipeline:
    return EvidencePipeline(EvidenceKeeper(db, BlobStore(root), max_body), renderer)


def _run(pipeline: EvidencePipeline, *records: Any) -> list[Any]:
    async def go() -> list[Any]:
        try:
            return [await pipeline.process_item(r) for r in records]
        finally:
            await pipeline.close_spider()

    return asyncio.run(go())


def _stored(db: Database, *docs: dict[str, Any]) -> None:
    repo = ListingRepo(db)
    for doc in docs:
        repo.upsert(doc)


def _blobs(root: Path) -> list[str]:
    return [name for name, _ in BlobStore(root).iter_shas()]


def test_flagged_listing_gets_a_warc_ref_and_loses_its_capture(db: Database, tmp_path: Path) -> None:
    _stored(db, _doc())
    record = ListingRecord(_doc(), None, _capture())
    [out] = _run(_pipeline(db, tmp_path), record)
    assert out is record and record.capture is None
    [ref] = db["listings"].find_one({"_id": LISTING_ID})["evidence"]
    assert ref["kind"] == "warc" and ref["content_type"] == "application/warc"
    assert ref["payload_sha256"] == hashlib.sha256(BODY).hexdigest()
    assert ref["url"] == "http://tiki.vn/api/v2/products/299280481"
    assert ref["captured_at"] == datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    data = BlobStore(tmp_path).get(ref["sha256"])
    assert ref["size"] == len(data) and hashlib.sha256(data).hexdigest() == ref["sha256"]
    status, _, body = read_warc_response(data)
    assert status == 200 and json.loads(body)["id"] == 299280481


def test_recrawl_of_unchanged_content_adds_no_blob_and_no_ref(db: Database, tmp_path: Path) -> None:
    _stored(db, _doc())
    _run(_pipeline(db, tmp_path), ListingRecord(_doc(), None, _capture()))
    blobs = _blobs(tmp_path)
    later = _capture(when=datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    _run(_pipeline(db, tmp_path), ListingRecord(_doc(), None, later))
    assert _blobs(tmp_path) == blobs
    assert len(db["listings"].find_one({"_id": LISTING_ID})["evidence"]) == 1


def test_changed_content_adds_a_second_ref(db: Database, tmp_path: Path) -> None:
    _stored(db, _doc())
    changed = _capture(body=BODY.replace(b"299280481", b"299280482"), when=datetime.now(UTC) + timedelta(days=1))
    _run(_pipeline(db, tmp_path), ListingRecord(_doc(), None, _capture()), ListingRecord(_doc(), None, changed))
    refs = db["listings"].find_one({"_id": LISTING_ID})["evidence"]
    assert len(refs) == 2 and len({r["sha256"] for r in refs}) == 2
    assert len(_blobs(tmp_path)) == 2


def test_listings_of_one_page_share_one_blob(db: Database, tmp_path: Path) -> None:
    other = "tiki:196765:1"
    _stored(db, _doc(), _doc(other))
    capture = _capture()
    _run(_pipeline(db, tmp_path), ListingRecord(_doc(), None, capture), ListingRecord(_doc(other), None, capture))
    first, second = (db["listings"].find_one({"_id": i})["evidence"] for i in (LISTING_ID, other))
    assert first == second and len(first) == 1
    assert len(_blobs(tmp_path)) == 1


def test_unflagged_listings_and_sellers_keep_nothing(db: Database, tmp_path: Path) -> None:
    _stored(db, _doc(flag=False))
    record = ListingRecord(_doc(flag=False), None, _capture())
    seller = SellerRecord({"_id": "tiki:196765"})
    assert _run(_pipeline(db, tmp_path), record, seller) == [record, seller]
    assert record.capture is None
    assert db["listings"].find_one({"_id": LISTING_ID})["evidence"] == []
    assert _blobs(tmp_path) == []


def test_body_over_the_limit_is_cut(db: Database, tmp_path: Path) -> None:
    _stored(db, _doc())
    _run(_pipeline(db, tmp_path, max_body=10), ListingRecord(_doc(), None, _capture()))
    [ref] = db["listings"].find_one({"_id": LISTING_ID})["evidence"]
    assert ref["payload_sha256"] == hashlib.sha256(BODY[:10]).hexdigest()
    assert read_warc_response(BlobStore(tmp_path).get(ref["sha256"]))[2] == BODY[:10]


def test_browser_screenshot_is_kept_once(db: Database, tmp_path: Path) -> None:
    _stored(db, _doc())
    for day in (1, 2):
        capture = _capture(when=datetime(2026, 11, day, tzinfo=UTC), screenshot=PNG)
        _run(_pipeline(db, tmp_path), ListingRecord(_doc(), None, capture))
    refs = db["listings"].find_one({"_id": LISTING_ID})["evidence"]
    assert sorted(r["kind"] for r in refs) == ["screenshot", "warc"]
    shot = next(r for r in refs if r["kind"] == "screenshot")
    assert shot["content_type"] == "image/png" and BlobStore(tmp_path).get(shot["sha256"]) == PNG
    assert len(_blobs(tmp_path)) == 2


def test_deleted_blob_is_written_again_on_recrawl(db: Database, tmp_path: Path) -> None:
    _stored(db, _doc(), _doc("tiki:196765:1"))
    _run(_pipeline(db, tmp_path), ListingRecord(_doc(), None, _capture()))
    [sha] = _blobs(tmp_path)
    BlobStore(tmp_path).path(sha).unlink()
    _run(_pipeline(db, tmp_path), ListingRecord(_doc("tiki:196765:1"), None, _capture()))
    [ref] = db["listings"].find_one({"_id": "tiki:196765:1"})["evidence"]
    assert BlobStore(tmp_path).exists(ref["sha256"])


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
def test_plain_http_page_is_rendered_through_the_proxy(db: Database, tmp_path: Path, sandbox: Sandbox) -> None:
    host = next(s for s in sandbox.sites if isinstance(s, WebsitesSite)).hosts[0]
    url = f"http://{host}/"
    _stored(db, _doc())
    renderer = PageRenderer(sandbox_settings(sandbox)["QLTT_PROXY"])
    capture = Capture(url=url, status=200, headers={"Content-Type": "text/html"}, body=b"<html></html>",
                      fetched_at=datetime.now(UTC))
    _run(_pipeline(db, tmp_path, renderer), ListingRecord(_doc(), None, capture))
    refs = db["listings"].find_one({"_id": LISTING_ID})["evidence"]
    shot = next(r for r in refs if r["kind"] == "screenshot")
    png = BlobStore(tmp_path).get(shot["sha256"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and shot["url"] == url
    assert sandbox.counts(host)["/"] >= 1


def test_unwritable_store_logs_and_passes_the_item_on(db: Database, tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    _stored(db, _doc())
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    record = ListingRecord(_doc(), None, _capture())
    assert _run(_pipeline(db, blocker), record) == [record]
    assert "evidence of tiki:196765:299280481 not kept" in caplog.text
    assert db["listings"].find_one({"_id": LISTING_ID})["evidence"] == []
