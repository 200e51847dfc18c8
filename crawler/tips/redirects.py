"""Follow a reported URL's redirects by hand, checking every hop with ``check_url`` before requesting it.

A public short link can redirect to ``http://169.254.169.254/`` or the office router; following
redirects automatically would fetch it before anyone looked. Here each ``Location`` is checked before
it is requested, and the chain is bounded.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urljoin

from crawler.exceptions import UnsafeURLError
from crawler.urlsafety import Resolver, check_url

__all__ = ["MAX_REDIRECTS", "Fetcher", "follow_redirects", "http_fetcher"]

MAX_REDIRECTS = 5
REDIRECT_CODES = (301, 302, 303, 307, 308)
TIMEOUT_S = 15.0
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) qltt-tip-check"

# One request without following redirects: (status, Location header or None).
Fetcher = Callable[[str], tuple[int, str | None]]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def http_fetcher(proxy: str = "") -> Fetcher:
    """A HEAD (then GET when HEAD is not allowed) that reports redirects instead of following them."""
    proxies = {"http": proxy, "https": proxy} if proxy else {}
    opener = urllib.request.build_opener(urllib.request.ProxyHandler(proxies), _NoRedirect)

    def fetch(url: str) -> tuple[int, str | None]:
        status, location = _request(opener, url, "HEAD")
        if status in (405, 501):
            status, location = _request(opener, url, "GET")
        return status, location

    return fetch


def _request(opener: urllib.request.OpenerDirector, url: str, method: str) -> tuple[int, str | None]:
    request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})
    try:
        with opener.open(request, timeout=TIMEOUT_S) as response:
            return response.status, response.headers.get("Location")
    except urllib.error.HTTPError as exc:  # 3xx (not followed), 4xx and 5xx arrive here
        location = exc.headers.get("Location") if exc.headers else None
        exc.close()
        return exc.code, location


def follow_redirects(url: str, resolve: Resolver | None = None, fetch: Fetcher | None = None,
                     max_redirects: int = MAX_REDIRECTS) -> str:
    """The URL the chain ends at, every hop checked safe; ``UnsafeURLError`` names the hop refused.

    Network errors propagate as ``OSError`` (the caller decides what an unreachable tip means).
    """
    check = (lambda u: check_url(u, resolve)) if resolve else check_url
    fetch = fetch or http_fetcher()
    current = check(url.strip())
    for _ in range(max_redirects + 1):
        status, location = fetch(current)
        if status not in REDIRECT_CODES or not location:
            return current
        try:
            current = check(urljoin(current, location))
        except UnsafeURLError as exc:
            raise UnsafeURLError(f"{exc} (sau khi chuyển hướng từ {url})") from exc
    raise UnsafeURLError(f"quá nhiều lần chuyển hướng (hơn {max_redirects}): {url}")
