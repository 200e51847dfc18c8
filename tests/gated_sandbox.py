"""A sandbox with a gate, for fault tests that must stop a crawl at a known point (pytest plugin).

``gated_env`` is a ``CrawlEnv`` on a ``GatedSandbox``: ``gate(n)`` lets the next ``n`` requests through and
holds the rest; ``allow(n)`` lets ``n`` more through, ``open()`` all of them; ``drop_held()`` closes the
held requests' connections unanswered (they never reach the request log) and opens the gate.
``wait_quiet(crawl)`` waits until the crawl is stuck at the gate with everything it got handled.
"""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crawler.sandbox import Sandbox
from crawler.sandbox.server import _Handler
from tests.sandbox_plugin import CrawlEnv

__all__ = ["GatedSandbox", "gated_env", "wait_quiet"]

UNLIMITED = 10**9


class GatedSandbox(Sandbox):
    def __init__(self) -> None:
        super().__init__()
        self._gate = threading.Condition(self._lock)
        self.passes = UNLIMITED
        self.waiting = 0
        self._drops = 0

    def gate(self, passes: int) -> None:
        with self._gate:
            self.passes = passes

    def allow(self, more: int) -> None:
        with self._gate:
            self.passes += more
            self._gate.notify_all()

    def open(self) -> None:
        self.allow(UNLIMITED)

    def drop_held(self) -> None:
        with self._gate:
            self._drops += 1
            self.passes = UNLIMITED
            self._gate.notify_all()

    def dispatch(self, handler: _Handler) -> None:
        with self._gate:
            drops = self._drops
            self.waiting += 1
            admitted = self._gate.wait_for(lambda: self.passes > 0 or self._drops != drops, timeout=120)
            self.waiting -= 1
            admitted = admitted and self._drops == drops
            self.passes -= admitted
        if not admitted:
            handler.close_connection = True  # no answer, no log line
            return
        super().dispatch(handler)


def wait_quiet(sandbox: GatedSandbox, crawl: subprocess.Popen[str] | subprocess.Popen[bytes], log: Path,
               probe: Callable[[], object] = lambda: None, quiet_s: float = 1.5, timeout: float = 60) -> None:
    """Wait until the crawl holds requests at the gate and nothing (log, ``probe()``) moved for ``quiet_s``."""
    last: object = None
    since = deadline = time.monotonic()
    deadline += timeout
    while time.monotonic() - since < quiet_s:
        assert crawl.poll() is None, "the crawl ended: " + log.read_text()[-3000:]
        assert time.monotonic() < deadline, "the crawl never settled at the gate: " + log.read_text()[-3000:]
        state = (len(sandbox.log), sandbox.waiting, probe())
        if state != last or not sandbox.waiting:
            last, since = state, time.monotonic()
        time.sleep(0.1)


@pytest.fixture(scope="session")
def gated_sandbox() -> Iterator[GatedSandbox]:
    with GatedSandbox() as server:
        yield server


@pytest.fixture
def gated_env(gated_sandbox: GatedSandbox, embedded_uri: str, tmp_path: Path) -> Iterator[CrawlEnv]:
    gated_sandbox.clear()
    gated_sandbox.open()
    yield CrawlEnv(gated_sandbox, embedded_uri, f"t_{uuid.uuid4().hex[:12]}", tmp_path / "data")
    gated_sandbox.drop_held()
    gated_sandbox.clear()
