"""Review console, fast layer: auth, sessions, CSRF, roles, filters, escaping and evidence through TestClient.

``seed`` also feeds the browser tests (tests/test_console_browser.py).
"""

from __future__ import annotations

import re
import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from pymongo.database import Database

from crawler.console import create_app
from crawler.console.auth import LOGIN_COOKIE, SESSION_COOKIE
from crawler.console.highlight import Segment, field_spans, segments
from crawler.items import Capture
from storage import ListingRepo, SellerRepo
from storage.evidence import BlobStore, EvidenceKeeper
from storage.reviews import ReviewConflict, ReviewRepo
from storage.users import SessionRepo, UserRepo, hash_password, verify_password

PASSWORD = "mat-khau-123"
GUCCI = "tiki:777:1001"
SCRIPT = "shopee:99:2002"
VAPE = "shopee:99:2003"
CHANEL = "web:nuochoa.vn/p/chanel-no5"
CLEAN = "tiki:777:1005"
XSS_TITLE = "<script>alert(1)</script>"
CAPTURED_HTML = '<html><body><h1>Túi Gucci super fake</h1><script>steal()</script></body></html>'


def png(width: int = 320, height: int = 120) -> bytes:
    """A small valid PNG: a red banner with a dark stripe, enough to see that the screenshot loaded."""
    rows = []
    for y in range(height):
        pixel = b"\x20\x20\x40" if 50 <= y < 70 else b"\xc8\x28\x28"
        rows.append(b"\x00" + pixel * width)
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows))) + \
        chunk(b"IEND", b"")


def _finding(rule_id: str, category: str, severity: str, score: int, text: str,
             spans: list[tuple[str, str, str]]) -> dict[str, Any]:
    """A stored finding whose spans point at ``word`` inside ``field`` of ``text`` (title/description)."""
    out = []
    for field, source, word in spans:
        start = source.index(word)
        out.append({"field": field, "text": word, "normalized": word.lower(), "start": start,
                    "end": start + len(word)})
    return {"rule_id": rule_id, "rule_set": "test", "category": category, "severity": severity, "score": score,
            "legal_basis": "NĐ 98/2020/NĐ-CP", "description": text, "spans": out}


def _listings(now: datetime) -> list[dict[str, Any]]:
    gucci_title = "Túi Gucci Marmont super fake 1:1 giá rẻ"
    gucci_desc = "Hàng fake loại 1, giống auth 99%.\nLiên hệ 0912 345 678 <b>ship</b> toàn quốc."
    vape_title = "Thuốc lá điện tử pod Vape chính hãng"
    return [
        {"_id": GUCCI, "source": "tiki", "kind": "marketplace", "url": "https://tiki.vn/p/1001", "title": gucci_title,
         "description": gucci_desc, "price": 450000, "original_price": 12500000, "brand": "Gucci",
         "location": "Hà Nội", "seller_id": "tiki:777", "flag": True, "categories": ["counterfeit"],
         "brand_canonical": "Gucci", "risk": 92, "images": ["http://127.0.0.1/secret.png"],
         "findings": [_finding("counterfeit.admitted", "counterfeit", "critical", 90,
                               "Tin tự nhận là hàng giả, hàng nhái.",
                               [("title", gucci_title, "super fake"), ("description", gucci_desc, "Hàng fake")]),
                      _finding("counterfeit.brand_price", "counterfeit", "high", 75,
                               "Giá thấp bất thường so với giá hãng Gucci.", [("title", gucci_title, "Gucci")])]},
        {"_id": SCRIPT, "source": "shopee", "kind": "marketplace", "url": "javascript:alert(2)", "title": XSS_TITLE,
         "description": '<img src=x onerror="alert(3)"> thuốc lá điện tử', "price": 150000,
         "location": "TP. Hồ Chí Minh", "seller_id": "shopee:99", "flag": True, "categories": ["banned"],
         "risk": 80, "findings": [_finding("banned.ecig", "banned", "high", 75, "Thuốc lá điện tử bị cấm.", [])]},
        {"_id": VAPE, "source": "shopee", "kind": "marketplace", "url": "https://shopee.vn/p/2003",
         "title": vape_title, "description": "Pod chính hãng", "price": 320000, "seller_id": "shopee:99",
         "flag": True, "categories": ["banned"], "risk": 60,
         "findings": [_finding("banned.ecig", "banned", "medium", 55, "Thuốc lá điện tử bị cấm.",
                               [("title", vape_title, "Thuốc lá điện tử")])]},
        {"_id": CHANEL, "source": "web", "kind": "website", "url": "https://nuochoa.vn/p/chanel-no5",
         "title": "Nước hoa Chanel No5 xách tay", "price": 1900000, "seller_id": "web:nuochoa.vn",
         "location": "Đà Nẵng", "flag": True, "categories": ["origin"], "brand_canonical": "Chanel", "risk": 40,
         "findings": [_finding("origin.hand_carried", "origin", "low", 30, "Hàng xách tay không rõ nguồn gốc.", [])]},
        {"_id": CLEAN, "source": "tiki", "kind": "marketplace", "url": "https://tiki.vn/p/1005",
         "title": "Sổ tay học sinh", "price": 15000, "seller_id": "tiki:777", "flag": False, "risk": 0,
         "findings": []},
    ]


