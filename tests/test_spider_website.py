"""Website spider end to end: NĐ 52/2013 compliance facts per domain, and changes noticed on the next crawl."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crawler.sandbox.websites import WebsitesSite
from tests.sandbox_plugin import CrawlEnv

FULL_FOOTER = "www.samsung.com"  # owner, address, phone, e-mail, tax code and a linked MOIT badge in the footer
ABOUT_PAGE = "bitis.com.vn"  # badge and hotline in the footer, the owner's details on its "Giới thiệu" page
FAKE_BADGE = "nuochoa-lumiere.vn"  # a self-hosted badge image linked to "#", nothing about the owner
PARTIAL = "ruouvanggiakho-hn.vn"  # an address only
BARE = "hanghieusieucap68.vn"  # a hotline only
LUMIERE = "http://nuochoa-lumiere.vn/products/"
DIOR = f"{LUMIERE}nuoc-hoa-nam-dior-sauvage-edt-100ml-chinh-hang"
CHANEL = f"{LUMIERE}nuoc-hoa-nam-bleu-de-chanel-edp-100ml"



def _crawl(env: CrawlEnv, *urls: str) -> None:
    result = env.qltt("crawl", "website", *[a for url in urls for a in ("--url", url)])
    assert result.returncode == 0, result.stderr[-3000:]


def _compliance(listing: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in listing.get("findings") or [] if f["category"] == "website_compliance"]


@pytest.fixture
def websites(crawl_env: CrawlEnv) -> Iterator[WebsitesSite]:
    site = next(s for s in crawl_env.sandbox.sites if isinstance(s, WebsitesSite))
    yield site
    site.reset()


def test_compliance_facts_are_stored_and_flag_each_non_compliant_site(crawl_env: CrawlEnv) -> None:
    _crawl(crawl_env, *(f"http://{host}/" for host in (FULL_FOOTER, ABOUT_PAGE, FAKE_BADGE, PARTIAL, BARE)))
    db = crawl_env.db()
    facts = {host: db.sellers.find_one({"_id": f"web:{host}"})["website"] for host in
             (FULL_FOOTER, ABOUT_PAGE, FAKE_BADGE, PARTIAL, BARE)}
    assert facts[FULL_FOOTER]["moit_badge"] == "linked" and facts[FULL_FOOTER]["missing"] == []
    assert facts[FULL_FOOTER]["moit_url"].startswith("http://online.gov.vn/Home/WebDetails/")
    assert facts[ABOUT_PAGE]["owner_name"] == "Công ty TNHH Biti's" and facts[ABOUT_PAGE]["missing"] == []
    assert crawl_env.sandbox.counts(ABOUT_PAGE)["/gioi-thieu"] == 1
    assert (facts[FAKE_BADGE]["moit_badge"], facts[FAKE_BADGE]["moit_url"]) == ("unlinked", "#")
    assert facts[PARTIAL]["moit_badge"] == "absent" and facts[PARTIAL]["address"] == "Hà Nội"
    assert facts[BARE]["phone"] == "+84931226470"

    by_site = {host: list(db.listings.find({"seller_id": f"web:{host}"})) for host in facts}
    assert all(by_site.values()), "every site has its listings stored"
    for host in (FULL_FOOTER, ABOUT_PAGE):
        assert not any(_compliance(d) for d in by_site[host]), host
    for host in (FAKE_BADGE, PARTIAL, BARE):
        for listing in by_site[host]:
            [finding] = _compliance(listing)
            assert listing["flag"] and "website_compliance" in listing["categories"]
            assert finding["legal_basis"] == "NĐ 52/2013/NĐ-CP, sửa đổi bởi NĐ 85/2021/NĐ-CP"
            assert "Thông báo Bộ Công Thương" in finding["description"]
            assert "Tên chủ sở hữu" in finding["description"] and "Mã số thuế / ĐKKD" in finding["description"]
    assert "không liên kết tới hồ sơ trên online.gov.vn" in _compliance(by_site[FAKE_BADGE][0])[0]["description"]
    [partial] = by_site[PARTIAL]
    assert "Địa chỉ" not in _compliance(partial)[0]["description"], "the address it shows is not reported missing"

    samsung = db.sellers.find_one({"_id": f"web:{FULL_FOOTER}"})
    assert {"email:cskh@samsung.com", "tax:0109002064", "domain:samsung.com"} <= set(samsung["identity_keys"])


def test_recrawl_notices_price_change_removal_and_return(crawl_env: CrawlEnv, websites: WebsitesSite) -> None:
    db = crawl_env.db()
    dior_id, chanel_id = (f"web:{url.removeprefix('http://')}" for url in (DIOR, CHANEL))
    _crawl(crawl_env, f"http://{FAKE_BADGE}/")
    assert db.listings.count_documents({"seller_id": f"web:{FAKE_BADGE}", "status": "active"}) == 5

    websites.mutate(DIOR, price=2_990_000)
    websites.mutate(CHANEL, removed=True)  # gone from the shop's pages; its own page answers 404
    _crawl(crawl_env, f"http://{FAKE_BADGE}/")
    dior = db.listings.find_one({"_id": dior_id})
    assert dior["price"] == 2_990_000 and [p["price"] for p in dior["price_history"]] == [3_250_000, 2_990_000]
    chanel = db.listings.find_one({"_id": chanel_id})
    assert chanel["status"] == "missing" and chanel["missing_since"] and chanel["title"]
    assert db.listings.count_documents({"seller_id": f"web:{FAKE_BADGE}", "status": "active"}) == 4

    _crawl(crawl_env, CHANEL)  # a tip pointing at the removed product
    chanel = db.listings.find_one({"_id": chanel_id})
    assert chanel["status"] == "gone" and chanel["gone_at"] and "missing_since" not in chanel
    assert chanel["status_history"][-1]["reason"] == "HTTP 404"
    last_run = db.runs.find_one({"spider": "website"}, sort=[("started_at", -1)])
    assert last_run.get("errors", []) == [], "a removed listing is not a crawl error"

    websites.reset()
    _crawl(crawl_env, f"http://{FAKE_BADGE}/")
    chanel = db.listings.find_one({"_id": chanel_id})
    assert chanel["status"] == "active" and "gone_at" not in chanel
    assert [e["status"] for e in chanel["status_history"]] == ["missing", "gone", "active"]
    assert [p["price"] for p in db.listings.find_one({"_id": dior_id})["price_history"]][-1] == 3_250_000


def test_a_crawl_with_a_failed_page_marks_nothing_missing(crawl_env: CrawlEnv, websites: WebsitesSite) -> None:
    _crawl(crawl_env, f"http://{FAKE_BADGE}/")
    crawl_env.sandbox.add_fault("500", "bleu-de-chanel")
    _crawl(crawl_env, f"http://{FAKE_BADGE}/")
    db = crawl_env.db()
    assert db.listings.count_documents({"seller_id": f"web:{FAKE_BADGE}", "status": "active"}) == 5
