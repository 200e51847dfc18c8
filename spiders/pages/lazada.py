"""Lazada page objects: search/store listings (``window.pageData`` or ``?ajax=true``) and product pages.

The search HTML embeds ``window.pageData={...}``, which is the very JSON ``?ajax=true`` answers
(``mods.listItems[]`` + ``mainInfo``); a store's "All products" tab serves the same schema. Product pages
carry ``app.run({data:{root:{fields}}})`` and a JSON-LD ``Product`` used as a fallback.
Alibaba's anti-bot answers with a slider-captcha "punish" page, recognised as a block.
"""

from __future__ import annotations

import json
import math
import re
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from crawler.clean import nfc, parse_vnd, province
from crawler.exceptions import BlockedPage, NotAListingPage
from crawler.items import ListingItem, SellerItem

from .base import Item, Page, as_float, as_int, compact, dig, embedded_json, html_to_text, https, slugify

__all__ = ["LazadaProductPage", "LazadaSearchPage", "LazadaStorePage", "product_url"]

SITE = "https://www.lazada.vn"
_PUNISH = re.compile(
    r"_____tmd_____|/punish\b|x5sec|nocaptcha|baxia-dialog|rgv587_flag|RGV587_ERROR|FAIL_SYS_USER_VALIDATE"
)
_ITEM_IN_URL = re.compile(r"-i(\d+)(?:-s(\d+))?\.html")
_LD_JSON = re.compile(r'<script[^>]+type="application/ld\+json"[^>]*>(.*?)</script>', re.S | re.I)


def product_url(link: str | None, item_id: Any, sku_id: Any = None, title: str | None = None) -> str:
    """``https://www.lazada.vn/products/<slug>-i<itemId>-s<skuId>.html`` (tracking query dropped).

    The slug comes from the link the site gave, else from the title the way Lazada slugs it.
    """
    last = urlsplit(https(link) or "").path.rsplit("/", 1)[-1]
    match = _ITEM_IN_URL.search(last)
    slug = last[: match.start()] if match else slugify(title)
    suffix = f"-i{item_id}-s{sku_id}" if sku_id else f"-i{item_id}"
    return f"{SITE}/products/{slug or '-'}{suffix}.html"


class LazadaPage(Page):
    """Punish-page detection shared by all Lazada pages."""

    def check(self) -> str:
        """The body text, after ruling out the slider-captcha / MTOP anti-bot answers."""
        if _PUNISH.search(self.url) or _PUNISH.search(self.text[:50_000]):
            raise BlockedPage("lazada slider captcha (punish page)", self.url)
        return self.text


class LazadaSearchPage(LazadaPage):
    """A search or category listing: ``mods.listItems[]``, 40 per page, ``mainInfo.totalResults``."""

    @cached_property
    def data(self) -> dict[str, Any]:
        """The pageData JSON, from the HTML or from the ajax body."""
        text = self.check().lstrip()
        data = self.json if text.startswith("{") else embedded_json(text, "window.pageData")
        if not isinstance(data, dict) or not ("mods" in data or "mainInfo" in data):
            raise NotAListingPage(f"not a Lazada listing page: {self.url}")
        return data

    def cards(self) -> list[dict[str, Any]]:
        """The raw ``listItems`` ([] on a search without results)."""
        return [card for card in dig(self.data, "mods", "listItems") or [] if isinstance(card, dict)]

    def to_items(self) -> list[Item]:
        return [listing_from_card(card) for card in self.cards()]

    def next_page(self) -> int | None:
        """The next page number, or None when this page is empty or the last one."""
        info = self.data.get("mainInfo") or {}
        page, size = as_int(info.get("page")) or 1, as_int(info.get("pageSize")) or 40
        total = as_int(info.get("totalResults")) or 0
        if not self.cards() or page >= math.ceil(total / size):
            return None
        return page + 1


