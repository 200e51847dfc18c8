"""Deterministic synthetic listings in the corpus schema, as many as a benchmark or a scale test needs.

Each row is a variant of a real-looking corpus row of the same source (so the rules flag the same share
of them), with its own ids, shop, title suffix and price; row ``i`` is the same on every run, so a
re-crawl of a generated site sees unchanged content. Every generated title carries the words
``hàng mẫu`` (:data:`QUERY`), so one search reaches them all.
"""

from __future__ import annotations

from typing import Any

from crawler.sandbox.corpus import by_source, stable

__all__ = ["LISTINGS_PER_SHOP", "QUERY", "tiki_rows"]

QUERY = "hàng mẫu"
LISTINGS_PER_SHOP = 50
_ITEM_BASE, _SPID_BASE, _SHOP_BASE = 900_000_000, 500_000_000, 70_000


def tiki_rows(count: int) -> list[dict[str, Any]]:
    """``count`` Tiki rows: ``tiki:<shop>:<item>`` ids, ``LISTINGS_PER_SHOP`` listings per shop."""
    templates = by_source("tiki")
    return [_tiki_row(templates[i % len(templates)], i) for i in range(count)]


def _tiki_row(template: dict[str, Any], i: int) -> dict[str, Any]:
    item, spid, shop = _ITEM_BASE + i, _SPID_BASE + i, _SHOP_BASE + i // LISTINGS_PER_SHOP
    title = f"{template['title']} - {QUERY} {i:06d}"
    price = template["price"] * stable(f"p{i}", 90, 110) // 100
    original = template.get("original_price")
    seller = template["seller"]
    slug = template["url"].split("/")[-1].split("-p")[0]
    return {
        **template,
        "_id": f"tiki:{shop}:{item}",
        "url": f"https://tiki.vn/{slug}-{i:06d}-p{item}.html?spid={spid}",
        "title": title,
        "price": price,
        "original_price": max(original, price) if original else None,
        "sold": stable(f"s{i}", 0, 5000),
        "seller": {**seller, "id": f"tiki:{shop}", "name": f"{seller['name']} {shop}"},
    }
