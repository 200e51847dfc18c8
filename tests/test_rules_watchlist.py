"""Watchlist matching: shop id, domain, phone in any format, tax code, name variants, and near misses."""

from __future__ import annotations

import pytest

import rules
from rules.watchlist import HEADER

ROWS = [
    ["T", "W-1", "shopee", "555001", "Tiệm Đồng Hồ Quang Vinh", "0912345678", "0312345678", "", "giả", "QĐ 1"],
    ["T", "W-2", "web", "", "Vape Khói Trắng", "", "", "khoitrang-pod.vn", "cấm", "QĐ 2"],
    ["T", "W-3", "facebook", "1000777", "Mỹ Phẩm Hằng Nga Auth", "", "", "", "giả", "QĐ 3"],
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> rules.Engine:
    path = tmp_path_factory.mktemp("wl") / "list.csv"
    lines = [",".join(HEADER)] + [",".join(row) for row in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rules.load(watchlists=[path])


def _hits(engine: rules.Engine, **kwargs: object) -> list[str]:
    listing = {"title": kwargs.pop("title", "Sản phẩm"), "description": kwargs.pop("description", ""), "price": 100000,
               "seller": {"id": "x:0", "name": "Người bán", **kwargs}}
    return [f.description for f in engine.match(listing) if f.category == "watchlist"]


def test_exact_shop_id(engine: rules.Engine) -> None:
    assert any("W-1" in d for d in _hits(engine, id="shopee:555001"))
    assert not _hits(engine, id="lazada:555001")  # same id, other source


def test_domain(engine: rules.Engine) -> None:
    assert any("W-2" in d for d in _hits(engine, id="web:www.khoitrang-pod.vn"))


@pytest.mark.parametrize("phone", ["0912 345 678", "+84 912 345 678", "0912.345.678", "84912345678"])
def test_phone_any_format(engine: rules.Engine, phone: str) -> None:
    assert any("W-1" in d for d in _hits(engine, phones=[phone]))


@pytest.mark.parametrize("text", ["Zalo 0912-345-678 để đặt hàng", "Hotline: (+84) 912-345-678", "(84) 912 345 678",
                                  "ĐT:0912345678", "sđt 0912.345.678 (Zalo)", "Zalo ０９１２ ３４５ ６７８"])
def test_phone_in_text(engine: rules.Engine, text: str) -> None:
    assert any("W-1" in d for d in _hits(engine, description=text))


def test_phone_in_title(engine: rules.Engine) -> None:
    assert any("W-1" in d for d in _hits(engine, title="Túi xách Zalo 0912.345.678", description="Hàng đẹp"))


@pytest.mark.parametrize("text", ["Công ty TNHH ABC – MST: 0312345678", "Đơn vị bán: ABC – MST 0312345678."])
def test_tax_code_in_footer(engine: rules.Engine, text: str) -> None:
    assert any("W-1" in d for d in _hits(engine, description=text))


@pytest.mark.parametrize("text", ["Số lượng 0312345678.5 tấn", "Mã 10312345678"])
def test_tax_code_inside_another_number_is_not_one(engine: rules.Engine, text: str) -> None:
    assert not _hits(engine, description=text)


@pytest.mark.parametrize(
    "name", ["Tiem Dong Ho Quang Vinh", "TiệmĐồngHồ.QuangVinh", "Tiệm Đồng Hồ Quang Vinh Official",
             "Quang Vinh Tiệm Đồng Hồ"]  # words reordered
)
def test_name_variants(engine: rules.Engine, name: str) -> None:
    assert any("W-1" in d for d in _hits(engine, name=name))


@pytest.mark.parametrize("name", ["Tiệm Bánh Hằng Nga", "Đồng Hồ Giá Sỉ", "Quang Vinh Điện Máy Xanh Lá Cây"])
def test_generic_or_personal_name_is_not_a_match(engine: rules.Engine, name: str) -> None:
    assert not _hits(engine, name=name)


def test_unlisted_phone_in_text_is_not_a_match(engine: rules.Engine) -> None:
    assert not _hits(engine, description="Zalo 0987 654 321, giao hàng toàn quốc")


def test_listed_phone_among_other_numbers(engine: rules.Engine) -> None:
    text = "Hotline 0987.654.321 hoặc (+84) 912-345-678, mã SP 123456789012"
    assert any("W-1" in d for d in _hits(engine, description=text))


@pytest.mark.parametrize("url", ["https://user@khoitrang-pod.vn:8443/p/1", "HTTPS://WWW.KhoiTrang-Pod.vn?x=1",
                                 "http://khoitrang-pod.vn#top"])
def test_domain_of_any_url_form(engine: rules.Engine, url: str) -> None:
    listing = {"title": "Sản phẩm", "url": url, "seller": {"id": "web:other.vn", "name": "Người bán"}}
    assert any("W-2" in f.description for f in engine.match(listing) if f.category == "watchlist")


def test_finding_says_in_vietnamese_how_the_seller_matched(engine: rules.Engine) -> None:
    assert any("khớp theo số điện thoại" in d for d in _hits(engine, phones=["0912 345 678"]))
