"""Facebook spider end to end: real ``qltt crawl facebook`` runs against the sandbox replica of m.facebook.com."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler.sandbox.facebook import FacebookSite
from spiders.pages.facebook import Target, parse_target
from tests.sandbox_plugin import CrawlEnv

HABITS_GROUP = "https://www.facebook.com/groups/1425367890123456/"
LV_1TR2 = "facebook:1425367890123456:1425399911112222"  # "Giá pass 1tr2", phone + "zalo 0912.345.678"
ROLEX_IB = "facebook:1425367890123456:1425388800001111"  # "Rolex Daytona Rep 1:1 ... Ib giá", "Zalo: 0987654321"
DIOR_350K = "facebook:1425367890123456:1425377700002222"  # "chỉ 350k"
SUPER_FAKE = "https://www.facebook.com/groups/557120398844216/posts/231325399851431/"
SUPER_FAKE_ID = "facebook:557120398844216:231325399851431"  # corpus: "Rolex Day-Date ... super fake", LH phone
MOTHERS_GROUP = "https://www.facebook.com/groups/1127364058813447/"  # 7 posts, 3 feed pages



def _ok(env: CrawlEnv, *args: str) -> None:
    result = env.qltt("crawl", "facebook", *args)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture
def facebook(crawl_env: CrawlEnv) -> Iterator[FacebookSite]:
    site = next(s for s in crawl_env.sandbox.sites if isinstance(s, FacebookSite))
    yield site
    site.reset()


def test_group_feed_posts_become_social_listings_with_seller_contacts(crawl_env: CrawlEnv) -> None:
    _ok(crawl_env, "--url", HABITS_GROUP, "--url", SUPER_FAKE)
    db = crawl_env.db()
    assert {d["_id"] for d in db.listings.find({}, {"_id": 1})} == {LV_1TR2, ROLEX_IB, DIOR_350K, SUPER_FAKE_ID}
    lv, rolex, dior = (db.listings.find_one({"_id": i}) for i in (LV_1TR2, ROLEX_IB, DIOR_350K))
    assert all(d["kind"] == "social" and d["source"] == "facebook" for d in (lv, rolex, dior))
    assert (lv["price"], lv["extra"]["price_text"]) == (1_200_000, "1tr2")
    assert (dior["price"], dior["extra"]["price_text"]) == (350_000, "350k")
    assert rolex["price"] is None and rolex["extra"]["price_text"] == "ib giá"
    assert lv["url"] == "https://www.facebook.com/groups/1425367890123456/permalink/1425399911112222/"
    assert lv["posted_at"] == "2026-11-20T05:00:00+00:00" and lv["extra"]["group_id"] == "1425367890123456"
    assert lv["seller_id"] == "facebook:100012345678901", "the author is the seller, not the group"
    seller = db.sellers.find_one({"_id": "facebook:100012345678901"})
    assert seller["name"] == "Ngọc Trâm Nguyễn" and seller["phones"] == ["+84909123456", "+84912345678"]
    assert {"phone:+84909123456", "phone:+84912345678"} <= set(seller["identity_keys"])
    assert lv["extra"]["zalo"] == ["+84912345678"]
    assert db.sellers.find_one({"_id": "facebook:100087654321098"})["phones"] == ["+84987654321"]
    fake = db.listings.find_one({"_id": SUPER_FAKE_ID})
    assert fake["flag"] and "counterfeit" in fake["categories"] and fake["price"] == 9_500_000
    assert db.sellers.find_one({"_id": fake["seller_id"]})["phones"] == ["+84904337219"]
    assert "counterfeit" in rolex["categories"]


def test_since_skips_older_posts_and_stops_paging(crawl_env: CrawlEnv) -> None:
    _ok(crawl_env, "--url", MOTHERS_GROUP, "--since", "2026-11-01")
    stored = {d["_id"].split(":")[-1] for d in crawl_env.db().listings.find({}, {"_id": 1})}
    assert stored == {"3897460328988389", "1122612793191126", "1211763701633708", "397268952305735"}
    feed_pages = [p for p in crawl_env.sandbox.counts("m.facebook.com") if p.startswith("/groups/1127364058813447")]
    assert len(feed_pages) == 2, f"page 3 holds only older posts and must not be fetched: {feed_pages}"


def test_a_group_id_as_shop_follows_see_more_up_to_max_pages(crawl_env: CrawlEnv) -> None:
    _ok(crawl_env, "--shop", "1127364058813447", "--max-pages", "2")
    assert crawl_env.db().listings.count_documents({"extra.group_id": "1127364058813447"}) == 6  # 3 per page
    fetched = sorted(crawl_env.sandbox.counts("m.facebook.com"))
    assert fetched[0] == "/1127364058813447/" and fetched[1] == "/groups/1127364058813447/", "redirected to the group"
    assert len(fetched) == 3 and "bacr=" in fetched[2], "page 3 is beyond --max-pages"


def test_login_wall_is_a_blocked_run_error_and_gives_no_items(crawl_env: CrawlEnv) -> None:
    crawl_env.sandbox.add_fault("block", "m.facebook.com/groups/557120398844216")
    _ok(crawl_env, "--url", "https://www.facebook.com/groups/557120398844216/")
    db = crawl_env.db()
    assert db.listings.count_documents({}) == 0
    [run] = db.runs.find({"spider": "facebook"})
    assert [(e["kind"], e["url"]) for e in run["errors"]] == [
        ("blocked", "http://m.facebook.com/groups/557120398844216/")
    ]
    assert "login wall" in run["errors"][0]["reason"]


def test_single_post_url_and_a_removed_post_is_kept_as_gone(crawl_env: CrawlEnv, facebook: FacebookSite) -> None:
    _ok(crawl_env, "--url", SUPER_FAKE)
    db = crawl_env.db()
    assert [d["_id"] for d in db.listings.find()] == [SUPER_FAKE_ID]
    assert crawl_env.sandbox.counts("m.facebook.com") == {"/groups/557120398844216/permalink/231325399851431/": 1}
    facebook.mutate("231325399851431", removed=True)
    _ok(crawl_env, "--url", SUPER_FAKE)
    gone = db.listings.find_one({"_id": SUPER_FAKE_ID})
    assert gone["status"] == "gone" and gone["gone_at"] and gone["flag"], "a removed post stays as evidence"
    assert [e["status"] for e in gone["status_history"]] == ["gone"]
    assert db.runs.find_one({"spider": "facebook"}, sort=[("started_at", -1)]).get("errors", []) == []
    facebook.reset()
    _ok(crawl_env, "--url", SUPER_FAKE)
    back = db.listings.find_one({"_id": SUPER_FAKE_ID})
    assert back["status"] == "active" and "gone_at" not in back
    assert [e["status"] for e in back["status_history"]] == ["gone", "active"]


def test_a_page_id_as_shop_reads_the_page_feed(crawl_env: CrawlEnv) -> None:
    _ok(crawl_env, "--shop", "100089234561782")
    db = crawl_env.db()
    ids = sorted(d["_id"] for d in db.listings.find())
    assert ids == ["facebook:100089234561782:1041368200604746", "facebook:100089234561782:197259532337264"]
    page = db.sellers.find_one({"_id": "facebook:100089234561782"})
    assert page["name"] == "Vape Pod Sài Gòn Giá Sỉ" and "phone:+84378912450" in page["identity_keys"]


@pytest.mark.parametrize(
    ("ref", "target"),
    [
        (SUPER_FAKE, Target("post", "/groups/557120398844216/permalink/231325399851431/", "231325399851431",
                            "557120398844216")),
        ("https://www.facebook.com/permalink.php?story_fbid=292409404941212&id=100085677730129",
         Target("post", "/story.php?story_fbid=292409404941212&id=100085677730129", "292409404941212",
                "100085677730129")),
        ("https://m.facebook.com/groups/1127364058813447/?refid=18", Target("feed", "/groups/1127364058813447/",
                                                                           feed="1127364058813447")),
        ("https://www.facebook.com/profile.php?id=100089234561782", Target("feed", "/profile.php?id=100089234561782",
                                                                          feed="100089234561782")),
        ("100089234561782", Target("feed", "/100089234561782/", feed="100089234561782")),
        ("https://facebook.com.evil.vn/groups/1/", None),
        ("https://shopee.vn/product/1/2", None),
    ],
)
def test_links_and_ids_name_a_post_or_a_feed(ref: str, target: Target | None) -> None:
    assert parse_target(ref) == target
