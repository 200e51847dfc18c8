"""Citizens' tips: ``qltt tip add URL --note ...`` checks the URL, recognises its source and crawls it.

``build_desk`` wires the desk to the database and to crawls in child processes (trigger ``tip``),
the same way the scheduler crawls; tests pass their own resolver, fetcher and spider list.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from functools import partial
from pathlib import Path

from pymongo.database import Database

from crawler import config
from crawler.schedule.crawl import crawl_in_subprocess
from crawler.tips.desk import Crawl, TipDesk
from crawler.tips.redirects import Fetcher, follow_redirects, http_fetcher
from crawler.tips.sources import Target, recognise
from crawler.urlsafety import Resolver
from storage.listings import ListingRepo
from storage.runs import RunRepo
from storage.tips import TipRepo

__all__ = ["Crawl", "Target", "TipDesk", "available_spiders", "build_desk", "follow_redirects", "recognise"]


def available_spiders() -> list[str]:
    """Names of the spiders this installation has (Scrapy's spider loader over ``SPIDER_MODULES``)."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings

    return list(get_spider_loader(get_project_settings()).list())


def build_desk(
    db: Database,
    data_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    resolve: Resolver | None = None,
    fetch: Fetcher | None = None,
    spiders: Collection[str] | None = None,
    timeout: float | None = None,
) -> TipDesk:
    """A desk whose crawls run ``scrapy crawl`` in a child process with ``env`` (default: this process's)."""
    runs = RunRepo(db)
    crawl: Crawl = partial(
        crawl_in_subprocess,
        runs,
        trigger="tip",
        timeout=timeout or float(config.get("QLTT_JOB_TIMEOUT")),
        log_dir=data_dir / "logs" / "runs",
        env=env,
    )
    proxy = env.get("QLTT_PROXY", "") if env is not None else config.get("QLTT_PROXY")
    return TipDesk(
        tips=TipRepo(db),
        runs=runs,
        listings=ListingRepo(db),
        crawl=crawl,
        spiders=available_spiders() if spiders is None else spiders,
        resolve=resolve,
        fetch=fetch or http_fetcher(proxy),
    )
