"""TikTok Shop replica: www.tiktok.com search and product pages whose data is the embedded router JSON.

As SOURCES.md §5 describes the real site, a page carries ``<script id="__MODERN_ROUTER_DATA__"
type="application/json">`` — ``loaderData["view/product/(product_id)/page"].page_config`` on a product page
(``/shop/vn/pdp/<slug>/<id>``), ``loaderData["shop/vn/search/page"].search_result`` on a search page
(``/shop/vn/s/<keyword>?offset=N``). Like TikTok's web firewall, a client without the ``tt_chain_token``
cookie first gets a JavaScript challenge page that sets it and reloads: only a browser reaches the data.
The ``block`` fault serves TikTok's slider captcha. Search results page by 10.
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from html import escape
from typing import Any
from urllib.parse import unquote

from crawler.sandbox.corpus import by_source, matches_query, slugify, stable
from crawler.sandbox.server import Reply, Request

__all__ = ["PAGE_SIZE", "TiktokSite"]

PAGE_SIZE = 10
COOKIE = "tt_chain_token"
_PRODUCT = re.compile(r"^/shop/(?:vn/)?pdp/[^/]+/(\d+)/?$|^/view/product/(\d+)/?$")
_SEARCH = re.compile(r"^/shop/vn/s/([^/]+)/?$")
_IMAGE = "https://p16-oec-va.ibyteimg.com/tos-alisg-i-aphluv4xwc-sg/{}~tplv-aphluv4xwc-origin-jpeg.jpeg"

CHALLENGE = """<!DOCTYPE html><html lang="vi-VN"><head><meta charset="utf-8"><title>TikTok</title></head><body>
<script>document.cookie = "%COOKIE%=" + Math.random().toString(36).slice(2) + "; path=/";
location.replace(location.href);</script><noscript>Vui lòng bật JavaScript để tiếp tục.</noscript></body></html>"""

CAPTCHA = """<!DOCTYPE html><html lang="vi-VN"><head><meta charset="utf-8"><title>Security Check</title></head><body>
<div id="captcha_container"><div class="captcha-verify-container"><div class="captcha_verify_bar">Xác minh để tiếp tục
</div><div class="secsdk-captcha-drag-icon"></div><p>Kéo thanh trượt để ghép hình</p></div></div></body></html>"""

PAGE = """<!DOCTYPE html><html lang="vi-VN"><head><meta charset="utf-8"><title>{title} | TikTok Shop</title></head>
<body><div id="root"><h1>{title}</h1>{body}</div>
<script id="__MODERN_ROUTER_DATA__" type="application/json">{data}</script></body></html>"""


def _ids(row: dict[str, Any]) -> tuple[str, str]:
    _, seller, product = row["_id"].split(":")
    return seller, product


def _vnd(value: int) -> str:
    return f"{value:,}".replace(",", ".") + "₫"


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


class TiktokSite:
    hosts: tuple[str, ...] = ("www.tiktok.com",)

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        return by_source("tiktok")

    @cached_property
    def by_product(self) -> dict[str, dict[str, Any]]:
        return {_ids(row)[1]: row for row in self.rows}

    @cached_property
    def by_seller(self) -> dict[str, list[dict[str, Any]]]:
        sellers: dict[str, list[dict[str, Any]]] = {}
        for row in self.rows:
            sellers.setdefault(_ids(row)[0], []).append(row)
        return sellers

    def handle(self, request: Request) -> Reply | None:
        path = request.path.split("?")[0]
        product, search = _PRODUCT.match(path), _SEARCH.match(path)
        if not (product or search):
            return None
        if COOKIE not in request.headers.get("cookie", ""):
            return Reply.html(CHALLENGE.replace("%COOKIE%", COOKIE))
        if search:
            return Reply.html(self.search_page(unquote(search.group(1)), int(request.arg("offset") or 0)))
        row = self.by_product.get(product.group(1) or product.group(2)) if product else None
        if row is None:
            return Reply.html(PAGE.format(title="Không tìm thấy sản phẩm", body="", data=_script_json({})), 404)
        return Reply.html(self.product_page(row))

    def fault(self, kind: str, request: Request) -> Reply | None:
        """TikTok's way of blocking: its slider captcha instead of the page."""
        return Reply.html(CAPTCHA) if kind == "block" else None

    def search_page(self, query: str, offset: int) -> str:
        scored = [(matches_query(row, query), i, row) for i, row in enumerate(self.rows)]
        hits = [row for score, _, row in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0]
        chunk = hits[offset : offset + PAGE_SIZE]
        more = offset + PAGE_SIZE < len(hits)
        result = {"products": [self.card(row) for row in chunk], "has_more": more,
                  "next_offset": offset + PAGE_SIZE if more else None, "total": len(hits)}
        items = "".join(f"<li>{escape(row['title'])} — {_vnd(row['price'])}</li>" for row in chunk)
        data = {"loaderData": {"layout": {"region": "VN", "language": "vi-VN"},
                               "shop/vn/search/page": {"search_result": result}}}
        return PAGE.format(title=escape(query), body=f"<ul>{items}</ul>", data=_script_json(data))

    def card(self, row: dict[str, Any]) -> dict[str, Any]:
        seller, product = _ids(row)
        price, original = row["price"], row.get("original_price") or row["price"]
        return {
            "product_id": product, "title": row["title"],
            "image": {"url_list": [_IMAGE.format(product[-6:])]},
            "product_price_info": {"sale_price_decimal": str(price), "origin_price_decimal": str(original),
                                   "sale_price_format": _vnd(price), "origin_price_format": _vnd(original),
                                   "currency_name": "VND", "currency_symbol": "₫"},
            "rate_info": {"score": stable(product, 40, 50) / 10, "review_count": stable(row["title"], 0, 3000)},
            "sold_info": {"sold_count": row.get("sold") or 0},
            "seller_info": {"seller_id": seller, "shop_name": row["seller"]["name"]},
            "seo_url": {"canonical_url": f"https://www.tiktok.com/shop/vn/pdp/{product}"},
        }

    def product_page(self, row: dict[str, Any]) -> str:
        seller, product = _ids(row)
        card = self.card(row)
        price, original = row["price"], row.get("original_price") or row["price"]
        discount = round(100 * (original - price) / original) if original > price else 0
        info = {
            "product_id": product,
            "product_base": {
                "title": row["title"], "sold_count": row.get("sold") or 0,
                "images": [{"url_list": [_IMAGE.format(f"{product[-6:]}{n}")]} for n in range(2)],
                "desc_detail": json.dumps([{"type": "text", "text": row.get("description") or ""}], ensure_ascii=False),
                "price": {"real_price": _vnd(price), "original_price": _vnd(original), "currency": "VND",
                          "discount": f"-{discount}%" if discount else None},
                "brand_name": row.get("brand"),
            },
            "seller": {"seller_id": seller, "name": row["seller"]["name"],
                       "seller_location": row["seller"].get("location") or row.get("location")},
            "categories": [{"category_name": c.strip()} for c in (row.get("category") or "").split(">") if c.strip()],
            "product_detail_review": {"product_rating": card["rate_info"]["score"],
                                      "review_count_str": f"{card['rate_info']['review_count']:,}".replace(",", ".")},
            "logistic": {"shipping_fee": {"price_str": _vnd(stable(product, 0, 4) * 5000)}},
        }
        page_config = {"global_data": {"product_info": {"product_info": info}},
                       "components_map": [{"component_type": "product_info", "component_data": {"product_id": product}},
                                          {"component_type": "shop_info", "component_data": self.shop(seller)}]}
        data = {"loaderData": {"layout": {"region": "VN", "language": "vi-VN"},
                               "view/product/(product_id)/page": {"page_config": page_config}}}
        body = f"<div class='price'>{_vnd(price)}</div><div class='shop'>{escape(row['seller']['name'])}</div>"
        return PAGE.format(title=escape(row["title"]), body=body, data=_script_json(data))

    def shop(self, seller: str) -> dict[str, Any]:
        """The ``shop_info`` component of a product page."""
        rows = self.by_seller[seller]
        name, official = rows[0]["seller"]["name"], bool(rows[0]["seller"]["official"])
        return {
            "seller_id": seller, "shop_name": name, "shop_link_name": slugify(name).replace("-", ""),
            "shop_rating": stable(name, 40, 50) / 10, "is_mall": official,
            "followers_count": stable(name + "f", 100_000, 2_000_000) if official else stable(name + "f", 50, 90_000),
            "product_count": len(rows) + stable(name + "p", 0, 300),
            "sold_count": sum(row.get("sold") or 0 for row in rows),
        }
