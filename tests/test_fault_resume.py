"""A job killed half way (SIGKILL, SIGTERM) resumes: every listing stored, no page fetched twice.

The sandbox holds every request past the first half at a gate (tests/gated_sandbox.py), so the crawl
is killed at a known point: what it fetched is in the request log, what it was still asking for never
reached the log.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import storage
from crawler.frontier import ACTIVE, DONE, PENDING
from crawler.sandbox.demo import TIKI_QUERIES
from tests.gated_sandbox import GatedSandbox, wait_quiet
from tests.sandbox_plugin import ROOT, CrawlEnv

ARGS = [a for q in TIKI_QUERIES for a in ("--query", q)]
JOB = "dem-tiki"
TOTAL_PAGES = 54  # search, product and seller pages of the Tiki crawl of TIKI_QUERIES
LISTINGS = 31


def _frontier_state(env: CrawlEnv) -> dict[str, Any]:
    path = env.data_dir / "jobs" / JOB / "frontier.sqlite"
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT state, response IS NOT NULL, url FROM requests").fetchall()
    return {"done": sorted(u for s, _, u in rows if s == DONE),
            "kept": sum(1 for s, kept, _ in rows if s == ACTIVE and kept),
            "open": sum(1 for s, _, _ in rows if s in (PENDING, ACTIVE))}


def _frontier_or_none(env: CrawlEnv) -> dict[str, Any] | None:
    try:
        return _frontier_state(env)
    except sqlite3.OperationalError:  # not created yet
        return None


def _kill_at_the_gate(env: CrawlEnv, sig: signal.Signals, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Start the job, wait until it is stuck at the gate with all it fetched handled, send ``sig``."""
    gated = env.sandbox
    assert isinstance(gated, GatedSandbox)
    gated.gate(TOTAL_PAGES // 2)
    log = tmp_path / f"crawl-{sig.name}.log"
    with log.open("w") as out:
        crawl = subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "tiki", "--job", JOB, *ARGS],
                                 cwd=ROOT, env=env.env, stdout=out, stderr=subprocess.STDOUT, text=True)
    wait_quiet(gated, crawl, log, probe=lambda: _frontier_or_none(env))
    os.kill(crawl.pid, sig)
    if sig is signal.SIGTERM:
        time.sleep(0.5)
    gated.drop_held()  # a graceful stop still waits for its downloads: they fail, unanswered and unlogged
    code = crawl.wait(timeout=60)
    return subprocess.CompletedProcess(crawl.args, code, log.read_text(), "")


def _check_resumed(env: CrawlEnv, killed: subprocess.CompletedProcess[str], before: dict[str, Any],
                   status: str) -> tuple[dict[str, Any], dict[str, Any]]:
    fetched_before = sum(env.sandbox.counts().values())
    assert 0 < fetched_before < TOTAL_PAGES and len(before["done"]) > 0 and before["open"] > 0, killed.stdout[-3000:]

    resumed = env.qltt("crawl", "tiki", "--job", JOB, *ARGS)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    counts = env.sandbox.counts()
    assert sum(counts.values()) == TOTAL_PAGES, "the resumed job fetched what was left, nothing more"
    assert max(counts.values()) == 1, f"pages fetched twice: {[p for p, n in counts.items() if n > 1]}"

    db = storage.connect(env.mongo_uri, db_name=env.db_name)
    assert db.listings.count_documents({}) == LISTINGS
    first, second = sorted(db.runs.find({"spider": "tiki"}), key=lambda r: r["started_at"])
    assert first["status"] == status and first["job"] == JOB and first["resumed_by"] == second["_id"]
    assert second["status"] == "finished" and second["resumed_from"] == [first["_id"]]
    assert second["health"]["status"] == "ok", second["health"]
    assert not _frontier_state(env)["open"], "a finished job leaves nothing to resume"

    listed = env.qltt("runs")
    assert f"{second['_id']}: tiếp tục công việc {JOB} từ lượt {first['_id']}" in listed.stdout
    assert f"{first['_id']}: được tiếp tục bởi lượt {second['_id']}" in listed.stdout
    return first, second


def test_sigkill_half_way_then_resume(gated_env: CrawlEnv, tmp_path: Path) -> None:
    job_env = gated_env
    killed = _kill_at_the_gate(job_env, signal.SIGKILL, tmp_path)
    assert killed.returncode == -signal.SIGKILL
    before = _frontier_state(job_env)
    db = storage.connect(job_env.mongo_uri, db_name=job_env.db_name)
    assert db.runs.find_one({"spider": "tiki"})["status"] == "running", "nobody closed the killed run"

    first, _ = _check_resumed(job_env, killed, before, status="interrupted")
    assert first["killed"] is True
    listed = job_env.qltt("runs")
    assert f"{first['_id']}: tiến trình bị dừng đột ngột" in listed.stdout and "bị dừng" in listed.stdout


def test_sigterm_half_way_then_resume(gated_env: CrawlEnv, tmp_path: Path) -> None:
    job_env = gated_env
    stopped = _kill_at_the_gate(job_env, signal.SIGTERM, tmp_path)
    assert stopped.returncode == 0, stopped.stdout[-3000:]
    assert "kết thúc: shutdown" in stopped.stdout
    before = _frontier_state(job_env)
    db = storage.connect(job_env.mongo_uri, db_name=job_env.db_name)
    run = db.runs.find_one({"spider": "tiki"})
    assert run["status"] == "interrupted" and "bị dừng giữa chừng" in run["health"]["reasons"][0]

    first, _ = _check_resumed(job_env, stopped, before, status="interrupted")
    assert "killed" not in first
