"""Shared plumbing of page objects: lazy body decoding, tolerant JSON digging, embedded-JSON extraction.

Page objects take only ``(url, body)`` so they are testable on recorded responses without Scrapy;
everything that more than one source needs lives here instead of being copied per source.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Protocol, Self

from crawler.clean import nfc, strip_accents
from crawler.exceptions import NotAListingPage
from crawler.items import ListingItem, SellerItem

__all__ = [
    "Item",
    "Page",
    "ResponseLike",
    "as_float",
    "as_int",
    "compact",
    "dig",
    "embedded_json",
    "epoch_to_iso",
    "html_to_text",
    "https",
    "slugify",
]

Item = ListingItem | SellerItem


class ResponseLike(Protocol):
    """Anything with ``url`` and ``body``: a Scrapy ``Response`` or a test double."""

    @property
    def url(self) -> str: ...

    @property
    def body(self) -> bytes: ...


class Page:
    """Base of every page object: holds the URL and the raw body, decodes and parses lazily."""

    def __init__(self, url: str, body: bytes | str) -> None:
        self.url = url
        self.body = body

    @classmethod
    def from_response(cls, response: ResponseLike) -> Self:
        """Build the page from a Scrapy response (or any object with ``url`` and ``body``)."""
        return cls(response.url, response.body)

    @cached_property
    def text(self) -> str:
        """The body as text; marketplaces serve UTF-8, stray bytes are replaced rather than fatal."""
        if isinstance(self.body, bytes):
            return self.body.decode("utf-8", errors="replace")
        return self.body

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON; a non-JSON body is the wrong kind of page."""
        try:
            return json.loads(self.text)
        except ValueError as exc:
            raise NotAListingPage(f"malformed JSON where a JSON body was expected: {self.url}") from exc

    def to_items(self) -> list[Item]:
        """Every item the page holds; overridden by each page class."""
        raise NotImplementedError


def dig(obj: Any, *path: str | int, default: Any = None) -> Any:
    """``obj[p0][p1]...`` that returns ``default`` instead of raising when a key drifted away."""
    for key in path:
        if isinstance(obj, dict):
            obj = obj.get(key)
        elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
            obj = obj[key]
        else:
            return default
        if obj is None:
            return default
    return obj


def compact(values: dict[str, Any]) -> dict[str, Any]:
    """The ``extra`` dict without absent facts (None, "", [], {}); ``0`` and ``False`` are facts and stay."""
    return {key: value for key, value in values.items() if value is not None and value not in ("", [], {})}


def as_int(value: Any) -> int | None:
    """An int from a number or a numeric string (``"1857"``, ``"1.857"``); None otherwise."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    digits = re.sub(r"[^\d]", "", str(value))
    return int(digits) if digits else None


def as_float(value: Any) -> float | None:
    """A float from a number or a numeric string; None for blanks and junk."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        return None


def epoch_to_iso(value: Any) -> str | None:
    """An epoch in seconds as ISO 8601 UTC (``2021-06-02T01:24:03+00:00``); None when absent or zero."""
    seconds = as_int(value)
    if not seconds:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat()


def https(url: str | None) -> str | None:
    """Protocol-relative CDN links (``//vn-live.slatic.net/...``) made absolute."""
    if not url:
        return None
    return f"https:{url}" if url.startswith("//") else url


def slugify(text: str | None, *, ascii_only: bool = True) -> str:
    """A URL slug the way marketplaces build them: words joined by ``-`` (accents folded unless asked)."""
    text = nfc(text) or ""
    if ascii_only:
        text = strip_accents(text).lower()
    return re.sub(r"[^\w]+", "-", text).strip("-_") or "-"


def embedded_json(text: str, marker: str) -> Any:
    """The JSON value that starts right after ``marker`` in a page (``window.pageData=``, ``app.run(``).

    Uses ``raw_decode`` so the trailing ``;`` / ``)`` / HTML after the value does not matter.
    """
    start = text.find(marker)
    if start < 0:
        return None
    brace = text.find("{", start + len(marker))
    if brace < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text, brace)
    except ValueError:
        return None
    return value


_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/h\d)\s*/?>", re.I)


def html_to_text(html: str | None, *, limit: int = 5000) -> str | None:
    """Plain text of a product description given as HTML, line breaks kept, bounded in length."""
    if not html:
        return None
    text = _TAG.sub(" ", _BREAK.sub("\n", html))
    text = text.replace("&nbsp;", " ").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    lines = [nfc(line) for line in text.splitlines()]
    joined = "\n".join(line for line in lines if line)
    return joined[:limit] or None
