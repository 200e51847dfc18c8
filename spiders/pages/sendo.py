"""Sendo page objects over its plain-HTTP JSON APIs: search, product detail (with the shop's phone), shop home.

* search: ``searchlist-api.sendo.vn/web/products?q=&page=`` → ``data[]`` (or ``async_data.products``);
  the recommend/listing API (``data[].item``) has another vocabulary and is read by the same page.
* detail: ``detail-api.sendo.vn/full/<url_key>`` → ``data`` with ``shop_info.phone_number``.
* shop: ``shop-home.sendo.vn/api/v1/product/filter?seller_admin_id=&page=`` → ``data.list[]``.
Prices are plain integer VND.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawler.clean import nfc, province, to_e164
from crawler.exceptions import BlockedPage, NotAListingPage
from crawler.items import ListingItem, SellerItem

from .base import Item, Page, as_float, as_int, compact, dig, html_to_text

__all__ = ["SendoProductPage", "SendoSearchPage", "SendoShopPage", "sendo_url"]

SITE = "https://www.sendo.vn"
_BLOCK = re.compile(r"captcha|cf-chl|Just a moment|Access denied|Attention Required", re.I)
_PRODUCT_ID = re.compile(r"-(\d+)\.html")


def sendo_url(category_path: str | None) -> str | None:
    """``https://www.sendo.vn/<category_path>`` without tracking parameters."""
    if not category_path:
        return None
    path = urlsplit(category_path).path.lstrip("/")
    return f"{SITE}/{path}"


class SendoPage(Page):
    """Block detection shared by Sendo's APIs (they answer JSON; an HTML challenge is a block)."""

    def check(self) -> Any:
        """The parsed JSON, after ruling out a WAF/captcha HTML page."""
        head = self.text.lstrip()[:2000]
        if head.startswith("<"):
            if _BLOCK.search(head) or _BLOCK.search(self.text[:50_000]):
                raise BlockedPage("sendo answered a challenge page", self.url)
            raise NotAListingPage(f"expected Sendo API JSON: {self.url}")
        return self.json

    def page_number(self) -> int:
        """``page=`` (search, shop) or ``p=`` (recommend) of the request URL, 1 by default."""
        query = parse_qs(urlsplit(self.url).query)
        return as_int((query.get("page") or query.get("p") or ["1"])[0]) or 1


class SendoSearchPage(SendoPage):
    """A keyword search (or category listing) page; paging by ``page=`` until an empty page."""

    def cards(self) -> list[dict[str, Any]]:
        """Product objects of the page ([] for an empty result)."""
        data = self.check()
        if not isinstance(data, dict) or not ({"data", "async_data"} & data.keys()):
            raise NotAListingPage(f"not a Sendo search answer: {self.url}")
        cards = data.get("data") or dig(data, "async_data", "products") or []
        if isinstance(cards, dict):  # some versions wrap the list: data.products
            cards = cards.get("products") or cards.get("list") or []
        return [card for card in cards if isinstance(card, dict)]

    def to_items(self) -> list[Item]:
        items: list[Item] = []
        for card in self.cards():
            recommend = "item" in card or "is_empty" in card  # recommend entries wrap the product (or an ad slot)
            listing = listing_from_recommend(card.get("item") or {}) if recommend else listing_from_search(card)
            if listing is not None:
                items.append(listing)
        return items

    def next_page(self) -> int | None:
        """The next page number, or None once a page comes back empty."""
        return self.page_number() + 1 if self.cards() else None


