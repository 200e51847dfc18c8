"""``qltt runs``: every crawl with its trigger, arguments, local times, status, counts and errors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo.database import Database
from typer.testing import CliRunner

import storage
from crawler.cli.main import _register, app
from storage.runs import RunRepo


@pytest.fixture
def runs_db(embedded_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    name = f"t_runs_{uuid.uuid4().hex[:10]}"
    for key, value in {"QLTT_MONGO_URI": embedded_uri, "QLTT_DB_NAME": name, "QLTT_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(key, value)
    db = storage.connect(embedded_uri, db_name=name)
    yield db
    db.client.drop_database(name)


def _invoke(*args: str) -> str:
    _register()
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_runs_lists_the_latest_with_counts_and_errors(runs_db: Database) -> None:
    runs = RunRepo(runs_db)
    ok = runs.start("tiki", {"query": ["sữa", "son"], "max_pages": 2}, trigger="schedule")
    runs.finish(ok, "finished", {}, counts={"pages": 12, "listings": 30, "created": 7, "flagged_new": 3})
    bad = runs.start("tiki", {"url": ["http://tiki.vn/x-p1.html"]}, trigger="tip")
    runs.finish(bad, "timeout", {}, errors=[{"kind": "timeout", "reason": "quá thời gian 60s, đã dừng"}])
    runs.start("website", {"domain": ["shop.vn"]}, trigger="adhoc")

    out = _invoke("runs", "--limit", "5", "--spider", "tiki")
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["Lượt", "chạy"]
    rows = [line for line in lines if line.startswith((ok, bad))]
    assert [row.split()[0] for row in rows] == [bad, ok]  # newest first
    ok_row = next(row for row in rows if row.startswith(ok))
    assert "lịch" in ok_row and "query=sữa|son max_pages=2" in ok_row and "xong" in ok_row
    assert ok_row.split()[-5:] == ["12", "30", "7", "3", "0"]
    assert "quá giờ" in next(row for row in rows if row.startswith(bad))
    assert f"{bad} (quá giờ): quá thời gian 60s, đã dừng" in out
    assert "website" not in out

    everything = _invoke("runs")
    assert "website" in everything and "đang chạy" in everything and "theo yêu cầu" in everything


def test_runs_when_there_are_none(runs_db: Database) -> None:
    assert "Chưa có lượt chạy nào" in _invoke("runs")
