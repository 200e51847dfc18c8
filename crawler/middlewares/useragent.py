"""Realistic desktop browser user agents, one per crawl (a "session") or one per request.

A single fixed user agent on thousands of nightly requests is an easy fingerprint; a crawl that keeps one
agent across its cookies looks like one visitor, which is why ``session`` is the default. Off when the
user agent is pinned: ``USER_AGENT`` set by a spider or on the command line, or a spider ``user_agent``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.exceptions import ConfigError

__all__ = ["USER_AGENTS", "RotatingUserAgentMiddleware"]

# Current stable desktop browsers as Vietnamese shoppers run them (Windows first, then macOS and Linux).
USER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) coc_coc_browser/133.0.180 "
    "Chrome/127.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
    "Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
)
MODES = ("session", "request", "off")


class RotatingUserAgentMiddleware:
    """Reads ``QLTT_USER_AGENT_ROTATION`` (session | request | off) and ``USER_AGENT``'s priority.

    Runs before Scrapy's UserAgentMiddleware; a request that names its own ``User-Agent`` keeps it.
    """

    def __init__(
        self,
        per_request: bool,
        agents: Sequence[str] = USER_AGENTS,
        choose: Callable[[Sequence[str]], str] = random.choice,
    ) -> None:
        self.per_request = per_request
        self.agents = agents
        self.choose = choose
        self.session_agent = choose(agents)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RotatingUserAgentMiddleware:
        mode = str(crawler.settings.get("QLTT_USER_AGENT_ROTATION") or "off").strip().lower()
        if mode not in MODES:
            raise ConfigError(f"QLTT_USER_AGENT_ROTATION={mode!r}: expected one of {', '.join(MODES)}")
        if mode == "off":
            raise NotConfigured
        if (crawler.settings.getpriority("USER_AGENT") or 0) > SETTINGS_PRIORITIES["project"]:
            raise NotConfigured("USER_AGENT is pinned by the spider or the command line")
        if getattr(crawler.spidercls, "user_agent", None):
            raise NotConfigured(f"spider {crawler.spidercls.name} pins its user agent")
        return cls(per_request=mode == "request")

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        agent = self.choose(self.agents) if self.per_request else self.session_agent
        request.headers.setdefault(b"User-Agent", agent)
