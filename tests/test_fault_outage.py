"""The database goes away in the middle of a crawl: items go to the local spool and nothing is lost.

Each test runs its own nx-27017 server (the session one is shared), stopped and started again on the
same port and data folder while a Tiki crawl of the gated sandbox (tests/gated_sandbox.py) waits.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from crawler.sandbox.demo import TIKI_QUERIES
from storage.embedded import ensure_server, stop_server
from tests.gated_sandbox import GatedSandbox, wait_quiet
from tests.sandbox_plugin import ROOT, CrawlEnv

DETAIL = re.compile(r"^/api/v2/products/(\d+)\?")
PAGES = 54  # search, product and seller pages of the Tiki crawl of TIKI_QUERIES
LISTINGS = 31


@dataclass
class Store:
    """A database server of the test's own, to stop and start again."""

    data_dir: Path
    port: int
    uri: str

    def stop(self) -> None:
        stop_server(self.data_dir)

    def start(self) -> None:
        assert ensure_server(self.data_dir, self.port) == self.uri


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data_dir = tmp_path / "store"
    server = Store(data_dir, port, ensure_server(data_dir, port))
    yield server
    server.stop()


@pytest.fixture
def outage_env(gated_env: CrawlEnv, store: Store) -> CrawlEnv:
    """Crawls on the test's own database server, waiting 0.5 s for it before calling it away."""
    gated_env.mongo_uri = store.uri
    gated_env.settings["QLTT_MONGO_TIMEOUT_MS"] = "500"
    return gated_env


def _client(uri: str) -> MongoClient:
    return MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=2000)


def _start_crawl(env: CrawlEnv, retry_s: str, log: Path) -> subprocess.Popen[bytes]:
    args = [a for q in TIKI_QUERIES for a in ("--query", q)]
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "tiki", *args], cwd=ROOT,
                                env={**env.env, "QLTT_SPOOL_RETRY_S": retry_s}, stdout=out,
                                stderr=subprocess.STDOUT)


def _crawled_ids(env: CrawlEnv) -> set[str]:
    """Item ids of the product pages the sandbox answered with 200."""
    return {m.group(1) for host, path, status in env.sandbox.log
            if host == "tiki.vn" and status == 200 and (m := DETAIL.match(path))}


def _stored(db: Database) -> list[str]:
    return [doc["_id"].rsplit(":", 1)[1] for doc in db.listings.find({}, {"_id": 1})]


def _segments(env: CrawlEnv) -> list[Path]:
    return sorted((env.data_dir / "spool").glob("segment-*.jsonl"))


