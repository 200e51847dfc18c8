"""Shopee page objects over the site's own ``/api/v4`` JSON (captured by the browser-driven spider).

Shopee money is an integer VND amount × 100000 (``229000000000`` = 2.290.000 ₫); every price here is
divided back to integer VND. ``-1`` / ``0`` mean "no before-discount price" and become None.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawler.clean import nfc, province
from crawler.exceptions import BlockedPage, ListingRemoved, NotAListingPage
from crawler.items import ListingItem, SellerItem

from .base import Item, Page, as_float, as_int, compact, dig, epoch_to_iso, html_to_text, slugify

__all__ = [
    "ShopeeItemPage",
    "ShopeeRecommendPage",
    "ShopeeRenderedPage",
    "ShopeeSearchPage",
    "ShopeeShopPage",
    "shopee_price",
]

SITE = "https://shopee.vn"
IMAGE_CDN = "https://down-vn.img.susercontent.com/file/"
PRICE_SCALE = 100_000
_BLOCK_PATHS = ("/verify/traffic", "/verify/captcha", "/buyer/login")
_ANTIBOT_ERROR = 90309999
_VERIFY_MARKS = re.compile(r"captcha|verify-traffic|Xác minh truy cập|lưu lượng truy cập bất thường", re.I)


def shopee_price(value: Any) -> int | None:
    """Integer VND from Shopee's scaled price; None for the ``0`` / ``-1`` "no price" sentinels."""
    scaled = None if isinstance(value, str) and value.startswith("-") else as_int(value)
    if not scaled or scaled <= 0:
        return None
    return round(scaled / PRICE_SCALE)


def item_url(name: str | None, shop_id: Any, item_id: Any) -> str:
    """``https://shopee.vn/<name-with-dashes>-i.<shopid>.<itemid>`` — Shopee keeps the accents in the slug."""
    return f"{SITE}/{slugify(name, ascii_only=False)}-i.{shop_id}.{item_id}"


def _image_urls(ids: list[Any] | None) -> list[str]:
    return [f"{IMAGE_CDN}{image}" for image in ids or [] if image]


class ShopeePage(Page):
    """Block detection shared by every Shopee API answer."""

    def check(self) -> dict[str, Any]:
        """The JSON envelope, after ruling out anti-bot redirects and error bodies."""
        path = urlsplit(self.url).path
        if any(path.startswith(prefix) for prefix in _BLOCK_PATHS):
            raise BlockedPage("shopee redirected to verification/login", self.url)
        if self.text.lstrip()[:1] == "<":
            raise BlockedPage("shopee answered HTML instead of API JSON", self.url)
        data = self.json
        if not isinstance(data, dict):
            raise NotAListingPage(f"unexpected Shopee JSON: {self.url}")
        error = data.get("error")
        if error == _ANTIBOT_ERROR or (error and "action_type" in data):
            raise BlockedPage(f"shopee anti-bot error {error}", self.url)
        return data


def listing_from_card(card: dict[str, Any]) -> ListingItem:
    """A listing from a search/shop/recommend item card (``item_basic`` or the card itself)."""
    basic = card.get("item_basic") or card
    item_id, shop_id = basic.get("itemid") or card.get("itemid"), basic.get("shopid") or card.get("shopid")
    display = basic.get("item_card_display_price") or {}
    location = province(basic.get("shop_location"))
    name = nfc(basic.get("name") or dig(basic, "item_card_displayed_asset", "name"))
    return ListingItem(
        source="shopee",
        kind="marketplace",
        item_id=str(item_id),
        shop_id=str(shop_id),
        url=item_url(name, shop_id, item_id),
        title=name,
        price=shopee_price(basic.get("price") or basic.get("price_min") or display.get("price")),
        original_price=shopee_price(basic.get("price_before_discount") or display.get("strikethrough_price")),
        currency=basic.get("currency") or "VND",
        brand=nfc(basic.get("brand")),
        category=str(basic["catid"]) if basic.get("catid") else None,
        images=_image_urls(basic.get("images") or [basic.get("image")]),
        sold=as_int(basic.get("historical_sold") or dig(basic, "item_card_display_sold_count", "display_sold_count")),
        rating=as_float(dig(basic, "item_rating", "rating_star")) or None,
        location=location,
        posted_at=epoch_to_iso(basic.get("ctime")),
        seller=SellerItem(
            source="shopee",
            shop_id=str(shop_id),
            name=nfc(basic.get("shop_name")),
            url=f"{SITE}/shop/{shop_id}",
            official=basic.get("is_official_shop"),
            location=location,
            rating=as_float(basic.get("shop_rating")),
        ),
        extra=_card_extra(basic),
    )