def listing_from_search(card: dict[str, Any]) -> ListingItem:
    """A listing from a searchlist-api product."""
    shop = card.get("shop") or {}
    shop_id = shop.get("id") or card.get("seller_admin_id")
    location = province(shop.get("ware_house_region_name"))
    badges = shop.get("badge_urls") or {}
    return ListingItem(
        source="sendo",
        kind="marketplace",
        item_id=str(card.get("id")),
        shop_id=str(shop_id) if shop_id else None,
        url=sendo_url(card.get("category_path")) or f"{SITE}/-{card.get('id')}.html",
        title=nfc(card.get("name")),
        price=as_int(card.get("sale_price_min")) or as_int(card.get("default_price_min")),
        original_price=as_int(card.get("default_price_min")),
        images=[card["image"]] if card.get("image") else [],
        sold=as_int(card.get("sold")),
        rating=as_float(dig(card, "rated", "star")),
        location=location,
        seller=SellerItem(
            source="sendo",
            shop_id=str(shop_id),
            name=nfc(shop.get("name")),
            official=bool(badges.get("shop_mall")) or None,
            location=location,
            extra=compact({"certified": shop.get("is_certified"), "level": shop.get("level")}),
        )
        if shop_id
        else None,
        extra=compact({"discount_percent": card.get("sale_percent"), "sku": card.get("sku_user")}),
    )


def listing_from_recommend(item: dict[str, Any]) -> ListingItem | None:
    """A listing from a recommend-api entry; flash-sale widgets without a shop are skipped."""
    shop_id = item.get("shop_id") or item.get("seller_admin_id")
    if not shop_id:
        return None
    location = province(item.get("shop_warehouse_city"))
    return ListingItem(
        source="sendo",
        kind="marketplace",
        item_id=str(item.get("product_id")),
        shop_id=str(shop_id),
        url=sendo_url(item.get("cat_path")) or f"{SITE}/-{item.get('product_id')}.html",
        title=nfc(item.get("name")),
        price=as_int(item.get("final_price")),
        original_price=as_int(item.get("price")),
        images=[item["thumbnail_url"]] if item.get("thumbnail_url") else [],
        sold=as_int(item.get("order_count")),
        rating=as_float(item.get("rating_percent")) or None,
        location=location,
        seller=SellerItem(
            source="sendo",
            shop_id=str(shop_id),
            name=nfc(item.get("shop_name")),
            official=item.get("is_shop_mall"),
            location=location,
        ),
    )


class SendoProductPage(SendoPage):
    """A product detail answer; its ``shop_info`` is the richest seller record Sendo offers (phone too)."""

    def data(self) -> dict[str, Any]:
        """The product object; an answer without one is not a product page."""
        data = self.check()
        product = data.get("data") if isinstance(data, dict) else None
        if not isinstance(product, dict) or not product.get("id"):
            raise NotAListingPage(f"no Sendo product in answer: {self.url}")
        return product

    def seller(self) -> SellerItem | None:
        """The shop from ``shop_info``: name, Mall flag, warehouse province, rating, item count, phone."""
        info = self.data().get("shop_info") or {}
        if not info.get("shop_id"):
            return None
        phone = info.get("phone_number")
        badges = {badge.get("type") for badge in info.get("shop_badge_urls") or [] if isinstance(badge, dict)}
        extra = {
            "on_sendo": info.get("sale_on_sendo"),
            "response_time": info.get("response_time"),
            "rating_count": as_int(info.get("rating_count")),
            "badges": sorted(b for b in badges if b) or None,
        }
        return SellerItem(
            source="sendo",
            shop_id=str(info["shop_id"]),
            name=nfc(info.get("shop_name")),
            url=f"{SITE}/{info['shop_url']}" if info.get("shop_url") else None,
            official=bool(info.get("shop_mall")) or "shop_mall" in badges,
            location=province(info.get("warehourse_region_name") or info.get("warehouse_region_name")),
            phones=[to_e164(phone) or phone] if phone else [],
            rating=as_float(info.get("rating_avg")),
            item_count=as_int(info.get("product_total")),
            extra=compact(extra),
        )

    def to_items(self) -> list[Item]:
        data = self.data()
        seller = self.seller()
        categories = [c.get("title") for c in data.get("category_info") or [] if isinstance(c, dict)]
        media = [m.get("image") for m in data.get("media") or [] if isinstance(m, dict) and m.get("type") == "image"]
        listing = ListingItem(
            source="sendo",
            kind="marketplace",
            item_id=str(data["id"]),
            shop_id=seller.shop_id if seller else None,
            url=sendo_url(data.get("cat_path")) or f"{SITE}/{data.get('url_key')}.html",
            title=nfc(data.get("name")),
            description=html_to_text(dig(data, "description_info", "description")),
            price=as_int(data.get("final_price")),
            original_price=as_int(data.get("price")),
            brand=nfc(dig(data, "brand_info", "name")),
            category=" / ".join(c for c in categories if c) or None,
            images=[m for m in media if m] or ([data["image"]] if data.get("image") else []),
            sold=as_int(data.get("order_count")),
            rating=as_float(dig(data, "rating_info", "percent_star")) or None,
            location=seller.location if seller else None,
            seller=seller,
            extra=self._extra(data),
        )
        return [listing]

    def _extra(self, data: dict[str, Any]) -> dict[str, Any]:
        attributes = dig(data, "description_info", "attributes") or []
        extra = {
            "sku": data.get("sku_user"),
            "discount_percent": data.get("promotion_percent"),
            "review_count": as_int(dig(data, "rating_info", "total_rated")),
            "attributes": {a.get("name"): a.get("value") for a in attributes if isinstance(a, dict)} or None,
            "mall": bool(data["product_mall"]) if "product_mall" in data else None,
        }
        return compact(extra)


