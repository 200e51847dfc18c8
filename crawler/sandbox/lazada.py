"""Lazada replica: www.lazada.vn search and store listings, product pages and the slider-captcha "punish" page.

Shapes follow the recorded responses (``tests/fixtures/real/lazada_*``, SOURCES.md §2): a listing page is HTML
embedding ``window.pageData={...}``, the very JSON ``?ajax=true`` answers (``mods.listItems`` + ``mainInfo``);
a store's "All products" tab (``/<store>/?from=wangpu&q=All-Products``) has the same schema; a product page
carries ``app.run({data:{root:{fields}}})`` and a JSON-LD ``Product``. Listings page by 10 (Lazada: 40) so the
small corpus still pages. Alibaba's anti-bot answers with the punish page (HTML) or ``{"rgv587_flag": "sm"}``
(ajax): served for the ``block`` fault, and for every request once ``punish_after`` requests were answered.
"""

from __future__ import annotations

import json
import re
import threading
from functools import cached_property
from html import escape
from typing import Any

from crawler.sandbox.corpus import by_source, matches_query, slugify, stable
from crawler.sandbox.server import Reply, Request

__all__ = ["LazadaSite"]

PAGE_SIZE = 10
SITE = "//www.lazada.vn"
PUNISH_PATH = "/_____tmd_____/punish"
_PRODUCT = re.compile(r"^/products/([\w-]+)-i(\d+)(?:-s(\d+))?\.html$")
_STORE_HOME = re.compile(r"^/shop/([\w-]+)/?$")
_STORE_TAB = re.compile(r"^/([\w-]+)/?$")
_ITEM_SKU = re.compile(r"-i(\d+)-s(\d+)\.html")

