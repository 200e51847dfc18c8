"""Sendo replica: the plain-HTTP JSON APIs behind sendo.vn — search, product detail (with the shop's phone) and a
shop's catalogue — in the shapes of the recorded responses (``tests/fixtures/real/sendo_*``, SOURCES.md §4).

* ``searchlist-api.sendo.vn/web/products?q=&page=&size=`` → ``{"data": [...]}``, empty past the last page;
* ``detail-api.sendo.vn/full/<url_key>`` → ``{"data": {..., "shop_info": {..., "phone_number"}}}``;
* ``shop-home.sendo.vn/api/v1/product/filter?seller_admin_id=&page=&limit=`` → ``{"data": {"total", "list"}}``.
Pages hold at most 10 products so the small corpus still pages. A ``block`` fault answers with the
Cloudflare challenge ("Just a moment...", HTTP 403) Sendo's edge would show.
"""

from __future__ import annotations

from functools import cached_property
from html import escape
from typing import Any

from crawler.sandbox.corpus import by_source, matches_query, slugify, stable
from crawler.sandbox.server import Reply, Request

__all__ = ["SendoSite", "shop_phone"]

PAGE_SIZE_MAX = 10
MEDIA = "https://media3.scdn.vn/img4/2024"
BADGES = "https://media3.scdn.vn/img4/2022/08_17"
# Mobile prefixes of Vietnamese carriers, for the invented shop hotlines.
_MOBILE = ("90", "91", "93", "94", "96", "97", "98", "32", "33", "35", "37", "70", "76", "77", "79", "81", "86", "88")
CHALLENGE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">{host}</h1><h2 class="h2" id="challenge-running">Checking if the site connection is
secure</h2><div id="challenge-stage"></div><div id="cf-chl-widget"></div></div></div></body></html>"""


def _ids(row: dict[str, Any]) -> tuple[int, int]:
    _, shop, item = row["_id"].split(":")
    return int(shop), int(item)


def _url_key(row: dict[str, Any]) -> str:
    """``<slug>-<id>``: the product URL's path without ``.html``."""
    return row["url"].rsplit("/", 1)[-1].removesuffix(".html")


def _warehouse(row: dict[str, Any], short: bool) -> str:
    """The warehouse province the way Sendo writes it (``TP.HCM`` in search, ``TP Hồ Chí Minh`` in detail)."""
    location = row.get("location") or ""
    if location == "TP. Hồ Chí Minh":
        return "TP.HCM" if short else "TP Hồ Chí Minh"
    return location


def shop_phone(shop_id: int) -> str:
    """The (invented) hotline a shop shows on Sendo, the same on every run."""
    prefix = _MOBILE[stable(f"{shop_id}p", 0, len(_MOBILE) - 1)]
    return f"0{prefix}{stable(str(shop_id), 0, 9_999_999):07d}"


