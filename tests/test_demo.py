"""The README's main job: ``qltt demo`` on the embedded default, run twice as a new user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from storage.embedded import ensure_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
VOLATILE = {"last_seen", "evidence"}  # a re-crawl may only touch these


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "var"
    yield path
    stop_server(path)


def _demo(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QLTT_") and not k.lower().endswith("_proxy")}
    env["QLTT_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "crawler.cli", "demo"], cwd=data_dir.parent, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def _snapshot(data_dir: Path) -> dict[str, dict[str, Any]]:
    client: MongoClient = MongoClient(ensure_server(data_dir))
    try:
        return {d["_id"]: {k: v for k, v in d.items() if k not in VOLATILE}
                for d in client["qltt"]["listings"].find()}
    finally:
        client.close()


def test_demo_twice_stores_once_and_changes_nothing(data_dir: Path) -> None:
    first = _demo(data_dir)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "KẾT QUẢ THU THẬP" in first.stdout and "Bị gắn cờ" in first.stdout
    assert "Traceback" not in first.stderr
    before = _snapshot(data_dir)
    assert len(before) > 50 and sum(1 for d in before.values() if d.get("flag")) > 10

    second = _demo(data_dir)
    assert second.returncode == 0, second.stderr[-3000:]
    after = _snapshot(data_dir)
    assert after.keys() == before.keys()
    changed = [key for key in before if before[key] != after[key]]
    assert changed == []

    client: MongoClient = MongoClient(ensure_server(data_dir))
    try:
        runs = list(client["qltt"]["runs"].find())
    finally:
        client.close()
    assert runs and {r["trigger"] for r in runs} == {"demo"}
    assert {r["status"] for r in runs} == {"finished"}