class SendoShopPage(SendoPage):
    """A shop's catalogue page (shop-home ``product/filter``); the shop id is ``seller_admin_id``."""

    def cards(self) -> list[dict[str, Any]]:
        """Products of the page ([] past the last page)."""
        data = self.check()
        block = data.get("data") if isinstance(data, dict) else None
        if not isinstance(block, dict) or ("list" not in block and "total" not in block):
            raise NotAListingPage(f"not a Sendo shop answer: {self.url}")
        return [card for card in block.get("list") or [] if isinstance(card, dict)]

    def shop_id(self) -> str | None:
        """``seller_admin_id`` of the request, else the ``admin_id`` of the products."""
        query = parse_qs(urlsplit(self.url).query)
        if query.get("seller_admin_id"):
            return query["seller_admin_id"][0]
        cards = self.cards()
        return str(cards[0]["admin_id"]) if cards and cards[0].get("admin_id") else None

    def to_items(self) -> list[Item]:
        shop_id = self.shop_id()
        return [self._listing(card, shop_id) for card in self.cards()]

    def _listing(self, card: dict[str, Any], shop_id: str | None) -> ListingItem:
        badges = {b.get("type") for b in card.get("shop_badge_urls") or [] if isinstance(b, dict)}
        url = sendo_url(card.get("url_key"))
        match = _PRODUCT_ID.search(url or "")
        return ListingItem(
            source="sendo",
            kind="marketplace",
            item_id=str(card.get("product_id") or (match.group(1) if match else "")),
            shop_id=shop_id,
            url=url or f"{SITE}/-{card.get('product_id')}.html",
            title=nfc(card.get("name")),
            price=as_int(card.get("final_price")),
            original_price=as_int(card.get("price")),
            images=[card["image"]] if card.get("image") else [],
            sold=as_int(card.get("order_count")),
            rating=as_float(card.get("rating_percent")) or None,
            seller=SellerItem(source="sendo", shop_id=shop_id, official="shop_mall" in badges) if shop_id else None,
            extra={"review_count": as_int(card.get("total_rated"))} if card.get("total_rated") else {},
        )

    def next_page(self) -> int | None:
        """The next page number, or None when this page is empty or reaches ``data.total``."""
        cards, page = self.cards(), self.page_number()
        total = as_int(dig(self.check(), "data", "total")) or 0
        query = parse_qs(urlsplit(self.url).query)
        size = as_int((query.get("limit") or ["30"])[0]) or 30
        return page + 1 if cards and page * size < total else None