def _sellers() -> list[dict[str, Any]]:
    return [
        {"_id": "tiki:777", "source": "tiki", "shop_id": "777", "name": "Shop Hàng Hiệu 247", "location": "Hà Nội",
         "phones": ["+84912345678"], "official": False},
        {"_id": "shopee:99", "source": "shopee", "shop_id": "99", "name": "<i>Vape</i> Sài Gòn",
         "location": "TP. Hồ Chí Minh", "phones": ["+84912345678"], "tax_codes": ["0312345678"],
         "watchlist_hits": ["watchlist.seller"]},
        {"_id": "web:nuochoa.vn", "source": "web", "shop_id": "nuochoa.vn", "name": "nuochoa.vn",
         "location": "Đà Nẵng", "tax_codes": ["0312345678"],
         "website": {"moit_badge": "unlinked", "owner_name": None, "missing": ["Tên chủ sở hữu", "Địa chỉ"]}},
    ]


def seed(db: Database, evidence_root: Path) -> BlobStore:
    """Users (admin, inspector, viewer), three sellers, five listings (four flagged), evidence of GUCCI."""
    users = UserRepo(db)
    for name, role in (("quantri", "admin"), ("kiemsoat", "inspector"), ("chixem", "viewer")):
        users.add(name, PASSWORD, role)
    then = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    for seller in _sellers():
        SellerRepo(db).upsert(seller, then)
    repo = ListingRepo(db)
    for doc in _listings(then):
        repo.upsert(doc, then if doc["_id"] != CHANEL else then - timedelta(days=30))
    repo.upsert({**_listings(then)[0], "price": 390000}, then + timedelta(days=1))
    ReviewRepo(db).decide(CHANEL, "confirm", "quantri", "Đã xác minh", now=then)
    store = BlobStore(evidence_root)
    capture = Capture(url="https://tiki.vn/p/1001", status=200, headers={"Content-Type": "text/html; charset=utf-8"},
                      body=CAPTURED_HTML.encode("utf-8"), fetched_at=then)
    keeper = EvidenceKeeper(db, store)
    keeper.keep_warc(GUCCI, capture)
    keeper.keep_screenshot(GUCCI, capture, png())
    return store


# --- fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture
def client(db: Database, tmp_path: Path) -> TestClient:
    store = seed(db, tmp_path / "evidence")
    return TestClient(create_app(db, blobs=store), follow_redirects=False)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    page = client.get("/login")
    nonce = _csrf(page.text)
    reply = client.post("/login", data={"username": username, "password": password, "csrf": nonce, "next": "/"})
    assert reply.status_code == 303, reply.text
    return _csrf(client.get("/").text)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def _listing_url(listing_id: str) -> str:
    return f"/listing?id={quote(listing_id, safe='')}"


# --- users and sessions ----------------------------------------------------------------------------------------


def test_password_hashes_are_salted_and_checked() -> None:
    first, second = hash_password("bí mật 123"), hash_password("bí mật 123")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("bí mật 123", first) and verify_password("bí mật 123", second)
    assert not verify_password("bí mật 124", first)
    assert not verify_password("x", "garbage")


