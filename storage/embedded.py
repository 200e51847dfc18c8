"""Start or reuse the embedded nx-27017 server that is qltt's database when no MongoDB is configured.

One server per data folder, shared by every qltt process (crawls, scheduler, console): the first
process to need it starts it detached, records ``{pid, port}`` in ``<data_dir>/db/server.json`` and
the others reuse it while that pid lives and answers a ping. An ``fcntl`` lock serialises the
check-and-start so two processes starting together do not start two servers.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from crawler.exceptions import StorageError

__all__ = ["ensure_server", "server_uri", "stop_server"]

log = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0
_POLL_S = 0.05


def server_uri(port: int) -> str:
    """The URI PyMongo uses to reach an embedded server on ``port``."""
    return f"mongodb://127.0.0.1:{port}/"


def ensure_server(data_dir: Path, port: int = 0) -> str:
    """The URI of the data folder's running server, starting one if none answers.

    ``port`` 0 picks a free loopback port when a server has to be started; a running server is
    reused whatever its port.
    """
    data_dir = Path(data_dir).resolve()
    db_dir = data_dir / "db"
    db_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    with _locked(db_dir / "server.lock"):
        record = _read_record(db_dir)
        if record and _alive(record["pid"]) and _ping(record["port"], timeout_s=2.0):
            return server_uri(record["port"])
        if record and _alive(record["pid"]):
            # A live pid that does not answer is a hung server or a reused pid: do not kill blindly.
            log.warning("embedded store pid %s does not answer on port %s", record["pid"], record["port"])
        chosen = port or _free_port()
        pid = _start(data_dir, chosen)
        (db_dir / "server.json").write_text(json.dumps({"pid": pid, "port": chosen}))
        log.info("embedded store started pid=%s port=%s data=%s", pid, chosen, db_dir)
        return server_uri(chosen)


def stop_server(data_dir: Path, timeout_s: float = 10.0) -> bool:
    """Stop the data folder's server if one runs; True when a server was stopped."""
    db_dir = Path(data_dir).resolve() / "db"
    with _locked(db_dir / "server.lock"):
        record = _read_record(db_dir)
        (db_dir / "server.json").unlink(missing_ok=True)
        if not record or not _alive(record["pid"]):
            return False
        os.kill(record["pid"], signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _alive(record["pid"]) and time.monotonic() < deadline:
            time.sleep(_POLL_S)
        if _alive(record["pid"]):
            os.kill(record["pid"], signal.SIGKILL)
        return True


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_record(db_dir: Path) -> dict[str, int] | None:
    try:
        data = json.loads((db_dir / "server.json").read_text())
        return {"pid": int(data["pid"]), "port": int(data["port"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ping(port: int, timeout_s: float) -> bool:
    ms = max(int(timeout_s * 1000), 100)
    client: MongoClient = MongoClient(
        server_uri(port), serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, directConnection=True
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _start(data_dir: Path, port: int) -> int:
    """Launch the daemon (it double-forks, so it is nobody's child) and wait until it answers."""
    db_dir, log_file = data_dir / "db", data_dir / "logs" / "embedded-db.log"
    pid_file = db_dir / "nx-27017.pid"
    pid_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "storage._nxserver", "-d", "--data-dir", str(db_dir),
           "--host", "127.0.0.1", "--port", str(port), "--pid-file", str(pid_file), "--log-file", str(log_file)]
    with log_file.open("ab") as out:
        launcher = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=False,
                                  start_new_session=True, cwd=_project_root(), timeout=START_TIMEOUT_S)
    if launcher.returncode != 0:
        raise StorageError(f"embedded store failed to start (exit {launcher.returncode}); see {log_file}")
    deadline, pid = time.monotonic() + START_TIMEOUT_S, None
    while time.monotonic() < deadline:
        pid = _read_pid(pid_file) or pid  # the daemon removes its pid file when it dies
        if pid and not _alive(pid):
            break
        if pid and _ping(port, timeout_s=0.5):
            return pid
        time.sleep(_POLL_S)
    raise StorageError(f"embedded store on 127.0.0.1:{port} did not answer; see {log_file}")


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _project_root() -> str:
    """The folder holding the ``storage`` package, so ``-m storage._nxserver`` resolves anywhere."""
    return str(Path(__file__).resolve().parent.parent)
