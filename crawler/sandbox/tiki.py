"""Tiki replica: the JSON API shapes of tiki.vn (search, product detail) and api.tiki.vn (seller widget, store).

Field names and nesting follow recorded responses (``tests/fixtures/real/tiki_*``, SOURCES.md §3).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawler.sandbox.corpus import by_source, matches_query, slugify
from crawler.sandbox.corpus import stable as _stable
from crawler.sandbox.server import Reply, Request
from crawler.sandbox.synthetic import tiki_rows

__all__ = ["TikiSite"]

PAGE_SIZE_MAX = 10
_DETAIL = re.compile(r"^/api/v2/products/(\d+)$")
_STORE = re.compile(r"^/v2/seller/stores/([\w-]+)/products$")


def _ids(row: dict[str, Any]) -> tuple[int, int, int]:
    _, shop, item = row["_id"].split(":")
    spid = int(parse_qs(urlsplit(row["url"]).query).get("spid", [item])[0])
    return int(shop), int(item), spid


class TikiSite:
    """The corpus's Tiki listings, or with ``generated=N`` N synthetic ones (``crawler.sandbox.synthetic``)
    served 40 to a page as tiki.vn does, for benchmarks and scale tests."""

    hosts: tuple[str, ...] = ("tiki.vn", "api.tiki.vn")

    def __init__(self, generated: int = 0) -> None:
        self.generated = generated
        self.page_size_max = 40 if generated else PAGE_SIZE_MAX
        self._hits: dict[str, list[dict[str, Any]]] = {}  # search results by query, computed once

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        return tiki_rows(self.generated) if self.generated else by_source("tiki")

    @cached_property
    def by_id(self) -> dict[int, dict[str, Any]]:
        return {_ids(row)[1]: row for row in self.rows}

    @cached_property
    def by_shop(self) -> dict[str, list[dict[str, Any]]]:
        shops: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self.rows:
            shops[str(_ids(row)[0])].append(row)
        return dict(shops)

    @cached_property
    def by_store_slug(self) -> dict[str, list[dict[str, Any]]]:
        stores: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self.rows:
            stores[slugify(row["seller"]["name"])].append(row)
        return dict(stores)

    def handle(self, request: Request) -> Reply | None:
        path = request.path.split("?")[0]
        if request.host == "tiki.vn" and path == "/api/v2/products":
            return self.search(request)
        if request.host == "tiki.vn" and (match := _DETAIL.match(path)):
            row = self.by_id.get(int(match.group(1)))
            return Reply.json(self.detail(row)) if row else Reply.json({"error": {"message": "Not found"}}, 404)
        if request.host == "api.tiki.vn" and path == "/product-detail/v2/widgets/seller":
            return self.seller_widget(request.arg("seller_id"))
        if request.host == "api.tiki.vn" and (match := _STORE.match(path)):
            return self.store(match.group(1), request)
        return None

    def search(self, request: Request) -> Reply:
        query = request.arg("q")
        if query not in self._hits:  # two threads may both compute it: same answer
            scored = [(matches_query(row, query), i, row) for i, row in enumerate(self.rows)]
            self._hits[query] = [row for score, _, row in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0]
        return Reply.json(self._page(self._hits[query], request))

    def store(self, slug: str, request: Request) -> Reply:
        return Reply.json(self._page(self.by_store_slug.get(slug, []), request))

    def _page(self, rows: list[dict[str, Any]], request: Request) -> dict[str, Any]:
        size = min(int(request.arg("limit", "40") or 40), self.page_size_max)
        page = max(int(request.arg("page", "1") or 1), 1)
        last = max(math.ceil(len(rows) / size), 1)
        chunk = rows[(page - 1) * size : page * size]
        return {
            "data": [self.list_record(row) for row in chunk],
            "paging": {
                "total": len(rows),
                "per_page": size,
                "current_page": page,
                "last_page": last,
                "from": (page - 1) * size + 1 if chunk else None,
                "to": (page - 1) * size + len(chunk) if chunk else None,
            },
        }

    def list_record(self, row: dict[str, Any]) -> dict[str, Any]:
        shop, item, spid = _ids(row)
        slug = slugify(row["title"])
        price, original = row["price"], row.get("original_price") or row["price"]
        categories = [c.strip() for c in (row.get("category") or "").split(">")]
        sold = row.get("sold")
        return {
            "id": item,
            "sku": str(item * 7 % 10**13),
            "name": row["title"],
            "url_key": f"{slug}-p{item}",
            "url_path": f"{slug}-p{item}.html?spid={spid}",
            "brand_name": row.get("brand"),
            "price": price,
            "list_price": row.get("original_price") or 0,
            "original_price": original,
            "discount": original - price,
            "discount_rate": round(100 * (original - price) / original) if original else 0,
            "rating_average": _stable(row["_id"], 38, 50) / 10,
            "review_count": _stable(row["title"], 0, 900),
            "order_count": 0,
            "quantity_sold": {"text": f"Đã bán {sold}", "value": sold} if sold else None,
            "thumbnail_url": f"https://salt.tikicdn.com/cache/280x280/ts/product/{item % 97:02x}/{slug[:24]}.jpg",
            "seller": None,
            "seller_id": shop,
            "seller_product_id": spid,
            "primary_category_path": "1/2/" + "/".join(str(_stable(c, 1000, 99999)) for c in categories),
            "impression_info": [
                {"metadata": {"is_official_store": int(row["seller"]["official"]), "mpid": item, "spid": spid}}
            ],
            "visible_impression_info": {
                "amplitude": {
                    "brand_name": row.get("brand"),
                    "seller_type": "OFFICIAL_STORE" if row["seller"]["official"] else "NORMAL",
                    "seller_id": shop,
                    "category_l1_name": categories[0] if categories else None,
                    "primary_category_name": categories[-1] if categories else None,
                    "is_authentic": int(row["seller"]["official"]),
                }
            },
        }

    def detail(self, row: dict[str, Any]) -> dict[str, Any]:
        record = self.list_record(row)
        shop, item, spid = _ids(row)
        seller_slug = slugify(row["seller"]["name"])
        image = record["thumbnail_url"].replace("cache/280x280/", "")
        categories = [c.strip() for c in (row.get("category") or "").split(">")]
        record.update(
            master_id=item,
            short_url=f"https://tiki.vn/product-p{item}.html?spid={spid}",
            type="simple",
            all_time_quantity_sold=row.get("sold"),
            inventory_status="available",
            description=f"<p>{row.get('description') or ''}</p>",
            images=[{"base_url": image, "large_url": image, "medium_url": image, "small_url": image}],
            brand={"id": _stable(row.get("brand") or "", 1, 99999), "name": row.get("brand"),
                   "slug": slugify(row.get("brand") or "")},
            current_seller={
                "id": shop,
                "sku": record["sku"],
                "name": row["seller"]["name"],
                "link": f"https://tiki.vn/cua-hang/{seller_slug}",
                "logo": f"https://vcdn.tikicdn.com/ts/seller/{seller_slug}.png",
                "price": row["price"],
                "product_id": str(spid),
                "store_id": shop + 100000,
                "is_best_store": bool(row["seller"]["official"]),
            },
            specifications=[{"name": "Content", "attributes": [
                {"code": "brand", "name": "Thương hiệu", "value": row.get("brand")},
            ]}],
            breadcrumbs=[{"url": f"/{slugify(c)}/c{_stable(c, 1000, 99999)}", "name": c,
                          "category_id": _stable(c, 1000, 99999)} for c in categories],
            categories={"id": _stable(categories[-1], 1000, 99999), "name": categories[-1], "is_leaf": True},
        )
        return record

    def seller_widget(self, seller_id: str) -> Reply:
        rows = self.by_shop.get(seller_id)
        if not rows:
            return Reply.json({"data": {"seller": None}})
        row = rows[0]
        name, official = row["seller"]["name"], row["seller"]["official"]
        return Reply.json({"data": {"seller": {
            "id": int(seller_id),
            "name": name,
            "is_official": official,
            "store_level": "OFFICIAL_STORE" if official else "NONE",
            "avg_rating_point": _stable(name, 38, 50) / 10,
            "review_count": _stable(name, 10, 90000),
            "total_follower": _stable(name + "f", 10, 500000),
            "store_id": int(seller_id) + 100000,
            "days_since_joined": _stable(name + "d", 30, 3000),
            "icon": f"https://vcdn.tikicdn.com/ts/seller/{slugify(name)}.png",
            "url": f"https://tiki.vn/cua-hang/{slugify(name)}",
            "info": [],
        }}})
