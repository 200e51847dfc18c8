"""TikTok Shop page objects over what the browser-rendered pages embed.

A product page (``/shop/vn/pdp/<slug>/<id>``, ``/view/product/<id>``) embeds
``<script id="__MODERN_ROUTER_DATA__" type="application/json">`` whose ``loaderData`` holds
``page_config.global_data.product_info.product_info`` and ``components_map[]`` (``product_info``,
``shop_info``). A search page's products (``{product_id, title, product_price_info, rate_info, sold_info,
seller_info, seo_url}``) come from the same router data or from the captured search XHR.
No recorded VN response exists (SOURCES.md §5): the readers search the JSON tree for these objects rather
than trusting one fixed path, so a reshuffled loader key does not break them. The Mall flag is read from
``shop_info.is_mall`` (assumed, like the other shop_info keys).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from crawler.clean import nfc, parse_vnd, province
from crawler.exceptions import BlockedPage, NotAListingPage
from crawler.items import ListingItem, SellerItem

from .base import Item, Page, as_float, as_int, compact, dig, slugify

__all__ = ["TiktokProductPage", "TiktokSearchPage", "tiktok_url"]

SITE = "https://www.tiktok.com"
_ROUTER = re.compile(r'<script[^>]*id="__MODERN_ROUTER_DATA__"[^>]*>(.*?)</script>', re.S)
_BLOCK = re.compile(
    r"not available in this country or region|không có sẵn ở quốc gia|captcha_container|secsdk-captcha"
    r"|verify-bar|Verify to continue|Xác minh để tiếp tục",
    re.I,
)
# TikTok's login modal, shown instead of the page's data to a visitor it wants signed in.
_LOGIN_WALL = re.compile(r'id="loginContainer"|id="login-modal"|Đăng nhập vào TikTok|Log in to TikTok', re.I)


def tiktok_url(title: str | None, product_id: Any) -> str:
    """``https://www.tiktok.com/shop/vn/pdp/<slug>/<id>``, the slug folded to ASCII like the site does."""
    return f"{SITE}/shop/vn/pdp/{slugify(title)}/{product_id}"