def test_user_rules(db: Database) -> None:
    users = UserRepo(db)
    users.add("Lan.Nguyen", PASSWORD, "inspector")
    stored = users.get("lan.nguyen")
    assert stored is not None and stored["role"] == "inspector" and PASSWORD not in stored["password"]
    for name, password, role in (("lan.nguyen", PASSWORD, "viewer"), ("x y", PASSWORD, "viewer"),
                                 ("minh", PASSWORD, "boss"), ("minh", "short", "viewer")):
        with pytest.raises(ValueError):
            users.add(name, password, role)
    assert users.authenticate("LAN.NGUYEN", PASSWORD) is not None
    assert users.authenticate("lan.nguyen", "wrong-password") is None
    assert users.authenticate("nobody", PASSWORD) is None


def test_sessions_expire_and_end(db: Database) -> None:
    sessions = SessionRepo(db, timedelta(hours=1))
    token, doc = sessions.create("lan")
    assert doc["_id"] != token and sessions.get(token)["user"] == "lan"
    assert sessions.get(token, now=doc["expires_at"] + timedelta(seconds=1)) is None
    token, _ = sessions.create("lan")
    sessions.end(token)
    assert sessions.get(token) is None


# --- sign-in, CSRF, roles ----------------------------------------------------------------------------------------


def test_pages_need_sign_in(client: TestClient) -> None:
    reply = client.get(_listing_url(GUCCI))
    assert reply.status_code == 303 and reply.headers["location"].startswith("/login?next=%2Flisting")
    assert client.get("/img", params={"url": "https://example.com/a.png"}).status_code == 303
    assert client.post("/decide", data={"listing_id": GUCCI, "decision": "confirm"}).status_code == 403