def _outage_midway(env: CrawlEnv, store: Store, retry_s: str, log: Path) -> subprocess.Popen[bytes]:
    """Let a third of the crawl through, stop the database, let another third through: that part is spooled."""
    gated = env.sandbox
    assert isinstance(gated, GatedSandbox)
    gated.gate(PAGES // 3)
    crawl = _start_crawl(env, retry_s, log)
    wait_quiet(gated, crawl, log)
    with _client(store.uri) as client:
        assert client[env.db_name].listings.count_documents({}) > 0
    store.stop()
    gated.allow(PAGES // 3)
    wait_quiet(gated, crawl, log, probe=lambda: [p.stat().st_size for p in _segments(env)])
    assert _segments(env), "written to the spool: " + log.read_text()[-3000:]
    return crawl


def test_outage_until_after_the_crawl_is_replayed_by_the_next_command(outage_env: CrawlEnv, store: Store,
                                                                     tmp_path: Path) -> None:
    log = tmp_path / "crawl.log"
    crawl = _outage_midway(outage_env, store, "600", log)
    outage_env.sandbox.open()
    assert crawl.wait(timeout=60) == 0, log.read_text()[-3000:]
    output = log.read_text()
    assert "writes are spooled" in output and "item LOST" not in output

    store.start()
    pending = outage_env.qltt("spool", "status")
    assert pending.returncode == 0 and re.search(r"Còn chờ ghi: [1-9]\d* mục", pending.stdout), pending.stdout
    listed = outage_env.qltt("runs")  # any command replays first
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert "Hàng đợi cục bộ: Đã ghi" in listed.stderr and "còn chờ 0" in listed.stderr
    assert not _segments(outage_env) and not (outage_env.data_dir / "spool" / "rejected.jsonl").exists()

    with _client(store.uri) as client:
        db = client[outage_env.db_name]
        stored = _stored(db)
        crawled = _crawled_ids(outage_env)
        assert len(crawled) == LISTINGS and sorted(stored) == sorted(crawled), "every crawled listing, exactly once"
        run = db.runs.find_one({"spider": "tiki"})
        flagged = list(db.listings.find({"flag": True}, {"evidence": 1}))
    assert flagged and all(doc.get("evidence") for doc in flagged), "evidence of the spooled ones kept at replay"
    assert run["status"] == "finished" and run["finished_at"] is not None, "the spooled ending was replayed"
    counts = run["counts"]
    assert counts["received"] == LISTINGS and counts["spooled"] > 0 and counts["listings"] < LISTINGS
    assert run["health"]["status"] == "degraded"
    assert any("cơ sở dữ liệu gián đoạn" in r for r in run["health"]["reasons"])
    again = outage_env.qltt("spool", "replay")
    assert again.returncode == 0 and "Đã ghi 0 mục vào cơ sở dữ liệu, còn chờ 0." in again.stdout, again.stdout


def test_database_back_during_the_crawl_takes_the_spool_at_once(outage_env: CrawlEnv, store: Store,
                                                              tmp_path: Path) -> None:
    log = tmp_path / "crawl.log"
    crawl = _outage_midway(outage_env, store, "0.5", log)
    store.start()
    time.sleep(0.5)  # QLTT_SPOOL_RETRY_S: the next write tries the database again
    outage_env.sandbox.open()
    assert crawl.wait(timeout=60) == 0, log.read_text()[-3000:]
    assert not _segments(outage_env), "the crawl replayed its own spool"
    with _client(store.uri) as client:
        db = client[outage_env.db_name]
        assert sorted(_stored(db)) == sorted(_crawled_ids(outage_env))
        run: dict[str, Any] = db.runs.find_one({"spider": "tiki"})
    stats = run["stats"]
    assert run["status"] == "finished" and stats["qltt/spool/replayed_count"] > 0
    assert stats["qltt/spool/pending_count"] == 0
    assert run["counts"]["received"] == LISTINGS


def test_database_away_from_the_start(outage_env: CrawlEnv, store: Store, tmp_path: Path) -> None:
    """A nightly crawl that starts during a database outage crawls, spools everything and loses nothing."""
    store.stop()
    outage_env.sandbox.open()
    log = tmp_path / "crawl.log"
    crawl = _start_crawl(outage_env, "600", log)
    assert crawl.wait(timeout=120) == 0, log.read_text()[-3000:]
    output = log.read_text()
    assert "the crawl goes on and its writes are spooled" in output and "run record spooled" in output
    assert "Traceback" not in output and "item LOST" not in output
    assert _segments(outage_env)

    store.start()
    listed = outage_env.qltt("runs")  # any command replays first
    assert listed.returncode == 0 and "còn chờ 0" in listed.stderr, listed.stderr[-2000:]
    with _client(store.uri) as client:
        db = client[outage_env.db_name]
        crawled = _crawled_ids(outage_env)
        assert len(crawled) == LISTINGS and sorted(_stored(db)) == sorted(crawled), "every listing, exactly once"
        runs = list(db.runs.find({"spider": "tiki"}))
        flagged = list(db.listings.find({"flag": True}, {"evidence": 1}))
    assert len(runs) == 1, "the spooled start and the spooled ending make one run record"
    run = runs[0]
    assert run["status"] == "finished" and run["started_at"] < run["finished_at"]
    assert run["counts"]["received"] == LISTINGS and run["counts"]["spooled"] >= LISTINGS
    assert run["health"]["status"] == "degraded"
    assert flagged and all(doc.get("evidence") for doc in flagged), "evidence of the spooled ones kept at replay"
