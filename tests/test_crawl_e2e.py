"""End-to-end: real crawls of the sandbox through the whole pipeline into the embedded store."""

from __future__ import annotations

import json

from tests.sandbox_plugin import CrawlEnv

# Written in the sandbox corpus as a clear offence / as plainly legitimate.
DW_UNDER_FLOOR = "tiki:196765:299280481"  # Daniel Wellington "chính hãng" at a fraction of its price
APTAMIL_GREY = "tiki:550903:118551721"  # "Nội Địa Đức": unknown-origin import
NINTENDO_OFFICIAL = "tiki:1:235400868"  # Tiki Trading, normal price



def test_tiki_crawl_stores_and_flags(crawl_env: CrawlEnv) -> None:
    result = crawl_env.qltt("crawl", "tiki", "--query", "đồng hồ", "--query", "sữa", "--query", "máy chơi game")
    assert result.returncode == 0, result.stderr[-3000:]
    db = crawl_env.db()
    ids = {d["_id"] for d in db.listings.find({}, {"_id": 1})}
    assert {DW_UNDER_FLOOR, APTAMIL_GREY, NINTENDO_OFFICIAL} <= ids
    dw = db.listings.find_one({"_id": DW_UNDER_FLOOR})
    assert dw["flag"] and "counterfeit" in dw["categories"]
    assert all(f["rule_id"] and f["spans"] for f in dw["findings"])
    assert "origin" in db.listings.find_one({"_id": APTAMIL_GREY})["categories"]
    nintendo = db.listings.find_one({"_id": NINTENDO_OFFICIAL})
    assert not nintendo["flag"] and nintendo["price"] > 0 and nintendo["seller_id"] == "tiki:1"
    seller = db.sellers.find_one({"_id": "tiki:1"})
    assert seller["name"] == "Tiki Trading" and seller["official"] is True and seller["followers"] > 0
    run = db.runs.find_one({"spider": "tiki"})
    assert run["status"] == "finished" and run["counts"]["created"] == len(ids)


def test_recrawl_is_idempotent(crawl_env: CrawlEnv) -> None:
    args = ("crawl", "tiki", "--query", "sữa", "--query", "tai nghe")
    assert crawl_env.qltt(*args).returncode == 0
    db = crawl_env.db()
    before = {d["_id"]: d for d in db.listings.find()}
    assert crawl_env.qltt(*args).returncode == 0
    after = {d["_id"]: d for d in db.listings.find()}
    assert after.keys() == before.keys()
    for key, doc in after.items():
        assert doc.pop("last_seen") >= before[key].pop("last_seen")
        assert doc == before[key]
    runs = list(db.runs.find().sort("started_at", 1))
    assert runs[-1]["counts"]["unchanged"] == len(after) and runs[-1]["counts"]["created"] == 0


def test_website_crawl_reads_every_markup(crawl_env: CrawlEnv) -> None:
    hosts = ["nuochoa-lumiere.vn", "ruouvang-sommelier.vn", "donghochinhhang-tanphat.vn", "hanghieusieucap68.vn"]
    urls = [arg for host in hosts for arg in ("--url", f"http://{host}/")]
    result = crawl_env.qltt("crawl", "website", *urls)
    assert result.returncode == 0, result.stderr[-3000:]
    db = crawl_env.db()
    by_seller = {h: db.listings.count_documents({"seller_id": f"web:{h}"}) for h in hosts}
    assert by_seller == {"nuochoa-lumiere.vn": 5, "ruouvang-sommelier.vn": 4, "donghochinhhang-tanphat.vn": 4,
                         "hanghieusieucap68.vn": 2}
    assert all(d["price"] and d["title"] for d in db.listings.find())
    assert db.listings.count_documents({"seller_id": "web:hanghieusieucap68.vn", "flag": True}) == 2
    site = db.sellers.find_one({"_id": "web:ruouvang-sommelier.vn"})
    assert site["name"] == "Sommelier Wine Cellar" and "domain:ruouvang-sommelier.vn" in site["identity_keys"]


def test_bad_responses_are_logged_and_nothing_is_lost(crawl_env: CrawlEnv) -> None:
    sandbox = crawl_env.sandbox
    assert crawl_env.qltt("crawl", "tiki", "--query", "sữa").returncode == 0
    stored = {d["_id"] for d in crawl_env.db().listings.find({}, {"_id": 1})}
    sandbox.add_fault("malformed-json", "q=%C4%91%E1%BB%93ng")  # the "đồng hồ" search page
    sandbox.add_fault("500", "/api/v2/products/235400868")  # one product detail, every retry
    sandbox.add_fault("429", "/api/v2/products/130094011", times=1)  # throttled once, then fine
    sandbox.add_fault("non-utf8", "nuochoa-lumiere.vn/products/nuoc-hoa-nam-bleu")
    result = crawl_env.qltt("crawl", "tiki", "--query", "đồng hồ", "--query", "máy", "--query", "sữa")
    assert result.returncode == 0, result.stderr[-3000:]
    result_web = crawl_env.qltt("crawl", "website", "--url", "http://nuochoa-lumiere.vn/")
    assert result_web.returncode == 0, result_web.stderr[-3000:]
    db = crawl_env.db()
    ids = {d["_id"] for d in db.listings.find({}, {"_id": 1})}
    assert stored <= ids, "a failing crawl must not lose what was stored"
    assert "tiki:1:235400868" not in ids and "tiki:1:130094011" in ids
    errors = [e for run in db.runs.find({"spider": "tiki"}) for e in run.get("errors", [])]
    kinds = {(e["kind"], e.get("status")) for e in errors}
    assert ("parse", 200) in kinds and ("http", 500) in kinds
    assert "malformed JSON" in result.stderr
    cp1258 = db.listings.find_one({"_id": "web:nuochoa-lumiere.vn/products/nuoc-hoa-nam-bleu-de-chanel-edp-100ml"})
    assert cp1258["title"] == "Nước hoa Chanel No.5 100ml" and cp1258["price"] == 1250000


def test_listings_json_shows_findings(crawl_env: CrawlEnv) -> None:
    assert crawl_env.qltt("crawl", "tiki", "--query", "đồng hồ").returncode == 0
    result = crawl_env.qltt("listings", "--flagged", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    listed = json.loads(result.stdout)
    assert DW_UNDER_FLOOR in {d["_id"] for d in listed} and all(d["flag"] for d in listed)
    finding = listed[0]["findings"][0]
    assert {"rule_id", "category", "severity", "legal_basis", "spans"} <= finding.keys()
    assert finding["spans"][0]["text"]


def test_single_product_url(crawl_env: CrawlEnv) -> None:
    result = crawl_env.qltt("crawl", "tiki", "--url", "https://tiki.vn/dong-ho-nam-p130094011.html?spid=130094012")
    assert result.returncode == 0, result.stderr[-3000:]
    db = crawl_env.db()
    assert [d["_id"] for d in db.listings.find({}, {"_id": 1})] == ["tiki:1:130094011"]
    assert db.sellers.count_documents({}) == 1
    assert sum(crawl_env.sandbox.counts("tiki.vn").values()) == 1, "one product request, no search"
