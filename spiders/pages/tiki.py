"""Tiki JSON API pages: search results, product detail, seller widget (shapes in SOURCES.md §3).

Tiki answers plain HTTP; prices are integer VND. A product URL is ``<slug>-p<id>.html?spid=<spid>``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawler.clean import nfc
from crawler.exceptions import BlockedPage, NotAListingPage
from crawler.items import ListingItem, SellerItem
from spiders.pages.base import Page, html_to_text

__all__ = ["TikiProductPage", "TikiSearchPage", "TikiSellerPage", "parse_product_url"]

SITE = "https://tiki.vn"
_PRODUCT_URL = re.compile(r"-p(\d+)\.html")
_BLOCK = re.compile(rb"captcha|punish|x[a\xc3\xa1]c minh|robot|access denied", re.IGNORECASE)


class TikiPage(Page):
    """A Tiki API answer; an HTML captcha or block page where JSON was expected is a block, not a parse error."""

    @property
    def data(self) -> Any:
        head = self.body[:2048] if isinstance(self.body, bytes) else self.body[:2048].encode()
        if head.lstrip()[:1] == b"<" and _BLOCK.search(head):
            raise BlockedPage("Tiki trả về trang chặn/captcha thay cho dữ liệu", self.url)
        return self.json


def parse_product_url(url: str) -> tuple[str, str | None] | None:
    """(product id, spid) of a Tiki product URL, or None when the URL is not a product page."""
    match = _PRODUCT_URL.search(urlsplit(url).path)
    if not match:
        return None
    spid = parse_qs(urlsplit(url).query).get("spid", [None])[0]
    return match.group(1), spid


def _official(record: dict[str, Any]) -> bool:
    impressions = record.get("impression_info") or [{}]
    metadata = (impressions[0] or {}).get("metadata") or {}
    amplitude = ((record.get("visible_impression_info") or {}).get("amplitude")) or {}
    return bool(metadata.get("is_official_store")) or amplitude.get("seller_type") == "OFFICIAL_STORE"


def _sold(record: dict[str, Any]) -> int | None:
    sold = record.get("quantity_sold") or {}
    value = sold.get("value") if isinstance(sold, dict) else None
    return int(value) if value is not None else record.get("all_time_quantity_sold")


def _listing(record: dict[str, Any], seller: SellerItem | None) -> ListingItem:
    url_path = record.get("url_path") or f"{record.get('url_key')}.html"
    amplitude = ((record.get("visible_impression_info") or {}).get("amplitude")) or {}
    brand = record.get("brand")
    category = " > ".join(b["name"] for b in record.get("breadcrumbs") or [] if b.get("name"))
    original = record.get("list_price") or record.get("original_price")
    return ListingItem(
        source="tiki",
        kind="marketplace",
        item_id=str(record["id"]),
        shop_id=str(seller.shop_id if seller else record.get("seller_id") or "") or None,
        url=f"{SITE}/{url_path}",
        title=nfc(record.get("name")),
        description=html_to_text(record.get("description") or record.get("short_description")),
        price=record.get("price"),
        original_price=original if original and original != record.get("price") else None,
        brand=nfc((brand or {}).get("name") if isinstance(brand, dict) else record.get("brand_name")),
        category=category or nfc(amplitude.get("primary_category_name")),
        images=[i["large_url"] for i in record.get("images") or [] if i.get("large_url")]
        or [u for u in [record.get("thumbnail_url")] if u],
        sold=_sold(record),
        rating=record.get("rating_average") or None,
        seller=seller,
        extra={"spid": record.get("seller_product_id"), "origin": amplitude.get("origin")},
    )


class TikiSearchPage(TikiPage):
    """``GET /api/v2/products?q=..&page=..`` (and the seller-store listing, same envelope)."""

    @property
    def records(self) -> list[dict[str, Any]]:
        if not isinstance(self.data, dict) or "data" not in self.data:
            raise NotAListingPage(f"no product list in {self.url}")
        return [r for r in self.data["data"] or [] if isinstance(r, dict) and r.get("id")]

    def next_page(self) -> int | None:
        paging = self.data.get("paging") or {}
        current, last = paging.get("current_page") or 1, paging.get("last_page") or 1
        return current + 1 if current < last and self.records else None

    def product_refs(self) -> list[tuple[str, str | None]]:
        """(product id, spid) of every result, for the detail requests."""
        return [(str(r["id"]), str(r.get("seller_product_id") or "") or None) for r in self.records]

    def to_items(self) -> list[ListingItem | SellerItem]:
        items: list[ListingItem | SellerItem] = []
        for record in self.records:
            seller = SellerItem("tiki", str(record.get("seller_id")), official=_official(record))
            items.append(_listing(record, seller if record.get("seller_id") else None))
        return items


class TikiProductPage(TikiPage):
    """``GET /api/v2/products/<id>?platform=web&spid=<spid>``: the full listing and its current seller."""

    def seller(self) -> SellerItem | None:
        current = self.data.get("current_seller") or {}
        if not current.get("id"):
            return None
        return SellerItem(
            source="tiki",
            shop_id=str(current["id"]),
            name=nfc(current.get("name")),
            url=current.get("link"),
            official=bool(current.get("is_best_store")) or None,
        )

    def to_items(self) -> list[ListingItem | SellerItem]:
        if not isinstance(self.data, dict) or not self.data.get("id") or not self.data.get("name"):
            raise NotAListingPage(f"not a Tiki product: {self.url}")
        return [_listing(self.data, self.seller())]


class TikiSellerPage(TikiPage):
    """``GET api.tiki.vn/product-detail/v2/widgets/seller?seller_id=<id>``: the shop's profile."""

    def __init__(self, url: str, body: bytes | str, now: datetime | None = None) -> None:
        super().__init__(url, body)
        self.now = now

    def to_items(self) -> list[ListingItem | SellerItem]:
        seller = ((self.data or {}).get("data") or {}).get("seller") if isinstance(self.data, dict) else None
        if not seller or not seller.get("id"):
            return []
        days = seller.get("days_since_joined")
        # Tiki gives an age, not a date: the join date needs the crawl time, which a replayed fixture lacks.
        joined = (self.now - timedelta(days=int(days))).date().isoformat() if days is not None and self.now else None
        return [
            SellerItem(
                source="tiki",
                shop_id=str(seller["id"]),
                name=nfc(seller.get("name")),
                url=seller.get("url"),
                official=bool(seller.get("is_official")) or seller.get("store_level") == "OFFICIAL_STORE",
                joined=joined,
                rating=seller.get("avg_rating_point"),
                followers=seller.get("total_follower"),
                extra={
                    "store_level": seller.get("store_level"),
                    "review_count": seller.get("review_count"),
                    "days_since_joined": days,
                },
            )
        ]