def _walk(obj: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a JSON tree, depth first."""
    stack = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))


class TiktokPage(Page):
    """Router-data extraction and captcha / geo-block detection."""

    @cached_property
    def data(self) -> Any:
        """The embedded router JSON (HTML page) or the XHR JSON (API capture)."""
        if _BLOCK.search(self.text[:300_000]):
            raise BlockedPage("tiktok captcha or region block", self.url)
        text = self.text.lstrip()
        if text.startswith("{"):
            return self.json
        match = _ROUTER.search(self.text)
        if not match and _LOGIN_WALL.search(self.text[:300_000]):
            raise BlockedPage("tiktok login wall", self.url)
        if not match:
            raise NotAListingPage(f"no __MODERN_ROUTER_DATA__ on page: {self.url}")
        try:
            return json.loads(match.group(1))
        except ValueError as exc:
            raise NotAListingPage(f"unreadable router data: {self.url}") from exc


class TiktokProductPage(TiktokPage):
    """One product: title, prices, images, sold count, rating, the shop that sells it."""

    def product(self) -> dict[str, Any]:
        """The ``product_info`` object (has ``product_id`` and ``product_base``)."""
        for node in _walk(self.data):
            info = node.get("product_info")
            if isinstance(info, dict) and info.get("product_id") and "product_base" in info:
                return info
        raise NotAListingPage(f"no TikTok product in page data: {self.url}")

    def shop(self) -> dict[str, Any]:
        """The ``shop_info`` component's data ({} when the page has none)."""
        for node in _walk(self.data):
            if node.get("component_type") == "shop_info" and isinstance(node.get("component_data"), dict):
                return node["component_data"]
        return {}

    def description(self) -> str | None:
        """``desc_detail`` is a JSON string of blocks; the text blocks joined."""
        raw = dig(self.product(), "product_base", "desc_detail")
        try:
            blocks = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            return nfc(raw)
        texts = [b.get("text") for b in blocks or [] if isinstance(b, dict) and b.get("type") == "text"]
        return "\n".join(t for t in (nfc(t) for t in texts) if t) or None

    def seller(self) -> SellerItem | None:
        """The shop: id and name from ``product_info.seller``, counts from the ``shop_info`` component."""
        seller, shop = self.product().get("seller") or {}, self.shop()
        shop_id = seller.get("seller_id") or shop.get("seller_id")
        if not shop_id:
            return None
        return SellerItem(
            source="tiktok",
            shop_id=str(shop_id),
            name=nfc(seller.get("name") or shop.get("shop_name")),
            url=f"{SITE}/@{shop['shop_link_name']}" if shop.get("shop_link_name") else None,
            official=shop.get("is_mall"),
            location=province(seller.get("seller_location") or shop.get("shop_location")),
            rating=as_float(shop.get("shop_rating")),
            followers=as_int(shop.get("followers_count")),
            item_count=as_int(shop.get("product_count")),
            extra=compact({"sold_count": as_int(shop.get("sold_count"))}),
        )

    def to_items(self) -> list[Item]:
        product = self.product()
        base = product.get("product_base") or {}
        price = base.get("price") or {}
        seller = self.seller()
        images = [dig(image, "url_list", 0) for image in base.get("images") or [] if isinstance(image, dict)]
        categories = [nfc(c.get("category_name")) for c in product.get("categories") or [] if isinstance(c, dict)]
        listing = ListingItem(
            source="tiktok",
            kind="marketplace",
            item_id=str(product["product_id"]),
            shop_id=seller.shop_id if seller else None,
            url=tiktok_url(base.get("title"), product["product_id"]),
            title=nfc(base.get("title")),
            description=self.description(),
            price=parse_vnd(price.get("real_price") or price.get("sale_price_format")),
            original_price=parse_vnd(price.get("original_price") or price.get("origin_price_format")),
            currency=price.get("currency") or "VND",
            brand=nfc(dig(product, "brand", "name") or base.get("brand_name")),
            category=" / ".join(c for c in categories if c) or None,
            images=[image for image in images if image],
            sold=as_int(base.get("sold_count")),
            rating=as_float(dig(product, "product_detail_review", "product_rating")),
            location=seller.location if seller else None,
            seller=seller,
            extra=self._extra(product, price),
        )
        return [listing]

    def _extra(self, product: dict[str, Any], price: dict[str, Any]) -> dict[str, Any]:
        extra = {
            "review_count": as_int(dig(product, "product_detail_review", "review_count_str")),
            "discount": price.get("discount"),
            "shipping_fee": dig(product, "logistic", "shipping_fee", "price_str"),
        }
        return compact(extra)


class TiktokSearchPage(TiktokPage):
    """A keyword search (rendered page's router data, or the search XHR ``data.products[]``)."""

    def cards(self) -> list[dict[str, Any]]:
        """Product cards ([] for a search without results)."""
        for node in _walk(self.data):
            products = node.get("products")
            if isinstance(products, list):
                return [card for card in products if isinstance(card, dict) and card.get("product_id")]
        raise NotAListingPage(f"no TikTok search results in page data: {self.url}")

    def to_items(self) -> list[Item]:
        return [listing_from_card(card) for card in self.cards()]

    def next_page(self) -> int | None:
        """The next offset when the answer says ``has_more``, else None."""
        for node in _walk(self.data):
            if "has_more" in node:
                return as_int(node.get("next_offset") or node.get("offset")) if node["has_more"] else None
        return None


def listing_from_card(card: dict[str, Any]) -> ListingItem:
    """A listing from a search product card."""
    price = card.get("product_price_info") or {}
    seller = card.get("seller_info") or {}
    title = nfc(card.get("title"))
    return ListingItem(
        source="tiktok",
        kind="marketplace",
        item_id=str(card["product_id"]),
        shop_id=str(seller["seller_id"]) if seller.get("seller_id") else None,
        url=tiktok_url(title, card["product_id"]),
        title=title,
        price=parse_vnd(price.get("sale_price_decimal") or price.get("sale_price_format")),
        original_price=parse_vnd(price.get("origin_price_decimal") or price.get("origin_price_format")),
        currency=price.get("currency_name") or "VND",
        images=[url for url in [dig(card, "image", "url_list", 0)] if url],
        sold=as_int(dig(card, "sold_info", "sold_count")),
        rating=as_float(dig(card, "rate_info", "score")) or None,
        seller=SellerItem(source="tiktok", shop_id=str(seller["seller_id"]), name=nfc(seller.get("shop_name")))
        if seller.get("seller_id")
        else None,
        extra={"review_count": as_int(dig(card, "rate_info", "review_count"))}
        if dig(card, "rate_info", "review_count") is not None
        else {},
    )
