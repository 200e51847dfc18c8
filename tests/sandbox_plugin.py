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

import pytest

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
def crawl_env(fresh_sandbox: Sandbox, embedded_uri: str, tmp_path: Path) -> CrawlEnv:
    return CrawlEnv(fresh_sandbox, embedded_uri, f"t_{uuid.uuid4().hex[:12]}", tmp_path / "data")
