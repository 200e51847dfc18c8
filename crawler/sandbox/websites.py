"""Standalone shop websites: one site per corpus domain, rendered in the markup real Vietnamese shops use.

Most emit schema.org ``Product`` JSON-LD (Haravan/Sapo/WordPress themes); one site has microdata only,
one only OpenGraph ``product:*`` tags, one plain HTML with a price in the text. Footers carry the facts
NĐ 52/2013/NĐ-CP requires, complete on some sites (or on their linked "Giới thiệu" page), partial or
missing on others, with the MOIT badge linked to its record, self-hosted, or absent. ``mutate`` changes
a product's price or removes it (its page then answers 404 "Sản phẩm không tồn tại") for re-crawl tests.
"""

from __future__ import annotations

import json
import zlib
from functools import cached_property
from html import escape
from typing import Any
from urllib.parse import urlsplit

from crawler.sandbox.corpus import websites
from crawler.sandbox.server import Reply, Request

__all__ = ["MARKUP", "WebsitesSite", "footer_style"]

MARKUP = {
    "nuochoa-lumiere.vn": "microdata",
    "ruouvang-sommelier.vn": "opengraph",
    "donghochinhhang-tanphat.vn": "plain",
}
MOIT_IMG = "http://online.gov.vn/Content/EndUser/LogoCCDVSaleNoti/logoSaleNoti.png"


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + "₫"


def _path(row: dict[str, Any]) -> str:
    return urlsplit(row["url"]).path or "/"


def footer_style(host: str, seller: dict[str, Any]) -> str:
    """How much of the legally required information a site shows: ``full`` in the footer, ``about`` on its
    "Giới thiệu" page, else ``partial``, ``none`` or ``fake-badge`` (a self-hosted badge linked to ``#``)."""
    crc = zlib.crc32(host.encode())
    if seller["official"]:
        return ("full", "about")[crc % 2]
    return ("partial", "none", "fake-badge")[crc % 3]


