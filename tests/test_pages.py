"""Page objects against recorded fixtures: one test per ``tests/fixtures/pages/<page_folder>/<case>/``.

A case folder holds ``input.json`` or ``input.html`` (the response body), optionally ``url.txt`` (the
response URL; it matters for paging and redirect-to-captcha detection) and ``NOTES.md`` (provenance),
and ``expected.json``: the rendered page (see :func:`render`) or ``{"raises": "BlockedPage"}``.
Re-render after a deliberate parser change with ``python -m tests.regen_pages [folder ...]``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from crawler import exceptions
from crawler.items import SellerItem
from spiders.pages.base import Page
from spiders.pages.compliance import WebsiteCompliancePage
from spiders.pages.facebook import FacebookGroupPage, FacebookPostPage, find_price, find_zalo
from spiders.pages.lazada import LazadaProductPage, LazadaSearchPage, LazadaStorePage
from spiders.pages.sendo import SendoProductPage, SendoSearchPage, SendoShopPage
from spiders.pages.shopee import (
    ShopeeItemPage,
    ShopeeRecommendPage,
    ShopeeRenderedPage,
    ShopeeSearchPage,
    ShopeeShopPage,
    shopee_price,
)
from spiders.pages.tiki import TikiProductPage, TikiSearchPage, TikiSellerPage
from spiders.pages.tiktok import TiktokProductPage, TiktokSearchPage
from spiders.pages.website import WebsiteProductPage

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
DEFAULT_URL = "https://example.invalid/"

# Folder name (the page class in snake case) → page class. Other sources add their classes here.
PAGES: dict[str, type[Page]] = {
    "shopee_search_page": ShopeeSearchPage,
    "shopee_recommend_page": ShopeeRecommendPage,
    "shopee_item_page": ShopeeItemPage,
    "shopee_shop_page": ShopeeShopPage,
    "shopee_rendered_page": ShopeeRenderedPage,
    "lazada_search_page": LazadaSearchPage,
    "lazada_store_page": LazadaStorePage,
    "lazada_product_page": LazadaProductPage,
    "sendo_search_page": SendoSearchPage,
    "sendo_product_page": SendoProductPage,
    "sendo_shop_page": SendoShopPage,
    "tiktok_product_page": TiktokProductPage,
    "tiktok_search_page": TiktokSearchPage,
    "facebook_group_page": FacebookGroupPage,
    "facebook_post_page": FacebookPostPage,
    "website_compliance_page": WebsiteCompliancePage,
    "tiki_search_page": TikiSearchPage,
    "tiki_product_page": TikiProductPage,
    "tiki_seller_page": TikiSellerPage,
    "website_product_page": WebsiteProductPage,
}


def case_dirs(folders: list[str] | None = None) -> list[Path]:
    """Every case folder of the registered page classes (or of the named ones)."""
    names = folders or sorted(PAGES)
    return [case for name in names for case in sorted((FIXTURES / name).glob("*/")) if case.is_dir()]


def load_page(case: Path) -> Page:
    """The page object of a case, built from its recorded body and URL."""
    body = next(case.glob("input.*")).read_bytes()
    url_file = case / "url.txt"
    url = url_file.read_text(encoding="utf-8").strip() if url_file.exists() else DEFAULT_URL
    return PAGES[case.parent.name](url, body)


def _plain(item: Any) -> dict[str, Any]:
    data = dataclasses.asdict(item)
    data.pop("capture", None)
    return data


def render(page: Page) -> Any:
    """What a case asserts: the facts dict for compliance pages; else the items (``capture`` dropped),
    with ``next_page`` alongside for pages that page. A page error renders as ``{"raises": name}``.
    """
    try:
        if isinstance(page, WebsiteCompliancePage):
            return page.facts()
        items = [_plain(item) for item in page.to_items()]
        next_page = getattr(page, "next_page", None)
        rendered: Any = {"items": items, "next_page": next_page()} if callable(next_page) else items
    except exceptions.PageError as exc:
        return {"raises": type(exc).__name__}
    return json.loads(json.dumps(rendered, ensure_ascii=False))


CASES = case_dirs()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_case_matches_expected(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    page = load_page(case)
    if isinstance(expected, dict) and set(expected) == {"raises"}:
        with pytest.raises(getattr(exceptions, expected["raises"])):
            page.to_items() if not isinstance(page, WebsiteCompliancePage) else page.facts()
        return
    assert render(page) == expected


SOURCE_FOLDERS = {
    "shopee": ["shopee_search_page", "shopee_item_page", "shopee_shop_page"],
    "lazada": ["lazada_search_page", "lazada_product_page"],
    "sendo": ["sendo_search_page", "sendo_product_page", "sendo_shop_page"],
    "tiktok": ["tiktok_product_page", "tiktok_search_page"],
    "facebook": ["facebook_group_page", "facebook_post_page"],
}


@pytest.mark.parametrize("source", sorted(SOURCE_FOLDERS))
def test_each_source_has_a_block_case_and_an_empty_case(source: str) -> None:
    outcomes = [
        json.loads((case / "expected.json").read_text(encoding="utf-8")) for case in case_dirs(SOURCE_FOLDERS[source])
    ]
    assert {"raises": "BlockedPage"} in outcomes
    assert any(o == [] or (isinstance(o, dict) and o.get("items") == []) for o in outcomes)


def test_every_registered_page_has_cases() -> None:
    missing = [name for name in PAGES if not list((FIXTURES / name).glob("*/expected.json"))]
    assert missing == []


class _Response:
    url = "https://shopee.vn/api/v4/shop/get_shop_detail?shopid=1"
    body = b'{"error": 0, "data": {"shopid": 1, "name": "Shop A", "follower_count": 5}}'


def test_from_response_takes_any_object_with_url_and_body() -> None:
    [seller] = ShopeeShopPage.from_response(_Response()).to_items()
    assert isinstance(seller, SellerItem)
    assert (seller.shop_id, seller.name, seller.followers) == ("1", "Shop A", 5)


@pytest.mark.parametrize(
    ("raw", "vnd"),
    [(229000000000, 2290000), (-1, None), (0, None), ("18700000000", 187000), (None, None)],
)
def test_shopee_prices_are_scaled_by_100000(raw: Any, vnd: int | None) -> None:
    assert shopee_price(raw) == vnd


@pytest.mark.parametrize(
    ("text", "price", "price_text"),
    [
        ("Túi LV like auth giá 1tr2 ship toàn quốc", 1_200_000, "1tr2"),
        ("Sạc dự phòng 350k bao test", 350_000, "350k"),
        ("Nước hoa Chanel 2,5 triệu fullbox", 2_500_000, "2,5 triệu"),
        ("Giày 1.250.000đ freeship", 1_250_000, "1.250.000đ"),
        ("Đồng hồ Rolex replica IB giá nhé", None, "ib giá"),
        ("Alo 0912.345.678 nhé", None, None),
        ("Rolex mạ vàng 18K super fake, giá 9tr5", 9_500_000, "9tr5"),
        ("Shot count 4.200, ngoại hình 98%. Giá 15tr5", 15_500_000, "15tr5"),
        ("Màu be, giá mua 1tr390 pass 650k", 650_000, "650k"),
    ],
)
def test_facebook_prices_written_in_posts(text: str, price: int | None, price_text: str | None) -> None:
    assert find_price(text) == (price, price_text)


def test_zalo_numbers_follow_the_word_zalo() -> None:
    text = "Gọi 0903 123 456 hoặc Zalo: 0987.654.321, zl 0912345678"
    assert find_zalo(text) == ["+84987654321", "+84912345678"]


def test_page_modules_stay_small_and_scrapy_free() -> None:
    for module in (Path(__file__).parent.parent / "spiders" / "pages").glob("*.py"):
        source = module.read_text(encoding="utf-8")
        if module.stem in {"tiki", "website"}:
            continue  # owned elsewhere
        assert len(source.splitlines()) < 400, module.name
        assert "import scrapy" not in source and "from scrapy" not in source, module.name
