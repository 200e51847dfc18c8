"""A local durable spool: the writes the database could not take, kept on disk and replayed later.

When the database is unreachable or refuses a write, the store pipeline appends the write here
instead of losing it: one JSON line per write (an *entry*), fsync'd before the item moves on, in
append-only segment files under ``<QLTT_DATA_DIR>/spool/``. Each writing process owns one segment
at a time and holds an ``flock`` on it, so a replay never reads a segment that is still growing; a
process killed with SIGKILL releases its lock and its segment becomes replayable.

A spooled listing that was flagged carries its capture (the exchange it was parsed from), and its
evidence (WARC, screenshot) is filed when it is replayed, as the evidence pipeline would have.

Replay applies entries in order (segments by name, which starts with the creation time; lines in
file order) and records its progress in ``<segment>.offset`` after every entry, so a replay that
is interrupted resumes where it stopped. Every write is idempotent (listing and seller upserts keyed
by ``_id``; a run start, spooled when the crawl began without the database, inserted once; a run update
guarded by its ``op_id``), so an entry applied twice after a crash between
the write and the offset update changes nothing. An entry the database rejects for its content (not
for being away) goes to ``rejected.jsonl`` with the error, and a truncated last line of a killed
writer is kept there too: nothing is dropped silently.

Values are encoded losslessly: datetimes (with microseconds and offset), dates, bytes and decimals
are tagged (``{"$datetime": "..."}``); documents qltt stores never have ``$`` keys of their own.
"""

from __future__ import annotations

import base64
import fcntl
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from crawler.exceptions import StorageError
from crawler.items import Capture
from storage.embedded import _locked as locked
from storage.evidence import BlobStore, EvidenceKeeper
from storage.listings import ListingRepo
from storage.runs import ERRORS_KEPT, RunRepo
from storage.sellers import SellerRepo
from storage.values import bson_safe

__all__ = ["ReplayResult", "Spool", "apply", "decode", "encode", "for_directory", "is_transient", "run_entry"]

log = logging.getLogger(__name__)

_TAGS = ("$datetime", "$date", "$bytes", "$decimal")


def encode(value: Any) -> Any:
    """``value`` as plain JSON data; ``decode`` gives it back equal, types included."""
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, set | frozenset):
        return [encode(v) for v in sorted(value, key=repr)]
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def decode(value: Any) -> Any:
    """The inverse of ``encode``."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and (tag := next(iter(value))) in _TAGS:
        raw = value[tag]
        if tag == "$datetime":
            return datetime.fromisoformat(raw)
        if tag == "$date":
            return date.fromisoformat(raw)
        return base64.b64decode(raw) if tag == "$bytes" else Decimal(raw)
    return {k: decode(v) for k, v in value.items()}


def is_transient(exc: BaseException) -> bool:
    """True when the database was away (retry later); False when it refused this write's content."""
    cause = exc.__cause__ if isinstance(exc, StorageError) and exc.__cause__ else exc
    if isinstance(cause, OperationFailure):
        return cause.has_error_label("RetryableWriteError")  # e.g. a primary stepping down
    return isinstance(cause, PyMongoError | StorageError)


def apply(db: Database, entry: Mapping[str, Any], history_max: int = 50, evidence_root: Path | None = None) -> None:
    """Redo one spooled write (evidence of a flagged listing under ``evidence_root``). Raises what the
    repositories raise."""
    op, at = entry["op"], entry.get("at")
    if op == "listing":
        if entry.get("seller"):
            SellerRepo(db).upsert(entry["seller"], now=at)
        ListingRepo(db, price_history_max=history_max).upsert(entry["doc"], now=at)
        if entry.get("capture") and evidence_root is not None:
            _keep_evidence(db, evidence_root, entry["doc"]["_id"], Capture(**entry["capture"]))
    elif op == "seller":
        SellerRepo(db).upsert(entry["doc"], now=at)
    elif op == "run_start":
        try:
            RunRepo(db).insert(entry["run"])
        except PyMongoError as exc:
            raise StorageError(f"run {entry['run'].get('_id')} not written: {exc}") from exc
    elif op == "run":
        _apply_run(db, entry)
    else:
        raise ValueError(f"unknown spool entry {op!r}")


