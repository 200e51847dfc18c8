"""A shop website's product page: schema.org JSON-LD or microdata, OpenGraph ``product:*`` tags, or plain HTML.

The structured sources are tried in order of how much they say; a plain page counts as a product page
only with both a heading and a price written in đồng, so category and news pages are not listings.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any
from urllib.parse import urljoin, urlsplit

import extruct
from bs4 import BeautifulSoup, Tag

from crawler.clean import extract_phones, nfc, parse_vnd
from crawler.exceptions import ListingRemoved, NotAListingPage
from crawler.items import ListingItem, SellerItem
from spiders.pages.base import Page

__all__ = ["WebsiteProductPage", "site_id"]

_PRICE = re.compile(r"(\d{1,3}(?:[.,]\d{3})+|\d+)\s*(?:₫|đ|vnđ|vnd)(?!\w)", re.IGNORECASE)
_CHARSET = re.compile(rb"<meta[^>]+charset=['\"]?([\w-]+)", re.IGNORECASE)
# What a shop's page says in its heading when the product it showed is gone (not merely out of stock).
_REMOVED = re.compile(
    r"sản phẩm (?:này )?(?:không tồn tại|đã ngừng kinh doanh|đã bị xóa|đã bị gỡ)|không tìm thấy sản phẩm"
    r"|product (?:not found|is no longer available)",
    re.IGNORECASE,
)


def decode_html(body: bytes, declared: str | None = None) -> str:
    """HTML bytes as text: the declared charset, else UTF-8, else windows-1258.

    Vietnamese shop pages without a charset that are not valid UTF-8 are almost always cp1258 (or
    cp1252); cp1258 decodes every byte, so nothing crashes and most Vietnamese text survives. A UTF-8
    page with a few broken sequences (a bad template, a truncated string) stays UTF-8 with the bad
    bytes replaced: in cp1258 its every accented letter would turn to mojibake. What tells them apart
    (whatever the page declares; cp1258 pages often claim UTF-8): a cp1258 page has next to no valid
    UTF-8 multi-byte letters, a broken UTF-8 page mostly has them.
    """
    for encoding in filter(None, (declared, "utf-8")):
        try:
            return body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    text = body.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    if sum(1 for char in text if char > "\x7f") - bad > bad:
        return text
    return body.decode("cp1258", "replace")


def site_id(url: str) -> str:
    """The website's identity: its host name, lower-case, without a port."""
    return (urlsplit(url).hostname or "").lower()


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _name(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name")
    return nfc(str(value)) if value else None


def _products(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for block in blocks:
        for node in block.get("@graph", [block]) if isinstance(block, dict) else []:
            kind = node.get("@type") if isinstance(node, dict) else None
            if kind == "Product" or (isinstance(kind, list) and "Product" in kind):
                found.append(node)
    return found


class WebsiteProductPage(Page):
    """Any page of a shop website; ``to_items`` raises NotAListingPage unless it offers one product."""

    def __init__(self, url: str, body: bytes | str, encoding: str | None = None) -> None:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        super().__init__(url, raw)
        declared = _CHARSET.search(raw[:4096])
        self.encoding = encoding or (declared.group(1).decode("ascii", "ignore") if declared else None)

    @cached_property
    def html(self) -> str:
        return decode_html(self.body, self.encoding)  # type: ignore[arg-type]

    @cached_property
    def soup(self) -> BeautifulSoup:
        return BeautifulSoup(self.html, "html.parser")

    @cached_property
    def structured(self) -> dict[str, Any]:
        try:
            return extruct.extract(
                self.html, base_url=self.url, syntaxes=["json-ld", "microdata", "opengraph"], uniform=True
            )
        except Exception:  # extruct raises many kinds on broken markup; the page is then plain HTML
            return {}

    @cached_property
    def og(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for block in self.structured.get("opengraph") or []:
            merged.update({k: _first(v) for k, v in block.items()})
        return merged

    def product(self) -> dict[str, Any] | None:
        """The product as a schema.org-like dict from whichever markup the page has."""
        for syntax in ("json-ld", "microdata"):
            products = _products(self.structured.get(syntax) or [])
            if products:
                return products[0]
        if self.og.get("og:type") == "product" or "product:price:amount" in self.og:
            return {
                "name": self.og.get("og:title"),
                "description": self.og.get("og:description"),
                "image": self.og.get("og:image"),
                "brand": self.og.get("product:brand"),
                "offers": {"price": self.og.get("product:price:amount")},
            }
        return self._plain()

    def _plain(self) -> dict[str, Any] | None:
        heading = self.soup.find("h1")
        price_node = self.soup.find(class_=re.compile("price", re.I)) or self.soup.find(string=_PRICE)
        price_text = price_node.get_text(" ") if isinstance(price_node, Tag) else str(price_node or "")
        match = _PRICE.search(price_text)
        if heading is None or match is None:
            return None
        description = self.soup.find(class_=re.compile("desc", re.I))
        return {
            "name": heading.get_text(" "),
            "description": description.get_text(" ") if description else None,
            "offers": {"price": match.group(0)},
        }

    def removed(self) -> bool:
        """The page's title or heading says its product no longer exists."""
        heading = self.soup.find("h1")
        title = self.soup.find("title")
        text = " ".join(tag.get_text(" ") for tag in (heading, title) if tag is not None)
        return bool(_REMOVED.search(nfc(text) or ""))

    def seller(self) -> SellerItem:
        host = site_id(self.url)
        footer = self.soup.find("footer")
        return SellerItem(
            source="web",
            shop_id=host,
            name=nfc(self.og.get("og:site_name")) or host,
            url=urljoin(self.url, "/"),
            phones=extract_phones(footer.get_text(" ") if footer else None),
        )

    def links(self) -> list[str]:
        """Absolute links to other pages of the same site."""
        host = site_id(self.url)
        urls = (urljoin(self.url, str(a["href"])) for a in self.soup.find_all("a", href=True))
        return [u.split("#")[0] for u in urls if site_id(u) == host and u.startswith(("http://", "https://"))]

    def to_items(self) -> list[ListingItem | SellerItem]:
        product = self.product()
        if not product or not product.get("name"):
            if self.removed():
                raise ListingRemoved(f"product removed: {self.url}")
            raise NotAListingPage(f"no product on {self.url}")
        offers = _first(product.get("offers")) or {}
        images = product.get("image") or []
        path = urlsplit(self.url).path.rstrip("/") or "/"
        return [
            ListingItem(
                source="web",
                kind="website",
                item_id=path,
                shop_id=site_id(self.url),
                url=self.url,
                title=nfc(product.get("name")),
                description=nfc(_first(product.get("description"))),
                price=parse_vnd(offers.get("price")),
                currency=offers.get("priceCurrency") or "VND",
                brand=_name(product.get("brand")),
                category=nfc(_first(product.get("category"))) if isinstance(product.get("category"), str) else None,
                images=[urljoin(self.url, _name(i) or "") for i in (images if isinstance(images, list) else [images])],
                seller=self.seller(),
            )
        ]
