"""Shopee replica: shopee.vn pages are JavaScript shells that fetch the site's own ``/api/v4`` answers.

As on the real site (SOURCES.md §1), the search page ``/search?keyword=&page=N`` (0-based), an item page
``/<slug>-i.<shopid>.<itemid>`` and a shop page ``/shop/<shopid>`` or ``/<username>`` carry no data: their
script sets the ``SPC_F`` cookie and calls ``/api/v4/search/search_items``, ``/api/v4/pdp/get_pc``,
``/api/v4/shop/get_shop_detail`` and ``/api/v4/shop/search_items`` with ``x-api-source: pc``. The API refuses
a client without that header (403) or without the cookie (200), both with ``{"error": 90309999, ...}`` —
so only a browser gets data. Answers use the real shapes (prices × 100000, ``item_basic``, ``shop_detailed``).
The ``block`` fault redirects pages to ``/verify/traffic`` and answers the API with the 90309999 error.
Results page by 10 (Shopee: 60) so the small corpus still pages.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any
from urllib.parse import quote

from crawler.sandbox.corpus import by_source, matches_query, slugify, stable
from crawler.sandbox.server import Reply, Request
from crawler.sandbox.shopee_shell import page_shell, verify_page

__all__ = ["PAGE_SIZE", "ShopeeSite"]

PAGE_SIZE = 10
SCALE = 100_000
_ITEM = re.compile(r"-i\.(\d+)\.(\d+)$|^/product/(\d+)/(\d+)$")
_SHOP_ID = re.compile(r"^/shop/(\d+)/?$")
_USERNAME = re.compile(r"^/([a-z0-9._]{3,40})/?$")
_RESERVED = {"search", "verify", "buyer", "cart", "user", "mall", "api", "favicon.ico"}


def _ids(row: dict[str, Any]) -> tuple[int, int]:
    _, shop, item = row["_id"].split(":")
    return int(shop), int(item)


def username(name: str) -> str:
    """A shop's username, the way Shopee sellers pick them: the name folded, words joined by dots."""
    return slugify(name).replace("-", ".")[:40]


def _image(seed: str, n: int = 0) -> str:
    return f"vn-11134207-7r98o-{stable(f'{seed}#{n}', 0, 2**40):010x}"


def antibot(request: Request) -> dict[str, Any]:
    """Shopee's anti-bot answer (lthoangg/shopee-crawler#16, jimting/shopeeCrawler#6)."""
    token = f"{stable(request.path, 0, 2**32):08x}"
    return {"is_customized": False, "is_login": False, "action_type": 2, "error": 90309999,
            "tracking_id": f"{token}-3a51-4d8e-9c0e-{token}0000"}