class LazadaStorePage(LazadaSearchPage):
    """A store's product tab (``/<store>/?ajax=true&from=wangpu&q=All-Products``): same schema as search."""

    def seller(self) -> SellerItem | None:
        """The store's seller, as far as its listing shows it (name, id, LazMall flag, location, item count)."""
        cards = self.cards()
        seller = listing_from_card(cards[0]).seller if cards else None
        if seller is not None:
            seller.item_count = as_int(dig(self.data, "mainInfo", "totalResults"))
        return seller


def listing_from_card(card: dict[str, Any]) -> ListingItem:
    """A listing from one ``listItems`` entry."""
    item_id = card.get("itemId") or card.get("nid")
    sku_id = card.get("skuId") or _sku_from(card)
    location = province(card.get("location"))
    reviews = as_int(card.get("review"))
    official = any(icon.get("domClass") == "lazMall" for icon in card.get("icons") or [] if isinstance(icon, dict))
    categories = card.get("categories") or []
    return ListingItem(
        source="lazada",
        kind="marketplace",
        item_id=str(item_id),
        shop_id=str(card["sellerId"]) if card.get("sellerId") else None,
        url=product_url(card.get("productUrl"), item_id, sku_id, card.get("name")),
        title=nfc(card.get("name")),
        price=parse_vnd(card.get("price")),
        original_price=parse_vnd(card.get("originalPrice")),
        brand=nfc(card.get("brandName")),
        category=str(categories[-1]) if categories else None,
        images=[url for url in [https(card.get("image"))] if url],
        rating=as_float(card.get("ratingScore")) if reviews else None,
        location=location,
        seller=SellerItem(
            source="lazada",
            shop_id=str(card.get("sellerId")),
            name=nfc(card.get("sellerName")),
            official=official or None,
            location=location,
        )
        if card.get("sellerId")
        else None,
        extra=_card_extra(card, reviews, sku_id),
    )


def _sku_from(card: dict[str, Any]) -> str | None:
    match = _ITEM_IN_URL.search(card.get("productUrl") or "")
    return match.group(2) if match else None


def _card_extra(card: dict[str, Any], reviews: int | None, sku_id: Any) -> dict[str, Any]:
    extra = {
        "sku_id": str(sku_id) if sku_id else None,
        "discount": card.get("discount") or None,
        "review_count": reviews,
        "in_stock": card.get("inStock"),
        "is_ad": bool(card["isAD"]) if "isAD" in card else None,
        "category_ids": card.get("categories") or None,
    }
    return compact(extra)


