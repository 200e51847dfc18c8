"""The crash-safe frontier of resumable jobs, piece by piece (the kill-and-resume crawls are in test_fault_resume)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from crawler.exceptions import ConfigError
from crawler.frontier import ACTIVE, DONE, PENDING, FrontierResponses, FrontierScheduler


class _Spider(Spider):
    name = "frontier-test"

    def parse(self, response: Response) -> None:
        return None


def _scheduler(jobdir: Path) -> FrontierScheduler:
    crawler = get_crawler(_Spider, {"JOBDIR": str(jobdir)})
    crawler._apply_settings()
    crawler.spider = crawler._create_spider()
    scheduler = FrontierScheduler.from_crawler(crawler)
    scheduler.open(crawler.spider)
    return scheduler


def _die(scheduler: FrontierScheduler) -> None:
    """What SIGKILL leaves: no ``close()``, only the committed rows (and the job lock released)."""
    assert scheduler.frontier is not None and scheduler._lock is not None
    scheduler.frontier.close()
    scheduler._lock.close()


def _drain(scheduler: FrontierScheduler) -> list[Request]:
    popped = []
    while (request := scheduler.next_request()) is not None:
        popped.append(request)
    return popped


def test_a_killed_job_resumes_with_what_was_in_flight_and_not_what_was_done(tmp_path: Path) -> None:
    first = _scheduler(tmp_path / "job")
    for n in range(4):
        assert first.enqueue_request(Request(f"http://tiki.vn/p/{n}", priority=-n))
    assert not first.enqueue_request(Request("http://tiki.vn/p/0")), "a known page is not queued again"
    done = _drain(first)[0]
    assert first.frontier is not None
    first.frontier.done(done.meta["qltt_fingerprint"])
    _die(first)

    resumed = _scheduler(tmp_path / "job")
    assert resumed.frontier is not None
    assert resumed.frontier.urls(DONE) == ["http://tiki.vn/p/0"]
    assert sorted(r.url for r in _drain(resumed)) == [f"http://tiki.vn/p/{n}" for n in (1, 2, 3)]
    assert not resumed.enqueue_request(Request("http://tiki.vn/p/0")), "done pages stay done"
    resumed.close("finished")
    fresh = _scheduler(tmp_path / "job")
    assert fresh.enqueue_request(Request("http://tiki.vn/p/0")), "a finished job starts afresh next time"
    fresh.close("shutdown")


def test_one_process_per_job(tmp_path: Path) -> None:
    running = _scheduler(tmp_path / "job")
    with pytest.raises(ConfigError, match="already running"):
        _scheduler(tmp_path / "job")
    running.close("shutdown")


def test_a_response_that_arrived_is_not_fetched_again_after_a_kill(tmp_path: Path) -> None:
    scheduler = _scheduler(tmp_path / "job")
    middleware = FrontierResponses(scheduler.crawler)
    scheduler.enqueue_request(Request("http://shop.vn/a"))
    request = scheduler.next_request()
    assert request is not None and middleware.process_request(request) is None, "fetched from the network"
    body = gzip.compress("<h1>Nước hoa</h1>".encode())
    arrived = HtmlResponse(request.url, status=200, body=body, request=request,
                           headers={"Content-Encoding": "gzip", "Set-Cookie": ["a=1", "b=2"]})
    assert middleware.process_response(request, arrived) is arrived
    _die(scheduler)  # killed before the page's items were through

    resumed = _scheduler(tmp_path / "job")
    middleware = FrontierResponses(resumed.crawler)
    again = resumed.next_request()
    assert again is not None and again.url == "http://shop.vn/a"
    replayed = middleware.process_request(again)
    assert isinstance(replayed, HtmlResponse) and "frontier" in replayed.flags
    assert replayed.body == body and replayed.headers.getlist("Set-Cookie") == [b"a=1", b"b=2"]
    assert replayed.request is again and replayed.status == 200
    assert resumed.crawler.stats is not None
    assert resumed.crawler.stats.get_value("qltt/frontier/response_replayed_count") == 1
    # A retry of the same page is fetched afresh: the kept answer was the failed attempt's.
    assert resumed.enqueue_request(again.replace(dont_filter=True))
    retry = resumed.next_request()
    assert retry is not None and middleware.process_request(retry) is None
    resumed.close("shutdown")


def test_a_redirect_finishes_the_request_it_replaced(tmp_path: Path) -> None:
    scheduler = _scheduler(tmp_path / "job")
    assert scheduler.frontier is not None
    scheduler.enqueue_request(Request("http://shop.vn/old"))
    old = scheduler.next_request()
    assert old is not None
    moved = old.replace(url="http://shop.vn/new")  # what RedirectMiddleware does, meta included
    assert scheduler.enqueue_request(moved)
    assert moved.meta["qltt_redirected_from"] == [old.meta["qltt_fingerprint"]]
    scheduler.frontier.done(moved.meta["qltt_fingerprint"], *moved.meta["qltt_redirected_from"])
    assert scheduler.frontier.urls(DONE) == ["http://shop.vn/old", "http://shop.vn/new"]
    # A redirect to a page already known: the request it replaced is done too.
    scheduler.enqueue_request(Request("http://shop.vn/other"))
    other = scheduler.next_request()
    assert other is not None
    assert not scheduler.enqueue_request(other.replace(url="http://shop.vn/new"))
    assert scheduler.frontier.urls(ACTIVE) == [] and scheduler.frontier.urls(PENDING) == []
    scheduler.close("shutdown")