class SendoSite:
    hosts: tuple[str, ...] = ("searchlist-api.sendo.vn", "detail-api.sendo.vn", "shop-home.sendo.vn")

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        return by_source("sendo")

    @cached_property
    def by_key(self) -> dict[str, dict[str, Any]]:
        return {_url_key(row): row for row in self.rows}

    def handle(self, request: Request) -> Reply | None:
        path = request.path.split("?")[0]
        if request.host == "searchlist-api.sendo.vn" and path == "/web/products":
            query = request.arg("q")
            scored = [(matches_query(row, query), i, row) for i, row in enumerate(self.rows)]
            hits = [row for score, _, row in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0]
            return Reply.json({"data": [self.card(row) for row in self._page(hits, request, "size")]})
        if request.host == "detail-api.sendo.vn" and path.startswith("/full/"):
            row = self.by_key.get(path.removeprefix("/full/"))
            if row is None:
                return Reply.json({"data": None, "status": {"code": 404, "message": "Sản phẩm không tồn tại"}})
            return Reply.json({"data": self.detail(row)})
        if request.host == "shop-home.sendo.vn" and path == "/api/v1/product/filter":
            rows = [row for row in self.rows if str(_ids(row)[0]) == request.arg("seller_admin_id")]
            chunk = self._page(rows, request, "limit")
            return Reply.json({"data": {"total": len(rows), "list": [self.shop_card(row) for row in chunk]}})
        return None

    def fault(self, kind: str, request: Request) -> Reply | None:
        """Sendo's edge blocks with a Cloudflare challenge (HTTP 403) rather than the generic block page."""
        return Reply(403, CHALLENGE.replace("{host}", escape(request.host))) if kind == "block" else None

    @staticmethod
    def _page(rows: list[dict[str, Any]], request: Request, size_arg: str) -> list[dict[str, Any]]:
        size = min(int(request.arg(size_arg, "60") or 60), PAGE_SIZE_MAX)
        page = max(int(request.arg("page", "1") or 1), 1)
        return rows[(page - 1) * size : page * size]

    def card(self, row: dict[str, Any]) -> dict[str, Any]:
        """A searchlist-api product."""
        shop, item = _ids(row)
        price, original = row["price"], row.get("original_price") or row["price"]
        official = row["seller"]["official"]
        badges = {"shop_mall": f"{BADGES}/nbMbRRfJY3a65DmxuyUH.png"} if official else {}
        return {
            "id": item,
            "name": row["title"],
            "category_path": f"{_url_key(row)}.html",
            "image": self._image(row, "250x250"),
            "default_price_min": original,
            "default_price_max": original,
            "sale_price_min": price,
            "sale_price_max": price,
            "sale_percent": round(100 * (original - price) / original) if original > price else 0,
            "sold": row.get("sold") or 0,
            "order_count_text": str(row.get("sold") or 0),
            "seller_admin_id": shop,
            "sku_user": f"SD{item % 100000}",
            "product_type": 23,
            "status_new": 2,
            "stock_status": 1,
            "search_feed_type": "SKU",
            "shop": {"id": shop, "name": row["seller"]["name"], "status": 2, "type": 1,
                     "level": stable(row["seller"]["name"], 1, 5), "is_certified": int(official),
                     "ware_house_region_name": _warehouse(row, short=True), "badge_urls": badges},
            "rated": {"total": self._rated(row), "star": self._stars(row)},
            "options": {},
        }

    def detail(self, row: dict[str, Any]) -> dict[str, Any]:
        """The ``data`` of a product detail."""
        shop, item = _ids(row)
        price, original = row["price"], row.get("original_price") or row["price"]
        categories = [c.strip() for c in (row.get("category") or "").split(">") if c.strip()]
        image = self._image(row, "500x500")
        return {
            "id": item,
            "name": row["title"],
            "uid": f"get_basic_product_{item}",
            "sku_user": f"SD{item % 100000}",
            "cat_path": f"{_url_key(row)}.html",
            "url_key": _url_key(row),
            "price": original,
            "price_max": original,
            "final_price": price,
            "final_price_max": price,
            "order_count": row.get("sold") or 0,
            "image": image,
            "short_description": row["title"],
            "category_info": [{"id": stable(c, 100, 9999), "title": c, "path": slugify(c), "url_key": slugify(c)}
                              for c in categories],
            "brand_info": {"name": row.get("brand"), "url_key": slugify(row.get("brand") or "")},
            "media": [{"type": "image", "image": image, "image_500x500": image}],
            "rating_info": {"total_rated": self._rated(row), "percent_star": self._stars(row)},
            "quantity": stable(row["_id"] + "q", 1, 500),
            "stock_status": 1,
            "status": 2,
            "product_mall": int(row["seller"]["official"]),
            "promotion_percent": round(100 * (original - price) / original) if original > price else 0,
            "description_info": {"description": f"<p>{escape(row.get('description') or '')}</p>",
                                 "attributes": [{"name": "Thương hiệu", "value": row.get("brand")}]},
            "shop_info": self.shop_info(row, shop),
        }

    def shop_info(self, row: dict[str, Any], shop: int) -> dict[str, Any]:
        """``shop_info`` of a product detail: the only place Sendo shows a shop's phone number."""
        seller = row["seller"]
        official = seller["official"]
        badges = [{"type": "shop_plus", "icon": f"{BADGES}/h6fJaiL5WkEbDU2eQRZb.png"}]
        if official:
            badges.append({"type": "shop_mall", "icon": f"{BADGES}/nbMbRRfJY3a65DmxuyUH.png"})
        return {
            "shop_id": shop,
            "shop_name": seller["name"],
            "shop_logo": f"{MEDIA}/shop/{slugify(seller['name'])}.jpg",
            "good_review_percent": stable(seller["name"], 80, 100),
            "customer_id": 2_000_000_000 + shop,
            "phone_number": shop_phone(shop),
            "rating_avg": stable(seller["name"] + "r", 38, 50) / 10,
            "rating_count": stable(seller["name"] + "n", 5, 9000),
            "response_time": "Trong vài giờ",
            "product_total": sum(1 for r in self.rows if _ids(r)[0] == shop),
            "sale_on_sendo": f"{stable(seller['name'] + 'y', 1, 8)} năm",
            "percent_response": f"{stable(seller['name'] + 'p', 40, 100)}%",
            "shop_badge_urls": badges,
            "shop_url": f"shop/{slugify(seller['name'])}",
            "shop_mall": int(official),
            "time_prepare_product": "1 ngày",
            "warehourse_region_name": _warehouse(row, short=False),
        }

    def shop_card(self, row: dict[str, Any]) -> dict[str, Any]:
        """A product of a shop's catalogue (shop-home ``product/filter``)."""
        shop, item = _ids(row)
        price, original = row["price"], row.get("original_price") or row["price"]
        badges = [{"type": "shop_mall", "icon_url": f"{BADGES}/Niw4htmWmKd2rNiMEHpE.png"}]
        return {
            "id": 0,
            "product_id": item,
            "name": row["title"],
            "category_name": "",
            "admin_id": shop,
            "shop_external_id": item,
            "final_price": price,
            "image": self._image(row, "350x350"),
            "price": original,
            "promotion_percent": round(100 * (original - price) / original) if original > price else 0,
            "url_key": f"{row['url']}?source_page_id=shop_home",
            "rating_percent": self._stars(row),
            "total_rated": self._rated(row),
            "quantity": stable(row["_id"] + "q", 1, 500),
            "shop_badge_urls": badges if row["seller"]["official"] else [],
            "order_count": row.get("sold") or 0,
            "has_video": False,
        }

    @staticmethod
    def _image(row: dict[str, Any], size: str) -> str:
        return f"{MEDIA}/{stable(row['_id'], 0, 2**32):08x}_simg_de2fe0_{size}_maxb.jpg"

    @staticmethod
    def _rated(row: dict[str, Any]) -> int:
        return stable(row["title"], 0, 400)

    @staticmethod
    def _stars(row: dict[str, Any]) -> float:
        return stable(row["_id"], 35, 50) / 10
