"""Bounded resources and hostile responses: huge bodies, gzip bombs, odd encodings, the run timeout,
and Scrapy 2.19's RemoteControl server kept off."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import storage
from tests.sandbox_plugin import ROOT, CrawlEnv

MiB = 1 << 20
MAXSIZE = 4 * MiB
OVERSIZED = "185178323"  # two of the five products of the "sữa" search
BOMB = "283845931"
CP1258_PAGE = "nuochoa-lumiere.vn/products/nuoc-hoa-nam-bleu"
BROKEN_PAGE = "nuochoa-lumiere.vn/products/nuoc-hoa-nam-dior-sauvage"


def _crawl_peak_rss(env: CrawlEnv, log: Path, *args: str) -> tuple[int, int]:
    """Run ``qltt ARGS``; (exit code, the process's peak RSS in bytes, from the kernel's rusage)."""
    with log.open("w") as out:
        child = subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], cwd=ROOT,
                                 env={**env.env, "QLTT_DOWNLOAD_MAXSIZE": str(MAXSIZE)}, stdout=out,
                                 stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, usage.ru_maxrss * 1024


def _run(env: CrawlEnv) -> dict[str, Any]:
    db = storage.connect(env.mongo_uri, db_name=env.db_name)
    return db.runs.find().sort("started_at", -1).limit(1)[0]


def test_huge_body_and_gzip_bomb_are_refused_in_bounded_memory(crawl_env: CrawlEnv, tmp_path: Path) -> None:
    code, clean_peak = _crawl_peak_rss(crawl_env, tmp_path / "clean.log", "crawl", "tiki", "--query", "sữa")
    assert code == 0, (tmp_path / "clean.log").read_text()[-3000:]
    crawl_env.sandbox.add_fault("oversized", f"/api/v2/products/{OVERSIZED}")  # 50 MB
    crawl_env.sandbox.add_fault("gzip-bomb", f"/api/v2/products/{BOMB}")  # 200 MB once inflated
    log = tmp_path / "hostile.log"
    code, peak = _crawl_peak_rss(crawl_env, log, "crawl", "tiki", "--query", "sữa")
    assert code == 0, log.read_text()[-3000:]
    assert peak - clean_peak < 40 * MiB, f"peak RSS {peak / MiB:.0f} MiB against {clean_peak / MiB:.0f} MiB"

    run = _run(crawl_env)
    reasons = {e["url"].split("?")[0].rsplit("/", 1)[1]: e["reason"] for e in run["errors"]}
    assert "larger than download max size" in reasons[OVERSIZED]
    assert "exceeded DOWNLOAD_MAXSIZE" in reasons[BOMB] and "during decompression" in reasons[BOMB]
    assert run["status"] == "finished" and run["counts"]["received"] == 3, "the other listings are stored"


def _website_listing(env: CrawlEnv, path: str) -> dict[str, Any] | None:
    db = storage.connect(env.mongo_uri, db_name=env.db_name)
    return db.listings.find_one({"_id": {"$regex": f"^web:{path}"}})


def test_windows_1258_and_broken_utf8_pages_are_read(crawl_env: CrawlEnv) -> None:
    crawl_env.sandbox.add_fault("cp1258", CP1258_PAGE)
    crawl_env.sandbox.add_fault("broken-utf8", BROKEN_PAGE)
    result = crawl_env.qltt("crawl", "website", "--url", "http://nuochoa-lumiere.vn/")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    for page in (CP1258_PAGE, BROKEN_PAGE):
        listing = _website_listing(crawl_env, page)
        assert listing is not None, page
        assert listing["title"] == "Nước hoa Chanel No.5 100ml" and listing["price"] == 1250000, listing
    run = _run(crawl_env)
    assert run["status"] == "finished" and run["health"]["status"] == "ok", run["health"]


def _listening_sockets(pid: int) -> set[str]:
    """Inodes of the TCP sockets ``pid`` holds open in LISTEN state (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    listening = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                listening.add(fields[9])
    return listening


def test_remote_control_stays_disabled(crawl_env: CrawlEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    assert get_project_settings().getbool("REMOTE_CONTROL_ENABLED") is False
    assert _listening_sockets(os.getpid()), "the check sees a listening socket (the sandbox's)"

    crawl_env.sandbox.delay = 0.3
    log = tmp_path / "crawl.log"
    try:
        with log.open("w") as out:
            crawl = subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "tiki", "--query", "sữa"],
                                     cwd=ROOT, env=crawl_env.env, stdout=out, stderr=subprocess.STDOUT)
        while len(crawl_env.sandbox.log) < 3:  # the spider is open and crawling
            assert crawl.poll() is None, log.read_text()[-3000:]
            time.sleep(0.05)
        assert _listening_sockets(crawl.pid) == set()
        assert crawl.wait(timeout=60) == 0
    finally:
        crawl_env.sandbox.delay = 0.0
    output = log.read_text()
    assert "Remote control" not in output and "RemoteControl" not in output


def test_run_timeout_ends_the_run_with_a_clear_status(crawl_env: CrawlEnv) -> None:
    crawl_env.sandbox.delay = 1.0
    try:
        result = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "tiki", "--query", "sữa", "--query",
                                 "máy"], cwd=ROOT, env={**crawl_env.env, "QLTT_RUN_TIMEOUT": "2"},
                                capture_output=True, text=True, timeout=60, check=False)
    finally:
        crawl_env.sandbox.delay = 0.0
    assert result.returncode == 0, result.stderr[-3000:]
    assert "kết thúc: closespider_timeout" in result.stdout
    run = _run(crawl_env)
    assert run["status"] == "timeout" and run["stats"]["finish_reason"] == "closespider_timeout"
    assert "Tiki: lượt chạy dừng vì quá thời gian tối đa" in run["health"]["reasons"]
    listed = crawl_env.qltt("runs")
    assert "quá giờ" in listed.stdout and "dừng vì quá thời gian tối đa" in listed.stdout
