"""The operator's crawl policy, applied to each spider after its own ``custom_settings`` (a Scrapy add-on).

* robots.txt — ``QLTT_ROBOTS_OBEY``: ``all``, ``none`` or a comma list of spider names that obey. Default
  ``none``: the marketplaces' robots.txt disallow the very search and API paths an inspection must read
  (``/catalog/``, ``/api/``), and an offer must not escape inspection because its page asked search
  engines not to index it. Politeness is kept by each source's rate limits instead; an operator who must
  honour robots.txt for some sources (e.g. ``website``) lists them.
* politeness — ``QLTT_POLITE=false`` drops each spider's delays and AutoThrottle (its per-site concurrency
  stays). Only for the local sandbox, which needs no pauses; never against the real sites.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from crawler.exceptions import ConfigError

__all__ = ["CrawlPolicy", "obeys_robots"]

logger = logging.getLogger(__name__)

# What QLTT_POLITE=false sets: no delay, no throttling.
UNTHROTTLED = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}


def obeys_robots(spider: str, policy: str) -> bool:
    """Whether ``spider`` obeys robots.txt under ``policy`` (``all`` | ``none`` | ``name,name``)."""
    names = {part.strip().lower() for part in policy.split(",") if part.strip()}
    if not names or names == {"none"}:
        return False
    if names == {"all"}:
        return True
    if names & {"all", "none"}:
        raise ConfigError(f"QLTT_ROBOTS_OBEY={policy!r}: 'all' and 'none' cannot be combined with spider names")
    return spider.lower() in names


class CrawlPolicy:
    """Add-on reading ``QLTT_ROBOTS_OBEY`` and ``QLTT_POLITE``; sets ``ROBOTSTXT_OBEY`` (and drops delays)
    at spider priority, so a spider's own value yields to the operator and ``-s`` on the command line wins."""

    def __init__(self, spider: str) -> None:
        self.spider = spider

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlPolicy:
        return cls(crawler.spidercls.name)

    def update_settings(self, settings: BaseSettings) -> None:
        obey = obeys_robots(self.spider, str(settings.get("QLTT_ROBOTS_OBEY") or "none"))
        settings.set("ROBOTSTXT_OBEY", obey, priority="spider")
        if not settings.getbool("QLTT_POLITE", True):
            for name, value in UNTHROTTLED.items():
                settings.set(name, value, priority="spider")
        logger.info("crawl policy for %s: robots.txt %s, politeness %s", self.spider,
                    "obeyed" if obey else "not obeyed", "on" if settings.getbool("QLTT_POLITE", True) else "off")