class ShopeeSite:
    hosts: tuple[str, ...] = ("shopee.vn",)

    def __init__(self) -> None:
        self._hits: dict[str, list[dict[str, Any]]] = {}

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        return by_source("shopee")

    @cached_property
    def by_item(self) -> dict[tuple[int, int], dict[str, Any]]:
        return {_ids(row): row for row in self.rows}

    @cached_property
    def shops(self) -> dict[int, list[dict[str, Any]]]:
        shops: dict[int, list[dict[str, Any]]] = {}
        for row in self.rows:
            shops.setdefault(_ids(row)[0], []).append(row)
        return shops

    @cached_property
    def by_username(self) -> dict[str, int]:
        return {username(rows[0]["seller"]["name"]): shop for shop, rows in self.shops.items()}

    def handle(self, request: Request) -> Reply | None:
        path = request.path.split("?")[0]
        if path.startswith("/api/v4/"):
            return self.api(path, request)
        if path.startswith("/verify/"):
            return Reply.html(verify_page())
        if path == "/search":
            return Reply.html(page_shell("search", PAGE_SIZE))
        if _ITEM.search(path):
            return Reply.html(page_shell("item", PAGE_SIZE))
        if _SHOP_ID.match(path) or ((m := _USERNAME.match(path)) and m.group(1) not in _RESERVED):
            return Reply.html(page_shell("shop", PAGE_SIZE))
        return None

    def fault(self, kind: str, request: Request) -> Reply | None:
        """Shopee's way of blocking: pages go to /verify/traffic, the API answers error 90309999."""
        if kind != "block":
            return None
        path = request.path.split("?")[0]
        if path.startswith("/api/"):
            return Reply.json(antibot(request))
        if path.startswith("/verify/"):
            return Reply.html(verify_page())
        target = quote(f"https://shopee.vn{request.path}", safe="")
        return Reply(302, "", headers={"Location": f"/verify/traffic?is_initial=true&redirect_url={target}"})

    def api(self, path: str, request: Request) -> Reply | None:
        if request.headers.get("x-api-source") != "pc":
            return Reply.json(antibot(request), 403)
        if "SPC_F=" not in request.headers.get("cookie", ""):
            return Reply.json(antibot(request))
        routes = {
            "/api/v4/search/search_items": self.search,
            "/api/v4/pdp/get_pc": self.item,
            "/api/v4/shop/get_shop_detail": self.shop_detail,
            "/api/v4/shop/search_items": self.shop_items,
        }
        route = routes.get(path)
        return Reply.json(route(request)) if route else None

    def search(self, request: Request) -> dict[str, Any]:
        query = request.arg("keyword")
        if query not in self._hits:  # two threads may both compute it: same answer
            scored = [(matches_query(row, query), i, row) for i, row in enumerate(self.rows)]
            self._hits[query] = [row for score, _, row in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0]
        return self._page(self._hits[query], request.arg("newest"), request.arg("limit"))

    def shop_items(self, request: Request) -> dict[str, Any]:
        rows = self.shops.get(int(request.arg("shopid") or 0), [])
        return self._page(rows, request.arg("offset"), request.arg("limit"))

    def _page(self, rows: list[dict[str, Any]], offset: str, limit: str) -> dict[str, Any]:
        start, size = max(int(offset or 0), 0), min(int(limit or PAGE_SIZE), PAGE_SIZE)
        chunk = rows[start : start + size]
        return {
            "error": 0, "error_msg": None, "total_count": len(rows), "nomore": start + size >= len(rows),
            "adjust": None,
            "items": [{"itemid": _ids(row)[1], "shopid": _ids(row)[0], "item_basic": self.basic(row)} for row in chunk],
        }

    def basic(self, row: dict[str, Any]) -> dict[str, Any]:
        """The ``item_basic`` card of a search or shop listing."""
        shop, item = _ids(row)
        seller = row["seller"]
        price, original = row["price"], row.get("original_price") or 0
        discount = round(100 * (original - price) / original) if original > price else 0
        reviews = stable(row["title"], 0, 900)
        return {
            "itemid": item, "shopid": shop, "name": row["title"],
            "image": _image(row["_id"]), "images": [_image(row["_id"], n) for n in range(3)],
            "currency": "VND", "stock": stable(row["_id"] + "s", 0, 999), "status": 1,
            "ctime": stable(row["_id"], 1_500_000_000, 1_730_000_000),
            "sold": (row.get("sold") or 0) // 10, "historical_sold": row.get("sold") or 0,
            "liked_count": stable(row["_id"] + "l", 0, 5000), "catid": self.category_ids(row)[-1],
            "brand": row.get("brand") or "", "cmt_count": reviews, "item_status": "normal",
            "price": price * SCALE, "price_min": price * SCALE, "price_max": price * SCALE,
            "price_before_discount": original * SCALE if discount else 0,
            "price_min_before_discount": original * SCALE if discount else -1,
            "price_max_before_discount": original * SCALE if discount else -1,
            "show_discount": discount, "raw_discount": discount, "discount": f"{discount}%" if discount else None,
            "item_rating": {"rating_star": stable(row["_id"] + "r", 380, 500) / 100, "rating_count": [reviews]},
            "shopee_verified": bool(seller["official"]) or stable(seller["name"], 0, 1) == 1,
            "is_official_shop": bool(seller["official"]), "show_official_shop_label": bool(seller["official"]),
            "shop_location": seller.get("location") or row.get("location"),
            "shop_rating": stable(seller["name"] + "r", 400, 500) / 100, "shop_name": seller["name"],
        }

    @staticmethod
    def category_ids(row: dict[str, Any]) -> list[int]:
        names = [c.strip() for c in (row.get("category") or "Khác").split(">")]
        return [stable(name, 11_000_000, 11_099_999) for name in names]

    def item(self, request: Request) -> dict[str, Any]:
        key = (int(request.arg("shop_id") or 0), int(request.arg("item_id") or 0))
        row = self.by_item.get(key)
        if row is None:
            return {"error": 4, "error_msg": None, "data": None}
        basic = self.basic(row)
        names = [c.strip() for c in (row.get("category") or "Khác").split(">")]
        item = {
            **{k: basic[k] for k in ("image", "images", "brand", "ctime", "catid", "price", "price_min", "price_max",
                                     "price_before_discount", "show_discount", "historical_sold", "item_rating",
                                     "shop_location")},
            "item_id": key[1], "shop_id": key[0], "title": row["title"],
            "brand_id": stable(row.get("brand") or "", 1, 99_999),
            "categories": [{"catid": c, "display_name": n} for c, n in zip(self.category_ids(row), names, strict=True)],
            "attributes": [{"name": "Thương hiệu", "value": row.get("brand") or "No Brand", "id": 100010}],
            "description": row.get("description") or "", "rich_text_description": None,
            "models": [{"modelid": key[1] * 10 + 1, "name": "", "price": basic["price"],
                        "price_before_discount": basic["price_before_discount"]}],
        }
        return {"error": None, "error_msg": None, "data": {"item": item, "shop_detailed": self.shop(key[0])}}

    def shop_detail(self, request: Request) -> dict[str, Any]:
        shop = int(request.arg("shopid") or 0) or self.by_username.get(request.arg("username"), 0)
        if shop not in self.shops:
            return {"error": 4, "error_msg": "shop not found", "data": None}
        return {"error": 0, "error_msg": None, "data": self.shop(shop)}

    def shop(self, shop: int) -> dict[str, Any]:
        """A shop in ``get_shop_detail`` shape (also ``get_pc``'s ``shop_detailed``)."""
        rows = self.shops[shop]
        seller = rows[0]["seller"]
        name, official = seller["name"], bool(seller["official"])
        location = seller.get("location") or rows[0].get("location")
        return {
            "shopid": shop, "userid": shop + 1_000, "name": name, "description": f"{name} — Shopee",
            "is_official_shop": official, "show_official_shop_label": official,
            "is_shopee_verified": official or stable(name, 0, 1) == 1, "is_preferred_plus_seller": False,
            "shop_location": location, "place": location, "country": "VN",
            "rating_star": stable(name + "r", 400, 500) / 100, "rating_good": stable(name + "g", 10, 90_000),
            "rating_normal": stable(name + "n", 0, 900), "rating_bad": stable(name + "b", 0, 400),
            "response_rate": stable(name + "rr", 60, 100), "response_time": stable(name + "rt", 60, 40_000),
            "follower_count": stable(name + "f", 200_000, 3_000_000) if official else stable(name + "f", 10, 90_000),
            "item_count": len(rows) + stable(name + "i", 0, 400),
            "ctime": stable(name + "c", 1_420_000_000, 1_700_000_000),
            "last_active_time": 1_763_000_000, "status": 1,
            "account": {"username": username(name), "portrait": _image(name), "following_count": stable(name, 0, 99)},
        }
