"""Pytest fixtures for crawling the sandbox: the server, and a helper that runs ``qltt crawl`` against it.

Crawls run in a subprocess (a Twisted reactor cannot restart inside the test process), with the
database and the sandbox given through ``QLTT_*`` environment variables, as a user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from crawler.sandbox import Sandbox
from crawler.sandbox.demo import sandbox_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as server:
        yield server


@pytest.fixture
def fresh_sandbox(sandbox: Sandbox) -> Iterator[Sandbox]:
    """The shared sandbox with no faults and an empty request log, cleaned again afterwards."""
    sandbox.clear()
    yield sandbox
    sandbox.clear()


@dataclass
class CrawlEnv:
    """Environment of crawl subprocesses: one sandbox, one database per test."""

    sandbox: Sandbox
    mongo_uri: str
    db_name: str
    data_dir: Path
    settings: dict[str, str] = field(default_factory=dict)  # extra QLTT_* for this test's crawls
    _client: MongoClient | None = field(default=None, repr=False)

    def db(self) -> Database:
        """The database the crawls write to, through one client the fixture closes after the test."""
        if self._client is None:
            self._client = MongoClient(self.mongo_uri, tz_aware=True)
        return self._client[self.db_name]

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and not k.startswith("QLTT_")}
        env.update({k: str(v) for k, v in sandbox_settings(self.sandbox).items()})
        env.update(
            QLTT_MONGO_URI=self.mongo_uri,
            QLTT_DB_NAME=self.db_name,
            QLTT_DATA_DIR=str(self.data_dir),
            QLTT_LOG_LEVEL="INFO",
        )
        env.update(self.settings)
        return env

    def qltt(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        """Run ``qltt ARGS`` as a user would; output is kept for assertions and failure messages."""
        return subprocess.run(
            [sys.executable, "-m", "crawler.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture
def crawl_env(fresh_sandbox: Sandbox, embedded_uri: str, tmp_path: Path) -> Iterator[CrawlEnv]:
    env = CrawlEnv(fresh_sandbox, embedded_uri, f"t_{uuid.uuid4().hex[:12]}", tmp_path / "data")
    yield env
    env.close()


def listing_ids(db: Database) -> set[str]:
    """Ids of every stored listing (nx-27017 has no ``distinct``)."""
    return {d["_id"] for d in db.listings.find({}, {"_id": 1})}


def run_errors(db: Database, spider: str) -> list[dict[str, Any]]:
    """Every error recorded on the runs of ``spider``."""
    return [e for run in db.runs.find({"spider": spider}) for e in run.get("errors", [])]
