"""Citizens' tips: unsafe URLs refused (also after redirects), sources recognised, a sandbox Tiki tip crawled."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo.database import Database
from typer.testing import CliRunner

import storage
from crawler.cli.main import _register, app
from crawler.exceptions import UnsafeURLError
from crawler.sandbox.corpus import by_source
from crawler.tips import TipDesk, build_desk, follow_redirects, recognise
from storage.listings import ListingRepo
from storage.runs import RunRepo
from storage.tips import TipRepo
from tests.sandbox_plugin import CrawlEnv

PUBLIC = "103.9.86.1"  # stands for a public address: no test resolves a name through DNS


def resolver(table: dict[str, list[str]]) -> Any:
    def resolve(host: str) -> list[str]:
        if host not in table:
            raise UnsafeURLError(f"không phân giải được tên miền {host!r}")
        return table[host]

    return resolve


def fetcher(redirects: dict[str, str]) -> Any:
    """A fetch that answers 302 to the mapped URLs and 200 to the rest, remembering what it was asked."""

    def fetch(url: str) -> tuple[int, str | None]:
        fetch.asked.append(url)  # type: ignore[attr-defined]
        return (302, redirects[url]) if url in redirects else (200, None)

    fetch.asked = []  # type: ignore[attr-defined]
    return fetch


class NoCrawl:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, spider: str, arguments: dict[str, Any]) -> tuple[str, str]:
        self.calls.append((spider, arguments))
        raise AssertionError("this tip must not be crawled")


@pytest.fixture
def tips_db(embedded_uri: str) -> Iterator[Database]:
    name = f"t_tips_{uuid.uuid4().hex[:10]}"
    db = storage.connect(embedded_uri, db_name=name)
    yield db
    db.client.drop_database(name)


def _desk(db: Database, resolve: Any, fetch: Any, spiders: tuple[str, ...] = ("tiki", "website")) -> TipDesk:
    return TipDesk(TipRepo(db), RunRepo(db), ListingRepo(db), NoCrawl(), spiders, resolve, fetch)


# ------------------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("url", "table", "shown"),
    [
        ("http://127.0.0.1/admin", {}, "127.0.0.1"),
        ("http://10.0.0.1/router", {}, "10.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", {}, "169.254.169.254"),
        ("https://shop-gia.vn/sp-1", {"shop-gia.vn": ["127.0.0.1"]}, "127.0.0.1"),
        ("https://noi-bo.vn/", {"noi-bo.vn": [PUBLIC, "10.0.0.1"]}, "10.0.0.1"),
        ("http://metadata.vn/", {"metadata.vn": ["169.254.169.254"]}, "169.254.169.254"),
    ],
)
def test_private_targets_are_refused(tips_db: Database, url: str, table: dict[str, list[str]], shown: str) -> None:
    fetch = fetcher({})
    tip = _desk(tips_db, resolver(table), fetch).submit(url, "hàng giả", "0901234567")
    assert tip["status"] == "refused" and tip["finished_at"] is not None
    assert tip["reason"].startswith("Liên kết không an toàn — từ chối:") and shown in tip["reason"]
    assert fetch.asked == []  # refused before any request
    assert TipRepo(tips_db).get(tip["_id"])["reporter"] == "0901234567"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://tiki.vn/x", "http://user:pw@tiki.vn/", "tiki.vn/x"])
def test_only_plain_http_urls_are_taken(tips_db: Database, url: str) -> None:
    tip = _desk(tips_db, resolver({"tiki.vn": [PUBLIC]}), fetcher({})).submit(url, "n")
    assert tip["status"] == "refused"


def test_redirect_to_an_internal_address_is_refused(tips_db: Database) -> None:
    fetch = fetcher({
        "https://rut.gon/abc": "https://tiki.vn/san-pham-p1.html",
        "https://tiki.vn/san-pham-p1.html": "http://169.254.169.254/latest/meta-data/",
    })
    tip = _desk(tips_db, resolver({"rut.gon": [PUBLIC], "tiki.vn": [PUBLIC]}), fetch).submit(
        "https://rut.gon/abc", "link rút gọn"
    )
    assert tip["status"] == "refused"
    assert "169.254.169.254" in tip["reason"] and "sau khi chuyển hướng từ https://rut.gon/abc" in tip["reason"]
    assert fetch.asked == ["https://rut.gon/abc", "https://tiki.vn/san-pham-p1.html"]  # the bad hop never fetched


def test_redirects_are_followed_relative_and_bounded() -> None:
    resolve = resolver({"a.vn": [PUBLIC]})
    fetch = fetcher({"http://a.vn/1": "/2", "http://a.vn/2": "http://a.vn/3"})
    assert follow_redirects("http://a.vn/1", resolve=resolve, fetch=fetch) == "http://a.vn/3"
    loop = fetcher({"http://a.vn/x": "/y", "http://a.vn/y": "/x"})
    with pytest.raises(UnsafeURLError, match="quá nhiều lần chuyển hướng"):
        follow_redirects("http://a.vn/x", resolve=resolve, fetch=loop)


def test_cli_refusal_is_clear_and_exits_2(tips_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = tips_db.client.address
    monkeypatch.setenv("QLTT_MONGO_URI", f"mongodb://{uri[0]}:{uri[1]}/")
    monkeypatch.setenv("QLTT_DB_NAME", tips_db.name)
    monkeypatch.setenv("QLTT_DATA_DIR", str(tmp_path))
    _register()
    runner = CliRunner()
    for url in ("http://169.254.169.254/latest/meta-data/", "http://localhost:8080/"):
        result = runner.invoke(app, ["tip", "add", url, "--note", "thử", "--reporter", "đường dây nóng"])
        assert result.exit_code == 2, result.output
        assert "Từ chối tin báo" in result.output and "địa chỉ nội bộ" in result.output
    listed = runner.invoke(app, ["tip", "list", "--status", "refused"])
    rows = listed.output.splitlines()[2:]
    assert listed.exit_code == 0 and len(rows) == 2
    assert all("từ chối" in row and "đường dây nóng" in row for row in rows)
    assert "localhost" in rows[0] and "169.254.169.254" in rows[1]


# ---------------------------------------------------------------------------------------- recognition


@pytest.mark.parametrize(
    ("url", "source", "kind", "item"),
    [
        ("https://tiki.vn/nuoc-hoa-chanel-p123456.html?spid=789", "tiki", "listing", "123456"),
        ("https://tiki.vn/cua-hang/shop-abc", "tiki", "shop", None),
        ("https://shopee.vn/Son-Dior-i.11223.445566", "shopee", "listing", "445566"),
        ("https://shopee.vn/product/11223/445566", "shopee", "listing", "445566"),
        ("https://www.lazada.vn/products/tui-gucci-i12345-s67890.html", "lazada", "listing", "12345"),
        ("https://www.sendo.vn/dong-ho-rolex-9988.html", "sendo", "listing", "9988"),
        ("https://shop.tiktok.com/view/product/1729384756?region=VN", "tiktok", "listing", "1729384756"),
        ("https://www.tiktok.com/shop/vn/pdp/son-mac/1729384756", "tiktok", "listing", "1729384756"),
        ("https://www.facebook.com/shopabc/posts/pfbid0xyz", "facebook", "post", None),
        ("https://m.facebook.com/story.php?story_fbid=1&id=2", "facebook", "post", None),
        ("https://www.facebook.com/shopabc", "facebook", "page", None),
        ("https://nuochoa-gia.vn/chanel-no5", "website", "website", None),
        ("https://example.com/p-123.html", "website", "website", None),
    ],
)
def test_sources_are_recognised_by_url(url: str, source: str, kind: str, item: str | None) -> None:
    target = recognise(url)
    assert (target.source, target.kind, target.item_id) == (source, kind, item)


def test_tip_for_a_source_without_spider_is_kept_as_failed(tips_db: Database) -> None:
    desk = _desk(tips_db, resolver({"shopee.vn": [PUBLIC]}), fetcher({}))
    tip = desk.submit("https://shopee.vn/Son-Dior-i.11223.445566", "son giả")
    assert tip["status"] == "failed" and tip["source"] == "shopee" and tip["spider"] == "shopee"
    assert "Chưa có bộ thu thập cho nguồn shopee" in tip["reason"]
    assert tip["final_url"] == "https://shopee.vn/Son-Dior-i.11223.445566"


# ------------------------------------------------------------------------------------------ end to end


def test_sandbox_tiki_tip_is_crawled_end_to_end(crawl_env: CrawlEnv) -> None:
    row = by_source("tiki")[0]
    url = row["url"].replace("https://", "http://")
    db = storage.connect(crawl_env.mongo_uri, db_name=crawl_env.db_name)
    desk = build_desk(db, crawl_env.data_dir, env=crawl_env.env, resolve=resolver({"tiki.vn": [PUBLIC]}))

    tip = desk.submit(url, "máy chơi game nghi hàng nhái", "công dân A")

    assert tip["status"] == "done", tip["reason"]
    assert (tip["source"], tip["kind"], tip["spider"]) == ("tiki", "listing", "tiki")
    assert tip["listing_ids"] == [row["_id"]]
    run = RunRepo(db).get(tip["run_id"])
    assert run is not None and (run["trigger"], run["status"]) == ("tip", "finished")
    assert run["args"]["url"] == [url]
    assert ListingRepo(db).get(row["_id"])["title"] == row["title"]
    # The redirect check went through QLTT_PROXY (the sandbox) to the reported page itself.
    page = url.split("tiki.vn", 1)[1]
    assert crawl_env.sandbox.counts("tiki.vn")[page] == 1
