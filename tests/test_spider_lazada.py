"""Lazada end to end: real ``qltt crawl lazada`` runs against the sandbox replica, into the embedded store."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from pymongo.database import Database

from crawler.exceptions import BlockedPage
from crawler.middlewares.useragent import USER_AGENTS
from crawler.sandbox.lazada import LazadaSite
from crawler.sandbox.server import Request
from spiders.lazada import store_slug
from spiders.pages.lazada import LazadaSearchPage, LazadaStorePage
from tests.sandbox_plugin import CrawlEnv, listing_ids, run_errors

HOST = "www.lazada.vn"
QUERY = "chính hãng đồng hồ"  # 17 hits in the replica: two pages of 10
# Written in the sandbox corpus as a clear offence / as plainly legitimate.
OMEGA_FAKE = "lazada:1000184532:1890899378"  # Omega "máy cơ" from a "xách tay" shop at a fraction of its price
HUBLOT_FAKE = "lazada:1003885701:2443592769"  # Hublot "chính hãng Thụy Sĩ" for 3.5 million
ORIENT = "lazada:1002143293:2329893093"  # Orient Official Store (LazMall), normal price
ORIENT_URL = (
    "https://www.lazada.vn/products/dong-ho-nam-orient-bambino-gen-2-ra-ac0m01b-automatic-i2329893093-s26067244271.html"
)
HUBLOT_PATH = "/products/dong-ho-hublot-big-bang-unico-titanium-44mm-chinh-hang-thuy-si-i2443592769-s12814920946.html"


@pytest.fixture
def stored(crawl_env: CrawlEnv) -> Database:
    return crawl_env.db()


def crawl(env: CrawlEnv, *args: str) -> None:
    result = env.qltt("crawl", "lazada", *args)
    assert result.returncode == 0, result.stderr[-3000:]



def test_search_pages_stores_listings_sellers_and_findings(crawl_env: CrawlEnv, stored: Database) -> None:
    crawl(crawl_env, "--query", QUERY, "--max-pages", "3")
    ids = listing_ids(stored)
    assert len(ids) == 17 and {OMEGA_FAKE, HUBLOT_FAKE, ORIENT} <= ids
    searches = [p for p in crawl_env.sandbox.counts(HOST) if p.startswith("/catalog/")]
    assert [parse_qs(urlsplit(p).query).get("ajax") for p in sorted(searches)] == [["true"], None]  # HTML, then ajax

    omega = stored.listings.find_one({"_id": OMEGA_FAKE})
    assert omega["flag"] and "counterfeit" in omega["categories"]
    assert all(f["rule_id"] and f["spans"] for f in omega["findings"])
    assert {"counterfeit", "price_anomaly"} <= set(stored.listings.find_one({"_id": HUBLOT_FAKE})["categories"])

    orient = stored.listings.find_one({"_id": ORIENT})
    assert not orient["flag"] and orient["price"] == 4590000 and orient["original_price"] == 5400000
    assert orient["url"] == ORIENT_URL and orient["category"] == "Đồng Hồ / Đồng Hồ Nam"
    assert "Orient Nhật Bản" in orient["description"]  # from the product page
    assert orient["location"] == "TP. Hồ Chí Minh"  # only the search card shows it

    seller = stored.sellers.find_one({"_id": "lazada:1002143293"})
    assert (seller["name"], seller["official"]) == ("Orient Official Store", True)
    assert seller["location"] == "TP. Hồ Chí Minh"
    assert seller["item_count"] == 1 and seller["url"] == "https://www.lazada.vn/shop/orient-official-store/"
    assert seller["extra"]["positive_rating"].endswith("%") and seller["extra"]["time_on_lazada"].endswith("years")
    assert stored.sellers.find_one({"_id": "lazada:1000184532"}).get("official") is not True

    # Politeness defaults: one desktop browser's user agent for the whole crawl, robots.txt not consulted.
    agents = {r.headers.get("user-agent") for r in crawl_env.sandbox.requests}
    assert len(agents) == 1 and agents <= set(USER_AGENTS)
    assert "/robots.txt" not in crawl_env.sandbox.counts(HOST)
    run = stored.runs.find_one({"spider": "lazada"})
    assert run["status"] == "finished" and run["counts"]["created"] == 17 and not run.get("errors")


def test_a_single_product_url(crawl_env: CrawlEnv, stored: Database) -> None:
    crawl(crawl_env, "--url", f"{ORIENT_URL}?spm=a2o4n.searchlist.list.1&search=1")
    assert listing_ids(stored) == {ORIENT}
    seller = stored.sellers.find_one({"_id": "lazada:1002143293"})
    assert seller["official"] is True and seller["item_count"] == 1  # the store page was read for its size


def test_a_store_url_crawls_its_catalogue(crawl_env: CrawlEnv, stored: Database) -> None:
    crawl(crawl_env, "--url", "https://www.lazada.vn/shop/phu-kien-tablet-minh-anh/")
    assert listing_ids(stored) == {"lazada:1002649028:2001289930", "lazada:1002649028:1947992245"}
    seller = stored.sellers.find_one({"_id": "lazada:1002649028"})
    assert seller["name"] == "Phụ Kiện Tablet Minh Anh" and seller["item_count"] == 2


def test_punish_page_is_a_blocked_run_error_never_a_listing(crawl_env: CrawlEnv, stored: Database) -> None:
    crawl_env.sandbox.add_fault("block", "ajax=true&page=2")  # the ajax JSON pointing at the punish page
    crawl_env.sandbox.add_fault("block", HUBLOT_PATH)  # the HTML slider captcha
    crawl(crawl_env, "--query", QUERY)
    ids = listing_ids(stored)
    assert len(ids) == 9 and HUBLOT_FAKE not in ids  # page 1's ten products but the blocked one
    blocked = {(e["url"], e["kind"], e["status"]) for e in run_errors(stored, "lazada")}
    assert (f"http://{HOST}{HUBLOT_PATH}", "blocked", 200) in blocked
    assert any("ajax=true&page=2" in url and kind == "blocked" for url, kind, _ in blocked)
    assert len(blocked) == 2
    assert stored.runs.find_one({"spider": "lazada"})["stats"]["qltt/page/blocked_count"] == 2


def test_an_empty_result_ends_paging_cleanly(crawl_env: CrawlEnv, stored: Database) -> None:
    crawl(crawl_env, "--query", "zzqxjw")
    assert listing_ids(stored) == set()
    assert sum(crawl_env.sandbox.counts(HOST).values()) == 1
    run = stored.runs.find_one({"spider": "lazada"})
    assert run["status"] == "finished" and not run.get("errors")


def test_replica_punishes_a_client_that_keeps_going() -> None:
    site = LazadaSite(punish_after=1)
    search = Request("GET", HOST, "/catalog/?q=sữa&page=1", {"q": ["sữa"], "page": ["1"]}, {})
    first, second = site.handle(search), site.handle(search)
    assert first is not None and second is not None
    LazadaSearchPage(f"https://{HOST}/catalog/?q=sua", first.body).to_items()
    with pytest.raises(BlockedPage):
        LazadaSearchPage(f"https://{HOST}/catalog/?q=sua", second.body).to_items()


def test_store_page_tells_the_stores_size() -> None:
    reply = LazadaSite().handle(
        Request("GET", HOST, "/phu-kien-tablet-minh-anh/?ajax=true&from=wangpu&q=All-Products&page=1",
                {"ajax": ["true"], "from": ["wangpu"], "q": ["All-Products"], "page": ["1"]}, {})
    )
    assert reply is not None
    seller = LazadaStorePage(f"https://{HOST}/phu-kien-tablet-minh-anh/?ajax=true", reply.body).seller()
    assert seller is not None and (seller.shop_id, seller.item_count) == ("1002649028", 2)


@pytest.mark.parametrize(
    ("value", "slug"),
    [
        ("zinus-official-store", "zinus-official-store"),
        ("https://www.lazada.vn/shop/zinus-official-store/?itemId=1&channelSource=pdp", "zinus-official-store"),
        ("https://www.lazada.vn/zinus-official-store/?q=All-Products&from=wangpu", "zinus-official-store"),
        ("https://www.lazada.vn/catalog/?q=x&from=wangpu", None),
        ("https://www.lazada.vn/products/nha-gia-kim-i132621522-s133154361.html", None),
        ("https://www.lazada.vn/zinus-official-store/", None),  # a brand or category page, not a store tab
    ],
)
def test_store_slug_of_shop_arguments_and_urls(value: str, slug: str | None) -> None:
    assert store_slug(value) == slug