PUNISH_HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Lazada</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><div id="baxia-punish"><div class="wrapper"><div class="bannar">
<span>Sorry, we have detected unusual traffic from your network.</span>
<span>Xin lỗi! Chúng tôi đã phát hiện lưu lượng truy cập bất thường từ mạng của bạn.</span></div>
<div class="captcha-tips"><div id="nocaptcha" class="nc-container"></div><p>Please slide to verify</p></div></div></div>
<script>window._config_ = {config};</script>
</body></html>"""


def _ids(row: dict[str, Any]) -> tuple[int, int, int]:
    """(sellerId, itemId, skuId) of a corpus row."""
    _, shop, item = row["_id"].split(":")
    match = _ITEM_SKU.search(row["url"])
    return int(shop), int(item), int(match.group(2)) if match else int(item) * 3


def _slug(row: dict[str, Any]) -> str:
    return _ITEM_SKU.split(row["url"].rsplit("/", 1)[-1])[0]


def _vnd(value: int) -> str:
    return f"{value:,}".replace(",", ".") + " ₫"


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


class LazadaSite:
    hosts: tuple[str, ...] = ("www.lazada.vn",)

    def __init__(self, punish_after: int | None = None) -> None:
        self.punish_after = punish_after
        self.answered = 0
        self._lock = threading.Lock()

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        return by_source("lazada")

    @cached_property
    def by_item(self) -> dict[int, dict[str, Any]]:
        return {_ids(row)[1]: row for row in self.rows}

    @cached_property
    def stores(self) -> dict[str, list[dict[str, Any]]]:
        stores: dict[str, list[dict[str, Any]]] = {}
        for row in self.rows:
            stores.setdefault(slugify(row["seller"]["name"]), []).append(row)
        return stores

    def handle(self, request: Request) -> Reply | None:
        path = request.path.split("?")[0]
        if path.endswith(PUNISH_PATH):
            return self.punish(request)
        if self._tripped():
            return self.punish(request)
        if path == "/catalog/":
            query = request.arg("q")
            scored = [(matches_query(row, query), i, row) for i, row in enumerate(self.rows)]
            hits = [row for score, _, row in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0]
            return self.listing(hits, request, f"{query} - Mua {query} ở giá tốt nhất Vietnam | www.lazada.vn")
        if match := _PRODUCT.match(path):
            row = self.by_item.get(int(match.group(2)))
            return self.product(row) if row else Reply.html("<h1>404 Không tìm thấy trang</h1>", 404)
        if (match := _STORE_HOME.match(path)) and match.group(1) in self.stores:
            return self.store_home(match.group(1))
        if (match := _STORE_TAB.match(path)) and request.arg("from") == "wangpu":
            rows = self.stores.get(match.group(1))
            return self.listing(rows, request, f"{rows[0]['seller']['name']} | www.lazada.vn") if rows else None
        return None

    def fault(self, kind: str, request: Request) -> Reply | None:
        """Lazada's way of blocking: the slider captcha instead of the generic block page."""
        return self.punish(request) if kind == "block" else None

    def _tripped(self) -> bool:
        with self._lock:
            self.answered += 1
            return self.punish_after is not None and self.answered > self.punish_after

    def punish(self, request: Request) -> Reply:
        """The punish page (HTML) or, for an ajax request, the JSON pointing at it; both with status 200."""
        base = request.path.split("?")[0].removesuffix(PUNISH_PATH).rstrip("/")
        token = f"{stable(request.path, 0, 2**32):08x}"
        url = f"https://www.lazada.vn{base}{PUNISH_PATH}?x5secdata=x{token}&x5step=1"
        if request.arg("ajax") == "true":
            return Reply.json({"rgv587_flag": "sm", "url": url})
        config = {"action": "captcha", "HOST": "www.lazada.vn", "PATH": f"{base}{PUNISH_PATH}",
                  "NCTOKENSTR": token, "NCAPPKEY": "X82Y__0f0c2e", "SECDATA": f"x5secdata=x{token}", "url": url}
        return Reply.html(PUNISH_HTML.replace("{config}", _script_json(config)))

    def listing(self, rows: list[dict[str, Any]], request: Request, title: str) -> Reply:
        """A search or store listing page: JSON with ``ajax=true``, else HTML embedding the same JSON."""
        page = max(int(request.arg("page", "1") or 1), 1)
        chunk = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        query = request.arg("q")
        data = {
            "mods": {
                "filter": {},
                "listItems": [self.card(row, query) for row in chunk],
                "breadcrumb": [{"url": "/", "title": "Trang chủ"}, {"title": "Kết quả tìm kiếm"}],
                "sortBar": {"tItemType": "nt_sortbar"},
                "resultTips": {"tips": f"{len(rows)} sản phẩm tìm thấy"},
            },
            "mainInfo": {
                "errorMsg": "",
                "totalResults": str(len(rows)),
                "pageSize": str(PAGE_SIZE),
                "page": str(page),
                "pageTitle": title,
                "q": query,
                "lang": "vi",
                "venture": "VN",
                "currency": "₫",
            },
        }
        if request.arg("ajax") == "true":
            return Reply.json(data)
        return Reply.html(
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head><body>"
            f"<div id='root'></div><script>window.pageData={_script_json(data)};</script></body></html>"
        )

    def card(self, row: dict[str, Any], query: str) -> dict[str, Any]:
        """One ``listItems`` entry."""
        shop, item, sku = _ids(row)
        price, original = row["price"], row.get("original_price") or row["price"]
        link = f"{SITE}/products/{_slug(row)}-i{item}-s{sku}.html?search=1"
        image = f"https://vn-live-02.slatic.net/p/{stable(row['_id'], 0, 2**32):08x}.jpg"
        categories = [stable(c.strip(), 1000, 99999) for c in (row.get("category") or "").split(">")]
        return {
            "name": row["title"],
            "nid": str(item),
            "icons": [{"domClass": "lazMall", "type": "img"}] if row["seller"]["official"] else [],
            "productUrl": link,
            "image": image,
            "originalPrice": f"{original}.00",
            "originalPriceShow": _vnd(original),
            "price": f"{price}.00",
            "priceShow": _vnd(price),
            "discount": f"-{round(100 * (original - price) / original)}%" if original > price else "",
            "ratingScore": str(stable(row["_id"], 38, 50) / 10),
            "review": str(stable(row["title"], 1, 900)),
            "installment": "",
            "tItemType": "nt_product",
            "location": (row.get("location") or "").removeprefix("TP. "),
            "cheapest_sku": f"{item}_VNAMZ-{sku}",
            "sku": f"{item}_VNAMZ",
            "brandId": str(stable(row.get("brand") or "", 1, 99999)),
            "brandName": row.get("brand") or "No Brand",
            "sellerId": str(shop),
            "sellerName": row["seller"]["name"],
            "thumbs": [{"image": image, "productUrl": link, "sku": f"{item}_VNAMZ"}],
            "categories": categories,
            "clickTrace": f"query:{query};nid:{item};src:LazadaMainSrp;region:vn;supplier_id:{shop};"
            f"item_id:{item};sku_id:{sku}",
            "itemId": str(item),
            "skuId": str(sku),
            "inStock": True,
            "isAD": 0,
        }

    def product(self, row: dict[str, Any]) -> Reply:
        """A product page: JSON-LD ``Product`` and the ``app.run`` blob of the PDP module."""
        fields = self.fields(row)
        product, info = fields["product"], fields["skuInfos"]["0"]
        json_ld = {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": row["title"],
            "description": product["desc"],
            "image": info["image"],
            "brand": {"@type": "Brand", "name": row.get("brand") or "No Brand"},
            "url": f"https:{product['link']}",
            "offers": {"@type": "Offer", "price": float(row["price"]), "priceCurrency": "VND",
                       "seller": {"@type": "Organization", "name": row["seller"]["name"]},
                       "availability": "https://schema.org/InStock"},
        }
        return Reply.html(
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(row['title'])} | Lazada.vn</title>"
            f"<link rel='canonical' href='https:{product['link']}'/></head><body><div id='container'></div>"
            f"<script type='application/ld+json'>{_script_json(json_ld)}</script>"
            "<script>define('app/pc', ['//laz-g-cdn.alicdn.com/lzdfe/pdp-platform/0.1.8/pc.js'], function(app) "
            f"{{ try {{ app.run({_script_json({'data': {'root': {'fields': fields}}})}); }} catch (e) {{}} }});"
            "</script></body></html>"
        )

    def fields(self, row: dict[str, Any]) -> dict[str, Any]:
        """``data.root.fields`` of a product page."""
        shop, item, sku = _ids(row)
        price, original = row["price"], row.get("original_price") or row["price"]
        image = f"//vn-live-02.slatic.net/p/{stable(row['_id'], 0, 2**32):08x}.jpg"
        categories = [c.strip() for c in (row.get("category") or "").split(">") if c.strip()]
        discount = f"-{round(100 * (original - price) / original)}%" if original > price else ""
        info = {
            "categoryId": str(stable(categories[-1] if categories else "", 1000, 99999)),
            "dataLayer": {"pdt_category": categories, "brand_name": row.get("brand") or "No Brand",
                          "seller_name": row["seller"]["name"], "supplier_id": shop, "pdt_price": str(original),
                          "pdt_sku": item, "pdt_simplesku": sku, "pdt_name": row["title"], "pdt_discount": discount,
                          "core": {"country": "VN", "layoutType": "desktop", "language": "vi", "currencyCode": "VND"}},
            "image": image,
            "itemId": str(item),
            "price": {"discount": discount, "originalPrice": {"text": f"₫{original:,}", "value": float(original)},
                      "salePrice": {"text": f"₫{price:,}", "value": float(price)}},
            "sellerId": str(shop),
            "skuId": str(sku),
            "stock": stable(row["_id"] + "stock", 1, 500),
        }
        reviews = int(stable(row["title"], 1, 900))
        product = {
            "title": row["title"],
            "brand": {"name": row.get("brand") or "No Brand",
                      "url": f"https://www.lazada.vn/{slugify(row.get('brand') or 'No Brand')}/"},
            "desc": f"<p>{escape(row.get('description') or '')}</p>",
            "highlights": "",
            "link": f"{SITE}/products/{_slug(row)}-i{item}.html",
            "rating": {"score": stable(row["_id"], 38, 50) / 10, "total": reviews},
        }
        if row["seller"]["official"]:
            product["mallTag"] = True
        return {
            "seller": self.seller_block(row),
            "product": product,
            "skuInfos": {"0": info, str(sku): info},
            "primaryKey": {"itemId": str(item), "skuId": str(sku), "sellerId": str(shop), "defaultSkuId": str(sku),
                           "pageId": str(item)},
            "specifications": {str(sku): {"features": {"Brand": row.get("brand") or "No Brand",
                                                       "SKU": f"{item}_VNAMZ-{sku}"}}},
            "skuGalleries": {"0": [{"src": image, "type": "img", "poster": image}],
                             str(sku): [{"src": image, "type": "img", "poster": image}]},
            "review": {"ratings": {"average": stable(row["_id"], 38, 50) / 10, "rateCount": reviews,
                                   "reviewCount": reviews // 3, "scores": [reviews, 0, 0, 0, 0]},
                       "reviews": [], "paging": {"totalItems": 0, "totalPages": 0, "currentPage": 1}},
        }

    def seller_block(self, row: dict[str, Any]) -> dict[str, Any]:
        """``fields.seller``: ratings and time on Lazada; Lazada shows no phone or address."""
        seller = row["seller"]
        shop, _, _ = _ids(row)
        rate = stable(seller["name"], 70, 100)
        return {
            "name": seller["name"],
            "sellerId": str(shop),
            "shopId": stable(seller["name"] + "shop", 100, 999999),
            "url": f"{SITE}/shop/{slugify(seller['name'])}/",
            "percentRate": f"{rate}%",
            "positiveSellerRating": {"labelText": "Đánh giá tích cực", "value": f"{rate}%"},
            "shipOnTime": {"labelText": "Giao đúng hạn", "value": f"{stable(seller['name'] + 'ship', 80, 100)}%"},
            "chatResponsiveRate": {"labelText": "Tỉ lệ phản hồi", "value": f"{stable(seller['name'] + 'c', 50, 100)}%"},
            "rate": rate / 100,
            "rateLevel": 3,
            "size": 5,
            "time": stable(seller["name"] + "t", 1, 8),
            "unit": "years",
            "type": "4" if seller["official"] else "7",
            "newSeller": False,
            "hideAllMetrics": False,
            "imEnable": True,
        }

    def store_home(self, slug: str) -> Reply:
        """A store's home page: the decorated shell that links to its "All products" tab."""
        name = escape(self.stores[slug][0]["seller"]["name"])
        tab = f"/{slug}/?q=All-Products&from=wangpu&langFlag=vi&pageTypeId=2"
        return Reply.html(
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{name} | Lazada.vn</title></head><body>"
            f"<h1>{name}</h1><a href='{tab}'>Tất cả sản phẩm</a></body></html>"
        )
