"""Item types that spiders yield and pipelines consume.

Spiders fill these from page objects with values as the source shows them; ``pipelines.normalize``
turns them into canonical form (ids, integer VND, NFC text, E.164 phones) before matching and storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "Capture",
    "GoneItem",
    "GoneRecord",
    "ListingItem",
    "ListingRecord",
    "SellerItem",
    "SellerRecord",
    "ShopCrawledItem",
    "ShopCrawledRecord",
]

KINDS = ("marketplace", "website", "social")


@dataclass
class Capture:
    """The exchange a listing was parsed from, kept as evidence when the listing is flagged.

    Never stored as such: ``pipelines.evidence`` turns it into content-addressed blobs and drops it.
    """

    url: str
    status: int
    request_headers: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    method: str = "GET"
    fetched_at: datetime | None = None
    screenshot: bytes | None = None


@dataclass
class SellerItem:
    """A shop, a website or a social page/profile that offers goods.

    ``shop_id`` is the source's own id (Tiki seller id, the website's domain, a Facebook page id);
    the canonical ``_id`` (``tiki:123``, ``web:shop.vn``, ``facebook:1000``) is built by normalisation.
    """

    source: str
    shop_id: str
    name: str | None = None
    url: str | None = None
    official: bool | None = None
    location: str | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    tax_codes: list[str] = field(default_factory=list)
    joined: str | None = None
    rating: float | None = None
    followers: int | None = None
    item_count: int | None = None
    website: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ListingItem:
    """One offer of goods: a marketplace item, a product page of a website, or a social post.

    ``item_id`` is the source's own id (Tiki product id, a website path, a Facebook post id).
    ``price`` and ``original_price`` may be raw (``"1.250.000đ"``, ``"1tr2"``) until normalised.
    """

    source: str
    kind: str
    item_id: str
    url: str
    shop_id: str | None = None
    title: str | None = None
    description: str | None = None
    price: int | float | str | None = None
    original_price: int | float | str | None = None
    currency: str = "VND"
    brand: str | None = None
    category: str | None = None
    images: list[str] = field(default_factory=list)
    sold: int | None = None
    rating: float | None = None
    location: str | None = None
    posted_at: str | None = None
    seller: SellerItem | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    capture: Capture | None = None


@dataclass
class GoneItem:
    """A listing its source no longer offers: its page answered 404/410 or said it was removed.

    Identified like the ``ListingItem`` it was (``source``, ``shop_id``, ``item_id``); storage marks the
    stored listing ``gone`` and keeps it, since a removed offer is still evidence of what was sold.
    """

    source: str
    item_id: str
    url: str
    reason: str
    shop_id: str | None = None


@dataclass
class ShopCrawledItem:
    """Every listing a shop (or website) offers was just seen, by a crawl of it that began at ``since``.

    Its stored listings not seen since then are no longer offered there: storage marks them ``missing``.
    """

    source: str
    shop_id: str
    since: datetime


@dataclass
class ListingRecord:
    """A normalised listing on its way to storage: the ``listings`` document and its seller's document.

    ``doc`` follows the data model (``_id``, ``source``, ``kind``, ``price`` in VND, ..., then
    ``findings``/``risk`` once matched); ``seller`` is the ``sellers`` document, also embedded (as
    ``{id, name, official, phones, ...}``) when the rules look at the listing.
    """

    doc: dict[str, Any]
    seller: dict[str, Any] | None = None
    capture: Capture | None = None


@dataclass
class SellerRecord:
    """A normalised ``sellers`` document from a shop page, a seller widget or a website's home page."""

    doc: dict[str, Any]


@dataclass
class GoneRecord:
    """A normalised ``GoneItem``: the canonical id of the listing to mark gone, and why."""

    listing_id: str
    url: str
    reason: str


@dataclass
class ShopCrawledRecord:
    """A normalised ``ShopCrawledItem``: the seller whose unseen listings become ``missing``."""

    source: str
    seller_id: str
    since: datetime
