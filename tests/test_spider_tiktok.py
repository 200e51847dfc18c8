"""TikTok Shop end to end: the rendering spider against the sandbox replica, through the real CLI."""

from __future__ import annotations

import urllib.request

import pytest

from crawler.exceptions import NotAListingPage
from crawler.sandbox import Sandbox
from spiders.pages.tiktok import TiktokProductPage
from tests.sandbox_plugin import CrawlEnv

# Written in the sandbox corpus as a clear offence / as plainly legitimate.
YSL_DECANT = "tiktok:7490937668023616:1783459470662338519"  # "Nước Hoa Nữ YSL Libre" at 390.000 ₫ from a decant shop
HEETS = "tiktok:7496960337629154:1743211678843099790"  # heated-tobacco sticks: banned goods
LOREAL = "tiktok:7499446840310428:1762177879793457261"  # L'Oréal Paris Official Store (Mall)
YSL_URL = "https://www.tiktok.com/shop/vn/pdp/nuoc-hoa-nu-ysl-libre-edp-90ml-fullbox-thom-lau/1783459470662338519"



def test_plain_http_gets_no_data(fresh_sandbox: Sandbox) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": fresh_sandbox.proxy_url}))
    with opener.open(YSL_URL.replace("https://", "http://"), timeout=10) as reply:
        body = reply.read()
    assert b"__MODERN_ROUTER_DATA__" not in body and b"location.replace" in body  # the firewall's script challenge
    with pytest.raises(NotAListingPage):
        TiktokProductPage(YSL_URL, body).to_items()


def test_search_stores_listings_sellers_and_findings(crawl_env: CrawlEnv) -> None:
    result = crawl_env.qltt("crawl", "tiktok", "--query", "nước hoa", "--query", "làm đẹp", "--query", "thuốc",
                            "--max-pages", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    db = crawl_env.db()
    ids = {d["_id"] for d in db.listings.find({}, {"_id": 1})}
    assert {YSL_DECANT, HEETS, LOREAL} <= ids
    ysl = db.listings.find_one({"_id": YSL_DECANT})
    assert ysl["flag"] and "counterfeit" in ysl["categories"] and ysl["price"] == 390_000
    assert ysl["description"] and ysl["url"].endswith("/1783459470662338519")
    assert {ref["kind"] for ref in ysl["evidence"]} == {"warc", "screenshot"}
    assert "banned" in db.listings.find_one({"_id": HEETS})["categories"]
    assert not db.listings.find_one({"_id": LOREAL})["flag"]
    mall = db.sellers.find_one({"_id": "tiktok:7499446840310428"})
    assert (mall["name"], mall["official"], mall["location"]) == ("L'Oréal Paris Official Store", True,
                                                                  "TP. Hồ Chí Minh")
    assert mall["followers"] > 100_000
    decant = db.sellers.find_one({"_id": "tiktok:7490937668023616"})
    assert (decant["official"], decant["location"]) == (False, "Bình Dương") and decant["followers"] > 0
    searched = [p for p in crawl_env.sandbox.counts("www.tiktok.com") if p.startswith("/shop/vn/s/")]
    assert any("offset=10" in p for p in searched), "the second page of a query with more than one page"
    run = db.runs.find_one({"spider": "tiktok"})
    assert run["status"] == "finished" and not run.get("errors") and run["counts"]["created"] == len(ids)


def test_single_product_url(crawl_env: CrawlEnv) -> None:
    result = crawl_env.qltt("crawl", "tiktok", "--url", "https://www.tiktok.com/view/product/1783459470662338519")
    assert result.returncode == 0, result.stderr[-3000:]
    db = crawl_env.db()
    assert [d["_id"] for d in db.listings.find({}, {"_id": 1})] == [YSL_DECANT]
    assert db.listings.find_one({"_id": YSL_DECANT})["flag"]


def test_captcha_is_a_run_error_and_gives_no_items(crawl_env: CrawlEnv) -> None:
    crawl_env.sandbox.add_fault("block", "www.tiktok.com/")
    result = crawl_env.qltt("crawl", "tiktok", "--query", "nước hoa", "--url", YSL_URL)
    assert result.returncode == 0, result.stderr[-3000:]
    db = crawl_env.db()
    assert db.listings.count_documents({}) == 0
    errors = db.runs.find_one({"spider": "tiktok"})["errors"]
    assert len(errors) == 2 and {e["kind"] for e in errors} == {"blocked"}
