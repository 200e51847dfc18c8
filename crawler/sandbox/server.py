"""A local replica of the sources on a free loopback port, used as the crawl's HTTP proxy.

Spiders request the real URLs (``http://tiki.vn/api/v2/products?...``); with ``QLTT_PROXY`` pointing
here every request arrives in absolute form and is answered by the site registered for its host, in
that site's real response shape. Tests switch on named faults (500, 429, malformed JSON, a non-UTF-8
page, a block page, an oversized body) and read the request log to assert what was fetched.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

__all__ = ["FAULTS", "Fault", "Reply", "Request", "Sandbox", "Site", "encode_cp1258"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    method: str
    host: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    at: float = 0.0  # time.monotonic() of arrival, to check how long a client waited (Retry-After)

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Reply:
        return cls(status, json.dumps(data, ensure_ascii=False), "application/json; charset=utf-8")

    @classmethod
    def html(cls, text: str, status: int = 200) -> Reply:
        return cls(status, text)


class Site(Protocol):
    """One source replica; ``hosts`` it answers for, ``handle`` returns None for an unknown path.

    A replica may also define ``fault(kind, request) -> Reply | None`` to answer a fault its site's way.
    """

    hosts: tuple[str, ...]

    def handle(self, request: Request) -> Reply | None: ...


@dataclass
class Fault:
    """A misbehaviour for requests whose URL contains ``match``; ``times`` limits how often (0 = always)."""

    kind: str
    match: str
    times: int = 0
    hits: int = 0


BLOCK_PAGE = (
    "<html><head><title>Xác minh bảo mật</title></head><body><div id='captcha-verify'>"
    "Vui lòng kéo thanh trượt để xác minh bạn không phải robot (punish, nocaptcha)</div></body></html>"
)

NON_UTF8_PAGE = (
    "<html><head><title>Nước hoa Chanel chính hãng</title></head><body><h1>Nước hoa Chanel No.5 100ml</h1>"
    "<p>Giá: 1.250.000đ</p></body></html>"
)

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def encode_cp1258(text: str) -> bytes:
    """Vietnamese text as windows-1258 writes it: base letters precomposed, the tone as a combining mark.

    Python's codec has no precomposed toned letters (``ớ``), so split each into letter + tone first.
    """
    out = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in _TONES)
        out.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES)) + tones)
    return "".join(out).encode("cp1258", "replace")


# Built on first use: the large bodies cost memory and a second of CPU.
FAULTS: dict[str, Callable[[], Reply]] = {
    "500": lambda: Reply(500, "<h1>500 Internal Server Error</h1>"),
    "429": lambda: Reply(429, "Too Many Requests", "text/plain", {"Retry-After": "0"}),
    "429-wait": lambda: Reply(429, "Too Many Requests", "text/plain", {"Retry-After": "2"}),
    "malformed-json": lambda: Reply(200, '{"data": [{"id": 1, "name": "Sản phẩm', "application/json"),
    "non-utf8": lambda: Reply(200, encode_cp1258(NON_UTF8_PAGE), "text/html"),
    "cp1258": lambda: Reply(200, encode_cp1258(NON_UTF8_PAGE), "text/html; charset=windows-1258"),
    # Declared UTF-8, with a truncated sequence and stray bytes in the middle (a broken CMS template).
    "broken-utf8": lambda: Reply(200, NON_UTF8_PAGE.encode().replace(b"<p>", b"<p>\xe1\xbb \xff\xfe"),
                                 "text/html; charset=utf-8"),
    "block": lambda: Reply(200, BLOCK_PAGE),
    "oversized": cache(lambda: Reply(200, b"<html><body>" + b"x" * (50 << 20) + b"</body></html>")),
    "gzip-bomb": cache(
        lambda: Reply(200, gzip.compress(b"\0" * (200 << 20)), "text/html", {"Content-Encoding": "gzip"})
    ),
}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.sandbox.dispatch(self)

    do_POST = do_GET
    do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        super().__init__(("127.0.0.1", 0), _Handler)


class Sandbox:
    """The sandbox server; ``with Sandbox(sites) as sb:`` gives ``sb.proxy_url`` for ``QLTT_PROXY``."""

    def __init__(self, sites: list[Site] | None = None, *, delay: float = 0.0) -> None:
        from crawler.sandbox.sites import default_sites

        self.sites = sites if sites is not None else default_sites()
        self._by_host = {host: site for site in self.sites for host in site.hosts}
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, int]] = []
        self.requests: list[Request] = []  # what clients sent (headers, arrival time), in order
        self.delay = delay
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "sandbox not started"
        return self._server.server_address[1]

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hosts(self) -> list[str]:
        return sorted(self._by_host)

    def start(self) -> Sandbox:
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox", daemon=True)
        self._thread.start()
        logger.info("sandbox listening on %s for %d hosts", self.proxy_url, len(self._by_host))
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_fault(self, kind: str, match: str, times: int = 0) -> Fault:
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; known: {sorted(FAULTS)}")
        fault = Fault(kind, match, times)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.log.clear()
            self.requests.clear()

    def counts(self, host: str | None = None) -> Counter[str]:
        """How often each path (with query) was requested, optionally for one host."""
        with self._lock:
            return Counter(path for h, path, _ in self.log if host is None or h == host)

    def dispatch(self, handler: _Handler) -> None:
        request = self._parse(handler)
        reply = self._fault_for(request) or self._route(request)
        with self._lock:
            self.log.append((request.host, handler.path if "://" not in handler.path else request.path, reply.status))
            self.requests.append(request)
        if self.delay:
            time.sleep(self.delay)
        self._send(handler, reply)

    def _parse(self, handler: _Handler) -> Request:
        target = urlsplit(handler.path)
        host = (target.hostname or handler.headers.get("Host") or "").split(":")[0].lower()
        path = target.path + (f"?{target.query}" if target.query else "")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(min(length, 1 << 20)) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        return Request(handler.command, host, path, parse_qs(target.query), headers, body, time.monotonic())

    def _fault_for(self, request: Request) -> Reply | None:
        url = f"{request.host}{request.path}"
        with self._lock:
            fault = next((f for f in self.faults if f.match in url and (f.times == 0 or f.hits < f.times)), None)
            if fault is None:
                return None
            fault.hits += 1
        # A replica may answer a fault the way its site does (Lazada's slider captcha for ``block``).
        site_fault = getattr(self._by_host.get(request.host), "fault", None)
        return (site_fault(fault.kind, request) if site_fault else None) or FAULTS[fault.kind]()

    def _route(self, request: Request) -> Reply:
        site = self._by_host.get(request.host)
        if site is None:
            return Reply(404, f"sandbox: unknown host {request.host!r}", "text/plain; charset=utf-8")
        try:
            reply = site.handle(request)
        except Exception:
            logger.exception("sandbox site %s failed on %s", request.host, request.path)
            return Reply(500, "sandbox error", "text/plain")
        return reply or Reply(404, "<h1>404 Không tìm thấy trang</h1>")

    @staticmethod
    def _send(handler: _Handler, reply: Reply) -> None:
        body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("sandbox: client went away during %s", handler.path)
