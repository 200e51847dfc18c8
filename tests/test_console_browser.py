"""Review console in a real browser: Playwright drives Debian chromium against uvicorn on a loopback port.

One browser and one seeded database per module; page screenshots go to tests/artifacts/ for people to look at.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import uvicorn
from pymongo.database import Database

import storage
from crawler import chromium
from crawler.console import create_app
from tests.test_console import CHANEL, GUCCI, PASSWORD, SCRIPT, VAPE, XSS_TITLE, seed

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path(chromium.CHROMIUM)
ARGS = chromium.LAUNCH_ARGS
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")


@pytest.fixture(scope="module")
def seeded(embedded_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, object]]:
    name = f"qltt_test_{uuid.uuid4().hex[:12]}"
    db = storage.connect(embedded_uri, db_name=name)
    store = seed(db, tmp_path_factory.mktemp("evidence"))
    try:
        yield db, store
    finally:
        db.client.drop_database(name)


@pytest.fixture(scope="module")
def base_url(seeded: tuple[Database, object]) -> Iterator[str]:
    """The console served by uvicorn in a thread, on a free loopback port."""
    db, store = seeded
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(db, blobs=store), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: object, base_url: str) -> Iterator[object]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console_{name}.png"), full_page=True)


def _sign_in(page: object, username: str, shot: bool = False) -> None:
    page.goto("/")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    if shot:
        _shot(page, "login")
    page.click("button:has-text('Đăng nhập')")
    page.wait_for_url("**/")


def _listing(listing_id: str) -> str:
    return f"/listing?id={quote(listing_id, safe='')}"


def _queue_ids(page: object) -> list[str]:
    return page.eval_on_selector_all("input[name=ids]", "els => els.map(e => e.value)")


def test_inspector_reviews_listings(page: object, seeded: tuple[Database, object]) -> None:
    db, _ = seeded
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _sign_in(page, "kiemsoat", shot=True)
    assert _queue_ids(page) == [GUCCI, SCRIPT, VAPE]
    assert page.locator("td.title > a").nth(1).inner_text() == XSS_TITLE  # the script tag is text, never run
    _shot(page, "queue")

    page.select_option("select[name=category]", "counterfeit")
    page.click("button:has-text('Lọc')")
    page.wait_for_url("**category=counterfeit**")
    assert _queue_ids(page) == [GUCCI]

    page.click(f"a[href='{_listing(GUCCI)}']")
    page.wait_for_url("**/listing?**")
    assert page.locator("#title mark").all_inner_texts() == ["Gucci", "super fake"]
    assert page.locator("#description mark").all_inner_texts() == ["Hàng fake"]
    shot = page.locator("img.shot")
    shot.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth === 320", arg=shot.element_handle())
    assert "<script>steal()</script>" in page.locator("pre.replay").inner_text()
    _shot(page, "listing")

    page.fill("form:has(input[value=confirm]) input[name=note]", "Tự nhận hàng fake")
    page.click("button.confirm")
    page.wait_for_selector("#timeline >> text=Tự nhận hàng fake")
    assert "Đã xác nhận" in page.locator("#timeline").inner_text()

    page.goto(_listing(SCRIPT))
    assert page.locator("h1#title").inner_text() == XSS_TITLE
    reason = "form:has(input[value=dismiss]) input[name=note]"
    assert page.eval_on_selector(reason, "e => e.required && e.validity.valueMissing")  # no dismissal without it
    page.fill(reason, "Ảnh minh họa, không bán")
    page.click("button.dismiss")
    page.wait_for_selector("#timeline >> text=Ảnh minh họa, không bán")
    assert "Đã bỏ qua" in page.locator("#timeline").inner_text()

    page.goto("/?status=all")
    statuses = dict(zip(_queue_ids(page), page.locator("td .status").all_inner_texts(), strict=True))
    assert statuses[GUCCI] == "Đã xác nhận" and statuses[SCRIPT] == "Đã bỏ qua" and statuses[VAPE] == "Chờ xử lý"
    trail = [(r["listing_id"], r["to"], r["by"]) for r in db["reviews"].find({"by": "kiemsoat"}).sort("at", 1)]
    assert trail == [(GUCCI, "confirmed", "kiemsoat"), (SCRIPT, "dismissed", "kiemsoat")]

    page.goto("/seller?id=shopee%3A99")
    assert "Shop Hàng Hiệu 247" in page.locator("#keys").inner_text()
    _shot(page, "seller")
    assert dialogs == []


def test_viewer_cannot_decide(page: object, seeded: tuple[Database, object]) -> None:
    db, _ = seeded
    _sign_in(page, "chixem")
    assert page.locator("input[name=ids]").count() == 0
    page.goto(_listing(VAPE))
    assert page.locator("form[action='/decide']").count() == 0
    assert "chỉ có quyền xem" in page.locator("#decide").inner_text()
    csrf = page.get_attribute("form[action='/logout'] input[name=csrf]", "value")
    reply = page.request.post("/decide", form={"listing_id": VAPE, "decision": "confirm", "csrf": csrf},
                              max_redirects=0)
    assert reply.status == 403
    assert db["reviews"].count_documents({"listing_id": VAPE}) == 0


def test_form_without_csrf_token_is_refused(page: object, seeded: tuple[Database, object]) -> None:
    db, _ = seeded
    _sign_in(page, "quantri")
    page.goto(_listing(CHANEL))
    page.eval_on_selector("form:has(input[value=refer])", "f => f.querySelector('input[name=csrf]').remove()")
    page.click("button.refer")
    page.wait_for_selector("text=Lỗi 403")
    assert "CSRF" in page.locator("p.error").inner_text()
    _shot(page, "csrf_refused")
    assert db["listings"].find_one({"_id": CHANEL})["review"]["status"] == "confirmed"
