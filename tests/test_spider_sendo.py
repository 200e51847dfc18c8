"""Sendo end to end: real ``qltt crawl sendo`` runs against the sandbox replica of its JSON APIs."""

from __future__ import annotations

import pytest
from pymongo.database import Database

from crawler.sandbox.sendo import shop_phone
from spiders.sendo import shop_id, url_key
from tests.sandbox_plugin import CrawlEnv, listing_ids, run_errors

SEARCH, DETAIL, SHOP = "searchlist-api.sendo.vn", "detail-api.sendo.vn", "shop-home.sendo.vn"
# Written in the sandbox corpus as clear offences / as plainly legitimate.
GUCCI_TEE = "sendo:2298722:176546049"  # "Áo thun Gucci ... hàng Quảng Châu loại 1"
HELMET_COPY = "sendo:2516002:273071360"  # helmet "giống 99%"
PROTEC = "sendo:1444362:173016812"  # Protec Official, certified helmet
GUCCI_URL = "https://www.sendo.vn/ao-thun-nam-gucci-in-logo-ran-cotton-cao-cap-176546049.html"


@pytest.fixture
def stored(crawl_env: CrawlEnv) -> Database:
    return crawl_env.db()


def crawl(env: CrawlEnv, *args: str) -> None:
    result = env.qltt("crawl", "sendo", *args)
    assert result.returncode == 0, result.stderr[-3000:]



def e164(phone: str) -> str:
    return "+84" + phone.removeprefix("0")


def test_search_stores_listings_shops_with_phones_and_findings(crawl_env: CrawlEnv, stored: Database) -> None:
    crawl(crawl_env, "--query", "mũ bảo hiểm", "--query", "gucci")
    ids = listing_ids(stored)
    assert {GUCCI_TEE, HELMET_COPY, PROTEC} <= ids and len(ids) == 6

    gucci = stored.listings.find_one({"_id": GUCCI_TEE})
    assert gucci["flag"] and "counterfeit" in gucci["categories"] and gucci["findings"][0]["spans"]
    assert gucci["url"] == GUCCI_URL and gucci["price"] == 120000 and gucci["original_price"] == 250000
    assert "counterfeit" in stored.listings.find_one({"_id": HELMET_COPY})["categories"]
    protec = stored.listings.find_one({"_id": PROTEC})
    assert not protec["flag"] and protec["category"] == "Ô Tô - Xe Máy / Mũ Bảo Hiểm"

    shop = stored.sellers.find_one({"_id": "sendo:2298722"})
    phone = e164(shop_phone(2298722))
    assert shop["phones"] == [phone] and f"phone:{phone}" in shop["identity_keys"]
    assert (shop["name"], shop["official"], shop["location"]) == (
        "Thời Trang Nam Quảng Châu Hoàng Phúc", False, "TP. Hồ Chí Minh")
    assert 3.8 <= shop["rating"] <= 5.0 and shop["item_count"] == 1 and shop["extra"]["on_sendo"].endswith("năm")
    mall = stored.sellers.find_one({"_id": "sendo:1444362"})
    assert mall["official"] is True and mall["phones"] == [e164(shop_phone(1444362))]

    # Paging stops at the first empty page (5 helmets fit on page 1, page 2 is empty, page 3 is never asked).
    pages = sorted(p.split("&page=")[1].split("&")[0] for p in crawl_env.sandbox.counts(SEARCH) if "q=m%C5%A9" in p)
    assert pages == ["1", "2"]
    run = stored.runs.find_one({"spider": "sendo"})
    assert run["status"] == "finished" and not run.get("errors")


def test_a_single_product_url(crawl_env: CrawlEnv, stored: Database) -> None:
    crawl(crawl_env, "--url", f"{GUCCI_URL}?source_block_id=feed&source_page_id=home")
    assert listing_ids(stored) == {GUCCI_TEE}
    assert list(crawl_env.sandbox.counts(DETAIL)) == ["/full/ao-thun-nam-gucci-in-logo-ran-cotton-cao-cap-176546049"]
    assert stored.sellers.find_one({"_id": "sendo:2298722"})["phones"] == [e164(shop_phone(2298722))]


def test_a_shop_catalogue(crawl_env: CrawlEnv, stored: Database) -> None:
    crawl(crawl_env, "--shop", "1854215")
    assert listing_ids(stored) == {"sendo:1854215:232061996", "sendo:1854215:281886184"}
    shop = stored.sellers.find_one({"_id": "sendo:1854215"})
    assert shop["name"] == "Tạp Hóa Nhà Mình" and shop["item_count"] == 2 and shop["location"] == "Hà Nội"


def test_challenge_pages_are_blocked_run_errors_never_listings(crawl_env: CrawlEnv, stored: Database) -> None:
    crawl_env.sandbox.add_fault("block", "/full/mu-bao-hiem-non-son-3-4-dau-hang-loai-1")  # one product detail
    crawl_env.sandbox.add_fault("block", "q=gucci")  # a whole search
    crawl(crawl_env, "--query", "mũ bảo hiểm", "--query", "gucci")
    ids = listing_ids(stored)
    assert len(ids) == 4 and HELMET_COPY not in ids and GUCCI_TEE not in ids
    blocked = [(e["url"], e["kind"], e["status"]) for e in run_errors(stored, "sendo")]
    assert len(blocked) == 2 and all(kind == "blocked" and status == 403 for _, kind, status in blocked)
    urls = sorted(url for url, _, _ in blocked)
    assert urls[0].startswith(f"http://{DETAIL}/full/mu-bao-hiem-non-son-3-4-dau-hang-loai-1-giong-99")
    assert urls[1].startswith(f"http://{SEARCH}/web/products?q=gucci")


def test_an_empty_search_ends_cleanly(crawl_env: CrawlEnv, stored: Database) -> None:
    crawl(crawl_env, "--query", "zzqxjw")
    assert listing_ids(stored) == set() and sum(crawl_env.sandbox.counts().values()) == 1
    assert not run_errors(stored, "sendo")


@pytest.mark.parametrize(
    ("url", "key"),
    [(GUCCI_URL, "ao-thun-nam-gucci-in-logo-ran-cotton-cao-cap-176546049"),
     (f"{GUCCI_URL}?source_page_id=shop_home", "ao-thun-nam-gucci-in-logo-ran-cotton-cao-cap-176546049"),
     ("https://www.sendo.vn/shop/vivan-official-store", None)],
)
def test_url_key_of_product_urls(url: str, key: str | None) -> None:
    assert url_key(url) == key


@pytest.mark.parametrize(
    ("value", "ident"),
    [("717078", "717078"), ("https://www.sendo.vn/tim-kiem?seller_admin_id=717078&sortType=norder_30_desc", "717078"),
     ("vivan-official-store", None)],
)
def test_shop_id_of_shop_arguments(value: str, ident: str | None) -> None:
    assert shop_id(value) == ident
