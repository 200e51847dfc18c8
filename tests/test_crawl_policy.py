"""Crawling like a professional: retries that wait, rotating user agents, robots.txt and politeness per spider."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import MongoClient
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from crawler.exceptions import ConfigError
from crawler.middlewares.backoff import BackoffRetryMiddleware, retry_after
from crawler.middlewares.useragent import USER_AGENTS, RotatingUserAgentMiddleware
from crawler.policy import CrawlPolicy, obeys_robots
from tests.sandbox_plugin import CrawlEnv


class LazadaLike(Spider):
    name = "lazada"
    custom_settings = {"DOWNLOAD_DELAY": 2.0, "AUTOTHROTTLE_ENABLED": True, "CONCURRENT_REQUESTS_PER_DOMAIN": 2}


def crawler(settings: dict[str, Any] | None = None, spidercls: type[Spider] = LazadaLike) -> Crawler:
    base = {"QLTT_RETRY_BACKOFF_BASE": 1.0, "QLTT_RETRY_BACKOFF_MAX": 60.0, "QLTT_USER_AGENT_ROTATION": "session",
            "QLTT_ROBOTS_OBEY": "none", "QLTT_POLITE": True, "ADDONS": {CrawlPolicy: 0}}
    made = get_crawler(spidercls, base | (settings or {}))
    made.spider = made._create_spider()
    return made


def backoff(settings: dict[str, Any] | None = None) -> BackoffRetryMiddleware:
    middleware = BackoffRetryMiddleware.from_crawler(crawler(settings))
    middleware.jitter = lambda: 0.0
    return middleware


def answer(status: int, retry_after_header: str | None = None, meta: dict[str, Any] | None = None) -> Response:
    request = Request("https://www.lazada.vn/catalog/?q=x", meta=meta or {})
    headers = {"Retry-After": retry_after_header} if retry_after_header is not None else {}
    return Response(request.url, status=status, headers=headers, request=request)


# --- retries with backoff ------------------------------------------------------------------------------------------


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 23, 8, 0, 0, tzinfo=UTC)
    assert retry_after(b"120") == 120.0
    assert retry_after("Mon, 23 Nov 2026 08:00:30 GMT", now=now) == 30.0
    assert retry_after("Mon, 23 Nov 2026 07:59:00 GMT", now=now) == 0.0  # a date in the past: retry now
    assert retry_after(None) is None and retry_after("soon") is None


def test_backoff_doubles_and_is_capped() -> None:
    middleware = backoff({"QLTT_RETRY_BACKOFF_BASE": 1.5, "QLTT_RETRY_BACKOFF_MAX": 10.0})
    assert [middleware.delay(n) for n in (1, 2, 3, 4)] == [1.5, 3.0, 6.0, 10.0]
    middleware.jitter = lambda: 1.0  # jitter adds at most half again
    assert middleware.delay(1) == 2.25


def test_retry_after_is_honoured_and_too_long_a_wait_gives_up() -> None:
    middleware = backoff({"QLTT_RETRY_BACKOFF_MAX": 30.0})
    assert middleware.delay(1, b"7") == 7.0
    assert middleware.delay(1, b"3600") is None
    response = answer(429, "3600")
    assert asyncio.run(middleware.process_response(response.request, response)) is response
    assert middleware.crawler.stats.get_value("qltt/backoff/retry_after_too_long_count") == 1


def test_a_429_is_retried_after_the_wait_and_a_404_is_not() -> None:
    middleware = backoff()
    throttled = answer(429, "0")
    retry = asyncio.run(middleware.process_response(throttled.request, throttled))
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1 and retry.dont_filter
    stats = middleware.crawler.stats
    assert stats.get_value("qltt/backoff/wait_count") == 1 and stats.get_value("retry/count") == 1
    missing = answer(404)
    assert asyncio.run(middleware.process_response(missing.request, missing)) is missing


def test_retries_stop_at_retry_times() -> None:
    middleware = backoff({"RETRY_TIMES": 2})
    failing = answer(503, "0", meta={"retry_times": 2})
    assert asyncio.run(middleware.process_response(failing.request, failing)) is failing
    assert middleware.crawler.stats.get_value("retry/max_reached") == 1


# --- user agents ---------------------------------------------------------------------------------------------------


def agents_sent(middleware: RotatingUserAgentMiddleware, n: int = 20) -> set[str]:
    sent = set()
    for i in range(n):
        request = Request(f"https://www.lazada.vn/{i}")
        middleware.process_request(request)
        sent.add(request.headers[b"User-Agent"].decode())
    return sent


def test_user_agent_per_session_or_per_request() -> None:
    session = RotatingUserAgentMiddleware.from_crawler(crawler())
    assert len(agents_sent(session)) == 1 and agents_sent(session) <= set(USER_AGENTS)
    cycle = iter(range(10**6))
    per_request = RotatingUserAgentMiddleware(per_request=True, choose=lambda agents: agents[next(cycle) % len(agents)])
    assert agents_sent(per_request) == set(USER_AGENTS)


def test_a_request_naming_its_user_agent_keeps_it() -> None:
    request = Request("https://www.lazada.vn/", headers={"User-Agent": "qltt-probe"})
    RotatingUserAgentMiddleware(per_request=True).process_request(request)
    assert request.headers[b"User-Agent"] == b"qltt-probe"


class PinnedAgent(Spider):
    name = "pinned"
    custom_settings = {"USER_AGENT": "Mozilla/5.0 (Linux; Android 14) Mobile"}


@pytest.mark.parametrize(
    ("settings", "spidercls"),
    [({"QLTT_USER_AGENT_ROTATION": "off"}, LazadaLike), ({}, PinnedAgent)],
    ids=["setting-off", "spider-pins-user-agent"],
)
def test_rotation_is_off_when_disabled_or_pinned(settings: dict[str, Any], spidercls: type[Spider]) -> None:
    with pytest.raises(NotConfigured):
        RotatingUserAgentMiddleware.from_crawler(crawler(settings, spidercls))


def test_an_unknown_rotation_mode_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="QLTT_USER_AGENT_ROTATION"):
        RotatingUserAgentMiddleware.from_crawler(crawler({"QLTT_USER_AGENT_ROTATION": "sometimes"}))


# --- robots.txt and politeness per spider ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "obeys"),
    [("none", False), ("", False), ("all", True), ("ALL", True), ("website, lazada", True), ("website", False)],
)
def test_robots_policy_names_the_spiders_that_obey(policy: str, obeys: bool) -> None:
    assert obeys_robots("lazada", policy) is obeys


def test_robots_policy_refuses_all_or_none_with_names() -> None:
    with pytest.raises(ConfigError):
        obeys_robots("lazada", "all,lazada")


def test_policy_addon_sets_robots_per_spider_after_custom_settings() -> None:
    assert crawler({"QLTT_ROBOTS_OBEY": "lazada"}).settings.getbool("ROBOTSTXT_OBEY") is True
    assert crawler({"QLTT_ROBOTS_OBEY": "website"}).settings.getbool("ROBOTSTXT_OBEY") is False


def test_politeness_comes_from_the_spider_unless_switched_off() -> None:
    polite = crawler().settings
    assert polite.getfloat("DOWNLOAD_DELAY") == 2.0 and polite.getbool("AUTOTHROTTLE_ENABLED")
    assert polite.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    sandbox = crawler({"QLTT_POLITE": False}).settings
    assert sandbox.getfloat("DOWNLOAD_DELAY") == 0 and not sandbox.getbool("AUTOTHROTTLE_ENABLED")
    assert sandbox.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2  # how many at once stays the spider's choice


# --- against the sandbox ---------------------------------------------------------------------------------------------

ORIENT_PATH = "/products/dong-ho-nam-orient-bambino-gen-2-ra-ac0m01b-automatic-i2329893093-s26067244271.html"


def test_a_429_is_retried_after_its_retry_after(crawl_env: CrawlEnv) -> None:
    crawl_env.sandbox.add_fault("429-wait", ORIENT_PATH, times=1)  # Retry-After: 2
    result = crawl_env.qltt("crawl", "lazada", "--url", f"https://www.lazada.vn{ORIENT_PATH}")
    assert result.returncode == 0, result.stderr[-3000:]
    tries = [r for r in crawl_env.sandbox.requests if r.path == ORIENT_PATH]
    assert len(tries) == 2 and tries[1].at - tries[0].at >= 2.0  # not a moment earlier than asked
    with MongoClient(crawl_env.mongo_uri) as client:
        db = client[crawl_env.db_name]
        assert db.listings.count_documents({"_id": "lazada:1002143293:2329893093"}) == 1
        stats = db.runs.find_one({"spider": "lazada"})["stats"]
    assert stats["qltt/backoff/wait_count"] == 1 and stats["retry/count"] == 1


def test_user_agents_per_request_and_robots_txt_when_told(crawl_env: CrawlEnv) -> None:
    crawl_env.settings.update(QLTT_USER_AGENT_ROTATION="request", QLTT_ROBOTS_OBEY="website,lazada")
    result = crawl_env.qltt("crawl", "lazada", "--query", "chính hãng đồng hồ", "--max-pages", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    requests = crawl_env.sandbox.requests
    assert requests[0].path == "/robots.txt" and len(requests) > 10
    agents = [r.headers.get("user-agent") for r in requests]
    assert set(agents) <= set(USER_AGENTS) and len(set(agents)) > 1
