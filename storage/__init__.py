"""The database: ``connect()`` to MongoDB or the embedded nx-27017 store, and the repositories over it.

One ``MongoClient`` per URI per process (PyMongo clients are thread-safe connection pools, and a
client must not cross a ``fork``), indexes created on the first connect of each database.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import PyMongoError

from crawler import config
from crawler.exceptions import StorageError
from storage.embedded import ensure_server
from storage.indexes import ensure_indexes
from storage.listings import ListingRepo, Outcome
from storage.runs import RunRepo
from storage.sellers import SellerRepo

__all__ = [
    "ListingRepo",
    "Outcome",
    "RunRepo",
    "SellerRepo",
    "close_all",
    "connect",
    "connect_from_config",
    "count",
]

log = logging.getLogger(__name__)
# PyMongo logs every command and connection at DEBUG, and Scrapy leaves the root logger at NOTSET (its handler
# filters), so each round trip built log records nobody reads (3 % of a crawl's CPU). Quiet unless configured.
_PYMONGO_LOGGER = logging.getLogger("pymongo")

_clients: dict[tuple[int, str, int], MongoClient] = {}
_embedded_uris: dict[tuple[int, Path], str] = {}
_indexed: set[tuple[int, str, str]] = set()


def connect(
    uri: str | None = None,
    *,
    data_dir: Path | str | None = None,
    db_name: str = "qltt",
    embedded_port: int = 0,
    timeout_ms: int | None = None,
    verify: bool = True,
) -> Database:
    """The ``db_name`` database at ``uri``, or in the embedded store under ``data_dir`` when no URI.

    Raises ``StorageError`` naming the (password-free) URI when the server cannot be reached. With
    ``verify=False`` the server is not asked (PyMongo connects on the first operation, which raises when
    it is still away): a crawl that starts while the database is down spools its writes; the indexes are
    made by the next verified ``connect``.
    """
    if not uri:
        uri = _embedded_uri(Path(data_dir) if data_dir else config.data_dir(), embedded_port)
    elif not uri.startswith(("mongodb://", "mongodb+srv://")):
        raise StorageError(f"not a MongoDB URI: {_redact(uri)}")
    if timeout_ms is None:
        timeout_ms = int(config.get("QLTT_MONGO_TIMEOUT_MS"))
    pid = os.getpid()
    try:
        db = _client(uri, timeout_ms)[db_name]
        if verify and (pid, uri, db_name) not in _indexed:
            ensure_indexes(db)  # also the proof that the server answers
            _indexed.add((pid, uri, db_name))
    except PyMongoError as exc:
        raise StorageError(f"database at {_redact(uri)} is unreachable: {exc}") from exc
    return db


def count(coll: Collection, query: Mapping[str, Any] | None = None) -> int:
    """Documents of ``coll`` matching ``query``, by the ``count`` command (exact on a replica set).

    Not ``count_documents``: that is an aggregation, which nx-27017 runs by loading every matching document
    into the server (2 s and 170 MB for 30,000 listings, at each page of the console's queue); it answers
    ``count`` in SQL.
    """
    return int(coll.database.command("count", coll.name, query=dict(query or {}))["n"])


def connect_from_config() -> Database:
    """``connect()`` with QLTT_MONGO_URI, QLTT_DATA_DIR, QLTT_DB_NAME and QLTT_EMBEDDED_PORT."""
    return connect(
        config.get("QLTT_MONGO_URI") or None,
        data_dir=config.data_dir(),
        db_name=config.get("QLTT_DB_NAME"),
        embedded_port=int(config.get("QLTT_EMBEDDED_PORT")),
    )


def close_all() -> None:
    """Close this process's clients and forget cached servers (tests, and before stopping the store)."""
    pid = os.getpid()
    for key in [k for k in _clients if k[0] == pid]:
        _clients.pop(key).close()
    _embedded_uris.clear()
    _indexed.clear()


def _client(uri: str, timeout_ms: int) -> MongoClient:
    key = (os.getpid(), uri, timeout_ms)
    client = _clients.get(key)
    if client is None:
        if _PYMONGO_LOGGER.level == logging.NOTSET:
            _PYMONGO_LOGGER.setLevel(logging.INFO)
        client = MongoClient(
            uri,
            w="majority",
            retryWrites=True,
            tz_aware=True,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
        )
        _clients[key] = client
    return client


def _embedded_uri(data_dir: Path, port: int) -> str:
    key = (os.getpid(), data_dir.resolve())
    if key not in _embedded_uris:
        _embedded_uris[key] = ensure_server(data_dir, port)
    return _embedded_uris[key]


def _redact(uri: str) -> str:
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", uri)
