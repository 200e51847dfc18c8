"""The evidence store: content-addressed blobs (SHA-256) on disk, and the WARC form of a captured exchange.

A blob's name is the SHA-256 of its bytes, so a blob can be re-hashed at any time to prove it was not
altered (``qltt evidence verify``), and the same bytes are stored once however often they are kept.
Exchanges are kept as ISO 28500 WARC files (a ``request`` and a ``response`` record, gzip per record)
with SHA-256 block and payload digests, readable by any WARC tool (``warcio``, pywb, ...).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pymongo.database import Database
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from crawler import config
from crawler.items import Capture
from storage.listings import ListingRepo
from storage.values import as_utc

__all__ = [
    "WARC_CONTENT_TYPE",
    "BlobStore",
    "EvidenceKeeper",
    "VerifyReport",
    "evidence_root",
    "payload_sha256",
    "read_warc_response",
    "root_from_config",
    "verify",
    "warc_record_bytes",
]

WARC_CONTENT_TYPE = "application/warc"
# Headers that describe a transfer encoding of the body; the captured body is already decoded, so the
# record keeps them renamed (the convention of Webrecorder tools) to replay as stored.
_TRANSFER_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
_ORIG_PREFIX = "X-Archive-Orig-"
# The fields of an evidence ref, in the order they are written (``$addToSet`` compares documents whole).
_REF_FIELDS = ("kind", "sha256", "size", "payload_sha256", "url", "captured_at", "content_type")


class BlobStore:
    """Blobs under ``<root>/sha256/ab/cd/<hex>``; written once, atomically, never rewritten."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        sha = _checked_hex(sha)
        return self.root / "sha256" / sha[:2] / sha[2:4] / sha

    def exists(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256 hex; a blob already stored is left untouched."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.is_file():
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)  # atomic: readers see the whole blob or none
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def get(self, sha: str) -> bytes:
        """The blob's bytes; ``FileNotFoundError`` when it is not stored."""
        return self.path(sha).read_bytes()

    def iter_shas(self) -> Iterator[tuple[str, Path]]:
        """Every stored blob as (name, path); unfinished temporary files are skipped."""
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for path in sorted(base.glob("*/*/*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                yield path.name, path


def evidence_root(evidence_dir: str | Path | None, data_dir: str | Path) -> Path:
    """``QLTT_EVIDENCE_DIR`` when set, else ``<QLTT_DATA_DIR>/evidence``."""
    return Path(evidence_dir or Path(data_dir) / "evidence").expanduser().resolve()


def root_from_config() -> Path:
    """The evidence folder of the configured settings (the CLI and the console use this)."""
    return evidence_root(config.get("QLTT_EVIDENCE_DIR"), config.data_dir())


class _Sha256WARCWriter(WARCWriter):
    """warcio's writer with SHA-256 block and payload digests (its default is SHA-1)."""

    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


def warc_record_bytes(capture: Capture, max_body: int | None = None) -> bytes:
    """The exchange as a WARC file: the ``request`` record, then the ``response`` record it led to.

    A body longer than ``max_body`` is cut and the response marked ``WARC-Truncated: length``.
    """
    body = capture.body
    truncated = max_body is not None and len(body) > max_body
    if truncated:
        body = body[:max_body]
    date = _warc_date(capture.fetched_at)
    out = io.BytesIO()
    writer = _Sha256WARCWriter(out, gzip=True)
    response = writer.create_warc_record(
        capture.url,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=_response_headers(capture, len(body)),
        warc_headers_dict={"WARC-Date": date} | ({"WARC-Truncated": "length"} if truncated else {}),
    )
    request = writer.create_warc_record(
        capture.url,
        "request",
        payload=io.BytesIO(b""),
        length=0,
        http_headers=_request_headers(capture),
        warc_headers_dict={"WARC-Date": date},
    )
    writer.write_request_response_pair(request, response)
    return out.getvalue()


def read_warc_response(data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the first ``response`` record in ``data``.

    Headers are as stored: the body is the decoded one, so an original ``Content-Encoding`` comes
    back as ``X-Archive-Orig-Content-Encoding`` and does not apply to it.
    """
    for record in ArchiveIterator(io.BytesIO(data)):
        if record.rec_type != "response" or record.http_headers is None:
            continue
        headers: dict[str, str] = {}
        for name, value in record.http_headers.headers:
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return int(record.http_headers.get_statuscode()), headers, record.content_stream().read()
    raise ValueError("no HTTP response record in this WARC")


def _response_headers(capture: Capture, length: int) -> StatusAndHeaders:
    headers = [
        (f"{_ORIG_PREFIX}{name}" if name.lower() in _TRANSFER_HEADERS else name, value)
        for name, value in capture.headers.items()
    ]
    headers.append(("Content-Length", str(length)))
    try:
        reason = HTTPStatus(capture.status).phrase
    except ValueError:
        reason = "Unknown"
    return StatusAndHeaders(f"{capture.status} {reason}", headers, protocol="HTTP/1.1")


def _request_headers(capture: Capture) -> StatusAndHeaders:
    parts = urlsplit(capture.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = list(capture.request_headers.items())
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    return StatusAndHeaders(f"{capture.method} {target} HTTP/1.1", headers, is_http_request=True)


def _warc_date(when: datetime | None) -> str:
    return as_utc(when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _checked_hex(sha: str) -> str:
    """A blob name must be 64 lowercase hex digits: a name is also a path, so nothing else may pass."""
    if len(sha) != 64 or any(ch not in "0123456789abcdef" for ch in sha):
        raise ValueError(f"not a SHA-256 hex digest: {sha!r}")
    return sha


def payload_sha256(capture: Capture, max_body: int | None = None) -> str:
    """SHA-256 hex of the response body as kept (cut at ``max_body``): what "unchanged content" means."""
    body = capture.body if max_body is None else capture.body[:max_body]
    return hashlib.sha256(body).hexdigest()


class EvidenceKeeper:
    """Keeps a flagged listing's evidence: blobs in ``store``, refs on the listing, one index entry per payload.

    The ``evidence`` collection maps ``<kind>:<payload_sha256>`` to the ref of the blob made for that
    payload, so a re-crawl of unchanged content (or another listing of the same page) links the
    existing blob instead of writing a new WARC, whose bytes would differ only by date and record ids.
    """

    def __init__(self, db: Database, store: BlobStore, max_body: int | None = None) -> None:
        self.listings = ListingRepo(db)
        self.index = db["evidence"]
        self.store = store
        self.max_body = max_body
        self._lock = threading.Lock()  # one writer per process: listings of one page share a payload

    def keep_warc(self, listing_id: str, capture: Capture) -> dict[str, Any] | None:
        """Link or write the WARC of ``capture``; the ref added, or None when the listing already had it."""
        with self._lock:
            if self.link(listing_id, "warc", capture):
                return None
            data = warc_record_bytes(capture, self.max_body)
            return self._store(listing_id, "warc", capture, data, WARC_CONTENT_TYPE)

    def keep_screenshot(self, listing_id: str, capture: Capture, png: bytes) -> dict[str, Any] | None:
        """Store a PNG of the page ``capture`` holds, unless the listing already has one of that content."""
        with self._lock:
            if self.link(listing_id, "screenshot", capture):
                return None
            return self._store(listing_id, "screenshot", capture, png, "image/png")

    def link(self, listing_id: str, kind: str, capture: Capture) -> bool:
        """True when the listing has a ``kind`` blob of this payload, after linking one made before if needed."""
        payload = payload_sha256(capture, self.max_body)
        stored = self.listings.coll.find_one({"_id": listing_id}, {"evidence": 1}) or {}
        if any(r.get("kind") == kind and r.get("payload_sha256") == payload for r in stored.get("evidence") or []):
            return True
        known = self.index.find_one({"_id": f"{kind}:{payload}"})
        if known is None or not self.store.exists(known["sha256"]):
            return False
        self.listings.add_evidence(listing_id, [_ref_of(known)])
        return True

    def _store(self, listing_id: str, kind: str, capture: Capture, data: bytes, content_type: str) -> dict[str, Any]:
        ref = {
            "kind": kind,
            "sha256": self.store.put(data),
            "size": len(data),
            "payload_sha256": payload_sha256(capture, self.max_body),
            "url": capture.url,
            "captured_at": as_utc(capture.fetched_at or datetime.now(UTC)),
            "content_type": content_type,
        }
        # Replaces an entry whose blob went missing; otherwise the entry is new.
        key = f"{kind}:{ref['payload_sha256']}"
        self.index.replace_one({"_id": key}, {"_id": key, **ref}, upsert=True)
        self.listings.add_evidence(listing_id, [ref])
        return ref


def _ref_of(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in _REF_FIELDS if k in entry}


@dataclass
class VerifyReport:
    """What ``verify`` found: blobs checked, and the missing or altered ones with the listings citing them."""

    checked: int = 0
    missing: dict[str, list[str]] = field(default_factory=dict)
    altered: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.altered


def verify(db: Database, store: BlobStore) -> VerifyReport:
    """Re-hash every blob the listings and the index cite, and every blob file on disk."""
    cited: dict[str, list[str]] = {}
    # A scan rather than a query on the array: nx-27017 does not answer ``{"evidence.0": ...}`` right.
    for doc in db["listings"].find({}, {"evidence": 1}):
        for ref in doc.get("evidence") or []:
            cited.setdefault(ref["sha256"], []).append(doc["_id"])
    for entry in db["evidence"].find({}, {"sha256": 1}):
        cited.setdefault(entry["sha256"], [])
    on_disk = dict(store.iter_shas())
    report = VerifyReport()
    for sha in sorted(cited.keys() | on_disk.keys()):
        report.checked += 1
        path = on_disk.get(sha) or store.path(sha)
        if not path.is_file():
            report.missing[sha] = sorted(set(cited[sha]))
        elif _file_sha256(path) != sha:
            report.altered[sha] = sorted(set(cited.get(sha, [])))
    return report


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