def _card_extra(basic: dict[str, Any]) -> dict[str, Any]:
    extra = {
        "discount": basic.get("discount") or None,
        "recent_sold": as_int(basic.get("sold")),
        "review_count": as_int(dig(basic, "item_rating", "rating_count", 0)),
        "shopee_verified": basic.get("shopee_verified"),
        "preferred_plus": basic.get("is_preferred_plus_seller"),
        "stock": as_int(basic.get("stock")),
    }
    return compact(extra)


class ShopeeSearchPage(ShopeePage):
    """``/api/v4/search/search_items`` and ``/api/v4/shop/search_items``: ``items[].item_basic``.

    Paging is by offset (``newest=`` on search, ``offset=`` on a shop); :meth:`next_page` gives the next one.
    """

    def cards(self) -> list[dict[str, Any]]:
        """The raw item cards of the page ([] when the search found nothing)."""
        data = self.check()
        if "items" not in data and "total_count" not in data:
            raise NotAListingPage(f"not a Shopee search answer: {self.url}")
        return [card for card in data.get("items") or [] if isinstance(card, dict)]

    def to_items(self) -> list[Item]:
        return [listing_from_card(card) for card in self.cards()]

    def next_page(self) -> int | None:
        """The offset of the next page, or None on the last one (``nomore`` or an empty page)."""
        cards = self.cards()
        if not cards or self.check().get("nomore"):
            return None
        query = parse_qs(urlsplit(self.url).query)
        start = as_int((query.get("newest") or query.get("offset") or ["0"])[0]) or 0
        return start + (as_int((query.get("limit") or [""])[0]) or len(cards))


class ShopeeRecommendPage(ShopeeSearchPage):
    """``/api/v4/recommend/recommend`` (``data.sections[].data.item[]``) and ``/api/v4/shop/rcmd_items``."""

    def cards(self) -> list[dict[str, Any]]:
        data = self.check().get("data")
        if not isinstance(data, dict):
            raise NotAListingPage(f"not a Shopee recommend answer: {self.url}")
        cards: list[Any] = list(data.get("items") or dig(data, "centralize_item_card", "item_cards") or [])
        for section in data.get("sections") or []:
            cards.extend(dig(section, "data", "item") or [])
        return [card for card in cards if isinstance(card, dict)]

    def next_page(self) -> int | None:
        return None


