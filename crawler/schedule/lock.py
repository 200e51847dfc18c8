"""Exclusive ``flock`` locks under the data folder: one scheduler per data folder, one run of a job at a time.

``flock`` locks belong to the open file and vanish when the process dies, so a crashed scheduler never
leaves a stale lock behind (unlike a pid file).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from crawler.exceptions import QlttError

__all__ = ["AlreadyRunning", "FileLock"]


class AlreadyRunning(QlttError):
    """Another process holds the lock."""


class FileLock:
    """``with FileLock(path):`` holds the lock or raises ``AlreadyRunning`` at once (never waits)."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self._fd: int | None = None

    def __enter__(self) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            message = f"{self.what} đang chạy ở tiến trình {holder} (already running; lock {self.path})"
            raise AlreadyRunning(message) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file releases the lock
            self._fd = None
