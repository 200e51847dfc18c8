"""Which source a reported URL belongs to, and what its spider needs to crawl just that page or shop.

Recognised by host and path pattern only (no request): marketplace items (Tiki ``-p<id>.html``,
Shopee ``-i.<shop>.<item>`` or ``/product/<shop>/<item>``, Lazada ``-i<item>-s<sku>.html``, Sendo
``-<id>.html``, TikTok Shop ``/shop/vn/pdp/`` or ``/view/product/``), marketplace shops, Facebook posts
and pages; anything else is a website.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Target", "recognise"]

WEBSITE_MAX_PAGES = 20

_ITEM_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    ("tiki", ("tiki.vn",), re.compile(r"-p(?P<item>\d+)\.html$")),
    ("shopee", ("shopee.vn",), re.compile(r"-i\.(?P<shop>\d+)\.(?P<item>\d+)$")),
    ("shopee", ("shopee.vn",), re.compile(r"^/product/(?P<shop>\d+)/(?P<item>\d+)")),
    ("lazada", ("lazada.vn",), re.compile(r"-i(?P<item>\d+)(?:-s(?P<sku>\d+))?\.html$")),
    ("sendo", ("sendo.vn",), re.compile(r"-(?P<item>\d+)\.html$")),
    ("tiktok", ("tiktok.com",), re.compile(r"^/(?:shop/vn/pdp/(?:[^/]+/)?|view/product/)(?P<item>\d+)")),
)
_SHOP_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    ("tiki", ("tiki.vn",), re.compile(r"^/cua-hang/(?P<shop>[\w-]+)/?$")),
    ("lazada", ("lazada.vn",), re.compile(r"^/shop/(?P<shop>[\w-]+)/?")),
    ("shopee", ("shopee.vn",), re.compile(r"^/(?P<shop>[\w.]+)/?$")),
)
_FACEBOOK_HOSTS = ("facebook.com", "fb.com", "fb.watch")
_FACEBOOK_POST = re.compile(r"/posts/|/permalink\.php|/story\.php|/share/[pv]/|/videos/|/photo|/reel/")


@dataclass(frozen=True)
class Target:
    """What a tip points at: ``source`` (the ``listings.source`` value), ``kind`` and the spider's arguments."""

    source: str
    kind: str  # listing | shop | post | page | website
    spider: str
    arguments: dict[str, Any] = field(default_factory=dict)
    item_id: str | None = None


def _on(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def recognise(url: str) -> Target:
    """The source and kind of ``url`` (already checked safe), with the arguments to crawl only it."""
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path or "/"
    for source, domains, pattern in _ITEM_PATTERNS:
        if _on(host, domains) and (match := pattern.search(path)):
            return Target(source, "listing", source, {"url": [url]}, match.group("item"))
    for source, domains, pattern in _SHOP_PATTERNS:
        if _on(host, domains) and (match := pattern.search(path)):
            return Target(source, "shop", source, {"shop": [match.group("shop")]})
    if _on(host, _FACEBOOK_HOSTS):
        kind = "post" if _FACEBOOK_POST.search(path) or "story_fbid" in parts.query else "page"
        return Target("facebook", kind, "facebook", {"url": [url]})
    return Target("website", "website", "website", {"url": [url], "max_pages": WEBSITE_MAX_PAGES})
