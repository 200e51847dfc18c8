"""Crawl health: monitors over a run's stats, stored on the run, shown by ``qltt runs`` and the console."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from fastapi.testclient import TestClient
from pymongo.database import Database
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

import storage
from crawler.console import create_app
from crawler.extensions.health import Thresholds, assess, format_health, previous_counts
from crawler.extensions.runrecord import RunRecorder
from storage.users import UserRepo
from tests.sandbox_plugin import CrawlEnv
from tests.test_console import PASSWORD, sign_in


def _stats(**counts: int) -> dict[str, Any]:
    """Stats with ``/`` in their keys written as ``__`` (``qltt__page__blocked_count``)."""
    return {"finish_reason": "finished"} | {k.replace("__", "/"): v for k, v in counts.items()}


def test_a_healthy_run_is_ok() -> None:
    stats = _stats(downloader__request_count=60, response_received_count=60, qltt__store__listing_received_count=40)
    health = assess("tiki", stats, previous=[38, 41, 40])
    assert health.to_doc() == {"status": "ok", "reasons": []}
    assert format_health({"health": health.to_doc()}) == "tốt"
    assert format_health({}) == "chưa đánh giá"


def test_block_pages_break_a_run_and_name_the_source() -> None:
    stats = _stats(downloader__request_count=25, response_received_count=25, qltt__page__blocked_count=23)
    health = assess("tiki", stats)
    assert health.status == "broken"
    assert "Tiki: 92 % trang bị chặn — bộ thu thập cần cập nhật" in health.reasons
    few = assess("shopee", _stats(response_received_count=100, qltt__page__blocked_count=15))
    assert few.status == "degraded" and few.reasons == ["Shopee: 15 % trang bị chặn (captcha, tường đăng nhập)"]


def test_item_count_dropping_by_more_than_half_is_an_alert() -> None:
    stats = _stats(response_received_count=30, qltt__store__listing_received_count=15)
    health = assess("tiki", stats, previous=[40, 44, 38])
    assert health.status == "degraded"
    assert health.reasons == ["Tiki: chỉ thu được 15 tin đăng, các lượt trước khoảng 40"]
    assert assess("tiki", _stats(response_received_count=30, qltt__store__listing_received_count=21),
                  previous=[40]).status == "ok"
    nothing = assess("tiki", _stats(response_received_count=3), previous=[40, 40])
    assert nothing.status == "broken" and "không thu được tin đăng nào" in nothing.reasons[0]
    # A resumed run holds only the rest of its job: its count says nothing.
    assert assess("tiki", stats, previous=[40], partial=True).status == "ok"


def test_empty_required_fields_mean_a_parser_broke_silently() -> None:
    degraded = assess("tiki", _stats(qltt__store__listing_received_count=10, qltt__store__empty_price_count=4))
    assert degraded.status == "degraded" and degraded.reasons == ["Tiki: 40 % tin đăng thiếu giá"]
    broken = assess("lazada", _stats(qltt__store__listing_received_count=4, qltt__store__empty_seller_id_count=4,
                                     item_dropped_reasons_count__InvalidItem=6))
    assert broken.status == "broken"
    assert broken.reasons == ["Lazada: 40 % tin đăng thiếu người bán",
                              "Lazada: 60 % tin đăng thiếu tiêu đề — bộ thu thập cần cập nhật"]


def test_error_and_retry_rates() -> None:
    errors = assess("sendo", _stats(downloader__request_count=100, response_received_count=80,
                                    qltt__page__http_count=15, qltt__page__network_count=10))
    assert errors.status == "degraded"
    assert errors.reasons == ["Sendo: 25 % yêu cầu bị lỗi (HTTP, mạng hoặc lỗi bộ thu thập)"]
    retries = assess("tiki", _stats(downloader__request_count=100, response_received_count=100, retry__count=40))
    assert retries.status == "degraded" and "40 % yêu cầu phải thử lại" in retries.reasons[0]
    unreachable = assess("tiki", _stats(downloader__request_count=9))
    assert unreachable.status == "broken" and "không tải được trang nào" in unreachable.reasons[0]


def test_finish_reasons_outage_and_crashes() -> None:
    timeout = assess("tiki", {"finish_reason": "closespider_timeout"})
    assert timeout.to_doc() == {"status": "degraded", "reasons": ["Tiki: lượt chạy dừng vì quá thời gian tối đa"]}
    assert assess("tiki", {"finish_reason": "shutdown"}).status == "degraded"
    assert assess("tiki", {"finish_reason": "memusage_exceeded"}).status == "broken"
    spooled = assess("tiki", _stats(qltt__store__listing_received_count=10, qltt__store__spooled_count=6))
    assert spooled.status == "degraded" and "6 mục được lưu tạm vào hàng đợi cục bộ" in spooled.reasons[0]
    assert assess("tiki", _stats(qltt__store__lost_count=1)).status == "broken"
    crashes = assess("lazada", _stats(downloader__request_count=100, response_received_count=100,
                                      playwright__page_count=100, qltt__playwright__page_crashed_count=7))
    assert crashes.status == "degraded" and crashes.reasons == ["Lazada: 7 trang trình duyệt bị sập (7 %)"]


def test_thresholds_come_from_settings() -> None:
    settings = Settings({"QLTT_HEALTH_BLOCKED_SHARE": "0.5", "QLTT_HEALTH_HISTORY": 3})
    thresholds = Thresholds.from_settings(settings.get)
    assert thresholds.blocked_share == 0.5 and thresholds.history == 3 and thresholds.item_drop == 0.5
    stats = _stats(response_received_count=100, qltt__page__blocked_count=30)
    assert assess("tiki", stats, thresholds=thresholds).status == "ok"
    assert assess("tiki", stats).status == "degraded"


def test_previous_counts_are_finished_complete_runs_of_the_same_job() -> None:
    args = {"query": ["sữa"], "max_pages": 3}
    runs = [
        {"status": "running", "args": args, "counts": {}},
        {"status": "finished", "args": args, "counts": {"received": 30}},
        {"status": "finished", "args": {"query": ["son"], "max_pages": 3}, "counts": {"received": 99}},
        {"status": "failed", "args": args, "counts": {"received": 2}},
        {"status": "finished", "args": args, "counts": {"received": 12}, "resumed_from": ["x"]},
        {"status": "finished", "args": args, "counts": {"listings": 28}},
        {"status": "finished", "args": args, "counts": {"received": 31}},
        {"status": "finished", "args": args, "counts": {"received": 3}, "trigger": "worker"},
    ]
    assert previous_counts(runs, args) == [30, 28, 31]
    assert previous_counts(runs, args, history=2) == [30, 28]


def test_blocked_source_breaks_its_run_shown_by_cli_and_console(crawl_env: CrawlEnv) -> None:
    crawl_env.sandbox.add_fault("block", "tiki.vn/")
    result = crawl_env.qltt("crawl", "tiki", "--query", "sữa", "--query", "máy")
    assert result.returncode == 0, result.stderr[-3000:]
    db = storage.connect(crawl_env.mongo_uri, db_name=crawl_env.db_name)
    run = db.runs.find_one({"spider": "tiki"})
    assert run["status"] == "finished" and run["health"]["status"] == "broken"
    assert "Tiki: 100 % trang bị chặn — bộ thu thập cần cập nhật" in run["health"]["reasons"]

    listed = crawl_env.qltt("runs")
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert "hỏng" in listed.stdout
    assert f"{run['_id']} (hỏng): Tiki: 100 % trang bị chặn — bộ thu thập cần cập nhật" in listed.stdout

    # The console's runs page, with a reason holding markup: it is shown as text.
    reasons = [*run["health"]["reasons"], "<script>alert(1)</script>"]
    db.runs.update_one({"_id": run["_id"]}, {"$set": {"health": {"status": "broken", "reasons": reasons}}})
    UserRepo(db).add("chixem", PASSWORD, "viewer")
    client = TestClient(create_app(db), follow_redirects=False)
    assert client.get("/runs").status_code in (302, 303)  # sign-in first
    sign_in(client, "chixem")
    page = client.get("/runs", params={"spider": "tiki"})
    assert page.status_code == 200
    assert "Tiki: 100 % trang bị chặn — bộ thu thập cần cập nhật" in page.text and "hỏng" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "Chưa có lượt thu thập nào." in client.get("/runs", params={"spider": "lazada"}).text


def test_a_workers_share_is_not_compared_with_whole_runs(db: Database) -> None:
    """A worker takes what the shared queue gives it: ten listings after runs of forty is no alert for it."""
    runs = storage.RunRepo(db)
    for _ in range(3):
        runs.finish(runs.start("tiki", {}), "finished", {}, counts={"received": 40})
    spider = SimpleNamespace(name="tiki", arguments={})
    stats = _stats(response_received_count=12, qltt__store__listing_received_count=10)
    verdicts = {trigger: RunRecorder(get_crawler(settings_dict={"QLTT_RUN_TRIGGER": trigger}), runs)
                ._health(spider, stats)["status"] for trigger in ("adhoc", "worker")}
    assert verdicts == {"adhoc": "degraded", "worker": "ok"}


def test_a_run_that_requested_nothing_is_broken() -> None:
    """Every target refused before a request (``--shop`` a spider cannot follow): not a healthy empty run."""
    refused = assess("tiktok", _stats(qltt__page__spider_count=1))
    assert refused.status == "broken"
    assert refused.reasons == [
        "TikTok Shop: không gửi yêu cầu nào — 1 mục tiêu bị từ chối (xem lỗi của lượt chạy: qltt runs)"]
    assert assess("tiktok", _stats()).reasons == ["TikTok Shop: không gửi yêu cầu nào — không có mục tiêu"]
    assert assess("tiktok", _stats(), partial=True).status == "ok"  # a worker the queue gave nothing
