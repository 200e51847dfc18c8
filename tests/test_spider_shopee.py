"""Shopee end to end: the browser-driven spider against the sandbox replica, through the real CLI."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from crawler.sandbox import Sandbox
from tests.sandbox_plugin import CrawlEnv

# Written in the sandbox corpus as a clear offence / as plainly legitimate.
GUCCI_BELT = "shopee:53913943:1210230408"  # "Thắt Lưng Nam Gucc! Khóa GG" at 189.000 ₫
FAKE_AIRPODS = "shopee:245611098:2584029108"  # "Tai Nghe Bluetooth Pro 2 Hổ Vằn", a clone
SONY_XM5 = "shopee:875071634:2487698433"  # Sony Official Store (Mall), 7.490.000 ₫
APPLE_AIRPODS = "shopee:259917941:10483366828"  # Apple Flagship Store
GUCCI_BELT_URL = "https://shopee.vn/that-lung-nam-gucc-khoa-gg-ma-vang-day-da-cao-cap-kem-hop-qua-i.53913943.1210230408"
SEARCH_API = "http://shopee.vn/api/v4/search/search_items?by=relevancy&keyword=nike&limit=60&newest=0&order=desc" \
             "&page_type=search&scenario=PAGE_GLOBAL_SEARCH&version=2"



def _plain_get(sandbox: Sandbox, url: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": sandbox.proxy_url}))
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize(("headers", "status"), [({}, 403), ({"x-api-source": "pc"}, 200)])
def test_plain_http_gets_the_antibot_answer(fresh_sandbox: Sandbox, headers: dict[str, str], status: int) -> None:
    got_status, body = _plain_get(fresh_sandbox, SEARCH_API, headers)
    assert (got_status, body["error"], body["action_type"]) == (status, 90309999, 2)
    assert "items" not in body


def test_search_stores_listings_sellers_and_findings(crawl_env: CrawlEnv) -> None:
    result = crawl_env.qltt("crawl", "shopee", "--query", "thắt lưng", "--query", "tai nghe", "--query", "nam",
                            "--max-pages", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    db = crawl_env.db()
    ids = {d["_id"] for d in db.listings.find({}, {"_id": 1})}
    assert {GUCCI_BELT, FAKE_AIRPODS, SONY_XM5, APPLE_AIRPODS} <= ids
    belt = db.listings.find_one({"_id": GUCCI_BELT})
    assert belt["flag"] and "counterfeit" in belt["categories"] and belt["price"] == 189_000
    assert belt["original_price"] == 450_000 and belt["description"].startswith("Dây da bò")
    assert belt["url"].startswith("https://shopee.vn/") and belt["url"].endswith("-i.53913943.1210230408")
    assert {ref["kind"] for ref in belt["evidence"]} == {"warc", "screenshot"}
    sony = db.listings.find_one({"_id": SONY_XM5})
    assert not sony["flag"] and sony["price"] == 7_490_000 and sony["seller_id"] == "shopee:875071634"
    mall = db.sellers.find_one({"_id": "shopee:875071634"})
    assert (mall["name"], mall["official"], mall["location"]) == ("Sony Official Store", True, "TP. Hồ Chí Minh")
    assert mall["followers"] > 100_000 and mall["joined"]
    small = db.sellers.find_one({"_id": "shopee:53913943"})
    assert (small["official"], small["location"]) == (False, "Hà Nội") and small["followers"] > 0
    searched = [p for p in crawl_env.sandbox.counts("shopee.vn") if p.startswith("/api/v4/search/search_items")]
    assert sum("keyword=nam&" in p for p in searched) == 2, "two pages of a query with more than one page"
    run = db.runs.find_one({"spider": "shopee"})
    assert run["status"] == "finished" and not run.get("errors") and run["counts"]["created"] == len(ids)


def test_item_and_shop_urls(crawl_env: CrawlEnv) -> None:
    removed = "https://shopee.vn/ao-thun-i.53913943.999"  # get_pc answers error 4 without data: the item is gone
    result = crawl_env.qltt("crawl", "shopee", "--url", GUCCI_BELT_URL, "--url", "https://shopee.vn/sony.official.store",
                            "--url", removed)
    assert result.returncode == 0, result.stderr[-3000:]
    db = crawl_env.db()
    ids = {d["_id"] for d in db.listings.find({}, {"_id": 1})}
    assert ids == {GUCCI_BELT, SONY_XM5}
    assert db.listings.find_one({"_id": GUCCI_BELT})["flag"]
    shop = db.sellers.find_one({"_id": "shopee:875071634"})
    assert shop["official"] is True and shop["item_count"] >= 1 and shop["url"] == "https://shopee.vn/sony.official.store"
    run = db.runs.find_one({"spider": "shopee"})
    assert not run.get("errors"), "a removed item is not a failure"


def test_block_is_a_run_error_and_gives_no_items(crawl_env: CrawlEnv) -> None:
    crawl_env.sandbox.add_fault("block", "shopee.vn/that-lung")  # the page goes to /verify/traffic
    crawl_env.sandbox.add_fault("block", "shopee.vn/api/v4/search/")  # the page's API call gets error 90309999
    result = crawl_env.qltt("crawl", "shopee", "--query", "tai nghe", "--url", GUCCI_BELT_URL)
    assert result.returncode == 0, result.stderr[-3000:]
    db = crawl_env.db()
    assert db.listings.count_documents({}) == 0
    errors = db.runs.find_one({"spider": "shopee"})["errors"]
    assert {e["kind"] for e in errors} == {"blocked"}
    assert sorted(e["url"].split("?")[0] for e in errors) == [
        "http://shopee.vn/api/v4/search/search_items", "http://shopee.vn/verify/traffic"]