def _keep_evidence(db: Database, root: Path, listing_id: str, capture: Capture) -> None:
    """What ``pipelines.evidence`` does for a flagged listing; a blob already kept is only linked."""
    keeper = EvidenceKeeper(db, BlobStore(root))
    try:
        keeper.keep_warc(listing_id, capture)
        if capture.screenshot is not None:
            keeper.keep_screenshot(listing_id, capture, capture.screenshot)
    except PyMongoError as exc:
        raise StorageError(f"evidence of {listing_id} not kept: {exc}") from exc


def run_entry(run_id: str, fields: Mapping[str, Any], errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The final update of a run record (status, times, stats, counts, health, errors) as an entry:
    written directly with ``apply`` or, when the database is away, spooled and replayed the same way."""
    return {"op": "run", "run_id": run_id, "op_id": uuid.uuid4().hex, "set": bson_safe(dict(fields)),
            "errors": bson_safe(list(errors or []))}


def _apply_run(db: Database, entry: Mapping[str, Any]) -> None:
    """Finish a run record: ``$set`` its fields and push its errors, once per ``op_id`` (``applied_ops``).

    Read, then write: nx-27017 does not match ``{"applied_ops": {"$ne": ...}}`` on a record without
    the field, and replays are serialised anyway (one process replays at a time).
    """
    update: dict[str, Any] = {"$set": bson_safe(dict(entry["set"])), "$addToSet": {"applied_ops": entry["op_id"]}}
    errors = [bson_safe(e) for e in entry.get("errors") or []]
    if errors:
        update["$push"] = {"errors": {"$each": errors, "$slice": -ERRORS_KEPT}}
        update["$inc"] = {"error_count": len(errors)}
    runs = db["runs"]
    try:
        run = runs.find_one({"_id": entry["run_id"]}, {"applied_ops": 1})
        if run is None:
            raise ValueError(f"no run {entry['run_id']}")  # rejected: kept in rejected.jsonl
        if entry["op_id"] not in (run.get("applied_ops") or []):
            runs.update_one({"_id": entry["run_id"]}, update)
    except PyMongoError as exc:
        raise StorageError(f"run {entry['run_id']} not written: {exc}") from exc


@dataclass
class ReplayResult:
    """What a replay did: entries applied, left for later (database away) and set aside as rejected."""

    applied: int = 0
    pending: int = 0
    rejected: int = 0
    stopped: bool = False  # the database went away during the replay
    errors: list[str] = field(default_factory=list)


class Spool:
    """The spool folder. ``append`` is thread-safe; ``replay`` is serialised across processes."""

    def __init__(self, directory: Path | str, evidence_root: Path | None = None) -> None:
        self.directory = Path(directory)
        self.evidence_root = evidence_root
        self._lock = threading.Lock()
        self._segment: IO[str] | None = None
        self._seq = 0

    # --- writing -----------------------------------------------------------------------------

    def append(self, op: str, at: datetime | None = None, **fields: Any) -> None:
        """Write one entry durably (flushed and fsync'd) before returning; raises OSError on a full disk."""
        self.append_many([{"op": op, "at": at, **fields}])

    def append_many(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Write entries (``op``, optional ``at``, fields) durably and in order, with one fsync for them all:
        a batch of listings the database would not take costs one disk sync, not one each."""
        now = datetime.now(UTC)
        text = "".join(json.dumps(encode({**entry, "at": entry.get("at") or now}), ensure_ascii=False) + "\n"
                       for entry in entries)
        if not text:
            return
        with self._lock:
            segment = self._segment or self._open_segment()
            segment.write(text)
            segment.flush()
            os.fsync(segment.fileno())

    def rotate(self) -> None:
        """Close this process's segment, so it can be replayed; later appends open a new one."""
        with self._lock:
            if self._segment is not None:
                self._segment.close()  # closing the file releases its flock
                self._segment = None

    close = rotate

    def _open_segment(self) -> IO[str]:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.directory / f"segment-{stamp}-{os.getpid()}-{self._seq:04d}.jsonl"
        segment = path.open("a", encoding="utf-8")
        fcntl.flock(segment, fcntl.LOCK_EX)
        _fsync_dir(self.directory)
        self._segment = segment
        log.warning("database unavailable: writes are spooled to %s", path)
        return segment

    # --- reading -----------------------------------------------------------------------------

    def pending(self) -> int:
        """Entries waiting for a replay (including those of segments still being written)."""
        return sum(sum(1 for _ in _lines(path, _offset(path))) for path in self._segments())

    def replay(self, db: Database, history_max: int = 50) -> ReplayResult:
        """Apply every closed segment in order; stops at the first entry the database cannot take now."""
        result = ReplayResult()
        if not self.directory.is_dir():
            return result
        with locked(self.directory / "replay.lock"):
            for path in self._segments():
                if not self._replay_segment(db, path, history_max, result):
                    break
        result.pending = self.pending()
        if result.applied or result.rejected:
            log.info("spool replay: %d applied, %d rejected, %d pending", result.applied, result.rejected,
                     result.pending)
        return result

    def _segments(self) -> list[Path]:
        return sorted(self.directory.glob("segment-*.jsonl")) if self.directory.is_dir() else []

    def _replay_segment(self, db: Database, path: Path, history_max: int, result: ReplayResult) -> bool:
        """Replay one segment; False when the database went away (the rest waits)."""
        with path.open("rb") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True  # a live writer's segment: replayed once it is closed
            offset_path = path.with_suffix(".offset")
            # Not O_APPEND: on Linux pwrite() to an O_APPEND file appends whatever the offset.
            progress = os.open(offset_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                for end, raw in _lines(path, _offset(path)):
                    if not self._replay_line(db, raw, history_max, result, path):
                        return False
                    os.pwrite(progress, b"%020d\n" % end, 0)
                    os.fsync(progress)
            finally:
                os.close(progress)
            path.unlink()
            offset_path.unlink(missing_ok=True)
        return True

    def _replay_line(self, db: Database, raw: bytes, history_max: int, result: ReplayResult, path: Path) -> bool:
        if not raw.endswith(b"\n"):
            self._reject(raw, "dòng ghi dở (tiến trình bị dừng khi đang ghi)", path, result)
            return True
        try:
            apply(db, decode(json.loads(raw)), history_max, self.evidence_root)
        except Exception as exc:
            if is_transient(exc):
                result.stopped = True
                result.errors.append(str(exc))
                return False
            self._reject(raw, str(exc), path, result)
            return True
        result.applied += 1
        return True

    def _reject(self, raw: bytes, error: str, path: Path, result: ReplayResult) -> None:
        log.error("spool entry of %s rejected (kept in rejected.jsonl): %s", path.name, error)
        record = {"segment": path.name, "error": error, "line": raw.decode("utf-8", "replace").rstrip("\n")}
        with (self.directory / "rejected.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        result.rejected += 1
        result.errors.append(error)


def _offset(path: Path) -> int:
    try:
        return int(path.with_suffix(".offset").read_bytes().split(b"\n")[0] or 0)
    except (OSError, ValueError):
        return 0


def _lines(path: Path, start: int) -> Iterator[tuple[int, bytes]]:
    """(offset after the line, line) from byte ``start``; the last line may lack its newline."""
    try:
        with path.open("rb") as fh:
            fh.seek(start)
            position = start
            for raw in fh:
                position += len(raw)
                if raw.strip():
                    yield position, raw
    except FileNotFoundError:
        return


def _fsync_dir(directory: Path) -> None:
    """Make a new file's directory entry durable too."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_open: dict[Path, Spool] = {}
_open_lock = threading.Lock()


def for_directory(directory: Path | str, evidence_root: Path | None = None) -> Spool:
    """The process's one ``Spool`` of ``directory``, so the pipeline and the run recorder share a segment."""
    key = Path(directory).resolve()
    with _open_lock:
        if key not in _open:
            _open[key] = Spool(key, evidence_root)
        return _open[key]
