"""``qltt evidence verify`` as a user runs it, and evidence kept by a real crawl of the sandbox."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pymongo.database import Database

import storage
from crawler.items import Capture, ListingRecord
from pipelines.evidence import EvidencePipeline
from pipelines.screenshots import CHROMIUM
from storage.evidence import BlobStore, EvidenceKeeper, read_warc_response
from tests.sandbox_plugin import CrawlEnv

ROOT = Path(__file__).resolve().parent.parent


def _verify(db: Database, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QLTT_")}
    env.update(QLTT_MONGO_URI=f"mongodb://{db.client.address[0]}:{db.client.address[1]}",
               QLTT_DB_NAME=db.name, QLTT_DATA_DIR=str(data_dir))
    return subprocess.run([sys.executable, "-m", "crawler.cli", "evidence", "verify"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _keep(db: Database, store: BlobStore, listing_id: str, body: bytes) -> str:
    storage.ListingRepo(db).upsert({"_id": listing_id, "source": "tiki", "title": "x", "flag": True})
    capture = Capture(url=f"http://tiki.vn/{listing_id}", status=200, body=body, fetched_at=datetime.now(UTC))
    asyncio.run(EvidencePipeline(EvidenceKeeper(db, store)).process_item(ListingRecord({"_id": listing_id,
                                                                                        "flag": True}, None, capture)))
    return db["listings"].find_one({"_id": listing_id})["evidence"][0]["sha256"]


def test_verify_reports_missing_and_altered_blobs(db: Database, tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "evidence")
    deleted = _keep(db, store, "tiki:1:1", b"first")
    modified = _keep(db, store, "tiki:1:2", b"second")
    intact = _verify(db, tmp_path)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "0 bị thiếu, 0 bị sửa đổi" in intact.stdout

    store.path(deleted).unlink()
    store.path(modified).write_bytes(b"tampered")
    broken = _verify(db, tmp_path)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"THIẾU     {deleted}  (tin đăng: tiki:1:1)" in broken.stdout
    assert f"BỊ SỬA    {modified}  (tin đăng: tiki:1:2)" in broken.stdout
    assert "1 bị thiếu, 1 bị sửa đổi" in broken.stdout


def test_verify_checks_blob_files_nobody_cites(db: Database, tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "evidence")
    stray = store.put(b"orphan")
    store.path(stray).write_bytes(b"changed")
    result = _verify(db, tmp_path)
    assert result.returncode == 1
    assert f"BỊ SỬA    {stray}  (không tin đăng nào dẫn tới)" in result.stdout


def _rules_unavailable() -> str | None:
    try:
        import rules

        rules.load()
    except Exception as exc:  # any failure means the crawl could not flag anything
        return f"the rules engine does not load yet ({type(exc).__name__}: {exc})"
    return None


def test_crawl_keeps_replayable_evidence_of_a_flagged_listing(crawl_env: CrawlEnv) -> None:
    if reason := _rules_unavailable():
        pytest.skip(reason)
    result = crawl_env.qltt("crawl", "tiki", "--query", "đồng hồ")
    assert result.returncode == 0, result.stderr[-3000:]
    db = storage.connect(crawl_env.mongo_uri, db_name=crawl_env.db_name)
    listing = db["listings"].find_one({"_id": "tiki:196765:299280481"})
    assert listing is not None and listing.get("flag"), result.stderr[-3000:]
    [warc] = [r for r in listing["evidence"] if r["kind"] == "warc"]
    status, headers, body = read_warc_response(BlobStore(crawl_env.data_dir / "evidence").get(warc["sha256"]))
    assert status == 200 and "json" in headers.get("Content-Type", "")
    assert json.loads(body)["id"] == 299280481

    again = crawl_env.qltt("crawl", "tiki", "--query", "đồng hồ")
    assert again.returncode == 0, again.stderr[-3000:]
    assert db["listings"].find_one({"_id": "tiki:196765:299280481"})["evidence"] == listing["evidence"]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
def test_crawl_with_screenshots_renders_flagged_pages(crawl_env: CrawlEnv) -> None:
    if reason := _rules_unavailable():
        pytest.skip(reason)
    result = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "tiki", "--query", "đồng hồ"], cwd=ROOT,
                            env=crawl_env.env | {"QLTT_SCREENSHOTS": "1"}, capture_output=True, text=True,
                            timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    db = storage.connect(crawl_env.mongo_uri, db_name=crawl_env.db_name)
    refs = db["listings"].find_one({"_id": "tiki:196765:299280481"})["evidence"]
    [shot] = [r for r in refs if r["kind"] == "screenshot"]
    png = BlobStore(crawl_env.data_dir / "evidence").get(shot["sha256"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and shot["size"] == len(png)
