"""Canonical form: ids, integer VND, NFC text, provinces, E.164 phones and identity keys."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import DropItem

from crawler.clean import nfc, parse_vnd, province, to_e164
from crawler.items import (
    GoneItem,
    GoneRecord,
    ListingItem,
    ListingRecord,
    SellerItem,
    SellerRecord,
    ShopCrawledItem,
    ShopCrawledRecord,
)

__all__ = ["NormalizePipeline", "listing_id", "seller_doc", "seller_id"]

logger = logging.getLogger(__name__)

MAX_IMAGES = 20
MAX_EXTRA_CHARS = 20_000


class InvalidItem(DropItem):
    """An item without the fields every listing needs (a parser that broke)."""


def seller_id(source: str, shop_id: str) -> str:
    return f"{source}:{shop_id}"


def listing_id(item: ListingItem | GoneItem) -> str:
    """``<source>:<shop>:<item>``; websites ``web:<domain><path>``; posts ``facebook:<group|page>:<post>``."""
    if item.source == "web":
        return f"web:{item.shop_id}{item.item_id if item.item_id.startswith('/') else '/' + item.item_id}"
    return f"{item.source}:{item.shop_id or '_'}:{item.item_id}"


def _phones(raw: list[str]) -> list[str]:
    return list(dict.fromkeys(p for p in (to_e164(r) for r in raw) if p))


def seller_doc(seller: SellerItem) -> dict[str, Any]:
    """The ``sellers`` document; ``identity_keys`` link one trader's shops across platforms."""
    phones = _phones(seller.phones)
    emails = sorted({e.strip().lower() for e in seller.emails if "@" in e})
    taxes = sorted({"".join(ch for ch in t if ch.isdigit() or ch == "-") for t in seller.tax_codes if t})
    keys = [f"phone:{p}" for p in phones] + [f"email:{e}" for e in emails] + [f"tax:{t}" for t in taxes]
    if seller.source == "web":
        keys.append(f"domain:{seller.shop_id.removeprefix('www.')}")
    doc = {
        "_id": seller_id(seller.source, seller.shop_id),
        "source": seller.source,
        "shop_id": seller.shop_id,
        "name": nfc(seller.name, limit=300),
        "url": seller.url,
        "official": seller.official,
        "location": province(seller.location),
        "phones": phones,
        "emails": emails,
        "tax_codes": taxes,
        "identity_keys": keys,
        "joined": seller.joined,
        "rating": seller.rating,
        "followers": seller.followers,
        "item_count": seller.item_count,
        "website": seller.website,
    }
    return doc | ({"extra": seller.extra} if seller.extra else {})


def listing_doc(item: ListingItem) -> dict[str, Any]:
    extra = item.extra if len(repr(item.extra)) <= MAX_EXTRA_CHARS else {}
    return {
        "_id": listing_id(item),
        "source": item.source,
        "kind": item.kind,
        "url": item.url,
        "title": nfc(item.title, limit=1000),
        "description": nfc(item.description),
        "price": parse_vnd(item.price),
        "original_price": parse_vnd(item.original_price),
        "currency": item.currency or "VND",
        "brand": nfc(item.brand, limit=200),
        "category": nfc(item.category, limit=500),
        "images": list(dict.fromkeys(item.images))[:MAX_IMAGES],
        "sold": item.sold,
        "rating": item.rating,
        "location": province(item.location),
        "posted_at": item.posted_at,
        "seller_id": _listing_seller(item),
        "extra": extra,
    }


def _listing_seller(item: ListingItem) -> str | None:
    """The seller the listing names; a group post's seller is its author, not the group in its id."""
    if item.seller is not None and item.seller.shop_id:
        return seller_id(item.source, item.seller.shop_id)
    return seller_id(item.source, item.shop_id) if item.shop_id else None


class NormalizePipeline:
    """Turns each item into its record (``ListingItem`` → ``ListingRecord``, ...); drops listings without a title."""

    def process_item(self, item: Any) -> ListingRecord | SellerRecord | GoneRecord | ShopCrawledRecord:
        if isinstance(item, SellerItem):
            return SellerRecord(seller_doc(item))
        if isinstance(item, GoneItem):
            return GoneRecord(listing_id(item), item.url, nfc(item.reason, limit=500) or "gone")
        if isinstance(item, ShopCrawledItem):
            return ShopCrawledRecord(item.source, seller_id(item.source, item.shop_id), item.since)
        if not isinstance(item, ListingItem):
            raise InvalidItem(f"unexpected item type {type(item).__name__}")
        doc = listing_doc(item)
        if not doc["title"] or not item.item_id:
            raise InvalidItem(f"listing without title or id: {item.url}")
        seller = item.seller or (SellerItem(item.source, item.shop_id) if item.shop_id else None)
        return ListingRecord(doc, seller_doc(seller) if seller else None, item.capture)
