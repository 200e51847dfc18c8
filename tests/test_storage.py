"""storage.connect, the embedded nx-27017 server and the indexes, on the embedded store and real MongoDB."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

import storage
from crawler.exceptions import StorageError
from storage.embedded import ensure_server, stop_server
from storage.indexes import INDEXES
from storage.values import as_utc, bson_safe

ROOT = Path(__file__).resolve().parent.parent

_PRINT_PORT = """
import sys
import storage
db = storage.connect_from_config() if sys.argv[1] == "config" else storage.connect(data_dir=sys.argv[2])
print(db.client.address[1], db.name)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_in_process(how: str, data_dir: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _PRINT_PORT, how, str(data_dir)],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _answer(proc: subprocess.Popen[str]) -> list[str]:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out.split()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data folder whose embedded server, if a test starts one, is stopped afterwards."""
    try:
        yield tmp_path
    finally:
        storage.close_all()
        stop_server(tmp_path)


def test_connect_creates_the_declared_indexes(db: Database) -> None:
    for name, models in INDEXES.items():
        have = {tuple(field for field, _ in spec["key"]) for spec in db[name].index_information().values()}
        want = {tuple(model.document["key"]) for model in models}
        assert want <= have, name


def test_connect_is_idempotent_and_reuses_the_client(db: Database) -> None:
    uri = "mongodb://{}:{}/".format(*db.client.address)
    again = storage.connect(uri, db_name=db.name)
    assert again.client is db.client
    assert again.name == db.name


def test_unique_violation_raises_duplicate_key_error(db: Database) -> None:
    db.listings.insert_one({"_id": "tiki:1:1", "source": "tiki"})
    with pytest.raises(DuplicateKeyError):
        db.listings.insert_one({"_id": "tiki:1:1", "source": "tiki"})
    db.scratch.create_index("url", unique=True)
    db.scratch.insert_one({"url": "https://shop.vn/a"})
    with pytest.raises(DuplicateKeyError):
        db.scratch.insert_one({"url": "https://shop.vn/a"})


def test_datetimes_survive_updates_as_utc_datetimes(db: Database) -> None:
    # nx-27017's SQL update path stored these as strings; storage._nxserver routes around it.
    when = datetime(2026, 3, 1, 8, 30, 0, 123000, tzinfo=UTC)
    db.t.insert_one({"_id": 1, "log": [{"at": when}]})
    db.t.update_one({"_id": 1}, {"$set": {"at": when, "nested.at": when},
                                 "$push": {"log": {"$each": [{"at": when}], "$slice": -5}},
                                 "$addToSet": {"tags": {"$each": ["a", "a", "b"]}}})
    doc = db.t.find_one({"_id": 1})
    assert doc["at"] == when and doc["nested"]["at"] == when
    assert doc["log"] == [{"at": when}, {"at": when}]
    assert doc["tags"] == ["a", "b"]
    assert db.t.count_documents({"at": {"$gte": when - timedelta(seconds=1)}}) == 1


def test_unreachable_mongodb_is_a_clear_storage_error() -> None:
    uri = f"mongodb://qltt:secret@127.0.0.1:{_free_port()}/"
    with pytest.raises(StorageError) as caught:
        storage.connect(uri, timeout_ms=300)
    message = str(caught.value)
    assert "unreachable" in message and "127.0.0.1" in message
    assert "secret" not in message


def test_a_non_mongodb_uri_is_refused() -> None:
    with pytest.raises(StorageError, match="not a MongoDB URI"):
        storage.connect("postgres://127.0.0.1/qltt")


def test_embedded_server_is_shared_by_separate_processes(data_dir: Path) -> None:
    first = _answer(_port_in_process("data_dir", data_dir))
    second = _answer(_port_in_process("config", data_dir, QLTT_DATA_DIR=str(data_dir), QLTT_DB_NAME="other",
                                      QLTT_MONGO_URI=""))
    assert first[0] == second[0]
    assert (first[1], second[1]) == ("qltt", "other")
    record = json.loads((data_dir / "db" / "server.json").read_text())
    assert str(record["port"]) == first[0]
    # The server outlived the processes that started and used it.
    assert ensure_server(data_dir) == f"mongodb://127.0.0.1:{first[0]}/"


def test_processes_starting_together_start_one_server(data_dir: Path) -> None:
    procs = [_port_in_process("data_dir", data_dir) for _ in range(3)]
    ports = {_answer(p)[0] for p in procs}
    assert len(ports) == 1


def test_a_stale_server_record_is_replaced(data_dir: Path) -> None:
    (data_dir / "db").mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    port = _free_port()
    (data_dir / "db" / "server.json").write_text(json.dumps({"pid": int(dead.stdout), "port": port}))
    uri = ensure_server(data_dir)
    assert uri.startswith("mongodb://127.0.0.1:")
    assert json.loads((data_dir / "db" / "server.json").read_text())["pid"] != int(dead.stdout)
    assert stop_server(data_dir) is True
    assert stop_server(data_dir) is False


def test_embedded_connect_uses_the_requested_port(data_dir: Path) -> None:
    port = _free_port()
    db = storage.connect(data_dir=data_dir, db_name="ported", embedded_port=port)
    assert db.client.address == ("127.0.0.1", port)
    assert (data_dir / "logs" / "embedded-db.log").exists()


def test_bson_safe_makes_scrapy_stats_storable() -> None:
    start = datetime(2026, 1, 2, 3, 4, 5, 678901)
    safe = bson_safe({"start_time": start, "elapsed": timedelta(seconds=2.5), "my.custom$key": {1, 2},
                      "nested": {"a.b": (1, 2)}, "huge": 2**70, "obj": Path("/x")})
    assert safe == {"start_time": datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC), "elapsed": 2.5,
                    "my_customkey": [1, 2], "nested": {"a_b": [1, 2]}, "huge": str(2**70), "obj": "/x"}
    assert as_utc(datetime(2026, 1, 1, 14, tzinfo=timezone(timedelta(hours=7)))) == datetime(2026, 1, 1, 7, tzinfo=UTC)


def test_storage_imports_no_scrapy() -> None:
    code = "import sys, storage; sys.exit(any(m.split('.')[0] in ('scrapy', 'spiders') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0


def test_array_fields_match_by_element(db: Database) -> None:
    # nx-27017 misses these when the array field is indexed; storage.indexes indexes none.
    db.listings.insert_one({"_id": "a", "source": "web", "findings": [{"category": "banned"}, {"category": "origin"}]})
    db.sellers.insert_one({"_id": "s", "identity_keys": ["phone:+84912345678", "tax:0101234567"]})
    assert db.listings.count_documents({"findings.category": "origin"}) == 1
    assert db.sellers.count_documents({"identity_keys": "tax:0101234567"}) == 1
    assert db.sellers.count_documents({"identity_keys": {"$in": ["tax:0101234567"]}}) == 1
