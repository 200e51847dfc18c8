"""``/img?url=``: listing images fetched by the server, so the inspector's browser never loads scraped URLs.

Scraped image URLs are hostile: every hop (the URL and each redirect) must pass
``crawler.urlsafety.check_url``, and the connection goes to the very address that was checked
(no second DNS lookup an attacker could answer differently). Only raster image types are passed
on (no SVG, which can carry script), bodies are capped, and the reply is sandboxed.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from crawler.console.auth import SignedIn
from crawler.exceptions import UnsafeURLError
from crawler.urlsafety import Resolver, check_url
from crawler.urlsafety import _resolve as system_resolve

__all__ = ["IMAGE_TYPES", "ImageRefused", "fetch_image", "router"]

log = logging.getLogger(__name__)

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"})
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
TIMEOUT = 10.0
Connector = Callable[[tuple[str, int], float], socket.socket]

router = APIRouter()


class ImageRefused(Exception):
    """The image cannot be shown: unsafe address, wrong type, too big, or the fetch failed."""


def fetch_image(url: str, *, resolve: Resolver = system_resolve, connect: Connector = socket.create_connection,
                max_bytes: int = MAX_BYTES) -> tuple[str, bytes]:
    """``(content_type, body)`` of an image URL, following at most ``MAX_REDIRECTS`` checked redirects."""
    for _ in range(MAX_REDIRECTS + 1):
        address = _checked_address(url, resolve)
        status, location, content_type, body = _get(url, address, connect, max_bytes)
        if status in (301, 302, 303, 307, 308) and location:
            url = urljoin(url, location)
            continue
        if status != 200:
            raise ImageRefused(f"máy chủ ảnh trả về mã {status}")
        if content_type not in IMAGE_TYPES:
            raise ImageRefused(f"không phải ảnh: {content_type or 'không rõ'}")
        return content_type, body
    raise ImageRefused("chuyển hướng quá nhiều lần")


def _checked_address(url: str, resolve: Resolver) -> str:
    """The address to connect to: one that ``check_url`` saw and accepted for this URL's host."""
    seen: list[str] = []

    def remember(host: str) -> list[str]:
        seen.extend(resolve(host))
        return seen

    try:
        check_url(url, resolve=remember)
    except UnsafeURLError as exc:
        raise ImageRefused(str(exc)) from exc
    return seen[0] if seen else str(urlsplit(url).hostname)


def _get(url: str, address: str, connect: Connector, max_bytes: int) -> tuple[int, str, str, bytes]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        sock = connect((address, port), TIMEOUT)
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        conn.sock = sock
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("GET", path, headers={"Host": parts.netloc.rsplit("@", 1)[-1], "Accept": "image/*",
                                               "User-Agent": "qltt-console/1"})
            response = conn.getresponse()
            declared = int(response.getheader("Content-Length") or 0)
            if declared > max_bytes:
                raise ImageRefused(f"ảnh quá lớn ({declared} byte)")
            body = response.read(max_bytes + 1)
        finally:
            conn.close()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise ImageRefused(f"không tải được ảnh: {exc}") from exc
    if len(body) > max_bytes:
        raise ImageRefused(f"ảnh lớn hơn {max_bytes} byte")
    content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
    return response.status, response.getheader("Location") or "", content_type, body


@router.get("/img")
def image(request: Request, url: str, viewer: SignedIn) -> Response:
    """Signed-in only, so the console is not an open proxy for anyone who can reach it."""
    try:
        content_type, body = request.app.state.fetch_image(url)
    except ImageRefused as exc:
        log.info("image refused: user=%s url=%r reason=%s", viewer.username, url[:200], exc)
        raise HTTPException(403, f"Không hiển thị ảnh: {exc}") from exc
    return Response(body, media_type=content_type, headers={
        "Content-Security-Policy": "default-src 'none'; sandbox", "Cache-Control": "private, max-age=3600"})
