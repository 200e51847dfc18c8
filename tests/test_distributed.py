"""Distributed crawl: ``qltt worker`` processes share the queue in a real Redis server and store each listing once.

The Redis server is started per module on a free loopback port (no persistence) and stopped by its pid.
The sandbox serves a generated Tiki of ``N`` listings and answers slowly enough that two workers overlap.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

import storage
from crawler.cli.main import _register, app
from crawler.distributed import enqueue
from crawler.distributed.queue import text
from crawler.sandbox import Sandbox
from crawler.sandbox.synthetic import QUERY
from crawler.sandbox.tiki import TikiSite
from crawler.schedule import JobContext, run_locked
from crawler.schedule.model import parse_schedule
from storage.runs import RunRepo
from tests.sandbox_plugin import ROOT, CrawlEnv

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed (make setup installs it)"
)

N = 160  # listings: 4 search pages, 160 product pages, 4 seller pages


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder, port = tmp_path_factory.mktemp("redis"), _free_port()
    pidfile = folder / "redis.pid"
    subprocess.run(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--daemonize", "yes", "--dir", str(folder), "--pidfile", str(pidfile)], check=True)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        pid = int(pidfile.read_text())
        os.kill(pid, signal.SIGTERM)
        while pidfile.exists() and time.monotonic() < deadline + 10:
            time.sleep(0.05)


@pytest.fixture(scope="module")
def slow_tiki() -> Iterator[Sandbox]:
    # slow enough that the crawl outlasts a worker's start-up on a loaded machine (at 0.1 s one worker once
    # finished all of it before the other took a request)
    with Sandbox([TikiSite(generated=N)], delay=0.25) as server:
        yield server


@dataclass
class Cluster:
    """Worker processes of one test, with their own database and an emptied Redis."""

    crawl: CrawlEnv
    redis_url: str
    logs: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {**self.crawl.env, "QLTT_REDIS_URL": self.redis_url, "QLTT_REDIS_LEASE_S": "2"}

    def start_workers(self, count: int) -> list[subprocess.Popen[bytes]]:
        """Start ``count`` workers and wait until each has opened its spider on the queue."""
        for _ in range(count):
            log = (self.logs / f"worker-{len(self.workers)}.log").open("wb")
            self.workers.append(subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", "worker", "tiki", "--idle-close", "3"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT))
        self.wait_until(lambda: self.redis.scard("qltt:tiki:workers") == len(self.workers))
        return self.workers

    @property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)

    def wait_until(self, condition: object, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():  # type: ignore[operator]
            assert time.monotonic() < deadline, f"timed out; logs in {self.logs}"
            assert all(w.poll() is None for w in self.workers), f"a worker exited; logs in {self.logs}"
            time.sleep(0.05)

    def finish(self, timeout: float = 60) -> None:
        """Wait for the workers to close by themselves (idle); each one not killed must exit cleanly."""
        for worker in self.workers:
            assert worker.wait(timeout=timeout) in (0, -signal.SIGKILL), f"see {self.logs}"

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


@pytest.fixture
def cluster(slow_tiki: Sandbox, embedded_uri: str, redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    slow_tiki.clear()
    redis.Redis.from_url(redis_url).flushdb()
    env = CrawlEnv(slow_tiki, embedded_uri, f"t_{uuid.uuid4().hex[:12]}", tmp_path / "data")
    result = Cluster(env, redis_url, tmp_path)
    try:
        yield result
    finally:
        result.stop()


def _expected_ids() -> set[str]:
    return {row["_id"] for row in TikiSite(generated=N).rows}


def _products_fetched(sandbox: Sandbox) -> Counter[str]:
    return Counter(path for host, path, _ in sandbox.log if path.startswith("/api/v2/products/"))


def test_two_workers_share_the_crawl_and_store_every_listing_once(cluster: Cluster, slow_tiki: Sandbox) -> None:
    cluster.start_workers(2)
    enqueue(cluster.redis, "tiki", {"query": [QUERY], "max_pages": 50})
    cluster.finish()

    db = storage.connect(cluster.crawl.mongo_uri, db_name=cluster.crawl.db_name)
    assert {d["_id"] for d in db.listings.find({}, {"_id": 1})} == _expected_ids()
    assert db.listings.count_documents({}) == N
    fetched = _products_fetched(slow_tiki)
    assert len(fetched) == N and set(fetched.values()) == {1}  # each product page fetched by one worker, once
    runs = list(db.runs.find({"trigger": "worker"}))
    assert len(runs) == 2 and {r["status"] for r in runs} == {"finished"}
    assert len({r["stats"]["qltt/worker/id"] for r in runs}) == 2
    assert all(r["counts"]["pages"] > 0 for r in runs), [r["counts"] for r in runs]  # both did part of it
    assert sum(r["counts"]["created"] for r in runs) == N
    assert sum(r["counts"]["updated"] + r["counts"]["unchanged"] for r in runs) == 0


def test_a_killed_worker_loses_no_request(cluster: Cluster, slow_tiki: Sandbox) -> None:
    workers = cluster.start_workers(2)
    server = cluster.redis
    enqueue(server, "tiki", {"query": [QUERY], "max_pages": 50})

    def both_busy() -> bool:
        busy = [server.hlen(key) for key in server.keys("qltt:tiki:inflight:*")]
        return len(busy) == 2 and all(busy) and sum(_products_fetched(slow_tiki).values()) >= N // 4

    cluster.wait_until(both_busy)
    victim = workers[0]
    in_flight = server.hlen(next(k for k in server.keys("qltt:tiki:inflight:*") if f"-{victim.pid}-".encode() in k))
    victim.send_signal(signal.SIGKILL)
    cluster.finish()

    assert in_flight > 0
    db = storage.connect(cluster.crawl.mongo_uri, db_name=cluster.crawl.db_name)
    assert {d["_id"] for d in db.listings.find({}, {"_id": 1})} == _expected_ids()
    assert db.listings.count_documents({}) == N
    survivor = db.runs.find_one({"trigger": "worker", "status": "finished"})
    assert survivor is not None and survivor["stats"]["qltt/worker/recovered_count"] > 0, survivor
    assert db.runs.count_documents({"trigger": "worker", "status": "running"}) == 1  # the killed one
    assert server.scard("qltt:tiki:workers") == 0 and server.zcard("qltt:tiki:requests") == 0


def _queued_arguments(url: str, spider: str = "tiki") -> list[dict[str, object]]:
    server = redis.Redis.from_url(url)
    ids = [text(raw) for raw in server.lrange(f"qltt:{spider}:jobs", 0, -1)]
    return [json.loads(server.get(f"qltt:{spider}:job:{job_id}") or "null")["arguments"] for job_id in ids]


def test_enqueue_checks_the_job_and_queues_its_arguments(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    _register()
    monkeypatch.delenv("QLTT_REDIS_URL", raising=False)
    assert CliRunner().invoke(app, ["enqueue", "tiki", "--query", "sữa"]).exit_code == 2  # no Redis configured
    monkeypatch.setenv("QLTT_REDIS_URL", f"redis://127.0.0.1:{_free_port()}/0")  # nothing listens there
    assert CliRunner().invoke(app, ["enqueue", "tiki", "--query", "sữa"]).exit_code == 2
    monkeypatch.setenv("QLTT_REDIS_URL", redis_url)
    for bad in (["enqueue", "nope", "--query", "sữa"], ["enqueue", "tiki"],
                ["enqueue", "tiki", "--query", "sữa", "--since", "hôm qua"]):
        result = CliRunner().invoke(app, bad)
        assert result.exit_code == 2, result.output
    result = CliRunner().invoke(app, ["enqueue", "tiki", "--query", "sữa", "--query", "son", "--max-pages", "2"])
    assert result.exit_code == 0, result.output
    assert _queued_arguments(redis_url) == [{"query": ["sữa", "son"], "max_pages": 2}]


def test_the_scheduler_queues_its_jobs_in_distributed_mode(redis_url: str, embedded_uri: str, tmp_path: Path) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    schedule = parse_schedule({"jobs": {"nightly": {"cron": "0 1 * * *", "spider": "tiki", "query": ["sữa"],
                                                    "max_pages": 2}}}, tmp_path / "lich.yaml")
    db = storage.connect(embedded_uri, db_name=f"t_{uuid.uuid4().hex[:12]}")
    run_id, status = run_locked(JobContext(schedule, RunRepo(db), tmp_path, 60, redis_url=redis_url), "nightly")
    assert status == "queued" and run_id.startswith("job:")
    assert _queued_arguments(redis_url) == [{"query": ["sữa"], "max_pages": 2}]
    assert db.runs.count_documents({}) == 0  # the workers record the runs
    db.client.drop_database(db.name)