class WebsitesSite:
    def __init__(self) -> None:
        self.sites = websites()
        self.hosts = tuple(sorted(self.sites))
        self.changes: dict[tuple[str, str], dict[str, Any]] = {}

    @cached_property
    def pages(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {(host, _path(row)): row for host, rows in self.sites.items() for row in rows}

    def mutate(self, url: str, **changes: Any) -> None:
        """Change a product for a re-crawl test (``price=...``, ``removed=True``); ``reset`` undoes it."""
        parts = urlsplit(url)
        self.changes.setdefault((parts.hostname or "", parts.path), {}).update(changes)

    def reset(self) -> None:
        self.changes.clear()

    def _current(self, host: str, row: dict[str, Any]) -> dict[str, Any]:
        return row | self.changes.get((host, _path(row)), {})

    def handle(self, request: Request) -> Reply | None:
        path = request.path.split("?")[0]
        if path in ("/", "/index.html"):
            return Reply.html(self.home(request.host))
        if path == "/robots.txt":
            return Reply(200, "User-agent: *\nDisallow: /gio-hang\n", "text/plain")
        seller = self.sites[request.host][0]["seller"]
        if path.rstrip("/") == "/gioi-thieu" and footer_style(request.host, seller) == "about":
            return Reply.html(self._layout(request.host, "Giới thiệu", self._owner(request.host, seller)))
        row = self.pages.get((request.host, path.rstrip("/") or "/")) or self.pages.get((request.host, path))
        if row is None:
            return None
        row = self._current(request.host, row)
        if row.get("removed"):
            body = "<h1>Sản phẩm không tồn tại</h1><p>Sản phẩm bạn tìm không tồn tại hoặc đã ngừng kinh doanh.</p>"
            return Reply.html(self._layout(request.host, "Không tìm thấy", body), 404)
        return Reply.html(self.product(request.host, row))

    def home(self, host: str) -> str:
        rows = [row for row in (self._current(host, r) for r in self.sites[host]) if not row.get("removed")]
        links = "".join(
            f'<li><a href="{escape(_path(r))}">{escape(r["title"])}</a></li>' for r in rows
        )
        return self._layout(host, self.sites[host][0]["seller"]["name"], f"<ul class='products'>{links}</ul>")

    def product(self, host: str, row: dict[str, Any]) -> str:
        markup = MARKUP.get(host, "jsonld")
        body = getattr(self, f"_{markup}")(row)
        head = self._og(row) if markup == "opengraph" else ""
        return self._layout(host, row["title"], body, head)

    def _layout(self, host: str, title: str, body: str, head: str = "") -> str:
        seller = self.sites[host][0]["seller"]
        return (
            f"<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<meta property='og:site_name' content='{escape(seller['name'])}'>{head}</head><body>"
            f"<header><a href='/'>{escape(seller['name'])}</a></header><main>{body}</main>"
            f"{self._footer(host, seller)}</body></html>"
        )

    def _footer(self, host: str, seller: dict[str, Any]) -> str:
        style = footer_style(host, seller)
        phones = [escape(p) for p in seller.get("phones") or []]
        if style in ("full", "about") and not phones:
            phones = [f"028 3{zlib.crc32(host.encode()) % 10**7:07d}"]
        parts = [f"<p>Hotline: {' - '.join(phones) or 'Liên hệ qua Zalo'}</p>"]
        if style == "full":
            parts.append(self._owner(host, seller))
        if style == "about":
            parts.append("<p><a href='/gioi-thieu'>Giới thiệu</a> | <a href='/gioi-thieu'>Liên hệ</a></p>")
        if style in ("full", "about"):
            parts.append(
                f"<a href='http://online.gov.vn/Home/WebDetails/{zlib.crc32(host.encode()) % 99999}'>"
                f"<img src='{MOIT_IMG}' alt='Đã thông báo Bộ Công Thương'></a>"
            )
        elif style == "partial":
            parts.append(f"<p>Địa chỉ: {escape(seller.get('location') or 'TP. Hồ Chí Minh')}</p>")
        elif style == "fake-badge":
            parts.append("<a href='#'><img src='/images/logoSaleNoti.png' alt='Đã thông báo Bộ Công Thương'></a>")
        return f"<footer class='site-footer'>{''.join(parts)}</footer>"

    @staticmethod
    def _owner(host: str, seller: dict[str, Any]) -> str:
        """The owner's legally required details: company, address, e-mail, tax code."""
        domain = host.removeprefix("www.")
        return (
            f"<p>Công ty TNHH {escape(seller['name'])}</p><p>Địa chỉ: 12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội</p>"
            f"<p>Email: cskh@{escape(domain)}</p><p>MST: 0109{zlib.crc32(host.encode()) % 10**6:06d}</p>"
        )

    @staticmethod
    def _jsonld(row: dict[str, Any]) -> str:
        product = {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": row["title"],
            "description": row.get("description"),
            "image": [f"/images/{zlib.crc32(row['_id'].encode()):x}.jpg"],
            "brand": {"@type": "Brand", "name": row.get("brand")} if row.get("brand") else None,
            "category": row.get("category"),
            "offers": {
                "@type": "Offer",
                "price": str(row["price"]),
                "priceCurrency": "VND",
                "availability": "https://schema.org/InStock",
                "seller": {"@type": "Organization", "name": row["seller"]["name"]},
            },
        }
        data = json.dumps({k: v for k, v in product.items() if v is not None}, ensure_ascii=False)
        data = data.replace("</", "<\\/")
        return (
            f"<script type='application/ld+json'>{data}</script><h1>{escape(row['title'])}</h1>"
            f"<div class='price'>{_vnd(row['price'])}</div>"
            f"<div class='desc'>{escape(row.get('description') or '')}</div>"
        )

    @staticmethod
    def _microdata(row: dict[str, Any]) -> str:
        brand = escape(row.get("brand") or "")
        return (
            "<div itemscope itemtype='https://schema.org/Product'>"
            f"<h1 itemprop='name'>{escape(row['title'])}</h1>"
            f"<div itemprop='brand' itemscope itemtype='https://schema.org/Brand'>"
            f"<span itemprop='name'>{brand}</span></div>"
            f"<p itemprop='description'>{escape(row.get('description') or '')}</p>"
            "<div itemprop='offers' itemscope itemtype='https://schema.org/Offer'>"
            f"<span itemprop='price' content='{row['price']}'>{_vnd(row['price'])}</span>"
            "<meta itemprop='priceCurrency' content='VND'></div></div>"
        )

    @staticmethod
    def _og(row: dict[str, Any]) -> str:
        tags = {
            "og:type": "product",
            "og:title": row["title"],
            "og:description": row.get("description") or "",
            "og:image": f"/images/{zlib.crc32(row['_id'].encode()):x}.jpg",
            "product:price:amount": str(row["price"]),
            "product:price:currency": "VND",
            "product:brand": row.get("brand") or "",
        }
        return "".join(f"<meta property='{k}' content='{escape(v)}'>" for k, v in tags.items())

    @staticmethod
    def _opengraph(row: dict[str, Any]) -> str:
        return f"<div class='product-detail'><p>{escape(row.get('description') or '')}</p></div>"

    @staticmethod
    def _plain(row: dict[str, Any]) -> str:
        return (
            f"<div class='product'><h1 class='product-title'>{escape(row['title'])}</h1>"
            f"<p class='product-price'>Giá bán: {_vnd(row['price'])}</p>"
            f"<div class='product-description'>{escape(row.get('description') or '')}</div></div>"
        )