def test_sign_in_sets_a_strict_cookie_and_refuses_bad_forms(client: TestClient) -> None:
    nonce = _csrf(client.get("/login").text)
    assert client.post("/login", data={"username": "kiemsoat", "password": PASSWORD}).status_code == 403
    wrong = client.post("/login", data={"username": "kiemsoat", "password": "nope-nope", "csrf": nonce})
    assert wrong.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
    nonce = client.cookies.get(LOGIN_COOKIE)
    good = client.post("/login", data={"username": "kiemsoat", "password": PASSWORD, "csrf": nonce,
                                       "next": "//evil.example/"})
    assert good.status_code == 303 and good.headers["location"] == "/"
    cookie = next(h for h in good.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()


def test_logout_ends_the_session(client: TestClient) -> None:
    csrf = sign_in(client, "kiemsoat")
    token = client.cookies.get(SESSION_COOKIE)
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/").status_code == 303


def test_decisions_need_the_csrf_token(client: TestClient, db: Database) -> None:
    csrf = sign_in(client, "kiemsoat")
    for token in (None, "", "forged", csrf[:-1]):
        data = {"listing_id": GUCCI, "decision": "confirm"} | ({"csrf": token} if token is not None else {})
        reply = client.post("/decide", data=data)
        assert reply.status_code == 403 and "CSRF" in reply.text
    assert db["listings"].find_one({"_id": GUCCI})["review"]["status"] == "new"
    assert db["reviews"].count_documents({"listing_id": GUCCI}) == 0


def test_viewer_reads_but_cannot_decide(client: TestClient, db: Database) -> None:
    csrf = sign_in(client, "chixem")
    page = client.get(_listing_url(GUCCI))
    assert page.status_code == 200 and 'action="/decide"' not in page.text and "chỉ có quyền xem" in page.text
    assert client.post("/decide", data={"listing_id": GUCCI, "decision": "confirm", "csrf": csrf}).status_code == 403
    reply = client.post("/bulk", data={"ids": [GUCCI, VAPE], "decision": "refer", "csrf": csrf})
    assert reply.status_code == 403
    assert db["reviews"].count_documents({"listing_id": {"$in": [GUCCI, VAPE]}}) == 0


def test_confirm_dismiss_and_timeline(client: TestClient, db: Database) -> None:
    csrf = sign_in(client, "kiemsoat")
    reply = client.post("/decide", data={"listing_id": GUCCI, "decision": "confirm", "note": "Rõ ràng", "csrf": csrf})
    assert reply.status_code == 303 and reply.headers["location"] == _listing_url(GUCCI)
    missing_reason = client.post("/decide", data={"listing_id": VAPE, "decision": "dismiss", "csrf": csrf})
    assert missing_reason.status_code == 400 and "lý do" in missing_reason.text
    client.post("/decide", data={"listing_id": GUCCI, "decision": "dismiss", "note": "Nhầm", "csrf": csrf})
    review = db["listings"].find_one({"_id": GUCCI})["review"]
    assert (review["status"], review["by"], review["note"]) == ("dismissed", "kiemsoat", "Nhầm")
    trail = [(r["from"], r["to"], r["by"]) for r in ReviewRepo(db).history(GUCCI)]
    assert trail == [("new", "confirmed", "kiemsoat"), ("confirmed", "dismissed", "kiemsoat")]
    page = client.get(_listing_url(GUCCI)).text
    timeline = page[page.index('id="timeline"'):]
    assert "Rõ ràng" in timeline and "Nhầm" in timeline and timeline.index("Rõ ràng") < timeline.index("Nhầm")


def test_bulk_decision_from_the_queue(client: TestClient, db: Database) -> None:
    csrf = sign_in(client, "quantri")
    reply = client.post("/bulk", data={"ids": [SCRIPT, VAPE, "tiki:none"], "decision": "refer", "note": "Đợt 12",
                                       "csrf": csrf, "back": "/?source=shopee"})
    assert reply.status_code == 303 and reply.headers["location"] == "/?source=shopee&done=2"
    assert {d["review"]["status"] for d in db["listings"].find({"_id": {"$in": [SCRIPT, VAPE]}})} == {"referred"}
    assert db["reviews"].count_documents({"to": "referred", "by": "quantri"}) == 2


def test_review_repo_refuses_unknown_and_missing(db: Database) -> None:
    db["listings"].insert_one({"_id": "web:a.vn/p", "source": "web", "flag": True})  # never reviewed
    repo = ReviewRepo(db)
    record = repo.decide("web:a.vn/p", "refer", "lan", "  Kiểm tra tại chỗ  ")
    assert (record["from"], record["to"], record["note"]) == ("new", "referred", "Kiểm tra tại chỗ")
    with pytest.raises(ReviewConflict):
        repo.decide("web:none.vn/p", "confirm", "lan")
    with pytest.raises(ValueError):
        repo.decide("web:a.vn/p", "delete", "lan")
    assert [r["to"] for r in repo.history("web:a.vn/p")] == ["referred"]


# --- queue ---------------------------------------------------------------------------------------------------


def _queue_ids(client: TestClient, **params: str) -> list[str]:
    html = client.get("/", params=params).text
    return [m for m in re.findall(r'name="ids" value="([^"]+)"', html)]


def test_queue_filters_and_sorting(client: TestClient) -> None:
    sign_in(client, "kiemsoat")
    assert _queue_ids(client) == [GUCCI, SCRIPT, VAPE]  # status "new" by default, riskiest first
    assert _queue_ids(client, status="all") == [GUCCI, SCRIPT, VAPE, CHANEL]
    assert _queue_ids(client, status="confirmed") == [CHANEL]
    assert _queue_ids(client, source="shopee") == [SCRIPT, VAPE]
    assert _queue_ids(client, category="counterfeit") == [GUCCI]
    assert _queue_ids(client, severity="medium") == [VAPE]
    assert _queue_ids(client, province="TP. Hồ Chí Minh") == [SCRIPT, VAPE]  # VAPE by its seller's province
    assert _queue_ids(client, brand="gucci") == [GUCCI]
    assert _queue_ids(client, status="all", date_from="2026-10-01", date_to="2026-10-31") == [CHANEL]
    assert _queue_ids(client, status="all", date_to="2026-10-21") == [CHANEL]
    assert _queue_ids(client, sort="risk_asc") == [VAPE, SCRIPT, GUCCI]
    assert CLEAN not in _queue_ids(client, status="all", source="tiki")


# --- hostile text, evidence, images ------------------------------------------------------------------------------


def test_scraped_text_is_escaped_everywhere(client: TestClient) -> None:
    sign_in(client, "kiemsoat")
    for html in (client.get("/").text, client.get(_listing_url(SCRIPT)).text,
                 client.get("/seller", params={"id": "shopee:99"}).text):
        assert "<script>alert(1)" not in html and "<i>Vape</i>" not in html and "onerror=\"alert" not in html
    page = client.get(_listing_url(SCRIPT))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "javascript:" not in page.text  # a scraped javascript: URL is not made a link
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"


def test_listing_marks_matched_words_and_replays_evidence_as_text(client: TestClient) -> None:
    sign_in(client, "kiemsoat")
    html = client.get(_listing_url(GUCCI)).text
    title = html[html.index('id="title"'):html.index("</h1>")]
    assert re.findall(r"<mark[^>]*>([^<]*)</mark>", title) == ["Gucci", "super fake"]
    description = html[html.index('id="description"'):]
    assert '<mark title="counterfeit.admitted">Hàng fake</mark>' in description
    assert '<span class="field">tiêu đề</span>' in html and '<span class="field">title</span>' not in html
    assert "&lt;b&gt;ship&lt;/b&gt;" in description
    assert "&lt;h1&gt;Túi Gucci super fake&lt;/h1&gt;&lt;script&gt;steal()" in html  # WARC replay as text
    assert "<script>steal()" not in html and "✓ toàn vẹn" in html
    assert "390.000 ₫" in html and "450.000 ₫" in html and "12.500.000 ₫" in html
    shot = client.get("/evidence", params={"listing": GUCCI, "n": 1})
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/png" and shot.content == png()
    warc = client.get("/evidence", params={"listing": GUCCI, "n": 0})
    assert warc.headers["content-disposition"].startswith("attachment") and warc.content[:2] == b"\x1f\x8b"
    assert client.get("/evidence", params={"listing": GUCCI, "n": 5}).status_code == 404


def test_altered_evidence_is_reported(client: TestClient, db: Database) -> None:
    sign_in(client, "kiemsoat")
    ref = db["listings"].find_one({"_id": GUCCI})["evidence"][1]
    path = client.app.state.blobs.path(ref["sha256"])
    path.write_bytes(png(10, 10))
    assert "không khớp mã băm" in client.get(_listing_url(GUCCI)).text


def test_image_proxy_refuses_private_addresses(client: TestClient) -> None:
    sign_in(client, "kiemsoat")
    for url in ("http://127.0.0.1/secret.png", "http://169.254.169.254/latest/meta-data", "file:///etc/passwd",
                "http://10.1.2.3/a.png", "http://[::1]/a.png"):
        reply = client.get("/img", params={"url": url})
        assert reply.status_code == 403, url


def test_seller_page_links_sellers_sharing_identity_keys(client: TestClient) -> None:
    sign_in(client, "kiemsoat")
    html = client.get("/seller", params={"id": "shopee:99"}).text
    keys = html[html.index('id="keys"'):]
    assert "+84912345678" in keys and "Shop Hàng Hiệu 247" in keys and "0312345678" in keys and "nuochoa.vn" in keys
    assert "watchlist.seller" in html
    assert GUCCI.replace(":", "%3A") in html  # the linked seller's listing
    site = client.get("/seller", params={"id": "web:nuochoa.vn"}).text
    assert "Chỉ có hình, không liên kết" in site and "Tên chủ sở hữu; Địa chỉ" in site
    assert client.get("/seller", params={"id": "nobody"}).status_code == 404


# --- pure helpers --------------------------------------------------------------------------------------------


def test_segments_split_at_offsets_and_merge_overlaps() -> None:
    text = "Gucci super fake Gucci"
    spans = [(0, 5, "b"), (6, 16, "a"), (12, 22, "c")]
    assert segments(text, spans) == [Segment("Gucci", ("b",)), Segment(" "), Segment("super ", ("a",)),
                                     Segment("fake", ("a", "c")), Segment(" Gucci", ("c",))]
    assert segments("", []) == [] and segments(None, []) == []


def test_spans_not_matching_the_text_are_not_marked() -> None:
    findings = [{"rule_id": "r", "spans": [{"field": "title", "text": "fake", "start": 0, "end": 4},
                                           {"field": "title", "text": "rep", "start": 5, "end": 8},
                                           {"field": "title", "text": "x", "start": 40, "end": 41}]}]
    assert field_spans(findings, "title", "hàng rep 1:1") == [(5, 8, "r")]
