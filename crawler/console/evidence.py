"""Evidence as the inspector sees it: the captured page replayed as text, screenshots, raw WARC downloads.

The captured HTML is hostile, so it is only ever shown as text inside ``<pre>`` (escaped by the
template), never rendered. Each blob is re-hashed when shown, so the page says whether what the
inspector reads is still exactly what was captured.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from crawler.console.auth import SignedIn
from crawler.console.images import IMAGE_TYPES
from storage.evidence import BlobStore, read_warc_response

__all__ = ["REPLAY_MAX_CHARS", "EvidenceView", "evidence_views", "router"]

log = logging.getLogger(__name__)

REPLAY_MAX_CHARS = 200_000
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.I)

router = APIRouter()


@dataclass
class EvidenceView:
    """One evidence ref of a listing, ready for the template."""

    n: int
    ref: Mapping[str, Any]
    present: bool = False
    intact: bool = False
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    truncated: bool = False
    error: str = ""

    @property
    def kind(self) -> str:
        return str(self.ref.get("kind") or "")


def evidence_views(blobs: BlobStore | None, listing: Mapping[str, Any]) -> list[EvidenceView]:
    """Every evidence ref of ``listing``, with WARC responses decoded to text for the replay."""
    return [_view(blobs, n, ref) for n, ref in enumerate(listing.get("evidence") or []) if isinstance(ref, Mapping)]


def _view(blobs: BlobStore | None, n: int, ref: Mapping[str, Any]) -> EvidenceView:
    view = EvidenceView(n, ref)
    data = _blob(blobs, ref)
    if data is None:
        view.error = "Không tìm thấy tệp bằng chứng trong kho."
        return view
    view.present = True
    view.intact = hashlib.sha256(data).hexdigest() == ref.get("sha256")
    if view.kind == "warc":
        _replay(view, data)
    return view


def _replay(view: EvidenceView, data: bytes) -> None:
    try:
        status, headers, body = read_warc_response(data)
    except Exception as exc:  # a damaged record must not break the page; the error is shown instead
        log.warning("unreadable WARC %s: %s", view.ref.get("sha256"), exc)
        view.error = f"Không đọc được bản ghi WARC: {exc}"
        return
    view.status, view.headers = status, [(str(k), str(v)) for k, v in headers.items()]
    content_type = next((v for k, v in view.headers if k.lower() == "content-type"), "")
    text = _decode(body or b"", content_type)
    view.text, view.truncated = text[:REPLAY_MAX_CHARS], len(text) > REPLAY_MAX_CHARS


def _decode(body: bytes, content_type: str) -> str:
    match = _CHARSET.search(content_type)
    try:
        return body.decode(match.group(1) if match else "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _blob(blobs: BlobStore | None, ref: Mapping[str, Any]) -> bytes | None:
    sha = ref.get("sha256")
    if blobs is None or not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
        return None
    try:
        return blobs.get(sha)
    except (OSError, ValueError) as exc:
        log.warning("evidence blob %s unavailable: %s", sha, exc)
        return None


@router.get("/evidence")
def evidence_file(request: Request, listing: str, n: int, viewer: SignedIn) -> Response:
    """A listing's n-th evidence blob: screenshots inline, anything else as a download."""
    doc = request.app.state.db["listings"].find_one({"_id": listing}, {"evidence": 1})
    refs = (doc or {}).get("evidence") or []
    if not 0 <= n < len(refs):
        raise HTTPException(404, "Không có bằng chứng này.")
    ref = refs[n]
    data = _blob(request.app.state.blobs, ref)
    if data is None:
        raise HTTPException(404, "Không tìm thấy tệp bằng chứng trong kho.")
    headers = {"Content-Security-Policy": "default-src 'none'; sandbox", "Cache-Control": "private, max-age=86400"}
    content_type = str(ref.get("content_type") or "").lower()
    if ref.get("kind") == "screenshot" and content_type in IMAGE_TYPES:
        return Response(data, media_type=content_type, headers=headers)
    suffix = ".warc.gz" if data[:2] == b"\x1f\x8b" else ".warc" if ref.get("kind") == "warc" else ".bin"
    headers["Content-Disposition"] = f'attachment; filename="{ref["sha256"][:16]}{suffix}"'
    return Response(data, media_type="application/octet-stream", headers=headers)