class LazadaProductPage(LazadaPage):
    """A product page: ``app.run({...}).data.root.fields``; JSON-LD ``Product`` when the blob is missing."""

    @cached_property
    def fields(self) -> dict[str, Any]:
        """``data.root.fields`` of the app.run blob ({} when the page has none)."""
        blob = embedded_json(self.check(), "app.run(")
        return dig(blob, "data", "root", "fields") or (blob or {}).get("fields") or {}

    @cached_property
    def json_ld(self) -> dict[str, Any]:
        """The first JSON-LD object of type Product ({} when absent)."""
        for block in _LD_JSON.findall(self.text):
            try:
                data = json.loads(block)
            except ValueError:
                continue
            for obj in data if isinstance(data, list) else [data]:
                if isinstance(obj, dict) and obj.get("@type") == "Product":
                    return obj
        return {}

    def ids(self) -> tuple[str | None, str | None, str | None]:
        """``(itemId, skuId, sellerId)`` from ``primaryKey``, else from the URL."""
        key = self.fields.get("primaryKey") or {}
        match = _ITEM_IN_URL.search(self.url)
        item_id = key.get("itemId") or (match.group(1) if match else None)
        sku_id = key.get("skuId") or (match.group(2) if match else None)
        return item_id, sku_id, key.get("sellerId")

    def sku(self) -> dict[str, Any]:
        """The selected SKU's info (price, category path); the first one when the id is unknown."""
        infos = self.fields.get("skuInfos") or {}
        _, sku_id, _ = self.ids()
        chosen: Any = infos.get(str(sku_id)) or next(iter(infos.values()), {})
        return chosen if isinstance(chosen, dict) else {}

    def to_items(self) -> list[Item]:
        if not self.fields and not self.json_ld:
            raise NotAListingPage(f"not a Lazada product page: {self.url}")
        return [self._from_fields() if self.fields else self._from_json_ld()]

    def _from_fields(self) -> ListingItem:
        product, sku = self.fields.get("product") or {}, self.sku()
        item_id, sku_id, seller_id = self.ids()
        gallery = dig(self.fields, "skuGalleries", str(sku_id)) or dig(self.fields, "skuGalleries", "0") or []
        categories = dig(sku, "dataLayer", "pdt_category") or []
        seller = self.seller(seller_id)
        return ListingItem(
            source="lazada",
            kind="marketplace",
            item_id=str(item_id),
            shop_id=seller.shop_id if seller else seller_id,
            url=product_url(product.get("link"), item_id, sku_id, product.get("title")),
            title=nfc(product.get("title")),
            description=html_to_text(product.get("desc")) or html_to_text(product.get("highlights")),
            price=parse_vnd(dig(sku, "price", "salePrice", "value")),
            original_price=parse_vnd(dig(sku, "price", "originalPrice", "value")),
            currency=dig(sku, "dataLayer", "core", "currencyCode") or "VND",
            brand=nfc(dig(product, "brand", "name") or dig(sku, "dataLayer", "brand_name")),
            category=" / ".join(categories) or None,
            images=[https(g.get("src")) or "" for g in gallery if isinstance(g, dict) and g.get("type") == "img"],
            rating=as_float(dig(self.fields, "review", "ratings", "average") or dig(product, "rating", "score")),
            seller=seller,
            extra=self._extra(sku_id),
        )

    def _extra(self, sku_id: Any) -> dict[str, Any]:
        features = dig(self.fields, "specifications", str(sku_id), "features") or {}
        extra = {
            "sku_id": str(sku_id) if sku_id else None,
            "review_count": as_int(dig(self.fields, "review", "ratings", "rateCount")),
            "specifications": features or None,
            "discount": dig(self.sku(), "price", "discount"),
            "mall": dig(self.fields, "product", "mallTag"),
        }
        return compact(extra)

    def seller(self, seller_id: Any = None) -> SellerItem | None:
        """The seller block of the page (no phone or address: Lazada does not show them)."""
        seller = self.fields.get("seller") or {}
        shop_id = seller.get("sellerId") or seller_id
        if not shop_id:
            return None
        age = f"{seller['time']} {seller['unit']}" if seller.get("unit") else None
        extra = {
            "positive_rating": dig(seller, "positiveSellerRating", "value") or seller.get("percentRate"),
            "ship_on_time": dig(seller, "shipOnTime", "value"),
            "chat_response": dig(seller, "chatResponsiveRate", "value"),
            "time_on_lazada": age,
            "new_seller": seller.get("newSeller"),
        }
        return SellerItem(
            source="lazada",
            shop_id=str(shop_id),
            name=nfc(seller.get("name")),
            url=https(seller.get("url")),
            official=dig(self.fields, "product", "mallTag"),
            extra=compact(extra),
        )

    def _from_json_ld(self) -> ListingItem:
        product = self.json_ld
        offers: Any = product.get("offers") or {}
        offers = offers[0] if isinstance(offers, list) and offers else offers
        offers = offers if isinstance(offers, dict) else {}
        item_id, sku_id, _ = self.ids()
        images = product.get("image") or []
        brand = product.get("brand")
        return ListingItem(
            source="lazada",
            kind="marketplace",
            item_id=str(item_id),
            url=product_url(self.url, item_id, sku_id, product.get("name")),
            title=nfc(product.get("name")),
            description=html_to_text(product.get("description")),
            price=parse_vnd(offers.get("price") or offers.get("lowPrice")),
            brand=nfc(brand.get("name") if isinstance(brand, dict) else brand),
            images=[https(i) or "" for i in (images if isinstance(images, list) else [images])],
            seller=None,
            extra={"seller_name": nfc(dig(offers, "seller", "name"))} if dig(offers, "seller", "name") else {},
        )