class ShopeeItemPage(ShopeePage):
    """``/api/v4/pdp/get_pc`` (``data.item``) or the older ``/api/v4/item/get`` (``data``)."""

    def item(self) -> dict[str, Any]:
        """The item object; an error body without data means the item is gone."""
        envelope = self.check()
        if envelope.get("error") and not envelope.get("data"):
            raise ListingRemoved(f"shopee: no such item (error {envelope['error']}): {self.url}")
        data = envelope.get("data")
        item = data.get("item") if isinstance(data, dict) and isinstance(data.get("item"), dict) else data
        if not isinstance(item, dict) or not (item.get("itemid") or item.get("item_id")):
            raise NotAListingPage(f"no Shopee item in answer: {self.url}")
        return item

    def shop(self) -> dict[str, Any]:
        """The shop block get_pc sends next to the item (``shop_detailed``), {} for item/get."""
        data = self.check().get("data") or {}
        return data.get("shop_detailed") or data.get("shop") or {}

    def description(self) -> str | None:
        item = self.item()
        paragraphs = dig(item, "rich_text_description", "paragraph_list") or []
        texts = [str(p["text"]) for p in paragraphs if isinstance(p, dict) and p.get("text")]
        return html_to_text("\n".join(texts)) or html_to_text(item.get("description"))

    def models(self) -> list[dict[str, Any]]:
        """Variants with their own prices (VND)."""
        return [
            {
                "model_id": str(m.get("modelid") or m.get("model_id")),
                "name": nfc(m.get("name")),
                "price": shopee_price(m.get("price")),
                "original_price": shopee_price(m.get("price_before_discount")),
            }
            for m in self.item().get("models") or []
            if isinstance(m, dict)
        ]

    def to_items(self) -> list[Item]:
        item, shop = self.item(), self.shop()
        item_id = item.get("item_id") or item.get("itemid")
        shop_id = item.get("shop_id") or item.get("shopid")
        name = nfc(item.get("title") or item.get("name"))
        categories = [c.get("display_name") for c in item.get("categories") or [] if isinstance(c, dict)]
        location = province(item.get("shop_location") or shop.get("shop_location"))
        listing = ListingItem(
            source="shopee",
            kind="marketplace",
            item_id=str(item_id),
            shop_id=str(shop_id),
            url=item_url(name, shop_id, item_id),
            title=name,
            description=self.description(),
            price=shopee_price(item.get("price") or item.get("price_min")),
            original_price=shopee_price(item.get("price_before_discount") or item.get("price_min_before_discount")),
            brand=nfc(item.get("brand")),
            category=" / ".join(c for c in categories if c) or (str(item["catid"]) if item.get("catid") else None),
            images=_image_urls(item.get("images") or [item.get("image")]),
            sold=as_int(item.get("historical_sold")),
            rating=as_float(dig(item, "item_rating", "rating_star")) or None,
            location=location,
            posted_at=epoch_to_iso(item.get("ctime")),
            seller=shop_seller(shop, shop_id) if shop else None,
            extra=self._extra(item),
        )
        return [listing]

    def _extra(self, item: dict[str, Any]) -> dict[str, Any]:
        attributes = {a.get("name"): a.get("value") for a in item.get("attributes") or [] if isinstance(a, dict)}
        extra: dict[str, Any] = {"models": self.models(), "attributes": attributes}
        if item.get("show_discount"):
            extra["discount_percent"] = as_int(item.get("show_discount"))
        return compact(extra)


def shop_seller(shop: dict[str, Any], shop_id: Any = None) -> SellerItem:
    """A seller from a shop object (get_shop_detail ``data``, get_pc ``shop_detailed``)."""
    shop_id = shop.get("shopid") or shop.get("shop_id") or shop_id
    username = dig(shop, "account", "username")
    joined = epoch_to_iso(shop.get("ctime"))
    extra = {
        "username": username,
        "shopee_verified": shop.get("is_shopee_verified"),
        "preferred_plus": shop.get("is_preferred_plus_seller"),
        "response_rate": shop.get("response_rate"),
        "last_active_at": epoch_to_iso(shop.get("last_active_time")),
    }
    return SellerItem(
        source="shopee",
        shop_id=str(shop_id),
        name=nfc(shop.get("name") or shop.get("shop_name")),
        url=f"{SITE}/{username}" if username else f"{SITE}/shop/{shop_id}",
        official=shop.get("is_official_shop"),
        location=province(shop.get("shop_location") or shop.get("place")),
        joined=joined[:10] if joined else None,
        rating=as_float(shop.get("rating_star")),
        followers=as_int(shop.get("follower_count")),
        item_count=as_int(shop.get("item_count")),
        extra=compact(extra),
    )


class ShopeeShopPage(ShopeePage):
    """``/api/v4/shop/get_shop_detail?username=`` / ``?shopid=``: one seller with its counts."""

    def to_items(self) -> list[Item]:
        data = self.check().get("data")
        if not isinstance(data, dict) or not (data.get("shopid") or data.get("shop_id")):
            raise NotAListingPage(f"no Shopee shop in answer: {self.url}")
        return [shop_seller(data)]


class ShopeeRenderedPage(ShopeePage):
    """A page the browser rendered without the API answer its script should have fetched.

    On a verification / login page (by URL, or a captcha in the page) that is a block; otherwise the page
    changed or its call failed, and it is not a page the spider can read.
    """

    def to_items(self) -> list[Item]:
        path = urlsplit(self.url).path
        if any(path.startswith(prefix) for prefix in _BLOCK_PATHS) or _VERIFY_MARKS.search(self.text[:300_000]):
            raise BlockedPage("shopee showed a verification page instead of its data", self.url)
        raise NotAListingPage(f"the Shopee page made no API call the spider reads: {self.url}")
