"""The evidence blob store and the WARC form of a capture: content addressing, atomic writes, ISO 28500 records."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.items import Capture
from storage.evidence import BlobStore, evidence_root, read_warc_response, warc_record_bytes

BODY = json.dumps({"id": 299280481, "name": "Đồng Hồ Nữ Daniel Wellington"}, ensure_ascii=False).encode()
FETCHED = datetime(2026, 11, 23, 3, 4, 5, tzinfo=UTC)


def _capture(body: bytes = BODY, **changes: object) -> Capture:
    fields: dict[str, object] = {
        "url": "http://tiki.vn/api/v2/products/299280481?spid=107102931",
        "status": 200,
        "request_headers": {"Accept": "application/json", "Accept-Language": "vi-VN"},
        "headers": {"Content-Type": "application/json; charset=utf-8", "Content-Encoding": "gzip",
                    "Server": "sandbox"},
        "body": body,
        "fetched_at": FETCHED,
    }
    return Capture(**(fields | changes))  # type: ignore[arg-type]


def _sha256_label(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode()


def test_put_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    sha = store.put(b"evidence")
    assert sha == hashlib.sha256(b"evidence").hexdigest()
    assert store.path(sha) == tmp_path / "sha256" / sha[:2] / sha[2:4] / sha
    assert store.exists(sha) and store.get(sha) == b"evidence"
    mtime = store.path(sha).stat().st_mtime_ns
    assert store.put(b"evidence") == sha
    assert store.path(sha).stat().st_mtime_ns == mtime  # not rewritten
    assert [name for name, _ in store.iter_shas()] == [sha]
    assert not list(store.path(sha).parent.glob(".tmp-*"))


def test_missing_blob_and_bad_names(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    absent = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(absent)
    with pytest.raises(FileNotFoundError):
        store.get(absent)
    for bad in ("../../etc/passwd", "ABC", absent.upper(), absent[:-1] + "/"):
        with pytest.raises(ValueError):
            store.path(bad)


def test_evidence_root_defaults_under_the_data_dir(tmp_path: Path) -> None:
    assert evidence_root("", tmp_path) == (tmp_path / "evidence").resolve()
    assert evidence_root(tmp_path / "elsewhere", tmp_path) == (tmp_path / "elsewhere").resolve()


def test_warc_has_request_and_response_with_verified_digests() -> None:
    data = warc_record_bytes(_capture())
    records = []
    for record in ArchiveIterator(io.BytesIO(data), check_digests="raise"):
        records.append((record.rec_type, record.rec_headers, record.http_headers, record.content_stream().read()))
    assert [r[0] for r in records] == ["response", "request"]
    (_, resp_warc, resp_http, payload), (_, req_warc, req_http, _) = records
    url = "http://tiki.vn/api/v2/products/299280481?spid=107102931"
    for headers in (resp_warc, req_warc):
        assert headers.get_header("WARC-Target-URI") == url
        assert headers.get_header("WARC-Date") == "2026-11-23T03:04:05Z"
        assert headers.get_header("WARC-Block-Digest").startswith("sha256:")
    assert req_warc.get_header("WARC-Concurrent-To") == resp_warc.get_header("WARC-Record-ID")
    assert resp_warc.get_header("WARC-Payload-Digest") == _sha256_label(BODY)
    assert payload == BODY
    assert resp_http.get_statuscode() == "200"
    assert req_http.protocol == "GET" and req_http.get_header("Host") == "tiki.vn"
    assert req_http.statusline.startswith("/api/v2/products/299280481?spid=107102931")


def test_read_warc_response_round_trip() -> None:
    status, headers, body = read_warc_response(warc_record_bytes(_capture(status=404)))
    assert status == 404
    assert body == BODY
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    # The kept body is the decoded one: the original encoding is recorded, not applied.
    assert "Content-Encoding" not in headers
    assert headers["X-Archive-Orig-Content-Encoding"] == "gzip"
    assert headers["Content-Length"] == str(len(BODY))


def test_oversized_body_is_cut_and_marked_truncated() -> None:
    data = warc_record_bytes(_capture(body=b"x" * 1000), max_body=100)
    record = next(r for r in ArchiveIterator(io.BytesIO(data), check_digests="raise") if r.rec_type == "response")
    assert record.rec_headers.get_header("WARC-Truncated") == "length"
    assert record.content_stream().read() == b"x" * 100


def test_read_warc_response_refuses_a_warc_without_response() -> None:
    with pytest.raises(ValueError):
        read_warc_response(b"")
